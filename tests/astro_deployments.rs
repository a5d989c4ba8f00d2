//! The Astro API client against the Astro API fake: every page, filters, the token's
//! organizations, and each failure a user meets (bad token, another organization's
//! token, throttling, outages, unknown ids, a Deployment without an identity).

use std::time::Duration;

use astro_identity_cloud::CloudError;
use astro_identity_cloud::astro::{AstroClient, DeploymentFilter, PAGE_SIZE};
use astro_identity_cloud::backoff::Backoff;
use astro_identity_domain::Sensitive;
use astro_identity_domain::astro::CloudProvider;
use astro_identity_tests::Error;
use astro_identity_tests::astro_fake::{AstroFake, deployment};

const ORG: &str = "clorgacme";
const TOKEN: &str = "astro-token-deployments-1";

/// 130 Deployments (more than one page) over two Workspaces and three clouds.
fn fake() -> Result<AstroFake, Error> {
    let fake = AstroFake::start(ORG, TOKEN)?;
    fake.add_workspace(ORG, "clwsdata", "Data");
    fake.add_workspace(ORG, "clwsml", "ML");
    for i in 0..130 {
        let cloud = ["AWS", "GCP", "AZURE"][i % 3];
        let workspace = if i % 2 == 0 { "clwsdata" } else { "clwsml" };
        fake.add_deployment(deployment(ORG, workspace, &format!("cldep{i:04}"), &format!("etl {i}"), cloud));
    }
    Ok(fake)
}

fn client(fake: &AstroFake, token: &str) -> Result<AstroClient, Error> {
    Ok(AstroClient::new(Sensitive::new(token.to_owned()))?.with_base_url(&fake.url)?.with_backoff(Backoff {
        attempts: 3,
        first_delay: Duration::from_millis(10),
        max_delay: Duration::from_millis(40),
    }))
}

fn expect_err<T: std::fmt::Debug>(result: Result<T, CloudError>, code: &str) -> Result<CloudError, Error> {
    match result {
        Err(err) if err.code() == code => Ok(err),
        other => Err(format!("expected a {code} error, got {other:?}").into()),
    }
}

#[tokio::test]
async fn every_page_is_read_with_progress_and_identities() -> Result<(), Error> {
    let fake = fake()?;
    let astro = client(&fake, TOKEN)?;
    let mut progress = Vec::new();
    let all = astro
        .deployments(ORG, &DeploymentFilter::default(), |loaded, total| progress.push((loaded, total)))
        .await?;
    assert_eq!(all.len(), 130);
    assert_eq!(progress, vec![(PAGE_SIZE, 130), (130, 130)]);
    let first = &all[0];
    assert_eq!(first.id, "cldep0000");
    assert_eq!(first.cloud_provider, CloudProvider::Aws);
    assert_eq!(first.workload_identity.as_deref(), Some("arn:aws:iam::123456789012:role/astro-etl-0-0000"));
    assert!(!first.customer_managed);
    assert_eq!(first.namespace, "etl-0-0000");
    assert_eq!(first.oidc_issuer_url.as_deref(), Some("https://oidc.astronomer.io/aws"));
    assert_eq!(all[1].cloud_provider, CloudProvider::Gcp);
    assert_eq!(all[2].cloud_provider, CloudProvider::Azure);
    assert!(all[2].workload_identity.is_none(), "the Azure one has no identity here");
    let err = all[2].aws_identity().expect_err("no identity");
    assert!(err.to_string().contains("runs on Azure"), "{err}");
    // Pages were asked for with offset and limit, with the token.
    let lists: Vec<String> =
        fake.seen().iter().filter(|r| r.path.ends_with("/deployments")).map(|r| r.query.clone()).collect();
    assert_eq!(
        lists,
        vec![format!("offset=0&limit={PAGE_SIZE}"), format!("offset={PAGE_SIZE}&limit={PAGE_SIZE}")]
    );
    assert!(fake.seen().iter().all(|r| r.authorization.as_deref() == Some(&format!("Bearer {TOKEN}"))));
    Ok(())
}

#[tokio::test]
async fn workspace_and_id_filters_reach_the_server() -> Result<(), Error> {
    let fake = fake()?;
    let astro = client(&fake, TOKEN)?;
    let filter = DeploymentFilter { workspace_ids: vec![String::from("clwsml")], deployment_ids: vec![] };
    let ml = astro.deployments(ORG, &filter, |_, _| {}).await?;
    assert_eq!(ml.len(), 65);
    assert!(ml.iter().all(|d| d.workspace_id == "clwsml"));
    let page = astro.deployment_page(ORG, &filter, 60).await?;
    assert_eq!((page.offset, page.total_count, page.next_offset, page.deployments.len()), (60, 65, None, 5));
    let filter = DeploymentFilter {
        workspace_ids: vec![String::from("clwsdata"), String::from("clwsml")],
        deployment_ids: vec![String::from("cldep0003"), String::from("cldep0004")],
    };
    let two = astro.deployments(ORG, &filter, |_, _| {}).await?;
    assert_eq!(two.iter().map(|d| d.id.as_str()).collect::<Vec<_>>(), ["cldep0003", "cldep0004"]);
    let query = fake.seen().last().map(|r| r.query.clone()).unwrap_or_default();
    assert!(query.contains("workspaceIds=clwsdata&workspaceIds=clwsml"), "{query}");
    // A filter value that is not an id never reaches the server.
    let before = fake.seen().len();
    let bad = DeploymentFilter { workspace_ids: vec![String::from("a&b=c")], deployment_ids: vec![] };
    expect_err(astro.deployments(ORG, &bad, |_, _| {}).await, "invalid_input")?;
    assert_eq!(fake.seen().len(), before);
    Ok(())
}

#[tokio::test]
async fn ids_resolve_to_deployments_with_workspace_names() -> Result<(), Error> {
    let fake = fake()?;
    let astro = client(&fake, TOKEN)?;
    let found = astro.resolve(ORG, &[String::from("cldep0001"), String::from(" cldep0000 ")]).await?;
    assert_eq!(found.iter().map(|d| d.id.as_str()).collect::<Vec<_>>(), ["cldep0001", "cldep0000"]);
    assert_eq!(found[0].workspace_name.as_deref(), Some("ML"));
    assert_eq!(found[1].workspace_name.as_deref(), Some("Data"));
    let gcp = found[0].gcp_identity()?;
    assert_eq!(gcp.as_str(), "astro-etl-1-0001@astronomer-prod.iam.gserviceaccount.com");
    let err = expect_err(astro.resolve(ORG, &[String::from("cldepmissing")]).await, "not_found")?;
    assert!(err.to_string().contains("Deployment cldepmissing in organization clorgacme"), "{err}");
    expect_err(astro.resolve(ORG, &[String::from("../etc")]).await, "invalid_input")?;
    Ok(())
}

#[tokio::test]
async fn a_bad_token_is_a_credentials_error_that_never_shows_the_token() -> Result<(), Error> {
    let fake = fake()?;
    let astro = client(&fake, "expired-token-xyz")?;
    let err = expect_err(astro.organizations().await, "credentials")?;
    assert!(err.to_string().contains("HTTP 401"), "{err}");
    assert!(err.hint().contains("API Tokens"), "{}", err.hint());
    assert!(!format!("{err} {} {err:?}", err.hint()).contains("expired-token-xyz"));
    expect_err(astro.deployments(ORG, &DeploymentFilter::default(), |_, _| {}).await, "credentials")?;
    Ok(())
}

#[tokio::test]
async fn another_organizations_token_says_which_organization_it_belongs_to() -> Result<(), Error> {
    let fake = fake()?;
    fake.add_organization("clorgother", "Other Co", "other-token");
    let other = client(&fake, "other-token")?;
    let err =
        expect_err(other.deployments(ORG, &DeploymentFilter::default(), |_, _| {}).await, "access_denied")?;
    let text = err.to_string();
    assert!(text.contains("organization clorgacme"), "{text}");
    assert!(text.contains("the token belongs to organization Other Co (clorgother)"), "{text}");
    let err = expect_err(other.organization(Some(ORG)).await, "access_denied")?;
    assert!(err.to_string().contains("Other Co (clorgother)"), "{err}");
    assert_eq!(other.organization(None).await?.name, "Other Co");

    // A token that sees two organizations must be told which one.
    fake.add_organization("clorgsecond", "Second", TOKEN);
    let both = client(&fake, TOKEN)?;
    let err = expect_err(both.organization(None).await, "refused")?;
    assert!(err.to_string().contains("sees 2 organizations"), "{err}");
    assert!(err.hint().contains("Org clorgacme (clorgacme), Second (clorgsecond)"), "{}", err.hint());
    assert_eq!(both.organization(Some("clorgsecond")).await?.id, "clorgsecond");
    Ok(())
}

#[tokio::test]
async fn throttling_waits_for_retry_after_then_succeeds() -> Result<(), Error> {
    let fake = fake()?;
    let astro = client(&fake, TOKEN)?;
    fake.fail_next(429, Some(1), 1);
    let started = std::time::Instant::now();
    let orgs = astro.organizations().await?;
    assert_eq!(orgs.len(), 1);
    assert!(started.elapsed() >= Duration::from_secs(1), "Retry-After was honoured");
    assert_eq!(fake.seen().len(), 2, "one throttled answer, one retry");

    // A wait longer than the app will sleep is handed to the user: a throttle, not an outage.
    fake.fail_next(429, Some(120), 1);
    let err = expect_err(astro.organizations().await, "throttled")?;
    assert!(err.to_string().contains("asks to wait 120 s"), "{err}");
    Ok(())
}

#[tokio::test]
async fn server_errors_are_retried_and_then_named_an_outage() -> Result<(), Error> {
    let fake = fake()?;
    let astro = client(&fake, TOKEN)?;
    fake.fail_next(503, None, 2);
    let page = astro.deployment_page(ORG, &DeploymentFilter::default(), 0).await?;
    assert_eq!(page.deployments.len(), PAGE_SIZE);
    fake.fail_next(500, None, 3);
    let err = expect_err(astro.deployment_page(ORG, &DeploymentFilter::default(), 0).await, "outage")?;
    assert!(err.to_string().contains("HTTP 500 after 3 attempts"), "{err}");
    assert!(err.hint().contains("status.astronomer.io"), "{}", err.hint());
    // A 4xx is not retried.
    let before = fake.seen().len();
    fake.fail_next(400, None, 1);
    expect_err(astro.organizations().await, "cloud_error")?;
    assert_eq!(fake.seen().len(), before + 1);
    Ok(())
}

fn without_volatile(mut deployment: serde_json::Value) -> serde_json::Value {
    if let Some(map) = deployment.as_object_mut() {
        map.remove("effectiveWorkloadIdentity");
    }
    for variable in deployment["environmentVariables"].as_array_mut().into_iter().flatten() {
        if let Some(map) = variable.as_object_mut() {
            map.remove("updatedAt");
        }
    }
    deployment
}

#[tokio::test]
async fn setting_the_workload_identity_changes_nothing_else_and_undo_sets_it_back() -> Result<(), Error> {
    use astro_identity_cloud::deployment_identity::{DeploymentRef, set_workload_identity};
    use astro_identity_cloud::journal::{Journal, JournalAction};
    use astro_identity_cloud::undo;

    let fake = fake()?;
    let astro = client(&fake, TOKEN)?;
    let data = tempfile::tempdir()?;
    let journal = Journal::in_dir(data.path());
    let before = fake.stored_deployment("cldep0000").ok_or("seeded")?;
    let target = DeploymentRef { organization: ORG.into(), id: "cldep0000".into(), name: "etl 0".into() };
    let mine = "arn:aws:iam::123456789012:role/astro-cmi";

    let id = set_workload_identity(&astro, &target, mine, &journal).await?.ok_or("written")?;
    let after = fake.stored_deployment("cldep0000").ok_or("kept")?;
    assert_eq!(after["effectiveWorkloadIdentity"], mine);
    assert_eq!(without_volatile(after.clone()), without_volatile(before.clone()), "nothing else changed");
    assert_eq!(after["environmentVariables"][0]["value"], "s3cr3t-value", "the secret kept its value");
    let update = fake.seen().into_iter().rfind(|r| r.method == "POST").ok_or("an update")?;
    assert!(!update.body.to_string().contains("s3cr3t-value"), "the secret never travels");
    assert_eq!(update.body["contactEmails"], before["contactEmails"]);
    let entry = journal.entries()?.pop().ok_or("journaled")?;
    assert_eq!((entry.id.as_str(), entry.action), (id.as_str(), JournalAction::SetWorkloadIdentity));
    assert!(astro_identity_cloud::history::summary(&entry).contains(&format!("→ {mine}")));

    // Again: nothing to write. Undo: the old identity back, still nothing else changed.
    assert_eq!(set_workload_identity(&astro, &target, mine, &journal).await?, None);
    let plan = undo::plan_astro(&astro, &journal, &entry.id).await?;
    undo::apply_astro(&astro, &journal, &plan).await?;
    let back = fake.stored_deployment("cldep0000").ok_or("kept")?;
    assert_eq!(back["effectiveWorkloadIdentity"], before["effectiveWorkloadIdentity"]);
    assert_eq!(without_volatile(back), without_volatile(before));
    Ok(())
}

/// The History screen's undo of an identity change: previewed as a diff through the API the
/// change went to, applied once, and refused when the identity moved after the preview.
#[tokio::test]
async fn an_identity_undo_is_previewed_then_applied_as_shown() -> Result<(), Error> {
    use astro_identity_cloud::deployment_identity::{DeploymentRef, set_workload_identity};
    use astro_identity_cloud::journal::Journal;
    use astro_identity_cloud::undo;
    use astro_identity_domain::diff::DiffKind;

    let fake = fake()?;
    let astro = client(&fake, TOKEN)?;
    let data = tempfile::tempdir()?;
    let journal = Journal::in_dir(data.path());
    let before = fake.stored_deployment("cldep0001").ok_or("seeded")?["effectiveWorkloadIdentity"].clone();
    let before = before.as_str().ok_or("an identity")?.to_owned();
    let target = DeploymentRef { organization: ORG.into(), id: "cldep0001".into(), name: "etl 1".into() };
    let mine = "arn:aws:iam::123456789012:role/astro-cmi";
    let id = set_workload_identity(&astro, &target, mine, &journal).await?.ok_or("written")?;

    assert_eq!(undo::astro_api(&journal, &id)?, astro.base_url());
    let plan = undo::plan_astro(&astro, &journal, &id).await?;
    assert!(plan.changed);
    let lines: Vec<(DiffKind, &str)> = plan.diff.iter().map(|l| (l.kind, l.text.as_str())).collect();
    assert_eq!(
        lines,
        [
            (DiffKind::Removed, format!("workload identity {mine}").as_str()),
            (DiffKind::Added, format!("workload identity {before}").as_str()),
        ]
    );
    let posts = || fake.seen().iter().filter(|r| r.method == "POST").count();
    let written = posts();
    let done = undo::apply_astro(&astro, &journal, &plan).await?;
    assert!(done.verified && done.journal_id.is_some(), "{done:?}");
    assert_eq!(posts(), written + 1);
    assert_eq!(fake.stored_deployment("cldep0001").ok_or("kept")?["effectiveWorkloadIdentity"], before);

    // Undone once: a second undo of the same change is refused, and writes nothing.
    expect_err(undo::plan_astro(&astro, &journal, &id).await, "refused")?;
    assert_eq!(posts(), written + 1);

    // Moved after the preview: refused, nothing written.
    let id = set_workload_identity(&astro, &target, mine, &journal).await?.ok_or("written")?;
    let plan = undo::plan_astro(&astro, &journal, &id).await?;
    set_workload_identity(&astro, &target, "arn:aws:iam::123456789012:role/other", &journal).await?;
    let written = posts();
    expect_err(undo::apply_astro(&astro, &journal, &plan).await, "remote_changed")?;
    assert_eq!(posts(), written);
    Ok(())
}

#[tokio::test]
async fn an_identity_changed_since_is_not_undone_and_a_broken_read_sends_nothing() -> Result<(), Error> {
    use astro_identity_cloud::deployment_identity::{DeploymentRef, set_workload_identity};
    use astro_identity_cloud::journal::Journal;
    use astro_identity_cloud::undo;

    let fake = fake()?;
    let mut hybrid = deployment(ORG, "clwsdata", "cldephyb1", "Hybrid", "AWS");
    hybrid["type"] = serde_json::json!("HYBRID");
    hybrid["schedulerAu"] = serde_json::json!(5);
    hybrid["schedulerReplicas"] = serde_json::json!(1);
    fake.add_deployment(hybrid);
    let astro = client(&fake, TOKEN)?;
    let data = tempfile::tempdir()?;
    let journal = Journal::in_dir(data.path());
    let target = DeploymentRef { organization: ORG.into(), id: "cldephyb1".into(), name: "Hybrid".into() };
    set_workload_identity(&astro, &target, "arn:aws:iam::123456789012:role/one", &journal).await?;
    let entry = journal.entries()?.pop().ok_or("journaled")?;
    assert_eq!(fake.stored_deployment("cldephyb1").ok_or("kept")?["schedulerAu"], 5);
    set_workload_identity(&astro, &target, "arn:aws:iam::123456789012:role/two", &journal).await?;
    let err = expect_err(undo::plan_astro(&astro, &journal, &entry.id).await, "remote_changed")?;
    assert!(err.to_string().contains("it is arn:aws:iam::123456789012:role/two now"), "{err}");

    // A read without a field the update requires: refused before any POST.
    let mut broken = deployment(ORG, "clwsdata", "cldepbrk1", "Broken", "AWS");
    broken.as_object_mut().ok_or("object")?.remove("executor");
    fake.add_deployment(broken);
    let posts = fake.seen().iter().filter(|r| r.method == "POST").count();
    let target = DeploymentRef { organization: ORG.into(), id: "cldepbrk1".into(), name: "Broken".into() };
    let err = expect_err(set_workload_identity(&astro, &target, "arn:x", &journal).await, "invalid_input")?;
    assert!(err.to_string().contains("without executor"), "{err}");
    assert_eq!(fake.seen().iter().filter(|r| r.method == "POST").count(), posts);
    Ok(())
}

#[tokio::test]
async fn an_interrupted_identity_change_is_settled_by_reading_the_deployment() -> Result<(), Error> {
    use astro_identity_cloud::journal::{Journal, JournalAction, JournalEntry, Subject};
    use astro_identity_cloud::settle::{SettleResult, settle_deployments};
    use serde_json::json;

    let fake = fake()?;
    let astro = client(&fake, TOKEN)?;
    let data = tempfile::tempdir()?;
    let journal = Journal::in_dir(data.path());
    let mine = "arn:aws:iam::123456789012:role/astro-cmi";
    let intent = |id: &str| -> Result<JournalEntry, Error> {
        let subject = Subject::AstroDeployment {
            api: fake.url.clone(),
            organization: ORG.into(),
            deployment_id: id.into(),
            name: id.into(),
        };
        let mut entry = JournalEntry::now("", subject, JournalAction::SetWorkloadIdentity);
        let before = fake.stored_deployment(id).ok_or("seeded")?["effectiveWorkloadIdentity"].clone();
        entry.before = Some(json!({"workloadIdentity": before}));
        entry.after = Some(json!({"workloadIdentity": mine}));
        journal.intend(&entry)?;
        Ok(entry)
    };
    // One write landed before the process died, one never left.
    let landed = intent("cldep0000")?;
    let lost = intent("cldep0003")?;
    fake.edit_deployment("cldep0000", |d| d["effectiveWorkloadIdentity"] = json!(mine));
    let mut reports = settle_deployments(&astro, &journal).await?;
    reports.sort_by(|a, b| a.journal_id.cmp(&b.journal_id));
    let mut expected = vec![(landed.id, SettleResult::Applied), (lost.id, SettleResult::NotApplied)];
    expected.sort_by(|a, b| a.0.cmp(&b.0));
    assert_eq!(reports.iter().map(|r| (r.journal_id.clone(), r.result)).collect::<Vec<_>>(), expected);
    assert!(journal.pending()?.is_empty());
    Ok(())
}

#[tokio::test]
async fn an_update_astro_refuses_is_a_refusal_naming_its_reason() -> Result<(), Error> {
    let fake = fake()?;
    let astro = client(&fake, TOKEN)?;
    // What the app never sends (its bodies are built from a read): Astro's 400 is named.
    let err = expect_err(astro.update_deployment(ORG, "cldep0000", &serde_json::json!({})).await, "refused")?;
    assert!(
        err.to_string().contains("Astro refused the update of Deployment cldep0000: name is required"),
        "{err}"
    );
    let err = expect_err(
        astro.update_deployment(ORG, "cldepnope", &serde_json::json!({"name": "x"})).await,
        "not_found",
    )?;
    assert!(err.to_string().contains("update Deployment cldepnope"), "{err}");
    let other = client(&fake, "wrong-token")?;
    expect_err(other.update_deployment(ORG, "cldep0000", &serde_json::json!({})).await, "credentials")?;
    assert_eq!(fake.stored_deployment("cldep0000").ok_or("kept")?["name"], "etl 0", "nothing changed");
    Ok(())
}
