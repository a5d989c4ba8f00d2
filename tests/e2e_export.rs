//! End to end: plans without credentials, in the real window. An existing role's trust policy
//! is pasted, the plan reviewed, and its export saved through the native save dialog (driven
//! with xdotool, as a person types a path); the saved file is what the CLI exports for the
//! same plan, and run by the real AWS CLI against moto it leaves the role trusting the
//! Deployment with every statement of the pasted policy kept. Then the GCP journey plans a
//! grant offline and its gcloud export holds the grant. Screenshots in target/e2e/export-*.png.

use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::Duration;

use fantoccini::Locator;
use serde_json::Value;

use astro_identity_tests::{
    AppSession, Desktop, Driver, Error, Moto, app_binary, cli_binary, moto_iam, output_text,
};

const DEPLOYMENT: &str = "arn:aws:iam::123456789876:role/astro-stellar-apogee-4567";
const ROLE: &str = "astro-data-access";
const GCP_SA: &str = "astro-fiery-nebula-1234@astronomer-prod.iam.gserviceaccount.com";

fn corpus_policy() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("testdata/corpus/aws-trust/05-iam-saml-plus-setsourceidentity-two-statements.json")
}

fn review_bin(tool: &str) -> PathBuf {
    let venv = std::env::var_os("ASTRO_IDENTITY_REVIEW_VENV").map(PathBuf::from).unwrap_or_else(|| {
        PathBuf::from(std::env::var_os("HOME").unwrap_or_default()).join(".cache/astro-identity/review-venv")
    });
    venv.join("bin").join(tool)
}

/// Types `path` into the native save dialog titled "Save the export" and confirms it.
fn save_dialog(desktop: &Desktop, path: &Path) -> Result<(), Error> {
    let run = |args: &[&str]| -> Result<String, Error> {
        let out = Command::new("xdotool").args(args).env("DISPLAY", &desktop.display).output()?;
        if !out.status.success() {
            return Err(format!("xdotool {args:?}: {}", output_text(&out.stderr)).into());
        }
        Ok(output_text(&out.stdout))
    };
    let window = run(&["search", "--sync", "--name", "Save the export"])?;
    let window = window.lines().next().ok_or("no save dialog")?.trim().to_owned();
    run(&["windowfocus", "--sync", &window])?;
    std::thread::sleep(Duration::from_millis(500));
    run(&["key", "--window", &window, "ctrl+a"])?;
    run(&["type", "--window", &window, "--delay", "20", &path.to_string_lossy()])?;
    std::thread::sleep(Duration::from_millis(300));
    run(&["key", "--window", &window, "Return"])?;
    Ok(())
}

async fn export_text(app: &AppSession, needle: &str) -> Result<String, Error> {
    let area = app.find("[data-testid=export-text]").await?;
    app.client
        .execute("arguments[0].scrollIntoView({block: 'center'});", vec![serde_json::to_value(&area)?])
        .await?;
    let deadline = std::time::Instant::now() + Duration::from_secs(20);
    loop {
        let text = app.find("[data-testid=export-text]").await?.prop("value").await?.unwrap_or_default();
        if text.contains(needle) {
            return Ok(text);
        }
        if std::time::Instant::now() > deadline {
            return Err(format!("the export never showed {needle:?}: {text}").into());
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

async fn aws_offline(app: &AppSession, desktop: &Desktop, saved: &Path) -> Result<(), Error> {
    app.start_journey("Authorize on AWS").await?;
    app.find("#identities").await?.send_keys(DEPLOYMENT).await?;
    app.wait_for_text("[data-testid=parsed-identities]", DEPLOYMENT).await?;
    app.click_button("Next").await?;

    // No credentials: the account is optional, Region/endpoint and "Check who I am" go away.
    app.choose("No credentials: plan offline for review").await?;
    app.find("#offline-account").await?.send_keys("123456789012").await?;
    assert!(app.client.find(Locator::Css("#endpoint")).await.is_err(), "no endpoint offline");
    app.screenshot("export-1-offline-account").await?;
    app.click_button("Next").await?;

    // An existing role: its policy is pasted; Next waits for it.
    app.choose("Use an existing role").await?;
    let name = app.find("#existing-role-name").await?;
    name.clear().await?;
    name.send_keys(ROLE).await?;
    app.client
        .find(Locator::XPath("//button[normalize-space()='Next' and @disabled]"))
        .await
        .map_err(|e| format!("Next must wait for the pasted policy: {e}"))?;
    app.find("#current-policy").await?.send_keys(&std::fs::read_to_string(corpus_policy())?).await?;
    app.screenshot("export-2-pasted-policy").await?;
    app.click_button("Next").await?;

    // Review: the same plan the online path shows, then the export.
    let diff = app.wait_for_text("[data-testid=diff]", DEPLOYMENT).await?;
    assert!(diff.contains("SetSourceIdentity"), "the pasted statements are kept: {diff}");
    let note = app.text_of("[role=note]").await?;
    assert!(note.contains("Planned without credentials, from the trust policy you pasted"), "{note}");
    assert!(app.client.find(Locator::XPath("//button[normalize-space()='Apply']")).await.is_err());
    let terraform = export_text(app, "import {").await?;
    assert!(terraform.contains(&format!("resource \"aws_iam_role\" \"{ROLE}\"")), "{terraform}");
    app.screenshot("export-3-review-terraform").await?;
    app.choose("AWS CLI script").await?;
    let script = export_text(app, "#!/usr/bin/env bash").await?;
    app.screenshot("export-4-review-aws-cli").await?;
    app.click_button("Save to a file…").await?;
    save_dialog(desktop, saved)?;
    app.wait_for_text("[role=status]", &saved.to_string_lossy()).await?;
    assert_eq!(std::fs::read_to_string(saved)?, script, "the file holds what the window shows");
    app.screenshot("export-5-saved").await?;
    // The plan ends at its export: Next stays disabled.
    app.client.find(Locator::XPath("//button[normalize-space()='Next' and @disabled]")).await?;
    Ok(())
}

async fn gcp_offline(app: &AppSession) -> Result<String, Error> {
    app.start_journey("Authorize on GCP").await?;
    app.find("#service-account").await?.send_keys(GCP_SA).await?;
    app.click_button("Next").await?;
    app.find("#project-id").await?.send_keys("astro-data").await?;
    app.choose("No credentials: plan offline for review").await?;
    app.find("#current-iam-policy")
        .await?
        .send_keys(r#"{"bindings":[{"role":"roles/viewer","members":["user:ada@example.com"]}],"etag":"BwY=","version":1}"#)
        .await?;
    app.screenshot("export-6-gcp-offline").await?;
    app.click_button("Next").await?;
    app.find("#role-search").await?.send_keys("bigquery job user").await?;
    app.wait_for_text("[data-testid=role-results]", "BigQuery Job User").await?;
    app.client
        .find(Locator::XPath("//label[.//code[normalize-space()='roles/bigquery.jobUser']]/input"))
        .await?
        .click()
        .await?;
    app.click_button("Next").await?;
    let diff = app.wait_for_text("[data-testid=diff]", "roles/bigquery.jobUser").await?;
    assert!(diff.contains("user:ada@example.com"), "the pasted binding is kept: {diff}");
    app.choose("gcloud commands").await?;
    let lines = export_text(app, "gcloud projects add-iam-policy-binding").await?;
    app.screenshot("export-7-gcp-gcloud").await?;
    Ok(lines)
}

#[test]
fn plans_offline_and_saves_an_export_that_reaches_the_planned_state() -> Result<(), Error> {
    let app_path = app_binary()?;
    let moto = Moto::start()?;
    let desktop = Desktop::start()?;
    let saved = desktop.home().join("reviews/astro-role.sh");
    std::fs::create_dir_all(saved.parent().ok_or("no parent")?)?;
    let driver = Driver::start(&desktop)?;
    let runtime = tokio::runtime::Builder::new_current_thread().enable_all().build()?;
    let gcloud = runtime.block_on(async {
        let session = AppSession::start(&driver, &app_path).await?;
        let mut outcome = aws_offline(&session, &desktop, &saved).await;
        if outcome.is_ok() {
            session.client.refresh().await?;
        }
        let lines = match &outcome {
            Ok(()) => gcp_offline(&session).await,
            Err(_) => Err("skipped".into()),
        };
        if let Err(err) = &lines
            && outcome.is_ok()
        {
            outcome = Err(format!("GCP: {err}").into());
        }
        if outcome.is_err() {
            let _ = session.screenshot("export-failure").await;
        }
        session.close().await;
        outcome.and(lines)
    })?;

    // The window's export is the CLI's for the same plan.
    let policy = corpus_policy();
    let cli = Command::new(cli_binary()?)
        .args(["aws", "plan", "--offline", "--account", "123456789012", "--current-policy-file"])
        .arg(&policy)
        .args(["--role", ROLE, "--identity", DEPLOYMENT, "--export", "aws-cli"])
        .output()?;
    assert!(cli.status.success(), "{}", output_text(&cli.stderr));
    assert_eq!(std::fs::read_to_string(&saved)?, output_text(&cli.stdout));

    // Run by the real AWS CLI against moto, where the role exists with the pasted policy.
    runtime.block_on(async {
        let iam = moto_iam(&moto.url).await;
        iam.create_role()
            .role_name(ROLE)
            .assume_role_policy_document(std::fs::read_to_string(&policy)?)
            .send()
            .await?;
        Ok::<(), Error>(())
    })?;
    let mut path = std::ffi::OsString::from(review_bin("aws").parent().ok_or("no venv")?);
    path.push(":");
    path.push(std::env::var_os("PATH").unwrap_or_default());
    let run = Command::new("bash")
        .arg(&saved)
        .env_clear()
        .env("PATH", path)
        .env("HOME", desktop.home())
        .env("AWS_ENDPOINT_URL", &moto.url)
        .env("AWS_ACCESS_KEY_ID", "testing")
        .env("AWS_SECRET_ACCESS_KEY", "testing")
        .env("AWS_DEFAULT_REGION", "us-east-1")
        .output()?;
    assert!(run.status.success(), "{}{}", output_text(&run.stdout), output_text(&run.stderr));
    let trust: Value = runtime.block_on(async {
        let iam = moto_iam(&moto.url).await;
        let role = iam.get_role().role_name(ROLE).send().await?;
        let encoded =
            role.role().and_then(|r| r.assume_role_policy_document()).ok_or("no policy")?.to_owned();
        Ok::<Value, Error>(serde_json::from_str(
            &percent_encoding::percent_decode_str(&encoded).decode_utf8()?,
        )?)
    })?;
    let before: Value = serde_json::from_str(&std::fs::read_to_string(&policy)?)?;
    let statements = trust["Statement"].as_array().ok_or("statements")?;
    for statement in before["Statement"].as_array().ok_or("corpus statements")? {
        let kept = statements
            .iter()
            .any(|s| s["Action"] == statement["Action"] && s["Condition"] == statement["Condition"]);
        assert!(kept, "statement {statement} was dropped: {trust}");
    }
    assert!(trust.to_string().contains(DEPLOYMENT), "the Deployment is trusted: {trust}");

    // The GCP export holds the grant with the pasted policy's binding untouched (gcloud adds).
    let line = gcloud.lines().find(|l| l.starts_with("gcloud ")).ok_or("no gcloud line")?;
    assert_eq!(
        line,
        format!(
            "gcloud projects add-iam-policy-binding 'astro-data' --member='serviceAccount:{GCP_SA}' --role='roles/bigquery.jobUser' --condition='None'"
        )
    );
    Ok(())
}
