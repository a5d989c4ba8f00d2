//! Every Google credential the CLI can use, sent for real through google-cloud-auth to the
//! GCP fake that checks them as Google does (`gcp_auth`): a service account key named by
//! `GOOGLE_APPLICATION_CREDENTIALS`, gcloud's `authorized_user` ADC file, and a key kept in
//! the OS keyring (`--keyring-key`). Refusals name the credential and the fix, write
//! nothing and never echo a secret.

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

use serde_json::json;

use astro_identity_tests::gcp_auth::gcloud_user_adc;
use astro_identity_tests::gcp_fake::GcpFake;
use astro_identity_tests::{Desktop, Error};

const MEMBER: &str = "serviceAccount:astro-fiery-nebula-1234@astronomer-prod.iam.gserviceaccount.com";
const ETL: &str = "etl@astro-data.iam.gserviceaccount.com";
const ADA: &str = "ada@example.com";
const REFRESH: &str = "1//test-refresh-token-never-shown";

fn key_path(name: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join(format!("../../testdata/keys/test-only-sa-{name}.json"))
}

fn key_text(name: &str) -> Result<String, Error> {
    Ok(std::fs::read_to_string(key_path(name))?)
}

fn text(bytes: &[u8]) -> String {
    String::from_utf8_lossy(bytes).into_owned()
}

/// A CLI run with only HOME, PATH and `env`: no credentials leak in from the machine.
fn cli(home: &Path, env: &[(&str, &Path)], args: &[&str]) -> Result<Output, Error> {
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_astro-identity-cli"));
    cmd.args(args)
        .env_clear()
        .env("PATH", std::env::var_os("PATH").unwrap_or_default())
        .env("HOME", home)
        .env("XDG_DATA_HOME", home.join("data"));
    for (name, value) in env {
        cmd.env(name, value);
    }
    Ok(cmd.output()?)
}

fn grant_args<'a>(fake: &'a GcpFake, verb: &'a str, extra: &[&'a str]) -> Vec<&'a str> {
    let mut args = vec![
        "gcp",
        verb,
        "--project",
        "astro-data",
        "--member",
        MEMBER,
        "--role",
        "roles/bigquery.jobUser",
        "--endpoint",
        &fake.url,
    ];
    args.extend_from_slice(extra);
    args
}

fn seeded_fake() -> Result<GcpFake, Error> {
    let fake = GcpFake::start()?;
    fake.seed(
        "astro-data",
        json!({"bindings": [{"role": "roles/viewer", "members": ["user:ada@example.com"]}]}),
    );
    fake.require_auth();
    Ok(fake)
}

fn writes(fake: &GcpFake) -> usize {
    fake.seen().iter().filter(|r| r.path.ends_with(":setIamPolicy")).count()
}

/// What no output may ever contain: a private key, a refresh token, an access token.
fn assert_no_secret(output: &Output) {
    let all = format!("{}{}", text(&output.stdout), text(&output.stderr));
    for secret in ["PRIVATE KEY", "MII", REFRESH, "ya29.", "eyJ"] {
        assert!(!all.contains(secret), "{secret:?} in output: {all}");
    }
}

fn write_adc(home: &Path, adc: serde_json::Value) -> Result<(), Error> {
    let dir = home.join(".config/gcloud");
    std::fs::create_dir_all(&dir)?;
    std::fs::write(dir.join("application_default_credentials.json"), adc.to_string())?;
    Ok(())
}

fn gcloud_user(fake: &GcpFake) -> serde_json::Value {
    gcloud_user_adc(&fake.token_uri(), REFRESH, ADA)
}

#[test]
fn a_key_named_by_google_application_credentials_signs_every_call() -> Result<(), Error> {
    let fake = seeded_fake()?;
    assert_eq!(fake.register_key(&key_text("etl")?)?, ETL);
    let home = tempfile::tempdir()?;
    let key = key_path("etl");
    let env = [("GOOGLE_APPLICATION_CREDENTIALS", key.as_path())];

    let applied = cli(home.path(), &env, &grant_args(&fake, "apply", &["--yes"]))?;
    assert!(applied.status.success(), "{}", text(&applied.stderr));
    assert!(text(&applied.stdout).contains(&format!("Acting as {ETL}")), "{}", text(&applied.stdout));
    assert!(fake.policy("astro-data").ok_or("gone")?.to_string().contains(MEMBER));
    // Self-signed JWTs, every call, all verified by the fake as this key's.
    let seen = fake.seen();
    assert!(seen.iter().all(|r| r.authorization.as_deref().is_some_and(|a| a.starts_with("Bearer eyJ"))));
    let callers = fake.callers();
    assert!(callers.len() >= 3 && callers.iter().all(|c| c == ETL), "{callers:?}");
    assert_no_secret(&applied);
    Ok(())
}

#[test]
fn a_key_google_does_not_know_or_whose_account_was_deleted_is_refused_by_name() -> Result<(), Error> {
    let home = tempfile::tempdir()?;
    let key = key_path("revoked");
    let env = [("GOOGLE_APPLICATION_CREDENTIALS", key.as_path())];
    let gone = "gone@astro-data.iam.gserviceaccount.com";

    // Never registered (a key Google never issued), then registered but its account deleted.
    for deleted in [false, true] {
        let fake = seeded_fake()?;
        if deleted {
            fake.register_key(&key_text("revoked")?)?;
            fake.delete_service_account(gone);
        }
        let out = cli(home.path(), &env, &grant_args(&fake, "apply", &["--yes"]))?;
        assert_eq!(out.status.code(), Some(1), "{}", text(&out.stdout));
        let stderr = text(&out.stderr);
        assert!(
            stderr.contains(&format!(
                "no usable Google Cloud credentials: Google did not accept the service account key of {gone}"
            )),
            "{stderr}"
        );
        assert!(stderr.contains("named by GOOGLE_APPLICATION_CREDENTIALS"), "{stderr}");
        assert!(
            stderr.contains("create a new key") && stderr.contains("gcloud auth application-default login")
        );
        assert!(!stderr.contains("access denied"), "a 401 is not a 403: {stderr}");
        assert_eq!(writes(&fake), 0);
        assert_no_secret(&out);
    }
    Ok(())
}

#[test]
fn gclouds_user_credentials_refresh_at_the_token_endpoint() -> Result<(), Error> {
    let fake = seeded_fake()?;
    fake.add_user(REFRESH, ADA);
    let home = tempfile::tempdir()?;
    write_adc(home.path(), gcloud_user(&fake))?;

    let applied = cli(home.path(), &[], &grant_args(&fake, "apply", &["--yes"]))?;
    assert!(applied.status.success(), "{}", text(&applied.stderr));
    assert!(text(&applied.stdout).contains(&format!("Acting as {ADA}")), "{}", text(&applied.stdout));
    let seen = fake.seen();
    let refreshes: Vec<_> = seen.iter().filter(|r| r.path == "/token").collect();
    assert_eq!(refreshes.len(), 1, "one refresh, then the cached token");
    assert_eq!(refreshes[0].body["grant_type"], "refresh_token");
    let api = seen.iter().filter(|r| r.path != "/token");
    assert!(api.clone().all(|r| r.authorization.as_deref() == Some("Bearer ya29.fake-1")));
    assert!(fake.callers().iter().all(|c| c == ADA));
    assert!(fake.policy("astro-data").ok_or("gone")?.to_string().contains(MEMBER));
    assert_no_secret(&applied);
    Ok(())
}

#[test]
fn an_expired_or_revoked_sign_in_names_the_account_and_the_fix() -> Result<(), Error> {
    let fake = seeded_fake()?;
    fake.add_user(REFRESH, ADA);
    fake.revoke(REFRESH);
    let home = tempfile::tempdir()?;
    write_adc(home.path(), gcloud_user(&fake))?;

    let out = cli(home.path(), &[], &grant_args(&fake, "apply", &["--yes"]))?;
    assert_eq!(out.status.code(), Some(1));
    let stderr = text(&out.stderr);
    assert!(
        stderr.contains(&format!(
            "no usable Google Cloud credentials: the Application Default Credentials of {ADA} \
             (~/.config/gcloud/application_default_credentials.json) could not sign in"
        )),
        "{stderr}"
    );
    assert!(stderr.contains("Token has been expired or revoked"), "{stderr}");
    assert!(stderr.contains("Run `gcloud auth application-default login` to sign in again."), "{stderr}");
    // The sign-in failed before any API call.
    assert!(fake.seen().iter().all(|r| r.path == "/token"), "{:?}", fake.seen());
    assert_no_secret(&out);
    Ok(())
}

#[test]
fn bad_credential_files_are_refused_before_anything_is_sent() -> Result<(), Error> {
    let fake = seeded_fake()?;
    let home = tempfile::tempdir()?;
    let dir = tempfile::tempdir()?;
    let mut cut = serde_json::from_str::<serde_json::Value>(&key_text("etl")?)?;
    let pem = cut["private_key"].as_str().ok_or("pem")?.to_owned();
    cut["private_key"] = json!(pem[..pem.len() / 2]);
    let cases = [
        (
            json!({"type": "mystery_account", "client_id": "x"}).to_string(),
            "has type \"mystery_account\", which Google's libraries cannot use",
        ),
        (cut.to_string(), "is not usable: the key's \"private_key\" is not a PEM private key"),
        (String::from("{\"type\": \"service_account\", "), "is not usable: not a credentials JSON file"),
        (
            json!({"type": "service_account", "private_key": pem, "client_email": ""}).to_string(),
            "is not usable: the key has no \"client_email\"",
        ),
    ];
    for (i, (file, expected)) in cases.iter().enumerate() {
        let path = dir.path().join(format!("key-{i}.json"));
        std::fs::write(&path, file)?;
        let out =
            cli(home.path(), &[("GOOGLE_APPLICATION_CREDENTIALS", &path)], &grant_args(&fake, "plan", &[]))?;
        assert_eq!(out.status.code(), Some(1), "case {i}");
        let stderr = text(&out.stderr);
        assert!(stderr.contains(expected), "case {i}: {stderr}");
        assert_no_secret(&out);
    }
    let missing = dir.path().join("nowhere.json");
    let out =
        cli(home.path(), &[("GOOGLE_APPLICATION_CREDENTIALS", &missing)], &grant_args(&fake, "plan", &[]))?;
    assert!(text(&out.stderr).contains("GOOGLE_APPLICATION_CREDENTIALS names"), "{}", text(&out.stderr));
    assert!(fake.seen().is_empty(), "nothing was sent: {:?}", fake.seen());
    Ok(())
}

#[test]
fn a_key_kept_in_the_keyring_is_used_by_name() -> Result<(), Error> {
    let desktop = Desktop::start()?;
    // SAFETY: the test's first statement after starting the desktop; no other thread yet.
    unsafe { desktop.export_to_process() };
    let store = astro_identity_cloud::SecretStore::open_os()?;
    let profile = astro_identity_domain::secret_key::ProfileName::parse("etl")?;
    astro_identity_cloud::gcp::config::ServiceAccountKey::parse(astro_identity_domain::Sensitive::new(
        key_text("etl")?,
    ))?
    .store(&store, profile)?;

    let fake = seeded_fake()?;
    fake.register_key(&key_text("etl")?)?;
    let run = |extra: &[&str]| -> Result<Output, Error> {
        let mut cmd = Command::new(env!("CARGO_BIN_EXE_astro-identity-cli"));
        desktop.configure(&mut cmd);
        Ok(cmd.args(grant_args(&fake, "apply", extra)).output()?)
    };
    let applied = run(&["--yes", "--keyring-key", "etl"])?;
    assert!(applied.status.success(), "{}", text(&applied.stderr));
    assert!(text(&applied.stdout).contains(&format!("Acting as {ETL}")));
    assert!(fake.callers().iter().all(|c| c == ETL));

    let missing = run(&["--yes", "--keyring-key", "nobody"])?;
    assert_eq!(missing.status.code(), Some(1));
    assert!(text(&missing.stderr).contains("no service account key is stored under \"nobody\""));
    let bad = run(&["--yes", "--keyring-key", "no spaces"])?;
    assert!(text(&bad.stderr).starts_with("error: --keyring-key:"), "{}", text(&bad.stderr));
    assert_no_secret(&applied);
    Ok(())
}
