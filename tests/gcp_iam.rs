//! The GCP grant flow through the official google-cloud crates against the REST wire fake.

use std::sync::Arc;
use std::time::Duration;

use serde_json::{Value, json};

use astro_identity_cloud::CloudError;
use astro_identity_cloud::gcp::PolicyResource;
use astro_identity_cloud::gcp::{
    Backoff, GcpCredentialSource, GcpProjects, GcpTarget, PolicyStore, apply_binding, plan_binding,
    plan_grant,
};
use astro_identity_cloud::journal::Journal;
use astro_identity_cloud::undo::{self, undo_binding};
use astro_identity_domain::diff::DiffKind;
use astro_identity_domain::gcp::catalog::TOKEN_CREATOR_ROLE;
use astro_identity_domain::gcp::iam_policy::{Condition, IamPolicy};
use astro_identity_domain::gcp::identity::{ProjectId, ServiceAccountEmail};
use astro_identity_tests::Error;
use astro_identity_tests::gcp_fake::GcpFake;

const ASTRO: &str = "serviceAccount:astro-fiery-nebula-1234@astronomer-prod.iam.gserviceaccount.com";
const FAST: Backoff =
    Backoff { attempts: 5, first_delay: Duration::from_millis(5), max_delay: Duration::from_millis(40) };

struct Ctx {
    fake: GcpFake,
    projects: GcpProjects,
    journal: Journal,
    _data: tempfile::TempDir,
}

async fn ctx() -> Result<Ctx, Error> {
    let fake = GcpFake::start()?;
    let target = GcpTarget { source: GcpCredentialSource::Anonymous, endpoint: Some(fake.url.clone()) };
    let projects = GcpProjects::connect(&target, None).await?;
    let data = tempfile::tempdir()?;
    Ok(Ctx { fake, projects, journal: Journal::in_dir(data.path()), _data: data })
}

fn project(id: &str) -> PolicyResource {
    PolicyResource::project(&ProjectId::parse(id).expect("valid project id"))
}

fn corpus(name: &str) -> Value {
    let path = format!("{}/testdata/corpus/gcp-policy/{name}", env!("CARGO_MANIFEST_DIR"));
    serde_json::from_str(&std::fs::read_to_string(path).expect("corpus file")).expect("json")
}

fn members_of(policy: &Value, role: &str) -> Vec<String> {
    policy["bindings"]
        .as_array()
        .into_iter()
        .flatten()
        .filter(|b| b["role"] == role && b.get("condition").is_none())
        .flat_map(|b| {
            b["members"].as_array().into_iter().flatten().filter_map(|m| m.as_str().map(str::to_owned))
        })
        .collect()
}

#[tokio::test]
async fn several_deployments_are_granted_in_one_write_and_undone_together() -> Result<(), Error> {
    let ctx = ctx().await?;
    let original = corpus("03-c7n-project-bindings-auditconfigs-allservices.json");
    ctx.fake.seed("multi-project", original.clone());
    let p = project("multi-project");
    let members: Vec<String> = ["fiery-nebula-1234", "quiet-star-5678", "bright-moon-9012"]
        .iter()
        .map(|ns| format!("serviceAccount:astro-{ns}@astronomer-prod.iam.gserviceaccount.com"))
        .collect();
    let change = plan_grant(&ctx.projects, &p, "roles/bigquery.jobUser", &members, None, None).await?;
    assert_eq!(change.plan.added.len(), 3);
    let outcome = apply_binding(&ctx.projects, &change, false, &ctx.journal, FAST).await?;
    assert!(outcome.written && outcome.verified);
    let writes = ctx.fake.seen().iter().filter(|r| r.path.ends_with(":setIamPolicy")).count();
    assert_eq!(writes, 1, "one etag-safe write for every member");
    let stored = ctx.fake.policy("multi-project").ok_or("project gone")?;
    let granted = members_of(&stored, "roles/bigquery.jobUser");
    assert!(members.iter().all(|m| granted.contains(m)), "{granted:?}");
    for binding in original["bindings"].as_array().ok_or("bindings")? {
        assert!(stored["bindings"].as_array().ok_or("bindings")?.contains(binding), "lost {binding}");
    }
    let entries = ctx.journal.entries()?;
    assert_eq!(entries.len(), 1, "one journal entry for the one write");
    assert!(
        astro_identity_cloud::history::summary(&entries[0])
            .contains(&format!("{} and {}", members[1], members[2]))
    );

    // Someone else grants the same role to another member; the undo removes exactly ours.
    let theirs = "user:analyst@example.com";
    ctx.fake.edit("multi-project", |policy| {
        if let Some(bindings) = policy["bindings"].as_array_mut() {
            bindings.push(json!({"role": "roles/bigquery.jobUser", "members": [theirs]}));
        }
    });
    undo_binding(&ctx.projects, &ctx.journal, outcome.journal_id.as_deref(), FAST).await?;
    let after = ctx.fake.policy("multi-project").ok_or("project gone")?;
    let left = members_of(&after, "roles/bigquery.jobUser");
    assert!(members.iter().all(|m| !left.contains(m)), "{left:?}");
    assert!(left.contains(&theirs.to_owned()), "the later writer's member is kept");

    // No member at all is refused before any read.
    let before = ctx.fake.seen().len();
    match plan_grant(&ctx.projects, &p, "roles/bigquery.jobUser", &[], None, None).await {
        Err(err) => assert_eq!(err.code(), "refused"),
        Ok(_) => return Err("an empty grant was planned".into()),
    }
    assert_eq!(ctx.fake.seen().len(), before);
    Ok(())
}

#[tokio::test]
async fn grants_a_role_keeping_every_other_binding_and_speaks_the_wire_format() -> Result<(), Error> {
    let ctx = ctx().await?;
    let original = corpus("03-c7n-project-bindings-auditconfigs-allservices.json");
    ctx.fake.seed("data-project", original.clone());
    let p = project("data-project");

    let change = plan_binding(&ctx.projects, &p, "roles/bigquery.jobUser", ASTRO, None, None).await?;
    assert!(change.plan.changed && !change.plan.blocked);
    assert_eq!(
        ctx.fake.seen().iter().filter(|r| r.path.ends_with(":setIamPolicy")).count(),
        0,
        "plan writes nothing"
    );

    let outcome = apply_binding(&ctx.projects, &change, false, &ctx.journal, FAST).await?;
    assert!(outcome.written && outcome.verified);
    assert_eq!(outcome.attempts, 1);
    let stored = ctx.fake.policy("data-project").ok_or("project gone")?;
    assert!(members_of(&stored, "roles/bigquery.jobUser").contains(&ASTRO.to_owned()));
    // Every original binding and the audit configs are still there.
    for binding in original["bindings"].as_array().ok_or("bindings")? {
        assert!(stored["bindings"].as_array().ok_or("bindings")?.contains(binding), "lost {binding}");
    }
    assert_eq!(stored["auditConfigs"], original["auditConfigs"]);
    assert_eq!(ctx.journal.entries()?.len(), 1);

    // The wire format of FACTS.md: $alt, no auth header (anonymous), v3 reads, etag'd writes.
    let seen = ctx.fake.seen();
    assert!(
        seen.iter().all(|r| r.query.contains("%24alt=json%3Benum-encoding%3Dint")
            || r.query.contains("$alt=json;enum-encoding=int")),
        "{:?}",
        seen.iter().map(|r| &r.query).collect::<Vec<_>>()
    );
    assert!(seen.iter().all(|r| r.authorization.is_none()));
    for read in seen.iter().filter(|r| r.path.ends_with(":getIamPolicy")) {
        assert_eq!(read.body["options"]["requestedPolicyVersion"], 3);
    }
    let writes: Vec<_> = seen.iter().filter(|r| r.path.ends_with(":setIamPolicy")).collect();
    assert_eq!(writes.len(), 1);
    assert!(writes[0].body["policy"]["etag"].is_string(), "never write without the etag");
    assert_eq!(writes[0].body["updateMask"], "bindings,etag");

    // Again: nothing to do, nothing written.
    let again = plan_binding(&ctx.projects, &p, "roles/bigquery.jobUser", ASTRO, None, None).await?;
    assert!(!again.plan.changed);
    assert!(!apply_binding(&ctx.projects, &again, false, &ctx.journal, FAST).await?.written);
    Ok(())
}

#[tokio::test]
async fn a_conditional_grant_writes_version_3_and_keeps_existing_conditions() -> Result<(), Error> {
    let ctx = ctx().await?;
    let original = corpus("01-google-api-policy-example-v3-condition.json");
    ctx.fake.seed("p-conditions", original.clone());
    let p = project("p-conditions");
    let condition =
        Condition::new("until-2027", Some("Expires"), "request.time < timestamp('2027-01-01T00:00:00Z')")?;
    let change =
        plan_binding(&ctx.projects, &p, "roles/storage.objectViewer", ASTRO, Some(&condition), None).await?;
    apply_binding(&ctx.projects, &change, false, &ctx.journal, FAST).await?;
    let write = ctx.fake.seen().into_iter().find(|r| r.path.ends_with(":setIamPolicy")).ok_or("no write")?;
    assert_eq!(write.body["policy"]["version"], 3);
    let stored = ctx.fake.policy("p-conditions").ok_or("gone")?;
    let conditions: Vec<&Value> =
        stored["bindings"].as_array().ok_or("bindings")?.iter().filter_map(|b| b.get("condition")).collect();
    assert_eq!(conditions.len(), 2, "the old condition and ours: {stored}");
    assert!(conditions.contains(&&original["bindings"][1]["condition"]));
    Ok(())
}

#[tokio::test]
async fn conflicts_are_retried_and_bounded() -> Result<(), Error> {
    let ctx = ctx().await?;
    ctx.fake.seed(
        "busy-project",
        json!({"bindings": [{"role": "roles/viewer", "members": ["user:ada@example.com"]}]}),
    );
    let p = project("busy-project");
    let change = plan_binding(&ctx.projects, &p, "roles/bigquery.jobUser", ASTRO, None, None).await?;

    ctx.fake.fail_next(":setIamPolicy", 409, 2);
    let outcome = apply_binding(&ctx.projects, &change, false, &ctx.journal, FAST).await?;
    assert_eq!(outcome.attempts, 3);
    assert!(
        members_of(&ctx.fake.policy("busy-project").ok_or("gone")?, "roles/bigquery.jobUser")
            .contains(&ASTRO.to_owned())
    );

    // Conflicts that never stop: a clear error after the bounded attempts, policy untouched.
    let other = "serviceAccount:astro-other-5678@astronomer-prod.iam.gserviceaccount.com";
    let change = plan_binding(&ctx.projects, &p, "roles/bigquery.jobUser", other, None, None).await?;
    let before = ctx.fake.policy("busy-project");
    ctx.fake.fail_next(":setIamPolicy", 409, 100);
    match apply_binding(&ctx.projects, &change, false, &ctx.journal, FAST).await {
        Err(err @ CloudError::Conflict { .. }) => assert_eq!(err.code(), "conflict"),
        other => return Err(format!("expected Conflict, got {other:?}").into()),
    }
    assert_eq!(ctx.fake.policy("busy-project"), before);

    // A 503 is a clear error, never a partial policy.
    ctx.fake.clear_faults();
    ctx.fake.fail_next(":setIamPolicy", 503, 1);
    let change = plan_binding(&ctx.projects, &p, "roles/bigquery.jobUser", other, None, None).await?;
    match apply_binding(&ctx.projects, &change, false, &ctx.journal, FAST).await {
        Err(err @ CloudError::Unreachable { .. }) => {
            assert!(err.to_string().contains("injected failure"), "{err}")
        }
        other => return Err(format!("expected Unreachable, got {other:?}").into()),
    }
    assert_eq!(ctx.fake.policy("busy-project"), before);
    Ok(())
}

#[tokio::test]
async fn fifty_concurrent_grants_all_land_and_nothing_is_lost() -> Result<(), Error> {
    let ctx = Arc::new(ctx().await?);
    let original = corpus("01-google-api-policy-example-v3-condition.json");
    ctx.fake.seed("crowded", original.clone());
    let backoff =
        Backoff { attempts: 60, first_delay: Duration::from_millis(2), max_delay: Duration::from_millis(60) };
    let mut tasks = Vec::new();
    for i in 0..50 {
        let ctx = ctx.clone();
        tasks.push(tokio::spawn(async move {
            let member =
                format!("serviceAccount:astro-deployment-{i:04}@astronomer-prod.iam.gserviceaccount.com");
            let p = project("crowded");
            let change =
                plan_binding(&ctx.projects, &p, "roles/bigquery.jobUser", &member, None, None).await?;
            apply_binding(&ctx.projects, &change, false, &ctx.journal, backoff).await
        }));
    }
    let mut attempts = 0;
    for task in tasks {
        attempts += task.await??.attempts;
    }
    let stored = ctx.fake.policy("crowded").ok_or("gone")?;
    let members = members_of(&stored, "roles/bigquery.jobUser");
    assert_eq!(members.len(), 50, "{members:?}");
    for binding in original["bindings"].as_array().ok_or("bindings")? {
        assert!(stored["bindings"].as_array().ok_or("bindings")?.contains(binding), "lost {binding}");
    }
    assert!((50..=50 * 60).contains(&attempts), "attempts {attempts}");
    Ok(())
}

#[tokio::test]
async fn undo_removes_only_our_member_and_refuses_when_it_is_gone() -> Result<(), Error> {
    let ctx = ctx().await?;
    let original = corpus("01-google-api-policy-example-v3-condition.json");
    ctx.fake.seed("undo-me", original.clone());
    let p = project("undo-me");
    let change = plan_binding(&ctx.projects, &p, "roles/bigquery.jobUser", ASTRO, None, None).await?;
    apply_binding(&ctx.projects, &change, false, &ctx.journal, FAST).await?;
    // Someone else adds a binding meanwhile: undo must keep it.
    ctx.fake.edit("undo-me", |policy| {
        if let Some(list) = policy["bindings"].as_array_mut() {
            list.push(json!({"role": "roles/logging.viewer", "members": ["user:bob@example.com"]}));
        }
    });
    // The undo is shown as a diff first: our member goes, bob's binding is kept.
    let plan = undo::plan_gcp(&ctx.projects, &ctx.journal, None).await?;
    let removed: Vec<&str> =
        plan.diff.iter().filter(|l| l.kind == DiffKind::Removed).map(|l| l.text.as_str()).collect();
    assert!(removed.iter().any(|l| l.contains(ASTRO)), "{removed:?}");
    assert!(!removed.iter().any(|l| l.contains("bob@example.com")), "{removed:?}");
    assert!(
        plan.kept.contains(&String::from(
            "user:bob@example.com keeps roles/logging.viewer (granted since by someone else)"
        )),
        "{:?}",
        plan.kept
    );
    undo::apply_gcp(&ctx.projects, &ctx.journal, &plan, FAST).await?;
    let stored = ctx.fake.policy("undo-me").ok_or("gone")?;
    assert!(members_of(&stored, "roles/bigquery.jobUser").is_empty());
    assert_eq!(members_of(&stored, "roles/logging.viewer"), ["user:bob@example.com"]);
    let restored = IamPolicy::from_value(stored.clone())?;
    let mut expected = original.clone();
    if let Some(list) = expected["bindings"].as_array_mut() {
        list.push(json!({"role": "roles/logging.viewer", "members": ["user:bob@example.com"]}));
    }
    assert!(restored.semantically_equal(&IamPolicy::from_value(expected)?), "{stored}");

    // Grant again, then someone removes it: undo refuses instead of guessing.
    let change = plan_binding(&ctx.projects, &p, "roles/bigquery.jobUser", ASTRO, None, None).await?;
    apply_binding(&ctx.projects, &change, false, &ctx.journal, FAST).await?;
    ctx.fake.edit("undo-me", |policy| {
        if let Some(list) = policy["bindings"].as_array_mut() {
            list.retain(|b| b["role"] != "roles/bigquery.jobUser");
        }
    });
    match undo_binding(&ctx.projects, &ctx.journal, None, FAST).await {
        Err(CloudError::RemoteChanged { .. }) => Ok(()),
        other => Err(format!("expected RemoteChanged, got {other:?}").into()),
    }
}

#[tokio::test]
async fn undoing_a_hand_edit_restores_what_it_removed_and_keeps_later_grants() -> Result<(), Error> {
    use astro_identity_cloud::gcp::plan_policy_document;

    let ctx = ctx().await?;
    let original = corpus("01-google-api-policy-example-v3-condition.json");
    ctx.fake.seed("surgical", original.clone());
    let p = project("surgical");
    // The edit removes the conditional binding.
    let mut edited = original.clone();
    if let Some(list) = edited["bindings"].as_array_mut() {
        list.retain(|b| b.get("condition").is_none());
    }
    let change = plan_policy_document(&ctx.projects, &p, &IamPolicy::from_value(edited)?, None).await?;
    let outcome = apply_binding(&ctx.projects, &change, true, &ctx.journal, FAST).await?;
    // Someone else grants bob afterwards.
    ctx.fake.edit("surgical", |policy| {
        if let Some(list) = policy["bindings"].as_array_mut() {
            list.push(json!({"role": "roles/logging.viewer", "members": ["user:bob@example.com"]}));
        }
    });
    let plan = undo::plan_gcp(&ctx.projects, &ctx.journal, outcome.journal_id.as_deref()).await?;
    assert!(plan.changed);
    assert!(
        plan.diff.iter().any(|l| l.kind == DiffKind::Added && l.text.contains("expirable")),
        "{:?}",
        plan.diff
    );
    undo::apply_gcp(&ctx.projects, &ctx.journal, &plan, FAST).await?;
    let mut expected = original.clone();
    if let Some(list) = expected["bindings"].as_array_mut() {
        list.push(json!({"role": "roles/logging.viewer", "members": ["user:bob@example.com"]}));
    }
    let stored = ctx.fake.policy("surgical").ok_or("gone")?;
    assert!(
        IamPolicy::from_value(stored.clone())?.semantically_equal(&IamPolicy::from_value(expected)?),
        "{stored}"
    );
    Ok(())
}

#[tokio::test]
async fn denied_callers_and_refused_policies_get_clear_errors() -> Result<(), Error> {
    let ctx = ctx().await?;
    ctx.fake.seed("locked-project", json!({"bindings": []}));
    ctx.fake.deny("locked-project");
    match plan_binding(&ctx.projects, &project("locked-project"), "roles/bigquery.jobUser", ASTRO, None, None)
        .await
    {
        Err(err @ CloudError::AccessDenied { .. }) => {
            assert_eq!(
                err.to_string(),
                "access denied: resourcemanager.projects.getIamPolicy on projects/locked-project"
            );
            assert!(err.hint().contains("resourcemanager.projects.getIamPolicy"));
        }
        other => return Err(format!("expected AccessDenied, got {other:?}").into()),
    }

    // 1,500 principals: the app's own lint refuses before anything is sent.
    let many: Vec<String> = (0..1500).map(|i| format!("user:u{i}@example.com")).collect();
    ctx.fake.seed("full-project", json!({"bindings": [{"role": "roles/viewer", "members": many}]}));
    let change =
        plan_binding(&ctx.projects, &project("full-project"), "roles/bigquery.jobUser", ASTRO, None, None)
            .await?;
    assert!(change.plan.blocked);
    match apply_binding(&ctx.projects, &change, true, &ctx.journal, FAST).await {
        Err(CloudError::Refused { .. }) => {}
        other => return Err(format!("expected Refused, got {other:?}").into()),
    }
    assert_eq!(ctx.fake.seen().iter().filter(|r| r.path.ends_with(":setIamPolicy")).count(), 0);
    // And the server's own 400 is translated, should anything slip through.
    let over = IamPolicy::from_value(ctx.fake.policy("full-project").ok_or("gone")?)?.add_member(
        "roles/bigquery.jobUser",
        ASTRO,
        None,
    );
    match ctx.projects.set_policy(&project("full-project"), &over).await {
        Err(CloudError::MalformedPolicy { detail }) => assert!(detail.contains("1501"), "{detail}"),
        other => return Err(format!("expected MalformedPolicy, got {other:?}").into()),
    }
    Ok(())
}

#[tokio::test]
async fn the_impersonation_route_grants_token_creator_on_a_service_account() -> Result<(), Error> {
    let ctx = ctx().await?;
    let runner = "etl-runner@astro-data.iam.gserviceaccount.com";
    ctx.fake.seed_service_account(
        runner,
        json!({"bindings": [{"role": "roles/iam.serviceAccountUser", "members": ["user:ada@example.com"]}]}),
    );
    let resource = PolicyResource::service_account(&ServiceAccountEmail::parse(runner)?);
    let change = plan_binding(&ctx.projects, &resource, TOKEN_CREATOR_ROLE, ASTRO, None, None).await?;
    assert!(
        change.console_url.contains("iam-admin/serviceaccounts?project=astro-data"),
        "{}",
        change.console_url
    );
    apply_binding(&ctx.projects, &change, false, &ctx.journal, FAST).await?;
    let stored = ctx.fake.service_account_policy(runner).ok_or("account gone")?;
    assert_eq!(members_of(&stored, TOKEN_CREATOR_ROLE), [ASTRO]);
    assert_eq!(members_of(&stored, "roles/iam.serviceAccountUser"), ["user:ada@example.com"]);
    let reads: Vec<_> = ctx
        .fake
        .seen()
        .into_iter()
        .filter(|r| r.path.contains("/serviceAccounts/") && r.path.ends_with(":getIamPolicy"))
        .collect();
    assert!(
        reads.iter().all(|r| r.query.contains("options.requestedPolicyVersion=3")),
        "{:?}",
        reads.iter().map(|r| &r.query).collect::<Vec<_>>()
    );

    undo_binding(&ctx.projects, &ctx.journal, None, FAST).await?;
    assert!(
        members_of(&ctx.fake.service_account_policy(runner).ok_or("gone")?, TOKEN_CREATOR_ROLE).is_empty()
    );
    Ok(())
}

#[tokio::test]
async fn lists_the_roles_grantable_on_a_project() -> Result<(), Error> {
    let ctx = ctx().await?;
    let roles = ctx.projects.grantable_roles(&ProjectId::parse("astro-data")?).await?;
    let names: Vec<&str> = roles.iter().map(|r| r.name.as_str()).collect();
    assert_eq!(names, ["roles/bigquery.dataViewer", "roles/bigquery.jobUser", "roles/storage.objectViewer"]);
    let query = ctx
        .fake
        .seen()
        .into_iter()
        .find(|r| r.path == "/v1/roles:queryGrantableRoles")
        .ok_or("not called")?;
    assert_eq!(query.body["fullResourceName"], "//cloudresourcemanager.googleapis.com/projects/astro-data");
    Ok(())
}

#[tokio::test]
async fn a_hand_edited_policy_applies_only_onto_the_policy_it_was_made_from() -> Result<(), Error> {
    use astro_identity_cloud::gcp::plan_policy_document;

    let ctx = ctx().await?;
    let original = corpus("01-google-api-policy-example-v3-condition.json");
    ctx.fake.seed("edit-me", original.clone());
    let p = project("edit-me");
    // The editor started from an earlier read and removed eve's conditional binding.
    let mut edited = original.clone();
    if let Some(list) = edited["bindings"].as_array_mut() {
        list.retain(|b| b.get("condition").is_none());
    }
    let change =
        plan_policy_document(&ctx.projects, &p, &IamPolicy::from_value(edited.clone())?, None).await?;
    assert!(change.plan.changed && change.plan.role.is_empty());
    let outcome = apply_binding(&ctx.projects, &change, true, &ctx.journal, FAST).await?;
    assert!(outcome.written && outcome.verified);
    let stored = ctx.fake.policy("edit-me").ok_or("gone")?;
    assert!(IamPolicy::from_value(stored)?.semantically_equal(&IamPolicy::from_value(edited)?));

    // Undo writes the earlier policy back, conditions and all.
    undo_binding(&ctx.projects, &ctx.journal, None, FAST).await?;
    let restored = ctx.fake.policy("edit-me").ok_or("gone")?;
    assert!(IamPolicy::from_value(restored)?.semantically_equal(&IamPolicy::from_value(original.clone())?));

    // A change by someone else between plan and apply: refused, theirs kept.
    let change =
        plan_policy_document(&ctx.projects, &p, &IamPolicy::from_value(json!({"bindings": []}))?, None)
            .await?;
    ctx.fake.edit("edit-me", |policy| {
        if let Some(list) = policy["bindings"].as_array_mut() {
            list.push(json!({"role": "roles/logging.viewer", "members": ["user:bob@example.com"]}));
        }
    });
    match apply_binding(&ctx.projects, &change, true, &ctx.journal, FAST).await {
        Err(CloudError::RemoteChanged { .. }) => {}
        other => return Err(format!("expected RemoteChanged, got {other:?}").into()),
    }
    assert_eq!(
        members_of(&ctx.fake.policy("edit-me").ok_or("gone")?, "roles/logging.viewer"),
        ["user:bob@example.com"]
    );
    Ok(())
}
