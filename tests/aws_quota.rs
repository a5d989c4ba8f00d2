//! The account's trust policy quota read through aws-sdk-servicequotas: from a Service
//! Quotas endpoint that answers as AWS does (the applied value; a refusal), and from moto,
//! which knows no IAM quota. Each reading says which quota and where the value came from.

use astro_identity_cloud::aws::quota::read_trust_quota;
use astro_identity_cloud::aws::{AwsTarget, sdk_config};
use astro_identity_tests::service_quotas_fake::ServiceQuotasFake;
use astro_identity_tests::{Error, Moto};

fn export_test_credentials() {
    // SAFETY: first statement of each test, in its own process (nextest): no other thread.
    unsafe {
        std::env::set_var("AWS_ACCESS_KEY_ID", "testing");
        std::env::set_var("AWS_SECRET_ACCESS_KEY", "testing");
        std::env::set_var("AWS_EC2_METADATA_DISABLED", "true");
        std::env::set_var("AWS_CONFIG_FILE", "/nonexistent/astro-identity-test-config");
    }
}

fn target(url: &str) -> AwsTarget {
    // Work in another region: the quota is still read in us-east-1, where IAM's live.
    AwsTarget {
        region: Some(String::from("eu-west-1")),
        endpoint_url: Some(url.to_owned()),
        ..AwsTarget::default_chain()
    }
}

#[tokio::test]
async fn a_raised_quota_is_read_from_service_quotas_in_us_east_1() -> Result<(), Error> {
    export_test_credentials();
    let fake = ServiceQuotasFake::start()?;
    fake.applied(4096.0);
    let reading = read_trust_quota(&sdk_config(&target(&fake.url), None).await?).await;
    assert_eq!(reading.value, Some(4096));
    assert_eq!(
        reading.source,
        "IAM's “Role trust policy length” (Service Quotas code L-C07B4B0D), read from Service Quotas."
    );
    let seen = fake.seen();
    assert_eq!(seen.len(), 1);
    assert_eq!(seen[0].target, "ServiceQuotasV20190624.GetServiceQuota");
    assert_eq!(seen[0].body, serde_json::json!({"ServiceCode": "iam", "QuotaCode": "L-C07B4B0D"}));
    assert!(
        seen[0].authorization.contains("/us-east-1/servicequotas/aws4_request"),
        "{}",
        seen[0].authorization
    );

    // A value past IAM's documented maximum is used as the maximum, and said so.
    fake.applied(8192.0);
    let reading = read_trust_quota(&sdk_config(&target(&fake.url), None).await?).await;
    assert_eq!(reading.value, Some(4096));
    assert!(reading.source.contains("as 8192; the app uses 4096"), "{}", reading.source);
    Ok(())
}

#[tokio::test]
async fn a_refusal_leaves_the_quota_to_the_person_and_says_why() -> Result<(), Error> {
    export_test_credentials();
    let fake = ServiceQuotasFake::start()?;
    fake.refuse(400, "AccessDeniedException");
    let reading = read_trust_quota(&sdk_config(&target(&fake.url), None).await?).await;
    assert_eq!(reading.value, None);
    assert!(
        reading
            .source
            .ends_with("could not be read: these credentials may not call servicequotas:GetServiceQuota."),
        "{}",
        reading.source
    );

    // moto implements Service Quotas for VPC only: IAM's quota is unknown there.
    let moto = Moto::start()?;
    let reading = read_trust_quota(&sdk_config(&target(&moto.url), None).await?).await;
    assert_eq!(reading.value, None);
    assert!(
        reading.source.ends_with("Service Quotas does not know it for this account."),
        "{}",
        reading.source
    );
    Ok(())
}
