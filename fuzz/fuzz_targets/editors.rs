//! The three visual editors: `aws::editor` (trust policies), `aws::permission_editor`
//! (inline policies) and `gcp::editor` (allow policies), each fed the same text and a
//! sequence of card edits made with `arbitrary`.
//!
//! Asserts: no panic; `analyze` of any text either gives cards or an error with a message
//! and a 1-based line and column; an edit's refusal is on a field of that editor, with a
//! problem and a hint; an accepted edit gives text that `analyze` accepts (and shows as
//! the same pretty JSON), keeps every top-level field it was not about and every statement
//! or binding it was not addressed to, and changes the statement count only when it adds
//! or removes one.

#![no_main]

use arbitrary::Unstructured;
use astro_identity_domain::aws::TrustPolicy;
use astro_identity_domain::aws::editor::{self, EditOp, EditorState};
use astro_identity_domain::aws::permission_editor::{self, PermissionEditOp, PermissionEditorState};
use astro_identity_domain::gcp::Condition;
use astro_identity_domain::gcp::editor::{self as gcp_editor, BindingsOp, BindingsState};
use astro_identity_fuzz::{
    ARNS, MEMBERS, ROLES, check_error, index, keeps_other_fields, pick, same_json, split_input,
};
use libfuzzer_sys::fuzz_target;
use serde_json::Value;

fuzz_target!(|data: &[u8]| run(data));

const TRUST_FIELDS: [&str; 1] = ["trust_policy"];
const PERMISSION_FIELDS: [&str; 3] = ["inline_policy", "action", "resource"];
const GCP_FIELDS: [&str; 5] = ["iam_policy", "role", "member", "condition_title", "condition_expression"];

const KINDS: [&str; 6] = ["AWS", "Service", "Federated", "CanonicalUser", "*", "aws"];
const ACTIONS: [&str; 6] =
    ["sts:AssumeRole", "sts:TagSession", "s3:GetObject", "s3:*", "*", "STS:assumerole"];
const RESOURCES: [&str; 4] =
    ["*", "arn:aws:s3:::my-bucket/*", "arn:aws:s3:::${bucket}", "arn:aws:iam::123456789012:role/x"];
const OPERATORS: [&str; 5] = ["StringEquals", "StringLike", "ForAnyValue:StringLike", "BoolIfExists", "Null"];
const KEYS: [&str; 4] =
    ["sts:ExternalId", "aws:SourceAccount", "<issuer>:aud", "oidc.eks.us-east-1.amazonaws.com/id/X:sub"];
const VALUES: [&str; 4] = ["vendor-1234", "123456789012", " ", "system:serviceaccount:ns:sa"];
const EFFECTS: [&str; 4] = ["Allow", "Deny", "allow", " Deny "];

enum Edit {
    Trust(EditOp),
    Permission(PermissionEditOp),
    Gcp(BindingsOp),
}

fn run(data: &[u8]) {
    let (text, edits) = split_input(data);
    let mut trust = text.clone();
    let mut permission = text.clone();
    let mut gcp = text;
    for state in [&trust, &permission, &gcp] {
        check_analyze(state);
    }
    let edits: Vec<Edit> = match edits {
        None => default_edits(&trust),
        Some(bytes) => {
            let mut u = Unstructured::new(bytes);
            let mut edits = Vec::new();
            while !u.is_empty() && edits.len() < 8 {
                let Ok(edit) = edit(&mut u) else { break };
                edits.push(edit);
            }
            edits
        }
    };
    for edit in edits {
        match edit {
            Edit::Trust(op) => apply_trust(&mut trust, &op),
            Edit::Permission(op) => apply_permission(&mut permission, &op),
            Edit::Gcp(op) => apply_gcp(&mut gcp, &op),
        }
    }
}

fn check_analyze(text: &str) {
    let position = |message: &str, line: u32, column: u32| {
        assert!(!message.trim().is_empty(), "an invalid state without a message");
        assert!(line >= 1 && column >= 1, "positions are 1-based: {line}:{column}");
    };
    if let EditorState::Invalid { message, line, column } = editor::analyze(text, 2048) {
        position(&message, line, column);
    }
    if let PermissionEditorState::Invalid { message, line, column } = permission_editor::analyze(text) {
        position(&message, line, column);
    }
    if let BindingsState::Invalid { message, line, column } = gcp_editor::analyze(text) {
        position(&message, line, column);
    }
}

/// What the seeds get: one edit of each kind, on the first statement or binding.
fn default_edits(text: &str) -> Vec<Edit> {
    let s = |v: &str| v.to_owned();
    vec![
        Edit::Trust(EditOp::AddPrincipal { statement: 0, kind: s("AWS"), value: s(ARNS[0]) }),
        Edit::Trust(EditOp::SetCondition {
            statement: 0,
            operator: s("StringEquals"),
            key: s("sts:ExternalId"),
            values: vec![s("vendor-1234")],
        }),
        Edit::Trust(EditOp::RemoveAction { statement: 0, action: s("sts:AssumeRole") }),
        Edit::Trust(EditOp::AddStatement),
        Edit::Trust(EditOp::RemoveStatement { statement: 0 }),
        Edit::Permission(PermissionEditOp::AddAction { statement: 0, action: s("s3:GetObject") }),
        Edit::Permission(PermissionEditOp::AddResource { statement: 0, resource: s("arn:aws:s3:::b/*") }),
        Edit::Gcp(BindingsOp::AddBinding {
            role: s("roles/bigquery.jobUser"),
            member: s(MEMBERS[0]),
            condition: Some(Condition { title: s("t"), description: None, expression: s("e") }),
        }),
        Edit::Gcp(BindingsOp::AddMember { binding: 0, member: s(MEMBERS[2]) }),
        Edit::Gcp(BindingsOp::RemoveMember {
            binding: 0,
            member: gcp_editor_first_member(text).unwrap_or_else(|| s(MEMBERS[2])),
        }),
        Edit::Gcp(BindingsOp::SetCondition { binding: 0, condition: None }),
    ]
}

fn gcp_editor_first_member(text: &str) -> Option<String> {
    let value: Value = serde_json::from_str(text).ok()?;
    value.get("bindings")?.get(0)?.get("members")?.get(0)?.as_str().map(str::to_owned)
}

fn edit(u: &mut Unstructured<'_>) -> arbitrary::Result<Edit> {
    let statement = index(u, 4);
    Ok(match u.int_in_range(0..=20)? {
        0 => Edit::Trust(EditOp::AddPrincipal { statement, kind: pick(u, &KINDS), value: pick(u, &ARNS) }),
        1 => Edit::Trust(EditOp::RemovePrincipal { statement, kind: pick(u, &KINDS), value: pick(u, &ARNS) }),
        2 => Edit::Trust(EditOp::SetEffect { statement, effect: pick(u, &EFFECTS) }),
        3 => Edit::Trust(EditOp::AddAction { statement, action: pick(u, &ACTIONS) }),
        4 => Edit::Trust(EditOp::RemoveAction { statement, action: pick(u, &ACTIONS) }),
        5 => Edit::Trust(EditOp::SetCondition {
            statement,
            operator: pick(u, &OPERATORS),
            key: pick(u, &KEYS),
            values: values(u)?,
        }),
        6 => Edit::Trust(EditOp::RemoveCondition {
            statement,
            operator: pick(u, &OPERATORS),
            key: pick(u, &KEYS),
        }),
        7 => Edit::Trust(EditOp::AddStatement),
        8 => Edit::Trust(EditOp::RemoveStatement { statement }),
        9 => Edit::Permission(PermissionEditOp::AddAction { statement, action: pick(u, &ACTIONS) }),
        10 => Edit::Permission(PermissionEditOp::RemoveAction { statement, action: pick(u, &ACTIONS) }),
        11 => Edit::Permission(PermissionEditOp::AddResource { statement, resource: pick(u, &RESOURCES) }),
        12 => Edit::Permission(PermissionEditOp::RemoveResource { statement, resource: pick(u, &RESOURCES) }),
        13 => Edit::Permission(match u.int_in_range(0..=4)? {
            0 => PermissionEditOp::SetEffect { statement, effect: pick(u, &EFFECTS) },
            1 => PermissionEditOp::SetCondition {
                statement,
                operator: pick(u, &OPERATORS),
                key: pick(u, &KEYS),
                values: values(u)?,
            },
            2 => PermissionEditOp::RemoveCondition {
                statement,
                operator: pick(u, &OPERATORS),
                key: pick(u, &KEYS),
            },
            3 => PermissionEditOp::AddStatement,
            _ => PermissionEditOp::RemoveStatement { statement },
        }),
        14 | 15 => Edit::Gcp(BindingsOp::AddMember { binding: statement, member: pick(u, &MEMBERS) }),
        16 => Edit::Gcp(BindingsOp::RemoveMember { binding: statement, member: pick(u, &MEMBERS) }),
        17 | 18 => Edit::Gcp(BindingsOp::AddBinding {
            role: pick(u, &ROLES),
            member: pick(u, &MEMBERS),
            condition: condition(u)?,
        }),
        19 => Edit::Gcp(BindingsOp::SetCondition { binding: statement, condition: condition(u)? }),
        _ => Edit::Gcp(BindingsOp::RemoveBinding { binding: statement }),
    })
}

fn values(u: &mut Unstructured<'_>) -> arbitrary::Result<Vec<String>> {
    let count = u.int_in_range(0..=3)?;
    Ok((0..count).map(|_| pick(u, &VALUES)).collect())
}

fn condition(u: &mut Unstructured<'_>) -> arbitrary::Result<Option<Condition>> {
    if u.arbitrary()? {
        return Ok(None);
    }
    let description = if u.arbitrary()? { Some(pick(u, &["", "d"])) } else { None };
    Ok(Some(Condition {
        title: pick(u, &["t", " ", "until 2027"]),
        description,
        expression: pick(u, &["e", ""]),
    }))
}

fn statements(doc: &Value) -> Vec<Value> {
    match doc.get("Statement") {
        Some(Value::Array(list)) => list.clone(),
        Some(one) => vec![one.clone()],
        None => Vec::new(),
    }
}

/// The statements other than the one addressed are unchanged; the count changes by
/// `delta` (with a removal, the addressed one is the one that went).
fn check_statements(before: &Value, after: &Value, addressed: Option<u32>, delta: isize) {
    let (old, new) = (statements(before), statements(after));
    let expected = old.len().checked_add_signed(delta).expect("a count");
    assert_eq!(new.len(), expected, "the statement count changed by the wrong amount");
    let addressed = addressed.and_then(|i| usize::try_from(i).ok());
    let old: Vec<&Value> =
        old.iter().enumerate().filter(|(i, _)| Some(*i) != addressed || delta > 0).map(|(_, s)| s).collect();
    let new: Vec<&Value> =
        new.iter().enumerate().filter(|(i, _)| Some(*i) != addressed || delta != 0).map(|(_, s)| s).collect();
    for (o, n) in old.iter().zip(&new) {
        assert!(same_json(o, n), "a statement the edit did not address changed: {o} -> {n}");
    }
}

fn apply_trust(text: &mut String, op: &EditOp) {
    let result = editor::apply_edit(text, op);
    let Some(after) = accepted("aws::editor::apply_edit", result, &TRUST_FIELDS) else { return };
    let EditorState::Valid { pretty, .. } = editor::analyze(&after, 2048) else {
        panic!("an edit gave text the trust editor refuses: {after}");
    };
    assert_eq!(pretty, after, "analyze shows the edited text as it is");
    let (before, now) = (parse(text), parse(&after));
    keeps_other_fields("trust edit", &before, &now, &["Statement"]);
    let (addressed, delta) = match op {
        EditOp::AddStatement => (None, 1),
        EditOp::RemoveStatement { statement } => (Some(*statement), -1),
        EditOp::AddPrincipal { statement, .. }
        | EditOp::RemovePrincipal { statement, .. }
        | EditOp::SetEffect { statement, .. }
        | EditOp::AddAction { statement, .. }
        | EditOp::RemoveAction { statement, .. }
        | EditOp::SetCondition { statement, .. }
        | EditOp::RemoveCondition { statement, .. } => (Some(*statement), 0),
    };
    check_statements(&before, &now, addressed, delta);
    if let Some(undo) = trust_undo(&before, op) {
        let undone =
            editor::apply_edit(&after, &undo).unwrap_or_else(|e| panic!("{undo:?} after {op:?}: {e}"));
        assert_same_meaning(&before, &undone, op);
    }
    *text = after;
}

/// The edit that takes `op` back, where the cards offer one and the statement `op`
/// changed had the shape the undo gives back (a missing key, not an empty one).
fn trust_undo(before: &Value, op: &EditOp) -> Option<EditOp> {
    let statement_of = |i: &u32| statements(before).get(usize::try_from(*i).ok()?).cloned();
    match op {
        EditOp::AddPrincipal { statement, kind, value } => {
            let s = statement_of(statement)?;
            let principal = s.get("Principal").or_else(|| s.get("NotPrincipal"));
            // An empty map or list goes with the last entry removed from it (by design: the
            // lint then says what is missing), so those shapes do not come back.
            let kinds = principal.and_then(Value::as_object);
            if kinds.is_some_and(|k| {
                k.is_empty() || k.get(kind).is_some_and(|l| l.as_array().is_some_and(Vec::is_empty))
            }) {
                return None;
            }
            Some(EditOp::RemovePrincipal {
                statement: *statement,
                kind: kind.clone(),
                value: value.trim().to_owned(),
            })
        }
        EditOp::AddAction { statement, action } => {
            let s = statement_of(statement)?;
            (s.get("Action").or_else(|| s.get("NotAction")).is_some())
                .then(|| EditOp::RemoveAction { statement: *statement, action: action.trim().to_owned() })
        }
        EditOp::SetCondition { statement, operator, key, .. } => {
            let s = statement_of(statement)?;
            let fresh = match s.get("Condition") {
                None => true,
                Some(Value::Object(operators)) => {
                    !operators.is_empty()
                        && operators.get(operator.trim()).is_none_or(|body| {
                            body.as_object()
                                .is_some_and(|keys| !keys.is_empty() && !keys.contains_key(key.trim()))
                        })
                }
                Some(_) => false,
            };
            fresh.then(|| EditOp::RemoveCondition {
                statement: *statement,
                operator: operator.trim().to_owned(),
                key: key.trim().to_owned(),
            })
        }
        _ => None,
    }
}

/// Same meaning to IAM: `TrustPolicy::semantically_equal` reads any policy document.
fn assert_same_meaning(before: &Value, undone: &str, op: &dyn std::fmt::Debug) {
    let before = TrustPolicy::from_value(before.clone()).expect("a policy");
    let undone = TrustPolicy::parse(undone).expect("a policy");
    assert!(
        before.semantically_equal(&undone),
        "{op:?} and its undo changed the meaning:\nbefore {}\nundone {}",
        before.to_compact_json(),
        undone.to_compact_json()
    );
}

fn apply_permission(text: &mut String, op: &PermissionEditOp) {
    let result = permission_editor::apply_edit(text, op);
    let Some(after) = accepted("aws::permission_editor::apply_edit", result, &PERMISSION_FIELDS) else {
        return;
    };
    let PermissionEditorState::Valid { pretty, .. } = permission_editor::analyze(&after) else {
        panic!("an edit gave text the permission editor refuses: {after}");
    };
    assert_eq!(pretty, after, "analyze shows the edited text as it is");
    let (before, now) = (parse(text), parse(&after));
    keeps_other_fields("permission edit", &before, &now, &["Statement"]);
    let (addressed, delta) = match op {
        PermissionEditOp::AddStatement => (None, 1),
        PermissionEditOp::RemoveStatement { statement } => (Some(*statement), -1),
        PermissionEditOp::AddAction { statement, .. }
        | PermissionEditOp::RemoveAction { statement, .. }
        | PermissionEditOp::AddResource { statement, .. }
        | PermissionEditOp::RemoveResource { statement, .. }
        | PermissionEditOp::SetEffect { statement, .. }
        | PermissionEditOp::SetCondition { statement, .. }
        | PermissionEditOp::RemoveCondition { statement, .. } => (Some(*statement), 0),
    };
    check_statements(&before, &now, addressed, delta);
    let undo = match op {
        PermissionEditOp::AddAction { statement, action } => {
            Some(PermissionEditOp::RemoveAction { statement: *statement, action: action.trim().to_owned() })
        }
        PermissionEditOp::AddResource { statement, resource } => Some(PermissionEditOp::RemoveResource {
            statement: *statement,
            resource: resource.trim().to_owned(),
        }),
        _ => None,
    };
    if let Some(undo) = undo {
        let undone = permission_editor::apply_edit(&after, &undo)
            .unwrap_or_else(|e| panic!("{undo:?} after {op:?}: {e}"));
        assert_same_meaning(&before, &undone, op);
    }
    *text = after;
}

fn apply_gcp(text: &mut String, op: &BindingsOp) {
    let result = gcp_editor::apply_edit(text, op);
    let Some(after) = accepted("gcp::editor::apply_edit", result, &GCP_FIELDS) else { return };
    let BindingsState::Valid { pretty, .. } = gcp_editor::analyze(&after) else {
        panic!("an edit gave text the bindings editor refuses: {after}");
    };
    assert_eq!(pretty, after, "analyze shows the edited text as it is");
    let (before, now) = (parse(text), parse(&after));
    keeps_other_fields("bindings edit", &before, &now, &["bindings", "version"]);
    let old_version = before.get("version").and_then(Value::as_u64).unwrap_or(0);
    let new_version = now.get("version").and_then(Value::as_u64).unwrap_or(0);
    assert!(new_version >= old_version, "an edit lowered the version");
    let bindings = |doc: &Value| doc.get("bindings").and_then(Value::as_array).cloned().unwrap_or_default();
    let (old, new) = (bindings(&before), bindings(&now));
    match op {
        BindingsOp::AddBinding { .. } => {
            // One binding gains the member, or one is appended; the others stay.
            assert!(new.len() == old.len() || new.len() == old.len() + 1);
            let changed = old.iter().zip(&new).filter(|(o, n)| !same_json(o, n)).count();
            assert_eq!(changed + new.len() - old.len(), 1, "AddBinding changed more than one binding");
        }
        BindingsOp::RemoveBinding { binding } | BindingsOp::RemoveMember { binding, .. } => {
            let at = usize::try_from(*binding).expect("an index");
            let removed = new.len() + 1 == old.len();
            assert!(removed || new.len() == old.len());
            let old: Vec<&Value> = old.iter().enumerate().filter(|(i, _)| *i != at).map(|(_, b)| b).collect();
            let new: Vec<&Value> =
                new.iter().enumerate().filter(|(i, _)| removed || *i != at).map(|(_, b)| b).collect();
            assert!(old.iter().zip(&new).all(|(o, n)| same_json(o, n)), "another binding changed");
        }
        BindingsOp::AddMember { binding, .. } | BindingsOp::SetCondition { binding, .. } => {
            let at = usize::try_from(*binding).expect("an index");
            assert_eq!(new.len(), old.len());
            for (i, (o, n)) in old.iter().zip(&new).enumerate() {
                assert!(i == at || same_json(o, n), "binding {i} changed by an edit of binding {at}");
            }
        }
    }
    *text = after;
}

fn accepted(
    context: &str,
    result: Result<String, astro_identity_domain::DomainError>,
    fields: &[&str],
) -> Option<String> {
    match result {
        Ok(text) => Some(text),
        Err(error) => {
            check_error(context, &error, fields);
            None
        }
    }
}

fn parse(text: &str) -> Value {
    serde_json::from_str(text.trim_start_matches('\u{feff}')).expect("the text was accepted, so it is JSON")
}
