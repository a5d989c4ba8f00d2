//! The Airflow REST API with a bearer token: on Astro, an Astro API token with access to
//! the Deployment; on a local Airflow 3, a JWT from `POST /auth/token`.
//!
//! Airflow 3 serves `/api/v2`, Airflow 2 `/api/v1`; which one is found once, by
//! `GET /api/v2/version`, then `GET /api/v1/version`. Connections (same shape on both):
//! - `GET {api}/connections/{id}` → `{connection_id, conn_type, host, login, schema, port,
//!   password, extra, …}`, `extra` a JSON *string* whose sensitive values read `"***"`;
//!   404 when there is none.
//! - `POST {api}/connections` with `{connection_id, conn_type, extra}` (the domain's REST
//!   format); 409 when the id is taken.
//! - `PATCH {api}/connections/{id}?update_mask=conn_type&update_mask=extra` changes only those
//!   two fields: host, login and password stay (checked on Airflow 3.3.2).
//! - `DELETE {api}/connections/{id}` → 204.
//!
//! Seen on Airflow 3.3.2: no token → 401 "Not authenticated", an expired one → 401 "Token
//! Expired", a malformed or foreign one → **403** "Invalid JWT token", a user lacking the
//! permission → 403 "Forbidden". Errors carry `detail` (a string, or a list of validation
//! errors, or an object).

use reqwest::{Method, Url};
use serde::{Deserialize, Serialize};
use serde_json::{Map, Value, json};
use tokio::sync::OnceCell;

use astro_identity_domain::Sensitive;
use astro_identity_domain::airflow::{ConnectionFormat, ConnectionSpec, render};

use crate::CloudError;
use crate::airflow::{ConnectionStore, RemoteConnection, check_conn_id, masked_paths, parse_extra};
use crate::http::{Answer, Bearer, base_string, parse_base_url, redirect_error, url_with};

/// Which REST API the Airflow serves.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "specta", derive(specta::Type))]
#[serde(rename_all = "camelCase")]
pub enum AirflowApiVersion {
    /// Airflow 2: `/api/v1`.
    V1,
    /// Airflow 3: `/api/v2`.
    V2,
}

impl AirflowApiVersion {
    pub fn prefix(self) -> [&'static str; 2] {
        match self {
            Self::V1 => ["api", "v1"],
            Self::V2 => ["api", "v2"],
        }
    }
}

const TOKEN_HINT: &str = "The token is wrong or has expired. On Astro, create an API token that can \
    access the Deployment (Deployment > Access > API Tokens, or a Workspace or Organization \
    token). For a local Airflow 3, get a new one with POST /auth/token and the user's name and \
    password; it lasts a day by default.";

/// One Airflow's REST API.
#[derive(Debug)]
pub struct AirflowApi {
    base: Url,
    http: Bearer,
    version: OnceCell<AirflowApiVersion>,
}

impl AirflowApi {
    /// `base_url` is the Airflow's address (the API server or webserver, e.g.
    /// `http://localhost:8080`, or an Astro Deployment's Airflow URL). Nothing is sent yet.
    pub fn new(base_url: &str, token: Sensitive<String>) -> Result<Self, CloudError> {
        Ok(Self {
            base: parse_base_url(base_url, "Airflow URL")?,
            http: Bearer::new(token)?,
            version: OnceCell::new(),
        })
    }

    /// The base URL as given, without a trailing `/`.
    pub fn base_url(&self) -> String {
        base_string(&self.base)
    }

    /// Finds (once) which REST API the Airflow serves.
    pub async fn api_version(&self) -> Result<AirflowApiVersion, CloudError> {
        self.version.get_or_try_init(|| self.detect()).await.copied()
    }

    async fn detect(&self) -> Result<AirflowApiVersion, CloudError> {
        let mut statuses = Vec::new();
        for version in [AirflowApiVersion::V2, AirflowApiVersion::V1] {
            let [api, v] = version.prefix();
            let answer =
                self.http.send(Method::GET, url_with(&self.base, &[api, v, "version"]), None).await?;
            match answer.status {
                200 if answer.json().get("version").is_some() => return Ok(version),
                401 | 403 | 300..=399 => return Err(self.error(&answer, "read the version of", None)),
                status => statuses.push(format!("/{api}/{v}/version answered HTTP {status}")),
            }
        }
        Err(CloudError::Cloud {
            action: format!("find the Airflow REST API at {}", self.base_url()),
            code: String::from("no_api"),
            message: format!(
                "{}; check that the URL is the Airflow web or API server's address",
                statuses.join(", ")
            ),
        })
    }

    async fn connection_url(&self, conn_id: Option<&str>) -> Result<Url, CloudError> {
        let [api, v] = self.api_version().await?.prefix();
        Ok(match conn_id {
            Some(id) => url_with(&self.base, &[api, v, "connections", id]),
            None => url_with(&self.base, &[api, v, "connections"]),
        })
    }

    /// The connection, or `None` when Airflow has none with that id.
    pub async fn get_connection(&self, conn_id: &str) -> Result<Option<RemoteConnection>, CloudError> {
        check_conn_id(conn_id)?;
        let url = self.connection_url(Some(conn_id)).await?;
        let answer = self.http.send(Method::GET, url, None).await?;
        match answer.status {
            200 => self.parse_connection(conn_id, &answer).map(Some),
            404 => Ok(None),
            _ => Err(self.error(&answer, "read", Some(conn_id))),
        }
    }

    fn parse_connection(&self, conn_id: &str, answer: &Answer) -> Result<RemoteConnection, CloudError> {
        let value = answer.json();
        let conn_type = value.get("conn_type").and_then(Value::as_str);
        let (Some(conn_type), Some(id)) = (conn_type, value.get("connection_id").and_then(Value::as_str))
        else {
            return Err(CloudError::Cloud {
                action: format!("read connection {conn_id} from the Airflow at {}", self.base_url()),
                code: String::from("unexpected_answer"),
                message: String::from("the answer has no connection_id or conn_type"),
            });
        };
        let extra = value.get("extra").and_then(Value::as_str).map(str::to_owned);
        let hidden = masked_paths(&parse_extra(extra.as_deref()));
        Ok(RemoteConnection {
            conn_id: id.to_owned(),
            conn_type: conn_type.to_owned(),
            extra,
            hidden,
            remote_id: None,
        })
    }

    /// `POST {api}/connections` with the domain's REST body.
    pub async fn create_connection(&self, spec: &ConnectionSpec) -> Result<(), CloudError> {
        let body: Value =
            serde_json::from_str(&render(spec, ConnectionFormat::Rest)).map_err(|e| CloudError::Cloud {
                action: String::from("render the connection"),
                code: String::from("json"),
                message: e.to_string(),
            })?;
        let url = self.connection_url(None).await?;
        let answer = self.http.send(Method::POST, url, Some(&body)).await?;
        if answer.ok() { Ok(()) } else { Err(self.error(&answer, "create", Some(spec.conn_id()))) }
    }

    /// Sets only the type and the Extra: host, login, password and the rest are kept.
    pub async fn replace_connection(
        &self,
        conn_id: &str,
        conn_type: &str,
        extra: &Map<String, Value>,
    ) -> Result<(), CloudError> {
        check_conn_id(conn_id)?;
        let mut url = self.connection_url(Some(conn_id)).await?;
        url.query_pairs_mut().append_pair("update_mask", "conn_type").append_pair("update_mask", "extra");
        let body = json!({
            "connection_id": conn_id,
            "conn_type": conn_type,
            "extra": Value::Object(extra.clone()).to_string(),
        });
        let answer = self.http.send(Method::PATCH, url, Some(&body)).await?;
        if answer.ok() { Ok(()) } else { Err(self.error(&answer, "replace", Some(conn_id))) }
    }

    pub async fn delete_connection(&self, conn_id: &str) -> Result<(), CloudError> {
        check_conn_id(conn_id)?;
        let url = self.connection_url(Some(conn_id)).await?;
        let answer = self.http.send(Method::DELETE, url, None).await?;
        if answer.ok() { Ok(()) } else { Err(self.error(&answer, "delete", Some(conn_id))) }
    }

    /// Maps an error answer; `action` is a verb ("create") and the message names the
    /// connection and the Airflow.
    fn error(&self, answer: &Answer, action: &str, conn_id: Option<&str>) -> CloudError {
        let base = self.base_url();
        let detail = self.http.scrub(&airflow_detail(&answer.json(), &answer.body));
        let resource = match conn_id {
            Some(id) => format!("connection {id} in the Airflow at {base}"),
            None => format!("the Airflow at {base}"),
        };
        let token_refused = answer.status == 401
            || (answer.status == 403 && {
                let lower = detail.to_lowercase();
                lower.contains("jwt") || lower.contains("token")
            });
        match answer.status {
            _ if token_refused => CloudError::Credentials {
                of: "Airflow API token",
                detail: format!(
                    "the Airflow at {base} refused the API token (HTTP {}: {detail})",
                    answer.status
                ),
                hint: TOKEN_HINT.to_owned(),
            },
            300..=399 => redirect_error(answer, format!("{action} {resource}")),
            403 => CloudError::AccessDenied { action: action.to_owned(), resource, detail },
            404 => CloudError::NotFound { what: resource },
            409 => CloudError::AlreadyExists { what: resource },
            status => CloudError::Cloud {
                action: format!("{action} {resource}"),
                code: format!("HTTP {status}"),
                message: detail,
            },
        }
    }
}

/// Airflow's `detail`: a string, a list of validation errors (`loc` and `msg`), or an object
/// (`reason` and `message`); the raw body when there is none.
fn airflow_detail(value: &Value, body: &str) -> String {
    let text = match value.get("detail").or_else(|| value.get("error")) {
        Some(Value::String(text)) => text.clone(),
        Some(Value::Array(items)) => items
            .iter()
            .map(|item| {
                let loc: Vec<String> = item["loc"]
                    .as_array()
                    .into_iter()
                    .flatten()
                    .map(|part| part.as_str().map_or_else(|| part.to_string(), str::to_owned))
                    .collect();
                format!("{}: {}", loc.join("."), item["msg"].as_str().unwrap_or("invalid"))
            })
            .collect::<Vec<_>>()
            .join("; "),
        Some(Value::Object(map)) => ["reason", "message", "title"]
            .iter()
            .filter_map(|key| map.get(*key).and_then(Value::as_str))
            .collect::<Vec<_>>()
            .join(": "),
        Some(other) => other.to_string(),
        None => body.trim().to_owned(),
    };
    let mut text = if text.is_empty() { String::from("no details given") } else { text };
    if text.chars().count() > 500 {
        text = text.chars().take(500).collect::<String>() + "…";
    }
    text
}

impl ConnectionStore for AirflowApi {
    fn cloud(&self) -> &'static str {
        "airflow"
    }

    fn account(&self) -> String {
        self.base_url()
    }

    fn describe(&self) -> String {
        format!("the Airflow at {}", self.base_url())
    }

    fn address(&self, conn_id: &str, _remote: Option<&RemoteConnection>) -> String {
        let [api, v] = self.version.get().copied().unwrap_or(AirflowApiVersion::V2).prefix();
        url_with(&self.base, &[api, v, "connections", conn_id]).to_string()
    }

    async fn get_connection(&self, conn_id: &str) -> Result<Option<RemoteConnection>, CloudError> {
        AirflowApi::get_connection(self, conn_id).await
    }

    async fn create_connection(&self, spec: &ConnectionSpec) -> Result<(), CloudError> {
        AirflowApi::create_connection(self, spec).await
    }

    async fn replace_connection(
        &self,
        existing: &RemoteConnection,
        conn_type: &str,
        extra: &Map<String, Value>,
    ) -> Result<(), CloudError> {
        AirflowApi::replace_connection(self, &existing.conn_id, conn_type, extra).await
    }

    async fn delete_connection(&self, existing: &RemoteConnection) -> Result<(), CloudError> {
        AirflowApi::delete_connection(self, &existing.conn_id).await
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn details_read_every_shape_airflow_answers() {
        let list = json!({"detail": [{"type": "missing", "loc": ["body", "connection_id"], "msg": "Field required"}]});
        assert_eq!(airflow_detail(&list, ""), "body.connection_id: Field required");
        let object = json!({"detail": {"reason": "Unique constraint violation", "statement": "hidden", "message": "Serious error"}});
        assert_eq!(airflow_detail(&object, ""), "Unique constraint violation: Serious error");
        assert_eq!(airflow_detail(&json!({"detail": "Invalid JWT token"}), ""), "Invalid JWT token");
        assert_eq!(airflow_detail(&Value::Null, " <html>bad gateway</html> "), "<html>bad gateway</html>");
        assert_eq!(airflow_detail(&Value::Null, ""), "no details given");
    }

    #[tokio::test]
    async fn a_redirect_is_reported_not_followed() {
        use std::io::{Read, Write};
        let listener = std::net::TcpListener::bind("127.0.0.1:0").expect("bind");
        let url = format!("http://{}", listener.local_addr().expect("addr"));
        std::thread::spawn(move || {
            for mut stream in listener.incoming().flatten() {
                let mut buf = [0u8; 4096];
                let _ = stream.read(&mut buf);
                let _ = stream.write_all(
                    b"HTTP/1.1 302 Found\r\nLocation: https://login.example/sso\r\nContent-Length: 0\r\nConnection: close\r\n\r\n",
                );
            }
        });
        let api = AirflowApi::new(&url, Sensitive::new(String::from("tok"))).expect("api");
        let err = api.api_version().await.expect_err("redirected");
        assert_eq!(err.code(), "cloud_error");
        assert!(
            err.to_string().contains("HTTP 302: the server redirects to https://login.example/sso"),
            "{err}"
        );
    }

    #[test]
    fn debug_output_has_no_token() {
        let api = AirflowApi::new("http://localhost:8080/", Sensitive::new(String::from("s3cr3t-jwt")))
            .expect("api");
        assert!(!format!("{api:?}").contains("s3cr3t-jwt"));
        assert_eq!(api.base_url(), "http://localhost:8080");
        assert_eq!(api.address("aws_default", None), "http://localhost:8080/api/v2/connections/aws_default");
    }
}
