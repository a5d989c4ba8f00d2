//! IPC commands of the journal: the History screen (every change, and undo of any applied
//! one, previewed as a diff first) and the changes a crash or a lost answer interrupted —
//! their intent journaled without an outcome — which the home screen lists at startup and
//! settles by re-reading the resource with the credentials the user picks.

use serde::Deserialize;
use tauri::State;

use astro_identity_cloud::astro::AstroTokenSource;
use astro_identity_cloud::aws::{AwsIam, AwsTarget, sdk_config};
use astro_identity_cloud::backoff::Backoff;
use astro_identity_cloud::gcp::{GcpProjects, GcpTarget};
use astro_identity_cloud::history::{self, HistoryItem};
use astro_identity_cloud::journal::{ASTRO_DEPLOYMENT_CLOUD, PROJECT_CLOUD};
use astro_identity_cloud::settle::{SettleReport, pending_changes, settle_aws, settle_gcp, settle_project};
use astro_identity_cloud::undo::{self, UndoOutcome, UndoPlan};

use crate::astro_commands::{AstroAccess, client as astro_client};
use crate::state::{StoredPlan, UndoTarget};
use crate::{AppState, IpcError};

/// Which change to undo, and the credentials to read and write its resource with (the one
/// of its cloud is used; `requirements.txt` changes need none).
#[derive(Debug, Clone, Deserialize, specta::Type)]
#[serde(rename_all = "camelCase")]
pub struct UndoRequest {
    pub journal_id: String,
    pub aws: Option<AwsTarget>,
    pub gcp: Option<GcpTarget>,
    /// The token for a Deployment's identity change; the server is the one it went to.
    pub astro: Option<AstroTokenSource>,
}

/// Every journaled change, newest first: what, where, when, its status, and whether it can
/// be undone. Reads the journal only; `requirements.txt` changes a crash interrupted are
/// settled first (local files, no credentials).
#[tauri::command]
#[specta::specta]
pub async fn journal_history(state: State<'_, AppState>) -> Result<Vec<HistoryItem>, IpcError> {
    let journal = state.journal();
    settle_project(&journal).await?;
    Ok(history::list(&journal)?)
}

fn missing(cloud: &str, choose: &str) -> IpcError {
    IpcError::invalid(
        "credentials",
        &format!("Undoing a {cloud} change needs {cloud} credentials."),
        &format!("{choose} under “Credentials for undoing”, then preview the undo again."),
    )
}

/// Reads the resource of a journaled change and computes what undoing it would write. Writes
/// nothing; the plan is kept under its id for `journal_apply_undo`.
#[tauri::command]
#[specta::specta]
pub async fn journal_plan_undo(
    state: State<'_, AppState>,
    request: UndoRequest,
) -> Result<UndoPlan, IpcError> {
    let journal = state.journal();
    let entry =
        journal.history()?.into_iter().find(|c| c.entry.id == request.journal_id).ok_or_else(|| {
            IpcError::from(astro_identity_cloud::CloudError::NotFound {
                what: format!("journal entry {}", request.journal_id),
            })
        })?;
    let id = Some(request.journal_id.as_str());
    let (target, plan) = match entry.entry.cloud() {
        "aws" => {
            let target =
                request.aws.ok_or_else(|| missing("AWS", "Pick the AWS profile (or the default chain)"))?;
            let iam = AwsIam::new(&sdk_config(&target, state.keyring().await.ok()).await?);
            (UndoTarget::Aws(target), undo::plan_aws(&iam, &journal, id).await?)
        }
        "gcp" => {
            let target =
                request.gcp.ok_or_else(|| missing("Google Cloud", "Pick the Google Cloud credentials"))?;
            let projects = GcpProjects::connect(&target, state.keyring().await.ok()).await?;
            (UndoTarget::Gcp(target), undo::plan_gcp(&projects, &journal, id).await?)
        }
        PROJECT_CLOUD => (UndoTarget::Project, undo::plan_project(&journal, &request.journal_id).await?),
        ASTRO_DEPLOYMENT_CLOUD => {
            let source = request.astro.ok_or_else(|| missing("Astro", "Pick an Astro API token"))?;
            let access =
                AstroAccess { source, base_url: Some(undo::astro_api(&journal, &request.journal_id)?) };
            let client = astro_client(&state, &access).await?;
            (UndoTarget::Astro(access), undo::plan_astro(&client, &journal, &request.journal_id).await?)
        }
        other => {
            return Err(IpcError::from(astro_identity_cloud::CloudError::Refused {
                reason: format!("{other} connection changes are undone from the connection step"),
                hint: String::from("Open the journey's connection step: it has the Airflow or Astro token."),
            }));
        }
    };
    let mut shown = plan.clone();
    shown.plan_id = state.remember_plan(StoredPlan::Undo(target, plan));
    Ok(shown)
}

/// Applies exactly the undo shown under `plan_id`, then verifies and journals it.
#[tauri::command]
#[specta::specta]
pub async fn journal_apply_undo(
    state: State<'_, AppState>,
    plan_id: String,
) -> Result<UndoOutcome, IpcError> {
    let Some(StoredPlan::Undo(target, plan)) = state.take_plan(&plan_id) else {
        return Err(IpcError::plan_expired());
    };
    let journal = state.journal();
    Ok(match target {
        UndoTarget::Aws(target) => {
            let iam = AwsIam::new(&sdk_config(&target, state.keyring().await.ok()).await?);
            undo::apply_aws(&iam, &journal, &plan).await?
        }
        UndoTarget::Gcp(target) => {
            let projects = GcpProjects::connect(&target, state.keyring().await.ok()).await?;
            undo::apply_gcp(&projects, &journal, &plan, Backoff::DEFAULT).await?
        }
        UndoTarget::Project => undo::apply_project(&journal, &plan).await?,
        UndoTarget::Astro(access) => {
            undo::apply_astro(&astro_client(&state, &access).await?, &journal, &plan).await?
        }
    })
}

/// Interrupted changes, from the journal alone (no network): each `unchecked`.
#[tauri::command]
#[specta::specta]
pub fn journal_pending(state: State<'_, AppState>) -> Result<Vec<SettleReport>, IpcError> {
    Ok(pending_changes(&state.journal())?)
}

/// Re-reads each interrupted AWS change's role and records whether it was applied. Changes
/// in another account stay pending.
#[tauri::command]
#[specta::specta]
pub async fn journal_settle_aws(
    state: State<'_, AppState>,
    target: AwsTarget,
) -> Result<Vec<SettleReport>, IpcError> {
    let keyring = state.keyring().await.ok();
    let iam = AwsIam::new(&sdk_config(&target, keyring).await?);
    Ok(settle_aws(&iam, &state.journal()).await?)
}

/// Re-reads each interrupted GCP change's policy and records whether it was applied.
#[tauri::command]
#[specta::specta]
pub async fn journal_settle_gcp(
    state: State<'_, AppState>,
    target: GcpTarget,
) -> Result<Vec<SettleReport>, IpcError> {
    let keyring = state.keyring().await.ok();
    let projects = GcpProjects::connect(&target, keyring).await?;
    Ok(settle_gcp(&projects, &state.journal()).await?)
}
