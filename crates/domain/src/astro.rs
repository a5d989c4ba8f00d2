//! Astro Deployments as the Astro API v1 describes them, and what a journey takes from one:
//! its workload identity, checked against the cloud the journey writes to.
//!
//! Field names follow Astro's generated v1 client (`astro-client-v1/api.gen.go`): a
//! `Deployment` has `id`, `name`, `organizationId`, `workspaceId`, `namespace`,
//! `cloudProvider` (`AWS|GCP|AZURE`), `region`, `clusterId`, `clusterName`, `status`,
//! `type`, `effectiveWorkloadIdentity` (older v1beta1 answers: `workloadIdentity`) and
//! `oidcIssuerUrl`. Everything else in the answer is ignored (environment variables among it:
//! nothing of them is kept).

use std::fmt;

use serde::{Deserialize, Serialize};
use serde_json::Value;

use crate::DomainError;
use crate::aws::WorkloadIdentityArn;
use crate::gcp::identity::ServiceAccountEmail;

/// Where a Deployment runs.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[cfg_attr(feature = "specta", derive(specta::Type))]
#[serde(rename_all = "UPPERCASE")]
pub enum CloudProvider {
    Aws,
    Gcp,
    Azure,
    /// A provider this app does not know yet (or none in the answer).
    Other,
}

impl CloudProvider {
    fn from_api(text: &str) -> Self {
        match text.to_ascii_uppercase().as_str() {
            "AWS" => Self::Aws,
            "GCP" => Self::Gcp,
            "AZURE" => Self::Azure,
            _ => Self::Other,
        }
    }

    pub fn label(self) -> &'static str {
        match self {
            Self::Aws => "AWS",
            Self::Gcp => "Google Cloud",
            Self::Azure => "Azure",
            Self::Other => "an unknown cloud",
        }
    }
}

impl fmt::Display for CloudProvider {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.label())
    }
}

/// One Deployment, as listed to pick from and as the CLI prints it (`--json`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "specta", derive(specta::Type))]
#[serde(rename_all = "camelCase")]
pub struct Deployment {
    pub id: String,
    pub name: String,
    pub organization_id: String,
    pub workspace_id: String,
    /// From the Workspaces list; `None` when the token cannot list Workspaces.
    pub workspace_name: Option<String>,
    pub cloud_provider: CloudProvider,
    pub region: Option<String>,
    pub cluster_id: Option<String>,
    pub cluster_name: Option<String>,
    /// `HEALTHY`, `HIBERNATING`, `CREATING`, …
    pub status: Option<String>,
    /// `STANDARD`, `DEDICATED` or `HYBRID`.
    pub deployment_type: Option<String>,
    pub namespace: String,
    pub oidc_issuer_url: Option<String>,
    /// The identity in force (`effectiveWorkloadIdentity`): an IAM role ARN on AWS, a
    /// service-account email on GCP; `None` when Astro gives none.
    pub workload_identity: Option<String>,
    /// The identity is not Astro's default for this namespace (`astro-<namespace>`): it is
    /// the customer's own role or service account.
    pub customer_managed: bool,
}

fn text(value: &Value, key: &str) -> Option<String> {
    value.get(key).and_then(Value::as_str).map(str::trim).filter(|s| !s.is_empty()).map(str::to_owned)
}

impl Deployment {
    /// Reads one Deployment of an Astro API answer. Only `id` is required: a listing should
    /// show what it can of a Deployment rather than drop it.
    pub fn from_api(value: &Value) -> Result<Self, DomainError> {
        let id = text(value, "id").ok_or_else(|| {
            DomainError::invalid(
                "deployment",
                "the Astro API listed a Deployment without an id",
                "Report this answer to Astronomer support; nothing was changed.",
            )
        })?;
        let namespace = text(value, "namespace").unwrap_or_default();
        let workload_identity =
            text(value, "effectiveWorkloadIdentity").or_else(|| text(value, "workloadIdentity"));
        let customer_managed =
            workload_identity.as_deref().is_some_and(|identity| !is_astro_default(identity, &namespace));
        Ok(Self {
            name: text(value, "name").unwrap_or_else(|| id.clone()),
            id,
            organization_id: text(value, "organizationId").unwrap_or_default(),
            workspace_id: text(value, "workspaceId").unwrap_or_default(),
            workspace_name: None,
            cloud_provider: text(value, "cloudProvider")
                .map_or(CloudProvider::Other, |c| CloudProvider::from_api(&c)),
            region: text(value, "region"),
            cluster_id: text(value, "clusterId"),
            cluster_name: text(value, "clusterName"),
            status: text(value, "status"),
            deployment_type: text(value, "type"),
            namespace,
            oidc_issuer_url: text(value, "oidcIssuerUrl"),
            workload_identity,
            customer_managed,
        })
    }

    /// "name (id)", the way messages name a Deployment.
    pub fn label(&self) -> String {
        format!("{} ({})", self.name, self.id)
    }

    /// The IAM role ARN an AWS journey trusts; refuses a Deployment on another cloud or
    /// without an identity.
    pub fn aws_identity(&self) -> Result<WorkloadIdentityArn, DomainError> {
        let identity = self.identity_on(CloudProvider::Aws)?;
        WorkloadIdentityArn::parse(identity).map_err(|e| {
            DomainError::invalid(
                "deployment",
                format!("{}'s workload identity {identity:?} is not an IAM role ARN: {e}", self.label()),
                "Check the Deployment's Workload Identity in the Astro UI.",
            )
        })
    }

    /// The service account a GCP journey grants to; refuses a Deployment on another cloud
    /// or without an identity.
    pub fn gcp_identity(&self) -> Result<ServiceAccountEmail, DomainError> {
        let identity = self.identity_on(CloudProvider::Gcp)?;
        ServiceAccountEmail::parse(identity).map_err(|e| {
            DomainError::invalid(
                "deployment",
                format!("{}'s workload identity {identity:?} is not a service account: {e}", self.label()),
                "Check the Deployment's Workload Identity in the Astro UI.",
            )
        })
    }

    fn identity_on(&self, cloud: CloudProvider) -> Result<&str, DomainError> {
        if self.cloud_provider != cloud {
            return Err(DomainError::invalid(
                "deployment",
                format!(
                    "{} runs on {}, so its workload identity cannot be authorized in {}",
                    self.label(),
                    self.cloud_provider,
                    cloud
                ),
                match self.cloud_provider {
                    CloudProvider::Aws | CloudProvider::Gcp => format!(
                        "Pick a Deployment hosted on {cloud}, or use the {} journey for this one.",
                        self.cloud_provider
                    ),
                    _ => format!(
                        "Pick a Deployment hosted on {cloud}; Deployments on {} are not supported yet.",
                        self.cloud_provider
                    ),
                },
            ));
        }
        self.workload_identity.as_deref().ok_or_else(|| {
            DomainError::invalid(
                "deployment",
                format!("{} has no workload identity yet", self.label()),
                "Wait until the Deployment is created (its status leaves CREATING), or set a workload \
                 identity on it in the Astro UI.",
            )
        })
    }
}

/// Whether `identity` is Astro's default one for `namespace`: the role `astro-<namespace>`
/// on AWS, the service account `astro-<namespace>@…` on GCP. Astro's API does not say which
/// kind it is; the default's name is fixed, so anything else was chosen by the customer.
fn is_astro_default(identity: &str, namespace: &str) -> bool {
    if namespace.is_empty() {
        return false;
    }
    let default = format!("astro-{namespace}");
    let name = match identity.split_once('@') {
        Some((local, _)) => local,
        None => identity.rsplit('/').next().unwrap_or(identity),
    };
    name == default
}

/// An Astro organization the token sees.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "specta", derive(specta::Type))]
#[serde(rename_all = "camelCase")]
pub struct Organization {
    pub id: String,
    pub name: String,
}

impl Organization {
    pub fn from_api(value: &Value) -> Option<Self> {
        let id = text(value, "id")?;
        Some(Self { name: text(value, "name").unwrap_or_else(|| id.clone()), id })
    }
}

/// Checks an Astro id typed by a person (organization, workspace, Deployment): Astro ids are
/// CUIDs, and anything else would not be one URL path segment.
pub fn check_astro_id(id: &str, what: &'static str) -> Result<(), DomainError> {
    let ok = !id.is_empty()
        && id.len() <= 64
        && id.chars().all(|c| c.is_ascii_alphanumeric() || matches!(c, '_' | '-'));
    if ok {
        Ok(())
    } else {
        Err(DomainError::invalid(
            what,
            format!("{id:?} is not an Astro {what} id"),
            format!("Copy the {what} ID from the Astro UI: letters and digits, about 25 characters."),
        ))
    }
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    fn aws() -> Value {
        json!({
            "id": "cldep1", "name": "etl", "organizationId": "clorg", "workspaceId": "clws",
            "namespace": "fiery-nebula-1234", "cloudProvider": "AWS", "region": "us-east-1",
            "clusterName": "prod", "status": "HEALTHY", "type": "DEDICATED",
            "effectiveWorkloadIdentity": "arn:aws:iam::123456789012:role/astro-fiery-nebula-1234",
            "oidcIssuerUrl": "https://oidc.example/abc",
            "environmentVariables": [{"key": "K", "isSecret": true}]
        })
    }

    #[test]
    fn a_deployment_is_read_with_its_identity() {
        let d = Deployment::from_api(&aws()).expect("valid");
        assert_eq!(d.cloud_provider, CloudProvider::Aws);
        assert_eq!(
            d.workload_identity.as_deref(),
            Some("arn:aws:iam::123456789012:role/astro-fiery-nebula-1234")
        );
        assert!(!d.customer_managed);
        assert_eq!(d.aws_identity().expect("aws").account(), "123456789012");
        assert_eq!(d.deployment_type.as_deref(), Some("DEDICATED"));
        let json = serde_json::to_value(&d).expect("json");
        assert_eq!(json["workloadIdentity"], d.workload_identity.clone().expect("identity").as_str());
        assert_eq!(json["customerManaged"], false);
        assert_eq!(json["cloudProvider"], "AWS");
    }

    #[test]
    fn the_older_field_name_is_read_too() {
        let mut value = aws();
        value.as_object_mut().expect("object").remove("effectiveWorkloadIdentity");
        value["workloadIdentity"] = json!("arn:aws:iam::123456789012:role/astro-fiery-nebula-1234");
        assert!(Deployment::from_api(&value).expect("valid").workload_identity.is_some());
    }

    #[test]
    fn a_customer_identity_is_marked() {
        let mut value = aws();
        value["effectiveWorkloadIdentity"] = json!("arn:aws:iam::111122223333:role/data-pipelines");
        assert!(Deployment::from_api(&value).expect("valid").customer_managed);
        let gcp = json!({"id": "d", "namespace": "ns-1", "cloudProvider": "GCP",
            "effectiveWorkloadIdentity": "astro-ns-1@astronomer-prod.iam.gserviceaccount.com"});
        let d = Deployment::from_api(&gcp).expect("valid");
        assert!(!d.customer_managed);
        assert_eq!(
            d.gcp_identity().expect("gcp").as_str(),
            "astro-ns-1@astronomer-prod.iam.gserviceaccount.com"
        );
        let mine = json!({"id": "d", "namespace": "ns-1", "cloudProvider": "GCP",
            "effectiveWorkloadIdentity": "etl@my-project.iam.gserviceaccount.com"});
        assert!(Deployment::from_api(&mine).expect("valid").customer_managed);
    }

    #[test]
    fn the_wrong_cloud_and_a_missing_identity_are_refused_with_the_reason() {
        let d = Deployment::from_api(&aws()).expect("valid");
        let err = d.gcp_identity().expect_err("aws deployment on gcp");
        assert_eq!(err.field(), "deployment");
        assert!(err.to_string().contains("etl (cldep1) runs on AWS"), "{err}");
        assert!(err.hint().contains("Google Cloud"), "{}", err.hint());

        let azure = Deployment::from_api(&json!({"id": "z", "cloudProvider": "AZURE",
            "effectiveWorkloadIdentity": "/subscriptions/x"}))
        .expect("valid");
        let err = azure.aws_identity().expect_err("azure");
        assert!(err.to_string().contains("runs on Azure"));
        assert!(err.hint().contains("not supported yet"), "{}", err.hint());

        let creating = Deployment::from_api(&json!({"id": "c", "name": "new", "cloudProvider": "AWS",
            "status": "CREATING"}))
        .expect("valid");
        let err = creating.aws_identity().expect_err("no identity");
        assert!(err.to_string().contains("new (c) has no workload identity"), "{err}");
        assert!(!creating.customer_managed);

        let broken = Deployment::from_api(&json!({"id": "b", "cloudProvider": "AWS",
            "effectiveWorkloadIdentity": "not-an-arn"}))
        .expect("valid");
        assert!(broken.aws_identity().expect_err("bad arn").to_string().contains("is not an IAM role ARN"));
        assert!(Deployment::from_api(&json!({"name": "no id"})).is_err());
        assert_eq!(CloudProvider::from_api("ibm"), CloudProvider::Other);
    }

    #[test]
    fn ids_are_checked() {
        check_astro_id("clx1abc_-2", "organization").expect("valid");
        for bad in ["", "../x", "a b", &"x".repeat(65)] {
            let err = check_astro_id(bad, "organization").expect_err(bad);
            assert_eq!(err.field(), "organization");
        }
    }
}

/// The body of `POST /organizations/{org}/deployments/{id}` that changes only the workload
/// identity of `current` (the Deployment as just read).
///
/// The update takes the whole Deployment; what is left out is reset or deleted, so every
/// field is sent back as read — more than Astro's CLI, which drops contact emails and the
/// hibernation spec. Environment variables go back as read: key, `isSecret`, and the value
/// only where the API returned one (never for secrets, which the platform keeps). A field
/// the update requires but the read lacks is refused here, before anything is sent.
pub fn identity_update_body(current: &Value, workload_identity: &str) -> Result<Value, DomainError> {
    use serde_json::{Map, json};

    let id = text(current, "id").unwrap_or_default();
    let missing = |field: &str| {
        DomainError::invalid(
            "deployment",
            format!("Deployment {id} was read without {field}, which its update requires"),
            "Nothing was sent. Check the Deployment in the Astro UI; report this answer if it persists.",
        )
    };
    let copy = |body: &mut Map<String, Value>, field: &str, required: bool| -> Result<(), DomainError> {
        match current.get(field).filter(|v| !v.is_null()) {
            Some(value) => {
                body.insert(field.to_owned(), value.clone());
                Ok(())
            }
            None if required => Err(missing(field)),
            None => Ok(()),
        }
    };
    let kind = text(current, "type").ok_or_else(|| missing("type"))?;
    let mut body = Map::new();
    for field in ["name", "workspaceId", "executor", "isCicdEnforced", "isDagDeployEnabled", "type"] {
        copy(&mut body, field, true)?;
    }
    for field in ["description", "contactEmails"] {
        copy(&mut body, field, false)?;
    }
    let variables: Vec<Value> = current["environmentVariables"]
        .as_array()
        .into_iter()
        .flatten()
        .map(|v| {
            let mut out = json!({"key": v["key"], "isSecret": v["isSecret"].as_bool().unwrap_or(false)});
            if let Some(value) = v.get("value").filter(|value| value.is_string()) {
                out["value"] = value.clone();
            }
            out
        })
        .collect();
    body.insert("environmentVariables".into(), Value::Array(variables));
    let hybrid = kind == "HYBRID";
    let queues: Vec<Value> = current["workerQueues"]
        .as_array()
        .into_iter()
        .flatten()
        .map(|q| {
            let mut out = Map::new();
            for field in ["id", "name", "isDefault", "maxWorkerCount", "minWorkerCount", "workerConcurrency"]
            {
                if let Some(value) = q.get(field).filter(|v| !v.is_null()) {
                    out.insert(field.into(), value.clone());
                }
            }
            let extra: &[&str] =
                if hybrid { &["nodePoolId"] } else { &["astroMachine", "podEphemeralStorage"] };
            for field in extra {
                if let Some(value) = q.get(*field).filter(|v| !v.is_null()) {
                    out.insert((*field).into(), value.clone());
                }
            }
            Value::Object(out)
        })
        .collect();
    if !queues.is_empty() {
        body.insert("workerQueues".into(), Value::Array(queues));
    }
    if hybrid {
        let au = current.get("schedulerAu").filter(|v| !v.is_null()).ok_or_else(|| missing("schedulerAu"))?;
        let replicas = current
            .get("schedulerReplicas")
            .filter(|v| !v.is_null())
            .ok_or_else(|| missing("schedulerReplicas"))?;
        body.insert("scheduler".into(), json!({"au": au, "replicas": replicas}));
        copy(&mut body, "taskPodNodePoolId", false)?;
    } else {
        copy(&mut body, "schedulerSize", true)?;
        copy(&mut body, "isHighAvailability", true)?;
        for field in [
            "isDevelopmentMode",
            "defaultTaskPodCpu",
            "defaultTaskPodMemory",
            "resourceQuotaCpu",
            "resourceQuotaMemory",
            "scalingSpec",
        ] {
            copy(&mut body, field, false)?;
        }
        let remote = &current["remoteExecution"];
        if remote["enabled"].as_bool() == Some(true) {
            let mut out = json!({"enabled": true});
            for field in ["allowedIpAddressRanges", "taskLogBucket", "taskLogUrlPattern"] {
                if let Some(value) = remote.get(field).filter(|v| !v.is_null()) {
                    out[field] = value.clone();
                }
            }
            body.insert("remoteExecution".into(), out);
        }
    }
    body.insert("workloadIdentity".into(), json!(workload_identity));
    Ok(Value::Object(body))
}

#[cfg(test)]
mod update_tests {
    use serde_json::json;

    use super::*;

    fn standard() -> Value {
        json!({
            "id": "cldep1", "name": "etl", "workspaceId": "clws", "type": "DEDICATED", "executor": "CELERY",
            "isCicdEnforced": true, "isDagDeployEnabled": false, "isHighAvailability": true,
            "isDevelopmentMode": false, "schedulerSize": "MEDIUM", "description": "Sales",
            "contactEmails": ["ops@example.com"], "defaultTaskPodCpu": "0.25", "defaultTaskPodMemory": "0.5Gi",
            "resourceQuotaCpu": "10", "resourceQuotaMemory": "20Gi",
            "scalingSpec": {"hibernationSpec": {"override": {"isHibernating": false}}},
            "remoteExecution": {"enabled": false},
            "environmentVariables": [
                {"key": "PLAIN", "isSecret": false, "value": "1", "updatedAt": "t"},
                {"key": "TOKEN", "isSecret": true, "updatedAt": "t"}
            ],
            "workerQueues": [{"id": "q1", "name": "default", "isDefault": true, "astroMachine": "A5",
                "maxWorkerCount": 10, "minWorkerCount": 0, "workerConcurrency": 5, "podCpu": "1", "podMemory": "2Gi"}],
            "effectiveWorkloadIdentity": "arn:aws:iam::1:role/astro-x", "clusterId": "clc", "region": "us-east-1",
            "cloudProvider": "AWS"
        })
    }

    #[test]
    fn only_the_identity_changes_and_secrets_go_back_without_values() {
        let body = identity_update_body(&standard(), "arn:aws:iam::123456789012:role/mine").expect("body");
        assert_eq!(body["workloadIdentity"], "arn:aws:iam::123456789012:role/mine");
        assert_eq!(
            body["environmentVariables"],
            json!([{"key": "PLAIN", "isSecret": false, "value": "1"}, {"key": "TOKEN", "isSecret": true}])
        );
        assert_eq!(body["contactEmails"], json!(["ops@example.com"]));
        assert_eq!(body["scalingSpec"], standard()["scalingSpec"]);
        assert_eq!(
            body["workerQueues"],
            json!([{"id": "q1", "name": "default", "isDefault": true, "maxWorkerCount": 10, "minWorkerCount": 0,
                "workerConcurrency": 5, "astroMachine": "A5"}])
        );
        for read_only in
            ["clusterId", "region", "cloudProvider", "effectiveWorkloadIdentity", "remoteExecution", "id"]
        {
            assert!(body.get(read_only).is_none(), "{read_only} is not sent");
        }
        assert_eq!(body["schedulerSize"], "MEDIUM");
        assert_eq!(body["isHighAvailability"], true);
    }

    #[test]
    fn hybrid_sends_its_scheduler_and_node_pools() {
        let hybrid = json!({
            "id": "h", "name": "h", "workspaceId": "w", "type": "HYBRID", "executor": "KUBERNETES",
            "isCicdEnforced": false, "isDagDeployEnabled": true, "schedulerAu": 5, "schedulerReplicas": 1,
            "taskPodNodePoolId": "np1", "environmentVariables": []
        });
        let body = identity_update_body(&hybrid, "arn:x").expect("body");
        assert_eq!(body["scheduler"], json!({"au": 5, "replicas": 1}));
        assert_eq!(body["taskPodNodePoolId"], "np1");
        assert!(body.get("schedulerSize").is_none() && body.get("isHighAvailability").is_none());
    }

    #[test]
    fn a_read_without_a_required_field_is_refused_before_sending() {
        let mut partial = standard();
        partial.as_object_mut().expect("object").remove("executor");
        let err = identity_update_body(&partial, "arn:x").expect_err("missing");
        assert!(err.to_string().contains("without executor"), "{err}");
        let mut remote = standard();
        remote["remoteExecution"] =
            json!({"enabled": true, "taskLogBucket": "b", "allowedIpAddressRanges": ["1.2.3.4/32"]});
        let body = identity_update_body(&remote, "arn:x").expect("body");
        assert_eq!(
            body["remoteExecution"],
            json!({"enabled": true, "allowedIpAddressRanges": ["1.2.3.4/32"], "taskLogBucket": "b"})
        );
    }
}
