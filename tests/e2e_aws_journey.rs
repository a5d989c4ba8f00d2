//! End to end: the whole AWS journey in the real window, against moto, for two Deployments,
//! ending with the connection created in a real Airflow 3 through its REST API.
//! Each step leaves a screenshot in target/e2e/aws-*.png.

use fantoccini::Locator;
use fantoccini::key::Key;
use serde_json::{Value, json};

use astro_identity_tests::airflow::AirflowServer;
use astro_identity_tests::{
    AppSession, Desktop, Driver, Error, Moto, app_binary, cli_binary, files_containing, moto_iam,
    write_home_file, write_moto_profile,
};

const DEPLOYMENT_A: &str = "arn:aws:iam::123456789876:role/astro-stellar-apogee-4567";
const DEPLOYMENT_B: &str = "arn:aws:iam::123456789876:role/astro-lunar-crater-0815";
/// Typed into the JSON pane of the policy editor.
const TYPED: &str = "arn:aws:iam::123456789876:role/astro-typed-orbit-2024";

async fn trust_policy(iam: &aws_sdk_iam::Client, role: &str) -> Result<Option<Value>, Error> {
    match iam.get_role().role_name(role).send().await {
        Ok(out) => {
            let encoded = out.role().and_then(|r| r.assume_role_policy_document()).ok_or("no policy")?;
            Ok(Some(serde_json::from_str(&percent_encoding::percent_decode_str(encoded).decode_utf8()?)?))
        }
        Err(err) if format!("{err:?}").contains("NoSuchEntity") => Ok(None),
        Err(err) => Err(err.into()),
    }
}

/// A project as `astro dev init` leaves it, with a requirements.txt that lacks the provider
/// and uses CRLF line ends and a comment (all must survive the append byte for byte).
const REQUIREMENTS: &str = "# Astro Runtime includes the following pre-installed providers packages\r\npandas>=2.0 ; python_version >= \"3.10\"\r\n";

async fn journey(
    app: &AppSession,
    desktop: &Desktop,
    moto_url: &str,
    airflow: &AirflowServer,
) -> Result<(), Error> {
    app.start_journey("Authorize on AWS").await?;

    // 1. Deployments: two ARNs, validated as typed.
    let enter = char::from(Key::Enter);
    app.find("#identities").await?.send_keys(&format!("{DEPLOYMENT_A}{enter}{DEPLOYMENT_B}")).await?;
    let parsed = app.wait_for_text("[data-testid=parsed-identities]", DEPLOYMENT_B).await?;
    assert!(parsed.contains(DEPLOYMENT_A), "{parsed}");
    app.screenshot("aws-1-deployments").await?;
    app.click_button("Next").await?;

    // 2. AWS account: the `moto` profile from the seeded config, pointed at moto.
    app.use_aws_profile("moto", moto_url, "123456789012").await?;
    app.screenshot("aws-2-account").await?;
    app.click_button("Next").await?;

    // 3. Role: create one.
    let name = app.find("#role-name").await?;
    name.clear().await?;
    name.send_keys("astro-data-access").await?;
    app.screenshot("aws-3-role").await?;
    app.click_button("Next").await?;

    // 4. Review: the diff shows both Deployments; nothing is written yet.
    let diff = app.wait_for_text("[data-testid=diff]", DEPLOYMENT_B).await?;
    assert!(diff.contains(DEPLOYMENT_A), "{diff}");
    let summary = app.text_of("[data-testid=review-summary]").await?;
    assert!(summary.contains("trust 2 Deployments"), "{summary}");
    assert!(app.text_of("[data-testid=size-meter]").await?.contains("of 2,048 characters"));
    app.screenshot("aws-4-review").await?;

    // The visual editor: form and JSON in step, lints from Rust, a typo never loses the form.
    app.click_button("Edit the policy…").await?;
    app.wait_for_text("[data-testid=statement-0]", DEPLOYMENT_B).await?;
    app.client
        .find(Locator::XPath("//label[.//span[normalize-space()='New principal for statement 1']]//input"))
        .await?
        .send_keys("*")
        .await?;
    app.click_button("Add").await?;
    app.wait_for_text("[data-testid=statement-0]", "lets anyone").await?;
    let json = app.text_of("#policy-json").await?;
    assert!(json.contains("\"*\""), "the JSON shows the new principal: {json}");
    app.screenshot("aws-4a-editor-wildcard").await?;
    app.reveal("[aria-label='Remove AWS principal *']").await?.click().await?;
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(10);
    while app.text_of("[data-testid=statement-0]").await?.contains("lets anyone") {
        assert!(std::time::Instant::now() < deadline, "the wildcard lint never went away");
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    }
    // Type JSON: the form follows.
    let typed = format!(
        r#"{{"Version":"2012-10-17","Statement":[{{"Effect":"Allow","Principal":{{"AWS":["{DEPLOYMENT_A}","{TYPED}"]}},"Action":"sts:AssumeRole"}}]}}"#
    );
    app.type_into_code_editor("#policy-json", &typed).await?;
    app.wait_for_text("[data-testid=statement-0]", TYPED).await?;
    assert!(!app.text_of("[data-testid=statement-0]").await?.contains(DEPLOYMENT_B), "form follows the JSON");
    // Who can assume it, in words, follows the JSON too.
    app.reveal("[data-testid=who-can-assume] > summary").await?.click().await?;
    let who = app.wait_for_text("[data-testid=who-can-assume]", "role astro-typed").await?;
    assert!(
        who.contains("Allowed: role astro-stellar-apogee-4567 in account 123456789876 (and its sessions)"),
        "{who}"
    );
    app.find("#policy-json").await?.send_keys("oops").await?;
    app.wait_for_text("[data-testid=json-status]", "The form keeps the last valid policy").await?;
    assert!(app.text_of("[data-testid=statement-0]").await?.contains(TYPED), "form kept");
    assert_eq!(app.find("#policy-json").await?.attr("aria-invalid").await?.as_deref(), Some("true"));
    app.screenshot("aws-4b-editor-broken-json").await?;
    app.click_button("Discard edits").await?;
    app.click_button("Apply").await?;

    // 5. Permissions. The offline catalog of AWS-managed policies, with their documents.
    app.wait_for_text("[data-testid=catalog-list]", "AmazonS3ReadOnlyAccess").await?;
    app.reveal("[aria-label='Show the document of AmazonS3ReadOnlyAccess']").await?.click().await?;
    app.wait_for_text("[data-testid=policy-document]", "s3:Get*").await?;
    // The inline policy editor: a write action on "*" gets a lint at its statement.
    app.find_labelled("New resource for statement 1").await?.send_keys("*\u{E007}").await?;
    app.find("[aria-label='Remove resource *']").await?;
    app.find_labelled("Service of statement 1").await?.send_keys("s3").await?;
    app.find_labelled("New action for statement 1").await?.send_keys("PutObj").await?;
    app.wait_for_text("[aria-label='Suggested actions for statement 1']", "s3:PutObject").await?;
    app.client
        .find(Locator::XPath(
            "//ul[@aria-label='Suggested actions for statement 1']//button[.//code[text()='s3:PutObject']]",
        ))
        .await?
        .click()
        .await?;
    app.wait_for_text("[data-testid=permission-statement-0]", "which writes, on every resource").await?;
    app.wait_for_text("#permission-json", "s3:PutObject").await?;
    app.screenshot("aws-5a-permission-editor").await?;
    app.reveal("[aria-label='Remove resource *']").await?.click().await?;
    app.reveal("[aria-label='Remove action s3:PutObject']").await?.click().await?;
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(10);
    while app.text_of("#permission-json").await?.contains("s3:PutObject") {
        assert!(std::time::Instant::now() < deadline, "the action never left the JSON");
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    }
    app.click_button("Write inline policy").await?;
    // Permission writes are planned and shown as a diff before they are applied.
    app.wait_for_text("[data-testid=permission-review]", "astro-access").await?;
    app.screenshot("aws-5b-permission-review").await?;
    app.reveal("[aria-label='Apply permission change']").await?.click().await?;
    app.wait_for_text("[data-testid=permission-changes]", "astro-access").await?;
    app.screenshot("aws-5-permissions").await?;
    app.click_button("Next").await?;

    // 6. Airflow connection.
    let connection = app.wait_for_text("[data-testid=connection]", "role_arn").await?;
    assert!(connection.contains("arn:aws:iam::123456789012:role/astro-data-access"), "{connection}");
    app.screenshot("aws-6-connection").await?;
    // Every format's copy button copies exactly what the CLI prints for it.
    let cli_args = [
        "airflow",
        "aws",
        "--role-arn",
        "arn:aws:iam::123456789012:role/astro-data-access",
        "--region",
        "us-east-1",
    ];
    let tabs = app.client.find_all(Locator::Css("[role=tab]")).await?;
    assert_eq!(tabs.len(), 7, "one tab per format");
    for tab in tabs {
        let format = tab.attr("id").await?.unwrap_or_default().trim_start_matches("format-tab-").to_owned();
        tab.click().await?;
        let copy = app.find("[data-testid=format-panel] .actions button").await?;
        copy.click().await?;
        app.wait_for_text("[data-testid=format-panel] .actions button", "Copied").await?;
        let copied = desktop.clipboard()?;
        let printed =
            std::process::Command::new(cli_binary()?).args(cli_args).args(["--format", &format]).output()?;
        let printed = String::from_utf8(printed.stdout)?;
        assert_eq!(copied, printed.trim_end_matches('\n'), "format {format}: clipboard vs CLI");
        if format == "env-json" {
            assert!(app.text_of("[data-testid=format-panel]").await?.contains("AIRFLOW_CONN_AWS_DEFAULT"));
            app.screenshot("aws-6a-connection-env").await?;
        }
    }

    // The provider check finds the Amazon provider missing and adds it, keeping every byte.
    let project = write_home_file(desktop, "astro-project/requirements.txt", REQUIREMENTS)?;
    write_home_file(desktop, "astro-project/Dockerfile", "FROM astrocrpublic.azurecr.io/runtime:3.1\n")?;
    let project_dir = project.parent().ok_or("no project dir")?.to_string_lossy().into_owned();
    app.find("#project-dir").await?.send_keys(&project_dir).await?;
    app.click_button("Check").await?;
    app.wait_for_text("[data-testid=provider-result]", "is not in").await?;
    app.click_button("Add apache-airflow-providers-amazon").await?;
    app.wait_for_text("[data-testid=provider-added]", "Appended").await?;
    app.wait_for_text("[data-testid=provider-result]", "is required in").await?;
    let written = std::fs::read_to_string(&project)?;
    assert_eq!(written, format!("{REQUIREMENTS}apache-airflow-providers-amazon\r\n"));
    app.screenshot("aws-6b-provider-check").await?;

    // One click: the connection created in a real Airflow 3 through its REST API.
    app.find("#airflow-url").await?.send_keys(&airflow.url).await?;
    let token = airflow.token()?;
    app.find("#api-token").await?.send_keys(&token).await?;
    app.click_button("Check the connection").await?;
    app.wait_for_text("[data-testid=connection-plan]", "it will be created").await?;
    app.click_button("Create connection").await?;
    app.wait_for_text("[data-testid=connection-outcome]", "Written and verified").await?;
    let stored = airflow.cli(&["connections", "get", "aws_default", "-o", "json"])?;
    assert!(stored.contains("arn:aws:iam::123456789012:role/astro-data-access"), "{stored}");
    app.screenshot("aws-6c-connection-created").await?;
    // The token went to the keyring only: no file of the session holds it in clear.
    let hits = files_containing(desktop.root.path(), &token, &[])?;
    assert!(hits.is_empty(), "the API token leaked into {hits:?}");
    let kept = desktop.secret_tool(&[
        "lookup",
        "service",
        "dev.astroidentity.app:airflow:airflow",
        "username",
        "credentials",
    ])?;
    assert_eq!(kept, token, "the token is in the OS keyring");
    assert_eq!(app.find("#api-token").await?.prop("value").await?.as_deref(), Some(""), "field cleared");
    app.click_button("Next").await?;

    // 7. Done.
    let done = app.wait_for_text("[data-testid=done-summary]", "Yes").await?;
    assert!(done.contains("arn:aws:iam::123456789012:role/astro-data-access"), "{done}");
    let proof = app.text_of("[data-testid=access-proof]").await?;
    assert!(proof.contains("can assume role astro-data-access — Statement"), "{proof}");
    assert!(!proof.contains("cannot"), "{proof}");
    app.screenshot("aws-7-done").await?;
    Ok(())
}

async fn undo(app: &AppSession) -> Result<(), Error> {
    app.click_button("Undo…").await?;
    app.click_button("Restore the previous trust policy").await?;
    app.wait_for_text("[data-testid=undone]", "Restored and verified").await?;
    // Undone: the screen no longer claims the change is in place and verified.
    assert_eq!(app.text_of("h2.step-title").await?, "Change undone");
    let summary = app.text_of("[data-testid=done-summary]").await?;
    assert!(!summary.contains("Verified"), "{summary}");
    app.screenshot("aws-8-undone").await?;
    Ok(())
}

#[test]
fn authorizes_two_deployments_on_a_new_role_then_undoes_it() -> Result<(), Error> {
    let app = app_binary()?;
    let moto = Moto::start()?;
    let airflow = AirflowServer::start()?;
    let desktop = Desktop::start()?;
    write_moto_profile(&desktop, None)?;
    let driver = Driver::start(&desktop)?;
    let runtime = tokio::runtime::Builder::new_current_thread().enable_all().build()?;
    runtime.block_on(async {
        let iam = moto_iam(&moto.url).await;
        let session = AppSession::start(&driver, &app).await?;
        let mut outcome = journey(&session, &desktop, &moto.url, &airflow).await;
        if outcome.is_ok() {
            let policy = trust_policy(&iam, "astro-data-access").await?;
            assert_eq!(
                policy,
                Some(json!({"Version": "2012-10-17", "Statement": [{"Effect": "Allow",
                    "Principal": {"AWS": [DEPLOYMENT_A, DEPLOYMENT_B]}, "Action": "sts:AssumeRole"}]}))
            );
            let inline = iam
                .get_role_policy()
                .role_name("astro-data-access")
                .policy_name("astro-access")
                .send()
                .await?;
            assert!(
                inline.policy_document().contains("s3%3AGetObject")
                    || inline.policy_document().contains("s3:GetObject")
            );
            outcome = undo(&session).await;
        }
        if outcome.is_err() {
            let _ = session.screenshot("aws-failure").await;
        }
        session.close().await;
        outcome?;
        assert_eq!(trust_policy(&iam, "astro-data-access").await?, None, "undo deleted the created role");
        Ok(())
    })
}
