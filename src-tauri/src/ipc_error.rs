use serde::Serialize;

use astro_identity_cloud::CloudError;
use astro_identity_domain::DomainError;
use astro_identity_domain::error::capitalized;

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
            message: "An internal task failed".into(),
            hint: "Try again. If it happens again, report it.".into(),
            field: None,
        }
    }

    /// The UI asked to apply a plan that was applied already, or never shown.
    pub fn plan_expired() -> Self {
        Self {
            code: IpcErrorCode::PlanExpired,
            message: "This plan is no longer available".into(),
            hint: "Review the change again; plans are applied once.".into(),
            field: None,
        }
    }

    /// Input the shell itself refuses, about `field`.
    pub fn invalid(field: &str, problem: &str, fix: &str) -> Self {
        Self {
            code: IpcErrorCode::InvalidInput,
            message: message(problem),
            hint: hint(fix),
            field: Some(field.into()),
        }
    }
}

impl From<CloudError> for IpcError {
    fn from(err: CloudError) -> Self {
        let (field, text) = match &err {
            CloudError::Domain(d) => (Some(d.field().to_owned()), d.sentence()),
            _ => (None, err.to_string()),
        };
        let error =
            Self { code: IpcErrorCode::of(&err), message: message(&text), hint: hint(&err.hint()), field };
        // What the window shows, so a bug report's last errors match the screen. Messages
        // never quote a secret (CloudError's contract).
        tracing::warn!(code = ?error.code, message = %error.message, "ipc error");
        error
    }
}

/// What happened, as the window shows it: a sentence without its closing period (the window
/// puts the hint after it).
fn message(text: &str) -> String {
    capitalized(text.trim().trim_end_matches('.'))
}

/// What to do, as a whole sentence.
fn hint(text: &str) -> String {
    let text = capitalized(text.trim());
    if text.is_empty() || text.ends_with(['.', '!', '?', ')']) { text } else { format!("{text}.") }
}

impl From<DomainError> for IpcError {
    fn from(err: DomainError) -> Self {
        CloudError::from(err).into()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// #19: "identity: account must be 12 digits, got 5. the account is …" became a sentence.
    #[test]
    fn messages_and_hints_reach_people_as_sentences() {
        let err = IpcError::from(DomainError::invalid(
            "identity",
            "account must be 12 digits, got 5",
            "the account is the 12 digits after arn:aws:iam::",
        ));
        assert_eq!(err.message, "Account must be 12 digits, got 5");
        assert_eq!(err.hint, "The account is the 12 digits after arn:aws:iam::.");
        assert_eq!(err.field.as_deref(), Some("identity"));
        let denied = IpcError::from(CloudError::AccessDenied {
            action: "iam:GetRole".into(),
            resource: "arn:aws:iam::123456789012:role/r".into(),
            detail: String::new(),
        });
        assert!(denied.message.starts_with("Access denied"), "{}", denied.message);
        assert!(denied.hint.ends_with('.'), "{}", denied.hint);
        let shell = IpcError::invalid("roles", "a batch needs two roles or more", "Pick several roles.");
        assert_eq!(shell.message, "A batch needs two roles or more");
    }

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
