//! Real-world trust policies (testdata/corpus/aws-trust, sources in SOURCES.md): every one
//! must survive parsing, adding Astro's ARNs and removing them again unchanged, and none
//! may get an error lint.

use std::path::{Path, PathBuf};

use astro_identity_domain::aws::{
    DEFAULT_TRUST_POLICY_QUOTA, LintCode, LintLevel, TrustPolicy, WorkloadIdentityArn, lint_trust_policy,
};
use serde_json::{Map, Value};

const CORPUS: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/../../testdata/corpus/aws-trust");

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

fn load(prefix: &str) -> TrustPolicy {
    let (name, text) = corpus().into_iter().find(|(name, _)| name.starts_with(prefix)).expect("corpus file");
    TrustPolicy::parse(&text).unwrap_or_else(|e| panic!("{name}: {e}"))
}

fn astro_arns() -> [WorkloadIdentityArn; 2] {
    [
        WorkloadIdentityArn::parse("arn:aws:iam::123456789012:role/astro-fiery-nebula-1234")
            .expect("valid ARN"),
        WorkloadIdentityArn::parse("arn:aws:iam::123456789012:role/astro-cosmic-dust-5678")
            .expect("valid ARN"),
    ]
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

fn aws_strings(statement: &Map<String, Value>) -> Vec<String> {
    match statement.get("Principal").and_then(|p| p.get("AWS")) {
        Some(Value::String(s)) => vec![s.clone()],
        Some(Value::Array(items)) => items.iter().filter_map(Value::as_str).map(str::to_owned).collect(),
        _ => Vec::new(),
    }
}

/// Every original statement is still there, in place and unchanged, except at most one
/// whose AWS principal list grew by exactly the ARNs that were missing.
fn check_only_extended(name: &str, before: &TrustPolicy, after: &TrustPolicy, added: &[String]) {
    let old = before.statements();
    let new = after.statements();
    assert!(
        new.len() == old.len() || new.len() == old.len() + 1,
        "{name}: {} → {} statements",
        old.len(),
        new.len()
    );
    let mut extended = Vec::new();
    for (index, (o, n)) in old.iter().zip(new.iter()).enumerate() {
        let (o_value, n_value) = (Value::Object((*o).clone()), Value::Object((*n).clone()));
        if same_with_key_order(&o_value, &n_value) {
            continue;
        }
        extended.push(index);
        let keys_o: Vec<&String> = o.keys().collect();
        let keys_n: Vec<&String> = n.keys().collect();
        assert_eq!(keys_o, keys_n, "{name}: statement {index} keys changed");
        for (key, value) in o.iter().filter(|(k, _)| *k != "Principal") {
            assert!(same_with_key_order(value, &n[key]), "{name}: statement {index} field {key} changed");
        }
        let principal_keys: Vec<&String> =
            n["Principal"].as_object().expect("map principal").keys().collect();
        assert_eq!(principal_keys, ["AWS"], "{name}: extended statement {index} gained a principal type");
        let (aws_o, aws_n) = (aws_strings(o), aws_strings(n));
        assert_eq!(
            &aws_n[..aws_o.len()],
            &aws_o[..],
            "{name}: statement {index} lost or reordered an AWS principal"
        );
        assert_eq!(&aws_n[aws_o.len()..], added, "{name}: statement {index} gained other principals");
    }
    match (extended.len(), new.len() - old.len()) {
        (1, 0) => {}
        (0, 1) => {
            let last = Value::Object(new[new.len() - 1].clone());
            let expected = serde_json::json!({"Effect": "Allow", "Principal": {"AWS": added}, "Action": "sts:AssumeRole"});
            assert!(same_with_key_order(&last, &expected), "{name}: appended {last}");
        }
        other => panic!("{name}: expected one extended or one appended statement, got {other:?}"),
    }
}

#[test]
fn corpus_has_48_policies() {
    assert_eq!(corpus().len(), 48, "files in {}", Path::new(CORPUS).display());
}

#[test]
fn every_policy_round_trips_exactly() {
    for (name, text) in corpus() {
        let original: Value = serde_json::from_str(&text).expect("corpus is valid JSON");
        let policy = TrustPolicy::parse(&text).unwrap_or_else(|e| panic!("{name}: {e}"));
        let reparsed: Value =
            serde_json::from_str(&policy.to_compact_json()).expect("compact JSON re-parses");
        assert_eq!(reparsed, original, "{name}");
        assert!(same_with_key_order(&reparsed, &original), "{name}: key order changed");
        let from_pretty: Value =
            serde_json::from_str(&policy.to_pretty_json()).expect("pretty JSON re-parses");
        assert!(same_with_key_order(&from_pretty, &original), "{name}: pretty form differs");
        // IAM does not count whitespace: the compact form is never longer than the file.
        assert!(policy.iam_character_count() <= text.chars().count(), "{name}");
    }
}

#[test]
fn adding_and_removing_astro_arns_keeps_everything_else() {
    let ids = astro_arns();
    let id_strings: Vec<String> = ids.iter().map(ToString::to_string).collect();
    for (name, text) in corpus() {
        let before = TrustPolicy::parse(&text).unwrap_or_else(|e| panic!("{name}: {e}"));
        let after = before.add_principals(&ids);
        let trusted = after.trusted_aws_principals();
        for id in &id_strings {
            assert!(trusted.contains(id), "{name}: {id} not trusted after add: {}", after.to_compact_json());
        }
        check_only_extended(&name, &before, &after, &id_strings);
        assert_eq!(
            after.add_principals(&ids).to_compact_json(),
            after.to_compact_json(),
            "{name}: add not idempotent"
        );
        let restored = after.remove_principals(&ids);
        assert!(
            restored.semantically_equal(&before),
            "{name}: remove did not restore\n{}\nvs\n{}",
            restored.to_pretty_json(),
            before.to_pretty_json()
        );
        // Our ARNs gone: the untouched corpus policy needs no undo.
        assert_eq!(before.remove_principals(&ids).to_compact_json(), before.to_compact_json(), "{name}");
    }
}

#[test]
fn no_corpus_policy_has_an_error_lint() {
    let mut report = Vec::new();
    for (name, text) in corpus() {
        let policy = TrustPolicy::parse(&text).unwrap_or_else(|e| panic!("{name}: {e}"));
        let lints = lint_trust_policy(&policy, DEFAULT_TRUST_POLICY_QUOTA);
        let after = policy.add_principals(&astro_arns());
        let after_lints = lint_trust_policy(&after, DEFAULT_TRUST_POLICY_QUOTA);
        let errors = lints.iter().chain(&after_lints).filter(|l| l.level == LintLevel::Error).count();
        let listed: Vec<String> = lints.iter().map(|l| format!("{:?}: {}", l.code, l.message)).collect();
        report.push((name, errors, listed));
    }
    let failing: Vec<_> = report.iter().filter(|(_, errors, _)| *errors > 0).collect();
    assert!(failing.is_empty(), "error lints: {failing:#?}\nall lints: {report:#?}");
}

fn codes(prefix: &str) -> Vec<LintCode> {
    lint_trust_policy(&load(prefix), DEFAULT_TRUST_POLICY_QUOTA).into_iter().map(|l| l.code).collect()
}

#[test]
fn true_positives_and_negatives_in_the_corpus() {
    assert_eq!(codes("27-eks-cross-account-oidc-no-condition"), [LintCode::WebIdentityWithoutSub]);
    let checkov =
        lint_trust_policy(&load("41-checkov-three-statements-one-aws-star"), DEFAULT_TRUST_POLICY_QUOTA);
    assert_eq!(checkov.len(), 1, "{checkov:?}");
    assert_eq!(
        (checkov[0].code, checkov[0].statement),
        (LintCode::WildcardPrincipalWithoutCondition, Some(1))
    );
    assert_eq!(codes("42-checkov-deny-aws-star"), []);
    // Conditioned wildcards (organisation, external id) are how AWS recommends them.
    assert_eq!(codes("39-prx-aws-star"), []);
    assert_eq!(codes("40-prx-aws-star"), []);
    assert_eq!(codes("43-panther-principal-star"), []);
    // Cognito identity pools are scoped by aud, not sub.
    assert_eq!(codes("07-iam-cognito"), []);
}

#[test]
fn astro_policy_already_trusting_a_deployment_is_left_alone() {
    let policy = load("44-synthetic-two-astro-deployments");
    let existing =
        WorkloadIdentityArn::parse("arn:aws:iam::123456789876:role/astro-lunar-crater-0815").expect("valid");
    assert_eq!(policy.add_principals(&[existing]).to_compact_json(), policy.to_compact_json());
}

#[test]
fn astro_arns_join_the_astro_statement_not_the_vendor_one() {
    let policy = load("48-synthetic-externalid-and-astro");
    let after = policy.add_principals(&astro_arns()[..1]);
    let statements = after.statements();
    assert_eq!(statements.len(), 2);
    assert_eq!(statements[0], policy.statements()[0]);
    assert_eq!(
        statements[1]["Principal"]["AWS"],
        serde_json::json!([
            "arn:aws:iam::123456789876:role/astro-quiet-comet-0042",
            "arn:aws:iam::123456789012:role/astro-fiery-nebula-1234"
        ])
    );
}
