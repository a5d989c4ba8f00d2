//! Batch IPC (AWS): the picked Deployments trusted by several roles in one review — one diff
//! per role, one Apply, progress per role streamed to the window as it happens.

use serde::{Deserialize, Serialize};
use tauri::State;
use tauri::ipc::Channel;

use astro_identity_cloud::aws::batch::{
    BatchEvent, BatchOptions, BatchPlan, BatchRoleOutcome, CONCURRENCY, apply_batch, plan_batch,
};
use astro_identity_cloud::aws::{ApplyOptions, AwsTarget};
use astro_identity_domain::aws::arn::{RoleName, parse_identities};
use astro_identity_domain::aws::batch::BatchEntry;
use astro_identity_domain::aws::lint::DEFAULT_TRUST_POLICY_QUOTA;

use crate::aws_commands::connect;
use crate::state::StoredPlan;
use crate::{AppState, IpcError};

#[derive(Debug, Clone, Deserialize, specta::Type)]
#[serde(rename_all = "camelCase")]
pub struct BatchPlanRequest {
    pub target: AwsTarget,
    /// Existing roles, each to trust every identity.
    pub roles: Vec<String>,
    pub identities: Vec<String>,
    pub quota: Option<u32>,
}

#[derive(Debug, Clone, Serialize, specta::Type)]
#[serde(rename_all = "camelCase")]
pub struct PlannedBatch {
    pub plan_id: String,
    pub plan: BatchPlan,
}

/// One role's progress during a batch apply.
#[derive(Debug, Clone, Serialize, specta::Type)]
#[serde(rename_all = "camelCase")]
pub struct BatchProgress {
    pub role: String,
    pub state: BatchProgressState,
    pub message: Option<String>,
}

#[derive(Debug, Clone, Copy, Serialize, specta::Type)]
#[serde(rename_all = "camelCase")]
pub enum BatchProgressState {
    Written,
    Unchanged,
    Failed,
    /// The batch's one lost-update wait has started (for every merged role).
    Checking,
    MergedAgain,
}

/// Reads every role once (8 at a time) and plans each to trust every identity. Writes nothing.
#[tauri::command]
#[specta::specta]
pub async fn aws_plan_batch(
    state: State<'_, AppState>,
    request: BatchPlanRequest,
) -> Result<PlannedBatch, IpcError> {
    let identities = parse_identities(&request.identities.join("\n")).map_err(|errors| {
        errors.into_iter().next().map(|e| IpcError::from(e.error)).unwrap_or_else(IpcError::internal)
    })?;
    if request.roles.len() < 2 {
        return Err(IpcError::invalid(
            "roles",
            "a batch needs two roles or more",
            "Pick several roles, or plan the one role alone.",
        ));
    }
    let mut entries: Vec<BatchEntry> = Vec::with_capacity(request.roles.len());
    for name in &request.roles {
        let role = RoleName::parse(name)?;
        if entries.iter().any(|e| e.role == role) {
            continue;
        }
        entries.push(BatchEntry { role, identities: identities.clone(), create: false });
    }
    let iam = connect(&state, &request.target).await?;
    let quota = request.quota.unwrap_or(DEFAULT_TRUST_POLICY_QUOTA);
    let plan = plan_batch(&iam, &entries, quota, &|_| {}).await?;
    let plan_id = state.remember_plan(StoredPlan::Batch(Box::new((request.target, plan.clone()))));
    Ok(PlannedBatch { plan_id, plan })
}

/// Applies exactly the batch shown under `plan_id`, each role re-read first (the review sat
/// between plan and apply), streaming each role's result to `progress`.
#[tauri::command]
#[specta::specta]
pub async fn aws_apply_batch(
    state: State<'_, AppState>,
    plan_id: String,
    confirm_warnings: bool,
    progress: Channel<BatchProgress>,
) -> Result<Vec<BatchRoleOutcome>, IpcError> {
    let Some(StoredPlan::Batch(stored)) = state.take_plan(&plan_id) else {
        return Err(IpcError::plan_expired());
    };
    let (target, plan) = *stored;
    let iam = connect(&state, &target).await?;
    let options = BatchOptions { apply: ApplyOptions::DEFAULT, concurrency: CONCURRENCY };
    let send = |event: BatchEvent<'_>| {
        let (role, state, message) = match event {
            BatchEvent::Planned { .. } => return,
            BatchEvent::Applied { role, written, .. } => (
                role,
                if written { BatchProgressState::Written } else { BatchProgressState::Unchanged },
                None,
            ),
            BatchEvent::Failed { role, error } => (role, BatchProgressState::Failed, Some(error.to_string())),
            BatchEvent::Checking { .. } => ("", BatchProgressState::Checking, None),
            BatchEvent::MergedAgain { role } => (role, BatchProgressState::MergedAgain, None),
        };
        let _ = progress.send(BatchProgress { role: role.to_owned(), state, message });
    };
    Ok(apply_batch(&iam, &plan, confirm_warnings, &state.journal(), options, &send).await)
}
