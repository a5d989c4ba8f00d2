//! Undo any applied change, in two steps: [`plan_aws`] / [`plan_gcp`] / [`plan_project`]
//! read the resource and show, as a diff, what the undo would write *now* — the change's
//! inverse applied on top of whatever others changed since, which is kept — and the
//! matching `apply_*` runs exactly that through the change engine (journaled, verified),
//! refusing with `RemoteChanged` when the resource moved after the preview.

use serde::Serialize;
use serde_json::Value;

use astro_identity_domain::aws::trust_policy::TrustPolicy;
use astro_identity_domain::diff::{DiffLine, line_diff};
use astro_identity_domain::gcp::iam_policy::IamPolicy;

use crate::CloudError;
use crate::airflow::requirements_file::{FileOp, RequirementsFile};
use crate::astro::AstroClient;
use crate::aws::iam::{RoleState, RoleStore};
use crate::aws::oidc_provider::ProviderChange;
use crate::aws::permissions::{Attachment, Inline, InlineWrite};
use crate::aws::trust_change::{ChangeOutcome, TrustUndo, console_url};
use crate::backoff::Backoff;
use crate::change::{self, ChangeKind, Target, typed};
use crate::deployment_identity::{DeploymentIdentity, IdentityOp};
use crate::gcp::binding_change::{BindingOutcome, PolicyChange, PolicyOp, grants_of};
use crate::gcp::projects::{PolicyResource, PolicyStore};
use crate::history::summary;
use crate::journal::{ASTRO_DEPLOYMENT_CLOUD, FileTail, Journal, JournalEntry, PROJECT_CLOUD, Subject};

/// What an undo would do now. Writes nothing.
#[derive(Debug, Clone, Serialize)]
#[cfg_attr(feature = "specta", derive(specta::Type))]
#[serde(rename_all = "camelCase")]
pub struct UndoPlan {
    /// Set by the shell that keeps the plan (empty here): what its apply command takes.
    pub plan_id: String,
    /// The change being undone.
    pub journal_id: String,
    /// "Undo “Trust policy of role data: added arn:…”".
    pub summary: String,
    /// "role data in account 123456789012".
    pub resource: String,
    /// The resource as it is now against what the undo writes.
    pub diff: Vec<DiffLine>,
    /// Later changes by others that the undo keeps, in words.
    pub kept: Vec<String>,
    /// False when the resource already is as before the change.
    pub changed: bool,
    /// What the undo writes (the kind's state), checked again when applied.
    #[serde(skip)]
    pub target: Option<Value>,
}

/// What an undo did.
#[derive(Debug, Clone, Serialize)]
#[cfg_attr(feature = "specta", derive(specta::Type))]
#[serde(rename_all = "camelCase")]
pub struct UndoOutcome {
    /// The undo's own journal entry (`None` when nothing needed writing).
    pub journal_id: Option<String>,
    /// Read back and found as written.
    pub verified: bool,
    pub summary: String,
    /// The changed resource in the cloud console.
    pub console_url: Option<String>,
}

fn candidate(journal: &Journal, cloud: &str, id: Option<&str>) -> Result<JournalEntry, CloudError> {
    let entry = journal.undo_candidate(cloud, id)?;
    if let Some(why) = &entry.undo_unavailable {
        return Err(CloudError::Refused {
            reason: format!("journal entry {} cannot be undone: {why}", entry.id),
            hint: String::from("Change it back by hand where it is managed."),
        });
    }
    Ok(entry)
}

fn render(subject: &Subject, state: Option<&Value>) -> String {
    match (subject, state) {
        (_, None) => String::new(),
        (Subject::ManagedPolicyAttachment { policy_arn, .. }, Some(Value::Bool(attached))) => {
            format!("{policy_arn}: {}", if *attached { "attached" } else { "not attached" })
        }
        (Subject::Requirements { path, .. }, Some(state)) => {
            match serde_json::from_value::<FileTail>(state.clone()) {
                Ok(tail) if tail.tail.is_empty() => format!("{path}: {} bytes", tail.length),
                Ok(tail) => format!("{path}: {} bytes, ending with\n{}", tail.length, tail.tail.trim_end()),
                Err(_) => state.to_string(),
            }
        }
        (Subject::AstroDeployment { .. }, Some(state)) => {
            format!("workload identity {}", state["workloadIdentity"].as_str().unwrap_or("none"))
        }
        (_, Some(state)) => serde_json::to_string_pretty(state).unwrap_or_else(|_| state.to_string()),
    }
}

/// The preview of running `kind` now; `kept` names, from that same read, what others changed.
async fn preview<K: ChangeKind>(
    kind: &K,
    entry: &JournalEntry,
    kept: impl FnOnce(Option<&K::Read>) -> Vec<String>,
) -> Result<UndoPlan, CloudError> {
    let (current, target) = change::preview(kind).await?;
    let kept = kept(current.as_ref());
    let to_value = |s: &K::State| serde_json::to_value(s).ok();
    let before = current.as_ref().and_then(|c| kind.record(c)).as_ref().and_then(to_value);
    let (changed, after) = match &target {
        Target::Unchanged => (false, before.clone()),
        Target::Write(after) => (true, after.as_ref().and_then(to_value)),
    };
    let subject = &entry.subject;
    let before_text = current.is_some().then(|| render(subject, before.as_ref()));
    Ok(UndoPlan {
        plan_id: String::new(),
        journal_id: entry.id.clone(),
        summary: format!("Undo “{}”", summary(entry)),
        resource: subject.describe(),
        diff: line_diff(before_text.as_deref(), &render(subject, after.as_ref())),
        kept,
        changed,
        target: after,
    })
}

async fn run<K: ChangeKind>(
    kind: &K,
    journal: &Journal,
    backoff: Backoff,
) -> Result<Option<String>, CloudError> {
    Ok(change::apply(kind, journal, backoff).await?.journal_id)
}

fn outcome(entry: &JournalEntry, journal_id: Option<String>, console_url: Option<String>) -> UndoOutcome {
    UndoOutcome {
        journal_id, verified: true, summary: format!("Reverted “{}”", summary(entry)), console_url
    }
}

/// Principals in `now` that the change did not leave there: others' later additions.
fn kept_principals(now: Option<&TrustPolicy>, written: Option<&TrustPolicy>) -> Vec<String> {
    let ours = written.map(TrustPolicy::trusted_aws_principals).unwrap_or_default();
    now.map(TrustPolicy::trusted_aws_principals)
        .unwrap_or_default()
        .into_iter()
        .filter(|p| !ours.contains(p))
        .map(|p| format!("{p} stays trusted (added since by someone else)"))
        .collect()
}

fn kept_grants(now: &IamPolicy, written: Option<&IamPolicy>) -> Vec<String> {
    let ours = written.map(IamPolicy::grants).unwrap_or_default();
    now.grants()
        .into_iter()
        .filter(|g| !ours.contains(g))
        .map(|g| format!("{} keeps {} (granted since by someone else)", g.member, g.role))
        .collect()
}

fn aws_refuse_other_account(entry: &JournalEntry, account: &str) -> Result<(), CloudError> {
    if entry.account() == account {
        return Ok(());
    }
    Err(CloudError::Refused {
        reason: format!(
            "journal entry {} changed account {}, but these credentials act in account {account}",
            entry.id,
            entry.account()
        ),
        hint: String::from("Choose credentials for that account, then undo again."),
    })
}

/// What undoing the AWS change `id` would write now.
pub async fn plan_aws(
    store: &impl RoleStore,
    journal: &Journal,
    id: Option<&str>,
) -> Result<UndoPlan, CloudError> {
    let entry = candidate(journal, "aws", id)?;
    let caller = store.caller().await?;
    aws_refuse_other_account(&entry, &caller.account)?;
    match &entry.subject {
        Subject::TrustPolicy { .. } => {
            let kind = TrustUndo { store, entry: entry.clone(), actor: caller.arn.clone(), expected: None };
            let written: Option<TrustPolicy> = typed(entry.after.as_ref(), &entry.id)?;
            let kept =
                |now: Option<&RoleState>| kept_principals(now.map(|r| &r.trust_policy), written.as_ref());
            preview(&kind, &entry, kept).await
        }
        Subject::ManagedPolicyAttachment { role, policy_arn, .. } => {
            let kind = attachment_undo(store, &entry, &caller.arn, role, policy_arn);
            preview(&kind, &entry, |_| Vec::new()).await
        }
        Subject::InlinePolicy { role, name, .. } => {
            let kind = inline_undo(store, &entry, &caller.arn, role, name);
            preview(&kind, &entry, |_| Vec::new()).await
        }
        Subject::OidcProvider { .. } => {
            let kind = ProviderChange::for_entry(store, &entry, true)?;
            kind.check_unused().await?;
            preview(&kind, &entry, |_| Vec::new()).await
        }
        _ => Err(not_aws(&entry)),
    }
}

/// Runs the undo `plan` showed, refusing when the resource moved since.
pub async fn apply_aws(
    store: &impl RoleStore,
    journal: &Journal,
    plan: &UndoPlan,
) -> Result<UndoOutcome, CloudError> {
    let entry = candidate(journal, "aws", Some(&plan.journal_id))?;
    let caller = store.caller().await?;
    aws_refuse_other_account(&entry, &caller.account)?;
    match &entry.subject {
        Subject::TrustPolicy { role, role_arn, .. } => {
            let expected = Some(typed::<TrustPolicy>(plan.target.as_ref(), &entry.id)?);
            let kind = TrustUndo { store, entry: entry.clone(), actor: caller.arn.clone(), expected };
            let id = run(&kind, journal, Backoff::ONCE).await?;
            Ok(outcome(&entry, id, Some(console_url(role_arn, role))))
        }
        Subject::ManagedPolicyAttachment { role, policy_arn, .. } => {
            let kind = attachment_undo(store, &entry, &caller.arn, role, policy_arn);
            let id = run(&kind, journal, Backoff::ONCE).await?;
            Ok(outcome(&entry, id, None))
        }
        Subject::InlinePolicy { role, name, .. } => {
            let kind = inline_undo(store, &entry, &caller.arn, role, name);
            let id = run(&kind, journal, Backoff::ONCE).await?;
            Ok(outcome(&entry, id, None))
        }
        Subject::OidcProvider { .. } => {
            let kind = ProviderChange::for_entry(store, &entry, true)?;
            kind.check_unused().await?;
            let id = run(&kind, journal, Backoff::ONCE).await?;
            Ok(outcome(&entry, id, None))
        }
        _ => Err(not_aws(&entry)),
    }
}

/// The Astro API a Deployment identity change went to: its undo goes there too.
pub fn astro_api(journal: &Journal, id: &str) -> Result<String, CloudError> {
    match candidate(journal, ASTRO_DEPLOYMENT_CLOUD, Some(id))?.subject {
        Subject::AstroDeployment { api, .. } => Ok(api),
        _ => Err(CloudError::Refused {
            reason: format!("journal entry {id} is not a Deployment identity change"),
            hint: String::from("Undo it from the journey that made it."),
        }),
    }
}

/// What undoing the Deployment identity change `id` would set now: the identity it
/// replaced, if the Deployment still has the one it set.
pub async fn plan_astro(client: &AstroClient, journal: &Journal, id: &str) -> Result<UndoPlan, CloudError> {
    let entry = candidate(journal, ASTRO_DEPLOYMENT_CLOUD, Some(id))?;
    let kind = DeploymentIdentity::for_entry(client, &entry, IdentityOp::Undo(&entry))?;
    preview(&kind, &entry, |_| Vec::new()).await
}

/// Runs the identity undo `plan` showed; refuses when the Deployment's identity moved since
/// the change.
pub async fn apply_astro(
    client: &AstroClient,
    journal: &Journal,
    plan: &UndoPlan,
) -> Result<UndoOutcome, CloudError> {
    let entry = candidate(journal, ASTRO_DEPLOYMENT_CLOUD, Some(&plan.journal_id))?;
    let kind = DeploymentIdentity::for_entry(client, &entry, IdentityOp::Undo(&entry))?;
    let id = run(&kind, journal, Backoff::ONCE).await?;
    Ok(outcome(&entry, id, None))
}

fn not_aws(entry: &JournalEntry) -> CloudError {
    CloudError::Refused {
        reason: format!("journal entry {} is not an AWS role change", entry.id),
        hint: String::from("Undo it from the journey that made it."),
    }
}

fn attachment_undo<'a, S: RoleStore>(
    store: &'a S,
    entry: &'a JournalEntry,
    actor: &str,
    role: &str,
    policy_arn: &str,
) -> Attachment<'a, S> {
    Attachment {
        store,
        account: entry.account().to_owned(),
        role: role.to_owned(),
        actor: actor.to_owned(),
        policy_arn: policy_arn.to_owned(),
        undoes: Some(entry),
    }
}

fn inline_undo<'a, S: RoleStore>(
    store: &'a S,
    entry: &'a JournalEntry,
    actor: &str,
    role: &'a str,
    name: &'a str,
) -> Inline<'a, S> {
    Inline {
        store,
        role,
        name,
        actor: actor.to_owned(),
        write: InlineWrite::Undo { entry, written: entry.after.clone(), before: entry.before.clone() },
    }
}

/// Undoes the AWS change `id` (`None`: the newest applied one not yet undone) in one go:
/// the CLI's `aws undo` and the AWS journey's Undo, which show the change's diff before.
pub async fn undo_change(
    store: &impl RoleStore,
    journal: &Journal,
    id: Option<&str>,
) -> Result<ChangeOutcome, CloudError> {
    let entry = candidate(journal, "aws", id)?;
    let plan = plan_aws(store, journal, Some(&entry.id)).await?;
    let done = apply_aws(store, journal, &plan).await?;
    let role_name = match &entry.subject {
        Subject::TrustPolicy { role, .. }
        | Subject::ManagedPolicyAttachment { role, .. }
        | Subject::InlinePolicy { role, .. } => role.clone(),
        _ => String::new(),
    };
    let role = store.get_role(&role_name).await?;
    let role_arn = match (&role, &entry.subject) {
        (Some(role), _) => role.arn.clone(),
        (None, Subject::TrustPolicy { role_arn, .. }) => role_arn.clone(),
        (None, _) => String::new(),
    };
    Ok(ChangeOutcome {
        written: done.journal_id.is_some(),
        verified: done.verified,
        journal_id: done.journal_id,
        console_url: console_url(&role_arn, &role_name),
        role_name,
        role_arn,
        account: entry.account().to_owned(),
        trust_policy: role.map(|r| r.trust_policy.to_pretty_json()),
    })
}

fn gcp_kind<'a, P: PolicyStore>(
    store: &'a P,
    entry: &'a JournalEntry,
    expected: Option<IamPolicy>,
) -> Result<PolicyChange<'a, P>, CloudError> {
    let (resource, op) = match &entry.subject {
        Subject::GcpBinding { resource, role, members, condition } => {
            let grants = grants_of(role, members, condition.as_ref());
            (resource, PolicyOp::Revoke { grants, undoes: entry, expected })
        }
        Subject::GcpPolicy { resource } => {
            let broken = || CloudError::Journal {
                action: "read",
                detail: format!("journal entry {} lacks its policies", entry.id),
            };
            let before: IamPolicy = typed(entry.before.as_ref(), &entry.id)?.ok_or_else(broken)?;
            let after: IamPolicy = typed(entry.after.as_ref(), &entry.id)?.ok_or_else(broken)?;
            (resource, PolicyOp::Restore { undoes: entry, before, after, expected })
        }
        _ => {
            return Err(CloudError::Refused {
                reason: format!("journal entry {} is not a GCP policy change", entry.id),
                hint: String::from("Undo it from the journey that made it."),
            });
        }
    };
    Ok(PolicyChange { store, resource: PolicyResource::from_name(resource)?, actor: entry.actor.clone(), op })
}

/// What undoing the GCP change `id` would write now.
pub async fn plan_gcp(
    store: &impl PolicyStore,
    journal: &Journal,
    id: Option<&str>,
) -> Result<UndoPlan, CloudError> {
    let entry = candidate(journal, "gcp", id)?;
    let kind = gcp_kind(store, &entry, None)?;
    let written: Option<IamPolicy> = typed(entry.after.as_ref(), &entry.id)?;
    preview(&kind, &entry, |now: Option<&IamPolicy>| {
        now.map(|p| kept_grants(p, written.as_ref())).unwrap_or_default()
    })
    .await
}

/// Runs the undo `plan` showed, refusing when the policy moved since.
pub async fn apply_gcp(
    store: &impl PolicyStore,
    journal: &Journal,
    plan: &UndoPlan,
    backoff: Backoff,
) -> Result<UndoOutcome, CloudError> {
    let entry = candidate(journal, "gcp", Some(&plan.journal_id))?;
    let expected: Option<IamPolicy> = typed(plan.target.as_ref(), &entry.id)?;
    let kind = gcp_kind(store, &entry, expected)?;
    let url = kind.resource.console_url();
    let id = run(&kind, journal, backoff).await?;
    Ok(outcome(&entry, id, Some(url)))
}

/// Undoes the GCP change `id` (`None`: the newest applied one) in one go: the CLI's
/// `gcp undo` and the GCP journey's Undo.
pub async fn undo_binding(
    store: &impl PolicyStore,
    journal: &Journal,
    id: Option<&str>,
    backoff: Backoff,
) -> Result<BindingOutcome, CloudError> {
    let entry = candidate(journal, "gcp", id)?;
    let kind = gcp_kind(store, &entry, None)?;
    let applied = change::apply(&kind, journal, backoff).await?;
    Ok(BindingOutcome {
        written: applied.written,
        verified: true,
        journal_id: applied.journal_id,
        console_url: kind.resource.console_url(),
        resource: kind.resource.clone(),
        attempts: applied.attempts,
        policy: applied.now.map(|p| p.to_pretty_json()).unwrap_or_default(),
    })
}

fn requirements_undo(entry: &JournalEntry) -> Result<RequirementsFile<'_>, CloudError> {
    let Subject::Requirements { project, path } = &entry.subject else {
        return Err(CloudError::Refused {
            reason: format!("journal entry {} is not a requirements.txt change", entry.id),
            hint: String::from("Undo it from the journey that made it."),
        });
    };
    let broken = || CloudError::Journal {
        action: "read",
        detail: format!("journal entry {} lacks the appended text", entry.id),
    };
    let added: FileTail = typed(entry.after.as_ref(), &entry.id)?.ok_or_else(broken)?;
    let before: Option<FileTail> = typed(entry.before.as_ref(), &entry.id)?;
    Ok(RequirementsFile {
        project: project.clone(),
        path: path.into(),
        op: FileOp::Cut { undoes: entry, added, before },
    })
}

/// What undoing the `requirements.txt` change `id` would write now.
pub async fn plan_project(journal: &Journal, id: &str) -> Result<UndoPlan, CloudError> {
    let entry = candidate(journal, PROJECT_CLOUD, Some(id))?;
    preview(&requirements_undo(&entry)?, &entry, |_| Vec::new()).await
}

/// Runs a `requirements.txt` undo.
pub async fn apply_project(journal: &Journal, plan: &UndoPlan) -> Result<UndoOutcome, CloudError> {
    let entry = candidate(journal, PROJECT_CLOUD, Some(&plan.journal_id))?;
    let id = run(&requirements_undo(&entry)?, journal, Backoff::ONCE).await?;
    Ok(outcome(&entry, id, None))
}
