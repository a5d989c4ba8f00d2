//! Lines of the first journal format, upgraded to typed entries when read.
//!
//! That format named the resource with `cloud`, `account`, `resourceName` and
//! `resourceArn`, kept documents as compact JSON strings and put the rest in `detail`: a
//! managed policy ARN, an inline policy's name, a GCP grant as JSON, or the bytes appended to
//! a `requirements.txt` (with `lengthBefore`, `lengthAfter` and `fileCreated`). Airflow and
//! `requirements.txt` changes were one record written after the fact (no `record`).

use serde::Deserialize;
use serde_json::{Value, json};

use super::{JournalAction, JournalEntry, RecordKind, Subject};

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct OldEntry {
    id: String,
    time: String,
    cloud: String,
    account: String,
    #[serde(default)]
    actor: String,
    action: JournalAction,
    #[serde(default)]
    resource_name: String,
    #[serde(default)]
    resource_arn: String,
    before: Option<String>,
    after: Option<String>,
    undoes: Option<String>,
    #[serde(default)]
    detail: Option<String>,
    #[serde(default)]
    undo_unavailable: Option<String>,
    #[serde(default)]
    length_before: Option<u64>,
    #[serde(default)]
    length_after: Option<u64>,
    #[serde(default)]
    file_created: Option<bool>,
    #[serde(default)]
    record: Option<RecordKind>,
}

/// The typed entry an old line stands for; `None` when it is not one (a torn line).
pub(super) fn upgrade(value: Value) -> Option<JournalEntry> {
    let old: OldEntry = serde_json::from_value(value).ok()?;
    let document =
        |text: &Option<String>| text.as_deref().and_then(|t| serde_json::from_str::<Value>(t).ok());
    let detail = old.detail.clone().unwrap_or_default();
    let (subject, before, after) = match old.action {
        JournalAction::CreateRole | JournalAction::UpdateTrustPolicy | JournalAction::DeleteRole => (
            Subject::TrustPolicy {
                account: old.account,
                role: old.resource_name,
                role_arn: old.resource_arn,
            },
            document(&old.before),
            document(&old.after),
        ),
        JournalAction::AttachPolicy | JournalAction::DetachPolicy => {
            let attach = old.action == JournalAction::AttachPolicy;
            (
                Subject::ManagedPolicyAttachment {
                    account: old.account,
                    role: old.resource_name,
                    policy_arn: detail,
                },
                Some(Value::Bool(!attach)),
                Some(Value::Bool(attach)),
            )
        }
        JournalAction::PutInlinePolicy => (
            Subject::InlinePolicy { account: old.account, role: old.resource_name, name: detail },
            document(&old.before),
            document(&old.after),
        ),
        JournalAction::AddBinding | JournalAction::RemoveBinding => {
            let grant: Value = serde_json::from_str(&detail).ok()?;
            (
                Subject::GcpBinding {
                    resource: old.resource_arn,
                    role: grant["role"].as_str()?.to_owned(),
                    members: vec![grant["member"].as_str()?.to_owned()],
                    condition: serde_json::from_value(grant["condition"].clone()).ok()?,
                },
                document(&old.before),
                document(&old.after),
            )
        }
        JournalAction::SetPolicy => {
            (Subject::GcpPolicy { resource: old.resource_arn }, document(&old.before), document(&old.after))
        }
        JournalAction::CreateConnection
        | JournalAction::ReplaceConnection
        | JournalAction::DeleteConnection => (
            Subject::AirflowConnection {
                destination: old.cloud,
                account: old.account,
                address: old.resource_arn,
                conn_id: old.resource_name,
            },
            document(&old.before),
            document(&old.after),
        ),
        // The first format predates OIDC providers.
        JournalAction::CreateOidcProvider
        | JournalAction::SetWorkloadIdentity
        | JournalAction::AddOidcClientId
        | JournalAction::DeleteOidcProvider
        | JournalAction::RemoveOidcClientId => return None,
        JournalAction::AddRequirement | JournalAction::RemoveRequirement => {
            let (short, long) = match old.action {
                JournalAction::AddRequirement => (old.length_before?, old.length_after?),
                _ => (old.length_after?, old.length_before?),
            };
            let without =
                (short > 0 || old.file_created != Some(true)).then(|| json!({"length": short, "tail": ""}));
            let with = Some(json!({"length": long, "tail": detail}));
            let subject = Subject::Requirements { project: old.account, path: old.resource_name };
            match old.action {
                JournalAction::AddRequirement => (subject, without, with),
                _ => (subject, with, without),
            }
        }
    };
    Some(JournalEntry {
        id: old.id,
        time: old.time,
        actor: old.actor,
        subject,
        action: old.action,
        before,
        after,
        undoes: old.undoes,
        undo_unavailable: old.undo_unavailable,
        record: old.record,
    })
}
