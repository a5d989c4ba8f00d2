//! Google Cloud allow policies: `IamPolicy::parse`, then granting and revoking a role.
//!
//! Asserts: no panic; a refusal is on `iam_policy` (`condition_title` /
//! `condition_expression` for `Condition::new`) with a problem and a hint;
//! parse(to_json(p)) == p byte for byte; adding grants the role, is idempotent, keeps every
//! binding (a member only appended at the end of one), `etag`, `auditConfigs` and unknown
//! field, and never lowers `version`; removing revokes exactly that grant and is
//! byte-identical without a match; add then remove of a new grant gives back the same
//! bytes (version aside) and the same meaning; plans and lints never panic.

#![no_main]

use arbitrary::Unstructured;
use astro_identity_domain::gcp::{Condition, IamPlan, IamPolicy, lint_change, lint_policy};
use astro_identity_fuzz::{
    MEMBERS, ROLES, check_error, checked, keeps_other_fields, pick, pick_owned, same_json, split_input,
};
use libfuzzer_sys::fuzz_target;
use serde_json::Value;

fuzz_target!(|data: &[u8]| run(data));

const ASTRO: &str = "serviceAccount:astro-fiery-nebula-1234@astronomer-prod.iam.gserviceaccount.com";

fn run(data: &[u8]) {
    let (text, edits) = split_input(data);
    let policy = match IamPolicy::parse(&text) {
        Ok(policy) => policy,
        Err(error) => {
            check_error("IamPolicy::parse", &error, &["iam_policy"]);
            return;
        }
    };
    round_trip(&policy);
    let _ = (policy.grants(), policy.principal_count(), policy.group_count(), lint_policy(&policy));

    let grants: Vec<(String, String, Option<Condition>)> = match edits {
        // The seeds: grant Astro a new role, unconditionally and under a condition, and
        // revoke a grant the policy has.
        None => {
            let until =
                Condition::new("until 2027", None, "request.time < timestamp(\"2027-01-01T00:00:00Z\")")
                    .expect("a valid condition");
            let mut grants = vec![
                ("roles/bigquery.jobUser".to_owned(), ASTRO.to_owned(), None),
                ("roles/bigquery.jobUser".to_owned(), ASTRO.to_owned(), Some(until)),
            ];
            grants.extend(policy.grants().into_iter().next().map(|g| (g.role, g.member, g.condition)));
            grants
        }
        Some(edits) => {
            let mut u = Unstructured::new(edits);
            let mut grants = Vec::new();
            for _ in 0..u.int_in_range(1..=3).unwrap_or(1) {
                grants.push(grant(&mut u, &policy));
            }
            grants
        }
    };
    for (role, member, condition) in &grants {
        let condition = condition.as_ref();
        let added = check_add(&policy, role, member, condition);
        check_remove(&policy, role, member, condition);
        check_remove(&added, role, member, condition);
        let plan = IamPlan::build(&policy, role, std::slice::from_ref(member), condition);
        assert_eq!(plan.compact_after, added.to_compact_json());
        let _ = IamPlan::for_documents(&added, &policy);
        let _ = lint_change(&added, role, member, condition);
    }
    // Every member at once is the same write as one after the other.
    if let Some((role, _, condition)) = grants.first() {
        let members: Vec<String> = grants
            .iter()
            .filter(|(r, _, c)| r == role && c == condition)
            .map(|(_, m, _)| m.clone())
            .collect();
        let one_by_one =
            members.iter().fold(policy.clone(), |p, m| p.add_member(role, m, condition.as_ref()));
        let plan = IamPlan::build(&policy, role, &members, condition.as_ref());
        assert_eq!(plan.compact_after, one_by_one.to_compact_json());
    }
}

/// A role, member and condition: from the policy itself (to hit existing bindings), from
/// the pools, or made up.
fn grant(u: &mut Unstructured<'_>, policy: &IamPolicy) -> (String, String, Option<Condition>) {
    let bindings = policy.bindings();
    let roles: Vec<String> = bindings.iter().map(|b| b.role.clone()).collect();
    let members: Vec<String> = bindings.iter().flat_map(|b| b.members.clone()).collect();
    let conditions: Vec<Condition> = bindings.iter().filter_map(|b| b.condition.clone()).collect();
    let role = pick_owned(u, &roles, &ROLES);
    let member = pick_owned(u, &members, &MEMBERS);
    let condition = match u.int_in_range(0..=3).unwrap_or(0) {
        0 | 1 => None,
        2 if !conditions.is_empty() => {
            Some(conditions[u.choose_index(conditions.len()).unwrap_or(0)].clone())
        }
        _ => {
            let title = pick(u, &["t", " until 2027 ", ""]);
            let description = if u.arbitrary().unwrap_or(false) { Some(pick(u, &["", "d"])) } else { None };
            let expression = pick(u, &["e", "request.time < timestamp(\"2027-01-01T00:00:00Z\")", " "]);
            checked(
                "Condition::new",
                Condition::new(&title, description.as_deref(), &expression),
                &["condition_title", "condition_expression"],
            )
        }
    };
    (role, member, condition)
}

fn round_trip(policy: &IamPolicy) {
    let compact = policy.to_compact_json();
    let again = IamPolicy::parse(&compact).expect("the compact JSON of a policy parses");
    assert_eq!(&again, policy);
    assert_eq!(again.to_compact_json(), compact, "compact JSON round-trips byte for byte");
    let pretty = IamPolicy::parse(&policy.to_pretty_json()).expect("the pretty JSON of a policy parses");
    assert_eq!(pretty.to_compact_json(), compact, "pretty JSON round-trips");
    assert!(policy.semantically_equal(&pretty));
}

fn bindings_of(policy: &IamPolicy) -> Vec<Value> {
    policy.as_value().get("bindings").and_then(Value::as_array).cloned().unwrap_or_default()
}

fn check_add(policy: &IamPolicy, role: &str, member: &str, condition: Option<&Condition>) -> IamPolicy {
    let had = policy.has_member(role, member, condition);
    let added = policy.add_member(role, member, condition);
    assert!(added.has_member(role, member, condition), "the grant is there after the add");
    assert_eq!(
        added.add_member(role, member, condition).to_compact_json(),
        added.to_compact_json(),
        "adding is idempotent"
    );
    assert!(added.version() >= policy.version(), "the add lowered the version");
    if added.has_conditions() {
        assert!(added.version() >= 3, "a policy with conditions is written at version 3");
    }
    round_trip(&added);
    keeps_other_fields("add_member", policy.as_value(), added.as_value(), &["bindings", "version"]);
    let (old, new) = (bindings_of(policy), bindings_of(&added));
    if had {
        assert!(
            same_json(&Value::Array(old.clone()), &Value::Array(new.clone())),
            "existing grant: bindings changed"
        );
    }
    assert!(new.len() == old.len() || new.len() == old.len() + 1, "the add dropped or added bindings");
    let mut grown = 0;
    for (o, n) in old.iter().zip(&new) {
        if same_json(o, n) {
            continue;
        }
        grown += 1;
        let (Some(o), Some(n)) = (o.as_object(), n.as_object()) else { panic!("a binding changed type") };
        for (key, value) in o {
            if key != "members" {
                assert!(n.get(key).is_some_and(|v| same_json(v, value)), "binding field {key} changed");
            }
        }
        let was = o.get("members").and_then(Value::as_array).cloned().unwrap_or_default();
        let now = n.get("members").and_then(Value::as_array).cloned().unwrap_or_default();
        assert_eq!(now.len(), was.len() + 1, "the add changed a binding's members by more than one");
        assert!(now.starts_with(&was) && now[was.len()] == member, "the member is appended");
    }
    assert!(grown + new.len() - old.len() <= usize::from(!had), "the add changed more than one binding");
    let before: Vec<_> = policy.grants();
    let after = added.grants();
    assert!(before.iter().all(|g| after.contains(g)), "the add revoked a grant");

    if !had {
        // Undo: the same bytes, save the version the add had to raise; the same meaning.
        let undone = added.remove_member(role, member, condition);
        assert!(
            undone.semantically_equal(policy) || policy.has_conditions() && policy.version() < 3,
            "add then remove changed the meaning:\nbefore {}\nundone {}",
            policy.to_compact_json(),
            undone.to_compact_json()
        );
        if added.version() == policy.version()
            && added.as_value().get("version") == policy.as_value().get("version")
        {
            assert_eq!(
                undone.to_compact_json(),
                policy.to_compact_json(),
                "add then remove is not byte-identical"
            );
        }
    }
    added
}

fn check_remove(policy: &IamPolicy, role: &str, member: &str, condition: Option<&Condition>) {
    let removed = policy.remove_member(role, member, condition);
    assert!(!removed.has_member(role, member, condition), "the grant is still there after its removal");
    if !policy.has_member(role, member, condition) {
        assert_eq!(removed.to_compact_json(), policy.to_compact_json(), "nothing to remove: the same bytes");
    }
    assert_eq!(removed.version(), policy.version(), "the removal changed the version");
    round_trip(&removed);
    keeps_other_fields("remove_member", policy.as_value(), removed.as_value(), &["bindings"]);
    let revoked = Some((role, member, condition));
    let left = removed.grants();
    for grant in policy.grants() {
        let kept = left.contains(&grant);
        let this = revoked == Some((grant.role.as_str(), grant.member.as_str(), grant.condition.as_ref()));
        assert!(kept != this, "the removal kept {grant:?} or revoked another grant");
    }
}
