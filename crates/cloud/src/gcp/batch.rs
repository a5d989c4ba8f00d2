//! A batch of grants on Google Cloud: several projects and service accounts, each grant its
//! own etag-safe write through the change engine. Grants on different resources run at once
//! (at most [`CONCURRENCY`]); grants on the same resource one after another, each merged
//! onto the policy the previous one left. One failing grant does not stop the others.

use futures_util::stream::{self, StreamExt};
use serde::Serialize;

use astro_identity_domain::gcp::batch::GrantEntry;

use crate::CloudError;
use crate::backoff::Backoff;
pub use crate::batch::{BatchFailure, CONCURRENCY};
use crate::gcp::binding_change::{BindingChange, BindingOutcome, apply_binding, plan_grant};
use crate::gcp::projects::{PolicyResource, PolicyStore};
use crate::journal::Journal;

/// One grant of a batch plan: its change, or why it could not be planned.
#[derive(Debug, Clone, Serialize)]
#[cfg_attr(feature = "specta", derive(specta::Type))]
#[serde(rename_all = "camelCase")]
pub struct GrantItemPlan {
    pub resource: PolicyResource,
    pub role: String,
    pub change: Option<BindingChange>,
    pub failure: Option<BatchFailure>,
}

/// One grant of a batch apply.
#[derive(Debug, Clone, Serialize)]
#[cfg_attr(feature = "specta", derive(specta::Type))]
#[serde(rename_all = "camelCase")]
pub struct GrantItemOutcome {
    pub resource: PolicyResource,
    pub role: String,
    pub outcome: Option<BindingOutcome>,
    pub failure: Option<BatchFailure>,
}

/// What a grant batch reports as it goes.
#[derive(Debug, Clone, Copy)]
pub enum GrantEvent<'a> {
    Planned { resource: &'a PolicyResource, role: &'a str, done: usize, total: usize },
    Applied { resource: &'a PolicyResource, role: &'a str, written: bool, done: usize, total: usize },
    Failed { resource: &'a PolicyResource, role: &'a str, error: &'a CloudError },
}

/// Reads each grant's policy and plans it. Writes nothing. Several grants on one resource
/// are each planned on the policy as it is (their diffs show one grant each).
pub async fn plan_grants(
    store: &impl PolicyStore,
    entries: &[GrantEntry],
    principal: Option<String>,
    progress: &impl Fn(GrantEvent<'_>),
) -> Vec<GrantItemPlan> {
    let total = entries.len();
    // Collected first: a closure held across the awaits below would keep the future from
    // being `Send` (rust-lang/rust#110338), which the window's commands need.
    let reads: Vec<_> = entries
        .iter()
        .enumerate()
        .map(|(index, entry)| plan_one(store, entry, principal.clone(), index))
        .collect();
    let mut reads = stream::iter(reads).buffer_unordered(CONCURRENCY);
    let mut planned: Vec<(usize, GrantItemPlan)> = Vec::with_capacity(total);
    while let Some((index, resource, role, result)) = reads.next().await {
        let done = planned.len() + 1;
        let item = match result {
            Ok(change) => {
                progress(GrantEvent::Planned { resource: &resource, role: &role, done, total });
                GrantItemPlan { resource, role, change: Some(change), failure: None }
            }
            Err(err) => {
                progress(GrantEvent::Failed { resource: &resource, role: &role, error: &err });
                GrantItemPlan { resource, role, change: None, failure: Some((&err).into()) }
            }
        };
        planned.push((index, item));
    }
    planned.sort_by_key(|(index, _)| *index);
    planned.into_iter().map(|(_, item)| item).collect()
}

async fn plan_one(
    store: &impl PolicyStore,
    entry: &GrantEntry,
    principal: Option<String>,
    index: usize,
) -> (usize, PolicyResource, String, Result<BindingChange, CloudError>) {
    let resource = PolicyResource::for_route(&entry.route);
    let role = entry.route.role().to_owned();
    let result =
        plan_grant(store, &resource, &role, &entry.members, entry.condition.as_ref(), principal).await;
    (index, resource, role, result)
}

/// Applies every planned grant: resources at once, the grants of one resource in order.
pub async fn apply_grants(
    store: &impl PolicyStore,
    plans: &[GrantItemPlan],
    confirm_warnings: bool,
    journal: &Journal,
    backoff: Backoff,
    progress: &impl Fn(GrantEvent<'_>),
) -> Vec<GrantItemOutcome> {
    // Grants by resource, in the batch's order.
    let mut groups: Vec<(PolicyResource, Vec<usize>)> = Vec::new();
    for (index, plan) in plans.iter().enumerate() {
        match groups.iter_mut().find(|(resource, _)| *resource == plan.resource) {
            Some((_, members)) => members.push(index),
            None => groups.push((plan.resource.clone(), vec![index])),
        }
    }
    let total = plans.len();
    // Atomic, not a Cell: the window's command awaits this future on any thread.
    let done = std::sync::atomic::AtomicUsize::new(0);
    let report = |plan: &GrantItemPlan, result: &Result<BindingOutcome, CloudError>| {
        let count = done.fetch_add(1, std::sync::atomic::Ordering::Relaxed) + 1;
        let (resource, role) = (&plan.resource, plan.role.as_str());
        progress(match result {
            Ok(outcome) => {
                GrantEvent::Applied { resource, role, written: outcome.written, done: count, total }
            }
            Err(error) => GrantEvent::Failed { resource, role, error },
        });
    };
    let groups: Vec<_> = groups
        .into_iter()
        .map(|(_, indexes)| apply_group(store, plans, indexes, confirm_warnings, journal, backoff, &report))
        .collect();
    let results: Vec<Vec<(usize, GrantItemOutcome)>> =
        stream::iter(groups).buffer_unordered(CONCURRENCY).collect().await;
    let mut flat: Vec<(usize, GrantItemOutcome)> = results.into_iter().flatten().collect();
    flat.sort_by_key(|(index, _)| *index);
    flat.into_iter().map(|(_, outcome)| outcome).collect()
}

/// The grants of one resource, one after another (each merged onto the policy the last left).
async fn apply_group(
    store: &impl PolicyStore,
    plans: &[GrantItemPlan],
    indexes: Vec<usize>,
    confirm_warnings: bool,
    journal: &Journal,
    backoff: Backoff,
    report: &impl Fn(&GrantItemPlan, &Result<BindingOutcome, CloudError>),
) -> Vec<(usize, GrantItemOutcome)> {
    let mut out = Vec::with_capacity(indexes.len());
    for index in indexes {
        let plan = &plans[index];
        let (outcome, failure) = match &plan.change {
            Some(change) => {
                let result = apply_binding(store, change, confirm_warnings, journal, backoff).await;
                report(plan, &result);
                match result {
                    Ok(outcome) => (Some(outcome), None),
                    Err(err) => (None, Some(BatchFailure::from(&err))),
                }
            }
            // A grant that failed to plan keeps its planning failure.
            None => (None, plan.failure.clone()),
        };
        out.push((
            index,
            GrantItemOutcome { resource: plan.resource.clone(), role: plan.role.clone(), outcome, failure },
        ));
    }
    out
}

#[cfg(test)]
mod tests {
    use std::cell::RefCell;
    use std::time::Duration;

    use astro_identity_domain::gcp::batch::parse_grant_batch;
    use astro_identity_domain::gcp::iam_policy::IamPolicy;

    use super::*;
    use crate::fakes::{MemoryPolicies, TempJournal};

    const M: &str = "serviceAccount:astro-fiery-nebula-1234@astronomer-prod.iam.gserviceaccount.com";
    const FAST: Backoff =
        Backoff { attempts: 3, first_delay: Duration::from_millis(1), max_delay: Duration::from_millis(2) };

    #[tokio::test]
    async fn grants_on_one_project_follow_each_other_and_a_failure_stops_no_other() {
        let t = TempJournal::new();
        let data = PolicyResource::Project(String::from("astro-data"));
        let ml = PolicyResource::Project(String::from("astro-ml"));
        let empty = IamPolicy::parse("{}").expect("policy");
        let store = MemoryPolicies::watching(&t.journal).with_policy(&data, &empty).with_policy(&ml, &empty);
        let entries = parse_grant_batch(&format!(
            r#"[{{"project":"astro-data","role":"roles/bigquery.jobUser","members":["{M}"]}},
                {{"project":"astro-data","role":"roles/storage.objectViewer","members":["{M}"]}},
                {{"project":"astro-ml","role":"roles/owner","members":["{M}"]}},
                {{"project":"astro-ml","role":"roles/aiplatform.user","members":["{M}"]}}]"#
        ))
        .expect("valid");
        let events = RefCell::new(Vec::new());
        let progress = |event: GrantEvent<'_>| {
            if let GrantEvent::Failed { role, error, .. } = event {
                events.borrow_mut().push(format!("{role}: {}", error.code()));
            }
        };
        let plans = plan_grants(&store, &entries, None, &progress).await;
        assert!(plans.iter().all(|p| p.change.is_some()));
        // roles/owner needs the warning confirmed: refused alone, the rest applied.
        let outcomes = apply_grants(&store, &plans, false, &t.journal, FAST, &progress).await;
        let ok: Vec<bool> = outcomes.iter().map(|o| o.outcome.is_some()).collect();
        assert_eq!(ok, [true, true, false, true]);
        assert_eq!(*events.borrow(), ["roles/owner: refused"]);
        let policy = store.policy(&data);
        assert!(policy.has_member("roles/bigquery.jobUser", M, None));
        assert!(
            policy.has_member("roles/storage.objectViewer", M, None),
            "the second grant merged onto the first"
        );
        assert!(store.policy(&ml).has_member("roles/aiplatform.user", M, None));
        assert!(!store.policy(&ml).has_member("roles/owner", M, None));
    }
}
