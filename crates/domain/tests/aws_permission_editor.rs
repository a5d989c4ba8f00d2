//! The permission editor against every AWS-managed policy in the offline catalog (1,582
//! real documents): each must be drawable as cards, and card edits that are undone must
//! give the policy back. Expectations are derived here from the raw JSON, not from the
//! editor's helpers.

use astro_identity_domain::aws::managed_catalog;
use astro_identity_domain::aws::permission_editor::{
    PermissionEditOp, PermissionEditorState, PermissionView, analyze, apply_edit,
};
use astro_identity_domain::aws::permission_policy::PermissionPolicy;
use serde_json::{Map, Value, json};

const NEW_ACTION: &str = "sts:GetCallerIdentity";

/// (name, pretty document) of every policy in the catalog.
fn managed_policies() -> Vec<(String, String)> {
    let all = managed_catalog::search("", usize::MAX);
    assert_eq!(all.len(), managed_catalog::count());
    all.into_iter()
        .map(|p| {
            let document = managed_catalog::document(&p.arn).expect("every listed policy has a document");
            (p.name, document)
        })
        .collect()
}

fn view(name: &str, text: &str) -> PermissionView {
    match analyze(text) {
        PermissionEditorState::Valid { view, pretty, .. } => {
            assert_eq!(pretty, text, "{name}: the catalog's pretty form is the editor's");
            view
        }
        invalid => panic!("{name}: {invalid:?}"),
    }
}

fn edit(name: &str, text: &str, op: &PermissionEditOp) -> String {
    apply_edit(text, op).unwrap_or_else(|e| panic!("{name}: {op:?}: {e}"))
}

fn json(text: &str) -> Value {
    serde_json::from_str(text).expect("valid JSON")
}

fn compact(text: &str) -> String {
    PermissionPolicy::parse_unbounded(text).expect("valid").to_compact_json()
}

fn statements(doc: &Value) -> Vec<&Map<String, Value>> {
    match &doc["Statement"] {
        Value::Array(items) => items.iter().map(|s| s.as_object().expect("statement object")).collect(),
        one => vec![one.as_object().expect("statement object")],
    }
}

fn texts(value: Option<&Value>) -> Vec<String> {
    match value {
        None => Vec::new(),
        Some(Value::Array(items)) => items.iter().map(|v| v.as_str().expect("string").to_owned()).collect(),
        Some(one) => vec![one.as_str().expect("string").to_owned()],
    }
}

#[test]
fn every_managed_policy_is_drawn_as_cards() {
    for (name, text) in managed_policies() {
        let doc = json(&text);
        let raw = statements(&doc);
        let cards = view(&name, &text).statements;
        assert_eq!(cards.len(), raw.len(), "{name}");
        for (card, statement) in cards.iter().zip(raw) {
            let action_key = if statement.contains_key("Action") { "Action" } else { "NotAction" };
            let resource_key = if statement.contains_key("Resource") { "Resource" } else { "NotResource" };
            assert_eq!(card.actions, texts(statement.get(action_key)), "{name}");
            assert_eq!(card.not_actions, action_key == "NotAction", "{name}");
            assert_eq!(card.resources, texts(statement.get(resource_key)), "{name}");
            assert_eq!(card.not_resources, resource_key == "NotResource", "{name}");
            let condition_rows: usize =
                statement.get("Condition").and_then(Value::as_object).map_or(0, |operators| {
                    operators.values().map(|keys| keys.as_object().map_or(1, Map::len)).sum()
                });
            assert_eq!(card.conditions.len(), condition_rows, "{name}");
            assert_eq!(card.other_fields, Vec::<String>::new(), "{name}: AWS writes no unknown fields");
        }
    }
}

#[test]
fn undone_edits_give_every_managed_policy_back() {
    for (name, text) in managed_policies() {
        let original = compact(&text);
        let doc = json(&text);
        let count = statements(&doc).len();
        // The first and the last statement: every statement would make this test quadratic
        // in the size of the biggest policies, for no new case.
        let last = u32::try_from(count - 1).expect("few statements");
        for statement in [0, last] {
            let condition = PermissionEditOp::SetCondition {
                statement,
                operator: "StringEquals".into(),
                key: "aws:ResourceAccount".into(),
                values: vec!["123456789012".into()],
            };
            let removed = PermissionEditOp::RemoveCondition {
                statement,
                operator: "StringEquals".into(),
                key: "aws:ResourceAccount".into(),
            };
            // Unless the statement had that very condition already (then it is replaced).
            let had = statements(&doc)[statement as usize]
                .get("Condition")
                .and_then(|c| c.get("StringEquals"))
                .and_then(|c| c.get("aws:ResourceAccount"))
                .is_some();
            if !had {
                let conditioned = edit(&name, &text, &condition);
                assert_eq!(compact(&edit(&name, &conditioned, &removed)), original, "{name} #{statement}");
            }
        }
        // A new statement and its removal: a single statement object becomes a list.
        let added = edit(&name, &text, &PermissionEditOp::AddStatement);
        let back = edit(
            &name,
            &added,
            &PermissionEditOp::RemoveStatement { statement: u32::try_from(count).expect("few") },
        );
        let mut expected = doc;
        if expected["Statement"].is_object() {
            expected["Statement"] = json!([expected["Statement"].take()]);
        }
        assert_eq!(compact(&back), expected.to_string(), "{name}");
    }
}

#[test]
fn an_added_and_removed_action_leaves_a_list() {
    for (name, text) in managed_policies() {
        let doc = json(&text);
        let first = statements(&doc)[0];
        let key = if first.contains_key("Action") { "Action" } else { "NotAction" };
        if texts(first.get(key)).iter().any(|a| a.eq_ignore_ascii_case(NEW_ACTION)) {
            continue;
        }
        let added =
            edit(&name, &text, &PermissionEditOp::AddAction { statement: 0, action: NEW_ACTION.into() });
        let back =
            edit(&name, &added, &PermissionEditOp::RemoveAction { statement: 0, action: NEW_ACTION.into() });
        // Everything as it was, except that a single action written as a string is now a
        // one-element list: an edit never collapses a list.
        let mut expected = doc.clone();
        let statement = match &mut expected["Statement"] {
            Value::Array(items) => &mut items[0],
            one => one,
        };
        if let Some(Value::String(action)) = statement.get(key).cloned() {
            statement[key] = json!([action]);
        }
        assert_eq!(compact(&back), expected.to_string(), "{name}");
    }
}
