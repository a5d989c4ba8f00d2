//! End to end: the History screen in the real window, against moto. A change made earlier
//! (Deployment B added to a role's trust policy), then someone else trusts C; History lists
//! the change, previews its undo as a diff that removes only B and keeps C, applies it, and
//! shows it undone. Screenshots: target/e2e/history-*.png.

use serde_json::Value;

use astro_identity_cloud::aws::{
    AwsCredentialSource, AwsIam, AwsTarget, apply_trust_change, plan_trust_change, sdk_config,
};
use astro_identity_cloud::journal::Journal;
use astro_identity_domain::aws::arn::WorkloadIdentityArn;
use astro_identity_domain::aws::trust_policy::TrustPolicy;
use astro_identity_tests::{
    AppSession, Desktop, Driver, Error, Moto, app_binary, moto_iam, write_moto_profile,
};

const DEPLOYMENT_A: &str = "arn:aws:iam::123456789876:role/astro-stellar-apogee-4567";
const DEPLOYMENT_B: &str = "arn:aws:iam::123456789876:role/astro-lunar-crater-0815";
const SOMEONE_ELSE: &str = "arn:aws:iam::210987654321:role/platform-team-ci";

fn policy(arns: &[&str]) -> Result<TrustPolicy, Error> {
    let ids: Vec<WorkloadIdentityArn> =
        arns.iter().map(|a| WorkloadIdentityArn::parse(a)).collect::<Result<_, _>>()?;
    Ok(TrustPolicy::new_for(&ids))
}

async fn trusted(iam: &aws_sdk_iam::Client, role: &str) -> Result<Vec<String>, Error> {
    let out = iam.get_role().role_name(role).send().await?;
    let encoded = out.role().and_then(|r| r.assume_role_policy_document()).ok_or("no policy")?;
    let document: Value =
        serde_json::from_str(&percent_encoding::percent_decode_str(encoded).decode_utf8()?)?;
    Ok(TrustPolicy::from_value(document)?.trusted_aws_principals())
}

async fn walk(app: &AppSession, journal_id: &str) -> Result<(), Error> {
    app.click_button("History").await?;
    let row = format!("[data-testid=entry-{journal_id}]");
    let listed = app.wait_for_text(&row, DEPLOYMENT_B).await?;
    assert!(listed.contains("Applied"), "{listed}");
    // The profile whose config points at moto.
    app.find("#undo-aws-profile").await?.select_by_value("moto").await?;
    app.screenshot("history-1-list").await?;

    app.reveal(&format!("[data-testid=undo-{journal_id}]")).await?.click().await?;
    let preview = app.wait_for_text("[data-testid=undo-preview]", SOMEONE_ELSE).await?;
    assert!(preview.contains("stays trusted (added since by someone else)"), "{preview}");
    assert!(preview.contains(DEPLOYMENT_B), "the diff shows the line it removes: {preview}");
    app.screenshot("history-2-preview").await?;

    app.reveal("[data-testid=apply-undo]").await?.click().await?;
    let result = app.wait_for_text("[data-testid=undo-result]", "Undone").await?;
    assert!(result.contains("Verified"), "{result}");
    app.wait_for_text(&row, "Undone").await?;
    app.screenshot("history-3-undone").await?;
    Ok(())
}

#[test]
fn history_lists_a_change_and_undoes_it_keeping_a_later_edit() -> Result<(), Error> {
    // SAFETY: first thing in this test's own process (nextest), before any thread starts.
    // The earlier change below is made by this process with moto's test keys.
    unsafe {
        std::env::set_var("AWS_ACCESS_KEY_ID", "testing");
        std::env::set_var("AWS_SECRET_ACCESS_KEY", "testing");
    }
    let app = app_binary()?;
    let moto = Moto::start()?;
    let desktop = Desktop::start()?;
    // The app reaches moto through the profile's configured endpoint.
    write_moto_profile(&desktop, Some(&moto.url))?;
    let journal = Journal::in_dir(&desktop.root.path().join("data/dev.astroidentity.app"));
    let runtime = tokio::runtime::Builder::new_current_thread().enable_all().build()?;
    let (iam, journal_id) = runtime.block_on(async {
        let direct = moto_iam(&moto.url).await;
        direct
            .create_role()
            .role_name("astro-history")
            .assume_role_policy_document(policy(&[DEPLOYMENT_A])?.to_compact_json())
            .send()
            .await?;
        // The change the History screen will undo, made earlier with the app's own journal.
        let target = AwsTarget {
            source: AwsCredentialSource::DefaultChain,
            region: Some("us-east-1".into()),
            endpoint_url: Some(moto.url.clone()),
        };
        let app_iam = AwsIam::new(&sdk_config(&target, None).await?);
        let ids = [WorkloadIdentityArn::parse(DEPLOYMENT_B)?];
        let change = plan_trust_change(&app_iam, "astro-history", &ids, None, 2048).await?;
        let applied = apply_trust_change(&app_iam, &change, false, &journal).await?;
        // Someone else trusts another principal afterwards.
        direct
            .update_assume_role_policy()
            .role_name("astro-history")
            .policy_document(policy(&[DEPLOYMENT_A, DEPLOYMENT_B, SOMEONE_ELSE])?.to_compact_json())
            .send()
            .await?;
        Ok::<_, Error>((direct, applied.journal_id.ok_or("no journal entry")?))
    })?;

    let driver = Driver::start(&desktop)?;
    runtime.block_on(async {
        let session = AppSession::start(&driver, &app).await?;
        let outcome = walk(&session, &journal_id).await;
        if outcome.is_err() {
            let _ = session.screenshot("history-failure").await;
        }
        session.close().await;
        outcome?;
        assert_eq!(trusted(&iam, "astro-history").await?, [DEPLOYMENT_A, SOMEONE_ELSE], "only B was removed");
        let last = journal.entries()?.pop().ok_or("no undo entry")?;
        assert_eq!(last.undoes.as_deref(), Some(journal_id.as_str()));
        Ok(())
    })
}
