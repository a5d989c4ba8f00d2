//! A GCP IAM policy as change kinds of the engine (`crate::change`): a grant (one member
//! added to one binding, re-merged on the fresh policy at every etag conflict), a
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
use crate::journal::{Journal, JournalAction, JournalEntry, Settlement, Subject};

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
        PolicyOp::Grant(Grant {
            role: plan.role.clone(),
            member: plan.member.clone(),
            condition: plan.condition.clone(),
        })
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
    /// Add the member to the binding (re-merged at every attempt).
    Grant(Grant),
    /// Undo of a grant: remove exactly that member from exactly that binding.
    Revoke { grant: Grant, undoes: &'a JournalEntry, expected: Option<IamPolicy> },
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
    fn grant(&self) -> Option<(&Grant, bool)> {
        match &self.op {
            PolicyOp::Grant(grant) => Some((grant, true)),
            PolicyOp::Revoke { grant, .. } => Some((grant, false)),
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
        match self.grant() {
            Some((grant, _)) => Subject::GcpBinding {
                resource,
                role: grant.role.clone(),
                member: grant.member.clone(),
                condition: grant.condition.clone(),
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
            PolicyOp::Grant(g) => now.add_member(&g.role, &g.member, g.condition.as_ref()),
            PolicyOp::Revoke { grant: g, .. } => {
                if !now.has_member(&g.role, &g.member, g.condition.as_ref()) {
                    return Err(CloudError::RemoteChanged {
                        what: format!("the {} binding of {} on {resource}", g.role, g.member),
                        since: "the change being undone",
                    });
                }
                now.remove_member(&g.role, &g.member, g.condition.as_ref())
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
        if let Some((g, wanted)) = self.grant() {
            // With etags, other writers' bindings arriving meanwhile are normal: what counts
            // is whether the member holds the role.
            let has = now.has_member(&g.role, &g.member, g.condition.as_ref());
            return if has == wanted { Settlement::Applied } else { Settlement::NotApplied };
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
        if let Some((g, _)) = self.grant() {
            let has = now.is_some_and(|p| p.has_member(&g.role, &g.member, g.condition.as_ref()));
            let state = if has { "has" } else { "does not have" };
            return format!("{} {state} {} on {resource}", g.member, g.role);
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
        match self.grant() {
            Some((g, true)) => {
                format!("{} is not in the {} binding of {resource} after the write", g.member, g.role)
            }
            Some((g, false)) => format!("{} still has {} on {resource}", g.member, g.role),
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
