//! AWS profiles that sign in elsewhere, resolved by aws-config for real: IAM Identity Center
//! (`sso_session` and the legacy `sso_start_url` form) against the SSO portal fake, with the
//! token `aws sso login` caches in `~/.aws/sso/cache/`, and `credential_process`; then used
//! against moto. A sign-in that expired names `aws sso login --profile P` and writes nothing.

use std::path::Path;
use std::process::{Command, Output};

use astro_identity_tests::sso_fake::{SsoPortal, write_cached_token};
use astro_identity_tests::{Error, Moto};

const DEPLOYMENT: &str = "arn:aws:iam::123456789876:role/astro-stellar-apogee-4567";
const START_URL: &str = "https://corp.awsapps.com/start";
const TOKEN: &str = "sso-access-token-from-aws-sso-login";

fn text(bytes: &[u8]) -> String {
    String::from_utf8_lossy(bytes).into_owned()
}

/// The CLI with a private HOME and no AWS_* credentials: only the profile can sign in.
fn cli(home: &Path, args: &[&str]) -> Result<Output, Error> {
    Ok(Command::new(env!("CARGO_BIN_EXE_astro-identity-cli"))
        .args(args)
        .env_clear()
        .env("PATH", std::env::var_os("PATH").unwrap_or_default())
        .env("HOME", home)
        .env("XDG_DATA_HOME", home.join("data"))
        .env("AWS_EC2_METADATA_DISABLED", "true")
        .output()?)
}

fn create_role(home: &Path, moto: &Moto, profile: &str, role: &str) -> Result<Output, Error> {
    cli(
        home,
        &[
            "aws",
            "apply",
            "--profile",
            profile,
            "--endpoint-url",
            &moto.url,
            "--role",
            role,
            "--create",
            "--identity",
            DEPLOYMENT,
            "--yes",
        ],
    )
}

fn role_exists(home: &Path, moto: &Moto, role: &str) -> Result<bool, Error> {
    let out = Command::new(env!("CARGO_BIN_EXE_astro-identity-cli"))
        .args(["aws", "plan", "--endpoint-url", &moto.url, "--role", role, "--identity", DEPLOYMENT])
        .env_clear()
        .env("HOME", home)
        .env("AWS_ACCESS_KEY_ID", "testing")
        .env("AWS_SECRET_ACCESS_KEY", "testing")
        .env("AWS_REGION", "us-east-1")
        .output()?;
    Ok(!text(&out.stderr).contains("does not exist"))
}

/// `~/.aws/config` with both SSO forms; the portal reached through a `[services]` section.
fn write_config(home: &Path, portal: &SsoPortal, extra: &str) -> Result<(), Error> {
    std::fs::create_dir_all(home.join(".aws"))?;
    let config = format!(
        "[profile data-sso]\nsso_session = corp\nsso_account_id = 111122223333\nsso_role_name = DataEngineer\n\
         region = us-east-1\nservices = local-sso\n\n\
         [sso-session corp]\nsso_start_url = {START_URL}\nsso_region = us-east-1\n\n\
         [profile legacy-sso]\nsso_start_url = {START_URL}\nsso_region = us-east-1\nsso_account_id = 111122223333\n\
         sso_role_name = LegacyEngineer\nregion = us-east-1\nservices = local-sso\n\n\
         [services local-sso]\nsso =\n  endpoint_url = {}\n\n{extra}",
        portal.url
    );
    std::fs::write(home.join(".aws/config"), config)?;
    Ok(())
}

#[test]
fn sso_profiles_sign_in_through_the_portal_and_write_with_its_credentials() -> Result<(), Error> {
    let moto = Moto::start()?;
    let portal = SsoPortal::start()?;
    portal.accept(TOKEN);
    let home = tempfile::tempdir()?;
    write_config(home.path(), &portal, "")?;
    // `aws sso login` caches a session's token under its name, a legacy profile's under the URL.
    write_cached_token(home.path(), "corp", TOKEN, START_URL, 3600)?;
    write_cached_token(home.path(), START_URL, TOKEN, START_URL, 3600)?;

    for (profile, role, permission_set) in
        [("data-sso", "astro-sso", "DataEngineer"), ("legacy-sso", "astro-legacy", "LegacyEngineer")]
    {
        let out = create_role(home.path(), &moto, profile, role)?;
        assert!(out.status.success(), "{profile}: {}", text(&out.stderr));
        assert!(text(&out.stdout).contains("Acting as arn:aws:sts::"), "{}", text(&out.stdout));
        assert!(role_exists(home.path(), &moto, role)?, "{profile} created {role} in moto");
        let calls = portal.calls();
        let last = calls.last().ok_or("no GetRoleCredentials")?;
        assert_eq!((last.account_id.as_str(), last.role_name.as_str()), ("111122223333", permission_set));
        assert_eq!(last.token, TOKEN);
        assert!(!text(&out.stdout).contains(TOKEN) && !text(&out.stdout).contains("sso-fake-secret"));
    }
    Ok(())
}

#[test]
fn an_expired_sso_sign_in_names_aws_sso_login_and_writes_nothing() -> Result<(), Error> {
    let moto = Moto::start()?;
    let portal = SsoPortal::start()?;
    let home = tempfile::tempdir()?;
    write_config(home.path(), &portal, "")?;
    // The session form checks the cached token's expiry itself; the legacy form sends it and
    // the portal refuses it (signed out elsewhere).
    write_cached_token(home.path(), "corp", TOKEN, START_URL, -60)?;
    write_cached_token(home.path(), START_URL, "signed-out-token", START_URL, 3600)?;

    for (profile, role) in [("data-sso", "astro-expired"), ("legacy-sso", "astro-signed-out")] {
        let out = create_role(home.path(), &moto, profile, role)?;
        assert_eq!(out.status.code(), Some(1), "{profile}");
        let stderr = text(&out.stderr);
        assert!(
            stderr
                .contains(&format!("the SSO sign-in of profile \"{profile}\" has expired or was signed out")),
            "{stderr}"
        );
        assert!(
            stderr.contains(&format!("Run `aws sso login --profile {profile}`, then try again.")),
            "{stderr}"
        );
        assert!(!stderr.contains(TOKEN) && !stderr.contains("signed-out-token"), "{stderr}");
        assert!(!role_exists(home.path(), &moto, role)?, "nothing was written for {profile}");
    }
    assert!(portal.calls().iter().all(|c| c.token != TOKEN), "the expired token was never sent");
    Ok(())
}

#[test]
fn an_sso_profile_without_a_region_says_which_setting_is_missing() -> Result<(), Error> {
    let moto = Moto::start()?;
    let portal = SsoPortal::start()?;
    let home = tempfile::tempdir()?;
    write_config(
        home.path(),
        &portal,
        "[profile no-region]\nsso_start_url = https://corp.awsapps.com/start\nsso_account_id = 111122223333\n\
         sso_role_name = DataEngineer\n",
    )?;
    let out = create_role(home.path(), &moto, "no-region", "astro-no-region")?;
    assert_eq!(out.status.code(), Some(1));
    let stderr = text(&out.stderr);
    assert!(stderr.contains("sso_region"), "{stderr}");
    assert!(stderr.contains("aws sso login --profile no-region"), "{stderr}");
    assert!(!role_exists(home.path(), &moto, "astro-no-region")?);
    assert!(portal.calls().is_empty());
    Ok(())
}

#[test]
fn credential_process_profiles_run_their_command() -> Result<(), Error> {
    let moto = Moto::start()?;
    let portal = SsoPortal::start()?;
    let home = tempfile::tempdir()?;
    let good = home.path().join("creds.sh");
    std::fs::write(
        &good,
        "#!/bin/sh\necho '{\"Version\": 1, \"AccessKeyId\": \"ASIAPROCESSFAKE00001\", \
         \"SecretAccessKey\": \"process-secret\", \"SessionToken\": \"process-session\"}'\n",
    )?;
    let bad = home.path().join("broken.sh");
    std::fs::write(&bad, "#!/bin/sh\necho 'vault: not signed in' >&2\nexit 3\n")?;
    for script in [&good, &bad] {
        let mut perms = std::fs::metadata(script)?.permissions();
        std::os::unix::fs::PermissionsExt::set_mode(&mut perms, 0o755);
        std::fs::set_permissions(script, perms)?;
    }
    write_config(
        home.path(),
        &portal,
        &format!(
            "[profile vault]\ncredential_process = {}\nregion = us-east-1\n\n\
             [profile broken]\ncredential_process = {}\nregion = us-east-1\n",
            good.display(),
            bad.display()
        ),
    )?;

    let out = create_role(home.path(), &moto, "vault", "astro-vault")?;
    assert!(out.status.success(), "{}", text(&out.stderr));
    assert!(role_exists(home.path(), &moto, "astro-vault")?);

    let out = create_role(home.path(), &moto, "broken", "astro-broken")?;
    assert_eq!(out.status.code(), Some(1));
    let stderr = text(&out.stderr);
    assert!(stderr.contains("the credential_process of profile \"broken\" failed"), "{stderr}");
    assert!(stderr.contains("Run the profile's credential_process command yourself"), "{stderr}");
    assert!(!role_exists(home.path(), &moto, "astro-broken")?);
    Ok(())
}
