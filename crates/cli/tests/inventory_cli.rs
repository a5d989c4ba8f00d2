//! `astro-identity-cli inventory aws|gcp` and `revoke`, against moto (an account with 150
//! roles: most trust no one from Astro, some trust several Deployments, one only under a
//! condition, one through a cluster's OIDC provider), the GCP fake and the Astro API fake.

use std::path::Path;
use std::process::Output;

use serde_json::{Value, json};

use astro_identity_tests::astro_fake::{AstroFake, deployment};
use astro_identity_tests::gcp_fake::GcpFake;
use astro_identity_tests::{Error, Moto, cli_command, moto_iam, output_text};

const ORG: &str = "clorgacme";
const TOKEN: &str = "astro-inventory-token-1";
// As the Astro fake names the identities of cldepaws1 / cldepaws2.
const SALES: &str = "arn:aws:iam::123456789012:role/astro-sales-etl-aws1";
const FINANCE: &str = "arn:aws:iam::123456789012:role/astro-finance-aws2";
const STRAY: &str = "arn:aws:iam::123456789012:role/astro-decommissioned-9999";
const CI: &str = "arn:aws:iam::123456789012:role/ci";
const PROVIDER: &str = "arn:aws:iam::123456789012:oidc-provider/oidc.astronomer.io/aws";

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

fn json_of(out: &Output) -> Result<Value, Error> {
    if !out.status.success() {
        return Err(
            format!("exit {:?}: {}{}", out.status.code(), text(&out.stdout), text(&out.stderr)).into()
        );
    }
    Ok(serde_json::from_slice(&out.stdout)?)
}

fn allow(principals: &[&str]) -> Value {
    json!({"Effect": "Allow", "Principal": {"AWS": principals}, "Action": "sts:AssumeRole"})
}

async fn seed_account(url: &str) -> Result<(), Error> {
    let iam = moto_iam(url).await;
    let create = |name: String, statements: Vec<Value>| {
        let iam = iam.clone();
        async move {
            let document = json!({"Version": "2012-10-17", "Statement": statements}).to_string();
            iam.create_role().role_name(name).assume_role_policy_document(document).send().await
        }
    };
    for i in 0..145 {
        create(format!("svc-{i:03}"), vec![allow(&[CI])]).await?;
    }
    create(String::from("data-lake"), vec![allow(&[SALES, CI, FINANCE])]).await?;
    create(
        String::from("vendor-feed"),
        vec![
            allow(&[CI]),
            json!({"Sid": "Sales", "Effect": "Allow", "Principal": {"AWS": SALES}, "Action": "sts:AssumeRole",
                   "Condition": {"StringEquals": {"sts:ExternalId": "feed-42"}}}),
        ],
    )
    .await?;
    create(String::from("old-reports"), vec![allow(&[STRAY])]).await?;
    create(
        String::from("cmi-warehouse"),
        vec![json!({"Effect": "Allow", "Principal": {"Federated": PROVIDER},
            "Action": "sts:AssumeRoleWithWebIdentity",
            "Condition": {"StringEquals": {"oidc.astronomer.io/aws:aud": "sts.amazonaws.com",
                "oidc.astronomer.io/aws:sub": [
                    "system:serviceaccount:finance-aws2:finance-aws2-worker-serviceaccount",
                    "system:serviceaccount:finance-aws2:finance-aws2-scheduler-serviceaccount"]}}})],
    )
    .await?;
    let reader = json!({"Version": "2012-10-17", "Statement": [
        {"Effect": "Allow", "Action": ["s3:GetObject", "s3:ListBucket"], "Resource": "*"}]});
    let policy =
        iam.create_policy().policy_name("lake-reader").policy_document(reader.to_string()).send().await?;
    let arn = policy.policy().and_then(|p| p.arn()).ok_or("policy arn")?;
    iam.attach_role_policy().role_name("data-lake").policy_arn(arn).send().await?;
    Ok(())
}

fn rows_of<'a>(rows: &'a Value, identity: &str) -> Vec<&'a Value> {
    rows.as_array().into_iter().flatten().filter(|r| r["identity"] == identity).collect()
}

fn places(rows: &Value, identity: &str) -> Vec<String> {
    let mut places: Vec<String> = rows_of(rows, identity)
        .iter()
        .map(|r| r["resource"].as_str().unwrap_or_default().to_owned())
        .collect();
    places.sort();
    places
}

#[test]
fn the_account_inventory_names_deployments_and_revoke_removes_one_everywhere() -> Result<(), Error> {
    let moto = Moto::start()?;
    tokio::runtime::Builder::new_current_thread().enable_all().build()?.block_on(seed_account(&moto.url))?;
    let astro = AstroFake::start(ORG, TOKEN)?;
    astro.add_workspace(ORG, "clwsdata", "Data");
    astro.add_deployment(deployment(ORG, "clwsdata", "cldepaws1", "Sales ETL", "AWS"));
    astro.add_deployment(deployment(ORG, "clwsdata", "cldepaws2", "Finance", "AWS"));
    let home = tempfile::tempdir()?;
    let endpoint = ["--endpoint-url", moto.url.as_str()];

    // This app grants one role; someone else then takes that grant away again by hand.
    let apply = cli(
        home.path(),
        None,
        &[
            "aws",
            "apply",
            endpoint[0],
            endpoint[1],
            "--role",
            "etl",
            "--create",
            "--identity",
            FINANCE,
            "--yes",
        ],
    )?;
    assert!(apply.status.success(), "{}", text(&apply.stderr));
    let apply = cli(
        home.path(),
        None,
        &["aws", "apply", endpoint[0], endpoint[1], "--role", "data-lake", "--identity", STRAY, "--yes"],
    )?;
    assert!(apply.status.success(), "{}", text(&apply.stderr));
    tokio::runtime::Builder::new_current_thread().enable_all().build()?.block_on(async {
        let document = json!({"Version": "2012-10-17", "Statement": [allow(&[CI])]}).to_string();
        moto_iam(&moto.url)
            .await
            .update_assume_role_policy()
            .role_name("etl")
            .policy_document(document)
            .send()
            .await
    })?;

    // Without a token: by shape, flagged as such.
    let by_shape =
        json_of(&cli(home.path(), None, &["inventory", "aws", endpoint[0], endpoint[1], "--json"])?)?;
    assert_eq!(places(&by_shape, SALES), ["data-lake", "vendor-feed"]);
    assert!(rows_of(&by_shape, SALES).iter().all(|r| r["matched"] == "shape" && r["deployment"].is_null()));
    assert_eq!(places(&by_shape, "finance-aws2@oidc.astronomer.io/aws"), ["cmi-warehouse"]);
    assert!(rows_of(&by_shape, CI).is_empty(), "not an Astro identity");

    // With the Astro API: exact, with names; what each can do; journal and drift.
    let api = ["--api-url", astro.url.as_str()];
    let rows = json_of(&cli(
        home.path(),
        Some(TOKEN),
        &["inventory", "aws", endpoint[0], endpoint[1], api[0], api[1], "--json"],
    )?)?;
    let sales = rows_of(&rows, SALES);
    assert!(
        sales.iter().all(|r| r["matched"] == "exact" && r["deployment"]["name"] == "Sales ETL"),
        "{rows}"
    );
    let lake = sales.iter().find(|r| r["resource"] == "data-lake").ok_or("data-lake row")?;
    assert_eq!(lake["access"], json!(["lake-reader"]));
    assert_eq!(lake["journaled"], false);
    assert_eq!(rows_of(&rows, "finance-aws2@oidc.astronomer.io/aws")[0]["deployment"]["id"], "cldepaws2");
    let stray = rows_of(&rows, STRAY);
    assert_eq!(places(&rows, STRAY), ["data-lake", "old-reports"]);
    assert!(stray.iter().all(|r| r["matched"] == "shape"), "no Deployment has it");
    assert!(stray.iter().any(|r| r["resource"] == "data-lake" && r["journaled"] == true));
    let gone = rows_of(&rows, FINANCE).into_iter().find(|r| r["resource"] == "etl").ok_or("etl row")?;
    assert!(gone["drift"].as_str().unwrap_or_default().contains("the role no longer trusts it"), "{gone}");
    let human = text(
        &cli(home.path(), Some(TOKEN), &["inventory", "aws", endpoint[0], endpoint[1], api[0], api[1]])?
            .stdout,
    );
    assert!(
        human.contains("Deployment Sales ETL (cldepaws1)") && human.contains("can: lake-reader"),
        "{human}"
    );

    // Offboard Sales ETL: two roles, the conditional statement too; others untouched.
    let plan = json_of(&cli(
        home.path(),
        None,
        &["revoke", "--identity", SALES, "--aws", endpoint[0], endpoint[1], "--plan", "--json"],
    )?)?;
    assert_eq!(plan["aws"].as_array().map(Vec::len), Some(2), "{plan}");
    let done = json_of(&cli(
        home.path(),
        None,
        &["revoke", "--identity", SALES, "--aws", endpoint[0], endpoint[1], "--yes", "--json"],
    )?)?;
    let ids: Vec<String> = serde_json::from_value(done["journalIds"].clone())?;
    assert_eq!(ids.len(), 2);
    let after = json_of(&cli(home.path(), None, &["inventory", "aws", endpoint[0], endpoint[1], "--json"])?)?;
    assert!(rows_of(&after, SALES).is_empty(), "{after}");
    assert_eq!(places(&after, FINANCE), ["data-lake", "etl"]);
    assert_eq!(places(&after, STRAY), ["data-lake", "old-reports"]);
    let again =
        cli(home.path(), None, &["revoke", "--identity", SALES, "--aws", endpoint[0], endpoint[1], "--yes"])?;
    assert!(text(&again.stdout).contains("Nothing to revoke"), "{}", text(&again.stdout));

    // A role only the stray identity can assume cannot be left without a statement: the
    // whole revoke is refused, naming it, and nothing is written anywhere.
    let refused =
        cli(home.path(), None, &["revoke", "--identity", STRAY, "--aws", endpoint[0], endpoint[1], "--yes"])?;
    assert_eq!(refused.status.code(), Some(1));
    assert!(
        text(&refused.stderr).contains("the change to role old-reports has errors, nothing was revoked"),
        "{}",
        text(&refused.stderr)
    );
    assert!(
        text(&refused.stdout).contains("IAM refuses a trust policy without one"),
        "{}",
        text(&refused.stdout)
    );
    let still = json_of(&cli(home.path(), None, &["inventory", "aws", endpoint[0], endpoint[1], "--json"])?)?;
    assert_eq!(places(&still, STRAY), ["data-lake", "old-reports"]);

    // Each change undoes on its own, and Sales ETL is back where it was.
    for id in &ids {
        let undo =
            cli(home.path(), None, &["journal", "undo", "--id", id, endpoint[0], endpoint[1], "--yes"])?;
        assert!(undo.status.success(), "{}{}", text(&undo.stdout), text(&undo.stderr));
    }
    let back = json_of(&cli(home.path(), None, &["inventory", "aws", endpoint[0], endpoint[1], "--json"])?)?;
    assert_eq!(places(&back, SALES), ["data-lake", "vendor-feed"]);
    Ok(())
}

#[test]
fn project_and_service_account_bindings_are_listed_and_revoked_alone() -> Result<(), Error> {
    let gcp = GcpFake::start()?;
    let sales = "serviceAccount:astro-sales-etl-gcp1@astronomer-prod.iam.gserviceaccount.com";
    let runner = "etl-runner@astro-data.iam.gserviceaccount.com";
    gcp.seed(
        "astro-data",
        json!({"bindings": [
            {"role": "roles/bigquery.jobUser", "members": [sales, "user:ada@example.com"]},
            {"role": "roles/storage.objectViewer", "members": [sales],
             "condition": {"title": "reports bucket", "expression": "resource.name.startsWith('projects/_/buckets/reports')"}},
            {"role": "roles/viewer", "members": ["group:data@example.com"]}
        ], "version": 3}),
    );
    gcp.seed_service_account(
        runner,
        json!({"bindings": [{"role": "roles/iam.serviceAccountTokenCreator", "members": [sales]}]}),
    );
    let home = tempfile::tempdir()?;
    let places = [
        "--gcp-project",
        "astro-data",
        "--gcp-service-account",
        runner,
        "--endpoint",
        gcp.url.as_str(),
        "--anonymous",
    ];
    let mut args = vec!["inventory", "gcp", "--json"];
    args.extend_from_slice(&places);
    let rows = json_of(&cli(home.path(), None, &args)?)?;
    let mut access: Vec<String> = rows_of(&rows, sales)
        .iter()
        .map(|r| r["access"][0].as_str().unwrap_or_default().to_owned())
        .collect();
    access.sort();
    assert_eq!(
        access,
        [
            "roles/bigquery.jobUser",
            "roles/iam.serviceAccountTokenCreator",
            "roles/storage.objectViewer only when “reports bucket”",
        ]
    );
    assert_eq!(rows.as_array().map(Vec::len), Some(3), "no one else is an Astro identity: {rows}");

    let mut revoke = vec![
        "revoke",
        "--identity",
        "astro-sales-etl-gcp1@astronomer-prod.iam.gserviceaccount.com",
        "--yes",
        "--json",
    ];
    revoke.extend_from_slice(&places);
    let done = json_of(&cli(home.path(), None, &revoke)?)?;
    assert_eq!(done["journalIds"].as_array().map(Vec::len), Some(2), "one write per policy: {done}");
    let project = gcp.policy("astro-data").ok_or("project")?.to_string();
    assert!(!project.contains("astro-sales-etl-gcp1"), "{project}");
    for kept in ["user:ada@example.com", "group:data@example.com"] {
        assert!(project.contains(kept), "{kept} kept: {project}");
    }
    assert!(!gcp.service_account_policy(runner).ok_or("account")?.to_string().contains("astro-sales"));
    let empty = json_of(&cli(home.path(), None, &args)?)?;
    assert_eq!(empty, json!([]));

    // Nowhere given: a clear error, nothing read.
    let nowhere = cli(home.path(), None, &["revoke", "--identity", sales])?;
    assert_eq!(nowhere.status.code(), Some(1));
    assert!(text(&nowhere.stderr).contains("nowhere to revoke from"), "{}", text(&nowhere.stderr));
    let nothing =
        cli(home.path(), None, &["inventory", "gcp", "--endpoint", gcp.url.as_str(), "--anonymous"])?;
    assert_eq!(nothing.status.code(), Some(1));
    assert!(
        text(&nothing.stderr).contains("no project or service account to read"),
        "{}",
        text(&nothing.stderr)
    );

    // The cloud refusing the read: exit 1, the error names the project, no rows printed.
    gcp.deny("astro-data");
    let denied = cli(home.path(), None, &args)?;
    assert_eq!(denied.status.code(), Some(1));
    assert!(denied.stdout.is_empty(), "{}", text(&denied.stdout));
    assert!(text(&denied.stderr).contains("astro-data"), "{}", text(&denied.stderr));
    Ok(())
}
