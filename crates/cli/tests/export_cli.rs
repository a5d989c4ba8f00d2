//! Offline plans and exports (`--offline`, `--current-policy-file`, `--export`), proven with
//! the reviewers' own tools: the `aws-cli` script is run by the real AWS CLI against moto and
//! must leave the role exactly as the app's own apply does; Terraform is parsed by
//! python-hcl2, CloudFormation by cfn-lint, gcloud lines by a shell lexer — each compared
//! with the planned documents (`tests/review/check_exports.py`).

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

use serde_json::{Value, json};

use astro_identity_tests::{Error, Moto, cli_command, moto_iam, output_text};

const ACCOUNT: &str = "123456789012";
const DEPLOYMENT_A: &str = "arn:aws:iam::111122223333:role/astro-stellar-apogee-4567";
const DEPLOYMENT_B: &str = "arn:aws:iam::111122223333:role/astro-lunar-crater-0815";
const ISSUER: &str = "https://oidc.eks.us-east-1.amazonaws.com/id/AAAA0000AAAA0000AAAA0000AAAA0000";
const ISSUER_HOST: &str = "oidc.eks.us-east-1.amazonaws.com/id/AAAA0000AAAA0000AAAA0000AAAA0000";
const GCP_MEMBER: &str = "serviceAccount:astro-fiery-nebula-1234@astronomer-prod.iam.gserviceaccount.com";

/// The Python environment with the AWS CLI, python-hcl2 and cfn-lint (`make deps`).
fn review_bin(tool: &str) -> PathBuf {
    let venv = std::env::var_os("ASTRO_IDENTITY_REVIEW_VENV").map(PathBuf::from).unwrap_or_else(|| {
        PathBuf::from(std::env::var_os("HOME").unwrap_or_default()).join(".cache/astro-identity/review-venv")
    });
    venv.join("bin").join(tool)
}

fn cli(home: &Path, args: &[&str]) -> Result<Output, Error> {
    Ok(cli_command(env!("CARGO_BIN_EXE_astro-identity-cli"), home).args(args).output()?)
}

/// Runs the CLI and returns its stdout, failing with its stderr.
fn cli_ok(home: &Path, args: &[&str]) -> Result<String, Error> {
    let out = cli(home, args)?;
    if !out.status.success() {
        return Err(format!("{args:?} failed: {}", output_text(&out.stderr)).into());
    }
    Ok(output_text(&out.stdout))
}

/// Runs an exported `aws-cli` script with the real AWS CLI against moto.
fn run_script(script: &str, moto: &Moto, dir: &Path) -> Result<String, Error> {
    let path = dir.join("export.sh");
    std::fs::write(&path, script)?;
    let mut path_var = std::ffi::OsString::from(review_bin("aws").parent().ok_or("no venv")?);
    path_var.push(":");
    path_var.push(std::env::var_os("PATH").unwrap_or_default());
    let out = Command::new("bash")
        .arg(&path)
        .env_clear()
        .env("PATH", path_var)
        .env("HOME", dir)
        .env("AWS_ENDPOINT_URL", &moto.url)
        .env("AWS_ACCESS_KEY_ID", "testing")
        .env("AWS_SECRET_ACCESS_KEY", "testing")
        .env("AWS_DEFAULT_REGION", "us-east-1")
        .output()
        .map_err(|e| format!("could not run bash: {e}"))?;
    if !out.status.success() {
        return Err(format!(
            "the exported script failed ({}):\n{}\n{}",
            out.status,
            output_text(&out.stdout),
            output_text(&out.stderr)
        )
        .into());
    }
    Ok(output_text(&out.stdout))
}

/// A role as IAM keeps it, read directly from moto.
async fn role_state(moto: &Moto, name: &str) -> Result<Value, Error> {
    let iam = moto_iam(&moto.url).await;
    let role = iam.get_role().role_name(name).send().await?;
    let role = role.role().ok_or("no role")?;
    let encoded = role.assume_role_policy_document().ok_or("no trust policy")?;
    let trust: Value = serde_json::from_str(&percent_encoding::percent_decode_str(encoded).decode_utf8()?)?;
    let mut tags: Vec<(String, String)> =
        role.tags().iter().map(|t| (t.key().into(), t.value().into())).collect();
    tags.sort();
    Ok(json!({
        "trust": trust,
        "path": role.path(),
        "description": role.description(),
        "maxSession": role.max_session_duration(),
        "tags": tags,
    }))
}

async fn providers(moto: &Moto) -> Result<Vec<(String, Vec<String>)>, Error> {
    let iam = moto_iam(&moto.url).await;
    let mut out = Vec::new();
    for entry in iam.list_open_id_connect_providers().send().await?.open_id_connect_provider_list() {
        let arn = entry.arn().unwrap_or_default().to_owned();
        let got = iam.get_open_id_connect_provider().open_id_connect_provider_arn(&arn).send().await?;
        out.push((arn, got.client_id_list().to_vec()));
    }
    out.sort();
    Ok(out)
}

async fn seed_role(moto: &Moto, name: &str, policy: &str) -> Result<(), Error> {
    moto_iam(&moto.url)
        .await
        .create_role()
        .role_name(name)
        .assume_role_policy_document(policy)
        .send()
        .await?;
    Ok(())
}

fn planned_document(plan_json: &str, pointer: &str) -> Result<Value, Error> {
    let plan: Value = serde_json::from_str(plan_json)?;
    let compact = plan.pointer(pointer).and_then(Value::as_str).ok_or("no compactAfter in the plan")?;
    Ok(serde_json::from_str(compact)?)
}

/// Runs `check_exports.py` on a manifest of checks.
fn check_with_review_tools(dir: &Path, checks: &[Value]) -> Result<(), Error> {
    let manifest = dir.join("manifest.json");
    std::fs::write(&manifest, serde_json::to_string(checks)?)?;
    let script = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../tests/review/check_exports.py");
    let out = Command::new(review_bin("python"))
        .arg(script)
        .arg(&manifest)
        .output()
        .map_err(|e| format!("could not run the review tools' python (run `make deps`): {e}"))?;
    if !out.status.success() {
        return Err(format!("review tools disagree:\n{}", output_text(&out.stderr)).into());
    }
    assert_eq!(output_text(&out.stdout).trim(), format!("ok {}", checks.len()));
    Ok(())
}

fn write(dir: &Path, name: &str, text: &str) -> Result<String, Error> {
    let path = dir.join(name);
    std::fs::write(&path, text)?;
    Ok(path.to_string_lossy().into_owned())
}

#[tokio::test(flavor = "multi_thread")]
async fn the_aws_cli_export_of_a_new_role_reaches_what_the_app_applies() -> Result<(), Error> {
    let (scripted, applied) = (Moto::start()?, Moto::start()?);
    let home = tempfile::tempdir()?;
    let h = home.path();
    let role = [
        "--role",
        "astro-data",
        "--create",
        "--identity",
        DEPLOYMENT_A,
        "--identity",
        DEPLOYMENT_B,
        "--path",
        "/astro/",
        "--description",
        "Astro's Deployments",
        "--max-session",
        "7200",
        "--tag",
        "team=data, platform",
    ];
    let offline = cli_ok(h, &[&["aws", "plan", "--offline", "--json"][..], &role].concat())?;
    let online =
        cli_ok(h, &[&["aws", "plan", "--json", "--endpoint-url", &applied.url][..], &role].concat())?;
    assert_eq!(
        planned_document(&offline, "/plan/compactAfter")?,
        planned_document(&online, "/plan/compactAfter")?,
        "the offline plan is the online one"
    );
    let script = cli_ok(h, &[&["aws", "plan", "--offline", "--export", "aws-cli"][..], &role].concat())?;
    let said = run_script(&script, &scripted, h)?;
    assert!(said.contains("Created role astro-data"), "{said}");
    cli_ok(h, &[&["aws", "apply", "--yes", "--endpoint-url", &applied.url][..], &role].concat())?;
    let expected = role_state(&applied, "astro-data").await?;
    assert_eq!(role_state(&scripted, "astro-data").await?, expected);
    assert_eq!(expected["tags"], json!([["team", "data, platform"]]));
    // Run again: nothing changes.
    let again = run_script(&script, &scripted, h)?;
    assert!(again.contains("Set the trust policy of role astro-data"), "{again}");
    assert_eq!(role_state(&scripted, "astro-data").await?, expected);
    Ok(())
}

#[tokio::test(flavor = "multi_thread")]
async fn the_aws_cli_export_of_existing_corpus_roles_keeps_every_statement() -> Result<(), Error> {
    let (scripted, applied) = (Moto::start()?, Moto::start()?);
    let home = tempfile::tempdir()?;
    let h = home.path();
    let corpus = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../testdata/corpus/aws-trust");
    for (index, file) in [
        "05-iam-saml-plus-setsourceidentity-two-statements.json",
        "41-checkov-three-statements-one-aws-star.json",
        "44-synthetic-two-astro-deployments.json",
    ]
    .iter()
    .enumerate()
    {
        let path = corpus.join(file);
        let text = std::fs::read_to_string(&path)?;
        let name = format!("corpus-{index}");
        seed_role(&scripted, &name, &text).await?;
        seed_role(&applied, &name, &text).await?;
        let path = path.to_string_lossy();
        let role = ["--role", name.as_str(), "--identity", DEPLOYMENT_A];
        let script = cli_ok(
            h,
            &[
                &["aws", "plan", "--offline", "--current-policy-file", &path, "--export", "aws-cli"][..],
                &role,
            ]
            .concat(),
        )?;
        assert!(script.contains("sets the trust policy of the existing IAM role"), "{script}");
        run_script(&script, &scripted, h)?;
        cli_ok(h, &[&["aws", "apply", "--yes", "--endpoint-url", &applied.url][..], &role].concat())?;
        let expected = role_state(&applied, &name).await?;
        assert_eq!(role_state(&scripted, &name).await?, expected, "{file}");
        let before: Value = serde_json::from_str(&text)?;
        let statements = |doc: &Value| doc["Statement"].as_array().map_or(1, Vec::len);
        assert!(statements(&expected["trust"]) >= statements(&before), "{file}: a statement was dropped");
    }
    Ok(())
}

#[tokio::test(flavor = "multi_thread")]
async fn the_aws_cli_export_of_customer_managed_identity_creates_the_provider_and_trust() -> Result<(), Error>
{
    let (scripted, applied) = (Moto::start()?, Moto::start()?);
    let home = tempfile::tempdir()?;
    let h = home.path();
    let attach = [
        "aws",
        "attach-role",
        "--role",
        "astro-cmi",
        "--create",
        "--namespace",
        "stellar-apogee-4567",
        "--oidc-issuer",
        ISSUER,
    ];
    let script = cli_ok(
        h,
        &[&attach[..], &["--plan", "--offline", "--account", ACCOUNT, "--export", "aws-cli"]].concat(),
    )?;
    let said = run_script(&script, &scripted, h)?;
    assert!(said.contains(&format!("Created OIDC provider {ISSUER_HOST}")), "{said}");
    cli_ok(h, &[&attach[..], &["--yes", "--endpoint-url", &applied.url]].concat())?;
    assert_eq!(providers(&scripted).await?, providers(&applied).await?);
    assert_eq!(
        providers(&scripted).await?,
        [(
            format!("arn:aws:iam::{ACCOUNT}:oidc-provider/{ISSUER_HOST}"),
            vec![String::from("sts.amazonaws.com")]
        )]
    );
    let expected = role_state(&applied, "astro-cmi").await?;
    assert_eq!(role_state(&scripted, "astro-cmi").await?, expected);
    // Again: the provider is found ready and the trust policy set to the same.
    let again = run_script(&script, &scripted, h)?;
    assert!(again.contains(&format!("OIDC provider {ISSUER_HOST} is ready")), "{again}");
    assert_eq!(role_state(&scripted, "astro-cmi").await?, expected);
    Ok(())
}

#[test]
fn terraform_and_cloudformation_of_every_corpus_policy_hold_exactly_the_planned_document() -> Result<(), Error>
{
    let home = tempfile::tempdir()?;
    let h = home.path();
    let corpus = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../testdata/corpus/aws-trust");
    let mut files: Vec<PathBuf> =
        std::fs::read_dir(&corpus)?.map(|e| e.map(|e| e.path())).collect::<Result<_, _>>()?;
    files.sort();
    let mut checks = Vec::new();
    for (index, path) in files.iter().enumerate() {
        let path = path.to_string_lossy();
        let args = [
            "aws",
            "plan",
            "--offline",
            "--current-policy-file",
            &path,
            "--role",
            "imported",
            "--identity",
            DEPLOYMENT_A,
        ];
        let plan = cli_ok(h, &[&args[..], &["--json"]].concat())?;
        let trust = planned_document(&plan, "/plan/compactAfter")?;
        let tf =
            write(h, &format!("{index}.tf"), &cli_ok(h, &[&args[..], &["--export", "terraform"]].concat())?)?;
        let cfn = write(
            h,
            &format!("{index}.yaml"),
            &cli_ok(h, &[&args[..], &["--export", "cloudformation"]].concat())?,
        )?;
        checks.push(json!({"kind": "terraform-aws", "file": tf, "expected": {"trust": trust, "imported": ["imported"]}}));
        checks.push(json!({"kind": "cloudformation", "file": cfn, "expected": {"trust": trust, "allowedRules": ["E3530"]}}));
    }
    assert_eq!(checks.len(), 96, "48 corpus policies, two formats each");
    // A new role with permissions, and Customer Managed Identity with its provider.
    let inline = write(
        h,
        "inline.json",
        r#"{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"s3:GetObject","Resource":"arn:aws:s3:::b/${aws:username}/*"}]}"#,
    )?;
    let new = ["aws", "plan", "--offline", "--create", "--role", "astro-new", "--identity", DEPLOYMENT_A];
    let plan = cli_ok(h, &[&new[..], &["--json"]].concat())?;
    let extra = [
        "--with-managed-policy",
        "arn:aws:iam::aws:policy/AmazonS3ReadOnlyAccess",
        "--with-inline-policy",
        &format!("read-own={inline}"),
        "--export",
        "terraform",
    ];
    let tf = write(h, "new.tf", &cli_ok(h, &[&new[..], &extra].concat())?)?;
    checks.push(json!({"kind": "terraform-aws", "file": tf, "expected": {
        "trust": planned_document(&plan, "/plan/compactAfter")?,
        "managed": ["arn:aws:iam::aws:policy/AmazonS3ReadOnlyAccess"],
        "inline": {"read-own": serde_json::from_str::<Value>(&std::fs::read_to_string(&inline)?)?},
        "imported": [],
    }}));
    let attach = [
        "aws",
        "attach-role",
        "--plan",
        "--offline",
        "--account",
        ACCOUNT,
        "--role",
        "astro-cmi",
        "--create",
        "--namespace",
        "stellar-apogee-4567",
        "--oidc-issuer",
        ISSUER,
    ];
    let plan = cli_ok(h, &[&attach[..], &["--json"]].concat())?;
    let trust = planned_document(&plan, "/trust/plan/compactAfter")?;
    for (format, kind, name) in
        [("terraform", "terraform-aws", "cmi.tf"), ("cloudformation", "cloudformation", "cmi.yaml")]
    {
        let file = write(h, name, &cli_ok(h, &[&attach[..], &["--export", format]].concat())?)?;
        checks.push(json!({"kind": kind, "file": file, "expected": {"trust": trust, "providers": [ISSUER_HOST], "imported": []}}));
    }
    check_with_review_tools(h, &checks)
}

#[test]
fn terraform_and_gcloud_exports_hold_exactly_the_planned_grants() -> Result<(), Error> {
    let home = tempfile::tempdir()?;
    let h = home.path();
    let corpus = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../testdata/corpus/gcp-policy");
    let second = "serviceAccount:astro-lunar-crater-0815@astronomer-prod.iam.gserviceaccount.com";
    let condition = json!({"title": "until 2027, then review", "description": "a; b | c",
                           "expression": "request.time < timestamp('2027-01-01T00:00:00Z')"});
    let mut checks = Vec::new();
    let mut files: Vec<PathBuf> =
        std::fs::read_dir(&corpus)?.map(|e| e.map(|e| e.path())).collect::<Result<_, _>>()?;
    files.sort();
    for (index, path) in files.iter().enumerate() {
        let path = path.to_string_lossy();
        let args = [
            "gcp",
            "plan",
            "--offline",
            "--current-policy-file",
            &path,
            "--project",
            "astro-data",
            "--role",
            "roles/bigquery.jobUser",
            "--member",
            GCP_MEMBER,
            "--member",
            second,
            "--condition-title",
            "until 2027, then review",
            "--condition-description",
            "a; b | c",
            "--condition-expression",
            "request.time < timestamp('2027-01-01T00:00:00Z')",
        ];
        let expected: Vec<Value> = [GCP_MEMBER, second]
            .iter()
            .map(|m| json!({"resource": "project:astro-data", "role": "roles/bigquery.jobUser", "member": m, "condition": condition}))
            .collect();
        for (format, kind, ext) in [("terraform", "terraform-gcp", "tf"), ("gcloud", "gcloud", "sh")] {
            let file = write(
                h,
                &format!("g{index}.{ext}"),
                &cli_ok(h, &[&args[..], &["--export", format]].concat())?,
            )?;
            checks.push(json!({"kind": kind, "file": file, "expected": expected}));
        }
    }
    assert_eq!(checks.len(), 30, "15 corpus policies, two formats each");
    let impersonate = [
        "gcp",
        "plan",
        "--offline",
        "--impersonate",
        "etl-runner@astro-data.iam.gserviceaccount.com",
        "--member",
        GCP_MEMBER,
    ];
    let expected = json!([{"resource": "serviceAccount:etl-runner@astro-data.iam.gserviceaccount.com",
        "role": "roles/iam.serviceAccountTokenCreator", "member": GCP_MEMBER, "condition": null}]);
    for (format, kind, ext) in [("terraform", "terraform-gcp", "tf"), ("gcloud", "gcloud", "sh")] {
        let file = write(
            h,
            &format!("imp.{ext}"),
            &cli_ok(h, &[&impersonate[..], &["--export", format]].concat())?,
        )?;
        checks.push(json!({"kind": kind, "file": file, "expected": expected}));
    }
    check_with_review_tools(h, &checks)
}

#[test]
fn bad_input_is_refused_naming_the_flag_and_prints_no_export() -> Result<(), Error> {
    let home = tempfile::tempdir()?;
    let h = home.path();
    let not_json = write(h, "broken.json", "{\"Version\": \"2012-10-17\", \"Statement\": [")?;
    let gcp_policy =
        write(h, "gcp.json", r#"{"bindings":[{"role":"roles/viewer","members":["user:a@example.com"]}]}"#)?;
    let trust = write(h, "trust.json", r#"{"Version":"2012-10-17","Statement":[]}"#)?;
    let aws = ["aws", "plan", "--role", "r", "--identity", DEPLOYMENT_A];
    let cases: Vec<(Vec<&str>, &[&str])> = vec![
        (
            [&aws[..], &["--offline", "--create", "--export", "gcloud"]].concat(),
            &["--export gcloud: does not fit an AWS plan", "terraform, aws-cli, cloudformation"],
        ),
        (
            [&aws[..], &["--offline", "--create", "--export", "hcl"]].concat(),
            &["--export: format: \"hcl\" is not an export format"],
        ),
        (
            [&aws[..], &["--offline", "--current-policy-file", &not_json]].concat(),
            &["--current-policy-file: trust_policy:"],
        ),
        (
            [&aws[..], &["--offline", "--current-policy-file", &gcp_policy]].concat(),
            &["--current-policy-file: trust_policy: has no Statement"],
        ),
        (
            [&aws[..], &["--offline", "--current-policy-file", "/nonexistent/p.json"]].concat(),
            &["--current-policy-file /nonexistent/p.json: cannot read it"],
        ),
        ([&aws[..], &["--offline"]].concat(), &["--offline needs the role as it is now, or --create"]),
        (
            [&aws[..], &["--offline", "--create", "--current-policy-file", &trust]].concat(),
            &["--create with --current-policy-file"],
        ),
        (
            [&aws[..], &["--offline", "--create", "--account", "12345"]].concat(),
            &["--account \"12345\": an AWS account id is 12 digits"],
        ),
        (
            vec!["aws", "plan", "--offline", "--create", "--role", "r", "--identity", GCP_MEMBER],
            &["not an ARN", "this is a GCP service account"],
        ),
        (
            vec!["aws", "apply", "--offline", "--create", "--role", "r", "--identity", DEPLOYMENT_A],
            &["make a plan for review; this command applies"],
        ),
        (
            vec![
                "aws",
                "attach-role",
                "--role",
                "r",
                "--create",
                "--namespace",
                "n",
                "--oidc-issuer",
                ISSUER,
                "--offline",
                "--plan",
            ],
            &["--offline needs --account"],
        ),
        (
            vec![
                "aws",
                "attach-role",
                "--role",
                "r",
                "--create",
                "--namespace",
                "n",
                "--oidc-issuer",
                ISSUER,
                "--offline",
                "--account",
                ACCOUNT,
            ],
            &["they need --plan"],
        ),
        (
            vec![
                "gcp",
                "plan",
                "--offline",
                "--project",
                "p-1234",
                "--role",
                "roles/viewer",
                "--member",
                GCP_MEMBER,
                "--export",
                "cloudformation",
            ],
            &["--export cloudformation: does not fit a Google Cloud plan"],
        ),
        (
            vec![
                "gcp",
                "plan",
                "--offline",
                "--project",
                "p-1234",
                "--role",
                "roles/viewer",
                "--member",
                GCP_MEMBER,
                "--current-policy-file",
                &trust,
            ],
            &["--current-policy-file: iam_policy: this is an AWS policy document"],
        ),
        (
            vec![
                "gcp",
                "plan",
                "--offline",
                "--project",
                "p-1234",
                "--role",
                "roles/viewer",
                "--member",
                DEPLOYMENT_A,
            ],
            &["member"],
        ),
    ];
    for (args, expected) in cases {
        let out = cli(h, &args)?;
        let stderr = output_text(&out.stderr);
        assert!(!out.status.success(), "{args:?} succeeded");
        assert!(out.stdout.is_empty(), "{args:?} printed: {}", output_text(&out.stdout));
        for needle in expected {
            assert!(stderr.contains(needle), "{args:?}: {stderr:?} lacks {needle:?}");
        }
    }
    Ok(())
}
