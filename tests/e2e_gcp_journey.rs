//! End to end: the whole GCP journey in the real window against the Resource Manager wire
//! fake, with a conditional-free grant, then undo. Screenshots in target/e2e/gcp-*.png.

use fantoccini::Locator;
use serde_json::json;

use astro_identity_tests::gcp_fake::GcpFake;
use astro_identity_tests::{AppSession, Desktop, Driver, Error, StubBrowser, app_binary};

const ACCOUNT: &str = "astro-fiery-nebula-1234@astronomer-prod.iam.gserviceaccount.com";
const MEMBER: &str = "serviceAccount:astro-fiery-nebula-1234@astronomer-prod.iam.gserviceaccount.com";

async fn journey(app: &AppSession, fake: &GcpFake) -> Result<(), Error> {
    app.start_journey("Authorize on GCP").await?;

    // 1. The Deployment's service account, validated as typed.
    app.find("#service-account").await?.send_keys(ACCOUNT).await?;
    app.wait_for_text("[data-testid=parsed-member]", MEMBER).await?;
    app.screenshot("gcp-1-deployment").await?;
    app.click_button("Next").await?;

    // 2. Project, pointed at the fake without credentials.
    app.find("#project-id").await?.send_keys("astro-data").await?;
    app.use_gcp_fake(&fake.url).await?;
    app.screenshot("gcp-2-project").await?;
    app.click_button("Next").await?;

    // 3. Role from the offline catalog, checked against the live list of grantable roles.
    app.click_button("Check which roles astro-data allows").await?;
    app.wait_for_text("[data-testid=grantable-count]", "3 roles are grantable on astro-data").await?;
    app.find("#role-search").await?.send_keys("bigquery job user").await?;
    app.wait_for_text("[data-testid=role-results]", "BigQuery Job User").await?;
    app.client
        .find(Locator::XPath("//label[.//code[normalize-space()='roles/bigquery.jobUser']]/input"))
        .await?
        .click()
        .await?;
    app.screenshot("gcp-3-role").await?;
    app.click_button("Next").await?;

    // 4. Review: the diff adds the binding; nothing written yet.
    app.wait_for_text("[data-testid=diff]", MEMBER).await?;
    assert!(app.text_of("[data-testid=review-summary]").await?.contains("grant roles/bigquery.jobUser"));
    assert_eq!(fake.seen().iter().filter(|r| r.path.ends_with(":setIamPolicy")).count(), 0);
    app.screenshot("gcp-4-review").await?;

    // The bindings editor: the table and the JSON in step, a typo never loses the table.
    app.click_button("Edit the policy…").await?;
    app.wait_for_text("[data-testid=bindings-editor]", "user:ada@example.com").await?;
    app.client
        .find(Locator::XPath("//label[.//span[normalize-space()='New member of roles/viewer']]//input"))
        .await?
        .send_keys("user:bob@example.com")
        .await?;
    app.click_button("Add").await?;
    app.wait_for_text("[data-testid=bindings-editor]", "user:bob@example.com").await?;
    let json = app.text_of("#bindings-json").await?;
    assert!(json.contains("user:bob@example.com"), "the JSON shows the new member: {json}");
    // A condition through the form: the JSON shows it.
    app.reveal("[aria-label='Add a condition to roles/bigquery.jobUser']").await?.click().await?;
    let form = "form[aria-label='Condition of roles/bigquery.jobUser']";
    app.find(&format!("{form} input[id$='-title']")).await?.send_keys("until 2027").await?;
    app.find(&format!("{form} textarea"))
        .await?
        .send_keys(r#"request.time < timestamp("2027-01-01T00:00:00Z")"#)
        .await?;
    app.screenshot("gcp-4b-condition-form").await?;
    app.click_button("Save condition").await?;
    app.wait_for_text("[data-testid=bindings-editor]", "when until 2027").await?;
    app.wait_for_text("#bindings-json", "\"title\": \"until 2027\"").await?;
    app.find("#bindings-json").await?.send_keys("oops").await?;
    app.wait_for_text("[data-testid=bindings-json-status]", "The table keeps the last valid policy").await?;
    assert!(app.text_of("[data-testid=bindings-editor]").await?.contains("user:bob@example.com"));
    app.screenshot("gcp-4a-bindings-editor").await?;
    app.click_button("Discard edits").await?;
    app.click_button("Apply").await?;

    // 5. Airflow connection.
    let connection = app.wait_for_text("[data-testid=connection]", "Connection Type: Google Cloud").await?;
    assert!(connection.contains(r#"Extra: {"project":"astro-data"}"#), "{connection}");
    app.screenshot("gcp-5-connection").await?;
    app.reveal("#format-tab-env-json").await?.click().await?;
    app.wait_for_text(
        "[data-testid=format-text]",
        r#"{"conn_type":"google_cloud_platform","extra":{"project":"astro-data"}}"#,
    )
    .await?;
    app.click_button("Next").await?;

    // 6. Done, then undo.
    app.wait_for_text("[data-testid=done-summary]", "Yes").await?;
    app.screenshot("gcp-6-done").await?;
    let granted = fake.policy("astro-data").ok_or("project gone")?;
    assert!(granted.to_string().contains(MEMBER), "{granted}");
    app.click_button("Open it in the Cloud console").await?;
    app.click_button("Undo…").await?;
    app.click_button("Remove the grant").await?;
    app.wait_for_text("[data-testid=undone]", "Removed and verified").await?;
    // Undone: the screen no longer claims the grant is in place and verified.
    assert_eq!(app.text_of("h2.step-title").await?, "Grant removed");
    let summary = app.text_of("[data-testid=done-summary]").await?;
    assert!(!summary.contains("Verified"), "{summary}");
    app.screenshot("gcp-7-undone").await?;
    Ok(())
}

#[test]
fn grants_a_role_on_a_project_then_undoes_it() -> Result<(), Error> {
    let app = app_binary()?;
    // SAFETY: first thing in this test's own process (nextest), before any thread starts.
    let browser = unsafe { StubBrowser::install()? };
    let fake = GcpFake::start()?;
    fake.seed(
        "astro-data",
        json!({"bindings": [{"role": "roles/viewer", "members": ["user:ada@example.com"]}],
               "auditConfigs": [{"service": "allServices", "auditLogConfigs": [{"logType": "DATA_READ"}]}]}),
    );
    let desktop = Desktop::start()?;
    let driver = Driver::start(&desktop)?;
    let runtime = tokio::runtime::Builder::new_current_thread().enable_all().build()?;
    runtime.block_on(async {
        let session = AppSession::start(&driver, &app).await?;
        let outcome = journey(&session, &fake).await;
        if outcome.is_err() {
            let _ = session.screenshot("gcp-failure").await;
        }
        session.close().await;
        outcome
    })?;
    let urls = browser.opened()?;
    assert_eq!(urls.len(), 1, "{urls:?}");
    assert!(
        urls[0].starts_with("https://console.cloud.google.com/iam-admin/iam")
            && urls[0].contains("astro-data"),
        "the project's IAM page: {urls:?}"
    );
    let after = fake.policy("astro-data").ok_or("project gone")?;
    assert!(!after.to_string().contains(MEMBER), "undo removed the grant: {after}");
    assert_eq!(after["bindings"], json!([{"role": "roles/viewer", "members": ["user:ada@example.com"]}]));
    assert_eq!(after["auditConfigs"][0]["service"], "allServices");
    Ok(())
}
