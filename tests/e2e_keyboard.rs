//! End to end: the whole AWS journey with the keyboard only, as someone who cannot use a
//! mouse does it: Tab to each control (the test fails if Tab never reaches it), type, arrow
//! keys in a radio group, Enter or Space to press. No element is clicked. The role it creates
//! is then checked in moto. Screenshots in target/e2e/keyboard-*.png show the focus ring.

use serde_json::Value;

use astro_identity_tests::{
    AppSession, Desktop, Driver, Error, Moto, app_binary, moto_iam, moto_trust_policy, write_moto_profile,
};

const DEPLOYMENT: &str = "arn:aws:iam::123456789876:role/astro-stellar-apogee-4567";
const TAB: &str = "\u{E004}";
const ENTER: &str = "\u{E007}";
const SPACE: &str = "\u{E00D}";
const DOWN: &str = "\u{E015}";

/// Sends keys to whatever has the focus, as a keyboard does.
async fn press(app: &AppSession, keys: &str) -> Result<(), Error> {
    app.client.active_element().await?.send_keys(keys).await?;
    Ok(())
}

/// Presses Tab until the focused element satisfies `test` (JavaScript over `e`, the focused
/// element), at most 60 times: what a keyboard user cannot reach fails here.
async fn tab_to(app: &AppSession, what: &str, test: &str) -> Result<(), Error> {
    let script = format!("const e = document.activeElement; return !!e && e !== document.body && ({test});");
    for _ in 0..60 {
        if app.client.execute(&script, vec![]).await? == Value::Bool(true) {
            return Ok(());
        }
        press(app, TAB).await?;
    }
    Err(format!("Tab never reached {what}").into())
}

fn button(label: &str) -> String {
    format!("e.tagName === 'BUTTON' && !e.disabled && e.textContent.trim() === '{label}'")
}

/// Tabs to the enabled button `label` and presses it with Enter.
async fn activate(app: &AppSession, label: &str) -> Result<(), Error> {
    tab_to(app, &format!("the {label:?} button"), &button(label)).await?;
    press(app, ENTER).await
}

/// Waits (up to 20 s) until the button `label` is enabled, e.g. after a step's checks.
async fn wait_enabled(app: &AppSession, label: &str) -> Result<(), Error> {
    let script = format!("return [...document.querySelectorAll('button')].some((e) => {});", button(label));
    for _ in 0..100 {
        if app.client.execute(&script, vec![]).await? == Value::Bool(true) {
            return Ok(());
        }
        tokio::time::sleep(std::time::Duration::from_millis(200)).await;
    }
    Err(format!("{label:?} never became enabled").into())
}

async fn journey(app: &AppSession) -> Result<(), Error> {
    // Home: Tab to the AWS journey's Start.
    tab_to(app, "Start on AWS", "e.getAttribute('aria-label') === 'Start: Authorize on AWS'").await?;
    press(app, ENTER).await?;

    // 1. The Deployment's identity, typed into the field Tab reaches.
    tab_to(app, "the identities field", "e.id === 'identities'").await?;
    press(app, DEPLOYMENT).await?;
    app.wait_for_text("[data-testid=parsed-identities]", DEPLOYMENT).await?;
    app.screenshot("keyboard-1-identities").await?;
    wait_enabled(app, "Next").await?;
    activate(app, "Next").await?;

    // 2. The account: into the credentials radio group, arrow keys to the moto profile.
    tab_to(app, "the credential choices", "e.type === 'radio'").await?;
    let on_moto = "e.type === 'radio' && e.checked && e.closest('label').textContent.includes('moto')";
    let check = format!("const e = document.activeElement; return {on_moto};");
    for _ in 0..8 {
        if app.client.execute(&check, vec![]).await? == Value::Bool(true) {
            break;
        }
        press(app, DOWN).await?;
    }
    assert_eq!(app.client.execute(&check, vec![]).await?, Value::Bool(true), "arrows reach the moto profile");
    activate(app, "Check who I am").await?;
    app.wait_for_text("[data-testid=caller]", "123456789012").await?;
    app.screenshot("keyboard-2-account").await?;
    activate(app, "Next").await?;

    // 3. The role: a new one, under the name offered; Space toggles nothing needed here.
    app.wait_for_text("h2.step-title", "role").await?;
    wait_enabled(app, "Next").await?;
    activate(app, "Next").await?;

    // 4. Review, then Apply from the keyboard.
    app.wait_for_text("[data-testid=diff]", DEPLOYMENT).await?;
    wait_enabled(app, "Apply").await?;
    tab_to(app, "Apply", &button("Apply")).await?;
    app.screenshot("keyboard-4-apply-focused").await?;
    press(app, SPACE).await?;

    // 5. Permissions are optional: on to the connection, then done.
    app.wait_for_text("h2.step-title", "What may the Deployments do?").await?;
    activate(app, "Next").await?;
    app.wait_for_text("[data-testid=connection]", "role_arn").await?;
    app.screenshot("keyboard-6-connection").await?;
    activate(app, "Next").await?;
    app.wait_for_text("[data-testid=done-summary]", "astro-deployments").await?;
    app.screenshot("keyboard-7-done").await?;
    Ok(())
}

#[test]
fn the_aws_journey_is_complete_with_the_keyboard_alone() -> Result<(), Error> {
    let app = app_binary()?;
    let moto = Moto::start()?;
    let desktop = Desktop::start()?;
    write_moto_profile(&desktop, Some(&moto.url))?;
    let driver = Driver::start(&desktop)?;
    let runtime = tokio::runtime::Builder::new_current_thread().enable_all().build()?;
    runtime.block_on(async {
        let session = AppSession::start(&driver, &app).await?;
        let outcome = journey(&session).await;
        if outcome.is_err() {
            let _ = session.screenshot("keyboard-failure").await;
        }
        session.close().await;
        outcome?;
        let iam = moto_iam(&moto.url).await;
        let policy = moto_trust_policy(&iam, "astro-deployments").await?;
        assert!(policy.to_string().contains(DEPLOYMENT), "the role trusts the Deployment: {policy}");
        Ok(())
    })
}
