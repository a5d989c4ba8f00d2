//! A batch of roles planned and applied together: dozens of roles, each trusting its own
//! Deployments, at the speed IAM allows.
//!
//! - **Plan**: one `GetCallerIdentity` for the batch, then each role read (`GetRole`), at most
//!   [`CONCURRENCY`] at a time.
//! - **Apply**: each planned change through the change engine (journaled, verified), at most
//!   [`CONCURRENCY`] at a time. Applied right after its plan, a role's plan read stands for the
//!   apply's first read, and the lost-update check (IAM has no etag: a writer that read before
//!   our write and writes after it drops our principals) waits **once for the batch**, then
//!   reads every merged role again: read → write → verify → re-read, four IAM calls per role.
//!   A role whose Deployments were dropped is merged again on its fresh policy.
//! - One failing role does not stop the others; each result says what happened.
//!
//! Throttling (`Throttling`, `Rate exceeded`) is retried by the SDK's standard retry with
//! backoff (`crate::aws::config`); the pool keeps the request rate within what IAM serves.

use std::time::Duration;

use futures_util::stream::{self, StreamExt};
use serde::Serialize;

use astro_identity_domain::aws::arn::WorkloadIdentityArn;
use astro_identity_domain::aws::batch::BatchEntry;

use crate::CloudError;
use crate::aws::iam::{Caller, NewRole, RoleStore};
use crate::aws::trust_change::{
    ApplyOptions, ChangeOutcome, TrustChange, apply_trust_change_with, plan_trust_change_as,
};
pub use crate::batch::{BatchFailure, CONCURRENCY};
use crate::journal::Journal;

/// One role of a batch plan: its change, or why it could not be planned.
#[derive(Debug, Clone, Serialize)]
#[cfg_attr(feature = "specta", derive(specta::Type))]
#[serde(rename_all = "camelCase")]
pub struct BatchRolePlan {
    pub role_name: String,
    pub change: Option<TrustChange>,
    pub failure: Option<BatchFailure>,
}

#[derive(Debug, Clone, Serialize)]
#[cfg_attr(feature = "specta", derive(specta::Type))]
#[serde(rename_all = "camelCase")]
pub struct BatchPlan {
    pub caller: Caller,
    pub roles: Vec<BatchRolePlan>,
}

impl BatchPlan {
    /// Roles with a change to write.
    pub fn changed(&self) -> usize {
        self.roles.iter().filter(|r| r.change.as_ref().is_some_and(|c| c.plan.changed)).count()
    }
    pub fn failed(&self) -> usize {
        self.roles.iter().filter(|r| r.failure.is_some()).count()
    }
    /// Whether a planned change has warnings the user must accept.
    pub fn needs_confirmation(&self) -> bool {
        self.roles.iter().filter_map(|r| r.change.as_ref()).any(|c| c.plan.needs_confirmation)
    }
}

/// One role of a batch apply.
#[derive(Debug, Clone, Serialize)]
#[cfg_attr(feature = "specta", derive(specta::Type))]
#[serde(rename_all = "camelCase")]
pub struct BatchRoleOutcome {
    pub role_name: String,
    pub outcome: Option<ChangeOutcome>,
    pub failure: Option<BatchFailure>,
    /// Another writer dropped its Deployments after our write; they were merged again.
    pub merged_again: bool,
}

impl BatchRoleOutcome {
    fn new(role_name: &str, result: Result<ChangeOutcome, BatchFailure>, merged_again: bool) -> Self {
        let (outcome, failure) = match result {
            Ok(outcome) => (Some(outcome), None),
            Err(failure) => (None, Some(failure)),
        };
        Self { role_name: role_name.to_owned(), outcome, failure, merged_again }
    }
}

/// What a batch reports as it goes (the CLI prints it on stderr, the window shows it).
#[derive(Debug, Clone, Copy)]
pub enum BatchEvent<'a> {
    Planned {
        role: &'a str,
        done: usize,
        total: usize,
    },
    Applied {
        role: &'a str,
        written: bool,
        done: usize,
        total: usize,
    },
    Failed {
        role: &'a str,
        error: &'a CloudError,
    },
    /// The one wait of the lost-update check, before every merged role is read again.
    Checking {
        roles: usize,
        wait: Duration,
    },
    MergedAgain {
        role: &'a str,
    },
}

/// How a batch is applied.
#[derive(Debug, Clone, Copy)]
pub struct BatchOptions {
    /// Each role as [`ApplyOptions`] says (its `settle` is the batch's one wait).
    pub apply: ApplyOptions,
    pub concurrency: usize,
}

impl BatchOptions {
    /// A batch applied right after it was planned (the CLI's `aws apply --batch`).
    pub const FRESH: BatchOptions = BatchOptions {
        apply: ApplyOptions { plan_read_is_fresh: true, ..ApplyOptions::DEFAULT },
        concurrency: CONCURRENCY,
    };
}

/// Plans every entry: one caller lookup, then each role read. Writes nothing. A role that
/// cannot be planned is reported in its entry; only a failure to learn the caller (bad
/// credentials) fails the whole batch.
pub async fn plan_batch(
    store: &impl RoleStore,
    entries: &[BatchEntry],
    quota: u32,
    progress: &impl Fn(BatchEvent<'_>),
) -> Result<BatchPlan, CloudError> {
    let caller = store.caller().await?;
    let total = entries.len();
    // Collected first: a closure held across the awaits below would keep the future from
    // being `Send` (rust-lang/rust#110338), which the window's commands need.
    let reads: Vec<_> = entries
        .iter()
        .enumerate()
        .map(|(index, entry)| {
            let create = entry.create.then(|| new_role(entry));
            plan_one(store, &caller, entry, create, quota, index)
        })
        .collect();
    let mut reads = stream::iter(reads).buffer_unordered(CONCURRENCY);
    let mut planned: Vec<(usize, BatchRolePlan)> = Vec::with_capacity(total);
    while let Some((index, role, result)) = reads.next().await {
        let done = planned.len() + 1;
        let plan = match result {
            Ok(change) => {
                progress(BatchEvent::Planned { role, done, total });
                BatchRolePlan { role_name: role.to_owned(), change: Some(change), failure: None }
            }
            Err(err) => {
                progress(BatchEvent::Failed { role, error: &err });
                BatchRolePlan { role_name: role.to_owned(), change: None, failure: Some((&err).into()) }
            }
        };
        planned.push((index, plan));
    }
    drop(reads); // its futures borrow `caller`
    planned.sort_by_key(|(index, _)| *index);
    Ok(BatchPlan { caller, roles: planned.into_iter().map(|(_, plan)| plan).collect() })
}

/// The role a batch entry with `"create": true` makes.
fn new_role(entry: &BatchEntry) -> NewRole {
    NewRole {
        name: entry.role.as_str().to_owned(),
        path: None,
        description: Some(String::from("Assumed by Astro Deployments through their workload identity")),
        max_session_duration: None,
        tags: vec![(String::from("created-by"), String::from("astro-identity"))],
    }
}

/// One role's plan, with where it goes in the batch (named, not a closure: the batch's
/// future must stay `Send` for the window's commands).
async fn plan_one<'a>(
    store: &impl RoleStore,
    caller: &Caller,
    entry: &'a BatchEntry,
    create: Option<NewRole>,
    quota: u32,
    index: usize,
) -> (usize, &'a str, Result<TrustChange, CloudError>) {
    let role = entry.role.as_str();
    (index, role, plan_trust_change_as(store, caller, role, &entry.identities, create, quota).await)
}

/// One role's apply (none for a role that failed to plan).
async fn apply_one<'a>(
    store: &impl RoleStore,
    role: &'a BatchRolePlan,
    confirm_warnings: bool,
    journal: &Journal,
    options: ApplyOptions,
    index: usize,
) -> (usize, &'a BatchRolePlan, Option<Result<ChangeOutcome, CloudError>>) {
    let result = match &role.change {
        Some(change) => {
            Some(apply_trust_change_with(store, change, confirm_warnings, journal, options).await)
        }
        None => None,
    };
    (index, role, result)
}

/// Whether the merged role lost Deployments it was verified to trust (another writer).
async fn lost_update(store: &impl RoleStore, change: &TrustChange, index: usize) -> Option<usize> {
    match store.get_role(&change.role_name).await {
        Ok(Some(role)) => {
            let trusted = role.trust_policy.trusted_aws_principals();
            change.plan.added.iter().any(|arn| !trusted.contains(arn)).then_some(index)
        }
        // A read that fails now is not a lost update: the write was verified.
        _ => None,
    }
}

/// Applies every planned change (warnings only when `confirm_warnings`), then checks the
/// merges once for lost updates. Roles that failed to plan stay failed; a plan with errors
/// is refused for its role alone.
pub async fn apply_batch(
    store: &impl RoleStore,
    plan: &BatchPlan,
    confirm_warnings: bool,
    journal: &Journal,
    options: BatchOptions,
    progress: &impl Fn(BatchEvent<'_>),
) -> Vec<BatchRoleOutcome> {
    let each = ApplyOptions { settle: Duration::ZERO, ..options.apply };
    let total = plan.roles.len();
    let writes: Vec<_> = plan
        .roles
        .iter()
        .enumerate()
        .map(|(index, role)| apply_one(store, role, confirm_warnings, journal, each, index))
        .collect();
    let mut writes = stream::iter(writes).buffer_unordered(options.concurrency.max(1));
    let mut outcomes: Vec<(usize, BatchRoleOutcome)> = Vec::with_capacity(total);
    while let Some((index, role, result)) = writes.next().await {
        let done = outcomes.len() + 1;
        let name = role.role_name.as_str();
        let outcome = match result {
            Some(Ok(outcome)) => {
                progress(BatchEvent::Applied { role: name, written: outcome.written, done, total });
                BatchRoleOutcome::new(name, Ok(outcome), false)
            }
            Some(Err(err)) => {
                progress(BatchEvent::Failed { role: name, error: &err });
                BatchRoleOutcome::new(name, Err((&err).into()), false)
            }
            // A role that failed to plan keeps its planning failure.
            None => BatchRoleOutcome {
                role_name: name.to_owned(),
                outcome: None,
                failure: role.failure.clone(),
                merged_again: false,
            },
        };
        outcomes.push((index, outcome));
    }
    outcomes.sort_by_key(|(index, _)| *index);
    let mut outcomes: Vec<BatchRoleOutcome> = outcomes.into_iter().map(|(_, o)| o).collect();
    check_lost_updates(store, plan, &mut outcomes, confirm_warnings, journal, options, progress).await;
    outcomes
}

/// The lost-update check of every merge written, with one wait for the batch: a concurrent
/// writer's overwrite lands within the time between its read and its write.
async fn check_lost_updates(
    store: &impl RoleStore,
    plan: &BatchPlan,
    outcomes: &mut [BatchRoleOutcome],
    confirm_warnings: bool,
    journal: &Journal,
    options: BatchOptions,
    progress: &impl Fn(BatchEvent<'_>),
) {
    let written: Vec<usize> = (0..outcomes.len())
        .filter(|&i| outcomes[i].outcome.as_ref().is_some_and(|o| o.written))
        .filter(|&i| {
            plan.roles[i].change.as_ref().is_some_and(|c| c.create.is_none() && !c.plan.added.is_empty())
        })
        .collect();
    if written.is_empty() || options.apply.settle.is_zero() {
        return;
    }
    progress(BatchEvent::Checking { roles: written.len(), wait: options.apply.settle });
    tokio::time::sleep(options.apply.settle).await;
    let checks: Vec<_> = written
        .iter()
        .filter_map(|&i| plan.roles[i].change.as_ref().map(|c| lost_update(store, c, i)))
        .collect();
    let mut checks = stream::iter(checks).buffer_unordered(options.concurrency.max(1));
    let mut lost: Vec<usize> = Vec::new();
    while let Some(found) = checks.next().await {
        lost.extend(found);
    }
    lost.sort_unstable();
    for i in lost {
        let Some(change) = &plan.roles[i].change else { continue };
        progress(BatchEvent::MergedAgain { role: &change.role_name });
        let identities: Vec<_> = change
            .plan
            .added
            .iter()
            .chain(&change.plan.already_trusted)
            .filter_map(|arn| WorkloadIdentityArn::parse(arn).ok())
            .collect();
        let again = async {
            let fresh =
                plan_trust_change_as(store, &plan.caller, &change.role_name, &identities, None, change.quota)
                    .await?;
            apply_trust_change_with(store, &fresh, confirm_warnings, journal, ApplyOptions::DEFAULT).await
        };
        let result = again.await.map_err(|err| {
            progress(BatchEvent::Failed { role: &change.role_name, error: &err });
            BatchFailure::from(&err)
        });
        outcomes[i] = BatchRoleOutcome::new(&change.role_name, result, true);
    }
}

#[cfg(test)]
mod tests {
    use std::cell::RefCell;

    use astro_identity_domain::aws::arn::{RoleName, WorkloadIdentityArn};
    use astro_identity_domain::aws::batch::BatchEntry;
    use astro_identity_domain::aws::trust_policy::TrustPolicy;

    use super::*;
    use crate::aws::iam::{OidcProvider, RoleState};
    use crate::backoff::Backoff;
    use crate::fakes::{MemoryRoles, TempJournal};

    const A: &str = "arn:aws:iam::111111111111:role/astro-a";
    const B: &str = "arn:aws:iam::111111111111:role/astro-b";
    const C: &str = "arn:aws:iam::111111111111:role/astro-c";

    fn arn(text: &str) -> WorkloadIdentityArn {
        WorkloadIdentityArn::parse(text).expect("valid")
    }

    fn trusting(arns: &[&str]) -> TrustPolicy {
        TrustPolicy::new_for(&arns.iter().map(|a| arn(a)).collect::<Vec<_>>())
    }

    fn entry(role: &str, arns: &[&str]) -> BatchEntry {
        BatchEntry {
            role: RoleName::parse(role).expect("name"),
            identities: arns.iter().map(|a| arn(a)).collect(),
            create: false,
        }
    }

    const FAST: BatchOptions = BatchOptions {
        apply: ApplyOptions {
            backoff: Backoff {
                attempts: 3,
                first_delay: Duration::from_millis(1),
                max_delay: Duration::from_millis(2),
            },
            settle: Duration::from_millis(5),
            plan_read_is_fresh: true,
        },
        concurrency: 4,
    };

    /// A role store whose `drop_on_read`-th read of role "data" finds that another writer
    /// has put back the policy from before (after our write was verified).
    struct LateOverwrite {
        inner: MemoryRoles,
        reads: RefCell<u32>,
        drop_on_read: u32,
        before: TrustPolicy,
    }

    impl RoleStore for LateOverwrite {
        async fn caller(&self) -> Result<Caller, CloudError> {
            self.inner.caller().await
        }
        async fn get_role(&self, name: &str) -> Result<Option<RoleState>, CloudError> {
            if name == "data" {
                *self.reads.borrow_mut() += 1;
                if *self.reads.borrow() == self.drop_on_read {
                    self.inner.roles.borrow_mut().insert(name.into(), self.before.clone());
                }
            }
            self.inner.get_role(name).await
        }
        async fn create_role(&self, spec: &NewRole, policy: &TrustPolicy) -> Result<RoleState, CloudError> {
            self.inner.create_role(spec, policy).await
        }
        async fn update_trust_policy(&self, name: &str, policy: &TrustPolicy) -> Result<(), CloudError> {
            self.inner.update_trust_policy(name, policy).await
        }
        async fn delete_role(&self, name: &str) -> Result<(), CloudError> {
            self.inner.delete_role(name).await
        }
        async fn attached_policies(&self, role: &str) -> Result<Vec<String>, CloudError> {
            self.inner.attached_policies(role).await
        }
        async fn attach_policy(&self, role: &str, arn: &str) -> Result<(), CloudError> {
            self.inner.attach_policy(role, arn).await
        }
        async fn detach_policy(&self, role: &str, arn: &str) -> Result<(), CloudError> {
            self.inner.detach_policy(role, arn).await
        }
        async fn inline_policy(&self, role: &str, name: &str) -> Result<Option<String>, CloudError> {
            self.inner.inline_policy(role, name).await
        }
        async fn put_inline_policy(&self, role: &str, name: &str, doc: &str) -> Result<(), CloudError> {
            self.inner.put_inline_policy(role, name, doc).await
        }
        async fn delete_inline_policy(&self, role: &str, name: &str) -> Result<(), CloudError> {
            self.inner.delete_inline_policy(role, name).await
        }
        async fn oidc_provider(&self, arn: &str) -> Result<Option<OidcProvider>, CloudError> {
            self.inner.oidc_provider(arn).await
        }
    }

    #[tokio::test]
    async fn every_role_is_applied_and_one_failure_stops_no_other() {
        let t = TempJournal::new();
        let store = MemoryRoles::watching(&t.journal)
            .with_role("data", &trusting(&[A]))
            .with_role("ml", &trusting(&[C]));
        let entries = [entry("data", &[B]), entry("missing", &[B]), entry("ml", &[A, B])];
        let events = RefCell::new(Vec::new());
        let progress = |event: BatchEvent<'_>| {
            let line = match event {
                BatchEvent::Planned { role, .. } => format!("planned {role}"),
                BatchEvent::Applied { role, written, .. } => format!("applied {role} {written}"),
                BatchEvent::Failed { role, error } => format!("failed {role} {}", error.code()),
                BatchEvent::Checking { roles, .. } => format!("checking {roles}"),
                BatchEvent::MergedAgain { role } => format!("again {role}"),
            };
            events.borrow_mut().push(line);
        };
        let plan = plan_batch(&store, &entries, 2048, &progress).await.expect("plan");
        assert_eq!(
            plan.roles.iter().map(|r| r.role_name.as_str()).collect::<Vec<_>>(),
            ["data", "missing", "ml"]
        );
        assert_eq!((plan.changed(), plan.failed()), (2, 1));
        assert_eq!(plan.roles[1].failure.as_ref().map(|f| f.code.as_str()), Some("not_found"));

        let outcomes = apply_batch(&store, &plan, false, &t.journal, FAST, &progress).await;
        assert!(outcomes[0].outcome.as_ref().is_some_and(|o| o.written && o.verified));
        assert!(outcomes[1].failure.is_some() && outcomes[1].outcome.is_none());
        assert!(outcomes[2].outcome.as_ref().is_some_and(|o| o.written));
        assert!(store.policy("data").expect("role").untrusted(&[arn(A), arn(B)]).is_empty());
        assert!(store.policy("ml").expect("role").untrusted(&[arn(A), arn(B), arn(C)]).is_empty());
        let events = events.borrow();
        assert!(events.contains(&String::from("failed missing not_found")), "{events:?}");
        assert!(events.contains(&String::from("checking 2")), "one check for both merges: {events:?}");
        assert_eq!(events.iter().filter(|e| e.starts_with("checking")).count(), 1);
    }

    #[tokio::test]
    async fn a_merge_dropped_after_it_was_verified_is_merged_again_after_the_one_wait() {
        let t = TempJournal::new();
        let before = trusting(&[A]);
        let store = LateOverwrite {
            inner: MemoryRoles::watching(&t.journal).with_role("data", &before),
            reads: RefCell::new(0),
            // 1: the plan's read; 2: the verify; 3: the batch's lost-update check.
            drop_on_read: 3,
            before,
        };
        let entries = [entry("data", &[B])];
        let again = RefCell::new(Vec::new());
        let progress = |event: BatchEvent<'_>| {
            if let BatchEvent::MergedAgain { role } = event {
                again.borrow_mut().push(role.to_owned());
            }
        };
        let plan = plan_batch(&store, &entries, 2048, &progress).await.expect("plan");
        let outcomes = apply_batch(&store, &plan, false, &t.journal, FAST, &progress).await;
        assert_eq!(*again.borrow(), ["data"]);
        assert!(outcomes[0].merged_again && outcomes[0].failure.is_none(), "{:?}", outcomes[0].failure);
        assert!(store.inner.policy("data").expect("role").untrusted(&[arn(A), arn(B)]).is_empty());
    }

    #[tokio::test]
    async fn a_fresh_plan_is_not_read_again_but_a_kept_one_is() {
        let t = TempJournal::new();
        let store = LateOverwrite {
            inner: MemoryRoles::watching(&t.journal).with_role("data", &trusting(&[A])),
            reads: RefCell::new(0),
            drop_on_read: 0,
            before: trusting(&[A]),
        };
        let entries = [entry("data", &[B])];
        let plan = plan_batch(&store, &entries, 2048, &|_| {}).await.expect("plan");
        apply_batch(&store, &plan, false, &t.journal, FAST, &|_| {}).await;
        // Plan, verify, the batch's check.
        assert_eq!(*store.reads.borrow(), 3);
        let kept = BatchOptions { apply: ApplyOptions { plan_read_is_fresh: false, ..FAST.apply }, ..FAST };
        let again = plan_batch(&store, &[entry("data", &[C])], 2048, &|_| {}).await.expect("plan");
        apply_batch(&store, &again, false, &t.journal, kept, &|_| {}).await;
        // Plan, the apply's own read, verify, the batch's check.
        assert_eq!(*store.reads.borrow(), 3 + 4);
    }
}
