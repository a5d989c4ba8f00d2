//! One-click Airflow connections against real peers: a real Airflow 3 api-server (one per
//! binary: every scenario shares it, with its own connection id) and the Astro API fake.

use std::time::Instant;

use serde_json::{Value, json};

use astro_identity_cloud::CloudError;
use astro_identity_cloud::airflow::{
    AirflowApi, AstroApi, ConnectionAction, ConnectionStore, apply_connection, plan_connection,
    undo_connection,
};
use astro_identity_cloud::journal::{Journal, JournalAction, JournalEntry, Subject};
use astro_identity_domain::Sensitive;
use astro_identity_domain::airflow::{
    AstroScope, AstroScopeKind, AwsConnectionInput, ConnectionFormat, ConnectionSpec, GcpConnectionInput,
    render,
};
use astro_identity_domain::diff::DiffKind;
use astro_identity_tests::airflow::{AirflowServer, http};
use astro_identity_tests::astro_fake::AstroFake;
use astro_identity_tests::{Error, files_containing, free_port};

const ROLE: &str = "arn:aws:iam::123456789012:role/astro-data";

fn aws(conn_id: &str, web_identity: bool) -> ConnectionSpec {
    ConnectionSpec::aws(&AwsConnectionInput {
        conn_id: conn_id.into(),
        role_arn: ROLE.into(),
        region: "us-east-1".into(),
        external_id: (!web_identity).then(|| String::from("ext-123")),
        web_identity,
    })
    .expect("valid spec")
}

fn gcp(conn_id: &str) -> ConnectionSpec {
    ConnectionSpec::gcp(&GcpConnectionInput {
        conn_id: conn_id.into(),
        project: "astro-data".into(),
        impersonation_chain: None,
    })
    .expect("valid spec")
}

fn extra_of(spec: &ConnectionSpec) -> Value {
    Value::Object(spec.extra())
}

fn last_entry(journal: &Journal) -> Result<JournalEntry, Error> {
    Ok(journal.entries()?.pop().ok_or("the journal is empty")?)
}

fn expect_err<T: std::fmt::Debug>(result: Result<T, CloudError>, code: &str) -> Result<CloudError, Error> {
    match result {
        Err(err) if err.code() == code => Ok(err),
        other => Err(format!("expected a {code} error, got {other:?}").into()),
    }
}

struct Airflow {
    server: AirflowServer,
    token: String,
    api: AirflowApi,
    journal: Journal,
    data: tempfile::TempDir,
}

impl Airflow {
    /// A connection as the REST API shows it.
    fn get(&self, conn_id: &str) -> Result<(u16, Value), Error> {
        self.server.request("GET", &format!("/api/v2/connections/{conn_id}"), Some(&self.token), None)
    }

    /// Its conn_type and parsed extra.
    fn stored(&self, conn_id: &str) -> Result<(String, Value), Error> {
        let (status, body) = self.get(conn_id)?;
        if status != 200 {
            return Err(format!("GET {conn_id} answered {status}: {body}").into());
        }
        let extra = serde_json::from_str(body["extra"].as_str().unwrap_or("{}"))?;
        Ok((body["conn_type"].as_str().unwrap_or_default().to_owned(), extra))
    }

    /// Someone else writes through the API.
    fn post(&self, body: Value) -> Result<(), Error> {
        let (status, answer) =
            self.server.request("POST", "/api/v2/connections", Some(&self.token), Some(&body))?;
        if status != 201 {
            return Err(format!("POST answered {status}: {answer}").into());
        }
        Ok(())
    }
}

/// Runs every scenario against one server, and reports every failure, not just the first.
#[tokio::test]
async fn airflow_rest_api_against_a_real_airflow_3() -> Result<(), Error> {
    let started = Instant::now();
    let server = AirflowServer::start()?;
    let startup = started.elapsed();
    let token = server.token()?;
    let api = AirflowApi::new(&format!("{}/", server.url), Sensitive::new(token.clone()))?;
    let data = tempfile::tempdir()?;
    let journal = Journal::in_dir(data.path());
    let af = Airflow { server, token, api, journal, data };

    let mut failures = Vec::new();
    async fn run<F: Future<Output = Result<(), Error>>>(name: &str, failures: &mut Vec<String>, scenario: F) {
        let at = Instant::now();
        match scenario.await {
            Ok(()) => eprintln!("ok   {name} ({:.1?})", at.elapsed()),
            Err(err) => {
                eprintln!("FAIL {name}: {err}");
                failures.push(format!("{name}: {err}"));
            }
        }
    }
    run("detects Airflow 3", &mut failures, detects_the_api(&af)).await;
    run("creates when absent, then unchanged, then undo deletes", &mut failures, creates_then_undoes(&af))
        .await;
    run("replaces only when confirmed and keeps the password", &mut failures, replaces_when_confirmed(&af))
        .await;
    run("refuses when someone else moved first", &mut failures, refuses_moved_connections(&af)).await;
    run("never journals hidden values", &mut failures, never_journals_secrets(&af)).await;
    run("a wrong token is a credentials error", &mut failures, wrong_tokens(&af)).await;
    run("the token reaches no file", &mut failures, token_reaches_no_file(&af)).await;

    let pgid = af.server.process_group();
    drop(af);
    let left = std::process::Command::new("pgrep").args(["-g", &pgid.to_string()]).output()?;
    if !String::from_utf8_lossy(&left.stdout).trim().is_empty() {
        failures.push(format!(
            "processes of the api-server's group are left: {}",
            String::from_utf8_lossy(&left.stdout)
        ));
    }
    eprintln!("Airflow startup {startup:.1?}, total {:.1?}", started.elapsed());
    if failures.is_empty() { Ok(()) } else { Err(failures.join("\n").into()) }
}

async fn detects_the_api(af: &Airflow) -> Result<(), Error> {
    assert_eq!(af.api.api_version().await?, astro_identity_cloud::airflow::AirflowApiVersion::V2);
    assert_eq!(af.api.base_url(), af.server.url, "the trailing slash is dropped");
    assert_eq!(af.api.account(), af.server.url);
    Ok(())
}

async fn creates_then_undoes(af: &Airflow) -> Result<(), Error> {
    let spec = aws("a_create", false);
    let plan = plan_connection(&af.api, &spec).await?;
    assert_eq!(plan.action, ConnectionAction::Create);
    assert!(plan.existing.is_none() && plan.undo_available);
    assert!(plan.diff.iter().all(|line| line.kind == DiffKind::Added));
    assert_eq!(af.get("a_create")?.0, 404, "planning writes nothing");

    let outcome = apply_connection(&af.api, &plan, &spec, false, &af.journal).await?;
    assert!(outcome.written && outcome.verified && outcome.undo_available);
    assert_eq!(outcome.action, ConnectionAction::Create);
    assert_eq!(af.stored("a_create")?, (String::from("aws"), extra_of(&spec)), "exactly our type and Extra");
    let (_, body) = af.get("a_create")?;
    assert_eq!(
        (body["host"].clone(), body["login"].clone(), body["password"].clone()),
        (Value::Null, Value::Null, Value::Null)
    );

    let entry = last_entry(&af.journal)?;
    assert_eq!(Some(entry.id.clone()), outcome.journal_id);
    assert_eq!((entry.cloud(), entry.account()), ("airflow", af.server.url.as_str()));
    assert_eq!(entry.action, JournalAction::CreateConnection);
    assert_eq!(entry.resource_name(), "a_create");
    assert!(
        matches!(&entry.subject, Subject::AirflowConnection { address, .. } if *address == format!("{}/api/v2/connections/a_create", af.server.url)),
        "{:?}",
        entry.subject
    );
    assert_eq!(entry.before, None);
    let after: Value = entry.after.clone().ok_or("no after")?;
    assert_eq!(after, json!({"conn_type": "aws", "extra": extra_of(&spec)}));

    // Applying the same connection again writes nothing.
    let again = plan_connection(&af.api, &spec).await?;
    assert_eq!(again.action, ConnectionAction::Unchanged);
    let count = af.journal.entries()?.len();
    let outcome = apply_connection(&af.api, &again, &spec, false, &af.journal).await?;
    assert!(!outcome.written && outcome.journal_id.is_none());
    assert_eq!(af.journal.entries()?.len(), count);

    let undone = undo_connection(&af.api, &af.journal, &entry).await?;
    assert_eq!(undone.action, ConnectionAction::Delete);
    assert_eq!(af.get("a_create")?.0, 404, "undo deleted it");
    let undo_entry = last_entry(&af.journal)?;
    assert_eq!(
        (undo_entry.action, undo_entry.undoes.as_deref()),
        (JournalAction::DeleteConnection, Some(entry.id.as_str()))
    );
    expect_err(undo_connection(&af.api, &af.journal, &entry).await, "refused")?;
    Ok(())
}

async fn replaces_when_confirmed(af: &Airflow) -> Result<(), Error> {
    af.post(json!({
        "connection_id": "b_replace", "conn_type": "aws", "host": "sts.example", "login": "someone",
        "password": "pw-b-123", "extra": "{\"region_name\": \"eu-west-1\"}"
    }))?;
    let spec = aws("b_replace", false);
    let plan = plan_connection(&af.api, &spec).await?;
    assert_eq!(plan.action, ConnectionAction::Replace);
    assert!(plan.undo_available);
    assert!(
        plan.diff.iter().any(|l| l.kind == DiffKind::Removed && l.text.contains("eu-west-1")),
        "{:?}",
        plan.diff
    );
    assert!(plan.diff.iter().any(|l| l.kind == DiffKind::Added && l.text.contains(ROLE)));

    let err = expect_err(apply_connection(&af.api, &plan, &spec, false, &af.journal).await, "refused")?;
    assert!(err.hint().contains("replac"), "{}", err.hint());
    assert_eq!(af.stored("b_replace")?.1, json!({"region_name": "eu-west-1"}), "refused: nothing written");

    let outcome = apply_connection(&af.api, &plan, &spec, true, &af.journal).await?;
    assert!(outcome.written && outcome.verified && outcome.undo_available);
    assert_eq!(af.stored("b_replace")?, (String::from("aws"), extra_of(&spec)));
    let (_, body) = af.get("b_replace")?;
    assert_eq!(body["password"], "***", "the password is still set");
    assert_eq!((body["host"].as_str(), body["login"].as_str()), (Some("sts.example"), Some("someone")));
    let cli = af.server.cli(&["connections", "get", "b_replace", "-o", "json"])?;
    assert!(cli.contains("\"password\": \"pw-b-123\""), "the password is unchanged: {cli}");

    let entry = last_entry(&af.journal)?;
    assert_eq!(entry.action, JournalAction::ReplaceConnection);
    assert_eq!(entry.before, Some(json!({"conn_type":"aws","extra":{"region_name":"eu-west-1"}})));
    assert_eq!(entry.undo_unavailable, None);

    undo_connection(&af.api, &af.journal, &entry).await?;
    assert_eq!(af.stored("b_replace")?, (String::from("aws"), json!({"region_name": "eu-west-1"})));
    assert_eq!(af.get("b_replace")?.1["password"], "***", "undo keeps the password too");
    Ok(())
}

async fn refuses_moved_connections(af: &Airflow) -> Result<(), Error> {
    // Created by someone else between the plan and the apply.
    let spec = gcp("c_race");
    let plan = plan_connection(&af.api, &spec).await?;
    af.post(json!({"connection_id": "c_race", "conn_type": "http", "extra": "{}"}))?;
    expect_err(apply_connection(&af.api, &plan, &spec, true, &af.journal).await, "remote_changed")?;
    assert_eq!(af.stored("c_race")?.0, "http", "theirs is kept");

    // Changed by someone else after the app created it: undo refuses.
    let spec = gcp("c_moved");
    let plan = plan_connection(&af.api, &spec).await?;
    apply_connection(&af.api, &plan, &spec, false, &af.journal).await?;
    let entry = last_entry(&af.journal)?;
    let patch = json!({"connection_id": "c_moved", "conn_type": "google_cloud_platform", "extra": "{\"project\": \"other\"}"});
    let (status, _) = af.server.request(
        "PATCH",
        "/api/v2/connections/c_moved?update_mask=extra",
        Some(&af.token),
        Some(&patch),
    )?;
    assert_eq!(status, 200);
    let err = expect_err(undo_connection(&af.api, &af.journal, &entry).await, "remote_changed")?;
    assert!(err.to_string().contains("c_moved"), "{err}");
    assert_eq!(af.stored("c_moved")?.1, json!({"project": "other"}), "their change is kept");

    // A plan made before someone else's change is refused too.
    let mine = aws("c_moved", false);
    let plan = plan_connection(&af.api, &mine).await?;
    af.server.request("PATCH", "/api/v2/connections/c_moved?update_mask=extra", Some(&af.token), Some(&json!({
        "connection_id": "c_moved", "conn_type": "google_cloud_platform", "extra": "{\"project\": \"third\"}"
    })))?;
    expect_err(apply_connection(&af.api, &plan, &mine, true, &af.journal).await, "remote_changed")?;
    Ok(())
}

async fn never_journals_secrets(af: &Airflow) -> Result<(), Error> {
    let secret = "wJalrXUtnFEMI-K7MDENG-secret-e";
    af.post(json!({
        "connection_id": "e_secret", "conn_type": "aws",
        "extra": json!({"aws_access_key_id": "AKIAEXAMPLE", "aws_secret_access_key": secret}).to_string()
    }))?;
    let spec = aws("e_secret", false);
    let plan = plan_connection(&af.api, &spec).await?;
    assert_eq!(plan.action, ConnectionAction::Replace);
    // Airflow 3.3.2 hides the key id too (`access_key` is one of its sensitive names).
    assert_eq!(plan.hidden_keys, ["aws_access_key_id", "aws_secret_access_key"]);
    assert!(!plan.undo_available);
    assert!(!serde_json::to_string(&plan)?.contains(secret), "Airflow never shows it");

    let outcome = apply_connection(&af.api, &plan, &spec, true, &af.journal).await?;
    assert!(outcome.written && outcome.verified && !outcome.undo_available);
    let entry = last_entry(&af.journal)?;
    assert_eq!((entry.action, entry.before.as_ref()), (JournalAction::ReplaceConnection, None));
    assert!(
        entry.undo_unavailable.as_deref().is_some_and(|why| why.contains("never written to the journal"))
    );
    let line = serde_json::to_string(&entry)?;
    for needle in ["***", secret, "aws_secret_access_key", "AKIAEXAMPLE"] {
        assert!(!line.contains(needle), "{needle} in {line}");
    }
    let err = expect_err(undo_connection(&af.api, &af.journal, &entry).await, "refused")?;
    assert!(err.to_string().contains("cannot be undone"), "{err}");
    assert_eq!(af.stored("e_secret")?.1, extra_of(&spec), "nothing was changed by the refused undo");

    // Web identity: Airflow hides the token file path ("token" is in its name). It still
    // verifies, is journaled without it, and plans as unchanged afterwards.
    let web = aws("e_web", true);
    let plan = plan_connection(&af.api, &web).await?;
    let outcome = apply_connection(&af.api, &plan, &web, false, &af.journal).await?;
    assert!(outcome.verified && outcome.undo_available);
    assert_eq!(af.stored("e_web")?.1["assume_role_with_web_identity_token_file"], "***");
    let entry = last_entry(&af.journal)?;
    let after = entry.after.clone().ok_or("no after")?.to_string();
    assert!(!after.contains("token") && !after.contains("***"), "{after}");
    let again = plan_connection(&af.api, &web).await?;
    assert_eq!(again.action, ConnectionAction::Unchanged);
    assert_eq!(again.hidden_keys, ["assume_role_with_web_identity_token_file"]);
    undo_connection(&af.api, &af.journal, &entry).await?;
    assert_eq!(af.get("e_web")?.0, 404);

    let journal_text = std::fs::read_to_string(af.journal.path())?;
    assert!(!journal_text.contains("***") && !journal_text.contains(secret), "{journal_text}");
    Ok(())
}

async fn wrong_tokens(af: &Airflow) -> Result<(), Error> {
    let garbage = String::from("not-a-jwt-Zq81x7Yt");
    // A real token with its signature broken: Airflow answers 403 "Invalid JWT token".
    let mut forged = af.token.clone();
    let last = forged.pop().ok_or("empty token")?;
    forged.push(if last == 'A' { 'B' } else { 'A' });
    for token in [garbage, forged, String::new()] {
        let api = AirflowApi::new(&af.server.url, Sensitive::new(token.clone()))?;
        let err = expect_err(plan_connection(&api, &gcp("d_token")).await, "credentials")?;
        let shown = format!("{err} {err:?} {}", err.hint());
        if !token.is_empty() {
            assert!(!shown.contains(&token), "the token leaked: {shown}");
            assert!(!format!("{api:?}").contains(&token));
        }
        assert!(err.hint().contains("/auth/token") && err.hint().contains("API token"), "{}", err.hint());
    }
    assert_eq!(af.get("d_token")?.0, 404);

    // Nothing listening: unreachable, naming the URL.
    let port = free_port()?;
    let api = AirflowApi::new(&format!("http://127.0.0.1:{port}"), Sensitive::new(af.token.clone()))?;
    let err = expect_err(plan_connection(&api, &gcp("d_token")).await, "unreachable")?;
    assert!(err.to_string().contains(&format!("127.0.0.1:{port}")), "{err}");
    assert!(!format!("{err} {err:?}").contains(&af.token));
    Ok(())
}

async fn token_reaches_no_file(af: &Airflow) -> Result<(), Error> {
    assert!(af.journal.entries()?.len() >= 8);
    let hits = files_containing(af.data.path(), &af.token, &[])?;
    assert_eq!(hits, Vec::<std::path::PathBuf>::new(), "the token is in a file");
    Ok(())
}

// ---- Astro API (Environment Manager) against the fake ----

const ORG: &str = "clorg0000000000000000001";
const DEPLOYMENT: &str = "cldep000000000000000000001";
const WORKSPACE: &str = "clws0000000000000000000001";
const ASTRO_TOKEN: &str = "astro-api-token-7f3a9c";

struct Astro {
    fake: AstroFake,
    journal: Journal,
    _data: tempfile::TempDir,
}

fn astro() -> Result<Astro, Error> {
    let data = tempfile::tempdir()?;
    Ok(Astro {
        fake: AstroFake::start(ORG, ASTRO_TOKEN)?,
        journal: Journal::in_dir(data.path()),
        _data: data,
    })
}

fn scope(kind: AstroScopeKind) -> AstroScope {
    let entity_id = match kind {
        AstroScopeKind::Deployment => DEPLOYMENT,
        AstroScopeKind::Workspace => WORKSPACE,
    };
    AstroScope { scope: kind, entity_id: entity_id.into() }
}

fn store(ctx: &Astro, kind: AstroScopeKind, token: &str) -> Result<AstroApi, Error> {
    Ok(AstroApi::new(ORG, scope(kind), Sensitive::new(token.to_owned()))?.with_base_url(&ctx.fake.url)?)
}

#[tokio::test]
async fn astro_creates_in_a_deployment_then_unchanged_then_undo_deletes() -> Result<(), Error> {
    let ctx = astro()?;
    // Same key elsewhere: another Deployment, and a Workspace. Neither is this one.
    ctx.fake.seed(json!({"objectKey": "aws_default", "objectType": "CONNECTION", "scope": "DEPLOYMENT",
        "scopeEntityId": "cldepother", "connection": {"type": "http"}}));
    ctx.fake.seed(json!({"objectKey": "aws_default", "objectType": "CONNECTION", "scope": "WORKSPACE",
        "scopeEntityId": WORKSPACE, "connection": {"type": "http"}}));
    let api = store(&ctx, AstroScopeKind::Deployment, ASTRO_TOKEN)?;
    let spec = aws("aws_default", false);
    let plan = plan_connection(&api, &spec).await?;
    assert_eq!(plan.action, ConnectionAction::Create);
    assert_eq!(plan.target, format!("Astro Deployment {DEPLOYMENT} (organization {ORG})"));

    let outcome = apply_connection(&api, &plan, &spec, false, &ctx.journal).await?;
    assert!(outcome.written && outcome.verified);
    let seen = ctx.fake.seen();
    let list = &seen[0];
    assert_eq!(
        (list.method.as_str(), list.path.as_str()),
        ("GET", format!("/v1/organizations/{ORG}/environment-objects").as_str())
    );
    assert_eq!(list.query, format!("objectType=CONNECTION&objectKey=aws_default&deploymentId={DEPLOYMENT}"));
    assert!(seen.iter().all(|r| r.authorization.as_deref() == Some(&*format!("Bearer {ASTRO_TOKEN}"))));
    let create = seen.iter().find(|r| r.method == "POST").ok_or("no POST")?;
    let scoped = spec.clone().with_astro_scope(scope(AstroScopeKind::Deployment))?;
    assert_eq!(create.body, serde_json::from_str::<Value>(&render(&scoped, ConnectionFormat::Astro))?);
    let created = ctx.fake.objects().pop().ok_or("nothing stored")?;
    assert_eq!(created["connection"], json!({"type": "aws", "extra": extra_of(&spec)}));

    let entry = last_entry(&ctx.journal)?;
    assert_eq!((entry.cloud(), entry.action), ("astro", JournalAction::CreateConnection));
    assert_eq!(entry.account(), format!("organizations/{ORG}/deployments/{DEPLOYMENT}"));

    let again = plan_connection(&api, &spec).await?;
    assert_eq!(again.action, ConnectionAction::Unchanged);
    assert!(!apply_connection(&api, &again, &spec, false, &ctx.journal).await?.written);

    // Undo through a store for another Deployment is refused; through this one it deletes.
    let elsewhere = AstroApi::new(
        ORG,
        AstroScope { scope: AstroScopeKind::Deployment, entity_id: "cldepother".into() },
        Sensitive::new(ASTRO_TOKEN.into()),
    )?
    .with_base_url(&ctx.fake.url)?;
    expect_err(undo_connection(&elsewhere, &ctx.journal, &entry).await, "refused")?;
    undo_connection(&api, &ctx.journal, &entry).await?;
    assert_eq!(ctx.fake.objects().len(), 2, "only ours was deleted");
    assert!(
        ctx.fake
            .seen()
            .iter()
            .any(|r| r.method == "DELETE" && r.path.ends_with(created["id"].as_str().unwrap_or("?")))
    );
    Ok(())
}

#[tokio::test]
async fn astro_replaces_a_workspace_connection_keeping_host_password_and_links() -> Result<(), Error> {
    let ctx = astro()?;
    let links = json!([{"scope": "DEPLOYMENT", "scopeEntityId": DEPLOYMENT, "connectionOverrides": {"extra": {"region_name": "eu-west-1"}}}]);
    let id = ctx.fake.seed(json!({
        "objectKey": "google_cloud_default", "objectType": "CONNECTION", "scope": "WORKSPACE", "scopeEntityId": WORKSPACE,
        "autoLinkDeployments": true, "links": links, "excludeLinks": [{"scope": "DEPLOYMENT", "scopeEntityId": "cldepx"}],
        "connection": {"type": "google_cloud_platform", "host": "h.example", "login": "me", "password": "pw-astro-1",
            "extra": {"project": "old-project"}}
    }));
    let api = store(&ctx, AstroScopeKind::Workspace, ASTRO_TOKEN)?;
    let spec = gcp("google_cloud_default");
    let plan = plan_connection(&api, &spec).await?;
    assert_eq!(plan.action, ConnectionAction::Replace);
    assert!(plan.undo_available);
    expect_err(apply_connection(&api, &plan, &spec, false, &ctx.journal).await, "refused")?;
    assert_eq!(ctx.fake.object(&id).ok_or("gone")?["connection"]["extra"], json!({"project": "old-project"}));

    let outcome = apply_connection(&api, &plan, &spec, true, &ctx.journal).await?;
    assert!(outcome.written && outcome.verified);
    let stored = ctx.fake.object(&id).ok_or("gone")?;
    assert_eq!(stored["connection"]["extra"], json!({"project": "astro-data"}));
    assert_eq!(
        (&stored["connection"]["host"], &stored["connection"]["login"], &stored["connection"]["password"]),
        (&json!("h.example"), &json!("me"), &json!("pw-astro-1"))
    );
    assert_eq!(stored["links"], links, "the links and their overrides are kept");
    assert_eq!(stored["autoLinkDeployments"], true);
    assert_eq!(stored["excludeLinks"], json!([{"scope": "DEPLOYMENT", "scopeEntityId": "cldepx"}]));
    let update = ctx.fake.seen().into_iter().rfind(|r| r.method == "POST").ok_or("no update")?;
    assert_eq!(update.path, format!("/v1/organizations/{ORG}/environment-objects/{id}"));
    assert!(update.body["connection"].get("password").is_none(), "the password is never sent");

    let entry = last_entry(&ctx.journal)?;
    assert_eq!(
        entry.before,
        Some(json!({"conn_type":"google_cloud_platform","extra":{"project":"old-project"}}))
    );
    undo_connection(&api, &ctx.journal, &entry).await?;
    let stored = ctx.fake.object(&id).ok_or("gone")?;
    assert_eq!(stored["connection"]["extra"], json!({"project": "old-project"}));
    assert_eq!(stored["connection"]["password"], "pw-astro-1");

    // A plan, then someone else's edit, then the apply: refused.
    let plan = plan_connection(&api, &spec).await?;
    ctx.fake.edit(&id, |o| o["connection"]["extra"]["project"] = json!("theirs"));
    expect_err(apply_connection(&api, &plan, &spec, true, &ctx.journal).await, "remote_changed")?;
    Ok(())
}

#[tokio::test]
async fn astro_hidden_secrets_are_never_journaled_and_a_kept_one_fails_verification() -> Result<(), Error> {
    let ctx = astro()?;
    let secret = "astro-hidden-secret-value-q9";
    ctx.fake.seed(json!({
        "objectKey": "aws_default", "objectType": "CONNECTION", "scope": "DEPLOYMENT", "scopeEntityId": DEPLOYMENT,
        "connection": {"type": "aws", "extra": {"aws_access_key_id": "AKIAEXAMPLE", "aws_secret_access_key": secret}}
    }));
    let api = store(&ctx, AstroScopeKind::Deployment, ASTRO_TOKEN)?;
    let spec = aws("aws_default", false);
    let plan = plan_connection(&api, &spec).await?;
    assert_eq!(plan.hidden_keys, ["aws_secret_access_key"]);
    assert!(!plan.undo_available);
    // Astro keeps a secret Extra value an update leaves out: the read-back shows it.
    let err = expect_err(apply_connection(&api, &plan, &spec, true, &ctx.journal).await, "verify_failed")?;
    assert!(err.to_string().contains("hidden values under aws_secret_access_key"), "{err}");
    let entry = last_entry(&ctx.journal)?;
    assert_eq!((entry.action, entry.before.as_ref()), (JournalAction::ReplaceConnection, None));
    let text = std::fs::read_to_string(ctx.journal.path())?;
    for needle in [secret, "aws_secret_access_key", "***", ASTRO_TOKEN] {
        assert!(!text.contains(needle), "{needle} in the journal: {text}");
    }
    expect_err(undo_connection(&api, &ctx.journal, &entry).await, "refused")?;
    Ok(())
}

#[tokio::test]
async fn astro_wrong_token_and_mismatched_scope() -> Result<(), Error> {
    let ctx = astro()?;
    let wrong = "astro-wrong-token-55ab";
    let api = store(&ctx, AstroScopeKind::Deployment, wrong)?;
    let err = expect_err(plan_connection(&api, &aws("aws_default", false)).await, "credentials")?;
    assert!(!format!("{err} {err:?} {} {api:?}", err.hint()).contains(wrong));
    assert!(err.hint().contains("API token"), "{}", err.hint());
    assert_eq!(ctx.fake.seen()[0].authorization.as_deref(), Some(&*format!("Bearer {wrong}")));

    // A spec scoped to a Workspace is not created in a Deployment.
    let api = store(&ctx, AstroScopeKind::Deployment, ASTRO_TOKEN)?;
    let spec = gcp("gcp").with_astro_scope(scope(AstroScopeKind::Workspace))?;
    let plan = plan_connection(&api, &spec).await?;
    expect_err(apply_connection(&api, &plan, &spec, false, &ctx.journal).await, "refused")?;
    assert!(ctx.fake.objects().is_empty());

    // A foreign organization is access denied, naming the action and the connection.
    let other =
        AstroApi::new("clorgforeign", scope(AstroScopeKind::Deployment), Sensitive::new(ASTRO_TOKEN.into()))?
            .with_base_url(&ctx.fake.url)?;
    let err = expect_err(plan_connection(&other, &gcp("gcp")).await, "access_denied")?;
    assert!(err.to_string().contains("read on connection gcp in Astro Deployment"), "{err}");
    Ok(())
}

/// The std-only client of the harness speaks to the fake too (keeps `http` exercised).
#[test]
fn the_fake_checks_required_fields() -> Result<(), Error> {
    let fake = AstroFake::start(ORG, ASTRO_TOKEN)?;
    let path = format!("/v1/organizations/{ORG}/environment-objects");
    let bad = json!({"objectKey": "k", "objectType": "CONNECTION", "scope": "DEPLOYMENT", "scopeEntityId": DEPLOYMENT,
        "connection": {"type": "aws", "extra": "{\"a\": 1}"}});
    let (status, body) = http(&fake.url, "POST", &path, Some(ASTRO_TOKEN), Some(&bad))?;
    assert_eq!((status, body["message"].as_str()), (400, Some("connection.extra must be an object")));
    let (status, _) = http(&fake.url, "GET", &path, None, None)?;
    assert_eq!(status, 401);
    Ok(())
}
