//! Create the journey's Airflow connection in one click: plan (read, diff), apply (re-read,
//! refuse if it moved, write, journal, verify by reading back) and undo — for any
//! [`ConnectionStore`].
//!
//! The journal holds `{conn_type, extra}` documents (compact JSON) and never a value a store
//! hides: a replaced connection whose Extra has a `"***"`, a hidden value or a key Airflow
//! treats as sensitive is not recorded (`before` is `None`, the entry says why its undo is
//! unavailable); the app's own Extra is recorded without the entries under sensitive keys
//! (the web identity token file path), which are only ever compared, never restored.

use serde::{Deserialize, Serialize};
use serde_json::{Map, Value, json};

use astro_identity_domain::airflow::ConnectionSpec;
use astro_identity_domain::diff::{DiffLine, line_diff};

use crate::CloudError;
use crate::airflow::{
    ConnectionStore, MASK, RemoteConnection, check_conn_id, extra_matches, has_sensitive_key,
    is_sensitive_key, scrub,
};
use crate::journal::{Journal, JournalAction, JournalEntry};

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "specta", derive(specta::Type))]
#[serde(rename_all = "camelCase")]
pub enum ConnectionAction {
    /// There is no connection with that id: it will be created.
    Create,
    /// There is one with another type or Extra: it will be replaced once confirmed (its
    /// host, login and password are kept).
    Replace,
    /// It already is exactly this connection: nothing will be written.
    Unchanged,
    /// Undo of a create: the connection was deleted.
    Delete,
}

/// What applying would do, as read from the store. Writes nothing.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "specta", derive(specta::Type))]
#[serde(rename_all = "camelCase")]
pub struct ConnectionPlan {
    /// Where: "the Airflow at …", "Astro Deployment …".
    pub target: String,
    pub conn_id: String,
    pub action: ConnectionAction,
    /// The connection as read, when there is one.
    pub existing: Option<RemoteConnection>,
    /// `{conn_type, extra}` to be written (pretty JSON).
    pub proposed: String,
    /// `proposed` against the existing `{conn_type, extra}`; all added for a create.
    pub diff: Vec<DiffLine>,
    /// Extra keys whose values the store hides: they could not be compared.
    pub hidden_keys: Vec<String>,
    /// Whether the journal will be able to undo the write.
    pub undo_available: bool,
}

/// What an apply or an undo did.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "specta", derive(specta::Type))]
#[serde(rename_all = "camelCase")]
pub struct ConnectionOutcome {
    pub target: String,
    pub conn_id: String,
    pub action: ConnectionAction,
    /// False when nothing needed writing.
    pub written: bool,
    pub journal_id: Option<String>,
    /// Read back and found as written.
    pub verified: bool,
    /// Whether this change can be undone from the journal.
    pub undo_available: bool,
}

fn document(conn_type: &str, extra: &Value) -> Value {
    json!({"conn_type": conn_type, "extra": extra})
}

fn pretty(value: &Value) -> String {
    serde_json::to_string_pretty(value).unwrap_or_else(|_| value.to_string())
}

fn proposed(spec: &ConnectionSpec) -> String {
    pretty(&document(spec.conn_type(), &Value::Object(spec.extra())))
}

/// The journal's compact document, or `None` when it would hold a hidden value or a key
/// Airflow treats as sensitive.
fn journal_form(conn_type: &str, extra: &Value) -> Option<String> {
    if has_sensitive_key(extra) {
        return None;
    }
    let text = document(conn_type, extra).to_string();
    (!text.contains(MASK)).then_some(text)
}

/// What the journal may hold of a connection about to be replaced.
fn before_form(existing: &RemoteConnection) -> Option<String> {
    if !existing.hidden.is_empty() {
        return None;
    }
    journal_form(&existing.conn_type, &existing.extra_value())
}

const UNDO_UNAVAILABLE: &str = "the replaced connection held values the store hides (a password, \
    token or secret key in its Extra), and those are never written to the journal";

fn matches_spec(remote: &RemoteConnection, spec: &ConnectionSpec) -> bool {
    remote.conn_type == spec.conn_type()
        && extra_matches(&remote.extra_value(), &remote.hidden, &Value::Object(spec.extra()))
}

fn parse_document(text: &str) -> Result<(String, Map<String, Value>), CloudError> {
    let broken = || CloudError::Journal {
        action: "read",
        detail: String::from("a connection entry's document is not {conn_type, extra}"),
    };
    let value: Value = serde_json::from_str(text).map_err(|_| broken())?;
    let conn_type = value["conn_type"].as_str().ok_or_else(broken)?.to_owned();
    let extra = match &value["extra"] {
        Value::Object(map) => map.clone(),
        Value::Null => Map::new(),
        _ => return Err(broken()),
    };
    Ok((conn_type, extra))
}

/// Whether the store still holds what a journal document says, comparing only what the
/// journal may hold (entries under sensitive keys are left out on both sides).
fn matches_document(remote: &RemoteConnection, document: &str) -> Result<bool, CloudError> {
    let (conn_type, extra) = parse_document(document)?;
    let hidden: Vec<String> =
        remote.hidden.iter().filter(|path| !path.split('.').any(is_sensitive_key)).cloned().collect();
    Ok(remote.conn_type == conn_type
        && extra_matches(&scrub(&remote.extra_value()), &hidden, &Value::Object(extra)))
}

fn same_remote(a: Option<&RemoteConnection>, b: Option<&RemoteConnection>) -> bool {
    match (a, b) {
        (None, None) => true,
        (Some(a), Some(b)) => {
            let sorted = |r: &RemoteConnection| {
                let mut hidden = r.hidden.clone();
                hidden.sort();
                hidden
            };
            a.conn_type == b.conn_type && a.extra_value() == b.extra_value() && sorted(a) == sorted(b)
        }
        _ => false,
    }
}

/// Reads the connection and plans creating or replacing it. Writes nothing.
pub async fn plan_connection(
    store: &impl ConnectionStore,
    spec: &ConnectionSpec,
) -> Result<ConnectionPlan, CloudError> {
    check_conn_id(spec.conn_id())?;
    let existing = store.get_connection(spec.conn_id()).await?;
    let proposed = proposed(spec);
    let (action, diff, hidden_keys, undo_available) = match &existing {
        None => {
            let undoable = journal_form(spec.conn_type(), &scrub(&Value::Object(spec.extra()))).is_some();
            (ConnectionAction::Create, line_diff(None, &proposed), Vec::new(), undoable)
        }
        Some(existing) => {
            let before = pretty(&document(&existing.conn_type, &existing.extra_value()));
            let action = if matches_spec(existing, spec) {
                ConnectionAction::Unchanged
            } else {
                ConnectionAction::Replace
            };
            let undoable = action == ConnectionAction::Replace && before_form(existing).is_some();
            (action, line_diff(Some(&before), &proposed), existing.hidden.clone(), undoable)
        }
    };
    Ok(ConnectionPlan {
        target: store.describe(),
        conn_id: spec.conn_id().to_owned(),
        action,
        existing,
        proposed,
        diff,
        hidden_keys,
        undo_available,
    })
}

/// Applies `plan` for `spec`. Refuses when the connection changed since the plan
/// (`RemoteChanged`), and a replace without `confirm_replace` (`Refused`). After the write
/// the change is journaled, then read back: a different read is `VerifyFailed`.
pub async fn apply_connection(
    store: &impl ConnectionStore,
    plan: &ConnectionPlan,
    spec: &ConnectionSpec,
    confirm_replace: bool,
    journal: &Journal,
) -> Result<ConnectionOutcome, CloudError> {
    let conn_id = spec.conn_id();
    if conn_id != plan.conn_id || proposed(spec) != plan.proposed || store.describe() != plan.target {
        return Err(CloudError::Refused {
            reason: String::from("the connection or its destination differs from the plan that was shown"),
            hint: String::from("Plan again and review the new diff."),
        });
    }
    check_conn_id(conn_id)?;
    let target = store.describe();
    let moved = || CloudError::RemoteChanged {
        what: format!("connection {conn_id} in {target}"),
        since: "the plan was shown",
    };
    let current = store.get_connection(conn_id).await?;
    if !same_remote(current.as_ref(), plan.existing.as_ref()) {
        return Err(moved());
    }
    let extra = spec.extra();
    let (journal_action, before) = match (plan.action, &current) {
        (ConnectionAction::Unchanged, _) => {
            return Ok(ConnectionOutcome {
                target,
                conn_id: conn_id.to_owned(),
                action: ConnectionAction::Unchanged,
                written: false,
                journal_id: None,
                verified: true,
                undo_available: false,
            });
        }
        (ConnectionAction::Replace, Some(_)) if !confirm_replace => {
            return Err(CloudError::Refused {
                reason: format!(
                    "connection {conn_id} already exists in {target} with another type or Extra, and \
                     would be replaced"
                ),
                hint: String::from(
                    "Review the diff, then confirm that it may be replaced. Its type and Extra are \
                     replaced; its host, login and password are kept.",
                ),
            });
        }
        (ConnectionAction::Create, None) => {
            match store.create_connection(spec).await {
                Err(CloudError::AlreadyExists { .. }) => return Err(moved()),
                other => other?,
            }
            (JournalAction::CreateConnection, None)
        }
        (ConnectionAction::Replace, Some(existing)) => {
            store.replace_connection(existing, spec.conn_type(), &extra).await?;
            (JournalAction::ReplaceConnection, Some(before_form(existing)))
        }
        _ => return Err(moved()),
    };

    let mut entry = JournalEntry::now(store.cloud(), &store.account(), "", journal_action);
    entry.resource_name = conn_id.to_owned();
    entry.resource_arn = store.address(conn_id, current.as_ref());
    entry.after = journal_form(spec.conn_type(), &scrub(&Value::Object(extra.clone())));
    if let Some(before) = before {
        if before.is_none() {
            entry.undo_unavailable = Some(UNDO_UNAVAILABLE.to_owned());
        }
        entry.before = before;
    }
    if entry.after.is_none() {
        entry.undo_unavailable =
            Some(String::from("the connection written holds values that are never journaled"));
    }
    journal.append(&entry)?;

    let read_back = store.get_connection(conn_id).await?;
    match &read_back {
        Some(remote) if matches_spec(remote, spec) => Ok(ConnectionOutcome {
            target,
            conn_id: conn_id.to_owned(),
            action: plan.action,
            written: true,
            journal_id: Some(entry.id),
            verified: true,
            undo_available: entry.undo_unavailable.is_none(),
        }),
        Some(remote) => Err(CloudError::VerifyFailed { what: mismatch(remote, spec, &target) }),
        None => Err(CloudError::VerifyFailed {
            what: format!("connection {conn_id} is not in {target} after it was written"),
        }),
    }
}

fn mismatch(remote: &RemoteConnection, spec: &ConnectionSpec, target: &str) -> String {
    let expected = Value::Object(spec.extra());
    let extra_hidden: Vec<&str> = remote
        .hidden
        .iter()
        .filter(|path| !super::path_exists(&expected, path))
        .map(String::as_str)
        .collect();
    let mut what = format!(
        "connection {} in {target} reads back as type {} with Extra {}",
        remote.conn_id,
        remote.conn_type,
        remote.extra.as_deref().unwrap_or("(none)")
    );
    if !extra_hidden.is_empty() {
        what.push_str(&format!(
            "; it still holds hidden values under {} — remove them where the connection is managed",
            extra_hidden.join(", ")
        ));
    }
    what
}

/// Undoes a `CreateConnection` (deletes it) or a `ReplaceConnection` (writes the recorded
/// type and Extra back) if the connection is still exactly as the app left it.
pub async fn undo_connection(
    store: &impl ConnectionStore,
    journal: &Journal,
    entry: &JournalEntry,
) -> Result<ConnectionOutcome, CloudError> {
    if entry.cloud != store.cloud() || entry.account != store.account() {
        return Err(CloudError::Refused {
            reason: format!(
                "journal entry {} changed {} {}, not {}",
                entry.id,
                entry.cloud,
                entry.account,
                store.describe()
            ),
            hint: String::from("Undo it with the same Airflow URL or Astro Deployment or Workspace."),
        });
    }
    if entry.undoes.is_some() {
        return Err(CloudError::Refused {
            reason: format!("journal entry {} is itself an undo", entry.id),
            hint: String::from("Create the connection again instead."),
        });
    }
    // Re-read from the journal: it knows whether the entry was undone already.
    let entry = journal.undo_candidate(store.cloud(), Some(&entry.id))?;
    let conn_id = entry.resource_name.as_str();
    check_conn_id(conn_id)?;
    let target = store.describe();
    let moved = |why: &str| CloudError::RemoteChanged {
        what: format!("connection {conn_id} in {target}{why}"),
        since: "the change being undone",
    };
    let broken = || CloudError::Journal {
        action: "read",
        detail: format!("journal entry {} lacks the connection it wrote", entry.id),
    };
    let written = entry.after.as_deref();
    match entry.action {
        JournalAction::CreateConnection => {
            let written = written.ok_or_else(broken)?;
            let Some(current) = store.get_connection(conn_id).await? else {
                return Err(moved(" (it was deleted meanwhile)"));
            };
            if !matches_document(&current, written)? {
                return Err(moved(""));
            }
            store.delete_connection(&current).await?;
            let mut undo =
                JournalEntry::now(store.cloud(), &entry.account, "", JournalAction::DeleteConnection);
            undo.resource_name = entry.resource_name.clone();
            undo.resource_arn = store.address(conn_id, Some(&current));
            undo.before = entry.after.clone();
            undo.undoes = Some(entry.id.clone());
            undo.undo_unavailable =
                Some(String::from("this entry undid another; create the connection again instead"));
            journal.append(&undo)?;
            if store.get_connection(conn_id).await?.is_some() {
                return Err(CloudError::VerifyFailed {
                    what: format!("connection {conn_id} is still in {target}"),
                });
            }
            Ok(ConnectionOutcome {
                target,
                conn_id: conn_id.to_owned(),
                action: ConnectionAction::Delete,
                written: true,
                journal_id: Some(undo.id),
                verified: true,
                undo_available: false,
            })
        }
        JournalAction::ReplaceConnection => {
            let Some(earlier) = entry.before.as_deref() else {
                return Err(CloudError::Refused {
                    reason: format!(
                        "journal entry {} cannot be undone: {}",
                        entry.id,
                        entry
                            .undo_unavailable
                            .as_deref()
                            .unwrap_or("its earlier connection was not recorded")
                    ),
                    hint: String::from(
                        "Restore the earlier connection by hand (Airflow: Admin > Connections; Astro: the \
                         Environment Manager); its hidden values were never recorded.",
                    ),
                });
            };
            let written = written.ok_or_else(broken)?;
            let Some(current) = store.get_connection(conn_id).await? else {
                return Err(moved(" (it was deleted meanwhile)"));
            };
            if !matches_document(&current, written)? {
                return Err(moved(""));
            }
            let (conn_type, extra) = parse_document(earlier)?;
            store.replace_connection(&current, &conn_type, &extra).await?;
            let mut undo =
                JournalEntry::now(store.cloud(), &entry.account, "", JournalAction::ReplaceConnection);
            undo.resource_name = entry.resource_name.clone();
            undo.resource_arn = store.address(conn_id, Some(&current));
            undo.before = entry.after.clone();
            undo.after = entry.before.clone();
            undo.undoes = Some(entry.id.clone());
            undo.undo_unavailable =
                Some(String::from("this entry undid another; apply the connection again instead"));
            journal.append(&undo)?;
            let restored = match store.get_connection(conn_id).await? {
                Some(read_back) => matches_document(&read_back, earlier)?,
                None => false,
            };
            if !restored {
                return Err(CloudError::VerifyFailed {
                    what: format!(
                        "connection {conn_id} in {target} is not back to its earlier type and Extra"
                    ),
                });
            }
            Ok(ConnectionOutcome {
                target,
                conn_id: conn_id.to_owned(),
                action: ConnectionAction::Replace,
                written: true,
                journal_id: Some(undo.id),
                verified: true,
                undo_available: false,
            })
        }
        _ => Err(CloudError::Refused {
            reason: format!("journal entry {} is not an Airflow connection change", entry.id),
            hint: String::from("Undo it from the journey that made it."),
        }),
    }
}

#[cfg(test)]
mod tests {
    use std::cell::RefCell;

    use astro_identity_domain::airflow::{AwsConnectionInput, GcpConnectionInput};

    use super::*;

    /// An in-memory store that hides values like Airflow does.
    #[derive(Default)]
    struct Memory {
        stored: RefCell<Option<(String, Value)>>,
        writes: RefCell<u32>,
    }

    fn redact(value: &Value) -> Value {
        match value {
            Value::Object(map) => Value::Object(
                map.iter()
                    .map(|(k, v)| (k.clone(), if is_sensitive_key(k) { json!(MASK) } else { redact(v) }))
                    .collect(),
            ),
            other => other.clone(),
        }
    }

    impl ConnectionStore for Memory {
        fn cloud(&self) -> &'static str {
            "airflow"
        }
        fn account(&self) -> String {
            String::from("memory://")
        }
        fn describe(&self) -> String {
            String::from("memory")
        }
        fn address(&self, conn_id: &str, _: Option<&RemoteConnection>) -> String {
            format!("memory://{conn_id}")
        }
        async fn get_connection(&self, conn_id: &str) -> Result<Option<RemoteConnection>, CloudError> {
            Ok(self.stored.borrow().as_ref().map(|(conn_type, extra)| {
                let shown = redact(extra);
                RemoteConnection {
                    conn_id: conn_id.to_owned(),
                    conn_type: conn_type.clone(),
                    hidden: super::super::masked_paths(&shown),
                    extra: Some(shown.to_string()),
                    remote_id: None,
                }
            }))
        }
        async fn create_connection(&self, spec: &ConnectionSpec) -> Result<(), CloudError> {
            *self.writes.borrow_mut() += 1;
            *self.stored.borrow_mut() = Some((spec.conn_type().to_owned(), Value::Object(spec.extra())));
            Ok(())
        }
        async fn replace_connection(
            &self,
            _: &RemoteConnection,
            conn_type: &str,
            extra: &Map<String, Value>,
        ) -> Result<(), CloudError> {
            *self.writes.borrow_mut() += 1;
            *self.stored.borrow_mut() = Some((conn_type.to_owned(), Value::Object(extra.clone())));
            Ok(())
        }
        async fn delete_connection(&self, _: &RemoteConnection) -> Result<(), CloudError> {
            *self.writes.borrow_mut() += 1;
            *self.stored.borrow_mut() = None;
            Ok(())
        }
    }

    fn web_identity() -> ConnectionSpec {
        ConnectionSpec::aws(&AwsConnectionInput {
            conn_id: "aws_default".into(),
            role_arn: "arn:aws:iam::123456789012:role/astro-data".into(),
            region: "us-east-1".into(),
            external_id: None,
            web_identity: true,
        })
        .expect("valid")
    }

    fn gcp() -> ConnectionSpec {
        ConnectionSpec::gcp(&GcpConnectionInput {
            conn_id: "aws_default".into(),
            project: "astro-data".into(),
            impersonation_chain: None,
        })
        .expect("valid")
    }

    #[tokio::test]
    async fn a_masked_token_file_still_verifies_and_plans_unchanged_without_journaling_it() {
        let store = Memory::default();
        let dir = tempfile::tempdir().expect("tempdir");
        let journal = Journal::in_dir(dir.path());
        let spec = web_identity();
        let plan = plan_connection(&store, &spec).await.expect("plan");
        assert_eq!(plan.action, ConnectionAction::Create);
        let outcome = apply_connection(&store, &plan, &spec, false, &journal).await.expect("apply");
        assert!(outcome.written && outcome.verified && outcome.undo_available);
        let entries = journal.entries().expect("entries");
        let after = entries[0].after.clone().expect("after");
        assert!(!after.contains("token") && !after.contains(MASK), "{after}");

        let again = plan_connection(&store, &spec).await.expect("plan");
        assert_eq!(again.action, ConnectionAction::Unchanged);
        assert_eq!(again.hidden_keys, ["assume_role_with_web_identity_token_file"]);
        let outcome = apply_connection(&store, &again, &spec, false, &journal).await.expect("apply");
        assert!(!outcome.written);
        assert_eq!(*store.writes.borrow(), 1);

        // Replacing it: the replaced connection had a hidden value, so no undo.
        let other = gcp();
        let plan = plan_connection(&store, &other).await.expect("plan");
        assert_eq!(plan.action, ConnectionAction::Replace);
        assert!(!plan.undo_available);
        let outcome = apply_connection(&store, &plan, &other, true, &journal).await.expect("apply");
        assert!(!outcome.undo_available);
        let entry = journal.entries().expect("entries").pop().expect("entry");
        assert_eq!(entry.before, None);
        let err = undo_connection(&store, &journal, &entry).await.expect_err("unavailable");
        assert_eq!(err.code(), "refused");
        assert!(err.to_string().contains("cannot be undone"), "{err}");

        // The create can still be undone? No: the connection is no longer what it wrote.
        let err = undo_connection(&store, &journal, &entries[0]).await.expect_err("moved");
        assert_eq!(err.code(), "remote_changed");
    }

    #[tokio::test]
    async fn a_plan_for_another_spec_or_a_moved_connection_is_refused() {
        let store = Memory::default();
        let dir = tempfile::tempdir().expect("tempdir");
        let journal = Journal::in_dir(dir.path());
        let plan = plan_connection(&store, &gcp()).await.expect("plan");
        let err =
            apply_connection(&store, &plan, &web_identity(), false, &journal).await.expect_err("other spec");
        assert_eq!(err.code(), "refused");
        *store.stored.borrow_mut() = Some((String::from("aws"), json!({})));
        let err = apply_connection(&store, &plan, &gcp(), false, &journal).await.expect_err("moved");
        assert_eq!(err.code(), "remote_changed");
        assert_eq!(journal.entries().expect("entries"), []);
    }
}
