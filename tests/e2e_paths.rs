//! End to end: paths a user can take that no other window test drives, each ending with the
//! state read from the peer. On AWS (in dark mode): access keys typed into the keyring, one
//! existing role picked, its trust policy edited by hand with a condition preset, a
//! warning confirmed before the apply, the account's own policy found and attached, the
//! connection's external-ID and web-identity options, the console button; an interrupted change
//! settled from the home screen. On Google Cloud: the impersonation route, a grant under an
//! IAM condition, a grant applied with a hand edit of the bindings, a basic role applied only
//! after its warning is confirmed, a pasted key, the provider line and a created connection,
//! each undone.
//! Screenshots in target/e2e/paths-*.png.

use fantoccini::Locator;
use serde_json::{Value, json};

use astro_identity_tests::airflow::AirflowServer;
use astro_identity_tests::gcp_fake::GcpFake;
use astro_identity_tests::{
    AppSession, Desktop, Driver, Error, Moto, StubBrowser, app_binary, files_containing, moto_iam,
    moto_trust_policy, write_home_file, write_moto_profile,
};

const DEPLOYMENT: &str = "arn:aws:iam::123456789876:role/astro-stellar-apogee-4567";
const ROLE: &str = "astro-partner-shared";
/// A partner's statement trusting anyone: the plan keeps it, and it raises a warning.
const SEED: &str = r#"{"Version":"2012-10-17","Statement":[{"Sid":"Partner","Effect":"Allow","Principal":{"AWS":"*"},"Action":"sts:AssumeRole"}]}"#;
/// A customer-managed policy of the account, found by the permissions step's search.
const OWN_POLICY: &str = "astro-data-read";
const KEY_ID: &str = "AKIAE2EPATHS00000000";
const SECRET: &str = "e2e-paths-secret-never-shown";

async fn aws_walk(app: &AppSession, moto_url: &str) -> Result<(), Error> {
    let dark =
        app.client.execute("return matchMedia('(prefers-color-scheme: dark)').matches;", vec![]).await?;
    assert_eq!(dark, Value::Bool(true), "the desktop prefers dark, and so does the page");
    app.start_journey("Authorize on AWS").await?;
    app.find("#identities").await?.send_keys(DEPLOYMENT).await?;
    app.wait_for_text("[data-testid=parsed-identities]", DEPLOYMENT).await?;
    app.click_button("Next").await?;

    // Access keys typed into the keyring, then checked against moto.
    app.choose("Enter access keys").await?;
    app.reveal("details > summary").await?.click().await?;
    app.find("#endpoint").await?.send_keys(moto_url).await?;
    let name = app.find("#key-name").await?;
    name.clear().await?;
    name.send_keys("e2e-keys").await?;
    app.find("#key-id").await?.send_keys(KEY_ID).await?;
    app.find("#key-secret").await?.send_keys(SECRET).await?;
    app.screenshot("paths-1-keys-dark").await?;
    app.click_button("Save in keyring and check").await?;
    if let Err(err) = app.wait_for_text("[data-testid=caller]", "123456789012").await {
        let shown = app.text_of("[data-testid=journey-error]").await.unwrap_or_default();
        return Err(format!("{err}; the window says: {shown}").into());
    }
    app.click_button("Next").await?;

    // One existing role: until it is ticked, Next waits and the step says why.
    app.choose("Use an existing role").await?;
    app.wait_for_text("[data-testid=role-list]", ROLE).await?;
    app.wait_for_text("[data-testid=role-missing]", "Tick a role").await?;
    assert!(!app.button_enabled("Next").await?, "Next waits for a role");
    let summary = app.text_of("aside[aria-label='Summary']").await?;
    assert!(!summary.contains("astro-deployments"), "no role the user never chose: {summary}");
    app.choose(ROLE).await?;
    app.click_button("Next").await?;

    // Review: the partner's wildcard warns; the Deployment's own statement gets a condition
    // from a preset, by hand in the editor.
    app.wait_for_text("[data-testid=diff]", DEPLOYMENT).await?;
    app.click_button("Edit the policy…").await?;
    let card =
        format!("//article[starts-with(@data-testid, 'statement-')][.//*[contains(., '{DEPLOYMENT}')]]");
    app.client.wait().for_element(Locator::XPath(&card)).await?;
    app.client
        .find(Locator::XPath(&format!(
            "{card}//label[.//span[starts-with(normalize-space(), 'Condition preset')]]//select/option[normalize-space()='External ID']"
        )))
        .await?
        .click()
        .await?;
    app.client
        .find(Locator::XPath(&format!(
            "{card}//label[.//span[starts-with(normalize-space(), 'Condition values')]]//input"
        )))
        .await?
        .send_keys("astro-e2e-external")
        .await?;
    app.client
        .find(Locator::XPath(&format!(
            "{card}//div[contains(@class, 'add')][.//span[starts-with(normalize-space(), 'Condition preset')]]//button"
        )))
        .await?
        .click()
        .await?;
    // The card lists the condition and the JSON pane shows it.
    app.wait_for_text("[data-testid=trust-policy-editor] article", "sts:ExternalId").await?;
    app.wait_for_text("[data-testid=trust-policy-editor] .cm-content", "astro-e2e-external").await?;
    app.screenshot("paths-2-condition-preset-dark").await?;
    app.click_button("Review this policy").await?;
    app.wait_for_text("[data-testid=diff]", "astro-e2e-external").await?;

    // Apply waits for the warning to be confirmed.
    let confirm = "//label[contains(normalize-space(), 'I have read the warnings')]/input";
    app.client.find(Locator::XPath(confirm)).await?;
    assert!(!app.button_enabled("Apply").await?, "Apply waits for the confirmation");
    app.screenshot("paths-3-warning-dark").await?;
    app.client.find(Locator::XPath(confirm)).await?.click().await?;
    app.click_button("Apply").await?;

    // Permissions: the account's own policy, found by a search, attached after its review.
    let search = app.reveal("#policy-search").await?;
    search.clear().await?;
    search.send_keys("astro-data").await?;
    app.click_button("Search my account").await?;
    app.wait_for_text("[data-testid=policy-list]", OWN_POLICY).await?;
    app.reveal(&format!("button[aria-label='Attach {OWN_POLICY}']")).await?.click().await?;
    app.find("[data-testid=permission-review]").await?;
    app.reveal("button[aria-label='Apply permission change']").await?.click().await?;
    app.wait_for_text("[data-testid=permission-changes]", "Applied and verified").await?;
    app.screenshot("paths-3b-own-policy-attached-dark").await?;
    app.click_button("Next").await?;
    app.wait_for_text("[data-testid=connection]", "Connection Type: Amazon Web Services").await?;
    app.client.find(Locator::XPath("//summary[normalize-space()='More options']")).await?.click().await?;
    app.find("#conn-external-id").await?.send_keys("astro-e2e-external").await?;
    app.wait_for_text(
        "[data-testid=connection]",
        r#""assume_role_kwargs":{"ExternalId":"astro-e2e-external"}"#,
    )
    .await?;
    // Web identity and an external id do not go together: said on the field, then resolved.
    app.client
        .find(Locator::XPath("//label[contains(normalize-space(), 'web identity token')]/input"))
        .await?
        .click()
        .await?;
    let refused = app.wait_for_text("#conn-external-id-error", "web identity").await?;
    assert!(refused.starts_with("An external id cannot"), "a sentence for people: {refused}");
    // Select all, then Backspace (U+E009 Control, U+E000 release, U+E003 Backspace).
    app.find("#conn-external-id").await?.send_keys("\u{E009}a\u{E000}\u{E003}").await?;
    app.wait_for_text("[data-testid=connection]", "assume_role_with_web_identity").await?;
    app.screenshot("paths-4-web-identity-dark").await?;
    app.click_button("Next").await?;

    // Done: the console button opens the role's page in the browser.
    app.click_button("Open the role in the AWS console").await?;
    Ok(())
}

#[test]
fn keyring_keys_existing_role_hand_edit_and_confirmed_warning_in_dark_mode() -> Result<(), Error> {
    let app = app_binary()?;
    let moto = Moto::start()?;
    // SAFETY: first thing in this test's own process (nextest), before any thread starts.
    let browser = unsafe { StubBrowser::install()? };
    let desktop = Desktop::start()?;
    // GTK's own setting: WebKit reports it to the page as prefers-color-scheme.
    desktop.prefer_dark()?;
    let driver = Driver::start(&desktop)?;
    let runtime = tokio::runtime::Builder::new_current_thread().enable_all().build()?;
    runtime.block_on(async {
        let iam = moto_iam(&moto.url).await;
        iam.create_role().role_name(ROLE).assume_role_policy_document(SEED).send().await?;
        let document = r#"{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"s3:GetObject","Resource":"arn:aws:s3:::astro-data/*"}]}"#;
        let created = iam.create_policy().policy_name(OWN_POLICY).policy_document(document).send().await?;
        let policy_arn = created.policy().and_then(|p| p.arn()).ok_or("no policy ARN")?.to_owned();
        let session = AppSession::start(&driver, &app).await?;
        let outcome = aws_walk(&session, &moto.url).await;
        if outcome.is_err() {
            let _ = session.screenshot("paths-aws-failure").await;
        }
        session.close().await;
        outcome?;

        // At moto: the Deployment trusted under the preset's condition, the partner kept.
        let policy = moto_trust_policy(&iam, ROLE).await?;
        let statements = policy["Statement"].as_array().ok_or("no statements")?;
        let ours = statements
            .iter()
            .find(|s| s.to_string().contains(DEPLOYMENT))
            .ok_or_else(|| format!("the Deployment is not trusted: {policy}"))?;
        assert_eq!(ours["Condition"]["StringEquals"]["sts:ExternalId"], "astro-e2e-external", "{policy}");
        assert!(statements.iter().any(|s| s["Sid"] == "Partner" && s["Principal"]["AWS"] == "*"), "{policy}");
        let attached = iam.list_attached_role_policies().role_name(ROLE).send().await?;
        let arns: Vec<&str> = attached.attached_policies().iter().filter_map(|p| p.policy_arn()).collect();
        assert_eq!(arns, [policy_arn.as_str()], "the account's own policy is attached");
        Ok::<(), Error>(())
    })?;

    // The browser was asked for the role's page in the console, and nothing else.
    let urls = browser.opened()?;
    assert_eq!(urls.len(), 1, "{urls:?}");
    assert!(urls[0].starts_with("https://console.aws.amazon.com/iam/") && urls[0].contains(ROLE), "{urls:?}");

    // The keys are in the Secret Service (read by another client) and in no file.
    let kept = desktop.secret_tool(&[
        "lookup",
        "service",
        "dev.astroidentity.app:aws:e2e-keys",
        "username",
        "credentials",
    ])?;
    assert!(kept.contains(KEY_ID), "the keyring holds the keys: {kept:?}");
    let leaks = files_containing(desktop.root.path(), SECRET, &[])?;
    assert!(leaks.is_empty(), "the secret reached {leaks:?}");
    // The app's diagnostics log recorded the session (so the scan above read it) and holds
    // neither the secret nor the key id.
    let log = std::fs::read_to_string(
        desktop.root.path().join("data/dev.astroidentity.app/logs/astro-identity.log"),
    )?;
    assert!(log.contains("astro-identity started"), "{log}");
    assert!(log.contains("change intended") && log.contains("outcome=Done"), "each change is logged: {log}");
    assert!(!log.contains(SECRET) && !log.contains(KEY_ID), "{log}");
    Ok(())
}

// ---------------------------------------------------------------- Google Cloud

const SA: &str = "astro-fiery-nebula-1234@astronomer-prod.iam.gserviceaccount.com";
const RUNNER: &str = "etl-runner@astro-data.iam.gserviceaccount.com";

fn bindings(policy: &Value, role: &str) -> Vec<Value> {
    policy["bindings"].as_array().into_iter().flatten().filter(|b| b["role"] == role).cloned().collect()
}

/// The first two steps of every GCP walk: the Deployment's account, then the project on the
/// fake without credentials, on the route `route` (the radio's bold text).
async fn gcp_start(app: &AppSession, fake: &GcpFake, route: &str) -> Result<(), Error> {
    app.start_journey("Authorize on GCP").await?;
    app.find("#service-account").await?.send_keys(SA).await?;
    app.wait_for_text("[data-testid=parsed-member]", SA).await?;
    app.click_button("Next").await?;
    app.find("#project-id").await?.send_keys("astro-data").await?;
    app.choose(route).await?;
    app.use_gcp_fake(&fake.url).await?;
    Ok(())
}

async fn pick_role(app: &AppSession, query: &str, role: &str) -> Result<(), Error> {
    let search = app.find("#role-search").await?;
    search.clear().await?;
    search.send_keys(query).await?;
    app.wait_for_text("[data-testid=role-results]", role).await?;
    let xpath = format!("//ul[@aria-label='Roles']//label[.//code[normalize-space()='{role}']]/input");
    app.client.find(Locator::XPath(&xpath)).await?.click().await?;
    Ok(())
}

async fn impersonation(app: &AppSession, fake: &GcpFake) -> Result<(), Error> {
    gcp_start(app, fake, "Impersonate one of my service accounts").await?;
    app.find("#impersonate-account").await?.send_keys(RUNNER).await?;
    app.click_button("Next").await?;
    app.wait_for_text("h2.step-title", "Permission to impersonate").await?;
    app.click_button("Next").await?;
    let summary = app.wait_for_text("[data-testid=review-summary]", RUNNER).await?;
    assert!(summary.contains("roles/iam.serviceAccountTokenCreator"), "{summary}");
    app.click_button("Apply").await?;
    let connection = app.wait_for_text("[data-testid=connection]", "Google Cloud").await?;
    assert!(connection.contains(RUNNER), "the connection impersonates the account: {connection}");
    app.screenshot("paths-4-impersonation").await?;
    Ok(())
}

async fn conditional_grant(app: &AppSession, fake: &GcpFake) -> Result<(), Error> {
    gcp_start(app, fake, "Grant a role on the project").await?;
    app.click_button("Next").await?;
    // A basic role warns at once; it is unticked again for a predefined one.
    pick_role(app, "viewer", "roles/viewer").await?;
    app.wait_for_text("p.warn", "roles/viewer is a basic role").await?;
    pick_role(app, "viewer", "roles/viewer").await?;
    pick_role(app, "bigquery job user", "roles/bigquery.jobUser").await?;
    choose_toggle(app, "Only when a condition holds (IAM Conditions)").await?;
    app.find("#condition-title").await?.send_keys("until 2027").await?;
    app.find("#condition-expression")
        .await?
        .send_keys(r#"request.time < timestamp("2027-01-01T00:00:00Z")"#)
        .await?;
    app.screenshot("paths-5-condition").await?;
    app.click_button("Next").await?;
    let summary = app.wait_for_text("[data-testid=review-summary]", "roles/bigquery.jobUser").await?;
    assert!(summary.contains("when “until 2027”"), "{summary}");
    app.click_button("Apply").await?;
    app.wait_for_text("[data-testid=connection]", "Google Cloud").await?;
    Ok(())
}

/// The planned grant, edited by hand in the bindings table before it is applied: a member
/// the user no longer wants is removed in the same write.
async fn hand_edited_bindings(app: &AppSession, fake: &GcpFake) -> Result<(), Error> {
    gcp_start(app, fake, "Grant a role on the project").await?;
    app.click_button("Next").await?;
    pick_role(app, "storage object viewer", "roles/storage.objectViewer").await?;
    app.click_button("Next").await?;
    app.wait_for_text("[data-testid=diff]", "roles/storage.objectViewer").await?;
    app.click_button("Edit the policy…").await?;
    app.reveal("button[aria-label='Remove user:bob@example.com from roles/viewer']").await?.click().await?;
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(10);
    while app.text_of("#bindings-json").await?.contains("bob@example.com") {
        if std::time::Instant::now() > deadline {
            return Err("the JSON still holds the removed member".into());
        }
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    }
    app.click_button("Review this policy").await?;
    let summary = app.wait_for_text("[data-testid=review-summary]", "apply the edited policy").await?;
    assert!(summary.contains("1 grant added") && summary.contains("1 removed"), "{summary}");
    app.screenshot("paths-5b-hand-edited-bindings").await?;
    app.click_button("Apply").await?;
    app.wait_for_text("[data-testid=connection]", "Google Cloud").await?;
    Ok(())
}

async fn basic_role(app: &AppSession, fake: &GcpFake) -> Result<(), Error> {
    gcp_start(app, fake, "Grant a role on the project").await?;
    app.click_button("Next").await?;
    pick_role(app, "editor", "roles/editor").await?;
    app.click_button("Next").await?;
    app.wait_for_text("[data-testid=review-summary]", "roles/editor").await?;
    let confirm = "//label[contains(normalize-space(), 'I have read the warnings')]/input";
    app.client.find(Locator::XPath(confirm)).await?;
    assert!(!app.button_enabled("Apply").await?, "a basic role waits for the confirmation");
    let writes = || fake.seen().iter().filter(|r| r.path.ends_with(":setIamPolicy")).count();
    let before = writes();
    app.screenshot("paths-6-basic-role-warning").await?;
    app.client.find(Locator::XPath(confirm)).await?.click().await?;
    assert_eq!(writes(), before, "confirming writes nothing: Apply does");
    app.click_button("Apply").await?;
    app.wait_for_text("[data-testid=connection]", "Google Cloud").await?;
    Ok(())
}

/// Ticks the checkbox whose label's text is `text`.
async fn choose_toggle(app: &AppSession, text: &str) -> Result<(), Error> {
    let xpath = format!("//label[normalize-space()='{text}']/input");
    app.client
        .find(Locator::XPath(&xpath))
        .await
        .map_err(|e| format!("toggle {text:?}: {e}"))?
        .click()
        .await?;
    Ok(())
}

#[test]
fn impersonation_a_conditional_grant_a_hand_edit_and_a_confirmed_basic_role_reach_the_peer()
-> Result<(), Error> {
    let app = app_binary()?;
    let fake = GcpFake::start()?;
    fake.seed(
        "astro-data",
        json!({"bindings": [{"role": "roles/viewer", "members": ["user:ada@example.com", "user:bob@example.com"]}]}),
    );
    fake.seed_service_account(
        RUNNER,
        json!({"bindings": [{"role": "roles/iam.serviceAccountUser", "members": ["user:ada@example.com"]}]}),
    );
    let desktop = Desktop::start()?;
    let driver = Driver::start(&desktop)?;
    let runtime = tokio::runtime::Builder::new_current_thread().enable_all().build()?;
    let member = format!("serviceAccount:{SA}");
    for (name, walk) in [("impersonation", 0), ("condition", 1), ("hand-edit", 2), ("basic", 3)] {
        runtime.block_on(async {
            let session = AppSession::start(&driver, &app).await?;
            let outcome = match walk {
                0 => impersonation(&session, &fake).await,
                1 => conditional_grant(&session, &fake).await,
                2 => hand_edited_bindings(&session, &fake).await,
                _ => basic_role(&session, &fake).await,
            };
            if outcome.is_err() {
                let _ = session.screenshot(&format!("paths-gcp-{name}-failure")).await;
            }
            session.close().await;
            outcome
        })?;
    }

    let account = fake.service_account_policy(RUNNER).ok_or("account gone")?;
    let creators = bindings(&account, "roles/iam.serviceAccountTokenCreator");
    assert_eq!(creators.len(), 1, "{account}");
    assert_eq!(creators[0]["members"], json!([member]));
    assert_eq!(
        bindings(&account, "roles/iam.serviceAccountUser")[0]["members"],
        json!(["user:ada@example.com"])
    );

    let project = fake.policy("astro-data").ok_or("project gone")?;
    let job = bindings(&project, "roles/bigquery.jobUser");
    assert_eq!(job.len(), 1, "{project}");
    assert_eq!(job[0]["members"], json!([member]));
    assert_eq!(job[0]["condition"]["title"], "until 2027");
    assert_eq!(job[0]["condition"]["expression"], r#"request.time < timestamp("2027-01-01T00:00:00Z")"#);
    assert_eq!(project["version"], 3, "a conditional binding needs version 3: {project}");
    assert_eq!(bindings(&project, "roles/editor")[0]["members"], json!([member]));
    assert_eq!(bindings(&project, "roles/storage.objectViewer")[0]["members"], json!([member]), "hand edit");
    assert_eq!(
        bindings(&project, "roles/viewer")[0]["members"],
        json!(["user:ada@example.com"]),
        "bob removed by hand, ada kept"
    );
    Ok(())
}

// ---------------------------------------------------------------- GCP key, provider, connection

const REQUIREMENTS: &str =
    "# Astro Runtime includes the following pre-installed providers packages\npandas>=2.0\n";
const PRIVATE: &str = "e2e-gcp-private-key-never-shown";

async fn key_provider_and_connection(
    app: &AppSession,
    fake: &GcpFake,
    airflow: &AirflowServer,
    desktop: &Desktop,
) -> Result<(), Error> {
    app.start_journey("Authorize on GCP").await?;
    app.find("#service-account").await?.send_keys(SA).await?;
    app.wait_for_text("[data-testid=parsed-member]", SA).await?;
    app.click_button("Next").await?;
    app.find("#project-id").await?.send_keys("astro-data").await?;

    // A service account key pasted into the keyring; the page forgets it.
    app.choose("Paste a service account key").await?;
    let name = app.reveal("#key-name").await?;
    name.clear().await?;
    name.send_keys("e2e-gcp").await?;
    let key = json!({"type": "service_account", "project_id": "astro-data", "client_email": RUNNER,
        "private_key": format!("-----BEGIN PRIVATE KEY-----\n{PRIVATE}\n-----END PRIVATE KEY-----\n")});
    app.reveal("#key-json").await?.send_keys(&key.to_string()).await?;
    app.click_button("Save in keyring").await?;
    // The stored key is now a credential to pick, named as saved.
    let stored = "//label[.//strong[normalize-space()='e2e-gcp']]//small[contains(., 'service account key')]";
    app.client.wait().for_element(Locator::XPath(stored)).await?;
    assert!(!app.client.source().await?.contains(PRIVATE), "the key left the page");

    // The fake takes no token exchange yet: the grant is sent without credentials.
    app.choose("Grant a role on the project").await?;
    app.use_gcp_fake(&fake.url).await?;
    app.click_button("Next").await?;
    pick_role(app, "bigquery job user", "roles/bigquery.jobUser").await?;
    app.click_button("Next").await?;
    app.wait_for_text("[data-testid=review-summary]", "roles/bigquery.jobUser").await?;
    app.click_button("Apply").await?;
    app.wait_for_text("[data-testid=connection]", "Google Cloud").await?;

    // The provider check adds the Google provider's line, then takes it out again.
    let requirements = write_home_file(desktop, "astro-project/requirements.txt", REQUIREMENTS)?;
    write_home_file(desktop, "astro-project/Dockerfile", "FROM astrocrpublic.azurecr.io/runtime:3.1\n")?;
    let dir = requirements.parent().ok_or("no project dir")?.to_string_lossy().into_owned();
    app.reveal("#project-dir").await?.send_keys(&dir).await?;
    app.click_button("Check").await?;
    app.wait_for_text("[data-testid=provider-result]", "is not in").await?;
    app.click_button("Add apache-airflow-providers-google>=8.5.0").await?;
    app.wait_for_text("[data-testid=provider-added]", "Appended").await?;
    assert_eq!(
        std::fs::read_to_string(&requirements)?,
        format!("{REQUIREMENTS}apache-airflow-providers-google>=8.5.0\n")
    );
    app.click_button("Undo…").await?;
    app.click_button("Remove the line again").await?;
    app.wait_for_text("[data-testid=provider-removed]", "Removed").await?;
    assert_eq!(std::fs::read_to_string(&requirements)?, REQUIREMENTS, "every byte as it was");

    // One click: the connection created in a real Airflow 3, then deleted again.
    app.reveal("#airflow-url").await?.send_keys(&airflow.url).await?;
    app.reveal("#api-token").await?.send_keys(&airflow.token()?).await?;
    app.click_button("Check the connection").await?;
    app.wait_for_text("[data-testid=connection-plan]", "it will be created").await?;
    app.click_button("Create connection").await?;
    app.wait_for_text("[data-testid=connection-outcome]", "Written and verified").await?;
    let stored = airflow.cli(&["connections", "get", "google_cloud_default", "-o", "json"])?;
    assert!(stored.contains("astro-data") && stored.contains("google_cloud_platform"), "{stored}");
    app.screenshot("paths-7-gcp-connection-created").await?;
    app.click_button("Undo…").await?;
    app.click_button("Delete the connection again").await?;
    app.wait_for_text("[data-testid=connection-undone]", "Undone and verified").await?;
    let after = airflow.cli(&["connections", "get", "google_cloud_default", "-o", "json"]);
    assert!(
        after.as_ref().map_or(true, |text| !text.contains("astro-data")),
        "the connection is gone: {after:?}"
    );
    Ok(())
}

#[test]
fn a_pasted_key_the_google_provider_line_and_a_created_connection_are_each_undone() -> Result<(), Error> {
    let app = app_binary()?;
    let fake = GcpFake::start()?;
    fake.seed(
        "astro-data",
        json!({"bindings": [{"role": "roles/viewer", "members": ["user:ada@example.com"]}]}),
    );
    let airflow = AirflowServer::start()?;
    let desktop = Desktop::start()?;
    let driver = Driver::start(&desktop)?;
    let runtime = tokio::runtime::Builder::new_current_thread().enable_all().build()?;
    runtime.block_on(async {
        let session = AppSession::start(&driver, &app).await?;
        let outcome = key_provider_and_connection(&session, &fake, &airflow, &desktop).await;
        if outcome.is_err() {
            let _ = session.screenshot("paths-gcp-connection-failure").await;
        }
        session.close().await;
        outcome
    })?;
    let kept = desktop.secret_tool(&[
        "lookup",
        "service",
        "dev.astroidentity.app:gcp:e2e-gcp",
        "username",
        "credentials",
    ])?;
    assert!(kept.contains(RUNNER) && kept.contains(PRIVATE), "the keyring holds the key");
    let leaks = files_containing(desktop.root.path(), PRIVATE, &[])?;
    assert!(leaks.is_empty(), "the private key reached {leaks:?}");
    let project = fake.policy("astro-data").ok_or("project gone")?;
    assert_eq!(
        bindings(&project, "roles/bigquery.jobUser")[0]["members"],
        json!([format!("serviceAccount:{SA}")])
    );
    Ok(())
}

// ---------------------------------------------------------------- settling from the home screen

async fn settle_walk(app: &AppSession) -> Result<(), Error> {
    app.client.execute("window.__e2eMarker = 1;", vec![]).await?;
    let pending = app.wait_for_text("[data-testid=interrupted-changes]", "astro-landed").await?;
    assert!(pending.contains("Interrupted changes to check"), "{pending}");
    // The credentials come from the machine's profiles, listed once the scan is done.
    app.wait_for_text("[data-testid=aws-profiles]", "moto").await?;
    app.client
        .find(Locator::XPath(
            "//section[@data-testid='interrupted-changes']//label[.//span[normalize-space()='AWS credentials']]//select/option[@value='moto']",
        ))
        .await?
        .click()
        .await?;
    app.click_button("Check AWS changes").await?;
    let settled = app.wait_for_text("[data-testid=interrupted-changes]", "it was applied").await?;
    assert!(settled.contains("Interrupted changes, settled"), "{settled}");
    assert!(settled.contains(" UTC); it was applied"), "the time reads to the minute: {settled}");
    app.screenshot("paths-8-settled").await?;
    let still = app.client.execute("return window.__e2eMarker === 1;", vec![]).await?;
    assert_eq!(still, Value::Bool(true), "the page was not reloaded");
    Ok(())
}

#[test]
fn an_interrupted_change_is_settled_from_the_home_screen_by_reading_the_role() -> Result<(), Error> {
    use astro_identity_cloud::journal::{ChangeStatus, Journal, JournalAction, JournalEntry, Subject};

    let app = app_binary()?;
    let moto = Moto::start()?;
    let desktop = Desktop::start()?;
    // The profile names moto as its endpoint, as a private endpoint would be configured.
    write_moto_profile(&desktop, Some(&moto.url))?;
    let before = json!({"Version": "2012-10-17", "Statement": [{"Effect": "Allow",
        "Principal": {"Service": "ec2.amazonaws.com"}, "Action": "sts:AssumeRole"}]});
    let mut after = before.clone();
    after["Statement"]
        .as_array_mut()
        .ok_or("statements")?
        .push(json!({"Effect": "Allow", "Principal": {"AWS": [DEPLOYMENT]}, "Action": "sts:AssumeRole"}));
    // What a crash left: the intent journaled, the write landed, no outcome recorded.
    let journal = Journal::in_dir(&desktop.root.path().join("data/dev.astroidentity.app"));
    let subject = Subject::TrustPolicy {
        account: "123456789012".into(),
        role: "astro-landed".into(),
        role_arn: "arn:aws:iam::123456789012:role/astro-landed".into(),
    };
    let mut entry =
        JournalEntry::now("arn:aws:iam::123456789012:user/moto", subject, JournalAction::UpdateTrustPolicy);
    entry.before = Some(before);
    entry.after = Some(after.clone());
    journal.intend(&entry)?;

    let driver = Driver::start(&desktop)?;
    let runtime = tokio::runtime::Builder::new_current_thread().enable_all().build()?;
    runtime.block_on(async {
        let iam = moto_iam(&moto.url).await;
        iam.create_role()
            .role_name("astro-landed")
            .assume_role_policy_document(after.to_string())
            .send()
            .await?;
        let session = AppSession::start(&driver, &app).await?;
        let outcome = settle_walk(&session).await;
        if outcome.is_err() {
            let _ = session.screenshot("paths-settle-failure").await;
        }
        session.close().await;
        outcome
    })?;
    // The journal now records the change as applied, so History can offer its undo.
    let statuses: Vec<ChangeStatus> = journal.history()?.iter().map(|c| c.status).collect();
    assert_eq!(statuses, [ChangeStatus::Applied]);
    Ok(())
}
