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
}

impl CloudError {
    /// A stable code the UI can branch on.
    pub fn code(&self) -> &'static str {
        match self {
            Self::KeyringUnavailable { .. } => "keyring_unavailable",
            Self::Keyring { .. } => "keyring_failed",
            Self::Domain(_) => "invalid_input",
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
        }
    }
}
