//! Which Google credentials to use, and where the APIs are.

use std::sync::Arc;

use google_cloud_auth::credentials::{self, Credentials};
use serde::{Deserialize, Serialize};
use serde_json::Value;

use astro_identity_domain::secret_key::{ProfileName, Provider, SecretKey};
use astro_identity_domain::{DomainError, Sensitive};

use astro_identity_domain::credentials::parse_adc;

use crate::gcp_adc::adc_location;
use crate::{CloudError, HostEnv, SecretStore};

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
        let client_email = key_problem(json.expose()).map_err(|problem| {
            CloudError::from(DomainError::invalid(
                "service_account_key",
                problem,
                "Paste the whole JSON key file downloaded from IAM → Service accounts → Keys.",
            ))
        })?;
        Ok(Self { json, client_email })
    }

    /// The library's credentials for this key: self-signed JWTs, as Google's own clients make.
    fn build(&self, identity: &GcpIdentity) -> Result<Credentials, CloudError> {
        let value: Value = serde_json::from_str(self.json.expose())
            .map_err(|_| refused(format!("{} is not JSON", identity.credential), identity.fix.clone()))?;
        credentials::service_account::Builder::new(value).build().map_err(|e| {
            refused(format!("{} cannot be used: {e}", identity.credential), identity.fix.clone())
        })
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

/// What is wrong with a service account key file, in words that never quote it; else its
/// `client_email`.
fn key_problem(text: &str) -> Result<String, &'static str> {
    let value: Value = serde_json::from_str(text).map_err(|_| "not a JSON key file")?;
    if value.get("type").and_then(Value::as_str) != Some("service_account") {
        return Err("the key's \"type\" is not \"service_account\"");
    }
    let pem = value.get("private_key").and_then(Value::as_str).unwrap_or_default();
    if pem.is_empty() {
        return Err("the key has no \"private_key\"");
    }
    // Google issues PKCS#8 keys; anything else fails later, at the first call, less clearly.
    if !(pem.trim_start().starts_with("-----BEGIN PRIVATE KEY-----")
        && pem.contains("-----END PRIVATE KEY-----"))
    {
        return Err("the key's \"private_key\" is not a PEM private key (it was cut short or edited)");
    }
    match value.get("client_email").and_then(Value::as_str) {
        Some(email) if !email.is_empty() => Ok(email.to_owned()),
        _ => Err("the key has no \"client_email\""),
    }
}

/// Who the app acts as on Google Cloud, in words, and what to do when Google refuses it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct GcpIdentity {
    /// The credential as people know it: `the service account key of etl@… (kept in the
    /// keyring as "prod")`.
    pub credential: String,
    /// The account Google sees, when that is knowable before any call.
    pub principal: Option<String>,
    /// The fix when Google refuses the credential (expired, revoked, deleted).
    pub fix: String,
}

const SIGN_IN: &str = "gcloud auth application-default login";

/// The ADC file types the Google auth library can use.
const ADC_KINDS: &[&str] = &[
    "authorized_user",
    "service_account",
    "impersonated_service_account",
    "external_account",
    "external_account_authorized_user",
];

fn refused(detail: String, hint: impl Into<String>) -> CloudError {
    CloudError::Credentials { of: "Google Cloud credentials", detail, hint: hint.into() }
}

/// Builds credentials for `target` through google-cloud-auth; who they act as.
pub async fn credentials(
    target: &GcpTarget,
    keyring: Option<Arc<SecretStore>>,
) -> Result<(Credentials, GcpIdentity), CloudError> {
    match &target.source {
        GcpCredentialSource::Anonymous => Ok((
            credentials::anonymous::Builder::new().build(),
            GcpIdentity {
                credential: String::from("no credentials (anonymous calls)"),
                principal: None,
                fix: format!(
                    "Anonymous calls only work against emulators: use Application Default Credentials (`{SIGN_IN}`) or a stored key."
                ),
            },
        )),
        GcpCredentialSource::Adc => {
            let host = HostEnv::from_process();
            let (path, from_env) = adc_location(&host);
            let shown = host.display_path(&path);
            let text = match tokio::fs::read_to_string(&path).await {
                Ok(text) => Sensitive::new(text),
                Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
                    return Err(if from_env {
                        refused(
                            format!("GOOGLE_APPLICATION_CREDENTIALS names {shown}, which does not exist"),
                            format!(
                                "Point GOOGLE_APPLICATION_CREDENTIALS at your key file, or unset it and run `{SIGN_IN}`."
                            ),
                        )
                    } else {
                        refused(
                            format!("no Application Default Credentials at {shown}"),
                            format!("Run `{SIGN_IN}`, or store a service account key in the keyring."),
                        )
                    });
                }
                Err(e) => {
                    return Err(refused(
                        format!("cannot read {shown}: {e}"),
                        "Check the file's permissions.",
                    ));
                }
            };
            let (creds, identity) = adc_credentials(&text, &shown, from_env)?;
            sign_in(&creds, &identity).await?;
            Ok((creds, identity))
        }
        GcpCredentialSource::Keyring(profile) => {
            let store = keyring.ok_or_else(|| CloudError::KeyringUnavailable {
                reason: String::from("a stored service account key needs the OS keyring"),
            })?;
            let name = profile.clone();
            let key = tokio::task::spawn_blocking(move || ServiceAccountKey::load(&store, &name))
                .await
                .map_err(|e| CloudError::KeyringUnavailable { reason: e.to_string() })??;
            let identity = GcpIdentity {
                credential: format!(
                    "the service account key of {} (kept in the keyring as \"{profile}\")",
                    key.client_email
                ),
                principal: Some(key.client_email.clone()),
                fix: format!(
                    "If the key or its service account was deleted, create a new key (IAM → Service accounts → Keys) and store it again, or use Application Default Credentials (`{SIGN_IN}`)."
                ),
            };
            let creds = key.build(&identity)?;
            sign_in(&creds, &identity).await?;
            Ok((creds, identity))
        }
    }
}

/// Gets the first token now, so an expired or revoked sign-in or a broken key fails here,
/// named, before any read; the clients then use the cached token.
async fn sign_in(creds: &Credentials, identity: &GcpIdentity) -> Result<(), CloudError> {
    match creds.headers(http::Extensions::new()).await {
        Ok(_) => Ok(()),
        // The sign-in service did not answer: an outage or the network, not the credential.
        Err(e) if e.is_transient() => Err(CloudError::Unreachable {
            endpoint: String::from("Google's sign-in service"),
            detail: format!("{} could not get a token: {}", identity.credential, root_cause(&e)),
        }),
        Err(e) => Err(refused(
            format!("{} could not sign in: {}", identity.credential, sign_in_reason(&e)),
            identity.fix.clone(),
        )),
    }
}

/// Why Google's token endpoint refused, as it said it (`error_description` of an OAuth error
/// body, e.g. "Token has been expired or revoked."), else the innermost error. The library's
/// own wording around it ("Subsequent calls with this credential will also fail …") is noise.
fn sign_in_reason(err: &dyn std::error::Error) -> String {
    let chain = crate::error::source_chain(err);
    let described = chain.split_once("\"error_description\":\"").and_then(|(_, rest)| rest.split_once('"'));
    match described {
        Some((description, _)) => description.to_owned(),
        None => root_cause(err),
    }
}

/// The innermost reason: the auth library wraps a network failure in several sentences.
fn root_cause(err: &dyn std::error::Error) -> String {
    let mut cause = err;
    while let Some(next) = cause.source() {
        cause = next;
    }
    cause.to_string()
}

/// Credentials from the text of an ADC file at `shown`, checked before anything is sent.
fn adc_credentials(
    text: &Sensitive<String>,
    shown: &str,
    from_env: bool,
) -> Result<(Credentials, GcpIdentity), CloudError> {
    let facts = parse_adc(text.expose()).map_err(|reason| {
        refused(
            format!("the Application Default Credentials file {shown} is not usable: {reason}"),
            format!(
                "Run `{SIGN_IN}` to write it again, or point GOOGLE_APPLICATION_CREDENTIALS at a key file."
            ),
        )
    })?;
    if !ADC_KINDS.contains(&facts.kind.as_str()) {
        return Err(refused(
            format!(
                "the Application Default Credentials file {shown} has type \"{}\", which Google's libraries cannot use",
                facts.kind
            ),
            format!("Use a file of type {}: run `{SIGN_IN}` to write one.", ADC_KINDS.join(", ")),
        ));
    }
    let fix = if from_env {
        format!(
            "Point GOOGLE_APPLICATION_CREDENTIALS at a working key (for a deleted key or service account, create a new key), or unset it and run `{SIGN_IN}`."
        )
    } else {
        format!("Run `{SIGN_IN}` to sign in again.")
    };
    if facts.kind == "service_account" {
        let key = ServiceAccountKey::parse(Sensitive::new(text.expose().clone())).map_err(|_| {
            let problem = key_problem(text.expose()).err().unwrap_or("it is not a service account key");
            refused(format!("the key file {shown} is not usable: {problem}"), fix.clone())
        })?;
        let named = if from_env { ", named by GOOGLE_APPLICATION_CREDENTIALS" } else { "" };
        let identity = GcpIdentity {
            credential: format!("the service account key of {} ({shown}{named})", key.client_email),
            principal: Some(key.client_email.clone()),
            fix,
        };
        return Ok((key.build(&identity)?, identity));
    }
    let who = facts.principal.clone().unwrap_or_else(|| String::from("your gcloud user"));
    let identity = GcpIdentity {
        credential: format!("the Application Default Credentials of {who} ({shown})"),
        principal: facts.principal,
        fix,
    };
    let value: Value = serde_json::from_str(text.expose())
        .map_err(|_| refused(format!("{shown} is not JSON"), identity.fix.clone()))?;
    let built = match facts.kind.as_str() {
        "authorized_user" => credentials::user_account::Builder::new(value).build(),
        "impersonated_service_account" => credentials::impersonated::Builder::new(value).build(),
        "external_account" => credentials::external_account::Builder::new(value).build(),
        _ => credentials::external_account_authorized_user::Builder::new(value).build(),
    };
    let creds = built
        .map_err(|e| refused(format!("{} cannot be used: {e}", identity.credential), identity.fix.clone()))?;
    Ok((creds, identity))
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
            include_str!("../../../../testdata/keys/test-only-sa-etl.json").into(),
        ))
        .expect("valid");
        assert_eq!(key.client_email, "etl@astro-data.iam.gserviceaccount.com");
    }
}
