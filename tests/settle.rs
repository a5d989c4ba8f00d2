//! Settling interrupted changes (intents without outcome) against real peers: every verdict
//! — applied, not applied, changed by someone else — and what stays pending (another AWS
//! account). The intents are the ones the app writes; the peers are set to each state
//! directly, as a crash would have left them.

use aws_credential_types::Credentials;
use serde_json::json;

use astro_identity_cloud::aws::{AwsCredentialSource, AwsIam, AwsTarget, sdk_config};
use astro_identity_cloud::gcp::{GcpCredentialSource, GcpProjects, GcpTarget};
use astro_identity_cloud::journal::{ChangeStatus, Journal, JournalAction, JournalEntry, Subject};
use astro_identity_cloud::settle::{SettleResult, pending_changes, settle_aws, settle_gcp};
use astro_identity_domain::aws::arn::WorkloadIdentityArn;
use astro_identity_domain::aws::trust_policy::TrustPolicy;
use astro_identity_domain::gcp::iam_policy::IamPolicy;
use astro_identity_tests::gcp_fake::GcpFake;
use astro_identity_tests::{Error, Moto, aws_profiles};

fn trust(arns: &[&str]) -> TrustPolicy {
    let ids: Vec<WorkloadIdentityArn> =
        arns.iter().map(|a| WorkloadIdentityArn::parse(a).expect("ARN")).collect();
    TrustPolicy::new_for(&ids)
}

const A: &str = "arn:aws:iam::123456789876:role/astro-stellar-apogee-4567";
const B: &str = "arn:aws:iam::123456789876:role/astro-lunar-crater-0815";
const C: &str = "arn:aws:iam::123456789876:role/astro-other-writer-0001";

fn intent(account: &str, role: &str, before: &TrustPolicy, after: &TrustPolicy) -> JournalEntry {
    let subject = Subject::TrustPolicy {
        account: account.to_owned(),
        role: role.to_owned(),
        role_arn: format!("arn:aws:iam::{account}:role/{role}"),
    };
    let mut entry =
        JournalEntry::now("arn:aws:iam::123456789012:user/moto", subject, JournalAction::UpdateTrustPolicy);
    entry.before = Some(before.as_value().clone());
    entry.after = Some(after.as_value().clone());
    entry
}

#[test]
fn settling_aws_changes_reads_each_role_and_records_what_it_found() -> Result<(), Error> {
    let moto = Moto::start()?;
    let profiles = aws_profiles(&[])?;
    // SAFETY: nextest runs each test in its own process; no other thread exists yet.
    unsafe {
        std::env::set_var("AWS_CONFIG_FILE", profiles.path().join("config"));
        std::env::set_var("AWS_SHARED_CREDENTIALS_FILE", profiles.path().join("credentials"));
    }
    let data = tempfile::tempdir()?;
    let journal = Journal::in_dir(data.path());
    tokio::runtime::Builder::new_current_thread().enable_all().build()?.block_on(async {
        let direct = aws_sdk_iam::Client::new(
            &aws_config::defaults(aws_config::BehaviorVersion::latest())
                .endpoint_url(&moto.url)
                .region(aws_config::Region::new("us-east-1"))
                .credentials_provider(Credentials::new("testing", "testing", None, None, "test"))
                .load()
                .await,
        );
        let (before, after, theirs) = (trust(&[B]), trust(&[B, A]), trust(&[B, C]));
        // What a crash left: the write landed, never landed, or someone wrote over it.
        for (role, now) in [("landed", &after), ("never-landed", &before), ("overwritten", &theirs)] {
            direct.create_role().role_name(role).assume_role_policy_document(now.to_compact_json()).send().await?;
            journal.intend(&intent("123456789012", role, &before, &after))?;
        }
        // A change made in another account: these credentials cannot check it.
        journal.intend(&intent("999999999999", "elsewhere", &before, &after))?;
        let unchecked = pending_changes(&journal)?;
        assert_eq!(unchecked.len(), 4);
        assert!(unchecked.iter().all(|r| r.result == SettleResult::Unchecked));
        assert_eq!(journal.entries()?, [], "nothing pending counts as applied");

        let target = AwsTarget {
            source: AwsCredentialSource::Profile("moto".into()),
            region: None,
            endpoint_url: Some(moto.url.clone()),
        };
        let iam = AwsIam::new(&sdk_config(&target, None).await?);
        let reports = settle_aws(&iam, &journal).await?;
        let results: Vec<(&str, SettleResult)> =
            reports.iter().map(|r| (r.resource_name.as_str(), r.result)).collect();
        assert_eq!(
            results,
            [
                ("landed", SettleResult::Applied),
                ("never-landed", SettleResult::NotApplied),
                ("overwritten", SettleResult::ChangedBySomeoneElse),
                ("elsewhere", SettleResult::Unchecked),
            ]
        );
        assert_eq!(
            reports[0].message,
            format!(
                "Your last change — the trust policy of role landed in account 123456789012 — was interrupted \
                 (at {} UTC); it was applied.",
                reports[0].time[..16].replace('T', " ")
            )
        );
        assert!(reports[2].message.contains("changed by someone else"), "{}", reports[2].message);
        assert!(
            reports[3].message.contains("needs credentials for account 999999999999"),
            "{}",
            reports[3].message
        );

        let statuses: Vec<ChangeStatus> = journal.history()?.iter().map(|c| c.status).collect();
        assert_eq!(
            statuses,
            [ChangeStatus::Applied, ChangeStatus::NotApplied, ChangeStatus::Unknown, ChangeStatus::Pending]
        );
        let applied: Vec<String> = journal.entries()?.into_iter().map(|e| e.resource_name()).collect();
        assert_eq!(applied, ["landed"], "only what was applied is history to undo");
        // Settling reads; it never writes to the cloud.
        for (role, now) in [("landed", &after), ("never-landed", &before), ("overwritten", &theirs)] {
            let out = direct.get_role().role_name(role).send().await?;
            let encoded = out.role().and_then(|r| r.assume_role_policy_document()).ok_or("no policy")?;
            let remote = TrustPolicy::parse(&percent_encoding::percent_decode_str(encoded).decode_utf8()?)?;
            assert!(remote.semantically_equal(now), "{role}");
        }
        Ok(())
    })
}

#[tokio::test]
async fn settling_gcp_changes_judges_grants_by_membership() -> Result<(), Error> {
    let fake = GcpFake::start()?;
    let member = "serviceAccount:astro-fiery-nebula-1234@astronomer-prod.iam.gserviceaccount.com";
    let base = json!({"bindings": [{"role": "roles/viewer", "members": ["user:ada@example.com"]}]});
    let granted = IamPolicy::from_value(base.clone())?.add_member("roles/bigquery.jobUser", member, None);
    let data = tempfile::tempdir()?;
    let journal = Journal::in_dir(data.path());
    let grant = |project: &str| {
        let subject = Subject::GcpBinding {
            resource: format!("projects/{project}"),
            role: "roles/bigquery.jobUser".into(),
            members: vec![member.into()],
            condition: None,
        };
        let mut entry = JournalEntry::now("", subject, JournalAction::AddBinding);
        entry.before = Some(base.clone());
        entry.after = Some(granted.as_value().clone());
        entry
    };
    // Landed, and someone else added a binding since: a grant is judged by membership.
    let mut later = granted.clone().into_value();
    if let Some(list) = later["bindings"].as_array_mut() {
        list.push(json!({"role": "roles/logging.viewer", "members": ["user:bob@example.com"]}));
    }
    fake.seed("landed", later);
    fake.seed("never-landed", base.clone());
    // A hand-edited policy overwritten by someone else: neither before nor after.
    fake.seed(
        "edited",
        json!({"bindings": [{"role": "roles/owner", "members": ["user:mallory@example.com"]}]}),
    );
    journal.intend(&grant("landed"))?;
    journal.intend(&grant("never-landed"))?;
    let mut edit = grant("edited");
    edit.action = JournalAction::SetPolicy;
    edit.subject = Subject::GcpPolicy { resource: String::from("projects/edited") };
    journal.intend(&edit)?;

    let target = GcpTarget { source: GcpCredentialSource::Anonymous, endpoint: Some(fake.url.clone()) };
    let projects = GcpProjects::connect(&target, None).await?;
    let reports = settle_gcp(&projects, &journal).await?;
    let results: Vec<SettleResult> = reports.iter().map(|r| r.result).collect();
    assert_eq!(
        results,
        [SettleResult::Applied, SettleResult::NotApplied, SettleResult::ChangedBySomeoneElse]
    );
    assert!(
        reports[0].message.starts_with(&format!(
            "Your last change — granting roles/bigquery.jobUser to {member} on project landed — was interrupted"
        )),
        "{}",
        reports[0].message
    );
    assert_eq!(journal.pending()?, []);
    assert_eq!(journal.entries()?.len(), 1);
    Ok(())
}
