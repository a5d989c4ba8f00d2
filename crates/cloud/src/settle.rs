//! Interrupted writes: intents in the journal without an outcome (the app died, or lost the
//! network, between sending a write and recording how it ended). Settling re-reads each
//! resource, decides whether the write took effect, appends the missing outcome and says so
//! in a sentence the UI and the CLI can show.
//!
//! # At startup (the Tauri shell)
//! 1. [`pending_changes`] (offline, instant): the interrupted changes, each with
//!    [`SettleResult::Unchecked`]; show them, and which cloud and account each needs.
//! 2. With credentials for that cloud: [`settle_aws`] with an
//!    [`AwsIam`](crate::aws::AwsIam) and/or [`settle_gcp`] with a
//!    [`GcpProjects`](crate::gcp::GcpProjects), passing the app's journal. Each returns one
//!    [`SettleReport`] per pending change of its cloud; changes it could not check (another
//!    AWS account, a failed read) stay pending and come back as `Unchecked` next time.
//!
//! Undo considers only applied changes, so an unsettled change is never undone by guesswork.

use serde::Serialize;

use astro_identity_domain::gcp::iam_policy::IamPolicy;

use crate::CloudError;
use crate::airflow::ConnectionStore;
use crate::airflow::connection_change::{Connection, ConnectionOp};
use crate::airflow::requirements_file::{FileOp, RequirementsFile};
use crate::astro::AstroClient;
use crate::aws::iam::RoleStore;
use crate::aws::oidc_provider::ProviderChange;
use crate::aws::permissions::{Attachment, Inline, InlineWrite};
use crate::aws::trust_change::TrustSubject;
use crate::change;
use crate::deployment_identity::settle_workload_identity;
use crate::gcp::binding_change::{PolicyChange, PolicyOp, grants_of};
use crate::gcp::projects::{PolicyResource, PolicyStore};
use crate::history::describe;
use crate::journal::{ASTRO_DEPLOYMENT_CLOUD, Journal, JournalAction, JournalEntry, Settlement, Subject};

/// What settling found for one interrupted change.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[cfg_attr(feature = "specta", derive(specta::Type))]
#[serde(rename_all = "camelCase")]
pub enum SettleResult {
    /// The resource holds the change: it is in the history and can be undone.
    Applied,
    /// The resource is as it was before: nothing changed.
    NotApplied,
    /// Someone else changed the resource since: whether it was applied cannot be told; it
    /// is not undoable.
    ChangedBySomeoneElse,
    /// Not checked yet (offline listing, other credentials needed, or the read failed): it
    /// stays pending.
    Unchecked,
}

/// One interrupted change and what became of it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[cfg_attr(feature = "specta", derive(specta::Type))]
#[serde(rename_all = "camelCase")]
pub struct SettleReport {
    pub journal_id: String,
    /// `aws` or `gcp`.
    pub cloud: String,
    /// The AWS account, or the GCP resource name (`projects/…`).
    pub account: String,
    pub action: JournalAction,
    /// The role, or the GCP resource (`project astro-data`).
    pub resource_name: String,
    /// When the change was started (RFC 3339, UTC).
    pub time: String,
    pub result: SettleResult,
    /// For people: "Your last change — adding Deployments to the trust policy of role data
    /// in account 123456789012 — was interrupted (at …); it was applied."
    pub message: String,
}

/// Interrupted changes of every cloud, unchecked. Reads only the journal.
pub fn pending_changes(journal: &Journal) -> Result<Vec<SettleReport>, CloudError> {
    Ok(journal
        .pending()?
        .iter()
        .map(|entry| report(entry, SettleResult::Unchecked, "it has not been checked yet"))
        .collect())
}

/// Settles the pending Deployment identity changes made through the Astro API at `client`'s
/// address; others stay pending.
pub async fn settle_deployments(
    client: &AstroClient,
    journal: &Journal,
) -> Result<Vec<SettleReport>, CloudError> {
    let mut reports = Vec::new();
    for entry in journal.pending()?.into_iter().filter(|e| e.cloud() == ASTRO_DEPLOYMENT_CLOUD) {
        if matches!(&entry.subject, Subject::AstroDeployment { api, .. } if *api == client.base_url()) {
            let found = settle_workload_identity(client, &entry).await;
            reports.push(record(journal, &entry, found)?);
        }
    }
    Ok(reports)
}

/// Settles the pending AWS changes with `store`'s credentials. Changes made in another
/// account stay pending (reported `Unchecked`, naming the account they need).
pub async fn settle_aws(store: &impl RoleStore, journal: &Journal) -> Result<Vec<SettleReport>, CloudError> {
    let pending: Vec<JournalEntry> = journal.pending()?.into_iter().filter(|e| e.cloud() == "aws").collect();
    if pending.is_empty() {
        return Ok(Vec::new());
    }
    let caller = store.caller().await?;
    let mut reports = Vec::new();
    for entry in pending {
        if entry.account() != caller.account {
            let why = format!(
                "it needs credentials for account {}, and these act in account {}",
                entry.account(),
                caller.account
            );
            reports.push(report(&entry, SettleResult::Unchecked, &format!("it could not be checked: {why}")));
            continue;
        }
        let found = classify_aws(store, &entry).await;
        reports.push(record(journal, &entry, found)?);
    }
    Ok(reports)
}

/// Settles the pending GCP changes with `store`'s credentials.
pub async fn settle_gcp(
    store: &impl PolicyStore,
    journal: &Journal,
) -> Result<Vec<SettleReport>, CloudError> {
    let pending: Vec<JournalEntry> = journal.pending()?.into_iter().filter(|e| e.cloud() == "gcp").collect();
    let mut reports = Vec::new();
    for entry in pending {
        let found = classify_gcp(store, &entry).await;
        reports.push(record(journal, &entry, found)?);
    }
    Ok(reports)
}

/// Settles the pending `requirements.txt` changes: local files, no credentials needed.
pub async fn settle_project(journal: &Journal) -> Result<Vec<SettleReport>, CloudError> {
    let mut reports = Vec::new();
    for entry in journal.pending()?.into_iter().filter(|e| e.cloud() == crate::journal::PROJECT_CLOUD) {
        let found = match &entry.subject {
            Subject::Requirements { project, path } => {
                let file =
                    RequirementsFile { project: project.clone(), path: path.into(), op: FileOp::Settle };
                change::settle(&file, &entry).await
            }
            _ => Err(not_ours(&entry)),
        };
        reports.push(record(journal, &entry, found)?);
    }
    Ok(reports)
}

/// Settles the pending connection changes made in `store` (same Airflow or Astro scope).
pub async fn settle_connections(
    store: &impl ConnectionStore,
    journal: &Journal,
) -> Result<Vec<SettleReport>, CloudError> {
    let mut reports = Vec::new();
    let account = store.account();
    for entry in
        journal.pending()?.into_iter().filter(|e| e.cloud() == store.cloud() && e.account() == account)
    {
        let conn_id = entry.resource_name();
        let kind = Connection { store, conn_id: &conn_id, existing: None, op: ConnectionOp::Settle };
        let found = change::settle(&kind, &entry).await;
        reports.push(record(journal, &entry, found)?);
    }
    Ok(reports)
}

fn not_ours(entry: &JournalEntry) -> CloudError {
    CloudError::Refused {
        reason: format!("journal entry {} ({:?}) is not a change of this kind", entry.id, entry.action),
        hint: String::from("Settle it from the journey that made it."),
    }
}

/// Re-reads what an AWS intent was about to change and says whether it took effect.
async fn classify_aws(
    store: &impl RoleStore,
    entry: &JournalEntry,
) -> Result<(Settlement, String), CloudError> {
    match &entry.subject {
        Subject::TrustPolicy { role, .. } => {
            change::settle(&TrustSubject { store, role: role.clone() }, entry).await
        }
        Subject::ManagedPolicyAttachment { account, role, policy_arn } => {
            let kind = Attachment {
                store,
                account: account.clone(),
                role: role.clone(),
                actor: String::new(),
                policy_arn: policy_arn.clone(),
                undoes: None,
            };
            change::settle(&kind, entry).await
        }
        Subject::InlinePolicy { role, name, .. } => {
            let kind = Inline { store, role, name, actor: String::new(), write: InlineWrite::Settle };
            change::settle(&kind, entry).await
        }
        Subject::OidcProvider { .. } => {
            change::settle(&ProviderChange::for_entry(store, entry, false)?, entry).await
        }
        _ => Err(not_ours(entry)),
    }
}

/// Re-reads the policy a GCP intent was about to change and says whether it took effect: a
/// grant by membership, a hand edit against its before and after.
async fn classify_gcp(
    store: &impl PolicyStore,
    entry: &JournalEntry,
) -> Result<(Settlement, String), CloudError> {
    let (resource, op) = match &entry.subject {
        Subject::GcpBinding { resource, role, members, condition } => {
            let grants = grants_of(role, members, condition.as_ref());
            let op = match entry.action {
                JournalAction::RemoveBinding => PolicyOp::Revoke { grants, undoes: entry, expected: None },
                _ => PolicyOp::Grant(grants),
            };
            (resource, op)
        }
        Subject::GcpPolicy { resource } => {
            let empty = IamPolicy::parse("{}")?;
            (resource, PolicyOp::Document { planned_before: empty.clone(), after: empty })
        }
        _ => return Err(not_ours(entry)),
    };
    let kind =
        PolicyChange { store, resource: PolicyResource::from_name(resource)?, actor: String::new(), op };
    change::settle(&kind, entry).await
}

/// Appends the outcome a re-read found; a failed re-read leaves the intent pending.
fn record(
    journal: &Journal,
    entry: &JournalEntry,
    found: Result<(Settlement, String), CloudError>,
) -> Result<SettleReport, CloudError> {
    match found {
        Ok((settlement, detail)) => {
            journal.settled(&entry.id, settlement, &format!("settled after an interruption: {detail}"))?;
            let (result, verdict) = match settlement {
                Settlement::Applied => (SettleResult::Applied, "it was applied"),
                Settlement::NotApplied => (SettleResult::NotApplied, "it was not applied; nothing changed"),
                Settlement::ChangedBySomeoneElse => (
                    SettleResult::ChangedBySomeoneElse,
                    "it was changed by someone else since, so whether it was applied cannot be told; \
                     review it before changing it again",
                ),
            };
            Ok(report(entry, result, verdict))
        }
        Err(err) => Ok(report(entry, SettleResult::Unchecked, &format!("it could not be checked: {err}"))),
    }
}

fn report(entry: &JournalEntry, result: SettleResult, verdict: &str) -> SettleReport {
    SettleReport {
        journal_id: entry.id.clone(),
        cloud: entry.cloud().to_owned(),
        account: entry.account().to_owned(),
        action: entry.action,
        resource_name: entry.resource_name(),
        time: entry.time.clone(),
        result,
        message: format!(
            "Your last change — {} — was interrupted (at {}); {verdict}.",
            describe(entry),
            minute(&entry.time)
        ),
    }
}

/// An RFC 3339 journal time to the minute, for people: "2026-12-06 06:40 UTC".
fn minute(time: &str) -> String {
    match time.get(..16) {
        Some(prefix) if time.ends_with('Z') => format!("{} UTC", prefix.replace('T', " ")),
        _ => time.to_owned(),
    }
}

#[cfg(test)]
mod tests {
    use super::minute;

    #[test]
    fn journal_times_are_shown_to_the_minute() {
        assert_eq!(minute("2026-12-06T06:40:20.126886301Z"), "2026-12-06 06:40 UTC");
        assert_eq!(minute("not a time"), "not a time");
    }
}
