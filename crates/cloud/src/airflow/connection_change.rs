//! The journey's Airflow connection as a change kind of the engine (`crate::change`): plan
//! (read, diff), apply (re-read, refuse if it moved, intent, write, verify, outcome) and
//! undo — for any [`ConnectionStore`].
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
use crate::backoff::Backoff;
use crate::change::{self, ChangeKind, Target};
use crate::journal::{Journal, JournalAction, JournalEntry, Settlement, Subject};

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
/// (`RemoteChanged`), and a replace without `confirm_replace` (`Refused`). Journaled as an
/// intent before it is sent, then read back: a different read is `VerifyFailed`.
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
    if plan.action == ConnectionAction::Replace && !confirm_replace {
        return Err(CloudError::Refused {
            reason: format!(
                "connection {conn_id} already exists in {target} with another type or Extra, and would be \
                 replaced"
            ),
            hint: String::from(
                "Review the diff, then confirm that it may be replaced. Its type and Extra are replaced; its \
                 host, login and password are kept.",
            ),
        });
    }
    let kind = Connection {
        store,
        conn_id,
        existing: plan.existing.as_ref(),
        op: ConnectionOp::Apply { plan, spec },
    };
    let applied = change::apply(&kind, journal, Backoff::ONCE).await?;
    let undo_available = applied.written
        && journal_form(spec.conn_type(), &scrub(&Value::Object(spec.extra()))).is_some()
        && (plan.action == ConnectionAction::Create
            || plan.existing.as_ref().is_some_and(|e| before_form(e).is_some()));
    Ok(ConnectionOutcome {
        target,
        conn_id: conn_id.to_owned(),
        action: if applied.written { plan.action } else { ConnectionAction::Unchanged },
        written: applied.written,
        journal_id: applied.journal_id,
        verified: true,
        undo_available,
    })
}

/// `{conn_type, extra}` as the journal keeps it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub(crate) struct ConnectionDoc {
    pub conn_type: String,
    #[serde(default)]
    pub extra: Map<String, Value>,
}

impl ConnectionDoc {
    fn text(&self) -> String {
        document(&self.conn_type, &Value::Object(self.extra.clone())).to_string()
    }
}

/// What a connection change does.
pub(crate) enum ConnectionOp<'a> {
    /// Create or replace it as planned.
    Apply { plan: &'a ConnectionPlan, spec: &'a ConnectionSpec },
    /// Undo: delete a connection the app created, or write back the recorded type and
    /// Extra — only while it is still what the change wrote.
    Undo { entry: &'a JournalEntry, written: Option<ConnectionDoc>, before: Option<ConnectionDoc> },
    /// Settling: read and judge only.
    Settle,
}

/// One Airflow connection. Read: the connection as the store shows it; State: what the
/// journal may hold of it.
pub(crate) struct Connection<'a, C> {
    pub store: &'a C,
    pub conn_id: &'a str,
    /// The connection as planned or as last known, for its address.
    pub existing: Option<&'a RemoteConnection>,
    pub op: ConnectionOp<'a>,
}

impl<C: ConnectionStore> Connection<'_, C> {
    fn target_words(&self) -> String {
        format!("connection {} in {}", self.conn_id, self.store.describe())
    }
}

fn holds_document(now: Option<&RemoteConnection>, doc: Option<&ConnectionDoc>) -> bool {
    match (now, doc) {
        (None, None) => true,
        (Some(now), Some(doc)) => matches_document(now, &doc.text()).unwrap_or(false),
        _ => false,
    }
}

impl<C: ConnectionStore> ChangeKind for Connection<'_, C> {
    type Read = RemoteConnection;
    type State = ConnectionDoc;

    fn subject(&self) -> Subject {
        Subject::AirflowConnection {
            destination: self.store.cloud().to_owned(),
            account: self.store.account(),
            address: self.store.address(self.conn_id, self.existing),
            conn_id: self.conn_id.to_owned(),
        }
    }
    fn action(&self) -> JournalAction {
        match &self.op {
            ConnectionOp::Apply { plan, .. } if plan.action == ConnectionAction::Create => {
                JournalAction::CreateConnection
            }
            ConnectionOp::Undo { before: None, .. } => JournalAction::DeleteConnection,
            _ => JournalAction::ReplaceConnection,
        }
    }
    fn undoes(&self) -> Option<String> {
        match &self.op {
            ConnectionOp::Undo { entry, .. } => Some(entry.id.clone()),
            _ => None,
        }
    }
    async fn read(&self) -> Result<Option<RemoteConnection>, CloudError> {
        self.store.get_connection(self.conn_id).await
    }
    fn record(&self, read: &RemoteConnection) -> Option<ConnectionDoc> {
        let (conn_type, extra) = parse_document(&before_form(read)?).ok()?;
        Some(ConnectionDoc { conn_type, extra })
    }
    fn undo_unavailable(
        &self,
        current: Option<&RemoteConnection>,
        after: Option<&ConnectionDoc>,
    ) -> Option<String> {
        match &self.op {
            ConnectionOp::Undo { .. } => {
                Some(String::from("this entry undid another; apply the connection again instead"))
            }
            _ if current.is_some_and(|c| before_form(c).is_none()) => Some(UNDO_UNAVAILABLE.to_owned()),
            _ if after.is_none_or(|a| a.text().contains(MASK)) => {
                Some(String::from("the connection written holds values that are never journaled"))
            }
            _ => None,
        }
    }
    fn target(
        &self,
        current: Option<&RemoteConnection>,
        _: u32,
    ) -> Result<Target<ConnectionDoc>, CloudError> {
        let moved = |why: &str, since| CloudError::RemoteChanged {
            what: format!("{}{why}", self.target_words()),
            since,
        };
        match &self.op {
            ConnectionOp::Apply { plan, spec } => {
                if !same_remote(current, plan.existing.as_ref()) {
                    return Err(moved("", "the plan was shown"));
                }
                let doc = ConnectionDoc { conn_type: spec.conn_type().to_owned(), extra: scrubbed(spec) };
                match (plan.action, current) {
                    (ConnectionAction::Unchanged, _) => Ok(Target::Unchanged),
                    (ConnectionAction::Create, None) | (ConnectionAction::Replace, Some(_)) => {
                        Ok(Target::Write(Some(doc)))
                    }
                    _ => Err(moved("", "the plan was shown")),
                }
            }
            ConnectionOp::Undo { entry, written, before } => {
                let Some(now) = current else {
                    return Err(moved(" (it was deleted meanwhile)", "the change being undone"));
                };
                if entry.action == JournalAction::ReplaceConnection && before.is_none() {
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
                }
                if !holds_document(Some(now), written.as_ref()) {
                    return Err(moved("", "the change being undone"));
                }
                Ok(Target::Write(before.clone()))
            }
            ConnectionOp::Settle => Ok(Target::Unchanged),
        }
    }
    async fn write(
        &self,
        current: Option<&RemoteConnection>,
        after: Option<&ConnectionDoc>,
    ) -> Result<(), CloudError> {
        match (&self.op, current, after) {
            (ConnectionOp::Apply { spec, .. }, None, _) => match self.store.create_connection(spec).await {
                Err(CloudError::AlreadyExists { .. }) => {
                    Err(CloudError::RemoteChanged { what: self.target_words(), since: "the plan was shown" })
                }
                other => other,
            },
            (ConnectionOp::Apply { spec, .. }, Some(existing), _) => {
                self.store.replace_connection(existing, spec.conn_type(), &spec.extra()).await
            }
            (_, Some(existing), None) => self.store.delete_connection(existing).await,
            (_, Some(existing), Some(doc)) => {
                self.store.replace_connection(existing, &doc.conn_type, &doc.extra).await
            }
            (_, None, _) => Err(CloudError::NotFound { what: self.target_words() }),
        }
    }
    fn judge(
        &self,
        now: Option<&RemoteConnection>,
        before: Option<&ConnectionDoc>,
        after: Option<&ConnectionDoc>,
    ) -> Settlement {
        if holds_document(now, after) {
            Settlement::Applied
        } else if holds_document(now, before) {
            Settlement::NotApplied
        } else {
            Settlement::ChangedBySomeoneElse
        }
    }
    fn holds(
        &self,
        now: Option<&RemoteConnection>,
        before: Option<&ConnectionDoc>,
        after: Option<&ConnectionDoc>,
    ) -> bool {
        match (&self.op, now) {
            // What was written includes values the journal leaves out: compare with the spec.
            (ConnectionOp::Apply { spec, .. }, Some(now)) => matches_spec(now, spec),
            (ConnectionOp::Apply { .. }, None) => false,
            _ => self.judge(now, before, after) == Settlement::Applied,
        }
    }
    fn found(&self, now: Option<&RemoteConnection>, found: Settlement) -> String {
        let words = match (now, found) {
            (None, _) => "does not exist",
            (Some(_), Settlement::Applied) => "holds what the change wrote",
            (Some(_), Settlement::NotApplied) => "is as it was before",
            (Some(_), Settlement::ChangedBySomeoneElse) => "is neither the old nor the new connection",
        };
        format!("{} {words}", self.target_words())
    }
    fn not_held(&self, now: Option<&RemoteConnection>, _: &str) -> String {
        let target = self.store.describe();
        match (&self.op, now) {
            (ConnectionOp::Apply { spec, .. }, Some(remote)) => mismatch(remote, spec, &target),
            (ConnectionOp::Apply { .. }, None) => {
                format!("connection {} is not in {target} after it was written", self.conn_id)
            }
            (_, Some(_)) if matches!(&self.op, ConnectionOp::Undo { before: None, .. }) => {
                format!("connection {} is still in {target}", self.conn_id)
            }
            _ => format!("connection {} in {target} is not back to its earlier type and Extra", self.conn_id),
        }
    }
}

/// The spec's Extra without the entries under sensitive keys.
fn scrubbed(spec: &ConnectionSpec) -> Map<String, Value> {
    match scrub(&Value::Object(spec.extra())) {
        Value::Object(map) => map,
        _ => Map::new(),
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
    if entry.cloud() != store.cloud() || entry.account() != store.account() {
        return Err(CloudError::Refused {
            reason: format!(
                "journal entry {} changed {} {}, not {}",
                entry.id,
                entry.cloud(),
                entry.account(),
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
    if !matches!(entry.action, JournalAction::CreateConnection | JournalAction::ReplaceConnection) {
        return Err(CloudError::Refused {
            reason: format!("journal entry {} is not an Airflow connection change", entry.id),
            hint: String::from("Undo it from the journey that made it."),
        });
    }
    let conn_id = entry.resource_name();
    check_conn_id(&conn_id)?;
    let written: Option<ConnectionDoc> = change::typed(entry.after.as_ref(), &entry.id)?;
    if written.is_none() {
        return Err(CloudError::Journal {
            action: "read",
            detail: format!("journal entry {} lacks the connection it wrote", entry.id),
        });
    }
    let before: Option<ConnectionDoc> = change::typed(entry.before.as_ref(), &entry.id)?;
    let kind = Connection {
        store,
        conn_id: &conn_id,
        existing: None,
        op: ConnectionOp::Undo { entry: &entry, written, before },
    };
    let deleting = entry.action == JournalAction::CreateConnection;
    let applied = change::apply(&kind, journal, Backoff::ONCE).await?;
    Ok(ConnectionOutcome {
        target: store.describe(),
        conn_id: conn_id.clone(),
        action: if deleting { ConnectionAction::Delete } else { ConnectionAction::Replace },
        written: applied.written,
        journal_id: applied.journal_id,
        verified: true,
        undo_available: false,
    })
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
        /// When set, every write checks that its intent is journaled already.
        journal: Option<Journal>,
    }

    impl Memory {
        fn wrote(&self) {
            crate::fakes::intent_on_disk(&self.journal);
            *self.writes.borrow_mut() += 1;
        }
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
            self.wrote();
            *self.stored.borrow_mut() = Some((spec.conn_type().to_owned(), Value::Object(spec.extra())));
            Ok(())
        }
        async fn replace_connection(
            &self,
            _: &RemoteConnection,
            conn_type: &str,
            extra: &Map<String, Value>,
        ) -> Result<(), CloudError> {
            self.wrote();
            *self.stored.borrow_mut() = Some((conn_type.to_owned(), Value::Object(extra.clone())));
            Ok(())
        }
        async fn delete_connection(&self, _: &RemoteConnection) -> Result<(), CloudError> {
            self.wrote();
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
        let dir = tempfile::tempdir().expect("tempdir");
        let journal = Journal::in_dir(dir.path());
        let store = Memory { journal: Some(journal.clone()), ..Memory::default() };
        let spec = web_identity();
        let plan = plan_connection(&store, &spec).await.expect("plan");
        assert_eq!(plan.action, ConnectionAction::Create);
        let outcome = apply_connection(&store, &plan, &spec, false, &journal).await.expect("apply");
        assert!(outcome.written && outcome.verified && outcome.undo_available);
        let entries = journal.entries().expect("entries");
        let after = entries[0].after.clone().expect("after").to_string();
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
