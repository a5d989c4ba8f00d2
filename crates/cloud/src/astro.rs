//! The Astro API v1, read-only: the organizations a token sees, their Workspaces and
//! Deployments — each with its workload identity, so nobody copies one by hand.
//!
//! What this relies on (Astro's generated v1 client, `astro-client-v1/api.gen.go` in
//! astronomer/astro-cli), base `https://api.astronomer.io/v1`, header
//! `Authorization: Bearer <API token>`:
//! - `GET /organizations` → `{organizations: [{id, name, …}], offset, limit, totalCount}`;
//! - `GET /organizations/{org}/workspaces` → `{workspaces: [{id, name, …}], …}`;
//! - `GET /organizations/{org}/deployments?offset&limit&workspaceIds&deploymentIds` →
//!   `{deployments, offset, limit, totalCount}`: paged until `offset + count == totalCount`;
//! - `GET /organizations/{org}/deployments/{id}` → one Deployment;
//! - errors `{message, requestId, statusCode}`.
//!
//! Reads are retried: 429 after its `Retry-After` (capped), 5xx with exponential backoff.
//! The token never appears in a message ([`Bearer::scrub`]).

use std::time::Duration;

use reqwest::{Method, Url};
use serde::{Deserialize, Serialize};
use serde_json::Value;

use astro_identity_domain::Sensitive;
use astro_identity_domain::astro::{Deployment, Organization, check_astro_id};

use astro_identity_domain::secret_key::{ProfileName, Provider, SecretKey};

use crate::CloudError;
use crate::SecretStore;
use crate::backoff::Backoff;
use crate::http::{Answer, Bearer, base_string, parse_base_url, redirect_error, url_with};

/// The Astro API's address.
pub const DEFAULT_BASE_URL: &str = "https://api.astronomer.io";

/// The variable the Astro CLI reads a token from; this app reads it too.
pub const TOKEN_ENV: &str = "ASTRO_API_TOKEN";

/// Deployments asked for per page (the API's maximum is larger; 100 keeps answers small).
pub const PAGE_SIZE: usize = 100;

/// Stops a runaway listing (a server that never reaches `totalCount`).
const MAX_PAGES: usize = 200;

/// A `Retry-After` longer than this is not waited for: the caller is told to wait.
const MAX_RETRY_AFTER: Duration = Duration::from_secs(30);

const STATUS_PAGE: &str = "https://status.astronomer.io";

pub(crate) const TOKEN_HINT: &str = "The Astro API token is wrong or has expired. Create an Organization, \
    Workspace or Deployment API token in the Astro UI (Organization Settings or Workspace Settings > \
    Access Management > API Tokens) and paste it again, or export ASTRO_API_TOKEN.";

/// Where the Astro API token comes from: the OS keyring (one entry per profile, the same
/// one the Environment Manager uses) or the `ASTRO_API_TOKEN` variable, as in the Astro CLI.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "specta", derive(specta::Type))]
#[serde(tag = "kind", rename_all = "camelCase")]
pub enum AstroTokenSource {
    Env,
    Keyring { profile: String },
}

impl AstroTokenSource {
    /// Reads the token. Blocking (the keyring): call it off the async workers.
    pub fn read(&self, keyring: Option<&SecretStore>) -> Result<Sensitive<String>, CloudError> {
        match self {
            Self::Env => match std::env::var(TOKEN_ENV) {
                Ok(token) if !token.trim().is_empty() => Ok(Sensitive::new(token.trim().to_owned())),
                _ => Err(CloudError::Credentials {
                    of: "Astro API token",
                    detail: format!("{TOKEN_ENV} is not set"),
                    hint: TOKEN_HINT.to_owned(),
                }),
            },
            Self::Keyring { profile } => {
                let key = SecretKey::new(Provider::Astro, ProfileName::parse(profile.trim())?);
                let keyring = keyring.ok_or_else(|| CloudError::KeyringUnavailable {
                    reason: String::from("no keyring was opened"),
                })?;
                keyring.get(&key)?.ok_or_else(|| CloudError::Credentials {
                    of: "Astro API token",
                    detail: format!("no Astro API token named {profile} in the OS keyring"),
                    hint: format!(
                        "Paste the token once in the app (it is kept in the OS keyring), or export {TOKEN_ENV}."
                    ),
                })
            }
        }
    }

    /// "ASTRO_API_TOKEN" or "keyring profile default", for messages.
    pub fn describe(&self) -> String {
        match self {
            Self::Env => TOKEN_ENV.to_owned(),
            Self::Keyring { profile } => format!("keyring profile {profile}"),
        }
    }
}

/// One page of Deployments, as the app's picker loads them (with progress and a cancel
/// between pages).
#[derive(Debug, Clone, Serialize, Deserialize)]
#[cfg_attr(feature = "specta", derive(specta::Type))]
#[serde(rename_all = "camelCase")]
pub struct DeploymentPage {
    pub deployments: Vec<Deployment>,
    pub offset: u32,
    pub total_count: u32,
    /// The offset of the next page; `None` on the last one.
    pub next_offset: Option<u32>,
}

/// An Astro Workspace: its id and name.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "specta", derive(specta::Type))]
#[serde(rename_all = "camelCase")]
pub struct Workspace {
    pub id: String,
    pub name: String,
}

/// Which Deployments to list.
#[derive(Debug, Clone, Default)]
pub struct DeploymentFilter {
    pub workspace_ids: Vec<String>,
    pub deployment_ids: Vec<String>,
}

/// A read-only client of the Astro API for one token.
#[derive(Debug)]
pub struct AstroClient {
    base: Url,
    http: Bearer,
    backoff: Backoff,
}

impl AstroClient {
    pub fn new(token: Sensitive<String>) -> Result<Self, CloudError> {
        if token.expose().trim().is_empty() {
            return Err(CloudError::Credentials {
                of: "Astro API token",
                detail: String::from("the token is empty"),
                hint: TOKEN_HINT.to_owned(),
            });
        }
        Ok(Self {
            base: parse_base_url(DEFAULT_BASE_URL, "Astro API URL")?,
            http: Bearer::new(token)?,
            backoff: Backoff {
                attempts: 4,
                first_delay: Duration::from_millis(500),
                max_delay: Duration::from_secs(8),
            },
        })
    }

    /// Another address for the Astro API (a test double, a proxy); paths stay under `/v1/`.
    pub fn with_base_url(mut self, base_url: &str) -> Result<Self, CloudError> {
        self.base = parse_base_url(base_url, "Astro API URL")?;
        Ok(self)
    }

    /// How 5xx answers are retried.
    pub fn with_backoff(mut self, backoff: Backoff) -> Self {
        self.backoff = backoff;
        self
    }

    pub fn base_url(&self) -> String {
        base_string(&self.base)
    }

    fn url(&self, segments: &[&str]) -> Url {
        let mut all = vec!["v1"];
        all.extend_from_slice(segments);
        url_with(&self.base, &all)
    }

    /// Every organization the token sees.
    pub async fn organizations(&self) -> Result<Vec<Organization>, CloudError> {
        let items =
            self.all_pages(self.url(&["organizations"]), "organizations", "list organizations").await?;
        Ok(items.iter().filter_map(Organization::from_api).collect())
    }

    /// The organization to work in: `requested` (which the token must see), or the only one
    /// the token sees.
    pub async fn organization(&self, requested: Option<&str>) -> Result<Organization, CloudError> {
        if let Some(id) = requested {
            check_astro_id(id.trim(), "organization")?;
        }
        let seen = self.organizations().await?;
        match requested.map(str::trim) {
            Some(id) => seen.iter().find(|o| o.id == id).cloned().ok_or_else(|| CloudError::AccessDenied {
                action: String::from("read"),
                resource: format!("organization {id} ({})", token_belongs_to(&seen)),
                detail: String::new(),
            }),
            None => match seen.as_slice() {
                [only] => Ok(only.clone()),
                [] => Err(CloudError::NotFound {
                    what: String::from("an organization this Astro API token can see"),
                }),
                many => Err(CloudError::Refused {
                    reason: format!("the token sees {} organizations", many.len()),
                    hint: format!("Choose one with --organization: {}.", names(many)),
                }),
            },
        }
    }

    /// The Workspaces of `organization` (for their names; a Deployment token may not list them).
    pub async fn workspaces(&self, organization: &str) -> Result<Vec<Workspace>, CloudError> {
        check_astro_id(organization, "organization")?;
        let url = self.url(&["organizations", organization, "workspaces"]);
        let items = self
            .all_pages(url, "workspaces", &format!("list Workspaces of organization {organization}"))
            .await?;
        Ok(items
            .iter()
            .filter_map(|w| {
                let id = w["id"].as_str()?.to_owned();
                let name = w["name"].as_str().unwrap_or(&id).to_owned();
                Some(Workspace { id, name })
            })
            .collect())
    }

    /// One page of the Deployments of `organization` from `offset`.
    pub async fn deployment_page(
        &self,
        organization: &str,
        filter: &DeploymentFilter,
        offset: usize,
    ) -> Result<DeploymentPage, CloudError> {
        check_astro_id(organization, "organization")?;
        for id in &filter.workspace_ids {
            check_astro_id(id, "workspace")?;
        }
        for id in &filter.deployment_ids {
            check_astro_id(id, "deployment")?;
        }
        let mut url = self.url(&["organizations", organization, "deployments"]);
        {
            let mut query = url.query_pairs_mut();
            query.append_pair("offset", &offset.to_string()).append_pair("limit", &PAGE_SIZE.to_string());
            for id in &filter.workspace_ids {
                query.append_pair("workspaceIds", id);
            }
            for id in &filter.deployment_ids {
                query.append_pair("deploymentIds", id);
            }
        }
        let action = format!("list Deployments of organization {organization}");
        let page = self.get_in_org(url, &action).await?;
        let raw = page["deployments"].as_array().cloned().unwrap_or_default();
        let deployments = raw.iter().map(Deployment::from_api).collect::<Result<Vec<_>, _>>()?;
        let total = page["totalCount"].as_u64().map_or(0, |n| usize::try_from(n).unwrap_or(usize::MAX));
        let end = offset + raw.len();
        let next = (!raw.is_empty() && end < total).then_some(end);
        Ok(DeploymentPage {
            deployments,
            offset: to_u32(offset),
            total_count: to_u32(total),
            next_offset: next.map(to_u32),
        })
    }

    /// Every Deployment of `organization` that `filter` selects, all pages; `progress` hears
    /// (loaded, total) after each page.
    pub async fn deployments(
        &self,
        organization: &str,
        filter: &DeploymentFilter,
        mut progress: impl FnMut(usize, usize),
    ) -> Result<Vec<Deployment>, CloudError> {
        let mut all = Vec::new();
        let mut offset = 0;
        for _ in 0..MAX_PAGES {
            let page = self.deployment_page(organization, filter, offset).await?;
            all.extend(page.deployments);
            progress(all.len(), page.total_count as usize);
            match page.next_offset {
                Some(next) => offset = next as usize,
                None => break,
            }
        }
        Ok(all)
    }

    /// The Deployments with these ids, each checked to exist in `organization`, in the
    /// order asked; Workspace names filled in where the token may list Workspaces.
    pub async fn resolve(&self, organization: &str, ids: &[String]) -> Result<Vec<Deployment>, CloudError> {
        let mut found = Vec::new();
        for id in ids {
            let id = id.trim();
            check_astro_id(id, "deployment")?;
            let action = format!("read Deployment {id} of organization {organization}");
            let url = self.url(&["organizations", organization, "deployments", id]);
            let value = self.get_in_org(url, &action).await.map_err(|err| match err {
                CloudError::NotFound { .. } => {
                    CloudError::NotFound { what: format!("Deployment {id} in organization {organization}") }
                }
                other => other,
            })?;
            found.push(Deployment::from_api(&value)?);
        }
        self.name_workspaces(organization, &mut found).await;
        Ok(found)
    }

    /// The Deployment as the API answers it (for an update built from it); `None` when the
    /// organization has no such Deployment.
    pub async fn deployment_raw(&self, organization: &str, id: &str) -> Result<Option<Value>, CloudError> {
        check_astro_id(organization, "organization")?;
        check_astro_id(id, "deployment")?;
        let url = self.url(&["organizations", organization, "deployments", id]);
        match self.get_in_org(url, &format!("read Deployment {id} of organization {organization}")).await {
            Ok(value) => Ok(Some(value)),
            Err(CloudError::NotFound { .. }) => Ok(None),
            Err(err) => Err(err),
        }
    }

    /// Sends a whole-Deployment update (`POST`, not retried: the caller's change kind re-reads
    /// and judges what happened). A 400 names what Astro refused.
    pub async fn update_deployment(
        &self,
        organization: &str,
        id: &str,
        body: &Value,
    ) -> Result<(), CloudError> {
        check_astro_id(organization, "organization")?;
        check_astro_id(id, "deployment")?;
        let url = self.url(&["organizations", organization, "deployments", id]);
        let action = format!("update Deployment {id} of organization {organization}");
        let answer = self.http.send(Method::POST, url, Some(body)).await?;
        match answer.status {
            200..=299 => Ok(()),
            400 => Err(CloudError::Refused {
                reason: format!(
                    "Astro refused the update of Deployment {id}: {}",
                    self.http.scrub(answer.json()["message"].as_str().unwrap_or(&answer.body))
                ),
                hint: String::from("Nothing was changed. Check the Deployment in the Astro UI."),
            }),
            _ => Err(self.error(&answer, &action)),
        }
    }

    /// Fills in Workspace names; leaves them out when the token cannot list Workspaces.
    pub async fn name_workspaces(&self, organization: &str, deployments: &mut [Deployment]) {
        if deployments.is_empty() {
            return;
        }
        if let Ok(workspaces) = self.workspaces(organization).await {
            for deployment in deployments {
                deployment.workspace_name =
                    workspaces.iter().find(|w| w.id == deployment.workspace_id).map(|w| w.name.clone());
            }
        }
    }

    async fn all_pages(&self, url: Url, key: &str, action: &str) -> Result<Vec<Value>, CloudError> {
        let mut items = Vec::new();
        for _ in 0..MAX_PAGES {
            let mut page_url = url.clone();
            page_url
                .query_pairs_mut()
                .append_pair("offset", &items.len().to_string())
                .append_pair("limit", &PAGE_SIZE.to_string());
            let page = self.get(page_url, action).await?;
            let batch = page[key].as_array().cloned().unwrap_or_default();
            let count = batch.len();
            items.extend(batch);
            let total = page["totalCount"].as_u64().map_or(0, |n| usize::try_from(n).unwrap_or(usize::MAX));
            if count == 0 || items.len() >= total {
                break;
            }
        }
        Ok(items)
    }

    /// A GET, retried on 429 (after `Retry-After`) and 5xx (with backoff).
    async fn get(&self, url: Url, action: &str) -> Result<Value, CloudError> {
        let mut attempt = 0;
        loop {
            let answer = self.http.send(Method::GET, url.clone(), None).await?;
            if answer.ok() {
                return serde_json::from_str(&answer.body).map_err(|e| CloudError::Cloud {
                    action: action.to_owned(),
                    code: String::from("unexpected_answer"),
                    message: format!("the answer is not JSON: {e}"),
                });
            }
            attempt += 1;
            let wait = match answer.status {
                429 => retry_after(&answer).filter(|wait| *wait <= MAX_RETRY_AFTER),
                500..=599 => Some(self.backoff.delay(attempt - 1)),
                _ => None,
            };
            match wait {
                Some(wait) if attempt < self.backoff.attempts => tokio::time::sleep(wait).await,
                _ => return Err(self.error(&answer, action)),
            }
        }
    }

    /// [`Self::get`] of a path under an organization: a 403 also says which organizations
    /// the token does belong to, the usual cause being a token made in another one.
    async fn get_in_org(&self, url: Url, action: &str) -> Result<Value, CloudError> {
        match self.get(url, action).await {
            Err(CloudError::AccessDenied { action, resource, detail }) => {
                let belongs = match self.organizations().await {
                    Ok(seen) => format!("; {}", token_belongs_to(&seen)),
                    Err(_) => String::new(),
                };
                Err(CloudError::AccessDenied { action, resource: format!("{resource}{belongs}"), detail })
            }
            other => other,
        }
    }

    fn error(&self, answer: &Answer, action: &str) -> CloudError {
        let value = answer.json();
        let mut detail = match value["message"].as_str() {
            Some(message) if !message.is_empty() => message.to_owned(),
            _ => answer.body.trim().chars().take(300).collect(),
        };
        if let Some(request) = value["requestId"].as_str() {
            detail.push_str(&format!(" (request id {request})"));
        }
        let detail = self.http.scrub(&detail);
        match answer.status {
            401 => CloudError::Credentials {
                of: "Astro API token",
                detail: format!("the Astro API refused the token (HTTP 401: {detail})"),
                hint: TOKEN_HINT.to_owned(),
            },
            403 => {
                let (verb, rest) = action.split_once(' ').unwrap_or((action, ""));
                CloudError::AccessDenied { action: verb.to_owned(), resource: rest.to_owned(), detail }
            }
            404 => CloudError::NotFound { what: format!("what `{action}` reads ({detail})") },
            429 => CloudError::Throttled {
                action: format!(
                    "{action} (the Astro API asks to wait {})",
                    retry_after(answer)
                        .map_or_else(|| String::from("a while"), |d| format!("{} s", d.as_secs()))
                ),
            },
            300..=399 => redirect_error(answer, action.to_owned()),
            500..=599 => CloudError::Outage {
                service: "the Astro API",
                detail: format!(
                    "{action}: HTTP {} after {} attempts: {detail}",
                    answer.status, self.backoff.attempts
                ),
                status_page: STATUS_PAGE,
            },
            status => CloudError::Cloud {
                action: action.to_owned(),
                code: format!("HTTP {status}"),
                message: detail,
            },
        }
    }
}

fn retry_after(answer: &Answer) -> Option<Duration> {
    answer.retry_after.as_deref()?.trim().parse::<u64>().ok().map(Duration::from_secs)
}

fn to_u32(n: usize) -> u32 {
    u32::try_from(n).unwrap_or(u32::MAX)
}

fn names(organizations: &[Organization]) -> String {
    organizations.iter().map(|o| format!("{} ({})", o.name, o.id)).collect::<Vec<_>>().join(", ")
}

fn token_belongs_to(seen: &[Organization]) -> String {
    match seen {
        [] => String::from("the token sees no organization"),
        [only] => format!("the token belongs to organization {} ({})", only.name, only.id),
        many => format!("the token sees {}", names(many)),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_empty_token_is_refused_and_a_token_never_shows() {
        let err = AstroClient::new(Sensitive::new(String::from("  "))).expect_err("empty");
        assert_eq!(err.code(), "credentials");
        assert!(err.hint().contains("API Tokens"), "{}", err.hint());
        let client = AstroClient::new(Sensitive::new(String::from("astro-secret-1"))).expect("client");
        assert!(!format!("{client:?}").contains("astro-secret-1"));
        assert_eq!(client.base_url(), DEFAULT_BASE_URL);
        assert_eq!(
            client.url(&["organizations", "a/b"]).as_str(),
            "https://api.astronomer.io/v1/organizations/a%2Fb"
        );
    }

    #[test]
    fn who_the_token_belongs_to_is_said_plainly() {
        let acme = Organization { id: String::from("clacme"), name: String::from("Acme") };
        assert_eq!(token_belongs_to(&[]), "the token sees no organization");
        assert_eq!(
            token_belongs_to(std::slice::from_ref(&acme)),
            "the token belongs to organization Acme (clacme)"
        );
        let other = Organization { id: String::from("clb"), name: String::from("B") };
        assert_eq!(token_belongs_to(&[acme, other]), "the token sees Acme (clacme), B (clb)");
    }
}
