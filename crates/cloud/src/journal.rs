//! The undo journal: one JSON line per write, appended and synced before the app reports
//! success. It records before and after documents, the account and the resource — never a
//! secret (policies and ARNs are not secrets; an Airflow connection whose Extra holds a
//! value Airflow hides is not recorded at all, and of a `requirements.txt` only the line
//! the app appended and the file's lengths are).

use std::fs::OpenOptions;
use std::io::{BufRead, BufReader, Write};
use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};
use time::OffsetDateTime;
use time::format_description::well_known::Rfc3339;

use crate::CloudError;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub enum JournalAction {
    /// A role was created with `after` as its trust policy.
    CreateRole,
    /// A role's trust policy went from `before` to `after`.
    UpdateTrustPolicy,
    /// A role created by the app was deleted again (undo of `CreateRole`).
    DeleteRole,
    /// The managed policy `detail` was attached to the role.
    AttachPolicy,
    /// The managed policy `detail` was detached (undo of `AttachPolicy`).
    DetachPolicy,
    /// The inline policy named `detail` went from `before` to `after` (`None`: deleted).
    PutInlinePolicy,
    /// GCP: the grant in `detail` (role, member, condition) was added to a project's policy.
    AddBinding,
    /// GCP: that grant was removed again (undo of `AddBinding`).
    RemoveBinding,
    /// GCP: the policy was replaced by a hand-edited one (`before` → `after`); undone by
    /// writing `before` back.
    SetPolicy,
    /// Airflow / Astro: the connection `resource_name` was created; `after` is its
    /// `{conn_type, extra}` (compact JSON, values under sensitive keys left out).
    CreateConnection,
    /// Airflow / Astro: the connection's type and Extra went from `before` to `after`.
    /// `before` is `None` when the replaced connection held values Airflow hides; then
    /// `undo_unavailable` says why it cannot be undone.
    ReplaceConnection,
    /// Airflow / Astro: a connection the app created was deleted again (undo of
    /// `CreateConnection`).
    DeleteConnection,
    /// A project's `requirements.txt` (`resource_name`, absolute) had the bytes in `detail`
    /// appended; `length_before` / `length_after` are its sizes in bytes.
    AddRequirement,
    /// Those appended bytes were cut off again (undo of `AddRequirement`).
    RemoveRequirement,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct JournalEntry {
    pub id: String,
    /// RFC 3339, UTC.
    pub time: String,
    pub cloud: String,
    pub account: String,
    /// Who made the change (the caller ARN).
    pub actor: String,
    pub action: JournalAction,
    pub resource_name: String,
    pub resource_arn: String,
    /// Compact JSON before the write; `None` when the resource did not exist.
    pub before: Option<String>,
    /// Compact JSON after the write; `None` when the resource was deleted.
    pub after: Option<String>,
    /// The entry this one undid.
    pub undoes: Option<String>,
    /// The policy ARN or inline policy name, for permission changes.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub detail: Option<String>,
    /// Why this entry cannot be undone (its earlier state was deliberately not recorded).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub undo_unavailable: Option<String>,
    /// A file's size in bytes before the write (file changes only).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub length_before: Option<u64>,
    /// A file's size in bytes after the write (file changes only).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub length_after: Option<u64>,
    /// The write created the file (file changes only); undoing it removes the file.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub file_created: Option<bool>,
}

impl JournalEntry {
    /// A new entry stamped with the current time and a unique id.
    pub fn now(cloud: &str, account: &str, actor: &str, action: JournalAction) -> Self {
        let now = OffsetDateTime::now_utc();
        let time = now.format(&Rfc3339).unwrap_or_else(|_| now.unix_timestamp().to_string());
        // Time plus a process-local counter and the pid: unique without a random source.
        static SEQ: std::sync::atomic::AtomicU32 = std::sync::atomic::AtomicU32::new(0);
        let seq = SEQ.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
        let id = format!("{}-{:x}{:x}{seq:x}", now.unix_timestamp(), now.nanosecond(), std::process::id());
        Self {
            id,
            time,
            cloud: cloud.to_owned(),
            account: account.to_owned(),
            actor: actor.to_owned(),
            action,
            resource_name: String::new(),
            resource_arn: String::new(),
            before: None,
            after: None,
            undoes: None,
            detail: None,
            undo_unavailable: None,
            length_before: None,
            length_after: None,
            file_created: None,
        }
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

    /// Appends one entry and syncs it to disk before returning.
    pub fn append(&self, entry: &JournalEntry) -> Result<(), CloudError> {
        let fail = |detail: String| CloudError::Journal { action: "written", detail };
        if let Some(dir) = self.path.parent() {
            std::fs::create_dir_all(dir).map_err(|e| fail(format!("{}: {e}", dir.display())))?;
        }
        let mut line = serde_json::to_string(entry).map_err(|e| fail(e.to_string()))?;
        line.push('\n');
        let mut file = OpenOptions::new()
            .create(true)
            .append(true)
            .open(&self.path)
            .map_err(|e| fail(format!("{}: {e}", self.path.display())))?;
        file.write_all(line.as_bytes()).map_err(|e| fail(e.to_string()))?;
        file.sync_all().map_err(|e| fail(e.to_string()))
    }

    /// Every entry, oldest first. A line that does not parse (a torn write after a crash)
    /// is skipped rather than making the whole history unreadable.
    pub fn entries(&self) -> Result<Vec<JournalEntry>, CloudError> {
        let file = match std::fs::File::open(&self.path) {
            Ok(file) => file,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(Vec::new()),
            Err(e) => return Err(CloudError::Journal { action: "read", detail: e.to_string() }),
        };
        let mut entries = Vec::new();
        for line in BufReader::new(file).lines() {
            let line = line.map_err(|e| CloudError::Journal { action: "read", detail: e.to_string() })?;
            if let Ok(entry) = serde_json::from_str::<JournalEntry>(&line) {
                entries.push(entry);
            }
        }
        Ok(entries)
    }

    /// The entry with `id`, or the newest entry of `cloud` that is not an undo and was not
    /// undone.
    pub fn undo_candidate(&self, cloud: &str, id: Option<&str>) -> Result<JournalEntry, CloudError> {
        let entries: Vec<JournalEntry> = self.entries()?.into_iter().filter(|e| e.cloud == cloud).collect();
        let undone: Vec<&str> = entries.iter().filter_map(|e| e.undoes.as_deref()).collect();
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
        Ok(entry.clone())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn entry(action: JournalAction) -> JournalEntry {
        let mut e = JournalEntry::now("aws", "123456789012", "arn:aws:iam::123456789012:user/ada", action);
        e.resource_name = "data".into();
        e.after = Some(r#"{"Version":"2012-10-17","Statement":[]}"#.into());
        e
    }

    #[test]
    fn appends_reads_and_finds_what_to_undo() {
        let dir = tempfile::tempdir().expect("tempdir");
        let journal = Journal::in_dir(&dir.path().join("nested"));
        assert_eq!(journal.entries().expect("empty"), []);
        assert_eq!(journal.undo_candidate("aws", None).err().map(|e| e.code()), Some("not_found"));

        let first = entry(JournalAction::CreateRole);
        let second = entry(JournalAction::UpdateTrustPolicy);
        assert_ne!(first.id, second.id, "ids are unique");
        journal.append(&first).expect("append");
        journal.append(&second).expect("append");
        assert_eq!(journal.entries().expect("read"), [first.clone(), second.clone()]);
        assert_eq!(journal.undo_candidate("aws", None).expect("candidate").id, second.id);

        let mut undo = entry(JournalAction::UpdateTrustPolicy);
        undo.undoes = Some(second.id.clone());
        journal.append(&undo).expect("append");
        assert_eq!(journal.undo_candidate("aws", None).expect("candidate").id, first.id);
        let again = journal.undo_candidate("aws", Some(&second.id)).expect_err("already undone");
        assert_eq!(again.code(), "refused");
    }

    #[test]
    fn entries_written_before_the_file_fields_still_read() {
        let line = r#"{"id":"1","time":"t","cloud":"aws","account":"1","actor":"a","action":"createRole","resourceName":"r","resourceArn":"","before":null,"after":"{}","undoes":null}"#;
        let entry: JournalEntry = serde_json::from_str(line).expect("old entry");
        assert_eq!(
            (entry.undo_unavailable.as_deref(), entry.length_before, entry.file_created),
            (None, None, None)
        );
        let mut new = entry.clone();
        new.action = JournalAction::AddRequirement;
        new.length_before = Some(3);
        let text = serde_json::to_string(&new).expect("json");
        assert!(
            text.contains(r#""action":"addRequirement""#) && text.contains(r#""lengthBefore":3"#),
            "{text}"
        );
        assert!(!text.contains("lengthAfter") && !text.contains("undoUnavailable"), "{text}");
    }

    #[test]
    fn a_torn_last_line_is_skipped() {
        let dir = tempfile::tempdir().expect("tempdir");
        let journal = Journal::in_dir(dir.path());
        let first = entry(JournalAction::CreateRole);
        journal.append(&first).expect("append");
        let mut file = OpenOptions::new().append(true).open(journal.path()).expect("open");
        file.write_all(br#"{"id":"torn","ti"#).expect("write");
        assert_eq!(journal.entries().expect("read"), [first]);
    }
}
