//! Offline checks of an inline permission policy: what IAM would refuse (errors: malformed
//! actions and ARNs, empty lists, size, characters) and what is legal but risky or
//! probably a typo (warnings: every action, writes on every resource, actions the catalog
//! does not know).
//!
//! As with the trust-policy lints, every check must stay silent on valid, sensible
//! policies, and the syntax checks must accept every AWS-managed policy: those are valid
//! by definition, so a syntax error on one of them is a bug here (the tests run them all).

use serde_json::{Map, Value};

use super::action_catalog::{self, AccessLevel, ActionCheck, access_level, catalog_source, check_action};
use super::lint::{self, Lint, LintCode, PARTITIONS};
use super::permission_policy::{PermissionPolicy, ROLE_INLINE_POLICY_QUOTA};
use super::trust_policy::{is_allow, refused_characters, strings};

const ACTION_HINT: &str =
    "write service:Action, e.g. s3:GetObject; the action part may use * and ? wildcards (s3:Get*)";
const ARN_HINT: &str = "use \"*\" or an ARN such as arn:aws:s3:::my-bucket/*, with every ${...} placeholder \
                        filled in";

/// All findings, statement by statement in document order, then the document-wide ones.
pub fn lint_permission_policy(policy: &PermissionPolicy) -> Vec<Lint> {
    let mut lints = Vec::new();
    for (index, statement) in policy.statements().into_iter().enumerate() {
        let mut linter = StatementLinter { index, label: lint::label(index, statement), lints: &mut lints };
        linter.check(statement);
    }
    let used = policy.iam_character_count();
    if used > ROLE_INLINE_POLICY_QUOTA {
        lints.push(lint::document_lint(
            LintCode::OverQuota,
            format!(
                "the policy is {used} characters; a role's inline policies may total {ROLE_INLINE_POLICY_QUOTA}"
            ),
            "use service wildcards (s3:Get*) instead of long action lists, or move statements into a \
             customer managed policy",
        ));
    }
    lints.extend(lint::refused_characters_lint(&refused_characters(&policy.to_compact_json())));
    lints
}

struct StatementLinter<'a> {
    index: usize,
    label: String,
    lints: &'a mut Vec<Lint>,
}

impl StatementLinter<'_> {
    fn push(&mut self, code: LintCode, message: String, hint: impl Into<String>) {
        self.lints.push(lint::statement_lint(self.index, code, message, hint));
    }

    fn check(&mut self, statement: &Map<String, Value>) {
        for key in ["Action", "NotAction"] {
            if let Some(actions) = statement.get(key) {
                self.check_actions(key, actions);
            }
        }
        for key in ["Resource", "NotResource"] {
            if let Some(resources) = statement.get(key) {
                self.check_resources(key, resources);
            }
        }
        if !is_allow(statement) {
            return;
        }
        // NotAction / NotResource statements are "everything but": their risk is a
        // different question, and usually deliberate (deny-style guard rails).
        let actions = statement.get("Action").map(strings).unwrap_or_default();
        if actions.iter().any(|a| is_every_action(a)) {
            self.push(
                LintCode::WildcardAction,
                format!("{} allows every action (\"*\")", self.label),
                "list the actions the DAGs need, e.g. s3:GetObject, or a service wildcard such as s3:Get*",
            );
        }
        let on_everything = statement.get("Resource").is_some_and(|r| strings(r).contains(&"*"));
        if on_everything && let Some(write) = actions.iter().find(|a| writes(a)) {
            self.push(
                LintCode::WildcardResourceWithWrite,
                format!("{} allows {write}, which writes, on every resource (\"*\")", self.label),
                "name the resources it may change, e.g. arn:aws:s3:::my-bucket/*; keep \"*\" only for \
                 actions that take no resource (such as cloudwatch:PutMetricData), in a statement of their own",
            );
        }
    }

    fn check_actions(&mut self, key: &str, actions: &Value) {
        for entry in self.entries(key, actions, LintCode::MalformedAction, ACTION_HINT) {
            let Some(action) = self.string(key, entry, LintCode::MalformedAction, ACTION_HINT) else {
                continue;
            };
            match check_action(action) {
                ActionCheck::Known => {}
                ActionCheck::Malformed => self.push(
                    LintCode::MalformedAction,
                    format!("{}: {action:?} in {key} is not an action", self.label),
                    ACTION_HINT,
                ),
                ActionCheck::UnknownService => {
                    let service = action.split_once(':').map_or(action, |(service, _)| service);
                    self.push(
                        LintCode::UnknownAction,
                        format!(
                            "{}: {action:?}: the offline catalog has no service {service:?} (it comes from {}, \
                             so a brand-new service may be missing)",
                            self.label,
                            catalog_source()
                        ),
                        "check the prefix, e.g. s3, dynamodb, secretsmanager, states",
                    );
                }
                ActionCheck::UnknownAction => {
                    let problem = if action.contains(['*', '?']) {
                        "matches no action in the offline catalog"
                    } else {
                        "is not in the offline catalog"
                    };
                    self.push(
                        LintCode::UnknownAction,
                        format!(
                            "{}: {action:?} {problem} (it comes from {}, so a brand-new action may be missing)",
                            self.label,
                            catalog_source()
                        ),
                        "check the spelling; the action picker lists the catalog's actions",
                    );
                }
            }
        }
    }

    fn check_resources(&mut self, key: &str, resources: &Value) {
        for entry in self.entries(key, resources, LintCode::MalformedArn, ARN_HINT) {
            let Some(resource) = self.string(key, entry, LintCode::MalformedArn, ARN_HINT) else { continue };
            if let Some(problem) = arn_problem(resource) {
                self.push(
                    LintCode::MalformedArn,
                    format!("{}: {resource:?} in {key} is not an ARN: {problem}", self.label),
                    ARN_HINT,
                );
            }
        }
    }

    /// The entries of a string-or-list element. An empty list and a value of another kind
    /// are reported here (IAM refuses both).
    fn entries<'v>(&mut self, key: &str, value: &'v Value, code: LintCode, hint: &str) -> Vec<&'v Value> {
        match value {
            Value::String(_) => vec![value],
            Value::Array(items) if items.is_empty() => {
                let what = if key.ends_with("Action") { "actions" } else { "resources" };
                self.push(
                    LintCode::EmptyActionOrResource,
                    format!("{}: {key} is an empty list; IAM refuses a statement without {what}", self.label),
                    format!("add {what} to {key}, or remove the statement"),
                );
                Vec::new()
            }
            Value::Array(items) => items.iter().collect(),
            other => {
                self.push(code, format!("{}: {key} is {other}, not a string or a list", self.label), hint);
                Vec::new()
            }
        }
    }

    /// The entry's text; an entry that is not a string is reported (IAM refuses it).
    fn string<'v>(&mut self, key: &str, entry: &'v Value, code: LintCode, hint: &str) -> Option<&'v str> {
        let text = entry.as_str();
        if text.is_none() {
            self.push(code, format!("{}: an entry of {key} is {entry}, not a string", self.label), hint);
        }
        text
    }
}

fn is_every_action(action: &str) -> bool {
    action == "*" || action == "*:*"
}

/// Whether the action (or any catalog action a wildcard covers) writes. An action the
/// catalog does not know is judged by its name; a wildcard that covers nothing known
/// (an unknown service or a typo, warned about already) is not counted.
fn writes(action: &str) -> bool {
    if is_every_action(action) {
        return true;
    }
    let covered = action_catalog::expand(action);
    if covered.is_empty() {
        return !action.contains(['*', '?'])
            && action_catalog::split_action(action).is_some()
            && access_level(action) == AccessLevel::Write;
    }
    covered.into_iter().any(|(_, name)| access_level(name) == AccessLevel::Write)
}

/// Why `text` is not a resource IAM takes, or `None` if it is: `*`, or
/// `arn:partition:service:region:account:resource` with a known partition (or a wildcard),
/// a service, an account that is empty, 12 digits, `aws` (AWS's own resources such as
/// managed policies) or a wildcard, and a resource. Policy variables (`${aws:username}`,
/// `${*}`) may appear anywhere; a `${Name}` without a colon is a template placeholder left
/// unfilled.
pub(crate) fn arn_problem(text: &str) -> Option<String> {
    if text == "*" {
        return None;
    }
    let (parts, variables) = match scan(text) {
        Ok(scanned) => scanned,
        Err(problem) => return Some(problem),
    };
    if let Some(placeholder) = variables.iter().find(|v| !v.contains(':') && !matches!(**v, "*" | "?" | "$"))
    {
        return Some(format!("it still has the placeholder ${{{placeholder}}}"));
    }
    if parts[0] != "arn" {
        return Some(String::from("it does not start with arn:"));
    }
    let [_, partition, service, _region, account, resource] = parts[..] else {
        return Some(format!(
            "it has {} of the six parts arn:partition:service:region:account:resource",
            parts.len()
        ));
    };
    let pattern = |part: &str| part.contains(['*', '?']) || part.contains("${");
    if !PARTITIONS.contains(&partition) && !pattern(partition) {
        return Some(format!("{partition:?} is not an AWS partition (aws, aws-cn, aws-us-gov, ...)"));
    }
    if service.is_empty() {
        return Some(String::from("the service is empty"));
    }
    let account_id = account.len() == 12 && account.bytes().all(|b| b.is_ascii_digit());
    if !(account.is_empty() || account_id || account == "aws" || pattern(account)) {
        return Some(format!("the account {account:?} is not a 12-digit account id"));
    }
    if resource.is_empty() {
        return Some(String::from("the resource part is empty"));
    }
    None
}

/// Splits an ARN at the colons outside `${...}` (at most six parts: the resource may
/// contain colons) and lists the variables' names.
fn scan(text: &str) -> Result<(Vec<&str>, Vec<&str>), String> {
    let mut parts = Vec::with_capacity(6);
    let mut variables = Vec::new();
    let mut start = 0;
    let mut variable_start: Option<usize> = None;
    let bytes = text.as_bytes();
    let mut i = 0;
    while i < bytes.len() {
        match (bytes[i], variable_start) {
            (b'$', None) if bytes.get(i + 1) == Some(&b'{') => {
                variable_start = Some(i + 2);
                i += 1;
            }
            (b'}', Some(from)) => {
                variables.push(&text[from..i]);
                variable_start = None;
            }
            (b':', None) if parts.len() < 5 => {
                parts.push(&text[start..i]);
                start = i + 1;
            }
            _ => {}
        }
        i += 1;
    }
    if variable_start.is_some() {
        return Err(String::from("a ${ is not closed"));
    }
    parts.push(&text[start..]);
    Ok((parts, variables))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::aws::lint::LintLevel;
    use crate::aws::managed_catalog;

    /// A policy an Airflow deployment might sensibly have: every lint must stay silent.
    const SENSIBLE: &str = r#"{"Version":"2012-10-17","Statement":[
        {"Sid":"ReadData","Effect":"Allow","Action":["s3:GetObject","s3:ListBucket","S3:getObjectVersion"],"Resource":["arn:aws:s3:::data","arn:aws:s3:::data/*"]},
        {"Effect":"Allow","Action":"s3:Put*","Resource":"arn:aws:s3:::data/out/${aws:username}/*"},
        {"Effect":"Allow","Action":["secretsmanager:GetSecretValue"],"Resource":"arn:aws:secretsmanager:us-east-1:123456789012:secret:airflow/*"},
        {"Effect":"Allow","Action":["ec2:Describe*","logs:DescribeLogGroups","sts:GetCallerIdentity"],"Resource":"*"},
        {"Effect":"Allow","Action":"iam:PassRole","Resource":"arn:aws:iam::123456789012:role/glue-job","Condition":{"StringEquals":{"iam:PassedToService":"glue.amazonaws.com"}}},
        {"Effect":"Deny","NotAction":["s3:*","sts:GetCallerIdentity"],"Resource":"*"},
        {"Effect":"Deny","Action":"*","Resource":"*","Condition":{"Bool":{"aws:SecureTransport":"false"}}}
    ]}"#;

    fn lints(text: &str) -> Vec<Lint> {
        lint_permission_policy(&PermissionPolicy::parse_unbounded(text).expect("valid policy"))
    }

    fn codes(text: &str) -> Vec<LintCode> {
        lints(text).into_iter().map(|l| l.code).collect()
    }

    fn one(statement: &str) -> String {
        format!(r#"{{"Version":"2012-10-17","Statement":[{statement}]}}"#)
    }

    fn allow(action: &str, resource: &str) -> String {
        one(&format!(r#"{{"Effect":"Allow","Action":{action},"Resource":{resource}}}"#))
    }

    #[test]
    fn a_sensible_policy_is_silent() {
        assert_eq!(lints(SENSIBLE), []);
    }

    #[test]
    fn wildcard_action() {
        let found =
            lints(&one(r#"{"Sid":"Admin","Effect":"Allow","Action":"*","Resource":"arn:aws:s3:::b"}"#));
        assert_eq!(
            found,
            [Lint {
                level: LintLevel::Warning,
                code: LintCode::WildcardAction,
                message: "statement 1 (\"Admin\") allows every action (\"*\")".into(),
                hint:
                    "list the actions the DAGs need, e.g. s3:GetObject, or a service wildcard such as s3:Get*"
                        .into(),
                statement: Some(0),
            }]
        );
        assert_eq!(
            codes(&allow(r#"["s3:GetObject","*:*"]"#, r#""arn:aws:s3:::b""#)),
            [LintCode::WildcardAction]
        );
        // A service wildcard, a Deny, or a NotAction is not "every action".
        assert_eq!(codes(&allow(r#""s3:*""#, r#""arn:aws:s3:::b""#)), []);
        assert_eq!(codes(&one(r#"{"Effect":"Deny","Action":"*","Resource":"arn:aws:s3:::b"}"#)), []);
        assert_eq!(codes(&one(r#"{"Effect":"Allow","NotAction":"*","Resource":"arn:aws:s3:::b"}"#)), []);
    }

    #[test]
    fn wildcard_resource_with_write() {
        let found = lints(
            r#"{"Statement":[{"Effect":"Allow","Action":"s3:GetObject","Resource":"*"},{"Effect":"Allow","Action":["s3:GetObject","s3:Put*"],"Resource":["arn:aws:s3:::b","*"]}]}"#,
        );
        assert_eq!(found.len(), 1, "{found:?}");
        assert_eq!(
            (found[0].level, found[0].code, found[0].statement),
            (LintLevel::Warning, LintCode::WildcardResourceWithWrite, Some(1))
        );
        assert_eq!(found[0].message, "statement 2 allows s3:Put*, which writes, on every resource (\"*\")");
        for write in
            [r#""s3:*""#, r#""s3:deleteobject""#, r#""dynamodb:PutItem""#, r#""lambda:InvokeFunction""#]
        {
            assert_eq!(codes(&allow(write, r#""*""#)), [LintCode::WildcardResourceWithWrite], "{write}");
        }
        assert_eq!(
            codes(&allow(r#""*""#, r#""*""#)),
            [LintCode::WildcardAction, LintCode::WildcardResourceWithWrite]
        );
        // Reads (including read-only wildcards), named resources, NotAction, Deny: fine.
        for read in [r#""s3:Get*""#, r#"["s3:List*","ec2:Describe*","dynamodb:Query"]"#, r#""s3:HeadObject""#]
        {
            assert_eq!(codes(&allow(read, r#""*""#)), [], "{read}");
        }
        assert_eq!(codes(&allow(r#""s3:PutObject""#, r#""arn:aws:s3:::b/*""#)), []);
        assert_eq!(codes(&one(r#"{"Effect":"Allow","NotAction":"s3:GetObject","Resource":"*"}"#)), []);
        assert_eq!(codes(&one(r#"{"Effect":"Deny","Action":"s3:PutObject","Resource":"*"}"#)), []);
        assert_eq!(codes(&one(r#"{"Effect":"Allow","Action":"s3:PutObject","NotResource":"*"}"#)), []);
    }

    #[test]
    fn unknown_actions_are_warnings_that_name_the_catalog() {
        let found = lints(&allow(r#"["s3:GetObjekt","s4:GetObject","s3:Gte*"]"#, r#""arn:aws:s3:::b""#));
        assert_eq!(
            found.iter().map(|l| (l.level, l.code)).collect::<Vec<_>>(),
            [
                (LintLevel::Warning, LintCode::UnknownAction),
                (LintLevel::Warning, LintCode::UnknownAction),
                (LintLevel::Warning, LintCode::UnknownAction),
            ]
        );
        let source = catalog_source();
        assert_eq!(
            found[0].message,
            format!(
                "statement 1: \"s3:GetObjekt\" is not in the offline catalog (it comes from {source}, so a brand-new action may be missing)"
            )
        );
        assert!(found[0].message.contains("botocore"));
        assert!(
            found[1]
                .message
                .starts_with("statement 1: \"s4:GetObject\": the offline catalog has no service \"s4\"")
        );
        assert!(found[2].message.contains("\"s3:Gte*\" matches no action"));
        assert_eq!(
            codes(&allow(r#"["s3:GetObject","S3:LISTBUCKET","iam:PassRole"]"#, r#""arn:aws:s3:::b""#)),
            []
        );
    }

    #[test]
    fn malformed_actions_are_errors() {
        let found = lints(&one(
            r#"{"Effect":"Allow","Action":["s3GetObject","s3:Get Object",7],"Resource":"arn:aws:s3:::b"}"#,
        ));
        assert_eq!(
            found.iter().map(|l| (l.level, l.code, l.message.as_str())).collect::<Vec<_>>(),
            [
                (
                    LintLevel::Error,
                    LintCode::MalformedAction,
                    "statement 1: \"s3GetObject\" in Action is not an action"
                ),
                (
                    LintLevel::Error,
                    LintCode::MalformedAction,
                    "statement 1: \"s3:Get Object\" in Action is not an action"
                ),
                (
                    LintLevel::Error,
                    LintCode::MalformedAction,
                    "statement 1: an entry of Action is 7, not a string"
                ),
            ]
        );
        assert_eq!(
            lints(&one(r#"{"Effect":"Deny","NotAction":{"s3":1},"Resource":"*"}"#))[0].message,
            "statement 1: NotAction is {\"s3\":1}, not a string or a list"
        );
        assert_eq!(codes(&allow(r#""ec2:Describe?nstances""#, r#""*""#)), []);
    }

    #[test]
    fn malformed_arns_are_errors() {
        let bad = [
            ("arn:aws:s3", "it has 3 of the six parts arn:partition:service:region:account:resource"),
            ("arn:aws-eu:s3:::b", "\"aws-eu\" is not an AWS partition (aws, aws-cn, aws-us-gov, ...)"),
            ("arn:aws::us-east-1:123456789012:x", "the service is empty"),
            ("arn:aws:sqs:us-east-1:1234:q", "the account \"1234\" is not a 12-digit account id"),
            ("arn:aws:s3:::", "the resource part is empty"),
            ("s3://bucket/key", "it does not start with arn:"),
            ("my-bucket", "it does not start with arn:"),
            ("arn:${Partition}:s3:::${BucketName}", "it still has the placeholder ${Partition}"),
            ("arn:aws:s3:::b/${aws:username", "a ${ is not closed"),
            ("", "it does not start with arn:"),
        ];
        for (resource, problem) in bad {
            let found = lints(&allow(r#""s3:GetObject""#, &format!("{resource:?}")));
            assert_eq!(found.len(), 1, "{resource}: {found:?}");
            assert_eq!((found[0].level, found[0].code), (LintLevel::Error, LintCode::MalformedArn));
            assert_eq!(
                found[0].message,
                format!("statement 1: {resource:?} in Resource is not an ARN: {problem}")
            );
        }
        let good = [
            "*",
            "arn:aws:s3:::bucket/key:with:colons",
            "arn:aws-cn:s3:::b",
            "arn:aws-us-gov:sqs:us-gov-west-1:123456789012:q",
            "arn:*:kms:*:${aws:PrincipalAccount}:key/*",
            "arn:aws:iam::aws:policy/service-role/AWSGlueServiceRole",
            "arn:aws:logs:*:*:log-group:/aws/airflow/*:log-stream:*",
            "arn:aws:dynamodb:us-east-1:12345678901?:table/t",
            "arn:aws:s3:::b/${*}/${?}/${$}",
            "arn:aws:lambda:us-east-1:123456789012:function:f:${aws:PrincipalTag/stage}",
        ];
        for resource in good {
            assert_eq!(arn_problem(resource), None, "{resource}");
        }
        assert_eq!(
            lints(&one(r#"{"Effect":"Deny","Action":"s3:*","NotResource":[1]}"#))[0].message,
            "statement 1: an entry of NotResource is 1, not a string"
        );
    }

    #[test]
    fn arn_templates_are_arns_once_filled_in() {
        for service in action_catalog::services() {
            for template in action_catalog::arn_templates(&service.prefix) {
                assert!(arn_problem(&template.template).is_some_and(|p| p.contains("placeholder")));
                let mut filled = template.template.clone();
                for (placeholder, value) in
                    [("${Partition}", "aws"), ("${Region}", "us-east-1"), ("${Account}", "123456789012")]
                {
                    filled = filled.replace(placeholder, value);
                }
                while let Some(start) = filled.find("${") {
                    let end = filled[start..].find('}').map_or(filled.len(), |e| start + e + 1);
                    filled.replace_range(start..end, "x");
                }
                assert_eq!(arn_problem(&filled), None, "{} → {filled}", template.template);
            }
        }
    }

    #[test]
    fn empty_lists_are_errors() {
        let found = lints(&one(r#"{"Effect":"Allow","Action":[],"Resource":[]}"#));
        assert_eq!(
            found.iter().map(|l| (l.level, l.code, l.message.as_str())).collect::<Vec<_>>(),
            [
                (
                    LintLevel::Error,
                    LintCode::EmptyActionOrResource,
                    "statement 1: Action is an empty list; IAM refuses a statement without actions"
                ),
                (
                    LintLevel::Error,
                    LintCode::EmptyActionOrResource,
                    "statement 1: Resource is an empty list; IAM refuses a statement without resources"
                ),
            ]
        );
    }

    #[test]
    fn over_quota_and_refused_characters_are_document_errors() {
        let big =
            allow(r#""s3:GetObject""#, &format!("\"arn:aws:s3:::{}\"", "a".repeat(ROLE_INLINE_POLICY_QUOTA)));
        let found = lints(&big);
        assert_eq!(found.len(), 1, "{found:?}");
        assert_eq!(
            (found[0].level, found[0].code, found[0].statement),
            (LintLevel::Error, LintCode::OverQuota, None)
        );
        let size = PermissionPolicy::parse_unbounded(&big).expect("valid").iam_character_count();
        assert_eq!(
            found[0].message,
            format!("the policy is {size} characters; a role's inline policies may total 10240")
        );
        let euro = one(r#"{"Sid":"€","Effect":"Allow","Action":"s3:GetObject","Resource":"*"}"#);
        assert_eq!(codes(&euro), [LintCode::RefusedCharacters]);
    }

    /// AWS's own policies are valid by definition: no syntax error may fire on them.
    #[test]
    fn aws_managed_policies_have_no_syntax_errors() {
        // The one exception: AWS wrote an empty resource part here, which IAM evidently
        // accepted, but which means nothing; the lint is right to question it in a
        // customer's policy.
        const KNOWN: [(&str, &str); 1] =
            [("AmazonDevOpsGuruOrganizationsAccess", "arn:aws:organizations::*:")];
        let mut unknown = 0;
        let mut checked = 0;
        for (policy, document) in managed_catalog::all() {
            let parsed = PermissionPolicy::parse_unbounded(document)
                .unwrap_or_else(|e| panic!("{}: {e}", policy.name));
            for lint in lint_permission_policy(&parsed) {
                match lint.code {
                    LintCode::MalformedAction
                    | LintCode::EmptyActionOrResource
                    | LintCode::RefusedCharacters => {
                        panic!("{}: {}", policy.name, lint.message)
                    }
                    LintCode::MalformedArn => assert!(
                        KNOWN.iter().any(|(name, arn)| *name == policy.name && lint.message.contains(arn)),
                        "{}: {}",
                        policy.name,
                        lint.message
                    ),
                    LintCode::UnknownAction => unknown += 1,
                    _ => {}
                }
            }
            checked += 1;
        }
        assert_eq!(checked, managed_catalog::count());
        // Wildcards on services botocore lacks (deeplens:*, zocalo:*, ...) or matching
        // only actions it lacks (deepracer:Create*): 70 in the botocore 1.44.8 + moto 5.2.5 snapshot.
        assert!(unknown < 100, "{unknown} unknown-action warnings on AWS's own policies");
    }
}
