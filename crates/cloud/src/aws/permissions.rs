//! What the role may do: attach managed policies and write inline ones. Each write is
//! journaled (intent, then outcome), checked by reading back, and undoable, like
//! trust-policy changes.

use serde::Serialize;
use serde_json::Value;

use astro_identity_domain::aws::permission_policy::{PermissionPolicy, validate_policy_name};

use crate::CloudError;
use crate::aws::iam::RoleStore;
use crate::aws::settle;
use crate::journal::{Journal, JournalAction, JournalEntry, Settlement};
use crate::settle::after_failed_write;

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
    let mut entry = JournalEntry::now("aws", &caller.account, &caller.arn, JournalAction::AttachPolicy);
    entry.resource_name = role.to_owned();
    entry.detail = Some(policy_arn.to_owned());
    journal.intend(&entry)?;
    let settled =
        written_or_settled(store, journal, &entry, store.attach_policy(role, policy_arn).await).await?;
    let attached = store.attached_policies(role).await.map(|list| list.iter().any(|a| a == policy_arn));
    finish(journal, &entry, settled, attached, || format!("{policy_arn} is not attached to role {role}"))?;
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
    let wanted = document.to_compact_json();
    if before.as_deref().is_some_and(|b| same_json(b, &wanted)) {
        return Ok(outcome(false, None));
    }
    let mut entry = JournalEntry::now("aws", &caller.account, &caller.arn, JournalAction::PutInlinePolicy);
    entry.resource_name = role.to_owned();
    entry.detail = Some(name.to_owned());
    entry.before = before;
    entry.after = Some(wanted.clone());
    journal.intend(&entry)?;
    let write = store.put_inline_policy(role, name, &wanted).await;
    let settled = written_or_settled(store, journal, &entry, write).await?;
    let verified = store.inline_policy(role, name).await.map(|r| r.is_some_and(|r| same_json(&r, &wanted)));
    finish(journal, &entry, settled, verified, || {
        format!("inline policy {name} of role {role} reads back differently")
    })?;
    Ok(outcome(true, Some(entry.id)))
}

/// `Ok(false)`: the write call succeeded. `Ok(true)`: it failed but the change landed
/// anyway (settled by re-reading). `Err`: it did not take effect, outcome journaled.
async fn written_or_settled(
    store: &impl RoleStore,
    journal: &Journal,
    entry: &JournalEntry,
    write: Result<(), CloudError>,
) -> Result<bool, CloudError> {
    match write {
        Ok(()) => Ok(false),
        Err(err) => {
            // The SDK retries, so a final refusal may follow an attempt that landed.
            let before_sending = matches!(err, CloudError::Credentials { .. } | CloudError::Domain(_));
            after_failed_write(journal, entry, err, before_sending, settle::classify(store, entry)).await?;
            Ok(true)
        }
    }
}

/// Journals how a write ended once read back (`verified`): `done`; or, read back wrong, that
/// someone else changed it (`VerifyFailed`); or, when the read itself failed, that the
/// service accepted it. Nothing when `settled` already journaled the outcome.
fn finish(
    journal: &Journal,
    entry: &JournalEntry,
    settled: bool,
    verified: Result<bool, CloudError>,
    what: impl FnOnce() -> String,
) -> Result<(), CloudError> {
    match verified {
        Ok(true) if settled => Ok(()),
        Ok(true) => journal.done(&entry.id),
        Ok(false) => {
            if !settled {
                journal.settled(&entry.id, Settlement::ChangedBySomeoneElse, "reads back differently")?;
            }
            Err(CloudError::VerifyFailed { what: what() })
        }
        Err(err) => {
            if !settled {
                let reason = format!("IAM accepted the write; reading it back failed: {err}");
                journal.settled(&entry.id, Settlement::Applied, &reason)?;
            }
            Err(err)
        }
    }
}

/// Undoes an `AttachPolicy` or `PutInlinePolicy` entry, refusing when the role moved on.
/// Journals `undo` as an intent before writing and its outcome after verifying.
pub(crate) async fn undo_permission(
    store: &impl RoleStore,
    journal: &Journal,
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
            undo.action = JournalAction::DetachPolicy;
            journal.intend(undo)?;
            let settled =
                written_or_settled(store, journal, undo, store.detach_policy(role, &detail).await).await?;
            let detached = store.attached_policies(role).await.map(|list| !list.contains(&detail));
            finish(journal, undo, settled, detached, || format!("{detail} is still attached to role {role}"))
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
            undo.action = JournalAction::PutInlinePolicy;
            journal.intend(undo)?;
            let write = match &entry.before {
                Some(before) => store.put_inline_policy(role, &detail, before).await,
                None => store.delete_inline_policy(role, &detail).await,
            };
            let settled = written_or_settled(store, journal, undo, write).await?;
            let restored = store.inline_policy(role, &detail).await.map(|now| match (&now, &entry.before) {
                (Some(now), Some(before)) => same_json(now, before),
                (None, None) => true,
                _ => false,
            });
            finish(journal, undo, settled, restored, || {
                format!("inline policy {detail} of role {role} was not restored")
            })
        }
        _ => Err(CloudError::Refused {
            reason: format!("journal entry {} is not a permission change", entry.id),
            hint: String::from("Nothing to do."),
        }),
    }
}

/// Equal as JSON values: IAM may re-serialise documents.
pub(crate) fn same_json(a: &str, b: &str) -> bool {
    match (serde_json::from_str::<Value>(a), serde_json::from_str::<Value>(b)) {
        (Ok(a), Ok(b)) => a == b,
        _ => a == b,
    }
}
