//! Access keys typed into the app live only in the OS keyring and reach the SDK through a
//! credentials provider: stored on a real Secret Service, used against moto.

use astro_identity_cloud::SecretStore;
use astro_identity_cloud::aws::config::AwsAccessKeys;
use astro_identity_cloud::aws::{AwsCredentialSource, AwsIam, AwsTarget, RoleStore, sdk_config};
use astro_identity_domain::Sensitive;
use astro_identity_domain::secret_key::ProfileName;
use astro_identity_tests::{Desktop, Error, Moto};

#[test]
fn keys_from_the_keyring_sign_requests() -> Result<(), Error> {
    let desktop = Desktop::start()?;
    // SAFETY: first thing in this test's own process (nextest), before any thread starts.
    unsafe {
        desktop.export_to_process();
        for var in ["AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY", "AWS_PROFILE"] {
            std::env::remove_var(var);
        }
    }
    let moto = Moto::start()?;
    let store = std::sync::Arc::new(SecretStore::open_os()?);
    let profile = ProfileName::parse("astro-admin")?;
    AwsAccessKeys::new(
        "AKIAIOSFODNN7EXAMPLE",
        Sensitive::new("wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY".into()),
    )?
    .store(&store, profile.clone())?;

    let runtime = tokio::runtime::Builder::new_current_thread().enable_all().build()?;
    runtime.block_on(async {
        let target = AwsTarget {
            source: AwsCredentialSource::Keyring(profile.clone()),
            region: None,
            endpoint_url: Some(moto.url.clone()),
        };
        let iam = AwsIam::new(&sdk_config(&target, Some(store.clone())).await?);
        let caller = iam.caller().await?;
        assert_eq!(caller.account, "123456789012");

        let missing = AwsTarget {
            source: AwsCredentialSource::Keyring(ProfileName::parse("nobody")?),
            region: None,
            endpoint_url: Some(moto.url.clone()),
        };
        match sdk_config(&missing, Some(store.clone())).await {
            Err(err) => assert_eq!(
                err.to_string(),
                "no usable AWS credentials: no access keys are stored under \"nobody\""
            ),
            Ok(_) => return Err("keys that were never stored must not resolve".into()),
        }
        Ok::<(), Error>(())
    })
}
