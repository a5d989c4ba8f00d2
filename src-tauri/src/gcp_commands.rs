//! IPC commands of the GCP journey: each parses its input, calls the core, returns a DTO.

use serde::{Deserialize, Serialize};
use tauri::State;

use astro_identity_cloud::gcp::config::ServiceAccountKey;
use astro_identity_cloud::gcp::projects::GrantableRole;
use astro_identity_cloud::gcp::{
    Backoff, BindingChange, BindingOutcome, GcpProjects, GcpTarget, PolicyResource, apply_binding,
    plan_grant, plan_policy_document,
};
use astro_identity_cloud::undo::undo_binding;
use astro_identity_domain::Sensitive;
use astro_identity_domain::gcp::catalog::{self, RoleInfo};
use astro_identity_domain::gcp::editor::{self as bindings_editor, BindingsOp, BindingsState};
use astro_identity_domain::gcp::iam_policy::{Condition, IamPolicy};
use astro_identity_domain::gcp::identity::{GrantRoute, ProjectId, ServiceAccountEmail};
use astro_identity_domain::gcp::permissions::{RoleAllows, what_roles_allow};
use astro_identity_domain::secret_key::ProfileName;

use astro_identity_cloud::offline::OFFLINE_CALLER;

use crate::export_commands::OfflineGcpInput;
use crate::state::{OfflinePlan, StoredPlan};
use crate::{AppState, IpcError};

/// The Deployment's service account as pasted: the member to grant, or the problem.
#[derive(Debug, Clone, Serialize, specta::Type)]
#[serde(rename_all = "camelCase")]
pub struct ParsedServiceAccount {
    pub member: Option<String>,
    pub error: Option<IpcError>,
}

#[derive(Debug, Clone, Deserialize, specta::Type)]
#[serde(rename_all = "camelCase")]
pub struct ConditionInput {
    pub title: String,
    pub description: Option<String>,
    pub expression: String,
}

impl ConditionInput {
    pub(crate) fn parse(&self) -> Result<Condition, IpcError> {
        Ok(Condition::new(&self.title, self.description.as_deref(), &self.expression)?)
    }
}

/// The Deployments' service accounts as IAM members, once each; blank lines are skipped.
pub(crate) fn members_of(service_accounts: &[String]) -> Result<Vec<String>, IpcError> {
    let mut members: Vec<String> = Vec::new();
    for text in service_accounts.iter().filter(|t| !t.trim().is_empty()) {
        let member = ServiceAccountEmail::parse(text)?.member();
        if !members.contains(&member) {
            members.push(member);
        }
    }
    Ok(members)
}

#[derive(Debug, Clone, Deserialize, specta::Type)]
#[serde(rename_all = "camelCase")]
pub struct GrantRequest {
    pub target: GcpTarget,
    pub project: String,
    /// The Deployments' service accounts (the members), granted in one write.
    pub service_accounts: Vec<String>,
    /// The role on the project; ignored on the impersonation route.
    pub role: String,
    pub condition: Option<ConditionInput>,
    /// The impersonation route: grant token creation on this service account of the user's.
    pub impersonate: Option<String>,
    /// Plan without credentials: for review and export, never applied.
    pub offline: Option<OfflineGcpInput>,
}

#[derive(Debug, Clone, Serialize, specta::Type)]
#[serde(rename_all = "camelCase")]
pub struct PlannedGrant {
    pub plan_id: String,
    pub change: BindingChange,
}

#[tauri::command]
#[specta::specta]
pub fn gcp_parse_service_account(text: String) -> ParsedServiceAccount {
    match ServiceAccountEmail::parse(&text) {
        Ok(account) => ParsedServiceAccount { member: Some(account.member()), error: None },
        Err(err) => ParsedServiceAccount { member: None, error: Some(err.into()) },
    }
}

/// The offline catalog of predefined roles, searched by name, title and description.
#[tauri::command]
#[specta::specta]
pub fn gcp_search_roles(query: String, limit: u32) -> Vec<RoleInfo> {
    catalog::search(&query, limit.min(200)).into_iter().cloned().collect()
}

/// What each role allows (its permissions, offline), filtered by `query`.
#[tauri::command]
#[specta::specta]
pub fn gcp_role_permissions(roles: Vec<String>, query: String) -> Vec<RoleAllows> {
    what_roles_allow(&roles, &query)
}

/// The roles grantable on the project, live from the IAM API.
#[tauri::command]
#[specta::specta]
pub async fn gcp_grantable_roles(
    state: State<'_, AppState>,
    target: GcpTarget,
    project: String,
) -> Result<Vec<GrantableRole>, IpcError> {
    let project = ProjectId::parse(&project)?;
    Ok(connect(&state, &target).await?.grantable_roles(&project).await?)
}

pub(crate) async fn connect(state: &AppState, target: &GcpTarget) -> Result<GcpProjects, IpcError> {
    let keyring = state.keyring().await.ok();
    Ok(GcpProjects::connect(target, keyring).await?)
}

/// Reads the project's IAM policy and computes the grant. Writes nothing.
#[tauri::command]
#[specta::specta]
pub async fn gcp_plan(state: State<'_, AppState>, request: GrantRequest) -> Result<PlannedGrant, IpcError> {
    ProjectId::parse(&request.project)?;
    let members = members_of(&request.service_accounts)?;
    let route =
        GrantRoute::choose(Some(&request.project), Some(&request.role), request.impersonate.as_deref())?;
    let (resource, role) = (PolicyResource::for_route(&route), route.role().to_owned());
    let condition = request.condition.as_ref().map(ConditionInput::parse).transpose()?;
    if let Some(offline) = &request.offline {
        let store = offline.store(&resource)?;
        let principal = Some(OFFLINE_CALLER.to_owned());
        let change = plan_grant(&store, &resource, &role, &members, condition.as_ref(), principal).await?;
        let plan_id = state.remember_plan(StoredPlan::Offline(OfflinePlan::Grant(change.clone())));
        return Ok(PlannedGrant { plan_id, change });
    }
    let projects = connect(&state, &request.target).await?;
    let principal = projects.principal.clone();
    let change = plan_grant(&projects, &resource, &role, &members, condition.as_ref(), principal).await?;
    let plan_id = state.remember_plan(StoredPlan::Gcp(request.target, change.clone()));
    Ok(PlannedGrant { plan_id, change })
}

/// Applies exactly the grant shown under `plan_id`: etag-safe, verified, journaled.
#[tauri::command]
#[specta::specta]
pub async fn gcp_apply(
    state: State<'_, AppState>,
    plan_id: String,
    confirm_warnings: bool,
) -> Result<BindingOutcome, IpcError> {
    let Some(StoredPlan::Gcp(target, change)) = state.take_plan(&plan_id) else {
        return Err(IpcError::plan_expired());
    };
    let projects = connect(&state, &target).await?;
    Ok(apply_binding(&projects, &change, confirm_warnings, &state.journal(), Backoff::DEFAULT).await?)
}

#[tauri::command]
#[specta::specta]
pub async fn gcp_undo(
    state: State<'_, AppState>,
    target: GcpTarget,
    journal_id: Option<String>,
) -> Result<BindingOutcome, IpcError> {
    let projects = connect(&state, &target).await?;
    Ok(undo_binding(&projects, &state.journal(), journal_id.as_deref(), Backoff::DEFAULT).await?)
}

/// Keeps a service account key in the OS keyring under `profile`; it never comes back.
#[tauri::command]
#[specta::specta]
pub async fn gcp_store_key(
    state: State<'_, AppState>,
    profile: String,
    key_json: String,
) -> Result<String, IpcError> {
    let profile = ProfileName::parse(&profile)?;
    let key = ServiceAccountKey::parse(Sensitive::new(key_json))?;
    let email = key.client_email.clone();
    let store = state.keyring().await?;
    tokio::task::spawn_blocking(move || key.store(&store, profile))
        .await
        .map_err(|_| IpcError::internal())??;
    Ok(email)
}

/// The bindings editor's view of `text`: the role → members table and lints, or where the
/// JSON breaks.
#[tauri::command]
#[specta::specta]
pub fn gcp_bindings_analyze(text: String) -> BindingsState {
    bindings_editor::analyze(&text)
}

/// Applies one table edit to the policy text; returns the new text.
#[tauri::command]
#[specta::specta]
pub fn gcp_bindings_edit(text: String, op: BindingsOp) -> Result<String, IpcError> {
    Ok(bindings_editor::apply_edit(&text, &op)?)
}

#[derive(Debug, Clone, Deserialize, specta::Type)]
#[serde(rename_all = "camelCase")]
pub struct PolicyDocumentRequest {
    pub target: GcpTarget,
    pub resource: PolicyResource,
    /// The whole policy as edited in the bindings editor.
    pub document: String,
    /// Plan without credentials: the "before" is the pasted policy (or an empty one).
    pub offline: Option<OfflineGcpInput>,
}

/// Plans replacing the policy with an edited document. Writes nothing.
#[tauri::command]
#[specta::specta]
pub async fn gcp_plan_document(
    state: State<'_, AppState>,
    request: PolicyDocumentRequest,
) -> Result<PlannedGrant, IpcError> {
    let resource = request.resource.validated()?;
    let document = IamPolicy::parse(&request.document)?;
    if let Some(offline) = &request.offline {
        let store = offline.store(&resource)?;
        let principal = Some(OFFLINE_CALLER.to_owned());
        let change = plan_policy_document(&store, &resource, &document, principal).await?;
        let plan_id = state.remember_plan(StoredPlan::Offline(OfflinePlan::Grant(change.clone())));
        return Ok(PlannedGrant { plan_id, change });
    }
    let projects = connect(&state, &request.target).await?;
    let principal = projects.principal.clone();
    let change = plan_policy_document(&projects, &resource, &document, principal).await?;
    let plan_id = state.remember_plan(StoredPlan::Gcp(request.target, change.clone()));
    Ok(PlannedGrant { plan_id, change })
}
