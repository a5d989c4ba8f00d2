//! What an attach plan (Customer Managed Identity on AWS or GCP) keeps for its apply besides the
//! IAM plan: the picked Deployments and how to reach the Astro API that sets their identity.
//! Shared by the commands and the plans kept in `AppState`.

use serde::Deserialize;

use astro_identity_cloud::deployment_identity::DeploymentRef;

use crate::astro_commands::AstroAccess;

/// A Deployment picked from the Astro API, as Customer Managed Identity needs it.
#[derive(Debug, Clone, Deserialize, specta::Type)]
#[serde(rename_all = "camelCase")]
pub struct PickedDeployment {
    pub id: String,
    pub name: String,
    pub namespace: String,
    pub oidc_issuer_url: Option<String>,
}

/// What apply will set on Astro's side, kept with the plan.
#[derive(Debug, Clone)]
pub struct AttachContext {
    pub astro: AstroAccess,
    pub organization_id: String,
    pub deployments: Vec<PickedDeployment>,
}

impl AttachContext {
    /// The Deployments whose identity apply sets.
    pub fn refs(&self) -> Vec<DeploymentRef> {
        self.deployments
            .iter()
            .map(|d| DeploymentRef {
                organization: self.organization_id.clone(),
                id: d.id.clone(),
                name: d.name.clone(),
            })
            .collect()
    }
}
