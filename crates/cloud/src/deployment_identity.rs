//! An Astro Deployment's workload identity as a change kind of the engine (`crate::change`):
//! setting it to the customer's role or service account (Customer Managed Identity) through
//! the Astro API, and setting the previous one back as its undo.
//!
//! The update takes the whole Deployment: the body is built from a fresh read at every
//! attempt with only `workloadIdentity` changed (`identity_update_body`), and the change is
//! judged by `effectiveWorkloadIdentity` read back.

use serde::{Deserialize, Serialize};
use serde_json::Value;

use astro_identity_domain::astro::identity_update_body;

use crate::CloudError;
use crate::astro::AstroClient;
use crate::backoff::Backoff;
use crate::change::{self, ChangeKind, Target, typed};
use crate::journal::{Journal, JournalAction, JournalEntry, Settlement, Subject};

/// What the journal keeps: the identity in force.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct IdentityState {
    pub workload_identity: String,
}

/// Which Deployment, for journal entries and messages.
#[derive(Debug, Clone)]
pub struct DeploymentRef {
    pub organization: String,
    pub id: String,
    pub name: String,
}

pub(crate) enum IdentityOp<'a> {
    Set(String),
    Undo(&'a JournalEntry),
    Settle,
}

pub(crate) struct DeploymentIdentity<'a> {
    pub client: &'a AstroClient,
    pub deployment: DeploymentRef,
    pub actor: String,
    pub op: IdentityOp<'a>,
}

/// Sets the Deployment's workload identity to `identity`; verified and journaled. Returns
/// the journal id, `None` when it already was.
pub async fn set_workload_identity(
    client: &AstroClient,
    deployment: &DeploymentRef,
    identity: &str,
    journal: &Journal,
) -> Result<Option<String>, CloudError> {
    let kind = DeploymentIdentity {
        client,
        deployment: deployment.clone(),
        actor: String::new(),
        op: IdentityOp::Set(identity.to_owned()),
    };
    Ok(change::apply(&kind, journal, Backoff::ONCE).await?.journal_id)
}

/// Sets each Deployment's workload identity to `identity`, one after another; the journal
/// ids of those that changed.
pub async fn set_workload_identities(
    client: &AstroClient,
    deployments: &[DeploymentRef],
    identity: &str,
    journal: &Journal,
) -> Result<Vec<String>, CloudError> {
    let mut ids = Vec::new();
    for deployment in deployments {
        ids.extend(set_workload_identity(client, deployment, identity, journal).await?);
    }
    Ok(ids)
}

/// Settles an interrupted identity change: reads and judges.
pub async fn settle_workload_identity(
    client: &AstroClient,
    entry: &JournalEntry,
) -> Result<(Settlement, String), CloudError> {
    change::settle(&DeploymentIdentity::for_entry(client, entry, IdentityOp::Settle)?, entry).await
}

fn effective(read: &Value) -> Option<&str> {
    read["effectiveWorkloadIdentity"].as_str().or_else(|| read["workloadIdentity"].as_str())
}

impl<'a> DeploymentIdentity<'a> {
    pub(crate) fn for_entry(
        client: &'a AstroClient,
        entry: &'a JournalEntry,
        op: IdentityOp<'a>,
    ) -> Result<Self, CloudError> {
        let Subject::AstroDeployment { organization, deployment_id, name, .. } = &entry.subject else {
            return Err(CloudError::Refused {
                reason: format!("journal entry {} is not a Deployment identity change", entry.id),
                hint: String::from("Undo it from where it was made."),
            });
        };
        let deployment = DeploymentRef {
            organization: organization.clone(),
            id: deployment_id.clone(),
            name: name.clone(),
        };
        Ok(Self { client, deployment, actor: String::new(), op })
    }

    fn label(&self) -> String {
        format!("Deployment {} ({})", self.deployment.name, self.deployment.id)
    }
}

impl ChangeKind for DeploymentIdentity<'_> {
    type Read = Value;
    type State = IdentityState;

    fn subject(&self) -> Subject {
        Subject::AstroDeployment {
            api: self.client.base_url(),
            organization: self.deployment.organization.clone(),
            deployment_id: self.deployment.id.clone(),
            name: self.deployment.name.clone(),
        }
    }
    fn action(&self) -> JournalAction {
        JournalAction::SetWorkloadIdentity
    }
    fn actor(&self) -> String {
        self.actor.clone()
    }
    fn undoes(&self) -> Option<String> {
        match &self.op {
            IdentityOp::Undo(entry) => Some(entry.id.clone()),
            _ => None,
        }
    }
    async fn read(&self) -> Result<Option<Value>, CloudError> {
        self.client.deployment_raw(&self.deployment.organization, &self.deployment.id).await
    }
    fn record(&self, read: &Value) -> Option<IdentityState> {
        effective(read).map(|identity| IdentityState { workload_identity: identity.to_owned() })
    }
    fn target(&self, current: Option<&Value>, _: u32) -> Result<Target<IdentityState>, CloudError> {
        let current = current.ok_or_else(|| CloudError::NotFound { what: self.label() })?;
        let now = effective(current).unwrap_or_default();
        let wanted = match &self.op {
            IdentityOp::Set(identity) => identity.clone(),
            IdentityOp::Undo(entry) => {
                let before: Option<IdentityState> = typed(entry.before.as_ref(), &entry.id)?;
                let after: Option<IdentityState> = typed(entry.after.as_ref(), &entry.id)?;
                let before = before.ok_or_else(|| CloudError::Refused {
                    reason: format!("{} had no workload identity before the change", self.label()),
                    hint: String::from("Choose its identity in the Astro UI."),
                })?;
                if before.workload_identity == now {
                    return Ok(Target::Unchanged);
                }
                if after.is_none_or(|a| a.workload_identity != now) {
                    return Err(CloudError::RemoteChanged {
                        what: format!("the workload identity of {} (it is {now} now)", self.label()),
                        since: "the change being undone",
                    });
                }
                before.workload_identity
            }
            IdentityOp::Settle => return Ok(Target::Unchanged),
        };
        if wanted == now {
            return Ok(Target::Unchanged);
        }
        Ok(Target::Write(Some(IdentityState { workload_identity: wanted })))
    }
    async fn write(&self, current: Option<&Value>, after: Option<&IdentityState>) -> Result<(), CloudError> {
        let (Some(current), Some(after)) = (current, after) else {
            return Err(CloudError::NotFound { what: self.label() });
        };
        let body = identity_update_body(current, &after.workload_identity)?;
        self.client.update_deployment(&self.deployment.organization, &self.deployment.id, &body).await
    }
    fn judge(
        &self,
        now: Option<&Value>,
        before: Option<&IdentityState>,
        after: Option<&IdentityState>,
    ) -> Settlement {
        let now = now.and_then(effective);
        if now.is_some() && now == after.map(|a| a.workload_identity.as_str()) {
            Settlement::Applied
        } else if now == before.map(|b| b.workload_identity.as_str()) {
            Settlement::NotApplied
        } else {
            Settlement::ChangedBySomeoneElse
        }
    }
    fn found(&self, now: Option<&Value>, _: Settlement) -> String {
        match now.and_then(effective) {
            Some(identity) => format!("{} has workload identity {identity}", self.label()),
            None => format!("{} has no workload identity", self.label()),
        }
    }
    fn not_held(&self, now: Option<&Value>, entry_id: &str) -> String {
        format!(
            "{} reads back with workload identity {} (journal entry {entry_id})",
            self.label(),
            now.and_then(effective).unwrap_or("none")
        )
    }
}
