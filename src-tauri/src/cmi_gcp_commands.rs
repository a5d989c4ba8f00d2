//! IPC commands of Customer Managed Identity on GCP: plan (the service account's roles on
//! the project, Token Creator for the Deployments' Astro identities, their identity changes)
//! and apply exactly that plan. The Deployments are read from the Astro API at plan time:
//! their identity in force decides who is granted, not what the window shows.

use serde::{Deserialize, Serialize};
use tauri::State;

use astro_identity_cloud::backoff::Backoff;
use astro_identity_cloud::deployment_identity::set_workload_identities;
use astro_identity_cloud::gcp::attach_sa::{AttachSaPlan, AttachSaRequest, apply_attach_sa, plan_attach_sa};
use astro_identity_cloud::gcp::{BindingOutcome, GcpTarget};
use astro_identity_domain::gcp::identity::{ProjectId, ServiceAccountEmail};

use crate::astro_commands::{AstroAccess, client as astro_client};
use crate::attach_context::{AttachContext, PickedDeployment};
use crate::gcp_commands::connect;
use astro_identity_cloud::gcp::PolicyResource;
use astro_identity_cloud::offline::OFFLINE_CALLER;

use crate::export_commands::OfflineGcpInput;
use crate::state::{OfflinePlan, StoredPlan};
use crate::{AppState, IpcError};

#[derive(Debug, Clone, Deserialize, specta::Type)]
#[serde(rename_all = "camelCase")]
pub struct AttachSaWindowRequest {
    pub target: GcpTarget,
    /// The customer's service account the Deployments will use.
    pub service_account: String,
    /// Where `roles` are granted (and what the connection names).
    pub project: String,
    pub roles: Vec<String>,
    pub deployments: Vec<PickedDeployment>,
    pub astro: AstroAccess,
    pub organization_id: String,
    /// Plan without credentials: for review and export, never applied.
    pub offline: Option<OfflineGcpInput>,
}

#[derive(Debug, Clone, Serialize, specta::Type)]
#[serde(rename_all = "camelCase")]
pub struct PlannedAttachSa {
    pub plan_id: String,
    pub plan: AttachSaPlan,
}

#[derive(Debug, Clone, Serialize, specta::Type)]
#[serde(rename_all = "camelCase")]
pub struct AttachSaOutcome {
    /// The grants written, in order.
    pub grants: Vec<BindingOutcome>,
    /// Journal ids of the Deployments' identity changes (none when they already used it).
    pub identity_journal_ids: Vec<String>,
}

/// Reads the Deployments, the project's and the account's IAM policies; computes the change.
/// Writes nothing.
#[tauri::command]
#[specta::specta]
pub async fn gcp_plan_attach_sa(
    state: State<'_, AppState>,
    request: AttachSaWindowRequest,
) -> Result<PlannedAttachSa, IpcError> {
    let account = ServiceAccountEmail::parse(&request.service_account)?;
    let project = ProjectId::parse(&request.project)?;
    let roles: Vec<String> =
        request.roles.iter().map(|r| r.trim().to_owned()).filter(|r| !r.is_empty()).collect();
    let ids: Vec<String> = request.deployments.iter().map(|d| d.id.clone()).collect();
    let client = astro_client(&state, &request.astro).await?;
    let deployments = client.resolve(request.organization_id.trim(), &ids).await?;
    let attach = AttachSaRequest {
        service_account: &account,
        project: Some(&project),
        roles: &roles,
        deployments: &deployments,
    };
    if let Some(offline) = &request.offline {
        let store = offline.store(&PolicyResource::project(&project))?;
        let plan = plan_attach_sa(&store, &attach, Some(OFFLINE_CALLER.to_owned())).await?;
        let plan_id = state.remember_plan(StoredPlan::Offline(OfflinePlan::AttachSa(Box::new(plan.clone()))));
        return Ok(PlannedAttachSa { plan_id, plan });
    }
    let projects = connect(&state, &request.target).await?;
    let principal = projects.principal.clone();
    let plan = plan_attach_sa(&projects, &attach, principal).await?;
    let context = AttachContext {
        astro: request.astro,
        organization_id: request.organization_id,
        deployments: request.deployments,
    };
    let plan_id =
        state.remember_plan(StoredPlan::AttachSa(Box::new((request.target, context, plan.clone()))));
    Ok(PlannedAttachSa { plan_id, plan })
}

/// Applies exactly the plan shown: the grants, then each Deployment's identity.
#[tauri::command]
#[specta::specta]
pub async fn gcp_apply_attach_sa(
    state: State<'_, AppState>,
    plan_id: String,
    confirm_warnings: bool,
) -> Result<AttachSaOutcome, IpcError> {
    let Some(StoredPlan::AttachSa(stored)) = state.take_plan(&plan_id) else {
        return Err(IpcError::plan_expired());
    };
    let (target, context, plan) = *stored;
    let journal = state.journal();
    let projects = connect(&state, &target).await?;
    let grants = apply_attach_sa(&projects, &plan, confirm_warnings, &journal, Backoff::DEFAULT).await?;
    let client = astro_client(&state, &context.astro).await?;
    let identity_journal_ids =
        set_workload_identities(&client, &context.refs(), &plan.service_account, &journal).await?;
    Ok(AttachSaOutcome { grants, identity_journal_ids })
}
