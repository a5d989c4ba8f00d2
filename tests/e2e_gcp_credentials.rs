//! End to end: the GCP journey in the real window with real Google credentials, checked by
//! the fake as Google checks them (`gcp_auth`): a service account key pasted into the window
//! and kept in the OS keyring, and gcloud's `authorized_user` ADC file, named on the home
//! screen. Screenshots in target/e2e/gcp-cred-*.png.

use fantoccini::Locator;
use serde_json::json;

use astro_identity_tests::gcp_auth::gcloud_user_adc;
use astro_identity_tests::gcp_fake::GcpFake;
use astro_identity_tests::{
    AppSession, Desktop, Driver, Error, app_binary, files_containing, write_home_file,
};

const ACCOUNT: &str = "astro-fiery-nebula-1234@astronomer-prod.iam.gserviceaccount.com";
const MEMBER: &str = "serviceAccount:astro-fiery-nebula-1234@astronomer-prod.iam.gserviceaccount.com";
const ETL: &str = "etl@astro-data.iam.gserviceaccount.com";
const ADA: &str = "ada@example.com";
const REFRESH: &str = "1//e2e-refresh-token";

fn etl_key() -> Result<String, Error> {
    Ok(std::fs::read_to_string(
        std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("testdata/keys/test-only-sa-etl.json"),
    )?)
}

/// gcloud's ADC file for ADA, refreshing at the fake.
fn write_gcloud_sign_in(desktop: &Desktop, fake: &GcpFake) -> Result<(), Error> {
    let adc = gcloud_user_adc(&fake.token_uri(), REFRESH, ADA);
    write_home_file(desktop, ".config/gcloud/application_default_credentials.json", &adc.to_string())?;
    Ok(())
}

fn fake() -> Result<GcpFake, Error> {
    let fake = GcpFake::start()?;
    fake.seed(
        "astro-data",
        json!({"bindings": [{"role": "roles/viewer", "members": ["user:ada@example.com"]}]}),
    );
    fake.require_auth();
    Ok(fake)
}

/// The identity and project steps, up to the choice of credentials.
async fn to_credentials(app: &AppSession) -> Result<(), Error> {
    app.start_journey("Authorize on GCP").await?;
    app.find("#service-account").await?.send_keys(ACCOUNT).await?;
    app.wait_for_text("[data-testid=parsed-member]", MEMBER).await?;
    app.click_button("Next").await?;
    app.find("#project-id").await?.send_keys("astro-data").await?;
    Ok(())
}

/// From the project step (credentials chosen) to the role picked; Next plans.
async fn pick_role(app: &AppSession, fake: &GcpFake, shot: &str) -> Result<(), Error> {
    app.reveal("details > summary").await?.click().await?;
    app.find("#gcp-endpoint").await?.send_keys(&fake.url).await?;
    app.screenshot(&format!("gcp-cred-{shot}-project")).await?;
    app.click_button("Next").await?;
    app.find("#role-search").await?.send_keys("bigquery job user").await?;
    app.client
        .find(Locator::XPath("//label[.//code[normalize-space()='roles/bigquery.jobUser']]/input"))
        .await?
        .click()
        .await?;
    app.click_button("Next").await
}

/// From the project step (credentials chosen) to the applied grant.
async fn grant(app: &AppSession, fake: &GcpFake, shot: &str) -> Result<(), Error> {
    pick_role(app, fake, shot).await?;
    app.wait_for_text("[data-testid=diff]", MEMBER).await?;
    app.screenshot(&format!("gcp-cred-{shot}-review")).await?;
    app.click_button("Apply").await?;
    app.wait_for_text("[data-testid=connection]", "Connection Type: Google Cloud").await?;
    Ok(())
}

fn run(desktop: &Desktop, test: impl AsyncFnOnce(&AppSession) -> Result<(), Error>) -> Result<(), Error> {
    let app = app_binary()?;
    let driver = Driver::start(desktop)?;
    let runtime = tokio::runtime::Builder::new_current_thread().enable_all().build()?;
    runtime.block_on(async {
        let session = AppSession::start(&driver, &app).await?;
        let outcome = test(&session).await;
        if outcome.is_err() {
            let _ = session.screenshot("gcp-cred-failure").await;
        }
        session.close().await;
        outcome
    })
}

#[test]
fn a_key_pasted_in_the_window_signs_every_call_from_the_keyring() -> Result<(), Error> {
    let fake = fake()?;
    fake.register_key(&etl_key()?)?;
    let desktop = Desktop::start()?;
    run(&desktop, async |app| {
        to_credentials(app).await?;
        app.choose("Paste a service account key").await?;
        let name = app.reveal("#key-name").await?;
        name.clear().await?;
        name.send_keys("etl").await?;
        app.reveal("#key-json").await?.send_keys(&etl_key()?).await?;
        app.click_button("Save in keyring").await?;
        app.wait_for_text(".ok", &format!("Acting as {ETL}")).await?;
        // The pasted key is gone from the page once it is in the keyring.
        assert!(app.client.find(Locator::Css("#key-json")).await.is_err(), "the key field is closed");
        grant(app, &fake, "key").await
    })?;
    assert!(fake.policy("astro-data").ok_or("gone")?.to_string().contains(MEMBER));
    let callers = fake.callers();
    assert!(callers.len() >= 3 && callers.iter().all(|c| c == ETL), "{callers:?}");
    // The key's private part is in no file the app wrote: only in the keyring's own store.
    let pem: serde_json::Value = serde_json::from_str(&etl_key()?)?;
    let line = pem["private_key"].as_str().ok_or("pem")?.lines().nth(3).ok_or("line")?.to_owned();
    assert_eq!(files_containing(&desktop.home(), &line, &[])?, Vec::<std::path::PathBuf>::new());
    Ok(())
}

#[test]
fn gclouds_sign_in_is_named_on_the_home_screen_and_used() -> Result<(), Error> {
    let fake = fake()?;
    fake.add_user(REFRESH, ADA);
    let desktop = Desktop::start()?;
    write_gcloud_sign_in(&desktop, &fake)?;
    run(&desktop, async |app| {
        let home = app.wait_for_text("[data-testid=gcp-adc]", ADA).await?;
        assert!(home.contains("gcloud user"), "{home}");
        app.screenshot("gcp-cred-home").await?;
        to_credentials(app).await?;
        app.wait_for_text("[data-testid=gcp-credentials]", ADA).await?;
        grant(app, &fake, "adc").await
    })?;
    assert!(fake.callers().iter().all(|c| c == ADA));
    // One sign-in for the plan and one for the apply; every call between uses its token.
    assert_eq!(fake.seen().iter().filter(|r| r.path == "/token").count(), 2);
    Ok(())
}

#[test]
fn a_revoked_sign_in_is_named_with_its_fix_and_nothing_is_written() -> Result<(), Error> {
    let fake = fake()?;
    fake.add_user(REFRESH, ADA);
    fake.revoke(REFRESH);
    let desktop = Desktop::start()?;
    write_gcloud_sign_in(&desktop, &fake)?;
    run(&desktop, async |app| {
        to_credentials(app).await?;
        pick_role(app, &fake, "revoked").await?;
        let alert = app.wait_for_text("[role=alert]", "could not sign in").await?;
        assert!(alert.contains(&format!("Application Default Credentials of {ADA}")), "{alert}");
        assert!(alert.contains("Run `gcloud auth application-default login` to sign in again."), "{alert}");
        assert!(!alert.contains(REFRESH) && !alert.contains("d-FL95Q19q7MQmFpd7hHD0Ty"), "{alert}");
        app.screenshot("gcp-cred-revoked").await?;
        Ok(())
    })?;
    assert!(fake.seen().iter().all(|r| r.path == "/token"), "no API call after the failed sign-in");
    Ok(())
}
