//! `astro-identity-cli gcp plan|apply --batch FILE` against the Resource Manager / IAM wire
//! fake: grants on several projects and a service account at once, two on one project merged
//! one after the other, a denied project failing alone, and a bad file refused before any call.

use std::process::Output;

use serde_json::json;

use astro_identity_tests::gcp_fake::{GcpFake, members_of};
use astro_identity_tests::{Error, cli_command, output_text};

const M: &str = "serviceAccount:astro-fiery-nebula-1234@astronomer-prod.iam.gserviceaccount.com";
const SA: &str = "etl-runner@astro-data.iam.gserviceaccount.com";

fn cli(home: &std::path::Path, fake: &GcpFake, args: &[&str]) -> Result<Output, Error> {
    Ok(cli_command(env!("CARGO_BIN_EXE_astro-identity-cli"), home)
        .args(args)
        .args(["--endpoint", &fake.url, "--anonymous"])
        .output()?)
}

#[test]
fn grants_on_several_projects_are_applied_and_a_denied_one_fails_alone() -> Result<(), Error> {
    let fake = GcpFake::start()?;
    let keep = json!({"bindings": [{"role": "roles/viewer", "members": ["user:ada@example.com"]}]});
    for project in ["astro-data", "astro-ml", "astro-locked"] {
        fake.seed(project, keep.clone());
    }
    fake.seed_service_account(SA, json!({}));
    fake.deny("astro-locked");
    let home = tempfile::tempdir()?;
    let file = home.path().join("grants.json");
    let batch = json!([
        {"project": "astro-data", "role": "roles/bigquery.jobUser", "members": [M]},
        {"project": "astro-data", "role": "roles/storage.objectViewer", "members": [M],
         "condition": {"title": "until 2027", "expression": "request.time < timestamp('2027-01-01T00:00:00Z')"}},
        {"project": "astro-locked", "role": "roles/bigquery.jobUser", "members": [M]},
        {"project": "astro-ml", "role": "roles/aiplatform.user", "members": [M]},
        {"impersonate": SA, "members": [M]},
    ]);
    std::fs::write(&file, batch.to_string())?;
    let file = file.to_string_lossy().into_owned();

    let plan = cli(home.path(), &fake, &["gcp", "plan", "--batch", &file])?;
    assert_eq!(plan.status.code(), Some(1), "the denied project fails its plan");
    let planned = output_text(&plan.stdout);
    assert!(planned.contains("roles/aiplatform.user on project astro-ml: grant to"), "{planned}");
    assert!(planned.contains("roles/bigquery.jobUser on project astro-locked: cannot plan:"), "{planned}");
    assert_eq!(
        fake.seen().iter().filter(|r| r.path.ends_with(":setIamPolicy")).count(),
        0,
        "plan writes nothing"
    );

    let out = cli(home.path(), &fake, &["gcp", "apply", "--batch", &file, "--yes"])?;
    let (stdout, stderr) = (output_text(&out.stdout), output_text(&out.stderr));
    assert_eq!(out.status.code(), Some(1), "{stdout}\n{stderr}");
    assert!(stdout.contains("4 of 5 grant(s) done and verified (4 written, 0 already in place)"), "{stdout}");
    assert!(stdout.contains("roles/bigquery.jobUser on project astro-locked: FAILED:"), "{stdout}");
    assert!(stderr.contains("1 grant(s) failed (listed above); the others went through"), "{stderr}");
    let data = fake.policy("astro-data").ok_or("astro-data")?;
    assert_eq!(members_of(&data, "roles/bigquery.jobUser"), [M]);
    assert_eq!(
        members_of(&data, "roles/storage.objectViewer"),
        [M],
        "the second grant merged onto the first"
    );
    assert_eq!(members_of(&data, "roles/viewer"), ["user:ada@example.com"], "others' bindings kept");
    assert!(data.to_string().contains("until 2027"));
    assert_eq!(members_of(&fake.policy("astro-ml").ok_or("astro-ml")?, "roles/aiplatform.user"), [M]);
    let sa = fake.service_account_policy(SA).ok_or("service account")?;
    assert_eq!(members_of(&sa, "roles/iam.serviceAccountTokenCreator"), [M]);
    Ok(())
}

#[test]
fn a_bad_grant_batch_is_refused_before_any_call() -> Result<(), Error> {
    let fake = GcpFake::start()?;
    let home = tempfile::tempdir()?;
    let file = home.path().join("bad.json");
    std::fs::write(
        &file,
        json!([{"project": "astro-data", "role": "roles/viewer", "members": ["ada"]}]).to_string(),
    )?;
    let out = cli(home.path(), &fake, &["gcp", "apply", "--batch", &file.to_string_lossy(), "--yes"])?;
    assert!(!out.status.success());
    assert!(
        output_text(&out.stderr).contains("--batch: batch: entry 1: \"ada\": member:"),
        "{}",
        output_text(&out.stderr)
    );
    let mixed =
        cli(home.path(), &fake, &["gcp", "plan", "--batch", &file.to_string_lossy(), "--project", "p"])?;
    assert!(output_text(&mixed.stderr).contains("cannot be used with"));
    assert!(fake.seen().is_empty(), "nothing was sent");
    Ok(())
}
