//! Resource Manager v3 project IAM policies and IAM Admin role listing, through the official
//! `google-cloud-*` crates.

use std::time::Duration;

use google_cloud_gax::error::Error as GaxError;
use google_cloud_gax::error::rpc::Code;
use google_cloud_iam_v1::model::{GetPolicyOptions, Policy};
use google_cloud_resourcemanager_v3::client::Projects;
use google_cloud_wkt::FieldMask;
use serde::{Deserialize, Serialize};

use astro_identity_domain::gcp::iam_policy::IamPolicy;
use astro_identity_domain::gcp::identity::{ProjectId, ServiceAccountEmail};

use crate::CloudError;
use crate::gcp::config::{GcpIdentity, GcpTarget, credentials};

/// Whose IAM policy a grant changes: a project's (a role on the project), or a service
/// account's (the impersonation route: the Deployment may act as that account).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "specta", derive(specta::Type))]
#[serde(tag = "kind", content = "id", rename_all = "camelCase")]
pub enum PolicyResource {
    Project(String),
    ServiceAccount(String),
}

impl PolicyResource {
    pub fn project(id: &ProjectId) -> Self {
        Self::Project(id.to_string())
    }

    pub fn service_account(email: &ServiceAccountEmail) -> Self {
        Self::ServiceAccount(email.as_str().to_owned())
    }

    /// Whose policy a grant on `route` changes.
    pub fn for_route(route: &astro_identity_domain::gcp::GrantRoute) -> Self {
        match route {
            astro_identity_domain::gcp::GrantRoute::Project { project, .. } => Self::project(project),
            astro_identity_domain::gcp::GrantRoute::Impersonation { service_account } => {
                Self::service_account(service_account)
            }
        }
    }

    /// Checks the id, so a resource from the UI or the journal is as safe as a parsed one.
    pub fn validated(self) -> Result<Self, CloudError> {
        match self {
            Self::Project(id) => Ok(Self::project(&ProjectId::parse(&id)?)),
            Self::ServiceAccount(email) => Ok(Self::service_account(&ServiceAccountEmail::parse(&email)?)),
        }
    }

    /// The REST resource name.
    pub fn name(&self) -> String {
        match self {
            Self::Project(id) => format!("projects/{id}"),
            // `-` lets IAM find the account's project from its email.
            Self::ServiceAccount(email) => format!("projects/-/serviceAccounts/{email}"),
        }
    }

    /// Reads back what [`PolicyResource::name`] wrote (journal entries).
    pub fn from_name(name: &str) -> Result<Self, CloudError> {
        let resource = if let Some(email) = name.strip_prefix("projects/-/serviceAccounts/") {
            Self::ServiceAccount(email.to_owned())
        } else if let Some(id) = name.strip_prefix("projects/") {
            Self::Project(id.to_owned())
        } else {
            return Err(CloudError::Journal { action: "read", detail: format!("unknown resource {name:?}") });
        };
        resource.validated()
    }

    /// The console page that shows this policy.
    pub fn console_url(&self) -> String {
        match self {
            Self::Project(id) => format!("https://console.cloud.google.com/iam-admin/iam?project={id}"),
            Self::ServiceAccount(email) => {
                let project = email.split('@').nth(1).and_then(|d| d.split('.').next()).unwrap_or("-");
                format!("https://console.cloud.google.com/iam-admin/serviceaccounts?project={project}")
            }
        }
    }

    fn get_permission(&self) -> &'static str {
        match self {
            Self::Project(_) => "resourcemanager.projects.getIamPolicy",
            Self::ServiceAccount(_) => "iam.serviceAccounts.getIamPolicy",
        }
    }

    fn set_permission(&self) -> &'static str {
        match self {
            Self::Project(_) => "resourcemanager.projects.setIamPolicy",
            Self::ServiceAccount(_) => "iam.serviceAccounts.setIamPolicy",
        }
    }
}

impl std::fmt::Display for PolicyResource {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Self::Project(id) => write!(f, "project {id}"),
            Self::ServiceAccount(email) => write!(f, "service account {email}"),
        }
    }
}

/// The policy operations a binding change needs; the seam for tests and fault injection.
#[allow(async_fn_in_trait)] // used generically, never as `dyn`
pub trait PolicyStore {
    /// `getIamPolicy` with `requestedPolicyVersion: 3`, so conditions always come back.
    async fn get_policy(&self, resource: &PolicyResource) -> Result<IamPolicy, CloudError>;
    /// `setIamPolicy` with the policy's own etag. A stale etag is `CloudError::Conflict`.
    async fn set_policy(
        &self,
        resource: &PolicyResource,
        policy: &IamPolicy,
    ) -> Result<IamPolicy, CloudError>;
}

/// A role from the live IAM Admin API.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "specta", derive(specta::Type))]
#[serde(rename_all = "camelCase")]
pub struct GrantableRole {
    pub name: String,
    pub title: String,
    pub description: String,
}

pub struct GcpProjects {
    projects: Projects,
    iam: google_cloud_iam_admin_v1::client::Iam,
    endpoint: String,
    /// Who we act as, when known offline (a service account key's email).
    pub principal: Option<String>,
    /// The credential in words and its fix, for every refusal.
    pub identity: GcpIdentity,
}

/// How long one call may take before it fails as unreachable: the Google clients have no
/// deadline of their own, and this app must never hang on a silent peer.
pub const ATTEMPT_TIMEOUT: Duration = Duration::from_secs(30);

impl GcpProjects {
    /// Clients for `target`, each call bounded by [`ATTEMPT_TIMEOUT`].
    pub async fn connect(
        target: &GcpTarget,
        keyring: Option<std::sync::Arc<crate::SecretStore>>,
    ) -> Result<Self, CloudError> {
        Self::connect_tuned(target, keyring, ATTEMPT_TIMEOUT).await
    }

    /// [`GcpProjects::connect`] with another per-call timeout (tests use short ones).
    pub async fn connect_tuned(
        target: &GcpTarget,
        keyring: Option<std::sync::Arc<crate::SecretStore>>,
        attempt_timeout: Duration,
    ) -> Result<Self, CloudError> {
        let (creds, identity) = credentials(target, keyring).await?;
        let endpoint = target.endpoint.clone();
        let mut projects =
            Projects::builder().with_credentials(creds.clone()).with_attempt_timeout(attempt_timeout);
        let mut iam = google_cloud_iam_admin_v1::client::Iam::builder()
            .with_credentials(creds)
            .with_attempt_timeout(attempt_timeout);
        if let Some(url) = &endpoint {
            projects = projects.with_endpoint(url);
            iam = iam.with_endpoint(url);
        }
        let unreachable = |e: google_cloud_gax::client_builder::Error| CloudError::Unreachable {
            endpoint: endpoint
                .clone()
                .unwrap_or_else(|| String::from("https://cloudresourcemanager.googleapis.com")),
            detail: e.to_string(),
        };
        Ok(Self {
            projects: projects.build().await.map_err(unreachable)?,
            iam: iam.build().await.map_err(unreachable)?,
            endpoint: endpoint.unwrap_or_else(|| String::from("https://cloudresourcemanager.googleapis.com")),
            principal: identity.principal.clone(),
            identity,
        })
    }

    /// Roles that can be granted on the project (`queryGrantableRoles`), paginated.
    pub async fn grantable_roles(&self, project: &ProjectId) -> Result<Vec<GrantableRole>, CloudError> {
        let resource = format!("//cloudresourcemanager.googleapis.com/projects/{project}");
        let mut roles = Vec::new();
        let mut token = String::new();
        // Bounded: a project has a few thousand grantable roles, 1,000 per page.
        for _ in 0..20 {
            let page = self
                .iam
                .query_grantable_roles()
                .set_full_resource_name(&resource)
                .set_page_size(1000)
                .set_page_token(&token)
                .send()
                .await
                .map_err(|e| translate(e, "iam.roles.list", &resource, self))?;
            roles.extend(page.roles.iter().map(|r| GrantableRole {
                name: r.name.clone(),
                title: r.title.clone(),
                description: r.description.clone(),
            }));
            if page.next_page_token.is_empty() {
                break;
            }
            token = page.next_page_token.clone();
        }
        Ok(roles)
    }
}

impl PolicyStore for GcpProjects {
    async fn get_policy(&self, resource: &PolicyResource) -> Result<IamPolicy, CloudError> {
        let name = resource.name();
        let options = GetPolicyOptions::new().set_requested_policy_version(3);
        let read = match resource {
            PolicyResource::Project(_) => {
                self.projects.get_iam_policy().set_resource(&name).set_options(options).send().await
            }
            PolicyResource::ServiceAccount(_) => {
                self.iam.get_iam_policy().set_resource(&name).set_options(options).send().await
            }
        };
        let policy = read.map_err(|e| translate(e, resource.get_permission(), &name, self))?;
        to_domain(&policy)
    }

    async fn set_policy(
        &self,
        resource: &PolicyResource,
        policy: &IamPolicy,
    ) -> Result<IamPolicy, CloudError> {
        let name = resource.name();
        let policy = from_domain(policy)?;
        // Only bindings change; auditConfigs and the rest stay as they are on the server.
        let mask = FieldMask::default().set_paths(["bindings", "etag"]);
        let written = match resource {
            PolicyResource::Project(_) => {
                self.projects
                    .set_iam_policy()
                    .set_resource(&name)
                    .set_policy(policy)
                    .set_update_mask(mask)
                    .send()
                    .await
            }
            PolicyResource::ServiceAccount(_) => {
                self.iam
                    .set_iam_policy()
                    .set_resource(&name)
                    .set_policy(policy)
                    .set_update_mask(mask)
                    .send()
                    .await
            }
        };
        to_domain(&written.map_err(|e| translate(e, resource.set_permission(), &name, self))?)
    }
}

/// The SDK's `Policy` keeps unknown fields; its JSON form is the REST body.
fn to_domain(policy: &Policy) -> Result<IamPolicy, CloudError> {
    let mut value = serde_json::to_value(policy).map_err(|e| CloudError::Cloud {
        action: String::from("getIamPolicy"),
        code: String::from("Encoding"),
        message: e.to_string(),
    })?;
    name_log_types(&mut value);
    Ok(IamPolicy::from_value(value)?)
}

/// The client asks for integer enums on the wire; people read `DATA_READ`, not `3`. The
/// SDK accepts either spelling when the policy goes back out.
fn name_log_types(policy: &mut serde_json::Value) {
    let configs = policy.get_mut("auditConfigs").and_then(|c| c.as_array_mut()).into_iter().flatten();
    for config in configs {
        let logs = config.get_mut("auditLogConfigs").and_then(|l| l.as_array_mut()).into_iter().flatten();
        for log in logs {
            let name = match log.get("logType").and_then(serde_json::Value::as_i64) {
                Some(1) => "ADMIN_READ",
                Some(2) => "DATA_WRITE",
                Some(3) => "DATA_READ",
                _ => continue,
            };
            log["logType"] = serde_json::Value::from(name);
        }
    }
}

fn from_domain(policy: &IamPolicy) -> Result<Policy, CloudError> {
    serde_json::from_value(policy.as_value().clone()).map_err(|e| CloudError::Cloud {
        action: String::from("setIamPolicy"),
        code: String::from("Encoding"),
        message: e.to_string(),
    })
}

fn translate(err: GaxError, permission: &str, resource: &str, projects: &GcpProjects) -> CloudError {
    // Messages name the call and what it was on: `resourcemanager.projects.setIamPolicy on
    // projects/astro-data`.
    let what = format!("{permission} on {resource}");
    let endpoint = projects.endpoint.as_str();
    let identity = &projects.identity;
    if let Some(status) = err.status() {
        return match status.code {
            Code::Aborted => CloudError::Conflict { what: resource.to_owned() },
            // 401: who we are was not believed (expired, revoked, deleted), unlike a 403.
            Code::Unauthenticated => CloudError::Credentials {
                of: "Google Cloud credentials",
                detail: format!("Google did not accept {} (for {what})", identity.credential),
                hint: identity.fix.clone(),
            },
            Code::PermissionDenied => CloudError::AccessDenied {
                action: permission.to_owned(),
                resource: resource.to_owned(),
                detail: status.message.clone(),
            },
            Code::NotFound => CloudError::NotFound { what: resource.to_owned() },
            Code::InvalidArgument | Code::FailedPrecondition => {
                CloudError::MalformedPolicy { detail: status.message.clone() }
            }
            Code::ResourceExhausted => CloudError::Throttled { action: what },
            Code::Unavailable | Code::DeadlineExceeded => CloudError::Unreachable {
                endpoint: endpoint.to_owned(),
                detail: format!("{what}: {}", status.message),
            },
            other => CloudError::Cloud {
                action: what,
                code: format!("{other:?}"),
                message: status.message.clone(),
            },
        };
    }
    if err.is_authentication() {
        return CloudError::Credentials {
            of: "Google Cloud credentials",
            detail: format!(
                "{} could not sign in: {}",
                identity.credential,
                crate::error::source_chain(&err)
            ),
            hint: identity.fix.clone(),
        };
    }
    if let Some(code) = err.http_status_code() {
        return CloudError::Cloud { action: what, code: format!("HTTP {code}"), message: err.to_string() };
    }
    if err.is_timeout() {
        return CloudError::Unreachable {
            endpoint: endpoint.to_owned(),
            detail: format!("{what}: no answer in time (the request timed out)"),
        };
    }
    CloudError::Unreachable {
        endpoint: endpoint.to_owned(),
        detail: format!("{what}: {}", crate::error::source_chain(&err)),
    }
}

#[cfg(test)]
mod tests {
    use super::PolicyResource;

    #[test]
    fn resource_names_round_trip_and_refuse_what_is_not_ours() {
        for resource in [
            PolicyResource::Project(String::from("astro-data")),
            PolicyResource::ServiceAccount(String::from("etl-runner@astro-data.iam.gserviceaccount.com")),
        ] {
            assert_eq!(PolicyResource::from_name(&resource.name()).ok(), Some(resource));
        }
        for bad in ["folders/123", "projects/Not A Project", "projects/-/serviceAccounts/not-an-email", ""] {
            assert!(PolicyResource::from_name(bad).is_err(), "{bad:?}");
        }
    }

    #[test]
    fn log_types_are_named() {
        let mut policy = serde_json::json!({"auditConfigs": [{"service": "allServices",
            "auditLogConfigs": [{"logType": 3}, {"logType": 1, "exemptedMembers": ["user:a@example.com"]}, {"logType": 9}]}]});
        super::name_log_types(&mut policy);
        assert_eq!(
            policy["auditConfigs"][0]["auditLogConfigs"],
            serde_json::json!([{"logType": "DATA_READ"}, {"logType": "ADMIN_READ", "exemptedMembers": ["user:a@example.com"]}, {"logType": 9}])
        );
    }
}
