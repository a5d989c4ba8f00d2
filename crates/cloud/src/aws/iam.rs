//! The IAM and STS calls the AWS journey needs, through the official SDK.

use aws_config::SdkConfig;
use aws_sdk_iam::types::Tag;
use serde::{Deserialize, Serialize};

use astro_identity_domain::aws::trust_policy::TrustPolicy;

use crate::CloudError;
use crate::aws::errors::{Attempt, translate};

/// Who we act as, shown before any write.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "specta", derive(specta::Type))]
#[serde(rename_all = "camelCase")]
pub struct Caller {
    pub account: String,
    pub arn: String,
}

/// A role as read back from IAM, its trust policy decoded and parsed.
#[derive(Debug, Clone)]
pub struct RoleState {
    pub name: String,
    pub arn: String,
    pub path: String,
    pub description: Option<String>,
    pub max_session_duration: Option<i32>,
    pub trust_policy: TrustPolicy,
}

/// One row of the role picker.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "specta", derive(specta::Type))]
#[serde(rename_all = "camelCase")]
pub struct RoleSummary {
    pub name: String,
    pub arn: String,
    pub path: String,
    pub description: Option<String>,
}

/// One row of the managed-policy picker.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "specta", derive(specta::Type))]
#[serde(rename_all = "camelCase")]
pub struct ManagedPolicy {
    pub name: String,
    pub arn: String,
    pub description: Option<String>,
}

/// What `CreateRole` needs besides the trust policy. Validated by the caller.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "specta", derive(specta::Type))]
#[serde(rename_all = "camelCase")]
pub struct NewRole {
    pub name: String,
    pub path: Option<String>,
    pub description: Option<String>,
    pub max_session_duration: Option<i32>,
    pub tags: Vec<(String, String)>,
}

/// The role operations a trust-policy change needs; the seam for tests and fault injection.
#[allow(async_fn_in_trait)] // used generically, never as `dyn`
pub trait RoleStore {
    async fn caller(&self) -> Result<Caller, CloudError>;
    async fn get_role(&self, name: &str) -> Result<Option<RoleState>, CloudError>;
    async fn create_role(&self, spec: &NewRole, policy: &TrustPolicy) -> Result<RoleState, CloudError>;
    async fn update_trust_policy(&self, name: &str, policy: &TrustPolicy) -> Result<(), CloudError>;
    async fn delete_role(&self, name: &str) -> Result<(), CloudError>;
    /// ARNs of the managed policies attached to the role.
    async fn attached_policies(&self, role: &str) -> Result<Vec<String>, CloudError>;
    async fn attach_policy(&self, role: &str, policy_arn: &str) -> Result<(), CloudError>;
    async fn detach_policy(&self, role: &str, policy_arn: &str) -> Result<(), CloudError>;
    /// The inline policy's document (decoded), `None` when the role has none by that name.
    async fn inline_policy(&self, role: &str, name: &str) -> Result<Option<String>, CloudError>;
    async fn put_inline_policy(&self, role: &str, name: &str, document: &str) -> Result<(), CloudError>;
    async fn delete_inline_policy(&self, role: &str, name: &str) -> Result<(), CloudError>;

    /// The IAM OIDC identity provider with this ARN, `None` when there is none. Stores
    /// without providers (the engine's in-memory fake) refuse.
    async fn oidc_provider(&self, arn: &str) -> Result<Option<OidcProvider>, CloudError> {
        Err(no_providers(arn))
    }
    /// Creates the provider for `url` (`https://…`) with these client ids; returns its ARN.
    async fn create_oidc_provider(&self, url: &str, _client_ids: &[String]) -> Result<String, CloudError> {
        Err(no_providers(url))
    }
    async fn add_oidc_client_id(&self, arn: &str, _client_id: &str) -> Result<(), CloudError> {
        Err(no_providers(arn))
    }
    async fn remove_oidc_client_id(&self, arn: &str, _client_id: &str) -> Result<(), CloudError> {
        Err(no_providers(arn))
    }
    async fn delete_oidc_provider(&self, arn: &str) -> Result<(), CloudError> {
        Err(no_providers(arn))
    }
    /// The roles whose trust policy names `text` (a provider ARN), for "still in use".
    async fn roles_naming(&self, text: &str) -> Result<Vec<String>, CloudError> {
        Err(no_providers(text))
    }
}

fn no_providers(what: &str) -> CloudError {
    CloudError::Refused {
        reason: format!("this store keeps no OIDC identity providers ({what})"),
        hint: String::from("Use IAM."),
    }
}

/// An IAM OIDC identity provider as read back.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "specta", derive(specta::Type))]
#[serde(rename_all = "camelCase")]
pub struct OidcProvider {
    pub arn: String,
    /// The issuer as IAM keeps it: host and path, without `https://`.
    pub url: String,
    pub client_ids: Vec<String>,
}

/// IAM and STS clients sharing one configuration.
#[derive(Debug, Clone)]
pub struct AwsIam {
    iam: aws_sdk_iam::Client,
    sts: aws_sdk_sts::Client,
    endpoint: String,
    /// Learned from `GetCallerIdentity`, so errors can name a role by its full ARN.
    caller: std::sync::Arc<std::sync::OnceLock<Caller>>,
}

impl AwsIam {
    pub fn new(config: &SdkConfig) -> Self {
        let endpoint = config
            .endpoint_url()
            .map(str::to_owned)
            .unwrap_or_else(|| String::from("https://iam.amazonaws.com"));
        Self {
            iam: aws_sdk_iam::Client::new(config),
            sts: aws_sdk_sts::Client::new(config),
            endpoint,
            caller: Default::default(),
        }
    }

    /// The role's ARN when the account is known, else `role NAME`, for error messages.
    fn role_resource(&self, name: &str) -> String {
        match self.caller.get() {
            Some(caller) => {
                let partition = caller.arn.split(':').nth(1).unwrap_or("aws");
                format!("arn:{partition}:iam::{}:role/{name}", caller.account)
            }
            None => format!("role {name}"),
        }
    }

    fn attempt(&self, action: &'static str, resource: impl Into<String>) -> Attempt {
        Attempt::new(action, resource, &self.endpoint)
    }

    /// Every role in the account whose name contains `search` (case-insensitive), paginated.
    pub async fn list_roles(&self, search: &str) -> Result<Vec<RoleSummary>, CloudError> {
        let needle = search.trim().to_lowercase();
        let attempt = self.attempt("iam:ListRoles", "*");
        let mut pages = self.iam.list_roles().into_paginator().items().send();
        let mut roles = Vec::new();
        while let Some(role) = pages.next().await {
            let role = role.map_err(|e| translate(e, &attempt))?;
            if needle.is_empty() || role.role_name().to_lowercase().contains(&needle) {
                roles.push(RoleSummary {
                    name: role.role_name().to_owned(),
                    arn: role.arn().to_owned(),
                    path: role.path().to_owned(),
                    description: role.description().map(str::to_owned),
                });
            }
        }
        roles.sort_by_key(|r| r.name.to_lowercase());
        Ok(roles)
    }

    /// Every role of the account with its trust policy (`ListRoles` returns them inline, so
    /// one paginated listing reads them all).
    pub async fn roles_with_trust(&self) -> Result<Vec<RoleState>, CloudError> {
        let attempt = self.attempt("iam:ListRoles", "*");
        let mut pages = self.iam.list_roles().into_paginator().items().send();
        let mut roles = Vec::new();
        while let Some(role) = pages.next().await {
            roles.push(role_state(&role.map_err(|e| translate(e, &attempt))?)?);
        }
        Ok(roles)
    }

    /// Managed policies whose name contains `search`; AWS-managed and the account's own.
    pub async fn list_policies(&self, search: &str) -> Result<Vec<ManagedPolicy>, CloudError> {
        let needle = search.trim().to_lowercase();
        let attempt = self.attempt("iam:ListPolicies", "*");
        let mut pages = self.iam.list_policies().into_paginator().items().send();
        let mut policies = Vec::new();
        while let Some(policy) = pages.next().await {
            let policy = policy.map_err(|e| translate(e, &attempt))?;
            let name = policy.policy_name().unwrap_or_default();
            if needle.is_empty() || name.to_lowercase().contains(&needle) {
                policies.push(ManagedPolicy {
                    name: name.to_owned(),
                    arn: policy.arn().unwrap_or_default().to_owned(),
                    description: policy.description().map(str::to_owned),
                });
            }
        }
        policies.sort_by_key(|p| p.name.to_lowercase());
        Ok(policies)
    }
}

/// IAM returns policy documents URL-encoded (RFC 3986).
fn decode(encoded: &str, action: &str) -> Result<String, CloudError> {
    percent_encoding::percent_decode_str(encoded).decode_utf8().map(|d| d.into_owned()).map_err(|e| {
        CloudError::Cloud {
            action: action.to_owned(),
            code: String::from("UndecodablePolicy"),
            message: e.to_string(),
        }
    })
}

fn decode_policy(encoded: &str) -> Result<TrustPolicy, CloudError> {
    Ok(TrustPolicy::parse(&decode(encoded, "iam:GetRole")?)?)
}

fn role_state(role: &aws_sdk_iam::types::Role) -> Result<RoleState, CloudError> {
    let document = role.assume_role_policy_document().ok_or_else(|| CloudError::Cloud {
        action: String::from("iam:GetRole"),
        code: String::from("MissingTrustPolicy"),
        message: format!("role {} came back without a trust policy", role.role_name()),
    })?;
    Ok(RoleState {
        name: role.role_name().to_owned(),
        arn: role.arn().to_owned(),
        path: role.path().to_owned(),
        description: role.description().map(str::to_owned),
        max_session_duration: role.max_session_duration(),
        trust_policy: decode_policy(document)?,
    })
}

impl RoleStore for AwsIam {
    async fn oidc_provider(&self, arn: &str) -> Result<Option<OidcProvider>, CloudError> {
        match self.iam.get_open_id_connect_provider().open_id_connect_provider_arn(arn).send().await {
            Ok(out) => Ok(Some(OidcProvider {
                arn: arn.to_owned(),
                url: out.url().unwrap_or_default().trim_start_matches("https://").to_owned(),
                client_ids: out.client_id_list().to_vec(),
            })),
            Err(err) => match translate(err, &self.attempt("iam:GetOpenIDConnectProvider", arn)) {
                CloudError::NotFound { .. } => Ok(None),
                other => Err(other),
            },
        }
    }
    async fn create_oidc_provider(&self, url: &str, client_ids: &[String]) -> Result<String, CloudError> {
        let out = self
            .iam
            .create_open_id_connect_provider()
            .url(url)
            .set_client_id_list(Some(client_ids.to_vec()))
            .send()
            .await
            .map_err(|e| translate(e, &self.attempt("iam:CreateOpenIDConnectProvider", url)))?;
        Ok(out.open_id_connect_provider_arn().unwrap_or_default().to_owned())
    }
    async fn add_oidc_client_id(&self, arn: &str, client_id: &str) -> Result<(), CloudError> {
        self.iam
            .add_client_id_to_open_id_connect_provider()
            .open_id_connect_provider_arn(arn)
            .client_id(client_id)
            .send()
            .await
            .map_err(|e| translate(e, &self.attempt("iam:AddClientIDToOpenIDConnectProvider", arn)))?;
        Ok(())
    }
    async fn remove_oidc_client_id(&self, arn: &str, client_id: &str) -> Result<(), CloudError> {
        self.iam
            .remove_client_id_from_open_id_connect_provider()
            .open_id_connect_provider_arn(arn)
            .client_id(client_id)
            .send()
            .await
            .map_err(|e| translate(e, &self.attempt("iam:RemoveClientIDFromOpenIDConnectProvider", arn)))?;
        Ok(())
    }
    async fn delete_oidc_provider(&self, arn: &str) -> Result<(), CloudError> {
        self.iam
            .delete_open_id_connect_provider()
            .open_id_connect_provider_arn(arn)
            .send()
            .await
            .map_err(|e| translate(e, &self.attempt("iam:DeleteOpenIDConnectProvider", arn)))?;
        Ok(())
    }
    async fn roles_naming(&self, text: &str) -> Result<Vec<String>, CloudError> {
        let attempt = self.attempt("iam:ListRoles", "*");
        let mut pages = self.iam.list_roles().into_paginator().items().send();
        let mut names = Vec::new();
        while let Some(role) = pages.next().await {
            let role = role.map_err(|e| translate(e, &attempt))?;
            let document = role.assume_role_policy_document().map(decode_policy).transpose()?;
            if document.is_some_and(|p| p.to_compact_json().contains(text)) {
                names.push(role.role_name().to_owned());
            }
        }
        Ok(names)
    }

    async fn caller(&self) -> Result<Caller, CloudError> {
        let out = self
            .sts
            .get_caller_identity()
            .send()
            .await
            .map_err(|e| translate(e, &self.attempt("sts:GetCallerIdentity", "*")))?;
        let caller = Caller {
            account: out.account().unwrap_or_default().to_owned(),
            arn: out.arn().unwrap_or_default().to_owned(),
        };
        let _ = self.caller.set(caller.clone());
        Ok(caller)
    }

    async fn get_role(&self, name: &str) -> Result<Option<RoleState>, CloudError> {
        match self.iam.get_role().role_name(name).send().await {
            Ok(out) => match out.role() {
                Some(role) => Ok(Some(role_state(role)?)),
                None => Ok(None),
            },
            Err(err) => match translate(err, &self.attempt("iam:GetRole", self.role_resource(name))) {
                CloudError::NotFound { .. } => Ok(None),
                other => Err(other),
            },
        }
    }

    async fn create_role(&self, spec: &NewRole, policy: &TrustPolicy) -> Result<RoleState, CloudError> {
        let mut request = self
            .iam
            .create_role()
            .role_name(&spec.name)
            .assume_role_policy_document(policy.to_compact_json())
            .set_path(spec.path.clone())
            .set_description(spec.description.clone())
            .set_max_session_duration(spec.max_session_duration);
        for (key, value) in &spec.tags {
            let tag = Tag::builder().key(key).value(value).build().map_err(|e| CloudError::Cloud {
                action: String::from("iam:CreateRole"),
                code: String::from("InvalidTag"),
                message: e.to_string(),
            })?;
            request = request.tags(tag);
        }
        let out = request
            .send()
            .await
            .map_err(|e| translate(e, &self.attempt("iam:CreateRole", self.role_resource(&spec.name))))?;
        match out.role() {
            Some(role) => role_state(role),
            None => {
                Err(CloudError::VerifyFailed { what: format!("CreateRole returned no role {}", spec.name) })
            }
        }
    }

    async fn update_trust_policy(&self, name: &str, policy: &TrustPolicy) -> Result<(), CloudError> {
        self.iam
            .update_assume_role_policy()
            .role_name(name)
            .policy_document(policy.to_compact_json())
            .send()
            .await
            .map_err(|e| {
                translate(e, &self.attempt("iam:UpdateAssumeRolePolicy", self.role_resource(name)))
            })?;
        Ok(())
    }

    async fn delete_role(&self, name: &str) -> Result<(), CloudError> {
        self.iam
            .delete_role()
            .role_name(name)
            .send()
            .await
            .map_err(|e| translate(e, &self.attempt("iam:DeleteRole", self.role_resource(name))))?;
        Ok(())
    }

    async fn attached_policies(&self, role: &str) -> Result<Vec<String>, CloudError> {
        let attempt = self.attempt("iam:ListAttachedRolePolicies", self.role_resource(role));
        let mut pages =
            self.iam.list_attached_role_policies().role_name(role).into_paginator().items().send();
        let mut arns = Vec::new();
        while let Some(policy) = pages.next().await {
            let policy = policy.map_err(|e| translate(e, &attempt))?;
            arns.extend(policy.policy_arn().map(str::to_owned));
        }
        Ok(arns)
    }

    async fn attach_policy(&self, role: &str, policy_arn: &str) -> Result<(), CloudError> {
        self.iam
            .attach_role_policy()
            .role_name(role)
            .policy_arn(policy_arn)
            .send()
            .await
            // NoSuchEntity here may be the role or the policy: name both.
            .map_err(|e| {
                let resource = format!("{} or policy {policy_arn}", self.role_resource(role));
                translate(e, &self.attempt("iam:AttachRolePolicy", resource))
            })?;
        Ok(())
    }

    async fn detach_policy(&self, role: &str, policy_arn: &str) -> Result<(), CloudError> {
        self.iam
            .detach_role_policy()
            .role_name(role)
            .policy_arn(policy_arn)
            .send()
            .await
            .map_err(|e| translate(e, &self.attempt("iam:DetachRolePolicy", self.role_resource(role))))?;
        Ok(())
    }

    async fn inline_policy(&self, role: &str, name: &str) -> Result<Option<String>, CloudError> {
        match self.iam.get_role_policy().role_name(role).policy_name(name).send().await {
            Ok(out) => Ok(Some(decode(out.policy_document(), "iam:GetRolePolicy")?)),
            Err(err) => match translate(err, &self.attempt("iam:GetRolePolicy", self.role_resource(role))) {
                CloudError::NotFound { .. } => Ok(None),
                other => Err(other),
            },
        }
    }

    async fn put_inline_policy(&self, role: &str, name: &str, document: &str) -> Result<(), CloudError> {
        self.iam
            .put_role_policy()
            .role_name(role)
            .policy_name(name)
            .policy_document(document)
            .send()
            .await
            .map_err(|e| translate(e, &self.attempt("iam:PutRolePolicy", self.role_resource(role))))?;
        Ok(())
    }

    async fn delete_inline_policy(&self, role: &str, name: &str) -> Result<(), CloudError> {
        self.iam
            .delete_role_policy()
            .role_name(role)
            .policy_name(name)
            .send()
            .await
            .map_err(|e| translate(e, &self.attempt("iam:DeleteRolePolicy", self.role_resource(role))))?;
        Ok(())
    }
}
