//! The GCP fake's authentication, as Google checks it: every API call must carry a bearer
//! token the fake's own OAuth token endpoint issued (user credentials, refreshed from a
//! refresh token), or a self-signed JWT (service account keys) that verifies against a
//! registered key's public key, with `iss` = `sub` = the key's `client_email`, a future `exp`,
//! and the API as `aud` or the cloud-platform scope. Anything else is `401 UNAUTHENTICATED`,
//! the status and message Google sends.

use std::collections::{HashMap, HashSet};
use std::time::{SystemTime, UNIX_EPOCH};

use base64::Engine;
use base64::engine::general_purpose::{STANDARD, URL_SAFE_NO_PAD};
use ring::signature::{KeyPair, RSA_PKCS1_2048_8192_SHA256, RsaKeyPair, UnparsedPublicKey};
use serde_json::{Value, json};

use crate::Error;

pub const UNAUTHENTICATED: &str = "Request had invalid authentication credentials. Expected OAuth 2 access token, login cookie or other valid authentication credential. See https://developers.google.com/identity/sign-in/web/devconsole-project.";

const CLOUD_PLATFORM: &str = "https://www.googleapis.com/auth/cloud-platform";
/// The audiences a self-signed JWT may name for the APIs the fake serves.
const AUDIENCES: &[&str] = &["https://cloudresourcemanager.googleapis.com/", "https://iam.googleapis.com/"];

struct RegisteredKey {
    email: String,
    /// PKCS#1 `RSAPublicKey`, DER.
    public_key: Vec<u8>,
}

#[derive(Default)]
pub struct Auth {
    /// Off until a test asks for it, so the anonymous tests keep working.
    pub required: bool,
    keys: HashMap<String, RegisteredKey>,
    deleted_accounts: HashSet<String>,
    /// refresh token → (account, revoked).
    users: HashMap<String, (String, bool)>,
    /// access token → account.
    issued: HashMap<String, String>,
    /// Who each accepted API call came from, in order.
    pub callers: Vec<String>,
}

impl Auth {
    /// Registers a service account key (Google's JSON key file): its JWTs are accepted.
    pub fn register_key(&mut self, key_json: &str) -> Result<String, Error> {
        let key: Value = serde_json::from_str(key_json)?;
        let field = |name: &str| key[name].as_str().map(str::to_owned).ok_or(format!("key has no {name}"));
        let email = field("client_email")?;
        let pem = field("private_key")?;
        let body: String = pem.lines().filter(|l| !l.starts_with("-----")).collect();
        let der = STANDARD.decode(body)?;
        let pair = RsaKeyPair::from_pkcs8(&der).map_err(|e| format!("not a PKCS#8 RSA key: {e}"))?;
        let public_key = pair.public_key().as_ref().to_vec();
        self.keys.insert(field("private_key_id")?, RegisteredKey { email: email.clone(), public_key });
        Ok(email)
    }

    /// The service account is gone: its keys stop working, as after `gcloud iam service-accounts delete`.
    pub fn delete_account(&mut self, email: &str) {
        self.deleted_accounts.insert(email.to_owned());
    }

    pub fn add_user(&mut self, refresh_token: &str, account: &str) {
        self.users.insert(refresh_token.to_owned(), (account.to_owned(), false));
    }

    /// The refresh token stops working (`gcloud auth application-default revoke`, or expiry).
    pub fn revoke(&mut self, refresh_token: &str) {
        if let Some(user) = self.users.get_mut(refresh_token) {
            user.1 = true;
        }
    }

    /// `POST /token` with a refresh-token grant (JSON, as google-cloud-auth sends it).
    pub fn token(&mut self, body: &Value) -> (u16, Value) {
        let invalid =
            |description: &str| (400, json!({"error": "invalid_grant", "error_description": description}));
        if body["grant_type"] != "refresh_token" || body["client_id"].as_str().is_none_or(str::is_empty) {
            return (
                400,
                json!({"error": "invalid_request", "error_description": "Missing grant or client"}),
            );
        }
        let refresh = body["refresh_token"].as_str().unwrap_or_default();
        let account = match self.users.get(refresh) {
            Some((account, false)) => account.clone(),
            Some((_, true)) => return invalid("Token has been expired or revoked."),
            None => return invalid("Bad Request"),
        };
        let token = format!("ya29.fake-{}", self.issued.len() + 1);
        self.issued.insert(token.clone(), account);
        (
            200,
            json!({"access_token": token, "expires_in": 3599, "token_type": "Bearer", "scope": CLOUD_PLATFORM}),
        )
    }

    /// Who an API call comes from, or why it is refused (the refusal is the 401 answer).
    pub fn caller(&mut self, authorization: Option<&str>) -> Result<String, (u16, Value)> {
        let refused = || {
            (401, json!({"error": {"code": 401, "message": UNAUTHENTICATED, "status": "UNAUTHENTICATED"}}))
        };
        let token = authorization.and_then(|a| a.strip_prefix("Bearer ")).ok_or_else(refused)?;
        let caller = match self.issued.get(token) {
            Some(account) => Some(account.clone()),
            None => self.verify_jwt(token),
        };
        let caller = caller.ok_or_else(refused)?;
        self.callers.push(caller.clone());
        Ok(caller)
    }

    fn verify_jwt(&self, token: &str) -> Option<String> {
        let mut parts = token.split('.');
        let (header, claims, signature) = (parts.next()?, parts.next()?, parts.next()?);
        let decode = |part: &str| -> Option<Value> {
            serde_json::from_slice(&URL_SAFE_NO_PAD.decode(part).ok()?).ok()
        };
        let (header_json, claims_json) = (decode(header)?, decode(claims)?);
        if header_json["alg"] != "RS256" {
            return None;
        }
        let key = self.keys.get(header_json["kid"].as_str()?)?;
        if self.deleted_accounts.contains(&key.email) {
            return None;
        }
        let signed = format!("{header}.{claims}");
        let signature = URL_SAFE_NO_PAD.decode(signature).ok()?;
        UnparsedPublicKey::new(&RSA_PKCS1_2048_8192_SHA256, &key.public_key)
            .verify(signed.as_bytes(), &signature)
            .ok()?;
        let now = SystemTime::now().duration_since(UNIX_EPOCH).ok()?.as_secs() as i64;
        let issued_by_key =
            claims_json["iss"] == key.email.as_str() && claims_json["sub"] == key.email.as_str();
        let in_time = claims_json["exp"].as_i64()? > now && claims_json["iat"].as_i64()? <= now + 60;
        let audience = claims_json["aud"].as_str().is_some_and(|aud| AUDIENCES.contains(&aud));
        let scoped = claims_json["scope"].as_str().is_some_and(|s| s.split(' ').any(|s| s == CLOUD_PLATFORM));
        (issued_by_key && in_time && (audience || scoped)).then(|| key.email.clone())
    }
}

/// An ADC file as `gcloud auth application-default login` writes it for `account`, refreshing
/// at `token_uri` (the fake's `/token`).
pub fn gcloud_user_adc(token_uri: &str, refresh_token: &str, account: &str) -> Value {
    json!({
        "account": account,
        "client_id": "764086051850-test.apps.googleusercontent.com",
        "client_secret": "d-FL95Q19q7MQmFpd7hHD0Ty",
        "quota_project_id": "astro-data",
        "refresh_token": refresh_token,
        "type": "authorized_user",
        "token_uri": token_uri,
        "universe_domain": "googleapis.com"
    })
}
