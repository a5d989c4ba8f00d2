//! Every write the app makes, through a fault-injecting proxy placed between the SDKs and
//! the real peer (moto for AWS, the REST wire fake for GCP), under each fault: an error
//! status, throttling, a reset before and after the peer got the request, a hang before and
//! after, a delay.
//!
//! For each, the test checks what a user relies on, reading the peer directly (never through
//! the proxy or the app's code): a clear error naming the call and the resource and holding
//! no secret; a bounded number of attempts (counted at the proxy); the resource holding
//! exactly its old or exactly its new state; and the journal agreeing with it — an applied
//! entry exactly when the resource changed, no intent left pending.

use std::time::Duration;

use aws_credential_types::Credentials;
use serde_json::{Value, json};

use astro_identity_cloud::CloudError;
use astro_identity_cloud::aws::permissions::{apply_permission, attach_policy, plan_inline};
use astro_identity_cloud::aws::{
    AwsCredentialSource, AwsIam, AwsTarget, AwsTuning, NewRole, apply_trust_change, plan_trust_change,
    sdk_config_tuned,
};
use astro_identity_cloud::gcp::{
    Backoff, GcpCredentialSource, GcpProjects, GcpTarget, PolicyResource, apply_binding, plan_binding,
    plan_policy_document,
};
use astro_identity_cloud::journal::{ChangeStatus, Journal, JournalAction};
use astro_identity_cloud::undo::{undo_binding, undo_change};
use astro_identity_domain::aws::arn::WorkloadIdentityArn;
use astro_identity_domain::aws::permission_policy::PermissionPolicy;
use astro_identity_domain::aws::trust_policy::TrustPolicy;
use astro_identity_domain::gcp::iam_policy::IamPolicy;
use astro_identity_domain::gcp::identity::ProjectId;
use astro_identity_tests::fault_proxy::{Fault, FaultProxy, Matcher};
use astro_identity_tests::gcp_fake::GcpFake;
use astro_identity_tests::{Error, Moto, aws_profiles};

const DEPLOYMENT_A: &str = "arn:aws:iam::123456789876:role/astro-stellar-apogee-4567";
const KEY_ID: &str = "AKIAFAULTPROXYTEST01";
/// moto accepts any keys; this one must never show in an error.
const SECRET: &str = "fault-proxy-secret-access-key-never-shown";
const MEMBER: &str = "serviceAccount:astro-fiery-nebula-1234@astronomer-prod.iam.gserviceaccount.com";

/// Short timeouts and backoff, so hangs and retries end quickly; the attempts are the app's.
const TUNING: AwsTuning = AwsTuning {
    max_attempts: AwsTuning::DEFAULT.max_attempts,
    initial_backoff: Duration::from_millis(10),
    connect_timeout: Duration::from_secs(2),
    attempt_timeout: Duration::from_secs(2),
    operation_timeout: Duration::from_millis(4500),
};
const GCP_TIMEOUT: Duration = Duration::from_secs(2);
const FAST: Backoff =
    Backoff { attempts: 4, first_delay: Duration::from_millis(5), max_delay: Duration::from_millis(40) };

/// What a fault must lead to.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Expect {
    /// The write took effect (its answer may have been lost): success, journaled.
    Applied,
    /// It did not: a clear error, nothing journaled as applied.
    NotApplied,
}

/// Each fault, how many times the write may reach the proxy, and what it leads to.
fn faults(max_attempts: usize) -> Vec<(Fault, std::ops::RangeInclusive<usize>, Expect)> {
    vec![
        (Fault::status(500), max_attempts..=max_attempts, Expect::NotApplied),
        (Fault::status(503), max_attempts..=max_attempts, Expect::NotApplied),
        (Fault::ResetBeforeForward, 1..=max_attempts, Expect::NotApplied),
        (Fault::ResetAfterForward, 1..=max_attempts, Expect::Applied),
        (Fault::HangBeforeForward, 1..=max_attempts, Expect::NotApplied),
        (Fault::HangAfterForward, 1..=max_attempts, Expect::Applied),
        (Fault::Delay(Duration::from_millis(300)), 1..=1, Expect::Applied),
    ]
}

fn ids(arns: &[&str]) -> Vec<WorkloadIdentityArn> {
    arns.iter().map(|a| WorkloadIdentityArn::parse(a).expect("valid ARN")).collect()
}

fn runtime() -> Result<tokio::runtime::Runtime, Error> {
    Ok(tokio::runtime::Builder::new_current_thread().enable_all().build()?)
}

/// A clear error: names the call and the resource, has a hint, holds no secret.
fn assert_clear(err: &CloudError, call: &str, resource: &str) {
    let (message, hint) = (err.to_string(), err.hint());
    assert!(message.contains(call), "{message:?} does not name {call}");
    assert!(message.contains(resource), "{message:?} does not name {resource}");
    assert!(!hint.is_empty(), "no hint for {message:?}");
    for secret in [SECRET, "Signature=", "Credential="] {
        assert!(!message.contains(secret) && !hint.contains(secret), "{message:?} / {hint:?} leaks {secret}");
    }
}

fn fault_name(fault: &Fault) -> String {
    match fault {
        Fault::Respond { status, body, .. } if body.contains("Throttling") => format!("{status} Throttling"),
        Fault::Respond { status, .. } => format!("HTTP {status}"),
        other => format!("{other:?}"),
    }
}

// ---------------------------------------------------------------------------------------
// AWS

struct Aws {
    moto: Moto,
    proxy: FaultProxy,
    iam: AwsIam,
    journal: Journal,
    _dirs: (tempfile::TempDir, tempfile::TempDir),
}

impl Aws {
    async fn start() -> Result<Self, Error> {
        let moto = Moto::start()?;
        let proxy = FaultProxy::start(&moto.url)?;
        let profiles = aws_profiles(&[("faults", KEY_ID, SECRET)])?;
        let target = AwsTarget {
            source: AwsCredentialSource::Profile("faults".into()),
            region: None,
            endpoint_url: Some(proxy.url.clone()),
        };
        // SAFETY: nextest runs each test in its own process; the runtime is current-thread
        // and nothing else reads the environment meanwhile.
        unsafe {
            std::env::set_var("AWS_CONFIG_FILE", profiles.path().join("config"));
            std::env::set_var("AWS_SHARED_CREDENTIALS_FILE", profiles.path().join("credentials"));
            for var in ["AWS_PROFILE", "AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY", "AWS_ENDPOINT_URL"] {
                std::env::remove_var(var);
            }
        }
        let iam = AwsIam::new(&sdk_config_tuned(&target, None, &TUNING).await?);
        let data = tempfile::tempdir()?;
        let journal = Journal::in_dir(data.path());
        Ok(Self { moto, proxy, iam, journal, _dirs: (profiles, data) })
    }

    /// A client straight to moto, for setup and for reading the truth.
    async fn direct(&self) -> aws_sdk_iam::Client {
        let config = aws_config::defaults(aws_config::BehaviorVersion::latest())
            .endpoint_url(&self.moto.url)
            .region(aws_config::Region::new("us-east-1"))
            .credentials_provider(Credentials::new("testing", "testing", None, None, "test"))
            .load()
            .await;
        aws_sdk_iam::Client::new(&config)
    }

    async fn trust_policy(&self, role: &str) -> Result<Option<Value>, Error> {
        match self.direct().await.get_role().role_name(role).send().await {
            Ok(out) => {
                let encoded = out.role().and_then(|r| r.assume_role_policy_document()).ok_or("no policy")?;
                let decoded = percent_encoding::percent_decode_str(encoded).decode_utf8()?;
                Ok(Some(serde_json::from_str(&decoded)?))
            }
            Err(err) if format!("{err:?}").contains("NoSuchEntity") => Ok(None),
            Err(err) => Err(err.into()),
        }
    }

    async fn attached(&self, role: &str) -> Result<Value, Error> {
        let out = self.direct().await.list_attached_role_policies().role_name(role).send().await?;
        Ok(Value::Bool(!out.attached_policies().is_empty()))
    }

    async fn inline(&self, role: &str) -> Result<Option<Value>, Error> {
        match self.direct().await.get_role_policy().role_name(role).policy_name("astro-s3").send().await {
            Ok(out) => {
                let decoded = percent_encoding::percent_decode_str(out.policy_document()).decode_utf8()?;
                Ok(Some(serde_json::from_str(&decoded)?))
            }
            Err(err) if format!("{err:?}").contains("NoSuchEntity") => Ok(None),
            Err(err) => Err(err.into()),
        }
    }

    async fn create_role(&self, role: &str, policy: &str) -> Result<(), Error> {
        self.direct().await.create_role().role_name(role).assume_role_policy_document(policy).send().await?;
        Ok(())
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum AwsOp {
    CreateRole,
    UpdateTrustPolicy,
    AttachPolicy,
    PutInlinePolicy,
    UndoUpdate,
    UndoCreate,
    UndoAttach,
    UndoInline,
}

impl AwsOp {
    /// The IAM action the write sends (the one faulted).
    fn action(self) -> &'static str {
        match self {
            AwsOp::CreateRole => "CreateRole",
            AwsOp::UpdateTrustPolicy | AwsOp::UndoUpdate => "UpdateAssumeRolePolicy",
            AwsOp::AttachPolicy => "AttachRolePolicy",
            AwsOp::PutInlinePolicy => "PutRolePolicy",
            AwsOp::UndoCreate => "DeleteRole",
            AwsOp::UndoAttach => "DetachRolePolicy",
            AwsOp::UndoInline => "DeleteRolePolicy",
        }
    }

    /// The journal action of the entry the write makes.
    fn journal_action(self) -> JournalAction {
        match self {
            AwsOp::CreateRole => JournalAction::CreateRole,
            AwsOp::UpdateTrustPolicy | AwsOp::UndoUpdate => JournalAction::UpdateTrustPolicy,
            AwsOp::AttachPolicy => JournalAction::AttachPolicy,
            AwsOp::PutInlinePolicy | AwsOp::UndoInline => JournalAction::PutInlinePolicy,
            AwsOp::UndoCreate => JournalAction::DeleteRole,
            AwsOp::UndoAttach => JournalAction::DetachPolicy,
        }
    }

    fn is_undo(self) -> bool {
        matches!(self, AwsOp::UndoUpdate | AwsOp::UndoCreate | AwsOp::UndoAttach | AwsOp::UndoInline)
    }
}

const START: &str = r#"{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"AWS":"arn:aws:iam::123456789876:role/astro-lunar-crater-0815"},"Action":"sts:AssumeRole"},{"Effect":"Allow","Principal":{"Service":"ec2.amazonaws.com"},"Action":"sts:AssumeRole"}]}"#;
const S3_READ: &str = r#"{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"s3:GetObject","Resource":"arn:aws:s3:::data/*"}]}"#;

fn new_role(name: &str) -> NewRole {
    NewRole { name: name.into(), path: None, description: None, max_session_duration: None, tags: vec![] }
}

async fn state(aws: &Aws, op: AwsOp, role: &str) -> Result<Option<Value>, Error> {
    match op {
        AwsOp::AttachPolicy | AwsOp::UndoAttach => Ok(Some(aws.attached(role).await?)),
        AwsOp::PutInlinePolicy | AwsOp::UndoInline => aws.inline(role).await,
        _ => aws.trust_policy(role).await,
    }
}

/// Prepares `role` for `op` (undos first apply their change, unfaulted) and returns the
/// resource's state before and after a successful `op`.
async fn setup(
    aws: &Aws,
    op: AwsOp,
    role: &str,
    policy_arn: &str,
) -> Result<(Option<Value>, Option<Value>), Error> {
    let start: Value = serde_json::from_str(START)?;
    let with_a = TrustPolicy::parse(START)?.add_principals(&ids(&[DEPLOYMENT_A])).into_value();
    let created = TrustPolicy::new_for(&ids(&[DEPLOYMENT_A])).into_value();
    let s3: Value = serde_json::from_str(S3_READ)?;
    if op != AwsOp::CreateRole && op != AwsOp::UndoCreate {
        aws.create_role(role, START).await?;
    }
    match op {
        AwsOp::CreateRole => Ok((None, Some(created))),
        AwsOp::UpdateTrustPolicy => Ok((Some(start), Some(with_a))),
        AwsOp::AttachPolicy => Ok((Some(Value::Bool(false)), Some(Value::Bool(true)))),
        AwsOp::PutInlinePolicy => Ok((None, Some(s3))),
        AwsOp::UndoUpdate | AwsOp::UndoCreate | AwsOp::UndoAttach | AwsOp::UndoInline => {
            let (before, after) = match op {
                AwsOp::UndoUpdate => {
                    run(aws, AwsOp::UpdateTrustPolicy, role, policy_arn).await?;
                    (Some(with_a), Some(start))
                }
                AwsOp::UndoCreate => {
                    run(aws, AwsOp::CreateRole, role, policy_arn).await?;
                    (Some(created), None)
                }
                AwsOp::UndoAttach => {
                    run(aws, AwsOp::AttachPolicy, role, policy_arn).await?;
                    (Some(Value::Bool(true)), Some(Value::Bool(false)))
                }
                _ => {
                    run(aws, AwsOp::PutInlinePolicy, role, policy_arn).await?;
                    (Some(s3), None)
                }
            };
            Ok((before, after))
        }
    }
}

/// The app's own call for `op`, through the proxy.
async fn run(aws: &Aws, op: AwsOp, role: &str, policy_arn: &str) -> Result<(), CloudError> {
    match op {
        AwsOp::CreateRole => {
            let change =
                plan_trust_change(&aws.iam, role, &ids(&[DEPLOYMENT_A]), Some(new_role(role)), 2048).await?;
            apply_trust_change(&aws.iam, &change, false, &aws.journal).await.map(drop)
        }
        AwsOp::UpdateTrustPolicy => {
            let change = plan_trust_change(&aws.iam, role, &ids(&[DEPLOYMENT_A]), None, 2048).await?;
            apply_trust_change(&aws.iam, &change, false, &aws.journal).await.map(drop)
        }
        AwsOp::AttachPolicy => attach_policy(&aws.iam, role, policy_arn, &aws.journal).await.map(drop),
        AwsOp::PutInlinePolicy => {
            let doc = PermissionPolicy::parse(S3_READ)?;
            async {
                let plan = plan_inline(&aws.iam, role, "astro-s3", &doc).await?;
                apply_permission(&aws.iam, &plan, false, &aws.journal).await
            }
            .await
            .map(drop)
        }
        _ => {
            // The newest applied change of this role that is not an undo.
            let entry = aws
                .journal
                .entries()?
                .into_iter()
                .rev()
                .find(|e| e.resource_name() == role && e.undoes.is_none())
                .ok_or(CloudError::NotFound { what: format!("a change to role {role}") })?;
            undo_change(&aws.iam, &aws.journal, Some(&entry.id)).await.map(drop)
        }
    }
}

/// Runs `op` under every fault and checks the invariants.
fn aws_under_faults(op: AwsOp) -> Result<(), Error> {
    runtime()?.block_on(async {
        let aws = Aws::start().await?;
        let policy = aws
            .direct()
            .await
            .create_policy()
            .policy_name("astro-s3-read")
            .policy_document(S3_READ)
            .send()
            .await?;
        let policy_arn = policy.policy().and_then(|p| p.arn()).ok_or("no policy ARN")?.to_owned();
        let writes = Matcher::aws_action(op.action());
        let max = usize::try_from(TUNING.max_attempts)?;
        for (case, (fault, attempts, expect)) in faults(max)
            .into_iter()
            .chain([(Fault::aws_throttling(), max..=max, Expect::NotApplied)])
            .enumerate()
        {
            let role = format!("{op:?}-{case}").to_lowercase();
            let (old, new) = setup(&aws, op, &role, &policy_arn).await?;
            assert_eq!(state(&aws, op, &role).await?, old, "{op:?}/{fault:?}: setup");
            let applied_before = applied_entries(&aws.journal, &role, op)?;

            let sent_before = aws.proxy.count(&writes);
            aws.proxy.always(writes.clone(), fault.clone());
            let result = run(&aws, op, &role, &policy_arn).await;
            aws.proxy.clear();
            let sent = aws.proxy.count(&writes) - sent_before;
            let label = match &result {
                Ok(()) => format!("{op:?} under {}: ok after {sent} attempt(s)", fault_name(&fault)),
                Err(err) => format!("{op:?} under {}: {err} ({sent} attempt(s))", fault_name(&fault)),
            };
            eprintln!("{label}");

            assert!(attempts.contains(&sent), "{label}: {sent} attempts, expected {attempts:?}");
            let now = state(&aws, op, &role).await?;
            assert!(now == old || now == new, "{label}: the resource is neither old nor new: {now:?}");
            let changed = now == new;
            assert_eq!(changed, expect == Expect::Applied, "{label}: now {now:?}");
            match &result {
                Ok(()) => assert!(changed, "{label}: success without the change"),
                Err(err) => {
                    assert!(!changed, "{label}: an error although the change is in place");
                    assert_clear(err, &format!("iam:{}", op.action()), &role);
                    if matches!(fault, Fault::HangBeforeForward) {
                        assert_eq!(err.code(), "unreachable", "{label}");
                        assert!(err.to_string().contains("timed out"), "{label}");
                    }
                    if matches!(fault, Fault::Respond { status: 400, .. }) {
                        assert_eq!(err.code(), "throttled", "{label}");
                    }
                }
            }
            // The journal agrees with moto: an applied entry exactly when it changed, and
            // nothing left pending.
            let applied = applied_entries(&aws.journal, &role, op)? - applied_before;
            assert_eq!(applied, usize::from(changed), "{label}: {} applied entries", applied);
            assert_eq!(aws.journal.pending()?, [], "{label}: pending intents");
            if changed
                && let Some(entry) =
                    aws.journal.entries()?.into_iter().rev().find(|e| e.resource_name() == role)
                && matches!(op, AwsOp::CreateRole | AwsOp::UpdateTrustPolicy | AwsOp::UndoUpdate)
            {
                let after: Option<Value> = entry.after.clone();
                assert_eq!(after, now, "{label}: the entry's after is what moto holds");
            }
        }
        Ok(())
    })
}

fn applied_entries(journal: &Journal, role: &str, op: AwsOp) -> Result<usize, Error> {
    Ok(journal
        .entries()?
        .iter()
        .filter(|e| {
            e.resource_name() == role && e.action == op.journal_action() && e.undoes.is_some() == op.is_undo()
        })
        .count())
}

#[test]
fn aws_create_role_under_faults() -> Result<(), Error> {
    aws_under_faults(AwsOp::CreateRole)
}

#[test]
fn aws_trust_policy_update_under_faults() -> Result<(), Error> {
    aws_under_faults(AwsOp::UpdateTrustPolicy)
}

#[test]
fn aws_attach_policy_under_faults() -> Result<(), Error> {
    aws_under_faults(AwsOp::AttachPolicy)
}

#[test]
fn aws_put_inline_policy_under_faults() -> Result<(), Error> {
    aws_under_faults(AwsOp::PutInlinePolicy)
}

#[test]
fn aws_undo_trust_policy_update_under_faults() -> Result<(), Error> {
    aws_under_faults(AwsOp::UndoUpdate)
}

#[test]
fn aws_undo_create_role_under_faults() -> Result<(), Error> {
    aws_under_faults(AwsOp::UndoCreate)
}

#[test]
fn aws_undo_attach_policy_under_faults() -> Result<(), Error> {
    aws_under_faults(AwsOp::UndoAttach)
}

#[test]
fn aws_undo_inline_policy_under_faults() -> Result<(), Error> {
    aws_under_faults(AwsOp::UndoInline)
}

/// Throttling that stops in time is invisible: the SDK's retries absorb it, once each.
#[test]
fn aws_throttling_that_stops_is_retried_and_journaled_once() -> Result<(), Error> {
    runtime()?.block_on(async {
        let aws = Aws::start().await?;
        aws.create_role("data", START).await?;
        let writes = Matcher::aws_action("UpdateAssumeRolePolicy");
        aws.proxy.times(2, writes.clone(), Fault::aws_throttling());
        let change = plan_trust_change(&aws.iam, "data", &ids(&[DEPLOYMENT_A]), None, 2048).await?;
        let outcome = apply_trust_change(&aws.iam, &change, false, &aws.journal).await?;
        assert!(outcome.written && outcome.verified);
        assert_eq!(aws.proxy.count(&writes), 3, "two throttled attempts, then the one that worked");
        let history = aws.journal.history()?;
        assert_eq!(history.len(), 1);
        assert_eq!(history[0].status, ChangeStatus::Applied);
        let remote = aws.trust_policy("data").await?.ok_or("role gone")?;
        assert_eq!(Some(&remote), history[0].entry.after.as_ref());
        assert!(TrustPolicy::from_value(remote)?.trusted_aws_principals().contains(&DEPLOYMENT_A.to_owned()));
        Ok(())
    })
}

// ---------------------------------------------------------------------------------------
// GCP

struct Gcp {
    fake: GcpFake,
    proxy: FaultProxy,
    projects: GcpProjects,
    journal: Journal,
    _data: tempfile::TempDir,
}

impl Gcp {
    async fn start() -> Result<Self, Error> {
        let fake = GcpFake::start()?;
        let proxy = FaultProxy::start(&fake.url)?;
        let target = GcpTarget { source: GcpCredentialSource::Anonymous, endpoint: Some(proxy.url.clone()) };
        let projects = GcpProjects::connect_tuned(&target, None, GCP_TIMEOUT).await?;
        let data = tempfile::tempdir()?;
        Ok(Self { fake, proxy, projects, journal: Journal::in_dir(data.path()), _data: data })
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum GcpOp {
    Grant,
    SetPolicy,
    UndoGrant,
    UndoSetPolicy,
}

fn project(id: &str) -> PolicyResource {
    PolicyResource::project(&ProjectId::parse(id).expect("valid project id"))
}

fn seeded() -> Value {
    json!({"version": 3, "bindings": [
        {"role": "roles/viewer", "members": ["user:ada@example.com"]},
        {"role": "roles/storage.objectViewer", "members": ["user:eve@example.com"],
         "condition": {"title": "until-2027", "expression": "request.time < timestamp('2027-01-01T00:00:00Z')"}}
    ]})
}

/// The hand-edited policy: eve's conditional binding removed.
fn edited() -> Value {
    json!({"bindings": [{"role": "roles/viewer", "members": ["user:ada@example.com"]}]})
}

async fn gcp_run(gcp: &Gcp, op: GcpOp, id: &str) -> Result<(), CloudError> {
    let p = project(id);
    match op {
        GcpOp::Grant => {
            let change =
                plan_binding(&gcp.projects, &p, "roles/bigquery.jobUser", MEMBER, None, None).await?;
            apply_binding(&gcp.projects, &change, false, &gcp.journal, FAST).await.map(drop)
        }
        GcpOp::SetPolicy => {
            let doc = IamPolicy::from_value(edited())?;
            let change = plan_policy_document(&gcp.projects, &p, &doc, None).await?;
            apply_binding(&gcp.projects, &change, true, &gcp.journal, FAST).await.map(drop)
        }
        GcpOp::UndoGrant | GcpOp::UndoSetPolicy => {
            let entry = gcp
                .journal
                .entries()?
                .into_iter()
                .rev()
                .find(|e| e.account() == p.name() && e.undoes.is_none())
                .ok_or(CloudError::NotFound { what: format!("a change to {p}") })?;
            undo_binding(&gcp.projects, &gcp.journal, Some(&entry.id), FAST).await.map(drop)
        }
    }
}

fn gcp_under_faults(op: GcpOp) -> Result<(), Error> {
    runtime()?.block_on(async {
        let gcp = Gcp::start().await?;
        let writes = Matcher::target(":setIamPolicy");
        let attempts = usize::try_from(FAST.attempts)?;
        let cases = [
            (Fault::gcp_status(500, "INTERNAL", "injected internal error"), 1..=1, Expect::NotApplied),
            (
                Fault::gcp_status(503, "UNAVAILABLE", "injected: the service is unavailable"),
                1..=1,
                Expect::NotApplied,
            ),
            (Fault::status(502), 1..=1, Expect::NotApplied),
            (Fault::gcp_too_many_requests(), attempts..=attempts, Expect::NotApplied),
            (Fault::ResetBeforeForward, 1..=1, Expect::NotApplied),
            (Fault::ResetAfterForward, 1..=1, Expect::Applied),
            (Fault::HangBeforeForward, 1..=1, Expect::NotApplied),
            (Fault::HangAfterForward, 1..=1, Expect::Applied),
            (Fault::Delay(Duration::from_millis(300)), 1..=1, Expect::Applied),
        ];
        for (case, (fault, allowed, expect)) in cases.into_iter().enumerate() {
            let id = format!("p-{}-{case}", format!("{op:?}").to_lowercase());
            gcp.fake.seed(&id, seeded());
            let base = IamPolicy::from_value(seeded())?;
            let granted = base.add_member("roles/bigquery.jobUser", MEMBER, None);
            let hand_edited = IamPolicy::from_value(edited())?;
            let (old, new) = match op {
                GcpOp::Grant => (base.clone(), granted.clone()),
                GcpOp::SetPolicy => (base.clone(), hand_edited.clone()),
                GcpOp::UndoGrant => {
                    gcp_run(&gcp, GcpOp::Grant, &id).await?;
                    (granted.clone(), base.clone())
                }
                GcpOp::UndoSetPolicy => {
                    gcp_run(&gcp, GcpOp::SetPolicy, &id).await?;
                    (hand_edited.clone(), base.clone())
                }
            };
            let read = || -> Result<IamPolicy, Error> {
                Ok(IamPolicy::from_value(gcp.fake.policy(&id).ok_or("project gone")?)?)
            };
            assert!(read()?.semantically_equal(&old), "{op:?}/{fault:?}: setup");
            let applied_before = gcp.journal.entries()?.iter().filter(|e| e.account().ends_with(&id)).count();

            let sent_before = gcp.proxy.count(&writes);
            gcp.proxy.always(writes.clone(), fault.clone());
            let result = gcp_run(&gcp, op, &id).await;
            gcp.proxy.clear();
            let sent = gcp.proxy.count(&writes) - sent_before;
            let label = match &result {
                Ok(()) => format!("{op:?} under {}: ok after {sent} attempt(s)", fault_name(&fault)),
                Err(err) => format!("{op:?} under {}: {err} ({sent} attempt(s))", fault_name(&fault)),
            };
            eprintln!("{label}");

            assert!(allowed.contains(&sent), "{label}: {sent} attempts, expected {allowed:?}");
            let now = read()?;
            let changed = now.semantically_equal(&new);
            assert!(changed || now.semantically_equal(&old), "{label}: neither old nor new: {now:?}");
            assert_eq!(changed, expect == Expect::Applied, "{label}");
            match &result {
                Ok(()) => assert!(changed, "{label}: success without the change"),
                Err(err) => {
                    assert!(!changed, "{label}: an error although the change is in place");
                    assert_clear(err, "setIamPolicy", &format!("projects/{id}"));
                    if matches!(fault, Fault::HangBeforeForward) {
                        assert_eq!(err.code(), "unreachable", "{label}");
                        assert!(err.to_string().contains("timed out"), "{label}");
                    }
                }
            }
            let applied =
                gcp.journal.entries()?.iter().filter(|e| e.account().ends_with(&id)).count() - applied_before;
            assert_eq!(applied, usize::from(changed), "{label}: applied entries");
            assert_eq!(gcp.journal.pending()?, [], "{label}: pending intents");
            if changed {
                let entry = gcp.journal.entries()?.into_iter().rev().find(|e| e.account().ends_with(&id));
                let after = IamPolicy::from_value(entry.and_then(|e| e.after).ok_or("no after")?)?;
                assert!(after.semantically_equal(&now), "{label}: the entry's after is what the fake holds");
            }
        }
        Ok(())
    })
}

#[test]
fn gcp_grant_under_faults() -> Result<(), Error> {
    gcp_under_faults(GcpOp::Grant)
}

#[test]
fn gcp_hand_edited_policy_under_faults() -> Result<(), Error> {
    gcp_under_faults(GcpOp::SetPolicy)
}

#[test]
fn gcp_undo_grant_under_faults() -> Result<(), Error> {
    gcp_under_faults(GcpOp::UndoGrant)
}

#[test]
fn gcp_undo_hand_edited_policy_under_faults() -> Result<(), Error> {
    gcp_under_faults(GcpOp::UndoSetPolicy)
}
