//! What the role may do: attach managed policies and write inline ones. Each write is
//! checked by reading back and journaled for undo, like trust-policy changes.

use serde::Serialize;
use serde_json::Value;

use astro_identity_domain::aws::permission_policy::{PermissionPolicy, validate_policy_name};

use crate::CloudError;
use crate::aws::iam::RoleStore;
use crate::journal::{Journal, JournalAction, JournalEntry};

#[derive(Debug, Clone, Serialize)]
#[cfg_attr(feature = "specta", derive(specta::Type))]
#[serde(rename_all = "camelCase")]
pub struct PermissionOutcome {
    /// False when the policy was already there exactly as asked.
    pub written: bool,
    pub journal_id: Option<String>,
    pub role_name: String,
    /// The policy ARN or the inline policy's name.
    pub policy: String,
}

pub async fn attach_policy(
    store: &impl RoleStore,
    role: &str,
    policy_arn: &str,
    journal: &Journal,
) -> Result<PermissionOutcome, CloudError> {
    let caller = store.caller().await?;
    let outcome = |written, journal_id| PermissionOutcome {
        written,
        journal_id,
        role_name: role.to_owned(),
        policy: policy_arn.to_owned(),
    };
    if store.attached_policies(role).await?.iter().any(|a| a == policy_arn) {
        return Ok(outcome(false, None));
    }
    store.attach_policy(role, policy_arn).await?;
    let mut entry = JournalEntry::now("aws", &caller.account, &caller.arn, JournalAction::AttachPolicy);
    entry.resource_name = role.to_owned();
    entry.detail = Some(policy_arn.to_owned());
    journal.append(&entry)?;
    if !store.attached_policies(role).await?.iter().any(|a| a == policy_arn) {
        return Err(CloudError::VerifyFailed {
            what: format!("{policy_arn} is not attached to role {role}"),
        });
    }
    Ok(outcome(true, Some(entry.id)))
}

pub async fn put_inline_policy(
    store: &impl RoleStore,
    role: &str,
    name: &str,
    document: &PermissionPolicy,
    journal: &Journal,
) -> Result<PermissionOutcome, CloudError> {
    validate_policy_name(name)?;
    let caller = store.caller().await?;
    let before = store.inline_policy(role, name).await?;
    let outcome = |written, journal_id| PermissionOutcome {
        written,
        journal_id,
        role_name: role.to_owned(),
        policy: name.to_owned(),
    };
    if before.as_deref().is_some_and(|b| same_json(b, &document.to_compact_json())) {
        return Ok(outcome(false, None));
    }
    store.put_inline_policy(role, name, &document.to_compact_json()).await?;
    let mut entry = JournalEntry::now("aws", &caller.account, &caller.arn, JournalAction::PutInlinePolicy);
    entry.resource_name = role.to_owned();
    entry.detail = Some(name.to_owned());
    entry.before = before;
    entry.after = Some(document.to_compact_json());
    journal.append(&entry)?;
    let read_back = store.inline_policy(role, name).await?;
    if !read_back.as_deref().is_some_and(|r| same_json(r, &document.to_compact_json())) {
        return Err(CloudError::VerifyFailed {
            what: format!("inline policy {name} of role {role} reads back differently"),
        });
    }
    Ok(outcome(true, Some(entry.id)))
}

/// Undoes an `AttachPolicy` or `PutInlinePolicy` entry, refusing when the role moved on.
pub(crate) async fn undo_permission(
    store: &impl RoleStore,
    entry: &JournalEntry,
    undo: &mut JournalEntry,
) -> Result<(), CloudError> {
    let role = &entry.resource_name;
    let detail = entry.detail.clone().unwrap_or_default();
    undo.detail = entry.detail.clone();
    match entry.action {
        JournalAction::AttachPolicy => {
            if !store.attached_policies(role).await?.contains(&detail) {
                return Err(CloudError::RemoteChanged {
                    what: format!("{detail} on role {role}"),
                    since: "the change being undone",
                });
            }
            store.detach_policy(role, &detail).await?;
            undo.action = JournalAction::DetachPolicy;
            if store.attached_policies(role).await?.contains(&detail) {
                return Err(CloudError::VerifyFailed {
                    what: format!("{detail} is still attached to role {role}"),
                });
            }
        }
        JournalAction::PutInlinePolicy => {
            let current = store.inline_policy(role, &detail).await?;
            let unchanged = match (&current, &entry.after) {
                (Some(now), Some(after)) => same_json(now, after),
                (None, None) => true,
                _ => false,
            };
            if !unchanged {
                return Err(CloudError::RemoteChanged {
                    what: format!("inline policy {detail} of role {role}"),
                    since: "the change being undone",
                });
            }
            match &entry.before {
                Some(before) => store.put_inline_policy(role, &detail, before).await?,
                None => store.delete_inline_policy(role, &detail).await?,
            }
            undo.action = JournalAction::PutInlinePolicy;
            let now = store.inline_policy(role, &detail).await?;
            let restored = match (&now, &entry.before) {
                (Some(now), Some(before)) => same_json(now, before),
                (None, None) => true,
                _ => false,
            };
            if !restored {
                return Err(CloudError::VerifyFailed {
                    what: format!("inline policy {detail} of role {role} was not restored"),
                });
            }
        }
        _ => {
            return Err(CloudError::Refused {
                reason: format!("journal entry {} is not a permission change", entry.id),
                hint: String::from("Nothing to do."),
            });
        }
    }
    Ok(())
}

/// Equal as JSON values: IAM may re-serialise documents.
fn same_json(a: &str, b: &str) -> bool {
    match (serde_json::from_str::<Value>(a), serde_json::from_str::<Value>(b)) {
        (Ok(a), Ok(b)) => a == b,
        _ => a == b,
    }
}
