//! Customer Managed Identity on AWS: the customer's role trusts the Deployments' Kubernetes
//! service accounts through each cluster's IAM OIDC identity provider.
//!
//! A plan reads every provider and the role, and computes the role's new trust policy (one
//! statement per provider, the Deployments' `:sub` values merged into it, everything else
//! kept). Applying ensures the providers first, then writes the trust policy — each a
//! journaled change of the engine. An apply stopped half-way is finished by planning and
//! applying again: what is done already plans as no change.

use serde::{Deserialize, Serialize};

use astro_identity_domain::aws::arn::Partition;
use astro_identity_domain::aws::cmi::{
    WILDCARD_SUBJECT, WebIdentityTrust, deployment_subjects, oidc_issuer_host_path, trust_web_identity,
};
use astro_identity_domain::aws::trust_policy::TrustPolicy;

use crate::CloudError;
use crate::aws::iam::{Caller, NewRole, RoleStore};
use crate::aws::oidc_provider::{ProviderPlan, ensure_provider, plan_provider};
use crate::aws::trust_change::{ChangeOutcome, TrustChange, apply_trust_change, plan_trust_document};
use crate::journal::Journal;

/// One Deployment as Customer Managed Identity needs it: its namespace and its cluster's
/// OIDC issuer.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "specta", derive(specta::Type))]
#[serde(rename_all = "camelCase")]
pub struct CmiDeployment {
    /// "name (id)", or the namespace for one typed by hand.
    pub label: String,
    pub namespace: String,
    pub issuer_url: String,
}

/// What to plan.
#[derive(Debug, Clone)]
pub struct CmiRequest {
    pub role_name: String,
    pub create: Option<NewRole>,
    pub deployments: Vec<CmiDeployment>,
    /// Trust every service account of each cluster (`system:serviceaccount:*:*`): Astro
    /// allows it on dedicated clusters only.
    pub wildcard_subjects: bool,
    pub quota: u32,
}

/// The plan: providers to ensure, the trust-policy change, and the trusts it adds.
#[derive(Debug, Clone, Serialize)]
#[cfg_attr(feature = "specta", derive(specta::Type))]
#[serde(rename_all = "camelCase")]
pub struct CmiPlan {
    pub caller: Caller,
    pub providers: Vec<ProviderPlan>,
    pub trusts: Vec<WebIdentityTrust>,
    pub trust: TrustChange,
    /// The role ARN the Deployments' workload identity is set to.
    pub role_arn: String,
}

impl CmiPlan {
    pub fn changed(&self) -> bool {
        self.trust.plan.changed || self.providers.iter().any(ProviderPlan::changes)
    }
}

/// What an apply did.
#[derive(Debug, Clone, Serialize)]
#[cfg_attr(feature = "specta", derive(specta::Type))]
#[serde(rename_all = "camelCase")]
pub struct CmiOutcome {
    /// Journal ids of the provider changes made (none when every provider was ready).
    pub provider_journal_ids: Vec<String>,
    pub trust: ChangeOutcome,
}

/// Reads the providers and the role and computes the change. Writes nothing.
pub async fn plan_attach_role(store: &impl RoleStore, request: &CmiRequest) -> Result<CmiPlan, CloudError> {
    if request.deployments.is_empty() {
        return Err(CloudError::Refused {
            reason: String::from("no Deployment to trust"),
            hint: String::from("Pick at least one Deployment, or give its OIDC issuer and namespace."),
        });
    }
    let caller = store.caller().await?;
    let partition_text = caller.arn.split(':').nth(1).unwrap_or("aws").to_owned();
    let partition = Partition::from_arn_segment(&partition_text).unwrap_or(Partition::Aws);
    // One trust per cluster issuer, its Deployments' subjects together, in the order given.
    let mut by_issuer: Vec<(String, Vec<String>)> = Vec::new();
    for deployment in &request.deployments {
        let issuer = oidc_issuer_host_path(&deployment.issuer_url).map_err(|e| labelled(deployment, e))?;
        let subjects = if request.wildcard_subjects {
            vec![WILDCARD_SUBJECT.to_owned()]
        } else {
            deployment_subjects(&deployment.namespace).map_err(|e| labelled(deployment, e))?
        };
        let index = match by_issuer.iter().position(|(known, _)| *known == issuer) {
            Some(index) => index,
            None => {
                by_issuer.push((issuer, Vec::new()));
                by_issuer.len() - 1
            }
        };
        let entry = &mut by_issuer[index].1;
        for subject in subjects {
            if !entry.contains(&subject) {
                entry.push(subject);
            }
        }
    }
    let mut trusts = Vec::new();
    let mut providers = Vec::new();
    for (issuer, subjects) in by_issuer {
        trusts.push(WebIdentityTrust::new(partition, &caller.account, &issuer, subjects)?);
        providers.push(plan_provider(store, &caller.account, &partition_text, &issuer).await?);
    }
    // "Create" means "create if missing": a second run after a create finishes the job.
    let (before, create) = match store.get_role(&request.role_name).await? {
        Some(role) => (role.trust_policy, None),
        None => (TrustPolicy::empty(), request.create.clone()),
    };
    let after = trusts.iter().fold(before, |policy, trust| trust_web_identity(&policy, trust));
    let trust = plan_trust_document(store, &request.role_name, &after, create, request.quota).await?;
    let role_arn = trust.role_arn.clone().unwrap_or_else(|| {
        let path = request.create.as_ref().and_then(|c| c.path.clone()).unwrap_or_else(|| String::from("/"));
        format!("arn:{partition_text}:iam::{}:role{path}{}", caller.account, request.role_name)
    });
    Ok(CmiPlan { caller, providers, trusts, trust, role_arn })
}

fn labelled(deployment: &CmiDeployment, err: astro_identity_domain::DomainError) -> CloudError {
    CloudError::Refused {
        reason: format!("Deployment {}: {err}", deployment.label),
        hint: err.hint().to_owned(),
    }
}

/// Ensures every provider, then writes the trust policy: each verified and journaled.
pub async fn apply_attach_role(
    store: &impl RoleStore,
    plan: &CmiPlan,
    confirm_warnings: bool,
    journal: &Journal,
) -> Result<CmiOutcome, CloudError> {
    if plan.trust.plan.blocked {
        return Err(CloudError::Refused {
            reason: String::from("the trust policy has errors"),
            hint: String::from("Fix what the plan lists; nothing was written."),
        });
    }
    let mut provider_journal_ids = Vec::new();
    for provider in &plan.providers {
        if let Some(id) = ensure_provider(store, provider, &plan.caller.arn, journal).await? {
            provider_journal_ids.push(id);
        }
    }
    let trust = apply_trust_change(store, &plan.trust, confirm_warnings, journal).await?;
    Ok(CmiOutcome { provider_journal_ids, trust })
}
