//! Properties of the trust policy edits over every shape IAM accepts: any statement layout,
//! principal and action shape, conditions, Sids, unknown fields and key order.

use astro_identity_domain::aws::{TrustPolicy, WorkloadIdentityArn};
use proptest::prelude::*;
use proptest::test_runner::Config;
use serde_json::{Map, Value, json};

/// Shared by the generated policies and the generated ARN sets, so that some ARNs to add
/// are already there (trusted, or named in statements that do not count).
const POOL: [&str; 8] = [
    "arn:aws:iam::123456789012:role/astro-fiery-nebula-1234",
    "arn:aws:iam::123456789012:role/astro-lunar-crater-0815",
    "arn:aws:iam::123456789012:role/astro-quiet-comet-0042",
    "arn:aws:iam::210987654321:role/team/astro-stellar-apogee-4567",
    "arn:aws-us-gov:iam::123456789012:role/astro-gov-0001",
    "arn:aws-cn:iam::123456789012:role/astro-cn-0002",
    "arn:aws:iam::123456789012:role/astro-spare-0003",
    "arn:aws:iam::123456789012:role/astro-spare-0004",
];

fn object(entries: Vec<(String, Value)>) -> Value {
    Value::Object(entries.into_iter().collect::<Map<String, Value>>())
}

/// A string, or an array of 1–3 (a one-element array is a distinct shape IAM accepts).
fn one_or_many(pool: Vec<&'static str>) -> impl Strategy<Value = Value> {
    let single = prop::sample::select(pool.clone()).prop_map(Value::from);
    let many = prop::collection::vec(prop::sample::select(pool), 1..=3)
        .prop_map(|items| Value::Array(items.into_iter().map(Value::from).collect()));
    prop_oneof![single, many]
}

fn aws_principals() -> impl Strategy<Value = Value> {
    let mut pool: Vec<&'static str> = POOL[..6].to_vec();
    pool.extend(["111122223333", "arn:aws:iam::444455556666:root", "*"]);
    one_or_many(pool)
}

fn principal() -> impl Strategy<Value = Value> {
    let service = one_or_many(vec!["ec2.amazonaws.com", "lambda.amazonaws.com"]);
    let federated =
        one_or_many(vec!["arn:aws:iam::111122223333:oidc-provider/token.actions.githubusercontent.com"]);
    let canonical = one_or_many(vec!["79a59df900b949e55d96a1e698fbacedfd6e09d98eacf8f8d5218e7cd47ef2be"]);
    let map = (
        prop::option::of(aws_principals()),
        prop::option::of(service),
        prop::option::of(federated),
        prop::option::of(canonical),
    )
        .prop_map(|(aws, service, federated, canonical)| {
            let mut entries = Vec::new();
            let named =
                [("AWS", aws), ("Service", service), ("Federated", federated), ("CanonicalUser", canonical)];
            for (key, value) in named {
                if let Some(value) = value {
                    entries.push((key.to_owned(), value));
                }
            }
            if entries.is_empty() {
                entries.push(("AWS".to_owned(), Value::from(POOL[0])));
            }
            entries
        })
        .prop_shuffle()
        .prop_map(object);
    prop_oneof![1 => Just(Value::from("*")), 6 => map]
}

fn actions() -> impl Strategy<Value = Value> {
    one_or_many(vec![
        "sts:AssumeRole",
        "sts:TagSession",
        "sts:SetSourceIdentity",
        "sts:AssumeRoleWithWebIdentity",
        "sts:*",
        "*",
    ])
}

fn condition() -> impl Strategy<Value = Option<Value>> {
    prop_oneof![
        3 => Just(None),
        1 => Just(Some(json!({}))),
        1 => Just(Some(json!({"StringEquals": {"sts:ExternalId": "12345"}}))),
        1 => Just(Some(json!({"StringLike": {"aws:RequestTag/Project": ["a", "b"]}, "Bool": {"aws:MultiFactorAuthPresent": "true"}}))),
    ]
}

fn statement() -> impl Strategy<Value = Value> {
    let effect = prop_oneof![4 => Just("Allow"), 1 => Just("Deny")];
    let sid = prop::option::of(prop_oneof![Just(""), Just("AstroDeployments"), Just("1")]);
    let unknown = prop::option::of(prop_oneof![Just(json!(42)), Just(json!({"Nested": ["x", null, true]}))]);
    (effect, principal(), any::<bool>(), actions(), any::<bool>(), condition(), sid, unknown)
        .prop_map(|(effect, principal, not_principal, actions, not_action, condition, sid, unknown)| {
            let mut entries = vec![
                ("Effect".to_owned(), Value::from(effect)),
                ((if not_principal { "NotPrincipal" } else { "Principal" }).to_owned(), principal),
                ((if not_action { "NotAction" } else { "Action" }).to_owned(), actions),
            ];
            if let Some(condition) = condition {
                entries.push(("Condition".to_owned(), condition));
            }
            if let Some(sid) = sid {
                entries.push(("Sid".to_owned(), Value::from(sid)));
            }
            if let Some(unknown) = unknown {
                entries.push(("XUnknownField".to_owned(), unknown));
            }
            entries
        })
        .prop_shuffle()
        .prop_map(object)
}

/// NotPrincipal and NotAction are rarer in real policies; keep most statements plain so
/// the interesting (mergeable) ones come up often.
fn plain_or_any_statement() -> impl Strategy<Value = Value> {
    let plain = (principal(), actions(), condition()).prop_map(|(principal, actions, condition)| {
        let mut entries = vec![
            ("Effect".to_owned(), Value::from("Allow")),
            ("Principal".to_owned(), principal),
            ("Action".to_owned(), actions),
        ];
        if let Some(condition) = condition {
            entries.push(("Condition".to_owned(), condition));
        }
        object(entries)
    });
    prop_oneof![plain, statement()]
}

fn policy() -> impl Strategy<Value = TrustPolicy> {
    let statements = prop::collection::vec(plain_or_any_statement(), 1..=5);
    (statements, any::<bool>(), any::<bool>(), any::<bool>(), any::<bool>())
        .prop_map(|(mut statements, as_object, version, id, unknown)| {
            let statement = if statements.len() == 1 && as_object {
                statements.remove(0)
            } else {
                Value::Array(statements)
            };
            let mut entries = vec![("Statement".to_owned(), statement)];
            if version {
                entries.push(("Version".to_owned(), Value::from("2012-10-17")));
            }
            if id {
                entries.push(("Id".to_owned(), Value::from("generated")));
            }
            if unknown {
                entries.push(("XTopLevel".to_owned(), json!(["kept"])));
            }
            entries
        })
        .prop_shuffle()
        .prop_map(|entries| TrustPolicy::from_value(object(entries)).expect("generated policies are valid"))
}

fn identities() -> impl Strategy<Value = Vec<WorkloadIdentityArn>> {
    prop::collection::vec(prop::sample::select(POOL.to_vec()), 1..=6).prop_map(|arns| {
        arns.into_iter().map(|arn| WorkloadIdentityArn::parse(arn).expect("pool ARNs are valid")).collect()
    })
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

fn strings(value: Option<&Value>) -> Vec<&str> {
    match value {
        Some(Value::String(s)) => vec![s.as_str()],
        Some(Value::Array(items)) => items.iter().filter_map(Value::as_str).collect(),
        _ => Vec::new(),
    }
}

fn config() -> Config {
    // No regression files: this crate's tests/ holds only what its owners check in.
    Config { cases: 256, failure_persistence: None, ..Config::default() }
}

proptest! {
    #![proptest_config(config())]

    #[test]
    fn compact_json_reparses_to_the_same_document(policy in policy()) {
        let reparsed: Value = serde_json::from_str(&policy.to_compact_json()).expect("valid JSON");
        prop_assert!(same_with_key_order(&reparsed, policy.as_value()));
        let again = TrustPolicy::parse(&policy.to_pretty_json()).expect("pretty JSON parses");
        prop_assert_eq!(again.to_compact_json(), policy.to_compact_json());
    }

    #[test]
    fn add_trusts_every_identity_and_is_idempotent(policy in policy(), ids in identities()) {
        let after = policy.add_principals(&ids);
        let trusted = after.trusted_aws_principals();
        for id in &ids {
            prop_assert!(trusted.iter().any(|t| t == id.as_str()), "{} not trusted in {}", id, after.to_compact_json());
        }
        prop_assert_eq!(after.add_principals(&ids).to_compact_json(), after.to_compact_json());
        if policy.untrusted(&ids).is_empty() {
            prop_assert_eq!(after.to_compact_json(), policy.to_compact_json());
        }
    }

    #[test]
    fn add_then_remove_restores_the_policy(policy in policy(), ids in identities()) {
        let added: Vec<WorkloadIdentityArn> = policy.untrusted(&ids).into_iter().cloned().collect();
        let after = policy.add_principals(&ids);
        let restored = after.remove_principals(&added);
        prop_assert!(
            restored.semantically_equal(&policy),
            "original {}\nadded {:?}\nafter {}\nrestored {}",
            policy.to_compact_json(), added, after.to_compact_json(), restored.to_compact_json()
        );
    }

    #[test]
    fn add_loses_nothing(policy in policy(), ids in identities()) {
        let missing: Vec<&str> = policy.untrusted(&ids).into_iter().map(WorkloadIdentityArn::as_str).collect();
        let after = policy.add_principals(&ids);
        let (old, new) = (policy.statements(), after.statements());
        prop_assert!(new.len() == old.len() || (new.len() == old.len() + 1 && !missing.is_empty()));
        let mut extended = 0;
        for (o, n) in old.iter().zip(new.iter()) {
            // Every field but Principal is untouched, key order included.
            let keys_o: Vec<&String> = o.keys().collect();
            let keys_n: Vec<&String> = n.keys().collect();
            prop_assert_eq!(keys_o, keys_n);
            for (key, value) in o.iter().filter(|(k, _)| *k != "Principal") {
                prop_assert!(same_with_key_order(value, &n[key]), "{} changed", key);
            }
            let (po, pn) = (o.get("Principal"), n.get("Principal"));
            if po == pn {
                continue;
            }
            extended += 1;
            // Only the AWS list of a principal map grew, by exactly the missing ARNs.
            let (Some(Value::Object(po)), Some(Value::Object(pn))) = (po, pn) else {
                return Err(TestCaseError::fail("a non-map principal changed"));
            };
            prop_assert_eq!(po.keys().collect::<Vec<_>>(), pn.keys().collect::<Vec<_>>());
            for (kind, value) in po.iter().filter(|(k, _)| *k != "AWS") {
                prop_assert!(same_with_key_order(value, &pn[kind]));
            }
            let (aws_o, aws_n) = (strings(po.get("AWS")), strings(pn.get("AWS")));
            prop_assert_eq!(&aws_n[..aws_o.len()], &aws_o[..]);
            prop_assert_eq!(&aws_n[aws_o.len()..], &missing[..]);
        }
        prop_assert!(extended + (new.len() - old.len()) == usize::from(!missing.is_empty()));
        // Top-level fields other than Statement are untouched too.
        for (key, value) in policy.as_value().as_object().expect("object").iter().filter(|(k, _)| *k != "Statement") {
            prop_assert!(same_with_key_order(value, &after.as_value()[key]));
        }
    }

    #[test]
    fn remove_only_touches_unconditional_assume_role_aws_principals(policy in policy(), ids in identities()) {
        let after = policy.remove_principals(&ids);
        for id in &ids {
            prop_assert!(!after.trusted_aws_principals().iter().any(|t| t == id.as_str()));
        }
        // Every statement that could not grant AssumeRole unconditionally is kept as it was.
        let kept: Vec<Value> = after.statements().into_iter().map(|s| Value::Object(s.clone())).collect();
        for statement in policy.statements() {
            let conditional = statement.get("Condition").is_some_and(|c| c.as_object().is_none_or(|m| !m.is_empty()));
            let special = conditional
                || statement.contains_key("NotPrincipal")
                || statement.contains_key("NotAction")
                || statement.get("Effect") != Some(&json!("Allow"));
            if special {
                let original = Value::Object(statement.clone());
                prop_assert!(kept.iter().any(|k| same_with_key_order(k, &original)), "lost {}", original);
            }
        }
    }
}
