//! End to end: an IAM Identity Center (SSO) profile in the real window, signed in through the
//! portal fake with the token `aws sso login` cached, then used against moto; and the same
//! profile once the sign-in expired, which names the fix and writes nothing.

use astro_identity_tests::sso_fake::{SsoPortal, write_cached_token};
use astro_identity_tests::{AppSession, Desktop, Driver, Error, Moto, app_binary, write_home_file};

const DEPLOYMENT: &str = "arn:aws:iam::123456789876:role/astro-stellar-apogee-4567";
const START_URL: &str = "https://corp.awsapps.com/start";
const TOKEN: &str = "e2e-sso-access-token";

/// `~/.aws/config` with an `sso_session` profile whose portal is the fake.
fn write_sso_profile(desktop: &Desktop, portal: &SsoPortal) -> Result<(), Error> {
    let config = format!(
        "[profile data-sso]\nsso_session = corp\nsso_account_id = 111122223333\nsso_role_name = DataEngineer\n\
         region = us-east-1\nservices = local-sso\n\n[sso-session corp]\nsso_start_url = {START_URL}\n\
         sso_region = us-east-1\n\n[services local-sso]\nsso =\n  endpoint_url = {}\n",
        portal.url
    );
    write_home_file(desktop, ".aws/config", &config)?;
    Ok(())
}

async fn to_account(app: &AppSession, moto_url: &str) -> Result<(), Error> {
    app.wait_for_text("[data-testid=aws-profiles]", "data-sso").await?;
    app.start_journey("Authorize on AWS").await?;
    app.find("#identities").await?.send_keys(DEPLOYMENT).await?;
    app.wait_for_text("[data-testid=parsed-identities]", DEPLOYMENT).await?;
    app.click_button("Next").await?;
    app.choose("data-sso").await?;
    app.reveal("details > summary").await?.click().await?;
    app.find("#endpoint").await?.send_keys(moto_url).await?;
    app.click_button("Check who I am").await
}

fn run(desktop: &Desktop, test: impl AsyncFnOnce(&AppSession) -> Result<(), Error>) -> Result<(), Error> {
    let app = app_binary()?;
    let driver = Driver::start(desktop)?;
    let runtime = tokio::runtime::Builder::new_current_thread().enable_all().build()?;
    runtime.block_on(async {
        let session = AppSession::start(&driver, &app).await?;
        let outcome = test(&session).await;
        if outcome.is_err() {
            let _ = session.screenshot("sso-failure").await;
        }
        session.close().await;
        outcome
    })
}

#[test]
fn an_sso_profile_signs_in_through_the_portal_in_the_window() -> Result<(), Error> {
    let moto = Moto::start()?;
    let portal = SsoPortal::start()?;
    portal.accept(TOKEN);
    let desktop = Desktop::start()?;
    write_sso_profile(&desktop, &portal)?;
    write_cached_token(&desktop.home(), "corp", TOKEN, START_URL, 3600)?;
    run(&desktop, async |app| {
        to_account(app, &moto.url).await?;
        app.wait_for_text("[data-testid=caller]", "123456789012").await?;
        app.screenshot("sso-1-signed-in").await?;
        Ok(())
    })?;
    let calls = portal.calls();
    assert!(!calls.is_empty(), "GetRoleCredentials was called");
    assert!(
        calls
            .iter()
            .all(|c| c.account_id == "111122223333" && c.role_name == "DataEngineer" && c.token == TOKEN)
    );
    Ok(())
}

#[test]
fn an_expired_sso_sign_in_names_aws_sso_login_in_the_window() -> Result<(), Error> {
    let moto = Moto::start()?;
    let portal = SsoPortal::start()?;
    let desktop = Desktop::start()?;
    write_sso_profile(&desktop, &portal)?;
    write_cached_token(&desktop.home(), "corp", TOKEN, START_URL, -60)?;
    run(&desktop, async |app| {
        to_account(app, &moto.url).await?;
        let alert = app.wait_for_text("[role=alert]", "aws sso login").await?;
        assert!(alert.contains("the SSO sign-in of profile \"data-sso\" has expired"), "{alert}");
        assert!(alert.contains("Run `aws sso login --profile data-sso`, then try again."), "{alert}");
        assert!(!alert.contains(TOKEN), "{alert}");
        app.screenshot("sso-2-expired").await?;
        Ok(())
    })?;
    assert!(portal.calls().is_empty(), "the expired token was never sent");
    Ok(())
}
