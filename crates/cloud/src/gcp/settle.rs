//! Did a GCP policy write take effect? Decided by re-reading the policy.
//!
//! A grant is judged by membership, not by the whole document: with etags, other writers'
//! bindings arriving meanwhile are normal, and what matters (and what undo checks) is
//! whether the member holds the role. A hand-edited policy (`SetPolicy`) is judged against
//! the intent's `before` and `after`.

use astro_identity_domain::gcp::iam_policy::IamPolicy;

use crate::CloudError;
use crate::gcp::binding_change::parse_detail;
use crate::gcp::projects::{PolicyResource, PolicyStore};
use crate::journal::{JournalAction, JournalEntry, Settlement};

/// Re-reads the policy `entry` (an intent) was about to change and says whether it took
/// effect, with what was found in words.
pub async fn classify(
    store: &impl PolicyStore,
    entry: &JournalEntry,
) -> Result<(Settlement, String), CloudError> {
    let resource = PolicyResource::from_name(&entry.resource_arn)?;
    let now = store.get_policy(&resource).await?;
    judge(&now, entry, &resource)
}

/// [`classify`] on a policy already read.
pub fn judge(
    now: &IamPolicy,
    entry: &JournalEntry,
    resource: &PolicyResource,
) -> Result<(Settlement, String), CloudError> {
    match entry.action {
        JournalAction::AddBinding | JournalAction::RemoveBinding => {
            let (role, member, condition) = parse_detail(entry.detail.as_deref().unwrap_or(""))?;
            let has = now.has_member(&role, &member, condition.as_ref());
            let wanted = entry.action == JournalAction::AddBinding;
            let found = if has == wanted { Settlement::Applied } else { Settlement::NotApplied };
            let state = if has { "has" } else { "does not have" };
            Ok((found, format!("{member} {state} {role} on {resource}")))
        }
        JournalAction::SetPolicy => {
            let parse = |doc: Option<&str>| doc.map(IamPolicy::parse).transpose();
            let (before, after) = (parse(entry.before.as_deref())?, parse(entry.after.as_deref())?);
            if after.as_ref().is_some_and(|a| a.semantically_equal(now)) {
                Ok((Settlement::Applied, format!("the IAM policy of {resource} is the edited one")))
            } else if before.as_ref().is_some_and(|b| b.semantically_equal(now)) {
                Ok((Settlement::NotApplied, format!("the IAM policy of {resource} is as it was before")))
            } else {
                Ok((
                    Settlement::ChangedBySomeoneElse,
                    format!("the IAM policy of {resource} is neither the old nor the edited one"),
                ))
            }
        }
        other => Err(CloudError::Refused {
            reason: format!("journal entry {} ({other:?}) is not a GCP policy change", entry.id),
            hint: String::from("Settle it from the journey that made it."),
        }),
    }
}
