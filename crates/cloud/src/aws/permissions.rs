//! What the role may do — a managed policy attached, an inline policy written — as change
//! kinds of the engine (`crate::change`): planned with a diff, applied once confirmed,
//! journaled, verified, settled and undone like trust-policy changes.

use serde::{Deserialize, Serialize};
use serde_json::Value;

use astro_identity_domain::aws::permission_policy::{PermissionPolicy, validate_policy_name};
use astro_identity_domain::diff::{DiffLine, line_diff};

use crate::CloudError;
use crate::aws::iam::{Caller, RoleStore};
use crate::aws::trust_change::refused_before_sending;
use crate::backoff::Backoff;
use crate::change::{self, ChangeKind, Target};
use crate::journal::{Journal, JournalAction, JournalEntry, Settlement, Subject};

/// Which permission a plan changes.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "specta", derive(specta::Type))]
#[serde(tag = "kind", rename_all = "camelCase", rename_all_fields = "camelCase")]
pub enum PermissionTarget {
    /// Attach the managed policy with this ARN.
    Managed { policy_arn: String },
    /// Write the inline policy with this name.
    Inline { name: String },
}

/// A planned permission change: what the role has now and what it will have. Writes nothing.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[cfg_attr(feature = "specta", derive(specta::Type))]
#[serde(rename_all = "camelCase")]
pub struct PermissionPlan {
    pub caller: Caller,
    pub role_name: String,
    pub target: PermissionTarget,
    /// Managed: the attached policy ARNs, one a line. Inline: the document (pretty).
    /// `None`: no inline policy of that name.
    pub before: Option<String>,
    pub after: String,
    pub diff: Vec<DiffLine>,
    /// False when the role already has it exactly.
    pub changed: bool,
    /// An inline policy of that name exists with another document: it is replaced, which
    /// needs confirming.
    pub replaces: bool,
}

#[derive(Debug, Clone, Serialize)]
#[cfg_attr(feature = "specta", derive(specta::Type))]
#[serde(rename_all = "camelCase")]
pub struct PermissionOutcome {
    /// False when the policy was already there exactly as asked.
    pub written: bool,
    pub journal_id: Option<String>,
    pub role_name: String,
    /// The policy ARN or the inline policy's name.
    pub policy: String,
}

fn pretty(value: &Value) -> String {
    serde_json::to_string_pretty(value).unwrap_or_else(|_| value.to_string())
}

fn document_value(text: &str) -> Value {
    serde_json::from_str(text).unwrap_or_else(|_| Value::String(text.to_owned()))
}

/// Reads the role's attached policies and plans attaching `policy_arn`.
pub async fn plan_attach(
    store: &impl RoleStore,
    role: &str,
    policy_arn: &str,
) -> Result<PermissionPlan, CloudError> {
    let caller = store.caller().await?;
    let attached = store.attached_policies(role).await?;
    let changed = !attached.iter().any(|a| a == policy_arn);
    let mut after = attached.clone();
    if changed {
        after.push(policy_arn.to_owned());
    }
    let (before, after) = (attached.join("\n"), after.join("\n"));
    Ok(PermissionPlan {
        caller,
        role_name: role.to_owned(),
        target: PermissionTarget::Managed { policy_arn: policy_arn.to_owned() },
        // No policy attached yet: every line is new (no empty line "removed").
        diff: line_diff((!before.is_empty()).then_some(before.as_str()), &after),
        before: Some(before),
        after,
        changed,
        replaces: false,
    })
}

/// Reads the role's inline policy `name` and plans writing `document` under that name.
pub async fn plan_inline(
    store: &impl RoleStore,
    role: &str,
    name: &str,
    document: &PermissionPolicy,
) -> Result<PermissionPlan, CloudError> {
    validate_policy_name(name)?;
    let caller = store.caller().await?;
    let current = store.inline_policy(role, name).await?.map(|text| document_value(&text));
    let wanted = document_value(&document.to_compact_json());
    let before = current.as_ref().map(pretty);
    let after = pretty(&wanted);
    Ok(PermissionPlan {
        caller,
        role_name: role.to_owned(),
        target: PermissionTarget::Inline { name: name.to_owned() },
        diff: line_diff(before.as_deref(), &after),
        changed: current.as_ref() != Some(&wanted),
        replaces: current.as_ref().is_some_and(|c| c != &wanted),
        before,
        after,
    })
}

/// Applies exactly `plan`: refuses when the role's permission moved since it was shown, and
/// replacing an inline policy without `confirm_replace`.
pub async fn apply_permission(
    store: &impl RoleStore,
    plan: &PermissionPlan,
    confirm_replace: bool,
    journal: &Journal,
) -> Result<PermissionOutcome, CloudError> {
    if plan.replaces && !confirm_replace {
        return Err(CloudError::Refused {
            reason: format!(
                "role {} already has an inline policy of that name, which would be replaced",
                plan.role_name
            ),
            hint: String::from("Review the diff, then confirm the replacement (the CLI's --yes)."),
        });
    }
    let applied = match &plan.target {
        PermissionTarget::Managed { policy_arn } => {
            if !plan.changed {
                return Ok(PermissionOutcome {
                    written: false,
                    journal_id: None,
                    role_name: plan.role_name.clone(),
                    policy: policy_arn.clone(),
                });
            }
            let kind = Attachment {
                store,
                account: plan.caller.account.clone(),
                role: plan.role_name.clone(),
                actor: plan.caller.arn.clone(),
                policy_arn: policy_arn.clone(),
                undoes: None,
            };
            change::apply(&kind, journal, Backoff::ONCE).await.map(|a| (a.written, a.journal_id))?
        }
        PermissionTarget::Inline { name } => {
            validate_policy_name(name)?;
            let wanted = document_value(&plan.after);
            // Parse as IAM would before anything is sent.
            PermissionPolicy::parse(&wanted.to_string())?;
            let kind = Inline {
                store,
                role: &plan.role_name,
                name,
                actor: plan.caller.arn.clone(),
                write: InlineWrite::Plan { plan, wanted },
            };
            change::apply(&kind, journal, Backoff::ONCE).await.map(|a| (a.written, a.journal_id))?
        }
    };
    Ok(PermissionOutcome {
        written: applied.0,
        journal_id: applied.1,
        role_name: plan.role_name.clone(),
        policy: match &plan.target {
            PermissionTarget::Managed { policy_arn } => policy_arn.clone(),
            PermissionTarget::Inline { name } => name.clone(),
        },
    })
}

/// Plans and applies attaching `policy_arn` in one go (the journeys' Permissions step, which
/// shows the managed policy's document before this).
pub async fn attach_policy(
    store: &impl RoleStore,
    role: &str,
    policy_arn: &str,
    journal: &Journal,
) -> Result<PermissionOutcome, CloudError> {
    let plan = plan_attach(store, role, policy_arn).await?;
    apply_permission(store, &plan, false, journal).await
}

fn moved(what: String, since: &'static str) -> CloudError {
    CloudError::RemoteChanged { what, since }
}

/// A managed policy attached (or, undoing, detached). States: attached or not.
pub(crate) struct Attachment<'a, S> {
    pub store: &'a S,
    pub account: String,
    pub role: String,
    pub actor: String,
    pub policy_arn: String,
    /// The attach being undone.
    pub undoes: Option<&'a JournalEntry>,
}

impl<S: RoleStore> ChangeKind for Attachment<'_, S> {
    type Read = bool;
    type State = bool;

    fn subject(&self) -> Subject {
        Subject::ManagedPolicyAttachment {
            account: self.account.clone(),
            role: self.role.clone(),
            policy_arn: self.policy_arn.clone(),
        }
    }
    fn action(&self) -> JournalAction {
        if self.undoes.is_some() { JournalAction::DetachPolicy } else { JournalAction::AttachPolicy }
    }
    fn actor(&self) -> String {
        self.actor.clone()
    }
    fn undoes(&self) -> Option<String> {
        self.undoes.map(|e| e.id.clone())
    }
    async fn read(&self) -> Result<Option<bool>, CloudError> {
        let attached = self.store.attached_policies(&self.role).await?;
        Ok(Some(attached.iter().any(|a| a == &self.policy_arn)))
    }
    fn record(&self, read: &bool) -> Option<bool> {
        Some(*read)
    }
    fn target(&self, current: Option<&bool>, _: u32) -> Result<Target<bool>, CloudError> {
        let attached = current.copied().unwrap_or(false);
        match (self.undoes, attached) {
            (None, true) => Ok(Target::Unchanged),
            (None, false) => Ok(Target::Write(Some(true))),
            (Some(_), true) => Ok(Target::Write(Some(false))),
            (Some(_), false) => Err(moved(
                format!("{} on role {} (it is no longer attached)", self.policy_arn, self.role),
                "the change being undone",
            )),
        }
    }
    async fn write(&self, _: Option<&bool>, after: Option<&bool>) -> Result<(), CloudError> {
        match after {
            Some(true) => self.store.attach_policy(&self.role, &self.policy_arn).await,
            _ => self.store.detach_policy(&self.role, &self.policy_arn).await,
        }
    }
    fn judge(&self, now: Option<&bool>, before: Option<&bool>, after: Option<&bool>) -> Settlement {
        change::judge_equal(now, before, after)
    }
    fn found(&self, now: Option<&bool>, _: Settlement) -> String {
        let state = if now == Some(&true) { "is attached to" } else { "is not attached to" };
        format!("{} {state} role {}", self.policy_arn, self.role)
    }
    fn not_held(&self, now: Option<&bool>, _: &str) -> String {
        self.found(now, Settlement::ChangedBySomeoneElse)
    }
    fn definite(&self, err: &CloudError) -> bool {
        refused_before_sending(err)
    }
}

/// What an inline-policy change writes.
pub(crate) enum InlineWrite<'a> {
    /// The planned document, onto the document the plan read.
    Plan { plan: &'a PermissionPlan, wanted: Value },
    /// Undo: back to `before` (`None`: delete), only while the policy holds what the
    /// change wrote (`written`).
    Undo { entry: &'a JournalEntry, written: Option<Value>, before: Option<Value> },
    /// Settling: read and judge only.
    Settle,
}

/// One inline policy of a role. States: its document; absent when there is none.
pub(crate) struct Inline<'a, S> {
    pub store: &'a S,
    pub role: &'a str,
    pub name: &'a str,
    pub actor: String,
    pub write: InlineWrite<'a>,
}

impl<S: RoleStore> ChangeKind for Inline<'_, S> {
    type Read = Value;
    type State = Value;

    fn subject(&self) -> Subject {
        let account = match &self.write {
            InlineWrite::Plan { plan, .. } => plan.caller.account.clone(),
            InlineWrite::Undo { entry, .. } => entry.account().to_owned(),
            InlineWrite::Settle => String::new(),
        };
        Subject::InlinePolicy { account, role: self.role.to_owned(), name: self.name.to_owned() }
    }
    fn action(&self) -> JournalAction {
        JournalAction::PutInlinePolicy
    }
    fn actor(&self) -> String {
        self.actor.clone()
    }
    fn undoes(&self) -> Option<String> {
        match &self.write {
            InlineWrite::Undo { entry, .. } => Some(entry.id.clone()),
            _ => None,
        }
    }
    async fn read(&self) -> Result<Option<Value>, CloudError> {
        Ok(self.store.inline_policy(self.role, self.name).await?.map(|text| document_value(&text)))
    }
    fn record(&self, read: &Value) -> Option<Value> {
        Some(read.clone())
    }
    fn target(&self, current: Option<&Value>, _: u32) -> Result<Target<Value>, CloudError> {
        let what = || format!("inline policy {} of role {}", self.name, self.role);
        match &self.write {
            InlineWrite::Plan { plan, wanted } => {
                let planned = plan.before.as_deref().map(document_value);
                if current != planned.as_ref() {
                    return Err(moved(what(), "the plan was shown"));
                }
                if current == Some(wanted) {
                    return Ok(Target::Unchanged);
                }
                Ok(Target::Write(Some(wanted.clone())))
            }
            InlineWrite::Undo { written, before, .. } => {
                if current != written.as_ref() {
                    return Err(moved(what(), "the change being undone"));
                }
                Ok(Target::Write(before.clone()))
            }
            InlineWrite::Settle => Ok(Target::Unchanged),
        }
    }
    async fn write(&self, _: Option<&Value>, after: Option<&Value>) -> Result<(), CloudError> {
        match after {
            Some(document) => self.store.put_inline_policy(self.role, self.name, &document.to_string()).await,
            None => self.store.delete_inline_policy(self.role, self.name).await,
        }
    }
    fn judge(&self, now: Option<&Value>, before: Option<&Value>, after: Option<&Value>) -> Settlement {
        change::judge_equal(now, before, after)
    }
    fn found(&self, _: Option<&Value>, found: Settlement) -> String {
        let words = match found {
            Settlement::Applied => "holds what the change wrote",
            Settlement::NotApplied => "is as it was before",
            Settlement::ChangedBySomeoneElse => "is neither the old nor the new document",
        };
        format!("inline policy {} of role {} {words}", self.name, self.role)
    }
    fn not_held(&self, _: Option<&Value>, _: &str) -> String {
        format!("inline policy {} of role {} reads back differently", self.name, self.role)
    }
    fn definite(&self, err: &CloudError) -> bool {
        refused_before_sending(err)
    }
}
