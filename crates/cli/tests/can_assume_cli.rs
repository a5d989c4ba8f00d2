//! `astro-identity-cli aws can-assume`: the trust evaluator's answer as an exit code and JSON,
//! for a role applied in moto (moto's STS lets anyone in, so the answer cannot come from it)
//! and for a policy file, with an external id, an organization condition and a web identity.

use std::process::Output;

use serde_json::Value;

use astro_identity_tests::{Error, Moto, cli_command, output_text};

const ASTRO: &str = "arn:aws:iam::123456789876:role/astro-stellar-apogee-4567";
const OTHER: &str = "arn:aws:iam::999988887777:role/intruder";

fn cli(home: &std::path::Path, args: &[&str]) -> Result<Output, Error> {
    Ok(cli_command(env!("CARGO_BIN_EXE_astro-identity-cli"), home).args(args).output()?)
}

fn text(bytes: &[u8]) -> String {
    output_text(bytes)
}

#[test]
fn a_role_applied_in_moto_admits_its_deployment_and_no_one_else() -> Result<(), Error> {
    let moto = Moto::start()?;
    let home = tempfile::tempdir()?;
    let apply = cli(
        home.path(),
        &[
            "aws",
            "apply",
            "--endpoint-url",
            &moto.url,
            "--role",
            "astro-data",
            "--create",
            "--identity",
            ASTRO,
            "--yes",
        ],
    )?;
    assert!(apply.status.success(), "{}", text(&apply.stderr));
    let ask = |principal: &str, json: bool| {
        let mut args = vec![
            "aws",
            "can-assume",
            "--endpoint-url",
            &moto.url,
            "--role",
            "astro-data",
            "--principal",
            principal,
        ];
        if json {
            args.push("--json");
        }
        cli(home.path(), &args)
    };

    let allowed = ask(ASTRO, true)?;
    assert_eq!(allowed.status.code(), Some(0), "{}", text(&allowed.stderr));
    let answer: Value = serde_json::from_slice(&allowed.stdout)?;
    assert_eq!(answer["decision"], "allowed");
    assert_eq!(answer["statements"][0]["number"], 1);
    assert!(answer["reason"].as_str().unwrap_or_default().starts_with("Statement 1"), "{answer}");

    // A session of the Deployment's role is the role.
    let session = ask("arn:aws:sts::123456789876:assumed-role/astro-stellar-apogee-4567/airflow", false)?;
    assert_eq!(session.status.code(), Some(0), "{}", text(&session.stdout));

    let denied = ask(OTHER, false)?;
    assert_eq!(denied.status.code(), Some(3), "{}", text(&denied.stdout));
    assert!(
        text(&denied.stdout)
            .starts_with("denied: No statement allows arn:aws:iam::999988887777:role/intruder"),
        "{}",
        text(&denied.stdout)
    );

    // A role that is not there: the command failed (1), naming it.
    let missing = cli(
        home.path(),
        &["aws", "can-assume", "--endpoint-url", &moto.url, "--role", "nope", "--principal", ASTRO],
    )?;
    assert_eq!(missing.status.code(), Some(1));
    assert!(text(&missing.stderr).contains("role nope does not exist"), "{}", text(&missing.stderr));
    Ok(())
}

#[test]
fn a_policy_file_is_answered_offline_with_context_and_web_identity() -> Result<(), Error> {
    let home = tempfile::tempdir()?;
    let file = home.path().join("trust.json");
    let ksa = "system:serviceaccount:stellar-apogee-4567:stellar-apogee-4567-worker-serviceaccount";
    std::fs::write(
        &file,
        serde_json::to_vec(&serde_json::json!({
            "Version": "2012-10-17",
            "Statement": [
                {"Effect": "Allow", "Principal": {"AWS": ASTRO}, "Action": "sts:AssumeRole",
                 "Condition": {"StringEquals": {"sts:ExternalId": "a1b2"}}},
                {"Effect": "Allow", "Principal": {"AWS": "*"}, "Action": "sts:AssumeRole",
                 "Condition": {"StringEquals": {"aws:PrincipalOrgID": "o-abc123"}}},
                {"Effect": "Allow",
                 "Principal": {"Federated": "arn:aws:iam::123456789876:oidc-provider/oidc.astronomer.io/aws"},
                 "Action": "sts:AssumeRoleWithWebIdentity",
                 "Condition": {"StringEquals": {"oidc.astronomer.io/aws:aud": "sts.amazonaws.com",
                                                "oidc.astronomer.io/aws:sub": [ksa]}}}
            ]
        }))?,
    )?;
    let path = file.to_string_lossy().into_owned();
    let ask = |extra: &[&str]| {
        let mut args = vec!["aws", "can-assume", "--policy-file", path.as_str()];
        args.extend_from_slice(extra);
        cli(home.path(), &args)
    };
    let code = |out: &Output| out.status.code();

    assert_eq!(code(&ask(&["--principal", ASTRO, "--context", "sts:ExternalId=a1b2"])?), Some(0));
    // Without the external id, the second statement might still let it in: undecidable.
    let unknown = ask(&["--principal", ASTRO, "--json"])?;
    assert_eq!(code(&unknown), Some(4), "{}", text(&unknown.stdout));
    let answer: Value = serde_json::from_slice(&unknown.stdout)?;
    assert_eq!(answer["decision"], "undecidable");
    assert!(answer["reason"].as_str().unwrap_or_default().contains("aws:PrincipalOrgID"), "{answer}");
    // Told the organization, it is decided.
    assert_eq!(code(&ask(&["--principal", OTHER, "--context", "aws:PrincipalOrgID=o-abc123"])?), Some(0));
    assert_eq!(code(&ask(&["--principal", OTHER, "--context", "aws:PrincipalOrgID=o-other"])?), Some(3));

    // The Deployment's worker pod through the cluster's provider; another namespace is denied.
    let web = |sub: &str| {
        ask(&[
            "--issuer",
            "https://oidc.astronomer.io/aws",
            "--principal",
            "arn:aws:iam::123456789876:oidc-provider/oidc.astronomer.io/aws",
            "--web-identity-sub",
            sub,
        ])
    };
    assert_eq!(code(&web(ksa)?), Some(0));
    assert_eq!(code(&web("system:serviceaccount:other:other-worker-serviceaccount")?), Some(3));

    // Bad input: a context without '=', an issuer without a provider for a file.
    let bad = ask(&["--principal", ASTRO, "--context", "sts:ExternalId"])?;
    assert_eq!(code(&bad), Some(1));
    assert!(text(&bad.stderr).contains("is not KEY=VALUE"), "{}", text(&bad.stderr));
    let no_provider = ask(&["--issuer", "oidc.astronomer.io/aws", "--web-identity-sub", ksa])?;
    assert_eq!(code(&no_provider), Some(1));
    assert!(text(&no_provider.stderr).contains("needs --principal"), "{}", text(&no_provider.stderr));
    // A file that is not a trust policy, and one that is not there: exit 1, never a decision.
    let broken = home.path().join("broken.json");
    std::fs::write(&broken, "{\"Statement\": ")?;
    let broken = broken.to_string_lossy().into_owned();
    for (file, words) in [(broken.as_str(), "trust_policy"), ("/nonexistent/trust.json", "cannot read")] {
        let out = cli(home.path(), &["aws", "can-assume", "--policy-file", file, "--principal", ASTRO])?;
        assert_eq!(out.status.code(), Some(1), "{file}");
        assert!(out.stdout.is_empty(), "{file}: {}", text(&out.stdout));
        assert!(text(&out.stderr).contains(words), "{file}: {}", text(&out.stderr));
    }
    Ok(())
}
