//! The journal as people read it: every change with what, where, when and where it stands,
//! newest first, and whether (and why not) it can be undone. Offline: reads the journal only.

use serde::Serialize;

use astro_identity_domain::aws::trust_policy::TrustPolicy;
use astro_identity_domain::gcp::iam_policy::IamPolicy;

use crate::CloudError;
use crate::change::typed;
use crate::journal::{
    ASTRO_DEPLOYMENT_CLOUD, Change, ChangeStatus, FileTail, Journal, JournalAction, JournalEntry,
    PROJECT_CLOUD, Subject, members_words,
};

/// Where a journaled change stands, for people.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[cfg_attr(feature = "specta", derive(specta::Type))]
#[serde(rename_all = "camelCase")]
pub enum HistoryStatus {
    /// It took effect (verified, or found when settled).
    Applied,
    /// It did not take effect.
    Failed,
    /// The app stopped mid-write: settle it.
    Interrupted,
    /// It took effect and was undone later.
    Undone,
    /// Someone else changed the resource before it could be told.
    Unknown,
}

/// One journaled change, as the History screen and `journal list` show it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[cfg_attr(feature = "specta", derive(specta::Type))]
#[serde(rename_all = "camelCase")]
pub struct HistoryItem {
    pub journal_id: String,
    /// RFC 3339, UTC.
    pub time: String,
    /// `aws`, `gcp`, `airflow`, `astro` or `project`.
    pub cloud: String,
    /// The account, project, connection store or project folder.
    pub place: String,
    /// What it did: "Trust policy of role data: added arn:…".
    pub summary: String,
    pub status: HistoryStatus,
    /// The outcome's reason: the error, or what settling found.
    pub reason: Option<String>,
    /// The entry this one undid.
    pub undoes: Option<String>,
    /// The entry that undid this one.
    pub undone_by: Option<String>,
    /// From the History screen or `journal undo`.
    pub undoable: bool,
    pub why_not_undoable: Option<String>,
}

/// Every change, newest first.
pub fn list(journal: &Journal) -> Result<Vec<HistoryItem>, CloudError> {
    let history = journal.history()?;
    let undone_by = |id: &str| {
        history
            .iter()
            .find(|c| c.status == ChangeStatus::Applied && c.entry.undoes.as_deref() == Some(id))
            .map(|c| c.entry.id.clone())
    };
    let mut items: Vec<HistoryItem> =
        history.iter().map(|change| item(change, undone_by(&change.entry.id))).collect();
    items.reverse();
    Ok(items)
}

fn item(change: &Change, undone_by: Option<String>) -> HistoryItem {
    let entry = &change.entry;
    let status = match (change.status, &undone_by) {
        (ChangeStatus::Applied, Some(_)) => HistoryStatus::Undone,
        (ChangeStatus::Applied, None) => HistoryStatus::Applied,
        (ChangeStatus::NotApplied, _) => HistoryStatus::Failed,
        (ChangeStatus::Pending, _) => HistoryStatus::Interrupted,
        (ChangeStatus::Unknown, _) => HistoryStatus::Unknown,
    };
    let why_not = why_not_undoable(entry, status);
    HistoryItem {
        journal_id: entry.id.clone(),
        time: entry.time.clone(),
        cloud: entry.cloud().to_owned(),
        place: place(&entry.subject),
        summary: summary(entry),
        status,
        reason: change.reason.clone(),
        undoes: entry.undoes.clone(),
        undone_by,
        undoable: why_not.is_none(),
        why_not_undoable: why_not,
    }
}

fn why_not_undoable(entry: &JournalEntry, status: HistoryStatus) -> Option<String> {
    let text = match status {
        HistoryStatus::Undone => "It was undone already.",
        HistoryStatus::Failed => "It did not take effect: nothing to undo.",
        HistoryStatus::Interrupted => "It was interrupted: settle it first (the home screen offers to).",
        HistoryStatus::Unknown => {
            "Someone else changed the resource meanwhile: review it in the cloud console."
        }
        HistoryStatus::Applied if entry.undoes.is_some() => {
            "It is itself an undo: make the change again instead."
        }
        HistoryStatus::Applied => match (&entry.undo_unavailable, entry.action, entry.cloud()) {
            (Some(why), _, _) => return Some(format!("It cannot be undone: {why}.")),
            (None, JournalAction::DeleteRole, _) => "A deleted role cannot be restored.",
            (None, _, "aws" | "gcp" | PROJECT_CLOUD | ASTRO_DEPLOYMENT_CLOUD) => return None,
            (None, _, _) => {
                "Undo it from the connection step of its journey, which has the Airflow or Astro token."
            }
        },
    };
    Some(text.to_owned())
}

fn place(subject: &Subject) -> String {
    match subject {
        Subject::TrustPolicy { account, .. }
        | Subject::ManagedPolicyAttachment { account, .. }
        | Subject::InlinePolicy { account, .. }
        | Subject::OidcProvider { account, .. } => format!("account {account}"),
        Subject::AstroDeployment { organization, .. } => format!("Astro organization {organization}"),
        Subject::GcpBinding { .. } | Subject::GcpPolicy { .. } => subject.resource_name(),
        Subject::AirflowConnection { destination, account, .. } => {
            if destination == "astro" {
                format!("Astro {account}")
            } else {
                account.clone()
            }
        }
        Subject::Requirements { project, .. } => project.clone(),
    }
}

fn principals(state: Option<&serde_json::Value>, id: &str) -> Vec<String> {
    typed::<TrustPolicy>(state, id).ok().flatten().map(|p| p.trusted_aws_principals()).unwrap_or_default()
}

fn grants(state: Option<&serde_json::Value>, id: &str) -> Vec<String> {
    let policy = typed::<IamPolicy>(state, id).ok().flatten();
    policy
        .map(|p| p.grants().into_iter().map(|g| format!("{} as {}", g.member, g.role)).collect())
        .unwrap_or_default()
}

/// `added X, Y; removed Z` between two lists, or `None` when they hold the same.
fn list_change(before: &[String], after: &[String]) -> Option<String> {
    let added: Vec<&str> = after.iter().filter(|p| !before.contains(p)).map(String::as_str).collect();
    let removed: Vec<&str> = before.iter().filter(|p| !after.contains(p)).map(String::as_str).collect();
    let mut parts = Vec::new();
    if !added.is_empty() {
        parts.push(format!("added {}", added.join(", ")));
    }
    if !removed.is_empty() {
        parts.push(format!("removed {}", removed.join(", ")));
    }
    (!parts.is_empty()).then(|| parts.join("; "))
}

/// What a change did, in one line for the History screen.
pub fn summary(entry: &JournalEntry) -> String {
    let id = &entry.id;
    let undo = if entry.undoes.is_some() { "Undo: " } else { "" };
    let what = match (&entry.subject, entry.action) {
        (Subject::TrustPolicy { role, .. }, JournalAction::CreateRole) => {
            let trusted = principals(entry.after.as_ref(), id);
            format!(
                "Created role {role} trusting {}",
                if trusted.is_empty() { "—".into() } else { trusted.join(", ") }
            )
        }
        (Subject::TrustPolicy { role, .. }, JournalAction::DeleteRole) => format!("Deleted role {role}"),
        (Subject::TrustPolicy { role, .. }, _) => {
            let (before, after) =
                (principals(entry.before.as_ref(), id), principals(entry.after.as_ref(), id));
            match list_change(&before, &after) {
                Some(change) => format!("Trust policy of role {role}: {change}"),
                None => format!("Trust policy of role {role}: edited"),
            }
        }
        (Subject::AstroDeployment { name, .. }, _) => {
            let identity = |state: Option<&serde_json::Value>| {
                state.and_then(|s| s["workloadIdentity"].as_str()).unwrap_or("—").to_owned()
            };
            format!(
                "Workload identity of Deployment {name}: {} → {}",
                identity(entry.before.as_ref()),
                identity(entry.after.as_ref())
            )
        }
        (Subject::OidcProvider { url, .. }, JournalAction::CreateOidcProvider) => {
            format!("Created OIDC provider {url}")
        }
        (Subject::OidcProvider { url, .. }, JournalAction::DeleteOidcProvider) => {
            format!("Deleted OIDC provider {url}")
        }
        (Subject::OidcProvider { url, .. }, JournalAction::RemoveOidcClientId) => {
            format!("Removed client id sts.amazonaws.com from OIDC provider {url}")
        }
        (Subject::OidcProvider { url, .. }, _) => {
            format!("Added client id sts.amazonaws.com to OIDC provider {url}")
        }
        (Subject::ManagedPolicyAttachment { role, policy_arn, .. }, JournalAction::DetachPolicy) => {
            format!("Detached {policy_arn} from role {role}")
        }
        (Subject::ManagedPolicyAttachment { role, policy_arn, .. }, _) => {
            format!("Attached {policy_arn} to role {role}")
        }
        (Subject::InlinePolicy { role, name, .. }, _) => match (&entry.before, &entry.after) {
            (_, None) => format!("Deleted inline policy {name} of role {role}"),
            (None, Some(_)) => format!("Added inline policy {name} to role {role}"),
            (Some(_), Some(_)) => format!("Replaced inline policy {name} of role {role}"),
        },
        (Subject::GcpBinding { role, members, .. }, JournalAction::RemoveBinding) => {
            format!("Removed {role} from {} on {}", members_words(members), entry.resource_name())
        }
        (Subject::GcpBinding { role, members, .. }, _) => {
            format!("Granted {role} to {} on {}", members_words(members), entry.resource_name())
        }
        (Subject::GcpPolicy { .. }, _) => {
            let (before, after) = (grants(entry.before.as_ref(), id), grants(entry.after.as_ref(), id));
            let change = list_change(&before, &after).unwrap_or_else(|| String::from("edited"));
            format!("IAM policy of {}: {change}", entry.resource_name())
        }
        (Subject::AirflowConnection { conn_id, .. }, JournalAction::DeleteConnection) => {
            format!("Deleted connection {conn_id}")
        }
        (Subject::AirflowConnection { conn_id, .. }, JournalAction::ReplaceConnection) => {
            format!("Replaced the type and Extra of connection {conn_id}")
        }
        (Subject::AirflowConnection { conn_id, .. }, _) => format!("Created connection {conn_id}"),
        (Subject::Requirements { path, .. }, action) => {
            let state = if action == JournalAction::RemoveRequirement { &entry.before } else { &entry.after };
            let line = typed::<FileTail>(state.as_ref(), id).ok().flatten().map(|t| t.tail.trim().to_owned());
            let line = line.unwrap_or_default();
            if action == JournalAction::RemoveRequirement {
                format!("Removed {line} from {path}")
            } else {
                format!("Added {line} to {path}")
            }
        }
    };
    format!("{undo}{what}")
}

/// What the change was about, in the words of a sentence ("the trust policy of role data in
/// account 123456789012"), for settling reports.
pub fn describe(entry: &JournalEntry) -> String {
    let undo = if entry.undoes.is_some() { "undoing: " } else { "" };
    let what = match (&entry.subject, entry.action) {
        (Subject::TrustPolicy { role, account, .. }, JournalAction::CreateRole) => {
            format!("creating role {role} in account {account}")
        }
        (Subject::TrustPolicy { role, account, .. }, JournalAction::DeleteRole) => {
            format!("deleting role {role} in account {account}")
        }
        (Subject::TrustPolicy { role, account, .. }, _) => {
            format!("the trust policy of role {role} in account {account}")
        }
        (Subject::ManagedPolicyAttachment { role, account, policy_arn }, JournalAction::DetachPolicy) => {
            format!("detaching {policy_arn} from role {role} in account {account}")
        }
        (Subject::ManagedPolicyAttachment { role, account, policy_arn }, _) => {
            format!("attaching {policy_arn} to role {role} in account {account}")
        }
        (Subject::InlinePolicy { role, account, name }, _) => {
            format!("inline policy {name} of role {role} in account {account}")
        }
        (Subject::GcpBinding { role, members, .. }, JournalAction::RemoveBinding) => {
            format!("removing {role} from {} on {}", members_words(members), entry.resource_name())
        }
        (Subject::GcpBinding { role, members, .. }, _) => {
            format!("granting {role} to {} on {}", members_words(members), entry.resource_name())
        }
        (Subject::GcpPolicy { .. }, _) => format!("the IAM policy of {}", entry.resource_name()),
        (
            Subject::AirflowConnection { .. }
            | Subject::Requirements { .. }
            | Subject::OidcProvider { .. }
            | Subject::AstroDeployment { .. },
            _,
        ) => {
            let summary = summary(entry);
            let mut chars = summary.chars();
            chars.next().map(|c| c.to_lowercase().chain(chars).collect()).unwrap_or_default()
        }
    };
    format!("{undo}{what}")
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::journal::Settlement;

    fn trust(action: JournalAction, before: Option<&str>, after: Option<&str>) -> JournalEntry {
        let subject = Subject::TrustPolicy {
            account: "123456789012".into(),
            role: "data".into(),
            role_arn: "arn:aws:iam::123456789012:role/data".into(),
        };
        let doc = |arns: &str| {
            let list: Vec<&str> = arns.split(' ').collect();
            serde_json::json!({"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"AWS":list},"Action":"sts:AssumeRole"}]})
        };
        let mut entry = JournalEntry::now("", subject, action);
        entry.before = before.map(doc);
        entry.after = after.map(doc);
        entry
    }

    const A: &str = "arn:aws:iam::111111111111:role/astro-a";
    const B: &str = "arn:aws:iam::111111111111:role/astro-b";

    #[test]
    fn lists_newest_first_with_status_and_undo() {
        let dir = tempfile::tempdir().expect("tempdir");
        let journal = Journal::in_dir(dir.path());
        let create = trust(JournalAction::CreateRole, None, Some(A));
        let update = trust(JournalAction::UpdateTrustPolicy, Some(A), Some(&format!("{A} {B}")));
        let failed = trust(JournalAction::UpdateTrustPolicy, Some(A), Some(B));
        let pending = trust(JournalAction::UpdateTrustPolicy, Some(A), Some(B));
        let mut undo = trust(JournalAction::UpdateTrustPolicy, Some(&format!("{A} {B}")), Some(A));
        undo.undoes = Some(update.id.clone());
        for entry in [&create, &update, &failed, &pending, &undo] {
            journal.intend(entry).expect("intent");
        }
        journal.done(&create.id).expect("done");
        journal.settled(&update.id, Settlement::Applied, "found after").expect("settled");
        journal.failed(&failed.id, "AccessDenied").expect("failed");
        journal.done(&undo.id).expect("done");

        let items = list(&journal).expect("list");
        let got: Vec<(&str, HistoryStatus, bool)> =
            items.iter().map(|i| (i.summary.as_str(), i.status, i.undoable)).collect();
        assert_eq!(
            got,
            [
                (&*format!("Undo: Trust policy of role data: removed {B}"), HistoryStatus::Applied, false),
                (
                    &*format!("Trust policy of role data: added {B}; removed {A}"),
                    HistoryStatus::Interrupted,
                    false
                ),
                (
                    &*format!("Trust policy of role data: added {B}; removed {A}"),
                    HistoryStatus::Failed,
                    false
                ),
                (&*format!("Trust policy of role data: added {B}"), HistoryStatus::Undone, false),
                (&*format!("Created role data trusting {A}"), HistoryStatus::Applied, true),
            ]
        );
        assert_eq!(items[3].undone_by.as_deref(), Some(undo.id.as_str()));
        assert_eq!(items[0].undoes.as_deref(), Some(update.id.as_str()));
        assert_eq!(items[2].reason.as_deref(), Some("AccessDenied"));
        assert_eq!(items[4].place, "account 123456789012");
        assert!(items[1].why_not_undoable.as_deref().is_some_and(|w| w.contains("settle it first")));
        assert_eq!(
            describe(&update),
            "the trust policy of role data in account 123456789012",
            "settling reports keep their wording"
        );
    }

    #[test]
    fn the_first_format_reads_as_the_same_history() {
        let path = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../../testdata/journal/v1.jsonl");
        let items = list(&Journal::at(path)).expect("list");
        let summaries: Vec<&str> = items.iter().map(|i| i.summary.as_str()).collect();
        assert_eq!(
            summaries,
            [
                "Undo: Removed apache-airflow-providers-amazon from /home/ada/astro-project/requirements.txt",
                "Added apache-airflow-providers-amazon to /home/ada/astro-project/requirements.txt",
                "Replaced the type and Extra of connection aws_default",
                "Created connection aws_default",
                "IAM policy of project astro-data: added user:ada@example.com as roles/viewer",
                "Granted roles/storage.objectViewer to serviceAccount:astro@astro-a.iam.gserviceaccount.com on project astro-data",
                "Added inline policy s3-read to role data",
                "Attached arn:aws:iam::aws:policy/ReadOnlyAccess to role data",
                "Trust policy of role data: added arn:aws:iam::111111111111:role/astro-b",
                "Created role data trusting arn:aws:iam::111111111111:role/astro-a",
            ]
        );
        let statuses: Vec<HistoryStatus> = items.iter().map(|i| i.status).collect();
        assert_eq!(
            statuses,
            [
                HistoryStatus::Applied,
                HistoryStatus::Undone,
                HistoryStatus::Applied,
                HistoryStatus::Applied,
                HistoryStatus::Interrupted,
                HistoryStatus::Applied,
                HistoryStatus::Failed,
                HistoryStatus::Applied,
                HistoryStatus::Applied,
                HistoryStatus::Applied,
            ]
        );
        let undoable: Vec<bool> = items.iter().map(|i| i.undoable).collect();
        assert_eq!(undoable, [false, false, false, false, false, true, false, true, true, true]);
        assert!(items[3].why_not_undoable.as_deref().is_some_and(|w| w.contains("connection step")));
    }
}
