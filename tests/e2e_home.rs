//! End to end: the real app window, driven through tauri-driver and WebKitWebDriver under a
//! private Xvfb, D-Bus session and Secret Service, with a seeded HOME.

use std::time::Duration;

use fantoccini::{Client, ClientBuilder, Locator};
use serde_json::json;

use astro_identity_cloud::SecretStore;
use astro_identity_domain::Sensitive;
use astro_identity_domain::secret_key::{ProfileName, Provider, SecretKey};
use astro_identity_tests::{Desktop, Driver, Error, app_binary, artifacts_dir, write_home_file};

const AWS_CONFIG: &str = "\
[default]
region = us-east-1

[profile data-sso]
sso_session = corp
sso_account_id = 111122223333
sso_role_name = DataEngineer
region = eu-west-1

[sso-session corp]
sso_start_url = https://corp.awsapps.com/start
sso_region = us-east-1

[profile admin]
role_arn = arn:aws:iam::444455556666:role/Admin
source_profile = default
";

const AWS_CREDENTIALS: &str = "\
[default]
aws_access_key_id = AKIDEXAMPLE
aws_secret_access_key = e2e-never-shown-secret
";

const ADC: &str = r#"{"type":"authorized_user","client_id":"x.apps.googleusercontent.com",
"client_secret":"e2e-never-shown-client-secret","refresh_token":"1//e2e-never-shown","quota_project_id":"astro-data"}"#;

async fn text_of(client: &Client, css: &str) -> Result<String, Error> {
    let element = client.wait().at_most(Duration::from_secs(20)).for_element(Locator::Css(css)).await?;
    Ok(element.text().await?)
}

async fn wait_for_text(client: &Client, css: &str, needle: &str) -> Result<String, Error> {
    let deadline = std::time::Instant::now() + Duration::from_secs(20);
    loop {
        let text = text_of(client, css).await?;
        if text.contains(needle) {
            return Ok(text);
        }
        if std::time::Instant::now() > deadline {
            return Err(format!("{css} never showed {needle:?}; last text: {text:?}").into());
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

async fn drive(client: &Client) -> Result<(), Error> {
    assert_eq!(text_of(client, "h1").await?, "Authorize an Astro Deployment");
    assert!(text_of(client, "[data-testid=journey-aws]").await?.contains("Authorize on AWS"));
    assert!(text_of(client, "[data-testid=journey-gcp]").await?.contains("Authorize on GCP"));

    // The screenshot comes first so that a failing assertion below still leaves a picture.
    text_of(client, "[data-testid=credential-summary]").await?;
    // Layout settles after the first paint; a screenshot right away can show a stale frame.
    tokio::time::sleep(Duration::from_millis(1500)).await;
    let png = client.screenshot().await?;
    assert!(png.starts_with(b"\x89PNG"), "not a PNG");
    std::fs::write(artifacts_dir()?.join("home.png"), png)?;

    let profiles = wait_for_text(client, "[data-testid=aws-profiles]", "data-sso").await?;
    for expected in
        ["admin", "assume role", "data-sso", "SSO", "111122223333", "eu-west-1", "default", "static keys"]
    {
        assert!(profiles.contains(expected), "AWS profiles lack {expected:?}: {profiles:?}");
    }
    let adc = text_of(client, "[data-testid=gcp-adc]").await?;
    assert!(adc.contains("Found: your gcloud user") && adc.contains("astro-data"), "{adc:?}");
    let keyring = text_of(client, "[data-testid=keyring]").await?;
    assert!(keyring.contains("prod") && keyring.contains("AWS keys"), "{keyring:?}");

    let page = client.source().await?;
    for secret in ["e2e-never-shown", "AKIDEXAMPLE", "wJalr"] {
        assert!(!page.contains(secret), "the page shows {secret:?}");
    }

    // Forgetting takes two clicks, then the list reloads from the keyring.
    client.find(Locator::Css("button[aria-label='Forget aws secret prod']")).await?.click().await?;
    client.find(Locator::XPath("//button[text()='Delete from keyring']")).await?.click().await?;
    wait_for_text(client, "[data-testid=keyring]", "None stored").await?;
    Ok(())
}

#[test]
fn home_screen_shows_the_machines_credentials() -> Result<(), Error> {
    let app = app_binary()?;
    let desktop = Desktop::start()?;
    // SAFETY: first thing in this test's own process (nextest), before any thread starts.
    unsafe { desktop.export_to_process() };
    write_home_file(&desktop, ".aws/config", AWS_CONFIG)?;
    write_home_file(&desktop, ".aws/credentials", AWS_CREDENTIALS)?;
    write_home_file(&desktop, ".config/gcloud/application_default_credentials.json", ADC)?;
    let key = SecretKey::new(Provider::Aws, ProfileName::parse("prod")?);
    SecretStore::open_os()?.put(&key, &Sensitive::new("e2e-never-shown-keyring-secret".into()))?;

    let driver = Driver::start(&desktop)?;
    let runtime = tokio::runtime::Builder::new_current_thread().enable_all().build()?;
    runtime.block_on(async {
        let mut caps = serde_json::Map::new();
        caps.insert("tauri:options".into(), json!({ "application": app }));
        caps.insert("browserName".into(), json!("wry"));
        let client = ClientBuilder::rustls()?.capabilities(caps).connect(&driver.url).await?;
        let outcome = drive(&client).await;
        let _ = client.close().await;
        outcome
    })?;
    drop(runtime);

    assert_eq!(
        SecretStore::open_os()?.get(&key)?.map(Sensitive::into_inner),
        None,
        "forgotten in the keyring"
    );
    Ok(())
}
