//! AWS trust policies: `TrustPolicy::parse`, then adding and removing workload identities.
//!
//! Asserts: no panic; a refusal is on `trust_policy` with a problem and a hint;
//! parse(to_json(p)) == p byte for byte (compact and pretty); adding trusts every identity,
//! is idempotent, leaves unchanged what was trusted already, and never drops or changes a
//! statement, principal or unknown field (it only appends ARNs to one AWS list or appends
//! one statement); removing stops trusting exactly those identities, touches only the
//! unconditional AssumeRole statements, and is byte-identical without a match; an add
//! followed by removing what it added means what the policy meant before; plans, lints and
//! `add_statement` never panic and `add_statement` is idempotent; the trust evaluator answers
//! every caller and action without panicking, always with a reason and real statement numbers.

#![no_main]

use arbitrary::Unstructured;
use astro_identity_domain::aws::trust_eval::{AssumeCaller, AssumeRequest, evaluate};
use astro_identity_domain::aws::{
    Partition, TrustPlan, TrustPolicy, WorkloadIdentityArn, customer_managed_identity_statement_in,
    lint_trust_policy,
};
use astro_identity_fuzz::{
    ARNS, check_error, entries, keeps_other_fields, pick, same_json, same_map, split_input,
};
use libfuzzer_sys::fuzz_target;
use serde_json::{Map, Value};
use std::collections::BTreeMap;

fuzz_target!(|data: &[u8]| run(data));

fn run(data: &[u8]) {
    let (text, edits) = split_input(data);
    let policy = match TrustPolicy::parse(&text) {
        Ok(policy) => policy,
        Err(error) => {
            check_error("TrustPolicy::parse", &error, &["trust_policy"]);
            return;
        }
    };
    round_trip(&policy);
    let mut u = Unstructured::new(edits.unwrap_or_default());
    let identities = identities(&mut u, &policy, edits.is_none());
    let quota = if edits.is_none() { 2048 } else { u.arbitrary().unwrap_or(2048) };

    let added = check_add(&policy, &identities);
    check_remove(&policy, &identities);
    check_remove(&added, &identities);

    // What the UI and the plan screen compute never panics.
    let _ = lint_trust_policy(&policy, quota);
    let _ = lint_trust_policy(&added, quota);
    let plan = TrustPlan::build(Some(&policy), &identities, quota);
    let missing: Vec<&str> = policy.untrusted(&identities).into_iter().map(|id| id.as_str()).collect();
    assert_eq!(plan.added, missing, "the plan lists the identities it adds");
    assert_eq!(plan.compact_after, added.to_compact_json());
    let _ = TrustPlan::build(None, &identities, quota);
    let _ = TrustPlan::for_documents(Some(&added), &policy, quota);
    let _ = policy.refused_characters();

    check_add_statement(&mut u, &policy);
    check_evaluate(&policy, &identities);
    check_evaluate(&added, &identities);
}

fn check_evaluate(policy: &TrustPolicy, identities: &[WorkloadIdentityArn]) {
    let count = policy.statements().len();
    let mut callers: Vec<AssumeCaller> =
        identities.iter().map(|id| AssumeCaller::Aws(id.as_str().to_owned())).collect();
    callers.push(AssumeCaller::Federated(String::from(
        "arn:aws:iam::123456789012:oidc-provider/oidc.astronomer.io/aws",
    )));
    callers.push(AssumeCaller::Service(String::from("ec2.amazonaws.com")));
    for caller in callers {
        for action in ["sts:AssumeRole", "sts:AssumeRoleWithWebIdentity"] {
            let request =
                AssumeRequest { caller: caller.clone(), action: action.to_owned(), context: BTreeMap::new() };
            let evaluation = evaluate(policy, &request);
            assert!(!evaluation.reason.is_empty(), "an answer says why");
            assert!(evaluation.statements.iter().all(|s| s.number >= 1 && s.number as usize <= count));
        }
    }
}

/// parse(to_json(p)) is p, byte for byte, and means the same.
fn round_trip(policy: &TrustPolicy) {
    let compact = policy.to_compact_json();
    let again = TrustPolicy::parse(&compact).expect("the compact JSON of a policy parses");
    assert_eq!(&again, policy);
    assert_eq!(again.to_compact_json(), compact, "compact JSON round-trips byte for byte");
    let pretty = TrustPolicy::parse(&policy.to_pretty_json()).expect("the pretty JSON of a policy parses");
    assert_eq!(pretty.to_compact_json(), compact, "pretty JSON round-trips");
    assert!(policy.semantically_equal(&pretty));
    assert_eq!(policy.iam_character_count(), compact.chars().count());
}

/// A few identities: Astro-like ones, the policy's own (so removing finds them), and any
/// text the fuzzer made that parses.
fn identities(u: &mut Unstructured<'_>, policy: &TrustPolicy, defaults: bool) -> Vec<WorkloadIdentityArn> {
    let own: Vec<WorkloadIdentityArn> =
        policy.trusted_aws_principals().iter().filter_map(|t| WorkloadIdentityArn::parse(t).ok()).collect();
    let parse = |s: &str| WorkloadIdentityArn::parse(s).expect("the pool holds valid ARNs");
    if defaults {
        let mut ids = vec![parse(ARNS[0]), parse(ARNS[2])];
        ids.extend(own.first().cloned());
        return ids;
    }
    let count = u.int_in_range(0..=4).unwrap_or(0);
    let mut ids = Vec::new();
    for _ in 0..count {
        if !own.is_empty() && u.ratio(1, 3).unwrap_or(false) {
            ids.push(own[u.choose_index(own.len()).unwrap_or(0)].clone());
        } else {
            match WorkloadIdentityArn::parse(&pick(u, &ARNS)) {
                Ok(id) => ids.push(id),
                Err(error) => check_error("WorkloadIdentityArn::parse", &error, &["identity"]),
            }
        }
    }
    ids
}

fn check_add(policy: &TrustPolicy, identities: &[WorkloadIdentityArn]) -> TrustPolicy {
    let missing: Vec<WorkloadIdentityArn> = policy.untrusted(identities).into_iter().cloned().collect();
    let added = policy.add_principals(identities);
    assert!(added.untrusted(identities).is_empty(), "after the add every identity is trusted");
    assert_eq!(
        added.add_principals(identities).to_compact_json(),
        added.to_compact_json(),
        "adding is idempotent"
    );
    if missing.is_empty() {
        assert_eq!(added.to_compact_json(), policy.to_compact_json(), "nothing to add: the same bytes");
    }
    round_trip(&added);
    keeps_other_fields("add_principals", policy.as_value(), added.as_value(), &["Statement"]);
    keeps_statements(policy, &added, &missing);

    let before = policy.trusted_aws_principals();
    let after = added.trusted_aws_principals();
    assert!(before.iter().all(|t| after.contains(t)), "the add stopped trusting someone");
    assert!(
        after.iter().all(|t| before.contains(t) || missing.iter().any(|m| m.as_str() == t)),
        "the add trusts someone it was not asked to"
    );

    // Undo: removing exactly what was added gives back what the policy meant.
    let undone = added.remove_principals(&missing);
    assert!(
        undone.semantically_equal(policy),
        "add then remove changed the meaning:\nbefore {}\nundone {}",
        policy.to_compact_json(),
        undone.to_compact_json()
    );
    added
}

/// Every statement of `before` is in `after` at the same place with the same keys in the
/// same order and the same values, except that one `Principal.AWS` list may have grown at
/// its end; at most one statement is appended, trusting the missing identities.
fn keeps_statements(before: &TrustPolicy, after: &TrustPolicy, missing: &[WorkloadIdentityArn]) {
    let (old, new) = (before.statements(), after.statements());
    assert!(new.len() == old.len() || new.len() == old.len() + 1, "the add dropped or added statements");
    let mut grown = 0;
    for (o, n) in old.iter().zip(&new) {
        if same_map(o, n) {
            continue;
        }
        grown += 1;
        assert_eq!(keys(o), keys(n), "a statement's keys changed");
        for (key, value) in o.iter() {
            if key != "Principal" {
                assert!(same_json(value, &n[key]), "statement field {key} changed");
            }
        }
        let (Some(Value::Object(op)), Some(Value::Object(np))) = (o.get("Principal"), n.get("Principal"))
        else {
            panic!("a principal that is not an object changed");
        };
        assert_eq!(keys(op), keys(np), "the principal's kinds changed");
        for (kind, value) in op.iter() {
            if kind != "AWS" {
                assert!(same_json(value, &np[kind]), "principal {kind} changed");
            }
        }
        let (was, now) = (entries(&op["AWS"]), entries(&np["AWS"]));
        assert!(now.starts_with(&was), "existing AWS principals changed: {was:?} -> {now:?}");
        let appended: Vec<&str> = now[was.len()..].iter().filter_map(Value::as_str).collect();
        let wanted: Vec<&str> = missing.iter().map(WorkloadIdentityArn::as_str).collect();
        assert_eq!(appended, wanted, "the merge appended something else than the missing ARNs");
    }
    assert!(grown <= 1, "the add changed more than one statement");
    if new.len() == old.len() + 1 {
        assert_eq!(grown, 0, "the add both merged and appended");
        let last = new[new.len() - 1];
        let wanted: Vec<Value> = missing.iter().map(|m| Value::from(m.as_str())).collect();
        assert_eq!(last.get("Principal").and_then(|p| p.get("AWS")), Some(&Value::Array(wanted)));
    }
}

fn keys(map: &Map<String, Value>) -> Vec<&String> {
    map.keys().collect()
}

fn check_remove(policy: &TrustPolicy, identities: &[WorkloadIdentityArn]) {
    let removed = policy.remove_principals(identities);
    let trusted = removed.trusted_aws_principals();
    for id in identities {
        assert!(!trusted.iter().any(|t| t == id.as_str()), "{id} is still trusted after its removal");
    }
    let was_trusted = policy.trusted_aws_principals();
    if !identities.iter().any(|id| was_trusted.iter().any(|t| t == id.as_str())) {
        assert_eq!(removed.to_compact_json(), policy.to_compact_json(), "nothing to remove: the same bytes");
    }
    assert!(
        was_trusted.iter().all(|t| trusted.contains(t) || identities.iter().any(|id| id.as_str() == t)),
        "the removal stopped trusting someone else"
    );
    round_trip(&removed);
    keeps_other_fields("remove_principals", policy.as_value(), removed.as_value(), &["Statement"]);
    // Statements that do not grant an unconditional AssumeRole are never touched: they
    // are all still there, in order.
    let untouchable = |s: &&Map<String, Value>| !grants_unconditional_assume_role(s);
    let before: Vec<_> = policy.statements().into_iter().filter(untouchable).collect();
    let mut after = removed.statements().into_iter().filter(untouchable);
    for statement in before {
        assert!(after.any(|s| same_map(s, statement)), "the removal changed or dropped {statement:?}");
    }
    assert_eq!(
        removed.remove_principals(identities).to_compact_json(),
        removed.to_compact_json(),
        "removing is idempotent"
    );
}

/// The harness's own reading of the rule (see `trust_policy.rs`): Allow, `sts:AssumeRole`
/// covered by `Action`, no `NotAction`, no `NotPrincipal`, no non-empty condition. It may
/// count more statements as touchable than the domain does, never fewer.
fn grants_unconditional_assume_role(statement: &Map<String, Value>) -> bool {
    let condition = match statement.get("Condition") {
        None => false,
        Some(Value::Object(map)) => !map.is_empty(),
        Some(_) => true,
    };
    statement.get("Effect").and_then(Value::as_str) == Some("Allow")
        && !statement.contains_key("NotPrincipal")
        && !statement.contains_key("NotAction")
        && !condition
        && statement.contains_key("Action")
}

fn check_add_statement(u: &mut Unstructured<'_>, policy: &TrustPolicy) {
    let candidate = match u.int_in_range(0..=2).unwrap_or(0) {
        0 => customer_managed_identity_statement_in(
            Partition::AwsCn,
            "123456789012",
            "oidc.eks.us-east-1.amazonaws.com/id/0123456789ABCDEF",
            "fiery-nebula-1234",
        )
        .expect("a valid customer managed identity statement"),
        1 => policy.statements().first().map_or(Value::Null, |s| Value::Object((*s).clone())),
        _ => serde_json::from_str(&u.arbitrary::<String>().unwrap_or_default()).unwrap_or(Value::Null),
    };
    let once = policy.add_statement(candidate.clone());
    let twice = once.add_statement(candidate.clone());
    assert_eq!(once.to_compact_json(), twice.to_compact_json(), "add_statement is idempotent");
    if !candidate.is_object() {
        assert_eq!(once.to_compact_json(), policy.to_compact_json(), "a non-statement is ignored");
    }
    keeps_other_fields("add_statement", policy.as_value(), once.as_value(), &["Statement"]);
    let (old, new) = (policy.statements(), once.statements());
    assert!(
        new.len() >= old.len() && old.iter().zip(&new).all(|(o, n)| same_map(o, n)),
        "add_statement changed an existing statement"
    );
    round_trip(&once);
}
