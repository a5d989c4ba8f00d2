//! Inline permission policies: the validation that keeps a malformed document from
//! reaching IAM, in two steps. The structure (a JSON object whose statements each have an
//! Effect, actions and resources) is what the editor needs to draw cards; what IAM refuses
//! beyond that (size, characters, empty lists) is checked apart, so the editor can show
//! such a policy with error lints while writing it stays refused.

use serde_json::{Map, Value};

use super::trust_policy::refused_characters;
use crate::DomainError;
use crate::json::{self, kind_of};

/// IAM's limit on the aggregate size of a role's inline policies (whitespace not counted).
pub const ROLE_INLINE_POLICY_QUOTA: usize = 10_240;

const FIELD: &str = "inline_policy";

/// A permission (identity) policy document, kept as written.
#[derive(Debug, Clone, PartialEq)]
pub struct PermissionPolicy(Value);

impl PermissionPolicy {
    /// For writing: the structure, and everything else IAM would refuse
    /// ([`PermissionPolicy::check_writable`]).
    pub fn parse(text: &str) -> Result<Self, DomainError> {
        let policy = Self::parse_unbounded(text)?;
        policy.check_writable()?;
        Ok(policy)
    }

    /// For the editor: the structure only. An over-quota policy, one with characters IAM
    /// refuses or with an empty Action list parses; the permission lints report those.
    pub fn parse_unbounded(text: &str) -> Result<Self, DomainError> {
        let value = json::parse(text, FIELD, |text| {
            text.starts_with("%7B")
                .then_some("this looks URL-encoded, as GetRolePolicy returns it; decode it first")
        })?;
        Self::from_value(value)
    }

    /// A JSON object with one statement or a non-empty list of them, each an object with
    /// `Effect` `Allow` or `Deny`, `Action` or `NotAction`, `Resource` or `NotResource`, and
    /// no `Principal`. Nothing is normalised.
    pub fn from_value(value: Value) -> Result<Self, DomainError> {
        const HINT: &str = "a policy looks like {\"Version\":\"2012-10-17\",\"Statement\":[...]}";
        if !value.is_object() {
            return Err(DomainError::invalid(
                FIELD,
                format!("must be a JSON object with a Statement, got {}", kind_of(&value)),
                HINT,
            ));
        }
        let statements = match value.get("Statement") {
            Some(Value::Array(list)) if !list.is_empty() => list.iter().collect(),
            Some(object @ Value::Object(_)) => vec![object],
            _ => {
                return Err(DomainError::invalid(
                    FIELD,
                    "the policy has no statements",
                    "Add a \"Statement\" list with at least one statement.",
                ));
            }
        };
        for (i, statement) in statements.into_iter().enumerate() {
            check_statement(i + 1, statement)?;
        }
        Ok(Self(value))
    }

    /// What IAM refuses in a well-structured policy: more than [`ROLE_INLINE_POLICY_QUOTA`]
    /// characters, characters outside Latin-1, and a statement whose Action or Resource
    /// list is empty.
    pub fn check_writable(&self) -> Result<(), DomainError> {
        let size = self.iam_character_count();
        if size > ROLE_INLINE_POLICY_QUOTA {
            return Err(DomainError::invalid(
                FIELD,
                format!(
                    "the policy is {size} characters, over IAM's {ROLE_INLINE_POLICY_QUOTA} for a role's inline policies"
                ),
                "Split it, or use a customer managed policy instead.",
            ));
        }
        if let Some(bad) = refused_characters(&self.to_compact_json()).first() {
            return Err(DomainError::invalid(
                FIELD,
                format!("the policy contains {bad:?}, which IAM refuses"),
                "Use only Latin-1 characters.",
            ));
        }
        for (i, statement) in self.statements().into_iter().enumerate() {
            if let Some(key) = empty_list(statement) {
                return Err(DomainError::invalid(
                    FIELD,
                    format!("statement {} has an empty \"{key}\" list", i + 1),
                    "IAM refuses a statement without actions or resources: fill it in or remove it.",
                ));
            }
        }
        Ok(())
    }

    pub fn to_compact_json(&self) -> String {
        self.0.to_string()
    }

    /// For display: two-space indentation.
    pub fn to_pretty_json(&self) -> String {
        serde_json::to_string_pretty(&self.0).unwrap_or_default()
    }

    /// The length IAM checks against [`ROLE_INLINE_POLICY_QUOTA`]: the compact form, in
    /// characters (IAM does not count whitespace).
    pub fn iam_character_count(&self) -> usize {
        self.to_compact_json().chars().count()
    }

    /// The statements in document order, whether `Statement` is one object or a list.
    pub fn statements(&self) -> Vec<&Map<String, Value>> {
        match self.0.get("Statement") {
            Some(Value::Object(one)) => vec![one],
            Some(Value::Array(items)) => items.iter().filter_map(Value::as_object).collect(),
            _ => Vec::new(),
        }
    }

    pub fn as_value(&self) -> &Value {
        &self.0
    }

    pub fn into_value(self) -> Value {
        self.0
    }
}

/// `Action`, `NotAction`, `Resource` or `NotResource` when it is an empty list.
pub(crate) fn empty_list(statement: &Map<String, Value>) -> Option<&'static str> {
    ["Action", "NotAction", "Resource", "NotResource"]
        .into_iter()
        .find(|key| statement.get(*key).and_then(Value::as_array).is_some_and(Vec::is_empty))
}

fn check_statement(n: usize, statement: &Value) -> Result<(), DomainError> {
    let Some(map) = statement.as_object() else {
        return Err(DomainError::invalid(
            FIELD,
            format!("statement {n} is not an object"),
            "Each statement is {...}.",
        ));
    };
    match map.get("Effect").and_then(Value::as_str) {
        Some("Allow" | "Deny") => {}
        _ => {
            return Err(DomainError::invalid(
                FIELD,
                format!("statement {n} needs \"Effect\": \"Allow\" or \"Deny\""),
                "Add \"Effect\": \"Allow\".",
            ));
        }
    }
    if !map.contains_key("Action") && !map.contains_key("NotAction") {
        return Err(DomainError::invalid(
            FIELD,
            format!("statement {n} has no \"Action\""),
            "List the actions it allows, e.g. \"Action\": [\"s3:GetObject\"].",
        ));
    }
    if !map.contains_key("Resource") && !map.contains_key("NotResource") {
        return Err(DomainError::invalid(
            FIELD,
            format!("statement {n} has no \"Resource\""),
            "Name the resources, e.g. \"Resource\": \"arn:aws:s3:::my-bucket/*\".",
        ));
    }
    if map.contains_key("Principal") || map.contains_key("NotPrincipal") {
        return Err(DomainError::invalid(
            FIELD,
            format!("statement {n} has a \"Principal\", which permission policies cannot have"),
            "Remove it: the role is the principal. Who may assume the role belongs in the trust policy.",
        ));
    }
    Ok(())
}

/// An inline policy name: 1–128 characters of letters, digits and `+ = , . @ _ -`.
pub fn validate_policy_name(name: &str) -> Result<(), DomainError> {
    let hint = "Use 1-128 letters, digits and + = , . @ _ -, e.g. astro-s3-read.";
    if name.is_empty() || name.chars().count() > 128 {
        return Err(DomainError::invalid("policy_name", "the name must be 1-128 characters", hint));
    }
    if let Some(bad) = name.chars().find(|c| !(c.is_ascii_alphanumeric() || "+=,.@_-".contains(*c))) {
        return Err(DomainError::invalid("policy_name", format!("the name contains {bad:?}"), hint));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    const S3_READ: &str = r#"{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":["s3:GetObject","s3:ListBucket"],"Resource":["arn:aws:s3:::data","arn:aws:s3:::data/*"]}]}"#;

    #[test]
    fn accepts_a_valid_policy_unchanged() {
        let policy = PermissionPolicy::parse(S3_READ).expect("valid");
        assert_eq!(policy.to_compact_json(), S3_READ);
    }

    #[test]
    fn every_refusal_names_the_problem() {
        let cases = [
            ("{", "malformed JSON at line 1, column 1"),
            ("[]", "must be a JSON object with a Statement, got an array"),
            (r#"{"Version":"2012-10-17"}"#, "the policy has no statements"),
            (r#"{"Statement":[1]}"#, "statement 1 is not an object"),
            (r#"{"Statement":{"Action":"s3:*","Resource":"*"}}"#, "statement 1 needs \"Effect\""),
            (r#"{"Statement":[{"Effect":"Allow","Resource":"*"}]}"#, "statement 1 has no \"Action\""),
            (r#"{"Statement":[{"Effect":"Allow","Action":"s3:*"}]}"#, "statement 1 has no \"Resource\""),
            (
                r#"{"Statement":[{"Effect":"Allow","Action":"s3:*","Resource":"*","Principal":"*"}]}"#,
                "statement 1 has a \"Principal\"",
            ),
            (
                r#"{"Statement":[{"Effect":"Allow","Action":"s3:*","Resource":"\u0100"}]}"#,
                "which IAM refuses",
            ),
        ];
        for (text, expected) in cases {
            let err = PermissionPolicy::parse(text).expect_err(text);
            assert_eq!(err.field(), "inline_policy");
            assert!(err.to_string().contains(expected), "{text}: {err}");
        }
        let big = format!(
            r#"{{"Statement":[{{"Effect":"Allow","Action":"s3:GetObject","Resource":"{}"}}]}}"#,
            "a".repeat(ROLE_INLINE_POLICY_QUOTA)
        );
        assert!(PermissionPolicy::parse(&big).expect_err("big").to_string().contains("over IAM's 10240"));
    }

    #[test]
    fn the_editor_parses_what_writing_refuses() {
        let big = format!(
            r#"{{"Statement":[{{"Effect":"Allow","Action":"s3:GetObject","Resource":"{}"}}]}}"#,
            "a".repeat(ROLE_INLINE_POLICY_QUOTA)
        );
        let cases = [
            (big.as_str(), "over IAM's 10240"),
            (
                r#"{"Statement":[{"Effect":"Allow","Action":"s3:*","Resource":"\u0100"}]}"#,
                "which IAM refuses",
            ),
            (
                r#"{"Statement":[{"Effect":"Allow","Action":[],"Resource":"*"}]}"#,
                "statement 1 has an empty \"Action\" list",
            ),
            (
                r#"{"Statement":[{"Effect":"Allow","Action":"s3:*","Resource":"*"},{"Effect":"Allow","Action":"s3:*","NotResource":[]}]}"#,
                "statement 2 has an empty \"NotResource\" list",
            ),
        ];
        for (text, expected) in cases {
            let policy = PermissionPolicy::parse_unbounded(text).expect("structure is fine");
            let err = policy.check_writable().expect_err(text);
            assert!(err.to_string().contains(expected), "{err}");
            assert_eq!(PermissionPolicy::parse(text).expect_err(text), err);
        }
        assert_eq!(PermissionPolicy::parse_unbounded(&big).expect("big").iam_character_count(), 10_312);
        // Structure is still checked.
        for text in ["{", r#"{"Statement":[]}"#, r#"{"Statement":[{"Effect":"Allow","Resource":"*"}]}"#] {
            assert!(PermissionPolicy::parse_unbounded(text).is_err(), "{text}");
        }
        let bom = format!("\u{feff}{S3_READ}");
        assert_eq!(PermissionPolicy::parse(&bom).expect("BOM ignored").to_compact_json(), S3_READ);
        let encoded = PermissionPolicy::parse("%7B%22Version%22").expect_err("URL-encoded");
        assert!(encoded.hint().contains("URL-encoded"), "{}", encoded.hint());
    }

    #[test]
    fn statements_and_pretty_form() {
        let policy = PermissionPolicy::parse(S3_READ).expect("valid");
        assert_eq!(policy.statements().len(), 1);
        assert!(policy.to_pretty_json().starts_with("{\n  \"Version\": \"2012-10-17\","));
        let single = PermissionPolicy::parse(
            r#"{"Statement":{"Effect":"Deny","NotAction":"s3:*","NotResource":"*"}}"#,
        )
        .expect("valid");
        assert_eq!(single.statements()[0]["Effect"], "Deny");
        assert_eq!(single.clone().into_value(), *single.as_value());
    }

    #[test]
    fn policy_names() {
        assert!(validate_policy_name("astro-s3-read").is_ok());
        assert_eq!(
            validate_policy_name("a b").expect_err("space").to_string(),
            "policy_name: the name contains ' '"
        );
        assert!(validate_policy_name("").is_err());
        assert!(validate_policy_name(&"a".repeat(129)).is_err());
    }
}
