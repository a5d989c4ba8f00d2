use thiserror::Error;

/// Everything the adapters can fail with. Messages are written for people and never
/// include a secret; `hint` says what to do next.
#[derive(Debug, Error)]
pub enum CloudError {
    /// No OS keyring answered: on Linux, no Secret Service on the session bus.
    #[error("no OS keyring is running: {reason}")]
    KeyringUnavailable { reason: String },
    /// The keyring is there but refused or failed the operation.
    #[error("the OS keyring refused to {action}: {reason}")]
    Keyring { action: &'static str, reason: String },
    #[error(transparent)]
    Domain(#[from] astro_identity_domain::DomainError),

    /// No usable credentials, or they expired (an SSO session, say).
    /// `of` says which: "AWS credentials", "Google Cloud credentials", "Airflow API token"...
    #[error("no usable {of}: {detail}")]
    Credentials { of: &'static str, detail: String, hint: String },
    /// The caller lacks a permission: names the action and the resource.
    #[error("access denied: {action} on {resource}")]
    AccessDenied { action: String, resource: String, detail: String },
    #[error("{what} does not exist")]
    NotFound { what: String },
    #[error("{what} already exists")]
    AlreadyExists { what: String },
    #[error("AWS refused the policy document: {detail}")]
    MalformedPolicy { detail: String },
    #[error("an AWS limit was reached: {detail}")]
    LimitExceeded { detail: String },
    #[error("{action} was still throttled after several retries")]
    Throttled { action: String },
    /// The service answered with a server error (5xx) even after retries: an outage on
    /// its side, not a problem with the request or the credentials.
    #[error("{service} is failing (an outage on its side): {detail}")]
    Outage { service: &'static str, detail: String, status_page: &'static str },
    #[error("could not reach {endpoint}: {detail}")]
    Unreachable { endpoint: String, detail: String },
    /// A stale etag: someone wrote the policy between our read and our write. Retried.
    #[error("{what} was changed by someone else at the same moment")]
    Conflict { what: String },
    /// The remote resource changed since the plan was shown (or since the journal entry).
    #[error("{what} changed since {since}")]
    RemoteChanged { what: String, since: &'static str },
    /// The write went through but reading it back shows something else.
    #[error("verification failed: {what}")]
    VerifyFailed { what: String },
    /// The plan has blocking lints, or warnings that were not confirmed.
    #[error("refused: {reason}")]
    Refused { reason: String, hint: String },
    /// Any other answer from the cloud, with its code.
    #[error("{action} failed: {code}: {message}")]
    Cloud { action: String, code: String, message: String },
    #[error("the journal could not be {action}: {detail}")]
    Journal { action: &'static str, detail: String },
}

impl CloudError {
    /// A stable code the UI can branch on.
    pub fn code(&self) -> &'static str {
        match self {
            Self::KeyringUnavailable { .. } => "keyring_unavailable",
            Self::Keyring { .. } => "keyring_failed",
            Self::Domain(_) => "invalid_input",
            Self::Credentials { .. } => "credentials",
            Self::AccessDenied { .. } => "access_denied",
            Self::NotFound { .. } => "not_found",
            Self::AlreadyExists { .. } => "already_exists",
            Self::MalformedPolicy { .. } => "malformed_policy",
            Self::LimitExceeded { .. } => "limit_exceeded",
            Self::Throttled { .. } => "throttled",
            Self::Outage { .. } => "outage",
            Self::Unreachable { .. } => "unreachable",
            Self::Conflict { .. } => "conflict",
            Self::RemoteChanged { .. } => "remote_changed",
            Self::VerifyFailed { .. } => "verify_failed",
            Self::Refused { .. } => "refused",
            Self::Cloud { .. } => "cloud_error",
            Self::Journal { .. } => "journal_failed",
        }
    }

    pub fn hint(&self) -> String {
        match self {
            Self::KeyringUnavailable { .. } => String::from(
                "Start your desktop's keyring (GNOME Keyring or KWallet), or use an AWS profile or \
                 Application Default Credentials instead of stored keys.",
            ),
            Self::Keyring { .. } => {
                String::from("Unlock the keyring in your desktop's password manager and try again.")
            }
            Self::Domain(err) => err.hint().to_owned(),
            Self::Credentials { hint, .. } | Self::Refused { hint, .. } => hint.clone(),
            // Only AWS actions (`iam:GetRole`) have an IAM statement to show. GCP permissions
            // (`resourcemanager.projects.setIamPolicy`) come with roles; Airflow and Astro
            // actions ("create") with the API token's role.
            Self::AccessDenied { action, resource, .. } if action.contains('.') && !action.contains(':') => {
                format!("Ask an administrator to grant you a role that includes {action} on {resource}.")
            }
            Self::AccessDenied { action, resource, .. } if !action.contains(':') => {
                format!(
                    "Ask an administrator for permission to {action} {resource}, or use a token that has it."
                )
            }
            Self::AccessDenied { action, resource, .. } => format!(
                "Ask an administrator to grant you {action} on {resource}, for example with this \
                 policy statement: {}",
                grant_snippet(action, resource)
            ),
            Self::NotFound { .. } => String::from("Check the name and the account you are signed in to."),
            Self::AlreadyExists { .. } => {
                String::from("Pick the existing one instead of creating it, or choose another name.")
            }
            Self::MalformedPolicy { .. } => {
                String::from("Fix the policy in the editor; nothing was changed in your account.")
            }
            Self::LimitExceeded { .. } => String::from(
                "For a trust policy that is too long, request a higher \"Role trust policy length\" \
                 quota in Service Quotas, or use a second role.",
            ),
            Self::Throttled { .. } => String::from("Wait a minute and try again."),
            Self::Outage { status_page, .. } => format!(
                "Nothing was changed. Wait a few minutes and try again; the service's status is at {status_page}."
            ),
            Self::Unreachable { .. } => {
                String::from("Check your network connection, proxy and the endpoint URL, then try again.")
            }
            Self::Conflict { .. } => {
                String::from("Other changes kept arriving while applying; wait a moment and apply again.")
            }
            Self::RemoteChanged { .. } => String::from(
                "Someone else changed it meanwhile. Review the new plan, which includes their change.",
            ),
            Self::VerifyFailed { .. } => String::from(
                "Another writer may have changed it at the same moment. Review the current state and \
                 apply again.",
            ),
            Self::Cloud { .. } => String::from("Try again; if it persists, check the AWS Health Dashboard."),
            Self::Journal { .. } => String::from("Check that the app's data folder exists and is writable."),
        }
    }
}

/// A minimal identity-policy statement that would grant `action` on `resource`.
pub fn grant_snippet(action: &str, resource: &str) -> String {
    serde_json::json!({
        "Version": "2012-10-17",
        "Statement": [{"Effect": "Allow", "Action": action, "Resource": resource}]
    })
    .to_string()
}

/// An error and its sources on one line, each cause once (the SDKs repeat a source's text
/// in its wrapper). SDK and auth errors carry codes and messages, never secrets.
pub fn source_chain(err: &dyn std::error::Error) -> String {
    let mut parts = vec![err.to_string()];
    let mut source = err.source();
    while let Some(cause) = source {
        let text = cause.to_string();
        if !parts.iter().any(|p| p.contains(&text)) {
            parts.push(text);
        }
        source = cause.source();
    }
    parts.join(": ")
}

#[cfg(test)]
mod tests {
    use super::CloudError;

    fn denied(action: &str, resource: &str) -> CloudError {
        CloudError::AccessDenied { action: action.into(), resource: resource.into(), detail: String::new() }
    }

    #[test]
    fn access_denied_hints_fit_the_cloud() {
        let aws = denied("iam:UpdateAssumeRolePolicy", "arn:aws:iam::123456789012:role/x").hint();
        assert!(aws.contains(r#""Action":"iam:UpdateAssumeRolePolicy""#), "{aws}");
        let gcp = denied("resourcemanager.projects.setIamPolicy", "projects/astro-data").hint();
        assert_eq!(
            gcp,
            "Ask an administrator to grant you a role that includes resourcemanager.projects.setIamPolicy on projects/astro-data."
        );
        let airflow = denied("create", "connection aws_default in the Airflow at http://x").hint();
        assert!(
            airflow.starts_with("Ask an administrator for permission to create connection aws_default"),
            "{airflow}"
        );
        assert!(!airflow.contains("Statement"), "{airflow}");
    }

    #[test]
    fn credentials_errors_name_what_is_missing() {
        let err = CloudError::Credentials {
            of: "Airflow API token",
            detail: "expired".into(),
            hint: String::new(),
        };
        assert_eq!(err.to_string(), "no usable Airflow API token: expired");
    }
}
