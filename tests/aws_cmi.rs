//! Customer Managed Identity on AWS against moto: the clusters' OIDC providers ensured and
//! the role's trust policy merged — each journaled, re-runnable and undoable. moto does not
//! evaluate trust policies, so the policy's content is asserted, read with a separate client.

use aws_credential_types::Credentials;
use serde_json::{Value, json};

use astro_identity_cloud::aws::attach_role::{
    CmiDeployment, CmiRequest, apply_attach_role, plan_attach_role,
};
use astro_identity_cloud::aws::{AwsIam, NewRole};
use astro_identity_cloud::journal::{Journal, JournalAction};
use astro_identity_cloud::undo::{apply_aws, plan_aws};
use astro_identity_domain::aws::lint::DEFAULT_TRUST_POLICY_QUOTA;
use astro_identity_tests::{Error, Moto};

const ISSUER_A: &str = "https://oidc.eks.us-east-1.amazonaws.com/id/AAAA0000AAAA0000AAAA0000AAAA0000";
const ISSUER_B: &str = "https://oidc.eks.eu-west-1.amazonaws.com/id/BBBB1111BBBB1111BBBB1111BBBB1111";
const HOST_A: &str = "oidc.eks.us-east-1.amazonaws.com/id/AAAA0000AAAA0000AAAA0000AAAA0000";

struct Ctx {
    /// Kept alive for the test; every call goes through `iam` and `checker`.
    _moto: Moto,
    iam: AwsIam,
    checker: aws_sdk_iam::Client,
    journal: Journal,
    _data: tempfile::TempDir,
}

async fn ctx() -> Result<Ctx, Error> {
    let moto = Moto::start()?;
    let config = aws_config::defaults(aws_config::BehaviorVersion::latest())
        .endpoint_url(&moto.url)
        .region(aws_config::Region::new("us-east-1"))
        .credentials_provider(Credentials::new("testing", "testing", None, None, "test"))
        .load()
        .await;
    let data = tempfile::tempdir()?;
    Ok(Ctx {
        iam: AwsIam::new(&config),
        checker: aws_sdk_iam::Client::new(&config),
        journal: Journal::in_dir(data.path()),
        _moto: moto,
        _data: data,
    })
}

impl Ctx {
    async fn trust(&self, role: &str) -> Result<Option<Value>, Error> {
        match self.checker.get_role().role_name(role).send().await {
            Ok(out) => {
                let encoded = out.role().and_then(|r| r.assume_role_policy_document()).ok_or("no policy")?;
                Ok(Some(serde_json::from_str(&percent_encoding::percent_decode_str(encoded).decode_utf8()?)?))
            }
            Err(err) if format!("{err:?}").contains("NoSuchEntity") => Ok(None),
            Err(err) => Err(err.into()),
        }
    }

    async fn providers(&self) -> Result<Vec<(String, Vec<String>)>, Error> {
        let list = self.checker.list_open_id_connect_providers().send().await?;
        let mut out = Vec::new();
        for entry in list.open_id_connect_provider_list() {
            let arn = entry.arn().unwrap_or_default().to_owned();
            let got =
                self.checker.get_open_id_connect_provider().open_id_connect_provider_arn(&arn).send().await?;
            out.push((arn, got.client_id_list().to_vec()));
        }
        out.sort();
        Ok(out)
    }
}

fn deployment(namespace: &str, issuer: &str) -> CmiDeployment {
    CmiDeployment {
        label: format!("{namespace} (cl{namespace})"),
        namespace: namespace.into(),
        issuer_url: issuer.into(),
    }
}

fn request(role: &str, create: bool, deployments: Vec<CmiDeployment>) -> CmiRequest {
    CmiRequest {
        role_name: role.into(),
        create: create.then(|| NewRole {
            name: role.into(),
            path: None,
            description: Some("Astro Customer Managed Identity".into()),
            max_session_duration: None,
            tags: vec![],
        }),
        deployments,
        wildcard_subjects: false,
        quota: DEFAULT_TRUST_POLICY_QUOTA,
    }
}

fn subs(statement: &Value, host: &str) -> usize {
    statement["Condition"]["StringEquals"][format!("{host}:sub")].as_array().map_or(0, Vec::len)
}

#[tokio::test]
async fn creates_providers_and_a_role_trusting_three_deployments_on_two_clusters() -> Result<(), Error> {
    let ctx = ctx().await?;
    let deployments = vec![
        deployment("fiery-nebula-1234", ISSUER_A),
        deployment("cosmic-dust-5678", ISSUER_A),
        deployment("quiet-star-0001", ISSUER_B),
    ];
    // Three Deployments' 18 service accounts need more than IAM's default 2,048 characters:
    // this account has the quota raised.
    let raised = |r: CmiRequest| CmiRequest { quota: 4096, ..r };
    let plan = plan_attach_role(&ctx.iam, &raised(request("astro-cmi", true, deployments.clone()))).await?;
    assert_eq!(plan.providers.len(), 2);
    assert!(plan.providers.iter().all(|p| p.client_ids.is_none()), "neither exists yet");
    assert_eq!(plan.role_arn, "arn:aws:iam::123456789012:role/astro-cmi");
    assert!(ctx.providers().await?.is_empty(), "planning writes nothing");

    let outcome = apply_attach_role(&ctx.iam, &plan, false, &ctx.journal).await?;
    assert_eq!(outcome.provider_journal_ids.len(), 2);
    assert!(outcome.trust.verified);
    let providers = ctx.providers().await?;
    assert_eq!(providers.len(), 2);
    assert!(providers.iter().all(|(_, ids)| ids == &["sts.amazonaws.com"]), "{providers:?}");
    let policy = ctx.trust("astro-cmi").await?.ok_or("role missing")?;
    let statements = policy["Statement"].as_array().ok_or("statements")?;
    assert_eq!(statements.len(), 2, "{policy}");
    let a = &statements[0];
    assert_eq!(a["Principal"]["Federated"], format!("arn:aws:iam::123456789012:oidc-provider/{HOST_A}"));
    assert_eq!(a["Action"], "sts:AssumeRoleWithWebIdentity");
    assert_eq!(a["Condition"]["StringEquals"][format!("{HOST_A}:aud")], "sts.amazonaws.com");
    assert_eq!(subs(a, HOST_A), 12);
    assert!(
        a.to_string()
            .contains("system:serviceaccount:cosmic-dust-5678:cosmic-dust-5678-worker-serviceaccount"),
        "{a}"
    );
    let actions: Vec<JournalAction> = ctx.journal.entries()?.iter().map(|e| e.action).collect();
    assert_eq!(
        actions,
        [JournalAction::CreateOidcProvider, JournalAction::CreateOidcProvider, JournalAction::CreateRole]
    );

    // Running it again (also with --create) finds everything done.
    let again = plan_attach_role(&ctx.iam, &raised(request("astro-cmi", true, deployments))).await?;
    assert!(!again.changed(), "{:?}", again.trust.plan.diff);
    Ok(())
}

#[tokio::test]
async fn an_existing_provider_is_used_and_an_existing_policy_keeps_its_statements() -> Result<(), Error> {
    let ctx = ctx().await?;
    // (moto cannot add a client id to a provider: that path is proven in the cloud crate's
    // unit tests, `aws::oidc_provider`.)
    ctx.checker
        .create_open_id_connect_provider()
        .url(ISSUER_A)
        .client_id_list("sts.amazonaws.com")
        .thumbprint_list("9e99a48a9960b14926bb7f3b02e22da2b0ab7280")
        .send()
        .await?;
    let existing = json!({"Version": "2012-10-17", "Statement": [{"Effect": "Allow",
        "Principal": {"Service": "ec2.amazonaws.com"}, "Action": "sts:AssumeRole"}]});
    ctx.checker
        .create_role()
        .role_name("data")
        .assume_role_policy_document(existing.to_string())
        .send()
        .await?;

    let plan =
        plan_attach_role(&ctx.iam, &request("data", false, vec![deployment("fiery-nebula-1234", ISSUER_A)]))
            .await?;
    assert!(!plan.providers[0].changes());
    assert!(plan.providers[0].describe().ends_with("is ready (client id sts.amazonaws.com)"));
    let outcome = apply_attach_role(&ctx.iam, &plan, false, &ctx.journal).await?;
    assert!(outcome.provider_journal_ids.is_empty(), "the provider was ready");
    let policy = ctx.trust("data").await?.ok_or("role missing")?;
    assert_eq!(policy["Statement"][0], existing["Statement"][0], "the EC2 statement is kept");
    assert_eq!(subs(&policy["Statement"][1], HOST_A), 6);

    // The undo puts the policy back as it was; the provider, not ours, stays.
    let entries = ctx.journal.entries()?;
    assert_eq!(entries.len(), 1);
    let trust_undo = plan_aws(&ctx.iam, &ctx.journal, Some(&entries[0].id)).await?;
    apply_aws(&ctx.iam, &ctx.journal, &trust_undo).await?;
    assert_eq!(ctx.trust("data").await?, Some(existing));
    assert_eq!(ctx.providers().await?.len(), 1);
    Ok(())
}

#[tokio::test]
async fn a_created_provider_is_deleted_by_undo_only_once_no_role_names_it() -> Result<(), Error> {
    let ctx = ctx().await?;
    let plan = plan_attach_role(
        &ctx.iam,
        &request("astro-cmi", true, vec![deployment("fiery-nebula-1234", ISSUER_A)]),
    )
    .await?;
    apply_attach_role(&ctx.iam, &plan, false, &ctx.journal).await?;
    let entries = ctx.journal.entries()?;
    let (provider, role) = (&entries[0], &entries[1]);
    match plan_aws(&ctx.iam, &ctx.journal, Some(&provider.id)).await {
        Err(err) => {
            assert_eq!(err.code(), "refused");
            assert!(err.to_string().contains("still named in the trust policy of role astro-cmi"), "{err}");
        }
        Ok(plan) => return Err(format!("the provider's undo was offered while in use: {plan:?}").into()),
    }
    let undo_role = plan_aws(&ctx.iam, &ctx.journal, Some(&role.id)).await?;
    apply_aws(&ctx.iam, &ctx.journal, &undo_role).await?;
    assert_eq!(ctx.trust("astro-cmi").await?, None, "the created role was deleted");
    let undo_provider = plan_aws(&ctx.iam, &ctx.journal, Some(&provider.id)).await?;
    apply_aws(&ctx.iam, &ctx.journal, &undo_provider).await?;
    assert!(ctx.providers().await?.is_empty());
    Ok(())
}

#[tokio::test]
async fn bad_issuers_namespaces_and_an_overlong_policy_write_nothing() -> Result<(), Error> {
    let ctx = ctx().await?;
    for (bad, field) in [
        (deployment("fiery-nebula-1234", "http://oidc.example.com/id/1"), "issuer"),
        (deployment("Not_A_Label", ISSUER_A), "namespace"),
        (deployment("fiery-nebula-1234", ""), "issuer"),
    ] {
        match plan_attach_role(&ctx.iam, &request("astro-cmi", true, vec![bad.clone()])).await {
            Err(err) => {
                assert_eq!(err.code(), "refused", "{err}");
                assert!(err.to_string().contains(&format!("Deployment {}: {field}", bad.label)), "{err}");
            }
            Ok(_) => return Err(format!("{bad:?} was planned").into()),
        }
    }
    // Twenty Deployments need far more than IAM's 2,048 characters: blocked before any write.
    let many: Vec<CmiDeployment> =
        (0..20).map(|i| deployment(&format!("deployment-{i:04}"), ISSUER_A)).collect();
    let plan = plan_attach_role(&ctx.iam, &request("astro-cmi", true, many)).await?;
    assert!(plan.trust.plan.blocked);
    match apply_attach_role(&ctx.iam, &plan, true, &ctx.journal).await {
        Err(err) => assert_eq!(err.code(), "refused"),
        Ok(_) => return Err("an over-quota policy was applied".into()),
    }
    assert!(ctx.providers().await?.is_empty(), "no provider was created for a blocked plan");
    assert!(ctx.journal.entries()?.is_empty());
    assert_eq!(ctx.trust("astro-cmi").await?, None);
    Ok(())
}
