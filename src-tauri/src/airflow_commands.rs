//! IPC commands of the journeys' last step: the Airflow connection in every format people
//! paste. Rendering and validation live in the domain crate.

use astro_identity_domain::airflow::{
    AirflowConnection, AstroScope, AwsConnectionInput, ConnectionSpec, GcpConnectionInput, connection,
};

use crate::IpcError;

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
