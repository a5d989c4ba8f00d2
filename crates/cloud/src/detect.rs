//! The credential summary of the home screen and `doctor`: every source probed at once.

use std::sync::Arc;

use astro_identity_domain::credentials::{CredentialSummary, KeyringSummary};

use crate::CloudError;
use crate::aws_profiles::load_aws_summary;
use crate::gcp_adc::load_gcp_summary;
use crate::host::HostEnv;
use crate::keyring_store::SecretStore;

/// Reads the AWS files, the ADC file and the keyring's index concurrently. `keyring` is the
/// store if one could be opened; its error otherwise, which is reported, not raised.
pub async fn detect_credentials(
    host: &HostEnv,
    keyring: Result<Arc<SecretStore>, CloudError>,
) -> CredentialSummary {
    let (aws, gcp, keyring) =
        tokio::join!(load_aws_summary(host), load_gcp_summary(host), summarize_keyring(keyring));
    CredentialSummary { aws, gcp, keyring }
}

async fn summarize_keyring(keyring: Result<Arc<SecretStore>, CloudError>) -> KeyringSummary {
    let listed = match keyring {
        Ok(store) => tokio::task::spawn_blocking(move || store.list())
            .await
            .unwrap_or_else(|e| Err(CloudError::KeyringUnavailable { reason: e.to_string() })),
        Err(err) => Err(err),
    };
    match listed {
        Ok(held) => KeyringSummary { unavailable: None, held },
        Err(err) => KeyringSummary { unavailable: Some(err.to_string()), held: Vec::new() },
    }
}

#[cfg(test)]
mod tests {
    use astro_identity_domain::Sensitive;
    use astro_identity_domain::credentials::AdcStatus;
    use astro_identity_domain::secret_key::{ProfileName, Provider, SecretKey};

    use super::*;

    #[tokio::test]
    async fn combines_every_source() {
        let home = tempfile::tempdir().expect("tempdir");
        std::fs::create_dir_all(home.path().join(".aws")).expect("mkdir");
        std::fs::write(home.path().join(".aws/config"), "[profile a]\nregion = us-east-1\n").expect("write");
        let host = HostEnv::from_pairs([("HOME", home.path().to_str().expect("utf-8"))]);
        let store = SecretStore::with_store(keyring_core::mock::Store::new().expect("mock"));
        let key = SecretKey::new(Provider::Gcp, ProfileName::parse("sa").expect("valid"));
        store.put(&key, &Sensitive::new("{}".into())).expect("put");

        let summary = detect_credentials(&host, Ok(Arc::new(store))).await;
        assert_eq!(summary.aws.profiles.len(), 1);
        assert_eq!(summary.gcp.adc, AdcStatus::Missing);
        assert_eq!(summary.keyring, KeyringSummary { unavailable: None, held: vec![key] });
    }

    #[tokio::test]
    async fn an_unavailable_keyring_is_reported_not_raised() {
        let host = HostEnv::from_pairs([("HOME", "/nonexistent-home")]);
        let err = CloudError::KeyringUnavailable { reason: "no session bus".into() };
        let summary = detect_credentials(&host, Err(err)).await;
        assert_eq!(summary.keyring.unavailable.as_deref(), Some("no OS keyring is running: no session bus"));
        assert!(summary.keyring.held.is_empty());
    }
}
