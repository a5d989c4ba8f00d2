//! IPC commands: each takes the state, calls the core, returns a DTO. Nothing else.

use serde::Serialize;
use tauri::State;

use astro_identity_cloud::detect_credentials;
use astro_identity_domain::app::PRODUCT_NAME;
use astro_identity_domain::credentials::CredentialSummary;
use astro_identity_domain::secret_key::{ProfileName, Provider, SecretKey};

use crate::{AppState, IpcError, IpcErrorCode};

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

/// The report for a bug ("Copy diagnostics"): versions, OS, credential kinds (never values)
/// and the last errors of the app's and the CLI's logs.
#[tauri::command]
#[specta::specta]
pub async fn diagnostics_report(state: State<'_, AppState>) -> Result<String, IpcError> {
    let summary = detect_credentials(&state.host, state.keyring().await).await;
    Ok(astro_identity_cloud::diagnostics::report("astro-identity", &summary, &state.host))
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
            code: IpcErrorCode::Internal,
            message: format!("the keyring task failed: {e}"),
            hint: "Try again.".into(),
            field: None,
        })?
        .map_err(IpcError::from)
}

/// Opens a cloud console page in the browser. Only console hosts are allowed, so the web
/// view cannot use this to open anything else.
#[tauri::command]
#[specta::specta]
pub fn open_console(url: String) -> Result<(), IpcError> {
    if !console_url_allowed(&url) {
        return Err(IpcError {
            code: IpcErrorCode::InvalidInput,
            message: format!("not a cloud console address: {url}"),
            hint: "Only AWS and Google Cloud console pages can be opened.".into(),
            field: None,
        });
    }
    open::that_detached(&url).map_err(|e| IpcError {
        code: IpcErrorCode::OpenFailed,
        message: format!("could not open a browser: {e}"),
        hint: format!("Open {url} yourself."),
        field: None,
    })
}

const CONSOLE_HOSTS: &[&str] = &[
    "console.aws.amazon.com",
    "console.amazonaws.cn",
    "console.amazonaws-us-gov.com",
    "console.cloud.google.com",
];

fn console_url_allowed(url: &str) -> bool {
    url.strip_prefix("https://")
        .and_then(|rest| rest.split(['/', '?', '#']).next())
        .is_some_and(|host| CONSOLE_HOSTS.contains(&host))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_console_hosts_may_be_opened() {
        assert!(console_url_allowed("https://console.aws.amazon.com/iam/home#/roles/details/x"));
        assert!(console_url_allowed("https://console.cloud.google.com/iam-admin/iam?project=p"));
        for bad in [
            "http://console.aws.amazon.com/",
            "https://console.aws.amazon.com.evil.example/",
            "https://evil.example/?https://console.aws.amazon.com",
            "file:///etc/passwd",
            "https://user@console.aws.amazon.com/",
        ] {
            assert!(!console_url_allowed(bad), "{bad}");
        }
    }
}
