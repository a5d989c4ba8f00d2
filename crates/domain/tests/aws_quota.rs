//! Where the trust policy quota bites: how many Deployments fit, and that going over is an
//! error that blocks the plan.

use astro_identity_domain::aws::{
    DEFAULT_TRUST_POLICY_QUOTA, LintCode, LintLevel, TrustPlan, TrustPolicy, WorkloadIdentityArn,
    lint_trust_policy,
};

const VENDOR_AND_ASTRO: &str = include_str!(concat!(
    env!("CARGO_MANIFEST_DIR"),
    "/../../testdata/corpus/aws-trust/48-synthetic-externalid-and-astro.json"
));

/// `count` typical Astro identities, each exactly 54 characters long like
/// `arn:aws:iam::123456789012:role/astro-fiery-nebula-1234`.
fn deployments(count: usize) -> Vec<WorkloadIdentityArn> {
    (0..count)
        .map(|i| {
            let arn = format!("arn:aws:iam::123456789012:role/astro-fiery-nebula-{i:04}");
            assert_eq!(arn.len(), 54);
            WorkloadIdentityArn::parse(&arn).expect("valid ARN")
        })
        .collect()
}

#[test]
fn thirty_deployments_next_to_a_vendor_statement_are_over_quota() {
    let before = TrustPolicy::parse(VENDOR_AND_ASTRO).expect("valid corpus policy");
    // The compact corpus policy:
    //   {"Version":"2012-10-17","Statement":[                                              37
    //   {"Sid":"Vendor","Effect":"Allow","Principal":{"AWS":"arn:aws:iam::406989388442:root"},
    //    "Action":"sts:AssumeRole","Condition":{"StringEquals":{"sts:ExternalId":"<36-char uuid>"}}}  199
    //   ,                                                                                     1
    //   {"Sid":"AstroDeployment","Effect":"Allow","Principal":{"AWS":"<53-char ARN>"},
    //    "Action":["sts:AssumeRole","sts:TagSession"]}                                      163
    //   ]}                                                                                    2
    // = 402. The Astro ARN string becomes a list ([ and ] = 2) and each of the 30 new ARNs adds
    // a comma and 56 quoted characters: 402 + 2 + 30 * 57 = 2114 > 2048.
    assert_eq!(before.iam_character_count(), 402);
    let plan = TrustPlan::build(Some(&before), &deployments(30), DEFAULT_TRUST_POLICY_QUOTA);
    assert_eq!(plan.size.used, 2114);
    assert_eq!(plan.size.remaining, -66);
    assert_eq!(plan.size.more_deployments_fit, 0);
    assert!(plan.blocked);
    let over: Vec<_> = plan.lints.iter().filter(|l| l.code == LintCode::OverQuota).collect();
    assert_eq!(over.len(), 1, "{:?}", plan.lints);
    assert_eq!(over[0].level, LintLevel::Error);
    assert_eq!(over[0].message, "the policy is 2114 characters; the role's trust policy quota is 2048");
    // With the documented raise to 4,096 it fits, with room for 34 more (1982 / 57).
    let raised = TrustPlan::build(Some(&before), &deployments(30), 4096);
    assert!(!raised.blocked, "{:?}", raised.lints);
    assert_eq!(raised.size.more_deployments_fit, 34);
}

#[test]
fn a_role_trusting_only_astro_holds_34_typical_deployments() {
    // new_for(n) = 75 (envelope up to "AWS":[) + 56 n + (n - 1) commas + 31 (closing) = 105 + 57 n.
    let size = |n: usize| TrustPolicy::new_for(&deployments(n)).iam_character_count();
    assert_eq!(size(30), 1815);
    assert_eq!(size(34), 2043);
    assert_eq!(size(35), 2100);
    let thirty_five = TrustPolicy::new_for(&deployments(35));
    let lints = lint_trust_policy(&thirty_five, DEFAULT_TRUST_POLICY_QUOTA);
    assert_eq!(lints.len(), 1, "{lints:?}");
    assert_eq!((lints[0].code, lints[0].level), (LintCode::OverQuota, LintLevel::Error));
    assert!(
        lint_trust_policy(&TrustPolicy::new_for(&deployments(34)), DEFAULT_TRUST_POLICY_QUOTA).is_empty()
    );
}

#[test]
fn the_forecast_matches_what_actually_fits() {
    // Two Deployments: 105 + 57 * 2 = 219 used, 1829 left, 1829 / 57 = 32 more; 2 + 32 = 34,
    // the largest count that fits above.
    let plan = TrustPlan::build(None, &deployments(2), DEFAULT_TRUST_POLICY_QUOTA);
    assert_eq!(plan.size.used, 219);
    assert_eq!(plan.size.more_deployments_fit, 32);
    let fits = TrustPlan::build(None, &deployments(2 + 32), DEFAULT_TRUST_POLICY_QUOTA);
    assert!(!fits.blocked, "{:?}", fits.lints);
    let over = TrustPlan::build(None, &deployments(2 + 33), DEFAULT_TRUST_POLICY_QUOTA);
    assert!(over.blocked);
}

#[test]
fn a_raised_quota_is_bounded_by_iams_default_and_maximum() {
    use astro_identity_domain::aws::{
        DEFAULT_TRUST_POLICY_QUOTA, MAX_TRUST_POLICY_QUOTA, trust_policy_quota,
    };
    assert_eq!(trust_policy_quota(None), Ok(DEFAULT_TRUST_POLICY_QUOTA));
    assert_eq!(trust_policy_quota(Some(4096)), Ok(MAX_TRUST_POLICY_QUOTA));
    assert_eq!(trust_policy_quota(Some(3000)), Ok(3000));
    for bad in [0, 2047, 4097, 10_000] {
        let err = trust_policy_quota(Some(bad)).expect_err("out of range");
        assert!(err.to_string().starts_with("quota: "), "{err}");
        assert!(err.hint().contains("4,096"), "{}", err.hint());
    }
}
