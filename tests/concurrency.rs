//! Two or more app-level writers on one resource at the same moment.
//!
//! GCP has etags: the losing writer gets 409 and re-does its merge. IAM has none: the last
//! write wins and silently drops the others' principals, so each apply reads back (twice, a
//! settle window apart) and re-does its merge on the fresh policy when its principals are
//! gone. A fault-proxy barrier holds the first writes until every writer has sent one, which
//! forces the worst interleaving: read → read → … → write → write.

use std::sync::Arc;
use std::time::Duration;

use aws_credential_types::Credentials;
use serde_json::{Value, json};

use astro_identity_cloud::aws::{
    ApplyOptions, AwsCredentialSource, AwsIam, AwsTarget, apply_trust_change_with, plan_trust_change,
    sdk_config,
};
use astro_identity_cloud::backoff::Backoff;
use astro_identity_cloud::gcp::{
    GcpCredentialSource, GcpProjects, GcpTarget, PolicyResource, apply_binding, plan_binding,
};
use astro_identity_cloud::journal::{ChangeStatus, Journal, JournalAction};
use astro_identity_domain::aws::arn::WorkloadIdentityArn;
use astro_identity_domain::aws::trust_policy::TrustPolicy;
use astro_identity_domain::gcp::iam_policy::IamPolicy;
use astro_identity_domain::gcp::identity::ProjectId;
use astro_identity_tests::fault_proxy::{Fault, FaultProxy, Matcher};
use astro_identity_tests::gcp_fake::GcpFake;
use astro_identity_tests::{Error, Moto, aws_profiles};

const ORIGINAL: &str =
    include_str!("../testdata/corpus/aws-trust/05-iam-saml-plus-setsourceidentity-two-statements.json");

fn deployment(i: usize) -> String {
    format!("arn:aws:iam::123456789876:role/astro-racing-comet-{i:04}")
}

/// The trust policy in a `GetRole` answer as moto sent it (XML, the document URL-encoded).
fn policy_in_get_role(xml: &str) -> Option<TrustPolicy> {
    let start = xml.find("<AssumeRolePolicyDocument>")? + "<AssumeRolePolicyDocument>".len();
    let end = start + xml[start..].find("</AssumeRolePolicyDocument>")?;
    let unescaped = xml[start..end]
        .replace("&amp;", "&")
        .replace("&quot;", "\"")
        .replace("&lt;", "<")
        .replace("&gt;", ">");
    let decoded = percent_encoding::percent_decode_str(&unescaped).decode_utf8().ok()?;
    TrustPolicy::parse(&decoded).ok()
}

#[test]
fn concurrent_applies_to_one_role_all_land_and_keep_every_statement() -> Result<(), Error> {
    const WRITERS: usize = 5;
    let moto = Moto::start()?;
    let proxy = Arc::new(FaultProxy::start(&moto.url)?);
    let profiles = aws_profiles(&[])?;
    // SAFETY: nextest runs each test in its own process; no other thread exists yet.
    unsafe {
        std::env::set_var("AWS_CONFIG_FILE", profiles.path().join("config"));
        std::env::set_var("AWS_SHARED_CREDENTIALS_FILE", profiles.path().join("credentials"));
        for var in ["AWS_PROFILE", "AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY", "AWS_ENDPOINT_URL"] {
            std::env::remove_var(var);
        }
    }
    let data = tempfile::tempdir()?;
    let journal = Journal::in_dir(data.path());
    let runtime = tokio::runtime::Builder::new_multi_thread().worker_threads(2).enable_all().build()?;
    runtime.block_on(async {
        let direct = aws_sdk_iam::Client::new(
            &aws_config::defaults(aws_config::BehaviorVersion::latest())
                .endpoint_url(&moto.url)
                .region(aws_config::Region::new("us-east-1"))
                .credentials_provider(Credentials::new("testing", "testing", None, None, "test"))
                .load()
                .await,
        );
        direct.create_role().role_name("shared").assume_role_policy_document(ORIGINAL).send().await?;

        // Every writer reads (plans, re-reads) before any write lands.
        let writes = Matcher::aws_action("UpdateAssumeRolePolicy");
        proxy.times(u32::try_from(WRITERS)?, writes.clone(), Fault::Barrier(WRITERS));
        let options = ApplyOptions {
            backoff: Backoff {
                attempts: 8,
                first_delay: Duration::from_millis(50),
                max_delay: Duration::from_millis(800),
            },
            settle: Duration::from_millis(800),
            plan_read_is_fresh: false,
        };
        let target = AwsTarget {
            source: AwsCredentialSource::Profile("moto".into()),
            region: None,
            endpoint_url: Some(proxy.url.clone()),
        };
        let mut tasks = Vec::new();
        for i in 0..WRITERS {
            let (target, journal) = (target.clone(), journal.clone());
            tasks.push(tokio::spawn(async move {
                // Each writer its own client, as separate app windows or CLI runs would be.
                let iam = AwsIam::new(&sdk_config(&target, None).await?);
                let identity = WorkloadIdentityArn::parse(&deployment(i))?;
                let change = plan_trust_change(&iam, "shared", &[identity], None, 4096).await?;
                let outcome = apply_trust_change_with(&iam, &change, true, &journal, options).await?;
                Ok::<_, astro_identity_cloud::CloudError>(outcome)
            }));
        }
        for task in tasks {
            let outcome = task.await??;
            assert!(outcome.written && outcome.verified);
        }

        // moto holds every Deployment, and every statement that was there before.
        let role = direct.get_role().role_name("shared").send().await?;
        let encoded = role.role().and_then(|r| r.assume_role_policy_document()).ok_or("no policy")?;
        let remote = TrustPolicy::parse(&percent_encoding::percent_decode_str(encoded).decode_utf8()?)?;
        let trusted = remote.trusted_aws_principals();
        for i in 0..WRITERS {
            assert!(trusted.contains(&deployment(i)), "{} lost: {}", deployment(i), remote.to_pretty_json());
        }
        let original: Value = serde_json::from_str(ORIGINAL)?;
        let statements = remote.as_value()["Statement"].as_array().ok_or("statements")?.clone();
        for statement in original["Statement"].as_array().ok_or("statements")? {
            assert!(statements.contains(statement), "lost {statement}");
        }
        assert_eq!(statements.len(), original["Statement"].as_array().map_or(0, Vec::len) + 1);

        // The journal: one applied entry per writer, adding exactly its Deployment to what
        // it read; the overwritten attempts recorded as not applied; nothing pending.
        let history = journal.history()?;
        assert_eq!(journal.pending()?, []);
        let applied: Vec<_> = history.iter().filter(|c| c.status == ChangeStatus::Applied).collect();
        assert_eq!(applied.len(), WRITERS, "{history:#?}");
        let lost = history.iter().filter(|c| c.status == ChangeStatus::NotApplied).count();
        eprintln!("{WRITERS} writers: {} writes, {lost} overwritten and merged again", history.len());
        assert!(lost >= 1, "the barrier forced at least one lost update: {history:#?}");
        for change in &history {
            assert_eq!(change.entry.action, JournalAction::UpdateTrustPolicy);
            if change.status == ChangeStatus::NotApplied {
                assert!(change.reason.as_deref().is_some_and(|r| r.contains("lost update")), "{change:?}");
            }
        }
        // Each applied entry's `after` was true at its time: some read of the role (every
        // read went through the proxy) returned exactly it.
        let observed: Vec<TrustPolicy> = proxy
            .seen()
            .iter()
            .filter(|s| s.body.contains("Action=GetRole&"))
            .filter_map(|s| s.upstream_body.as_deref().and_then(policy_in_get_role))
            .collect();
        let mut added = Vec::new();
        for change in &applied {
            let before = TrustPolicy::from_value(change.entry.before.clone().ok_or("no before")?)?;
            let after = TrustPolicy::from_value(change.entry.after.clone().ok_or("no after")?)?;
            let new: Vec<String> = after
                .trusted_aws_principals()
                .into_iter()
                .filter(|p| !before.trusted_aws_principals().contains(p))
                .collect();
            assert_eq!(new.len(), 1, "one Deployment per entry: {new:?}");
            added.extend(new);
            assert!(
                observed.iter().any(|o| o.semantically_equal(&after)),
                "entry {} wrote a policy no read ever saw",
                change.entry.id
            );
        }
        added.sort();
        let mut expected: Vec<String> = (0..WRITERS).map(deployment).collect();
        expected.sort();
        assert_eq!(added, expected);

        // Bounded: at most `attempts` writes each.
        let sent = proxy.count(&writes);
        assert!(sent <= WRITERS * 8, "{sent} writes");
        assert_eq!(sent, history.len(), "one intent per write sent");
        Ok(())
    })
}

#[test]
fn two_concurrent_grants_on_one_project_both_land_with_every_binding_intact() -> Result<(), Error> {
    let runtime = tokio::runtime::Builder::new_multi_thread().worker_threads(2).enable_all().build()?;
    runtime.block_on(async {
        let fake = GcpFake::start()?;
        let original = json!({"bindings": [
            {"role": "roles/viewer", "members": ["user:ada@example.com"]},
            {"role": "roles/storage.objectViewer", "members": ["user:eve@example.com"],
             "condition": {"title": "until-2027", "expression": "request.time < timestamp('2027-01-01T00:00:00Z')"}}
        ]});
        fake.seed("shared-project", original.clone());
        let proxy = Arc::new(FaultProxy::start(&fake.url)?);
        // Both read before either writes: one of the two writes carries a stale etag.
        let writes = Matcher::target(":setIamPolicy");
        proxy.times(2, writes.clone(), Fault::Barrier(2));
        let data = tempfile::tempdir()?;
        let journal = Journal::in_dir(data.path());
        let backoff =
            Backoff { attempts: 5, first_delay: Duration::from_millis(20), max_delay: Duration::from_millis(200) };
        let target = GcpTarget { source: GcpCredentialSource::Anonymous, endpoint: Some(proxy.url.clone()) };
        let members = [
            "serviceAccount:astro-first-1111@astronomer-prod.iam.gserviceaccount.com",
            "serviceAccount:astro-second-2222@astronomer-prod.iam.gserviceaccount.com",
        ];
        let mut tasks = Vec::new();
        for member in members {
            let (target, journal) = (target.clone(), journal.clone());
            tasks.push(tokio::spawn(async move {
                let projects = GcpProjects::connect(&target, None).await?;
                let p = PolicyResource::project(&ProjectId::parse("shared-project")?);
                let change = plan_binding(&projects, &p, "roles/bigquery.jobUser", member, None, None).await?;
                apply_binding(&projects, &change, false, &journal, backoff).await
            }));
        }
        let mut attempts = Vec::new();
        for task in tasks {
            attempts.push(task.await??.attempts);
        }
        attempts.sort_unstable();
        assert_eq!(attempts, [1, 2], "one write went through, the other was refused once and merged again");

        let stored = IamPolicy::from_value(fake.policy("shared-project").ok_or("gone")?)?;
        for member in members {
            assert!(stored.has_member("roles/bigquery.jobUser", member, None), "{member} lost");
        }
        let mut expected = IamPolicy::from_value(original)?;
        for member in members {
            expected = expected.add_member("roles/bigquery.jobUser", member, None);
        }
        assert!(stored.semantically_equal(&expected), "{}", stored.to_pretty_json());

        // Journal: both grants applied; the refused write recorded as not applied.
        let history = journal.history()?;
        let statuses: Vec<ChangeStatus> = history.iter().map(|c| c.status).collect();
        assert_eq!(statuses.iter().filter(|s| **s == ChangeStatus::Applied).count(), 2, "{history:#?}");
        assert_eq!(statuses.iter().filter(|s| **s == ChangeStatus::NotApplied).count(), 1, "{history:#?}");
        assert_eq!(journal.pending()?, []);
        // Each applied entry's `after` is what IAM answered to its write.
        let answers: Vec<IamPolicy> = proxy
            .seen()
            .iter()
            .filter(|s| s.target.contains(":setIamPolicy") && s.upstream_status == Some(200))
            .filter_map(|s| s.upstream_body.as_deref().and_then(|b| IamPolicy::parse(b).ok()))
            .collect();
        for change in history.iter().filter(|c| c.status == ChangeStatus::Applied) {
            let after = IamPolicy::from_value(change.entry.after.clone().ok_or("no after")?)?;
            assert!(answers.iter().any(|a| a.semantically_equal(&after)), "{}", change.entry.id);
        }
        Ok(())
    })
}
