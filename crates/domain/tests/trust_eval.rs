//! The trust evaluator against cases written from AWS's documentation examples (cross-account
//! trust, external id, PrincipalOrgID, OIDC aud/sub, Deny overrides, NotPrincipal, NotAction,
//! IfExists, Null, set qualifiers, dates and numbers), and every corpus policy evaluated.

use std::collections::BTreeMap;

use serde_json::{Value, json};

use astro_identity_domain::aws::trust_eval::{AssumeCaller, AssumeRequest, Decision, evaluate};
use astro_identity_domain::aws::trust_policy::TrustPolicy;

const ASTRO: &str = "arn:aws:iam::111122223333:role/astro-fiery-nebula-1234";
const SESSION: &str = "arn:aws:sts::111122223333:assumed-role/astro-fiery-nebula-1234/airflow";
const OTHER: &str = "arn:aws:iam::999988887777:role/intruder";
const ISSUER: &str = "oidc.astronomer.io/aws";
const PROVIDER: &str = "arn:aws:iam::123456789012:oidc-provider/oidc.astronomer.io/aws";

fn allow(principal: Value) -> Value {
    json!({"Effect": "Allow", "Principal": principal, "Action": "sts:AssumeRole"})
}

fn with_condition(mut statement: Value, condition: Value) -> Value {
    statement["Condition"] = condition;
    statement
}

fn policy(statements: Vec<Value>) -> TrustPolicy {
    TrustPolicy::from_value(json!({"Version": "2012-10-17", "Statement": statements})).expect("valid policy")
}

fn aws(arn: &str) -> AssumeCaller {
    AssumeCaller::Aws(arn.to_owned())
}

struct Case {
    name: &'static str,
    statements: Vec<Value>,
    caller: AssumeCaller,
    action: &'static str,
    context: Vec<(&'static str, Vec<&'static str>)>,
    expected: Decision,
}

fn case(name: &'static str, statements: Vec<Value>, caller: AssumeCaller, expected: Decision) -> Case {
    Case { name, statements, caller, action: "sts:AssumeRole", context: Vec::new(), expected }
}

impl Case {
    fn action(mut self, action: &'static str) -> Self {
        self.action = action;
        self
    }
    fn ctx(mut self, key: &'static str, values: &[&'static str]) -> Self {
        self.context.push((key, values.to_vec()));
        self
    }
}

fn web(sub: &'static str) -> Vec<(&'static str, Vec<&'static str>)> {
    vec![("oidc.astronomer.io/aws:aud", vec!["sts.amazonaws.com"]), ("oidc.astronomer.io/aws:sub", vec![sub])]
}

fn cmi(sub_operator: &str, subs: Value) -> Value {
    let mut condition = json!({"StringEquals": {format!("{ISSUER}:aud"): "sts.amazonaws.com"}});
    condition[sub_operator][format!("{ISSUER}:sub")] = subs;
    json!({
        "Effect": "Allow",
        "Principal": {"Federated": PROVIDER},
        "Action": "sts:AssumeRoleWithWebIdentity",
        "Condition": condition,
    })
}

fn cases() -> Vec<Case> {
    use Decision::{Allowed, Denied, Undecidable};
    let role = json!({"AWS": ASTRO});
    let ext = |id: &str| {
        with_condition(allow(json!({"AWS": ASTRO})), json!({"StringEquals": {"sts:ExternalId": id}}))
    };
    let org = with_condition(
        allow(json!({"AWS": "*"})),
        json!({"StringEquals": {"aws:PrincipalOrgID": "o-abc123"}}),
    );
    let deny_other = json!({"Effect": "Deny", "Principal": {"AWS": OTHER}, "Action": "sts:AssumeRole"});
    let ksa = "system:serviceaccount:fiery-nebula-1234:fiery-nebula-1234-worker-serviceaccount";
    let mut all = vec![
        // Principals.
        case("the role itself", vec![allow(role.clone())], aws(ASTRO), Allowed),
        case("a session of the role", vec![allow(role.clone())], aws(SESSION), Allowed),
        case("another role", vec![allow(role.clone())], aws(OTHER), Denied),
        case("same name, other account", vec![allow(role.clone())], aws("arn:aws:iam::444455556666:role/astro-fiery-nebula-1234"), Denied),
        case("account root admits its roles", vec![allow(json!({"AWS": "arn:aws:iam::111122223333:root"}))], aws(ASTRO), Allowed),
        case("bare account id admits its roles", vec![allow(json!({"AWS": "111122223333"}))], aws(SESSION), Allowed),
        case("account root, other account", vec![allow(json!({"AWS": "arn:aws:iam::111122223333:root"}))], aws(OTHER), Denied),
        case("AWS star", vec![allow(json!({"AWS": "*"}))], aws(OTHER), Allowed),
        case("Principal star", vec![allow(json!("*"))], aws(OTHER), Allowed),
        case("a list of roles", vec![allow(json!({"AWS": [OTHER, ASTRO]}))], aws(ASTRO), Allowed),
        case("a role with a path is not the role without", vec![allow(json!({"AWS": "arn:aws:iam::111122223333:role/team/astro-fiery-nebula-1234"}))], aws(ASTRO), Denied),
        case("a path role's session matches by name", vec![allow(json!({"AWS": "arn:aws:iam::111122223333:role/team/astro-fiery-nebula-1234"}))], aws(SESSION), Allowed),
        case("a user", vec![allow(json!({"AWS": "arn:aws:iam::111122223333:user/ada"}))], aws("arn:aws:iam::111122223333:user/ada"), Allowed),
        case("a user is not a role", vec![allow(json!({"AWS": "arn:aws:iam::111122223333:user/ada"}))], aws(ASTRO), Denied),
        case("an exact session", vec![allow(json!({"AWS": SESSION}))], aws(SESSION), Allowed),
        case("another session", vec![allow(json!({"AWS": SESSION}))], aws("arn:aws:sts::111122223333:assumed-role/astro-fiery-nebula-1234/other"), Denied),
        case("a partial wildcard is no principal", vec![allow(json!({"AWS": "arn:aws:iam::111122223333:role/astro-*"}))], aws(ASTRO), Denied),
        case("a service", vec![allow(json!({"Service": "ec2.amazonaws.com"}))], AssumeCaller::Service("ec2.amazonaws.com".into()), Allowed),
        case("a service is not a role", vec![allow(json!({"Service": "ec2.amazonaws.com"}))], aws(ASTRO), Denied),
        case("a role is not a service", vec![allow(role.clone())], AssumeCaller::Service("ec2.amazonaws.com".into()), Denied),
        case("an unknown principal type", vec![allow(json!({"Mystery": "x"}))], aws(ASTRO), Undecidable),
        case("no statements", vec![], aws(ASTRO), Denied),
        // NotPrincipal.
        case("NotPrincipal allow admits others", vec![json!({"Effect": "Allow", "NotPrincipal": {"AWS": OTHER}, "Action": "sts:AssumeRole"})], aws(ASTRO), Allowed),
        case("NotPrincipal allow excludes the named", vec![json!({"Effect": "Allow", "NotPrincipal": {"AWS": OTHER}, "Action": "sts:AssumeRole"})], aws(OTHER), Denied),
        case("Deny NotPrincipal denies everyone else", vec![allow(json!({"AWS": "*"})), json!({"Effect": "Deny", "NotPrincipal": {"AWS": ASTRO}, "Action": "sts:AssumeRole"})], aws(OTHER), Denied),
        case("Deny NotPrincipal spares the named", vec![allow(json!({"AWS": "*"})), json!({"Effect": "Deny", "NotPrincipal": {"AWS": ASTRO}, "Action": "sts:AssumeRole"})], aws(ASTRO), Allowed),
        // Actions.
        case("sts:* covers AssumeRole", vec![json!({"Effect": "Allow", "Principal": role, "Action": "sts:*"})], aws(ASTRO), Allowed),
        case("action case does not matter", vec![json!({"Effect": "Allow", "Principal": role, "Action": "STS:assumerole"})], aws(ASTRO), Allowed),
        case("AssumeRole does not cover TagSession", vec![allow(role.clone())], aws(ASTRO), Denied).action("sts:TagSession"),
        case("a list of actions", vec![json!({"Effect": "Allow", "Principal": role, "Action": ["sts:AssumeRole", "sts:TagSession"]})], aws(ASTRO), Allowed).action("sts:TagSession"),
        case("a ? wildcard", vec![json!({"Effect": "Allow", "Principal": role, "Action": "sts:AssumeRol?"})], aws(ASTRO), Allowed),
        case("NotAction allows what it does not name", vec![json!({"Effect": "Allow", "Principal": role, "NotAction": "sts:TagSession"})], aws(ASTRO), Allowed),
        case("NotAction excludes what it names", vec![json!({"Effect": "Allow", "Principal": role, "NotAction": "sts:AssumeRole"})], aws(ASTRO), Denied),
        case("Deny on another action leaves AssumeRole", vec![allow(role.clone()), json!({"Effect": "Deny", "Principal": "*", "Action": "sts:TagSession"})], aws(ASTRO), Allowed),
        // Deny overrides.
        case("an explicit deny wins", vec![allow(json!({"AWS": "*"})), deny_other.clone()], aws(OTHER), Denied),
        case("a deny for others leaves the role", vec![allow(json!({"AWS": "*"})), deny_other], aws(ASTRO), Allowed),
        case("a deny of everyone wins over the role", vec![allow(role.clone()), json!({"Effect": "Deny", "Principal": "*", "Action": "sts:*"})], aws(ASTRO), Denied),
        case("an unknowable deny makes it undecidable", vec![allow(role.clone()), with_condition(json!({"Effect": "Deny", "Principal": "*", "Action": "sts:AssumeRole"}), json!({"IpAddress": {"aws:SourceIp": "10.0.0.0/8"}}))], aws(ASTRO), Undecidable),
        // External id.
        case("external id matches", vec![ext("a1b2")], aws(ASTRO), Allowed).ctx("sts:ExternalId", &["a1b2"]),
        case("external id differs", vec![ext("a1b2")], aws(ASTRO), Denied).ctx("sts:ExternalId", &["zzzz"]),
        case("external id missing is known absent", vec![ext("a1b2")], aws(ASTRO), Denied),
        case("external id key case does not matter", vec![with_condition(allow(role.clone()), json!({"StringEquals": {"STS:EXTERNALID": "a1b2"}}))], aws(ASTRO), Allowed).ctx("sts:externalid", &["a1b2"]),
        case("external id values are case-sensitive", vec![ext("a1b2")], aws(ASTRO), Denied).ctx("sts:ExternalId", &["A1B2"]),
        case("IgnoreCase operator", vec![with_condition(allow(role.clone()), json!({"StringEqualsIgnoreCase": {"sts:ExternalId": "A1B2"}}))], aws(ASTRO), Allowed).ctx("sts:ExternalId", &["a1b2"]),
        case("one of two external ids", vec![with_condition(allow(role.clone()), json!({"StringEquals": {"sts:ExternalId": ["x", "a1b2"]}}))], aws(ASTRO), Allowed).ctx("sts:ExternalId", &["a1b2"]),
        // Organization: unknown unless given.
        case("org id not given", vec![org.clone()], aws(OTHER), Undecidable),
        case("org id given and equal", vec![org.clone()], aws(OTHER), Allowed).ctx("aws:PrincipalOrgID", &["o-abc123"]),
        case("org id given and different", vec![org], aws(OTHER), Denied).ctx("aws:PrincipalOrgID", &["o-zzz"]),
        // Principal keys filled from the caller.
        case("PrincipalArn ArnLike", vec![with_condition(allow(json!({"AWS": "*"})), json!({"ArnLike": {"aws:PrincipalArn": "arn:aws:iam::111122223333:role/astro-*"}}))], aws(SESSION), Allowed),
        case("PrincipalArn ArnLike misses", vec![with_condition(allow(json!({"AWS": "*"})), json!({"ArnLike": {"aws:PrincipalArn": "arn:aws:iam::111122223333:role/astro-*"}}))], aws(OTHER), Denied),
        case("PrincipalArn ArnNotLike", vec![with_condition(allow(json!({"AWS": "*"})), json!({"ArnNotLike": {"aws:PrincipalArn": "arn:aws:iam::*:role/intruder"}}))], aws(OTHER), Denied),
        case("PrincipalAccount StringEquals", vec![with_condition(allow(json!({"AWS": "*"})), json!({"StringEquals": {"aws:PrincipalAccount": "111122223333"}}))], aws(ASTRO), Allowed),
        case("PrincipalType", vec![with_condition(allow(json!({"AWS": "*"})), json!({"StringEquals": {"aws:PrincipalType": "AssumedRole"}}))], aws(SESSION), Allowed),
        case("two keys are AND", vec![with_condition(allow(json!({"AWS": "*"})), json!({"StringEquals": {"aws:PrincipalAccount": "111122223333", "sts:ExternalId": "x"}}))], aws(ASTRO), Denied),
        case("two operators are AND", vec![with_condition(allow(json!({"AWS": "*"})), json!({"StringEquals": {"aws:PrincipalAccount": "111122223333"}, "StringLike": {"sts:ExternalId": "x*"}}))], aws(ASTRO), Allowed).ctx("sts:ExternalId", &["x-1"]),
        case("a false key settles it though another is unknown", vec![with_condition(allow(json!({"AWS": "*"})), json!({"StringEquals": {"aws:PrincipalAccount": "000000000000", "aws:PrincipalOrgID": "o-1"}}))], aws(ASTRO), Denied),
        // IfExists, Null, negation.
        case("IfExists with the key absent", vec![with_condition(allow(role.clone()), json!({"StringEqualsIfExists": {"sts:ExternalId": "a1b2"}}))], aws(ASTRO), Allowed),
        case("IfExists with the key wrong", vec![with_condition(allow(role.clone()), json!({"StringEqualsIfExists": {"sts:ExternalId": "a1b2"}}))], aws(ASTRO), Denied).ctx("sts:ExternalId", &["no"]),
        case("Null true, key absent", vec![with_condition(allow(role.clone()), json!({"Null": {"sts:ExternalId": "true"}}))], aws(ASTRO), Allowed),
        case("Null false, key absent", vec![with_condition(allow(role.clone()), json!({"Null": {"sts:ExternalId": "false"}}))], aws(ASTRO), Denied),
        case("Null false, key present", vec![with_condition(allow(role.clone()), json!({"Null": {"sts:ExternalId": "false"}}))], aws(ASTRO), Allowed).ctx("sts:ExternalId", &["x"]),
        case("Null on an unknowable key", vec![with_condition(allow(role.clone()), json!({"Null": {"aws:PrincipalOrgID": "false"}}))], aws(ASTRO), Undecidable),
        case("StringNotEquals with the key absent", vec![with_condition(allow(role.clone()), json!({"StringNotEquals": {"sts:ExternalId": "bad"}}))], aws(ASTRO), Allowed),
        case("StringNotEquals with the key equal", vec![with_condition(allow(role.clone()), json!({"StringNotEquals": {"sts:ExternalId": "bad"}}))], aws(ASTRO), Denied).ctx("sts:ExternalId", &["bad"]),
        case("Bool", vec![with_condition(allow(role.clone()), json!({"Bool": {"aws:MultiFactorAuthPresent": "true"}}))], aws(ASTRO), Allowed).ctx("aws:MultiFactorAuthPresent", &["true"]),
        case("Bool unknown", vec![with_condition(allow(role.clone()), json!({"Bool": {"aws:MultiFactorAuthPresent": true}}))], aws(ASTRO), Undecidable),
        // Numbers and dates.
        case("NumericLessThan", vec![with_condition(allow(role.clone()), json!({"NumericLessThan": {"aws:MultiFactorAuthAge": "3600"}}))], aws(ASTRO), Allowed).ctx("aws:MultiFactorAuthAge", &["60"]),
        case("NumericLessThan fails", vec![with_condition(allow(role.clone()), json!({"NumericLessThan": {"aws:MultiFactorAuthAge": "3600"}}))], aws(ASTRO), Denied).ctx("aws:MultiFactorAuthAge", &["7200"]),
        case("a number that is not one", vec![with_condition(allow(role.clone()), json!({"NumericLessThan": {"aws:MultiFactorAuthAge": "soon"}}))], aws(ASTRO), Undecidable).ctx("aws:MultiFactorAuthAge", &["60"]),
        case("DateLessThan", vec![with_condition(allow(role.clone()), json!({"DateLessThan": {"aws:CurrentTime": "2027-01-01T00:00:00Z"}}))], aws(ASTRO), Allowed).ctx("aws:CurrentTime", &["2026-12-05T10:00:00Z"]),
        case("DateLessThan after the date", vec![with_condition(allow(role.clone()), json!({"DateLessThan": {"aws:CurrentTime": "2026-01-01T00:00:00Z"}}))], aws(ASTRO), Denied).ctx("aws:CurrentTime", &["2026-12-05T10:00:00+02:00"]),
        case("DateGreaterThan epoch", vec![with_condition(allow(role.clone()), json!({"DateGreaterThan": {"aws:CurrentTime": "1700000000"}}))], aws(ASTRO), Allowed).ctx("aws:CurrentTime", &["2026-12-05"]),
        case("the time is unknown", vec![with_condition(allow(role.clone()), json!({"DateLessThan": {"aws:CurrentTime": "2027-01-01T00:00:00Z"}}))], aws(ASTRO), Undecidable),
        // Set qualifiers.
        case("ForAnyValue over tag keys", vec![with_condition(json!({"Effect": "Allow", "Principal": role, "Action": "sts:TagSession"}), json!({"ForAnyValue:StringEquals": {"aws:TagKeys": ["team", "env"]}}))], aws(ASTRO), Allowed).action("sts:TagSession").ctx("aws:TagKeys", &["cost", "team"]),
        case("ForAllValues over tag keys", vec![with_condition(json!({"Effect": "Allow", "Principal": role, "Action": "sts:TagSession"}), json!({"ForAllValues:StringEquals": {"aws:TagKeys": ["team", "env"]}}))], aws(ASTRO), Denied).action("sts:TagSession").ctx("aws:TagKeys", &["cost", "team"]),
        case("ForAllValues with no tags", vec![with_condition(json!({"Effect": "Allow", "Principal": role, "Action": "sts:TagSession"}), json!({"ForAllValues:StringEquals": {"aws:TagKeys": ["team"]}}))], aws(ASTRO), Allowed).action("sts:TagSession"),
        case("ForAnyValue with no tags", vec![with_condition(json!({"Effect": "Allow", "Principal": role, "Action": "sts:TagSession"}), json!({"ForAnyValue:StringEquals": {"aws:TagKeys": ["team"]}}))], aws(ASTRO), Denied).action("sts:TagSession"),
        // Unknown operators and effects.
        case("an unknown operator", vec![with_condition(allow(role.clone()), json!({"StringSoundsLike": {"sts:ExternalId": "x"}}))], aws(ASTRO), Undecidable).ctx("sts:ExternalId", &["x"]),
        case("an effect that is neither", vec![json!({"Effect": "Maybe", "Principal": role, "Action": "sts:AssumeRole"})], aws(ASTRO), Undecidable),
    ];
    // OIDC: Customer Managed Identity.
    let provider = || AssumeCaller::Federated(PROVIDER.to_owned());
    for (name, statement, sub, expected) in [
        ("CMI: the worker's service account", cmi("StringEquals", json!([ksa])), ksa, Allowed),
        (
            "CMI: another namespace",
            cmi("StringEquals", json!([ksa])),
            "system:serviceaccount:other:other-worker-serviceaccount",
            Denied,
        ),
        (
            "CMI: StringLike wildcard",
            cmi("StringLike", json!("system:serviceaccount:fiery-nebula-1234:*")),
            ksa,
            Allowed,
        ),
        (
            "CMI: the cluster-wide wildcard",
            cmi("StringLike", json!("system:serviceaccount:*:*")),
            "system:serviceaccount:x:y",
            Allowed,
        ),
        (
            "CMI: StringEquals takes * literally",
            cmi("StringEquals", json!("system:serviceaccount:*:*")),
            ksa,
            Denied,
        ),
    ] {
        let mut case =
            case(name, vec![statement], provider(), expected).action("sts:AssumeRoleWithWebIdentity");
        case.context = web(sub);
        all.push(case);
    }
    all.extend([
        case("CMI: a wrong audience", vec![cmi("StringEquals", json!([ksa]))], provider(), Denied)
            .action("sts:AssumeRoleWithWebIdentity")
            .ctx("oidc.astronomer.io/aws:aud", &["other"])
            .ctx("oidc.astronomer.io/aws:sub", &[ksa]),
        case("CMI: the subject unknown", vec![cmi("StringEquals", json!([ksa]))], provider(), Undecidable)
            .action("sts:AssumeRoleWithWebIdentity")
            .ctx("oidc.astronomer.io/aws:aud", &["sts.amazonaws.com"]),
        case(
            "CMI: plain AssumeRole is not web identity",
            vec![cmi("StringEquals", json!([ksa]))],
            provider(),
            Denied,
        ),
        case(
            "CMI: another provider",
            vec![cmi("StringEquals", json!([ksa]))],
            AssumeCaller::Federated("accounts.google.com".into()),
            Denied,
        )
        .action("sts:AssumeRoleWithWebIdentity"),
        case("CMI: a role is not the provider", vec![cmi("StringEquals", json!([ksa]))], aws(ASTRO), Denied)
            .action("sts:AssumeRoleWithWebIdentity"),
    ]);
    all
}

#[test]
fn every_documented_case_is_decided_as_iam_would() {
    let cases = cases();
    assert!(cases.len() >= 60, "{} cases", cases.len());
    let mut wrong = Vec::new();
    for case in &cases {
        let context: BTreeMap<String, Vec<String>> = case
            .context
            .iter()
            .map(|(k, v)| ((*k).to_owned(), v.iter().map(|s| (*s).to_owned()).collect()))
            .collect();
        let request = AssumeRequest { caller: case.caller.clone(), action: case.action.to_owned(), context };
        let evaluation = evaluate(&policy(case.statements.clone()), &request);
        if evaluation.decision != case.expected {
            wrong.push(format!(
                "{}: {:?}, expected {:?} — {}",
                case.name, evaluation.decision, case.expected, evaluation.reason
            ));
        }
        assert!(!evaluation.reason.is_empty(), "{}", case.name);
    }
    assert!(wrong.is_empty(), "{} wrong:\n{}", wrong.len(), wrong.join("\n"));
}

#[test]
fn the_answer_names_the_deciding_statement_and_what_to_change() {
    let request = |caller: &str, external: Option<&str>| AssumeRequest {
        caller: AssumeCaller::Aws(caller.to_owned()),
        action: String::from("sts:AssumeRole"),
        context: external.map(|e| (String::from("sts:ExternalId"), vec![e.to_owned()])).into_iter().collect(),
    };
    let trust = policy(vec![
        json!({"Sid": "Other", "Effect": "Allow", "Principal": {"AWS": OTHER}, "Action": "sts:AssumeRole"}),
        with_condition(
            json!({"Sid": "Astro", "Effect": "Allow", "Principal": {"AWS": ASTRO}, "Action": "sts:AssumeRole"}),
            json!({"StringEquals": {"sts:ExternalId": "a1b2"}}),
        ),
    ]);
    let allowed = evaluate(&trust, &request(ASTRO, Some("a1b2")));
    assert_eq!(allowed.decision, Decision::Allowed);
    assert_eq!(allowed.statements.iter().map(|s| s.number).collect::<Vec<_>>(), [2]);
    assert!(allowed.reason.starts_with("Statement 2 (Astro) allows it"), "{}", allowed.reason);

    let denied = evaluate(&trust, &request(ASTRO, None));
    assert_eq!(denied.decision, Decision::Denied);
    assert!(denied.reason.contains("statement 2 (Astro) does not apply"), "{}", denied.reason);
    assert!(denied.reason.contains("sts:ExternalId StringEquals a1b2"), "{}", denied.reason);

    let unknown = evaluate(
        &policy(vec![with_condition(
            allow(json!({"AWS": "*"})),
            json!({"StringEquals": {"aws:PrincipalOrgID": "o-abc123"}}),
        )]),
        &request(OTHER, None),
    );
    assert_eq!(unknown.decision, Decision::Undecidable);
    assert!(unknown.reason.contains("aws:PrincipalOrgID"), "{}", unknown.reason);
}

#[test]
fn every_corpus_policy_is_evaluated_for_every_principal_it_names() {
    let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../../testdata/corpus/aws-trust");
    let mut evaluated = 0;
    for entry in std::fs::read_dir(&dir).expect("corpus") {
        let path = entry.expect("entry").path();
        if path.extension().is_none_or(|e| e != "json") {
            continue;
        }
        let text = std::fs::read_to_string(&path).expect("read");
        let Ok(trust) = TrustPolicy::parse(&text) else { continue };
        let mut callers = vec![
            aws(ASTRO),
            aws(SESSION),
            AssumeCaller::Service("ec2.amazonaws.com".into()),
            AssumeCaller::Federated(PROVIDER.into()),
        ];
        callers.extend(trust.trusted_aws_principals().into_iter().map(AssumeCaller::Aws));
        for caller in callers {
            for action in ["sts:AssumeRole", "sts:AssumeRoleWithWebIdentity", "sts:TagSession"] {
                let request = AssumeRequest {
                    caller: caller.clone(),
                    action: action.to_owned(),
                    context: BTreeMap::new(),
                };
                let evaluation = evaluate(&trust, &request);
                assert!(!evaluation.reason.is_empty(), "{}", path.display());
                evaluated += 1;
            }
        }
    }
    assert!(evaluated >= 48 * 12, "{evaluated} evaluations");
}
