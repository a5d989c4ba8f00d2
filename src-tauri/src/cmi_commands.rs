//! IPC commands of Customer Managed Identity on AWS: plan (OIDC providers, the merged trust
//! policy, the Deployments' identity changes) and apply exactly that plan.

use serde::{Deserialize, Serialize};
use tauri::State;

use astro_identity_cloud::aws::attach_role::{
    CmiDeployment, CmiOutcome, CmiPlan, CmiRequest, apply_attach_role, plan_attach_role,
};
use astro_identity_cloud::aws::{AwsIam, AwsTarget, NewRole, sdk_config};
use astro_identity_cloud::deployment_identity::set_workload_identities;
use astro_identity_domain::aws::arn::RoleName;
use astro_identity_domain::aws::lint::trust_policy_quota;

use crate::astro_commands::{AstroAccess, client as astro_client};
use crate::attach_context::{AttachContext, PickedDeployment};
use crate::export_commands::OfflineAwsInput;
use crate::state::{OfflinePlan, StoredPlan};
use crate::{AppState, IpcError};

#[derive(Debug, Clone, Deserialize, specta::Type)]
#[serde(rename_all = "camelCase")]
pub struct AttachRoleRequest {
    pub target: AwsTarget,
    pub role_name: String,
    /// Present when the role is to be created (if it does not exist yet).
    pub create: Option<NewRole>,
    pub deployments: Vec<PickedDeployment>,
    pub wildcard_subjects: bool,
    pub quota: Option<u32>,
    /// Where the Deployments' workload identity is set.
    pub astro: AstroAccess,
    pub organization_id: String,
    /// Plan without credentials: for review and export, never applied.
    pub offline: Option<OfflineAwsInput>,
}

#[derive(Debug, Clone, Serialize, specta::Type)]
#[serde(rename_all = "camelCase")]
pub struct PlannedAttach {
    pub plan_id: String,
    pub plan: CmiPlan,
}

#[derive(Debug, Clone, Serialize, specta::Type)]
#[serde(rename_all = "camelCase")]
pub struct AttachOutcome {
    pub iam: CmiOutcome,
    /// Journal ids of the Deployments' identity changes (none when they already used it).
    pub identity_journal_ids: Vec<String>,
}

/// Reads the clusters' OIDC providers and the role; computes the change. Writes nothing.
#[tauri::command]
#[specta::specta]
pub async fn aws_plan_attach_role(
    state: State<'_, AppState>,
    request: AttachRoleRequest,
) -> Result<PlannedAttach, IpcError> {
    let role = RoleName::parse(&request.role_name)?;
    let mut deployments = Vec::new();
    for picked in &request.deployments {
        let issuer = picked.oidc_issuer_url.clone().filter(|u| !u.trim().is_empty()).ok_or_else(|| {
            IpcError::invalid(
                "deployment",
                &format!("Deployment {} has no OIDC issuer: its cluster does not support Customer Managed Identity", picked.name),
                "Untick it, or authorize it with “Astro's identity assumes my role”.",
            )
        })?;
        deployments.push(CmiDeployment {
            label: format!("{} ({})", picked.name, picked.id),
            namespace: picked.namespace.clone(),
            issuer_url: issuer,
        });
    }
    let cmi = CmiRequest {
        role_name: role.as_str().to_owned(),
        create: request.create.clone(),
        deployments,
        wildcard_subjects: request.wildcard_subjects,
        quota: trust_policy_quota(request.quota)?,
    };
    if let Some(offline) = &request.offline {
        let store = offline.store(role.as_str(), cmi.create.is_some())?;
        let plan = plan_attach_role(&store, &cmi).await?;
        let stored = OfflinePlan::Attach(Box::new((request.deployments, plan.clone())));
        let plan_id = state.remember_plan(StoredPlan::Offline(stored));
        return Ok(PlannedAttach { plan_id, plan });
    }
    let iam = AwsIam::new(&sdk_config(&request.target, state.keyring().await.ok()).await?);
    let plan = plan_attach_role(&iam, &cmi).await?;
    let context = AttachContext {
        astro: request.astro,
        organization_id: request.organization_id,
        deployments: request.deployments,
    };
    let plan_id = state.remember_plan(StoredPlan::Attach(Box::new((request.target, context, plan.clone()))));
    Ok(PlannedAttach { plan_id, plan })
}

/// Applies exactly the plan shown: providers, trust policy, then each Deployment's identity.
#[tauri::command]
#[specta::specta]
pub async fn aws_apply_attach_role(
    state: State<'_, AppState>,
    plan_id: String,
    confirm_warnings: bool,
) -> Result<AttachOutcome, IpcError> {
    let Some(StoredPlan::Attach(stored)) = state.take_plan(&plan_id) else {
        return Err(IpcError::plan_expired());
    };
    let (target, context, plan) = *stored;
    let journal = state.journal();
    let iam = AwsIam::new(&sdk_config(&target, state.keyring().await.ok()).await?);
    let outcome = apply_attach_role(&iam, &plan, confirm_warnings, &journal).await?;
    let client = astro_client(&state, &context.astro).await?;
    let identity_journal_ids =
        set_workload_identities(&client, &context.refs(), &plan.role_arn, &journal).await?;
    Ok(AttachOutcome { iam: outcome, identity_journal_ids })
}
