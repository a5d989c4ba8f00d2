//! Where the journeys' last step writes an Airflow connection, and which keyring entry holds
//! its token. Shared by the Airflow commands and the plans kept in `AppState`.

use serde::Deserialize;

use astro_identity_domain::airflow::AstroScope;
use astro_identity_domain::secret_key::{ProfileName, Provider, SecretKey};

use crate::IpcError;

/// Where "Create it for me" writes the connection. The token is read from the OS keyring
/// entry `token_profile` (stored there by `airflow_connection_plan` when typed).
#[derive(Debug, Clone, Deserialize, specta::Type)]
#[serde(tag = "kind", rename_all = "camelCase")]
pub enum ConnectionDestination {
    /// An Airflow REST API (Airflow 3 `/api/v2`, Airflow 2 `/api/v1`), e.g. a Deployment's URL.
    #[serde(rename_all = "camelCase")]
    Airflow { base_url: String, token_profile: String },
    /// The Astro API's Environment Manager of a Deployment or Workspace.
    #[serde(rename_all = "camelCase")]
    Astro { organization_id: String, scope: AstroScope, token_profile: String, base_url: Option<String> },
}

impl ConnectionDestination {
    pub fn token_key(&self) -> Result<SecretKey, IpcError> {
        let (provider, profile) = match self {
            Self::Airflow { token_profile, .. } => (Provider::Airflow, token_profile),
            Self::Astro { token_profile, .. } => (Provider::Astro, token_profile),
        };
        Ok(SecretKey::new(provider, ProfileName::parse(profile.trim())?))
    }
}
