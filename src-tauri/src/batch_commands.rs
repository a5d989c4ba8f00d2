//! Batch IPC: on AWS the picked Deployments trusted by several roles, on Google Cloud granted
//! several roles on several projects — one review with a diff per role or grant, one Apply,
//! progress streamed to the window as each lands.

use serde::{Deserialize, Serialize};
use tauri::State;
use tauri::ipc::Channel;

use astro_identity_cloud::aws::batch::{
    BatchEvent, BatchOptions, BatchPlan, BatchRoleOutcome, CONCURRENCY, apply_batch, plan_batch,
};
use astro_identity_cloud::aws::{ApplyOptions, AwsTarget};
use astro_identity_cloud::gcp::batch::{
    GrantEvent, GrantItemOutcome, GrantItemPlan, apply_grants, plan_grants,
};
use astro_identity_cloud::gcp::{Backoff, GcpTarget, PolicyResource};
use astro_identity_domain::aws::arn::{RoleName, parse_identities};
use astro_identity_domain::aws::batch::BatchEntry;
use astro_identity_domain::aws::lint::trust_policy_quota;
use astro_identity_domain::gcp::batch::GrantEntry;
use astro_identity_domain::gcp::identity::GrantRoute;

use crate::aws_commands::connect;
use crate::gcp_commands::{ConditionInput, connect as connect_gcp, members_of};
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
    let quota = trust_policy_quota(request.quota)?;
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

#[derive(Debug, Clone, Deserialize, specta::Type)]
#[serde(rename_all = "camelCase")]
pub struct GrantBatchRequest {
    pub target: GcpTarget,
    /// Every role is granted on every project.
    pub projects: Vec<String>,
    pub roles: Vec<String>,
    /// The Deployments' service accounts, the members of every grant.
    pub service_accounts: Vec<String>,
    pub condition: Option<ConditionInput>,
}

#[derive(Debug, Clone, Serialize, specta::Type)]
#[serde(rename_all = "camelCase")]
pub struct PlannedGrantBatch {
    pub plan_id: String,
    /// Who the writes will come from, when the credentials say.
    pub principal: Option<String>,
    pub grants: Vec<GrantItemPlan>,
}

/// One grant's progress during a batch apply.
#[derive(Debug, Clone, Serialize, specta::Type)]
#[serde(rename_all = "camelCase")]
pub struct GrantProgress {
    pub resource: PolicyResource,
    pub role: String,
    pub state: BatchProgressState,
    pub message: Option<String>,
}

/// Every (project, role) pair, once, in the order given: what a grant batch writes.
fn grant_entries(request: &GrantBatchRequest) -> Result<Vec<GrantEntry>, IpcError> {
    let members = members_of(&request.service_accounts)?;
    if members.is_empty() {
        return Err(IpcError::invalid(
            "service_account",
            "no Deployment to grant to",
            "Pick or paste at least one Deployment's service account.",
        ));
    }
    let condition = request.condition.as_ref().map(ConditionInput::parse).transpose()?;
    let mut entries: Vec<GrantEntry> = Vec::new();
    for project in &request.projects {
        for role in &request.roles {
            let route = GrantRoute::choose(Some(project), Some(role), None)?;
            let entry = GrantEntry { route, members: members.clone(), condition: condition.clone() };
            if !entries.contains(&entry) {
                entries.push(entry);
            }
        }
    }
    if entries.len() < 2 {
        return Err(IpcError::invalid(
            "roles",
            "a batch needs two grants or more",
            "Pick several roles or projects, or plan the one grant alone.",
        ));
    }
    Ok(entries)
}

/// Reads every project's IAM policy (8 at a time) and plans each role on it. Writes nothing.
#[tauri::command]
#[specta::specta]
pub async fn gcp_plan_batch(
    state: State<'_, AppState>,
    request: GrantBatchRequest,
) -> Result<PlannedGrantBatch, IpcError> {
    let entries = grant_entries(&request)?;
    let projects = connect_gcp(&state, &request.target).await?;
    let principal = projects.principal.clone();
    let grants = plan_grants(&projects, &entries, principal.clone(), &|_| {}).await;
    let plan_id = state.remember_plan(StoredPlan::GcpBatch(Box::new((request.target, grants.clone()))));
    Ok(PlannedGrantBatch { plan_id, principal, grants })
}

/// Applies exactly the grants shown under `plan_id` (each etag-safe, verified, journaled),
/// streaming each grant's result to `progress`. One failing grant does not stop the others.
#[tauri::command]
#[specta::specta]
pub async fn gcp_apply_batch(
    state: State<'_, AppState>,
    plan_id: String,
    confirm_warnings: bool,
    progress: Channel<GrantProgress>,
) -> Result<Vec<GrantItemOutcome>, IpcError> {
    let Some(StoredPlan::GcpBatch(stored)) = state.take_plan(&plan_id) else {
        return Err(IpcError::plan_expired());
    };
    let (target, grants) = *stored;
    let projects = connect_gcp(&state, &target).await?;
    let send = |event: GrantEvent<'_>| {
        let (resource, role, state, message) = match event {
            GrantEvent::Planned { .. } => return,
            GrantEvent::Applied { resource, role, written, .. } => (
                resource,
                role,
                if written { BatchProgressState::Written } else { BatchProgressState::Unchanged },
                None,
            ),
            GrantEvent::Failed { resource, role, error } => {
                (resource, role, BatchProgressState::Failed, Some(error.to_string()))
            }
        };
        let _ = progress.send(GrantProgress {
            resource: resource.clone(),
            role: role.to_owned(),
            state,
            message,
        });
    };
    Ok(apply_grants(&projects, &grants, confirm_warnings, &state.journal(), Backoff::DEFAULT, &send).await)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn request(projects: &[&str], roles: &[&str], accounts: &[&str]) -> GrantBatchRequest {
        GrantBatchRequest {
            target: GcpTarget {
                source: astro_identity_cloud::gcp::GcpCredentialSource::Anonymous,
                endpoint: None,
            },
            projects: projects.iter().map(|p| (*p).to_owned()).collect(),
            roles: roles.iter().map(|r| (*r).to_owned()).collect(),
            service_accounts: accounts.iter().map(|a| (*a).to_owned()).collect(),
            condition: None,
        }
    }

    const SA: &str = "astro-x@astronomer-prod.iam.gserviceaccount.com";

    #[test]
    fn a_grant_batch_is_every_project_times_every_role_once() {
        let entries = grant_entries(&request(
            &["astro-data", "astro-logs", "astro-data"],
            &["roles/bigquery.jobUser", "roles/storage.objectViewer"],
            &[SA, SA],
        ))
        .expect("entries");
        let pairs: Vec<(String, String)> = entries
            .iter()
            .map(|e| match &e.route {
                GrantRoute::Project { project, role } => (project.to_string(), role.clone()),
                GrantRoute::Impersonation { .. } => unreachable!("no impersonation in a window batch"),
            })
            .collect();
        assert_eq!(
            pairs,
            [
                ("astro-data", "roles/bigquery.jobUser"),
                ("astro-data", "roles/storage.objectViewer"),
                ("astro-logs", "roles/bigquery.jobUser"),
                ("astro-logs", "roles/storage.objectViewer"),
            ]
            .map(|(p, r)| (p.to_owned(), r.to_owned()))
        );
        assert!(entries.iter().all(|e| e.members == [format!("serviceAccount:{SA}")]));
    }

    #[test]
    fn a_grant_batch_refuses_bad_input_naming_the_field() {
        let one = grant_entries(&request(&["astro-data"], &["roles/viewer"], &[SA])).expect_err("one grant");
        assert_eq!(one.field.as_deref(), Some("roles"));
        let bad = grant_entries(&request(&["Bad_Project", "astro-data"], &["roles/viewer"], &[SA]))
            .expect_err("bad project");
        assert_eq!(bad.field.as_deref(), Some("project_id"));
        let nobody =
            grant_entries(&request(&["a-proj", "b-proj"], &["roles/viewer"], &[" "])).expect_err("no member");
        assert_eq!(nobody.field.as_deref(), Some("service_account"));
        let account = grant_entries(&request(&["a-proj", "b-proj"], &["roles/viewer"], &["not-an-email"]))
            .expect_err("bad account");
        assert_eq!(account.field.as_deref(), Some("service_account"));
    }
}
