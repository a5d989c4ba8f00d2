//! IPC commands of the Inventory screen: who can reach what (read-only), and offboarding one
//! identity — planned as one reviewed set of changes, applied through the change engine (each
//! journaled; the screen undoes them as a group through the History commands).

use serde::{Deserialize, Serialize};
use tauri::State;

use astro_identity_cloud::astro::DeploymentFilter;
use astro_identity_cloud::aws::{AwsIam, AwsTarget, TrustChange, sdk_config};
use astro_identity_cloud::gcp::{BindingChange, GcpTarget, PolicyResource};
use astro_identity_cloud::inventory::{
    InventoryRow, apply_revoke, aws_inventory, gcp_inventory, gcp_places, plan_revoke_aws, plan_revoke_gcp,
};
use astro_identity_domain::astro::Deployment;

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
        Ok(gcp_places(&self.projects, &self.service_accounts)?)
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
    let aws = match &request.aws {
        Some(target) => {
            let iam = AwsIam::new(&sdk_config(target, state.keyring().await.ok()).await?);
            plan_revoke_aws(&iam, &identity).await?
        }
        None => Vec::new(),
    };
    let gcp = match &request.gcp {
        Some(places) => {
            let projects = gcp_connect(&state, &places.target).await?;
            plan_revoke_gcp(&projects, &places.resources()?, &identity, projects.principal.clone()).await?
        }
        None => Vec::new(),
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
    let iam = match (&aws_target, aws.is_empty()) {
        (Some(target), false) => Some(AwsIam::new(&sdk_config(target, state.keyring().await.ok()).await?)),
        _ => None,
    };
    let projects = match (&gcp_target, gcp.is_empty()) {
        (Some(target), false) => Some(gcp_connect(&state, target).await?),
        _ => None,
    };
    Ok(apply_revoke(iam.as_ref(), projects.as_ref(), &aws, &gcp, &state.journal()).await?)
}
