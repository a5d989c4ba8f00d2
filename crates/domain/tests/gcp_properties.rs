//! Properties of granting and revoking one role over every shape an allow policy takes:
//! any number of bindings, every member prefix, conditions, repeats, auditConfigs, a
//! missing etag or version, unknown fields and key order.

use astro_identity_domain::gcp::{Condition, IamPolicy};
use proptest::prelude::*;
use proptest::test_runner::Config;
use serde_json::{Map, Value, json};

/// Shared by the generated policies and the generated changes, so that some changes are
/// already granted, or granted under another condition.
const ROLES: [&str; 7] = [
    "roles/bigquery.jobUser",
    "roles/bigquery.dataViewer",
    "roles/owner",
    "roles/editor",
    "roles/viewer",
    "projects/astronomer-prod/roles/airflowReader",
    "organizations/123456789012/roles/custom.reader",
];

const MEMBERS: [&str; 12] = [
    "serviceAccount:astro-fiery-nebula-1234@astronomer-prod.iam.gserviceaccount.com",
    "serviceAccount:astro-lunar-crater-0815@astronomer-prod.iam.gserviceaccount.com",
    "serviceAccount:123456789012-compute@developer.gserviceaccount.com",
    "serviceAccount:my-proj.svc.id.goog[ns/ksa]",
    "user:jane@example.com",
    "group:data-team@example.com",
    "domain:example.com",
    "principal://iam.googleapis.com/projects/1/locations/global/workloadIdentityPools/p/subject/s",
    "principalSet://iam.googleapis.com/projects/1/locations/global/workloadIdentityPools/p/*",
    "allUsers",
    "allAuthenticatedUsers",
    "deleted:group:old-team@example.com?uid=507418924967946102347",
];

fn condition(index: usize) -> Option<Condition> {
    let condition = |title: &str, description: Option<&str>, expression: &str| Condition {
        title: title.to_owned(),
        description: description.map(str::to_owned),
        expression: expression.to_owned(),
    };
    match index {
        1 => Some(condition("until 2027", None, "request.time < timestamp(\"2027-01-01T00:00:00Z\")")),
        2 => Some(condition(
            "prod only",
            Some("Prod datasets"),
            "resource.name.startsWith(\"projects/_/datasets/prod\")",
        )),
        // Same as 1 with an explicit empty description: the same condition to IAM.
        3 => Some(condition("until 2027", Some(""), "request.time < timestamp(\"2027-01-01T00:00:00Z\")")),
        _ => None,
    }
}

/// A condition as IAM returns it, in its key order, with an explicit empty description
/// kept for index 3.
fn condition_json(index: usize) -> Option<Value> {
    let c = condition(index)?;
    let mut map = Map::new();
    map.insert("title".to_owned(), Value::from(c.title));
    if let Some(description) = c.description {
        map.insert("description".to_owned(), Value::from(description));
    }
    map.insert("expression".to_owned(), Value::from(c.expression));
    Some(Value::Object(map))
}

fn object(entries: Vec<(String, Value)>) -> Value {
    Value::Object(entries.into_iter().collect::<Map<String, Value>>())
}

fn binding() -> impl Strategy<Value = Value> {
    let role = prop::sample::select(ROLES.to_vec());
    let members = prop::collection::vec(prop::sample::select(MEMBERS.to_vec()), 1..=4);
    let condition = prop_oneof![3 => Just(0usize), 1 => Just(1usize), 1 => Just(2usize), 1 => Just(3usize)];
    let unknown = prop::option::of(prop_oneof![Just(json!(42)), Just(json!({"nested": ["x", null, true]}))]);
    (role, members, any::<bool>(), condition, unknown)
        .prop_map(|(role, mut members, repeat, condition, unknown)| {
            // Repeats within one binding happen in real policies (corpus file 11).
            if repeat {
                members.push(members[0]);
            }
            let mut entries = vec![
                ("role".to_owned(), Value::from(role)),
                ("members".to_owned(), Value::Array(members.into_iter().map(Value::from).collect())),
            ];
            if let Some(condition) = condition_json(condition) {
                entries.push(("condition".to_owned(), condition));
            }
            if let Some(unknown) = unknown {
                entries.push(("xUnknownField".to_owned(), unknown));
            }
            entries
        })
        .prop_shuffle()
        .prop_map(object)
}

fn audit_configs() -> Value {
    json!([{"service": "allServices", "auditLogConfigs": [
        {"logType": "DATA_READ", "exemptedMembers": ["user:jane@example.com"]},
        {"logType": "ADMIN_READ"}
    ]}])
}

#[derive(Debug, Clone, Copy)]
enum BindingsShape {
    Absent,
    Empty,
    Listed,
}

fn policy() -> impl Strategy<Value = IamPolicy> {
    let bindings = prop::collection::vec(binding(), 0..=6);
    let shape = prop_oneof![1 => Just(BindingsShape::Absent), 1 => Just(BindingsShape::Empty), 4 => Just(BindingsShape::Listed)];
    let version = prop_oneof![Just(None), Just(Some(1u32)), Just(Some(3u32))];
    (bindings, shape, version, any::<bool>(), any::<bool>(), any::<bool>())
        .prop_map(|(bindings, shape, version, audit, etag, unknown)| {
            let has_condition = bindings.iter().any(|b| b.get("condition").is_some());
            let mut entries = Vec::new();
            match shape {
                BindingsShape::Absent => {}
                BindingsShape::Empty => entries.push(("bindings".to_owned(), Value::Array(Vec::new()))),
                BindingsShape::Listed if bindings.is_empty() => {}
                BindingsShape::Listed => {
                    entries.push(("bindings".to_owned(), Value::Array(bindings.clone())))
                }
            }
            let listed = matches!(shape, BindingsShape::Listed);
            // As getIamPolicy returns them: a policy with a condition is always version 3.
            let version = if listed && has_condition { Some(3) } else { version };
            if let Some(version) = version {
                entries.push(("version".to_owned(), Value::from(version)));
            }
            if audit {
                entries.push(("auditConfigs".to_owned(), audit_configs()));
            }
            if etag {
                entries.push(("etag".to_owned(), Value::from("BwWWja0YfJA=")));
            }
            if unknown {
                entries.push(("xTopLevel".to_owned(), json!(["kept"])));
            }
            entries
        })
        .prop_shuffle()
        .prop_map(|entries| IamPolicy::from_value(object(entries)).expect("generated policies are valid"))
}

/// A grant to add or remove: (role, member, condition).
type Change = (String, String, Option<Condition>);

#[derive(Debug, Clone, Copy)]
enum Pick {
    /// Anything from the pools.
    Fresh,
    /// A grant the policy has: exercises idempotency, repeats and removal.
    Existing,
    /// A pool member under a role and condition the policy has: the member joins (and
    /// leaves) an existing binding.
    ExistingBinding,
}

/// A policy and a change, often one that touches what the policy already holds.
fn policy_and_change() -> impl Strategy<Value = (IamPolicy, Change)> {
    let fresh = (prop::sample::select(ROLES.to_vec()), prop::sample::select(MEMBERS.to_vec()), 0usize..4);
    let pick = prop_oneof![Just(Pick::Fresh), Just(Pick::Existing), Just(Pick::ExistingBinding)];
    (policy(), fresh, pick, any::<prop::sample::Index>()).prop_map(
        |(policy, (role, member, c), pick, index)| {
            let grants = policy.grants();
            let fresh: Change = (role.to_owned(), member.to_owned(), condition(c));
            let change = match (pick, grants.is_empty()) {
                (Pick::Fresh, _) | (_, true) => fresh,
                (Pick::Existing, false) => {
                    let g = &grants[index.index(grants.len())];
                    (g.role.clone(), g.member.clone(), g.condition.clone())
                }
                (Pick::ExistingBinding, false) => {
                    let g = &grants[index.index(grants.len())];
                    (g.role.clone(), member.to_owned(), g.condition.clone())
                }
            };
            (policy, change)
        },
    )
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

fn bindings(policy: &IamPolicy) -> Vec<Value> {
    policy.as_value().get("bindings").and_then(Value::as_array).cloned().unwrap_or_default()
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
        let again = IamPolicy::parse(&policy.to_pretty_json()).expect("pretty JSON parses");
        prop_assert_eq!(again.to_compact_json(), policy.to_compact_json());
    }

    #[test]
    fn add_grants_and_is_idempotent((policy, (role, member, condition)) in policy_and_change()) {
        let (role, member) = (role.as_str(), member.as_str());
        let after = policy.add_member(role, member, condition.as_ref());
        prop_assert!(after.has_member(role, member, condition.as_ref()));
        prop_assert_eq!(after.add_member(role, member, condition.as_ref()).to_compact_json(), after.to_compact_json());
        if policy.has_member(role, member, condition.as_ref()) {
            prop_assert_eq!(after.to_compact_json(), policy.to_compact_json());
        }
    }

    #[test]
    fn add_then_remove_restores_the_policy((policy, (role, member, condition)) in policy_and_change()) {
        let (role, member) = (role.as_str(), member.as_str());
        prop_assume!(!policy.has_member(role, member, condition.as_ref()));
        let after = policy.add_member(role, member, condition.as_ref());
        let restored = after.remove_member(role, member, condition.as_ref());
        prop_assert!(
            restored.semantically_equal(&policy),
            "original {}\nafter {}\nrestored {}",
            policy.to_compact_json(), after.to_compact_json(), restored.to_compact_json()
        );
        prop_assert!(!restored.has_member(role, member, condition.as_ref()));
        // Byte for byte too, unless the add had to write a version or the original held an
        // explicitly empty bindings array (an emptied one is dropped, as Google returns it).
        let empty_bindings = policy.as_value().get("bindings").is_some_and(|b| b.as_array().is_some_and(Vec::is_empty));
        if after.version() == policy.version() && policy.as_value().get("version") == after.as_value().get("version") && !empty_bindings {
            prop_assert_eq!(restored.to_compact_json(), policy.to_compact_json());
        }
    }

    #[test]
    fn add_loses_nothing((policy, (role, member, condition)) in policy_and_change()) {
        let (role, member) = (role.as_str(), member.as_str());
        let after = policy.add_member(role, member, condition.as_ref());
        let (old_top, new_top) = (
            policy.as_value().as_object().expect("object"),
            after.as_value().as_object().expect("object"),
        );
        // Top-level fields keep their order and value; only bindings and version may change.
        let old_keys: Vec<&String> = old_top.keys().collect();
        let new_keys: Vec<&String> = new_top.keys().collect();
        prop_assert_eq!(&new_keys[..old_keys.len()], &old_keys[..]);
        for extra in &new_keys[old_keys.len()..] {
            prop_assert!(["bindings", "version"].contains(&extra.as_str()), "added {}", extra);
        }
        for (key, value) in old_top.iter().filter(|(k, _)| !["bindings", "version"].contains(&k.as_str())) {
            prop_assert!(same_with_key_order(value, &new_top[key]), "{} changed", key);
        }
        if policy.version() != after.version() {
            prop_assert!(policy.version() < 3 && after.version() == 3);
        }
        // Bindings stay in place; at most one grows by exactly the member, or one is appended.
        let (old, new) = (bindings(&policy), bindings(&after));
        let granted = !policy.has_member(role, member, condition.as_ref());
        prop_assert!(new.len() == old.len() || (new.len() == old.len() + 1 && granted));
        let mut extended = 0;
        for (o, n) in old.iter().zip(new.iter()) {
            if same_with_key_order(o, n) {
                continue;
            }
            extended += 1;
            let (o, n) = (o.as_object().expect("binding"), n.as_object().expect("binding"));
            prop_assert_eq!(o.keys().collect::<Vec<_>>(), n.keys().collect::<Vec<_>>());
            for (key, value) in o.iter().filter(|(k, _)| *k != "members") {
                prop_assert!(same_with_key_order(value, &n[key]));
            }
            let mut expected = o["members"].as_array().expect("members").clone();
            expected.push(Value::from(member));
            prop_assert_eq!(&n["members"], &Value::Array(expected));
        }
        prop_assert_eq!(extended + (new.len() - old.len()), usize::from(granted));
        // Every grant that was there still is.
        let grants_after = after.grants();
        for grant in policy.grants() {
            prop_assert!(grants_after.contains(&grant), "lost {:?}", grant);
        }
    }

    #[test]
    fn version_is_3_whenever_a_condition_exists((policy, (role, member, condition)) in policy_and_change()) {
        let (role, member) = (role.as_str(), member.as_str());
        let after = policy.add_member(role, member, condition.as_ref());
        if after.has_conditions() {
            prop_assert!(after.version() >= 3, "{}", after.to_compact_json());
        }
        if condition.is_some() {
            prop_assert_eq!(after.version(), 3);
        }
        // Revoking never lowers it.
        let removed = after.remove_member(role, member, condition.as_ref());
        prop_assert_eq!(removed.version(), after.version());
    }

    #[test]
    fn remove_takes_exactly_that_grant((policy, (role, member, condition)) in policy_and_change()) {
        let (role, member) = (role.as_str(), member.as_str());
        let after = policy.remove_member(role, member, condition.as_ref());
        prop_assert!(!after.has_member(role, member, condition.as_ref()));
        let kept = after.grants();
        for grant in policy.grants() {
            let doomed = grant.role == role && grant.member == member && grant.condition.as_ref() == condition.as_ref();
            prop_assert_eq!(kept.contains(&grant), !doomed, "{:?}", grant);
        }
        if !policy.has_member(role, member, condition.as_ref()) {
            prop_assert_eq!(after.to_compact_json(), policy.to_compact_json());
        }
        prop_assert!(after.principal_count() <= policy.principal_count());
    }
}
