//! Plans as exports: what each journey's plan changes, handed to the domain's renderers
//! (`astro_identity_domain::export`). The CLI and the window share these, so an export from
//! either is the same text.

use serde_json::Value;

use astro_identity_domain::aws::lint::{Lint, LintLevel};
use astro_identity_domain::aws::plan::TrustPlan;
use astro_identity_domain::export::{
    AwsExport, Checks, DeploymentRef, ExportPlan, GcpExport, GcpResource, GrantSpec, InlinePolicy,
    ProviderSpec, RoleSpec,
};
use astro_identity_domain::gcp::lint::{IamLint, IamLintLevel};

use crate::CloudError;
use crate::aws::attach_role::CmiPlan;
use crate::aws::iam::Caller;
use crate::aws::trust_change::TrustChange;
use crate::gcp::attach_sa::AttachSaPlan;
use crate::gcp::binding_change::BindingChange;
use crate::gcp::projects::PolicyResource;
use crate::offline::OFFLINE_CALLER;

/// Permissions the journey set on the role besides its trust.
#[derive(Debug, Clone, Default)]
pub struct RolePermissions {
    pub managed: Vec<String>,
    /// Name and document (JSON text, validated by the caller).
    pub inline: Vec<(String, String)>,
}

/// The seed's setup: a role whose trust policy names Astro's identities.
pub fn trust_export(change: &TrustChange, permissions: &RolePermissions) -> Result<ExportPlan, CloudError> {
    Ok(ExportPlan::Aws(Box::new(AwsExport {
        role: role_spec(change),
        role_exists: change.create.is_none(),
        trust_policy: document(&change.plan.compact_after)?,
        providers: Vec::new(),
        managed_policies: permissions.managed.clone(),
        inline_policies: inline(permissions)?,
        attach_to: Vec::new(),
        checks: aws_checks(&change.caller, &change.plan),
    })))
}

/// Customer Managed Identity on AWS: the providers, the role, and the Deployments to point
/// at it.
pub fn attach_role_export(
    plan: &CmiPlan,
    deployments: &[DeploymentRef],
    permissions: &RolePermissions,
) -> Result<ExportPlan, CloudError> {
    let offline = plan.caller.arn == OFFLINE_CALLER;
    let providers = plan
        .providers
        .iter()
        .map(|p| ProviderSpec {
            url: p.url.clone(),
            arn: p.arn.clone(),
            exists: if offline { None } else { Some(p.client_ids.is_some()) },
        })
        .collect();
    let mut role = role_spec(&plan.trust);
    role.arn = Some(plan.role_arn.clone());
    Ok(ExportPlan::Aws(Box::new(AwsExport {
        role,
        role_exists: plan.trust.create.is_none(),
        trust_policy: document(&plan.trust.plan.compact_after)?,
        providers,
        managed_policies: permissions.managed.clone(),
        inline_policies: inline(permissions)?,
        attach_to: deployments.to_vec(),
        checks: aws_checks(&plan.caller, &plan.trust.plan),
    })))
}

/// One grant of one role to several members.
pub fn grant_export(change: &BindingChange) -> ExportPlan {
    ExportPlan::Gcp(GcpExport {
        grants: vec![grant_spec(change)],
        service_account: None,
        attach_to: Vec::new(),
        checks: gcp_checks(std::slice::from_ref(change)),
    })
}

/// Customer Managed Identity on Google Cloud: the account's roles, Token Creator for the
/// Deployments, and the Deployments to point at the account.
pub fn attach_sa_export(plan: &AttachSaPlan) -> ExportPlan {
    ExportPlan::Gcp(GcpExport {
        grants: plan.grants.iter().map(grant_spec).collect(),
        service_account: Some(plan.service_account.clone()),
        attach_to: plan
            .identities
            .iter()
            .map(|step| DeploymentRef { id: step.deployment_id.clone(), name: step.name.clone() })
            .collect(),
        checks: gcp_checks(&plan.grants),
    })
}

fn role_spec(change: &TrustChange) -> RoleSpec {
    let create = change.create.as_ref();
    let arn = change.role_arn.clone().or_else(|| {
        let account = &change.caller.account;
        let path = create.and_then(|c| c.path.as_deref()).unwrap_or("/");
        (!account.is_empty()).then(|| format!("arn:aws:iam::{account}:role{path}{}", change.role_name))
    });
    RoleSpec {
        name: change.role_name.clone(),
        path: create.and_then(|c| c.path.clone()),
        description: create.and_then(|c| c.description.clone()),
        max_session_duration: create.and_then(|c| c.max_session_duration),
        tags: create.map(|c| c.tags.clone()).unwrap_or_default(),
        arn,
    }
}

fn document(compact: &str) -> Result<Value, CloudError> {
    serde_json::from_str(compact).map_err(|e| CloudError::Refused {
        reason: format!("the planned policy is not JSON: {e}"),
        hint: String::from("Plan again."),
    })
}

fn inline(permissions: &RolePermissions) -> Result<Vec<InlinePolicy>, CloudError> {
    permissions
        .inline
        .iter()
        .map(|(name, text)| Ok(InlinePolicy { name: name.clone(), document: document(text)? }))
        .collect()
}

fn aws_checks(caller: &Caller, plan: &TrustPlan) -> Checks {
    let source = match (caller.arn == OFFLINE_CALLER, plan.before_json.is_some()) {
        (true, true) => String::from("offline, without credentials, from the trust policy given"),
        (true, false) => String::from("offline, without credentials, for a new role"),
        (false, _) => format!("read from account {} as {}", caller.account, caller.arn),
    };
    Checks {
        source,
        lints: plan.lints.iter().map(aws_lint).collect(),
        size: Some((plan.size.used, plan.size.quota)),
    }
}

fn aws_lint(lint: &Lint) -> String {
    let level = if lint.level == LintLevel::Error { "error" } else { "warning" };
    format!("{level}: {}", lint.message)
}

fn gcp_checks(changes: &[BindingChange]) -> Checks {
    // Offline plans are made with `OFFLINE_CALLER` as their principal.
    let offline = changes.iter().any(|c| c.principal.as_deref() == Some(OFFLINE_CALLER));
    let source = if offline {
        String::from("offline, without credentials, from the IAM policy given or an empty one")
    } else {
        let resources: Vec<String> = changes.iter().map(|c| c.resource.name()).collect();
        format!("read from {}", resources.join(", "))
    };
    let mut lints: Vec<String> = Vec::new();
    for lint in changes.iter().flat_map(|c| &c.plan.lints) {
        let line = gcp_lint(lint);
        if !lints.contains(&line) {
            lints.push(line);
        }
    }
    Checks { source, lints, size: None }
}

fn gcp_lint(lint: &IamLint) -> String {
    let level = if lint.level == IamLintLevel::Error { "error" } else { "warning" };
    format!("{level}: {}", lint.message)
}

fn grant_spec(change: &BindingChange) -> GrantSpec {
    GrantSpec {
        resource: match &change.resource {
            PolicyResource::Project(id) => GcpResource::Project(id.clone()),
            PolicyResource::ServiceAccount(email) => GcpResource::ServiceAccount(email.clone()),
        },
        role: change.plan.role.clone(),
        members: change.plan.members.clone(),
        condition: change.plan.condition.clone(),
    }
}
