//! Astro's Customer Managed Identity on AWS: instead of trusting Astro's role, the
//! customer's role trusts the Deployment's Kubernetes service accounts through the
//! cluster's OIDC provider.

use serde::{Deserialize, Serialize};
use serde_json::{Map, Value, json};

use super::arn::{Partition, check_account};
use super::trust_policy::{TrustPolicy, strings};
use crate::DomainError;

/// Every service account of every namespace: allowed by Astro on dedicated clusters only.
pub const WILDCARD_SUBJECT: &str = "system:serviceaccount:*:*";

const WEB_IDENTITY: &str = "sts:AssumeRoleWithWebIdentity";
const AUDIENCE: &str = "sts.amazonaws.com";

/// The service accounts of one Deployment, as `<namespace>-<suffix>`.
pub const CMI_SERVICE_ACCOUNT_SUFFIXES: [&str; 6] = [
    "kpo",
    "dag-processor-serviceaccount",
    "scheduler-serviceaccount",
    "triggerer-serviceaccount",
    "webserver-serviceaccount",
    "worker-serviceaccount",
];

/// The trust statement for a Deployment's service accounts, in the `aws` partition.
///
/// `issuer` is the OIDC issuer without `https://` (see [`oidc_issuer_host_path`]). Astro's
/// published example repeats the `:sub` key, which is not valid JSON (a parser keeps only
/// the last one); this puts all six service accounts in one `:sub` list.
pub fn customer_managed_identity_statement(
    account: &str,
    issuer: &str,
    namespace: &str,
) -> Result<Value, DomainError> {
    customer_managed_identity_statement_in(Partition::Aws, account, issuer, namespace)
}

/// [`customer_managed_identity_statement`] for a role in any partition.
pub fn customer_managed_identity_statement_in(
    partition: Partition,
    account: &str,
    issuer: &str,
    namespace: &str,
) -> Result<Value, DomainError> {
    let account = account.trim();
    check_account(account).map_err(|problem| {
        DomainError::invalid("account", problem, "the AWS account that holds the cluster's OIDC provider")
    })?;
    let issuer = check_issuer(issuer.trim())?;
    let namespace = check_namespace(namespace.trim())?;
    let subjects: Vec<String> = CMI_SERVICE_ACCOUNT_SUFFIXES
        .iter()
        .map(|suffix| format!("system:serviceaccount:{namespace}:{namespace}-{suffix}"))
        .collect();
    Ok(json!({
        "Effect": "Allow",
        "Principal": {"Federated": format!("arn:{partition}:iam::{account}:oidc-provider/{issuer}")},
        "Action": "sts:AssumeRoleWithWebIdentity",
        "Condition": {
            "StringEquals": {
                format!("{issuer}:aud"): "sts.amazonaws.com",
                format!("{issuer}:sub"): subjects,
            }
        }
    }))
}

/// The `:sub` values of one Deployment: its six Kubernetes service accounts.
pub fn deployment_subjects(namespace: &str) -> Result<Vec<String>, DomainError> {
    let namespace = check_namespace(namespace.trim())?;
    Ok(CMI_SERVICE_ACCOUNT_SUFFIXES
        .iter()
        .map(|suffix| format!("system:serviceaccount:{namespace}:{namespace}-{suffix}"))
        .collect())
}

/// What one cluster's OIDC provider must be trusted for: the provider, its issuer as IAM
/// writes it (host and path) and the `:sub` values of the Deployments on that cluster.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "specta", derive(specta::Type))]
#[serde(rename_all = "camelCase")]
pub struct WebIdentityTrust {
    pub provider_arn: String,
    pub issuer: String,
    pub subjects: Vec<String>,
}

impl WebIdentityTrust {
    /// The provider ARN for `issuer_url` in `account`, trusted for `subjects`.
    pub fn new(
        partition: Partition,
        account: &str,
        issuer_url: &str,
        subjects: Vec<String>,
    ) -> Result<Self, DomainError> {
        check_account(account.trim()).map_err(|problem| {
            DomainError::invalid("account", problem, "the AWS account of the role and the OIDC provider")
        })?;
        let issuer = oidc_issuer_host_path(issuer_url)?;
        Ok(Self {
            provider_arn: format!("arn:{partition}:iam::{}:oidc-provider/{issuer}", account.trim()),
            issuer,
            subjects,
        })
    }

    /// Literal subjects are matched exactly; a wildcard needs `StringLike`, in a statement of
    /// its own (two operators on one key would both have to match).
    fn operator(&self) -> &'static str {
        if self.subjects.iter().any(|s| s.contains('*') || s.contains('?')) {
            "StringLike"
        } else {
            "StringEquals"
        }
    }

    fn statement(&self) -> Value {
        let operator = self.operator();
        let mut condition = Map::new();
        if operator == "StringEquals" {
            condition.insert(
                operator.into(),
                json!({format!("{}:aud", self.issuer): AUDIENCE, format!("{}:sub", self.issuer): self.subjects}),
            );
        } else {
            condition.insert("StringEquals".into(), json!({format!("{}:aud", self.issuer): AUDIENCE}));
            condition.insert(operator.into(), json!({format!("{}:sub", self.issuer): self.subjects}));
        }
        json!({
            "Effect": "Allow",
            "Principal": {"Federated": self.provider_arn},
            "Action": WEB_IDENTITY,
            "Condition": Value::Object(condition),
        })
    }

    /// The condition operator holding `:sub` when `statement` allows exactly the web identity
    /// action to exactly this provider, under no condition but `aud` and `sub`. Only such a
    /// statement is extended: adding Deployments to a statement with other conditions would
    /// put them under those too. Literal subjects may join a `StringLike` list (as Astro's own
    /// script writes it: a value without `*` or `?` matches only itself); a wildcard only a
    /// `StringLike` one.
    fn sub_operator(&self, statement: &Map<String, Value>) -> Option<&'static str> {
        let one = |value: Option<&Value>, wanted: &str| match value {
            Some(Value::String(s)) => s == wanted,
            Some(Value::Array(items)) => items.len() == 1 && items[0] == wanted,
            _ => false,
        };
        let principal_ok = statement
            .get("Principal")
            .and_then(Value::as_object)
            .is_some_and(|p| p.len() == 1 && one(p.get("Federated"), &self.provider_arn));
        if statement.get("Effect") != Some(&json!("Allow"))
            || !principal_ok
            || !one(statement.get("Action"), WEB_IDENTITY)
            || statement
                .keys()
                .any(|k| !matches!(k.as_str(), "Sid" | "Effect" | "Principal" | "Action" | "Condition"))
        {
            return None;
        }
        let (aud, sub) = (format!("{}:aud", self.issuer), format!("{}:sub", self.issuer));
        let condition = statement.get("Condition").and_then(Value::as_object)?;
        let mut found = None;
        for (operator, keys) in condition {
            let keys = keys.as_object()?;
            let operator = match operator.as_str() {
                "StringEquals" => "StringEquals",
                "StringLike" => "StringLike",
                _ => return None,
            };
            for (key, value) in keys {
                if *key == sub && (operator == "StringLike" || self.operator() == "StringEquals") {
                    found = Some(operator);
                } else if !(*key == aud && one(Some(value), AUDIENCE)) {
                    return None;
                }
            }
        }
        found
    }
}

/// `policy` trusting `trust`: its subjects added to the statement already held for that
/// provider (never a second one), or a new statement. Everything else is kept as it was.
pub fn trust_web_identity(policy: &TrustPolicy, trust: &WebIdentityTrust) -> TrustPolicy {
    let mut doc = policy.as_value().clone();
    let sub_key = format!("{}:sub", trust.issuer);
    let mut extended = false;
    for_each_statement(&mut doc, |statement| {
        let Some(operator) = trust.sub_operator(statement).filter(|_| !extended) else {
            return;
        };
        if let Some(values) =
            statement.get_mut("Condition").and_then(|c| c.get_mut(operator)).and_then(|o| o.get_mut(&sub_key))
        {
            let mut list = values_of(values);
            for subject in &trust.subjects {
                if !list.contains(subject) {
                    list.push(subject.clone());
                }
            }
            *values = json!(list);
            extended = true;
        }
    });
    let extended_policy = TrustPolicy::from_value(doc).unwrap_or_else(|_| policy.clone());
    if extended { extended_policy } else { policy.add_statement(trust.statement()) }
}

/// The inverse: `trust`'s subjects taken out of the statements held for that provider; a
/// statement left with no subject is removed. Nothing else changes.
pub fn untrust_web_identity(policy: &TrustPolicy, trust: &WebIdentityTrust) -> TrustPolicy {
    let mut doc = policy.as_value().clone();
    let sub_key = format!("{}:sub", trust.issuer);
    let mut emptied = Vec::new();
    let mut index = 0;
    for_each_statement(&mut doc, |statement| {
        if let Some(operator) = trust.sub_operator(statement)
            && let Some(values) = statement
                .get_mut("Condition")
                .and_then(|c| c.get_mut(operator))
                .and_then(|o| o.get_mut(&sub_key))
        {
            let list: Vec<String> =
                values_of(values).into_iter().filter(|s| !trust.subjects.contains(s)).collect();
            if list.is_empty() {
                emptied.push(index);
            }
            *values = json!(list);
        }
        index += 1;
    });
    if let Some(Value::Array(statements)) = doc.get_mut("Statement") {
        let mut i = 0;
        statements.retain(|_| {
            i += 1;
            !emptied.contains(&(i - 1))
        });
    }
    TrustPolicy::from_value(doc).unwrap_or_else(|_| policy.clone())
}

/// The subjects `policy` trusts through `trust`'s provider and issuer (in statements it owns).
pub fn trusted_subjects(policy: &TrustPolicy, trust: &WebIdentityTrust) -> Vec<String> {
    let sub_key = format!("{}:sub", trust.issuer);
    policy
        .statements()
        .into_iter()
        .filter_map(|s| s.get("Condition")?.get(trust.sub_operator(s)?)?.get(&sub_key).map(values_of))
        .flatten()
        .collect()
}

/// A condition value's strings, owned (the policy is edited while they are held).
fn values_of(value: &Value) -> Vec<String> {
    strings(value).into_iter().map(str::to_owned).collect()
}

fn for_each_statement(doc: &mut Value, mut visit: impl FnMut(&mut Map<String, Value>)) {
    match doc.get_mut("Statement") {
        Some(Value::Array(items)) => items.iter_mut().filter_map(Value::as_object_mut).for_each(visit),
        Some(Value::Object(one)) => visit(one),
        _ => {}
    }
}

/// The issuer as IAM names it in provider ARNs and condition keys: the `oidcIssuerUrl`
/// Astro reports, without `https://` and without a trailing `/`.
pub fn oidc_issuer_host_path(url: &str) -> Result<String, DomainError> {
    let url = url.trim();
    let bare = url.strip_prefix("https://").unwrap_or(url).trim_end_matches('/');
    check_issuer(bare).map(str::to_owned)
}

fn check_issuer(issuer: &str) -> Result<&str, DomainError> {
    const HINT: &str = "the Deployment's OIDC issuer without https://, e.g. oidc.eks.us-east-1.amazonaws.com/id/0123456789ABCDEF";
    if issuer.is_empty() {
        return Err(DomainError::invalid("issuer", "is empty", HINT));
    }
    if issuer.contains("://") {
        return Err(DomainError::invalid(
            "issuer",
            format!("must not include the scheme, got {issuer:?}"),
            HINT,
        ));
    }
    if let Some(bad) = issuer.chars().find(|c| c.is_whitespace() || c.is_control() || *c == '"') {
        return Err(DomainError::invalid("issuer", format!("contains \"{}\"", bad.escape_debug()), HINT));
    }
    if issuer.ends_with('/') {
        return Err(DomainError::invalid("issuer", "must not end with /", HINT));
    }
    Ok(issuer)
}

fn check_namespace(namespace: &str) -> Result<&str, DomainError> {
    const HINT: &str = "the Deployment's namespace as Astro shows it, e.g. fiery-nebula-1234";
    if namespace.is_empty() {
        return Err(DomainError::invalid("namespace", "is empty", HINT));
    }
    if let Some(bad) =
        namespace.chars().find(|c| !(c.is_ascii_lowercase() || c.is_ascii_digit() || *c == '-'))
    {
        return Err(DomainError::invalid(
            "namespace",
            format!("contains \"{}\"; allowed: lowercase letters, digits and -", bad.escape_debug()),
            HINT,
        ));
    }
    // Kubernetes namespaces are DNS labels.
    if namespace.len() > 63 {
        return Err(DomainError::invalid(
            "namespace",
            format!("is longer than 63 characters ({})", namespace.len()),
            HINT,
        ));
    }
    Ok(namespace)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::aws::lint::{DEFAULT_TRUST_POLICY_QUOTA, lint_trust_policy};
    use crate::aws::trust_policy::TrustPolicy;

    const ISSUER: &str = "oidc.eks.us-east-1.amazonaws.com/id/0123456789ABCDEF0123456789ABCDEF";

    #[test]
    fn builds_one_sub_key_with_all_six_service_accounts() {
        let statement = customer_managed_identity_statement("123456789012", ISSUER, "fiery-nebula-1234")
            .expect("valid inputs");
        let expected = format!(
            r#"{{"Effect":"Allow","Principal":{{"Federated":"arn:aws:iam::123456789012:oidc-provider/{ISSUER}"}},"Action":"sts:AssumeRoleWithWebIdentity","Condition":{{"StringEquals":{{"{ISSUER}:aud":"sts.amazonaws.com","{ISSUER}:sub":["system:serviceaccount:fiery-nebula-1234:fiery-nebula-1234-kpo","system:serviceaccount:fiery-nebula-1234:fiery-nebula-1234-dag-processor-serviceaccount","system:serviceaccount:fiery-nebula-1234:fiery-nebula-1234-scheduler-serviceaccount","system:serviceaccount:fiery-nebula-1234:fiery-nebula-1234-triggerer-serviceaccount","system:serviceaccount:fiery-nebula-1234:fiery-nebula-1234-webserver-serviceaccount","system:serviceaccount:fiery-nebula-1234:fiery-nebula-1234-worker-serviceaccount"]}}}}}}"#
        );
        assert_eq!(serde_json::to_string(&statement).expect("serialize"), expected);
    }

    #[test]
    fn other_partitions_name_their_provider() {
        let statement =
            customer_managed_identity_statement_in(Partition::AwsUsGov, "123456789012", ISSUER, "ns")
                .expect("valid inputs");
        assert_eq!(
            statement["Principal"]["Federated"],
            format!("arn:aws-us-gov:iam::123456789012:oidc-provider/{ISSUER}")
        );
    }

    #[test]
    fn the_statement_lints_clean_and_adds_once() {
        let statement =
            customer_managed_identity_statement("123456789012", ISSUER, "ns").expect("valid inputs");
        let policy = TrustPolicy::empty().add_statement(statement.clone());
        assert!(lint_trust_policy(&policy, DEFAULT_TRUST_POLICY_QUOTA).is_empty());
        let again = policy.add_statement(statement);
        assert_eq!(again.to_compact_json(), policy.to_compact_json());
        assert_eq!(again.statements().len(), 1);
    }

    #[test]
    fn refuses_bad_inputs_by_field() {
        let err = |account: &str, issuer: &str, namespace: &str| {
            let e = customer_managed_identity_statement(account, issuer, namespace).expect_err("invalid");
            e.to_string()
        };
        assert_eq!(err("12345", ISSUER, "ns"), "account: account must be 12 digits, got 5");
        assert_eq!(err("123456789012", "", "ns"), "issuer: is empty");
        assert_eq!(
            err("123456789012", "https://oidc.example.com", "ns"),
            "issuer: must not include the scheme, got \"https://oidc.example.com\""
        );
        assert_eq!(err("123456789012", "oidc.example.com/", "ns"), "issuer: must not end with /");
        assert_eq!(err("123456789012", "oidc example", "ns"), "issuer: contains \" \"");
        assert_eq!(err("123456789012", ISSUER, ""), "namespace: is empty");
        assert_eq!(
            err("123456789012", ISSUER, "Fiery_Nebula"),
            "namespace: contains \"F\"; allowed: lowercase letters, digits and -"
        );
        assert_eq!(
            err("123456789012", ISSUER, &"n".repeat(64)),
            "namespace: is longer than 63 characters (64)"
        );
    }

    #[test]
    fn issuer_urls_lose_scheme_and_trailing_slash() {
        assert_eq!(oidc_issuer_host_path(&format!(" https://{ISSUER}/ ")).expect("valid"), ISSUER);
        assert_eq!(oidc_issuer_host_path(ISSUER).expect("valid"), ISSUER);
        assert!(oidc_issuer_host_path("http://x").is_err());
    }
}
