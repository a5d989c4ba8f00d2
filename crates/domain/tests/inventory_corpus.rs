//! Offboarding over the real-world corpus: an Astro Deployment's role and namespace are added
//! to every trust policy, and a Deployment's account granted into every GCP policy; revoking
//! each identity the inventory finds removes exactly it, and nothing else of the policy.

use std::path::PathBuf;

use astro_identity_domain::aws::cmi::{WebIdentityTrust, deployment_subjects, trust_web_identity};
use astro_identity_domain::aws::{Partition, TrustPolicy, WorkloadIdentityArn};
use astro_identity_domain::gcp::iam_policy::IamPolicy;
use astro_identity_domain::inventory::{
    TrustHolder, binding_holders, revoke_from_bindings, revoke_from_trust, trust_holders,
};

const ROOT: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/../../testdata/corpus");
const ASTRO: &str = "arn:aws:iam::111122223333:role/astro-fiery-nebula-1234";
const ISSUER: &str = "https://oidc.astronomer.io/aws";
const MEMBER: &str = "serviceAccount:astro-fiery-nebula-1234@astronomer-prod.iam.gserviceaccount.com";

fn files(dir: &str) -> Vec<(String, String)> {
    let mut paths: Vec<PathBuf> = std::fs::read_dir(format!("{ROOT}/{dir}"))
        .expect("corpus directory")
        .map(|entry| entry.expect("entry").path())
        .filter(|path| path.extension().is_some_and(|ext| ext == "json"))
        .collect();
    paths.sort();
    paths
        .into_iter()
        .map(|p| (p.display().to_string(), std::fs::read_to_string(&p).expect("readable")))
        .collect()
}

#[test]
fn revoking_each_astro_identity_from_every_trust_policy_keeps_the_rest() {
    let corpus = files("aws-trust");
    assert_eq!(corpus.len(), 48);
    for (name, text) in corpus {
        let original = TrustPolicy::parse(&text).unwrap_or_else(|e| panic!("{name}: {e}"));
        let subjects = deployment_subjects("fiery-nebula-1234").expect("namespace");
        let web = WebIdentityTrust::new(Partition::Aws, "123456789012", ISSUER, subjects).expect("trust");
        let astro = WorkloadIdentityArn::parse(ASTRO).expect("arn");
        let policy = trust_web_identity(&original.add_principals(&[astro]), &web);
        let before = trust_holders(&original, &[]);
        let holders = trust_holders(&policy, &[]);
        for ours in [ASTRO, "fiery-nebula-1234@oidc.astronomer.io/aws"] {
            assert!(holders.iter().any(|h| h.identity() == ours), "{name}: {ours} found");
        }
        for holder in &holders {
            let without = revoke_from_trust(&policy, holder);
            let left: Vec<String> = trust_holders(&without, &[]).iter().map(TrustHolder::identity).collect();
            assert!(!left.contains(&holder.identity()), "{name}: {} revoked", holder.identity());
            let others: Vec<String> =
                holders.iter().map(TrustHolder::identity).filter(|i| *i != holder.identity()).collect();
            assert_eq!(left, others, "{name}: only {} left", holder.identity());
            if let TrustHolder::Role { arn } = holder {
                let mut expected = policy.trusted_aws_principals();
                expected.retain(|p| p != arn);
                assert_eq!(without.trusted_aws_principals(), expected, "{name}: other principals kept");
            }
        }
        // Revoking what was added gives back the policy's meaning.
        let back = holders
            .iter()
            .filter(|h| !before.contains(h))
            .fold(policy.clone(), |p, h| revoke_from_trust(&p, h));
        assert!(back.semantically_equal(&original), "{name}: {}", back.to_compact_json());
    }
}

#[test]
fn revoking_an_astro_account_from_every_gcp_policy_keeps_every_other_grant() {
    let corpus = files("gcp-policy");
    assert_eq!(corpus.len(), 15);
    for (name, text) in corpus {
        let original = IamPolicy::parse(&text).unwrap_or_else(|e| panic!("{name}: {e}"));
        let policy = original.add_member("roles/bigquery.jobUser", MEMBER, None);
        let held = binding_holders(&policy, &[]);
        assert!(held.iter().any(|h| h.member == MEMBER && h.role == "roles/bigquery.jobUser"), "{name}");
        let without = revoke_from_bindings(&policy, MEMBER);
        let mut expected = policy.grants();
        expected.retain(|g| g.member != MEMBER);
        assert_eq!(without.grants(), expected, "{name}: every other grant kept");
        let extra = |p: &IamPolicy| {
            let mut value = p.as_value().clone();
            if let Some(map) = value.as_object_mut() {
                map.remove("bindings");
            }
            value
        };
        assert_eq!(extra(&without), extra(&policy), "{name}: auditConfigs, etag, version kept");
    }
}
