//! Which Google credentials to use, and where the APIs are.

use std::sync::Arc;

use google_cloud_auth::credentials::{self, Credentials};
use serde::{Deserialize, Serialize};
use serde_json::Value;

use astro_identity_domain::secret_key::{ProfileName, Provider, SecretKey};
use astro_identity_domain::{DomainError, Sensitive};

use crate::{CloudError, SecretStore};

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "specta", derive(specta::Type))]
#[serde(tag = "kind", content = "name", rename_all = "camelCase")]
pub enum GcpCredentialSource {
    /// Application Default Credentials: `GOOGLE_APPLICATION_CREDENTIALS` or gcloud's file.
    Adc,
    /// A service account key kept in the OS keyring under this name.
    Keyring(ProfileName),
    /// No credentials at all: only for local emulators and fakes.
    Anonymous,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "specta", derive(specta::Type))]
#[serde(rename_all = "camelCase")]
pub struct GcpTarget {
    pub source: GcpCredentialSource,
    /// Another API root for both Resource Manager and IAM (an emulator); `None`: Google's.
    pub endpoint: Option<String>,
}

/// A service account key as kept in the keyring: the whole JSON, checked for the fields the
/// Google auth library needs.
pub struct ServiceAccountKey {
    json: Sensitive<String>,
    pub client_email: String,
}

impl ServiceAccountKey {
    pub fn parse(json: Sensitive<String>) -> Result<Self, CloudError> {
        let invalid = |problem: &str| {
            CloudError::from(DomainError::invalid(
                "service_account_key",
                problem,
                "Paste the whole JSON key file downloaded from IAM → Service accounts → Keys.",
            ))
        };
        let value: Value = serde_json::from_str(json.expose()).map_err(|_| invalid("not a JSON key file"))?;
        if value.get("type").and_then(Value::as_str) != Some("service_account") {
            return Err(invalid("the key's \"type\" is not \"service_account\""));
        }
        if value.get("private_key").and_then(Value::as_str).is_none_or(str::is_empty) {
            return Err(invalid("the key has no \"private_key\""));
        }
        let client_email = value
            .get("client_email")
            .and_then(Value::as_str)
            .ok_or_else(|| invalid("the key has no \"client_email\""))?
            .to_owned();
        Ok(Self { json, client_email })
    }

    pub fn store(&self, store: &SecretStore, profile: ProfileName) -> Result<(), CloudError> {
        store.put(&SecretKey::new(Provider::Gcp, profile), &self.json)
    }

    pub fn load(store: &SecretStore, profile: &ProfileName) -> Result<Self, CloudError> {
        match store.get(&SecretKey::new(Provider::Gcp, profile.clone()))? {
            Some(json) => Self::parse(json),
            None => Err(CloudError::Credentials {
                of: "Google Cloud credentials",
                detail: format!("no service account key is stored under \"{profile}\""),
                hint: String::from("Paste the key again, or use Application Default Credentials."),
            }),
        }
    }
}

/// Builds credentials for `target`; who they act as when that is knowable offline.
pub async fn credentials(
    target: &GcpTarget,
    keyring: Option<Arc<SecretStore>>,
) -> Result<(Credentials, Option<String>), CloudError> {
    match &target.source {
        GcpCredentialSource::Anonymous => Ok((credentials::anonymous::Builder::new().build(), None)),
        GcpCredentialSource::Adc => credentials::Builder::default().build().map(|c| (c, None)).map_err(|e| {
            CloudError::Credentials { of: "Google Cloud credentials",
                detail: e.to_string(),
                hint: String::from(
                    "Run `gcloud auth application-default login`, or store a service account key in the keyring.",
                ),
            }
        }),
        GcpCredentialSource::Keyring(profile) => {
            let store = keyring.ok_or_else(|| CloudError::KeyringUnavailable {
                reason: String::from("a stored service account key needs the OS keyring"),
            })?;
            let profile = profile.clone();
            let key = tokio::task::spawn_blocking(move || ServiceAccountKey::load(&store, &profile))
                .await
                .map_err(|e| CloudError::KeyringUnavailable { reason: e.to_string() })??;
            let email = key.client_email.clone();
            let value: Value = serde_json::from_str(key.json.expose()).map_err(|_| CloudError::Credentials { of: "Google Cloud credentials",
                detail: String::from("the stored key is not JSON"),
                hint: String::from("Store the key again."),
            })?;
            let creds = credentials::service_account::Builder::new(value).build().map_err(|e| {
                CloudError::Credentials { of: "Google Cloud credentials", detail: e.to_string(), hint: String::from("Store the key again.") }
            })?;
            Ok((creds, Some(email)))
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keys_are_checked_without_echoing_them() {
        let err = ServiceAccountKey::parse(Sensitive::new("{\"private_key\":\"SECRET\"}".into()))
            .err()
            .expect("bad");
        assert_eq!(err.to_string(), "service_account_key: the key's \"type\" is not \"service_account\"");
        assert!(!err.hint().contains("SECRET"));
        let key = ServiceAccountKey::parse(Sensitive::new(
            include_str!("../../../../testdata/keys/fake-service-account.json").into(),
        ))
        .expect("valid");
        assert_eq!(key.client_email, "etl@p-1.iam.gserviceaccount.com");
    }
}
