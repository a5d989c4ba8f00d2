//! Grant a member a role on a project, etag-safely: plan, apply with read-modify-write and
//! bounded retries on conflicts, verify, journal (an intent before each write, its outcome
//! after), undo. A write whose answer was lost (a reset, a timeout) is settled by re-reading.

use serde::Serialize;

use astro_identity_domain::gcp::iam_policy::{Condition, IamPolicy};
use astro_identity_domain::gcp::lint::IamLintLevel;
use astro_identity_domain::gcp::plan::IamPlan;

use crate::CloudError;
pub use crate::backoff::Backoff;
use crate::gcp::projects::{PolicyResource, PolicyStore};
use crate::gcp::settle;
use crate::journal::{Journal, JournalAction, JournalEntry, Settlement};
use crate::settle::{after_failed_write, refused_outright};

/// A planned grant: what was read and what will be written.
#[derive(Debug, Clone, Serialize)]
#[cfg_attr(feature = "specta", derive(specta::Type))]
#[serde(rename_all = "camelCase")]
pub struct BindingChange {
    pub resource: PolicyResource,
    /// Who applies it, when known (a stored key's service account).
    pub principal: Option<String>,
    pub plan: IamPlan,
    pub console_url: String,
}

#[derive(Debug, Clone, Serialize)]
#[cfg_attr(feature = "specta", derive(specta::Type))]
#[serde(rename_all = "camelCase")]
pub struct BindingOutcome {
    pub written: bool,
    pub verified: bool,
    pub journal_id: Option<String>,
    pub resource: PolicyResource,
    /// How many read-modify-write cycles it took (1 without conflicts).
    pub attempts: u32,
    /// The policy read back after the write (pretty).
    pub policy: String,
    pub console_url: String,
}

/// Reads the policy and computes the plan. Writes nothing.
pub async fn plan_binding(
    store: &impl PolicyStore,
    resource: &PolicyResource,
    role: &str,
    member: &str,
    condition: Option<&Condition>,
    principal: Option<String>,
) -> Result<BindingChange, CloudError> {
    let before = store.get_policy(resource).await?;
    Ok(BindingChange {
        resource: resource.clone(),
        principal,
        plan: IamPlan::build(&before, role, member, condition),
        console_url: resource.console_url(),
    })
}

/// Reads the policy and plans replacing it with `document`, an edit made in the bindings
/// editor. Writes nothing.
pub async fn plan_policy_document(
    store: &impl PolicyStore,
    resource: &PolicyResource,
    document: &IamPolicy,
    principal: Option<String>,
) -> Result<BindingChange, CloudError> {
    let before = store.get_policy(resource).await?;
    // The edit started from an earlier read; write it against this one's etag.
    let after = with_etag(document, before.etag())?;
    Ok(BindingChange {
        resource: resource.clone(),
        principal,
        plan: IamPlan::for_documents(&before, &after),
        console_url: resource.console_url(),
    })
}

/// `policy` carrying `etag` (or none).
fn with_etag(policy: &IamPolicy, etag: Option<&str>) -> Result<IamPolicy, CloudError> {
    let mut value = policy.as_value().clone();
    if let Some(map) = value.as_object_mut() {
        match etag {
            Some(etag) => map.insert(String::from("etag"), serde_json::Value::from(etag)),
            None => map.remove("etag"),
        };
    }
    Ok(IamPolicy::from_value(value)?)
}

/// Applies a hand-edited policy: unlike a grant, an arbitrary edit cannot be re-merged onto
/// someone else's change, so any change since the plan (or a conflict) refuses and re-plans.
async fn apply_document(
    store: &impl PolicyStore,
    change: &BindingChange,
    journal: &Journal,
    backoff: Backoff,
) -> Result<BindingOutcome, CloudError> {
    let resource = change.resource.clone().validated()?;
    let planned_before = IamPolicy::parse(&change.plan.before_json)?;
    let after = IamPolicy::parse(&change.plan.compact_after)?;
    let current = store.get_policy(&resource).await?;
    let moved = || CloudError::RemoteChanged {
        what: format!("the IAM policy of {resource}"),
        since: "the plan was shown",
    };
    if !current.semantically_equal(&planned_before) {
        return Err(moved());
    }
    if after.semantically_equal(&current) {
        return Ok(outcome(change, false, 1, None, &current));
    }
    let after = with_etag(&after, current.etag())?;
    let entry = || {
        let mut entry = JournalEntry::now(
            "gcp",
            &resource.name(),
            change.principal.as_deref().unwrap_or(""),
            JournalAction::SetPolicy,
        );
        entry.resource_name = resource.to_string();
        entry.resource_arn = resource.name();
        entry.before = Some(current.to_compact_json());
        entry.after = Some(after.to_compact_json());
        entry
    };
    let (entry, settled) = match write_journaled(store, journal, &resource, &after, entry, backoff).await {
        Ok(written) => written,
        Err(CloudError::Conflict { .. }) => return Err(moved()),
        Err(err) => return Err(err),
    };
    let read_back =
        verify(store, journal, &entry, settled, &resource, |p| p.semantically_equal(&after)).await?;
    Ok(outcome(change, true, 1, Some(entry.id), &read_back))
}

/// Writes back the policy a `SetPolicy` entry replaced, if nobody changed it since.
async fn undo_document(
    store: &impl PolicyStore,
    journal: &Journal,
    entry: &crate::journal::JournalEntry,
    backoff: Backoff,
) -> Result<BindingOutcome, CloudError> {
    let resource = PolicyResource::from_name(&entry.resource_arn)?;
    let broken =
        || CloudError::Journal { action: "read", detail: String::from("a policy entry lacks its documents") };
    let written = IamPolicy::parse(entry.after.as_deref().ok_or_else(broken)?)?;
    let earlier = IamPolicy::parse(entry.before.as_deref().ok_or_else(broken)?)?;
    let current = store.get_policy(&resource).await?;
    if !current.semantically_equal(&written) {
        return Err(CloudError::RemoteChanged {
            what: format!("the IAM policy of {resource}"),
            since: "the change being undone",
        });
    }
    let restore = with_etag(&earlier, current.etag())?;
    let undo = || {
        let mut undo = JournalEntry::now("gcp", &entry.account, &entry.actor, JournalAction::SetPolicy);
        undo.resource_name = entry.resource_name.clone();
        undo.resource_arn = entry.resource_arn.clone();
        undo.before = Some(current.to_compact_json());
        undo.after = Some(restore.to_compact_json());
        undo.undoes = Some(entry.id.clone());
        undo
    };
    let (undo, settled) = write_journaled(store, journal, &resource, &restore, undo, backoff).await?;
    let read_back =
        verify(store, journal, &undo, settled, &resource, |p| p.semantically_equal(&earlier)).await?;
    Ok(BindingOutcome {
        written: true,
        verified: true,
        journal_id: Some(undo.id),
        console_url: resource.console_url(),
        resource,
        attempts: 1,
        policy: read_back.to_pretty_json(),
    })
}

/// Writes `policy` as one journaled change (an intent from `entry`, then the outcome),
/// retrying throttling with `backoff`, a new intent each time. Returns the entry written and
/// whether its outcome is already journaled (see [`written_or_settled`]).
async fn write_journaled(
    store: &impl PolicyStore,
    journal: &Journal,
    resource: &PolicyResource,
    policy: &IamPolicy,
    entry: impl Fn() -> JournalEntry,
    backoff: Backoff,
) -> Result<(JournalEntry, bool), CloudError> {
    let mut attempt = 0;
    loop {
        attempt += 1;
        let entry = entry();
        journal.intend(&entry)?;
        match written_or_settled(store, journal, &entry, store.set_policy(resource, policy).await).await {
            Ok(settled) => return Ok((entry, settled)),
            Err(CloudError::Throttled { .. }) if attempt < backoff.attempts => {
                tokio::time::sleep(backoff.delay(attempt - 1)).await;
            }
            Err(err) => return Err(err),
        }
    }
}

/// `Ok(false)`: the write call succeeded. `Ok(true)`: it failed, but re-reading showed it
/// landed (its answer was lost); the outcome is journaled. `Err`: it did not take effect,
/// outcome journaled — or, when not even a re-read worked, left pending for settling.
async fn written_or_settled(
    store: &impl PolicyStore,
    journal: &Journal,
    entry: &JournalEntry,
    write: Result<IamPolicy, CloudError>,
) -> Result<bool, CloudError> {
    match write {
        Ok(_) => Ok(false),
        Err(err) => {
            // The Google clients send a write once: a refusal from the server is definite.
            let definite = matches!(
                err,
                CloudError::Conflict { .. } | CloudError::Throttled { .. } | CloudError::NotFound { .. }
            ) || refused_outright(&err);
            after_failed_write(journal, entry, err, definite, settle::classify(store, entry)).await?;
            Ok(true)
        }
    }
}

/// Reads the policy back after a write and journals the outcome (unless `settled` did):
/// `done` when `holds`, else what the policy shows, and `VerifyFailed`.
async fn verify(
    store: &impl PolicyStore,
    journal: &Journal,
    entry: &JournalEntry,
    settled: bool,
    resource: &PolicyResource,
    holds: impl Fn(&IamPolicy) -> bool,
) -> Result<IamPolicy, CloudError> {
    let read_back = match store.get_policy(resource).await {
        Ok(policy) => policy,
        Err(err) => {
            if !settled {
                journal.settled(
                    &entry.id,
                    Settlement::Applied,
                    &format!("IAM accepted the write; reading it back failed: {err}"),
                )?;
            }
            return Err(err);
        }
    };
    if holds(&read_back) {
        if !settled {
            journal.done(&entry.id)?;
        }
        return Ok(read_back);
    }
    if !settled {
        let (found, words) = settle::judge(&read_back, entry, resource)?;
        journal.settled(&entry.id, found, &format!("reads back differently: {words}"))?;
    }
    Err(CloudError::VerifyFailed { what: format!("the IAM policy of {resource} reads back differently") })
}

/// Applies the planned grant. The merge is re-done on the freshly read policy at every
/// attempt, so concurrent writers' bindings are kept; the etag of that read makes IAM refuse
/// a write that would lose theirs. Each attempt is journaled (intent, then outcome).
pub async fn apply_binding(
    store: &impl PolicyStore,
    change: &BindingChange,
    confirm_warnings: bool,
    journal: &Journal,
    backoff: Backoff,
) -> Result<BindingOutcome, CloudError> {
    let plan = &change.plan;
    if let Some(blocking) = plan.lints.iter().find(|l| l.level == IamLintLevel::Error) {
        return Err(CloudError::Refused { reason: blocking.message.clone(), hint: blocking.hint.clone() });
    }
    if plan.needs_confirmation && !confirm_warnings {
        return Err(CloudError::Refused {
            reason: String::from("the plan has warnings that were not confirmed"),
            hint: String::from("Review the warnings and confirm them (the CLI's --yes), or change the plan."),
        });
    }
    if plan.role.is_empty() {
        return apply_document(store, change, journal, backoff).await;
    }
    let resource = change.resource.clone().validated()?;
    let condition = plan.condition.as_ref();
    let mut attempt = 0;
    loop {
        attempt += 1;
        let before = store.get_policy(&resource).await?;
        let after = before.add_member(&plan.role, &plan.member, condition);
        if after.semantically_equal(&before) {
            return Ok(outcome(change, false, attempt, None, &before));
        }
        // `account` holds the resource, as the AWS entries hold the account.
        let mut entry = JournalEntry::now(
            "gcp",
            &resource.name(),
            change.principal.as_deref().unwrap_or(""),
            JournalAction::AddBinding,
        );
        entry.resource_name = resource.to_string();
        entry.resource_arn = resource.name();
        entry.detail = Some(grant_detail(&plan.role, &plan.member, condition));
        entry.before = Some(before.to_compact_json());
        entry.after = Some(after.to_compact_json());
        journal.intend(&entry)?;
        let write = store.set_policy(&resource, &after).await;
        match written_or_settled(store, journal, &entry, write).await {
            Ok(settled) => {
                let read_back = verify(store, journal, &entry, settled, &resource, |p| {
                    p.has_member(&plan.role, &plan.member, condition)
                })
                .await
                .map_err(|err| match err {
                    CloudError::VerifyFailed { .. } => CloudError::VerifyFailed {
                        what: format!(
                            "{} is not in the {} binding of {resource} after the write",
                            plan.member, plan.role
                        ),
                    },
                    other => other,
                })?;
                return Ok(outcome(change, true, attempt, Some(entry.id), &read_back));
            }
            Err(CloudError::Conflict { .. } | CloudError::Throttled { .. }) if attempt < backoff.attempts => {
                tokio::time::sleep(backoff.delay(attempt - 1)).await;
            }
            Err(err) => return Err(err),
        }
    }
}

/// Removes the member a journaled grant added. Refuses when the member is no longer in that
/// binding (someone changed it since); other bindings are never touched.
pub async fn undo_binding(
    store: &impl PolicyStore,
    journal: &Journal,
    id: Option<&str>,
    backoff: Backoff,
) -> Result<BindingOutcome, CloudError> {
    let entry = journal.undo_candidate("gcp", id)?;
    if entry.action == JournalAction::SetPolicy {
        return undo_document(store, journal, &entry, backoff).await;
    }
    if entry.action != JournalAction::AddBinding {
        return Err(CloudError::Refused {
            reason: format!("journal entry {} is not a GCP grant", entry.id),
            hint: String::from("Undo it from the journey that made it."),
        });
    }
    let (role, member, condition) = parse_detail(entry.detail.as_deref().unwrap_or(""))?;
    let resource = PolicyResource::from_name(&entry.resource_arn)?;
    let mut attempt = 0;
    loop {
        attempt += 1;
        let before = store.get_policy(&resource).await?;
        if !before.has_member(&role, &member, condition.as_ref()) {
            return Err(CloudError::RemoteChanged {
                what: format!("the {role} binding of {member} on {resource}"),
                since: "the change being undone",
            });
        }
        let after = before.remove_member(&role, &member, condition.as_ref());
        let mut undo = JournalEntry::now("gcp", &entry.account, &entry.actor, JournalAction::RemoveBinding);
        undo.resource_name = entry.resource_name.clone();
        undo.resource_arn = entry.resource_arn.clone();
        undo.detail = entry.detail.clone();
        undo.before = Some(before.to_compact_json());
        undo.after = Some(after.to_compact_json());
        undo.undoes = Some(entry.id.clone());
        journal.intend(&undo)?;
        let write = store.set_policy(&resource, &after).await;
        match written_or_settled(store, journal, &undo, write).await {
            Ok(settled) => {
                let read_back = verify(store, journal, &undo, settled, &resource, |p| {
                    !p.has_member(&role, &member, condition.as_ref())
                })
                .await
                .map_err(|err| match err {
                    CloudError::VerifyFailed { .. } => {
                        CloudError::VerifyFailed { what: format!("{member} still has {role} on {resource}") }
                    }
                    other => other,
                })?;
                return Ok(BindingOutcome {
                    written: true,
                    verified: true,
                    journal_id: Some(undo.id),
                    console_url: resource.console_url(),
                    resource,
                    attempts: attempt,
                    policy: read_back.to_pretty_json(),
                });
            }
            Err(CloudError::Conflict { .. } | CloudError::Throttled { .. }) if attempt < backoff.attempts => {
                tokio::time::sleep(backoff.delay(attempt - 1)).await;
            }
            Err(err) => return Err(err),
        }
    }
}

fn outcome(
    change: &BindingChange,
    written: bool,
    attempts: u32,
    journal_id: Option<String>,
    policy: &IamPolicy,
) -> BindingOutcome {
    BindingOutcome {
        written,
        verified: true,
        journal_id,
        resource: change.resource.clone(),
        attempts,
        policy: policy.to_pretty_json(),
        console_url: change.console_url.clone(),
    }
}

fn grant_detail(role: &str, member: &str, condition: Option<&Condition>) -> String {
    serde_json::json!({"role": role, "member": member, "condition": condition}).to_string()
}

pub(crate) fn parse_detail(detail: &str) -> Result<(String, String, Option<Condition>), CloudError> {
    let broken = || CloudError::Journal {
        action: "read",
        detail: String::from("a grant entry lacks its role or member"),
    };
    let value: serde_json::Value = serde_json::from_str(detail).map_err(|_| broken())?;
    let role = value["role"].as_str().ok_or_else(broken)?.to_owned();
    let member = value["member"].as_str().ok_or_else(broken)?.to_owned();
    let condition =
        serde_json::from_value::<Option<Condition>>(value["condition"].clone()).map_err(|_| broken())?;
    Ok((role, member, condition))
}
