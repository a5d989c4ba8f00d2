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

use std::future::Future;

use serde::Serialize;

use crate::CloudError;
use crate::aws::iam::RoleStore;
use crate::gcp::projects::PolicyStore;
use crate::journal::{Journal, JournalAction, JournalEntry, Settlement};

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

/// Settles the pending AWS changes with `store`'s credentials. Changes made in another
/// account stay pending (reported `Unchecked`, naming the account they need).
pub async fn settle_aws(store: &impl RoleStore, journal: &Journal) -> Result<Vec<SettleReport>, CloudError> {
    let pending: Vec<JournalEntry> = journal.pending()?.into_iter().filter(|e| e.cloud == "aws").collect();
    if pending.is_empty() {
        return Ok(Vec::new());
    }
    let caller = store.caller().await?;
    let mut reports = Vec::new();
    for entry in pending {
        if entry.account != caller.account {
            let why = format!(
                "it needs credentials for account {}, and these act in account {}",
                entry.account, caller.account
            );
            reports.push(report(&entry, SettleResult::Unchecked, &format!("it could not be checked: {why}")));
            continue;
        }
        let found = crate::aws::settle::classify(store, &entry).await;
        reports.push(record(journal, &entry, found)?);
    }
    Ok(reports)
}

/// Settles the pending GCP changes with `store`'s credentials.
pub async fn settle_gcp(
    store: &impl PolicyStore,
    journal: &Journal,
) -> Result<Vec<SettleReport>, CloudError> {
    let pending: Vec<JournalEntry> = journal.pending()?.into_iter().filter(|e| e.cloud == "gcp").collect();
    let mut reports = Vec::new();
    for entry in pending {
        let found = crate::gcp::settle::classify(store, &entry).await;
        reports.push(record(journal, &entry, found)?);
    }
    Ok(reports)
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
        cloud: entry.cloud.clone(),
        account: entry.account.clone(),
        action: entry.action,
        resource_name: entry.resource_name.clone(),
        time: entry.time.clone(),
        result,
        message: format!(
            "Your last change — {} — was interrupted (at {}); {verdict}.",
            subject(entry),
            entry.time
        ),
    }
}

/// What the change was, in words.
fn subject(entry: &JournalEntry) -> String {
    let role = &entry.resource_name;
    let account = &entry.account;
    let detail = entry.detail.as_deref().unwrap_or("");
    let undo = if entry.undoes.is_some() { "undoing: " } else { "" };
    let what = match entry.action {
        JournalAction::CreateRole => format!("creating role {role} in account {account}"),
        JournalAction::DeleteRole => format!("deleting role {role} in account {account}"),
        JournalAction::UpdateTrustPolicy => format!("the trust policy of role {role} in account {account}"),
        JournalAction::AttachPolicy => format!("attaching {detail} to role {role} in account {account}"),
        JournalAction::DetachPolicy => format!("detaching {detail} from role {role} in account {account}"),
        JournalAction::PutInlinePolicy => {
            format!("inline policy {detail} of role {role} in account {account}")
        }
        JournalAction::AddBinding | JournalAction::RemoveBinding => {
            let grant: serde_json::Value = serde_json::from_str(detail).unwrap_or_default();
            let (granted, member) =
                (grant["role"].as_str().unwrap_or("?"), grant["member"].as_str().unwrap_or("?"));
            if entry.action == JournalAction::AddBinding {
                format!("granting {granted} to {member} on {role}")
            } else {
                format!("removing {granted} from {member} on {role}")
            }
        }
        JournalAction::SetPolicy => format!("the IAM policy of {role}"),
        other => format!("{other:?} on {role}"),
    };
    format!("{undo}{what}")
}

/// After a write call failed: did it take effect anyway (its answer lost to a reset or a
/// timeout)? `definite` errors were refused before anything changed and are recorded as
/// failed; otherwise `classify` re-reads the resource and the outcome says what it found.
/// `Ok(())` means the change is in place (recorded as settled, applied); `Err` gives back the
/// error, the intent recorded as failed, settled, or — when the re-read failed too — left
/// pending for the next start to settle.
pub(crate) async fn after_failed_write(
    journal: &Journal,
    entry: &JournalEntry,
    err: CloudError,
    definite: bool,
    classify: impl Future<Output = Result<(Settlement, String), CloudError>>,
) -> Result<(), CloudError> {
    if definite {
        journal.failed(&entry.id, &err.to_string())?;
        return Err(err);
    }
    match classify.await {
        Ok((Settlement::Applied, found)) => {
            journal.settled(
                &entry.id,
                Settlement::Applied,
                &format!("the answer was lost ({err}); {found}"),
            )?;
            Ok(())
        }
        Ok((Settlement::NotApplied, _)) => {
            journal.failed(&entry.id, &err.to_string())?;
            Err(err)
        }
        Ok((Settlement::ChangedBySomeoneElse, found)) => {
            journal.settled(&entry.id, Settlement::ChangedBySomeoneElse, &format!("{err}; {found}"))?;
            Err(err)
        }
        Err(_) if refused_outright(&err) => {
            journal.failed(&entry.id, &err.to_string())?;
            Err(err)
        }
        Err(_) => Err(err),
    }
}

/// Errors a cloud answers instead of doing anything: the write did not happen.
pub(crate) fn refused_outright(err: &CloudError) -> bool {
    matches!(
        err,
        CloudError::Credentials { .. }
            | CloudError::Domain(_)
            | CloudError::KeyringUnavailable { .. }
            | CloudError::AccessDenied { .. }
            | CloudError::MalformedPolicy { .. }
            | CloudError::LimitExceeded { .. }
            | CloudError::Refused { .. }
    )
}
