//! The visual editor against the real-world corpus (testdata/corpus/aws-trust): every
//! policy must be drawable as cards, and a card edit that is undone must give the policy
//! back. Expectations are derived here from the raw JSON, not from the editor's helpers.

use std::path::PathBuf;

use astro_identity_domain::aws::editor::{EditOp, EditorState, PolicyView, analyze, apply_edit};
use astro_identity_domain::aws::{
    DEFAULT_TRUST_POLICY_QUOTA, LintCode, SizeReport, TrustPolicy, lint_trust_policy,
};
use serde_json::{Map, Value};

const CORPUS: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/../../testdata/corpus/aws-trust");
const NEW_ROLE: &str = "arn:aws:iam::999988887777:role/editor-round-trip";

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

fn valid(name: &str, text: &str) -> (PolicyView, String, Vec<astro_identity_domain::aws::Lint>, SizeReport) {
    match analyze(text, DEFAULT_TRUST_POLICY_QUOTA) {
        EditorState::Valid { view, pretty, lints, size } => (view, pretty, lints, size),
        invalid => panic!("{name}: {invalid:?}"),
    }
}

fn edit(name: &str, text: &str, op: &EditOp) -> String {
    apply_edit(text, op).unwrap_or_else(|e| panic!("{name}: {op:?}: {e}"))
}

fn json(text: &str) -> Value {
    serde_json::from_str(text).expect("valid JSON")
}

fn statements(doc: &Value) -> Vec<&Map<String, Value>> {
    match &doc["Statement"] {
        Value::Array(items) => items.iter().map(|s| s.as_object().expect("statement object")).collect(),
        one => vec![one.as_object().expect("statement object")],
    }
}

fn statements_mut(doc: &mut Value) -> Vec<&mut Map<String, Value>> {
    match &mut doc["Statement"] {
        Value::Array(items) => {
            items.iter_mut().map(|s| s.as_object_mut().expect("statement object")).collect()
        }
        one => vec![one.as_object_mut().expect("statement object")],
    }
}

/// Strings stay strings; anything else as its JSON text, the way the cards show it.
fn texts(value: &Value) -> Vec<String> {
    let text = |v: &Value| v.as_str().map_or_else(|| v.to_string(), str::to_owned);
    match value {
        Value::Array(items) => items.iter().map(text).collect(),
        one => vec![text(one)],
    }
}

/// `==` on `Value` ignores object key order; this does not.
fn same_with_key_order(a: &Value, b: &Value) -> bool {
    match (a, b) {
        (Value::Object(x), Value::Object(y)) => {
            x.len() == y.len()
                && x.iter().zip(y.iter()).all(|((kx, vx), (ky, vy))| kx == ky && same_with_key_order(vx, vy))
        }
        (Value::Array(x), Value::Array(y)) => {
            x.len() == y.len() && x.iter().zip(y.iter()).all(|(vx, vy)| same_with_key_order(vx, vy))
        }
        _ => a == b,
    }
}

fn codes(text: &str) -> Vec<(LintCode, Option<u32>)> {
    match analyze(text, DEFAULT_TRUST_POLICY_QUOTA) {
        EditorState::Valid { lints, .. } => lints.into_iter().map(|l| (l.code, l.statement)).collect(),
        invalid => panic!("{invalid:?}"),
    }
}

#[test]
fn corpus_has_48_policies() {
    assert_eq!(corpus().len(), 48, "files in {CORPUS}");
}

#[test]
fn every_corpus_policy_is_shown_in_full() {
    let mut seen_statements = 0;
    let mut principal_values = 0;
    let mut actions = 0;
    let mut conditions = 0;
    for (name, text) in corpus() {
        let (view, pretty, lints, size) = valid(&name, &text);
        let policy = TrustPolicy::parse(&text).expect("valid policy");
        assert_eq!(pretty, policy.to_pretty_json(), "{name}");
        assert_eq!(lints, lint_trust_policy(&policy, DEFAULT_TRUST_POLICY_QUOTA), "{name}");
        assert_eq!(size, SizeReport::of(&policy, DEFAULT_TRUST_POLICY_QUOTA), "{name}");
        assert!(!view.has_unknown_top_level_fields, "{name}");

        let doc = json(&text);
        let originals = statements(&doc);
        assert_eq!(view.statements.len(), originals.len(), "{name}");
        for (index, (card, original)) in view.statements.iter().zip(&originals).enumerate() {
            seen_statements += 1;
            assert_eq!(card.index as usize, index, "{name}");
            assert_eq!(card.sid.as_deref(), original.get("Sid").and_then(Value::as_str), "{name}");
            assert_eq!(Some(card.effect.as_str()), original["Effect"].as_str(), "{name}");

            let (principal_key, not_principal) = if original.contains_key("Principal") {
                ("Principal", false)
            } else {
                ("NotPrincipal", true)
            };
            assert_eq!(card.not_principal, not_principal, "{name}");
            let expected: Vec<(String, Vec<String>)> = match &original[principal_key] {
                Value::Object(kinds) => kinds.iter().map(|(k, v)| (k.clone(), texts(v))).collect(),
                bare => vec![("*".to_owned(), texts(bare))],
            };
            let shown: Vec<(String, Vec<String>)> =
                card.principals.iter().map(|g| (g.kind.clone(), g.values.clone())).collect();
            assert_eq!(shown, expected, "{name} statement {index}");
            principal_values += expected.iter().map(|(_, v)| v.len()).sum::<usize>();

            let action_key = if original.contains_key("Action") { "Action" } else { "NotAction" };
            assert_eq!(card.not_actions, action_key == "NotAction", "{name}");
            assert_eq!(card.actions, texts(&original[action_key]), "{name} statement {index}");
            actions += card.actions.len();

            let mut expected_conditions = Vec::new();
            if let Some(Value::Object(operators)) = original.get("Condition") {
                for (operator, keys) in operators {
                    for (key, values) in keys.as_object().expect("condition keys") {
                        expected_conditions.push((operator.clone(), key.clone(), texts(values)));
                    }
                }
            }
            let shown: Vec<(String, String, Vec<String>)> = card
                .conditions
                .iter()
                .map(|c| (c.operator.clone(), c.key.clone(), c.values.clone()))
                .collect();
            assert_eq!(shown, expected_conditions, "{name} statement {index}");
            conditions += shown.len();

            // The corpus has only fields the cards show.
            assert!(card.other_fields.is_empty(), "{name}: {:?}", card.other_fields);
        }
    }
    // Guards against a corpus or a parser that silently shows nothing.
    assert_eq!(seen_statements, 54);
    assert_eq!((principal_values, actions, conditions), (72, 61, 56));
}

#[test]
fn corpus_shapes_are_drawn_as_documented() {
    let file = |prefix: &str| {
        let (name, text) = corpus().into_iter().find(|(n, _)| n.starts_with(prefix)).expect("corpus file");
        valid(&name, &text).0
    };
    let star = file("43-panther-principal-star-string");
    assert_eq!(star.statements[0].principals.len(), 1);
    assert_eq!(
        (star.statements[0].principals[0].kind.as_str(), &star.statements[0].principals[0].values[..]),
        ("*", &["*".to_owned()][..])
    );
    let empty_condition = file("26-eks-cross-account-root-empty-condition");
    assert!(empty_condition.statements[0].conditions.is_empty());
    let object = file("03-iam-mfa-bare-account-statement-object");
    assert_eq!(object.statements.len(), 1);
    assert_eq!(object.statements[0].conditions[0].values, ["true"]);
    let mixed = file("31-c7n-getrole-mixed-service-and-aws-arrays");
    let kinds: Vec<&str> = mixed.statements[0].principals.iter().map(|g| g.kind.as_str()).collect();
    assert!(kinds.contains(&"AWS") && kinds.contains(&"Service"), "{kinds:?}");
    assert_eq!(file("24-eks-hybrid-ssm-empty-sid").statements[0].sid.as_deref(), Some(""));
}

/// Adding a principal and removing it again gives back the policy: exactly, except that a
/// kind written as a single string comes back as a one-element list (lists never collapse,
/// so the person editing sees what they did).
#[test]
fn adding_then_removing_a_principal_restores_every_corpus_policy() {
    let mut round_trips = 0;
    let mut reshaped = 0;
    for (name, text) in corpus() {
        let original = json(&TrustPolicy::parse(&text).expect("valid policy").to_pretty_json());
        for (index, statement) in statements(&original).into_iter().enumerate() {
            let at = u32::try_from(index).expect("small index");
            let principal = statement.get("Principal").or_else(|| statement.get("NotPrincipal"));
            let Some(Value::Object(kinds)) = principal else {
                // A bare "*" admits no named principal next to it.
                let op = EditOp::AddPrincipal { statement: at, kind: "AWS".into(), value: NEW_ROLE.into() };
                let error = apply_edit(&text, &op).expect_err("refused next to \"*\"");
                assert_eq!(error.field(), "trust_policy");
                assert!(error.to_string().ends_with("Principal is \"*\" (everyone)"), "{name}: {error}");
                continue;
            };
            for (kind, value) in [
                ("AWS", NEW_ROLE),
                ("Service", "editor-round-trip.amazonaws.com"),
                ("Federated", "arn:aws:iam::999988887777:oidc-provider/editor.example.com"),
                ("CanonicalUser", "79a59df900b949e55d96a1e698fbacedfd6e09d98eacf8f8d5218e7cd47ef2be"),
            ] {
                let add = EditOp::AddPrincipal { statement: at, kind: kind.into(), value: value.into() };
                let added = edit(&name, &text, &add);
                let (view, ..) = valid(&name, &added);
                let group =
                    view.statements[index].principals.iter().find(|g| g.kind == kind).expect("kind shown");
                assert_eq!(group.values.last().map(String::as_str), Some(value), "{name}");
                // Nothing but that one list changed.
                let mut expected_added = original.clone();
                let target = &mut statements_mut(&mut expected_added)[index];
                let key = if target.contains_key("Principal") { "Principal" } else { "NotPrincipal" };
                let list = target[key]
                    .as_object_mut()
                    .expect("principal map")
                    .entry(kind)
                    .or_insert(Value::Array(vec![]));
                let mut entries = match list.take() {
                    Value::Array(entries) => entries,
                    one => vec![one],
                };
                entries.push(Value::from(value));
                *list = Value::Array(entries);
                assert!(same_with_key_order(&json(&added), &expected_added), "{name}: {kind}\n{added}");

                let remove =
                    EditOp::RemovePrincipal { statement: at, kind: kind.into(), value: value.into() };
                let removed = json(&edit(&name, &added, &remove));
                let mut expected = original.clone();
                if let Some(Value::String(single)) = kinds.get(kind) {
                    let target = &mut statements_mut(&mut expected)[index];
                    let key = if target.contains_key("Principal") { "Principal" } else { "NotPrincipal" };
                    target[key][kind] = Value::Array(vec![Value::from(single.as_str())]);
                    reshaped += 1;
                } else {
                    assert_eq!(removed, original, "{name}: statement {index} {kind}");
                }
                assert!(
                    same_with_key_order(&removed, &expected),
                    "{name}: statement {index} {kind}\n{removed:#}"
                );
                round_trips += 1;
            }
        }
    }
    // 53 statements name principals in a map, 4 kinds each; 46 of those kinds are a string.
    assert_eq!((round_trips, reshaped), (212, 46));
}

#[test]
fn a_wildcard_principal_brings_its_lint_and_takes_it_away() {
    let mut checked = 0;
    for (name, text) in corpus() {
        let before = codes(&text);
        let doc = json(&text);
        for (index, statement) in statements(&doc).into_iter().enumerate() {
            let unconditional =
                statement.get("Condition").is_none_or(|c| c.as_object().is_some_and(Map::is_empty));
            let allow = statement["Effect"] == "Allow";
            let principal_map = statement.get("Principal").is_some_and(Value::is_object);
            if !principal_map
                || statement
                    .get("Principal")
                    .and_then(|p| p.get("AWS"))
                    .is_some_and(|aws| texts(aws).contains(&"*".to_owned()))
            {
                continue;
            }
            let at = u32::try_from(index).expect("small index");
            let add = EditOp::AddPrincipal { statement: at, kind: "AWS".into(), value: "*".into() };
            let open = edit(&name, &text, &add);
            let lint = (LintCode::WildcardPrincipalWithoutCondition, Some(at));
            assert_eq!(codes(&open).contains(&lint), allow && unconditional, "{name}: statement {index}");
            let remove = EditOp::RemovePrincipal { statement: at, kind: "AWS".into(), value: "*".into() };
            let closed = edit(&name, &open, &remove);
            assert!(!codes(&closed).contains(&lint), "{name}: statement {index}");
            assert_eq!(codes(&closed), before, "{name}: statement {index}");
            if allow && unconditional {
                checked += 1;
            }
        }
    }
    assert_eq!(checked, 18, "unconditional Allow statements");
}

#[test]
fn a_missing_comma_is_reported_where_it_is_missing() {
    let text = "{\n  \"Version\": \"2012-10-17\"\n  \"Statement\": []\n}";
    match analyze(text, DEFAULT_TRUST_POLICY_QUOTA) {
        EditorState::Invalid { message, line, column } => {
            assert_eq!((line, column), (3, 3));
            assert_eq!(
                message,
                "malformed JSON at line 3, column 3: expected `,` or `}`; check for a missing comma, quote or brace near that spot"
            );
        }
        valid => panic!("{valid:?}"),
    }
    // The same in every pretty-printed corpus file: drop the first line-ending comma.
    let mut checked = 0;
    for (name, text) in corpus() {
        let lines: Vec<&str> = text.lines().collect();
        let Some(at) = lines.iter().position(|l| l.ends_with(',')) else { continue };
        let Some(next) = lines.get(at + 1).filter(|l| l.trim_start().starts_with('"')) else { continue };
        let mut broken: Vec<String> = lines.iter().map(|l| (*l).to_owned()).collect();
        broken[at].pop();
        let broken = broken.join("\n");
        let indent = next.chars().take_while(|c| c.is_whitespace()).count();
        match analyze(&broken, DEFAULT_TRUST_POLICY_QUOTA) {
            EditorState::Invalid { line, column, .. } => {
                assert_eq!((line as usize, column as usize), (at + 2, indent + 1), "{name}");
            }
            valid => panic!("{name}: {valid:?}"),
        }
        checked += 1;
    }
    assert_eq!(checked, 43, "files checked");
}

#[test]
fn json_that_is_not_a_policy_points_at_the_start() {
    let cases = [
        ("{\"Version\": \"2012-10-17\"}", "has no Statement; a trust policy looks like"),
        ("\n\n[1, 2]", "must be a JSON object with a Statement, got an array;"),
        ("{\"Statement\": [{}, \"x\"]}", "Statement item 2 is a string, not an object;"),
    ];
    for (text, start) in cases {
        match analyze(text, DEFAULT_TRUST_POLICY_QUOTA) {
            EditorState::Invalid { message, line, column } => {
                assert_eq!((line, column), (1, 1), "{text}");
                assert!(message.starts_with(start), "{text}: {message}");
            }
            valid => panic!("{text}: {valid:?}"),
        }
    }
}

#[test]
fn every_op_refuses_what_is_not_a_policy_or_not_there() {
    let ops = [
        EditOp::AddPrincipal { statement: 2, kind: "AWS".into(), value: NEW_ROLE.into() },
        EditOp::RemovePrincipal { statement: 2, kind: "AWS".into(), value: NEW_ROLE.into() },
        EditOp::SetEffect { statement: 2, effect: "Deny".into() },
        EditOp::AddAction { statement: 2, action: "sts:TagSession".into() },
        EditOp::RemoveAction { statement: 2, action: "sts:AssumeRole".into() },
        EditOp::SetCondition {
            statement: 2,
            operator: "Bool".into(),
            key: "aws:MultiFactorAuthPresent".into(),
            values: vec!["true".into()],
        },
        EditOp::RemoveCondition {
            statement: 2,
            operator: "Bool".into(),
            key: "aws:MultiFactorAuthPresent".into(),
        },
        EditOp::RemoveStatement { statement: 2 },
    ];
    let (name, text) = corpus().into_iter().find(|(n, _)| n.starts_with("05-")).expect("corpus file");
    assert_eq!(valid(&name, &text).0.statements.len(), 2);
    for op in &ops {
        let error = apply_edit(&text, op).expect_err("statement 3 is not there");
        assert_eq!(error.to_string(), "trust_policy: there is no statement 3; the policy has 2", "{op:?}");
    }
    let broken = &text[..text.len() / 2];
    for op in ops.iter().chain([&EditOp::AddStatement]) {
        let error = apply_edit(broken, op).expect_err("not JSON");
        assert_eq!(error.field(), "trust_policy");
        assert!(error.to_string().starts_with("trust_policy: malformed JSON at line"), "{op:?}: {error}");
    }
}
