//! `astro-identity-cli gcp plan|apply|undo` against the Resource Manager wire fake.

use std::process::{Command, Output};

use serde_json::json;

use astro_identity_tests::Error;
use astro_identity_tests::gcp_fake::GcpFake;

const MEMBER: &str = "serviceAccount:astro-fiery-nebula-1234@astronomer-prod.iam.gserviceaccount.com";

fn cli(home: &std::path::Path, args: &[&str]) -> Result<Output, Error> {
    Ok(Command::new(env!("CARGO_BIN_EXE_astro-identity-cli"))
        .args(args)
        .env_clear()
        .env("PATH", std::env::var_os("PATH").unwrap_or_default())
        .env("HOME", home)
        .env("XDG_DATA_HOME", home.join("data"))
        .output()?)
}

fn text(bytes: &[u8]) -> String {
    String::from_utf8_lossy(bytes).into_owned()
}

#[test]
fn plan_apply_reapply_and_undo() -> Result<(), Error> {
    let fake = GcpFake::start()?;
    fake.seed(
        "astro-data",
        json!({"bindings": [{"role": "roles/viewer", "members": ["user:ada@example.com"]}]}),
    );
    let home = tempfile::tempdir()?;
    let base = [
        "--project",
        "astro-data",
        "--member",
        MEMBER,
        "--role",
        "roles/bigquery.jobUser",
        "--endpoint",
        &fake.url,
        "--anonymous",
    ];
    let run = |verb: &str, extra: &[&str]| {
        let mut args = vec!["gcp", verb];
        args.extend_from_slice(&base);
        args.extend_from_slice(extra);
        cli(home.path(), &args)
    };

    let plan = run("plan", &[])?;
    assert!(plan.status.success(), "{}", text(&plan.stderr));
    let stdout = text(&plan.stdout);
    assert!(
        stdout.contains("Project astro-data: grant roles/bigquery.jobUser to serviceAccount:astro-fiery"),
        "{stdout}"
    );
    assert!(stdout.lines().any(|l| l.starts_with('+') && l.contains("roles/bigquery.jobUser")), "{stdout}");
    assert_eq!(fake.seen().iter().filter(|r| r.path.ends_with(":setIamPolicy")).count(), 0);

    let refused = run("apply", &[])?;
    assert_eq!(refused.status.code(), Some(1));
    assert!(text(&refused.stderr).contains("confirmation needed"));

    let applied = run("apply", &["--yes"])?;
    assert!(applied.status.success(), "{}", text(&applied.stderr));
    assert!(text(&applied.stdout).contains("Done and verified on project astro-data"));
    let policy = fake.policy("astro-data").ok_or("gone")?;
    assert!(policy.to_string().contains(MEMBER));

    let again = run("apply", &["--yes"])?;
    assert!(again.status.success());
    assert!(text(&again.stdout).contains("Nothing was written"), "{}", text(&again.stdout));

    let undo = cli(home.path(), &["gcp", "undo", "--endpoint", &fake.url, "--anonymous"])?;
    assert!(undo.status.success(), "{}", text(&undo.stderr));
    assert!(!fake.policy("astro-data").ok_or("gone")?.to_string().contains(MEMBER));
    Ok(())
}

#[test]
fn bad_input_names_the_field_and_sends_nothing() -> Result<(), Error> {
    let fake = GcpFake::start()?;
    let home = tempfile::tempdir()?;
    let out = cli(
        home.path(),
        &[
            "gcp",
            "apply",
            "--project",
            "My Project",
            "--member",
            MEMBER,
            "--role",
            "roles/viewer",
            "--endpoint",
            &fake.url,
            "--anonymous",
            "--yes",
        ],
    )?;
    assert_eq!(out.status.code(), Some(1));
    assert!(text(&out.stderr).contains("project_id"), "{}", text(&out.stderr));
    assert!(fake.seen().is_empty(), "nothing reached the server");

    let out = cli(
        home.path(),
        &[
            "gcp",
            "plan",
            "--project",
            "astro-data",
            "--member",
            "astro@x",
            "--role",
            "roles/viewer",
            "--endpoint",
            &fake.url,
            "--anonymous",
        ],
    )?;
    assert_eq!(out.status.code(), Some(1));
    assert!(text(&out.stderr).contains("member"), "{}", text(&out.stderr));
    assert!(fake.seen().is_empty());
    Ok(())
}

#[test]
fn impersonate_grants_token_creator_on_the_service_account() -> Result<(), Error> {
    let fake = GcpFake::start()?;
    let runner = "etl-runner@astro-data.iam.gserviceaccount.com";
    fake.seed_service_account(runner, json!({}));
    let home = tempfile::tempdir()?;
    let out = cli(
        home.path(),
        &[
            "gcp",
            "apply",
            "--impersonate",
            runner,
            "--member",
            MEMBER,
            "--endpoint",
            &fake.url,
            "--anonymous",
            "--yes",
        ],
    )?;
    assert!(out.status.success(), "{}", text(&out.stderr));
    assert!(
        text(&out.stdout)
            .contains(&format!("Service account {runner}: grant roles/iam.serviceAccountTokenCreator")),
        "{}",
        text(&out.stdout)
    );
    let policy = fake.service_account_policy(runner).ok_or("gone")?;
    assert_eq!(
        policy["bindings"],
        json!([{"role": "roles/iam.serviceAccountTokenCreator", "members": [MEMBER]}])
    );

    let out = cli(home.path(), &["gcp", "plan", "--member", MEMBER, "--endpoint", &fake.url, "--anonymous"])?;
    assert_eq!(out.status.code(), Some(2), "clap refuses a grant without --project or --impersonate");
    Ok(())
}
