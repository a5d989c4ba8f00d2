//! End to end: Deployments picked from the Astro API in the real window — no identity
//! copied — authorized on AWS (moto) and on GCP (the wire fake), then the Environment
//! Manager connection created for a picked Deployment. Screenshots in target/e2e/astro-*.png.

use fantoccini::Locator;
use serde_json::{Value, json};

use astro_identity_tests::astro_fake::{AstroFake, deployment};
use astro_identity_tests::gcp_fake::{GcpFake, members_of};
use astro_identity_tests::{
    AppSession, Desktop, Driver, Error, Moto, app_binary, files_containing, moto_iam, write_moto_profile,
};

const ORG: &str = "clorgacme";
const TOKEN: &str = "astro-e2e-token-7f3a";
const CUSTOMER_ROLE: &str = "arn:aws:iam::123456789012:role/data-pipelines";

fn astro() -> Result<AstroFake, Error> {
    let fake = AstroFake::start(ORG, TOKEN)?;
    fake.add_workspace(ORG, "clwsdata", "Data");
    fake.add_workspace(ORG, "clwsml", "ML");
    let mut customer = deployment(ORG, "clwsml", "cldepaws3", "Forecast", "AWS");
    customer["effectiveWorkloadIdentity"] = json!(CUSTOMER_ROLE);
    let mut creating = deployment(ORG, "clwsml", "cldepaws4", "Fresh", "AWS");
    creating["status"] = json!("CREATING");
    if let Some(map) = creating.as_object_mut() {
        map.remove("effectiveWorkloadIdentity");
    }
    for d in [
        deployment(ORG, "clwsdata", "cldepaws1", "Sales ETL", "AWS"),
        deployment(ORG, "clwsdata", "cldepaws2", "Finance", "AWS"),
        customer,
        creating,
        deployment(ORG, "clwsdata", "cldepgcp1", "Marketing", "GCP"),
        deployment(ORG, "clwsml", "cldepgcp2", "Ads", "GCP"),
        deployment(ORG, "clwsml", "cldepgcp3", "Search", "GCP"),
        deployment(ORG, "clwsdata", "cldepazr1", "Legacy", "AZURE"),
    ] {
        fake.add_deployment(d);
    }
    Ok(fake)
}

fn aws_arns() -> [String; 3] {
    [
        String::from("arn:aws:iam::123456789012:role/astro-sales-etl-aws1"),
        String::from("arn:aws:iam::123456789012:role/astro-finance-aws2"),
        CUSTOMER_ROLE.to_owned(),
    ]
}

fn gcp_members() -> [String; 3] {
    ["marketing-gcp1", "ads-gcp2", "search-gcp3"]
        .map(|ns| format!("serviceAccount:astro-{ns}@astronomer-prod.iam.gserviceaccount.com"))
}

async fn select(app: &AppSession, css: &str, value: &str) -> Result<(), Error> {
    app.reveal(&format!("{css} option[value='{value}']")).await?.click().await?;
    Ok(())
}

/// Points the picker at the fake and types `token` (the API URL stays for a second try).
async fn paste_token(app: &AppSession, astro: &AstroFake, token: &str) -> Result<(), Error> {
    if app.find("#astro-api-url").await?.prop("value").await?.as_deref() != Some(astro.url.as_str()) {
        app.reveal("[data-testid=deployment-picker] details > summary").await?.click().await?;
        app.find("#astro-api-url").await?.send_keys(&astro.url).await?;
    }
    app.find("#astro-token").await?.send_keys(token).await?;
    app.click_button("Connect").await?;
    Ok(())
}

async fn aws_journey(app: &AppSession, astro: &AstroFake, moto_url: &str) -> Result<(), Error> {
    app.start_journey("Authorize on AWS").await?;

    // 1. A mistyped token is refused with the reason and not kept; then the right one.
    paste_token(app, astro, "astro-mistyped-0000").await?;
    let refused = app.wait_for_text("[data-testid=deployment-picker] [role=alert]", "HTTP 401").await?;
    assert!(refused.contains("API Tokens") && !refused.contains("mistyped"), "{refused}");
    assert_eq!(app.find("#astro-source").await?.prop("value").await?.as_deref(), Some("new"), "not stored");
    // WebKitWebDriver can hand back the previous frame right after a change; let it paint.
    tokio::time::sleep(std::time::Duration::from_millis(500)).await;
    app.screenshot("astro-0-token-refused").await?;
    paste_token(app, astro, TOKEN).await?;
    app.wait_for_text("[data-testid=deployment-list]", "Forecast").await?;
    let list = app.text_of("[data-testid=deployment-list]").await?;
    assert!(list.contains("customer-managed"), "{list}");
    assert!(app.text_of("[data-testid=deployment-cldepaws4]").await?.contains("no workload identity"));
    assert!(!list.contains("Marketing"), "the AWS journey shows AWS Deployments first: {list}");
    app.click_button("Pick all shown").await?;
    let [a, b, c] = aws_arns();
    let parsed = app.wait_for_text("[data-testid=parsed-identities]", &c).await?;
    assert!(parsed.contains(&a) && parsed.contains(&b), "{parsed}");
    app.screenshot("astro-1-aws-picked").await?;
    app.click_button("Next").await?;

    // 2. AWS account: the `moto` profile, pointed at moto.
    app.use_aws_profile("moto", moto_url, "123456789012").await?;
    app.click_button("Next").await?;

    // 3. A new role; 4. the review trusts the three picked Deployments.
    let name = app.find("#role-name").await?;
    name.clear().await?;
    name.send_keys("astro-picked").await?;
    app.click_button("Next").await?;
    let diff = app.wait_for_text("[data-testid=diff]", &c).await?;
    assert!(diff.contains(&a) && diff.contains(&b), "{diff}");
    assert!(app.text_of("[data-testid=review-summary]").await?.contains("trust 3 Deployments"));
    app.screenshot("astro-2-aws-review").await?;
    app.click_button("Apply").await?;
    app.wait_for_text("h2", "What may the Deployments do?").await?;
    app.click_button("← Home").await?;
    Ok(())
}

async fn gcp_journey(app: &AppSession, astro: &AstroFake, gcp: &GcpFake) -> Result<(), Error> {
    // The home screen names the stored token's organization, never the token.
    app.wait_for_text("[data-testid=astro-org]", &format!("Org {ORG}")).await?;
    app.start_journey("Authorize on GCP").await?;

    // 1. The stored token and address are reused; the AWS Deployment cannot be picked.
    app.click_button("Connect").await?;
    app.wait_for_text("[data-testid=deployment-list]", "Marketing").await?;
    select(app, "#cloud-filter", "").await?;
    let aws_row = app.wait_for_text("[data-testid=deployment-cldepaws1]", "Runs on AWS").await?;
    assert!(aws_row.contains("AWS journey"), "{aws_row}");
    assert!(!app.find("[data-testid=deployment-cldepaws1] input").await?.is_enabled().await?);
    app.click_button("Pick all shown").await?;
    let members = gcp_members();
    let picked = app.wait_for_text("[data-testid=parsed-member]", &members[2]).await?;
    assert!(members.iter().all(|m| picked.contains(m)), "{picked}");
    assert!(!picked.contains("sales-etl"), "an AWS Deployment was never picked: {picked}");
    app.screenshot("astro-3-gcp-picked").await?;
    app.click_button("Next").await?;

    // 2. Project on the fake, no credentials; 3. a role: none is chosen for the user, so
    // Next waits for one.
    app.find("#project-id").await?.send_keys("astro-data").await?;
    app.use_gcp_fake(&gcp.url).await?;
    app.click_button("Next").await?;
    app.wait_for_text("[data-testid=chosen-roles]", "No role chosen yet").await?;
    assert!(!app.button_enabled("Next").await?, "Next waits for a role");
    app.find("#role-search").await?.send_keys("bigquery job user").await?;
    app.wait_for_text("[data-testid=role-results]", "roles/bigquery.jobUser").await?;
    app.client
        .find(Locator::XPath(
            "//ul[@aria-label='Roles']//label[.//code[normalize-space()='roles/bigquery.jobUser']]/input",
        ))
        .await?
        .click()
        .await?;
    app.click_button("Next").await?;

    // 4. One plan, one write, three members.
    let diff = app.wait_for_text("[data-testid=diff]", &members[2]).await?;
    assert!(members.iter().all(|m| diff.contains(m)), "{diff}");
    // What the grant allows, from the offline snapshot: a job user runs jobs, reads no tables.
    app.reveal("[data-testid=what-roles-allow] > summary").await?.click().await?;
    app.find("#allows-search").await?.send_keys("bigquery jobs create").await?;
    app.wait_for_text("[data-testid=allows-count]", "1 of its 9 permissions match").await?;
    let allows = app.text_of("[data-testid=what-roles-allow]").await?;
    assert!(allows.contains("bigquery.jobs.create") && !allows.contains("dataform"), "{allows}");
    app.find("#allows-search").await?.clear().await?;
    app.find("#allows-search").await?.send_keys("tables getData").await?;
    app.wait_for_text("[data-testid=allows-count]", "0 of its").await?;
    app.screenshot("astro-4-gcp-review").await?;
    app.click_button("Apply").await?;
    app.wait_for_text("[data-testid=connection]", "Connection Type: Google Cloud").await?;
    assert_eq!(gcp.seen().iter().filter(|r| r.path.ends_with(":setIamPolicy")).count(), 1);

    // 5. The Environment Manager target is a picked Deployment, not a typed id.
    app.client
        .find(Locator::XPath("//label[normalize-space()='Astro Environment Manager']/input"))
        .await?
        .click()
        .await?;
    let picked = app.find("#astro-create-picked").await?.prop("value").await?;
    assert_eq!(picked.as_deref(), Some("cldepgcp1"));
    assert_eq!(app.find("#astro-org").await?.prop("value").await?.as_deref(), Some(ORG));
    select(app, "#astro-create-picked", "cldepgcp2").await?;
    app.screenshot("astro-5-environment-manager").await?;
    app.click_button("Check the connection").await?;
    app.click_button("Create connection").await?;
    app.wait_for_text("[data-testid=create-connection]", "verified").await?;
    let objects = astro.objects();
    assert_eq!(objects.len(), 1, "{objects:?}");
    assert_eq!(objects[0]["scopeEntityId"], "cldepgcp2");
    assert_eq!(objects[0]["connection"]["type"], "google_cloud_platform");
    Ok(())
}

async fn moto_trust(url: &str, role: &str) -> Result<Value, Error> {
    let out = moto_iam(url).await.get_role().role_name(role).send().await?;
    let encoded = out.role().and_then(|r| r.assume_role_policy_document()).ok_or("no policy")?;
    Ok(serde_json::from_str(&percent_encoding::percent_decode_str(encoded).decode_utf8()?)?)
}

#[test]
fn picks_deployments_from_astro_and_authorizes_them_on_both_clouds() -> Result<(), Error> {
    let app = app_binary()?;
    let astro = astro()?;
    let moto = Moto::start()?;
    let gcp = GcpFake::start()?;
    gcp.seed(
        "astro-data",
        json!({"bindings": [{"role": "roles/viewer", "members": ["user:ada@example.com"]}]}),
    );
    let desktop = Desktop::start()?;
    write_moto_profile(&desktop, None)?;
    let driver = Driver::start(&desktop)?;
    let runtime = tokio::runtime::Builder::new_current_thread().enable_all().build()?;
    runtime.block_on(async {
        let session = AppSession::start(&driver, &app).await?;
        let mut outcome = aws_journey(&session, &astro, &moto.url).await;
        if outcome.is_ok() {
            outcome = gcp_journey(&session, &astro, &gcp).await;
        }
        if outcome.is_err() {
            let _ = session.screenshot("astro-failure").await;
        }
        session.close().await;
        outcome?;
        let trust = moto_trust(&moto.url, "astro-picked").await?;
        let mut principals: Vec<String> =
            serde_json::from_value(trust["Statement"][0]["Principal"]["AWS"].clone())?;
        principals.sort();
        let mut expected = aws_arns().to_vec();
        expected.sort();
        assert_eq!(principals, expected);
        Ok::<(), Error>(())
    })?;
    let policy = gcp.policy("astro-data").ok_or("project gone")?;
    let granted: Vec<String> = policy["bindings"]
        .as_array()
        .into_iter()
        .flatten()
        .filter(|b| b["role"] == "roles/bigquery.jobUser")
        .flat_map(|b| b["members"].as_array().cloned().unwrap_or_default())
        .filter_map(|m| m.as_str().map(str::to_owned))
        .collect();
    assert_eq!(granted, gcp_members());
    assert!(policy.to_string().contains("user:ada@example.com"));
    // Every Astro request carried the token in its header only; no file of the session has it.
    let seen = astro.seen();
    let mistyped = seen.iter().filter(|r| r.authorization.as_deref() == Some("Bearer astro-mistyped-0000"));
    assert_eq!(mistyped.count(), 1, "the mistyped token was tried once and never again");
    assert!(seen.iter().skip(1).all(|r| r.authorization.as_deref() == Some(&format!("Bearer {TOKEN}"))));
    assert!(
        seen.iter().all(|r| !r.query.contains(TOKEN)
            && !r.path.contains(TOKEN)
            && !r.body.to_string().contains(TOKEN))
    );
    assert_eq!(files_containing(desktop.root.path(), TOKEN, &[])?, Vec::<std::path::PathBuf>::new());
    Ok(())
}

async fn attach_journey(app: &AppSession, astro: &AstroFake, moto_url: &str) -> Result<(), Error> {
    app.start_journey("Authorize on AWS").await?;
    app.client
        .find(Locator::XPath(
            "//label[.//strong[normalize-space()='Attach my role to the Deployments']]/input",
        ))
        .await?
        .click()
        .await?;
    paste_token(app, astro, TOKEN).await?;
    app.wait_for_text("[data-testid=deployment-list]", "Finance").await?;
    app.reveal("[data-testid=deployment-cldepaws1] input").await?.click().await?;
    app.reveal("[data-testid=deployment-cldepaws2] input").await?.click().await?;
    app.click_button("Next").await?;
    app.use_aws_profile("moto", moto_url, "123456789012").await?;
    app.click_button("Next").await?;
    let name = app.find("#role-name").await?;
    name.clear().await?;
    name.send_keys("astro-attached").await?;
    app.click_button("Next").await?;
    let steps = app
        .wait_for_text("[data-testid=attach-steps]", "Create the OIDC provider oidc.astronomer.io/aws")
        .await?;
    assert!(steps.contains("Deployment Sales ETL: workload identity arn:aws:iam::123456789012:role/astro-sales-etl-aws1 → arn:aws:iam::123456789012:role/astro-attached"), "{steps}");
    let diff = app.text_of("[data-testid=diff]").await?;
    assert!(diff.contains("system:serviceaccount:finance-aws2:finance-aws2-worker-serviceaccount"), "{diff}");
    app.screenshot("astro-6-attach-review").await?;
    app.click_button("Apply").await?;
    app.wait_for_text("h2", "What may the Deployments do?").await?;
    app.click_button("Next").await?;

    // The Deployments' own identity now is the role: the connection names the region only.
    let connection = app.wait_for_text("[data-testid=connection]", "region_name").await?;
    assert!(!connection.contains("role_arn"), "{connection}");
    app.click_button("Next").await?;
    let done = app.wait_for_text("[data-testid=done-summary]", "Yes").await?;
    assert!(done.contains("2 now use the role"), "{done}");
    // Proof from the policy read back: each worker's service account gets in.
    let proof =
        app.wait_for_text("[data-testid=access-proof]", "Finance can assume role astro-attached").await?;
    assert!(proof.contains("Sales ETL can assume role astro-attached — Statement 1 allows it"), "{proof}");
    app.screenshot("astro-7-attach-done").await?;
    Ok(())
}

/// Undo from the done screen: the identities go back through the Astro API, then the
/// trust policy (the role was created, so it is deleted).
async fn undo_attach(app: &AppSession) -> Result<(), Error> {
    app.click_button("Undo…").await?;
    app.click_button("Set the identities back and restore the trust policy").await?;
    app.wait_for_text("[data-testid=undone]", "Restored and verified: the role was deleted").await?;
    let done = app.text_of("[data-testid=done-summary]").await?;
    assert!(!done.contains("Verified"), "an undone change is not shown as verified: {done}");
    Ok(())
}

#[test]
fn attaches_a_role_to_picked_deployments_through_their_clusters_oidc_provider() -> Result<(), Error> {
    let app = app_binary()?;
    let astro = astro()?;
    let moto = Moto::start()?;
    let desktop = Desktop::start()?;
    write_moto_profile(&desktop, None)?;
    let driver = Driver::start(&desktop)?;
    let runtime = tokio::runtime::Builder::new_current_thread().enable_all().build()?;
    runtime.block_on(async {
        let session = AppSession::start(&driver, &app).await?;
        let mut outcome = attach_journey(&session, &astro, &moto.url).await;
        let mut trust = Value::Null;
        if outcome.is_ok() {
            // Read before the undo deletes the role.
            trust = moto_trust(&moto.url, "astro-attached").await?;
            for id in ["cldepaws1", "cldepaws2"] {
                let stored = astro.stored_deployment(id).ok_or("seeded")?;
                assert_eq!(
                    stored["effectiveWorkloadIdentity"], "arn:aws:iam::123456789012:role/astro-attached",
                    "{id}"
                );
            }
            outcome = undo_attach(&session).await;
        }
        if outcome.is_err() {
            let _ = session.screenshot("astro-attach-failure").await;
        }
        session.close().await;
        outcome?;
        let statement = &trust["Statement"][0];
        assert_eq!(
            statement["Principal"]["Federated"],
            "arn:aws:iam::123456789012:oidc-provider/oidc.astronomer.io/aws"
        );
        assert_eq!(
            statement["Condition"]["StringEquals"]["oidc.astronomer.io/aws:sub"].as_array().map(Vec::len),
            Some(12)
        );
        Ok::<(), Error>(())
    })?;
    // Undone: each Deployment has Astro's identity back, and the role is gone.
    for (id, ns) in [("cldepaws1", "sales-etl-aws1"), ("cldepaws2", "finance-aws2")] {
        let stored = astro.stored_deployment(id).ok_or("seeded")?;
        assert_eq!(stored["effectiveWorkloadIdentity"], format!("arn:aws:iam::123456789012:role/astro-{ns}"));
    }
    let runtime = tokio::runtime::Builder::new_current_thread().enable_all().build()?;
    assert!(
        runtime.block_on(moto_trust(&moto.url, "astro-attached")).is_err(),
        "the created role is deleted"
    );
    assert_eq!(
        astro.stored_deployment("cldepaws3").ok_or("seeded")?["effectiveWorkloadIdentity"],
        CUSTOMER_ROLE,
        "an unpicked Deployment is untouched"
    );
    Ok(())
}

const CUSTOMER_SA: &str = "etl-runner@astro-data.iam.gserviceaccount.com";

async fn gcp_attach_journey(app: &AppSession, astro: &AstroFake, gcp: &GcpFake) -> Result<(), Error> {
    app.start_journey("Authorize on GCP").await?;
    app.client
        .find(Locator::XPath(
            "//label[.//strong[normalize-space()='Attach my service account to the Deployments']]/input",
        ))
        .await?
        .click()
        .await?;
    paste_token(app, astro, TOKEN).await?;
    app.wait_for_text("[data-testid=deployment-list]", "Marketing").await?;
    app.reveal("[data-testid=deployment-cldepgcp1] input").await?.click().await?;
    app.reveal("[data-testid=deployment-cldepgcp2] input").await?.click().await?;
    app.click_button("Next").await?;

    // 2. The project, your service account, the fake without credentials.
    app.find("#project-id").await?.send_keys("astro-data").await?;
    app.find("#customer-account").await?.send_keys(CUSTOMER_SA).await?;
    app.use_gcp_fake(&gcp.url).await?;
    app.click_button("Next").await?;

    // 3. Two roles for your account.
    for (query, role) in [
        ("bigquery job user", "roles/bigquery.jobUser"),
        ("storage object viewer", "roles/storage.objectViewer"),
    ] {
        let search = app.find("#role-search").await?;
        search.clear().await?;
        search.send_keys(query).await?;
        app.wait_for_text("[data-testid=role-results]", role).await?;
        app.client
            .find(Locator::XPath(&format!(
                "//li[.//code[normalize-space()='{role}']]//input[@type='checkbox']"
            )))
            .await?
            .click()
            .await?;
        app.wait_for_text("[data-testid=chosen-roles]", role).await?;
    }
    app.screenshot("astro-8-gcp-attach-roles").await?;
    app.click_button("Next").await?;

    // 4. Every grant with its diff, then the identities.
    let steps =
        app.wait_for_text("[data-testid=attach-steps]", "roles/iam.serviceAccountTokenCreator").await?;
    for expected in [
        "Grant roles/bigquery.jobUser on project astro-data",
        "Grant roles/storage.objectViewer on project astro-data",
        &format!("on service account {CUSTOMER_SA} to 2 members"),
        &format!(
            "Deployment Marketing: workload identity astro-marketing-gcp1@astronomer-prod.iam.gserviceaccount.com → {CUSTOMER_SA}"
        ),
    ] {
        assert!(steps.contains(expected), "{expected} in {steps}");
    }
    assert!(
        steps.contains("serviceAccount:astro-ads-gcp2@astronomer-prod.iam.gserviceaccount.com"),
        "{steps}"
    );
    app.screenshot("astro-9-gcp-attach-review").await?;
    app.click_button("Apply").await?;

    // 5. The connection impersonates your account.
    let connection = app.wait_for_text("[data-testid=connection]", "impersonation_chain").await?;
    assert!(connection.contains(CUSTOMER_SA), "{connection}");
    app.click_button("Next").await?;
    let done = app.wait_for_text("[data-testid=done-summary]", "verified").await?;
    assert!(done.contains(CUSTOMER_SA), "{done}");
    app.screenshot("astro-10-gcp-attach-done").await?;
    Ok(())
}

#[test]
fn attaches_a_service_account_to_picked_deployments_and_undoes_it() -> Result<(), Error> {
    let app = app_binary()?;
    let astro = astro()?;
    let gcp = GcpFake::start()?;
    gcp.seed(
        "astro-data",
        json!({"bindings": [{"role": "roles/viewer", "members": ["user:ada@example.com"]}]}),
    );
    gcp.seed_service_account(
        CUSTOMER_SA,
        json!({"bindings": [{"role": "roles/iam.serviceAccountUser", "members": ["user:ada@example.com"]}]}),
    );
    let desktop = Desktop::start()?;
    let driver = Driver::start(&desktop)?;
    let runtime = tokio::runtime::Builder::new_current_thread().enable_all().build()?;
    runtime.block_on(async {
        let session = AppSession::start(&driver, &app).await?;
        let mut outcome = gcp_attach_journey(&session, &astro, &gcp).await;
        if outcome.is_ok() {
            let member = format!("serviceAccount:{CUSTOMER_SA}");
            let project = gcp.policy("astro-data").ok_or("project gone")?;
            assert_eq!(members_of(&project, "roles/bigquery.jobUser"), std::slice::from_ref(&member));
            assert_eq!(members_of(&project, "roles/storage.objectViewer"), [member]);
            let account = gcp.service_account_policy(CUSTOMER_SA).ok_or("account gone")?;
            let creators = members_of(&account, "roles/iam.serviceAccountTokenCreator");
            assert_eq!(creators, gcp_members()[..2].to_vec());
            for id in ["cldepgcp1", "cldepgcp2"] {
                let stored = astro.stored_deployment(id).ok_or("seeded")?;
                assert_eq!(stored["effectiveWorkloadIdentity"], CUSTOMER_SA, "{id}");
            }
            session.click_button("Undo…").await?;
            session.click_button("Set the identities back and remove the grants").await?;
            outcome = session
                .wait_for_text("[data-testid=undone]", "Undone and verified: 5 changes reverted")
                .await
                .map(|_| ());
        }
        if outcome.is_err() {
            let _ = session.screenshot("astro-gcp-attach-failure").await;
            let astro_seen: Vec<String> =
                astro.seen().iter().map(|r| format!("{} {}", r.method, r.path)).collect();
            let gcp_seen: Vec<String> = gcp.seen().iter().map(|r| r.path.clone()).collect();
            eprintln!("Astro requests: {astro_seen:?}\nGCP requests: {gcp_seen:?}");
        }
        session.close().await;
        outcome
    })?;
    // Everything as before; what others had is kept.
    let project = gcp.policy("astro-data").ok_or("project gone")?;
    assert!(members_of(&project, "roles/bigquery.jobUser").is_empty(), "{project}");
    assert_eq!(members_of(&project, "roles/viewer"), ["user:ada@example.com"]);
    let account = gcp.service_account_policy(CUSTOMER_SA).ok_or("account gone")?;
    assert!(members_of(&account, "roles/iam.serviceAccountTokenCreator").is_empty(), "{account}");
    assert_eq!(members_of(&account, "roles/iam.serviceAccountUser"), ["user:ada@example.com"]);
    for (id, ns) in [("cldepgcp1", "marketing-gcp1"), ("cldepgcp2", "ads-gcp2")] {
        let stored = astro.stored_deployment(id).ok_or("seeded")?;
        assert_eq!(
            stored["effectiveWorkloadIdentity"],
            format!("astro-{ns}@astronomer-prod.iam.gserviceaccount.com"),
            "{id}"
        );
    }
    Ok(())
}
