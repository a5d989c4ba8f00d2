//! Real-world allow policies (testdata/corpus/gcp-policy, sources in SOURCES.md): every one
//! must survive parsing, granting Astro's service account a role and revoking it again
//! unchanged, and none may get a lint for that grant.

use std::path::{Path, PathBuf};

use astro_identity_domain::gcp::{
    Condition, Grant, IamLintLevel, IamPlan, IamPolicy, TOKEN_CREATOR_ROLE, lint_change,
};
use serde_json::{Map, Value, json};

const CORPUS: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/../../testdata/corpus/gcp-policy");
const ASTRO: &str = "serviceAccount:astro-fiery-nebula-1234@astronomer-prod.iam.gserviceaccount.com";
const JOB_USER: &str = "roles/bigquery.jobUser";

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

fn policies() -> Vec<(String, IamPolicy)> {
    corpus()
        .into_iter()
        .map(|(name, text)| {
            let policy = IamPolicy::parse(&text).unwrap_or_else(|e| panic!("{name}: {e}"));
            (name, policy)
        })
        .collect()
}

fn load(prefix: &str) -> IamPolicy {
    policies().into_iter().find(|(name, _)| name.starts_with(prefix)).map(|(_, p)| p).expect("corpus file")
}

fn until_2027() -> Condition {
    Condition::new(
        "astro until 2027",
        Some("Expires with the 2026 contract"),
        "request.time < timestamp(\"2027-01-01T00:00:00Z\")",
    )
    .expect("valid condition")
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

fn object(policy: &IamPolicy) -> &Map<String, Value> {
    policy.as_value().as_object().expect("policies are objects")
}

fn bindings(policy: &IamPolicy) -> Vec<Value> {
    policy.as_value().get("bindings").and_then(Value::as_array).cloned().unwrap_or_default()
}

/// Every original top-level field is still there, in order and unchanged, except
/// `bindings` and (when `version_may_change`) `version`; the only new fields are a
/// `bindings` the original lacked and a `version` appended at the end.
fn check_top_level(name: &str, before: &IamPolicy, after: &IamPolicy, version_may_change: bool) {
    let (old, new) = (object(before), object(after));
    let old_keys: Vec<&String> = old.keys().collect();
    let new_keys: Vec<&String> = new.keys().collect();
    assert_eq!(&new_keys[..old_keys.len()], &old_keys[..], "{name}: top-level keys reordered or lost");
    for extra in &new_keys[old_keys.len()..] {
        assert!(
            extra.as_str() == "bindings" || (extra.as_str() == "version" && version_may_change),
            "{name}: added {extra}"
        );
    }
    for (key, value) in old {
        if key == "bindings" || (key == "version" && version_may_change) {
            continue;
        }
        assert!(same_with_key_order(value, &new[key]), "{name}: {key} changed");
    }
}

/// Every original binding is still there, in place and unchanged, except at most one whose
/// members grew by exactly `member`; otherwise exactly `appended` was added at the end.
fn check_only_extended(name: &str, before: &IamPolicy, after: &IamPolicy, member: &str, appended: &Value) {
    let (old, new) = (bindings(before), bindings(after));
    let mut extended = Vec::new();
    for (index, (o, n)) in old.iter().zip(new.iter()).enumerate() {
        if same_with_key_order(o, n) {
            continue;
        }
        extended.push(index);
        let (o, n) = (o.as_object().expect("binding"), n.as_object().expect("binding"));
        assert_eq!(
            o.keys().collect::<Vec<_>>(),
            n.keys().collect::<Vec<_>>(),
            "{name}: binding {index} keys"
        );
        for (key, value) in o.iter().filter(|(k, _)| *k != "members") {
            assert!(same_with_key_order(value, &n[key]), "{name}: binding {index} field {key} changed");
        }
        let mut expected = o["members"].as_array().expect("members").clone();
        expected.push(Value::from(member));
        assert_eq!(n["members"], Value::Array(expected), "{name}: binding {index} members");
    }
    match (extended.len(), new.len() - old.len()) {
        (1, 0) => {}
        (0, 1) => {
            let last = &new[new.len() - 1];
            assert!(same_with_key_order(last, appended), "{name}: appended {last}");
        }
        other => panic!("{name}: expected one extended or one appended binding, got {other:?}"),
    }
}

#[test]
fn corpus_has_15_policies() {
    assert_eq!(corpus().len(), 15, "files in {}", Path::new(CORPUS).display());
}

#[test]
fn every_policy_round_trips_exactly() {
    for (name, text) in corpus() {
        let original: Value = serde_json::from_str(&text).expect("corpus is valid JSON");
        let policy = IamPolicy::parse(&text).unwrap_or_else(|e| panic!("{name}: {e}"));
        let reparsed: Value = serde_json::from_str(&policy.to_compact_json()).expect("compact is JSON");
        assert!(same_with_key_order(&reparsed, &original), "{name}: compact JSON differs");
        let again = IamPolicy::parse(&policy.to_pretty_json()).expect("pretty JSON parses");
        assert_eq!(again.to_compact_json(), policy.to_compact_json(), "{name}");
        assert!(policy.semantically_equal(&again), "{name}");
    }
}

#[test]
fn granting_astro_changes_only_one_binding() {
    for (name, before) in policies() {
        let after = before.add_member(JOB_USER, ASTRO, None);
        assert_ne!(after.to_compact_json(), before.to_compact_json(), "{name}: nothing added");
        assert!(after.has_member(JOB_USER, ASTRO, None), "{name}");
        check_top_level(&name, &before, &after, false);
        check_only_extended(&name, &before, &after, ASTRO, &json!({"role": JOB_USER, "members": [ASTRO]}));
        assert_eq!(after.etag(), before.etag(), "{name}");
        assert_eq!(after.version(), before.version(), "{name}");
        assert_eq!(after.principal_count(), before.principal_count() + 1, "{name}");
    }
}

#[test]
fn granting_again_is_byte_identical() {
    for (name, before) in policies() {
        let once = before.add_member(JOB_USER, ASTRO, None);
        assert_eq!(
            once.add_member(JOB_USER, ASTRO, None).to_compact_json(),
            once.to_compact_json(),
            "{name}"
        );
        let conditional = before.add_member(JOB_USER, ASTRO, Some(&until_2027()));
        assert_eq!(
            conditional.add_member(JOB_USER, ASTRO, Some(&until_2027())).to_compact_json(),
            conditional.to_compact_json(),
            "{name}"
        );
    }
}

#[test]
fn revoking_restores_the_exact_bytes() {
    for (name, before) in policies() {
        let after = before.add_member(JOB_USER, ASTRO, None);
        let restored = after.remove_member(JOB_USER, ASTRO, None);
        assert!(restored.semantically_equal(&before), "{name}");
        assert_eq!(restored.to_compact_json(), before.to_compact_json(), "{name}");
    }
}

#[test]
fn a_conditional_grant_sets_version_3_and_keeps_other_conditions() {
    let condition = until_2027();
    for (name, before) in policies() {
        let after = before.add_member(JOB_USER, ASTRO, Some(&condition));
        assert_eq!(after.version(), 3, "{name}");
        assert!(after.has_member(JOB_USER, ASTRO, Some(&condition)), "{name}");
        assert!(!after.has_member(JOB_USER, ASTRO, None), "{name}");
        check_top_level(&name, &before, &after, true);
        let appended = json!({"role": JOB_USER, "members": [ASTRO], "condition": {
            "title": "astro until 2027",
            "description": "Expires with the 2026 contract",
            "expression": "request.time < timestamp(\"2027-01-01T00:00:00Z\")",
        }});
        check_only_extended(&name, &before, &after, ASTRO, &appended);
        // Every condition that was there still is, on the same binding.
        let old_conditions: Vec<(String, Option<Condition>)> =
            before.bindings().into_iter().map(|b| (b.role, b.condition)).collect();
        let new_conditions: Vec<(String, Option<Condition>)> =
            after.bindings().into_iter().map(|b| (b.role, b.condition)).collect();
        assert_eq!(&new_conditions[..old_conditions.len()], &old_conditions[..], "{name}");

        let restored = after.remove_member(JOB_USER, ASTRO, Some(&condition));
        assert!(restored.semantically_equal(&before), "{name}");
        assert_eq!(restored.version(), 3, "{name}: remove must not lower the version");
        if before.version() == 3 {
            assert_eq!(restored.to_compact_json(), before.to_compact_json(), "{name}");
        }
    }
}

#[test]
fn no_lints_for_granting_astro() {
    for (name, before) in policies() {
        for condition in [None, Some(until_2027())] {
            let after = before.add_member(JOB_USER, ASTRO, condition.as_ref());
            let lints = lint_change(&after, JOB_USER, ASTRO, condition.as_ref());
            assert!(lints.iter().all(|l| l.level != IamLintLevel::Error), "{name}: {lints:?}");
            assert!(lints.is_empty(), "{name}: {lints:?}");
            let plan = IamPlan::build(&before, JOB_USER, &[ASTRO.into()], condition.as_ref());
            assert!(plan.changed && !plan.blocked && !plan.needs_confirmation, "{name}");
            assert_eq!(
                plan.added,
                [Grant { role: JOB_USER.to_owned(), member: ASTRO.to_owned(), condition: condition.clone() }],
                "{name}"
            );
            assert!(plan.removed.is_empty(), "{name}");
        }
    }
}

#[test]
fn oddities_are_kept() {
    // 11: one binding lists the same member twice; it stays twice.
    let duplicate = "serviceAccount:service-350211486356@firebase-rules.iam.gserviceaccount.com";
    let after = load("11-").add_member(JOB_USER, ASTRO, None);
    let firebase =
        after.bindings().into_iter().find(|b| b.role == "roles/firebaserules.system").expect("binding");
    assert_eq!(firebase.members, [duplicate, duplicate]);
    // 05: no version field; an unconditional grant adds none, a conditional one appends 3.
    let topic = load("05-");
    assert!(topic.as_value().get("version").is_none());
    assert!(topic.add_member(JOB_USER, ASTRO, None).as_value().get("version").is_none());
    let conditional = topic.add_member(JOB_USER, ASTRO, Some(&until_2027()));
    assert_eq!(
        object(&conditional).iter().next_back().map(|(k, v)| (k.as_str(), v.clone())),
        Some(("version", json!(3)))
    );
    // 13: deleted group members stay; Astro joins the existing jobUser binding.
    let jade = load("13-").add_member(JOB_USER, ASTRO, None);
    assert_eq!(jade.bindings().len(), 1);
    assert_eq!(jade.bindings()[0].members.len(), 5);
    assert!(jade.bindings()[0].members[0].starts_with("deleted:group:"));
    // 02: auditConfigs only; the grant appends bindings after them, the undo removes it again.
    let audit = load("02-");
    let granted = audit.add_member(JOB_USER, ASTRO, None);
    assert_eq!(object(&granted).keys().collect::<Vec<_>>(), ["auditConfigs", "bindings"]);
    assert_eq!(granted.remove_member(JOB_USER, ASTRO, None).to_compact_json(), audit.to_compact_json());
    // 09: no etag: none is invented.
    assert_eq!(load("09-").add_member(JOB_USER, ASTRO, None).etag(), None);
}

#[test]
fn the_impersonation_grant_on_a_service_account_policy() {
    // 15 is a service account's own policy: the impersonation route grants Astro
    // Token Creator there.
    let before = load("15-");
    let plan = IamPlan::build(&before, TOKEN_CREATOR_ROLE, &[ASTRO.into()], None);
    assert!(plan.changed && !plan.blocked && !plan.needs_confirmation, "{:?}", plan.lints);
    assert_eq!(plan.principal_count, 2);
    let after = IamPolicy::parse(&plan.compact_after).expect("valid");
    assert_eq!(after.etag(), Some("BwYE4TKYQSk="));
    assert_eq!(
        after.bindings().into_iter().map(|b| b.role).collect::<Vec<_>>(),
        ["roles/iam.workloadIdentityUser", TOKEN_CREATOR_ROLE]
    );
}

#[test]
fn principal_counts_of_the_corpus() {
    // 11: eleven member entries, one repeated within its binding: ten principals.
    let devstats = load("11-");
    assert_eq!(devstats.principal_count(), 10);
    assert_eq!(devstats.group_count(), 2);
    // 02 has no bindings at all.
    assert_eq!(load("02-").principal_count(), 0);
}
