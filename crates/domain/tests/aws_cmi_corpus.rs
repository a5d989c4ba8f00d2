//! Customer Managed Identity trust merged into every real-world trust policy of the corpus
//! (testdata/corpus/aws-trust): added and removed again, each policy comes back unchanged;
//! Deployments on one cluster share one statement, clusters get one each.

use std::path::PathBuf;

use astro_identity_domain::aws::cmi::{
    WILDCARD_SUBJECT, WebIdentityTrust, deployment_subjects, trust_web_identity, trusted_subjects,
    untrust_web_identity,
};
use astro_identity_domain::aws::{
    DEFAULT_TRUST_POLICY_QUOTA, LintLevel, Partition, TrustPolicy, lint_trust_policy,
};

const CORPUS: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/../../testdata/corpus/aws-trust");
const ISSUER_A: &str = "https://oidc.eks.us-east-1.amazonaws.com/id/AAAA0000AAAA0000AAAA0000AAAA0000";
const ISSUER_B: &str = "https://oidc.eks.eu-west-1.amazonaws.com/id/BBBB1111BBBB1111BBBB1111BBBB1111";

fn corpus() -> Vec<(String, TrustPolicy)> {
    let mut files: Vec<PathBuf> = std::fs::read_dir(CORPUS)
        .expect("corpus directory")
        .map(|entry| entry.expect("entry").path())
        .filter(|path| path.extension().is_some_and(|ext| ext == "json"))
        .collect();
    files.sort();
    files
        .into_iter()
        .map(|path| {
            let text = std::fs::read_to_string(&path).expect("readable");
            let name = path.display().to_string();
            let policy = TrustPolicy::parse(&text).unwrap_or_else(|e| panic!("{name}: {e}"));
            (name, policy)
        })
        .collect()
}

fn trust(issuer: &str, namespaces: &[&str]) -> WebIdentityTrust {
    let subjects = namespaces.iter().flat_map(|ns| deployment_subjects(ns).expect("namespace")).collect();
    WebIdentityTrust::new(Partition::Aws, "123456789012", issuer, subjects).expect("valid trust")
}

#[test]
fn every_corpus_policy_survives_adding_and_removing_cmi_trust() {
    let policies = corpus();
    assert_eq!(policies.len(), 48);
    let a = trust(ISSUER_A, &["fiery-nebula-1234", "cosmic-dust-5678"]);
    let b = trust(ISSUER_B, &["quiet-star-0001"]);
    for (name, original) in policies {
        let with_a = trust_web_identity(&original, &a);
        let with_both = trust_web_identity(&with_a, &b);
        // Nothing of the original is lost: every statement is still there, as it was.
        for statement in original.statements() {
            assert!(
                with_both.statements().contains(&statement),
                "{name}: lost or changed a statement {statement:?}"
            );
        }
        assert_eq!(with_both.statements().len(), original.statements().len() + 2, "{name}");
        assert_eq!(trusted_subjects(&with_both, &a).len(), 12, "{name}");
        // Idempotent, and the inverse gives the original back.
        assert_eq!(trust_web_identity(&with_both, &a), with_both, "{name}: not idempotent");
        let back = untrust_web_identity(&untrust_web_identity(&with_both, &b), &a);
        assert!(back.semantically_equal(&original), "{name}: {}", back.to_compact_json());
        assert!(
            lint_trust_policy(&with_both, 10_240).iter().all(|l| l.level != LintLevel::Error),
            "{name}: an error lint"
        );
    }
}

#[test]
fn deployments_on_one_cluster_share_one_statement() {
    let empty = TrustPolicy::empty();
    let first = trust_web_identity(&empty, &trust(ISSUER_A, &["fiery-nebula-1234"]));
    let second = trust_web_identity(&first, &trust(ISSUER_A, &["cosmic-dust-5678"]));
    assert_eq!(second.statements().len(), 1, "{}", second.to_pretty_json());
    let statement = second.statements()[0].clone();
    let issuer = "oidc.eks.us-east-1.amazonaws.com/id/AAAA0000AAAA0000AAAA0000AAAA0000";
    let subs =
        statement["Condition"]["StringEquals"][format!("{issuer}:sub")].as_array().expect("a list").len();
    assert_eq!(subs, 12);
    assert_eq!(statement["Condition"]["StringEquals"][format!("{issuer}:aud")], "sts.amazonaws.com");
    assert_eq!(
        statement["Principal"]["Federated"],
        format!("arn:aws:iam::123456789012:oidc-provider/{issuer}")
    );
    assert!(
        lint_trust_policy(&second, DEFAULT_TRUST_POLICY_QUOTA).iter().all(|l| l.level != LintLevel::Error)
    );
    // Removing one Deployment keeps the other; removing both removes the statement.
    let one = untrust_web_identity(&second, &trust(ISSUER_A, &["cosmic-dust-5678"]));
    assert_eq!(one, first);
}

#[test]
fn a_statement_with_other_conditions_is_not_extended_and_the_wildcard_stands_apart() {
    let issuer = "oidc.eks.us-east-1.amazonaws.com/id/AAAA0000AAAA0000AAAA0000AAAA0000";
    let guarded = TrustPolicy::parse(&format!(
        r#"{{"Version":"2012-10-17","Statement":[{{"Effect":"Allow","Principal":{{"Federated":"arn:aws:iam::123456789012:oidc-provider/{issuer}"}},"Action":"sts:AssumeRoleWithWebIdentity","Condition":{{"StringEquals":{{"{issuer}:sub":"system:serviceaccount:x:x-worker-serviceaccount","aws:SourceIp":"10.0.0.1"}}}}}}]}}"#
    ))
    .expect("valid");
    let added = trust_web_identity(&guarded, &trust(ISSUER_A, &["fiery-nebula-1234"]));
    assert_eq!(added.statements().len(), 2, "the guarded statement is left alone");
    assert_eq!(added.statements()[0], guarded.statements()[0]);

    let wildcard =
        WebIdentityTrust::new(Partition::Aws, "123456789012", ISSUER_A, vec![WILDCARD_SUBJECT.to_owned()])
            .expect("valid");
    let both = trust_web_identity(&added, &wildcard);
    assert_eq!(both.statements().len(), 3);
    let last = both.statements()[2].clone();
    assert_eq!(
        last["Condition"]["StringLike"][format!("{issuer}:sub")],
        serde_json::json!([WILDCARD_SUBJECT])
    );
    assert_eq!(untrust_web_identity(&both, &wildcard), added);
}

#[test]
fn bad_inputs_name_their_field() {
    let err = |account: &str, issuer: &str| {
        WebIdentityTrust::new(Partition::Aws, account, issuer, vec![]).expect_err("invalid").to_string()
    };
    assert!(err("123", ISSUER_A).starts_with("account:"));
    assert!(err("123456789012", "http://oidc.example.com/id/1").starts_with("issuer:"));
    assert!(
        deployment_subjects("Not_A_Label").expect_err("bad namespace").to_string().starts_with("namespace:")
    );
}

#[test]
fn a_statement_written_by_astros_script_is_extended_not_duplicated() {
    let issuer = "oidc.eks.us-east-1.amazonaws.com/id/AAAA0000AAAA0000AAAA0000AAAA0000";
    let astro_style = TrustPolicy::parse(&format!(
        r#"{{"Version":"2012-10-17","Statement":[{{"Effect":"Allow","Principal":{{"Federated":"arn:aws:iam::123456789012:oidc-provider/{issuer}"}},"Action":"sts:AssumeRoleWithWebIdentity","Condition":{{"StringLike":{{"{issuer}:aud":"sts.amazonaws.com","{issuer}:sub":["system:serviceaccount:old-1:old-1-kpo"]}}}}}}]}}"#
    ))
    .expect("valid");
    let trust = trust(ISSUER_A, &["fiery-nebula-1234"]);
    let added = trust_web_identity(&astro_style, &trust);
    assert_eq!(added.statements().len(), 1, "{}", added.to_pretty_json());
    let subs = added.statements()[0]["Condition"]["StringLike"][format!("{issuer}:sub")]
        .as_array()
        .expect("list")
        .len();
    assert_eq!(subs, 7);
    assert_eq!(trusted_subjects(&added, &trust).len(), 7);
    assert_eq!(untrust_web_identity(&added, &trust), astro_style.clone());
    assert!(untrust_web_identity(&added, &trust).semantically_equal(&astro_style));
}
