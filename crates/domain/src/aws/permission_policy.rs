//! Inline permission policies: the minimal validation that keeps a malformed document from
//! reaching IAM. The full visual editor and its lints build on this.

use serde_json::Value;

use crate::DomainError;

/// IAM's limit on the aggregate size of a role's inline policies (whitespace not counted).
pub const ROLE_INLINE_POLICY_QUOTA: usize = 10_240;

const FIELD: &str = "inline_policy";

/// A permission (identity) policy document, kept as written.
#[derive(Debug, Clone, PartialEq)]
pub struct PermissionPolicy(Value);

impl PermissionPolicy {
    pub fn parse(text: &str) -> Result<Self, DomainError> {
        let value: Value = serde_json::from_str(text).map_err(|e| {
            DomainError::invalid(
                FIELD,
                format!("not valid JSON (line {}, column {}): {e}", e.line(), e.column()),
                "Fix the JSON at that position; a policy looks like {\"Version\":\"2012-10-17\",\"Statement\":[...]}.",
            )
        })?;
        let statements = match value.get("Statement") {
            Some(Value::Array(list)) if !list.is_empty() => list.clone(),
            Some(object @ Value::Object(_)) => vec![object.clone()],
            _ => {
                return Err(DomainError::invalid(
                    FIELD,
                    "the policy has no statements",
                    "Add a \"Statement\" list with at least one statement.",
                ));
            }
        };
        for (i, statement) in statements.iter().enumerate() {
            check_statement(i + 1, statement)?;
        }
        let policy = Self(value);
        let size = policy.to_compact_json().chars().count();
        if size > ROLE_INLINE_POLICY_QUOTA {
            return Err(DomainError::invalid(
                FIELD,
                format!(
                    "the policy is {size} characters, over IAM's {ROLE_INLINE_POLICY_QUOTA} for a role's inline policies"
                ),
                "Split it, or use a customer managed policy instead.",
            ));
        }
        if let Some(bad) =
            policy.to_compact_json().chars().find(|c| !matches!(*c, '\t' | '\n' | '\r' | ' '..='\u{ff}'))
        {
            return Err(DomainError::invalid(
                FIELD,
                format!("the policy contains {bad:?}, which IAM refuses"),
                "Use only Latin-1 characters.",
            ));
        }
        Ok(policy)
    }

    pub fn to_compact_json(&self) -> String {
        self.0.to_string()
    }

    pub fn as_value(&self) -> &Value {
        &self.0
    }
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
            ("{", "not valid JSON (line 1, column 1)"),
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
