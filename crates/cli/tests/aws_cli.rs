//! `astro-identity-cli aws plan|apply|undo` as a script would run it, against moto.

use std::process::{Command, Output};

use astro_identity_tests::{Error, Moto};

const DEPLOYMENT_A: &str = "arn:aws:iam::123456789876:role/astro-stellar-apogee-4567";
const DEPLOYMENT_B: &str = "arn:aws:iam::123456789876:role/astro-lunar-crater-0815";

struct Run {
    moto: Moto,
    home: tempfile::TempDir,
}

impl Run {
    fn new() -> Result<Self, Error> {
        Ok(Self { moto: Moto::start()?, home: tempfile::tempdir()? })
    }

    /// The CLI with the standard AWS_* variables pointing at moto, and a private HOME.
    fn cli(&self, args: &[&str]) -> Result<Output, Error> {
        let home = self.home.path();
        Ok(Command::new(env!("CARGO_BIN_EXE_astro-identity-cli"))
            .args(args)
            .env_clear()
            .env("PATH", std::env::var_os("PATH").unwrap_or_default())
            .env("HOME", home)
            .env("XDG_DATA_HOME", home.join("data"))
            .env("AWS_ACCESS_KEY_ID", "testing")
            .env("AWS_SECRET_ACCESS_KEY", "testing")
            .env("AWS_REGION", "us-east-1")
            .env("AWS_EC2_METADATA_DISABLED", "true")
            .output()?)
    }

    fn aws(&self, verb: &str, extra: &[&str]) -> Result<Output, Error> {
        let mut args = vec!["aws", verb, "--endpoint-url", &self.moto.url];
        args.extend_from_slice(extra);
        self.cli(&args)
    }

    /// The changes the journal holds as applied (each write is an intent and an outcome).
    fn applied(&self) -> Result<usize, Error> {
        let path = self.home.path().join("data/dev.astroidentity.app/journal.jsonl");
        Ok(astro_identity_cloud::journal::Journal::at(path).entries()?.len())
    }
}

fn text(bytes: &[u8]) -> String {
    String::from_utf8_lossy(bytes).into_owned()
}

fn role_exists(run: &Run, name: &str) -> Result<bool, Error> {
    let out = run.aws("plan", &["--role", name, "--identity", DEPLOYMENT_A])?;
    Ok(!text(&out.stderr).contains("does not exist"))
}

#[test]
fn plan_apply_reapply_and_undo() -> Result<(), Error> {
    let run = Run::new()?;
    let create = ["--role", "astro-data", "--create", "--identity", DEPLOYMENT_A, "--identity", DEPLOYMENT_B];

    let plan = run.aws("plan", &create)?;
    assert!(plan.status.success(), "stderr: {}", text(&plan.stderr));
    let stdout = text(&plan.stdout);
    assert!(
        stdout.contains("Acting as arn:aws:sts::123456789012:user/moto in account 123456789012"),
        "{stdout}"
    );
    assert!(stdout.contains("Role astro-data will be created"), "{stdout}");
    assert!(stdout.lines().any(|l| l.starts_with('+') && l.contains(DEPLOYMENT_A)), "{stdout}");
    assert!(stdout.contains("Size: "), "{stdout}");
    assert!(!role_exists(&run, "astro-data")?, "plan wrote nothing");

    // No terminal and no --yes: refused, nothing written.
    let refused = run.aws("apply", &create)?;
    assert_eq!(refused.status.code(), Some(1));
    assert!(
        text(&refused.stderr).contains("error: not applied: confirmation needed"),
        "{}",
        text(&refused.stderr)
    );
    assert!(!role_exists(&run, "astro-data")?);

    let applied = run.aws("apply", &[&create[..], &["--yes"]].concat())?;
    assert!(applied.status.success(), "stderr: {}", text(&applied.stderr));
    assert!(text(&applied.stdout).contains("Done and verified: arn:aws:iam::123456789012:role/astro-data"));
    assert_eq!(run.applied()?, 1);

    let again = run.aws("apply", &["--role", "astro-data", "--identity", DEPLOYMENT_B, "--yes"])?;
    assert!(again.status.success(), "stderr: {}", text(&again.stderr));
    assert!(text(&again.stdout).contains("Nothing was written"), "{}", text(&again.stdout));
    assert_eq!(run.applied()?, 1, "a no-op is not journaled");

    let undo = run.aws("undo", &[])?;
    assert!(undo.status.success(), "stderr: {}", text(&undo.stderr));
    assert!(!role_exists(&run, "astro-data")?, "undo of a create deletes the role");
    Ok(())
}

#[test]
fn json_plan_is_machine_readable() -> Result<(), Error> {
    let run = Run::new()?;
    let out = run.aws("plan", &["--role", "r", "--create", "--identity", DEPLOYMENT_A, "--json"])?;
    assert!(out.status.success(), "stderr: {}", text(&out.stderr));
    let json: serde_json::Value = serde_json::from_slice(&out.stdout)?;
    assert_eq!(json["caller"]["account"], "123456789012");
    assert_eq!(json["plan"]["changed"], true);
    assert_eq!(json["plan"]["added"], serde_json::json!([DEPLOYMENT_A]));
    Ok(())
}

#[test]
fn bad_input_fails_with_the_field_and_writes_nothing() -> Result<(), Error> {
    let run = Run::new()?;
    let out = run.aws(
        "apply",
        &["--role", "r", "--create", "--identity", "arn:aws:iam::12345678901:role/astro-x", "--yes"],
    )?;
    assert_eq!(out.status.code(), Some(1));
    let stderr = text(&out.stderr);
    assert!(stderr.contains("invalid --identity"), "{stderr}");
    assert!(stderr.contains("account must be 12 digits, got 11"), "{stderr}");
    assert!(!role_exists(&run, "r")?);

    let out = run.aws("apply", &["--role", "bad name", "--create", "--identity", DEPLOYMENT_A, "--yes"])?;
    assert_eq!(out.status.code(), Some(1));
    assert!(text(&out.stderr).contains("role_name"), "{}", text(&out.stderr));

    let out = run.aws("apply", &["--role", "r", "--identity", DEPLOYMENT_A, "--yes"])?;
    assert_eq!(out.status.code(), Some(1));
    assert!(
        text(&out.stderr).contains("error: role r in account 123456789012 does not exist"),
        "{}",
        text(&out.stderr)
    );
    // The data folder holds the diagnostics log; no journal was written.
    assert!(
        !run.home.path().join("data/dev.astroidentity.app/journal.jsonl").exists(),
        "no journal for failed runs"
    );
    Ok(())
}

#[test]
fn bad_create_options_fail_before_any_call() -> Result<(), Error> {
    let run = Run::new()?;
    let cases: [(&[&str], &str); 3] = [
        (&["--max-session", "60"], "must be between 3600 and 43200 seconds, got 60"),
        (&["--tag", "team"], "--tag \"team\" is not KEY=VALUE"),
        (&["--path", "no-slashes"], "role_path"),
    ];
    for (extra, expected) in cases {
        let mut args = vec!["--role", "r", "--create", "--identity", DEPLOYMENT_A, "--yes"];
        args.extend_from_slice(extra);
        let out = run.aws("apply", &args)?;
        assert_eq!(out.status.code(), Some(1), "{extra:?}");
        assert!(text(&out.stderr).contains(expected), "{extra:?}: {}", text(&out.stderr));
    }
    assert!(!role_exists(&run, "r")?, "nothing was created");
    Ok(())
}

#[test]
fn quota_flag_has_the_windows_bounds() -> Result<(), Error> {
    let run = Run::new()?;
    let plan = |quota: &str| {
        run.aws("plan", &["--role", "r", "--create", "--identity", DEPLOYMENT_A, "--quota", quota])
    };
    let refused = plan("9000")?;
    assert_eq!(refused.status.code(), Some(2));
    let stderr = text(&refused.stderr);
    assert!(stderr.contains("9000 characters is not a trust policy quota IAM can have"), "{stderr}");
    assert!(stderr.contains("at most to 4,096"), "{stderr}");
    let raised = plan("4096")?;
    assert!(raised.status.success(), "{}", text(&raised.stderr));
    assert!(text(&raised.stdout).contains(" of 4096 characters"), "{}", text(&raised.stdout));
    Ok(())
}

/// A role whose trust policy is already past the quota given: the plan says so and nothing is
/// written; with the account's raised quota the same change goes through.
#[test]
fn a_quota_below_the_policys_size_blocks_with_the_figures_and_writes_nothing() -> Result<(), Error> {
    let run = Run::new()?;
    // 40 principals: about 2,500 characters, over IAM's default and under a raised 4,096.
    let principals: Vec<String> =
        (0..40).map(|i| format!("arn:aws:iam::123456789876:role/astro-existing-orbit-{i:04}")).collect();
    let policy = serde_json::json!({"Version": "2012-10-17", "Statement": [{"Effect": "Allow",
        "Principal": {"AWS": principals}, "Action": "sts:AssumeRole"}]});
    tokio::runtime::Builder::new_current_thread().enable_all().build()?.block_on(async {
        let iam = astro_identity_tests::moto_iam(&run.moto.url).await;
        iam.create_role().role_name("crowded").assume_role_policy_document(policy.to_string()).send().await?;
        Ok::<(), Error>(())
    })?;
    let apply = |quota: &str| {
        run.aws("apply", &["--role", "crowded", "--identity", DEPLOYMENT_A, "--quota", quota, "--yes"])
    };

    let blocked = apply("2048")?;
    assert_eq!(blocked.status.code(), Some(1));
    let stdout = text(&blocked.stdout);
    assert!(stdout.contains("the role's trust policy quota is 2048"), "{stdout}");
    assert!(
        text(&blocked.stderr).contains("the plan has errors, nothing was written"),
        "{}",
        text(&blocked.stderr)
    );
    assert!(!run.home.path().join("data/dev.astroidentity.app/journal.jsonl").exists());

    let applied = apply("4096")?;
    assert!(applied.status.success(), "{}", text(&applied.stderr));
    assert!(text(&applied.stdout).contains(" of 4096 characters"), "{}", text(&applied.stdout));
    Ok(())
}
