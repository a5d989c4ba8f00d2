//! The model behind the visual trust-policy editor: the same policy as cards (statements,
//! principal chips, actions, conditions) and as JSON, with every card edit done here.
//!
//! The UI keeps only the text. On every keystroke it asks [`analyze`] for the cards, the
//! lints and the size; a card edit sends the text and an [`EditOp`] to [`apply_edit`] and
//! gets the new text back. Being stateless keeps the two sides from ever disagreeing: the
//! text is the only truth.
//!
//! Edits are surgical, like [`TrustPolicy`]'s own: an op changes exactly what it names and
//! keeps key order, other statements, unknown fields and the object-vs-array shapes the
//! customer wrote. Unlike `remove_principals`, a list that shrinks to one element stays a
//! one-element array: the person editing should see what they did, not a reformatting.
//! The edits the permission editor shares (effect, actions, conditions, statements) live
//! in `statement_edit`; principals are this editor's own.

use serde::{Deserialize, Serialize};
use serde_json::{Map, Value, json};

use super::lint::{Lint, lint_trust_policy};
use super::plan::SizeReport;
pub use super::statement_edit::ConditionView;
use super::statement_edit::{
    Removed, StatementEdit, TOP_LEVEL, add_statement, condition_views, insert_in_place, items, items_of,
    push_item, remove_item, remove_statement, shown_key, text_of,
};
use super::trust_policy::{ASSUME_ROLE, TrustPolicy};
use crate::DomainError;
use crate::json::{self, to_u32};

const FIELD: &str = "trust_policy";

/// Principal types IAM knows; new ones are refused so a typo cannot reach IAM.
const PRINCIPAL_KINDS: [&str; 4] = ["AWS", "Service", "Federated", "CanonicalUser"];

/// The kind a bare `"Principal": "*"` shows as (it is not a key of a principal map).
const EVERYONE: &str = "*";

/// What the editor shows for the current text.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "specta", derive(specta::Type))]
#[serde(tag = "state", rename_all = "camelCase")]
pub enum EditorState {
    Valid {
        view: PolicyView,
        /// The policy as the JSON side shows it after a card edit (two-space indentation).
        pretty: String,
        lints: Vec<Lint>,
        size: SizeReport,
    },
    /// The text is not a trust policy; the cards keep showing the last valid state.
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
pub struct PolicyView {
    pub statements: Vec<StatementView>,
    /// Top-level keys other than `Version`, `Id` and `Statement`: the cards do not show
    /// them, so the UI points to the JSON side.
    pub has_unknown_top_level_fields: bool,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "specta", derive(specta::Type))]
#[serde(rename_all = "camelCase")]
pub struct StatementView {
    /// 0-based, as [`EditOp`]s and [`Lint::statement`] address statements.
    pub index: u32,
    pub sid: Option<String>,
    /// As written (`""` when missing), so a typo like `allow` is visible on the card.
    pub effect: String,
    /// The principals come from `NotPrincipal` (the statement has no `Principal`).
    pub not_principal: bool,
    pub principals: Vec<PrincipalGroup>,
    pub actions: Vec<String>,
    /// The actions come from `NotAction` (the statement has no `Action`).
    pub not_actions: bool,
    pub conditions: Vec<ConditionView>,
    /// Keys of the statement the cards do not show (`Resource`, unknown fields, ...), in
    /// document order.
    pub other_fields: Vec<String>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "specta", derive(specta::Type))]
#[serde(rename_all = "camelCase")]
pub struct PrincipalGroup {
    /// `AWS`, `Service`, `Federated`, `CanonicalUser`, or `*` for a bare `"Principal": "*"`.
    /// Any other key the document has is shown as written.
    pub kind: String,
    /// Non-string entries (IAM refuses them) are shown as their JSON text.
    pub values: Vec<String>,
}

/// A condition the UI offers ready-made.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "specta", derive(specta::Type))]
#[serde(rename_all = "camelCase")]
pub struct ConditionPreset {
    pub label: String,
    pub operator: String,
    /// The condition key; `<issuer>` must be replaced (see [`EditOp::SetCondition`]).
    pub key: String,
    /// Example value for the empty input.
    pub placeholder: String,
}

/// One card edit. Statements are addressed 0-based, as [`StatementView::index`].
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "specta", derive(specta::Type))]
#[serde(tag = "op", rename_all = "camelCase")]
pub enum EditOp {
    AddPrincipal {
        statement: u32,
        kind: String,
        value: String,
    },
    /// Removes the first entry equal to `value` (as the view shows it) under `kind`.
    RemovePrincipal {
        statement: u32,
        kind: String,
        value: String,
    },
    SetEffect {
        statement: u32,
        effect: String,
    },
    AddAction {
        statement: u32,
        action: String,
    },
    RemoveAction {
        statement: u32,
        action: String,
    },
    /// Adds or replaces the values of `operator` + `key`.
    SetCondition {
        statement: u32,
        operator: String,
        key: String,
        values: Vec<String>,
    },
    RemoveCondition {
        statement: u32,
        operator: String,
        key: String,
    },
    /// Appends `{"Effect":"Allow","Principal":{"AWS":[]},"Action":"sts:AssumeRole"}`: a card
    /// to fill in. Its empty AWS list is an error lint until a principal is added.
    AddStatement,
    RemoveStatement {
        statement: u32,
    },
}

/// The cards, pretty JSON, lints and size of `text`, or where it stops being a policy.
pub fn analyze(text: &str, quota: u32) -> EditorState {
    match TrustPolicy::parse(text) {
        Ok(policy) => EditorState::Valid {
            view: view_of(&policy),
            pretty: policy.to_pretty_json(),
            lints: lint_trust_policy(&policy, quota),
            size: SizeReport::of(&policy, quota),
        },
        Err(error) => invalid_state(text, error),
    }
}

/// Applies `op` to the policy in `text` and returns the new policy as pretty JSON.
pub fn apply_edit(text: &str, op: &EditOp) -> Result<String, DomainError> {
    let mut doc = TrustPolicy::parse(text)?.into_value();
    match op {
        EditOp::AddStatement => add_statement(
            &mut doc,
            json!({"Effect": "Allow", "Principal": {"AWS": []}, "Action": ASSUME_ROLE}),
        ),
        EditOp::RemoveStatement { statement } => {
            remove_statement(&mut doc, *statement, FIELD, "a trust policy")?;
        }
        EditOp::AddPrincipal { statement, kind, value } => {
            StatementEdit::at(&mut doc, *statement, FIELD)?.add_principal(kind, value)?;
        }
        EditOp::RemovePrincipal { statement, kind, value } => {
            StatementEdit::at(&mut doc, *statement, FIELD)?.remove_principal(kind, value)?;
        }
        EditOp::SetEffect { statement, effect } => {
            StatementEdit::at(&mut doc, *statement, FIELD)?.set_effect(effect)?
        }
        EditOp::AddAction { statement, action } => {
            StatementEdit::at(&mut doc, *statement, FIELD)?.add_action(action)?
        }
        EditOp::RemoveAction { statement, action } => {
            StatementEdit::at(&mut doc, *statement, FIELD)?.remove_action(action)?;
        }
        EditOp::SetCondition { statement, operator, key, values } => {
            StatementEdit::at(&mut doc, *statement, FIELD)?.set_condition(operator, key, values)?;
        }
        EditOp::RemoveCondition { statement, operator, key } => {
            StatementEdit::at(&mut doc, *statement, FIELD)?.remove_condition(operator, key)?;
        }
    }
    // Every edit keeps the document a policy; checking again costs one walk over the
    // statements and guarantees the JSON side never receives something `analyze` rejects.
    Ok(TrustPolicy::from_value(doc)?.to_pretty_json())
}

/// The conditions the editor offers. The OIDC keys carry an `<issuer>` placeholder that
/// the person replaces; [`apply_edit`] refuses a key that still has it.
pub fn condition_presets() -> Vec<ConditionPreset> {
    let preset = |label: &str, operator: &str, key: &str, placeholder: &str| ConditionPreset {
        label: label.to_owned(),
        operator: operator.to_owned(),
        key: key.to_owned(),
        placeholder: placeholder.to_owned(),
    };
    vec![
        preset("External ID", "StringEquals", "sts:ExternalId", "the external ID the vendor gave you"),
        preset("Source account", "StringEquals", "aws:SourceAccount", "123456789012"),
        preset(
            "Source ARN",
            "ArnLike",
            "aws:SourceArn",
            "arn:aws:<service>:<region>:123456789012:<resource>",
        ),
        preset("OIDC audience", "StringEquals", "<issuer>:aud", "sts.amazonaws.com"),
        preset(
            "OIDC subject",
            "StringEquals",
            "<issuer>:sub",
            "system:serviceaccount:<namespace>:<service-account>",
        ),
        // Exact subjects first: a `*` in a subject is the usual way a trust gets too wide.
        preset("OIDC subject (wildcards)", "StringLike", "<issuer>:sub", "repo:<org>/<repo>:*"),
    ]
}

// ---- analyze ----

fn invalid_state(text: &str, error: DomainError) -> EditorState {
    let DomainError::Invalid { problem, hint, .. } = error;
    // The parse error names the spot only inside its message; the editor wants numbers.
    let (line, column) = json::error_position(text);
    EditorState::Invalid { message: format!("{problem}; {hint}"), line, column }
}

fn view_of(policy: &TrustPolicy) -> PolicyView {
    let has_unknown_top_level_fields =
        policy.as_value().as_object().is_some_and(|doc| doc.keys().any(|k| !TOP_LEVEL.contains(&k.as_str())));
    let statements =
        policy.statements().into_iter().enumerate().map(|(index, s)| statement_view(index, s)).collect();
    PolicyView { statements, has_unknown_top_level_fields }
}

fn statement_view(index: usize, statement: &Map<String, Value>) -> StatementView {
    let principal_key = principal_key(statement);
    let action_key = action_key(statement);
    let condition = statement.get("Condition");
    let conditions = match condition {
        Some(Value::Object(operators)) => condition_views(operators),
        _ => Vec::new(),
    };
    // A `Condition` that is not an object cannot be drawn as rows; it is listed instead.
    let shown = |key: &str| {
        matches!(key, "Sid" | "Effect")
            || key == principal_key
            || key == action_key
            || (key == "Condition" && condition.is_some_and(Value::is_object))
    };
    StatementView {
        index: to_u32(index),
        sid: statement.get("Sid").map(text_of),
        effect: statement.get("Effect").map(text_of).unwrap_or_default(),
        not_principal: principal_key == "NotPrincipal",
        principals: statement.get(principal_key).map(principal_groups).unwrap_or_default(),
        actions: statement.get(action_key).map(items).unwrap_or_default(),
        not_actions: action_key == "NotAction",
        conditions,
        other_fields: statement.keys().filter(|k| !shown(k)).cloned().collect(),
    }
}

fn principal_groups(principal: &Value) -> Vec<PrincipalGroup> {
    match principal {
        Value::Object(kinds) => {
            kinds.iter().map(|(kind, v)| PrincipalGroup { kind: kind.clone(), values: items(v) }).collect()
        }
        // `"*"`; any other bare value is invalid (the lints say so) but still shown.
        other => vec![PrincipalGroup { kind: EVERYONE.to_owned(), values: items(other) }],
    }
}

/// The key whose principals the card shows and edits: `Principal`, else `NotPrincipal`.
/// With both (IAM refuses that), `NotPrincipal` is listed in `other_fields`.
fn principal_key(statement: &Map<String, Value>) -> &'static str {
    shown_key(statement, "Principal", "NotPrincipal")
}

fn action_key(statement: &Map<String, Value>) -> &'static str {
    shown_key(statement, "Action", "NotAction")
}

// ---- edits ----

/// The trust editor's own edits: principals, and actions under trust-policy rules.
impl StatementEdit<'_> {
    fn add_principal(self, kind: &str, value: &str) -> Result<(), DomainError> {
        let key = principal_key(self.map);
        let value = self.checked_token(value, "principal", "an account id, an ARN or a service name")?;
        if kind == EVERYONE {
            if value != EVERYONE {
                return Err(self.error(
                    format!("a principal of kind \"*\" can only be \"*\", got {value:?}"),
                    "choose the AWS, Service or Federated kind for a named principal",
                ));
            }
            return match self.map.get(key) {
                None => {
                    insert_in_place(self.map, key, Value::from(EVERYONE));
                    Ok(())
                }
                Some(Value::Object(kinds)) if kinds.is_empty() => {
                    self.map.insert(key.to_owned(), Value::from(EVERYONE));
                    Ok(())
                }
                Some(Value::String(s)) if s == EVERYONE => {
                    Err(self.error(format!("{key} is already \"*\""), "nothing to add"))
                }
                Some(_) => Err(self.error(
                    format!("{key} \"*\" would replace the principals already named"),
                    "remove them first, or add \"*\" as an AWS principal",
                )),
            };
        }
        let kind = self.known_kind(kind)?;
        let label = &self.label;
        let kinds = match self.map.get_mut(key) {
            None => {
                let mut kinds = Map::new();
                kinds.insert(kind.to_owned(), json!([value]));
                insert_in_place(self.map, key, Value::Object(kinds));
                return Ok(());
            }
            Some(Value::Object(kinds)) => kinds,
            Some(Value::String(s)) if s == EVERYONE => {
                return Err(DomainError::invalid(
                    FIELD,
                    format!("{label}: {key} is \"*\" (everyone)"),
                    "remove the \"*\" principal before naming principals",
                ));
            }
            Some(_) => {
                return Err(DomainError::invalid(
                    FIELD,
                    format!("{label}: {key} is not an object"),
                    "fix it in the JSON, e.g. {\"AWS\": [\"123456789012\"]}",
                ));
            }
        };
        match kinds.get_mut(kind) {
            None => {
                kinds.insert(kind.to_owned(), json!([value]));
                Ok(())
            }
            Some(list) => {
                if items_of(list).any(|v| v.as_str() == Some(value)) {
                    return Err(DomainError::invalid(
                        FIELD,
                        format!("{label}: {key}.{kind} already has {value:?}"),
                        "nothing to add",
                    ));
                }
                push_item(list, value).map_err(|problem| {
                    DomainError::invalid(
                        FIELD,
                        format!("{label}: {key}.{kind} {problem}"),
                        "fix it in the JSON",
                    )
                })
            }
        }
    }

    fn remove_principal(self, kind: &str, value: &str) -> Result<(), DomainError> {
        let key = principal_key(self.map);
        let label = &self.label;
        let not_found = |what: String| {
            let problem = if value.is_empty() { String::from("no principal given (empty)") } else { what };
            DomainError::invalid(FIELD, format!("{label}: {problem}"), "remove a principal the card shows")
        };
        let Some(principal) = self.map.get_mut(key) else {
            return Err(not_found(format!("has no {key}")));
        };
        let emptied = match principal {
            Value::Object(kinds) => {
                let Some(list) = kinds.get_mut(kind) else {
                    // Kinds the document already has are removable even if unknown, so a
                    // typo like "Aws" can be fixed from the cards.
                    if kind != EVERYONE && !PRINCIPAL_KINDS.contains(&kind) {
                        return Err(unknown_kind(label, kind));
                    }
                    return Err(not_found(format!("has no {kind} principal under {key}")));
                };
                match remove_item(list, value) {
                    Removed::No => return Err(not_found(format!("{key}.{kind} does not name {value:?}"))),
                    Removed::Some => false,
                    Removed::All => {
                        // `shift_remove` keeps the order of the other kinds.
                        kinds.shift_remove(kind);
                        kinds.is_empty()
                    }
                }
            }
            bare => {
                if kind != EVERYONE {
                    return Err(not_found(format!("{key} is {bare}, which has no {kind} principals")));
                }
                match remove_item(bare, value) {
                    Removed::No => return Err(not_found(format!("{key} is not {value:?}"))),
                    Removed::Some => false,
                    Removed::All => true,
                }
            }
        };
        // An empty container goes with its last entry; the error lint "has no Principal"
        // then says what is missing.
        if emptied {
            self.map.shift_remove(key);
        }
        Ok(())
    }

    fn add_action(self, action: &str) -> Result<(), DomainError> {
        const HINT: &str = "actions look like sts:AssumeRole, sts:TagSession or sts:*";
        let action = self.checked_token(action, "action", HINT)?;
        let is_action = action == "*"
            || action.split_once(':').is_some_and(|(service, name)| !service.is_empty() && !name.is_empty());
        if !is_action {
            return Err(self.error(format!("{action:?} is not an action"), HINT));
        }
        let key = action_key(self.map);
        // IAM compares actions case-insensitively: `sts:assumerole` is a repeat.
        self.add_to_list(key, action, |a| a.as_str().is_some_and(|a| a.eq_ignore_ascii_case(action)))
    }

    fn remove_action(self, action: &str) -> Result<(), DomainError> {
        let key = action_key(self.map);
        // No lint catches a trust statement without actions; IAM would refuse it at apply
        // time, so the editor refuses it now, where the fix is obvious.
        self.remove_from_list(
            key,
            action,
            "action",
            Some("add the action you want first, or remove the whole statement"),
        )
    }

    fn known_kind<'k>(&self, kind: &'k str) -> Result<&'k str, DomainError> {
        if PRINCIPAL_KINDS.contains(&kind) { Ok(kind) } else { Err(unknown_kind(&self.label, kind)) }
    }
}

fn unknown_kind(label: &str, kind: &str) -> DomainError {
    let hint = match PRINCIPAL_KINDS.iter().find(|k| k.eq_ignore_ascii_case(kind)) {
        Some(known) => format!("principal kinds are case-sensitive: write {known}"),
        None => String::from("use AWS, Service, Federated, CanonicalUser or \"*\""),
    };
    DomainError::invalid(FIELD, format!("{label}: unknown principal kind {kind:?}"), hint)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::aws::lint::{DEFAULT_TRUST_POLICY_QUOTA, LintCode};

    const ROLE: &str = "arn:aws:iam::123456789012:role/x";

    fn edit(text: &str, op: EditOp) -> String {
        apply_edit(text, &op).unwrap_or_else(|e| panic!("{op:?}: {e}"))
    }

    fn compact(pretty: &str) -> String {
        TrustPolicy::parse(pretty).expect("valid").to_compact_json()
    }

    fn refused(text: &str, op: EditOp) -> (String, String) {
        let error = apply_edit(text, &op).expect_err("refused");
        assert_eq!(error.field(), "trust_policy", "{error}");
        (error.to_string(), error.hint().to_owned())
    }

    fn view(text: &str) -> PolicyView {
        match analyze(text, DEFAULT_TRUST_POLICY_QUOTA) {
            EditorState::Valid { view, .. } => view,
            invalid => panic!("{invalid:?}"),
        }
    }

    fn one(statement: &str) -> String {
        format!(r#"{{"Version":"2012-10-17","Statement":[{statement}]}}"#)
    }

    fn add_principal(statement: u32, kind: &str, value: &str) -> EditOp {
        EditOp::AddPrincipal { statement, kind: kind.into(), value: value.into() }
    }

    fn remove_principal(statement: u32, kind: &str, value: &str) -> EditOp {
        EditOp::RemovePrincipal { statement, kind: kind.into(), value: value.into() }
    }

    fn set_condition(operator: &str, key: &str, values: &[&str]) -> EditOp {
        EditOp::SetCondition {
            statement: 0,
            operator: operator.into(),
            key: key.into(),
            values: values.iter().map(|v| (*v).to_owned()).collect(),
        }
    }

    #[test]
    fn view_of_not_principal_not_action_and_unknown_fields() {
        let text = r#"{"Version":"2012-10-17","Id":"x","Custom":1,"Statement":{"Sid":"","Effect":"Deny","NotPrincipal":{"AWS":["111122223333",7]},"NotAction":"sts:TagSession","Resource":"*","X":{"y":1},"Condition":{"Bool":{"aws:SecureTransport":false},"Weird":"x"}}}"#;
        let v = view(text);
        assert!(v.has_unknown_top_level_fields);
        assert_eq!(
            v.statements,
            [StatementView {
                index: 0,
                sid: Some(String::new()),
                effect: "Deny".into(),
                not_principal: true,
                principals: vec![PrincipalGroup {
                    kind: "AWS".into(),
                    values: vec!["111122223333".into(), "7".into()]
                }],
                actions: vec!["sts:TagSession".into()],
                not_actions: true,
                conditions: vec![
                    ConditionView {
                        operator: "Bool".into(),
                        key: "aws:SecureTransport".into(),
                        values: vec!["false".into()]
                    },
                    ConditionView { operator: "Weird".into(), key: String::new(), values: vec!["x".into()] },
                ],
                other_fields: vec!["Resource".into(), "X".into()],
            }]
        );
        assert!(!view(r#"{"Version":"2012-10-17","Id":"x","Statement":[]}"#).has_unknown_top_level_fields);
    }

    #[test]
    fn view_of_bare_star_missing_parts_and_both_keys() {
        let v = view(&one(
            r#"{"Principal":"*","NotPrincipal":{"AWS":"1"},"Action":[],"NotAction":"x","Condition":[]}"#,
        ));
        let s = &v.statements[0];
        assert_eq!(s.principals, [PrincipalGroup { kind: "*".into(), values: vec!["*".into()] }]);
        assert!(!s.not_principal && !s.not_actions);
        assert_eq!(s.effect, "");
        assert_eq!(s.sid, None);
        assert!(s.actions.is_empty() && s.conditions.is_empty());
        assert_eq!(s.other_fields, ["NotPrincipal", "NotAction", "Condition"]);
        let v = view(&one(r#"{"Effect":"Allow","Principal":{"AWS":[]},"Action":"sts:AssumeRole"}"#));
        assert_eq!(v.statements[0].principals, [PrincipalGroup { kind: "AWS".into(), values: vec![] }]);
    }

    #[test]
    fn invalid_positions_are_one_based_characters() {
        let at = |text: &str| match analyze(text, DEFAULT_TRUST_POLICY_QUOTA) {
            EditorState::Invalid { line, column, message } => (line, column, message),
            valid => panic!("{valid:?}"),
        };
        // serde_json says column 13 (bytes): "é" and "€" are 2 and 3 bytes long.
        let (line, column, _) = at("{\"é€\": 1 2}");
        assert_eq!((line, column), (1, 10));
        // The offending character itself is not ASCII.
        let (line, column, _) = at("{\n  \"é\": é}");
        assert_eq!((line, column), (2, 8));
        let (line, column, message) = at("");
        assert_eq!((line, column), (1, 1));
        assert!(
            message.starts_with("malformed JSON at line 1, column 0: EOF while parsing a value;"),
            "{message}"
        );
        let (line, column, message) = at("[]");
        assert_eq!((line, column), (1, 1));
        assert_eq!(
            message,
            "must be a JSON object with a Statement, got an array; a trust policy looks like \
             {\"Version\":\"2012-10-17\",\"Statement\":[...]}"
        );
    }

    #[test]
    fn principals_go_into_the_shown_key_and_shrink_without_collapsing() {
        let text = one(r#"{"Effect":"Allow","Principal":{"AWS":"111122223333"},"Action":"sts:AssumeRole"}"#);
        let added = edit(&text, add_principal(0, "AWS", &format!(" {ROLE}\n")));
        assert_eq!(
            compact(&added),
            one(&format!(
                r#"{{"Effect":"Allow","Principal":{{"AWS":["111122223333","{ROLE}"]}},"Action":"sts:AssumeRole"}}"#
            ))
        );
        let removed = edit(&added, remove_principal(0, "AWS", "111122223333"));
        assert_eq!(
            compact(&removed),
            one(&format!(
                r#"{{"Effect":"Allow","Principal":{{"AWS":["{ROLE}"]}},"Action":"sts:AssumeRole"}}"#
            ))
        );
        // A new kind is a one-element list appended after the others.
        let service = edit(&removed, add_principal(0, "Service", "ec2.amazonaws.com"));
        assert_eq!(
            compact(&service),
            one(&format!(
                r#"{{"Effect":"Allow","Principal":{{"AWS":["{ROLE}"],"Service":["ec2.amazonaws.com"]}},"Action":"sts:AssumeRole"}}"#
            ))
        );
        // The last of a kind takes the kind; the last kind takes the Principal.
        let no_aws = edit(&service, remove_principal(0, "AWS", ROLE));
        assert_eq!(
            compact(&no_aws),
            one(
                r#"{"Effect":"Allow","Principal":{"Service":["ec2.amazonaws.com"]},"Action":"sts:AssumeRole"}"#
            )
        );
        let nobody = edit(&no_aws, remove_principal(0, "Service", "ec2.amazonaws.com"));
        assert_eq!(compact(&nobody), one(r#"{"Effect":"Allow","Action":"sts:AssumeRole"}"#));
        // Re-adding puts Principal back where IAM documents it, not at the end.
        let back = edit(&nobody, add_principal(0, "Federated", "accounts.google.com"));
        assert_eq!(
            compact(&back),
            one(
                r#"{"Effect":"Allow","Principal":{"Federated":["accounts.google.com"]},"Action":"sts:AssumeRole"}"#
            )
        );
    }

    #[test]
    fn not_principal_is_edited_in_place() {
        let text = one(r#"{"Effect":"Deny","NotPrincipal":{"AWS":["1"]},"Action":"sts:AssumeRole"}"#);
        let added = edit(&text, add_principal(0, "AWS", "2"));
        assert_eq!(
            compact(&added),
            one(r#"{"Effect":"Deny","NotPrincipal":{"AWS":["1","2"]},"Action":"sts:AssumeRole"}"#)
        );
    }

    #[test]
    fn star_principal_is_added_and_removed_as_a_whole() {
        let text = one(r#"{"Effect":"Allow","Action":"sts:AssumeRole"}"#);
        let star = edit(&text, add_principal(0, "*", "*"));
        assert_eq!(compact(&star), one(r#"{"Effect":"Allow","Principal":"*","Action":"sts:AssumeRole"}"#));
        assert_eq!(compact(&edit(&star, remove_principal(0, "*", "*"))), compact(&text));
        let empty = one(r#"{"Effect":"Allow","Principal":{},"Action":"sts:AssumeRole"}"#);
        assert_eq!(compact(&edit(&empty, add_principal(0, "*", "*"))), compact(&star));
    }

    #[test]
    fn add_principal_errors() {
        let text = one(
            r#"{"Sid":"Vendor","Effect":"Allow","Principal":{"AWS":"1","Aws":"2"},"Action":"sts:AssumeRole"}"#,
        );
        assert_eq!(
            refused(&text, add_principal(1, "AWS", "2")).0,
            "trust_policy: there is no statement 2; the policy has 1"
        );
        assert_eq!(
            refused(&text, add_principal(0, "aws", "2")),
            (
                "trust_policy: statement 1 (\"Vendor\"): unknown principal kind \"aws\"".into(),
                "principal kinds are case-sensitive: write AWS".into()
            )
        );
        assert_eq!(
            refused(&text, add_principal(0, "Aws", "3")).0,
            "trust_policy: statement 1 (\"Vendor\"): unknown principal kind \"Aws\""
        );
        assert_eq!(
            refused(&text, add_principal(0, "User", "3")).1,
            "use AWS, Service, Federated, CanonicalUser or \"*\""
        );
        assert_eq!(
            refused(&text, add_principal(0, "AWS", "  ")).0,
            "trust_policy: statement 1 (\"Vendor\"): the principal is empty"
        );
        assert_eq!(
            refused(&text, add_principal(0, "AWS", "a b")).0,
            "trust_policy: statement 1 (\"Vendor\"): the principal \"a b\" contains a space"
        );
        assert_eq!(
            refused(&text, add_principal(0, "AWS", "1")).0,
            "trust_policy: statement 1 (\"Vendor\"): Principal.AWS already has \"1\""
        );
        assert_eq!(
            refused(&text, add_principal(0, "*", "*")).0,
            "trust_policy: statement 1 (\"Vendor\"): Principal \"*\" would replace the principals already named"
        );
        assert_eq!(
            refused(&text, add_principal(0, "*", "1")).0,
            "trust_policy: statement 1 (\"Vendor\"): a principal of kind \"*\" can only be \"*\", got \"1\""
        );
        let star = one(r#"{"Effect":"Allow","Principal":"*","Action":"sts:AssumeRole"}"#);
        assert_eq!(
            refused(&star, add_principal(0, "AWS", "1")).0,
            "trust_policy: statement 1: Principal is \"*\" (everyone)"
        );
        assert_eq!(
            refused(&star, add_principal(0, "*", "*")).0,
            "trust_policy: statement 1: Principal is already \"*\""
        );
        let odd = one(r#"{"Effect":"Allow","Principal":{"AWS":{"x":1}},"Action":"sts:AssumeRole"}"#);
        assert_eq!(
            refused(&odd, add_principal(0, "AWS", "1")).0,
            "trust_policy: statement 1: Principal.AWS is {\"x\":1}, not a string or a list"
        );
        assert_eq!(
            refused("{", add_principal(0, "AWS", "1")).0,
            "trust_policy: malformed JSON at line 1, column 1: EOF while parsing an object"
        );
    }

    #[test]
    fn remove_principal_errors_and_typo_kinds() {
        let text = one(r#"{"Effect":"Allow","Principal":{"AWS":"1","Aws":"2"},"Action":"sts:AssumeRole"}"#);
        // A kind the document has is removable, typo or not.
        assert_eq!(
            compact(&edit(&text, remove_principal(0, "Aws", "2"))),
            one(r#"{"Effect":"Allow","Principal":{"AWS":"1"},"Action":"sts:AssumeRole"}"#)
        );
        let problem = |op| refused(&text, op).0;
        assert_eq!(
            problem(remove_principal(3, "AWS", "1")),
            "trust_policy: there is no statement 4; the policy has 1"
        );
        assert_eq!(
            problem(remove_principal(0, "User", "1")),
            "trust_policy: statement 1: unknown principal kind \"User\""
        );
        assert_eq!(
            problem(remove_principal(0, "Service", "1")),
            "trust_policy: statement 1: has no Service principal under Principal"
        );
        assert_eq!(
            problem(remove_principal(0, "AWS", "9")),
            "trust_policy: statement 1: Principal.AWS does not name \"9\""
        );
        assert_eq!(
            problem(remove_principal(0, "AWS", "")),
            "trust_policy: statement 1: no principal given (empty)"
        );
        let star = one(r#"{"Effect":"Allow","Principal":"*","Action":"sts:AssumeRole"}"#);
        assert_eq!(
            refused(&star, remove_principal(0, "AWS", "*")).0,
            "trust_policy: statement 1: Principal is \"*\", which has no AWS principals"
        );
        let none = one(r#"{"Effect":"Allow","Action":"sts:AssumeRole"}"#);
        assert_eq!(
            refused(&none, remove_principal(0, "AWS", "1")).0,
            "trust_policy: statement 1: has no Principal"
        );
    }

    #[test]
    fn effect_is_set_in_place_and_typos_are_refused() {
        let text = one(r#"{"Principal":{"AWS":"1"},"Effect":"Allow","Action":"sts:AssumeRole"}"#);
        assert_eq!(
            compact(&edit(&text, EditOp::SetEffect { statement: 0, effect: "Deny".into() })),
            one(r#"{"Principal":{"AWS":"1"},"Effect":"Deny","Action":"sts:AssumeRole"}"#)
        );
        let missing = one(r#"{"Principal":{"AWS":"1"},"Action":"sts:AssumeRole"}"#);
        assert_eq!(
            compact(&edit(&missing, EditOp::SetEffect { statement: 0, effect: "Allow".into() })),
            one(r#"{"Effect":"Allow","Principal":{"AWS":"1"},"Action":"sts:AssumeRole"}"#)
        );
        assert_eq!(
            refused(&text, EditOp::SetEffect { statement: 0, effect: "allow".into() }),
            (
                "trust_policy: statement 1: Effect must be Allow or Deny, got \"allow\"".into(),
                "Effect is case-sensitive: write Allow or Deny".into()
            )
        );
        assert_eq!(
            refused(&text, EditOp::SetEffect { statement: 0, effect: "Alow".into() }).1,
            "use Allow or Deny"
        );
        assert_eq!(
            refused(&text, EditOp::SetEffect { statement: 1, effect: "Deny".into() }).0,
            "trust_policy: there is no statement 2; the policy has 1"
        );
    }

    #[test]
    fn actions_grow_and_shrink_without_collapsing() {
        let text = one(r#"{"Effect":"Allow","Principal":{"AWS":"1"},"Action":"sts:AssumeRole"}"#);
        let added = edit(&text, EditOp::AddAction { statement: 0, action: "sts:TagSession".into() });
        assert_eq!(
            compact(&added),
            one(r#"{"Effect":"Allow","Principal":{"AWS":"1"},"Action":["sts:AssumeRole","sts:TagSession"]}"#)
        );
        let removed = edit(&added, EditOp::RemoveAction { statement: 0, action: "sts:AssumeRole".into() });
        assert_eq!(
            compact(&removed),
            one(r#"{"Effect":"Allow","Principal":{"AWS":"1"},"Action":["sts:TagSession"]}"#)
        );
        let not_action = one(r#"{"Effect":"Deny","Principal":{"AWS":"1"},"NotAction":["sts:TagSession"]}"#);
        assert_eq!(
            compact(&edit(
                &not_action,
                EditOp::AddAction { statement: 0, action: "sts:SetSourceIdentity".into() }
            )),
            one(
                r#"{"Effect":"Deny","Principal":{"AWS":"1"},"NotAction":["sts:TagSession","sts:SetSourceIdentity"]}"#
            )
        );
        let none = one(r#"{"Effect":"Allow","Principal":{"AWS":"1"},"Condition":{}}"#);
        assert_eq!(
            compact(&edit(&none, EditOp::AddAction { statement: 0, action: "sts:AssumeRole".into() })),
            one(r#"{"Effect":"Allow","Principal":{"AWS":"1"},"Action":["sts:AssumeRole"],"Condition":{}}"#)
        );
    }

    #[test]
    fn action_errors() {
        let text = one(r#"{"Effect":"Allow","Principal":{"AWS":"1"},"Action":"sts:AssumeRole"}"#);
        let add = |action: &str| refused(&text, EditOp::AddAction { statement: 0, action: action.into() });
        let remove =
            |action: &str| refused(&text, EditOp::RemoveAction { statement: 0, action: action.into() });
        assert_eq!(add("AssumeRole").0, "trust_policy: statement 1: \"AssumeRole\" is not an action");
        assert_eq!(add("sts:").0, "trust_policy: statement 1: \"sts:\" is not an action");
        assert_eq!(add("").0, "trust_policy: statement 1: the action is empty");
        assert_eq!(
            add("sts:Assume Role").0,
            "trust_policy: statement 1: the action \"sts:Assume Role\" contains a space"
        );
        assert_eq!(
            add("STS:assumerole").0,
            "trust_policy: statement 1: Action already has \"STS:assumerole\""
        );
        assert_eq!(
            remove("sts:TagSession").0,
            "trust_policy: statement 1: Action does not have \"sts:TagSession\""
        );
        assert_eq!(
            remove("sts:AssumeRole"),
            (
                "trust_policy: statement 1: \"sts:AssumeRole\" is its only action".into(),
                "add the action you want first, or remove the whole statement".into()
            )
        );
        assert_eq!(
            refused(&text, EditOp::AddAction { statement: 9, action: "sts:TagSession".into() }).0,
            "trust_policy: there is no statement 10; the policy has 1"
        );
        assert_eq!(
            refused(&text, EditOp::RemoveAction { statement: 9, action: "sts:AssumeRole".into() }).0,
            "trust_policy: there is no statement 10; the policy has 1"
        );
        let odd = one(r#"{"Effect":"Allow","Principal":{"AWS":"1"},"Action":{"a":1}}"#);
        assert_eq!(
            refused(&odd, EditOp::AddAction { statement: 0, action: "sts:TagSession".into() }).0,
            "trust_policy: statement 1: Action is {\"a\":1}, not a string or a list"
        );
        let none = one(r#"{"Effect":"Allow","Principal":{"AWS":"1"}}"#);
        assert_eq!(
            refused(&none, EditOp::RemoveAction { statement: 0, action: "sts:AssumeRole".into() }).0,
            "trust_policy: statement 1: has no Action"
        );
    }

    #[test]
    fn conditions_are_added_replaced_and_removed_with_their_containers() {
        let text = one(r#"{"Effect":"Allow","Principal":{"AWS":"1"},"Action":"sts:AssumeRole"}"#);
        let one_key = edit(&text, set_condition("StringEquals", "sts:ExternalId", &[" abc "]));
        assert_eq!(
            compact(&one_key),
            one(
                r#"{"Effect":"Allow","Principal":{"AWS":"1"},"Action":"sts:AssumeRole","Condition":{"StringEquals":{"sts:ExternalId":"abc"}}}"#
            )
        );
        let two_keys = edit(&one_key, set_condition("StringEquals", "aws:SourceAccount", &["1", "2"]));
        let replaced = edit(&two_keys, set_condition("StringEquals", "sts:ExternalId", &["def"]));
        let arn = edit(&replaced, set_condition("ArnLike", "aws:SourceArn", &["arn:aws:s3:::b"]));
        assert_eq!(
            compact(&arn),
            one(
                r#"{"Effect":"Allow","Principal":{"AWS":"1"},"Action":"sts:AssumeRole","Condition":{"StringEquals":{"sts:ExternalId":"def","aws:SourceAccount":["1","2"]},"ArnLike":{"aws:SourceArn":"arn:aws:s3:::b"}}}"#
            )
        );
        // A one-element array stays an array when replaced.
        let narrowed = edit(&arn, set_condition("StringEquals", "aws:SourceAccount", &["3"]));
        assert!(compact(&narrowed).contains(r#""aws:SourceAccount":["3"]"#), "{narrowed}");
        let remove = |text: &str, operator: &str, key: &str| {
            edit(text, EditOp::RemoveCondition { statement: 0, operator: operator.into(), key: key.into() })
        };
        let without_arn = remove(&narrowed, "ArnLike", "aws:SourceArn");
        assert!(!without_arn.contains("ArnLike"), "{without_arn}");
        let only_account = remove(&without_arn, "StringEquals", "sts:ExternalId");
        assert!(
            compact(&only_account).contains(r#""Condition":{"StringEquals":{"aws:SourceAccount":["3"]}}"#)
        );
        assert_eq!(compact(&remove(&only_account, "StringEquals", "aws:SourceAccount")), compact(&text));
        // An empty Condition is filled in place; a Condition is put before unknown keys.
        let empty =
            one(r#"{"Effect":"Allow","Condition":{},"Principal":{"AWS":"1"},"Action":"sts:AssumeRole"}"#);
        assert!(
            compact(&edit(&empty, set_condition("Bool", "aws:MultiFactorAuthPresent", &["true"])))
                .contains(r#""Condition":{"Bool":{"aws:MultiFactorAuthPresent":"true"}},"Principal""#)
        );
        let unknown = one(r#"{"Effect":"Allow","Principal":{"AWS":"1"},"Action":"sts:AssumeRole","X":1}"#);
        assert!(compact(&edit(&unknown, set_condition("Null", "aws:TokenIssueTime", &["false"]))).contains(
            r#""Action":"sts:AssumeRole","Condition":{"Null":{"aws:TokenIssueTime":"false"}},"X":1"#
        ));
    }

    #[test]
    fn condition_errors() {
        let text = one(
            r#"{"Effect":"Allow","Principal":{"AWS":"1"},"Action":"sts:AssumeRole","Condition":{"StringEquals":{"k:a":"v"},"Bool":"x"}}"#,
        );
        let set =
            |operator: &str, key: &str, values: &[&str]| refused(&text, set_condition(operator, key, values));
        assert_eq!(
            set("StringEqual", "k:b", &["v"]).0,
            "trust_policy: statement 1: \"StringEqual\" is not a condition operator"
        );
        assert_eq!(
            set("stringequals", "k:b", &["v"]).0,
            "trust_policy: statement 1: \"stringequals\" is not a condition operator"
        );
        assert_eq!(
            set("NullIfExists", "k:b", &["v"]).0,
            "trust_policy: statement 1: \"NullIfExists\" is not a condition operator"
        );
        assert_eq!(
            set("StringEquals", " ", &["v"]).0,
            "trust_policy: statement 1: the condition key is empty"
        );
        assert_eq!(
            set("StringEquals", "<issuer>:aud", &["v"]).0,
            "trust_policy: statement 1: condition key \"<issuer>:aud\" still has a placeholder"
        );
        assert_eq!(
            set("StringEquals", "k:b", &[]).0,
            "trust_policy: statement 1: StringEquals k:b needs at least one value"
        );
        assert_eq!(
            set("StringEquals", "k:b", &["v", " "]).0,
            "trust_policy: statement 1: a value of StringEquals k:b is empty"
        );
        assert_eq!(set("Bool", "k:b", &["true"]).0, "trust_policy: statement 1: Bool is not an object");
        let remove = |operator: &str, key: &str| {
            refused(
                &text,
                EditOp::RemoveCondition { statement: 0, operator: operator.into(), key: key.into() },
            )
            .0
        };
        assert_eq!(remove("StringLike", "k:a"), "trust_policy: statement 1: has no StringLike condition");
        assert_eq!(
            remove("StringEquals", "k:b"),
            "trust_policy: statement 1: has no StringEquals condition on \"k:b\""
        );
        assert_eq!(remove("Bool", "k:a"), "trust_policy: statement 1: Bool is not an object");
        let plain = one(r#"{"Effect":"Allow","Principal":{"AWS":"1"},"Action":"sts:AssumeRole"}"#);
        assert_eq!(
            refused(
                &plain,
                EditOp::RemoveCondition { statement: 0, operator: "Bool".into(), key: "k".into() }
            )
            .0,
            "trust_policy: statement 1: has no conditions"
        );
        assert_eq!(
            refused(
                &plain,
                EditOp::RemoveCondition { statement: 2, operator: "Bool".into(), key: "k".into() }
            )
            .0,
            "trust_policy: there is no statement 3; the policy has 1"
        );
        let op = EditOp::SetCondition {
            statement: 2,
            operator: "Bool".into(),
            key: "k".into(),
            values: vec!["true".into()],
        };
        assert_eq!(refused(&plain, op).0, "trust_policy: there is no statement 3; the policy has 1");
        let broken =
            one(r#"{"Effect":"Allow","Principal":{"AWS":"1"},"Action":"sts:AssumeRole","Condition":"x"}"#);
        assert_eq!(
            refused(&broken, set_condition("Bool", "k:b", &["true"])).0,
            "trust_policy: statement 1: Condition is not an object"
        );
        // What the view shows for a body that is not an object can still be removed.
        let fixed = edit(
            &text,
            EditOp::RemoveCondition { statement: 0, operator: "Bool".into(), key: String::new() },
        );
        assert!(!fixed.contains("Bool"), "{fixed}");
    }

    #[test]
    fn statements_are_added_as_cards_and_removed() {
        let single = r#"{"Version":"2012-10-17","Statement":{"Effect":"Allow","Principal":{"AWS":"111122223333"},"Action":"sts:AssumeRole"}}"#;
        let two = edit(single, EditOp::AddStatement);
        assert_eq!(
            compact(&two),
            r#"{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"AWS":"111122223333"},"Action":"sts:AssumeRole"},{"Effect":"Allow","Principal":{"AWS":[]},"Action":"sts:AssumeRole"}]}"#
        );
        // The empty card blocks the apply until it names someone.
        match analyze(&two, DEFAULT_TRUST_POLICY_QUOTA) {
            EditorState::Valid { lints, view, .. } => {
                assert_eq!(
                    view.statements[1].principals,
                    [PrincipalGroup { kind: "AWS".into(), values: vec![] }]
                );
                assert_eq!(
                    lints.iter().map(|l| (l.code, l.statement)).collect::<Vec<_>>(),
                    [(LintCode::InvalidPrincipal, Some(1))]
                );
            }
            invalid => panic!("{invalid:?}"),
        }
        let filled = edit(&two, add_principal(1, "AWS", ROLE));
        assert!(compact(&filled).ends_with(&format!(
            r#"{{"Effect":"Allow","Principal":{{"AWS":["{ROLE}"]}},"Action":"sts:AssumeRole"}}]}}"#
        )));
        // Back to one statement: the array stays an array.
        let back = edit(&filled, EditOp::RemoveStatement { statement: 1 });
        assert_eq!(
            compact(&back),
            r#"{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"AWS":"111122223333"},"Action":"sts:AssumeRole"}]}"#
        );
        let first_gone = edit(&filled, EditOp::RemoveStatement { statement: 0 });
        assert_eq!(view(&first_gone).statements[0].principals[0].values, [ROLE]);
        assert_eq!(
            refused(single, EditOp::RemoveStatement { statement: 0 }),
            (
                "trust_policy: statement 1 is the only statement".into(),
                "add the statement you want first; a trust policy needs at least one".into()
            )
        );
        assert_eq!(
            refused(&two, EditOp::RemoveStatement { statement: 2 }).0,
            "trust_policy: there is no statement 3; the policy has 2"
        );
        assert_eq!(
            refused(&two, EditOp::RemoveStatement { statement: u32::MAX }).0,
            "trust_policy: there is no statement 4294967296; the policy has 2"
        );
        let empty = r#"{"Statement":[]}"#;
        assert_eq!(
            compact(&edit(empty, EditOp::AddStatement)),
            r#"{"Statement":[{"Effect":"Allow","Principal":{"AWS":[]},"Action":"sts:AssumeRole"}]}"#
        );
    }

    #[test]
    fn edits_keep_key_order_unknown_fields_and_other_statements() {
        let text = r#"{"Statement":[{"Action":"sts:AssumeRole","X":{"keep":[1,2]},"Principal":{"Service":"a","AWS":["1"]},"Effect":"Allow"},{"Sid":"B","Effect":"Deny","Principal":"*","Action":"*"}],"Custom":true,"Version":"2012-10-17"}"#;
        let after = edit(text, add_principal(0, "AWS", "2"));
        assert_eq!(
            compact(&after),
            r#"{"Statement":[{"Action":"sts:AssumeRole","X":{"keep":[1,2]},"Principal":{"Service":"a","AWS":["1","2"]},"Effect":"Allow"},{"Sid":"B","Effect":"Deny","Principal":"*","Action":"*"}],"Custom":true,"Version":"2012-10-17"}"#
        );
        assert_eq!(after, TrustPolicy::parse(&after).expect("valid").to_pretty_json());
    }

    #[test]
    fn presets_are_valid_once_the_issuer_is_filled_in() {
        let presets = condition_presets();
        let keys: Vec<(&str, &str)> = presets.iter().map(|p| (p.operator.as_str(), p.key.as_str())).collect();
        assert_eq!(
            keys,
            [
                ("StringEquals", "sts:ExternalId"),
                ("StringEquals", "aws:SourceAccount"),
                ("ArnLike", "aws:SourceArn"),
                ("StringEquals", "<issuer>:aud"),
                ("StringEquals", "<issuer>:sub"),
                ("StringLike", "<issuer>:sub"),
            ]
        );
        let text = one(r#"{"Effect":"Allow","Principal":{"AWS":"1"},"Action":"sts:AssumeRole"}"#);
        for preset in presets {
            let key = preset.key.replace("<issuer>", "oidc.eks.us-east-1.amazonaws.com/id/ABC");
            let after = edit(&text, set_condition(&preset.operator, &key, &[preset.placeholder.as_str()]));
            let condition = &view(&after).statements[0].conditions[0];
            assert_eq!(
                (condition.operator.as_str(), condition.key.as_str()),
                (preset.operator.as_str(), key.as_str())
            );
            assert!(!preset.label.is_empty());
        }
    }

    #[test]
    fn serde_shapes_for_the_ui() {
        let op: EditOp =
            serde_json::from_str(r#"{"op":"addPrincipal","statement":1,"kind":"AWS","value":"1"}"#)
                .expect("op");
        assert_eq!(op, add_principal(1, "AWS", "1"));
        let op: EditOp = serde_json::from_str(r#"{"op":"addStatement"}"#).expect("op");
        assert_eq!(op, EditOp::AddStatement);
        let op: EditOp = serde_json::from_str(
            r#"{"op":"setCondition","statement":0,"operator":"Bool","key":"k","values":["true"]}"#,
        )
        .expect("op");
        assert_eq!(op, set_condition("Bool", "k", &["true"]));
        let state =
            analyze(&one(r#"{"Effect":"Allow","NotPrincipal":{"AWS":"1"},"Action":"sts:AssumeRole"}"#), 2048);
        let json = serde_json::to_value(&state).expect("serialize");
        assert_eq!(json["state"], "valid");
        assert_eq!(json["view"]["hasUnknownTopLevelFields"], false);
        assert_eq!(json["view"]["statements"][0]["notPrincipal"], true);
        assert_eq!(json["view"]["statements"][0]["otherFields"], serde_json::json!([]));
        assert_eq!(json["size"]["quota"], 2048);
        let json = serde_json::to_value(analyze("{", 2048)).expect("serialize");
        assert_eq!(
            (json["state"].as_str(), json["line"].as_u64(), json["column"].as_u64()),
            (Some("invalid"), Some(1), Some(1))
        );
    }
}
