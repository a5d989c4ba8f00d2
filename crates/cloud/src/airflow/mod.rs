//! Airflow connections created for the user, and the provider package they need.
//!
//! Two stores hold connections: an Airflow's own REST API ([`rest_api::AirflowApi`], a
//! local Airflow or an Astro Deployment's Airflow) and Astro's Environment Manager
//! ([`astro_api::AstroApi`]). Both implement [`ConnectionStore`], so one change kind —
//! [`connection_change`]: plan, apply, verify, journal, undo — serves both.
//! [`requirements_file`] checks and edits the project's `requirements.txt`.
//!
//! Servers hide secret values when a connection is read: Airflow answers `"***"` for every
//! value under a key it treats as sensitive ([`is_sensitive_key`]), Astro leaves secret
//! values out and lists them in `setFields`. Such values can be neither compared nor
//! restored, so they are never written to the journal and an entry that would need them
//! says its undo is unavailable.

pub mod astro_api;
pub mod connection_change;
pub mod requirements_file;
pub mod rest_api;

use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};

use astro_identity_domain::airflow::ConnectionSpec;

use crate::CloudError;

pub use astro_api::AstroApi;
pub use connection_change::{
    ConnectionAction, ConnectionOutcome, ConnectionPlan, apply_connection, plan_connection, undo_connection,
};
pub use requirements_file::{
    AddOutcome, FoundRequirement, ProviderCheck, RemoveOutcome, add_provider, check_project,
    check_project_for, undo_add_provider,
};
pub use rest_api::{AirflowApi, AirflowApiVersion};

/// What Airflow writes in place of a hidden value.
pub const MASK: &str = "***";

/// The parts of a key name that make Airflow hide its value: `DEFAULT_SENSITIVE_FIELDS` of
/// Airflow 3.3.2's secrets masker (a superset of Airflow 2's), matched as substrings of the
/// key lower-cased with every run of non-word characters turned into `_`. So Airflow answers
/// `"***"` for `aws_access_key_id` (`access_key`) and for
/// `assume_role_with_web_identity_token_file` (`token`). An admin can add more names
/// (`[core] sensitive_var_conn_names`); those show up as `"***"` too and are handled the same.
pub const SENSITIVE_KEY_PARTS: [&str; 22] = [
    "access_key",
    "access_token",
    "api_key",
    "apikey",
    "auth_header",
    "authorization",
    "bearer",
    "connection_string",
    "dsn",
    "passphrase",
    "passwd",
    "password",
    "private_key",
    "proxy",
    "proxy_password",
    "proxies",
    "secret",
    "service_account",
    "service_key",
    "token",
    "keyfile_dict",
    "webhook_url",
];

/// Whether Airflow hides the value under `key` (and everything nested in it).
pub fn is_sensitive_key(key: &str) -> bool {
    let mut normalized = String::with_capacity(key.len());
    for c in key.trim().to_lowercase().chars() {
        if c.is_alphanumeric() || c == '_' {
            normalized.push(c);
        } else if !normalized.ends_with('_') {
            normalized.push('_');
        }
    }
    SENSITIVE_KEY_PARTS.iter().any(|part| normalized.contains(part))
}

/// The domain's connection id rules, plus: not only dots (`.` is no URL path segment).
pub(crate) fn check_conn_id(conn_id: &str) -> Result<(), CloudError> {
    astro_identity_domain::airflow::validate_conn_id(conn_id)?;
    if conn_id.chars().all(|c| c == '.') {
        return Err(astro_identity_domain::DomainError::invalid(
            "conn_id",
            "the connection id is only a dot",
            "Use letters, digits, '_', '.' or '-', e.g. aws_default.",
        )
        .into());
    }
    Ok(())
}

/// A connection as a store returned it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "specta", derive(specta::Type))]
#[serde(rename_all = "camelCase")]
pub struct RemoteConnection {
    pub conn_id: String,
    pub conn_type: String,
    /// The Extra field as a JSON string (Airflow holds it as text; Astro's object is
    /// written compactly). `None` when the connection has none.
    pub extra: Option<String>,
    /// Extra keys, as dotted paths, whose values the store did not show: the `"***"` ones
    /// on Airflow, the secret ones Astro leaves out.
    #[serde(default)]
    pub hidden: Vec<String>,
    /// The store's own id for the connection when it differs from `conn_id` (Astro's
    /// environment object id).
    #[serde(default)]
    pub remote_id: Option<String>,
}

impl RemoteConnection {
    /// The Extra as JSON: `{}` when absent or blank, the raw text as a JSON string when it
    /// is not JSON (Airflow accepts any text there).
    pub fn extra_value(&self) -> Value {
        parse_extra(self.extra.as_deref())
    }
}

pub(crate) fn parse_extra(extra: Option<&str>) -> Value {
    match extra.map(str::trim) {
        None | Some("") => Value::Object(Map::new()),
        Some(text) => serde_json::from_str(text).unwrap_or_else(|_| Value::String(text.to_owned())),
    }
}

/// Dotted paths of every string equal to [`MASK`] in `value`.
pub(crate) fn masked_paths(value: &Value) -> Vec<String> {
    fn walk(value: &Value, path: &str, out: &mut Vec<String>) {
        match value {
            Value::String(s) if s == MASK => out.push(path.to_owned()),
            Value::Object(map) => {
                for (key, item) in map {
                    walk(item, &join(path, key), out);
                }
            }
            Value::Array(items) => {
                for (index, item) in items.iter().enumerate() {
                    walk(item, &join(path, &index.to_string()), out);
                }
            }
            _ => {}
        }
    }
    let mut out = Vec::new();
    walk(value, "", &mut out);
    out
}

fn join(path: &str, key: &str) -> String {
    if path.is_empty() { key.to_owned() } else { format!("{path}.{key}") }
}

/// Whether any object key in `value`, at any depth, is one Airflow treats as sensitive.
pub(crate) fn has_sensitive_key(value: &Value) -> bool {
    match value {
        Value::Object(map) => map.iter().any(|(key, item)| is_sensitive_key(key) || has_sensitive_key(item)),
        Value::Array(items) => items.iter().any(has_sensitive_key),
        _ => false,
    }
}

/// `value` without the entries under sensitive keys, at any depth.
pub(crate) fn scrub(value: &Value) -> Value {
    match value {
        Value::Object(map) => Value::Object(
            map.iter()
                .filter(|(key, _)| !is_sensitive_key(key))
                .map(|(k, v)| (k.clone(), scrub(v)))
                .collect(),
        ),
        Value::Array(items) => Value::Array(items.iter().map(scrub).collect()),
        other => other.clone(),
    }
}

pub(crate) fn path_exists(value: &Value, path: &str) -> bool {
    let mut current = value;
    for part in path.split('.') {
        match current.get(part) {
            Some(next) => current = next,
            None => return false,
        }
    }
    true
}

/// Whether a stored Extra (`remote`, with `hidden` paths) can be what `expected` wrote:
/// equal everywhere the store shows a value; a `"***"` matches anything; a key left out
/// matches only when it is listed as hidden; and every hidden value sits under a key
/// `expected` has (else the store holds something `expected` does not).
pub(crate) fn extra_matches(remote: &Value, hidden: &[String], expected: &Value) -> bool {
    fn walk(remote: &Value, expected: &Value, path: &str, hidden: &[String]) -> bool {
        if remote.as_str() == Some(MASK) {
            return true;
        }
        match (remote, expected) {
            (Value::Object(have), Value::Object(want)) => {
                let missing_ok = |key: &str| hidden.iter().any(|h| h == &join(path, key));
                have.iter().all(|(key, value)| {
                    want.get(key).is_some_and(|wanted| walk(value, wanted, &join(path, key), hidden))
                }) && want.keys().all(|key| have.contains_key(key) || missing_ok(key))
            }
            _ => remote == expected,
        }
    }
    walk(remote, expected, "", hidden) && hidden.iter().all(|path| path_exists(expected, path))
}

/// A connection store: an Airflow REST API or Astro's Environment Manager.
#[allow(async_fn_in_trait)] // used generically, never as `dyn`
pub trait ConnectionStore {
    /// The journal's `cloud` for changes made here: `airflow` or `astro`.
    fn cloud(&self) -> &'static str;
    /// The journal's `account`: exactly which Airflow or Astro scope this store writes to.
    fn account(&self) -> String;
    /// Where, for people: "the Airflow at http://…", "Astro Deployment …".
    fn describe(&self) -> String;
    /// The address of one connection (the journal's `resource_arn`).
    fn address(&self, conn_id: &str, remote: Option<&RemoteConnection>) -> String;
    /// The connection, or `None` when there is none with that id.
    async fn get_connection(&self, conn_id: &str) -> Result<Option<RemoteConnection>, CloudError>;
    /// Creates the connection `spec` describes. An existing one is `AlreadyExists`.
    async fn create_connection(&self, spec: &ConnectionSpec) -> Result<(), CloudError>;
    /// Sets `existing`'s type and Extra, keeping its host, login, password and the rest.
    async fn replace_connection(
        &self,
        existing: &RemoteConnection,
        conn_type: &str,
        extra: &Map<String, Value>,
    ) -> Result<(), CloudError>;
    async fn delete_connection(&self, existing: &RemoteConnection) -> Result<(), CloudError>;
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    #[test]
    fn sensitive_keys_match_airflow_substrings() {
        for key in ["password", "AWS_SECRET_ACCESS_KEY", "assume_role_with_web_identity_token_file", "ApiKey"]
        {
            assert!(is_sensitive_key(key), "{key}");
        }
        for key in ["role_arn", "region_name", "project", "impersonation_chain", "assume_role_kwargs"] {
            assert!(!is_sensitive_key(key), "{key}");
        }
    }

    #[test]
    fn masks_and_hidden_keys_match_only_what_they_can_hide() {
        let expected = json!({"role_arn": "r", "token_file": "/x", "kw": {"ExternalId": "e"}});
        let airflow = json!({"role_arn": "r", "token_file": "***", "kw": {"ExternalId": "e"}});
        assert!(extra_matches(&airflow, &masked_paths(&airflow), &expected));
        assert_eq!(masked_paths(&airflow), ["token_file"]);
        let other = json!({"role_arn": "r2", "token_file": "***", "kw": {"ExternalId": "e"}});
        assert!(!extra_matches(&other, &[], &expected));
        // A hidden secret the expected Extra does not have: the store holds more.
        let astro = json!({"role_arn": "r", "kw": {"ExternalId": "e"}});
        assert!(!extra_matches(
            &astro,
            &["aws_secret".into()],
            &json!({"role_arn": "r", "kw": {"ExternalId": "e"}})
        ));
        assert!(extra_matches(&astro, &["token_file".into()], &expected));
        assert!(!extra_matches(&astro, &[], &expected));
        assert!(!extra_matches(&json!({"a": 1, "b": 2}), &[], &json!({"a": 1})));
    }

    #[test]
    fn scrub_drops_sensitive_keys_at_any_depth() {
        let value = json!({"role_arn": "r", "config_kwargs": {"token": "t", "n": 1}, "Password": "p"});
        assert_eq!(scrub(&value), json!({"role_arn": "r", "config_kwargs": {"n": 1}}));
        assert!(has_sensitive_key(&value));
        assert!(!has_sensitive_key(&scrub(&value)));
        assert_eq!(parse_extra(None), json!({}));
        assert_eq!(parse_extra(Some("  ")), json!({}));
        assert_eq!(parse_extra(Some("not json")), json!("not json"));
    }
}
