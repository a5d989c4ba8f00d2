//! Customer Managed Identity on GCP, the IAM half: the customer's service account gets its
//! roles on the project, and each Deployment's Astro identity may create its tokens
//! (`roles/iam.serviceAccountTokenCreator` on the account). Every grant is a change of the
//! engine (journaled, verified, undoable); setting the Deployments' workload identity is
//! `crate::deployment_identity`, done by the caller after these.
//!
//! Which binding the Astro UI's own gcloud command makes for an attached account is not in
//! Astro's public docs or API reference (they say only "run the provided command"). The one
//! they document is Token Creator for the Deployment's `astro-<namespace>@…` identity, used
//! with the connection's `impersonation_chain`; GKE Workload Identity
//! (`roles/iam.workloadIdentityUser` for `…svc.id.goog[<ns>/<ksa>]`) would need Astro's
//! cluster project, which the API does not give.

use serde::Serialize;

use astro_identity_domain::astro::Deployment;
use astro_identity_domain::gcp::catalog::TOKEN_CREATOR_ROLE;
use astro_identity_domain::gcp::identity::{ProjectId, ServiceAccountEmail};

use crate::CloudError;
use crate::backoff::Backoff;
use crate::gcp::binding_change::{BindingChange, BindingOutcome, apply_binding, plan_grant};
use crate::gcp::projects::{PolicyResource, PolicyStore};
use crate::journal::Journal;

/// What attaching asks for. `deployments` are as read from the Astro API just before.
pub struct AttachSaRequest<'a> {
    pub service_account: &'a ServiceAccountEmail,
    /// Where `roles` are granted; required when there are roles.
    pub project: Option<&'a ProjectId>,
    pub roles: &'a [String],
    pub deployments: &'a [Deployment],
}

/// One Deployment's identity change, as the plan shows it.
#[derive(Debug, Clone, Serialize)]
#[cfg_attr(feature = "specta", derive(specta::Type))]
#[serde(rename_all = "camelCase")]
pub struct IdentityStep {
    pub deployment_id: String,
    pub name: String,
    /// The identity in force now; `None` when it has none.
    pub from: Option<String>,
    pub to: String,
    pub changed: bool,
}

/// The whole plan: the grants in the order they are applied, then the identity changes.
#[derive(Debug, Clone, Serialize)]
#[cfg_attr(feature = "specta", derive(specta::Type))]
#[serde(rename_all = "camelCase")]
pub struct AttachSaPlan {
    pub service_account: String,
    pub grants: Vec<BindingChange>,
    pub identities: Vec<IdentityStep>,
    /// A grant has an error lint: nothing may be applied.
    pub blocked: bool,
    /// A grant has a warning the user must accept.
    pub needs_confirmation: bool,
    /// Applying writes something (a grant or an identity).
    pub changed: bool,
}

impl AttachSaPlan {
    /// Why no part of the plan may be applied, naming the first grant with errors.
    pub fn blocked_refusal(&self) -> Option<CloudError> {
        self.grants.iter().find(|g| g.plan.blocked).map(|blocked| CloudError::Refused {
            reason: format!("the grant on {} has errors, nothing was written", blocked.resource),
            hint: String::from("Fix the errors listed in the plan, then plan again."),
        })
    }
}

/// The members that must be able to impersonate the account: each Deployment's identity in
/// force, unless it already is the account (then its binding was made when it was attached,
/// and its Astro identity is no longer shown by the API).
fn impersonators(deployments: &[Deployment], account: &ServiceAccountEmail) -> Vec<String> {
    let mut members: Vec<String> = deployments
        .iter()
        .filter_map(|d| d.gcp_identity().ok())
        .filter(|identity| identity.as_str() != account.as_str())
        .map(|identity| identity.member())
        .collect();
    members.dedup();
    members
}

/// Reads the project's and the account's IAM policies and plans every grant. Writes nothing.
pub async fn plan_attach_sa(
    store: &impl PolicyStore,
    request: &AttachSaRequest<'_>,
    principal: Option<String>,
) -> Result<AttachSaPlan, CloudError> {
    let account = request.service_account;
    if request.deployments.is_empty() {
        return Err(CloudError::Refused {
            reason: String::from("no Deployment to attach the service account to"),
            hint: String::from("Pick at least one Deployment on Google Cloud."),
        });
    }
    for deployment in request.deployments {
        // Refuses, naming it, a Deployment on another cloud or without an identity.
        deployment.gcp_identity()?;
    }
    let mut grants = Vec::new();
    if !request.roles.is_empty() {
        let project = request.project.ok_or_else(|| CloudError::Refused {
            reason: String::from("roles to grant need a project"),
            hint: String::from("Give the project the service account's roles are granted on."),
        })?;
        let resource = PolicyResource::project(project);
        for role in request.roles {
            let members = [account.member()];
            grants.push(plan_grant(store, &resource, role.trim(), &members, None, principal.clone()).await?);
        }
    }
    let members = impersonators(request.deployments, account);
    if !members.is_empty() {
        let resource = PolicyResource::service_account(account);
        grants.push(plan_grant(store, &resource, TOKEN_CREATOR_ROLE, &members, None, principal).await?);
    }
    let identities: Vec<IdentityStep> = request
        .deployments
        .iter()
        .map(|d| IdentityStep {
            deployment_id: d.id.clone(),
            name: d.name.clone(),
            from: d.workload_identity.clone(),
            to: account.as_str().to_owned(),
            changed: d.workload_identity.as_deref() != Some(account.as_str()),
        })
        .collect();
    Ok(AttachSaPlan {
        service_account: account.as_str().to_owned(),
        blocked: grants.iter().any(|g| g.plan.blocked),
        needs_confirmation: grants.iter().any(|g| g.plan.needs_confirmation),
        changed: grants.iter().any(|g| g.plan.changed) || identities.iter().any(|i| i.changed),
        grants,
        identities,
    })
}

/// Applies the plan's grants that change something, in order; refuses the whole plan when a
/// grant is blocked, or has warnings not confirmed, before writing anything.
pub async fn apply_attach_sa(
    store: &impl PolicyStore,
    plan: &AttachSaPlan,
    confirm_warnings: bool,
    journal: &Journal,
    backoff: Backoff,
) -> Result<Vec<BindingOutcome>, CloudError> {
    if let Some(refusal) = plan.blocked_refusal() {
        return Err(refusal);
    }
    if plan.needs_confirmation && !confirm_warnings {
        return Err(CloudError::Refused {
            reason: String::from("the plan has warnings that were not confirmed, nothing was written"),
            hint: String::from("Read the warnings and confirm them, then apply again."),
        });
    }
    let mut outcomes = Vec::new();
    for change in plan.grants.iter().filter(|g| g.plan.changed) {
        outcomes.push(apply_binding(store, change, confirm_warnings, journal, backoff).await?);
    }
    Ok(outcomes)
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use astro_identity_domain::gcp::iam_policy::IamPolicy;

    use super::*;
    use crate::fakes::{MemoryPolicies, TempJournal};

    const RUNNER: &str = "etl-runner@astro-data.iam.gserviceaccount.com";

    fn deployment(id: &str, cloud: &str, identity: Option<&str>) -> Deployment {
        Deployment::from_api(&json!({
            "id": id, "name": format!("d {id}"), "organizationId": "clorg", "workspaceId": "clws",
            "cloudProvider": cloud, "namespace": format!("ns-{id}"),
            "effectiveWorkloadIdentity": identity,
        }))
        .expect("valid")
    }

    fn astro_sa(ns: &str) -> String {
        format!("astro-{ns}@astronomer-prod.iam.gserviceaccount.com")
    }

    fn store(journal: &crate::journal::Journal) -> MemoryPolicies {
        let viewer = IamPolicy::from_value(
            json!({"bindings": [{"role": "roles/viewer", "members": ["user:ada@example.com"]}]}),
        )
        .expect("valid");
        let account = ServiceAccountEmail::parse(RUNNER).expect("valid");
        let project = ProjectId::parse("astro-data").expect("valid");
        MemoryPolicies::watching(journal)
            .with_policy(&PolicyResource::project(&project), &viewer)
            .with_policy(
                &PolicyResource::service_account(&account),
                &IamPolicy::from_value(json!({})).expect("valid"),
            )
    }

    #[tokio::test]
    async fn plans_roles_then_token_creation_for_each_astro_identity_but_not_for_one_attached_already() {
        let temp = TempJournal::new();
        let store = store(&temp.journal);
        let account = ServiceAccountEmail::parse(RUNNER).expect("valid");
        let project = ProjectId::parse("astro-data").expect("valid");
        let roles = [String::from("roles/bigquery.jobUser"), String::from(" roles/storage.objectViewer ")];
        let deployments =
            [deployment("d1", "GCP", Some(&astro_sa("ns-d1"))), deployment("d2", "GCP", Some(RUNNER))];
        let request = AttachSaRequest {
            service_account: &account,
            project: Some(&project),
            roles: &roles,
            deployments: &deployments,
        };
        let plan = plan_attach_sa(&store, &request, None).await.expect("planned");
        let grants: Vec<(String, &str, Vec<String>)> = plan
            .grants
            .iter()
            .map(|g| (g.resource.to_string(), g.plan.role.as_str(), g.plan.members.clone()))
            .collect();
        assert_eq!(
            grants,
            [
                (
                    String::from("project astro-data"),
                    "roles/bigquery.jobUser",
                    vec![format!("serviceAccount:{RUNNER}")]
                ),
                (
                    String::from("project astro-data"),
                    "roles/storage.objectViewer",
                    vec![format!("serviceAccount:{RUNNER}")]
                ),
                (
                    format!("service account {RUNNER}"),
                    TOKEN_CREATOR_ROLE,
                    vec![format!("serviceAccount:{}", astro_sa("ns-d1"))]
                ),
            ]
        );
        let changed: Vec<bool> = plan.identities.iter().map(|i| i.changed).collect();
        assert_eq!(changed, [true, false]);
        assert!(plan.changed && !plan.blocked);
        assert_eq!(*store.writes.borrow(), 0, "planning writes nothing");

        let outcomes =
            apply_attach_sa(&store, &plan, false, &temp.journal, Backoff::ONCE).await.expect("applied");
        assert_eq!(outcomes.len(), 3);
        assert!(outcomes.iter().all(|o| o.verified && o.journal_id.is_some()));
        let project_policy = store.policy(&PolicyResource::project(&project));
        assert!(project_policy.as_value().to_string().contains("user:ada@example.com"), "others kept");
        // Applied again from a fresh plan: nothing left to grant.
        let again = plan_attach_sa(&store, &request, None).await.expect("planned");
        assert!(again.grants.iter().all(|g| !g.plan.changed));
    }

    #[tokio::test]
    async fn refuses_before_any_write() {
        let temp = TempJournal::new();
        let store = store(&temp.journal);
        let account = ServiceAccountEmail::parse(RUNNER).expect("valid");
        let project = ProjectId::parse("astro-data").expect("valid");
        let roles = [String::from("roles/bigquery.jobUser")];
        let gcp = [deployment("d1", "GCP", Some(&astro_sa("ns-d1")))];

        // Another cloud, no identity, no Deployment, roles without a project.
        for (deployments, project, words) in [
            (vec![deployment("a1", "AWS", Some("arn:aws:iam::123456789012:role/x"))], Some(&project), "AWS"),
            (vec![deployment("g9", "GCP", None)], Some(&project), "no workload identity"),
            (Vec::new(), Some(&project), "no Deployment"),
            (gcp.to_vec(), None, "need a project"),
        ] {
            let request = AttachSaRequest {
                service_account: &account,
                project,
                roles: &roles,
                deployments: &deployments,
            };
            let err = plan_attach_sa(&store, &request, None).await.expect_err(words);
            assert!(err.to_string().contains(words), "{words}: {err}");
        }

        // A role IAM would refuse blocks the whole plan, named, confirmed or not.
        let bad = [String::from("bigquery.jobUser"), String::from("roles/storage.objectViewer")];
        let request = AttachSaRequest {
            service_account: &account,
            project: Some(&project),
            roles: &bad,
            deployments: &gcp,
        };
        let plan = plan_attach_sa(&store, &request, None).await.expect("planned");
        assert!(plan.blocked);
        let refusal = plan.blocked_refusal().expect("refused").to_string();
        assert!(refusal.contains("the grant on project astro-data has errors"), "{refusal}");
        let err =
            apply_attach_sa(&store, &plan, true, &temp.journal, Backoff::ONCE).await.expect_err("blocked");
        assert_eq!(err.to_string(), refusal);
        assert_eq!(*store.writes.borrow(), 0);

        // A basic role warns: not applied unconfirmed, nothing written.
        let owner = [String::from("roles/owner")];
        let request = AttachSaRequest {
            service_account: &account,
            project: Some(&project),
            roles: &owner,
            deployments: &gcp,
        };
        let plan = plan_attach_sa(&store, &request, None).await.expect("planned");
        assert!(plan.needs_confirmation, "{:?}", plan.grants[0].plan.lints);
        let err = apply_attach_sa(&store, &plan, false, &temp.journal, Backoff::ONCE)
            .await
            .expect_err("unconfirmed");
        assert!(err.to_string().contains("not confirmed"), "{err}");
        assert_eq!(*store.writes.borrow(), 0);
        assert!(temp.journal.entries().expect("read").is_empty());
    }
}
