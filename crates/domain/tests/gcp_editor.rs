//! The bindings editor against the real-world corpus (testdata/corpus/gcp-policy): every
//! policy must be drawable as a table, and a table edit that is undone must give the
//! policy back. Expectations are derived here from the raw JSON, not from the editor's
//! helpers.

use std::path::PathBuf;

use astro_identity_domain::gcp::editor::{BindingsOp, BindingsState, BindingsView, analyze, apply_edit};
use astro_identity_domain::gcp::{Condition, IamLint, IamLintCode};
use serde_json::{Map, Value};

const CORPUS: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/../../testdata/corpus/gcp-policy");
const NEW_MEMBER: &str = "serviceAccount:editor-round-trip@astronomer-prod.iam.gserviceaccount.com";
const NEW_ROLE: &str = "roles/bigquery.dataViewer";

fn corpus() -> Vec<(String, String)> {
    let mut files: Vec<PathBuf> = std::fs::read_dir(CORPUS)
        .expect("corpus directory")
        .map(|entry| entry.expect("directory entry").path())
        .filter(|path| path.extension().is_some_and(|ext| ext == "json"))
        .collect();
    files.sort();
    files
        .into_iter()
        .map(|path| {
            let name = path.file_name().and_then(|n| n.to_str()).expect("utf-8 name").to_owned();
            (name, std::fs::read_to_string(&path).expect("readable corpus file"))
        })
        .collect()
}

fn valid(name: &str, text: &str) -> (BindingsView, String, Vec<IamLint>) {
    match analyze(text) {
        BindingsState::Valid { view, pretty, lints } => (view, pretty, lints),
        invalid => panic!("{name}: {invalid:?}"),
    }
}

fn edit(name: &str, text: &str, op: &BindingsOp) -> String {
    apply_edit(text, op).unwrap_or_else(|e| panic!("{name}: {op:?}: {e}"))
}

fn json(text: &str) -> Value {
    serde_json::from_str(text).expect("valid JSON")
}

/// Compact text keeps key order, which `Value`'s `==` ignores.
fn compact(value: &Value) -> String {
    serde_json::to_string(value).expect("serialize")
}

fn bindings(doc: &Value) -> Vec<&Map<String, Value>> {
    doc.get("bindings")
        .and_then(Value::as_array)
        .map(|list| list.iter().map(|b| b.as_object().expect("binding object")).collect())
        .unwrap_or_default()
}

fn members(binding: &Map<String, Value>) -> Vec<String> {
    binding
        .get("members")
        .and_then(Value::as_array)
        .map(|list| list.iter().map(|m| m.as_str().expect("string member").to_owned()).collect())
        .unwrap_or_default()
}

fn until_2027() -> Condition {
    Condition::new("astro until 2027", None, "request.time < timestamp(\"2027-01-01T00:00:00Z\")")
        .expect("valid condition")
}

#[test]
fn the_corpus_has_fifteen_policies() {
    assert_eq!(corpus().len(), 15);
}

#[test]
fn every_policy_is_drawn_with_every_binding_and_member() {
    for (name, text) in corpus() {
        let raw = json(&text);
        let (view, pretty, lints) = valid(&name, &text);
        assert_eq!(json(&pretty), raw, "{name}: pretty is the same document");
        let raw_bindings = bindings(&raw);
        assert_eq!(view.bindings.len(), raw_bindings.len(), "{name}");
        for (index, (row, binding)) in view.bindings.iter().zip(&raw_bindings).enumerate() {
            assert_eq!(row.index as usize, index, "{name}");
            assert_eq!(Some(row.role.as_str()), binding.get("role").and_then(Value::as_str), "{name}");
            assert_eq!(row.members, members(binding), "{name}: binding {index}");
            assert_eq!(row.condition.is_some(), binding.get("condition").is_some_and(Value::is_object));
            let basic = matches!(row.role.as_str(), "roles/owner" | "roles/editor" | "roles/viewer");
            assert_eq!(row.basic, basic, "{name}");
            // Every basic role, and nothing else in these policies, gets a lint.
            let flagged =
                lints.iter().any(|l| l.code == IamLintCode::BasicRole && l.binding == Some(row.index));
            assert_eq!(flagged, basic, "{name}: binding {index}");
        }
        let version = raw.get("version").and_then(Value::as_u64).filter(|v| *v > 0).unwrap_or(1);
        assert_eq!(u64::from(view.version), version, "{name}");
        assert_eq!(view.has_audit_configs, raw.get("auditConfigs").is_some(), "{name}");
        assert!(view.principal_count > 0 || raw_bindings.is_empty(), "{name}");
    }
}

#[test]
fn adding_then_removing_a_member_gives_the_policy_back() {
    for (name, text) in corpus() {
        let raw = json(&text);
        for index in 0..bindings(&raw).len() {
            let binding = u32::try_from(index).expect("small");
            let added = edit(&name, &text, &BindingsOp::AddMember { binding, member: NEW_MEMBER.into() });
            let added_doc = json(&added);
            // Only the named binding changed.
            for (other, (before, after)) in bindings(&raw).iter().zip(bindings(&added_doc)).enumerate() {
                if other == index {
                    assert_eq!(members(after).last().map(String::as_str), Some(NEW_MEMBER), "{name}");
                } else {
                    assert_eq!(
                        compact(&Value::Object((*before).clone())),
                        compact(&Value::Object(after.clone()))
                    );
                }
            }
            let removed =
                edit(&name, &added, &BindingsOp::RemoveMember { binding, member: NEW_MEMBER.into() });
            assert_eq!(json(&removed), raw, "{name}: binding {index}");
            assert_eq!(compact(&json(&removed)), compact(&raw), "{name}: key order");
        }
    }
}

#[test]
fn adding_then_removing_a_binding_gives_the_policy_back() {
    for (name, text) in corpus() {
        let raw = json(&text);
        let op = BindingsOp::AddBinding { role: NEW_ROLE.into(), member: NEW_MEMBER.into(), condition: None };
        let added = edit(&name, &text, &op);
        let (view, _, _) = valid(&name, &added);
        let row = view
            .bindings
            .iter()
            .find(|b| b.role == NEW_ROLE && b.members.iter().any(|m| m == NEW_MEMBER))
            .unwrap_or_else(|| panic!("{name}: the new grant is shown"));
        let removed =
            edit(&name, &added, &BindingsOp::RemoveMember { binding: row.index, member: NEW_MEMBER.into() });
        assert_eq!(compact(&json(&removed)), compact(&raw), "{name}");
        // A second identical grant is refused, not duplicated.
        assert!(apply_edit(&added, &op).is_err(), "{name}");
    }
}

#[test]
fn a_condition_raises_the_version_and_keeps_the_rest() {
    for (name, text) in corpus() {
        let raw = json(&text);
        let Some(index) = bindings(&raw).iter().position(|b| {
            let role = b.get("role").and_then(Value::as_str).unwrap_or_default();
            !matches!(role, "roles/owner" | "roles/editor" | "roles/viewer") && !b.contains_key("condition")
        }) else {
            continue;
        };
        let binding = u32::try_from(index).expect("small");
        let with = edit(&name, &text, &BindingsOp::SetCondition { binding, condition: Some(until_2027()) });
        let doc = json(&with);
        assert_eq!(doc["version"], 3, "{name}");
        for key in ["etag", "auditConfigs"] {
            assert_eq!(doc.get(key), raw.get(key), "{name}: {key}");
        }
        let (view, _, _) = valid(&name, &with);
        assert_eq!(view.bindings[index].condition, Some(until_2027()), "{name}");
        // Removing the condition never lowers the version again.
        let without = edit(&name, &with, &BindingsOp::SetCondition { binding, condition: None });
        let mut expected = raw.clone();
        expected["version"] = Value::from(3);
        assert_eq!(json(&without), expected, "{name}");
    }
}

#[test]
fn a_condition_on_a_basic_role_is_refused() {
    let mut refused = 0;
    for (name, text) in corpus() {
        for row in valid(&name, &text).0.bindings.iter().filter(|b| b.basic && b.condition.is_none()) {
            let op = BindingsOp::SetCondition { binding: row.index, condition: Some(until_2027()) };
            let error = apply_edit(&text, &op).expect_err("refused");
            assert!(
                error.to_string().contains("conditions cannot be used with basic roles"),
                "{name}: {error}"
            );
            refused += 1;
        }
    }
    assert!(refused > 0, "the corpus has basic roles");
}

#[test]
fn broken_corpus_text_points_at_the_spot() {
    let (name, text) = corpus().into_iter().next().expect("a policy");
    // Drop the first comma: the error is on the line where the next element starts.
    let at = text.find(',').expect("a comma");
    let broken = format!("{}{}", &text[..at], &text[at + 1..]);
    let line = u32::try_from(text[..at].matches('\n').count() + 2).expect("small");
    match analyze(&broken) {
        BindingsState::Invalid { line: got, column, message } => {
            assert_eq!(got, line, "{name}: {message}");
            assert!(column > 1, "{name}");
            assert!(message.contains("malformed JSON"), "{message}");
        }
        state => panic!("{name}: {state:?}"),
    }
}
