//! Plans without credentials: stores that answer the planners' reads from what the user
//! pasted (a role's trust policy, a resource's IAM policy) and refuse every write. The
//! planners are the online ones, so an offline plan is the same object with the same diff,
//! lints, size and forecast — made from the given "before" instead of a read.

use astro_identity_domain::aws::arn::Partition;
use astro_identity_domain::aws::trust_policy::TrustPolicy;
use astro_identity_domain::gcp::iam_policy::IamPolicy;

use crate::CloudError;
use crate::aws::iam::{Caller, NewRole, OidcProvider, RoleState, RoleStore};
use crate::gcp::projects::{PolicyResource, PolicyStore};

/// What an offline caller is called in plans ("Acting as …").
pub const OFFLINE_CALLER: &str = "no credentials (offline plan)";

fn no_writes() -> CloudError {
    CloudError::Refused {
        reason: String::from("an offline plan is for review: nothing can be written with it"),
        hint: String::from("Export it, or plan again with credentials to apply it."),
    }
}

/// A role as pasted: `None` when the plan is for a new role.
pub struct OfflineAws {
    caller: Caller,
    role: Option<RoleState>,
}

impl OfflineAws {
    /// `account` (12 digits) is needed only where ARNs are built from it (OIDC providers,
    /// the role's ARN); without it they are left out.
    pub fn new(account: Option<&str>, role_name: &str, current: Option<TrustPolicy>) -> Self {
        let account = account.map(str::trim).unwrap_or_default().to_owned();
        let arn = format!("arn:{}:iam::{account}:role/{role_name}", Partition::Aws.as_str());
        let role = current.map(|trust_policy| RoleState {
            name: role_name.to_owned(),
            arn,
            path: String::from("/"),
            description: None,
            max_session_duration: None,
            trust_policy,
        });
        Self { caller: Caller { account, arn: OFFLINE_CALLER.to_owned() }, role }
    }
}

impl RoleStore for OfflineAws {
    async fn caller(&self) -> Result<Caller, CloudError> {
        Ok(self.caller.clone())
    }
    async fn get_role(&self, name: &str) -> Result<Option<RoleState>, CloudError> {
        Ok(self.role.clone().filter(|role| role.name == name))
    }
    async fn create_role(&self, _: &NewRole, _: &TrustPolicy) -> Result<RoleState, CloudError> {
        Err(no_writes())
    }
    async fn update_trust_policy(&self, _: &str, _: &TrustPolicy) -> Result<(), CloudError> {
        Err(no_writes())
    }
    async fn delete_role(&self, _: &str) -> Result<(), CloudError> {
        Err(no_writes())
    }
    async fn attached_policies(&self, _: &str) -> Result<Vec<String>, CloudError> {
        Ok(Vec::new())
    }
    async fn attach_policy(&self, _: &str, _: &str) -> Result<(), CloudError> {
        Err(no_writes())
    }
    async fn detach_policy(&self, _: &str, _: &str) -> Result<(), CloudError> {
        Err(no_writes())
    }
    async fn inline_policy(&self, _: &str, _: &str) -> Result<Option<String>, CloudError> {
        Ok(None)
    }
    async fn put_inline_policy(&self, _: &str, _: &str, _: &str) -> Result<(), CloudError> {
        Err(no_writes())
    }
    async fn delete_inline_policy(&self, _: &str, _: &str) -> Result<(), CloudError> {
        Err(no_writes())
    }
    /// Unknown offline: planned as missing, and every export creates a provider only where
    /// it is missing.
    async fn oidc_provider(&self, _: &str) -> Result<Option<OidcProvider>, CloudError> {
        Ok(None)
    }
}

/// IAM policies as pasted, by resource; any other resource's policy is empty.
#[derive(Default)]
pub struct OfflineGcp {
    policies: Vec<(PolicyResource, IamPolicy)>,
}

impl OfflineGcp {
    pub fn new(policies: Vec<(PolicyResource, IamPolicy)>) -> Self {
        Self { policies }
    }
}

impl PolicyStore for OfflineGcp {
    async fn get_policy(&self, resource: &PolicyResource) -> Result<IamPolicy, CloudError> {
        match self.policies.iter().find(|(known, _)| known == resource) {
            Some((_, policy)) => Ok(policy.clone()),
            None => Ok(IamPolicy::parse("{}")?),
        }
    }
    async fn set_policy(&self, _: &PolicyResource, _: &IamPolicy) -> Result<IamPolicy, CloudError> {
        Err(no_writes())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::aws::trust_change::plan_trust_change;
    use crate::export::{RolePermissions, trust_export};
    use astro_identity_domain::aws::arn::WorkloadIdentityArn;
    use astro_identity_domain::export::{ExportFormat, render};

    const ASTRO: &str = "arn:aws:iam::111122223333:role/astro-stellar-apogee-4567";

    fn trust(text: &str) -> TrustPolicy {
        TrustPolicy::parse(text).expect("valid")
    }

    #[tokio::test]
    async fn offline_stores_answer_reads_from_what_was_given_and_refuse_every_write() {
        let policy = trust(
            r#"{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"Service":"ec2.amazonaws.com"},"Action":"sts:AssumeRole"}]}"#,
        );
        let aws = OfflineAws::new(Some("123456789012"), "data", Some(policy.clone()));
        assert_eq!(aws.caller().await.expect("caller").arn, OFFLINE_CALLER);
        assert_eq!(aws.get_role("data").await.expect("read").map(|r| r.trust_policy), Some(policy.clone()));
        assert!(aws.get_role("other").await.expect("read").is_none());
        assert!(
            aws.oidc_provider("arn:aws:iam::123456789012:oidc-provider/x").await.expect("read").is_none()
        );
        let refused = aws.update_trust_policy("data", &policy).await.expect_err("no writes");
        assert_eq!(refused.code(), "refused");
        assert!(refused.to_string().contains("nothing can be written"), "{refused}");

        let project = PolicyResource::Project(String::from("astro-data"));
        let pasted =
            IamPolicy::parse(r#"{"bindings":[{"role":"roles/viewer","members":["user:a@example.com"]}]}"#)
                .expect("valid");
        let gcp = OfflineGcp::new(vec![(project.clone(), pasted.clone())]);
        assert_eq!(gcp.get_policy(&project).await.expect("read"), pasted);
        let other =
            PolicyResource::ServiceAccount(String::from("etl-runner@astro-data.iam.gserviceaccount.com"));
        assert_eq!(gcp.get_policy(&other).await.expect("read").to_compact_json(), "{}");
        assert_eq!(gcp.set_policy(&project, &pasted).await.expect_err("no writes").code(), "refused");
    }

    #[tokio::test]
    async fn an_offline_plan_keeps_the_pasted_statements_and_its_export_says_where_it_came_from() {
        let pasted = trust(
            r#"{"Version":"2012-10-17","Statement":[{"Sid":"Keep","Effect":"Allow","Principal":{"Service":"ec2.amazonaws.com"},"Action":"sts:AssumeRole"}]}"#,
        );
        let store = OfflineAws::new(None, "data", Some(pasted));
        let identity = WorkloadIdentityArn::parse(ASTRO).expect("arn");
        let change = plan_trust_change(&store, "data", &[identity], None, 2048).await.expect("plan");
        assert!(change.plan.after_json.contains("\"Sid\": \"Keep\""), "{}", change.plan.after_json);
        assert_eq!(change.plan.added, [ASTRO]);
        let text = render(
            &trust_export(&change, &RolePermissions::default()).expect("export"),
            ExportFormat::Terraform,
        )
        .expect("render");
        assert!(text.contains("(offline, without credentials, from the trust policy given)"), "{text}");
        assert!(text.contains("import {"), "an existing role is imported");

        let store = OfflineAws::new(None, "fresh", None);
        let identity = WorkloadIdentityArn::parse(ASTRO).expect("arn");
        let create = NewRole {
            name: String::from("fresh"),
            path: None,
            description: None,
            max_session_duration: None,
            tags: Vec::new(),
        };
        let change = plan_trust_change(&store, "fresh", &[identity], Some(create), 2048).await.expect("plan");
        let text = render(
            &trust_export(&change, &RolePermissions::default()).expect("export"),
            ExportFormat::AwsCli,
        )
        .expect("render");
        assert!(text.contains("(offline, without credentials, for a new role)"), "{text}");
        assert!(!text.contains("astro-deployments"), "only what was planned");
    }
}
