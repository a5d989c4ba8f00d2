//! Did an AWS write take effect? Decided by re-reading the role and comparing with the
//! journal intent's `before` and `after`.

use astro_identity_domain::aws::trust_policy::TrustPolicy;

use crate::CloudError;
use crate::aws::iam::RoleStore;
use crate::aws::permissions::same_json;
use crate::journal::{JournalAction, JournalEntry, Settlement};

/// Compares the role's trust policy now with what the intent had before and wanted after
/// (`None`: no role). Equal to `after` → applied; to `before` → not applied; else someone
/// else changed it.
pub fn judge_trust(
    now: Option<&TrustPolicy>,
    before: Option<&TrustPolicy>,
    after: Option<&TrustPolicy>,
) -> Settlement {
    let same = |a: Option<&TrustPolicy>, b: Option<&TrustPolicy>| match (a, b) {
        (Some(a), Some(b)) => a.semantically_equal(b),
        (None, None) => true,
        _ => false,
    };
    if same(now, after) {
        Settlement::Applied
    } else if same(now, before) {
        Settlement::NotApplied
    } else {
        Settlement::ChangedBySomeoneElse
    }
}

fn parse(document: Option<&str>) -> Result<Option<TrustPolicy>, CloudError> {
    Ok(document.map(TrustPolicy::parse).transpose()?)
}

/// Re-reads what `entry` (an intent) was about to change and says whether it took effect,
/// with what was found in words.
pub async fn classify(
    store: &impl RoleStore,
    entry: &JournalEntry,
) -> Result<(Settlement, String), CloudError> {
    let role = entry.resource_name.as_str();
    let detail = entry.detail.as_deref().unwrap_or("");
    match entry.action {
        JournalAction::CreateRole | JournalAction::UpdateTrustPolicy | JournalAction::DeleteRole => {
            let now = store.get_role(role).await?.map(|r| r.trust_policy);
            let before = parse(entry.before.as_deref())?;
            let after = parse(entry.after.as_deref())?;
            let found = judge_trust(now.as_ref(), before.as_ref(), after.as_ref());
            let words = match (&now, found) {
                (None, _) => format!("role {role} does not exist"),
                (Some(_), Settlement::Applied) => {
                    format!("role {role} has the trust policy the change wrote")
                }
                (Some(_), Settlement::NotApplied) => format!("role {role} has the trust policy from before"),
                (Some(_), Settlement::ChangedBySomeoneElse) => {
                    format!("role {role} has a trust policy that is neither the old nor the new one")
                }
            };
            Ok((found, words))
        }
        JournalAction::AttachPolicy | JournalAction::DetachPolicy => {
            let attached = store.attached_policies(role).await?.iter().any(|a| a == detail);
            let wanted = entry.action == JournalAction::AttachPolicy;
            let found = if attached == wanted { Settlement::Applied } else { Settlement::NotApplied };
            let state = if attached { "is attached to" } else { "is not attached to" };
            Ok((found, format!("{detail} {state} role {role}")))
        }
        JournalAction::PutInlinePolicy => {
            let now = store.inline_policy(role, detail).await?;
            let same = |a: Option<&str>, b: Option<&str>| match (a, b) {
                (Some(a), Some(b)) => same_json(a, b),
                (None, None) => true,
                _ => false,
            };
            let found = if same(now.as_deref(), entry.after.as_deref()) {
                Settlement::Applied
            } else if same(now.as_deref(), entry.before.as_deref()) {
                Settlement::NotApplied
            } else {
                Settlement::ChangedBySomeoneElse
            };
            let words = match found {
                Settlement::Applied => "holds what the change wrote",
                Settlement::NotApplied => "is as it was before",
                Settlement::ChangedBySomeoneElse => "is neither the old nor the new document",
            };
            Ok((found, format!("inline policy {detail} of role {role} {words}")))
        }
        other => Err(CloudError::Refused {
            reason: format!("journal entry {} ({other:?}) is not an AWS role change", entry.id),
            hint: String::from("Settle it from the journey that made it."),
        }),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_trust_policy_is_judged_against_before_and_after() {
        let doc = |principal: &str| {
            TrustPolicy::parse(&format!(
                r#"{{"Version":"2012-10-17","Statement":[{{"Effect":"Allow","Principal":{{"AWS":"{principal}"}},"Action":"sts:AssumeRole"}}]}}"#
            ))
            .expect("valid")
        };
        let (a, b, c) = (doc("111111111111"), doc("222222222222"), doc("333333333333"));
        assert_eq!(judge_trust(Some(&b), Some(&a), Some(&b)), Settlement::Applied);
        assert_eq!(judge_trust(Some(&a), Some(&a), Some(&b)), Settlement::NotApplied);
        assert_eq!(judge_trust(Some(&c), Some(&a), Some(&b)), Settlement::ChangedBySomeoneElse);
        // Create: no role before; delete: no role after.
        assert_eq!(judge_trust(None, None, Some(&b)), Settlement::NotApplied);
        assert_eq!(judge_trust(None, Some(&a), None), Settlement::Applied);
        assert_eq!(judge_trust(None, Some(&a), Some(&b)), Settlement::ChangedBySomeoneElse);
    }
}
