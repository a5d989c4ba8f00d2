//! IPC commands of the journeys' last step: the Airflow connection in every format people
//! paste. Rendering and validation live in the domain crate.

use std::path::Path;

use serde::{Deserialize, Serialize};
use tauri::State;

use astro_identity_cloud::airflow::requirements_file::{
    AddOutcome, ProviderCheck, RemoveOutcome, add_provider, check_project_for, undo_add_provider,
};
use astro_identity_cloud::airflow::{
    AirflowApi, AstroApi, ConnectionOutcome, ConnectionPlan, apply_connection, plan_connection,
    undo_connection,
};
use astro_identity_domain::Sensitive;
use astro_identity_domain::airflow::{
    AirflowConnection, AstroScope, AwsConnectionInput, ConnectionSpec, GcpConnectionInput, connection,
};

use crate::destination::ConnectionDestination;
use crate::state::StoredPlan;
use crate::{AppState, IpcError, IpcErrorCode};

fn with_scope(spec: ConnectionSpec, astro_scope: Option<AstroScope>) -> Result<ConnectionSpec, IpcError> {
    Ok(match astro_scope {
        Some(scope) if !scope.entity_id.trim().is_empty() => spec.with_astro_scope(scope)?,
        _ => spec,
    })
}

/// The `aws` connection for a role: UI fields, env var (JSON and URI), CLI, YAML, REST and
/// Astro bodies. `astro_scope` fills in the Environment Manager body's target.
#[tauri::command]
#[specta::specta]
pub fn airflow_aws_connection(
    input: AwsConnectionInput,
    astro_scope: Option<AstroScope>,
) -> Result<AirflowConnection, IpcError> {
    Ok(connection(&with_scope(ConnectionSpec::aws(&input)?, astro_scope)?))
}

/// The `google_cloud_platform` connection for a project, in the same formats.
#[tauri::command]
#[specta::specta]
pub fn airflow_gcp_connection(
    input: GcpConnectionInput,
    astro_scope: Option<AstroScope>,
) -> Result<AirflowConnection, IpcError> {
    Ok(connection(&with_scope(ConnectionSpec::gcp(&input)?, astro_scope)?))
}

/// The connection a journey ends with, as its form holds it.
#[derive(Debug, Clone, Deserialize, specta::Type)]
#[serde(tag = "kind", content = "input", rename_all = "camelCase")]
pub enum ConnectionInput {
    Aws(AwsConnectionInput),
    Gcp(GcpConnectionInput),
}

impl ConnectionInput {
    fn spec(&self) -> Result<ConnectionSpec, IpcError> {
        Ok(match self {
            Self::Aws(input) => ConnectionSpec::aws(input)?,
            Self::Gcp(input) => ConnectionSpec::gcp(input)?,
        })
    }
}

/// One of the two connection stores, built with the token from the keyring.
enum Store {
    Airflow(AirflowApi),
    Astro(AstroApi),
}

async fn open_store(state: &AppState, destination: &ConnectionDestination) -> Result<Store, IpcError> {
    let key = destination.token_key()?;
    let keyring = state.keyring().await?;
    let profile = key.profile.to_string();
    let token = tokio::task::spawn_blocking(move || keyring.get(&key))
        .await
        .map_err(|_| IpcError::internal())??
        .ok_or_else(|| IpcError {
            code: IpcErrorCode::NotFound,
            message: format!("no API token named {profile} in the OS keyring"),
            hint: "Paste the token once; it is kept in the OS keyring from then on.".into(),
            field: Some("token".into()),
        })?;
    Ok(match destination {
        ConnectionDestination::Airflow { base_url, .. } => {
            Store::Airflow(AirflowApi::new(base_url.trim(), token)?)
        }
        ConnectionDestination::Astro { organization_id, scope, base_url, .. } => {
            let api = AstroApi::new(organization_id.trim(), scope.clone(), token)?;
            Store::Astro(match base_url.as_deref().map(str::trim).filter(|u| !u.is_empty()) {
                Some(url) => api.with_base_url(url)?,
                None => api,
            })
        }
    })
}

/// A plan for writing the connection, kept by id so apply writes exactly what was shown.
#[derive(Debug, Clone, Serialize, specta::Type)]
#[serde(rename_all = "camelCase")]
pub struct PlannedConnection {
    pub plan_id: String,
    pub plan: ConnectionPlan,
}

/// Reads the destination's connection with this id and says what applying would do. A typed
/// `token` is first stored in the OS keyring (and only there).
#[tauri::command]
#[specta::specta]
pub async fn airflow_connection_plan(
    state: State<'_, AppState>,
    destination: ConnectionDestination,
    input: ConnectionInput,
    token: Option<String>,
) -> Result<PlannedConnection, IpcError> {
    let mut spec = input.spec()?;
    if let ConnectionDestination::Astro { scope, .. } = &destination {
        spec = spec.with_astro_scope(scope.clone())?;
    }
    if let Some(token) = token.filter(|t| !t.trim().is_empty()) {
        let key = destination.token_key()?;
        let keyring = state.keyring().await?;
        let secret = Sensitive::new(token.trim().to_owned());
        tokio::task::spawn_blocking(move || keyring.put(&key, &secret))
            .await
            .map_err(|_| IpcError::internal())??;
    }
    let plan = match open_store(&state, &destination).await? {
        Store::Airflow(api) => plan_connection(&api, &spec).await?,
        Store::Astro(api) => plan_connection(&api, &spec).await?,
    };
    let plan_id = state.remember_plan(StoredPlan::Connection(destination, spec, plan.clone()));
    Ok(PlannedConnection { plan_id, plan })
}

/// Writes the planned connection (a replacement only with `confirm_replace`), reads it back
/// and journals it.
#[tauri::command]
#[specta::specta]
pub async fn airflow_connection_apply(
    state: State<'_, AppState>,
    plan_id: String,
    confirm_replace: bool,
) -> Result<ConnectionOutcome, IpcError> {
    let Some(StoredPlan::Connection(destination, spec, plan)) = state.take_plan(&plan_id) else {
        return Err(IpcError::plan_expired());
    };
    let journal = state.journal();
    Ok(match open_store(&state, &destination).await? {
        Store::Airflow(api) => apply_connection(&api, &plan, &spec, confirm_replace, &journal).await?,
        Store::Astro(api) => apply_connection(&api, &plan, &spec, confirm_replace, &journal).await?,
    })
}

/// Undoes a connection write from the journal (the newest one when `journal_id` is null).
#[tauri::command]
#[specta::specta]
pub async fn airflow_connection_undo(
    state: State<'_, AppState>,
    destination: ConnectionDestination,
    journal_id: Option<String>,
) -> Result<ConnectionOutcome, IpcError> {
    let journal = state.journal();
    let cloud = match destination {
        ConnectionDestination::Airflow { .. } => "airflow",
        ConnectionDestination::Astro { .. } => "astro",
    };
    let entry = journal.undo_candidate(cloud, journal_id.as_deref())?;
    Ok(match open_store(&state, &destination).await? {
        Store::Airflow(api) => undo_connection(&api, &journal, &entry).await?,
        Store::Astro(api) => undo_connection(&api, &journal, &entry).await?,
    })
}

/// Whether the Astro project in `dir` installs the provider the connection needs.
#[tauri::command]
#[specta::specta]
pub fn airflow_provider_check(dir: String, input: ConnectionInput) -> Result<ProviderCheck, IpcError> {
    Ok(check_project_for(Path::new(dir.trim()), &input.spec()?))
}

/// Appends the provider to the project's `requirements.txt` (atomically, every other byte
/// kept) and journals it.
#[tauri::command]
#[specta::specta]
pub async fn airflow_add_provider(
    state: State<'_, AppState>,
    dir: String,
    input: ConnectionInput,
) -> Result<AddOutcome, IpcError> {
    let line = input.spec()?.provider_requirement();
    Ok(add_provider(Path::new(dir.trim()), &line, &state.journal()).await?)
}

/// Takes the appended line out again, if the file has not changed since.
#[tauri::command]
#[specta::specta]
pub async fn airflow_undo_provider(
    state: State<'_, AppState>,
    journal_id: String,
) -> Result<RemoveOutcome, IpcError> {
    let journal = state.journal();
    let entry = journal.undo_candidate("project", Some(&journal_id))?;
    Ok(undo_add_provider(&journal, &entry).await?)
}
