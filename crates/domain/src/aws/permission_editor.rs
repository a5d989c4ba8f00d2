//! The model behind the visual permission-policy editor: an inline (identity) policy as
//! cards (statements, action and resource chips, conditions) and as JSON, with every card
//! edit done here.
//!
//! Like the trust editor (`editor`), it is stateless: the UI keeps only the text, asks
//! [`analyze`] for the cards, lints and size on every keystroke, and sends the text with a
//! [`PermissionEditOp`] to [`apply_edit`] for a card edit. Edits are surgical (see
//! `statement_edit`): key order, unknown fields, other statements and the shapes written
//! stay as they are.
//!
//! A policy over IAM's size quota, with characters IAM refuses or with an empty action or
//! resource list is still drawn and editable (those are error lints): the person has to be
//! able to fix it here. Writing it stays refused by [`PermissionPolicy::parse`].

use serde::{Deserialize, Serialize};
use serde_json::{Map, Value, json};

use super::action_catalog::{ActionCheck, check_action};
use super::lint::Lint;
use super::permission_lint::{arn_problem, lint_permission_policy};
use super::permission_policy::{PermissionPolicy, ROLE_INLINE_POLICY_QUOTA};
use super::statement_edit::{
    ConditionView, StatementEdit, TOP_LEVEL, add_statement, condition_views, items, remove_statement,
    shown_key, text_of,
};
use crate::DomainError;
use crate::json::{self, to_u32};

const FIELD: &str = "inline_policy";

/// What the editor shows for the current text.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "specta", derive(specta::Type))]
#[serde(tag = "state", rename_all = "camelCase")]
pub enum PermissionEditorState {
    Valid {
        view: PermissionView,
        /// The policy as the JSON side shows it after a card edit (two-space indentation).
        pretty: String,
        lints: Vec<Lint>,
        /// Characters IAM counts (the compact form).
        size: u32,
        /// IAM's limit for all of a role's inline policies together.
        quota: u32,
    },
    /// The text is not a permission policy; the cards keep showing the last valid state.
    Invalid {
        message: String,
        /// 1-based.
        line: u32,
        /// 1-based, in characters (not bytes). 1 for a document that is JSON but not a
        /// policy.
        column: u32,
    },
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "specta", derive(specta::Type))]
#[serde(rename_all = "camelCase")]
pub struct PermissionView {
    pub statements: Vec<PermissionStatementView>,
    /// Top-level keys other than `Version`, `Id` and `Statement`: the cards do not show
    /// them, so the UI points to the JSON side.
    pub has_unknown_top_level_fields: bool,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "specta", derive(specta::Type))]
#[serde(rename_all = "camelCase")]
pub struct PermissionStatementView {
    /// 0-based, as [`PermissionEditOp`]s and [`Lint::statement`] address statements.
    pub index: u32,
    pub sid: Option<String>,
    /// `Allow` or `Deny` (the policy does not parse otherwise).
    pub effect: String,
    /// Non-string entries (IAM refuses them) are shown as their JSON text.
    pub actions: Vec<String>,
    /// The actions come from `NotAction` (the statement has no `Action`); action edits
    /// then go there.
    pub not_actions: bool,
    pub resources: Vec<String>,
    /// The resources come from `NotResource` (the statement has no `Resource`).
    pub not_resources: bool,
    pub conditions: Vec<ConditionView>,
    /// Keys of the statement the cards do not show (unknown fields, the second of
    /// `Action`/`NotAction`, a `Condition` that is not an object), in document order.
    pub other_fields: Vec<String>,
}

/// One card edit. Statements are addressed 0-based, as [`PermissionStatementView::index`].
/// Actions and resources go to the key the card shows (`NotAction`, `NotResource` when
/// that is what the statement has).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "specta", derive(specta::Type))]
#[serde(tag = "op", rename_all = "camelCase")]
pub enum PermissionEditOp {
    AddAction {
        statement: u32,
        action: String,
    },
    /// Removes the first entry equal to `action` as the view shows it. The last one leaves
    /// an empty list (an error lint) rather than a statement without its key.
    RemoveAction {
        statement: u32,
        action: String,
    },
    AddResource {
        statement: u32,
        resource: String,
    },
    RemoveResource {
        statement: u32,
        resource: String,
    },
    SetEffect {
        statement: u32,
        effect: String,
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
    /// Appends `{"Effect":"Allow","Action":[],"Resource":[]}`: a card to fill in. Its empty
    /// lists are error lints until an action and a resource are added.
    AddStatement,
    RemoveStatement {
        statement: u32,
    },
}

const ACTION_HINT: &str =
    "actions look like s3:GetObject, s3:Get* or s3:*: a service prefix, a colon and the action name";
const RESOURCE_HINT: &str =
    "resources look like arn:aws:s3:::my-bucket/* or \"*\"; fill in every ${...} placeholder of a template";

/// The cards, pretty JSON, lints and size of `text`, or where it stops being a policy.
pub fn analyze(text: &str) -> PermissionEditorState {
    match PermissionPolicy::parse_unbounded(text) {
        Ok(policy) => PermissionEditorState::Valid {
            view: view_of(&policy),
            pretty: policy.to_pretty_json(),
            lints: lint_permission_policy(&policy),
            size: to_u32(policy.iam_character_count()),
            quota: to_u32(ROLE_INLINE_POLICY_QUOTA),
        },
        Err(error) => {
            let DomainError::Invalid { problem, hint, .. } = error;
            // The parse error names the spot only inside its message; the editor wants numbers.
            let (line, column) = json::error_position(text);
            PermissionEditorState::Invalid { message: format!("{problem}; {hint}"), line, column }
        }
    }
}

/// Applies `op` to the policy in `text` and returns the new policy as pretty JSON. Action
/// and resource syntax errors are reported on the `action` and `resource` fields, so the
/// UI can show them by the input; everything else on `inline_policy`.
pub fn apply_edit(text: &str, op: &PermissionEditOp) -> Result<String, DomainError> {
    fn at(doc: &mut Value, statement: u32) -> Result<StatementEdit<'_>, DomainError> {
        StatementEdit::at(doc, statement, FIELD)
    }
    let mut doc = PermissionPolicy::parse_unbounded(text)?.into_value();
    match op {
        PermissionEditOp::AddStatement => {
            add_statement(&mut doc, json!({"Effect": "Allow", "Action": [], "Resource": []}));
        }
        PermissionEditOp::RemoveStatement { statement } => {
            remove_statement(&mut doc, *statement, FIELD, "a permission policy")?;
        }
        PermissionEditOp::AddAction { statement, action } => add_action(at(&mut doc, *statement)?, action)?,
        PermissionEditOp::RemoveAction { statement, action } => {
            let edit = at(&mut doc, *statement)?;
            let key = shown_key(edit.map, "Action", "NotAction");
            edit.remove_from_list(key, action, "action", None)?;
        }
        PermissionEditOp::AddResource { statement, resource } => {
            add_resource(at(&mut doc, *statement)?, resource)?;
        }
        PermissionEditOp::RemoveResource { statement, resource } => {
            let edit = at(&mut doc, *statement)?;
            let key = shown_key(edit.map, "Resource", "NotResource");
            edit.remove_from_list(key, resource, "resource", None)?;
        }
        PermissionEditOp::SetEffect { statement, effect } => at(&mut doc, *statement)?.set_effect(effect)?,
        PermissionEditOp::SetCondition { statement, operator, key, values } => {
            at(&mut doc, *statement)?.set_condition(operator, key, values)?;
        }
        PermissionEditOp::RemoveCondition { statement, operator, key } => {
            at(&mut doc, *statement)?.remove_condition(operator, key)?;
        }
    }
    // Every edit keeps the document a policy; checking again costs one walk over the
    // statements and guarantees the JSON side never receives something `analyze` rejects.
    Ok(PermissionPolicy::from_value(doc)?.to_pretty_json())
}

/// What "new inline policy" starts from: one statement to fill in. Valid for [`analyze`],
/// with error lints for its empty action and resource lists.
pub fn new_policy_template() -> String {
    let template = json!({
        "Version": "2012-10-17",
        "Statement": [{"Effect": "Allow", "Action": [], "Resource": []}],
    });
    serde_json::to_string_pretty(&template).unwrap_or_default()
}

// ---- analyze ----

fn view_of(policy: &PermissionPolicy) -> PermissionView {
    let has_unknown_top_level_fields =
        policy.as_value().as_object().is_some_and(|doc| doc.keys().any(|k| !TOP_LEVEL.contains(&k.as_str())));
    let statements =
        policy.statements().into_iter().enumerate().map(|(index, s)| statement_view(index, s)).collect();
    PermissionView { statements, has_unknown_top_level_fields }
}

fn statement_view(index: usize, statement: &Map<String, Value>) -> PermissionStatementView {
    let action_key = shown_key(statement, "Action", "NotAction");
    let resource_key = shown_key(statement, "Resource", "NotResource");
    let condition = statement.get("Condition");
    let conditions = match condition {
        Some(Value::Object(operators)) => condition_views(operators),
        _ => Vec::new(),
    };
    // A `Condition` that is not an object cannot be drawn as rows; it is listed instead.
    let shown = |key: &str| {
        matches!(key, "Sid" | "Effect")
            || key == action_key
            || key == resource_key
            || (key == "Condition" && condition.is_some_and(Value::is_object))
    };
    PermissionStatementView {
        index: to_u32(index),
        sid: statement.get("Sid").map(text_of),
        effect: statement.get("Effect").map(text_of).unwrap_or_default(),
        actions: statement.get(action_key).map(items).unwrap_or_default(),
        not_actions: action_key == "NotAction",
        resources: statement.get(resource_key).map(items).unwrap_or_default(),
        not_resources: resource_key == "NotResource",
        conditions,
        other_fields: statement.keys().filter(|k| !shown(k)).cloned().collect(),
    }
}

// ---- edits ----

fn add_action(edit: StatementEdit<'_>, action: &str) -> Result<(), DomainError> {
    let action = action.trim();
    let refuse =
        |problem: String| DomainError::invalid("action", format!("{}: {problem}", edit.label), ACTION_HINT);
    if action.is_empty() {
        return Err(refuse(String::from("the action is empty")));
    }
    if check_action(action) == ActionCheck::Malformed {
        return Err(refuse(format!("{action:?} is not an action")));
    }
    // Unknown actions are accepted: the catalog may be older than the action, and the
    // lint says so.
    let key = shown_key(edit.map, "Action", "NotAction");
    // IAM compares actions case-insensitively: `s3:getobject` is a repeat.
    edit.add_to_list(key, action, |a| a.as_str().is_some_and(|a| a.eq_ignore_ascii_case(action)))
}

fn add_resource(edit: StatementEdit<'_>, resource: &str) -> Result<(), DomainError> {
    let resource = resource.trim();
    let refuse = |problem: String| {
        DomainError::invalid("resource", format!("{}: {problem}", edit.label), RESOURCE_HINT)
    };
    if resource.is_empty() {
        return Err(refuse(String::from("the resource is empty")));
    }
    if let Some(problem) = arn_problem(resource) {
        return Err(refuse(format!("{resource:?} is not an ARN: {problem}")));
    }
    let key = shown_key(edit.map, "Resource", "NotResource");
    // ARNs are case-sensitive (bucket and object names are): only the same text repeats.
    edit.add_to_list(key, resource, |r| r.as_str() == Some(resource))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::aws::lint::LintCode;

    const BUCKET: &str = "arn:aws:s3:::data";

    fn edit(text: &str, op: PermissionEditOp) -> String {
        apply_edit(text, &op).unwrap_or_else(|e| panic!("{op:?}: {e}"))
    }

    fn compact(pretty: &str) -> String {
        PermissionPolicy::parse_unbounded(pretty).expect("valid").to_compact_json()
    }

    /// (field, message, hint) of a refused edit.
    fn refused(text: &str, op: PermissionEditOp) -> (String, String, String) {
        let error = apply_edit(text, &op).expect_err("refused");
        (error.field().to_owned(), error.to_string(), error.hint().to_owned())
    }

    fn valid(text: &str) -> (PermissionView, Vec<Lint>, u32, u32) {
        match analyze(text) {
            PermissionEditorState::Valid { view, lints, size, quota, pretty } => {
                assert_eq!(pretty, PermissionPolicy::parse_unbounded(text).expect("valid").to_pretty_json());
                (view, lints, size, quota)
            }
            invalid => panic!("{invalid:?}"),
        }
    }

    fn view(text: &str) -> PermissionView {
        valid(text).0
    }

    fn codes(text: &str) -> Vec<(LintCode, Option<u32>)> {
        valid(text).1.into_iter().map(|l| (l.code, l.statement)).collect()
    }

    fn one(statement: &str) -> String {
        format!(r#"{{"Version":"2012-10-17","Statement":[{statement}]}}"#)
    }

    fn add_action(statement: u32, action: &str) -> PermissionEditOp {
        PermissionEditOp::AddAction { statement, action: action.into() }
    }

    fn remove_action(statement: u32, action: &str) -> PermissionEditOp {
        PermissionEditOp::RemoveAction { statement, action: action.into() }
    }

    fn add_resource(statement: u32, resource: &str) -> PermissionEditOp {
        PermissionEditOp::AddResource { statement, resource: resource.into() }
    }

    fn remove_resource(statement: u32, resource: &str) -> PermissionEditOp {
        PermissionEditOp::RemoveResource { statement, resource: resource.into() }
    }

    #[test]
    fn view_of_not_action_not_resource_conditions_and_unknown_fields() {
        let text = r#"{"Version":"2012-10-17","Custom":1,"Statement":{"Sid":"Guard","Effect":"Deny","NotAction":["s3:*",7],"NotResource":"arn:aws:s3:::data","X":{"y":1},"Condition":{"Bool":{"aws:SecureTransport":false},"Weird":"x"}}}"#;
        let v = view(text);
        assert!(v.has_unknown_top_level_fields);
        assert_eq!(
            v.statements,
            [PermissionStatementView {
                index: 0,
                sid: Some("Guard".into()),
                effect: "Deny".into(),
                actions: vec!["s3:*".into(), "7".into()],
                not_actions: true,
                resources: vec![BUCKET.into()],
                not_resources: true,
                conditions: vec![
                    ConditionView {
                        operator: "Bool".into(),
                        key: "aws:SecureTransport".into(),
                        values: vec!["false".into()]
                    },
                    ConditionView { operator: "Weird".into(), key: String::new(), values: vec!["x".into()] },
                ],
                other_fields: vec!["X".into()],
            }]
        );
        let both = view(&one(
            r#"{"Effect":"Allow","Action":"s3:GetObject","NotAction":"s3:Put*","Resource":"*","NotResource":"*","Condition":[]}"#,
        ));
        let s = &both.statements[0];
        assert!(!s.not_actions && !s.not_resources);
        assert_eq!(
            (s.actions.as_slice(), s.resources.as_slice()),
            (&["s3:GetObject".to_owned()][..], &["*".to_owned()][..])
        );
        assert_eq!(s.other_fields, ["NotAction", "NotResource", "Condition"]);
        assert_eq!(s.sid, None);
        assert!(
            !view(&one(r#"{"Effect":"Allow","Action":"s3:*","Resource":"*"}"#)).has_unknown_top_level_fields
        );
    }

    #[test]
    fn analyze_reports_lints_size_and_quota() {
        let text = one(r#"{"Effect":"Allow","Action":["s3:PutObject","s3:GetObjekt"],"Resource":"*"}"#);
        let (_, lints, size, quota) = valid(&text);
        assert_eq!(
            lints.iter().map(|l| (l.code, l.statement)).collect::<Vec<_>>(),
            [(LintCode::UnknownAction, Some(0)), (LintCode::WildcardResourceWithWrite, Some(0))]
        );
        assert_eq!(size as usize, text.chars().count());
        assert_eq!(quota, 10_240);
    }

    #[test]
    fn an_over_quota_policy_is_shown_with_an_error_lint_and_can_be_shrunk() {
        let resources: Vec<String> = (0..400).map(|i| format!("\"arn:aws:s3:::bucket-{i:04}/*\"")).collect();
        let text = one(&format!(
            r#"{{"Effect":"Allow","Action":"s3:GetObject","Resource":[{}]}}"#,
            resources.join(",")
        ));
        assert!(PermissionPolicy::parse(&text).is_err(), "writing it is refused");
        let (_, lints, size, quota) = valid(&text);
        assert!(size > quota);
        assert_eq!(
            lints.iter().map(|l| (l.code, l.statement)).collect::<Vec<_>>(),
            [(LintCode::OverQuota, None)]
        );
        let smaller = edit(&text, remove_resource(0, "arn:aws:s3:::bucket-0000/*"));
        assert_eq!(valid(&smaller).2, size - 29, "the ARN, its quotes and a comma");
    }

    #[test]
    fn invalid_positions_are_one_based_characters() {
        let at = |text: &str| match analyze(text) {
            PermissionEditorState::Invalid { line, column, message } => (line, column, message),
            valid => panic!("{valid:?}"),
        };
        // serde_json says column 13 (bytes): "é" and "€" are 2 and 3 bytes long.
        let (line, column, _) = at("{\"é€\": 1 2}");
        assert_eq!((line, column), (1, 10));
        let (line, column, message) = at("{\n  \"Statement\": [\n    {\"Sid\": \"ü\" \"Effect\"}\n  ]\n}");
        assert_eq!((line, column), (3, 17));
        assert!(message.starts_with("malformed JSON at line 3, column 18: expected"), "{message}");
        let (line, column, message) = at(r#"{"Statement":[{"Effect":"Allow","Resource":"*"}]}"#);
        assert_eq!((line, column), (1, 1));
        assert!(message.starts_with("statement 1 has no \"Action\";"), "{message}");
        let (_, _, message) =
            at(r#"{"Statement":[{"Effect":"Allow","Action":"s3:*","Resource":"*","Principal":"*"}]}"#);
        assert!(message.contains("Principal"), "{message}");
    }

    #[test]
    fn the_template_is_a_card_to_fill_in() {
        let template = new_policy_template();
        assert_eq!(
            template,
            "{\n  \"Version\": \"2012-10-17\",\n  \"Statement\": [\n    {\n      \"Effect\": \"Allow\",\n      \"Action\": [],\n      \"Resource\": []\n    }\n  ]\n}"
        );
        assert_eq!(
            codes(&template),
            [(LintCode::EmptyActionOrResource, Some(0)), (LintCode::EmptyActionOrResource, Some(0))]
        );
        let filled =
            edit(&edit(&template, add_action(0, "s3:GetObject")), add_resource(0, &format!("{BUCKET}/*")));
        assert_eq!(
            compact(&filled),
            one(r#"{"Effect":"Allow","Action":["s3:GetObject"],"Resource":["arn:aws:s3:::data/*"]}"#)
        );
        assert_eq!(codes(&filled), []);
        assert!(PermissionPolicy::parse(&filled).is_ok(), "writable once filled in");
    }

    #[test]
    fn actions_grow_and_shrink_without_collapsing() {
        let text = one(&format!(r#"{{"Effect":"Allow","Action":"s3:GetObject","Resource":"{BUCKET}"}}"#));
        let added = edit(&text, add_action(0, " s3:ListBucket\n"));
        assert_eq!(
            compact(&added),
            one(&format!(
                r#"{{"Effect":"Allow","Action":["s3:GetObject","s3:ListBucket"],"Resource":"{BUCKET}"}}"#
            ))
        );
        let removed = edit(&added, remove_action(0, "s3:GetObject"));
        assert_eq!(
            compact(&removed),
            one(&format!(r#"{{"Effect":"Allow","Action":["s3:ListBucket"],"Resource":"{BUCKET}"}}"#))
        );
        // The last action leaves an empty list, flagged by the lints, in place.
        let emptied = edit(&removed, remove_action(0, "s3:ListBucket"));
        assert_eq!(
            compact(&emptied),
            one(&format!(r#"{{"Effect":"Allow","Action":[],"Resource":"{BUCKET}"}}"#))
        );
        assert_eq!(codes(&emptied), [(LintCode::EmptyActionOrResource, Some(0))]);
        let from_string = edit(&text, remove_action(0, "s3:GetObject"));
        assert_eq!(compact(&from_string), compact(&emptied));
        // NotAction is edited in place; wildcards and unknown actions are accepted.
        let not_action = one(r#"{"Effect":"Deny","NotAction":["s3:*"],"Resource":"*"}"#);
        assert_eq!(
            compact(&edit(&edit(&not_action, add_action(0, "sts:Get*")), add_action(0, "s3:BrandNewAction"))),
            one(r#"{"Effect":"Deny","NotAction":["s3:*","sts:Get*","s3:BrandNewAction"],"Resource":"*"}"#)
        );
    }

    #[test]
    fn action_refusals_name_the_field() {
        let text = one(&format!(
            r#"{{"Sid":"Read","Effect":"Allow","Action":"s3:GetObject","Resource":"{BUCKET}"}}"#
        ));
        let add = |action: &str| refused(&text, add_action(0, action));
        assert_eq!(
            add("s3 GetObject"),
            (
                "action".into(),
                "action: statement 1 (\"Read\"): \"s3 GetObject\" is not an action".into(),
                ACTION_HINT.into()
            )
        );
        assert_eq!(add("GetObject").1, "action: statement 1 (\"Read\"): \"GetObject\" is not an action");
        assert_eq!(add("s3:").0, "action");
        assert_eq!(add("  ").1, "action: statement 1 (\"Read\"): the action is empty");
        assert_eq!(
            add("S3:getobject"),
            (
                "inline_policy".into(),
                "inline_policy: statement 1 (\"Read\"): Action already has \"S3:getobject\"".into(),
                "nothing to add".into()
            )
        );
        assert_eq!(
            refused(&text, remove_action(0, "s3:PutObject")),
            (
                "inline_policy".into(),
                "inline_policy: statement 1 (\"Read\"): Action does not have \"s3:PutObject\"".into(),
                "remove an action the card shows".into()
            )
        );
        assert_eq!(
            refused(&text, add_action(3, "s3:PutObject")).1,
            "inline_policy: there is no statement 4; the policy has 1"
        );
        let odd = one(r#"{"Effect":"Allow","Action":{"a":1},"Resource":"*"}"#);
        assert_eq!(
            refused(&odd, add_action(0, "s3:PutObject")).1,
            "inline_policy: statement 1: Action is {\"a\":1}, not a string or a list"
        );
        assert_eq!(refused("{", add_action(0, "s3:PutObject")).0, "inline_policy");
    }

    #[test]
    fn resources_grow_and_shrink_and_are_checked() {
        let text = one(r#"{"Effect":"Allow","Action":"s3:ListBucket","Resource":"arn:aws:s3:::data"}"#);
        let added = edit(&text, add_resource(0, "arn:aws:s3:::Data"));
        assert_eq!(
            compact(&added),
            one(
                r#"{"Effect":"Allow","Action":"s3:ListBucket","Resource":["arn:aws:s3:::data","arn:aws:s3:::Data"]}"#
            )
        );
        let star = edit(&added, add_resource(0, "*"));
        assert!(compact(&star).contains(r#""arn:aws:s3:::Data","*"]"#), "{star}");
        let removed = edit(&star, remove_resource(0, "arn:aws:s3:::data"));
        assert!(compact(&removed).contains(r#""Resource":["arn:aws:s3:::Data","*"]"#), "{removed}");
        let not_resource = one(r#"{"Effect":"Deny","Action":"s3:*","NotResource":"arn:aws:s3:::a"}"#);
        assert_eq!(
            compact(&edit(&not_resource, add_resource(0, "arn:aws:s3:::b"))),
            one(r#"{"Effect":"Deny","Action":"s3:*","NotResource":["arn:aws:s3:::a","arn:aws:s3:::b"]}"#)
        );
        let add = |resource: &str| refused(&text, add_resource(0, resource));
        assert_eq!(
            add("my-bucket"),
            (
                "resource".into(),
                "resource: statement 1: \"my-bucket\" is not an ARN: it does not start with arn:".into(),
                RESOURCE_HINT.into()
            )
        );
        assert_eq!(
            add("arn:${Partition}:s3:::${BucketName}").1,
            "resource: statement 1: \"arn:${Partition}:s3:::${BucketName}\" is not an ARN: it still has the placeholder ${Partition}"
        );
        assert_eq!(add("").1, "resource: statement 1: the resource is empty");
        assert_eq!(
            add("arn:aws:s3:::data").1,
            "inline_policy: statement 1: Resource already has \"arn:aws:s3:::data\""
        );
        assert_eq!(refused(&text, remove_resource(0, "*")).2, "remove a resource the card shows");
    }

    #[test]
    fn effect_and_conditions_use_the_shared_edits() {
        let text = one(r#"{"Effect":"Allow","Action":"s3:GetObject","Resource":"*","X":1}"#);
        let denied = edit(&text, PermissionEditOp::SetEffect { statement: 0, effect: "Deny".into() });
        assert_eq!(
            compact(&denied),
            one(r#"{"Effect":"Deny","Action":"s3:GetObject","Resource":"*","X":1}"#)
        );
        assert_eq!(
            refused(&text, PermissionEditOp::SetEffect { statement: 0, effect: "allow".into() }).2,
            "Effect is case-sensitive: write Allow or Deny"
        );
        let set = PermissionEditOp::SetCondition {
            statement: 0,
            operator: "StringEquals".into(),
            key: "aws:ResourceAccount".into(),
            values: vec!["123456789012".into()],
        };
        let conditioned = edit(&text, set);
        // The new key goes to its documented place: before the unknown one.
        assert_eq!(
            compact(&conditioned),
            one(
                r#"{"Effect":"Allow","Action":"s3:GetObject","Resource":"*","Condition":{"StringEquals":{"aws:ResourceAccount":"123456789012"}},"X":1}"#
            )
        );
        let condition = &view(&conditioned).statements[0].conditions[0];
        assert_eq!(
            (condition.operator.as_str(), condition.key.as_str()),
            ("StringEquals", "aws:ResourceAccount")
        );
        let back = edit(
            &conditioned,
            PermissionEditOp::RemoveCondition {
                statement: 0,
                operator: "StringEquals".into(),
                key: "aws:ResourceAccount".into(),
            },
        );
        assert_eq!(compact(&back), compact(&text));
        let bad = PermissionEditOp::SetCondition {
            statement: 0,
            operator: "StringEqual".into(),
            key: "aws:ResourceAccount".into(),
            values: vec!["1".into()],
        };
        assert_eq!(
            refused(&text, bad).1,
            "inline_policy: statement 1: \"StringEqual\" is not a condition operator"
        );
    }

    #[test]
    fn statements_are_added_as_cards_and_removed() {
        let single = r#"{"Version":"2012-10-17","Statement":{"Effect":"Allow","Action":"s3:GetObject","Resource":"*"}}"#;
        let two = edit(single, PermissionEditOp::AddStatement);
        assert_eq!(
            compact(&two),
            r#"{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"s3:GetObject","Resource":"*"},{"Effect":"Allow","Action":[],"Resource":[]}]}"#
        );
        assert_eq!(
            codes(&two),
            [(LintCode::EmptyActionOrResource, Some(1)), (LintCode::EmptyActionOrResource, Some(1))]
        );
        let back = edit(&two, PermissionEditOp::RemoveStatement { statement: 1 });
        assert_eq!(
            compact(&back),
            r#"{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"s3:GetObject","Resource":"*"}]}"#
        );
        let first_gone = edit(&two, PermissionEditOp::RemoveStatement { statement: 0 });
        assert!(view(&first_gone).statements[0].actions.is_empty());
        assert_eq!(
            refused(single, PermissionEditOp::RemoveStatement { statement: 0 }),
            (
                "inline_policy".into(),
                "inline_policy: statement 1 is the only statement".into(),
                "add the statement you want first; a permission policy needs at least one".into()
            )
        );
        assert_eq!(
            refused(&two, PermissionEditOp::RemoveStatement { statement: 2 }).1,
            "inline_policy: there is no statement 3; the policy has 2"
        );
    }

    #[test]
    fn edits_keep_key_order_unknown_fields_and_other_statements() {
        let text = r#"{"Statement":[{"Resource":"*","X":{"keep":[1,2]},"Action":["s3:GetObject"],"Effect":"Allow"},{"Sid":"B","Effect":"Deny","NotAction":"iam:*","Resource":"*"}],"Custom":true,"Version":"2012-10-17"}"#;
        let after = edit(text, add_action(0, "s3:ListBucket"));
        assert_eq!(
            compact(&after),
            r#"{"Statement":[{"Resource":"*","X":{"keep":[1,2]},"Action":["s3:GetObject","s3:ListBucket"],"Effect":"Allow"},{"Sid":"B","Effect":"Deny","NotAction":"iam:*","Resource":"*"}],"Custom":true,"Version":"2012-10-17"}"#
        );
        assert_eq!(after, PermissionPolicy::parse(&after).expect("valid").to_pretty_json());
    }

    #[test]
    fn serde_shapes_for_the_ui() {
        let op: PermissionEditOp =
            serde_json::from_str(r#"{"op":"addResource","statement":1,"resource":"*"}"#).expect("op");
        assert_eq!(op, add_resource(1, "*"));
        let op: PermissionEditOp =
            serde_json::from_str(r#"{"op":"removeAction","statement":0,"action":"s3:*"}"#).expect("op");
        assert_eq!(op, remove_action(0, "s3:*"));
        let op: PermissionEditOp = serde_json::from_str(r#"{"op":"addStatement"}"#).expect("op");
        assert_eq!(op, PermissionEditOp::AddStatement);
        let json =
            serde_json::to_value(analyze(&one(r#"{"Effect":"Deny","NotAction":"s3:*","NotResource":"*"}"#)))
                .expect("serialize");
        assert_eq!(json["state"], "valid");
        assert_eq!(json["quota"], 10_240);
        assert_eq!(json["view"]["hasUnknownTopLevelFields"], false);
        let statement = &json["view"]["statements"][0];
        assert_eq!(
            (statement["notActions"].as_bool(), statement["notResources"].as_bool()),
            (Some(true), Some(true))
        );
        assert_eq!(statement["otherFields"], serde_json::json!([]));
        let json = serde_json::to_value(analyze("{")).expect("serialize");
        assert_eq!(
            (json["state"].as_str(), json["line"].as_u64(), json["column"].as_u64()),
            (Some("invalid"), Some(1), Some(1))
        );
    }
}
