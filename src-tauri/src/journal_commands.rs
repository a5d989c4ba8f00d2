//! IPC commands for changes a crash or a lost answer interrupted: the journal holds their
//! intent without an outcome. The home screen lists them at startup and settles them by
//! re-reading the resource with the credentials the user picks.

use tauri::State;

use astro_identity_cloud::aws::{AwsIam, AwsTarget, sdk_config};
use astro_identity_cloud::gcp::{GcpProjects, GcpTarget};
use astro_identity_cloud::settle::{SettleReport, pending_changes, settle_aws, settle_gcp};

use crate::{AppState, IpcError};

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
