//! The engine's state machine against in-memory stores (`crate::fakes`): success, refusal,
//! a lost answer, a crash between intent and outcome, concurrent changes, surgical undo
//! after others' edits — for the trust, permission, and GCP kinds. Every fake write asserts
//! that its intent was already journaled.

use std::time::Duration;

use astro_identity_domain::aws::arn::WorkloadIdentityArn;
use astro_identity_domain::aws::lint::DEFAULT_TRUST_POLICY_QUOTA;
use astro_identity_domain::aws::permission_policy::PermissionPolicy;
use astro_identity_domain::aws::trust_policy::TrustPolicy;
use astro_identity_domain::diff::DiffKind;
use astro_identity_domain::gcp::iam_policy::IamPolicy;

use crate::CloudError;
use crate::aws::iam::NewRole;
use crate::aws::permissions::{apply_permission, plan_attach, plan_inline};
use crate::aws::trust_change::{ApplyOptions, apply_trust_change_with, plan_trust_change};
use crate::backoff::Backoff;
use crate::fakes::{Fault, MemoryPolicies, MemoryRoles, TempJournal, unreachable};
use crate::gcp::binding_change::{apply_binding, plan_binding};
use crate::gcp::projects::PolicyResource;
use crate::journal::{ChangeStatus, JournalAction, Subject};
use crate::settle::{SettleResult, settle_aws};
use crate::undo;

const A: &str = "arn:aws:iam::111111111111:role/astro-a";
const B: &str = "arn:aws:iam::111111111111:role/astro-b";
const C: &str = "arn:aws:iam::222222222222:role/someone-else";

fn arn(text: &str) -> WorkloadIdentityArn {
    WorkloadIdentityArn::parse(text).expect("valid ARN")
}

fn trusting(arns: &[&str]) -> TrustPolicy {
    TrustPolicy::new_for(&arns.iter().map(|a| arn(a)).collect::<Vec<_>>())
}

fn fast() -> ApplyOptions {
    ApplyOptions {
        backoff: Backoff {
            attempts: 5,
            first_delay: Duration::from_millis(1),
            max_delay: Duration::from_millis(2),
        },
        settle: Duration::from_millis(1),
        plan_read_is_fresh: false,
    }
}

fn statuses(t: &TempJournal) -> Vec<(JournalAction, ChangeStatus)> {
    t.journal.history().expect("read").iter().map(|c| (c.entry.action, c.status)).collect()
}

async fn add(
    store: &MemoryRoles,
    t: &TempJournal,
    who: &str,
) -> Result<crate::aws::ChangeOutcome, CloudError> {
    let change = plan_trust_change(store, "data", &[arn(who)], None, DEFAULT_TRUST_POLICY_QUOTA).await?;
    apply_trust_change_with(store, &change, true, &t.journal, fast()).await
}

#[tokio::test]
async fn a_write_is_journaled_as_intent_then_done_and_verified() {
    let t = TempJournal::new();
    let store = MemoryRoles::watching(&t.journal).with_role("data", &trusting(&[A]));
    let outcome = add(&store, &t, B).await.expect("applied");
    assert!(outcome.written && outcome.verified);
    assert!(store.policy("data").expect("role").untrusted(&[arn(A), arn(B)]).is_empty());
    assert_eq!(statuses(&t), [(JournalAction::UpdateTrustPolicy, ChangeStatus::Applied)]);
    let entry = t.journal.entries().expect("read").pop().expect("entry");
    assert_eq!(outcome.journal_id.as_deref(), Some(entry.id.as_str()));
    assert!(
        matches!(&entry.subject, Subject::TrustPolicy { role, account, .. } if role == "data" && account == "123456789012")
    );
    let before: TrustPolicy = serde_json::from_value(entry.before.clone().expect("before")).expect("typed");
    assert!(before.semantically_equal(&trusting(&[A])));

    // Nothing to add: nothing written, nothing journaled.
    let again = add(&store, &t, B).await.expect("unchanged");
    assert!(!again.written);
    assert_eq!(*store.writes.borrow(), 1);
    assert_eq!(t.journal.history().expect("read").len(), 1);
}

#[tokio::test]
async fn a_refused_write_is_recorded_as_failed_and_nothing_changes() {
    let t = TempJournal::new();
    let store = MemoryRoles::watching(&t.journal).with_role("data", &trusting(&[A]));
    store.faults.borrow_mut().push_back(Fault::Refuse(CloudError::AccessDenied {
        action: "iam:UpdateAssumeRolePolicy".into(),
        resource: "role data".into(),
        detail: String::new(),
    }));
    let err = add(&store, &t, B).await.expect_err("refused");
    assert_eq!(err.code(), "access_denied");
    assert!(store.policy("data").expect("role").semantically_equal(&trusting(&[A])));
    assert_eq!(statuses(&t), [(JournalAction::UpdateTrustPolicy, ChangeStatus::NotApplied)]);
}

#[tokio::test]
async fn a_lost_answer_is_settled_by_reading_back() {
    let t = TempJournal::new();
    let store = MemoryRoles::watching(&t.journal).with_role("data", &trusting(&[A]));
    store.faults.borrow_mut().push_back(Fault::LoseAnswer(unreachable()));
    let outcome = add(&store, &t, B).await.expect("landed after all");
    assert!(outcome.written);
    assert_eq!(statuses(&t), [(JournalAction::UpdateTrustPolicy, ChangeStatus::Applied)]);
    let reason = t.journal.history().expect("read")[0].reason.clone().unwrap_or_default();
    assert!(reason.starts_with("the answer was lost"), "{reason}");
}

#[tokio::test]
async fn a_crash_between_intent_and_outcome_leaves_it_pending_until_settled() {
    let t = TempJournal::new();
    let store = MemoryRoles::watching(&t.journal).with_role("data", &trusting(&[A]));
    store.faults.borrow_mut().push_back(Fault::WriteThenDie);
    let err = add(&store, &t, B).await.expect_err("died");
    assert_eq!(err.code(), "unreachable");
    assert_eq!(statuses(&t), [(JournalAction::UpdateTrustPolicy, ChangeStatus::Pending)]);

    // The next start: the store answers again.
    *store.dead.borrow_mut() = false;
    let reports = settle_aws(&store, &t.journal).await.expect("settled");
    assert_eq!(reports.len(), 1);
    assert_eq!(reports[0].result, SettleResult::Applied);
    assert_eq!(statuses(&t), [(JournalAction::UpdateTrustPolicy, ChangeStatus::Applied)]);
}

#[tokio::test]
async fn a_change_made_after_the_plan_refuses_the_apply() {
    let t = TempJournal::new();
    let store = MemoryRoles::watching(&t.journal).with_role("data", &trusting(&[A]));
    let change =
        plan_trust_change(&store, "data", &[arn(B)], None, DEFAULT_TRUST_POLICY_QUOTA).await.expect("plan");
    store.roles.borrow_mut().insert("data".into(), trusting(&[A, C]));
    let err = apply_trust_change_with(&store, &change, true, &t.journal, fast()).await.expect_err("moved");
    assert_eq!(err.code(), "remote_changed");
    assert_eq!(*store.writes.borrow(), 0);
    assert_eq!(statuses(&t), []);
}

#[tokio::test]
async fn a_lost_update_is_merged_again_keeping_the_other_writer() {
    let t = TempJournal::new();
    let store = MemoryRoles::watching(&t.journal).with_role("data", &trusting(&[A]));
    // Another writer, who read before our write, writes after it once: our B is dropped.
    let mut once = true;
    *store.after_write.borrow_mut() = Some(Box::new(move |roles| {
        if std::mem::take(&mut once) {
            roles.insert("data".into(), trusting(&[A, C]));
        }
    }));
    let outcome = add(&store, &t, B).await.expect("merged again");
    assert!(outcome.written);
    assert!(store.policy("data").expect("role").untrusted(&[arn(A), arn(B), arn(C)]).is_empty());
    assert_eq!(
        statuses(&t),
        [
            (JournalAction::UpdateTrustPolicy, ChangeStatus::NotApplied),
            (JournalAction::UpdateTrustPolicy, ChangeStatus::Applied)
        ]
    );
}

#[tokio::test]
async fn undo_removes_only_our_principal_and_keeps_a_later_edit() {
    let t = TempJournal::new();
    let store = MemoryRoles::watching(&t.journal).with_role("data", &trusting(&[A]));
    let outcome = add(&store, &t, B).await.expect("applied");
    // Someone trusts C afterwards.
    let edited = store.policy("data").expect("role").add_principals(&[arn(C)]);
    store.roles.borrow_mut().insert("data".into(), edited);

    let plan = undo::plan_aws(&store, &t.journal, outcome.journal_id.as_deref()).await.expect("plan");
    assert!(plan.changed);
    let removed: Vec<&str> =
        plan.diff.iter().filter(|l| l.kind == DiffKind::Removed).map(|l| l.text.as_str()).collect();
    assert!(removed.iter().any(|l| l.contains(B)), "{removed:?}");
    assert!(!removed.iter().any(|l| l.contains(C)), "{removed:?}");
    assert_eq!(plan.kept, [format!("{C} stays trusted (added since by someone else)")]);

    let done = undo::apply_aws(&store, &t.journal, &plan).await.expect("undone");
    assert!(done.verified && done.journal_id.is_some());
    let now = store.policy("data").expect("role");
    assert!(now.untrusted(&[arn(A), arn(C)]).is_empty());
    assert_eq!(now.untrusted(&[arn(B)]).len(), 1, "B is no longer trusted");
    let last = t.journal.entries().expect("read").pop().expect("undo");
    assert_eq!(last.undoes, outcome.journal_id);

    // Undone once: a second undo is refused.
    let err = undo::plan_aws(&store, &t.journal, outcome.journal_id.as_deref()).await.expect_err("done");
    assert_eq!(err.code(), "refused");
}

#[tokio::test]
async fn undo_refuses_when_our_addition_is_gone_and_names_it() {
    let t = TempJournal::new();
    let store = MemoryRoles::watching(&t.journal).with_role("data", &trusting(&[A]));
    let outcome = add(&store, &t, B).await.expect("applied");
    store.roles.borrow_mut().insert("data".into(), trusting(&[A, C]));
    let err = undo::plan_aws(&store, &t.journal, outcome.journal_id.as_deref()).await.expect_err("gone");
    assert_eq!(err.code(), "remote_changed");
    assert!(err.to_string().contains(B), "{err}");
    assert_eq!(*store.writes.borrow(), 1);
}

#[tokio::test]
async fn an_undo_shown_then_overtaken_is_refused_at_apply() {
    let t = TempJournal::new();
    let store = MemoryRoles::watching(&t.journal).with_role("data", &trusting(&[A]));
    let outcome = add(&store, &t, B).await.expect("applied");
    let plan = undo::plan_aws(&store, &t.journal, outcome.journal_id.as_deref()).await.expect("plan");
    let edited = store.policy("data").expect("role").add_principals(&[arn(C)]);
    store.roles.borrow_mut().insert("data".into(), edited);
    let err = undo::apply_aws(&store, &t.journal, &plan).await.expect_err("moved since shown");
    assert_eq!(err.code(), "remote_changed");
    assert!(err.to_string().contains("since the undo was shown"), "{err}");
}

#[tokio::test]
async fn a_created_role_is_deleted_by_its_undo_only_while_as_created() {
    let t = TempJournal::new();
    let store = MemoryRoles::watching(&t.journal);
    let spec = NewRole {
        name: "fresh".into(),
        path: None,
        description: None,
        max_session_duration: None,
        tags: Vec::new(),
    };
    let change = plan_trust_change(&store, "fresh", &[arn(A)], Some(spec), DEFAULT_TRUST_POLICY_QUOTA)
        .await
        .expect("plan");
    let outcome = apply_trust_change_with(&store, &change, true, &t.journal, fast()).await.expect("created");
    let id = outcome.journal_id.clone();
    let entry = t.journal.entries().expect("read").pop().expect("entry");
    assert_eq!(entry.action, JournalAction::CreateRole);

    store.roles.borrow_mut().insert("fresh".into(), trusting(&[A, C]));
    let err = undo::plan_aws(&store, &t.journal, id.as_deref()).await.expect_err("edited since");
    assert_eq!(err.code(), "refused");
    store.roles.borrow_mut().insert("fresh".into(), trusting(&[A]));
    let plan = undo::plan_aws(&store, &t.journal, id.as_deref()).await.expect("plan");
    undo::apply_aws(&store, &t.journal, &plan).await.expect("deleted");
    assert!(store.policy("fresh").is_none());
    assert_eq!(t.journal.entries().expect("read").pop().expect("undo").action, JournalAction::DeleteRole);
}

#[tokio::test]
async fn permissions_are_planned_confirmed_applied_and_undone() {
    let t = TempJournal::new();
    let store = MemoryRoles::watching(&t.journal).with_role("data", &trusting(&[A]));
    let arn_ro = "arn:aws:iam::aws:policy/ReadOnlyAccess";
    let plan = plan_attach(&store, "data", arn_ro).await.expect("plan");
    assert!(plan.changed);
    assert_eq!(plan.diff.iter().filter(|l| l.kind == DiffKind::Added).count(), 1);
    let outcome = apply_permission(&store, &plan, false, &t.journal).await.expect("attached");
    assert!(outcome.written);
    assert_eq!(store.attached.borrow()["data"], [arn_ro]);

    // An inline policy of the same name exists: replacing it needs confirming.
    store
        .inline
        .borrow_mut()
        .insert(("data".into(), "s3".into()), r#"{"Version":"2012-10-17","Statement":[]}"#.into());
    let doc = PermissionPolicy::parse(
        r#"{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"s3:GetObject","Resource":"arn:aws:s3:::b/*"}]}"#,
    )
    .expect("valid");
    let plan = plan_inline(&store, "data", "s3", &doc).await.expect("plan");
    assert!(plan.replaces && plan.changed);
    let err = apply_permission(&store, &plan, false, &t.journal).await.expect_err("not confirmed");
    assert_eq!(err.code(), "refused");
    assert_eq!(*store.writes.borrow(), 1);
    let inline = apply_permission(&store, &plan, true, &t.journal).await.expect("replaced");
    assert!(inline.written);

    // Undo, newest first: the inline policy comes back as it was, then the attach goes.
    let plan = undo::plan_aws(&store, &t.journal, inline.journal_id.as_deref()).await.expect("plan");
    undo::apply_aws(&store, &t.journal, &plan).await.expect("restored");
    assert_eq!(
        store.inline.borrow()[&("data".to_owned(), "s3".to_owned())],
        r#"{"Version":"2012-10-17","Statement":[]}"#
    );
    let plan = undo::plan_aws(&store, &t.journal, outcome.journal_id.as_deref()).await.expect("plan");
    undo::apply_aws(&store, &t.journal, &plan).await.expect("detached");
    assert!(store.attached.borrow()["data"].is_empty());
    let actions: Vec<JournalAction> = t.journal.entries().expect("read").iter().map(|e| e.action).collect();
    assert_eq!(
        actions,
        [
            JournalAction::AttachPolicy,
            JournalAction::PutInlinePolicy,
            JournalAction::PutInlinePolicy,
            JournalAction::DetachPolicy
        ]
    );
}

fn project() -> PolicyResource {
    PolicyResource::Project("astro-data".into())
}

const MEMBER: &str = "serviceAccount:astro@astro-a.iam.gserviceaccount.com";

fn policy(bindings: serde_json::Value) -> IamPolicy {
    IamPolicy::from_value(serde_json::json!({"bindings": bindings, "version": 1})).expect("valid")
}

#[tokio::test]
async fn a_grant_retries_a_conflict_keeping_the_other_writers_binding() {
    let t = TempJournal::new();
    let store = MemoryPolicies::watching(&t.journal).with_policy(&project(), &policy(serde_json::json!([])));
    let mut once = true;
    *store.before_write.borrow_mut() = Some(Box::new(move |current: &IamPolicy| {
        std::mem::take(&mut once).then(|| current.add_member("roles/viewer", "user:bo@example.com", None))
    }));
    let change = plan_binding(&store, &project(), "roles/storage.objectViewer", MEMBER, None, None)
        .await
        .expect("plan");
    let backoff =
        Backoff { attempts: 3, first_delay: Duration::from_millis(1), max_delay: Duration::from_millis(2) };
    let outcome = apply_binding(&store, &change, true, &t.journal, backoff).await.expect("applied");
    assert_eq!(outcome.attempts, 2);
    let now = store.policy(&project());
    assert!(now.has_member("roles/storage.objectViewer", MEMBER, None));
    assert!(now.has_member("roles/viewer", "user:bo@example.com", None));
    assert_eq!(
        statuses(&t),
        [
            (JournalAction::AddBinding, ChangeStatus::NotApplied),
            (JournalAction::AddBinding, ChangeStatus::Applied)
        ]
    );

    // Undo after yet another grant by someone else: ours goes, theirs stay.
    store.set_by_someone_else(&project(), &now.add_member("roles/editor", "user:cy@example.com", None));
    let plan = undo::plan_gcp(&store, &t.journal, outcome.journal_id.as_deref()).await.expect("plan");
    assert!(
        plan.kept.iter().any(|k| k.starts_with("user:cy@example.com keeps roles/editor")),
        "{:?}",
        plan.kept
    );
    undo::apply_gcp(&store, &t.journal, &plan, backoff).await.expect("undone");
    let after = store.policy(&project());
    assert!(!after.has_member("roles/storage.objectViewer", MEMBER, None));
    assert!(after.has_member("roles/viewer", "user:bo@example.com", None));
    assert!(after.has_member("roles/editor", "user:cy@example.com", None));
}

#[tokio::test]
async fn a_hand_edited_policy_is_undone_surgically_on_top_of_later_grants() {
    use crate::gcp::binding_change::plan_policy_document;
    let t = TempJournal::new();
    let start = policy(serde_json::json!([{"role": "roles/viewer", "members": ["user:ann@example.com"]}]));
    let store = MemoryPolicies::watching(&t.journal).with_policy(&project(), &start);
    // The edit: Ann moves from viewer to editor.
    let edit = policy(serde_json::json!([{"role": "roles/editor", "members": ["user:ann@example.com"]}]));
    let change = plan_policy_document(&store, &project(), &edit, None).await.expect("plan");
    let backoff = Backoff::ONCE;
    let outcome = apply_binding(&store, &change, true, &t.journal, backoff).await.expect("applied");
    assert_eq!(t.journal.entries().expect("read")[0].action, JournalAction::SetPolicy);

    let later = store.policy(&project()).add_member("roles/browser", "user:cy@example.com", None);
    store.set_by_someone_else(&project(), &later);
    let plan = undo::plan_gcp(&store, &t.journal, outcome.journal_id.as_deref()).await.expect("plan");
    undo::apply_gcp(&store, &t.journal, &plan, backoff).await.expect("undone");
    let now = store.policy(&project());
    assert!(now.has_member("roles/viewer", "user:ann@example.com", None));
    assert!(!now.has_member("roles/editor", "user:ann@example.com", None));
    assert!(now.has_member("roles/browser", "user:cy@example.com", None));

    // Undoing an edit whose grant someone removed since is refused, naming it.
    let t2 = TempJournal::new();
    let store = MemoryPolicies::watching(&t2.journal).with_policy(&project(), &start);
    let change = plan_policy_document(&store, &project(), &edit, None).await.expect("plan");
    let outcome = apply_binding(&store, &change, true, &t2.journal, backoff).await.expect("applied");
    store.set_by_someone_else(&project(), &policy(serde_json::json!([])));
    let err = undo::plan_gcp(&store, &t2.journal, outcome.journal_id.as_deref()).await.expect_err("gone");
    assert_eq!(err.code(), "remote_changed");
    assert!(err.to_string().contains("user:ann@example.com as roles/editor"), "{err}");
}

#[tokio::test]
async fn undo_of_a_hand_edit_refuses_on_top_of_later_edits_and_says_why() {
    use crate::aws::trust_change::plan_trust_document;
    let t = TempJournal::new();
    let store = MemoryRoles::watching(&t.journal).with_role("data", &trusting(&[A]));
    // A hand edit that adds a whole statement, not just a principal.
    let edited = trusting(&[A]).add_statement(serde_json::json!({
        "Effect": "Allow", "Principal": {"Service": "ec2.amazonaws.com"}, "Action": "sts:AssumeRole"
    }));
    let change =
        plan_trust_document(&store, "data", &edited, None, DEFAULT_TRUST_POLICY_QUOTA).await.expect("plan");
    let outcome = apply_trust_change_with(&store, &change, true, &t.journal, fast()).await.expect("applied");
    // Unchanged since: the undo simply restores the earlier document.
    let plan = undo::plan_aws(&store, &t.journal, outcome.journal_id.as_deref()).await.expect("plan");
    assert!(plan.changed);
    // Someone else edits afterwards: a hand edit cannot be taken out surgically.
    let later = store.policy("data").expect("role").add_principals(&[arn(C)]);
    store.roles.borrow_mut().insert("data".into(), later.clone());
    let err = undo::plan_aws(&store, &t.journal, outcome.journal_id.as_deref()).await.expect_err("refused");
    assert_eq!(err.code(), "refused");
    assert!(err.to_string().contains("edited more than the Deployments it trusts"), "{err}");
    let err = undo::apply_aws(&store, &t.journal, &plan).await.expect_err("the shown undo is stale");
    assert_eq!(err.code(), "refused");
    assert!(store.policy("data").expect("role").semantically_equal(&later), "nothing written");
}

#[tokio::test]
async fn undo_of_a_policy_edit_that_changed_more_than_grants_refuses_once_moved() {
    use crate::gcp::binding_change::plan_policy_document;
    let t = TempJournal::new();
    let start = policy(serde_json::json!([{"role": "roles/viewer", "members": ["user:ann@example.com"]}]));
    let store = MemoryPolicies::watching(&t.journal).with_policy(&project(), &start);
    let mut audited = start.as_value().clone();
    audited["auditConfigs"] =
        serde_json::json!([{"service": "allServices", "auditLogConfigs": [{"logType": "DATA_READ"}]}]);
    let edit = IamPolicy::from_value(audited).expect("valid");
    let change = plan_policy_document(&store, &project(), &edit, None).await.expect("plan");
    let outcome = apply_binding(&store, &change, true, &t.journal, Backoff::ONCE).await.expect("applied");
    let later = store.policy(&project()).add_member("roles/browser", "user:cy@example.com", None);
    store.set_by_someone_else(&project(), &later);
    let err = undo::plan_gcp(&store, &t.journal, outcome.journal_id.as_deref()).await.expect_err("refused");
    assert_eq!(err.code(), "refused");
    assert!(err.to_string().contains("changed more than its grants"), "{err}");
    assert!(store.policy(&project()).semantically_equal(&later), "nothing written");
}
