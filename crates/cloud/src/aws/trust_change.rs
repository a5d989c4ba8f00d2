//! Plan, apply, verify and undo a change to a role's trust policy — the one-way flow of
//! ARCHITECTURE.md for AWS. Every write is journaled as an intent before it is sent and an
//! outcome once it was verified (see `crate::journal`); a write whose answer was lost is
//! settled by reading the role again.

use std::time::Duration;

use serde::Serialize;

use astro_identity_domain::aws::arn::WorkloadIdentityArn;
use astro_identity_domain::aws::lint::{LintLevel, lint_trust_policy};
use astro_identity_domain::aws::plan::TrustPlan;
use astro_identity_domain::aws::trust_policy::TrustPolicy;

use crate::CloudError;
use crate::aws::iam::{Caller, NewRole, RoleState, RoleStore};
use crate::aws::{permissions, settle};
use crate::backoff::Backoff;
use crate::journal::{Journal, JournalAction, JournalEntry, Settlement};
use crate::settle::after_failed_write;

/// A planned change: what was read, what will be written, and who will write it.
#[derive(Debug, Clone, Serialize)]
#[cfg_attr(feature = "specta", derive(specta::Type))]
#[serde(rename_all = "camelCase")]
pub struct TrustChange {
    pub caller: Caller,
    pub role_name: String,
    /// `None` when the role is to be created.
    pub role_arn: Option<String>,
    pub create: Option<NewRole>,
    /// The trust policy as read when planning (compact), to detect changes before writing.
    pub remote_before: Option<String>,
    pub plan: TrustPlan,
    pub quota: u32,
}

/// What an apply or undo did, as verified by reading back.
#[derive(Debug, Clone, Serialize)]
#[cfg_attr(feature = "specta", derive(specta::Type))]
#[serde(rename_all = "camelCase")]
pub struct ChangeOutcome {
    /// False when nothing needed changing.
    pub written: bool,
    pub verified: bool,
    pub journal_id: Option<String>,
    pub role_name: String,
    pub role_arn: String,
    pub account: String,
    /// The trust policy read back after the write (pretty), `None` after a delete.
    pub trust_policy: Option<String>,
    pub console_url: String,
}

/// Reads the role and computes the plan to trust `identities`. Writes nothing.
pub async fn plan_trust_change(
    store: &impl RoleStore,
    role_name: &str,
    identities: &[WorkloadIdentityArn],
    create: Option<NewRole>,
    quota: u32,
) -> Result<TrustChange, CloudError> {
    let (caller, role_arn, before) = read_for_plan(store, role_name, create.is_some()).await?;
    let plan = TrustPlan::build(before.as_ref(), identities, quota);
    Ok(TrustChange {
        caller,
        role_name: role_name.to_owned(),
        role_arn,
        create,
        remote_before: before.map(|p| p.to_compact_json()),
        plan,
        quota,
    })
}

/// Reads the role and computes the plan to replace its trust policy with `document` (an
/// edit made in the policy editor). Writes nothing.
pub async fn plan_trust_document(
    store: &impl RoleStore,
    role_name: &str,
    document: &TrustPolicy,
    create: Option<NewRole>,
    quota: u32,
) -> Result<TrustChange, CloudError> {
    let (caller, role_arn, before) = read_for_plan(store, role_name, create.is_some()).await?;
    let plan = TrustPlan::for_documents(before.as_ref(), document, quota);
    Ok(TrustChange {
        caller,
        role_name: role_name.to_owned(),
        role_arn,
        create,
        remote_before: before.map(|p| p.to_compact_json()),
        plan,
        quota,
    })
}

/// Who we are and what the role's trust policy is now; refuses a create of an existing
/// role and an update of a missing one.
async fn read_for_plan(
    store: &impl RoleStore,
    role_name: &str,
    create: bool,
) -> Result<(Caller, Option<String>, Option<TrustPolicy>), CloudError> {
    let caller = store.caller().await?;
    match (store.get_role(role_name).await?, create) {
        (Some(_), true) => {
            Err(CloudError::AlreadyExists { what: format!("role {role_name} in account {}", caller.account) })
        }
        (None, false) => {
            Err(CloudError::NotFound { what: format!("role {role_name} in account {}", caller.account) })
        }
        (Some(role), false) => Ok((caller, Some(role.arn), Some(role.trust_policy))),
        (None, true) => Ok((caller, None, None)),
    }
}

/// How an apply writes and checks a trust policy.
#[derive(Debug, Clone, Copy)]
pub struct ApplyOptions {
    /// IAM has no etag: a writer that read the policy before our write and writes after it
    /// drops our principals (a lost update). A merge (adding Deployments) is then re-done on
    /// the fresh policy, at most `backoff.attempts` writes in all, spaced by `backoff`.
    pub backoff: Backoff,
    /// After a merge reads back correctly, wait this long and read again: a concurrent
    /// writer's overwrite lands within the time between its read and its write, so one that
    /// would drop ours shows by then. Also the grace given to a read-back that is stale.
    pub settle: Duration,
}

impl ApplyOptions {
    pub const DEFAULT: ApplyOptions = ApplyOptions {
        backoff: Backoff {
            attempts: 5,
            first_delay: Duration::from_millis(250),
            max_delay: Duration::from_secs(4),
        },
        settle: Duration::from_secs(1),
    };
}

/// Applies exactly `change.plan`: re-reads the role and refuses if it moved since the plan,
/// journals the intent, writes, verifies by reading back, journals the outcome. Retries,
/// timeouts and lost updates as in [`ApplyOptions::DEFAULT`].
pub async fn apply_trust_change(
    store: &impl RoleStore,
    change: &TrustChange,
    confirm_warnings: bool,
    journal: &Journal,
) -> Result<ChangeOutcome, CloudError> {
    apply_trust_change_with(store, change, confirm_warnings, journal, ApplyOptions::DEFAULT).await
}

/// [`apply_trust_change`] with other lost-update handling (tests use short waits).
pub async fn apply_trust_change_with(
    store: &impl RoleStore,
    change: &TrustChange,
    confirm_warnings: bool,
    journal: &Journal,
    options: ApplyOptions,
) -> Result<ChangeOutcome, CloudError> {
    let after = TrustPolicy::parse(&change.plan.compact_after)?;
    // Lint again here: the plan may have travelled through the UI and back.
    let lints = lint_trust_policy(&after, change.quota);
    if let Some(blocking) = lints.iter().find(|l| l.level == LintLevel::Error) {
        return Err(CloudError::Refused { reason: blocking.message.clone(), hint: blocking.hint.clone() });
    }
    if lints.iter().any(|l| l.level == LintLevel::Warning) && !confirm_warnings {
        return Err(CloudError::Refused {
            reason: String::from("the plan has warnings that were not confirmed"),
            hint: String::from("Review the warnings and confirm them (the CLI's --yes), or change the plan."),
        });
    }

    let current = store.get_role(&change.role_name).await?;
    let remote_now = current.as_ref().map(|r| r.trust_policy.to_compact_json());
    if remote_now != change.remote_before {
        return Err(CloudError::RemoteChanged {
            what: format!("the trust policy of role {}", change.role_name),
            since: "the plan was shown",
        });
    }

    if !change.plan.changed {
        let role =
            current.ok_or_else(|| CloudError::NotFound { what: format!("role {}", change.role_name) })?;
        return Ok(outcome(change, false, true, None, &role.arn, Some(&role.trust_policy)));
    }

    match (&change.create, current) {
        (Some(spec), None) => create_role(store, change, spec, &after, journal, options).await,
        (_, Some(role)) => update_trust(store, change, role, after, journal, options).await,
        (None, None) => Err(CloudError::NotFound { what: format!("role {}", change.role_name) }),
    }
}

/// The ARN a role will have, for the intent recorded before it exists.
fn future_role_arn(caller: &Caller, spec: &NewRole) -> String {
    let partition = caller.arn.split(':').nth(1).unwrap_or("aws");
    let path = spec.path.as_deref().unwrap_or("/");
    format!("arn:{partition}:iam::{}:role{path}{}", caller.account, spec.name)
}

async fn create_role(
    store: &impl RoleStore,
    change: &TrustChange,
    spec: &NewRole,
    after: &TrustPolicy,
    journal: &Journal,
    options: ApplyOptions,
) -> Result<ChangeOutcome, CloudError> {
    let mut entry =
        JournalEntry::now("aws", &change.caller.account, &change.caller.arn, JournalAction::CreateRole);
    entry.resource_name = change.role_name.clone();
    entry.resource_arn = future_role_arn(&change.caller, spec);
    entry.after = Some(after.to_compact_json());
    journal.intend(&entry)?;
    let settled = match store.create_role(spec, after).await {
        Ok(created) => {
            entry.resource_arn = created.arn;
            false
        }
        Err(err) => {
            settle_failed_write(store, journal, &entry, err).await?;
            true
        }
    };
    let read_back = verify_written(store, journal, &entry, settled, after, None, options.settle).await?;
    Ok(outcome(change, true, true, Some(entry.id), &entry.resource_arn, Some(&read_back)))
}

async fn update_trust(
    store: &impl RoleStore,
    change: &TrustChange,
    role: RoleState,
    after: TrustPolicy,
    journal: &Journal,
    options: ApplyOptions,
) -> Result<ChangeOutcome, CloudError> {
    let merge = merged_identities(change, &role.trust_policy, &after);
    let (mut before, mut target) = (role.trust_policy, after);
    let mut attempt = 0;
    loop {
        attempt += 1;
        let mut entry = JournalEntry::now(
            "aws",
            &change.caller.account,
            &change.caller.arn,
            JournalAction::UpdateTrustPolicy,
        );
        entry.resource_name = change.role_name.clone();
        entry.resource_arn = role.arn.clone();
        entry.before = Some(before.to_compact_json());
        entry.after = Some(target.to_compact_json());
        journal.intend(&entry)?;
        let settled = match store.update_trust_policy(&change.role_name, &target).await {
            Ok(()) => false,
            Err(err) => {
                settle_failed_write(store, journal, &entry, err).await?;
                true
            }
        };
        let lost =
            match verify_written(store, journal, &entry, settled, &target, merge.as_deref(), options.settle)
                .await
            {
                Ok(read_back) => {
                    return Ok(outcome(change, true, true, Some(entry.id), &role.arn, Some(&read_back)));
                }
                Err(err @ CloudError::VerifyFailed { .. }) if merge.is_some() => err,
                Err(err) => return Err(err),
            };
        let Some(identities) = merge.as_deref() else { return Err(lost) };
        if attempt >= options.backoff.attempts {
            return Err(CloudError::VerifyFailed {
                what: format!(
                    "other writers kept overwriting the trust policy of role {} ({attempt} attempts); the \
                     Deployments are not in it",
                    change.role_name
                ),
            });
        }
        tokio::time::sleep(options.backoff.delay(attempt - 1)).await;
        // Merge again onto what is there now: the other writer's principals and ours.
        let fresh = store
            .get_role(&change.role_name)
            .await?
            .ok_or_else(|| CloudError::NotFound { what: format!("role {}", change.role_name) })?;
        before = fresh.trust_policy;
        target = before.add_principals(identities);
        if target.semantically_equal(&before) {
            // Someone else's write already carries them.
            return Ok(outcome(change, false, true, None, &role.arn, Some(&before)));
        }
        let lints = lint_trust_policy(&target, change.quota);
        if let Some(blocking) = lints.iter().find(|l| l.level == LintLevel::Error) {
            return Err(CloudError::Refused {
                reason: blocking.message.clone(),
                hint: blocking.hint.clone(),
            });
        }
    }
}

/// The Deployments a plan adds, when the plan is exactly "add them to the policy read" — a
/// merge that can be re-done on a fresher policy. `None` for hand-edited documents.
fn merged_identities(
    change: &TrustChange,
    before: &TrustPolicy,
    after: &TrustPolicy,
) -> Option<Vec<WorkloadIdentityArn>> {
    let identities: Vec<WorkloadIdentityArn> =
        change.plan.added.iter().map(|a| WorkloadIdentityArn::parse(a)).collect::<Result<_, _>>().ok()?;
    let is_merge = !identities.is_empty() && before.add_principals(&identities).semantically_equal(after);
    is_merge.then_some(identities)
}

/// After a write call failed: re-reads the role to learn whether it landed anyway, and
/// journals the outcome. `Ok(())`: the change is in place (its answer was lost).
async fn settle_failed_write(
    store: &impl RoleStore,
    journal: &Journal,
    entry: &JournalEntry,
    err: CloudError,
) -> Result<(), CloudError> {
    // The SDK retries throttling, 5xx, resets and timeouts, so even a final refusal may
    // follow an attempt that landed: only errors raised before sending are taken as is.
    let before_sending = matches!(
        err,
        CloudError::Credentials { .. } | CloudError::Domain(_) | CloudError::KeyringUnavailable { .. }
    );
    after_failed_write(journal, entry, err, before_sending, settle::classify(store, entry)).await
}

/// Reads the role back after a write and journals the outcome: `done` when it holds the
/// change (a merge: our principals are there, also after `settle`), `failed` when another
/// writer overwrote it (`VerifyFailed`). `settled`: the outcome was already journaled.
async fn verify_written(
    store: &impl RoleStore,
    journal: &Journal,
    entry: &JournalEntry,
    settled: bool,
    target: &TrustPolicy,
    merge: Option<&[WorkloadIdentityArn]>,
    settle_for: Duration,
) -> Result<TrustPolicy, CloudError> {
    let holds = |read: &Option<RoleState>| {
        read.as_ref().is_some_and(|r| {
            r.trust_policy.semantically_equal(target)
                || merge.is_some_and(|ids| r.trust_policy.untrusted(ids).is_empty())
        })
    };
    let role = &entry.resource_name;
    let mut result = store.get_role(role).await;
    let need_second = match &result {
        Ok(first) => !holds(first) || merge.is_some(),
        Err(_) => false,
    };
    if need_second {
        // A merge must survive the time other writers take; a read-back that disagrees may
        // be stale (IAM is eventually consistent): both get a second look.
        tokio::time::sleep(settle_for).await;
        result = store.get_role(role).await;
    }
    let read_back = match result {
        Ok(read_back) => read_back,
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
        return Ok(read_back.map(|r| r.trust_policy).unwrap_or_else(|| target.clone()));
    }
    let now = read_back.map(|r| r.trust_policy);
    if !settled {
        if merge.is_some() {
            journal
                .failed(&entry.id, "another writer overwrote it before it was verified (a lost update)")?;
        } else {
            let before = entry.before.as_deref().map(TrustPolicy::parse).transpose()?;
            let found = settle::judge_trust(now.as_ref(), before.as_ref(), Some(target));
            journal.settled(&entry.id, found, "the trust policy reads back differently")?;
        }
    }
    Err(CloudError::VerifyFailed {
        what: format!(
            "role {role} does not have the trust policy just written (another writer may have changed it; \
             journal entry {})",
            entry.id
        ),
    })
}

/// Undoes a journal entry (`None`: the newest applied one not yet undone). Refuses when the
/// role's trust policy is no longer what the entry wrote. Journaled like an apply.
pub async fn undo_change(
    store: &impl RoleStore,
    journal: &Journal,
    id: Option<&str>,
) -> Result<ChangeOutcome, CloudError> {
    let entry = journal.undo_candidate("aws", id)?;
    let caller = store.caller().await?;
    if entry.account != caller.account {
        return Err(CloudError::Refused {
            reason: format!(
                "journal entry {} changed account {}, but these credentials act in account {}",
                entry.id, entry.account, caller.account
            ),
            hint: String::from("Choose credentials for that account, then undo again."),
        });
    }
    if matches!(entry.action, JournalAction::AttachPolicy | JournalAction::PutInlinePolicy) {
        let mut undo = JournalEntry::now("aws", &caller.account, &caller.arn, entry.action);
        undo.resource_name = entry.resource_name.clone();
        undo.resource_arn = entry.resource_arn.clone();
        undo.before = entry.after.clone();
        undo.after = entry.before.clone();
        undo.undoes = Some(entry.id.clone());
        permissions::undo_permission(store, journal, &entry, &mut undo).await?;
        let role = store.get_role(&entry.resource_name).await?;
        let role_arn = role.as_ref().map(|r| r.arn.clone()).unwrap_or_default();
        return Ok(ChangeOutcome {
            written: true,
            verified: true,
            journal_id: Some(undo.id),
            role_name: entry.resource_name.clone(),
            console_url: console_url(&role_arn, &entry.resource_name),
            role_arn,
            account: caller.account,
            trust_policy: role.map(|r| r.trust_policy.to_pretty_json()),
        });
    }
    let current = store.get_role(&entry.resource_name).await?;
    let written = entry.after.as_deref().map(TrustPolicy::parse).transpose()?;
    let unchanged = match (&current, &written) {
        (Some(role), Some(after)) => role.trust_policy.semantically_equal(after),
        (None, None) => true,
        _ => false,
    };
    if !unchanged {
        return Err(CloudError::RemoteChanged {
            what: format!("the trust policy of role {}", entry.resource_name),
            since: "the change being undone",
        });
    }

    let mut undo = JournalEntry::now("aws", &caller.account, &caller.arn, JournalAction::UpdateTrustPolicy);
    undo.resource_name = entry.resource_name.clone();
    undo.resource_arn = entry.resource_arn.clone();
    undo.before = entry.after.clone();
    undo.after = entry.before.clone();
    undo.undoes = Some(entry.id.clone());
    let restored = entry.before.as_deref().map(TrustPolicy::parse).transpose()?;
    let write = match (&entry.action, &restored) {
        (JournalAction::CreateRole, _) => {
            undo.action = JournalAction::DeleteRole;
            journal.intend(&undo)?;
            store.delete_role(&entry.resource_name).await
        }
        (_, Some(before)) => {
            journal.intend(&undo)?;
            store.update_trust_policy(&entry.resource_name, before).await
        }
        (_, None) => {
            return Err(CloudError::Refused {
                reason: format!("journal entry {} has nothing to restore", entry.id),
                hint: String::from("Nothing to do."),
            });
        }
    };
    let settled = match write {
        Ok(()) => false,
        Err(err) => {
            settle_failed_write(store, journal, &undo, err).await?;
            true
        }
    };

    let read_back = match store.get_role(&entry.resource_name).await {
        Ok(read_back) => read_back,
        Err(err) => {
            if !settled {
                let reason = format!("IAM accepted the write; reading it back failed: {err}");
                journal.settled(&undo.id, Settlement::Applied, &reason)?;
            }
            return Err(err);
        }
    };
    let verified = match (&read_back, &restored, undo.action) {
        (None, _, JournalAction::DeleteRole) => true,
        (Some(role), Some(before), _) => role.trust_policy.semantically_equal(before),
        _ => false,
    };
    if !settled {
        if verified {
            journal.done(&undo.id)?;
        } else {
            let now = read_back.as_ref().map(|r| r.trust_policy.clone());
            let found = settle::judge_trust(now.as_ref(), written.as_ref(), restored.as_ref());
            journal.settled(&undo.id, found, "the role reads back differently after the undo")?;
        }
    }
    if !verified {
        return Err(CloudError::VerifyFailed {
            what: format!("role {} is not back to its earlier trust policy", entry.resource_name),
        });
    }
    Ok(ChangeOutcome {
        written: true,
        verified,
        journal_id: Some(undo.id),
        role_name: entry.resource_name.clone(),
        role_arn: entry.resource_arn.clone(),
        account: caller.account,
        trust_policy: read_back.map(|r| r.trust_policy.to_pretty_json()),
        console_url: console_url(&entry.resource_arn, &entry.resource_name),
    })
}

fn outcome(
    change: &TrustChange,
    written: bool,
    verified: bool,
    journal_id: Option<String>,
    role_arn: &str,
    policy: Option<&TrustPolicy>,
) -> ChangeOutcome {
    ChangeOutcome {
        written,
        verified,
        journal_id,
        role_name: change.role_name.clone(),
        role_arn: role_arn.to_owned(),
        account: change.caller.account.clone(),
        trust_policy: policy.map(TrustPolicy::to_pretty_json),
        console_url: console_url(role_arn, &change.role_name),
    }
}

/// The role's page in the AWS console, on the partition its ARN names.
pub fn console_url(role_arn: &str, role_name: &str) -> String {
    let host = match role_arn.split(':').nth(1) {
        Some("aws-cn") => "console.amazonaws.cn",
        Some("aws-us-gov") => "console.amazonaws-us-gov.com",
        _ => "console.aws.amazon.com",
    };
    format!("https://{host}/iam/home#/roles/details/{role_name}?section=trust_relationships")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn console_links_follow_the_partition() {
        assert_eq!(
            console_url("arn:aws:iam::123456789012:role/data", "data"),
            "https://console.aws.amazon.com/iam/home#/roles/details/data?section=trust_relationships"
        );
        assert!(
            console_url("arn:aws-cn:iam::123456789012:role/d", "d")
                .starts_with("https://console.amazonaws.cn/")
        );
        assert!(
            console_url("arn:aws-us-gov:iam::123456789012:role/d", "d")
                .starts_with("https://console.amazonaws-us-gov.com/")
        );
    }
}
