//! Astro's Customer Managed Identity on AWS: instead of trusting Astro's role, the
//! customer's role trusts the Deployment's Kubernetes service accounts through the
//! cluster's OIDC provider.

use serde_json::{Value, json};

use super::arn::{Partition, check_account};
use crate::DomainError;

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
