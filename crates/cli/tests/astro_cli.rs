//! `astro-identity-cli astro deployments` and `--deployment` on `aws` / `gcp`, against the
//! Astro API fake, moto and the GCP wire fake: Deployments authorized without one copied
//! identity, and every wrong input refused with exit code 1 and nothing written.

use std::path::Path;
use std::process::Output;

use serde_json::{Value, json};

use astro_identity_tests::astro_fake::{AstroFake, deployment};
use astro_identity_tests::gcp_fake::GcpFake;
use astro_identity_tests::{Error, Moto, cli_command, output_text};

const ORG: &str = "clorgacme";
const TOKEN: &str = "astro-cli-token-42";

fn astro() -> Result<AstroFake, Error> {
    let fake = AstroFake::start(ORG, TOKEN)?;
    fake.add_workspace(ORG, "clwsdata", "Data");
    for (id, name, cloud) in [
        ("cldepaws1", "Sales ETL", "AWS"),
        ("cldepaws2", "Finance", "AWS"),
        ("cldepgcp1", "Marketing", "GCP"),
        ("cldepgcp2", "Ads", "GCP"),
        ("cldepazr1", "Legacy", "AZURE"),
    ] {
        fake.add_deployment(deployment(ORG, "clwsdata", id, name, cloud));
    }
    Ok(fake)
}

fn cli(home: &Path, token: Option<&str>, args: &[&str]) -> Result<Output, Error> {
    let mut command = cli_command(env!("CARGO_BIN_EXE_astro-identity-cli"), home);
    command.args(args);
    if let Some(token) = token {
        command.env("ASTRO_API_TOKEN", token);
    }
    Ok(command.output()?)
}

fn text(bytes: &[u8]) -> String {
    output_text(bytes)
}

#[test]
fn deployments_are_listed_as_json_with_their_identities() -> Result<(), Error> {
    let fake = astro()?;
    let home = tempfile::tempdir()?;
    let out = cli(home.path(), Some(TOKEN), &["astro", "deployments", "--json", "--api-url", &fake.url])?;
    assert!(out.status.success(), "{}", text(&out.stderr));
    let list: Value = serde_json::from_slice(&out.stdout)?;
    let list = list.as_array().ok_or("an array")?;
    assert_eq!(list.len(), 5);
    let first = &list[0];
    for key in [
        "id",
        "name",
        "workspaceId",
        "cloudProvider",
        "region",
        "namespace",
        "oidcIssuerUrl",
        "workloadIdentity",
        "customerManaged",
    ] {
        assert!(first.get(key).is_some(), "{key} missing in {first}");
    }
    assert_eq!(first["id"], "cldepaws1");
    assert_eq!(first["workloadIdentity"], "arn:aws:iam::123456789012:role/astro-sales-etl-aws1");
    assert_eq!(first["customerManaged"], false);
    assert_eq!(first["workspaceName"], "Data");
    assert_eq!(list[4]["workloadIdentity"], Value::Null);

    let table = cli(home.path(), Some(TOKEN), &["astro", "deployments", "--api-url", &fake.url])?;
    let stdout = text(&table.stdout);
    assert!(stdout.contains("cldepgcp1  Marketing  [Data]  Google Cloud us-central1  HEALTHY"), "{stdout}");
    assert!(stdout.contains("(no workload identity)") && stdout.contains("5 Deployment(s)"), "{stdout}");
    Ok(())
}

#[test]
fn aws_deployments_are_trusted_by_id_beside_a_pasted_identity() -> Result<(), Error> {
    let fake = astro()?;
    let moto = Moto::start()?;
    let home = tempfile::tempdir()?;
    let pasted = "arn:aws:iam::123456789012:role/astro-pasted-0001";
    let out = cli(
        home.path(),
        Some(TOKEN),
        &[
            "aws",
            "apply",
            "--role",
            "astro-etl",
            "--create",
            "--deployment",
            "cldepaws1",
            "--deployment",
            "cldepaws2",
            "--identity",
            pasted,
            "--yes",
            "--json",
            "--endpoint-url",
            &moto.url,
            "--api-url",
            &fake.url,
        ],
    )?;
    assert!(out.status.success(), "{}", text(&out.stderr));
    let outcome: Value = serde_json::from_slice(&out.stdout)?;
    let policy = outcome["trustPolicy"].as_str().ok_or("trust policy")?;
    for arn in [
        "arn:aws:iam::123456789012:role/astro-sales-etl-aws1",
        "arn:aws:iam::123456789012:role/astro-finance-aws2",
        pasted,
    ] {
        assert!(policy.contains(arn), "{arn} not trusted: {policy}");
    }
    Ok(())
}

#[test]
fn gcp_deployments_are_granted_in_one_write() -> Result<(), Error> {
    let fake = astro()?;
    let gcp = GcpFake::start()?;
    gcp.seed(
        "astro-data",
        json!({"bindings": [{"role": "roles/viewer", "members": ["user:ada@example.com"]}]}),
    );
    let home = tempfile::tempdir()?;
    let out = cli(
        home.path(),
        Some(TOKEN),
        &[
            "gcp",
            "apply",
            "--project",
            "astro-data",
            "--role",
            "roles/bigquery.jobUser",
            "--deployment",
            "cldepgcp1",
            "--deployment",
            "cldepgcp2",
            "--yes",
            "--endpoint",
            &gcp.url,
            "--anonymous",
            "--api-url",
            &fake.url,
        ],
    )?;
    assert!(out.status.success(), "{}", text(&out.stderr));
    assert!(text(&out.stdout).contains("grant roles/bigquery.jobUser to serviceAccount:astro-marketing-gcp1@astronomer-prod.iam.gserviceaccount.com and serviceAccount:astro-ads-gcp2@"), "{}", text(&out.stdout));
    assert_eq!(gcp.seen().iter().filter(|r| r.path.ends_with(":setIamPolicy")).count(), 1);
    let policy = gcp.policy("astro-data").ok_or("gone")?.to_string();
    assert!(policy.contains("astro-marketing-gcp1@") && policy.contains("astro-ads-gcp2@"), "{policy}");
    assert!(policy.contains("user:ada@example.com"));
    Ok(())
}

/// A token (or none), a Deployment id, extra arguments, and what stderr must say.
type Case<'a> = (Option<&'a str>, &'a str, &'a [&'a str], &'a [&'a str]);

#[test]
fn wrong_inputs_exit_1_name_the_problem_and_write_nothing() -> Result<(), Error> {
    let fake = astro()?;
    let gcp = GcpFake::start()?;
    gcp.seed("astro-data", json!({"bindings": []}));
    let home = tempfile::tempdir()?;
    let grant = |token: Option<&str>, deployment: &str, extra: &[&str]| {
        let mut args = vec![
            "gcp",
            "apply",
            "--project",
            "astro-data",
            "--role",
            "roles/bigquery.jobUser",
            "--deployment",
            deployment,
            "--yes",
            "--endpoint",
            &gcp.url,
            "--anonymous",
            "--api-url",
            &fake.url,
        ];
        args.extend_from_slice(extra);
        cli(home.path(), token, &args)
    };
    let cases: [Case; 6] = [
        // An AWS-hosted Deployment offered to the GCP grant.
        (Some(TOKEN), "cldepaws1", &[], &["Sales ETL (cldepaws1) runs on AWS", "Nothing was changed"]),
        (Some(TOKEN), "cldepazr1", &[], &["runs on Azure"]),
        (Some(TOKEN), "cldepnope1", &[], &["Deployment cldepnope1 in organization clorgacme does not exist"]),
        (Some("wrong-token-123"), "cldepgcp1", &[], &["HTTP 401", "API Tokens"]),
        (None, "cldepgcp1", &[], &["ASTRO_API_TOKEN is not set", "Export ASTRO_API_TOKEN"]),
        (
            Some(TOKEN),
            "cldepgcp1",
            &["--organization", "clorgother"],
            &["organization clorgother", "the token belongs to organization Org clorgacme (clorgacme)"],
        ),
    ];
    for (token, deployment, extra, expected) in cases {
        let out = grant(token, deployment, extra)?;
        let stderr = text(&out.stderr);
        assert_eq!(out.status.code(), Some(1), "{deployment}: {stderr}");
        for words in expected {
            assert!(stderr.contains(words), "{deployment}: expected {words:?} in {stderr}");
        }
        assert!(!stderr.contains("wrong-token-123") && !stderr.contains(TOKEN), "{stderr}");
    }
    assert_eq!(gcp.seen().iter().filter(|r| r.path.ends_with(":setIamPolicy")).count(), 0, "nothing written");

    // A token seeing two organizations must be told which.
    fake.add_organization("clorgsecond", "Second", TOKEN);
    let out = cli(home.path(), Some(TOKEN), &["astro", "deployments", "--api-url", &fake.url])?;
    assert_eq!(out.status.code(), Some(1));
    assert!(
        text(&out.stderr)
            .contains("Choose one with --organization: Org clorgacme (clorgacme), Second (clorgsecond)"),
        "{}",
        text(&out.stderr)
    );
    Ok(())
}

#[test]
fn attach_role_trusts_deployments_through_their_clusters_oidc_provider() -> Result<(), Error> {
    let fake = astro()?;
    let mut no_issuer = deployment(ORG, "clwsdata", "cldepaws9", "Old", "AWS");
    if let Some(map) = no_issuer.as_object_mut() {
        map.remove("oidcIssuerUrl");
    }
    fake.add_deployment(no_issuer);
    let moto = Moto::start()?;
    let home = tempfile::tempdir()?;
    let attach = |extra: &[&str]| {
        let mut args = vec![
            "aws",
            "attach-role",
            "--role",
            "astro-cmi",
            "--create",
            "--endpoint-url",
            &moto.url,
            "--api-url",
            &fake.url,
        ];
        args.extend_from_slice(extra);
        cli(home.path(), Some(TOKEN), &args)
    };
    // The plan alone writes nothing.
    let plan = attach(&["--deployment", "cldepaws1", "--deployment", "cldepaws2", "--plan"])?;
    assert!(plan.status.success(), "{}", text(&plan.stderr));
    let stdout = text(&plan.stdout);
    assert!(
        stdout.contains("create OIDC provider oidc.astronomer.io/aws with client id sts.amazonaws.com"),
        "{stdout}"
    );
    assert!(stdout.contains("Role astro-cmi will be created"), "{stdout}");
    assert!(
        stdout.contains("system:serviceaccount:finance-aws2:finance-aws2-worker-serviceaccount"),
        "{stdout}"
    );

    let applied = attach(&["--deployment", "cldepaws1", "--deployment", "cldepaws2", "--yes", "--json"])?;
    assert!(applied.status.success(), "{}", text(&applied.stderr));
    let outcome: Value = serde_json::from_slice(&applied.stdout)?;
    assert_eq!(outcome["iam"]["providerJournalIds"].as_array().map(Vec::len), Some(1));
    let identity_ids = outcome["identityJournalIds"].as_array().cloned().unwrap_or_default();
    assert_eq!(identity_ids.len(), 2, "{outcome}");
    for id in ["cldepaws1", "cldepaws2"] {
        let stored = fake.stored_deployment(id).ok_or("seeded")?;
        assert_eq!(stored["effectiveWorkloadIdentity"], "arn:aws:iam::123456789012:role/astro-cmi", "{id}");
        assert_eq!(stored["environmentVariables"][0]["value"], "s3cr3t-value", "{id}: the secret kept");
    }
    let policy: Value =
        serde_json::from_str(outcome["iam"]["trust"]["trustPolicy"].as_str().ok_or("policy")?)?;
    let statement = &policy["Statement"][0];
    assert_eq!(
        statement["Principal"]["Federated"],
        "arn:aws:iam::123456789012:oidc-provider/oidc.astronomer.io/aws"
    );
    assert_eq!(
        statement["Condition"]["StringEquals"]["oidc.astronomer.io/aws:sub"].as_array().map(Vec::len),
        Some(12)
    );

    // Again: nothing to do. A Google Cloud Deployment, or one whose cluster has no issuer: exit 1.
    let again = attach(&["--deployment", "cldepaws1", "--yes"])?;
    assert!(again.status.success(), "{}", text(&again.stderr));
    assert!(text(&again.stdout).contains("Nothing to change"), "{}", text(&again.stdout));

    // The identity's undo sets Astro's default back, through the API it went to.
    let first = identity_ids[0].as_str().ok_or("id")?;
    let undo = cli(home.path(), Some(TOKEN), &["journal", "undo", "--id", first, "--yes"])?;
    assert!(undo.status.success(), "{}", text(&undo.stderr));
    assert!(
        text(&undo.stdout)
            .contains("+ workload identity arn:aws:iam::123456789012:role/astro-sales-etl-aws1")
            && text(&undo.stdout).contains("verified by reading it back"),
        "{}",
        text(&undo.stdout)
    );
    assert_eq!(
        fake.stored_deployment("cldepaws1").ok_or("seeded")?["effectiveWorkloadIdentity"],
        "arn:aws:iam::123456789012:role/astro-sales-etl-aws1"
    );
    for (id, words) in [("cldepgcp1", "runs on Google Cloud"), ("cldepaws9", "has no OIDC issuer")] {
        let out = attach(&["--deployment", id, "--yes"])?;
        assert_eq!(out.status.code(), Some(1), "{id}");
        assert!(text(&out.stderr).contains(words), "{id}: {}", text(&out.stderr));
    }
    let unpaired = attach(&["--namespace", "x-1", "--yes"])?;
    assert_eq!(unpaired.status.code(), Some(1));
    assert!(text(&unpaired.stderr).contains("1 --namespace but 0 --oidc-issuer"));
    Ok(())
}

#[test]
fn attach_sa_grants_roles_and_token_creation_then_sets_the_identity() -> Result<(), Error> {
    let fake = astro()?;
    let gcp = GcpFake::start()?;
    gcp.seed(
        "astro-data",
        json!({"bindings": [{"role": "roles/viewer", "members": ["user:ada@example.com"]}]}),
    );
    let mine = "etl-runner@astro-data.iam.gserviceaccount.com";
    gcp.seed_service_account(mine, json!({}));
    let home = tempfile::tempdir()?;
    let attach = |extra: &[&str]| {
        let mut args = vec![
            "gcp",
            "attach-sa",
            "--service-account",
            mine,
            "--deployment",
            "cldepgcp1",
            "--deployment",
            "cldepgcp2",
            "--project",
            "astro-data",
            "--role",
            "roles/bigquery.jobUser",
            "--role",
            "roles/storage.objectViewer",
            "--endpoint",
            &gcp.url,
            "--anonymous",
            "--api-url",
            &fake.url,
        ];
        args.extend_from_slice(extra);
        cli(home.path(), Some(TOKEN), &args)
    };
    let plan = attach(&["--plan"])?;
    assert!(plan.status.success(), "{}", text(&plan.stderr));
    let stdout = text(&plan.stdout);
    assert!(stdout.contains("grant roles/iam.serviceAccountTokenCreator to serviceAccount:astro-marketing-gcp1@astronomer-prod.iam.gserviceaccount.com and serviceAccount:astro-ads-gcp2@"), "{stdout}");
    assert!(stdout.contains(&format!("Set the workload identity of Deployment Marketing (cldepgcp1): astro-marketing-gcp1@astronomer-prod.iam.gserviceaccount.com → {mine}")), "{stdout}");
    assert_eq!(gcp.seen().iter().filter(|r| r.path.ends_with(":setIamPolicy")).count(), 0);

    // A role IAM would refuse blocks the whole plan, before anything is written anywhere.
    let blocked = attach(&["--role", "bigquery.jobUser", "--yes"])?;
    assert_eq!(blocked.status.code(), Some(1));
    assert!(
        text(&blocked.stderr).contains("the grant on project astro-data has errors, nothing was written"),
        "{}",
        text(&blocked.stderr)
    );
    assert_eq!(gcp.seen().iter().filter(|r| r.path.ends_with(":setIamPolicy")).count(), 0);
    assert!(fake.seen().iter().all(|r| r.method != "POST"), "no identity was set");

    let applied = attach(&["--yes", "--json"])?;
    assert!(applied.status.success(), "{}", text(&applied.stderr));
    let outcome: Value = serde_json::from_slice(&applied.stdout)?;
    assert_eq!(outcome["journalIds"].as_array().map(Vec::len), Some(5), "{outcome}");
    let project = gcp.policy("astro-data").ok_or("project")?.to_string();
    assert!(
        project.contains("roles/bigquery.jobUser") && project.contains("roles/storage.objectViewer"),
        "{project}"
    );
    assert!(project.contains(&format!("serviceAccount:{mine}")) && project.contains("user:ada@example.com"));
    let account = gcp.service_account_policy(mine).ok_or("account policy")?.to_string();
    assert!(
        account.contains("roles/iam.serviceAccountTokenCreator") && account.contains("astro-ads-gcp2@"),
        "{account}"
    );
    for id in ["cldepgcp1", "cldepgcp2"] {
        assert_eq!(fake.stored_deployment(id).ok_or("seeded")?["effectiveWorkloadIdentity"], mine, "{id}");
    }
    // Again: nothing to do.
    let again = attach(&["--yes"])?;
    assert!(again.status.success(), "{}", text(&again.stderr));
    assert!(text(&again.stdout).contains("Nothing to change"), "{}", text(&again.stdout));
    // An AWS Deployment is refused; nothing written.
    let writes = gcp.seen().iter().filter(|r| r.path.ends_with(":setIamPolicy")).count();
    let out = cli(
        home.path(),
        Some(TOKEN),
        &[
            "gcp",
            "attach-sa",
            "--service-account",
            mine,
            "--deployment",
            "cldepaws1",
            "--endpoint",
            &gcp.url,
            "--anonymous",
            "--api-url",
            &fake.url,
            "--yes",
        ],
    )?;
    assert_eq!(out.status.code(), Some(1));
    assert!(text(&out.stderr).contains("runs on AWS"), "{}", text(&out.stderr));
    assert_eq!(gcp.seen().iter().filter(|r| r.path.ends_with(":setIamPolicy")).count(), writes);
    Ok(())
}
