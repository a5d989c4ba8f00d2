//! The model behind the visual bindings editor: the same allow policy as a table (one row
//! per binding: role, member chips, condition) and as JSON, with every table edit done here.
//!
//! The UI keeps only the text. On every keystroke it asks [`analyze`] for the rows and the
//! lints; a table edit sends the text and a [`BindingsOp`] to [`apply_edit`] and gets the
//! new text back. Being stateless keeps the two sides from ever disagreeing: the text is
//! the only truth.
//!
//! Edits are surgical, like [`IamPolicy`]'s own: an op changes only the binding it names
//! (plus `version`, which IAM requires to be 3 once any binding has a condition) and keeps
//! `auditConfigs`, `etag`, unknown fields and key order. Bindings are addressed by index,
//! not by role + condition: policies read from IAM can hold several bindings with the same
//! role and condition, and the row the person clicked is the one that must change.

use serde::{Deserialize, Serialize};
use serde_json::{Map, Value, json};

use super::catalog::is_basic_role;
use super::iam_policy::{CONDITIONAL_POLICY_VERSION, Condition, IamPolicy};
use super::identity::parse_member;
use super::lint::{IamLint, IamLintCode, lint_policy};
use crate::DomainError;
use crate::json::{self, to_u32};

const FIELD: &str = "iam_policy";

const BASIC_CONDITION_HINT: &str =
    "grant a predefined role with the condition instead, or drop the condition";

/// What the editor shows for the current text.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "specta", derive(specta::Type))]
#[serde(tag = "state", rename_all = "camelCase")]
pub enum BindingsState {
    Valid {
        view: BindingsView,
        /// The policy as the JSON side shows it after a table edit (two-space indentation).
        pretty: String,
        lints: Vec<IamLint>,
    },
    /// The text is not an allow policy; the table keeps showing the last valid state.
    Invalid {
        message: String,
        /// 1-based.
        line: u32,
        /// 1-based, in characters (not bytes) so non-ASCII text before the error does not
        /// shift the marker. 1 for a document that is JSON but not a policy.
        column: u32,
    },
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "specta", derive(specta::Type))]
#[serde(rename_all = "camelCase")]
pub struct BindingsView {
    pub bindings: Vec<BindingView>,
    /// As [`IamPolicy::version`]: a missing `version` shows as 1.
    pub version: u32,
    /// The table does not show audit logging; the UI says it is there and kept as is.
    pub has_audit_configs: bool,
    /// Against Google's limit of 1,500 (see [`IamPolicy::principal_count`]).
    pub principal_count: u32,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "specta", derive(specta::Type))]
#[serde(rename_all = "camelCase")]
pub struct BindingView {
    /// 0-based, as [`BindingsOp`]s and [`IamLint::binding`] address bindings.
    pub index: u32,
    pub role: String,
    /// As in the document: duplicates and `deleted:` members included, so that what the
    /// row shows is exactly what [`BindingsOp::RemoveMember`] can remove.
    pub members: Vec<String>,
    pub condition: Option<Condition>,
    /// `roles/owner`, `roles/editor` or `roles/viewer`: the row offers no condition.
    pub basic: bool,
}

/// One table edit. Bindings are addressed 0-based, as [`BindingView::index`].
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "specta", derive(specta::Type))]
#[serde(tag = "op", rename_all = "camelCase")]
pub enum BindingsOp {
    AddMember {
        binding: u32,
        member: String,
    },
    /// Removes every occurrence of `member` (as the view shows it) from the binding, and
    /// the binding itself when it has no member left.
    RemoveMember {
        binding: u32,
        member: String,
    },
    /// Grants `role` to `member` under `condition`: joins the first binding with the same
    /// role and condition, else appends a new binding.
    AddBinding {
        role: String,
        member: String,
        condition: Option<Condition>,
    },
    /// Adds, replaces (`Some`) or removes (`None`) the binding's condition.
    SetCondition {
        binding: u32,
        condition: Option<Condition>,
    },
    RemoveBinding {
        binding: u32,
    },
}

/// The rows, pretty JSON and lints of `text`, or where it stops being a policy.
pub fn analyze(text: &str) -> BindingsState {
    match IamPolicy::parse(text) {
        Ok(policy) => BindingsState::Valid {
            view: view_of(&policy),
            pretty: policy.to_pretty_json(),
            lints: lints_of(&policy),
        },
        Err(error) => invalid_state(text, error),
    }
}

/// Applies `op` to the policy in `text` and returns the new policy as pretty JSON.
pub fn apply_edit(text: &str, op: &BindingsOp) -> Result<String, DomainError> {
    let policy = IamPolicy::parse(text)?;
    let doc = match op {
        BindingsOp::AddBinding { role, member, condition } => {
            add_binding(&policy, role, member, condition.as_ref())?
        }
        BindingsOp::AddMember { binding, member } => {
            let mut doc = policy.into_value();
            BindingEdit::at(&mut doc, *binding)?.add_member(member)?;
            doc
        }
        BindingsOp::RemoveMember { binding, member } => {
            let mut doc = policy.into_value();
            if BindingEdit::at(&mut doc, *binding)?.remove_member(member)? {
                remove_binding_at(&mut doc, *binding);
            }
            doc
        }
        BindingsOp::SetCondition { binding, condition } => {
            let mut doc = policy.into_value();
            BindingEdit::at(&mut doc, *binding)?.set_condition(condition.as_ref())?;
            doc
        }
        BindingsOp::RemoveBinding { binding } => {
            let mut doc = policy.into_value();
            // Checks the index with the same message as every other edit.
            BindingEdit::at(&mut doc, *binding)?;
            remove_binding_at(&mut doc, *binding);
            doc
        }
    };
    // Every edit keeps the document a policy; checking again costs one walk over the
    // bindings and guarantees the JSON side never receives something `analyze` rejects.
    let after = IamPolicy::from_value(doc)?;
    Ok(with_conditional_version(after)?.to_pretty_json())
}

// ---- analyze ----

fn invalid_state(text: &str, error: DomainError) -> BindingsState {
    let DomainError::Invalid { problem, hint, .. } = error;
    // The parse error names the spot only inside its message; the editor wants numbers.
    let (line, column) = json::error_position(text);
    BindingsState::Invalid { message: format!("{problem}; {hint}"), line, column }
}

fn view_of(policy: &IamPolicy) -> BindingsView {
    // `from_value` has checked that every binding is an object, so the positions of
    // `bindings()` are the document's indices.
    let bindings = policy
        .bindings()
        .into_iter()
        .enumerate()
        .map(|(index, b)| BindingView {
            index: to_u32(index),
            basic: is_basic_role(&b.role),
            role: b.role,
            members: b.members,
            condition: b.condition,
        })
        .collect();
    // `"auditConfigs": []` configures nothing; only a non-empty one is worth pointing at.
    let has_audit_configs = policy
        .as_value()
        .get("auditConfigs")
        .is_some_and(|a| !a.is_null() && a.as_array().is_none_or(|list| !list.is_empty()));
    BindingsView {
        bindings,
        version: policy.version(),
        has_audit_configs,
        principal_count: policy.principal_count(),
    }
}

/// Basic roles per binding, then the policy-wide limits.
///
/// Unlike a plan's lints (which leave the customer's existing bindings alone), the editor
/// shows the whole policy being edited, so every basic role in it is flagged: this is the
/// screen where replacing one is a click away.
fn lints_of(policy: &IamPolicy) -> Vec<IamLint> {
    let mut lints = Vec::new();
    for (index, binding) in policy.bindings().iter().enumerate() {
        if !is_basic_role(&binding.role) {
            continue;
        }
        let lint = |code: IamLintCode, message: String, hint: &str| IamLint {
            level: code.level(),
            code,
            message,
            hint: hint.to_owned(),
            binding: Some(to_u32(index)),
        };
        let role = &binding.role;
        if binding.condition.is_some() {
            lints.push(lint(
                IamLintCode::ConditionOnBasicRole,
                format!("conditions cannot be used with basic roles such as {role}"),
                BASIC_CONDITION_HINT,
            ));
        }
        let scope = match role.as_str() {
            "roles/owner" => "full control of every resource, including who has access",
            "roles/editor" => "write access to almost every resource",
            _ => "read access to almost every resource",
        };
        lints.push(lint(
            IamLintCode::BasicRole,
            format!("{role} is a basic role: in the whole project it grants {scope}"),
            "grant predefined roles for what the members need instead, e.g. roles/bigquery.dataViewer \
             to read BigQuery data or roles/storage.objectViewer for Cloud Storage",
        ));
    }
    lints.extend(lint_policy(policy));
    lints
}

// ---- edits ----

fn add_binding(
    policy: &IamPolicy,
    role: &str,
    member: &str,
    condition: Option<&Condition>,
) -> Result<Value, DomainError> {
    let role = checked_role(role)?;
    let member = parse_member(member)?;
    let condition = condition.map(validated).transpose()?;
    if condition.is_some() && is_basic_role(role) {
        return Err(DomainError::invalid(
            FIELD,
            format!("conditions cannot be used with basic roles such as {role}"),
            BASIC_CONDITION_HINT,
        ));
    }
    if let Some(index) = policy.binding_index(role, &member, condition.as_ref()) {
        let under = if condition.is_some() { " under this condition" } else { "" };
        return Err(DomainError::invalid(
            FIELD,
            format!("binding {} already grants {role} to {member}{under}", u64::from(index) + 1),
            "nothing to add",
        ));
    }
    Ok(policy.add_member(role, &member, condition.as_ref()).into_value())
}

/// A condition as the form sent it, checked and trimmed like one typed into the form, so
/// the errors name `condition_title` / `condition_expression`.
fn validated(condition: &Condition) -> Result<Condition, DomainError> {
    Condition::new(&condition.title, condition.description.as_deref(), &condition.expression)
}

/// The three forms IAM accepts: `roles/ID`, `projects/P/roles/ID`, `organizations/O/roles/ID`.
/// Checked here because a new binding is the one place a role name is typed; IAM would
/// refuse anything else at apply time, far from the typo.
fn checked_role(role: &str) -> Result<&str, DomainError> {
    const HINT: &str = "predefined roles look like roles/bigquery.jobUser, custom roles like \
                        projects/PROJECT/roles/ROLE or organizations/ORG/roles/ROLE";
    let role = role.trim();
    if role.is_empty() {
        return Err(DomainError::invalid("role", "is required", HINT));
    }
    let id_ok =
        |id: &str| !id.is_empty() && id.chars().all(|c| c.is_ascii_alphanumeric() || matches!(c, '.' | '_'));
    let parts: Vec<&str> = role.split('/').collect();
    let ok = match parts[..] {
        ["roles", id] => id_ok(id),
        ["projects" | "organizations", parent, "roles", id] => {
            !parent.is_empty() && !parent.contains(char::is_whitespace) && id_ok(id)
        }
        _ => false,
    };
    if ok {
        Ok(role)
    } else {
        Err(DomainError::invalid("role", format!("{role:?} is not a role name"), HINT))
    }
}

/// One binding being edited, with the name errors call it by.
struct BindingEdit<'a> {
    map: &'a mut Map<String, Value>,
    label: String,
}

impl<'a> BindingEdit<'a> {
    fn at(doc: &'a mut Value, index: u32) -> Result<Self, DomainError> {
        let count = binding_count(doc);
        let position = usize::try_from(index).unwrap_or(usize::MAX);
        let map = match doc.get_mut("bindings") {
            Some(Value::Array(list)) => list.get_mut(position).and_then(Value::as_object_mut),
            _ => None,
        };
        let Some(map) = map else {
            return Err(DomainError::invalid(
                FIELD,
                format!("there is no binding {}; the policy has {count}", u64::from(index) + 1),
                "the table is out of date; re-read the policy text",
            ));
        };
        // 1-based like `IamPolicy::parse`'s messages; the role is what people look for.
        let role = map.get("role").and_then(Value::as_str).unwrap_or_default();
        let label = format!("binding {} ({role})", position + 1);
        Ok(Self { map, label })
    }

    fn error(&self, problem: impl std::fmt::Display, hint: impl Into<String>) -> DomainError {
        DomainError::invalid(FIELD, format!("{}: {problem}", self.label), hint)
    }

    fn role(&self) -> &str {
        self.map.get("role").and_then(Value::as_str).unwrap_or_default()
    }

    fn add_member(self, member: &str) -> Result<(), DomainError> {
        let member = parse_member(member)?;
        if self.members().any(|m| m == member) {
            return Err(self.error(format!("already has {member}"), "nothing to add"));
        }
        match self.map.get_mut("members") {
            Some(Value::Array(members)) => members.push(Value::from(member)),
            // `from_value` allows only an array or nothing here.
            _ => {
                // Google writes `members` right after `role`; a new key goes there.
                let at = self.map.keys().position(|k| k == "role").map_or(0, |i| i + 1);
                self.map.shift_insert(at, "members".to_owned(), json!([member]));
            }
        }
        Ok(())
    }

    /// Whether the binding was left without members (the caller removes it).
    fn remove_member(self, member: &str) -> Result<bool, DomainError> {
        if member.is_empty() {
            return Err(self.error("no member given (empty)", "remove a member the table shows"));
        }
        // Compared as written, not through `parse_member`: `deleted:` members and odd
        // identities already in the policy must stay removable.
        if !self.members().any(|m| m == member) {
            return Err(self.error(format!("has no member {member:?}"), "remove a member the table shows"));
        }
        let Some(Value::Array(members)) = self.map.get_mut("members") else { return Ok(false) };
        // IAM stores a binding's members as a set: a repeat is the same grant, so it goes too.
        members.retain(|m| m.as_str() != Some(member));
        Ok(members.is_empty())
    }

    fn set_condition(self, condition: Option<&Condition>) -> Result<(), DomainError> {
        let Some(condition) = condition else {
            if self.map.get("condition").is_none_or(Value::is_null) {
                return Err(self.error("has no condition", "nothing to remove"));
            }
            self.map.shift_remove("condition");
            return Ok(());
        };
        let condition = validated(condition)?;
        if is_basic_role(self.role()) {
            let role = self.role().to_owned();
            return Err(self.error(
                format!("conditions cannot be used with basic roles such as {role}"),
                BASIC_CONDITION_HINT,
            ));
        }
        // `insert` replaces in place (keeping the key's position) or appends, after
        // `members` as Google writes it.
        self.map.insert("condition".to_owned(), condition.to_value());
        Ok(())
    }

    fn members(&self) -> impl Iterator<Item = &str> {
        let list = match self.map.get("members") {
            Some(Value::Array(items)) => items.as_slice(),
            _ => &[],
        };
        list.iter().filter_map(Value::as_str)
    }
}

/// Removes the binding at `index` (already checked), and `bindings` with its last entry:
/// Google omits empty fields, so the policy reads back that way.
fn remove_binding_at(doc: &mut Value, index: u32) {
    let Some(object) = doc.as_object_mut() else { return };
    let Some(Value::Array(list)) = object.get_mut("bindings") else { return };
    let position = usize::try_from(index).unwrap_or(usize::MAX);
    if position < list.len() {
        list.remove(position);
    }
    if list.is_empty() {
        object.shift_remove("bindings");
    }
}

fn binding_count(doc: &Value) -> usize {
    doc.get("bindings").and_then(Value::as_array).map_or(0, Vec::len)
}

/// IAM refuses a policy with a condition unless it says version 3, and a lower version
/// on write drops every condition. Raised whenever a condition is present (even one that
/// was there before the edit: the write is ours), never lowered.
fn with_conditional_version(policy: IamPolicy) -> Result<IamPolicy, DomainError> {
    if !policy.has_conditions() || policy.version() >= CONDITIONAL_POLICY_VERSION {
        return Ok(policy);
    }
    let mut doc = policy.into_value();
    if let Some(object) = doc.as_object_mut() {
        // Keeps the position of an existing `version`; a missing one goes at the end.
        object.insert("version".to_owned(), Value::from(CONDITIONAL_POLICY_VERSION));
    }
    IamPolicy::from_value(doc)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::gcp::IamLintLevel;

    const ALICE: &str = "user:alice@example.com";
    const BOB: &str = "user:bob@example.com";

    fn edit(text: &str, op: BindingsOp) -> String {
        apply_edit(text, &op).unwrap_or_else(|e| panic!("{op:?}: {e}"))
    }

    fn compact(pretty: &str) -> String {
        IamPolicy::parse(pretty).expect("valid").to_compact_json()
    }

    /// The error's field and message.
    fn refused(text: &str, op: BindingsOp) -> (&'static str, String) {
        let error = apply_edit(text, &op).expect_err("refused");
        assert!(!error.hint().is_empty(), "{error}");
        (error.field(), error.to_string())
    }

    fn view(text: &str) -> BindingsView {
        match analyze(text) {
            BindingsState::Valid { view, .. } => view,
            invalid => panic!("{invalid:?}"),
        }
    }

    fn until_2027() -> Condition {
        Condition {
            title: "until 2027".into(),
            description: None,
            expression: "request.time < timestamp(\"2027-01-01T00:00:00Z\")".into(),
        }
    }

    const TWO: &str = r#"{"bindings":[{"role":"roles/bigquery.jobUser","members":["user:alice@example.com"]},{"members":["user:bob@example.com","user:bob@example.com"],"role":"roles/storage.objectViewer","x":1}],"etag":"E=","auditConfigs":[{"service":"allServices"}],"version":1}"#;

    #[test]
    fn analyze_shows_rows_and_document_facts() {
        let v = view(TWO);
        assert_eq!(v.version, 1);
        assert!(v.has_audit_configs);
        // Bob twice in one binding counts once.
        assert_eq!(v.principal_count, 2);
        assert_eq!(
            v.bindings[1],
            BindingView {
                index: 1,
                role: "roles/storage.objectViewer".into(),
                members: vec![BOB.into(), BOB.into()],
                condition: None,
                basic: false,
            }
        );
        let bare = view("{}");
        assert_eq!((bare.version, bare.has_audit_configs, bare.bindings.len()), (1, false, 0));
        assert!(!view(r#"{"auditConfigs":[]}"#).has_audit_configs);
    }

    #[test]
    fn analyze_lints_basic_roles_and_limits() {
        let text = r#"{"bindings":[{"role":"roles/x.y","members":["user:a@example.com"]},{"role":"roles/owner","members":["user:a@example.com"],"condition":{"title":"t","expression":"e"}}],"version":3}"#;
        let BindingsState::Valid { lints, view, .. } = analyze(text) else { panic!("valid") };
        assert!(view.bindings[1].basic && !view.bindings[0].basic);
        assert_eq!(
            lints.iter().map(|l| (l.code, l.level, l.binding)).collect::<Vec<_>>(),
            [
                (IamLintCode::ConditionOnBasicRole, IamLintLevel::Error, Some(1)),
                (IamLintCode::BasicRole, IamLintLevel::Warning, Some(1)),
            ]
        );
        let members: Vec<String> = (0..1501).map(|i| format!("\"user:u{i}@example.com\"")).collect();
        let crowded = format!(r#"{{"bindings":[{{"role":"roles/x.y","members":[{}]}}]}}"#, members.join(","));
        let BindingsState::Valid { lints, .. } = analyze(&crowded) else { panic!("valid") };
        assert_eq!(lints.iter().map(|l| l.code).collect::<Vec<_>>(), [IamLintCode::TooManyPrincipals]);
    }

    #[test]
    fn invalid_text_reports_line_and_character_column() {
        match analyze("{\n  \"etag\": \"é\" \"x\"\n}") {
            BindingsState::Invalid { message, line, column } => {
                assert_eq!((line, column), (2, 15));
                assert!(message.starts_with("malformed JSON at line 2"), "{message}");
            }
            valid => panic!("{valid:?}"),
        }
        match analyze(r#"{"bindings":{}}"#) {
            BindingsState::Invalid { message, line, column } => {
                assert_eq!((line, column), (1, 1));
                assert!(message.starts_with("bindings must be an array, got an object; "), "{message}");
            }
            valid => panic!("{valid:?}"),
        }
        assert!(matches!(analyze("\u{feff}{,"), BindingsState::Invalid { line: 1, column: 2, .. }));
    }

    #[test]
    fn add_member_changes_only_the_named_binding() {
        let after =
            edit(TWO, BindingsOp::AddMember { binding: 1, member: " user:carol@example.com\n".into() });
        assert_eq!(
            compact(&after),
            r#"{"bindings":[{"role":"roles/bigquery.jobUser","members":["user:alice@example.com"]},{"members":["user:bob@example.com","user:bob@example.com","user:carol@example.com"],"role":"roles/storage.objectViewer","x":1}],"etag":"E=","auditConfigs":[{"service":"allServices"}],"version":1}"#
        );
        // A binding without `members` gets one right after `role`.
        let bare = r#"{"bindings":[{"x":0,"role":"roles/x.y","condition":null}]}"#;
        assert_eq!(
            compact(&edit(bare, BindingsOp::AddMember { binding: 0, member: ALICE.into() })),
            r#"{"bindings":[{"x":0,"role":"roles/x.y","members":["user:alice@example.com"],"condition":null}]}"#
        );
    }

    #[test]
    fn add_member_errors() {
        let add = |binding: u32, member: &str| {
            refused(TWO, BindingsOp::AddMember { binding, member: member.into() })
        };
        assert_eq!(
            add(0, ALICE),
            (
                "iam_policy",
                "iam_policy: binding 1 (roles/bigquery.jobUser): already has user:alice@example.com".into()
            )
        );
        assert_eq!(
            add(0, "alice@example.com"),
            ("member", "member: has no member prefix such as serviceAccount:".into())
        );
        assert_eq!(add(0, " ").0, "member");
        assert_eq!(add(2, BOB), ("iam_policy", "iam_policy: there is no binding 3; the policy has 2".into()));
        assert_eq!(
            refused("{}", BindingsOp::AddMember { binding: u32::MAX, member: BOB.into() }).1,
            "iam_policy: there is no binding 4294967296; the policy has 0"
        );
        assert_eq!(refused("{", BindingsOp::AddMember { binding: 0, member: BOB.into() }).0, "iam_policy");
    }

    #[test]
    fn remove_member_takes_repeats_and_emptied_bindings() {
        let after = edit(TWO, BindingsOp::RemoveMember { binding: 1, member: BOB.into() });
        assert_eq!(
            compact(&after),
            r#"{"bindings":[{"role":"roles/bigquery.jobUser","members":["user:alice@example.com"]}],"etag":"E=","auditConfigs":[{"service":"allServices"}],"version":1}"#
        );
        let last = edit(&after, BindingsOp::RemoveMember { binding: 0, member: ALICE.into() });
        assert_eq!(compact(&last), r#"{"etag":"E=","auditConfigs":[{"service":"allServices"}],"version":1}"#);
        // Members IAM wrote for deleted accounts are removable as shown.
        let deleted = r#"{"bindings":[{"role":"roles/x.y","members":["deleted:group:g@example.com?uid=1","user:a@example.com"]}]}"#;
        let cleaned = edit(
            deleted,
            BindingsOp::RemoveMember { binding: 0, member: "deleted:group:g@example.com?uid=1".into() },
        );
        assert_eq!(view(&cleaned).bindings[0].members, ["user:a@example.com"]);
    }

    #[test]
    fn remove_member_errors() {
        let remove = |binding: u32, member: &str| {
            refused(TWO, BindingsOp::RemoveMember { binding, member: member.into() }).1
        };
        assert_eq!(
            remove(0, BOB),
            "iam_policy: binding 1 (roles/bigquery.jobUser): has no member \"user:bob@example.com\""
        );
        assert_eq!(remove(0, ""), "iam_policy: binding 1 (roles/bigquery.jobUser): no member given (empty)");
        assert_eq!(remove(5, BOB), "iam_policy: there is no binding 6; the policy has 2");
    }

    #[test]
    fn add_binding_merges_or_appends() {
        let merged = edit(
            TWO,
            BindingsOp::AddBinding {
                role: " roles/bigquery.jobUser ".into(),
                member: BOB.into(),
                condition: None,
            },
        );
        assert_eq!(view(&merged).bindings[0].members, [ALICE, BOB]);
        let conditional = edit(
            TWO,
            BindingsOp::AddBinding {
                role: "roles/bigquery.jobUser".into(),
                member: ALICE.into(),
                condition: Some(Condition {
                    title: " until 2027 ".into(),
                    description: Some(String::new()),
                    ..until_2027()
                }),
            },
        );
        let v = view(&conditional);
        assert_eq!(v.version, 3);
        assert_eq!(v.bindings.len(), 3);
        assert_eq!(v.bindings[2].condition, Some(until_2027()));
        assert!(
            compact(&conditional).ends_with(r#""auditConfigs":[{"service":"allServices"}],"version":3}"#)
        );
        let fresh = edit(
            "{}",
            BindingsOp::AddBinding {
                role: "projects/p/roles/custom_1".into(),
                member: ALICE.into(),
                condition: None,
            },
        );
        assert_eq!(
            compact(&fresh),
            r#"{"bindings":[{"role":"projects/p/roles/custom_1","members":["user:alice@example.com"]}]}"#
        );
    }

    #[test]
    fn add_binding_errors() {
        let add = |role: &str, member: &str, condition: Option<Condition>| {
            refused(TWO, BindingsOp::AddBinding { role: role.into(), member: member.into(), condition })
        };
        assert_eq!(
            add("roles/bigquery.jobUser", ALICE, None),
            (
                "iam_policy",
                "iam_policy: binding 1 already grants roles/bigquery.jobUser to user:alice@example.com"
                    .into()
            )
        );
        assert_eq!(add("", ALICE, None), ("role", "role: is required".into()));
        assert_eq!(
            add("bigquery.jobUser", ALICE, None),
            ("role", "role: \"bigquery.jobUser\" is not a role name".into())
        );
        assert_eq!(add("roles/big query", ALICE, None).0, "role");
        assert_eq!(add("roles/x.y", "everyone", None).0, "member");
        let untitled = Condition { title: " ".into(), ..until_2027() };
        assert_eq!(
            add("roles/x.y", ALICE, Some(untitled)),
            ("condition_title", "condition_title: is required".into())
        );
        let empty = Condition { expression: String::new(), ..until_2027() };
        assert_eq!(add("roles/x.y", ALICE, Some(empty)).0, "condition_expression");
        assert_eq!(
            add("roles/editor", ALICE, Some(until_2027())),
            (
                "iam_policy",
                "iam_policy: conditions cannot be used with basic roles such as roles/editor".into()
            )
        );
        let with = edit(
            TWO,
            BindingsOp::AddBinding {
                role: "roles/x.y".into(),
                member: ALICE.into(),
                condition: Some(until_2027()),
            },
        );
        assert_eq!(
            refused(
                &with,
                BindingsOp::AddBinding {
                    role: "roles/x.y".into(),
                    member: ALICE.into(),
                    condition: Some(until_2027())
                }
            )
            .1,
            "iam_policy: binding 3 already grants roles/x.y to user:alice@example.com under this condition"
        );
    }

    #[test]
    fn set_condition_sets_version_3_and_never_lowers_it() {
        let set = |text: &str, binding: u32, condition: Option<Condition>| {
            edit(text, BindingsOp::SetCondition { binding, condition })
        };
        let with = set(TWO, 1, Some(until_2027()));
        assert_eq!(
            compact(&with),
            r#"{"bindings":[{"role":"roles/bigquery.jobUser","members":["user:alice@example.com"]},{"members":["user:bob@example.com","user:bob@example.com"],"role":"roles/storage.objectViewer","x":1,"condition":{"title":"until 2027","expression":"request.time < timestamp(\"2027-01-01T00:00:00Z\")"}}],"etag":"E=","auditConfigs":[{"service":"allServices"}],"version":3}"#
        );
        // Replacing keeps the key where it is.
        let other =
            Condition { title: "other".into(), description: Some("d".into()), expression: "true".into() };
        let replaced = set(&with, 1, Some(other.clone()));
        assert!(
            compact(&replaced)
                .contains(r#""x":1,"condition":{"title":"other","description":"d","expression":"true"}}"#)
        );
        let removed = set(&replaced, 1, None);
        assert_eq!(view(&removed).version, 3);
        assert_eq!(view(&removed).bindings[1].condition, None);
        // Version added when missing; a higher one kept.
        let versionless = r#"{"bindings":[{"role":"roles/x.y","members":["user:a@example.com"]}]}"#;
        assert!(compact(&set(versionless, 0, Some(until_2027()))).ends_with(r#""version":3}"#));
        let future = r#"{"version":4,"bindings":[{"role":"roles/x.y","members":["user:a@example.com"]}]}"#;
        assert_eq!(view(&set(future, 0, Some(until_2027()))).version, 4);
    }

    #[test]
    fn any_edit_repairs_a_conditional_policy_read_at_version_1() {
        let text = r#"{"version":1,"bindings":[{"role":"roles/x.y","members":["user:a@example.com"],"condition":{"title":"t","expression":"e"}},{"role":"roles/z.w","members":["user:a@example.com"]}]}"#;
        let after = edit(text, BindingsOp::RemoveBinding { binding: 1 });
        assert_eq!(
            compact(&after),
            r#"{"version":3,"bindings":[{"role":"roles/x.y","members":["user:a@example.com"],"condition":{"title":"t","expression":"e"}}]}"#
        );
    }

    #[test]
    fn set_condition_errors() {
        let basic = r#"{"bindings":[{"role":"roles/viewer","members":["user:a@example.com"]}]}"#;
        assert_eq!(
            refused(basic, BindingsOp::SetCondition { binding: 0, condition: Some(until_2027()) }),
            (
                "iam_policy",
                "iam_policy: binding 1 (roles/viewer): conditions cannot be used with basic roles such as roles/viewer".into()
            )
        );
        assert_eq!(
            refused(basic, BindingsOp::SetCondition { binding: 0, condition: None }).1,
            "iam_policy: binding 1 (roles/viewer): has no condition"
        );
        let long = Condition { title: "t".repeat(101), ..until_2027() };
        assert_eq!(
            refused(TWO, BindingsOp::SetCondition { binding: 0, condition: Some(long) }).0,
            "condition_title"
        );
        assert_eq!(
            refused(TWO, BindingsOp::SetCondition { binding: 2, condition: None }).1,
            "iam_policy: there is no binding 3; the policy has 2"
        );
        // A condition on a basic role (IAM refuses it) can be removed from the table.
        let broken = r#"{"version":3,"bindings":[{"role":"roles/owner","members":["user:a@example.com"],"condition":{"title":"t","expression":"e"}}]}"#;
        let fixed = edit(broken, BindingsOp::SetCondition { binding: 0, condition: None });
        assert_eq!(view(&fixed).bindings[0].condition, None);
    }

    #[test]
    fn remove_binding() {
        let after = edit(TWO, BindingsOp::RemoveBinding { binding: 0 });
        assert_eq!(
            view(&after).bindings.iter().map(|b| b.role.as_str()).collect::<Vec<_>>(),
            ["roles/storage.objectViewer"]
        );
        let none = edit(&after, BindingsOp::RemoveBinding { binding: 0 });
        assert_eq!(compact(&none), r#"{"etag":"E=","auditConfigs":[{"service":"allServices"}],"version":1}"#);
        assert_eq!(
            refused(&none, BindingsOp::RemoveBinding { binding: 0 }).1,
            "iam_policy: there is no binding 1; the policy has 0"
        );
    }

    #[test]
    fn serde_shapes_for_the_ui() {
        let op: BindingsOp =
            serde_json::from_str(r#"{"op":"addMember","binding":1,"member":"user:a@example.com"}"#)
                .expect("op");
        assert_eq!(op, BindingsOp::AddMember { binding: 1, member: "user:a@example.com".into() });
        let op: BindingsOp = serde_json::from_str(
            r#"{"op":"setCondition","binding":0,"condition":{"title":"t","expression":"e"}}"#,
        )
        .expect("op");
        assert_eq!(
            op,
            BindingsOp::SetCondition {
                binding: 0,
                condition: Some(Condition { title: "t".into(), description: None, expression: "e".into() })
            }
        );
        let op: BindingsOp =
            serde_json::from_str(r#"{"op":"addBinding","role":"roles/x.y","member":"m","condition":null}"#)
                .expect("op");
        assert!(matches!(op, BindingsOp::AddBinding { condition: None, .. }));
        let op: BindingsOp = serde_json::from_str(r#"{"op":"removeBinding","binding":2}"#).expect("op");
        assert_eq!(op, BindingsOp::RemoveBinding { binding: 2 });
        let json = serde_json::to_value(analyze(TWO)).expect("serialize");
        assert_eq!(json["state"], "valid");
        assert_eq!(json["view"]["hasAuditConfigs"], true);
        assert_eq!(json["view"]["principalCount"], 2);
        assert_eq!(json["view"]["bindings"][0]["basic"], false);
        let json = serde_json::to_value(analyze("{")).expect("serialize");
        assert_eq!(
            (json["state"].as_str(), json["line"].as_u64(), json["column"].as_u64()),
            (Some("invalid"), Some(1), Some(1))
        );
    }
}
