//! End to end: "Who can reach what" in the real window. An AWS account in moto where two
//! roles trust a Deployment (one only with an external id) beside roles that trust no one
//! from Astro, and a GCP project in the fake: both read and listed; the Deployment offboarded
//! from AWS in one reviewed step, then put back with one Undo. Screenshots:
//! target/e2e/inventory-*.png.

use serde_json::{Value, json};

use astro_identity_tests::gcp_fake::GcpFake;
use astro_identity_tests::{
    AppSession, Desktop, Driver, Error, Moto, app_binary, moto_iam, write_moto_profile,
};

const SALES: &str = "arn:aws:iam::123456789876:role/astro-sales-etl-0001";
const FINANCE: &str = "arn:aws:iam::123456789876:role/astro-finance-0002";
const CI: &str = "arn:aws:iam::123456789876:role/ci";
const GCP_SALES: &str = "serviceAccount:astro-sales-etl-0001@astronomer-prod.iam.gserviceaccount.com";

async fn seed(iam: &aws_sdk_iam::Client) -> Result<(), Error> {
    let roles = [
        (
            "data-lake",
            json!([{"Effect": "Allow", "Principal": {"AWS": [SALES, FINANCE, CI]}, "Action": "sts:AssumeRole"}]),
        ),
        (
            "vendor-feed",
            json!([{"Effect": "Allow", "Principal": {"AWS": SALES}, "Action": "sts:AssumeRole",
                                "Condition": {"StringEquals": {"sts:ExternalId": "feed-42"}}},
                               {"Effect": "Allow", "Principal": {"AWS": CI}, "Action": "sts:AssumeRole"}]),
        ),
        ("ci-deploy", json!([{"Effect": "Allow", "Principal": {"AWS": CI}, "Action": "sts:AssumeRole"}])),
    ];
    for (name, statements) in roles {
        let document = json!({"Version": "2012-10-17", "Statement": statements}).to_string();
        iam.create_role().role_name(name).assume_role_policy_document(document).send().await?;
    }
    Ok(())
}

async fn trust_text(iam: &aws_sdk_iam::Client, role: &str) -> Result<String, Error> {
    let out = iam.get_role().role_name(role).send().await?;
    let encoded = out.role().and_then(|r| r.assume_role_policy_document()).ok_or("no policy")?;
    Ok(percent_encoding::percent_decode_str(encoded).decode_utf8()?.into_owned())
}

async fn walk(app: &AppSession, moto: &str, gcp: &GcpFake, iam: &aws_sdk_iam::Client) -> Result<(), Error> {
    app.click_button("Who can reach what").await?;
    app.wait_for_text("h1", "Who can reach what").await?;

    // AWS through the moto profile; GCP on the fake without credentials.
    app.reveal("#inventory-aws-profile option[value='moto']").await?.click().await?;
    app.reveal(".source details > summary").await?.click().await?;
    app.find("#inventory-aws-endpoint").await?.send_keys(moto).await?;
    app.click_button("Read AWS roles").await?;
    let rows = app.wait_for_text("[data-testid=inventory-rows]", "vendor-feed").await?;
    for expected in [
        format!("{SALES} → role data-lake in account 123456789012"),
        format!("{FINANCE} → role data-lake"),
        String::from("by shape"),
        String::from("Not granted by this app"),
    ] {
        assert!(rows.contains(&expected), "{expected} in {rows}");
    }
    assert!(!rows.contains("ci-deploy"), "{rows}");
    app.find("#inventory-gcp-projects").await?.send_keys("astro-data").await?;
    let gcp_details = app.client.find_all(fantoccini::Locator::Css(".source details > summary")).await?;
    gcp_details.get(1).ok_or("the GCP endpoint toggle")?.click().await?;
    app.find("#inventory-gcp-endpoint").await?.send_keys(&gcp.url).await?;
    app.client
        .find(fantoccini::Locator::XPath("//label[normalize-space()='Send no credentials']/input"))
        .await?
        .click()
        .await?;
    app.click_button("Read Google Cloud").await?;
    let rows = app.wait_for_text("[data-testid=inventory-rows]", "project astro-data").await?;
    assert!(rows.contains("roles/bigquery.jobUser"), "{rows}");
    app.screenshot("inventory-1-rows").await?;

    // Offboard Sales ETL from AWS: both roles, reviewed as diffs first.
    app.reveal(&format!("button[aria-label='Offboard {SALES}']")).await?.click().await?;
    let panel = app.wait_for_text("[data-testid=revoke-panel]", "Trust policy of role vendor-feed").await?;
    assert!(panel.contains("Trust policy of role data-lake"), "{panel}");
    assert_eq!(trust_text(iam, "data-lake").await?.matches("astro-sales").count(), 1, "nothing written yet");
    app.screenshot("inventory-2-offboard-review").await?;
    app.click_button("Revoke everywhere (2)").await?;
    app.wait_for_text("[data-testid=revoke-done]", "Revoked and verified in 2 places").await?;
    for role in ["data-lake", "vendor-feed"] {
        assert!(!trust_text(iam, role).await?.contains("astro-sales"), "{role}");
    }
    let lake = trust_text(iam, "data-lake").await?;
    assert!(lake.contains("astro-finance") && lake.contains("role/ci"), "{lake}");
    let rows = app.text_of("[data-testid=inventory-rows]").await?;
    assert!(!rows.contains(&format!("{SALES} → role")), "re-read without it: {rows}");

    // One Undo puts both back.
    app.click_button("Undo…").await?;
    app.click_button("Put every grant back").await?;
    app.wait_for_text("[data-testid=revoke-undone]", "2 changes undone").await?;
    assert!(trust_text(iam, "vendor-feed").await?.contains("feed-42"), "the condition is back");
    assert!(trust_text(iam, "data-lake").await?.contains("astro-sales"));
    app.screenshot("inventory-3-undone").await?;
    Ok(())
}

#[test]
fn lists_who_can_reach_what_and_offboards_a_deployment_then_puts_it_back() -> Result<(), Error> {
    let app = app_binary()?;
    let moto = Moto::start()?;
    let gcp = GcpFake::start()?;
    gcp.seed(
        "astro-data",
        json!({"bindings": [{"role": "roles/bigquery.jobUser", "members": [GCP_SALES, "user:ada@example.com"]}]}),
    );
    let desktop = Desktop::start()?;
    write_moto_profile(&desktop, None)?;
    let driver = Driver::start(&desktop)?;
    let runtime = tokio::runtime::Builder::new_current_thread().enable_all().build()?;
    runtime.block_on(async {
        let iam = moto_iam(&moto.url).await;
        seed(&iam).await?;
        let session = AppSession::start(&driver, &app).await?;
        let outcome = walk(&session, &moto.url, &gcp, &iam).await;
        if outcome.is_err() {
            let _ = session.screenshot("inventory-failure").await;
        }
        session.close().await;
        outcome
    })?;
    let project: Value = gcp.policy("astro-data").ok_or("project")?;
    assert!(project.to_string().contains("astro-sales"), "GCP was only read");
    Ok(())
}
