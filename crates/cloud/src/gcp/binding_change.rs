//! A GCP IAM policy as change kinds of the engine (`crate::change`): a grant (members
//! added to one binding in one write, re-merged on the fresh policy at every etag conflict), a
//! hand-edited policy (applied only onto the policy it was made from), and their surgical
//! undos, which remove exactly the grants a change added and put back those it removed.

use serde::Serialize;

use astro_identity_domain::gcp::iam_policy::{Condition, IamPolicy};
use astro_identity_domain::gcp::lint::IamLintLevel;
use astro_identity_domain::gcp::plan::IamPlan;

use astro_identity_domain::gcp::iam_policy::Grant;

use crate::CloudError;
pub use crate::backoff::Backoff;
use crate::change::{self, ChangeKind, Target, refused_outright};
use crate::gcp::projects::{PolicyResource, PolicyStore};
use crate::journal::{Journal, JournalAction, JournalEntry, Settlement, Subject, members_words};

fn verb(count: usize, one: &'static str, many: &'static str) -> &'static str {
    if count == 1 { one } else { many }
}

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

/// Reads the policy and computes the plan to grant `role` to one member. Writes nothing.
pub async fn plan_binding(
    store: &impl PolicyStore,
    resource: &PolicyResource,
    role: &str,
    member: &str,
    condition: Option<&Condition>,
    principal: Option<String>,
) -> Result<BindingChange, CloudError> {
    plan_grant(store, resource, role, &[member.to_owned()], condition, principal).await
}

/// Reads the policy and computes the plan to grant `role` to every one of `members` (several
/// Deployments) — applied as one etag-safe write. Writes nothing.
pub async fn plan_grant(
    store: &impl PolicyStore,
    resource: &PolicyResource,
    role: &str,
    members: &[String],
    condition: Option<&Condition>,
    principal: Option<String>,
) -> Result<BindingChange, CloudError> {
    if members.is_empty() {
        return Err(CloudError::Refused {
            reason: String::from("no member to grant the role to"),
            hint: String::from("Pick at least one Deployment, or give its service account."),
        });
    }
    let before = store.get_policy(resource).await?;
    Ok(BindingChange {
        resource: resource.clone(),
        principal,
        plan: IamPlan::build(&before, role, members, condition),
        console_url: resource.console_url(),
    })
}

/// One grant per member, all of `role` under `condition`.
pub(crate) fn grants_of(role: &str, members: &[String], condition: Option<&Condition>) -> Vec<Grant> {
    members
        .iter()
        .map(|member| Grant { role: role.to_owned(), member: member.clone(), condition: condition.cloned() })
        .collect()
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

/// Applies the planned grant, or a planned hand-edited policy. A grant is re-merged on the
/// freshly read policy at every attempt, so concurrent writers' bindings are kept; the etag
/// of that read makes IAM refuse a write that would lose theirs. A hand edit cannot be
/// re-merged: any change since the plan (or a conflict) refuses, and the UI re-plans.
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
    let resource = change.resource.clone().validated()?;
    let op = if plan.role.is_empty() {
        PolicyOp::Document {
            planned_before: IamPolicy::parse(&plan.before_json)?,
            after: IamPolicy::parse(&plan.compact_after)?,
        }
    } else {
        PolicyOp::Grant(grants_of(&plan.role, &plan.members, plan.condition.as_ref()))
    };
    let kind = PolicyChange {
        store,
        resource: resource.clone(),
        actor: change.principal.clone().unwrap_or_default(),
        op,
    };
    let applied = match change::apply(&kind, journal, backoff).await {
        Err(CloudError::Conflict { .. }) if plan.role.is_empty() => {
            return Err(CloudError::RemoteChanged {
                what: format!("the IAM policy of {resource}"),
                since: "the plan was shown",
            });
        }
        other => other?,
    };
    Ok(BindingOutcome {
        written: applied.written,
        verified: true,
        journal_id: applied.journal_id,
        resource: change.resource.clone(),
        attempts: applied.attempts,
        policy: applied.now.map(|p| p.to_pretty_json()).unwrap_or_default(),
        console_url: change.console_url.clone(),
    })
}

/// What a policy change does.
pub(crate) enum PolicyOp<'a> {
    /// Add the members to the binding (re-merged at every attempt). Every grant has the
    /// same role and condition.
    Grant(Vec<Grant>),
    /// Undo of a grant: remove exactly those members from exactly that binding.
    Revoke { grants: Vec<Grant>, undoes: &'a JournalEntry, expected: Option<IamPolicy> },
    /// Replace the policy with a hand edit, only while it is the one the edit started from.
    Document { planned_before: IamPolicy, after: IamPolicy },
    /// Undo of a hand edit: the grants it added are removed and those it removed put back.
    Restore { undoes: &'a JournalEntry, before: IamPolicy, after: IamPolicy, expected: Option<IamPolicy> },
}

/// A change to one GCP IAM policy. Read and State: the policy.
pub(crate) struct PolicyChange<'a, P> {
    pub store: &'a P,
    pub resource: PolicyResource,
    pub actor: String,
    pub op: PolicyOp<'a>,
}

/// Grants in `a` that `b` does not have.
fn grants_missing(a: &IamPolicy, b: &IamPolicy) -> Vec<Grant> {
    let theirs = b.grants();
    a.grants().into_iter().filter(|g| !theirs.contains(g)).collect()
}

fn with_grants(policy: &IamPolicy, remove: &[Grant], add: &[Grant]) -> IamPolicy {
    let removed =
        remove.iter().fold(policy.clone(), |p, g| p.remove_member(&g.role, &g.member, g.condition.as_ref()));
    add.iter().fold(removed, |p, g| p.add_member(&g.role, &g.member, g.condition.as_ref()))
}

fn grant_words(grant: &Grant) -> String {
    match &grant.condition {
        Some(condition) => format!("{} as {} (condition {:?})", grant.member, grant.role, condition.title),
        None => format!("{} as {}", grant.member, grant.role),
    }
}

impl<P: PolicyStore> PolicyChange<'_, P> {
    /// The grants of a grant or revoke, and whether they are wanted (true) or unwanted.
    fn grants(&self) -> Option<(&[Grant], bool)> {
        match &self.op {
            PolicyOp::Grant(grants) => Some((grants, true)),
            PolicyOp::Revoke { grants, .. } => Some((grants, false)),
            _ => None,
        }
    }

    fn expect(&self, target: &IamPolicy, attempt: u32) -> Result<(), CloudError> {
        let expected = match &self.op {
            PolicyOp::Revoke { expected, .. } | PolicyOp::Restore { expected, .. } => expected.as_ref(),
            _ => None,
        };
        match expected {
            Some(expected) if attempt == 1 && !expected.semantically_equal(target) => {
                Err(CloudError::RemoteChanged {
                    what: format!("the IAM policy of {}", self.resource),
                    since: "the undo was shown",
                })
            }
            _ => Ok(()),
        }
    }

    /// The surgical inverse of a hand edit on the policy as it is now.
    fn restore(
        &self,
        now: &IamPolicy,
        before: &IamPolicy,
        after: &IamPolicy,
    ) -> Result<IamPolicy, CloudError> {
        if now.semantically_equal(after) {
            return with_etag(before, now.etag());
        }
        let (added, removed) = (grants_missing(after, before), grants_missing(before, after));
        if !with_grants(after, &added, &removed).semantically_equal(before) {
            return Err(CloudError::Refused {
                reason: format!(
                    "the IAM policy of {} changed since, and the edit being undone changed more than its \
                     grants (e.g. audit settings), so it cannot be undone on top of the later changes",
                    self.resource
                ),
                hint: String::from("Edit the policy in the bindings editor instead."),
            });
        }
        let gone: Vec<String> = added
            .iter()
            .filter(|g| !now.has_member(&g.role, &g.member, g.condition.as_ref()))
            .map(grant_words)
            .collect();
        if !gone.is_empty() {
            return Err(CloudError::RemoteChanged {
                what: format!(
                    "the IAM policy of {}: {} that the edit added is gone",
                    self.resource,
                    gone.join(", ")
                ),
                since: "the change being undone",
            });
        }
        Ok(with_grants(now, &added, &removed))
    }
}

impl<P: PolicyStore> ChangeKind for PolicyChange<'_, P> {
    type Read = IamPolicy;
    type State = IamPolicy;

    fn subject(&self) -> Subject {
        let resource = self.resource.name();
        match self.grants() {
            Some((grants, _)) => Subject::GcpBinding {
                resource,
                role: grants.first().map(|g| g.role.clone()).unwrap_or_default(),
                members: grants.iter().map(|g| g.member.clone()).collect(),
                condition: grants.first().and_then(|g| g.condition.clone()),
            },
            None => Subject::GcpPolicy { resource },
        }
    }
    fn action(&self) -> JournalAction {
        match self.op {
            PolicyOp::Grant(_) => JournalAction::AddBinding,
            PolicyOp::Revoke { .. } => JournalAction::RemoveBinding,
            PolicyOp::Document { .. } | PolicyOp::Restore { .. } => JournalAction::SetPolicy,
        }
    }
    fn actor(&self) -> String {
        self.actor.clone()
    }
    fn undoes(&self) -> Option<String> {
        match &self.op {
            PolicyOp::Revoke { undoes, .. } | PolicyOp::Restore { undoes, .. } => Some(undoes.id.clone()),
            _ => None,
        }
    }
    async fn read(&self) -> Result<Option<IamPolicy>, CloudError> {
        self.store.get_policy(&self.resource).await.map(Some)
    }
    fn record(&self, read: &IamPolicy) -> Option<IamPolicy> {
        Some(read.clone())
    }
    fn target(&self, current: Option<&IamPolicy>, attempt: u32) -> Result<Target<IamPolicy>, CloudError> {
        let resource = &self.resource;
        let now =
            current.ok_or_else(|| CloudError::NotFound { what: format!("the IAM policy of {resource}") })?;
        let target = match &self.op {
            PolicyOp::Grant(grants) => with_grants(now, &[], grants),
            PolicyOp::Revoke { grants, .. } => {
                let gone: Vec<String> = grants
                    .iter()
                    .filter(|g| !now.has_member(&g.role, &g.member, g.condition.as_ref()))
                    .map(|g| g.member.clone())
                    .collect();
                if let (false, Some(g)) = (gone.is_empty(), grants.first()) {
                    return Err(CloudError::RemoteChanged {
                        what: format!("the {} binding of {} on {resource}", g.role, members_words(&gone)),
                        since: "the change being undone",
                    });
                }
                with_grants(now, grants, &[])
            }
            PolicyOp::Document { planned_before, after } => {
                if !now.semantically_equal(planned_before) {
                    return Err(CloudError::RemoteChanged {
                        what: format!("the IAM policy of {resource}"),
                        since: "the plan was shown",
                    });
                }
                with_etag(after, now.etag())?
            }
            PolicyOp::Restore { before, after, .. } => self.restore(now, before, after)?,
        };
        self.expect(&target, attempt)?;
        if target.semantically_equal(now) {
            return Ok(Target::Unchanged);
        }
        Ok(Target::Write(Some(target)))
    }
    async fn write(&self, _: Option<&IamPolicy>, after: Option<&IamPolicy>) -> Result<(), CloudError> {
        let after = after.ok_or_else(|| CloudError::Refused {
            reason: format!("an IAM policy of {} cannot be deleted", self.resource),
            hint: String::from("Nothing to do."),
        })?;
        self.store.set_policy(&self.resource, after).await.map(|_| ())
    }
    fn judge(
        &self,
        now: Option<&IamPolicy>,
        before: Option<&IamPolicy>,
        after: Option<&IamPolicy>,
    ) -> Settlement {
        let Some(now) = now else { return Settlement::ChangedBySomeoneElse };
        if let Some((grants, wanted)) = self.grants() {
            // With etags, other writers' bindings arriving meanwhile are normal: what counts
            // is whether the members hold the role. One write lands whole or not at all.
            let held =
                grants.iter().filter(|g| now.has_member(&g.role, &g.member, g.condition.as_ref())).count();
            return match (wanted, held) {
                (true, n) if n == grants.len() => Settlement::Applied,
                (false, 0) => Settlement::Applied,
                (true, 0) => Settlement::NotApplied,
                (false, n) if n == grants.len() => Settlement::NotApplied,
                _ => Settlement::ChangedBySomeoneElse,
            };
        }
        if after.is_some_and(|a| a.semantically_equal(now)) {
            Settlement::Applied
        } else if before.is_some_and(|b| b.semantically_equal(now)) {
            Settlement::NotApplied
        } else {
            Settlement::ChangedBySomeoneElse
        }
    }
    fn found(&self, now: Option<&IamPolicy>, found: Settlement) -> String {
        let resource = &self.resource;
        if let Some((grants, _)) = self.grants() {
            let (has, lacks): (Vec<&Grant>, Vec<&Grant>) = grants
                .iter()
                .partition(|g| now.is_some_and(|p| p.has_member(&g.role, &g.member, g.condition.as_ref())));
            let role = grants.first().map(|g| g.role.as_str()).unwrap_or_default();
            let words =
                |list: &[&Grant]| members_words(&list.iter().map(|g| g.member.clone()).collect::<Vec<_>>());
            return match (has.is_empty(), lacks.is_empty()) {
                (false, true) => {
                    format!("{} {} {role} on {resource}", words(&has), verb(has.len(), "has", "have"))
                }
                (true, _) => format!(
                    "{} {} {role} on {resource}",
                    words(&lacks),
                    verb(lacks.len(), "does not have", "do not have")
                ),
                (false, false) => format!(
                    "{} {} {role} on {resource}, {} not",
                    words(&has),
                    verb(has.len(), "has", "have"),
                    words(&lacks)
                ),
            };
        }
        match found {
            Settlement::Applied => format!("the IAM policy of {resource} is the edited one"),
            Settlement::NotApplied => format!("the IAM policy of {resource} is as it was before"),
            Settlement::ChangedBySomeoneElse => {
                format!("the IAM policy of {resource} is neither the old nor the edited one")
            }
        }
    }
    fn not_held(&self, _: Option<&IamPolicy>, _: &str) -> String {
        let resource = &self.resource;
        match self.grants() {
            Some((grants, wanted)) => {
                let role = grants.first().map(|g| g.role.as_str()).unwrap_or_default();
                let members: Vec<String> = grants.iter().map(|g| g.member.clone()).collect();
                let (count, members) = (members.len(), members_words(&members));
                match (wanted, count) {
                    (true, 1) => {
                        format!("{members} is not in the {role} binding of {resource} after the write")
                    }
                    (true, _) => format!(
                        "not all of {members} are in the {role} binding of {resource} after the write"
                    ),
                    (false, 1) => format!("{members} still has {role} on {resource}"),
                    (false, _) => format!("some of {members} still have {role} on {resource}"),
                }
            }
            None => format!("the IAM policy of {resource} reads back differently"),
        }
    }
    fn definite(&self, err: &CloudError) -> bool {
        // The Google clients send a write once: a refusal from the server is definite.
        matches!(
            err,
            CloudError::Conflict { .. } | CloudError::Throttled { .. } | CloudError::NotFound { .. }
        ) || refused_outright(err)
    }
    fn retry(&self, err: &CloudError) -> bool {
        match self.op {
            PolicyOp::Grant(_) | PolicyOp::Revoke { .. } => {
                matches!(err, CloudError::Conflict { .. } | CloudError::Throttled { .. })
            }
            PolicyOp::Document { .. } | PolicyOp::Restore { .. } => {
                matches!(err, CloudError::Throttled { .. })
            }
        }
    }
}
