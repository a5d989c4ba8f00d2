//! Who can reach what: the Astro identities a trust policy or an IAM policy admits, and the
//! same policy without one of them (offboarding). Pure: the cloud crate reads the policies.
//!
//! An Astro identity is recognised exactly, as a Deployment's workload identity read from the
//! Astro API (or its namespace's Kubernetes service accounts, Customer Managed Identity), or
//! by its shape when no token is at hand: an IAM role or a Google service account whose name
//! starts with `astro-`, or a `system:serviceaccount:NS:NS-…` subject. Rows say which.

use serde::{Deserialize, Serialize};
use serde_json::Value;

use crate::astro::Deployment;
use crate::aws::cmi::{WebIdentityTrust, untrust_web_identity};
use crate::aws::trust_policy::{TrustPolicy, is_allow, strings as trust_strings};
use crate::gcp::iam_policy::IamPolicy;

/// How a row was tied to a Deployment.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "specta", derive(specta::Type))]
#[serde(rename_all = "camelCase")]
pub enum Matched {
    /// The identity is a Deployment's, as the Astro API reports it.
    Exact,
    /// It looks like an Astro identity; no Deployment from the API has it.
    Shape,
}

/// The Deployment an identity belongs to, when known.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "specta", derive(specta::Type))]
#[serde(rename_all = "camelCase")]
pub struct DeploymentTag {
    pub id: String,
    pub name: String,
}

/// One Astro identity a trust policy admits.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "specta", derive(specta::Type))]
#[serde(rename_all = "camelCase", tag = "kind")]
pub enum TrustHolder {
    /// An IAM role ARN in an `AWS` principal.
    Role { arn: String },
    /// A namespace's service accounts through a cluster's OIDC provider.
    WebIdentity { provider_arn: String, issuer: String, namespace: String, subjects: Vec<String> },
}

impl TrustHolder {
    /// What the inventory shows and `revoke --identity` takes: the ARN, or `NS@ISSUER`.
    pub fn identity(&self) -> String {
        match self {
            Self::Role { arn } => arn.clone(),
            Self::WebIdentity { issuer, namespace, .. } => format!("{namespace}@{issuer}"),
        }
    }
}

/// The Deployment whose identity (or namespace) this is, among `deployments`.
pub fn deployment_of<'a>(
    identity: &str,
    namespace: Option<&str>,
    deployments: &'a [Deployment],
) -> Option<&'a Deployment> {
    deployments.iter().find(|d| match namespace {
        Some(ns) => d.namespace == ns,
        None => d.workload_identity.as_deref().is_some_and(|w| w.eq_ignore_ascii_case(identity)),
    })
}

/// A role name (or service-account name) Astro gives a Deployment's default identity.
fn astro_shaped(name: &str) -> bool {
    name.starts_with("astro-")
}

/// The strings of a principal or condition value, owned.
fn strings(value: Option<&Value>) -> Vec<String> {
    value.map(trust_strings).unwrap_or_default().into_iter().map(str::to_owned).collect()
}

/// `NS` of `system:serviceaccount:NS:NS-…`, the shape of a Deployment's service accounts.
fn namespace_of(subject: &str) -> Option<&str> {
    let rest = subject.strip_prefix("system:serviceaccount:")?;
    let (namespace, account) = rest.split_once(':')?;
    (!namespace.is_empty() && !namespace.contains('*') && account.starts_with(&format!("{namespace}-")))
        .then_some(namespace)
}

/// Every Astro identity `policy` admits: Astro-shaped (or `known`) role ARNs in `AWS`
/// principals of `Allow` statements, and Deployment-shaped subjects per namespace through each
/// OIDC provider. In the order they appear, each once.
pub fn trust_holders(policy: &TrustPolicy, known: &[String]) -> Vec<TrustHolder> {
    let mut holders: Vec<TrustHolder> = Vec::new();
    for statement in policy.statements() {
        if !is_allow(statement) {
            continue;
        }
        let principal = statement.get("Principal");
        for arn in strings(principal.and_then(|p| p.get("AWS"))) {
            let name = arn.rsplit('/').next().unwrap_or_default();
            let role = arn.contains(":role/");
            if role && (astro_shaped(name) || known.iter().any(|k| k.eq_ignore_ascii_case(&arn))) {
                let holder = TrustHolder::Role { arn };
                if !holders.contains(&holder) {
                    holders.push(holder);
                }
            }
        }
        for provider_arn in strings(principal.and_then(|p| p.get("Federated"))) {
            let Some((_, issuer)) = provider_arn.split_once(":oidc-provider/") else { continue };
            let sub_key = format!("{issuer}:sub");
            let mut by_namespace: Vec<(String, Vec<String>)> = Vec::new();
            let conditions = statement.get("Condition").and_then(Value::as_object);
            for keys in conditions.into_iter().flat_map(|c| c.values()) {
                for subject in strings(keys.get(&sub_key)) {
                    let Some(namespace) = namespace_of(&subject) else { continue };
                    match by_namespace.iter_mut().find(|(ns, _)| ns == namespace) {
                        Some((_, subjects)) => subjects.push(subject.clone()),
                        None => by_namespace.push((namespace.to_owned(), vec![subject.clone()])),
                    }
                }
            }
            for (namespace, subjects) in by_namespace {
                let found = holders.iter_mut().find(|h| {
                    matches!(h, TrustHolder::WebIdentity { provider_arn: p, namespace: n, .. } if *p == provider_arn && *n == namespace)
                });
                match found {
                    Some(TrustHolder::WebIdentity { subjects: known, .. }) => {
                        known.extend(subjects.into_iter().filter(|s| !known.contains(s)).collect::<Vec<_>>());
                    }
                    _ => holders.push(TrustHolder::WebIdentity {
                        provider_arn: provider_arn.clone(),
                        issuer: issuer.to_owned(),
                        namespace,
                        subjects,
                    }),
                }
            }
        }
    }
    holders
}

/// `policy` without `holder`: the role ARN leaves the `AWS` principal of every `Allow`
/// statement naming it (conditional ones too: offboarding means everywhere), the subjects leave
/// their provider's statements; everything else is kept. A statement left without any
/// principal — it admitted no one else — goes.
pub fn revoke_from_trust(policy: &TrustPolicy, holder: &TrustHolder) -> TrustPolicy {
    match holder {
        TrustHolder::Role { arn } => remove_role_everywhere(policy, arn),
        TrustHolder::WebIdentity { provider_arn, issuer, subjects, .. } => {
            let trust = WebIdentityTrust {
                provider_arn: provider_arn.clone(),
                issuer: issuer.clone(),
                subjects: subjects.clone(),
            };
            untrust_web_identity(policy, &trust)
        }
    }
}

fn remove_role_everywhere(policy: &TrustPolicy, arn: &str) -> TrustPolicy {
    let mut doc = policy.as_value().clone();
    let emptied = |statement: &mut Value| -> bool {
        if statement.get("Effect").and_then(Value::as_str) != Some("Allow") {
            return false;
        }
        let Some(principal) = statement.get_mut("Principal").and_then(Value::as_object_mut) else {
            return false;
        };
        let gone = match principal.get_mut("AWS") {
            Some(Value::String(s)) => s == arn,
            Some(Value::Array(items)) => {
                items.retain(|v| v.as_str() != Some(arn));
                items.is_empty()
            }
            _ => false,
        };
        if gone {
            principal.remove("AWS");
        }
        principal.is_empty()
    };
    let single_emptied = match doc.get_mut("Statement") {
        Some(Value::Array(items)) => {
            items.retain_mut(|s| !emptied(s));
            false
        }
        Some(one @ Value::Object(_)) => emptied(one),
        _ => false,
    };
    if single_emptied {
        doc["Statement"] = Value::Array(Vec::new());
    }
    TrustPolicy::from_value(doc).unwrap_or_else(|_| policy.clone())
}

/// One binding of an IAM policy held by an Astro identity.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "specta", derive(specta::Type))]
#[serde(rename_all = "camelCase")]
pub struct BindingHolder {
    /// `serviceAccount:…`
    pub member: String,
    pub role: String,
    /// The condition's title, when the binding has one.
    pub condition: Option<String>,
}

/// Every binding `policy` gives an Astro-shaped (or `known`) service account.
pub fn binding_holders(policy: &IamPolicy, known: &[String]) -> Vec<BindingHolder> {
    policy
        .grants()
        .into_iter()
        .filter(|grant| {
            let Some(email) = grant.member.strip_prefix("serviceAccount:") else { return false };
            astro_shaped(email) || known.iter().any(|k| k.eq_ignore_ascii_case(email))
        })
        .map(|grant| BindingHolder {
            member: grant.member.clone(),
            role: grant.role.clone(),
            condition: grant.condition.as_ref().map(|c| c.title.clone()),
        })
        .collect()
}

/// `policy` without any binding of `member`, conditional ones included; others untouched.
pub fn revoke_from_bindings(policy: &IamPolicy, member: &str) -> IamPolicy {
    policy
        .grants()
        .into_iter()
        .filter(|grant| grant.member == member)
        .fold(policy.clone(), |policy, grant| {
            policy.remove_member(&grant.role, member, grant.condition.as_ref())
        })
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    const PROVIDER: &str = "arn:aws:iam::123456789012:oidc-provider/oidc.astronomer.io/aws";

    fn trust() -> TrustPolicy {
        TrustPolicy::from_value(json!({"Version": "2012-10-17", "Statement": [
            {"Effect": "Allow", "Principal": {"AWS": [
                "arn:aws:iam::111122223333:role/astro-fiery-nebula-1234",
                "arn:aws:iam::123456789012:role/ci",
                "arn:aws:iam::111122223333:role/astro-lunar-crater-0815"]}, "Action": "sts:AssumeRole"},
            {"Effect": "Allow", "Principal": {"Federated": PROVIDER}, "Action": "sts:AssumeRoleWithWebIdentity",
             "Condition": {"StringEquals": {"oidc.astronomer.io/aws:aud": "sts.amazonaws.com",
                "oidc.astronomer.io/aws:sub": [
                    "system:serviceaccount:sales-1:sales-1-worker-serviceaccount",
                    "system:serviceaccount:sales-1:sales-1-scheduler-serviceaccount",
                    "system:serviceaccount:ml-2:ml-2-worker-serviceaccount"]}}},
            {"Effect": "Deny", "Principal": {"AWS": "arn:aws:iam::111122223333:role/astro-banned-0001"}, "Action": "sts:AssumeRole"},
            {"Sid": "Vendor", "Effect": "Allow", "Principal": {"AWS": "arn:aws:iam::111122223333:role/astro-fiery-nebula-1234"},
             "Action": "sts:AssumeRole", "Condition": {"StringEquals": {"sts:ExternalId": "x"}}}
        ]}))
        .expect("valid")
    }

    #[test]
    fn finds_astro_roles_and_namespaces_but_not_others_or_denials() {
        let holders = trust_holders(&trust(), &[]);
        let identities: Vec<String> = holders.iter().map(TrustHolder::identity).collect();
        assert_eq!(
            identities,
            [
                "arn:aws:iam::111122223333:role/astro-fiery-nebula-1234",
                "arn:aws:iam::111122223333:role/astro-lunar-crater-0815",
                "sales-1@oidc.astronomer.io/aws",
                "ml-2@oidc.astronomer.io/aws",
            ]
        );
        let TrustHolder::WebIdentity { subjects, .. } = &holders[2] else { panic!("web identity") };
        assert_eq!(subjects.len(), 2);
        // A known customer role is found too.
        let known = [String::from("arn:aws:iam::123456789012:role/ci")];
        assert_eq!(trust_holders(&trust(), &known).len(), 5);
    }

    #[test]
    fn revoking_one_keeps_everything_else() {
        let policy = trust();
        let holders = trust_holders(&policy, &[]);
        let without = revoke_from_trust(&policy, &holders[0]);
        let text = without.to_compact_json();
        assert!(!text.contains("astro-fiery-nebula-1234"), "{text}");
        assert!(
            !text.contains("Vendor"),
            "its conditional statement, left without a principal, goes: {text}"
        );
        for kept in
            ["role/ci", "astro-lunar-crater-0815", "sales-1-worker", "ml-2-worker", "astro-banned-0001"]
        {
            assert!(text.contains(kept), "{kept} kept: {text}");
        }
        let without = revoke_from_trust(&policy, &holders[2]);
        let text = without.to_compact_json();
        assert!(!text.contains("sales-1"), "{text}");
        assert!(
            text.contains("ml-2-worker-serviceaccount") && text.contains("oidc.astronomer.io/aws:aud"),
            "{text}"
        );
    }

    #[test]
    fn bindings_of_astro_accounts_are_found_and_removed_alone() {
        let policy = IamPolicy::from_value(json!({"bindings": [
            {"role": "roles/bigquery.jobUser", "members": [
                "serviceAccount:astro-sales-1@astronomer-prod.iam.gserviceaccount.com", "user:ada@example.com"]},
            {"role": "roles/storage.objectViewer", "members": [
                "serviceAccount:astro-sales-1@astronomer-prod.iam.gserviceaccount.com"],
             "condition": {"title": "bucket", "expression": "resource.name.startsWith('b')"}},
            {"role": "roles/viewer", "members": ["serviceAccount:etl@p.iam.gserviceaccount.com"]}
        ], "version": 3}))
        .expect("valid");
        let held = binding_holders(&policy, &[]);
        assert_eq!(held.len(), 2);
        assert_eq!(held[1].condition.as_deref(), Some("bucket"));
        assert_eq!(binding_holders(&policy, &[String::from("etl@p.iam.gserviceaccount.com")]).len(), 3);
        let member = "serviceAccount:astro-sales-1@astronomer-prod.iam.gserviceaccount.com";
        let without = revoke_from_bindings(&policy, member);
        assert!(binding_holders(&without, &[]).is_empty());
        let text = without.to_compact_json();
        assert!(text.contains("user:ada@example.com") && text.contains("etl@p"), "{text}");
    }
}
