//! IPC commands of the Deployment picker: the Astro API read through the cloud crate. The
//! UI loads Deployments page by page, so it shows progress and can stop between pages.

use serde::{Deserialize, Serialize};
use tauri::State;

use astro_identity_cloud::astro::{
    AstroClient, AstroTokenSource, DeploymentFilter, DeploymentPage, TOKEN_ENV, Workspace,
};
use astro_identity_domain::Sensitive;
use astro_identity_domain::astro::Organization;
use astro_identity_domain::secret_key::{ProfileName, Provider, SecretKey};

use crate::{AppState, IpcError};

/// Which token and which server: every picker command takes it.
#[derive(Debug, Clone, Deserialize, specta::Type)]
#[serde(rename_all = "camelCase")]
pub struct AstroAccess {
    pub source: AstroTokenSource,
    /// Another Astro API server; `None` or empty for `https://api.astronomer.io`.
    pub base_url: Option<String>,
}

/// The token's organizations, as the picker and the home screen show them.
#[derive(Debug, Clone, Serialize, specta::Type)]
#[serde(rename_all = "camelCase")]
pub struct AstroAccount {
    /// "ASTRO_API_TOKEN" or "keyring profile astro".
    pub source: String,
    pub organizations: Vec<Organization>,
}

pub(crate) async fn client(state: &AppState, access: &AstroAccess) -> Result<AstroClient, IpcError> {
    let keyring = match access.source {
        AstroTokenSource::Keyring { .. } => Some(state.keyring().await?),
        AstroTokenSource::Env => None,
    };
    let source = access.source.clone();
    let token = tokio::task::spawn_blocking(move || source.read(keyring.as_deref()))
        .await
        .map_err(|_| IpcError::internal())??;
    with_base_url(AstroClient::new(token)?, access)
}

fn with_base_url(client: AstroClient, access: &AstroAccess) -> Result<AstroClient, IpcError> {
    Ok(match access.base_url.as_deref().map(str::trim).filter(|u| !u.is_empty()) {
        Some(url) => client.with_base_url(url)?,
        None => client,
    })
}

/// Where a token can come from on this machine: `ASTRO_API_TOKEN` when set, and every Astro
/// token kept in the OS keyring. Reads no secret.
#[tauri::command]
#[specta::specta]
pub async fn astro_token_sources(state: State<'_, AppState>) -> Result<Vec<AstroTokenSource>, IpcError> {
    let mut sources = Vec::new();
    if std::env::var(TOKEN_ENV).is_ok_and(|t| !t.trim().is_empty()) {
        sources.push(AstroTokenSource::Env);
    }
    if let Ok(keyring) = state.keyring().await {
        let held =
            tokio::task::spawn_blocking(move || keyring.list()).await.map_err(|_| IpcError::internal())?;
        for key in held.unwrap_or_default().into_iter().filter(|k| k.provider == Provider::Astro) {
            sources.push(AstroTokenSource::Keyring { profile: key.profile.to_string() });
        }
    }
    Ok(sources)
}

/// Checks the token by listing the organizations it sees. A pasted `token` is tried first
/// and kept under the keyring profile (in the OS keyring, and only there) once the Astro API
/// accepted it, so a mistyped token is never stored.
#[tauri::command]
#[specta::specta]
pub async fn astro_connect(
    state: State<'_, AppState>,
    access: AstroAccess,
    token: Option<String>,
) -> Result<AstroAccount, IpcError> {
    let pasted = token.map(|t| t.trim().to_owned()).filter(|t| !t.is_empty());
    let (Some(token), AstroTokenSource::Keyring { profile }) = (pasted, &access.source) else {
        let organizations = client(&state, &access).await?.organizations().await?;
        return Ok(AstroAccount { source: access.source.describe(), organizations });
    };
    let key = SecretKey::new(Provider::Astro, ProfileName::parse(profile.trim())?);
    let organizations =
        with_base_url(AstroClient::new(Sensitive::new(token.clone()))?, &access)?.organizations().await?;
    let secret = Sensitive::new(token);
    let keyring = state.keyring().await?;
    tokio::task::spawn_blocking(move || keyring.put(&key, &secret))
        .await
        .map_err(|_| IpcError::internal())??;
    Ok(AstroAccount { source: access.source.describe(), organizations })
}

/// The organization's Workspaces, for names and the Workspace filter.
#[tauri::command]
#[specta::specta]
pub async fn astro_workspaces(
    state: State<'_, AppState>,
    access: AstroAccess,
    organization_id: String,
) -> Result<Vec<Workspace>, IpcError> {
    Ok(client(&state, &access).await?.workspaces(organization_id.trim()).await?)
}

/// One page of the organization's Deployments from `offset`.
#[tauri::command]
#[specta::specta]
pub async fn astro_deployment_page(
    state: State<'_, AppState>,
    access: AstroAccess,
    organization_id: String,
    workspace_ids: Vec<String>,
    offset: u32,
) -> Result<DeploymentPage, IpcError> {
    let filter = DeploymentFilter { workspace_ids, deployment_ids: Vec::new() };
    Ok(client(&state, &access)
        .await?
        .deployment_page(organization_id.trim(), &filter, offset as usize)
        .await?)
}
