//! End to end: one journey, several roles. On AWS two Deployments are trusted by three
//! existing roles in moto — ticked in the role list, reviewed as one diff per role, applied
//! with one click (each role's result shown), then undone together. On Google Cloud one
//! Deployment gets two roles on three projects (one of them refused by the peer) in one
//! review. End states are read from the peers. Screenshots in target/e2e/batch-*.png.

use fantoccini::Locator;
use fantoccini::key::Key;
use serde_json::json;

use astro_identity_tests::gcp_fake::{GcpFake, members_of};
use astro_identity_tests::{
    AppSession, Desktop, Driver, Error, Moto, app_binary, moto_iam, moto_trust_policy, write_moto_profile,
};

const DEPLOYMENT_A: &str = "arn:aws:iam::123456789876:role/astro-stellar-apogee-4567";
const DEPLOYMENT_B: &str = "arn:aws:iam::123456789876:role/astro-lunar-crater-0815";
const ROLES: [&str; 3] = ["astro-sales", "astro-finance", "astro-ml"];
const SEED: &str = r#"{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"Service":"ec2.amazonaws.com"},"Action":"sts:AssumeRole"}]}"#;

async fn walk(app: &AppSession, moto_url: &str, iam: &aws_sdk_iam::Client) -> Result<(), Error> {
    app.start_journey("Authorize on AWS").await?;
    let enter = char::from(Key::Enter);
    app.find("#identities").await?.send_keys(&format!("{DEPLOYMENT_A}{enter}{DEPLOYMENT_B}")).await?;
    app.wait_for_text("[data-testid=parsed-identities]", DEPLOYMENT_B).await?;
    app.click_button("Next").await?;
    app.use_aws_profile("moto", moto_url, "123456789012").await?;
    app.click_button("Next").await?;

    // Existing roles: the list is named; three are ticked.
    app.client
        .find(Locator::XPath("//label[.//strong[normalize-space()='Use an existing role']]//input"))
        .await?
        .click()
        .await?;
    app.find("#role-search").await?.send_keys(&format!("astro{enter}")).await?;
    app.find("ul[aria-label='Roles in the account']").await?;
    for role in ROLES {
        app.wait_for_text("[data-testid=role-list]", role).await?;
        let xpath = format!(
            "//ul[@aria-label='Roles in the account']//label[.//strong[normalize-space()='{role}']]//input"
        );
        app.client.find(Locator::XPath(&xpath)).await?.click().await?;
    }
    app.screenshot("batch-1-roles").await?;
    app.click_button("Next").await?;

    // One review: a diff per role, each adding both Deployments.
    let summary =
        app.wait_for_text("[data-testid=review-summary]", "3 roles in account 123456789012").await?;
    assert!(summary.contains("3 to change, each trusting 2 Deployments"), "{summary}");
    for role in ROLES {
        let card = app.wait_for_text(&format!("[data-testid=batch-role-{role}]"), DEPLOYMENT_B).await?;
        assert!(card.contains("Planned") && card.contains(DEPLOYMENT_A), "{card}");
    }
    app.screenshot("batch-2-review").await?;
    assert!(
        moto_trust_policy(iam, "astro-sales").await?.to_string().contains("ec2"),
        "nothing written before Apply"
    );
    app.click_button("Apply").await?;

    // Done: each role's result, with a console link each.
    let done = app.wait_for_text("[data-testid=batch-outcomes]", "astro-ml: written and verified").await?;
    for role in ROLES {
        assert!(done.contains(&format!("{role}: written and verified")), "{done}");
    }
    app.client
        .find(Locator::XPath("//button[normalize-space()='Open astro-finance in the AWS console']"))
        .await?;
    app.screenshot("batch-3-done").await?;
    for role in ROLES {
        let policy = moto_trust_policy(iam, role).await?.to_string();
        assert!(policy.contains(DEPLOYMENT_A) && policy.contains(DEPLOYMENT_B), "{role}: {policy}");
        assert!(policy.contains("ec2.amazonaws.com"), "{role} kept its statement: {policy}");
    }

    // Undo, for every role at once.
    app.click_button("Undo…").await?;
    app.click_button("Restore the previous trust policy of 3 roles").await?;
    app.wait_for_text("[data-testid=batch-outcomes]", "astro-ml: restored and verified").await?;
    app.screenshot("batch-4-undone").await?;
    for role in ROLES {
        let policy = moto_trust_policy(iam, role).await?.to_string();
        assert!(!policy.contains(DEPLOYMENT_A) && !policy.contains(DEPLOYMENT_B), "{role}: {policy}");
    }
    Ok(())
}

#[test]
fn trusts_two_deployments_in_three_roles_with_one_review_and_one_apply() -> Result<(), Error> {
    let app = app_binary()?;
    let moto = Moto::start()?;
    let desktop = Desktop::start()?;
    write_moto_profile(&desktop, None)?;
    let driver = Driver::start(&desktop)?;
    let runtime = tokio::runtime::Builder::new_current_thread().enable_all().build()?;
    runtime.block_on(async {
        let iam = moto_iam(&moto.url).await;
        for role in ROLES {
            iam.create_role().role_name(role).assume_role_policy_document(SEED).send().await?;
        }
        let session = AppSession::start(&driver, &app).await?;
        let outcome = walk(&session, &moto.url, &iam).await;
        if outcome.is_err() {
            let _ = session.screenshot("batch-failure").await;
        }
        session.close().await;
        outcome
    })
}

const GCP_ACCOUNT: &str = "astro-fiery-nebula-1234@astronomer-prod.iam.gserviceaccount.com";
const GCP_ROLES: [(&str, &str); 2] = [
    ("bigquery job user", "roles/bigquery.jobUser"),
    ("storage object viewer", "roles/storage.objectViewer"),
];

async fn walk_gcp(app: &AppSession, fake: &GcpFake) -> Result<(), Error> {
    let member = format!("serviceAccount:{GCP_ACCOUNT}");
    app.start_journey("Authorize on GCP").await?;
    app.find("#service-account").await?.send_keys(GCP_ACCOUNT).await?;
    app.wait_for_text("[data-testid=parsed-member]", &member).await?;
    app.click_button("Next").await?;

    // Three projects: the first, then two more in one field.
    app.find("#project-id").await?.send_keys("astro-data").await?;
    app.find("#more-projects").await?.send_keys("astro-logs, astro-locked").await?;
    app.use_gcp_fake(&fake.url).await?;
    app.click_button("Next").await?;

    // Two roles ticked; the chosen list names them, the summary counts them.
    for (query, role) in GCP_ROLES {
        let search = app.find("#role-search").await?;
        search.clear().await?;
        search.send_keys(query).await?;
        let xpath = format!("//ul[@aria-label='Roles']//label[.//code[normalize-space()='{role}']]/input");
        app.wait_for_text("[data-testid=role-results]", role).await?;
        app.client.find(Locator::XPath(&xpath)).await?.click().await?;
        app.wait_for_text("ul[aria-label='Chosen roles']", role).await?;
    }
    app.screenshot("batch-gcp-1-roles").await?;
    app.click_button("Next").await?;

    // One review: six grants, the locked project's two refused by the peer, named as such.
    let summary = app.wait_for_text("[data-testid=review-summary]", "6 grants on 3 projects").await?;
    assert!(summary.contains("4 to change, each for 1 Deployment"), "{summary}");
    for project in ["astro-data", "astro-logs"] {
        for (_, role) in GCP_ROLES {
            let card = app
                .wait_for_text(&format!("[data-testid='batch-grant-{project}-{role}']"), "Planned")
                .await?;
            assert!(card.contains(&member), "{card}");
        }
    }
    let locked = app
        .wait_for_text("[data-testid='batch-grant-astro-locked-roles/bigquery.jobUser']", "Cannot be planned")
        .await?;
    assert!(
        locked.contains("resourcemanager.projects.getIamPolicy"),
        "names the missing permission: {locked}"
    );
    app.screenshot("batch-gcp-2-review").await?;
    assert!(fake.seen().iter().all(|r| !r.path.ends_with(":setIamPolicy")), "nothing written before Apply");
    app.click_button("Apply").await?;

    // Several projects: the journey ends on each grant's result (no one connection fits).
    let done = app.wait_for_text("[data-testid=batch-outcomes]", "astro-logs: granted and verified").await?;
    assert!(
        done.contains("roles/storage.objectViewer on project astro-data: granted and verified"),
        "{done}"
    );
    assert!(done.contains("on project astro-locked: failed"), "{done}");
    let title = app.text_of("h2.step-title").await?;
    assert_eq!(title, "2 of 6 grants failed; the others are in place");
    app.screenshot("batch-gcp-3-done").await?;
    for project in ["astro-data", "astro-logs"] {
        let policy = fake.policy(project).ok_or("project gone")?;
        for (_, role) in GCP_ROLES {
            assert_eq!(members_of(&policy, role), std::slice::from_ref(&member), "{project}: {policy}");
        }
        assert_eq!(members_of(&policy, "roles/viewer"), ["user:ada@example.com"], "kept: {policy}");
    }

    app.click_button("Undo…").await?;
    app.click_button("Remove the 4 grants").await?;
    app.wait_for_text("[data-testid=undone]", "Every grant removed and verified").await?;
    app.screenshot("batch-gcp-4-undone").await?;
    for project in ["astro-data", "astro-logs"] {
        let policy = fake.policy(project).ok_or("project gone")?;
        for (_, role) in GCP_ROLES {
            assert!(members_of(&policy, role).is_empty(), "{project}: {policy}");
        }
        assert_eq!(members_of(&policy, "roles/viewer"), ["user:ada@example.com"], "kept: {policy}");
    }
    Ok(())
}

#[test]
fn grants_two_roles_on_three_projects_with_one_review_and_one_apply() -> Result<(), Error> {
    let app = app_binary()?;
    let fake = GcpFake::start()?;
    for project in ["astro-data", "astro-logs", "astro-locked"] {
        fake.seed(
            project,
            json!({"bindings": [{"role": "roles/viewer", "members": ["user:ada@example.com"]}]}),
        );
    }
    fake.deny("astro-locked");
    let desktop = Desktop::start()?;
    let driver = Driver::start(&desktop)?;
    let runtime = tokio::runtime::Builder::new_current_thread().enable_all().build()?;
    runtime.block_on(async {
        let session = AppSession::start(&driver, &app).await?;
        let outcome = walk_gcp(&session, &fake).await;
        if outcome.is_err() {
            let _ = session.screenshot("batch-gcp-failure").await;
        }
        session.close().await;
        outcome
    })
}
