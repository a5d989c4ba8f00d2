//! The AWS journey's core against a real IAM/STS peer: a `moto` server per test.
//! Assertions read the role back with a separate SDK client, never through the app's code.

use std::future::Future;

use aws_credential_types::Credentials;
use serde_json::{Value, json};

use astro_identity_cloud::CloudError;
use astro_identity_cloud::aws::{
    AwsCredentialSource, AwsIam, AwsTarget, NewRole, RoleStore, apply_trust_change, plan_trust_change,
    sdk_config,
};
use astro_identity_cloud::journal::{Journal, JournalAction};
use astro_identity_cloud::undo::{self, undo_change};
use astro_identity_domain::aws::arn::WorkloadIdentityArn;
use astro_identity_domain::aws::lint::DEFAULT_TRUST_POLICY_QUOTA;
use astro_identity_domain::aws::trust_policy::TrustPolicy;
use astro_identity_domain::diff::DiffKind;
use astro_identity_tests::{Error, Moto, aws_profiles};

const DEPLOYMENT_A: &str = "arn:aws:iam::123456789876:role/astro-stellar-apogee-4567";
const DEPLOYMENT_B: &str = "arn:aws:iam::123456789876:role/astro-lunar-crater-0815";

struct Ctx {
    moto: Moto,
    journal: Journal,
    _dirs: (tempfile::TempDir, tempfile::TempDir),
}

impl Ctx {
    async fn iam(&self, profile: &str) -> Result<AwsIam, Error> {
        let target = AwsTarget {
            source: AwsCredentialSource::Profile(profile.into()),
            region: None,
            endpoint_url: Some(self.moto.url.clone()),
        };
        Ok(AwsIam::new(&sdk_config(&target, None).await?))
    }

    /// An independent client for setup and assertions.
    async fn checker(&self) -> aws_sdk_iam::Client {
        self.checker_as("testing", "testing").await
    }

    async fn checker_as(&self, key_id: &str, secret: &str) -> aws_sdk_iam::Client {
        let config = aws_config::defaults(aws_config::BehaviorVersion::latest())
            .endpoint_url(&self.moto.url)
            .region(aws_config::Region::new("us-east-1"))
            .credentials_provider(Credentials::new(key_id, secret, None, None, "test"))
            .load()
            .await;
        aws_sdk_iam::Client::new(&config)
    }

    async fn create_role(&self, name: &str, policy: &str) -> Result<(), Error> {
        self.checker().await.create_role().role_name(name).assume_role_policy_document(policy).send().await?;
        Ok(())
    }

    async fn set_policy(&self, name: &str, policy: &str) -> Result<(), Error> {
        self.checker()
            .await
            .update_assume_role_policy()
            .role_name(name)
            .policy_document(policy)
            .send()
            .await?;
        Ok(())
    }

    async fn remote_policy(&self, name: &str) -> Result<Option<Value>, Error> {
        match self.checker().await.get_role().role_name(name).send().await {
            Ok(out) => {
                let encoded = out.role().and_then(|r| r.assume_role_policy_document()).ok_or("no policy")?;
                let decoded = percent_encoding::percent_decode_str(encoded).decode_utf8()?;
                Ok(Some(serde_json::from_str(&decoded)?))
            }
            Err(err) if format!("{err:?}").contains("NoSuchEntity") => Ok(None),
            Err(err) => Err(err.into()),
        }
    }
}

/// Starts moto and a profile directory, points the SDK's profile files at it, then runs
/// `test` on a fresh runtime.
fn with_moto<F, Fut>(
    moto_env: &[(&str, &str)],
    extra_profiles: &[(&str, &str, &str)],
    test: F,
) -> Result<(), Error>
where
    F: FnOnce(Ctx) -> Fut,
    Fut: Future<Output = Result<(), Error>>,
{
    let moto = Moto::start_with(moto_env)?;
    let profiles = aws_profiles(extra_profiles)?;
    // SAFETY: nextest runs each test in its own process and no other thread exists yet.
    unsafe {
        std::env::set_var("AWS_CONFIG_FILE", profiles.path().join("config"));
        std::env::set_var("AWS_SHARED_CREDENTIALS_FILE", profiles.path().join("credentials"));
        for var in ["AWS_PROFILE", "AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY", "AWS_ENDPOINT_URL"] {
            std::env::remove_var(var);
        }
    }
    let data = tempfile::tempdir()?;
    let journal = Journal::in_dir(data.path());
    let ctx = Ctx { moto, journal, _dirs: (profiles, data) };
    tokio::runtime::Builder::new_current_thread().enable_all().build()?.block_on(test(ctx))
}

fn ids(arns: &[&str]) -> Vec<WorkloadIdentityArn> {
    arns.iter().map(|a| WorkloadIdentityArn::parse(a).expect("valid ARN")).collect()
}

fn new_role(name: &str) -> NewRole {
    NewRole {
        name: name.into(),
        path: None,
        description: Some("Astro Deployments".into()),
        max_session_duration: Some(3600),
        tags: vec![("team".into(), "data".into())],
    }
}

fn aws_principals(policy: &Value) -> Vec<String> {
    let mut found = Vec::new();
    let statements = match &policy["Statement"] {
        Value::Array(list) => list.clone(),
        other => vec![other.clone()],
    };
    for statement in statements {
        match &statement["Principal"]["AWS"] {
            Value::String(s) => found.push(s.clone()),
            Value::Array(list) => found.extend(list.iter().filter_map(|v| v.as_str().map(str::to_owned))),
            _ => {}
        }
    }
    found
}

#[test]
fn creates_a_role_trusting_two_deployments_then_reapplies_as_a_no_op() -> Result<(), Error> {
    with_moto(&[], &[], |ctx| async move {
        let iam = ctx.iam("moto").await?;
        let change = plan_trust_change(
            &iam,
            "astro-data-access",
            &ids(&[DEPLOYMENT_A, DEPLOYMENT_B]),
            Some(new_role("astro-data-access")),
            DEFAULT_TRUST_POLICY_QUOTA,
        )
        .await?;
        assert_eq!(change.caller.account, "123456789012");
        assert!(change.plan.changed && !change.plan.blocked);
        assert_eq!(change.remote_before, None);
        assert_eq!(ctx.remote_policy("astro-data-access").await?, None, "planning writes nothing");

        let outcome = apply_trust_change(&iam, &change, false, &ctx.journal).await?;
        assert!(outcome.written && outcome.verified);
        assert_eq!(outcome.role_arn, "arn:aws:iam::123456789012:role/astro-data-access");
        let remote = ctx.remote_policy("astro-data-access").await?.ok_or("role missing")?;
        assert_eq!(
            remote,
            json!({"Version": "2012-10-17", "Statement": [{"Effect": "Allow",
                "Principal": {"AWS": [DEPLOYMENT_A, DEPLOYMENT_B]}, "Action": "sts:AssumeRole"}]})
        );
        let role = ctx.checker().await.get_role().role_name("astro-data-access").send().await?;
        let role = role.role().ok_or("no role")?;
        assert_eq!(role.description(), Some("Astro Deployments"));
        assert_eq!(role.tags().first().map(|t| (t.key(), t.value())), Some(("team", "data")));

        let entries = ctx.journal.entries()?;
        assert_eq!(entries.len(), 1);
        assert_eq!(entries[0].action, JournalAction::CreateRole);
        assert_eq!(entries[0].account(), "123456789012");
        assert_eq!(entries[0].before, None);

        // Same identities again: nothing to change, nothing written, nothing journaled.
        let again = plan_trust_change(&iam, "astro-data-access", &ids(&[DEPLOYMENT_B]), None, 2048).await?;
        assert!(!again.plan.changed, "{:?}", again.plan.diff);
        let outcome = apply_trust_change(&iam, &again, false, &ctx.journal).await?;
        assert!(!outcome.written && outcome.verified);
        assert_eq!(ctx.journal.entries()?.len(), 1);
        Ok(())
    })
}

#[test]
fn extends_a_multi_statement_policy_and_keeps_everything_else() -> Result<(), Error> {
    with_moto(&[], &[], |ctx| async move {
        let original = include_str!(
            "../testdata/corpus/aws-trust/05-iam-saml-plus-setsourceidentity-two-statements.json"
        );
        ctx.create_role("shared", original).await?;
        let iam = ctx.iam("moto").await?;
        let change = plan_trust_change(&iam, "shared", &ids(&[DEPLOYMENT_A]), None, 2048).await?;
        apply_trust_change(&iam, &change, true, &ctx.journal).await?;

        let remote = ctx.remote_policy("shared").await?.ok_or("role missing")?;
        let before: Value = serde_json::from_str(original)?;
        let (before_statements, after_statements) =
            (before["Statement"].as_array().ok_or("array")?, remote["Statement"].as_array().ok_or("array")?);
        assert_eq!(after_statements.len(), before_statements.len() + 1);
        assert_eq!(
            &after_statements[..before_statements.len()],
            &before_statements[..],
            "old statements intact"
        );
        assert_eq!(aws_principals(&remote), [DEPLOYMENT_A]);
        Ok(())
    })
}

#[test]
fn refuses_a_stale_plan_and_writes_nothing() -> Result<(), Error> {
    with_moto(&[], &[], |ctx| async move {
        let start = TrustPolicy::new_for(&ids(&[DEPLOYMENT_A])).to_compact_json();
        ctx.create_role("data", &start).await?;
        let iam = ctx.iam("moto").await?;
        let change = plan_trust_change(&iam, "data", &ids(&[DEPLOYMENT_B]), None, 2048).await?;

        let theirs = r#"{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"Service":"ec2.amazonaws.com"},"Action":"sts:AssumeRole"}]}"#;
        ctx.set_policy("data", theirs).await?;
        match apply_trust_change(&iam, &change, false, &ctx.journal).await {
            Err(CloudError::RemoteChanged { .. }) => {}
            other => return Err(format!("expected RemoteChanged, got {other:?}").into()),
        }
        assert_eq!(
            ctx.remote_policy("data").await?,
            Some(serde_json::from_str(theirs)?),
            "their change kept"
        );
        assert_eq!(ctx.journal.entries()?, []);
        Ok(())
    })
}

#[test]
fn undo_restores_the_policy_and_refuses_after_a_concurrent_change() -> Result<(), Error> {
    with_moto(&[], &[], |ctx| async move {
        let start = TrustPolicy::new_for(&ids(&[DEPLOYMENT_A])).to_compact_json();
        ctx.create_role("data", &start).await?;
        let iam = ctx.iam("moto").await?;
        let change = plan_trust_change(&iam, "data", &ids(&[DEPLOYMENT_B]), None, 2048).await?;
        let applied = apply_trust_change(&iam, &change, false, &ctx.journal).await?;
        assert_eq!(
            aws_principals(&ctx.remote_policy("data").await?.ok_or("missing")?),
            [DEPLOYMENT_A, DEPLOYMENT_B]
        );

        let undone = undo_change(&iam, &ctx.journal, None).await?;
        assert!(undone.verified);
        assert_eq!(ctx.remote_policy("data").await?, Some(serde_json::from_str(&start)?));
        assert_eq!(ctx.journal.entries()?.last().and_then(|e| e.undoes.clone()), applied.journal_id);

        // Apply again, then someone else trusts another Deployment: the undo, previewed as a
        // diff, removes exactly ours and keeps theirs.
        let change = plan_trust_change(&iam, "data", &ids(&[DEPLOYMENT_B]), None, 2048).await?;
        let applied = apply_trust_change(&iam, &change, false, &ctx.journal).await?;
        let other = "arn:aws:iam::123456789876:role/astro-other-1";
        let theirs = TrustPolicy::new_for(&ids(&[DEPLOYMENT_A, DEPLOYMENT_B, other])).to_compact_json();
        ctx.set_policy("data", &theirs).await?;
        let plan = undo::plan_aws(&iam, &ctx.journal, applied.journal_id.as_deref()).await?;
        let lines = |kind: DiffKind| -> Vec<String> {
            plan.diff.iter().filter(|l| l.kind == kind).map(|l| l.text.trim().to_owned()).collect()
        };
        assert!(lines(DiffKind::Removed).iter().any(|l| l.contains(DEPLOYMENT_B)), "{:?}", plan.diff);
        assert!(!lines(DiffKind::Removed).iter().any(|l| l.contains(other)), "{:?}", plan.diff);
        assert_eq!(plan.kept, [format!("{other} stays trusted (added since by someone else)")]);
        let done = undo::apply_aws(&iam, &ctx.journal, &plan).await?;
        assert!(done.verified);
        assert_eq!(
            aws_principals(&ctx.remote_policy("data").await?.ok_or("missing")?),
            [DEPLOYMENT_A, other]
        );

        // Once more, and this time someone removes our Deployment: the undo refuses and
        // says which part is gone; nothing is written.
        let change = plan_trust_change(&iam, "data", &ids(&[DEPLOYMENT_B]), None, 2048).await?;
        apply_trust_change(&iam, &change, false, &ctx.journal).await?;
        let without_ours = TrustPolicy::new_for(&ids(&[DEPLOYMENT_A, other])).to_compact_json();
        ctx.set_policy("data", &without_ours).await?;
        match undo_change(&iam, &ctx.journal, None).await {
            Err(err @ CloudError::RemoteChanged { .. }) => {
                assert!(err.to_string().contains(DEPLOYMENT_B), "{err}");
            }
            other => return Err(format!("expected RemoteChanged, got {other:?}").into()),
        }
        assert_eq!(ctx.remote_policy("data").await?, Some(serde_json::from_str(&without_ours)?));
        Ok(())
    })
}

#[test]
fn undo_of_a_created_role_deletes_it() -> Result<(), Error> {
    with_moto(&[], &[], |ctx| async move {
        let iam = ctx.iam("moto").await?;
        let change =
            plan_trust_change(&iam, "temp", &ids(&[DEPLOYMENT_A]), Some(new_role("temp")), 2048).await?;
        apply_trust_change(&iam, &change, false, &ctx.journal).await?;
        assert!(ctx.remote_policy("temp").await?.is_some());
        let undone = undo_change(&iam, &ctx.journal, None).await?;
        assert!(undone.verified && undone.trust_policy.is_none());
        assert_eq!(ctx.remote_policy("temp").await?, None);
        assert_eq!(ctx.journal.entries()?.last().map(|e| e.action), Some(JournalAction::DeleteRole));
        match undo_change(&iam, &ctx.journal, None).await {
            Err(CloudError::NotFound { .. }) => Ok(()),
            other => Err(format!("nothing left to undo, got {other:?}").into()),
        }
    })
}

#[test]
fn the_apps_own_validation_stops_what_moto_would_accept() -> Result<(), Error> {
    with_moto(&[], &[], |ctx| async move {
        let iam = ctx.iam("moto").await?;
        // 40 Deployments overflow the 2,048-character quota; moto would store it anyway.
        let many: Vec<String> =
            (0..40).map(|i| format!("arn:aws:iam::123456789876:role/astro-deployment-{i:04}")).collect();
        let many: Vec<&str> = many.iter().map(String::as_str).collect();
        let change = plan_trust_change(&iam, "big", &ids(&many), Some(new_role("big")), 2048).await?;
        assert!(change.plan.blocked);
        match apply_trust_change(&iam, &change, true, &ctx.journal).await {
            Err(CloudError::Refused { reason, .. }) => {
                assert!(reason.contains("2048") || reason.contains("2,048"), "{reason}")
            }
            other => return Err(format!("expected Refused, got {other:?}").into()),
        }
        assert_eq!(ctx.remote_policy("big").await?, None, "nothing reached moto");

        // A wildcard principal in the existing policy is a warning: refused until confirmed.
        ctx.create_role("open", r#"{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":"*","Action":"sts:AssumeRole"}]}"#).await?;
        let change = plan_trust_change(&iam, "open", &ids(&[DEPLOYMENT_A]), None, 2048).await?;
        assert!(change.plan.needs_confirmation);
        match apply_trust_change(&iam, &change, false, &ctx.journal).await {
            Err(CloudError::Refused { .. }) => {}
            other => return Err(format!("expected Refused, got {other:?}").into()),
        }
        assert!(apply_trust_change(&iam, &change, true, &ctx.journal).await?.verified);
        Ok(())
    })
}

#[test]
fn cloud_errors_are_translated() -> Result<(), Error> {
    with_moto(&[], &[], |ctx| async move {
        let iam = ctx.iam("moto").await?;
        match plan_trust_change(&iam, "missing", &ids(&[DEPLOYMENT_A]), None, 2048).await {
            Err(err @ CloudError::NotFound { .. }) => {
                assert_eq!(err.to_string(), "role missing in account 123456789012 does not exist")
            }
            other => return Err(format!("expected NotFound, got {other:?}").into()),
        }
        ctx.create_role("taken", &TrustPolicy::new_for(&ids(&[DEPLOYMENT_A])).to_compact_json()).await?;
        match plan_trust_change(&iam, "taken", &ids(&[DEPLOYMENT_A]), Some(new_role("taken")), 2048).await {
            Err(CloudError::AlreadyExists { .. }) => {}
            other => return Err(format!("expected AlreadyExists, got {other:?}").into()),
        }
        // A create planned while the name was free, then taken by someone else.
        let change =
            plan_trust_change(&iam, "race", &ids(&[DEPLOYMENT_A]), Some(new_role("race")), 2048).await?;
        ctx.create_role("race", &TrustPolicy::new_for(&ids(&[DEPLOYMENT_B])).to_compact_json()).await?;
        match apply_trust_change(&iam, &change, false, &ctx.journal).await {
            Err(CloudError::RemoteChanged { .. }) => {}
            other => return Err(format!("expected RemoteChanged, got {other:?}").into()),
        }
        // IAM refuses a trust policy with a Resource element.
        let bad = TrustPolicy::parse(
            r#"{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"AWS":"123456789012"},"Action":"sts:AssumeRole","Resource":"*"}]}"#,
        )?;
        match iam.update_trust_policy("taken", &bad).await {
            Err(CloudError::MalformedPolicy { .. }) => {}
            other => return Err(format!("expected MalformedPolicy, got {other:?}").into()),
        }
        Ok(())
    })
}

#[test]
fn an_unreachable_endpoint_is_named() -> Result<(), Error> {
    with_moto(&[], &[], |ctx| async move {
        // Keep the context (and its profile files) alive for the whole test.
        let _ctx = ctx;
        let port = astro_identity_tests::free_port()?;
        let target = AwsTarget {
            source: AwsCredentialSource::Profile("moto".into()),
            region: None,
            endpoint_url: Some(format!("http://127.0.0.1:{port}")),
        };
        let iam = AwsIam::new(&sdk_config(&target, None).await?);
        match iam.caller().await {
            Err(err @ CloudError::Unreachable { .. }) => {
                assert!(
                    err.to_string().starts_with(&format!("could not reach http://127.0.0.1:{port}")),
                    "{err}"
                );
                Ok(())
            }
            other => Err(format!("expected Unreachable, got {other:?}").into()),
        }
    })
}

#[test]
fn access_denied_names_the_missing_permission_and_the_role() -> Result<(), Error> {
    // moto enforces IAM permissions after the first 4 requests (the setup below).
    with_moto(&[("INITIAL_NO_AUTH_ACTION_COUNT", "4")], &[], |ctx| async move {
        let checker = ctx.checker().await;
        checker
            .create_role()
            .role_name("guarded")
            .assume_role_policy_document(TrustPolicy::new_for(&ids(&[DEPLOYMENT_A])).to_compact_json())
            .send()
            .await?;
        checker.create_user().user_name("reader").send().await?;
        checker
            .put_user_policy()
            .user_name("reader")
            .policy_name("read-only")
            .policy_document(r#"{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":["iam:GetRole","sts:GetCallerIdentity"],"Resource":"*"}]}"#)
            .send()
            .await?;
        let key = checker.create_access_key().user_name("reader").send().await?;
        let key = key.access_key().ok_or("no key")?;
        let profiles = aws_profiles(&[("reader", key.access_key_id(), key.secret_access_key())])?;
        // SAFETY: the runtime is current-thread; nothing reads the environment concurrently.
        unsafe {
            std::env::set_var("AWS_CONFIG_FILE", profiles.path().join("config"));
            std::env::set_var("AWS_SHARED_CREDENTIALS_FILE", profiles.path().join("credentials"));
        }
        let iam = ctx.iam("reader").await?;
        let change = plan_trust_change(&iam, "guarded", &ids(&[DEPLOYMENT_B]), None, 2048).await?;
        match apply_trust_change(&iam, &change, false, &ctx.journal).await {
            Err(err @ CloudError::AccessDenied { .. }) => {
                assert_eq!(
                    err.to_string(),
                    "access denied: iam:UpdateAssumeRolePolicy on arn:aws:iam::123456789012:role/guarded"
                );
                assert!(err.hint().contains(r#""Action":"iam:UpdateAssumeRolePolicy""#), "{}", err.hint());
            }
            other => return Err(format!("expected AccessDenied, got {other:?}").into()),
        }
        // Permissions are enforced now: read back as the reader, who may call GetRole.
        let reader = ctx.checker_as(key.access_key_id(), key.secret_access_key()).await;
        let role = reader.get_role().role_name("guarded").send().await?;
        let encoded = role.role().and_then(|r| r.assume_role_policy_document()).ok_or("no policy")?;
        let remote: Value =
            serde_json::from_str(&percent_encoding::percent_decode_str(encoded).decode_utf8()?)?;
        assert_eq!(aws_principals(&remote), [DEPLOYMENT_A], "nothing was written");
        assert_eq!(ctx.journal.entries()?, []);
        Ok(())
    })
}

#[test]
fn permissions_are_attached_written_verified_and_undone() -> Result<(), Error> {
    with_moto(&[("MOTO_IAM_LOAD_MANAGED_POLICIES", "true")], &[], |ctx| async move {
        use astro_identity_cloud::aws::permissions::{apply_permission, attach_policy, plan_inline};
        use astro_identity_domain::aws::permission_policy::PermissionPolicy;

        ctx.create_role("data", &TrustPolicy::new_for(&ids(&[DEPLOYMENT_A])).to_compact_json()).await?;
        let iam = ctx.iam("moto").await?;
        let checker = ctx.checker().await;
        let s3_read = "arn:aws:iam::aws:policy/AmazonS3ReadOnlyAccess";

        let found = iam.list_policies("S3ReadOnly").await?;
        assert!(found.iter().any(|p| p.arn == s3_read), "{found:?}");

        let attached = attach_policy(&iam, "data", s3_read, &ctx.journal).await?;
        assert!(attached.written && attached.journal_id.is_some());
        let listed = checker.list_attached_role_policies().role_name("data").send().await?;
        assert_eq!(
            listed.attached_policies().iter().filter_map(|p| p.policy_arn()).collect::<Vec<_>>(),
            [s3_read]
        );
        assert!(!attach_policy(&iam, "data", s3_read, &ctx.journal).await?.written, "attach is idempotent");

        let doc = PermissionPolicy::parse(
            r#"{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"s3:GetObject","Resource":"arn:aws:s3:::data/*"}]}"#,
        )?;
        let put =
            apply_permission(&iam, &plan_inline(&iam, "data", "astro-s3", &doc).await?, false, &ctx.journal)
                .await?;
        assert!(put.written);
        let inline = checker.get_role_policy().role_name("data").policy_name("astro-s3").send().await?;
        let text = percent_encoding::percent_decode_str(inline.policy_document()).decode_utf8()?;
        assert_eq!(serde_json::from_str::<Value>(&text)?, *doc.as_value());

        // Undo, newest first: the inline policy goes, then the attachment.
        undo_change(&iam, &ctx.journal, None).await?;
        assert!(checker.get_role_policy().role_name("data").policy_name("astro-s3").send().await.is_err());
        undo_change(&iam, &ctx.journal, None).await?;
        let listed = checker.list_attached_role_policies().role_name("data").send().await?;
        assert!(listed.attached_policies().is_empty());
        Ok(())
    })
}

#[test]
fn lists_roles_across_pages_filtered_and_sorted() -> Result<(), Error> {
    with_moto(&[], &[], |ctx| async move {
        let policy = TrustPolicy::new_for(&ids(&[DEPLOYMENT_A])).to_compact_json();
        // More than one ListRoles page (the default page is 100 roles).
        for i in 0..105 {
            ctx.create_role(&format!("other-{i:03}"), &policy).await?;
        }
        for name in ["Astro-B", "astro-a", "data-astro"] {
            ctx.create_role(name, &policy).await?;
        }
        let iam = ctx.iam("moto").await?;
        let names: Vec<String> = iam.list_roles("ASTRO").await?.into_iter().map(|r| r.name).collect();
        assert_eq!(names, ["astro-a", "Astro-B", "data-astro"]);
        assert_eq!(iam.list_roles("").await?.len(), 108);
        Ok(())
    })
}

#[test]
fn a_hand_edited_policy_is_planned_applied_and_verified() -> Result<(), Error> {
    with_moto(&[], &[], |ctx| async move {
        use astro_identity_cloud::aws::plan_trust_document;

        let start = TrustPolicy::new_for(&ids(&[DEPLOYMENT_A])).to_compact_json();
        ctx.create_role("edited", &start).await?;
        let iam = ctx.iam("moto").await?;
        // The user adds an external-id condition in the editor.
        let edited = TrustPolicy::parse(&format!(
            r#"{{"Version":"2012-10-17","Statement":[{{"Effect":"Allow","Principal":{{"AWS":["{DEPLOYMENT_A}"]}},"Action":"sts:AssumeRole","Condition":{{"StringEquals":{{"sts:ExternalId":"astro-42"}}}}}}]}}"#
        ))?;
        let change = plan_trust_document(&iam, "edited", &edited, None, 2048).await?;
        assert!(change.plan.changed);
        assert!(change.plan.diff.iter().any(|l| l.text.contains("sts:ExternalId")));
        apply_trust_change(&iam, &change, false, &ctx.journal).await?;
        let remote = ctx.remote_policy("edited").await?.ok_or("missing")?;
        assert_eq!(remote["Statement"][0]["Condition"]["StringEquals"]["sts:ExternalId"], "astro-42");
        undo_change(&iam, &ctx.journal, None).await?;
        assert_eq!(ctx.remote_policy("edited").await?, Some(serde_json::from_str(&start)?));
        Ok(())
    })
}
