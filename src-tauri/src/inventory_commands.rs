//! IPC commands of the Inventory screen: who can reach what (read-only), and offboarding one
//! identity — planned as one reviewed set of changes, applied through the change engine (each
//! journaled; the screen undoes them as a group through the History commands).

use serde::{Deserialize, Serialize};
use tauri::State;

use astro_identity_cloud::astro::DeploymentFilter;
use astro_identity_cloud::aws::{AwsIam, AwsTarget, TrustChange, apply_trust_change, sdk_config};
use astro_identity_cloud::gcp::{Backoff, BindingChange, GcpTarget, PolicyResource, apply_binding};
use astro_identity_cloud::inventory::{
    InventoryRow, aws_inventory, gcp_inventory, plan_revoke_aws, plan_revoke_gcp,
};
use astro_identity_domain::astro::Deployment;
use astro_identity_domain::gcp::identity::{ProjectId, ServiceAccountEmail};

use crate::astro_commands::{AstroAccess, client as astro_client};
use crate::gcp_commands::connect as gcp_connect;
use crate::state::{RevokePlan, StoredPlan};
use crate::{AppState, IpcError};

/// Ties identities to Deployments by name when given; by shape otherwise.
#[derive(Debug, Clone, Deserialize, specta::Type)]
#[serde(rename_all = "camelCase")]
pub struct AstroMatch {
    pub access: AstroAccess,
    /// Empty: the token's only organization.
    pub organization_id: String,
}

/// Which GCP policies to read: projects and service accounts.
#[derive(Debug, Clone, Deserialize, specta::Type)]
#[serde(rename_all = "camelCase")]
pub struct GcpPlaces {
    pub target: GcpTarget,
    pub projects: Vec<String>,
    pub service_accounts: Vec<String>,
}

impl GcpPlaces {
    fn resources(&self) -> Result<Vec<PolicyResource>, IpcError> {
        let mut resources = Vec::new();
        for project in self.projects.iter().filter(|p| !p.trim().is_empty()) {
            resources.push(PolicyResource::project(&ProjectId::parse(project)?));
        }
        for account in self.service_accounts.iter().filter(|a| !a.trim().is_empty()) {
            resources.push(PolicyResource::service_account(&ServiceAccountEmail::parse(account)?));
        }
        if resources.is_empty() {
            return Err(IpcError::invalid(
                "project_id",
                "No project or service account to read.",
                "Give at least one project id (or a service account).",
            ));
        }
        Ok(resources)
    }
}

async fn deployments(state: &AppState, astro: Option<&AstroMatch>) -> Result<Vec<Deployment>, IpcError> {
    let Some(astro) = astro else { return Ok(Vec::new()) };
    let client = astro_client(state, &astro.access).await?;
    let requested = Some(astro.organization_id.trim()).filter(|o| !o.is_empty());
    let organization = client.organization(requested).await?;
    Ok(client.deployments(&organization.id, &DeploymentFilter::default(), |_, _| {}).await?)
}

/// Every role of the account whose trust policy admits an Astro identity.
#[tauri::command]
#[specta::specta]
pub async fn inventory_aws(
    state: State<'_, AppState>,
    target: AwsTarget,
    astro: Option<AstroMatch>,
) -> Result<Vec<InventoryRow>, IpcError> {
    let deployments = deployments(&state, astro.as_ref()).await?;
    let iam = AwsIam::new(&sdk_config(&target, state.keyring().await.ok()).await?);
    Ok(aws_inventory(&iam, &state.journal(), &deployments).await?)
}

/// Every binding of the projects and service accounts held by an Astro identity.
#[tauri::command]
#[specta::specta]
pub async fn inventory_gcp(
    state: State<'_, AppState>,
    places: GcpPlaces,
    astro: Option<AstroMatch>,
) -> Result<Vec<InventoryRow>, IpcError> {
    let resources = places.resources()?;
    let deployments = deployments(&state, astro.as_ref()).await?;
    let projects = gcp_connect(&state, &places.target).await?;
    Ok(gcp_inventory(&projects, &resources, &state.journal(), &deployments).await?)
}

#[derive(Debug, Clone, Deserialize, specta::Type)]
#[serde(rename_all = "camelCase")]
pub struct RevokeRequest {
    /// A role ARN, `NS@ISSUER`, or a service account (`serviceAccount:EMAIL` or the email).
    pub identity: String,
    pub aws: Option<AwsTarget>,
    pub gcp: Option<GcpPlaces>,
}

#[derive(Debug, Clone, Serialize, specta::Type)]
#[serde(rename_all = "camelCase")]
pub struct PlannedRevoke {
    pub plan_id: String,
    pub identity: String,
    pub aws: Vec<TrustChange>,
    pub gcp: Vec<BindingChange>,
}

/// Reads every place the identity may hold access and plans removing it. Writes nothing.
#[tauri::command]
#[specta::specta]
pub async fn revoke_plan(
    state: State<'_, AppState>,
    request: RevokeRequest,
) -> Result<PlannedRevoke, IpcError> {
    let identity = request.identity.trim().to_owned();
    // A Google service account lives only in GCP policies; anything else only in trust policies.
    let service_account = identity.trim_start_matches("serviceAccount:").ends_with(".gserviceaccount.com");
    let aws = match &request.aws {
        Some(target) if !service_account => {
            let iam = AwsIam::new(&sdk_config(target, state.keyring().await.ok()).await?);
            plan_revoke_aws(&iam, &identity).await?
        }
        _ => Vec::new(),
    };
    let gcp = match &request.gcp {
        Some(places) if service_account => {
            let projects = gcp_connect(&state, &places.target).await?;
            plan_revoke_gcp(&projects, &places.resources()?, &identity, projects.principal.clone()).await?
        }
        _ => Vec::new(),
    };
    let stored = StoredPlan::Revoke(Box::new(RevokePlan {
        aws_target: request.aws,
        gcp_target: request.gcp.map(|g| g.target),
        aws: aws.clone(),
        gcp: gcp.clone(),
    }));
    let plan_id = state.remember_plan(stored);
    Ok(PlannedRevoke { plan_id, identity, aws, gcp })
}

/// Applies exactly the revoke shown; the journal ids, in the order written (undo newest first).
#[tauri::command]
#[specta::specta]
pub async fn revoke_apply(state: State<'_, AppState>, plan_id: String) -> Result<Vec<String>, IpcError> {
    let Some(StoredPlan::Revoke(stored)) = state.take_plan(&plan_id) else {
        return Err(IpcError::plan_expired());
    };
    let RevokePlan { aws_target, gcp_target, aws, gcp } = *stored;
    // All or nothing: a blocked change refuses the whole revoke before anything is written.
    let blocked = aws.iter().map(|c| (c.plan.blocked, format!("role {}", c.role_name)));
    let blocked = blocked.chain(gcp.iter().map(|c| (c.plan.blocked, c.resource.to_string())));
    let blocked: Vec<String> = blocked.filter(|(b, _)| *b).map(|(_, what)| what).collect();
    if !blocked.is_empty() {
        return Err(IpcError::from(astro_identity_cloud::CloudError::Refused {
            reason: format!("the change to {} has errors, nothing was revoked", blocked.join(", ")),
            hint: String::from(
                "Read the errors in the plan: a role only this identity could assume cannot be left \
                 without a trust statement. Delete the role, or add who else may assume it.",
            ),
        }));
    }
    let journal = state.journal();
    let mut ids = Vec::new();
    if let (Some(target), false) = (&aws_target, aws.is_empty()) {
        let iam = AwsIam::new(&sdk_config(target, state.keyring().await.ok()).await?);
        for change in &aws {
            ids.extend(apply_trust_change(&iam, change, true, &journal).await?.journal_id);
        }
    }
    if let (Some(target), false) = (&gcp_target, gcp.is_empty()) {
        let projects = gcp_connect(&state, target).await?;
        for change in &gcp {
            ids.extend(apply_binding(&projects, change, true, &journal, Backoff::DEFAULT).await?.journal_id);
        }
    }
    Ok(ids)
}
