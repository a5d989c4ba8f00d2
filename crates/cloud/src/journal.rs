//! The undo journal: `journal.jsonl`, one JSON record a line, appended and synced to disk
//! before the app goes on. It records before and after documents, the account and the
//! resource — never a secret (policies and ARNs are not secrets; an Airflow connection whose
//! Extra holds a value Airflow hides is not recorded at all, and of a `requirements.txt`
//! only the line the app appended and the file's lengths are).
//!
//! # Records
//! A cloud write is journaled in two records, so a crash between them is noticed:
//!
//! 1. an **intent** (`"record":"intent"`): a [`JournalEntry`] saying what is about to be
//!    written (resource, `before`, `after`, an `id`), synced *before* the write is sent;
//! 2. an **outcome** (`"record":"outcome"`, an [`OutcomeRecord`] with the intent's `id`),
//!    synced once the write was verified or refused: `done` (verified), `failed` (it did not
//!    take effect, or was overwritten before it could be verified) or `settled` (re-read
//!    after an interruption: `applied` true, false, or absent when someone else changed the
//!    resource meanwhile).
//!
//! An intent without an outcome is *pending*: the process died (or lost the network) between
//! the two. [`Journal::pending`] lists them and `crate::settle` re-reads the resource and
//! appends the missing outcome.
//!
//! # Format
//! Each entry names its [`Subject`] (which role, grant, connection or file) and carries its
//! `before` and `after` states in that subject's typed form. Lines of the first format
//! (`cloud`, `resourceName`, `detail`, file lengths; Airflow and `requirements.txt` changes
//! journaled after the fact in one record) are upgraded when read (`legacy.rs`) and count
//! as applied unless they are intents.
//!
//! Only applied changes are history: [`Journal::entries`] and undo consider nothing else.

use std::collections::HashMap;
use std::fs::OpenOptions;
use std::io::{BufRead, BufReader, Write};
use std::path::{Path, PathBuf};

use astro_identity_domain::gcp::iam_policy::Condition;
use serde::{Deserialize, Serialize};
use serde_json::Value;
use time::OffsetDateTime;
use time::format_description::well_known::Rfc3339;

use crate::CloudError;

mod legacy;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "specta", derive(specta::Type))]
#[serde(rename_all = "camelCase")]
pub enum JournalAction {
    /// A role was created with `after` as its trust policy.
    CreateRole,
    /// A role's trust policy went from `before` to `after`.
    UpdateTrustPolicy,
    /// A role created by the app was deleted again (undo of `CreateRole`).
    DeleteRole,
    /// The managed policy of the subject was attached to the role.
    AttachPolicy,
    /// It was detached (undo of `AttachPolicy`).
    DetachPolicy,
    /// The subject's inline policy went from `before` to `after` (`None`: deleted).
    PutInlinePolicy,
    /// GCP: the subject's grant (role, member, condition) was added to a policy.
    AddBinding,
    /// GCP: that grant was removed again (undo of `AddBinding`).
    RemoveBinding,
    /// GCP: the policy was replaced by a hand-edited one (`before` → `after`); undone by
    /// writing `before` back.
    SetPolicy,
    /// Airflow / Astro: the subject's connection was created; `after` is its
    /// `{conn_type, extra}` (compact JSON, values under sensitive keys left out).
    CreateConnection,
    /// Airflow / Astro: the connection's type and Extra went from `before` to `after`.
    /// `before` is `None` when the replaced connection held values Airflow hides; then
    /// `undo_unavailable` says why it cannot be undone.
    ReplaceConnection,
    /// Airflow / Astro: a connection the app created was deleted again (undo of
    /// `CreateConnection`).
    DeleteConnection,
    /// An Astro Deployment's workload identity was set (`before`/`after`:
    /// `{workloadIdentity}`); its undo sets `before` back.
    SetWorkloadIdentity,
    /// An IAM OIDC identity provider was created (`after`: its client ids).
    CreateOidcProvider,
    /// `sts.amazonaws.com` was added to an existing provider's client ids.
    AddOidcClientId,
    /// A provider the app created was deleted again (undo of `CreateOidcProvider`).
    DeleteOidcProvider,
    /// The client id the app added was removed again (undo of `AddOidcClientId`).
    RemoveOidcClientId,
    /// A project's `requirements.txt` had a line appended: `after`'s tail.
    AddRequirement,
    /// Those appended bytes were cut off again (undo of `AddRequirement`).
    RemoveRequirement,
}

/// What a journaled change changed: one resource, named the way its cloud names it. Typed,
/// so nothing downstream re-parses a string to learn which policy, grant or file it was.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "camelCase", rename_all_fields = "camelCase")]
pub enum Subject {
    /// A role's trust policy (the role itself for a create or delete).
    TrustPolicy { account: String, role: String, role_arn: String },
    /// Whether a managed policy is attached to a role. States: `true` / `false`.
    ManagedPolicyAttachment { account: String, role: String, policy_arn: String },
    /// One inline policy of a role. States: the document; absent when there is none.
    InlinePolicy { account: String, role: String, name: String },
    /// Members added to (or removed from) one role binding, under a condition, in a GCP IAM
    /// policy, in one write. States: the whole policy as read and written. Entries of one
    /// member written before several were possible say `member`; they read the same.
    GcpBinding {
        resource: String,
        role: String,
        #[serde(alias = "member", deserialize_with = "one_or_many")]
        members: Vec<String>,
        condition: Option<Condition>,
    },
    /// A GCP IAM policy replaced as a whole (a hand edit). States: the policy.
    GcpPolicy { resource: String },
    /// An Astro Deployment's workload identity, through the Astro API at `api`.
    AstroDeployment { api: String, organization: String, deployment_id: String, name: String },
    /// An IAM OIDC identity provider (a cluster's issuer, for Customer Managed Identity).
    /// States: `{clientIds}`; absent when there is no provider.
    OidcProvider { account: String, arn: String, url: String },
    /// An Airflow connection in an Airflow (`destination` `airflow`) or in Astro's
    /// Environment Manager (`astro`); `account` is the store's address, `address` the
    /// connection's. States: `{conn_type, extra}` without values the store hides.
    AirflowConnection { destination: String, account: String, address: String, conn_id: String },
    /// A project's `requirements.txt` (`path` absolute). States: [`FileTail`].
    Requirements { project: String, path: String },
}

/// "a", "a and b", "a, b and c": members as a sentence names them.
pub fn members_words(members: &[String]) -> String {
    match members {
        [] => String::from("no member"),
        [one] => one.clone(),
        [init @ .., last] => format!("{} and {last}", init.join(", ")),
    }
}

/// Reads `"member": "x"` (one member, the first format) and `"members": ["x", …]` alike.
fn one_or_many<'de, D: serde::Deserializer<'de>>(deserializer: D) -> Result<Vec<String>, D::Error> {
    #[derive(Deserialize)]
    #[serde(untagged)]
    enum OneOrMany {
        One(String),
        Many(Vec<String>),
    }
    Ok(match OneOrMany::deserialize(deserializer)? {
        OneOrMany::One(member) => vec![member],
        OneOrMany::Many(members) => members,
    })
}

/// What the journal keeps of a file the app appended to: its length and the bytes it ends
/// with (the appended line; empty for "before") — never its other contents, which can hold
/// private index URLs with tokens.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct FileTail {
    pub length: u64,
    pub tail: String,
}

impl Subject {
    /// `aws`, `gcp`, `airflow`, `astro` or `project`: whose credentials reach it.
    pub fn cloud(&self) -> &str {
        match self {
            Self::TrustPolicy { .. }
            | Self::ManagedPolicyAttachment { .. }
            | Self::InlinePolicy { .. }
            | Self::OidcProvider { .. } => "aws",
            Self::GcpBinding { .. } | Self::GcpPolicy { .. } => "gcp",
            Self::AirflowConnection { destination, .. } => destination,
            Self::AstroDeployment { .. } => ASTRO_DEPLOYMENT_CLOUD,
            Self::Requirements { .. } => PROJECT_CLOUD,
        }
    }

    /// The AWS account, the GCP resource name, the connection store or the project folder.
    pub fn account(&self) -> &str {
        match self {
            Self::TrustPolicy { account, .. }
            | Self::ManagedPolicyAttachment { account, .. }
            | Self::InlinePolicy { account, .. }
            | Self::OidcProvider { account, .. }
            | Self::AirflowConnection { account, .. } => account,
            Self::AstroDeployment { organization, .. } => organization,
            Self::GcpBinding { resource, .. } | Self::GcpPolicy { resource } => resource,
            Self::Requirements { project, .. } => project,
        }
    }

    /// The role, the GCP resource, the connection id or the file.
    pub fn resource_name(&self) -> String {
        match self {
            Self::TrustPolicy { role, .. }
            | Self::ManagedPolicyAttachment { role, .. }
            | Self::InlinePolicy { role, .. } => role.clone(),
            Self::GcpBinding { resource, .. } | Self::GcpPolicy { resource } => gcp_resource_words(resource),
            Self::AirflowConnection { conn_id, .. } => conn_id.clone(),
            Self::Requirements { path, .. } => path.clone(),
            Self::OidcProvider { url, .. } => format!("OIDC provider {url}"),
            Self::AstroDeployment { name, deployment_id, .. } => {
                format!("Deployment {name} ({deployment_id})")
            }
        }
    }

    /// Where it is, for people: "role data in account 123456789012".
    pub fn describe(&self) -> String {
        match self {
            Self::TrustPolicy { account, role, .. } => format!("role {role} in account {account}"),
            Self::OidcProvider { account, url, .. } => format!("OIDC provider {url} in account {account}"),
            Self::AstroDeployment { name, deployment_id, organization, .. } => {
                format!("Deployment {name} ({deployment_id}) in Astro organization {organization}")
            }
            Self::ManagedPolicyAttachment { account, role, policy_arn } => {
                format!("{policy_arn} on role {role} in account {account}")
            }
            Self::InlinePolicy { account, role, name } => {
                format!("inline policy {name} of role {role} in account {account}")
            }
            Self::GcpBinding { resource, role, members, .. } => {
                format!(
                    "{} in the {role} binding of {}",
                    members_words(members),
                    gcp_resource_words(resource)
                )
            }
            Self::GcpPolicy { resource } => format!("the IAM policy of {}", gcp_resource_words(resource)),
            Self::AirflowConnection { conn_id, account, destination, .. } => {
                format!("connection {conn_id} in {}", if destination == "astro" { "Astro" } else { account })
            }
            Self::Requirements { path, .. } => path.clone(),
        }
    }
}

/// `project astro-data` / `service account x@…` from a REST resource name.
fn gcp_resource_words(name: &str) -> String {
    if let Some(email) = name.strip_prefix("projects/-/serviceAccounts/") {
        format!("service account {email}")
    } else if let Some(id) = name.strip_prefix("projects/") {
        format!("project {id}")
    } else {
        name.to_owned()
    }
}

/// The journal's `cloud` for project file changes.
pub const PROJECT_CLOUD: &str = "project";

/// `cloud()` of an Astro Deployment's workload identity (the Astro API's Deployment side;
/// `astro` is its Environment Manager).
pub const ASTRO_DEPLOYMENT_CLOUD: &str = "astro-deployment";

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct JournalEntry {
    pub id: String,
    /// RFC 3339, UTC.
    pub time: String,
    /// Who made the change (the caller ARN, the service account), when known.
    pub actor: String,
    pub subject: Subject,
    pub action: JournalAction,
    /// The subject's state before the write, in its kind's typed form (see [`Subject`]);
    /// `None` when it did not exist — or, with `undo_unavailable`, was not recorded.
    pub before: Option<Value>,
    /// Its state the write makes; `None` when the write deletes it.
    pub after: Option<Value>,
    /// The entry this one undid.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub undoes: Option<String>,
    /// Why this entry cannot be undone (its earlier state was deliberately not recorded).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub undo_unavailable: Option<String>,
    /// `Some(Intent)` when written before the change was sent (an outcome record follows);
    /// `None` for lines of the first journal format, journaled after the fact.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub record: Option<RecordKind>,
}

/// What kind of line a record is. Lines without one are complete entries.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub enum RecordKind {
    Intent,
    Outcome,
}

/// How an intent ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "specta", derive(specta::Type))]
#[serde(rename_all = "camelCase")]
pub enum Outcome {
    /// Written and verified by reading back.
    Done,
    /// Refused or not written; or overwritten by another writer before it was verified.
    /// Either way the resource does not hold it.
    Failed,
    /// Decided later by re-reading the resource (after a lost answer or a crash).
    Settled,
}

/// The second record of a journaled write.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct OutcomeRecord {
    /// Always [`RecordKind::Outcome`].
    pub record: RecordKind,
    /// The intent this record ends.
    pub id: String,
    /// RFC 3339, UTC.
    pub time: String,
    pub outcome: Outcome,
    /// `settled` only: whether the resource holds the intent's `after` (true), its `before`
    /// (false), or something else, changed by someone (absent).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub applied: Option<bool>,
    /// Why, for people: the error, or what the re-read found.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub reason: Option<String>,
}

/// Where a journaled change stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "specta", derive(specta::Type))]
#[serde(rename_all = "camelCase")]
pub enum ChangeStatus {
    /// The resource took the change: it can be undone.
    Applied,
    /// It did not take effect (or was overwritten at once by another writer).
    NotApplied,
    /// Someone else changed the resource before it could be told: not undoable.
    Unknown,
    /// An intent without outcome: the app stopped mid-write. Settle it.
    Pending,
}

/// What a settlement found when it re-read the resource.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "specta", derive(specta::Type))]
#[serde(rename_all = "camelCase")]
pub enum Settlement {
    /// The resource holds the intent's `after`.
    Applied,
    /// The resource holds the intent's `before`.
    NotApplied,
    /// Neither: someone else changed it.
    ChangedBySomeoneElse,
}

/// One journaled change with where it stands.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Change {
    pub entry: JournalEntry,
    pub status: ChangeStatus,
    /// The outcome's reason, when it gave one.
    pub reason: Option<String>,
}

impl JournalEntry {
    /// A new entry stamped with the current time and a unique id.
    pub fn now(actor: &str, subject: Subject, action: JournalAction) -> Self {
        let now = OffsetDateTime::now_utc();
        let time = now.format(&Rfc3339).unwrap_or_else(|_| now.unix_timestamp().to_string());
        // Time plus a process-local counter and the pid: unique without a random source.
        static SEQ: std::sync::atomic::AtomicU32 = std::sync::atomic::AtomicU32::new(0);
        let seq = SEQ.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
        let id = format!("{}-{:x}{:x}{seq:x}", now.unix_timestamp(), now.nanosecond(), std::process::id());
        Self {
            id,
            time,
            actor: actor.to_owned(),
            subject,
            action,
            before: None,
            after: None,
            undoes: None,
            undo_unavailable: None,
            record: None,
        }
    }

    pub fn cloud(&self) -> &str {
        self.subject.cloud()
    }

    pub fn account(&self) -> &str {
        self.subject.account()
    }

    pub fn resource_name(&self) -> String {
        self.subject.resource_name()
    }
}

fn now_rfc3339() -> String {
    let now = OffsetDateTime::now_utc();
    now.format(&Rfc3339).unwrap_or_else(|_| now.unix_timestamp().to_string())
}

/// One line of the file, as read.
enum Line {
    Entry(Box<JournalEntry>),
    Outcome(OutcomeRecord),
}

fn parse_line(line: &str) -> Option<Line> {
    let value: serde_json::Value = serde_json::from_str(line).ok()?;
    if value.get("record").and_then(serde_json::Value::as_str) == Some("outcome") {
        serde_json::from_value(value).ok().map(Line::Outcome)
    } else if value.get("subject").is_some() {
        serde_json::from_value(value).ok().map(|entry| Line::Entry(Box::new(entry)))
    } else {
        legacy::upgrade(value).map(|entry| Line::Entry(Box::new(entry)))
    }
}

#[derive(Debug, Clone)]
pub struct Journal {
    path: PathBuf,
}

impl Journal {
    pub fn at(path: impl Into<PathBuf>) -> Self {
        Self { path: path.into() }
    }

    /// `journal.jsonl` in the app's data folder.
    pub fn in_dir(dir: &Path) -> Self {
        Self::at(dir.join("journal.jsonl"))
    }

    pub fn path(&self) -> &Path {
        &self.path
    }

    /// Appends the intent to make `entry`'s change and syncs it: call right before the
    /// write is sent, then [`Journal::done`], [`Journal::failed`] or [`Journal::settled`].
    pub fn intend(&self, entry: &JournalEntry) -> Result<(), CloudError> {
        let mut intent = entry.clone();
        intent.record = Some(RecordKind::Intent);
        // The diagnostics log names the change, never its documents.
        tracing::info!(id = %entry.id, action = ?entry.action, subject = %entry.subject.describe(), "change intended");
        self.write_line(&intent)
    }

    /// The intent `id` was written and verified.
    pub fn done(&self, id: &str) -> Result<(), CloudError> {
        self.outcome(id, Outcome::Done, None, None)
    }

    /// The intent `id` did not take effect (or was overwritten before it was verified).
    pub fn failed(&self, id: &str, reason: &str) -> Result<(), CloudError> {
        self.outcome(id, Outcome::Failed, None, Some(reason))
    }

    /// The intent `id` was decided by re-reading the resource.
    pub fn settled(&self, id: &str, found: Settlement, reason: &str) -> Result<(), CloudError> {
        let applied = match found {
            Settlement::Applied => Some(true),
            Settlement::NotApplied => Some(false),
            Settlement::ChangedBySomeoneElse => None,
        };
        self.outcome(id, Outcome::Settled, applied, Some(reason))
    }

    fn outcome(
        &self,
        id: &str,
        outcome: Outcome,
        applied: Option<bool>,
        reason: Option<&str>,
    ) -> Result<(), CloudError> {
        tracing::info!(id, outcome = ?outcome, applied = ?applied, reason, "change outcome");
        self.write_line(&OutcomeRecord {
            record: RecordKind::Outcome,
            id: id.to_owned(),
            time: now_rfc3339(),
            outcome,
            applied,
            reason: reason.map(str::to_owned),
        })
    }

    /// One line, appended with a single write and synced (the file, and the folder when
    /// the file is new) before returning.
    fn write_line(&self, record: &impl Serialize) -> Result<(), CloudError> {
        let fail = |detail: String| CloudError::Journal { action: "written", detail };
        if let Some(dir) = self.path.parent() {
            std::fs::create_dir_all(dir).map_err(|e| fail(format!("{}: {e}", dir.display())))?;
        }
        let mut line = serde_json::to_string(record).map_err(|e| fail(e.to_string()))?;
        line.push('\n');
        let created = !self.path.exists();
        let mut file = OpenOptions::new()
            .create(true)
            .append(true)
            .open(&self.path)
            .map_err(|e| fail(format!("{}: {e}", self.path.display())))?;
        file.write_all(line.as_bytes()).map_err(|e| fail(e.to_string()))?;
        file.sync_all().map_err(|e| fail(e.to_string()))?;
        if created && let Some(dir) = self.path.parent() {
            // The new file's name must survive a crash too.
            let _ = std::fs::File::open(dir).and_then(|d| d.sync_all());
        }
        Ok(())
    }

    /// Every change with its status, oldest first. A line that does not parse (a torn
    /// write after a crash) is skipped rather than making the whole history unreadable;
    /// of two outcomes for one intent the first counts.
    pub fn history(&self) -> Result<Vec<Change>, CloudError> {
        let file = match std::fs::File::open(&self.path) {
            Ok(file) => file,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(Vec::new()),
            Err(e) => return Err(CloudError::Journal { action: "read", detail: e.to_string() }),
        };
        let mut entries = Vec::new();
        let mut outcomes: HashMap<String, OutcomeRecord> = HashMap::new();
        for line in BufReader::new(file).lines() {
            let line = line.map_err(|e| CloudError::Journal { action: "read", detail: e.to_string() })?;
            match parse_line(&line) {
                Some(Line::Entry(entry)) => entries.push(*entry),
                Some(Line::Outcome(outcome)) => {
                    outcomes.entry(outcome.id.clone()).or_insert(outcome);
                }
                None => {}
            }
        }
        Ok(entries
            .into_iter()
            .map(|entry| {
                let outcome = outcomes.get(&entry.id);
                let status = match (entry.record, outcome) {
                    (Some(RecordKind::Intent), None) => ChangeStatus::Pending,
                    (Some(RecordKind::Intent), Some(o)) => match (o.outcome, o.applied) {
                        (Outcome::Done, _) | (Outcome::Settled, Some(true)) => ChangeStatus::Applied,
                        (Outcome::Failed, _) | (Outcome::Settled, Some(false)) => ChangeStatus::NotApplied,
                        (Outcome::Settled, None) => ChangeStatus::Unknown,
                    },
                    _ => ChangeStatus::Applied,
                };
                Change { entry, status, reason: outcome.and_then(|o| o.reason.clone()) }
            })
            .collect())
    }

    /// The changes that took effect, oldest first: the history undo works from.
    pub fn entries(&self) -> Result<Vec<JournalEntry>, CloudError> {
        Ok(self
            .history()?
            .into_iter()
            .filter(|c| c.status == ChangeStatus::Applied)
            .map(|c| c.entry)
            .collect())
    }

    /// Intents without an outcome, oldest first: writes the app was interrupted in. Offline
    /// and cheap; `crate::settle` decides them by reading the resources.
    pub fn pending(&self) -> Result<Vec<JournalEntry>, CloudError> {
        Ok(self
            .history()?
            .into_iter()
            .filter(|c| c.status == ChangeStatus::Pending)
            .map(|c| c.entry)
            .collect())
    }

    /// The entry with `id`, or the newest applied entry of `cloud` that is not an undo and
    /// was not undone. Only applied changes count, on both sides.
    pub fn undo_candidate(&self, cloud: &str, id: Option<&str>) -> Result<JournalEntry, CloudError> {
        let history: Vec<Change> = self.history()?.into_iter().filter(|c| c.entry.cloud() == cloud).collect();
        let entries: Vec<&JournalEntry> =
            history.iter().filter(|c| c.status == ChangeStatus::Applied).map(|c| &c.entry).collect();
        let undone: Vec<&str> = entries.iter().filter_map(|e| e.undoes.as_deref()).collect();
        if let Some(id) = id
            && let Some(change) =
                history.iter().find(|c| c.entry.id == id && c.status != ChangeStatus::Applied)
        {
            return Err(CloudError::Refused {
                reason: match change.status {
                    ChangeStatus::Pending => {
                        format!("journal entry {id} was interrupted and is not settled yet")
                    }
                    _ => format!("journal entry {id} did not take effect"),
                },
                hint: match change.status {
                    ChangeStatus::Pending => String::from(
                        "Settle it first (the app does at start; `astro-identity-cli journal settle`).",
                    ),
                    _ => String::from("Nothing to undo."),
                },
            });
        }
        let found = match id {
            Some(id) => entries.iter().find(|e| e.id == id),
            None => entries.iter().rev().find(|e| e.undoes.is_none() && !undone.contains(&e.id.as_str())),
        };
        let entry = found.ok_or_else(|| CloudError::NotFound {
            what: match id {
                Some(id) => format!("journal entry {id}"),
                None => String::from("a change to undo"),
            },
        })?;
        if undone.contains(&entry.id.as_str()) {
            return Err(CloudError::Refused {
                reason: format!("journal entry {} was already undone", entry.id),
                hint: String::from("Nothing to do."),
            });
        }
        Ok((*entry).clone())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn entry(action: JournalAction) -> JournalEntry {
        let subject = Subject::TrustPolicy {
            account: "123456789012".into(),
            role: "data".into(),
            role_arn: "arn:aws:iam::123456789012:role/data".into(),
        };
        let mut e = JournalEntry::now("arn:aws:iam::123456789012:user/ada", subject, action);
        e.after = Some(serde_json::json!({"Version":"2012-10-17","Statement":[]}));
        e
    }

    /// An intent with its `done` outcome: what a verified write leaves.
    fn applied(journal: &Journal, entry: &JournalEntry) {
        journal.intend(entry).expect("intent");
        journal.done(&entry.id).expect("done");
    }

    #[test]
    fn appends_reads_and_finds_what_to_undo() {
        let dir = tempfile::tempdir().expect("tempdir");
        let journal = Journal::in_dir(&dir.path().join("nested"));
        assert_eq!(journal.entries().expect("empty"), []);
        assert_eq!(journal.undo_candidate("aws", None).err().map(|e| e.code()), Some("not_found"));

        let mut first = entry(JournalAction::CreateRole);
        first.record = Some(RecordKind::Intent);
        let mut second = entry(JournalAction::UpdateTrustPolicy);
        second.record = Some(RecordKind::Intent);
        assert_ne!(first.id, second.id, "ids are unique");
        applied(&journal, &first);
        applied(&journal, &second);
        assert_eq!(journal.entries().expect("read"), [first.clone(), second.clone()]);
        assert_eq!(journal.undo_candidate("aws", None).expect("candidate").id, second.id);

        let mut undo = entry(JournalAction::UpdateTrustPolicy);
        undo.undoes = Some(second.id.clone());
        applied(&journal, &undo);
        assert_eq!(journal.undo_candidate("aws", None).expect("candidate").id, first.id);
        let again = journal.undo_candidate("aws", Some(&second.id)).expect_err("already undone");
        assert_eq!(again.code(), "refused");
    }

    #[test]
    fn entries_are_typed_lines() {
        let dir = tempfile::tempdir().expect("tempdir");
        let journal = Journal::in_dir(dir.path());
        let subject = Subject::GcpBinding {
            resource: "projects/astro-data".into(),
            role: "roles/storage.objectViewer".into(),
            members: vec!["serviceAccount:a@b.iam.gserviceaccount.com".into()],
            condition: None,
        };
        let grant = JournalEntry::now("", subject, JournalAction::AddBinding);
        journal.intend(&grant).expect("intent");
        let text = std::fs::read_to_string(journal.path()).expect("read");
        let line: Value = serde_json::from_str(text.trim()).expect("json");
        assert_eq!(line["subject"]["kind"], "gcpBinding");
        assert_eq!(line["subject"]["role"], "roles/storage.objectViewer");
        assert_eq!(
            line["subject"]["members"],
            serde_json::json!(["serviceAccount:a@b.iam.gserviceaccount.com"])
        );
        assert_eq!(line["record"], "intent");
        assert!(line.get("detail").is_none() && line.get("cloud").is_none(), "{line}");
        let read = journal.pending().expect("read").pop().expect("pending");
        assert_eq!((read.cloud(), read.account()), ("gcp", "projects/astro-data"));
        assert_eq!(read.resource_name(), "project astro-data");
    }

    #[test]
    fn a_grant_of_one_member_in_the_first_typed_format_reads_as_a_list() {
        let old = r#"{"kind":"gcpBinding","resource":"projects/p","role":"roles/viewer","member":"user:a@x.com","condition":null}"#;
        let subject: Subject = serde_json::from_str(old).expect("old shape");
        assert_eq!(
            subject,
            Subject::GcpBinding {
                resource: "projects/p".into(),
                role: "roles/viewer".into(),
                members: vec!["user:a@x.com".into()],
                condition: None
            }
        );
        assert_eq!(members_words(&["a".into(), "b".into(), "c".into()]), "a, b and c");
        assert_eq!(members_words(&["a".into(), "b".into()]), "a and b");
    }

    #[test]
    fn a_torn_last_line_is_skipped() {
        let dir = tempfile::tempdir().expect("tempdir");
        let journal = Journal::in_dir(dir.path());
        let mut first = entry(JournalAction::CreateRole);
        first.record = Some(RecordKind::Intent);
        applied(&journal, &first);
        let mut file = OpenOptions::new().append(true).open(journal.path()).expect("open");
        file.write_all(br#"{"id":"torn","ti"#).expect("write");
        assert_eq!(journal.entries().expect("read"), [first]);
    }

    #[test]
    fn intents_count_once_their_outcome_says_so() {
        let dir = tempfile::tempdir().expect("tempdir");
        let journal = Journal::in_dir(dir.path());
        let [pending, done, failed, applied, not_applied, unknown] =
            std::array::from_fn(|_| entry(JournalAction::UpdateTrustPolicy));
        for intent in [&pending, &done, &failed, &applied, &not_applied, &unknown] {
            journal.intend(intent).expect("intent");
        }
        journal.done(&done.id).expect("done");
        journal.failed(&failed.id, "Throttling").expect("failed");
        journal.settled(&applied.id, Settlement::Applied, "found after").expect("settled");
        journal.settled(&not_applied.id, Settlement::NotApplied, "found before").expect("settled");
        journal.settled(&unknown.id, Settlement::ChangedBySomeoneElse, "found other").expect("settled");
        // A second outcome for one intent does not overrule the first.
        journal.done(&failed.id).expect("late");

        let statuses: Vec<ChangeStatus> = journal.history().expect("read").iter().map(|c| c.status).collect();
        assert_eq!(
            statuses,
            [
                ChangeStatus::Pending,
                ChangeStatus::Applied,
                ChangeStatus::NotApplied,
                ChangeStatus::Applied,
                ChangeStatus::NotApplied,
                ChangeStatus::Unknown
            ]
        );
        let ids = |list: Vec<JournalEntry>| list.into_iter().map(|e| e.id).collect::<Vec<_>>();
        assert_eq!(ids(journal.entries().expect("read")), [done.id.clone(), applied.id.clone()]);
        assert_eq!(ids(journal.pending().expect("read")), std::slice::from_ref(&pending.id));
        assert_eq!(journal.undo_candidate("aws", None).expect("candidate").id, applied.id);
        for (id, reason) in [(&pending.id, "not settled"), (&failed.id, "did not take effect")] {
            match journal.undo_candidate("aws", Some(id)) {
                Err(CloudError::Refused { reason: text, .. }) => assert!(text.contains(reason), "{text}"),
                other => panic!("expected Refused, got {other:?}"),
            }
        }

        // The lines themselves: an intent is an entry marked as such; an outcome is short.
        let text = std::fs::read_to_string(journal.path()).expect("read");
        let lines: Vec<serde_json::Value> =
            text.lines().map(|l| serde_json::from_str(l).expect("json")).collect();
        assert_eq!(lines[0]["record"], "intent");
        assert_eq!(lines[0]["id"], pending.id.as_str());
        assert_eq!(lines[0]["action"], "updateTrustPolicy");
        let outcome = &lines[7];
        assert_eq!(outcome["record"], "outcome");
        assert_eq!(outcome["id"], failed.id.as_str());
        assert_eq!(outcome["outcome"], "failed");
        assert_eq!(outcome["reason"], "Throttling");
        assert_eq!(lines[8]["applied"], true);
        assert_eq!(lines[10].get("applied"), None, "unknown has no applied field");
    }

    #[test]
    fn an_undo_counts_only_when_it_was_applied() {
        let dir = tempfile::tempdir().expect("tempdir");
        let journal = Journal::in_dir(dir.path());
        let change = entry(JournalAction::UpdateTrustPolicy);
        applied(&journal, &change);
        let mut undo = entry(JournalAction::UpdateTrustPolicy);
        undo.undoes = Some(change.id.clone());
        journal.intend(&undo).expect("intent");
        assert_eq!(journal.undo_candidate("aws", None).expect("still undoable").id, change.id);
        journal.failed(&undo.id, "reset").expect("failed");
        assert_eq!(journal.undo_candidate("aws", None).expect("still undoable").id, change.id);
    }

    /// `testdata/journal/v1.jsonl` was written in the first format by every kind of change;
    /// it must read as the same changes, typed.
    #[test]
    fn a_journal_of_the_first_format_still_reads() {
        let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../testdata/journal/v1.jsonl");
        let history = Journal::at(path).history().expect("read");
        let got: Vec<(JournalAction, &str, ChangeStatus)> =
            history.iter().map(|c| (c.entry.action, c.entry.cloud(), c.status)).collect();
        assert_eq!(
            got,
            [
                (JournalAction::CreateRole, "aws", ChangeStatus::Applied),
                (JournalAction::UpdateTrustPolicy, "aws", ChangeStatus::Applied),
                (JournalAction::AttachPolicy, "aws", ChangeStatus::Applied),
                (JournalAction::PutInlinePolicy, "aws", ChangeStatus::NotApplied),
                (JournalAction::AddBinding, "gcp", ChangeStatus::Applied),
                (JournalAction::SetPolicy, "gcp", ChangeStatus::Pending),
                (JournalAction::CreateConnection, "airflow", ChangeStatus::Applied),
                (JournalAction::ReplaceConnection, "astro", ChangeStatus::Applied),
                (JournalAction::AddRequirement, "project", ChangeStatus::Applied),
                (JournalAction::RemoveRequirement, "project", ChangeStatus::Applied),
            ]
        );
        let subject = |i: usize| history[i].entry.subject.clone();
        assert_eq!(
            subject(2),
            Subject::ManagedPolicyAttachment {
                account: "123456789012".into(),
                role: "data".into(),
                policy_arn: "arn:aws:iam::aws:policy/ReadOnlyAccess".into(),
            }
        );
        assert_eq!(
            (history[2].entry.before.clone(), history[2].entry.after.clone()),
            (Some(false.into()), Some(true.into()))
        );
        assert_eq!(
            subject(3),
            Subject::InlinePolicy {
                account: "123456789012".into(),
                role: "data".into(),
                name: "s3-read".into()
            }
        );
        match subject(4) {
            Subject::GcpBinding { resource, role, members, condition } => {
                assert_eq!(resource, "projects/astro-data");
                assert_eq!(role, "roles/storage.objectViewer");
                assert_eq!(members, ["serviceAccount:astro@astro-a.iam.gserviceaccount.com"]);
                assert_eq!(condition.map(|c| c.title), Some("until 2027".to_owned()));
            }
            other => panic!("expected a binding, got {other:?}"),
        }
        assert_eq!(history[4].entry.before.as_ref().and_then(|b| b["etag"].as_str()), Some("BwXhq8AAAAE="));
        assert_eq!(
            subject(6),
            Subject::AirflowConnection {
                destination: "airflow".into(),
                account: "http://localhost:8080".into(),
                address: "http://localhost:8080/api/v2/connections/aws_default".into(),
                conn_id: "aws_default".into(),
            }
        );
        assert!(history[7].entry.undo_unavailable.is_some());
        assert_eq!(history[8].entry.before, Some(serde_json::json!({"length": 12, "tail": ""})));
        assert_eq!(
            history[8].entry.after,
            Some(serde_json::json!({"length": 44, "tail": "apache-airflow-providers-amazon\n"}))
        );
        assert_eq!(history[9].entry.undoes.as_deref(), Some(history[8].entry.id.as_str()));
        assert_eq!(history[9].entry.after, history[8].entry.before);
    }
}
