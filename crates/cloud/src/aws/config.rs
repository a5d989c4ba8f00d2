//! Which AWS credentials, region and endpoint to use, turned into an SDK configuration.

use std::sync::Arc;
use std::time::Duration;

use aws_config::retry::RetryConfig;
use aws_config::timeout::TimeoutConfig;
use aws_config::{BehaviorVersion, Region, SdkConfig};
use aws_credential_types::Credentials;
use serde::{Deserialize, Serialize};

use astro_identity_domain::Sensitive;
use astro_identity_domain::secret_key::{ProfileName, Provider, SecretKey};

use astro_identity_domain::credentials::AwsProfileKind;

use crate::{CloudError, SecretStore};

/// IAM is global; STS and the SDK still want a region to sign with.
pub const FALLBACK_REGION: &str = "us-east-1";

/// Throttling and transient 5xx are retried by the SDK with exponential backoff and jitter,
/// at most this many attempts per call.
pub const MAX_ATTEMPTS: u32 = 5;

/// How often and how long the SDK tries one call, so no call can hang the app.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct AwsTuning {
    /// Attempts per call (throttling, 5xx, resets and attempt timeouts are retried).
    pub max_attempts: u32,
    /// The first retry's backoff ceiling; it doubles per retry, with full jitter.
    pub initial_backoff: Duration,
    pub connect_timeout: Duration,
    /// One attempt, from sending to the whole answer.
    pub attempt_timeout: Duration,
    /// The whole call, retries included.
    pub operation_timeout: Duration,
}

impl AwsTuning {
    pub const DEFAULT: AwsTuning = AwsTuning {
        max_attempts: MAX_ATTEMPTS,
        initial_backoff: Duration::from_secs(1),
        connect_timeout: Duration::from_secs(5),
        attempt_timeout: Duration::from_secs(20),
        operation_timeout: Duration::from_secs(60),
    };

    fn retry(&self) -> RetryConfig {
        RetryConfig::standard()
            .with_max_attempts(self.max_attempts)
            .with_initial_backoff(self.initial_backoff)
    }

    fn timeouts(&self) -> TimeoutConfig {
        TimeoutConfig::builder()
            .connect_timeout(self.connect_timeout)
            .operation_attempt_timeout(self.attempt_timeout)
            .operation_timeout(self.operation_timeout)
            .build()
    }
}

/// Where AWS credentials come from.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "specta", derive(specta::Type))]
#[serde(tag = "kind", content = "name", rename_all = "camelCase")]
pub enum AwsCredentialSource {
    /// The SDK's default chain: `AWS_*` variables, the default profile, SSO, instance roles.
    DefaultChain,
    /// A named profile from the AWS config files (SSO profiles included).
    Profile(String),
    /// Access keys the user typed, kept in the OS keyring under this name.
    Keyring(ProfileName),
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "specta", derive(specta::Type))]
#[serde(rename_all = "camelCase")]
pub struct AwsTarget {
    pub source: AwsCredentialSource,
    pub region: Option<String>,
    /// For tests and private endpoints; `None` means AWS itself.
    pub endpoint_url: Option<String>,
}

impl AwsTarget {
    pub fn default_chain() -> Self {
        Self { source: AwsCredentialSource::DefaultChain, region: None, endpoint_url: None }
    }
}

/// Access keys as kept in the keyring: one JSON secret per profile.
pub struct AwsAccessKeys {
    pub access_key_id: String,
    pub secret_access_key: Sensitive<String>,
    pub session_token: Option<Sensitive<String>>,
}

impl AwsAccessKeys {
    /// Validates what a person typed, naming the field that is wrong.
    pub fn new(access_key_id: &str, secret_access_key: Sensitive<String>) -> Result<Self, CloudError> {
        let id = access_key_id.trim();
        let id_ok = id.len() >= 16 && id.len() <= 128 && id.chars().all(|c| c.is_ascii_alphanumeric());
        if !id_ok {
            return Err(astro_identity_domain::DomainError::invalid(
                "access_key_id",
                "an access key id is 16-128 letters and digits (it starts with AKIA or ASIA)",
                "Copy the access key id from the IAM console or your credentials file.",
            )
            .into());
        }
        if secret_access_key.expose().trim().len() < 16 {
            return Err(astro_identity_domain::DomainError::invalid(
                "secret_access_key",
                "the secret access key is too short",
                "Paste the whole secret access key (40 characters for IAM users).",
            )
            .into());
        }
        Ok(Self { access_key_id: id.to_owned(), secret_access_key, session_token: None })
    }

    fn to_secret(&self) -> Sensitive<String> {
        let mut json = serde_json::json!({
            "accessKeyId": self.access_key_id,
            "secretAccessKey": self.secret_access_key.expose().trim(),
        });
        if let Some(token) = &self.session_token {
            json["sessionToken"] = serde_json::Value::String(token.expose().clone());
        }
        Sensitive::new(json.to_string())
    }

    fn from_secret(secret: &Sensitive<String>) -> Result<Self, CloudError> {
        let value: serde_json::Value =
            serde_json::from_str(secret.expose()).map_err(|_| CloudError::Credentials {
                of: "AWS credentials",
                detail: String::from("the stored access keys are not in the expected format"),
                hint: String::from("Forget them on the home screen and enter them again."),
            })?;
        let field = |name: &str| value.get(name).and_then(|v| v.as_str()).map(str::to_owned);
        match (field("accessKeyId"), field("secretAccessKey")) {
            (Some(id), Some(secret)) => Ok(Self {
                access_key_id: id,
                secret_access_key: Sensitive::new(secret),
                session_token: field("sessionToken").map(Sensitive::new),
            }),
            _ => Err(CloudError::Credentials {
                of: "AWS credentials",
                detail: String::from("the stored access keys are incomplete"),
                hint: String::from("Forget them on the home screen and enter them again."),
            }),
        }
    }

    /// Keeps the keys in the keyring under `profile`. Blocking (keyring I/O).
    pub fn store(&self, store: &SecretStore, profile: ProfileName) -> Result<(), CloudError> {
        store.put(&SecretKey::new(Provider::Aws, profile), &self.to_secret())
    }

    /// Reads the keys stored under `profile`. Blocking (keyring I/O).
    pub fn load(store: &SecretStore, profile: &ProfileName) -> Result<Self, CloudError> {
        let key = SecretKey::new(Provider::Aws, profile.clone());
        match store.get(&key)? {
            Some(secret) => Self::from_secret(&secret),
            None => Err(CloudError::Credentials {
                of: "AWS credentials",
                detail: format!("no access keys are stored under \"{profile}\""),
                hint: String::from("Enter the access keys again, or pick an AWS profile."),
            }),
        }
    }

    fn into_credentials(self) -> Credentials {
        Credentials::new(
            self.access_key_id,
            self.secret_access_key.into_inner(),
            self.session_token.map(Sensitive::into_inner),
            None,
            "astro-identity-keyring",
        )
    }
}

/// Builds the SDK configuration for `target`. Keys from the keyring are handed to the SDK
/// directly; they are never written anywhere else. Retries and timeouts:
/// [`AwsTuning::DEFAULT`].
pub async fn sdk_config(
    target: &AwsTarget,
    keyring: Option<Arc<SecretStore>>,
) -> Result<SdkConfig, CloudError> {
    sdk_config_tuned(target, keyring, &AwsTuning::DEFAULT).await
}

/// [`sdk_config`] with other retries and timeouts (tests use short ones).
pub async fn sdk_config_tuned(
    target: &AwsTarget,
    keyring: Option<Arc<SecretStore>>,
    tuning: &AwsTuning,
) -> Result<SdkConfig, CloudError> {
    let mut loader = aws_config::defaults(BehaviorVersion::latest())
        .retry_config(tuning.retry())
        .timeout_config(tuning.timeouts());
    match &target.source {
        AwsCredentialSource::DefaultChain => {}
        AwsCredentialSource::Profile(name) => loader = loader.profile_name(name),
        AwsCredentialSource::Keyring(profile) => {
            let store = keyring.ok_or_else(|| CloudError::KeyringUnavailable {
                reason: String::from("stored access keys need the OS keyring"),
            })?;
            let profile = profile.clone();
            let keys = tokio::task::spawn_blocking(move || AwsAccessKeys::load(&store, &profile))
                .await
                .map_err(|e| CloudError::KeyringUnavailable { reason: e.to_string() })??;
            loader = loader.credentials_provider(keys.into_credentials());
        }
    }
    if let Some(region) = &target.region {
        loader = loader.region(Region::new(region.clone()));
    }
    if let Some(url) = &target.endpoint_url {
        loader = loader.endpoint_url(url);
    }
    let config = loader.load().await;
    if let AwsCredentialSource::Profile(name) = &target.source {
        check_profile(&config, name).await?;
    }
    if config.region().is_some() {
        return Ok(config);
    }
    // No region anywhere (no profile setting, no AWS_REGION): IAM does not care, STS needs one.
    Ok(config.into_builder().region(Region::new(FALLBACK_REGION)).build())
}

/// Resolves a profile's credentials now, so an expired SSO sign-in or a failing
/// `credential_process` is named, with its fix, before any call is made.
async fn check_profile(config: &SdkConfig, profile: &str) -> Result<(), CloudError> {
    use aws_credential_types::provider::ProvideCredentials;
    let Some(provider) = config.credentials_provider() else { return Ok(()) };
    let Err(err) = provider.provide_credentials().await else { return Ok(()) };
    let reason = crate::error::source_chain(&err);
    let host = crate::HostEnv::from_process();
    let kind = crate::aws_profiles::load_aws_summary(&host)
        .await
        .profiles
        .into_iter()
        .find(|p| p.name == profile)
        .map(|p| p.kind);
    if kind == Some(AwsProfileKind::Sso) && crate::aws_profiles::sso_region_missing(&host, profile).await {
        return Err(CloudError::Credentials {
            of: "AWS credentials",
            detail: format!("the SSO profile \"{profile}\" names no sso_region, so it cannot sign in"),
            hint: format!(
                "Add `sso_region = …` (where your IAM Identity Center lives) to the profile or its sso-session in ~/.aws/config, then run `aws sso login --profile {profile}`."
            ),
        });
    }
    Err(profile_error(profile, kind, &reason))
}

/// What went wrong with `profile`'s credentials, and the fix for its kind.
fn profile_error(profile: &str, kind: Option<AwsProfileKind>, reason: &str) -> CloudError {
    let (detail, hint) = match kind {
        Some(AwsProfileKind::Sso) => {
            let what = if reason.contains("failed to load the cached SSO token") {
                "is missing (no cached token: not signed in on this machine)"
            } else if ["expired", "Unauthorized", "not found or invalid"]
                .iter()
                .any(|sign| reason.contains(sign))
            {
                "has expired or was signed out"
            } else {
                "failed"
            };
            (
                // The SDK wraps its reason in two generic sentences; the last part is the news.
                format!(
                    "the SSO sign-in of profile \"{profile}\" {what}: {}",
                    reason.rsplit(": ").next().unwrap_or(reason)
                ),
                format!("Run `aws sso login --profile {profile}`, then try again."),
            )
        }
        Some(AwsProfileKind::CredentialProcess) => (
            format!("the credential_process of profile \"{profile}\" failed: {reason}"),
            String::from(
                "Run the profile's credential_process command yourself to see why, fix it, then try again.",
            ),
        ),
        _ => (
            format!("profile \"{profile}\" gave no credentials: {reason}"),
            format!(
                "Check it with `aws sts get-caller-identity --profile {profile}`, or pick another profile."
            ),
        ),
    };
    CloudError::Credentials { of: "AWS credentials", detail, hint }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn every_call_is_bounded_in_attempts_and_time() {
        let target = AwsTarget {
            source: AwsCredentialSource::DefaultChain,
            region: Some(String::from("us-east-1")),
            endpoint_url: Some(String::from("http://127.0.0.1:9")),
        };
        let config = sdk_config(&target, None).await.expect("config");
        let retry = config.retry_config().expect("retry config");
        assert_eq!(retry.max_attempts(), MAX_ATTEMPTS);
        let timeouts = config.timeout_config().expect("timeouts");
        assert_eq!(timeouts.operation_attempt_timeout(), Some(AwsTuning::DEFAULT.attempt_timeout));
        assert_eq!(timeouts.operation_timeout(), Some(AwsTuning::DEFAULT.operation_timeout));
        assert_eq!(timeouts.connect_timeout(), Some(AwsTuning::DEFAULT.connect_timeout));
    }

    #[test]
    fn access_keys_are_validated_by_field() {
        let err = AwsAccessKeys::new("AKIA-bad", Sensitive::new("x".repeat(40))).err().expect("bad id");
        assert_eq!(err.code(), "invalid_input");
        assert!(err.to_string().starts_with("access_key_id:"), "{err}");
        let err =
            AwsAccessKeys::new("AKIAIOSFODNN7EXAMPLE", Sensitive::new("short".into())).err().expect("short");
        assert!(err.to_string().starts_with("secret_access_key:"), "{err}");
        // The error never repeats what was typed.
        assert!(!err.to_string().contains("short\""));
    }

    #[test]
    fn keys_round_trip_through_the_keyring() {
        let store = SecretStore::with_store(keyring_core::mock::Store::new().expect("mock"));
        let profile = ProfileName::parse("prod").expect("valid");
        AwsAccessKeys::new(
            "AKIAIOSFODNN7EXAMPLE",
            Sensitive::new("wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY".into()),
        )
        .expect("valid")
        .store(&store, profile.clone())
        .expect("stored");
        let loaded = AwsAccessKeys::load(&store, &profile).expect("loaded");
        assert_eq!(loaded.access_key_id, "AKIAIOSFODNN7EXAMPLE");
        assert_eq!(loaded.secret_access_key.expose(), "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY");

        let missing = AwsAccessKeys::load(&store, &ProfileName::parse("other").expect("valid"));
        assert_eq!(missing.err().map(|e| e.code()), Some("credentials"));
    }
}
