use serde::Serialize;

use astro_identity_cloud::CloudError;
use astro_identity_domain::DomainError;

/// What kind of failure an error is: the UI branches on it (e.g. `remoteChanged` offers a
/// re-plan, `credentials` the account step), so it is an enum in the generated bindings.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, specta::Type)]
#[serde(rename_all = "snake_case")]
pub enum IpcErrorCode {
    /// The input is invalid: `field` names which.
    InvalidInput,
    /// No usable credentials, or they expired (401-like).
    Credentials,
    /// The credentials lack a permission (403-like).
    AccessDenied,
    NotFound,
    AlreadyExists,
    MalformedPolicy,
    LimitExceeded,
    /// Still throttled after retries: wait and try again.
    Throttled,
    /// The service answered with server errors (5xx) after retries: an outage on its side.
    Outage,
    /// The service could not be reached (an outage, a network problem, a timeout).
    Unreachable,
    /// Someone else wrote at the same moment (a stale etag).
    Conflict,
    /// The resource changed since the plan or undo was shown: re-plan.
    RemoteChanged,
    VerifyFailed,
    /// Refused before sending: blocking lints, unconfirmed warnings, not undoable.
    Refused,
    CloudError,
    JournalFailed,
    KeyringUnavailable,
    KeyringFailed,
    /// The system would not open a browser for a console link.
    OpenFailed,
    /// The plan was applied already, or never shown: re-plan.
    PlanExpired,
    /// A failure of the app itself.
    Internal,
    /// Set by the UI, never by Rust: the IPC call itself failed (the backend did not answer).
    IpcFailed,
}

impl IpcErrorCode {
    fn of(err: &CloudError) -> Self {
        match err {
            CloudError::KeyringUnavailable { .. } => Self::KeyringUnavailable,
            CloudError::Keyring { .. } => Self::KeyringFailed,
            CloudError::Domain(_) => Self::InvalidInput,
            CloudError::Credentials { .. } => Self::Credentials,
            CloudError::AccessDenied { .. } => Self::AccessDenied,
            CloudError::NotFound { .. } => Self::NotFound,
            CloudError::AlreadyExists { .. } => Self::AlreadyExists,
            CloudError::MalformedPolicy { .. } => Self::MalformedPolicy,
            CloudError::LimitExceeded { .. } => Self::LimitExceeded,
            CloudError::Throttled { .. } => Self::Throttled,
            CloudError::Outage { .. } => Self::Outage,
            CloudError::Unreachable { .. } => Self::Unreachable,
            CloudError::Conflict { .. } => Self::Conflict,
            CloudError::RemoteChanged { .. } => Self::RemoteChanged,
            CloudError::VerifyFailed { .. } => Self::VerifyFailed,
            CloudError::Refused { .. } => Self::Refused,
            CloudError::Cloud { .. } => Self::CloudError,
            CloudError::Journal { .. } => Self::JournalFailed,
        }
    }
}

/// The one error shape that crosses IPC. `code` says what kind of failure it is; `message`
/// says what happened; `hint` says what to do. Never a secret.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, specta::Type)]
#[serde(rename_all = "camelCase")]
pub struct IpcError {
    pub code: IpcErrorCode,
    pub message: String,
    pub hint: String,
    /// The form field the error is about, for inline display.
    pub field: Option<String>,
}

impl IpcError {
    /// A failure of the app itself (a panicked task), not of the input or the cloud.
    pub fn internal() -> Self {
        Self {
            code: IpcErrorCode::Internal,
            message: "an internal task failed".into(),
            hint: "Try again. If it happens again, report it.".into(),
            field: None,
        }
    }

    /// The UI asked to apply a plan that was applied already, or never shown.
    pub fn plan_expired() -> Self {
        Self {
            code: IpcErrorCode::PlanExpired,
            message: "this plan is no longer available".into(),
            hint: "Review the change again; plans are applied once.".into(),
            field: None,
        }
    }

    /// Input the shell itself refuses, about `field`.
    pub fn invalid(field: &str, message: &str, hint: &str) -> Self {
        Self {
            code: IpcErrorCode::InvalidInput,
            message: message.into(),
            hint: hint.into(),
            field: Some(field.into()),
        }
    }
}

impl From<CloudError> for IpcError {
    fn from(err: CloudError) -> Self {
        let field = match &err {
            CloudError::Domain(d) => Some(d.field().to_owned()),
            _ => None,
        };
        Self { code: IpcErrorCode::of(&err), message: err.to_string(), hint: err.hint(), field }
    }
}

impl From<DomainError> for IpcError {
    fn from(err: DomainError) -> Self {
        CloudError::from(err).into()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The code crossing IPC is the cloud layer's code: the CLI and tests use the same words.
    #[test]
    fn codes_serialize_as_the_cloud_codes() {
        let errors = [
            CloudError::Credentials { of: "AWS credentials", detail: String::new(), hint: String::new() },
            CloudError::AccessDenied { action: "a".into(), resource: "r".into(), detail: String::new() },
            CloudError::Throttled { action: "a".into() },
            CloudError::Unreachable { endpoint: "e".into(), detail: "d".into() },
            CloudError::Outage { service: "s", detail: "d".into(), status_page: "p" },
            CloudError::RemoteChanged { what: "w".into(), since: "s" },
            CloudError::Journal { action: "read", detail: String::new() },
        ];
        for err in errors {
            let code = err.code();
            let ipc = IpcError::from(err);
            assert_eq!(serde_json::to_value(ipc.code).expect("json"), code);
        }
        assert_eq!(serde_json::to_value(IpcError::plan_expired().code).expect("json"), "plan_expired");
    }
}
