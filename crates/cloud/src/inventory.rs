//! Who can reach what, read from the clouds: every role of an AWS account whose trust policy
//! admits an Astro identity, every binding of GCP projects and service accounts held by one,
//! each tied to its Deployment (exactly with the Astro API, else by shape), with what it can
//! do, whether this app's journal granted it, and drift since. And offboarding: one plan that
//! removes an identity from everything it holds, applied through the change engine.

use std::collections::{BTreeMap, BTreeSet};
use std::sync::Arc;

use serde::Serialize;
use serde_json::Value;
use tokio::sync::Semaphore;
use tokio::task::JoinSet;

use astro_identity_domain::astro::Deployment;
use astro_identity_domain::aws::lint::DEFAULT_TRUST_POLICY_QUOTA;
use astro_identity_domain::aws::trust_policy::TrustPolicy;
use astro_identity_domain::gcp::iam_policy::IamPolicy;
use astro_identity_domain::gcp::identity::{ProjectId, ServiceAccountEmail};
use astro_identity_domain::inventory::{
    DeploymentTag, Matched, TrustHolder, binding_holders, deployment_of, revoke_from_bindings,
    revoke_from_trust, trust_holders,
};

use crate::CloudError;
use crate::aws::iam::{AwsIam, RoleStore};
use crate::aws::trust_change::{TrustChange, apply_trust_change, console_url, plan_trust_document};
use crate::backoff::Backoff;
use crate::gcp::binding_change::{BindingChange, apply_binding, plan_policy_document};
use crate::gcp::projects::{PolicyResource, PolicyStore};
use crate::journal::{ChangeStatus, Journal, JournalEntry, Subject};

/// How many `ListAttachedRolePolicies` calls run at once.
const CONCURRENCY: usize = 8;

/// One identity holding access somewhere.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[cfg_attr(feature = "specta", derive(specta::Type))]
#[serde(rename_all = "camelCase")]
pub struct InventoryRow {
    /// `aws` or `gcp`.
    pub cloud: String,
    pub deployment: Option<DeploymentTag>,
    pub matched: Matched,
    /// A role ARN, `NS@ISSUER` (a namespace's service accounts), or `serviceAccount:EMAIL`.
    pub identity: String,
    /// "role data in account 123456789012", "project astro-data", "service account etl@…".
    pub place: String,
    /// What revoke rewrites: the role name, or the policy resource's API name.
    pub resource: String,
    /// AWS: the role's attached managed policies; GCP: the role granted (and its condition).
    pub access: Vec<String>,
    /// This app's journal granted it (an applied change, not undone).
    pub journaled: bool,
    /// What changed since the journal's last apply, in words; `None` when nothing did.
    pub drift: Option<String>,
    pub console_url: String,
}

fn tag(deployment: Option<&Deployment>) -> (Option<DeploymentTag>, Matched) {
    match deployment {
        Some(d) => (Some(DeploymentTag { id: d.id.clone(), name: d.name.clone() }), Matched::Exact),
        None => (None, Matched::Shape),
    }
}

fn known_identities(deployments: &[Deployment]) -> Vec<String> {
    deployments.iter().filter_map(|d| d.workload_identity.clone()).collect()
}

/// The applied journal entries not undone since, oldest first.
fn standing(journal: &Journal) -> Result<Vec<JournalEntry>, CloudError> {
    let history = journal.history()?;
    let undone: BTreeSet<String> = history
        .iter()
        .filter(|c| c.status == ChangeStatus::Applied)
        .filter_map(|c| c.entry.undoes.clone())
        .collect();
    Ok(history
        .into_iter()
        .filter(|c| c.status == ChangeStatus::Applied && !undone.contains(&c.entry.id))
        .map(|c| c.entry)
        .collect())
}

fn trust_of(value: Option<&Value>) -> Option<TrustPolicy> {
    value.and_then(|v| TrustPolicy::from_value(v.clone()).ok())
}

/// What the journal says about one role: the identities its changes added, and the policy
/// its last one wrote.
#[derive(Default)]
struct RoleRecord {
    added: BTreeMap<String, String>,
    last: Option<(String, TrustPolicy)>,
}

fn role_records(entries: &[JournalEntry], account: &str) -> BTreeMap<String, RoleRecord> {
    let mut records: BTreeMap<String, RoleRecord> = BTreeMap::new();
    for entry in entries {
        let Subject::TrustPolicy { account: a, role, .. } = &entry.subject else { continue };
        if a != account {
            continue;
        }
        let record = records.entry(role.clone()).or_default();
        let before: Vec<String> = trust_of(entry.before.as_ref())
            .map(|p| trust_holders(&p, &[]).iter().map(TrustHolder::identity).collect())
            .unwrap_or_default();
        let after = trust_of(entry.after.as_ref());
        // An undo (of a revoke, say) puts back what someone had; it grants nothing new.
        if let (Some(after), None) = (&after, &entry.undoes) {
            for holder in trust_holders(after, &[]) {
                if !before.contains(&holder.identity()) {
                    record.added.insert(holder.identity(), entry.id.clone());
                }
            }
        }
        record.last = after.map(|p| (entry.time.clone(), p));
    }
    records
}

/// Every role of the account whose trust policy admits an Astro identity, one row per
/// identity; plus a row for each identity this app granted that is no longer trusted.
pub async fn aws_inventory(
    iam: &AwsIam,
    journal: &Journal,
    deployments: &[Deployment],
) -> Result<Vec<InventoryRow>, CloudError> {
    let caller = iam.caller().await?;
    let known = known_identities(deployments);
    let roles = iam.roles_with_trust().await?;
    let held: Vec<(usize, Vec<TrustHolder>)> = roles
        .iter()
        .enumerate()
        .map(|(i, role)| (i, trust_holders(&role.trust_policy, &known)))
        .filter(|(_, holders)| !holders.is_empty())
        .collect();
    let names: Vec<String> = held.iter().map(|(i, _)| roles[*i].name.clone()).collect();
    let attached = attached_of(iam, &names).await?;
    let records = role_records(&standing(journal)?, &caller.account);
    let mut rows = Vec::new();
    for (i, holders) in held {
        let role = &roles[i];
        let record = records.get(&role.name);
        let drift = record.and_then(|r| r.last.as_ref()).and_then(|(time, written)| {
            (!written.semantically_equal(&role.trust_policy))
                .then(|| format!("the trust policy changed since this app's last apply ({time})"))
        });
        for holder in holders {
            let namespace = match &holder {
                TrustHolder::WebIdentity { namespace, .. } => Some(namespace.as_str()),
                TrustHolder::Role { .. } => None,
            };
            let (deployment, matched) = tag(deployment_of(&holder.identity(), namespace, deployments));
            rows.push(InventoryRow {
                cloud: String::from("aws"),
                deployment,
                matched,
                journaled: record.is_some_and(|r| r.added.contains_key(&holder.identity())),
                identity: holder.identity(),
                place: format!("role {} in account {}", role.name, caller.account),
                resource: role.name.clone(),
                access: attached.get(&role.name).cloned().unwrap_or_default(),
                drift: drift.clone(),
                console_url: console_url(&role.arn, &role.name),
            });
        }
    }
    for (role, record) in &records {
        for (identity, entry) in &record.added {
            if rows.iter().any(|r| r.resource == *role && r.identity == *identity) {
                continue;
            }
            let exists = roles.iter().any(|r| r.name == *role);
            let (deployment, matched) = tag(deployment_of(identity, None, deployments));
            rows.push(InventoryRow {
                cloud: String::from("aws"),
                deployment,
                matched,
                identity: identity.clone(),
                place: format!("role {role} in account {}", caller.account),
                resource: role.clone(),
                access: Vec::new(),
                journaled: true,
                drift: Some(if exists {
                    format!("this app granted it (journal entry {entry}); the role no longer trusts it")
                } else {
                    format!("this app granted it (journal entry {entry}); the role no longer exists")
                }),
                console_url: String::new(),
            });
        }
    }
    Ok(rows)
}

/// Attached managed policy names per role, at most [`CONCURRENCY`] calls at a time.
async fn attached_of(iam: &AwsIam, roles: &[String]) -> Result<BTreeMap<String, Vec<String>>, CloudError> {
    let limit = Arc::new(Semaphore::new(CONCURRENCY));
    let mut tasks = JoinSet::new();
    for role in roles {
        let (iam, role, limit) = (iam.clone(), role.clone(), limit.clone());
        tasks.spawn(async move {
            let _permit = limit.acquire_owned().await;
            let arns = iam.attached_policies(&role).await;
            (role, arns)
        });
    }
    let mut attached = BTreeMap::new();
    while let Some(done) = tasks.join_next().await {
        let (role, arns) = done.map_err(|e| CloudError::Cloud {
            action: String::from("iam:ListAttachedRolePolicies"),
            code: String::from("TaskFailed"),
            message: e.to_string(),
        })?;
        let names = arns?.iter().map(|arn| arn.rsplit('/').next().unwrap_or(arn).to_owned()).collect();
        attached.insert(role, names);
    }
    Ok(attached)
}

/// Every binding the projects' and service accounts' IAM policies give an Astro identity,
/// one row per member and role; plus a row for each grant this app made that is gone.
pub async fn gcp_inventory(
    store: &impl PolicyStore,
    resources: &[PolicyResource],
    journal: &Journal,
    deployments: &[Deployment],
) -> Result<Vec<InventoryRow>, CloudError> {
    let known = known_identities(deployments);
    let entries = standing(journal)?;
    let granted: Vec<(String, String, String, String)> = entries
        .iter()
        .filter_map(|e| match &e.subject {
            Subject::GcpBinding { resource, role, members, .. } => Some(
                members
                    .iter()
                    .map(|m| (resource.clone(), role.clone(), m.clone(), e.id.clone()))
                    .collect::<Vec<_>>(),
            ),
            _ => None,
        })
        .flatten()
        .collect();
    let mut rows = Vec::new();
    for resource in resources {
        let policy = store.get_policy(resource).await?;
        let holders = binding_holders(&policy, &known);
        for holder in &holders {
            let email = holder.member.trim_start_matches("serviceAccount:");
            let (deployment, matched) = tag(deployment_of(email, None, deployments));
            let journaled = granted
                .iter()
                .any(|(r, role, m, _)| *r == resource.name() && *role == holder.role && *m == holder.member);
            let access = match &holder.condition {
                Some(title) => format!("{} only when “{title}”", holder.role),
                None => holder.role.clone(),
            };
            rows.push(InventoryRow {
                cloud: String::from("gcp"),
                deployment,
                matched,
                identity: holder.member.clone(),
                place: resource.to_string(),
                resource: resource.name(),
                access: vec![access],
                journaled,
                drift: None,
                console_url: resource.console_url(),
            });
        }
        for (_, role, member, entry) in granted.iter().filter(|(r, ..)| *r == resource.name()) {
            if holders.iter().any(|h| h.role == *role && h.member == *member) {
                continue;
            }
            let email = member.trim_start_matches("serviceAccount:");
            let (deployment, matched) = tag(deployment_of(email, None, deployments));
            rows.push(InventoryRow {
                cloud: String::from("gcp"),
                deployment,
                matched,
                identity: member.clone(),
                place: resource.to_string(),
                resource: resource.name(),
                access: vec![role.clone()],
                journaled: true,
                drift: Some(format!("this app granted it (journal entry {entry}); the binding is gone")),
                console_url: resource.console_url(),
            });
        }
    }
    Ok(rows)
}

/// The GCP policies to read: the projects, then the service accounts (blank entries
/// skipped); refuses none at all.
pub fn gcp_places(
    projects: &[String],
    service_accounts: &[String],
) -> Result<Vec<PolicyResource>, CloudError> {
    let mut resources = Vec::new();
    for project in projects.iter().filter(|p| !p.trim().is_empty()) {
        resources.push(PolicyResource::project(&ProjectId::parse(project)?));
    }
    for account in service_accounts.iter().filter(|a| !a.trim().is_empty()) {
        resources.push(PolicyResource::service_account(&ServiceAccountEmail::parse(account)?));
    }
    if resources.is_empty() {
        return Err(CloudError::Refused {
            reason: String::from("no project or service account to read"),
            hint: String::from("Give at least one project id (or a service account)."),
        });
    }
    Ok(resources)
}

/// The trust-policy changes that stop every role of the account trusting `identity` (a role
/// ARN or `NS@ISSUER`), one per role, each applying only onto the policy it was made from.
/// Writes nothing.
pub async fn plan_revoke_aws(iam: &AwsIam, identity: &str) -> Result<Vec<TrustChange>, CloudError> {
    let identity = identity.trim();
    let mut changes = Vec::new();
    for role in iam.roles_with_trust().await? {
        let known = [identity.to_owned()];
        let Some(holder) =
            trust_holders(&role.trust_policy, &known).into_iter().find(|h| h.identity() == identity)
        else {
            continue;
        };
        let after = revoke_from_trust(&role.trust_policy, &holder);
        changes.push(plan_trust_document(iam, &role.name, &after, None, DEFAULT_TRUST_POLICY_QUOTA).await?);
    }
    Ok(changes)
}

/// The IAM policy changes that remove `member` (`serviceAccount:EMAIL`, or the email) from
/// every binding of `resources`. Writes nothing.
pub async fn plan_revoke_gcp(
    store: &impl PolicyStore,
    resources: &[PolicyResource],
    member: &str,
    principal: Option<String>,
) -> Result<Vec<BindingChange>, CloudError> {
    let member = member.trim();
    let member = if member.contains(':') { member.to_owned() } else { format!("serviceAccount:{member}") };
    let mut changes = Vec::new();
    for resource in resources {
        let policy: IamPolicy = store.get_policy(resource).await?;
        if !policy.grants().iter().any(|g| g.member == member) {
            continue;
        }
        let after = revoke_from_bindings(&policy, &member);
        changes.push(plan_policy_document(store, resource, &after, principal.clone()).await?);
    }
    Ok(changes)
}

/// Why an offboarding plan cannot be applied at all, naming each change with errors (a role
/// that would be left without a statement); `None` when it can.
pub fn revoke_refusal(trust: &[TrustChange], bindings: &[BindingChange]) -> Option<CloudError> {
    let blocked: Vec<String> = trust
        .iter()
        .filter(|c| c.plan.blocked)
        .map(|c| format!("role {}", c.role_name))
        .chain(bindings.iter().filter(|c| c.plan.blocked).map(|c| c.resource.to_string()))
        .collect();
    (!blocked.is_empty()).then(|| CloudError::Refused {
        reason: format!("the change to {} has errors, nothing was revoked", blocked.join(", ")),
        hint: String::from(
            "Read the errors in the plan: a role only this identity could assume cannot be left \
             without a trust statement. Delete the role, or add who else may assume it.",
        ),
    })
}

/// Applies an offboarding plan, all or nothing: a change with errors (a role that would be
/// left without a statement) refuses the whole plan before anything is written. Returns the
/// journal ids in the order written; undo them newest first.
pub async fn apply_revoke(
    iam: Option<&impl RoleStore>,
    policies: Option<&impl PolicyStore>,
    trust: &[TrustChange],
    bindings: &[BindingChange],
    journal: &Journal,
) -> Result<Vec<String>, CloudError> {
    if let Some(refusal) = revoke_refusal(trust, bindings) {
        return Err(refusal);
    }
    let mut ids = Vec::new();
    if let Some(iam) = iam {
        for change in trust {
            ids.extend(apply_trust_change(iam, change, true, journal).await?.journal_id);
        }
    }
    if let Some(policies) = policies {
        for change in bindings {
            ids.extend(apply_binding(policies, change, true, journal, Backoff::DEFAULT).await?.journal_id);
        }
    }
    Ok(ids)
}
