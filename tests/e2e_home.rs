//! End to end: the real app window, driven through tauri-driver and WebKitWebDriver under a
//! private Xvfb, D-Bus session and Secret Service, with a seeded HOME.

use fantoccini::Locator;

use astro_identity_cloud::SecretStore;
use astro_identity_domain::Sensitive;
use astro_identity_domain::secret_key::{ProfileName, Provider, SecretKey};
use astro_identity_tests::{
    AppSession, Desktop, Driver, Error, app_binary, files_containing, write_home_file,
};

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

async fn drive(app: &AppSession, desktop: &Desktop) -> Result<(), Error> {
    let client = &app.client;
    assert_eq!(app.text_of("h1").await?, "Authorize an Astro Deployment");
    assert!(app.text_of("[data-testid=journey-aws]").await?.contains("Authorize on AWS"));
    assert!(app.text_of("[data-testid=journey-gcp]").await?.contains("Authorize on GCP"));

    // The screenshot (the README's) shows what was found, not "Checking…": it waits for the
    // scan's results, then comes before the assertions so a failing one still leaves a picture.
    let profiles = app.wait_for_text("[data-testid=aws-profiles]", "data-sso").await?;
    app.wait_for_text("[data-testid=keyring]", "prod").await?;
    app.wait_for_text("[data-testid=gcp-adc]", "Found").await?;
    let summary = app.text_of("[data-testid=credential-summary]").await?;
    assert!(!summary.contains("Checking"), "the scan is done: {summary}");
    app.screenshot("home").await?;

    for expected in
        ["admin", "assume role", "data-sso", "SSO", "111122223333", "eu-west-1", "default", "access keys"]
    {
        assert!(profiles.contains(expected), "AWS profiles lack {expected:?}: {profiles:?}");
    }
    let adc = app.text_of("[data-testid=gcp-adc]").await?;
    assert!(adc.contains("Found: gcloud user sign-in") && adc.contains("astro-data"), "{adc:?}");
    // The file names no account: the screen says whose sign-in it is instead of guessing.
    assert!(adc.contains("whoever signed in with gcloud (the file does not name the account)"), "{adc:?}");
    let keyring = app.text_of("[data-testid=keyring]").await?;
    assert!(keyring.contains("prod") && keyring.contains("AWS keys"), "{keyring:?}");

    let page = client.source().await?;
    for secret in ["e2e-never-shown", "AKIDEXAMPLE", "wJalr"] {
        assert!(!page.contains(secret), "the page shows {secret:?}");
    }

    // "Copy diagnostics": versions, OS and credential kinds for a bug report, never a value.
    app.click_button("Copy diagnostics").await?;
    // The clipboard as another program reads it (xclip), while the app still owns it.
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(10);
    let report = loop {
        let text = desktop.clipboard().unwrap_or_default();
        if text.starts_with("Astro Identity diagnostics") || std::time::Instant::now() > deadline {
            break text;
        }
        tokio::time::sleep(std::time::Duration::from_millis(200)).await;
    };
    assert!(report.starts_with("Astro Identity diagnostics\nprogram: astro-identity "), "{report}");
    assert!(report.contains("  AWS profiles: 3 (SSO, assume role, static keys)\n"), "{report}");
    assert!(report.contains("  Google ADC: authorized_user\n"), "{report}");
    assert!(report.contains("OS keyring: available; 1 AWS key set(s)"), "{report}");
    for secret in ["e2e-never-shown", "AKIDEXAMPLE", "111122223333", "corp.awsapps"] {
        assert!(!report.contains(secret), "the report shows {secret:?}");
    }

    // Forgetting takes two clicks, then the list reloads from the keyring.
    client.find(Locator::Css("button[aria-label='Forget aws secret prod']")).await?.click().await?;
    app.click_button("Delete from keyring").await?;
    app.wait_for_text("[data-testid=keyring]", "None stored").await?;
    Ok(())
}

#[test]
fn home_screen_shows_the_machines_credentials() -> Result<(), Error> {
    let app = app_binary()?;
    let desktop = Desktop::start()?;
    // SAFETY: first thing in this test's own process (nextest), before any thread starts.
    unsafe { desktop.export_to_process() };
    write_home_file(&desktop, ".aws/config", AWS_CONFIG)?;
    let credentials_file = write_home_file(&desktop, ".aws/credentials", AWS_CREDENTIALS)?;
    let adc_file = write_home_file(&desktop, ".config/gcloud/application_default_credentials.json", ADC)?;
    let key = SecretKey::new(Provider::Aws, ProfileName::parse("prod")?);
    SecretStore::open_os()?.put(&key, &Sensitive::new("e2e-never-shown-keyring-secret".into()))?;

    let driver = Driver::start(&desktop)?;
    let runtime = tokio::runtime::Builder::new_current_thread().enable_all().build()?;
    runtime.block_on(async {
        let session = AppSession::start(&driver, &app).await?;
        let outcome = drive(&session, &desktop).await;
        session.close().await;
        outcome
    })?;
    drop(runtime);

    assert_eq!(
        SecretStore::open_os()?.get(&key)?.map(Sensitive::into_inner),
        None,
        "forgotten in the keyring"
    );
    // Read independently of the app's keyring code: the Secret Service has no such item.
    let left = desktop.secret_tool(&["search", "--all", "service", "dev.astroidentity.app:aws:prod"])?;
    assert_eq!(left, "", "secret-tool still finds the forgotten entry");

    // No secret reached any file of the session (app data, caches, logs, WebKit storage) but
    // the two the test wrote itself; the keyring's own store is encrypted. The scan finds
    // what is there: the seeded file holds its secret.
    assert_eq!(
        files_containing(desktop.root.path(), "e2e-never-shown-secret", &[])?,
        std::slice::from_ref(&credentials_file)
    );
    let seeded = [credentials_file, adc_file];
    for secret in
        ["e2e-never-shown-keyring-secret", "e2e-never-shown-secret", "e2e-never-shown-client-secret"]
    {
        let hits = files_containing(desktop.root.path(), secret, &seeded)?;
        assert!(hits.is_empty(), "{secret:?} found in {hits:?}");
    }
    Ok(())
}

/// A change whose write was started but never finished (the app was killed in between):
/// the home screen says so at startup, from the journal alone.
#[test]
fn home_screen_lists_a_change_interrupted_by_a_crash() -> Result<(), Error> {
    use astro_identity_cloud::journal::{Journal, JournalAction, JournalEntry, Subject};

    let app = app_binary()?;
    let desktop = Desktop::start()?;
    // SAFETY: first thing in this test's own process (nextest), before any thread starts.
    unsafe { desktop.export_to_process() };
    // A keyring with its default collection, as on a desktop that has used one: without it
    // the daemon would first ask (in a window of its own) to create it.
    let key = SecretKey::new(Provider::Aws, ProfileName::parse("prod")?);
    SecretStore::open_os()?.put(&key, &Sensitive::new("e2e-interrupted-secret".into()))?;
    let journal = Journal::in_dir(&desktop.root.path().join("data/dev.astroidentity.app"));
    let subject = Subject::TrustPolicy {
        account: "123456789012".into(),
        role: "astro-data-access".into(),
        role_arn: "arn:aws:iam::123456789012:role/astro-data-access".into(),
    };
    let entry =
        JournalEntry::now("arn:aws:iam::123456789012:user/ada", subject, JournalAction::UpdateTrustPolicy);
    journal.intend(&entry)?;

    let driver = Driver::start(&desktop)?;
    let runtime = tokio::runtime::Builder::new_current_thread().enable_all().build()?;
    runtime.block_on(async {
        let session = AppSession::start(&driver, &app).await?;
        let outcome = async {
            let text =
                session.wait_for_text("[data-testid=interrupted-changes]", "astro-data-access").await?;
            assert!(text.contains("123456789012") && text.contains("Check AWS changes"), "{text}");
            session.wait_for_text("[data-testid=keyring]", "prod").await?;
            let again = session.text_of("[data-testid=interrupted-changes]").await?;
            assert!(again.contains("astro-data-access"), "the notice stays: {again}");
            Ok::<_, Error>(())
        }
        .await;
        session.close().await;
        outcome
    })
}
