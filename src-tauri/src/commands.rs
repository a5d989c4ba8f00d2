//! IPC commands: each takes the state, calls the core, returns a DTO. Nothing else.

use serde::Serialize;
use tauri::State;

use astro_identity_cloud::detect_credentials;
use astro_identity_domain::app::PRODUCT_NAME;
use astro_identity_domain::credentials::CredentialSummary;
use astro_identity_domain::secret_key::{ProfileName, Provider, SecretKey};

use crate::{AppState, IpcError};

#[derive(Debug, Clone, Serialize, specta::Type)]
#[serde(rename_all = "camelCase")]
pub struct AppInfo {
    pub name: String,
    pub version: String,
}

#[tauri::command]
#[specta::specta]
pub fn app_info() -> AppInfo {
    AppInfo { name: PRODUCT_NAME.to_owned(), version: env!("CARGO_PKG_VERSION").to_owned() }
}

/// What credentials this machine has: AWS profiles, GCP ADC, secrets in the keyring.
#[tauri::command]
#[specta::specta]
pub async fn credential_summary(state: State<'_, AppState>) -> Result<CredentialSummary, IpcError> {
    Ok(detect_credentials(&state.host, state.keyring().await).await)
}

/// Deletes a stored secret; returns whether there was one.
#[tauri::command]
#[specta::specta]
pub async fn forget_secret(
    state: State<'_, AppState>,
    provider: Provider,
    profile: String,
) -> Result<bool, IpcError> {
    let key = SecretKey::new(provider, ProfileName::parse(&profile)?);
    let store = state.keyring().await?;
    tokio::task::spawn_blocking(move || store.delete(&key))
        .await
        .map_err(|e| IpcError {
            code: "internal".into(),
            message: format!("the keyring task failed: {e}"),
            hint: "Try again.".into(),
            field: None,
        })?
        .map_err(IpcError::from)
}
