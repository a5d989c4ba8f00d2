//! IPC commands of the AWS journey: each parses its input, calls the core, returns a DTO.

use serde::{Deserialize, Serialize};
use tauri::State;

use astro_identity_cloud::aws::config::AwsAccessKeys;
use astro_identity_cloud::aws::iam::{ManagedPolicy, RoleSummary};
use astro_identity_cloud::aws::permissions::{
    PermissionOutcome, PermissionPlan, apply_permission, plan_attach, plan_inline,
};
use astro_identity_cloud::aws::{
    AwsIam, AwsTarget, Caller, ChangeOutcome, NewRole, TrustChange, apply_trust_change, plan_trust_change,
    plan_trust_document, sdk_config,
};
use astro_identity_cloud::undo::undo_change;
use astro_identity_domain::Sensitive;
use astro_identity_domain::aws::arn::{RoleName, RolePath, parse_identities, validate_max_session};
use astro_identity_domain::aws::editor::{
    ConditionPreset, EditOp, EditorState, analyze, apply_edit, condition_presets,
};
use astro_identity_domain::aws::lint::{
    DEFAULT_TRUST_POLICY_QUOTA, MAX_TRUST_POLICY_QUOTA, trust_policy_quota,
};
use astro_identity_domain::aws::permission_policy::PermissionPolicy;
use astro_identity_domain::aws::trust_policy::TrustPolicy;
use astro_identity_domain::secret_key::ProfileName;

use crate::export_commands::OfflineAwsInput;
use crate::state::{OfflinePlan, StoredPlan};
use crate::{AppState, IpcError};

/// The identities a person pasted, split into valid ARNs and per-line errors.
#[derive(Debug, Clone, Serialize, specta::Type)]
#[serde(rename_all = "camelCase")]
pub struct ParsedIdentities {
    pub valid: Vec<String>,
    pub errors: Vec<IdentityProblem>,
}

#[derive(Debug, Clone, Serialize, specta::Type)]
#[serde(rename_all = "camelCase")]
pub struct IdentityProblem {
    pub input: String,
    pub message: String,
    pub hint: String,
}

#[derive(Debug, Clone, Deserialize, specta::Type)]
#[serde(rename_all = "camelCase")]
pub struct PlanRequest {
    pub target: AwsTarget,
    pub role_name: String,
    pub identities: Vec<String>,
    /// Present when the role is to be created.
    pub create: Option<NewRole>,
    pub quota: Option<u32>,
    /// Plan without credentials (`target` unused): for review and export, never applied.
    pub offline: Option<OfflineAwsInput>,
}

/// A plan the UI shows; `plan_id` is what the UI sends back to apply exactly this plan.
#[derive(Debug, Clone, Serialize, specta::Type)]
#[serde(rename_all = "camelCase")]
pub struct PlannedChange {
    pub plan_id: String,
    pub change: TrustChange,
}

#[tauri::command]
#[specta::specta]
pub fn aws_parse_identities(text: String) -> ParsedIdentities {
    match parse_identities(&text) {
        Ok(ids) => {
            ParsedIdentities { valid: ids.iter().map(|i| i.to_string()).collect(), errors: Vec::new() }
        }
        Err(errors) => ParsedIdentities {
            valid: text
                .split(|c: char| c.is_whitespace() || c == ',')
                .filter_map(|s| astro_identity_domain::aws::arn::WorkloadIdentityArn::parse(s).ok())
                .map(|i| i.to_string())
                .collect(),
            errors: errors
                .into_iter()
                .map(|e| IdentityProblem {
                    input: e.input,
                    message: e.error.sentence(),
                    hint: e.error.hint().to_owned(),
                })
                .collect(),
        },
    }
}

pub(crate) async fn connect(state: &AppState, target: &AwsTarget) -> Result<AwsIam, IpcError> {
    let keyring = state.keyring().await.ok();
    Ok(AwsIam::new(&sdk_config(target, keyring).await?))
}

/// Who these credentials act as (`sts:GetCallerIdentity`).
#[tauri::command]
#[specta::specta]
pub async fn aws_caller(state: State<'_, AppState>, target: AwsTarget) -> Result<Caller, IpcError> {
    use astro_identity_cloud::aws::RoleStore;
    Ok(connect(&state, &target).await?.caller().await?)
}

/// The account's role trust policy length quota from Service Quotas, or why it could not be
/// read (then the person sets it).
#[tauri::command]
#[specta::specta]
pub async fn aws_trust_quota(
    state: State<'_, AppState>,
    target: AwsTarget,
) -> Result<astro_identity_cloud::aws::quota::TrustQuotaReading, IpcError> {
    let keyring = state.keyring().await.ok();
    let config = sdk_config(&target, keyring).await?;
    Ok(astro_identity_cloud::aws::quota::read_trust_quota(&config).await)
}

#[tauri::command]
#[specta::specta]
pub async fn aws_list_roles(
    state: State<'_, AppState>,
    target: AwsTarget,
    search: String,
) -> Result<Vec<RoleSummary>, IpcError> {
    Ok(connect(&state, &target).await?.list_roles(&search).await?)
}

#[tauri::command]
#[specta::specta]
pub async fn aws_list_policies(
    state: State<'_, AppState>,
    target: AwsTarget,
    search: String,
) -> Result<Vec<ManagedPolicy>, IpcError> {
    Ok(connect(&state, &target).await?.list_policies(&search).await?)
}

/// A permission change the UI shows (a diff of the role's attached policies or of the
/// inline policy); `plan_id` is what the UI sends back to apply exactly this plan.
#[derive(Debug, Clone, Serialize, specta::Type)]
#[serde(rename_all = "camelCase")]
pub struct PlannedPermission {
    pub plan_id: String,
    pub plan: PermissionPlan,
}

/// Reads the role's attached policies and plans attaching `policy_arn`. Writes nothing.
#[tauri::command]
#[specta::specta]
pub async fn aws_plan_attach(
    state: State<'_, AppState>,
    target: AwsTarget,
    role_name: String,
    policy_arn: String,
) -> Result<PlannedPermission, IpcError> {
    let iam = connect(&state, &target).await?;
    let plan = plan_attach(&iam, RoleName::parse(&role_name)?.as_str(), policy_arn.trim()).await?;
    let plan_id = state.remember_plan(StoredPlan::Permission(target, plan.clone()));
    Ok(PlannedPermission { plan_id, plan })
}

/// Reads the role's inline policy `policy_name` and plans writing `document` (validated
/// first) under that name. Writes nothing.
#[tauri::command]
#[specta::specta]
pub async fn aws_plan_inline(
    state: State<'_, AppState>,
    target: AwsTarget,
    role_name: String,
    policy_name: String,
    document: String,
) -> Result<PlannedPermission, IpcError> {
    let policy = PermissionPolicy::parse(&document)?;
    let iam = connect(&state, &target).await?;
    let plan = plan_inline(&iam, RoleName::parse(&role_name)?.as_str(), policy_name.trim(), &policy).await?;
    let plan_id = state.remember_plan(StoredPlan::Permission(target, plan.clone()));
    Ok(PlannedPermission { plan_id, plan })
}

/// Applies exactly the permission plan shown under `plan_id` (replacing an inline policy only
/// with `confirm_replace`), then verifies and journals it.
#[tauri::command]
#[specta::specta]
pub async fn aws_apply_permission(
    state: State<'_, AppState>,
    plan_id: String,
    confirm_replace: bool,
) -> Result<PermissionOutcome, IpcError> {
    let Some(StoredPlan::Permission(target, plan)) = state.take_plan(&plan_id) else {
        return Err(IpcError::plan_expired());
    };
    let iam = connect(&state, &target).await?;
    Ok(apply_permission(&iam, &plan, confirm_replace, &state.journal()).await?)
}

/// Reads the role and computes the change. Writes nothing.
#[tauri::command]
#[specta::specta]
pub async fn aws_plan(state: State<'_, AppState>, request: PlanRequest) -> Result<PlannedChange, IpcError> {
    let identities = parse_identities(&request.identities.join("\n")).map_err(|errors| {
        errors.into_iter().next().map(|e| IpcError::from(e.error)).unwrap_or_else(IpcError::internal)
    })?;
    let role = RoleName::parse(&request.role_name)?;
    let create = request.create.map(validated_new_role).transpose()?;
    let quota = trust_policy_quota(request.quota)?;
    if let Some(offline) = &request.offline {
        let store = offline.store(role.as_str(), create.is_some())?;
        let change = plan_trust_change(&store, role.as_str(), &identities, create, quota).await?;
        let plan_id = state.remember_plan(StoredPlan::Offline(OfflinePlan::Trust(change.clone())));
        return Ok(PlannedChange { plan_id, change });
    }
    let iam = connect(&state, &request.target).await?;
    let change = plan_trust_change(&iam, role.as_str(), &identities, create, quota).await?;
    let plan_id = state.remember_plan(StoredPlan::Aws(request.target, change.clone()));
    Ok(PlannedChange { plan_id, change })
}

/// Applies exactly the plan shown under `plan_id`, then verifies and journals it.
#[tauri::command]
#[specta::specta]
pub async fn aws_apply(
    state: State<'_, AppState>,
    plan_id: String,
    confirm_warnings: bool,
) -> Result<ChangeOutcome, IpcError> {
    let Some(StoredPlan::Aws(target, change)) = state.take_plan(&plan_id) else {
        return Err(IpcError::plan_expired());
    };
    let iam = connect(&state, &target).await?;
    Ok(apply_trust_change(&iam, &change, confirm_warnings, &state.journal()).await?)
}

#[tauri::command]
#[specta::specta]
pub async fn aws_undo(
    state: State<'_, AppState>,
    target: AwsTarget,
    journal_id: Option<String>,
) -> Result<ChangeOutcome, IpcError> {
    let iam = connect(&state, &target).await?;
    Ok(undo_change(&iam, &state.journal(), journal_id.as_deref()).await?)
}

/// Keeps access keys in the OS keyring under `profile`; they never come back over IPC.
#[tauri::command]
#[specta::specta]
pub async fn aws_store_keys(
    state: State<'_, AppState>,
    profile: String,
    access_key_id: String,
    secret_access_key: String,
) -> Result<(), IpcError> {
    let profile = ProfileName::parse(&profile)?;
    let keys = AwsAccessKeys::new(&access_key_id, Sensitive::new(secret_access_key))?;
    let store = state.keyring().await?;
    tokio::task::spawn_blocking(move || keys.store(&store, profile))
        .await
        .map_err(|_| IpcError::internal())??;
    Ok(())
}

fn validated_new_role(spec: NewRole) -> Result<NewRole, IpcError> {
    let name = RoleName::parse(&spec.name)?;
    let path = spec.path.as_deref().filter(|p| !p.is_empty()).map(RolePath::parse).transpose()?;
    spec.max_session_duration.map(validate_max_session).transpose()?;
    Ok(NewRole {
        name: name.as_str().to_owned(),
        path: path.map(|p| p.as_str().to_owned()),
        description: spec.description.filter(|d| !d.trim().is_empty()),
        ..spec
    })
}

/// The trust policy editor's view of `text`: cards, lints and size, or where the JSON breaks.
#[tauri::command]
#[specta::specta]
pub fn aws_trust_policy_analyze(text: String, quota: Option<u32>) -> EditorState {
    // The editor only measures: an out-of-range quota is refused by the plan commands.
    analyze(
        &text,
        quota.unwrap_or(DEFAULT_TRUST_POLICY_QUOTA).clamp(DEFAULT_TRUST_POLICY_QUOTA, MAX_TRUST_POLICY_QUOTA),
    )
}

/// Applies one form edit to the policy text; returns the new text.
#[tauri::command]
#[specta::specta]
pub fn aws_trust_policy_edit(text: String, op: EditOp) -> Result<String, IpcError> {
    Ok(apply_edit(&text, &op)?)
}

#[tauri::command]
#[specta::specta]
pub fn aws_condition_presets() -> Vec<ConditionPreset> {
    condition_presets()
}

#[derive(Debug, Clone, Deserialize, specta::Type)]
#[serde(rename_all = "camelCase")]
pub struct DocumentPlanRequest {
    pub target: AwsTarget,
    pub role_name: String,
    /// The whole trust policy as edited in the editor.
    pub document: String,
    pub create: Option<NewRole>,
    pub quota: Option<u32>,
    /// Plan without credentials: the "before" is the pasted policy (or none).
    pub offline: Option<OfflineAwsInput>,
}

/// Plans replacing the role's trust policy with an edited document. Writes nothing.
#[tauri::command]
#[specta::specta]
pub async fn aws_plan_document(
    state: State<'_, AppState>,
    request: DocumentPlanRequest,
) -> Result<PlannedChange, IpcError> {
    let document = TrustPolicy::parse(&request.document)?;
    let role = RoleName::parse(&request.role_name)?;
    let create = request.create.map(validated_new_role).transpose()?;
    let quota = trust_policy_quota(request.quota)?;
    if let Some(offline) = &request.offline {
        let store = offline.store(role.as_str(), create.is_some())?;
        let change = plan_trust_document(&store, role.as_str(), &document, create, quota).await?;
        let plan_id = state.remember_plan(StoredPlan::Offline(OfflinePlan::Trust(change.clone())));
        return Ok(PlannedChange { plan_id, change });
    }
    let iam = connect(&state, &request.target).await?;
    let change = plan_trust_document(&iam, role.as_str(), &document, create, quota).await?;
    let plan_id = state.remember_plan(StoredPlan::Aws(request.target, change.clone()));
    Ok(PlannedChange { plan_id, change })
}
