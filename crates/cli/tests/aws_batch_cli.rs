//! `astro-identity-cli aws plan|apply --batch FILE` against moto, through a proxy that counts
//! every IAM call and injects throttling: many roles at once, four IAM calls per role, one
//! failing role leaving the others done, and a bad file refused before anything is read.

use std::path::Path;
use std::process::Output;

use serde_json::{Value, json};

use astro_identity_tests::fault_proxy::{Fault, FaultProxy, Matcher};
use astro_identity_tests::{Error, Moto, cli_command, moto_iam, output_text};

const SEED: &str = r#"{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"Service":"ec2.amazonaws.com"},"Action":"sts:AssumeRole"}]}"#;

fn identity(n: usize) -> String {
    format!("arn:aws:iam::111122223333:role/astro-deployment-{n:04}")
}

fn cli(home: &Path, endpoint: &str, args: &[&str]) -> Result<Output, Error> {
    Ok(cli_command(env!("CARGO_BIN_EXE_astro-identity-cli"), home)
        .args(args)
        .args(["--endpoint-url", endpoint])
        .output()?)
}

async fn trusted(moto: &Moto, role: &str) -> Result<Vec<String>, Error> {
    let iam = moto_iam(&moto.url).await;
    let out = iam.get_role().role_name(role).send().await?;
    let encoded = out.role().and_then(|r| r.assume_role_policy_document()).ok_or("no policy")?;
    let doc: Value = serde_json::from_str(&percent_encoding::percent_decode_str(encoded).decode_utf8()?)?;
    let mut arns: Vec<String> = doc["Statement"]
        .as_array()
        .ok_or("statements")?
        .iter()
        .flat_map(|s| match &s["Principal"]["AWS"] {
            Value::String(one) => vec![one.clone()],
            Value::Array(many) => many.iter().filter_map(|v| v.as_str().map(String::from)).collect(),
            _ => Vec::new(),
        })
        .collect();
    arns.sort();
    Ok(arns)
}

#[tokio::test(flavor = "multi_thread")]
async fn a_batch_of_roles_is_applied_concurrently_with_four_iam_calls_per_role() -> Result<(), Error> {
    let moto = Moto::start()?;
    let proxy = FaultProxy::start(&moto.url)?;
    let iam = moto_iam(&moto.url).await;
    const ROLES: usize = 12;
    let mut entries = Vec::new();
    for r in 0..ROLES {
        let name = format!("astro-batch-{r:02}");
        // Two roles are created by the batch; the rest exist with someone else's statement.
        let create = r >= ROLES - 2;
        if !create {
            iam.create_role().role_name(&name).assume_role_policy_document(SEED).send().await?;
        }
        entries.push(
            json!({"role": name, "identities": [identity(r * 2), identity(r * 2 + 1)], "create": create}),
        );
    }
    let home = tempfile::tempdir()?;
    let file = home.path().join("batch.json");
    std::fs::write(&file, serde_json::to_string(&entries)?)?;
    let file = file.to_string_lossy().into_owned();
    // IAM throttles the first three writes: the SDK's retry backs off and gets through.
    proxy.times(3, Matcher::aws_action("UpdateAssumeRolePolicy"), Fault::aws_throttling());

    let out = cli(home.path(), &proxy.url, &["aws", "apply", "--batch", &file, "--yes"])?;
    let (stdout, stderr) = (output_text(&out.stdout), output_text(&out.stderr));
    assert!(out.status.success(), "{stdout}\n{stderr}");
    assert!(
        stdout.contains("12 of 12 role(s) done and verified (12 written, 0 already as planned)"),
        "{stdout}"
    );
    assert!(
        stderr.contains("[12/12] planned") && stderr.contains("checking 10 role(s) for lost updates"),
        "{stderr}"
    );
    for r in 0..ROLES {
        let name = format!("astro-batch-{r:02}");
        let mut want = vec![identity(r * 2), identity(r * 2 + 1)];
        want.sort();
        assert_eq!(trusted(&moto, &name).await?, want, "{name}");
    }
    // The existing roles kept the EC2 statement.
    let iam_doc = iam.get_role().role_name("astro-batch-00").send().await?;
    let doc = iam_doc.role().and_then(|r| r.assume_role_policy_document()).unwrap_or_default();
    assert!(percent_encoding::percent_decode_str(doc).decode_utf8()?.contains("ec2.amazonaws.com"));

    // IAM calls per role, counted at the proxy: read (plan), write, verify, lost-update re-read.
    let gets = proxy.count(&Matcher::aws_action("GetRole"));
    let updates = proxy.count(&Matcher::aws_action("UpdateAssumeRolePolicy")) - 3; // the throttled ones
    let creates = proxy.count(&Matcher::aws_action("CreateRole"));
    let sts = proxy.count(&Matcher::aws_action("GetCallerIdentity"));
    assert_eq!(sts, 1, "one caller lookup for the batch");
    assert_eq!((updates, creates), (10, 2));
    // Existing: plan read + verify + re-read = 3 GetRole; created: plan read + verify = 2.
    assert_eq!(gets, 10 * 3 + 2 * 2);
    let per_role = (gets + updates + creates) as f64 / ROLES as f64;
    assert!(per_role <= 4.0, "{per_role} IAM calls per role");

    // Again: the existing roles plan as no change; the created ones now exist, so their
    // "create" entries fail to plan, and nothing is written.
    let before_writes = proxy.count(&Matcher::aws_action("UpdateAssumeRolePolicy"));
    let again = cli(home.path(), &proxy.url, &["aws", "apply", "--batch", &file, "--yes"])?;
    assert!(!again.status.success(), "the created roles exist now: their entries say create");
    let again_out = output_text(&again.stdout);
    assert!(
        again_out.contains("astro-batch-10: cannot plan:") && again_out.contains("already exists"),
        "{again_out}"
    );
    assert!(again_out.contains("astro-batch-00: nothing to change"), "{again_out}");
    assert_eq!(proxy.count(&Matcher::aws_action("UpdateAssumeRolePolicy")), before_writes);
    Ok(())
}

#[tokio::test(flavor = "multi_thread")]
async fn one_failing_role_leaves_the_others_done_and_the_summary_names_it() -> Result<(), Error> {
    let moto = Moto::start()?;
    let iam = moto_iam(&moto.url).await;
    for name in ["astro-a", "astro-c"] {
        iam.create_role().role_name(name).assume_role_policy_document(SEED).send().await?;
    }
    let home = tempfile::tempdir()?;
    let file = home.path().join("batch.json");
    let entries = json!([
        {"role": "astro-a", "identities": [identity(1)]},
        {"role": "astro-missing", "identities": [identity(2)]},
        {"role": "astro-c", "identities": [identity(3)]},
    ]);
    std::fs::write(&file, entries.to_string())?;
    let out = cli(
        home.path(),
        &moto.url,
        &["aws", "apply", "--batch", &file.to_string_lossy(), "--yes", "--json"],
    )?;
    assert_eq!(out.status.code(), Some(1), "{}", output_text(&out.stderr));
    let outcomes: Value = serde_json::from_slice(&out.stdout)?;
    let names: Vec<(&str, bool)> = outcomes
        .as_array()
        .ok_or("array")?
        .iter()
        .map(|o| (o["roleName"].as_str().unwrap_or(""), o["failure"].is_null()))
        .collect();
    assert_eq!(names, [("astro-a", true), ("astro-missing", false), ("astro-c", true)]);
    assert_eq!(outcomes[1]["failure"]["code"], "not_found");
    assert!(output_text(&out.stderr).contains("1 role(s) failed (listed above); the others went through"));
    assert_eq!(trusted(&moto, "astro-a").await?, [identity(1)]);
    assert_eq!(trusted(&moto, "astro-c").await?, [identity(3)]);
    Ok(())
}

#[tokio::test(flavor = "multi_thread")]
async fn a_bad_batch_file_is_refused_before_anything_is_read() -> Result<(), Error> {
    let moto = Moto::start()?;
    let proxy = FaultProxy::start(&moto.url)?;
    let home = tempfile::tempdir()?;
    let h = home.path();
    let write = |name: &str, text: &str| -> Result<String, Error> {
        let path = h.join(name);
        std::fs::write(&path, text)?;
        Ok(path.to_string_lossy().into_owned())
    };
    let twice = write(
        "twice.json",
        &json!([{"role": "r", "identities": [identity(1)]}, {"role": "r", "identities": [identity(2)]}])
            .to_string(),
    )?;
    let bad_arn = write("arn.json", r#"[{"role": "r", "identities": ["arn:aws:iam::12:role/x"]}]"#)?;
    let empty = write("empty.json", "[]")?;
    let broken = write("broken.json", "[{\"role\": ")?;
    let cases: [(&[&str], &str); 6] = [
        (&["aws", "apply", "--batch", &twice, "--yes"], "--batch: batch: entry 2: role r is also entry 1"),
        (
            &["aws", "apply", "--batch", &bad_arn, "--yes"],
            "--batch: batch: entry 1: role r: \"arn:aws:iam::12:role/x\"",
        ),
        (&["aws", "plan", "--batch", &empty], "--batch: batch: is empty"),
        (&["aws", "plan", "--batch", &broken], "--batch: batch: malformed JSON at line 1"),
        (&["aws", "plan", "--batch", "/nonexistent.json"], "--batch /nonexistent.json: cannot read it"),
        (&["aws", "plan", "--batch", &empty, "--role", "r"], "cannot be used with"),
    ];
    for (args, expected) in cases {
        let out = cli(h, &proxy.url, args)?;
        assert!(!out.status.success(), "{args:?}");
        let stderr = output_text(&out.stderr);
        assert!(stderr.contains(expected), "{args:?}: {stderr}");
    }
    assert!(proxy.seen().is_empty(), "nothing was sent to IAM: {:?}", proxy.seen());
    Ok(())
}
