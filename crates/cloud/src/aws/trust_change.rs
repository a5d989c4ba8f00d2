//! Plan, apply, verify and undo a change to a role's trust policy — the one-way flow of
//! ARCHITECTURE.md for AWS.

use serde::Serialize;

use astro_identity_domain::aws::arn::WorkloadIdentityArn;
use astro_identity_domain::aws::lint::{LintLevel, lint_trust_policy};
use astro_identity_domain::aws::plan::TrustPlan;
use astro_identity_domain::aws::trust_policy::TrustPolicy;

use crate::CloudError;
use crate::aws::iam::{Caller, NewRole, RoleStore};
use crate::aws::permissions;
use crate::journal::{Journal, JournalAction, JournalEntry};

/// A planned change: what was read, what will be written, and who will write it.
#[derive(Debug, Clone, Serialize)]
#[cfg_attr(feature = "specta", derive(specta::Type))]
#[serde(rename_all = "camelCase")]
pub struct TrustChange {
    pub caller: Caller,
    pub role_name: String,
    /// `None` when the role is to be created.
    pub role_arn: Option<String>,
    pub create: Option<NewRole>,
    /// The trust policy as read when planning (compact), to detect changes before writing.
    pub remote_before: Option<String>,
    pub plan: TrustPlan,
    pub quota: u32,
}

/// What an apply or undo did, as verified by reading back.
#[derive(Debug, Clone, Serialize)]
#[cfg_attr(feature = "specta", derive(specta::Type))]
#[serde(rename_all = "camelCase")]
pub struct ChangeOutcome {
    /// False when nothing needed changing.
    pub written: bool,
    pub verified: bool,
    pub journal_id: Option<String>,
    pub role_name: String,
    pub role_arn: String,
    pub account: String,
    /// The trust policy read back after the write (pretty), `None` after a delete.
    pub trust_policy: Option<String>,
    pub console_url: String,
}

/// Reads the role and computes the plan to trust `identities`. Writes nothing.
pub async fn plan_trust_change(
    store: &impl RoleStore,
    role_name: &str,
    identities: &[WorkloadIdentityArn],
    create: Option<NewRole>,
    quota: u32,
) -> Result<TrustChange, CloudError> {
    let (caller, role_arn, before) = read_for_plan(store, role_name, create.is_some()).await?;
    let plan = TrustPlan::build(before.as_ref(), identities, quota);
    Ok(TrustChange {
        caller,
        role_name: role_name.to_owned(),
        role_arn,
        create,
        remote_before: before.map(|p| p.to_compact_json()),
        plan,
        quota,
    })
}

/// Reads the role and computes the plan to replace its trust policy with `document` (an
/// edit made in the policy editor). Writes nothing.
pub async fn plan_trust_document(
    store: &impl RoleStore,
    role_name: &str,
    document: &TrustPolicy,
    create: Option<NewRole>,
    quota: u32,
) -> Result<TrustChange, CloudError> {
    let (caller, role_arn, before) = read_for_plan(store, role_name, create.is_some()).await?;
    let plan = TrustPlan::for_documents(before.as_ref(), document, quota);
    Ok(TrustChange {
        caller,
        role_name: role_name.to_owned(),
        role_arn,
        create,
        remote_before: before.map(|p| p.to_compact_json()),
        plan,
        quota,
    })
}

/// Who we are and what the role's trust policy is now; refuses a create of an existing
/// role and an update of a missing one.
async fn read_for_plan(
    store: &impl RoleStore,
    role_name: &str,
    create: bool,
) -> Result<(Caller, Option<String>, Option<TrustPolicy>), CloudError> {
    let caller = store.caller().await?;
    match (store.get_role(role_name).await?, create) {
        (Some(_), true) => {
            Err(CloudError::AlreadyExists { what: format!("role {role_name} in account {}", caller.account) })
        }
        (None, false) => {
            Err(CloudError::NotFound { what: format!("role {role_name} in account {}", caller.account) })
        }
        (Some(role), false) => Ok((caller, Some(role.arn), Some(role.trust_policy))),
        (None, true) => Ok((caller, None, None)),
    }
}

/// Applies exactly `change.plan`: re-reads the role and refuses if it moved since the plan,
/// writes, journals, then reads back and verifies.
pub async fn apply_trust_change(
    store: &impl RoleStore,
    change: &TrustChange,
    confirm_warnings: bool,
    journal: &Journal,
) -> Result<ChangeOutcome, CloudError> {
    let after = TrustPolicy::parse(&change.plan.compact_after)?;
    // Lint again here: the plan may have travelled through the UI and back.
    let lints = lint_trust_policy(&after, change.quota);
    if let Some(blocking) = lints.iter().find(|l| l.level == LintLevel::Error) {
        return Err(CloudError::Refused { reason: blocking.message.clone(), hint: blocking.hint.clone() });
    }
    if lints.iter().any(|l| l.level == LintLevel::Warning) && !confirm_warnings {
        return Err(CloudError::Refused {
            reason: String::from("the plan has warnings that were not confirmed"),
            hint: String::from("Review the warnings and confirm them (the CLI's --yes), or change the plan."),
        });
    }

    let current = store.get_role(&change.role_name).await?;
    let remote_now = current.as_ref().map(|r| r.trust_policy.to_compact_json());
    if remote_now != change.remote_before {
        return Err(CloudError::RemoteChanged {
            what: format!("the trust policy of role {}", change.role_name),
            since: "the plan was shown",
        });
    }

    if !change.plan.changed {
        let role =
            current.ok_or_else(|| CloudError::NotFound { what: format!("role {}", change.role_name) })?;
        return Ok(outcome(change, false, true, None, &role.arn, Some(&role.trust_policy)));
    }

    let mut entry = JournalEntry::now(
        "aws",
        &change.caller.account,
        &change.caller.arn,
        JournalAction::UpdateTrustPolicy,
    );
    entry.resource_name = change.role_name.clone();
    entry.before = change.remote_before.clone();
    entry.after = Some(after.to_compact_json());
    let role_arn = match (&change.create, &current) {
        (Some(spec), None) => {
            let created = store.create_role(spec, &after).await?;
            entry.action = JournalAction::CreateRole;
            created.arn
        }
        (_, Some(role)) => {
            store.update_trust_policy(&change.role_name, &after).await?;
            role.arn.clone()
        }
        (None, None) => return Err(CloudError::NotFound { what: format!("role {}", change.role_name) }),
    };
    entry.resource_arn = role_arn.clone();
    // The write happened: record it before verifying, so it can be undone even if the
    // read-back disagrees.
    journal.append(&entry)?;

    let read_back = store.get_role(&change.role_name).await?;
    let verified = read_back.as_ref().is_some_and(|r| r.trust_policy.semantically_equal(&after));
    if !verified {
        return Err(CloudError::VerifyFailed {
            what: format!(
                "role {} does not have the trust policy just written (another writer may have changed it; \
                 journal entry {})",
                change.role_name, entry.id
            ),
        });
    }
    Ok(outcome(change, true, true, Some(entry.id), &role_arn, read_back.as_ref().map(|r| &r.trust_policy)))
}

/// Undoes a journal entry (`None`: the newest one not yet undone). Refuses when the role's
/// trust policy is no longer what the entry wrote.
pub async fn undo_change(
    store: &impl RoleStore,
    journal: &Journal,
    id: Option<&str>,
) -> Result<ChangeOutcome, CloudError> {
    let entry = journal.undo_candidate("aws", id)?;
    let caller = store.caller().await?;
    if entry.account != caller.account {
        return Err(CloudError::Refused {
            reason: format!(
                "journal entry {} changed account {}, but these credentials act in account {}",
                entry.id, entry.account, caller.account
            ),
            hint: String::from("Choose credentials for that account, then undo again."),
        });
    }
    if matches!(entry.action, JournalAction::AttachPolicy | JournalAction::PutInlinePolicy) {
        let mut undo = JournalEntry::now("aws", &caller.account, &caller.arn, entry.action);
        undo.resource_name = entry.resource_name.clone();
        undo.resource_arn = entry.resource_arn.clone();
        undo.before = entry.after.clone();
        undo.after = entry.before.clone();
        undo.undoes = Some(entry.id.clone());
        permissions::undo_permission(store, &entry, &mut undo).await?;
        journal.append(&undo)?;
        let role = store.get_role(&entry.resource_name).await?;
        let role_arn = role.as_ref().map(|r| r.arn.clone()).unwrap_or_default();
        return Ok(ChangeOutcome {
            written: true,
            verified: true,
            journal_id: Some(undo.id),
            role_name: entry.resource_name.clone(),
            console_url: console_url(&role_arn, &entry.resource_name),
            role_arn,
            account: caller.account,
            trust_policy: role.map(|r| r.trust_policy.to_pretty_json()),
        });
    }
    let current = store.get_role(&entry.resource_name).await?;
    let written = entry.after.as_deref().map(TrustPolicy::parse).transpose()?;
    let unchanged = match (&current, &written) {
        (Some(role), Some(after)) => role.trust_policy.semantically_equal(after),
        (None, None) => true,
        _ => false,
    };
    if !unchanged {
        return Err(CloudError::RemoteChanged {
            what: format!("the trust policy of role {}", entry.resource_name),
            since: "the change being undone",
        });
    }

    let mut undo = JournalEntry::now("aws", &caller.account, &caller.arn, JournalAction::UpdateTrustPolicy);
    undo.resource_name = entry.resource_name.clone();
    undo.resource_arn = entry.resource_arn.clone();
    undo.before = entry.after.clone();
    undo.after = entry.before.clone();
    undo.undoes = Some(entry.id.clone());
    let restored = entry.before.as_deref().map(TrustPolicy::parse).transpose()?;
    match (&entry.action, &restored) {
        (JournalAction::CreateRole, _) => {
            store.delete_role(&entry.resource_name).await?;
            undo.action = JournalAction::DeleteRole;
        }
        (_, Some(before)) => store.update_trust_policy(&entry.resource_name, before).await?,
        (_, None) => {
            return Err(CloudError::Refused {
                reason: format!("journal entry {} has nothing to restore", entry.id),
                hint: String::from("Nothing to do."),
            });
        }
    }
    journal.append(&undo)?;

    let read_back = store.get_role(&entry.resource_name).await?;
    let verified = match (&read_back, &restored, undo.action) {
        (None, _, JournalAction::DeleteRole) => true,
        (Some(role), Some(before), _) => role.trust_policy.semantically_equal(before),
        _ => false,
    };
    if !verified {
        return Err(CloudError::VerifyFailed {
            what: format!("role {} is not back to its earlier trust policy", entry.resource_name),
        });
    }
    Ok(ChangeOutcome {
        written: true,
        verified,
        journal_id: Some(undo.id),
        role_name: entry.resource_name.clone(),
        role_arn: entry.resource_arn.clone(),
        account: caller.account,
        trust_policy: read_back.map(|r| r.trust_policy.to_pretty_json()),
        console_url: console_url(&entry.resource_arn, &entry.resource_name),
    })
}

fn outcome(
    change: &TrustChange,
    written: bool,
    verified: bool,
    journal_id: Option<String>,
    role_arn: &str,
    policy: Option<&TrustPolicy>,
) -> ChangeOutcome {
    ChangeOutcome {
        written,
        verified,
        journal_id,
        role_name: change.role_name.clone(),
        role_arn: role_arn.to_owned(),
        account: change.caller.account.clone(),
        trust_policy: policy.map(TrustPolicy::to_pretty_json),
        console_url: console_url(role_arn, &change.role_name),
    }
}

/// The role's page in the AWS console, on the partition its ARN names.
pub fn console_url(role_arn: &str, role_name: &str) -> String {
    let host = match role_arn.split(':').nth(1) {
        Some("aws-cn") => "console.amazonaws.cn",
        Some("aws-us-gov") => "console.amazonaws-us-gov.com",
        _ => "console.aws.amazon.com",
    };
    format!("https://{host}/iam/home#/roles/details/{role_name}?section=trust_relationships")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn console_links_follow_the_partition() {
        assert_eq!(
            console_url("arn:aws:iam::123456789012:role/data", "data"),
            "https://console.aws.amazon.com/iam/home#/roles/details/data?section=trust_relationships"
        );
        assert!(
            console_url("arn:aws-cn:iam::123456789012:role/d", "d")
                .starts_with("https://console.amazonaws.cn/")
        );
        assert!(
            console_url("arn:aws-us-gov:iam::123456789012:role/d", "d")
                .starts_with("https://console.amazonaws-us-gov.com/")
        );
    }
}
