//! A role's trust policy as a change kind of the engine (`crate::change`): plan, apply
//! (create the role or update its trust policy; lost updates re-merged), settle, and the
//! surgical undo that removes exactly the principals a change added.

use std::time::Duration;

use serde::Serialize;

use astro_identity_domain::aws::arn::WorkloadIdentityArn;
use astro_identity_domain::aws::lint::{LintLevel, lint_trust_policy};
use astro_identity_domain::aws::plan::TrustPlan;
use astro_identity_domain::aws::trust_policy::TrustPolicy;

use crate::CloudError;
use crate::aws::iam::{Caller, NewRole, RoleState, RoleStore};
use crate::backoff::Backoff;
use crate::change::{self, ChangeKind, Target};
use crate::journal::{Journal, JournalAction, JournalEntry, Settlement, Subject};

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
    let caller = store.caller().await?;
    plan_trust_change_as(store, &caller, role_name, identities, create, quota).await
}

/// [`plan_trust_change`] for a caller already known (a batch asks STS once for all roles).
pub async fn plan_trust_change_as(
    store: &impl RoleStore,
    caller: &Caller,
    role_name: &str,
    identities: &[WorkloadIdentityArn],
    create: Option<NewRole>,
    quota: u32,
) -> Result<TrustChange, CloudError> {
    let (role_arn, before) = read_role_for_plan(store, caller, role_name, create.is_some()).await?;
    let plan = TrustPlan::build(before.as_ref(), identities, quota);
    Ok(TrustChange {
        caller: caller.clone(),
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
    let (role_arn, before) = read_role_for_plan(store, &caller, role_name, create).await?;
    Ok((caller, role_arn, before))
}

async fn read_role_for_plan(
    store: &impl RoleStore,
    caller: &Caller,
    role_name: &str,
    create: bool,
) -> Result<(Option<String>, Option<TrustPolicy>), CloudError> {
    match (store.get_role(role_name).await?, create) {
        (Some(_), true) => {
            Err(CloudError::AlreadyExists { what: format!("role {role_name} in account {}", caller.account) })
        }
        (None, false) => {
            Err(CloudError::NotFound { what: format!("role {role_name} in account {}", caller.account) })
        }
        (Some(role), false) => Ok((Some(role.arn), Some(role.trust_policy))),
        (None, true) => Ok((None, None)),
    }
}

/// How an apply writes and checks a trust policy.
#[derive(Debug, Clone, Copy)]
pub struct ApplyOptions {
    /// IAM has no etag: a writer that read the policy before our write and writes after it
    /// drops our principals (a lost update). A merge (adding Deployments) is then re-done on
    /// the fresh policy, at most `backoff.attempts` writes in all, spaced by `backoff`.
    pub backoff: Backoff,
    /// After a merge reads back correctly, wait this long and read again: a concurrent
    /// writer's overwrite lands within the time between its read and its write, so one that
    /// would drop ours shows by then. Also the grace given to a read-back that is stale.
    /// Zero: no second look after a read-back that holds (a batch looks once for all its
    /// roles, after they are all written: `crate::aws::batch`).
    pub settle: Duration,
    /// The plan was made just now, in this process, with nothing shown in between (a batch
    /// planned and applied back to back): its read stands for the apply's first read.
    pub plan_read_is_fresh: bool,
}

impl ApplyOptions {
    pub const DEFAULT: ApplyOptions = ApplyOptions {
        backoff: Backoff {
            attempts: 5,
            first_delay: Duration::from_millis(250),
            max_delay: Duration::from_secs(4),
        },
        settle: Duration::from_secs(1),
        plan_read_is_fresh: false,
    };
}

/// Applies exactly `change.plan`: re-reads the role and refuses if it moved since the plan,
/// journals the intent, writes, verifies by reading back, journals the outcome. Retries,
/// timeouts and lost updates as in [`ApplyOptions::DEFAULT`].
pub async fn apply_trust_change(
    store: &impl RoleStore,
    change: &TrustChange,
    confirm_warnings: bool,
    journal: &Journal,
) -> Result<ChangeOutcome, CloudError> {
    apply_trust_change_with(store, change, confirm_warnings, journal, ApplyOptions::DEFAULT).await
}

/// [`apply_trust_change`] with other lost-update handling (tests use short waits).
pub async fn apply_trust_change_with(
    store: &impl RoleStore,
    change: &TrustChange,
    confirm_warnings: bool,
    journal: &Journal,
    options: ApplyOptions,
) -> Result<ChangeOutcome, CloudError> {
    let after = TrustPolicy::parse(&change.plan.compact_after)?;
    // Lint again here: the plan may have travelled through the UI and back.
    refuse_blocking(&after, change.quota)?;
    let lints = lint_trust_policy(&after, change.quota);
    if lints.iter().any(|l| l.level == LintLevel::Warning) && !confirm_warnings {
        return Err(CloudError::Refused {
            reason: String::from("the plan has warnings that were not confirmed"),
            hint: String::from("Review the warnings and confirm them (the CLI's --yes), or change the plan."),
        });
    }
    let merge = change.create.is_none().then(|| merged_identities(change, &after)).flatten();
    let first_read = options.plan_read_is_fresh.then(|| planned_read(change)).transpose()?;
    let kind = TrustWrite {
        store,
        change,
        after,
        merge,
        settle: options.settle,
        first_read: std::sync::Mutex::new(first_read),
    };
    let applied = change::apply(&kind, journal, options.backoff).await?;
    let role =
        applied.now.ok_or_else(|| CloudError::NotFound { what: format!("role {}", change.role_name) })?;
    Ok(outcome(change, applied.written, true, applied.journal_id, &role.arn, Some(&role.trust_policy)))
}

fn refuse_blocking(policy: &TrustPolicy, quota: u32) -> Result<(), CloudError> {
    match lint_trust_policy(policy, quota).into_iter().find(|l| l.level == LintLevel::Error) {
        Some(blocking) => Err(CloudError::Refused { reason: blocking.message, hint: blocking.hint }),
        None => Ok(()),
    }
}

/// The role as the plan read it: what a fresh plan's apply starts from without reading again.
fn planned_read(change: &TrustChange) -> Result<Option<RoleState>, CloudError> {
    let Some(before) = &change.remote_before else { return Ok(None) };
    Ok(Some(RoleState {
        name: change.role_name.clone(),
        arn: change.role_arn.clone().unwrap_or_default(),
        path: String::from("/"),
        description: None,
        max_session_duration: None,
        trust_policy: TrustPolicy::parse(before)?,
    }))
}

/// The ARN a role will have, for the intent recorded before it exists.
fn future_role_arn(caller: &Caller, spec: &NewRole) -> String {
    let partition = caller.arn.split(':').nth(1).unwrap_or("aws");
    let path = spec.path.as_deref().unwrap_or("/");
    format!("arn:{partition}:iam::{}:role{path}{}", caller.account, spec.name)
}

/// The Deployments a plan adds, when the plan is exactly "add them to the policy read" — a
/// merge that can be re-done on a fresher policy. `None` for hand-edited documents.
fn merged_identities(change: &TrustChange, after: &TrustPolicy) -> Option<Vec<WorkloadIdentityArn>> {
    let before = TrustPolicy::parse(change.remote_before.as_deref()?).ok()?;
    let identities: Vec<WorkloadIdentityArn> =
        change.plan.added.iter().map(|a| WorkloadIdentityArn::parse(a)).collect::<Result<_, _>>().ok()?;
    let is_merge = !identities.is_empty() && before.add_principals(&identities).semantically_equal(after);
    is_merge.then_some(identities)
}

/// Whether `now` (`None`: no role) holds what an intent had after or before.
pub fn judge_trust(
    now: Option<&TrustPolicy>,
    before: Option<&TrustPolicy>,
    after: Option<&TrustPolicy>,
) -> Settlement {
    let same = |a: Option<&TrustPolicy>, b: Option<&TrustPolicy>| match (a, b) {
        (Some(a), Some(b)) => a.semantically_equal(b),
        (None, None) => true,
        _ => false,
    };
    if same(now, after) {
        Settlement::Applied
    } else if same(now, before) {
        Settlement::NotApplied
    } else {
        Settlement::ChangedBySomeoneElse
    }
}

fn trust_words(role: &str, now: Option<&RoleState>, found: Settlement) -> String {
    match (now, found) {
        (None, _) => format!("role {role} does not exist"),
        (Some(_), Settlement::Applied) => format!("role {role} has the trust policy the change wrote"),
        (Some(_), Settlement::NotApplied) => format!("role {role} has the trust policy from before"),
        (Some(_), Settlement::ChangedBySomeoneElse) => {
            format!("role {role} has a trust policy that is neither the old nor the new one")
        }
    }
}

/// The IAM SDK retries throttling, 5xx, resets and timeouts, so even a final refusal may
/// follow an attempt that landed: only errors raised before sending are taken as is.
pub(crate) fn refused_before_sending(err: &CloudError) -> bool {
    matches!(
        err,
        CloudError::Credentials { .. }
            | CloudError::Domain(_)
            | CloudError::KeyringUnavailable { .. }
            | CloudError::Refused { .. }
            | CloudError::RemoteChanged { .. }
    )
}

/// Apply: create the role, or replace its trust policy with the plan's (a merge is re-done
/// on the fresh policy after a lost update).
struct TrustWrite<'a, S> {
    store: &'a S,
    change: &'a TrustChange,
    after: TrustPolicy,
    merge: Option<Vec<WorkloadIdentityArn>>,
    settle: Duration,
    /// The plan's read, used once instead of the first read (`ApplyOptions::plan_read_is_fresh`).
    first_read: std::sync::Mutex<Option<Option<RoleState>>>,
}

impl<S: RoleStore> ChangeKind for TrustWrite<'_, S> {
    type Read = RoleState;
    type State = TrustPolicy;

    fn subject(&self) -> Subject {
        let role_arn = match (&self.change.role_arn, &self.change.create) {
            (Some(arn), _) => arn.clone(),
            (None, Some(spec)) => future_role_arn(&self.change.caller, spec),
            (None, None) => String::new(),
        };
        Subject::TrustPolicy {
            account: self.change.caller.account.clone(),
            role: self.change.role_name.clone(),
            role_arn,
        }
    }
    fn action(&self) -> JournalAction {
        if self.change.create.is_some() {
            JournalAction::CreateRole
        } else {
            JournalAction::UpdateTrustPolicy
        }
    }
    fn actor(&self) -> String {
        self.change.caller.arn.clone()
    }
    async fn read(&self) -> Result<Option<RoleState>, CloudError> {
        let planned = self.first_read.lock().map(|mut slot| slot.take()).unwrap_or(None);
        match planned {
            Some(read) => Ok(read),
            None => self.store.get_role(&self.change.role_name).await,
        }
    }
    fn record(&self, read: &RoleState) -> Option<TrustPolicy> {
        Some(read.trust_policy.clone())
    }
    fn target(&self, current: Option<&RoleState>, attempt: u32) -> Result<Target<TrustPolicy>, CloudError> {
        let role = &self.change.role_name;
        if attempt == 1 {
            let remote_now = current.map(|r| r.trust_policy.to_compact_json());
            if remote_now != self.change.remote_before {
                return Err(CloudError::RemoteChanged {
                    what: format!("the trust policy of role {role}"),
                    since: "the plan was shown",
                });
            }
            if current.is_none() && self.change.create.is_none() {
                return Err(CloudError::NotFound { what: format!("role {role}") });
            }
            if !self.change.plan.changed {
                return Ok(Target::Unchanged);
            }
            return Ok(Target::Write(Some(self.after.clone())));
        }
        // After a lost update: merge again onto what is there now, others' principals kept.
        let (Some(identities), Some(fresh)) = (&self.merge, current) else {
            return Err(CloudError::NotFound { what: format!("role {role}") });
        };
        let target = fresh.trust_policy.add_principals(identities);
        if target.semantically_equal(&fresh.trust_policy) {
            // Someone else's write already carries them.
            return Ok(Target::Unchanged);
        }
        refuse_blocking(&target, self.change.quota)?;
        Ok(Target::Write(Some(target)))
    }
    async fn write(
        &self,
        current: Option<&RoleState>,
        after: Option<&TrustPolicy>,
    ) -> Result<(), CloudError> {
        let after = after.unwrap_or(&self.after);
        match (current, &self.change.create) {
            (None, Some(spec)) => self.store.create_role(spec, after).await.map(|_| ()),
            _ => self.store.update_trust_policy(&self.change.role_name, after).await,
        }
    }
    fn judge(
        &self,
        now: Option<&RoleState>,
        before: Option<&TrustPolicy>,
        after: Option<&TrustPolicy>,
    ) -> Settlement {
        judge_trust(now.map(|r| &r.trust_policy), before, after)
    }
    fn holds(
        &self,
        now: Option<&RoleState>,
        before: Option<&TrustPolicy>,
        after: Option<&TrustPolicy>,
    ) -> bool {
        match (&self.merge, now) {
            (Some(identities), Some(role)) => role.trust_policy.untrusted(identities).is_empty(),
            _ => self.judge(now, before, after) == Settlement::Applied,
        }
    }
    fn found(&self, now: Option<&RoleState>, found: Settlement) -> String {
        trust_words(&self.change.role_name, now, found)
    }
    fn not_held(&self, _now: Option<&RoleState>, entry_id: &str) -> String {
        match self.merge {
            Some(_) => {
                format!("the Deployments are not in the trust policy of role {}", self.change.role_name)
            }
            None => format!(
                "role {} does not have the trust policy just written (another writer may have changed it; \
                 journal entry {entry_id})",
                self.change.role_name
            ),
        }
    }
    fn definite(&self, err: &CloudError) -> bool {
        refused_before_sending(err)
    }
    fn retargets_after_lost_update(&self) -> bool {
        self.merge.is_some()
    }
    fn second_look(&self, held: bool) -> Option<Duration> {
        // A merge must survive the time other writers take; a read-back that disagrees may
        // be stale (IAM is eventually consistent): both get a second look.
        // A zero settle leaves the merge's look to the caller (a batch looks once).
        let merge_look = self.merge.is_some() && !self.settle.is_zero();
        (merge_look || !held).then_some(self.settle)
    }
}

/// Reading and judging a journaled trust-policy change (settling, and the base of undo).
pub(crate) struct TrustSubject<'a, S> {
    pub store: &'a S,
    pub role: String,
}

impl<S: RoleStore> ChangeKind for TrustSubject<'_, S> {
    type Read = RoleState;
    type State = TrustPolicy;

    fn subject(&self) -> Subject {
        Subject::TrustPolicy { account: String::new(), role: self.role.clone(), role_arn: String::new() }
    }
    fn action(&self) -> JournalAction {
        JournalAction::UpdateTrustPolicy
    }
    async fn read(&self) -> Result<Option<RoleState>, CloudError> {
        self.store.get_role(&self.role).await
    }
    fn record(&self, read: &RoleState) -> Option<TrustPolicy> {
        Some(read.trust_policy.clone())
    }
    fn target(&self, _: Option<&RoleState>, _: u32) -> Result<Target<TrustPolicy>, CloudError> {
        Ok(Target::Unchanged)
    }
    async fn write(&self, _: Option<&RoleState>, _: Option<&TrustPolicy>) -> Result<(), CloudError> {
        Ok(())
    }
    fn judge(
        &self,
        now: Option<&RoleState>,
        before: Option<&TrustPolicy>,
        after: Option<&TrustPolicy>,
    ) -> Settlement {
        judge_trust(now.map(|r| &r.trust_policy), before, after)
    }
    fn found(&self, now: Option<&RoleState>, found: Settlement) -> String {
        trust_words(&self.role, now, found)
    }
    fn not_held(&self, _: Option<&RoleState>, _: &str) -> String {
        format!("role {} does not read back as written", self.role)
    }
}

/// Undo of a journaled create or trust-policy update, surgically: the principals the change
/// added are removed and those it removed are put back, on the policy as it is *now*, so
/// whatever anyone else changed since is kept. A policy still exactly as the change left it
/// is simply restored; a role the app created is deleted only while it is as created.
pub(crate) struct TrustUndo<'a, S> {
    pub store: &'a S,
    pub entry: JournalEntry,
    pub actor: String,
    /// The target shown in the undo's preview: the apply refuses another.
    pub expected: Option<Option<TrustPolicy>>,
}

impl<S: RoleStore> TrustUndo<'_, S> {
    fn role(&self) -> String {
        self.entry.resource_name()
    }

    fn states(&self) -> Result<(Option<TrustPolicy>, Option<TrustPolicy>), CloudError> {
        Ok((
            change::typed(self.entry.before.as_ref(), &self.entry.id)?,
            change::typed(self.entry.after.as_ref(), &self.entry.id)?,
        ))
    }

    fn inverse(&self, current: Option<&RoleState>) -> Result<Option<TrustPolicy>, CloudError> {
        let role = self.role();
        let (before, after) = self.states()?;
        let moved = |what: String| CloudError::RemoteChanged { what, since: "the change being undone" };
        let Some(now) = current.map(|r| &r.trust_policy) else {
            return Err(moved(format!("role {role} (it was deleted meanwhile)")));
        };
        let Some(after) = after else {
            return Err(CloudError::Refused {
                reason: format!(
                    "journal entry {} deleted role {role}; a deleted role cannot be restored",
                    self.entry.id
                ),
                hint: String::from("Create the role again from the AWS journey."),
            });
        };
        if self.entry.action == JournalAction::CreateRole {
            if now.semantically_equal(&after) {
                return Ok(None);
            }
            return Err(CloudError::Refused {
                reason: format!(
                    "role {role} was changed since the app created it, so deleting it would drop those edits"
                ),
                hint: String::from(
                    "Remove the Deployments from its trust policy instead, or delete the role by hand.",
                ),
            });
        }
        let before = before.ok_or_else(|| CloudError::Journal {
            action: "read",
            detail: format!("journal entry {} lacks the trust policy it replaced", self.entry.id),
        })?;
        if now.semantically_equal(&after) {
            return Ok(Some(before));
        }
        let (added, removed) = principal_changes(&before, &after).ok_or_else(|| CloudError::Refused {
            reason: format!(
                "the trust policy of role {role} changed since, and the change being undone edited more than \
                 the Deployments it trusts, so it cannot be undone on top of the later edits"
            ),
            hint: String::from("Edit the trust policy in the policy editor instead."),
        })?;
        let gone: Vec<String> = now.untrusted(&added).iter().map(|arn| arn.as_str().to_owned()).collect();
        if !gone.is_empty() {
            return Err(moved(format!(
                "role {role}: {} that the change added {} no longer trusted",
                gone.join(", "),
                if gone.len() == 1 { "is" } else { "are" }
            )));
        }
        Ok(Some(now.remove_principals(&added).add_principals(&removed)))
    }
}

/// The Deployments a change added and removed, when that is all it changed.
fn principal_changes(
    before: &TrustPolicy,
    after: &TrustPolicy,
) -> Option<(Vec<WorkloadIdentityArn>, Vec<WorkloadIdentityArn>)> {
    let (was, is) = (before.trusted_aws_principals(), after.trusted_aws_principals());
    let parse = |list: Vec<&String>| -> Option<Vec<WorkloadIdentityArn>> {
        list.into_iter().map(|p| WorkloadIdentityArn::parse(p).ok()).collect()
    };
    let added = parse(is.iter().filter(|p| !was.contains(p)).collect())?;
    let removed = parse(was.iter().filter(|p| !is.contains(p)).collect())?;
    let inverse = after.remove_principals(&added).add_principals(&removed);
    (inverse.semantically_equal(before) && !(added.is_empty() && removed.is_empty()))
        .then_some((added, removed))
}

impl<S: RoleStore> ChangeKind for TrustUndo<'_, S> {
    type Read = RoleState;
    type State = TrustPolicy;

    fn subject(&self) -> Subject {
        self.entry.subject.clone()
    }
    fn action(&self) -> JournalAction {
        match self.entry.action {
            JournalAction::CreateRole => JournalAction::DeleteRole,
            _ => JournalAction::UpdateTrustPolicy,
        }
    }
    fn actor(&self) -> String {
        self.actor.clone()
    }
    fn undoes(&self) -> Option<String> {
        Some(self.entry.id.clone())
    }
    async fn read(&self) -> Result<Option<RoleState>, CloudError> {
        self.store.get_role(&self.role()).await
    }
    fn record(&self, read: &RoleState) -> Option<TrustPolicy> {
        Some(read.trust_policy.clone())
    }
    fn target(&self, current: Option<&RoleState>, attempt: u32) -> Result<Target<TrustPolicy>, CloudError> {
        let target = self.inverse(current)?;
        if attempt == 1
            && let Some(expected) = &self.expected
        {
            let same = match (expected, &target) {
                (Some(a), Some(b)) => a.semantically_equal(b),
                (None, None) => true,
                _ => false,
            };
            if !same {
                return Err(CloudError::RemoteChanged {
                    what: format!("the trust policy of role {}", self.role()),
                    since: "the undo was shown",
                });
            }
        }
        if let (Some(now), Some(target)) = (current, &target)
            && now.trust_policy.semantically_equal(target)
        {
            return Ok(Target::Unchanged);
        }
        Ok(Target::Write(target))
    }
    async fn write(&self, _: Option<&RoleState>, after: Option<&TrustPolicy>) -> Result<(), CloudError> {
        match after {
            None => self.store.delete_role(&self.role()).await,
            Some(policy) => self.store.update_trust_policy(&self.role(), policy).await,
        }
    }
    fn judge(
        &self,
        now: Option<&RoleState>,
        before: Option<&TrustPolicy>,
        after: Option<&TrustPolicy>,
    ) -> Settlement {
        judge_trust(now.map(|r| &r.trust_policy), before, after)
    }
    fn found(&self, now: Option<&RoleState>, found: Settlement) -> String {
        trust_words(&self.role(), now, found)
    }
    fn not_held(&self, _: Option<&RoleState>, _: &str) -> String {
        match self.entry.action {
            JournalAction::CreateRole => format!("role {} still exists after it was deleted", self.role()),
            _ => format!("role {} does not have the trust policy the undo wrote", self.role()),
        }
    }
    fn definite(&self, err: &CloudError) -> bool {
        refused_before_sending(err)
    }
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
