//! Every format `astro-identity-cli airflow` prints — the text the app's copy buttons copy —
//! parsed by real Airflow (`tests/airflow/prove_connections.py` in the Python environment
//! `scripts/deps.sh` makes), and each AWS connection used by the Amazon provider's own hook to
//! assume its role in moto. The Google provider's keys are read from its wheel.
//!
//! The expected connections are written out here, not derived from any rendered format.

use std::path::{Path, PathBuf};
use std::process::Command;

use astro_identity_tests::{Error, Moto};
use serde_json::{Value, json};

const FORMATS: [&str; 7] = ["ui", "env-json", "env-uri", "cli", "yaml", "rest", "astro"];

struct Case {
    args: &'static [&'static str],
    conn_id: &'static str,
    conn_type: &'static str,
    label: &'static str,
    extra: Value,
}

fn cases() -> Vec<Case> {
    let aws =
        |args, conn_id, extra| Case { args, conn_id, conn_type: "aws", label: "Amazon Web Services", extra };
    let gcp = |args, conn_id, extra| Case {
        args,
        conn_id,
        conn_type: "google_cloud_platform",
        label: "Google Cloud",
        extra,
    };
    vec![
        aws(
            &["aws", "--role-arn", "arn:aws:iam::123456789012:role/astro-data", "--region", "us-east-1"],
            "aws_default",
            json!({"role_arn": "arn:aws:iam::123456789012:role/astro-data", "region_name": "us-east-1"}),
        ),
        aws(
            &[
                "aws",
                "--conn-id",
                "aws_vendor",
                "--role-arn",
                "arn:aws:iam::123456789012:role/vendor-reader",
                "--region",
                "eu-west-1",
                "--external-id",
                "vendor:42/a=b,c.d@e+f_g-h",
            ],
            "aws_vendor",
            json!({"role_arn": "arn:aws:iam::123456789012:role/vendor-reader", "region_name": "eu-west-1",
                   "assume_role_kwargs": {"ExternalId": "vendor:42/a=b,c.d@e+f_g-h"}}),
        ),
        aws(
            &[
                "aws",
                "--conn-id",
                "aws_cmi",
                "--role-arn",
                "arn:aws:iam::123456789012:role/astro-cmi",
                "--region",
                "us-east-1",
                "--web-identity",
            ],
            "aws_cmi",
            json!({"role_arn": "arn:aws:iam::123456789012:role/astro-cmi", "region_name": "us-east-1",
                   "assume_role_method": "assume_role_with_web_identity",
                   "assume_role_with_web_identity_federation": "file",
                   "assume_role_with_web_identity_token_file": "/var/run/secrets/eks.amazonaws.com/serviceaccount/token"}),
        ),
        aws(
            &["aws", "--conn-id", "aws_attached", "--region", "eu-central-1"],
            "aws_attached",
            json!({"region_name": "eu-central-1"}),
        ),
        aws(
            &[
                "aws",
                "--conn-id",
                "team.data-lake_aws",
                "--role-arn",
                "arn:aws:iam::123456789012:role/teams/data/astro-lake",
                "--region",
                "us-east-1",
                "--workspace-id",
                "clwspace0000001abcdefgh",
            ],
            "team.data-lake_aws",
            json!({"role_arn": "arn:aws:iam::123456789012:role/teams/data/astro-lake", "region_name": "us-east-1"}),
        ),
        gcp(&["gcp", "--project", "astro-data"], "google_cloud_default", json!({"project": "astro-data"})),
        gcp(
            &[
                "gcp",
                "--conn-id",
                "gcp_impersonated",
                "--project",
                "astro-data",
                "--impersonation-chain",
                "etl-runner@astro-data.iam.gserviceaccount.com",
                "--deployment-id",
                "cldeploy000001abcdefgh",
            ],
            "gcp_impersonated",
            json!({"project": "astro-data", "impersonation_chain": "etl-runner@astro-data.iam.gserviceaccount.com"}),
        ),
    ]
}

fn cli(args: &[&str]) -> Result<String, Error> {
    let out = Command::new(env!("CARGO_BIN_EXE_astro-identity-cli")).arg("airflow").args(args).output()?;
    if !out.status.success() {
        return Err(format!("{args:?}: {}", String::from_utf8_lossy(&out.stderr)).into());
    }
    let text = String::from_utf8(out.stdout)?;
    // `println!` adds the newline; the copy button copies the text without it.
    Ok(text.strip_suffix('\n').unwrap_or(&text).to_owned())
}

fn repo_root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../..")
}

fn cache_dir() -> PathBuf {
    std::env::var_os("HOME").map(PathBuf::from).unwrap_or_default().join(".cache/astro-identity")
}

fn airflow_python() -> PathBuf {
    std::env::var_os("ASTRO_IDENTITY_AIRFLOW_VENV")
        .map(PathBuf::from)
        .unwrap_or_else(|| cache_dir().join("airflow-venv"))
        .join("bin/python")
}

/// The input of the Python checks: each case with every format the CLI printed.
fn rendered_cases() -> Result<Value, Error> {
    let mut list = Vec::new();
    for case in cases() {
        let mut formats = serde_json::Map::new();
        for format in FORMATS {
            let mut args = case.args.to_vec();
            args.extend(["--format", format]);
            formats.insert(format.to_owned(), json!(cli(&args)?));
        }
        list.push(json!({
            "conn_id": case.conn_id,
            "env_var": format!("AIRFLOW_CONN_{}", case.conn_id.to_uppercase()),
            "conn_type_label": case.label,
            "expect": {"conn_type": case.conn_type, "extra": case.extra},
            "formats": formats,
        }));
    }
    Ok(Value::Array(list))
}

fn run_python(python: &Path, args: &[&Path], env: &[(&str, &str)]) -> Result<String, Error> {
    let out = Command::new(python).args(args).envs(env.iter().copied()).current_dir(repo_root()).output()?;
    let stdout = String::from_utf8_lossy(&out.stdout).into_owned();
    if !out.status.success() {
        return Err(
            format!("{}\n{stdout}\n{}", args[0].display(), String::from_utf8_lossy(&out.stderr)).into()
        );
    }
    Ok(stdout)
}

#[test]
fn every_format_means_the_intended_connection_to_real_airflow_and_assumes_the_role() -> Result<(), Error> {
    let dir = tempfile::tempdir()?;
    let input = dir.path().join("formats.json");
    std::fs::write(&input, serde_json::to_vec_pretty(&rendered_cases()?)?)?;
    let moto = Moto::start()?;
    let script = repo_root().join("tests/airflow/prove_connections.py");
    let report = run_python(&airflow_python(), &[&script, &input], &[("MOTO_URL", &moto.url)])?;
    // 7 cases × 7 formats, plus one call through moto per AWS form that can run there.
    let summary = report.lines().last().unwrap_or_default();
    assert!(summary.ends_with(", 0 failed"), "{report}");
    let passed: usize = summary.split(' ').next().unwrap_or_default().parse()?;
    assert!(passed >= 7 * FORMATS.len() + 5, "too few checks ran: {report}");
    assert!(report.contains("assumed-role/astro-data/"), "the hook assumed the role in moto: {report}");
    assert!(
        report.contains(
            "ok   aws_attached moto own identity via env-json: arn:aws:sts::123456789012:user/moto"
        ),
        "the role-less connection used the environment's identity: {report}"
    );
    Ok(())
}

#[test]
fn the_gcp_keys_are_what_the_google_provider_reads() -> Result<(), Error> {
    let dir = tempfile::tempdir()?;
    let input = dir.path().join("formats.json");
    std::fs::write(&input, serde_json::to_vec_pretty(&rendered_cases()?)?)?;
    let script = repo_root().join("tests/airflow/check_google_keys.py");
    let wheels = cache_dir().join("google-wheel");
    let offline = Path::new("--offline");
    let report = run_python(&airflow_python(), &[&script, &wheels, &input, offline], &[])?;
    assert!(report.lines().last().unwrap_or_default().ends_with(", 0 failed"), "{report}");
    assert!(report.contains("impersonation_chain"), "{report}");
    Ok(())
}
