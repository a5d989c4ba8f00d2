//! Astro's Environment Manager through the Astro API v1: connections kept by Astro for a
//! Deployment or a Workspace, which its Airflow reads before environment variables and the
//! metadata database.
//!
//! What this relies on, from Astro's API reference (`https://www.astronomer.io/docs/astro/api/v-1/environment/`:
//! "Create a new environment object", "List environment objects", "Get environment object",
//! "Update an environment object", "Delete an environment object"; announced in the Astro API
//! changelog of 2024-11-13), base `https://api.astronomer.io/v1`, header
//! `Authorization: Bearer <API token>`:
//! - `GET /organizations/{organizationId}/environment-objects` with the query filters
//!   `objectType` (`CONNECTION`, …), `objectKey`, `deploymentId`, `workspaceId`,
//!   `showSecrets`, `resolveLinked`, `offset`, `limit` (default 20), `sorts` → `{environmentObjects:
//!   [...], offset, limit, totalCount}`.
//! - An environment object: `{id, objectKey, objectType, scope: DEPLOYMENT|WORKSPACE,
//!   scopeEntityId, connection: {type, host, login, password, schema, port, extra: {…},
//!   connectionAuthType}, autoLinkDeployments, links, excludeLinks, setFields, …}`.
//!   `setFields` names the fields that hold a value, secret ones included, as dotted paths
//!   (`extra.aws_secret`): secret values are left out of answers unless `showSecrets` is
//!   asked for (never, here), so this is how a hidden value is told from an absent one.
//! - `POST /organizations/{organizationId}/environment-objects` with `{objectKey,
//!   objectType: "CONNECTION", scope, scopeEntityId, connection: {type, extra: {…}}}` (the
//!   domain's Astro format) → `{id}`.
//! - `GET /organizations/{organizationId}/environment-objects/{environmentObjectId}`.
//! - **`POST`** (not `PATCH`) `/organizations/{organizationId}/environment-objects/{environmentObjectId}`
//!   updates, with `{connection: {type, extra, host, login, password, schema, port,
//!   authTypeId}, autoLinkDeployments, links, excludeLinks}` → the object.
//! - `DELETE` on the same path.
//! - Errors: `{message, requestId, statusCode}`.
//!
//! How an update treats what it is not sent is not in the reference. Astro's own CLI
//! (astro-cli's `env` package, which says it checked this against the platform) relies on:
//! host, login, schema, port and the auth type are stored as sent (left out = cleared); the
//! password and secret Extra values are kept when left out; a Workspace object's `links`,
//! `excludeLinks` and `autoLinkDeployments` are cleared when left out. So a replace here
//! re-sends all of those as read, and only changes `type` and `extra` — and verification
//! catches a secret Extra value Astro kept.

use reqwest::{Method, Url};
use serde_json::{Map, Value, json};

use astro_identity_domain::Sensitive;
use astro_identity_domain::airflow::{AstroScope, AstroScopeKind, ConnectionFormat, ConnectionSpec, render};
use astro_identity_domain::astro::check_astro_id;

use crate::CloudError;
use crate::airflow::{ConnectionStore, RemoteConnection, check_conn_id, masked_paths, parse_extra};
use crate::astro::TOKEN_HINT;
use crate::http::{Answer, Bearer, base_string, parse_base_url, redirect_error, url_with};

/// The Astro API's address.
pub const DEFAULT_BASE_URL: &str = "https://api.astronomer.io";

/// Stops a runaway listing: 50 pages of the default 20 objects.
const MAX_PAGES: usize = 50;

/// Connections of one Deployment or Workspace in Astro's Environment Manager.
#[derive(Debug)]
pub struct AstroApi {
    base: Url,
    organization_id: String,
    scope: AstroScope,
    http: Bearer,
}

/// Astro ids are CUIDs; anything else would not be one path segment.
fn check_id(id: &str, what: &'static str) -> Result<(), CloudError> {
    Ok(check_astro_id(id, what)?)
}

impl AstroApi {
    /// The Environment Manager of `scope` in `organization_id`, at [`DEFAULT_BASE_URL`].
    pub fn new(
        organization_id: &str,
        scope: AstroScope,
        token: Sensitive<String>,
    ) -> Result<Self, CloudError> {
        check_id(organization_id, "organization")?;
        let what = match scope.scope {
            AstroScopeKind::Deployment => "deployment",
            AstroScopeKind::Workspace => "workspace",
        };
        check_id(&scope.entity_id, what)?;
        Ok(Self {
            base: parse_base_url(DEFAULT_BASE_URL, "Astro API URL")?,
            organization_id: organization_id.to_owned(),
            scope,
            http: Bearer::new(token)?,
        })
    }

    /// Another address for the Astro API (a test double, a proxy).
    pub fn with_base_url(mut self, base_url: &str) -> Result<Self, CloudError> {
        self.base = parse_base_url(base_url, "Astro API URL")?;
        Ok(self)
    }

    pub fn base_url(&self) -> String {
        base_string(&self.base)
    }

    pub fn scope(&self) -> &AstroScope {
        &self.scope
    }

    fn objects_url(&self, object_id: Option<&str>) -> Url {
        let mut segments = vec!["v1", "organizations", self.organization_id.as_str(), "environment-objects"];
        segments.extend(object_id);
        url_with(&self.base, &segments)
    }

    fn scope_name(&self) -> String {
        format!("Astro {} {}", scope_word(self.scope.scope), self.scope.entity_id)
    }

    /// The connection with `objectKey` = `conn_id` in exactly this Deployment or Workspace.
    pub async fn get_connection(&self, conn_id: &str) -> Result<Option<RemoteConnection>, CloudError> {
        check_conn_id(conn_id)?;
        let filter = match self.scope.scope {
            AstroScopeKind::Deployment => "deploymentId",
            AstroScopeKind::Workspace => "workspaceId",
        };
        let mut found = Vec::new();
        let mut offset = 0usize;
        for _ in 0..MAX_PAGES {
            let mut url = self.objects_url(None);
            url.query_pairs_mut()
                .append_pair("objectType", "CONNECTION")
                .append_pair("objectKey", conn_id)
                .append_pair(filter, &self.scope.entity_id);
            if offset > 0 {
                url.query_pairs_mut().append_pair("offset", &offset.to_string());
            }
            let answer = self.http.send(Method::GET, url, None).await?;
            if !answer.ok() {
                return Err(self.error(&answer, "read", Some(conn_id)));
            }
            let page = answer.json();
            let objects = page["environmentObjects"].as_array().cloned().unwrap_or_default();
            let count = objects.len();
            found.extend(objects.into_iter().filter(|o| self.is_ours(o, conn_id)));
            offset += count;
            let total = page["totalCount"].as_u64().map_or(0, |n| usize::try_from(n).unwrap_or(usize::MAX));
            if count == 0 || offset >= total {
                break;
            }
        }
        match found.as_slice() {
            [] => Ok(None),
            [object] => self.parse_connection(conn_id, object).map(Some),
            _ => Err(CloudError::Cloud {
                action: format!("read connection {conn_id} in {}", self.scope_name()),
                code: String::from("ambiguous"),
                message: format!("Astro lists {} connections with that key", found.len()),
            }),
        }
    }

    /// Listed objects are filtered by the server; checked again so a differently scoped
    /// or linked object is never taken for this one.
    fn is_ours(&self, object: &Value, conn_id: &str) -> bool {
        object["objectKey"] == conn_id
            && object["objectType"] == "CONNECTION"
            && object["scope"] == self.scope.scope.as_str()
            && object["scopeEntityId"] == self.scope.entity_id.as_str()
    }

    fn parse_connection(&self, conn_id: &str, object: &Value) -> Result<RemoteConnection, CloudError> {
        let connection = &object["connection"];
        let (Some(conn_type), Some(id)) = (connection["type"].as_str(), object["id"].as_str()) else {
            return Err(CloudError::Cloud {
                action: format!("read connection {conn_id} in {}", self.scope_name()),
                code: String::from("unexpected_answer"),
                message: String::from("the environment object has no id or connection type"),
            });
        };
        let extra = match &connection["extra"] {
            Value::Object(map) => Some(Value::Object(map.clone()).to_string()),
            Value::String(text) => Some(text.clone()),
            _ => None,
        };
        let shown = parse_extra(extra.as_deref());
        let mut hidden = masked_paths(&shown);
        for field in object["setFields"].as_array().into_iter().flatten().filter_map(Value::as_str) {
            if let Some(path) = field.strip_prefix("extra.")
                && !super::path_exists(&shown, path)
                && !hidden.iter().any(|h| h == path)
            {
                hidden.push(path.to_owned());
            }
        }
        Ok(RemoteConnection {
            conn_id: conn_id.to_owned(),
            conn_type: conn_type.to_owned(),
            extra,
            hidden,
            remote_id: Some(id.to_owned()),
        })
    }

    /// Creates the connection in this Deployment or Workspace; `spec`'s own scope, when it
    /// has one, must be this one.
    pub async fn create_connection(&self, spec: &ConnectionSpec) -> Result<(), CloudError> {
        let spec = match spec.astro_scope() {
            Some(scope) if scope == &self.scope => spec.clone(),
            Some(scope) => {
                return Err(CloudError::Refused {
                    reason: format!(
                        "the connection is for Astro {} {}, not {}",
                        scope_word(scope.scope),
                        scope.entity_id,
                        self.scope_name()
                    ),
                    hint: String::from("Choose the same Deployment or Workspace in both places."),
                });
            }
            None => spec.clone().with_astro_scope(self.scope.clone())?,
        };
        let body: Value =
            serde_json::from_str(&render(&spec, ConnectionFormat::Astro)).map_err(|e| CloudError::Cloud {
                action: String::from("render the connection"),
                code: String::from("json"),
                message: e.to_string(),
            })?;
        let answer = self.http.send(Method::POST, self.objects_url(None), Some(&body)).await?;
        if answer.ok() { Ok(()) } else { Err(self.error(&answer, "create", Some(spec.conn_id()))) }
    }

    /// Sets the type and the Extra of `existing`, sending back everything else as read.
    pub async fn replace_connection(
        &self,
        existing: &RemoteConnection,
        conn_type: &str,
        extra: &Map<String, Value>,
    ) -> Result<(), CloudError> {
        let id = self.object_id(existing)?;
        let answer = self.http.send(Method::GET, self.objects_url(Some(&id)), None).await?;
        if !answer.ok() {
            return Err(self.error(&answer, "read", Some(&existing.conn_id)));
        }
        let current = answer.json();
        let body = update_body(&current, conn_type, extra, self.scope.scope);
        let answer = self.http.send(Method::POST, self.objects_url(Some(&id)), Some(&body)).await?;
        if answer.ok() { Ok(()) } else { Err(self.error(&answer, "replace", Some(&existing.conn_id))) }
    }

    pub async fn delete_connection(&self, existing: &RemoteConnection) -> Result<(), CloudError> {
        let id = self.object_id(existing)?;
        let answer = self.http.send(Method::DELETE, self.objects_url(Some(&id)), None).await?;
        if answer.ok() { Ok(()) } else { Err(self.error(&answer, "delete", Some(&existing.conn_id))) }
    }

    fn object_id(&self, existing: &RemoteConnection) -> Result<String, CloudError> {
        let id = existing.remote_id.clone().ok_or_else(|| CloudError::NotFound {
            what: format!("the Astro id of connection {} in {}", existing.conn_id, self.scope_name()),
        })?;
        check_id(&id, "environment_object")?;
        Ok(id)
    }

    fn error(&self, answer: &Answer, action: &str, conn_id: Option<&str>) -> CloudError {
        let value = answer.json();
        let mut detail = match value["message"].as_str() {
            Some(message) if !message.is_empty() => message.to_owned(),
            _ => answer.body.trim().chars().take(500).collect(),
        };
        if let Some(request) = value["requestId"].as_str() {
            detail.push_str(&format!(" (request id {request})"));
        }
        let detail = self.http.scrub(&detail);
        let resource = match conn_id {
            Some(id) => {
                format!("connection {id} in {} of organization {}", self.scope_name(), self.organization_id)
            }
            None => format!("{} of organization {}", self.scope_name(), self.organization_id),
        };
        match answer.status {
            401 => CloudError::Credentials {
                of: "Astro API token",
                detail: format!("the Astro API refused the token (HTTP 401: {detail})"),
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

fn scope_word(kind: AstroScopeKind) -> &'static str {
    match kind {
        AstroScopeKind::Deployment => "Deployment",
        AstroScopeKind::Workspace => "Workspace",
    }
}

/// The update body: the new type and Extra; host, login, schema, port (and the auth type
/// while the type stays) as read, since Astro clears what is left out; no password (Astro
/// keeps it). A Workspace object also gets its links, exclusions and auto-link flag back,
/// with each link's visible connection overrides.
fn update_body(current: &Value, conn_type: &str, extra: &Map<String, Value>, scope: AstroScopeKind) -> Value {
    let read = &current["connection"];
    let mut connection = Map::new();
    connection.insert("type".into(), json!(conn_type));
    connection.insert("extra".into(), Value::Object(extra.clone()));
    for key in ["host", "login", "schema", "port"] {
        if let Some(value) = read.get(key).filter(|v| !v.is_null()) {
            connection.insert(key.into(), value.clone());
        }
    }
    let auth = &read["connectionAuthType"];
    if let Some(auth_id) = auth["id"].as_str().filter(|id| !id.is_empty())
        && auth["airflowType"] == conn_type
    {
        connection.insert("authTypeId".into(), json!(auth_id));
    }
    let mut body = Map::new();
    body.insert("connection".into(), Value::Object(connection));
    if scope == AstroScopeKind::Workspace {
        if let Some(auto) = current["autoLinkDeployments"].as_bool() {
            body.insert("autoLinkDeployments".into(), json!(auto));
        }
        let links: Vec<Value> = current["links"]
            .as_array()
            .into_iter()
            .flatten()
            .map(|link| {
                let mut out = Map::new();
                out.insert("scope".into(), link["scope"].clone());
                out.insert("scopeEntityId".into(), link["scopeEntityId"].clone());
                if let Some(overrides) = link.get("connectionOverrides").filter(|o| o.is_object()) {
                    out.insert("overrides".into(), json!({"connection": overrides}));
                }
                Value::Object(out)
            })
            .collect();
        let excludes: Vec<Value> = current["excludeLinks"]
            .as_array()
            .into_iter()
            .flatten()
            .map(|link| json!({"scope": link["scope"], "scopeEntityId": link["scopeEntityId"]}))
            .collect();
        body.insert("links".into(), Value::Array(links));
        body.insert("excludeLinks".into(), Value::Array(excludes));
    }
    Value::Object(body)
}

impl ConnectionStore for AstroApi {
    fn cloud(&self) -> &'static str {
        "astro"
    }

    fn account(&self) -> String {
        let kind = match self.scope.scope {
            AstroScopeKind::Deployment => "deployments",
            AstroScopeKind::Workspace => "workspaces",
        };
        format!("organizations/{}/{kind}/{}", self.organization_id, self.scope.entity_id)
    }

    fn describe(&self) -> String {
        format!("{} (organization {})", self.scope_name(), self.organization_id)
    }

    fn address(&self, conn_id: &str, remote: Option<&RemoteConnection>) -> String {
        match remote.and_then(|r| r.remote_id.as_deref()) {
            Some(id) => self.objects_url(Some(id)).to_string(),
            None => {
                let mut url = self.objects_url(None);
                url.query_pairs_mut().append_pair("objectKey", conn_id);
                url.to_string()
            }
        }
    }

    async fn get_connection(&self, conn_id: &str) -> Result<Option<RemoteConnection>, CloudError> {
        AstroApi::get_connection(self, conn_id).await
    }

    async fn create_connection(&self, spec: &ConnectionSpec) -> Result<(), CloudError> {
        AstroApi::create_connection(self, spec).await
    }

    async fn replace_connection(
        &self,
        existing: &RemoteConnection,
        conn_type: &str,
        extra: &Map<String, Value>,
    ) -> Result<(), CloudError> {
        AstroApi::replace_connection(self, existing, conn_type, extra).await
    }

    async fn delete_connection(&self, existing: &RemoteConnection) -> Result<(), CloudError> {
        AstroApi::delete_connection(self, existing).await
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_update_sends_back_what_astro_would_clear() {
        let current = json!({
            "id": "clobj", "objectKey": "aws_default", "objectType": "CONNECTION", "scope": "WORKSPACE",
            "scopeEntityId": "clws", "autoLinkDeployments": true,
            "connection": {"type": "aws", "host": "h", "login": "l", "port": 5, "schema": null,
                "extra": {"old": 1}, "connectionAuthType": {"id": "auth1", "airflowType": "aws"}},
            "links": [{"scope": "DEPLOYMENT", "scopeEntityId": "cld1", "connectionOverrides": {"extra": {"region_name": "eu-west-1"}}},
                {"scope": "DEPLOYMENT", "scopeEntityId": "cld2"}],
            "excludeLinks": [{"scope": "DEPLOYMENT", "scopeEntityId": "cld3"}],
            "setFields": ["password"]
        });
        let mut extra = Map::new();
        extra.insert("role_arn".into(), json!("arn"));
        let body = update_body(&current, "aws", &extra, AstroScopeKind::Workspace);
        assert_eq!(
            body,
            json!({
                "connection": {"type": "aws", "extra": {"role_arn": "arn"}, "host": "h", "login": "l", "port": 5, "authTypeId": "auth1"},
                "autoLinkDeployments": true,
                "links": [{"scope": "DEPLOYMENT", "scopeEntityId": "cld1", "overrides": {"connection": {"extra": {"region_name": "eu-west-1"}}}},
                    {"scope": "DEPLOYMENT", "scopeEntityId": "cld2"}],
                "excludeLinks": [{"scope": "DEPLOYMENT", "scopeEntityId": "cld3"}]
            })
        );
        let body = update_body(&current, "google_cloud_platform", &extra, AstroScopeKind::Deployment);
        assert!(body["connection"].get("authTypeId").is_none(), "the auth type belongs to the old type");
        assert!(body.get("links").is_none());
        assert!(body["connection"].get("password").is_none());
    }

    #[test]
    fn ids_are_checked_and_the_token_stays_hidden() {
        let scope = AstroScope { scope: AstroScopeKind::Deployment, entity_id: "cldep123".into() };
        let api = AstroApi::new("clorg1", scope.clone(), Sensitive::new("astro-tok".into())).expect("api");
        assert!(!format!("{api:?}").contains("astro-tok"));
        assert_eq!(api.account(), "organizations/clorg1/deployments/cldep123");
        assert_eq!(api.base_url(), "https://api.astronomer.io");
        assert_eq!(
            api.address("aws_default", None),
            "https://api.astronomer.io/v1/organizations/clorg1/environment-objects?objectKey=aws_default"
        );
        let err = AstroApi::new("../x", scope, Sensitive::new("t".into())).expect_err("bad org");
        assert_eq!(err.code(), "invalid_input");
        assert!(err.to_string().contains("not an Astro organization id"), "{err}");
    }
}
