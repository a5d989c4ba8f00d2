use serde::Serialize;

use astro_identity_cloud::CloudError;
use astro_identity_domain::DomainError;

/// The one error shape that crosses IPC. `code` is stable and only added when the UI
/// branches on it; `message` says what happened; `hint` says what to do. Never a secret.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, specta::Type)]
#[serde(rename_all = "camelCase")]
pub struct IpcError {
    pub code: String,
    pub message: String,
    pub hint: String,
    /// The form field the error is about, for inline display.
    pub field: Option<String>,
}

impl IpcError {
    /// A failure of the app itself (a panicked task), not of the input or the cloud.
    pub fn internal() -> Self {
        Self {
            code: "internal".into(),
            message: "an internal task failed".into(),
            hint: "Try again. If it happens again, report it.".into(),
            field: None,
        }
    }
}

impl IpcError {
    /// The UI asked to apply a plan that was applied already, or never shown.
    pub fn plan_expired() -> Self {
        Self {
            code: "plan_expired".into(),
            message: "this plan is no longer available".into(),
            hint: "Review the change again; plans are applied once.".into(),
            field: None,
        }
    }
}

impl From<CloudError> for IpcError {
    fn from(err: CloudError) -> Self {
        let field = match &err {
            CloudError::Domain(d) => Some(d.field().to_owned()),
            _ => None,
        };
        Self { code: err.code().to_owned(), message: err.to_string(), hint: err.hint(), field }
    }
}

impl From<DomainError> for IpcError {
    fn from(err: DomainError) -> Self {
        CloudError::from(err).into()
    }
}
