//! Offline checks of a trust policy before we write it: what IAM would refuse (errors) and
//! what is legal but probably not meant (warnings). The [`Lint`] type and its codes are
//! shared with the permission-policy lints (`permission_lint`), so the UI lists both alike.
//!
//! Every check must stay silent on valid, sensible policies: a warning that cries wolf on
//! the customer's existing statements teaches people to click through the real ones.

use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};

use super::trust_policy::{
    self, ASSUME_ROLE, TrustPolicy, action_covers, action_names, has_condition, is_allow,
};

/// IAM's default trust policy quota, in characters (raisable in Service Quotas).
pub const DEFAULT_TRUST_POLICY_QUOTA: u32 = 2048;

/// The most a raised trust policy quota can be, as IAM documents it.
pub const MAX_TRUST_POLICY_QUOTA: u32 = 4096;

/// The account's trust policy quota as a person or a flag gave it (`None`: the default),
/// bounded by IAM's default and its maximum.
pub fn trust_policy_quota(given: Option<u32>) -> Result<u32, crate::DomainError> {
    match given {
        None => Ok(DEFAULT_TRUST_POLICY_QUOTA),
        Some(q) if (DEFAULT_TRUST_POLICY_QUOTA..=MAX_TRUST_POLICY_QUOTA).contains(&q) => Ok(q),
        Some(q) => Err(crate::DomainError::invalid(
            "quota",
            format!("{q} characters is not a trust policy quota IAM can have"),
            "The role trust policy length quota is 2,048 characters unless it was raised in \
             Service Quotas (IAM → Role trust policy length), at most to 4,096.",
        )),
    }
}

const WEB_IDENTITY: &str = "sts:AssumeRoleWithWebIdentity";
const COGNITO: &str = "cognito-identity.amazonaws.com";
/// Partitions an IAM principal ARN may name. Wider than where Astro runs: a customer's
/// policy may trust principals in partitions we never deploy to.
pub(crate) const PARTITIONS: [&str; 8] =
    ["aws", "aws-cn", "aws-us-gov", "aws-iso", "aws-iso-b", "aws-iso-e", "aws-iso-f", "aws-eusc"];

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "specta", derive(specta::Type))]
#[serde(rename_all = "camelCase")]
pub enum LintLevel {
    /// IAM would refuse the policy: the plan cannot be applied.
    Error,
    /// Legal but risky: applying needs an explicit confirmation.
    Warning,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "specta", derive(specta::Type))]
#[serde(rename_all = "snake_case")]
pub enum LintCode {
    WildcardPrincipalWithoutCondition,
    AllowWithNotPrincipal,
    InvalidPrincipal,
    FederatedWithAssumeRole,
    WebIdentityWithoutSub,
    DuplicatePrincipal,
    OverQuota,
    RefusedCharacters,
    // Permission policies (see `permission_lint`).
    /// An `Allow` of every action (`"*"`).
    WildcardAction,
    /// An `Allow` of a write action on `"Resource": "*"`.
    WildcardResourceWithWrite,
    /// Not in the offline action catalog (a typo, or newer than the catalog).
    UnknownAction,
    /// Not `service:Action`.
    MalformedAction,
    /// A resource that is neither `*` nor an ARN.
    MalformedArn,
    /// An empty `Action` or `Resource` list, which IAM refuses. The editor's new statement
    /// starts this way.
    EmptyActionOrResource,
    /// A trust policy without a statement, which IAM refuses (MalformedPolicyDocument).
    NoStatement,
}

impl LintCode {
    pub fn level(self) -> LintLevel {
        match self {
            Self::InvalidPrincipal
            | Self::OverQuota
            | Self::RefusedCharacters
            | Self::MalformedAction
            | Self::MalformedArn
            | Self::EmptyActionOrResource
            | Self::NoStatement => LintLevel::Error,
            Self::WildcardPrincipalWithoutCondition
            | Self::AllowWithNotPrincipal
            | Self::FederatedWithAssumeRole
            | Self::WebIdentityWithoutSub
            | Self::DuplicatePrincipal
            | Self::WildcardAction
            | Self::WildcardResourceWithWrite
            | Self::UnknownAction => LintLevel::Warning,
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "specta", derive(specta::Type))]
#[serde(rename_all = "camelCase")]
pub struct Lint {
    pub level: LintLevel,
    pub code: LintCode,
    /// Names statements 1-based, as people count them.
    pub message: String,
    pub hint: String,
    /// 0-based index of the statement, `None` for the whole document.
    pub statement: Option<u32>,
}

/// All findings, statement by statement in document order, then the document-wide ones.
pub fn lint_trust_policy(policy: &TrustPolicy, quota: u32) -> Vec<Lint> {
    let mut lints = Vec::new();
    let statements = policy.statements();
    if statements.is_empty() {
        lints.push(document_lint(
            LintCode::NoStatement,
            String::from("the policy has no statement, and IAM refuses a trust policy without one"),
            "keep a statement naming who else may assume the role, or delete the role if no one \
             should",
        ));
    }
    for (index, statement) in statements.into_iter().enumerate() {
        let mut linter = StatementLinter { index, label: label(index, statement), lints: &mut lints };
        linter.check(statement);
    }
    let used = policy.iam_character_count();
    if used > quota as usize {
        lints.push(document_lint(
            LintCode::OverQuota,
            format!("the policy is {used} characters; the role's trust policy quota is {quota}"),
            "remove principals that no longer exist, split Deployments across roles, or raise the \
             quota in Service Quotas (4,096 is documented)",
        ));
    }
    lints.extend(refused_characters_lint(&policy.refused_characters()));
    lints
}

/// The error for characters IAM refuses, listed with their code points; `None` without any.
pub(crate) fn refused_characters_lint(refused: &[char]) -> Option<Lint> {
    if refused.is_empty() {
        return None;
    }
    let listed: Vec<String> =
        refused.iter().map(|c| format!("\"{}\" (U+{:04X})", c.escape_debug(), u32::from(*c))).collect();
    Some(document_lint(
        LintCode::RefusedCharacters,
        format!("the policy contains characters IAM refuses: {}", listed.join(", ")),
        "IAM accepts only tab, line breaks and U+0020–U+00FF; replace or remove these",
    ))
}

pub(crate) fn document_lint(code: LintCode, message: String, hint: &str) -> Lint {
    Lint { level: code.level(), code, message, hint: hint.to_owned(), statement: None }
}

/// A finding about the statement at 0-based `index`.
pub(crate) fn statement_lint(index: usize, code: LintCode, message: String, hint: impl Into<String>) -> Lint {
    Lint {
        level: code.level(),
        code,
        message,
        hint: hint.into(),
        statement: Some(u32::try_from(index).unwrap_or(u32::MAX)),
    }
}

/// `statement 2` or `statement 2 ("Vendor")`: the Sid is what people search their code for.
pub(crate) fn label(index: usize, statement: &Map<String, Value>) -> String {
    match statement.get("Sid").and_then(Value::as_str).filter(|sid| !sid.is_empty()) {
        Some(sid) => format!("statement {} ({sid:?})", index + 1),
        None => format!("statement {}", index + 1),
    }
}

struct StatementLinter<'a> {
    index: usize,
    label: String,
    lints: &'a mut Vec<Lint>,
}

impl StatementLinter<'_> {
    fn push(&mut self, code: LintCode, message: String, hint: impl Into<String>) {
        self.lints.push(statement_lint(self.index, code, message, hint));
    }

    fn check(&mut self, statement: &Map<String, Value>) {
        let principal = statement.get("Principal");
        let allow = is_allow(statement);
        if allow && !has_condition(statement) && principal.is_some_and(is_wildcard) {
            self.push(
                LintCode::WildcardPrincipalWithoutCondition,
                format!("{} lets anyone in any AWS account assume this role, with no condition", self.label),
                "name the accounts or roles, or add a condition such as aws:PrincipalOrgID or sts:ExternalId",
            );
        }
        if allow && statement.contains_key("NotPrincipal") {
            self.push(
                LintCode::AllowWithNotPrincipal,
                format!("{} allows everyone except the principals in NotPrincipal", self.label),
                "use Principal with the accounts or roles that should assume the role",
            );
        }
        self.check_principal_shape(statement);
        let federated = principal.and_then(|p| p.get("Federated"));
        if allow && federated.is_some() && action_names(statement, ASSUME_ROLE) {
            self.push(
                LintCode::FederatedWithAssumeRole,
                format!("{}: a Federated principal cannot use sts:AssumeRole", self.label),
                "use sts:AssumeRoleWithWebIdentity for an OIDC provider or sts:AssumeRoleWithSAML for SAML",
            );
        }
        if allow && is_unrestricted_web_identity(statement) {
            self.push(
                LintCode::WebIdentityWithoutSub,
                format!(
                    "{} lets every identity of the OIDC provider assume this role: no condition on a :sub key",
                    self.label
                ),
                "add a StringEquals condition on <provider>:sub, e.g. system:serviceaccount:<namespace>:<account>",
            );
        }
    }

    fn check_principal_shape(&mut self, statement: &Map<String, Value>) {
        const HINT: &str =
            "use \"*\", a 12-digit account id, or an IAM ARN such as arn:aws:iam::123456789012:role/NAME";
        if !statement.contains_key("Principal") && !statement.contains_key("NotPrincipal") {
            self.push(
                LintCode::InvalidPrincipal,
                format!("{} has no Principal; a trust policy must say who may assume the role", self.label),
                "add a Principal",
            );
        }
        for key in ["Principal", "NotPrincipal"] {
            match statement.get(key) {
                None => {}
                Some(Value::String(s)) if s == "*" => {}
                Some(Value::Object(types)) if types.is_empty() => {
                    self.push(LintCode::InvalidPrincipal, format!("{}: {key} is empty", self.label), HINT);
                }
                Some(Value::Object(types)) => {
                    if let Some(aws) = types.get("AWS") {
                        self.check_aws_principals(key, aws, HINT);
                    }
                    for (kind, value) in types {
                        self.check_duplicates(key, kind, value);
                    }
                }
                Some(_) => self.push(
                    LintCode::InvalidPrincipal,
                    format!("{}: {key} must be \"*\" or an object such as {{\"AWS\": [...]}}", self.label),
                    HINT,
                ),
            }
        }
    }

    fn check_aws_principals(&mut self, key: &str, aws: &Value, hint: &str) {
        let entries: Vec<&Value> = match aws {
            Value::Array(items) if items.is_empty() => {
                self.push(
                    LintCode::InvalidPrincipal,
                    format!("{}: the AWS list in {key} is empty", self.label),
                    hint,
                );
                return;
            }
            Value::Array(items) => items.iter().collect(),
            one => vec![one],
        };
        for entry in entries {
            match entry.as_str() {
                Some(p) if is_valid_aws_principal(p) => {}
                Some(p) => self.push(
                    LintCode::InvalidPrincipal,
                    format!("{}: {p:?} is not an AWS principal", self.label),
                    hint,
                ),
                None => self.push(
                    LintCode::InvalidPrincipal,
                    format!("{}: an AWS principal in {key} is {entry}, not a string", self.label),
                    hint,
                ),
            }
        }
    }

    fn check_duplicates(&mut self, key: &str, kind: &str, value: &Value) {
        let names = trust_policy::strings(value);
        for (i, name) in names.iter().enumerate() {
            // Report each repeated name once, at its second occurrence.
            if names[..i].iter().filter(|n| *n == name).count() == 1 {
                self.push(
                    LintCode::DuplicatePrincipal,
                    format!("{} names {name:?} twice under {key}.{kind}", self.label),
                    "remove the repeat; every character counts against the quota",
                );
            }
        }
    }
}

fn is_wildcard(principal: &Value) -> bool {
    match principal {
        Value::String(s) => s == "*",
        Value::Object(types) => types.get("AWS").is_some_and(|aws| trust_policy::strings(aws).contains(&"*")),
        _ => false,
    }
}

/// `AssumeRoleWithWebIdentity` by a provider (or anyone) with no `sub` condition: any
/// workload or repository that can get a token from that issuer gets the role. Cognito
/// identity pools are scoped by `aud` (the pool id) instead, as AWS documents them.
fn is_unrestricted_web_identity(statement: &Map<String, Value>) -> bool {
    let principal = statement.get("Principal");
    let federated: Vec<&str> =
        principal.and_then(|p| p.get("Federated")).map(trust_policy::strings).unwrap_or_default();
    let anyone = principal.is_some_and(|p| p.as_str() == Some("*"));
    if federated.is_empty() && !anyone {
        return false;
    }
    let web = action_names(statement, WEB_IDENTITY) || action_covers(statement, WEB_IDENTITY);
    if !web {
        return false;
    }
    let keys = condition_keys(statement);
    if federated.contains(&COGNITO) && keys.iter().any(|(key, _)| key.to_ascii_lowercase().ends_with(":aud"))
    {
        return false;
    }
    // A `sub` that is only "*" restricts nothing.
    !keys.iter().any(|(key, values)| {
        key.to_ascii_lowercase().ends_with(":sub") && trust_policy::strings(values).iter().any(|v| *v != "*")
    })
}

fn condition_keys(statement: &Map<String, Value>) -> Vec<(&str, &Value)> {
    let Some(Value::Object(operators)) = statement.get("Condition") else { return Vec::new() };
    operators
        .values()
        .filter_map(Value::as_object)
        .flat_map(|keys| keys.iter().map(|(k, v)| (k.as_str(), v)))
        .collect()
}

/// What IAM takes in an `AWS` principal. Deliberately permissive about the resource part:
/// real policies name users, roles with paths, `root`, and even STS session ARNs.
fn is_valid_aws_principal(principal: &str) -> bool {
    principal == "*" || is_account_id(principal) || is_unique_id(principal) || is_principal_arn(principal)
}

fn is_account_id(text: &str) -> bool {
    text.len() == 12 && text.bytes().all(|b| b.is_ascii_digit())
}

/// IAM replaces the ARN of a deleted role or user with its unique id (`AROA…`, `AIDA…`).
fn is_unique_id(text: &str) -> bool {
    text.len() >= 16
        && text.starts_with('A')
        && text.bytes().all(|b| b.is_ascii_uppercase() || b.is_ascii_digit())
}

fn is_principal_arn(text: &str) -> bool {
    let parts: Vec<&str> = text.splitn(6, ':').collect();
    let [arn, partition, service, region, account, resource] = parts[..] else { return false };
    arn == "arn"
        && PARTITIONS.contains(&partition)
        && matches!(service, "iam" | "sts")
        && region.is_empty()
        && is_account_id(account)
        && !resource.is_empty()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn lints(text: &str) -> Vec<Lint> {
        lint_trust_policy(&TrustPolicy::parse(text).expect("valid policy"), DEFAULT_TRUST_POLICY_QUOTA)
    }

    fn codes(text: &str) -> Vec<LintCode> {
        lints(text).into_iter().map(|l| l.code).collect()
    }

    fn one(statement: &str) -> String {
        format!(r#"{{"Version":"2012-10-17","Statement":[{statement}]}}"#)
    }

    #[test]
    fn a_policy_without_statements_is_an_error() {
        assert_eq!(codes(r#"{"Version":"2012-10-17","Statement":[]}"#), [LintCode::NoStatement]);
        assert_eq!(LintCode::NoStatement.level(), LintLevel::Error);
        assert!(
            codes(&one(r#"{"Effect":"Allow","Principal":{"AWS":"123456789012"},"Action":"sts:AssumeRole"}"#))
                .is_empty()
        );
    }

    #[test]
    fn wildcard_principal_without_condition() {
        let found = lints(&one(
            r#"{"Sid":"Open","Effect":"Allow","Principal":{"AWS":"*"},"Action":"sts:AssumeRole"}"#,
        ));
        assert_eq!(
            found,
            [Lint {
                level: LintLevel::Warning,
                code: LintCode::WildcardPrincipalWithoutCondition,
                message: "statement 1 (\"Open\") lets anyone in any AWS account assume this role, with no condition"
                    .to_owned(),
                hint: "name the accounts or roles, or add a condition such as aws:PrincipalOrgID or sts:ExternalId"
                    .to_owned(),
                statement: Some(0),
            }]
        );
        assert_eq!(
            codes(&one(r#"{"Effect":"Allow","Principal":"*","Action":"sts:AssumeRole","Condition":{}}"#)),
            [LintCode::WildcardPrincipalWithoutCondition]
        );
        assert_eq!(
            codes(&one(
                r#"{"Effect":"Allow","Principal":{"AWS":["111122223333","*"]},"Action":"sts:AssumeRole"}"#
            )),
            [LintCode::WildcardPrincipalWithoutCondition]
        );
        // Conditioned, denied, or naming someone: fine.
        assert!(codes(&one(r#"{"Effect":"Allow","Principal":"*","Action":"sts:AssumeRole","Condition":{"StringEquals":{"sts:ExternalId":"1"}}}"#)).is_empty());
        assert!(
            codes(&one(r#"{"Effect":"Deny","Principal":{"AWS":"*"},"Action":"sts:AssumeRole"}"#)).is_empty()
        );
        assert!(
            codes(&one(r#"{"Effect":"Allow","Principal":{"AWS":"111122223333"},"Action":"sts:AssumeRole"}"#))
                .is_empty()
        );
    }

    #[test]
    fn allow_with_not_principal() {
        assert_eq!(
            codes(&one(
                r#"{"Effect":"Allow","NotPrincipal":{"AWS":"111122223333"},"Action":"sts:AssumeRole"}"#
            )),
            [LintCode::AllowWithNotPrincipal]
        );
        assert!(
            codes(&one(
                r#"{"Effect":"Deny","NotPrincipal":{"AWS":"111122223333"},"Action":"sts:AssumeRole"}"#
            ))
            .is_empty()
        );
    }

    #[test]
    fn invalid_principals_are_errors() {
        let found = lints(&one(
            r#"{"Effect":"Allow","Principal":{"AWS":["1111-2222-3333","arn:aws:iam::123456789012:role/ok"]},"Action":"sts:AssumeRole"}"#,
        ));
        assert_eq!(found.len(), 1);
        assert_eq!(found[0].level, LintLevel::Error);
        assert_eq!(found[0].code, LintCode::InvalidPrincipal);
        assert_eq!(found[0].message, "statement 1: \"1111-2222-3333\" is not an AWS principal");
        for bad in [
            "arn:aws-eu:iam::123456789012:role/r",
            "arn:aws:s3:::bucket",
            "arn:aws:iam::12345:role/r",
            "arn:aws:iam:us-east-1:123456789012:role/r",
            "arn:aws:iam::123456789012:",
            "aroa1234567890abcdef",
            "AROA123",
            "role/astro",
            "",
        ] {
            let text = one(&format!(
                r#"{{"Effect":"Allow","Principal":{{"AWS":"{bad}"}},"Action":"sts:AssumeRole"}}"#
            ));
            assert_eq!(codes(&text), [LintCode::InvalidPrincipal], "{bad}");
        }
        for good in [
            "*",
            "111122223333",
            "AROADBQP57FF2AEXAMPLE",
            "AIDACKCEVSQ6C2EXAMPLE",
            "arn:aws:iam::111122223333:root",
            "arn:aws:iam::111122223333:assumed-role/AWSAFTAdmin/AWSAFT-Session",
            "arn:aws:sts::200611803367:assumed-role/AWSReservedSSO_Admin_dc64/jane.doe@example.com",
            "arn:aws-cn:iam::111122223333:user/u",
            "arn:aws-iso-b:iam::111122223333:role/r",
        ] {
            let text = one(&format!(
                r#"{{"Effect":"Allow","Principal":{{"AWS":"{good}"}},"Action":"sts:AssumeRole","Condition":{{"Bool":{{"aws:SecureTransport":"true"}}}}}}"#
            ));
            assert!(codes(&text).is_empty(), "{good}: {:?}", lints(&text));
        }
    }

    #[test]
    fn malformed_principal_blocks_are_errors() {
        let cases = [
            (
                r#"{"Effect":"Allow","Principal":{"AWS":[]},"Action":"sts:AssumeRole"}"#,
                "statement 1: the AWS list in Principal is empty",
            ),
            (
                r#"{"Effect":"Allow","Principal":{"AWS":[12]},"Action":"sts:AssumeRole"}"#,
                "statement 1: an AWS principal in Principal is 12, not a string",
            ),
            (
                r#"{"Effect":"Allow","Principal":{},"Action":"sts:AssumeRole"}"#,
                "statement 1: Principal is empty",
            ),
            (
                r#"{"Effect":"Allow","Principal":"arn:aws:iam::111122223333:root","Action":"sts:AssumeRole"}"#,
                "statement 1: Principal must be \"*\" or an object such as {\"AWS\": [...]}",
            ),
            (
                r#"{"Effect":"Allow","Action":"sts:AssumeRole"}"#,
                "statement 1 has no Principal; a trust policy must say who may assume the role",
            ),
        ];
        for (statement, message) in cases {
            let found = lints(&one(statement));
            assert_eq!(found.len(), 1, "{statement}: {found:?}");
            assert_eq!((found[0].code, found[0].message.as_str()), (LintCode::InvalidPrincipal, message));
        }
    }

    #[test]
    fn federated_with_plain_assume_role() {
        assert_eq!(
            codes(&one(
                r#"{"Effect":"Allow","Principal":{"Federated":"arn:aws:iam::111122223333:saml-provider/Okta"},"Action":["sts:AssumeRole"]}"#
            )),
            [LintCode::FederatedWithAssumeRole]
        );
        assert!(codes(&one(r#"{"Effect":"Allow","Principal":{"Federated":"arn:aws:iam::111122223333:saml-provider/Okta"},"Action":["sts:AssumeRoleWithSAML","sts:TagSession"],"Condition":{"StringEquals":{"SAML:aud":"https://signin.aws.amazon.com/saml"}}}"#)).is_empty());
        assert!(
            codes(&one(
                r#"{"Effect":"Allow","Principal":{"Service":"ec2.amazonaws.com"},"Action":"sts:AssumeRole"}"#
            ))
            .is_empty()
        );
    }

    #[test]
    fn web_identity_needs_a_sub_condition() {
        let provider = "arn:aws:iam::111122223333:oidc-provider/token.actions.githubusercontent.com";
        let stmt = |condition: &str| {
            one(&format!(
                r#"{{"Effect":"Allow","Principal":{{"Federated":"{provider}"}},"Action":"sts:AssumeRoleWithWebIdentity"{condition}}}"#
            ))
        };
        assert_eq!(codes(&stmt("")), [LintCode::WebIdentityWithoutSub]);
        assert_eq!(
            codes(&stmt(
                r#","Condition":{"StringEquals":{"token.actions.githubusercontent.com:aud":"sts.amazonaws.com"}}"#
            )),
            [LintCode::WebIdentityWithoutSub]
        );
        assert_eq!(
            codes(&stmt(r#","Condition":{"StringLike":{"token.actions.githubusercontent.com:sub":"*"}}"#)),
            [LintCode::WebIdentityWithoutSub]
        );
        assert!(
            codes(&stmt(
                r#","Condition":{"StringLike":{"token.actions.githubusercontent.com:sub":"repo:org/*"}}"#
            ))
            .is_empty()
        );
        assert!(
            codes(&stmt(
                r#","Condition":{"StringEquals":{"token.actions.githubusercontent.com:sub":["a","b"]}}"#
            ))
            .is_empty()
        );
        // Cognito identity pools are scoped by aud; AWS services cannot use web identity.
        assert!(codes(&one(r#"{"Effect":"Allow","Principal":{"Federated":"cognito-identity.amazonaws.com"},"Action":"sts:AssumeRoleWithWebIdentity","Condition":{"StringEquals":{"cognito-identity.amazonaws.com:aud":"us-east-2:1"}}}"#)).is_empty());
        assert!(
            codes(&one(r#"{"Effect":"Allow","Principal":{"AWS":"111122223333"},"Action":"*"}"#)).is_empty()
        );
    }

    #[test]
    fn duplicate_principals_within_one_type() {
        let found = lints(&one(
            r#"{"Effect":"Allow","Principal":{"AWS":["111122223333","444455556666","111122223333","111122223333"],"Service":"111122223333"},"Action":"sts:AssumeRole"}"#,
        ));
        assert_eq!(found.len(), 1, "{found:?}");
        assert_eq!(found[0].code, LintCode::DuplicatePrincipal);
        assert_eq!(found[0].level, LintLevel::Warning);
        assert_eq!(found[0].message, "statement 1 names \"111122223333\" twice under Principal.AWS");
        // The same principal in two statements is not a duplicate.
        let two = r#"{"Statement":[{"Effect":"Allow","Principal":{"AWS":"111122223333"},"Action":"sts:AssumeRole"},{"Effect":"Allow","Principal":{"AWS":"111122223333"},"Action":"sts:TagSession"}]}"#;
        assert!(codes(two).is_empty());
    }

    #[test]
    fn over_quota_is_an_error_about_the_document() {
        let text = one(r#"{"Effect":"Allow","Principal":{"AWS":"111122223333"},"Action":"sts:AssumeRole"}"#);
        let policy = TrustPolicy::parse(&text).expect("valid");
        let used = u32::try_from(policy.iam_character_count()).expect("small");
        assert!(lint_trust_policy(&policy, used).is_empty());
        let found = lint_trust_policy(&policy, used - 1);
        assert_eq!(found.len(), 1);
        assert_eq!(
            (found[0].level, found[0].code, found[0].statement),
            (LintLevel::Error, LintCode::OverQuota, None)
        );
        assert_eq!(
            found[0].message,
            format!("the policy is {used} characters; the role's trust policy quota is {}", used - 1)
        );
    }

    #[test]
    fn refused_characters_are_listed() {
        let found = lints(&one(
            r#"{"Sid":"caf\u00e9\u20ac","Effect":"Allow","Principal":{"AWS":"111122223333"},"Action":"sts:AssumeRole"}"#,
        ));
        assert_eq!(found.len(), 1, "{found:?}");
        assert_eq!((found[0].level, found[0].code), (LintLevel::Error, LintCode::RefusedCharacters));
        assert_eq!(found[0].message, "the policy contains characters IAM refuses: \"€\" (U+20AC)");
    }

    #[test]
    fn codes_serialize_snake_case() {
        assert_eq!(
            serde_json::to_string(&LintCode::WildcardPrincipalWithoutCondition).expect("serialize"),
            "\"wildcard_principal_without_condition\""
        );
        assert_eq!(serde_json::to_string(&LintLevel::Warning).expect("serialize"), "\"warning\"");
    }
}
