//! Offline checks of one IAM change before we write it: what IAM would refuse (errors) and
//! what is legal but probably not meant (warnings).
//!
//! The lints are about the change being made. The customer's existing bindings (basic
//! roles, public members) are theirs and were there before; flagging them would make
//! every plan noisy and teach people to click through the warnings that matter. Only
//! the policy-wide limits look at everything, because the change is what crosses them.

use serde::{Deserialize, Serialize};

use super::catalog::{self, is_basic_role};
use super::iam_policy::{Condition, Grant, IamPolicy};
use super::identity::parse_member;

/// Google's limit of principals per allow policy (every appearance in a binding counts).
pub const MAX_PRINCIPALS: u32 = 1500;
/// Google's limit of Google groups per allow policy.
pub const MAX_GROUPS: u32 = 250;

const DATA_ROLES_HINT: &str = "grant predefined roles for what the DAGs use instead, e.g. \
     roles/bigquery.jobUser + roles/bigquery.dataViewer to query BigQuery, \
     roles/storage.objectViewer (roles/storage.objectAdmin to write) for Cloud Storage, \
     roles/secretmanager.secretAccessor for secrets";
const READ_ROLES_HINT: &str = "to read data grant roles/bigquery.jobUser + roles/bigquery.dataViewer \
     for BigQuery or roles/storage.objectViewer for Cloud Storage instead";

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "specta", derive(specta::Type))]
#[serde(rename_all = "camelCase")]
pub enum IamLintLevel {
    /// IAM would refuse the policy: the plan cannot be applied.
    Error,
    /// Legal but risky: applying needs an explicit confirmation.
    Warning,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "specta", derive(specta::Type))]
#[serde(rename_all = "snake_case")]
pub enum IamLintCode {
    /// The role is not `roles/…`, `projects/…/roles/…` or `organizations/…/roles/…`.
    InvalidRole,
    /// A member IAM would refuse (see [`parse_member`]).
    InvalidMember,
    ConditionOnBasicRole,
    BasicRole,
    /// `roles/…` not in the offline catalog: a typo, or a role newer than the catalog.
    UnknownRole,
    PublicMember,
    TooManyPrincipals,
    TooManyGroups,
}

impl IamLintCode {
    pub fn level(self) -> IamLintLevel {
        match self {
            Self::InvalidRole
            | Self::InvalidMember
            | Self::ConditionOnBasicRole
            | Self::TooManyPrincipals
            | Self::TooManyGroups => IamLintLevel::Error,
            Self::BasicRole | Self::UnknownRole | Self::PublicMember => IamLintLevel::Warning,
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "specta", derive(specta::Type))]
#[serde(rename_all = "camelCase")]
pub struct IamLint {
    pub level: IamLintLevel,
    pub code: IamLintCode,
    pub message: String,
    pub hint: String,
    /// 0-based index of the binding the change lands in; `None` for the whole policy.
    pub binding: Option<u32>,
}

/// Findings about granting `role` to `member` under `condition`, given the policy after
/// the change: the change's own lints first, then the policy-wide limits.
pub fn lint_change(
    policy_after: &IamPolicy,
    role: &str,
    member: &str,
    condition: Option<&Condition>,
) -> Vec<IamLint> {
    let mut lints = grant_lints(policy_after, role, member, condition);
    lints.extend(lint_policy(policy_after));
    lints
}

/// [`lint_change`] for every grant in `added`, then the policy-wide limits once: for plans
/// of arbitrary edits (redo, restore).
pub fn lint_grants(policy_after: &IamPolicy, added: &[Grant]) -> Vec<IamLint> {
    let mut lints: Vec<IamLint> = added
        .iter()
        .flat_map(|g| grant_lints(policy_after, &g.role, &g.member, g.condition.as_ref()))
        .collect();
    lints.extend(lint_policy(policy_after));
    lints
}

/// The policy-wide limits, which IAM enforces on every write.
///
/// Both are errors: the counts are lower bounds of what IAM counts (see
/// [`IamPolicy::principal_count`]), so when they are over the limit IAM refuses the write.
pub fn lint_policy(policy: &IamPolicy) -> Vec<IamLint> {
    let mut lints = Vec::new();
    let principals = policy.principal_count();
    if principals > MAX_PRINCIPALS {
        lints.push(document_lint(
            IamLintCode::TooManyPrincipals,
            format!(
                "the policy would have {principals} principals; Google allows 1,500 per policy \
                 (a principal in two bindings counts twice)"
            ),
            "remove principals that no longer need access, or grant the role to a Google group of them",
        ));
    }
    let groups = policy.group_count();
    if groups > MAX_GROUPS {
        lints.push(document_lint(
            IamLintCode::TooManyGroups,
            format!("the policy would have {groups} Google groups; Google allows 250 per policy"),
            "remove groups that no longer need access, or nest them in fewer groups",
        ));
    }
    lints
}

fn grant_lints(
    policy_after: &IamPolicy,
    role: &str,
    member: &str,
    condition: Option<&Condition>,
) -> Vec<IamLint> {
    let binding = policy_after.binding_index(role, member, condition);
    let lint = |code: IamLintCode, message: String, hint: String| IamLint {
        level: code.level(),
        code,
        message,
        hint,
        binding,
    };
    let mut lints = Vec::new();
    match role_kind(role) {
        RoleKind::Invalid => {
            let hint = match catalog::suggest(role) {
                Some(known) => format!("did you mean {}?", known.name),
                None => "predefined roles look like roles/bigquery.jobUser, custom roles like \
                         projects/PROJECT/roles/ROLE or organizations/ORG/roles/ROLE"
                    .to_owned(),
            };
            lints.push(lint(IamLintCode::InvalidRole, format!("{role:?} is not a role name"), hint));
        }
        RoleKind::Predefined if is_basic_role(role) => {
            if condition.is_some() {
                lints.push(lint(
                    IamLintCode::ConditionOnBasicRole,
                    format!("conditions cannot be used with basic roles such as {role}"),
                    "grant a predefined role with the condition instead, or drop the condition".to_owned(),
                ));
            }
            let (scope, hint) = match role {
                "roles/owner" => {
                    ("full control of every resource, including who has access", DATA_ROLES_HINT)
                }
                "roles/editor" => ("write access to almost every resource", DATA_ROLES_HINT),
                _ => ("read access to almost every resource", READ_ROLES_HINT),
            };
            lints.push(lint(
                IamLintCode::BasicRole,
                format!("{role} is a basic role: in the whole project it grants {scope}"),
                hint.to_owned(),
            ));
        }
        RoleKind::Predefined if catalog::role(role).is_none() => {
            let hint = match catalog::suggest(role) {
                Some(known) => format!("did you mean {}?", known.name),
                None => "check the spelling; a role Google added recently may be missing from the \
                         offline list and is fine"
                    .to_owned(),
            };
            lints.push(lint(
                IamLintCode::UnknownRole,
                format!("{role} is not a predefined role we know of"),
                hint,
            ));
        }
        RoleKind::Predefined | RoleKind::Custom => {}
    }
    match parse_member(member) {
        Err(e) => {
            let problem = e.to_string();
            let problem = problem.strip_prefix("member: ").unwrap_or(&problem);
            lints.push(lint(
                IamLintCode::InvalidMember,
                format!("{member:?} is not a member IAM accepts: {problem}"),
                e.hint().to_owned(),
            ));
        }
        Ok(_) if member == "allUsers" => lints.push(lint(
            IamLintCode::PublicMember,
            format!("allUsers grants {role} to anyone on the internet, signed in or not"),
            "grant the role to Astro's service account (serviceAccount:…) instead".to_owned(),
        )),
        Ok(_) if member == "allAuthenticatedUsers" => lints.push(lint(
            IamLintCode::PublicMember,
            format!(
                "allAuthenticatedUsers grants {role} to anyone with a Google account, in any organization"
            ),
            "grant the role to Astro's service account (serviceAccount:…) instead".to_owned(),
        )),
        Ok(_) => {}
    }
    lints
}

enum RoleKind {
    Predefined,
    Custom,
    Invalid,
}

/// The three forms IAM accepts in a binding's `role`.
fn role_kind(role: &str) -> RoleKind {
    let id_ok =
        |id: &str| !id.is_empty() && id.chars().all(|c| c.is_ascii_alphanumeric() || matches!(c, '.' | '_'));
    if let Some(id) = role.strip_prefix("roles/") {
        return if id_ok(id) { RoleKind::Predefined } else { RoleKind::Invalid };
    }
    let parts: Vec<&str> = role.split('/').collect();
    match parts[..] {
        ["projects" | "organizations", parent, "roles", id]
            if !parent.is_empty() && !parent.contains(char::is_whitespace) && id_ok(id) =>
        {
            RoleKind::Custom
        }
        _ => RoleKind::Invalid,
    }
}

fn document_lint(code: IamLintCode, message: String, hint: &str) -> IamLint {
    IamLint { level: code.level(), code, message, hint: hint.to_owned(), binding: None }
}

#[cfg(test)]
mod tests {
    use super::*;

    const ASTRO: &str = "serviceAccount:astro-fiery-nebula-1234@astronomer-prod.iam.gserviceaccount.com";

    fn policy(text: &str) -> IamPolicy {
        IamPolicy::parse(text).expect("valid policy")
    }

    /// The lints of adding `member` as `role` to a policy with one unrelated binding.
    fn lints(role: &str, member: &str, condition: Option<&Condition>) -> Vec<IamLint> {
        let before = policy(
            r#"{"bindings":[{"role":"roles/logging.viewer","members":["user:a@example.com"]}],"version":1}"#,
        );
        let after = before.add_member(role, member, condition);
        lint_change(&after, role, member, condition)
    }

    fn codes(role: &str, member: &str, condition: Option<&Condition>) -> Vec<IamLintCode> {
        lints(role, member, condition).into_iter().map(|l| l.code).collect()
    }

    fn condition() -> Condition {
        Condition::new("until 2027", None, "request.time < timestamp(\"2027-01-01T00:00:00Z\")")
            .expect("valid")
    }

    #[test]
    fn least_privilege_grants_are_clean() {
        for role in ["roles/bigquery.jobUser", "roles/storage.objectViewer", catalog::TOKEN_CREATOR_ROLE] {
            assert!(codes(role, ASTRO, None).is_empty(), "{role}");
            assert!(codes(role, ASTRO, Some(&condition())).is_empty(), "{role}");
        }
        assert!(codes("projects/astronomer-prod/roles/airflowReader", ASTRO, None).is_empty());
        assert!(codes("organizations/123456789012/roles/custom.role_1", ASTRO, None).is_empty());
    }

    #[test]
    fn basic_roles_warn_with_alternatives() {
        let found = lints("roles/editor", ASTRO, None);
        assert_eq!(
            found,
            [IamLint {
                level: IamLintLevel::Warning,
                code: IamLintCode::BasicRole,
                message: "roles/editor is a basic role: in the whole project it grants write access to almost every resource"
                    .to_owned(),
                hint: DATA_ROLES_HINT.to_owned(),
                binding: Some(1),
            }]
        );
        assert!(found[0].hint.contains("roles/bigquery.jobUser + roles/bigquery.dataViewer"));
        assert!(found[0].hint.contains("roles/storage.objectViewer"));
        let owner = lints("roles/owner", ASTRO, None);
        assert_eq!(
            owner[0].message,
            "roles/owner is a basic role: in the whole project it grants full control of every resource, including who has access"
        );
        let viewer = lints("roles/viewer", ASTRO, None);
        assert_eq!(viewer[0].code, IamLintCode::BasicRole);
        assert_eq!(viewer[0].hint, READ_ROLES_HINT);
    }

    #[test]
    fn conditions_on_basic_roles_are_errors() {
        let found = lints("roles/owner", ASTRO, Some(&condition()));
        assert_eq!(
            found.iter().map(|l| l.code).collect::<Vec<_>>(),
            [IamLintCode::ConditionOnBasicRole, IamLintCode::BasicRole]
        );
        assert_eq!(found[0].level, IamLintLevel::Error);
        assert_eq!(found[0].message, "conditions cannot be used with basic roles such as roles/owner");
        assert_eq!(found[0].binding, Some(1));
        assert_eq!(codes("roles/owner", ASTRO, None), [IamLintCode::BasicRole]);
    }

    #[test]
    fn pre_existing_basic_roles_are_not_ours() {
        let before = policy(r#"{"bindings":[{"role":"roles/owner","members":["allUsers"]}]}"#);
        let after = before.add_member("roles/bigquery.jobUser", ASTRO, None);
        assert!(lint_change(&after, "roles/bigquery.jobUser", ASTRO, None).is_empty());
    }

    #[test]
    fn public_members_warn() {
        let found = lints("roles/storage.objectViewer", "allUsers", None);
        assert_eq!(found.len(), 1);
        assert_eq!((found[0].level, found[0].code), (IamLintLevel::Warning, IamLintCode::PublicMember));
        assert_eq!(
            found[0].message,
            "allUsers grants roles/storage.objectViewer to anyone on the internet, signed in or not"
        );
        let found = lints("roles/storage.objectViewer", "allAuthenticatedUsers", None);
        assert_eq!(
            found[0].message,
            "allAuthenticatedUsers grants roles/storage.objectViewer to anyone with a Google account, in any organization"
        );
        assert!(codes("roles/storage.objectViewer", "domain:example.com", None).is_empty());
    }

    #[test]
    fn unknown_roles_warn_and_suggest() {
        let found = lints("roles/bigquery.jobuser", ASTRO, None);
        assert_eq!(found.len(), 1);
        assert_eq!((found[0].level, found[0].code), (IamLintLevel::Warning, IamLintCode::UnknownRole));
        assert_eq!(found[0].message, "roles/bigquery.jobuser is not a predefined role we know of");
        assert_eq!(found[0].hint, "did you mean roles/bigquery.jobUser?");
        let found = lints("roles/bigquery.brandNewRole", ASTRO, None);
        assert_eq!(found[0].code, IamLintCode::UnknownRole);
        assert!(found[0].hint.starts_with("check the spelling"));
    }

    #[test]
    fn malformed_roles_are_errors() {
        let found = lints("bigquery.jobUser", ASTRO, None);
        assert_eq!((found[0].level, found[0].code), (IamLintLevel::Error, IamLintCode::InvalidRole));
        assert_eq!(found[0].message, "\"bigquery.jobUser\" is not a role name");
        assert_eq!(found[0].hint, "did you mean roles/bigquery.jobUser?");
        for bad in [
            "roles/",
            "roles/big query",
            "projects//roles/x",
            "projects/p/roles/",
            "projects/p/x/roles/y",
            "",
        ] {
            assert_eq!(codes(bad, ASTRO, None), [IamLintCode::InvalidRole], "{bad}");
        }
    }

    #[test]
    fn invalid_members_are_errors() {
        let found = lints("roles/bigquery.jobUser", "astro-x@p-123456.iam.gserviceaccount.com", None);
        assert_eq!(found.len(), 1);
        assert_eq!((found[0].level, found[0].code), (IamLintLevel::Error, IamLintCode::InvalidMember));
        assert_eq!(
            found[0].message,
            "\"astro-x@p-123456.iam.gserviceaccount.com\" is not a member IAM accepts: has no member prefix such as serviceAccount:"
        );
        assert_eq!(
            found[0].hint,
            "a service account is serviceAccount:astro-x@p-123456.iam.gserviceaccount.com"
        );
    }

    fn big_policy(principals: usize, groups: usize) -> IamPolicy {
        let mut members: Vec<String> = (0..principals).map(|i| format!("user:u{i}@example.com")).collect();
        members.extend((0..groups).map(|i| format!("group:g{i}@example.com")));
        IamPolicy::from_value(
            serde_json::json!({"bindings": [{"role": "roles/logging.viewer", "members": members}]}),
        )
        .expect("valid")
    }

    #[test]
    fn principal_limit_applies_to_the_whole_policy() {
        // 1,499 + Astro = 1,500: fine.
        let at_limit = big_policy(1499, 0).add_member("roles/bigquery.jobUser", ASTRO, None);
        assert_eq!(at_limit.principal_count(), 1500);
        assert!(lint_change(&at_limit, "roles/bigquery.jobUser", ASTRO, None).is_empty());
        let over = big_policy(1500, 0).add_member("roles/bigquery.jobUser", ASTRO, None);
        let found = lint_change(&over, "roles/bigquery.jobUser", ASTRO, None);
        assert_eq!(found.len(), 1);
        assert_eq!(
            (found[0].level, found[0].code, found[0].binding),
            (IamLintLevel::Error, IamLintCode::TooManyPrincipals, None)
        );
        assert_eq!(
            found[0].message,
            "the policy would have 1501 principals; Google allows 1,500 per policy (a principal in two bindings counts twice)"
        );
    }

    #[test]
    fn group_limit() {
        let at_limit =
            big_policy(0, 249).add_member("roles/bigquery.jobUser", "group:astro@example.com", None);
        assert!(lint_change(&at_limit, "roles/bigquery.jobUser", "group:astro@example.com", None).is_empty());
        let over = big_policy(0, 250).add_member("roles/bigquery.jobUser", "group:astro@example.com", None);
        let found = lint_change(&over, "roles/bigquery.jobUser", "group:astro@example.com", None);
        assert_eq!(
            found.iter().map(|l| (l.level, l.code)).collect::<Vec<_>>(),
            [(IamLintLevel::Error, IamLintCode::TooManyGroups)]
        );
        assert_eq!(found[0].message, "the policy would have 251 Google groups; Google allows 250 per policy");
    }

    #[test]
    fn lint_grants_covers_every_added_grant() {
        let after = policy(r#"{"bindings":[{"role":"roles/owner","members":["allUsers"]}]}"#);
        let added = after.grants();
        let found: Vec<IamLintCode> = lint_grants(&after, &added).into_iter().map(|l| l.code).collect();
        assert_eq!(found, [IamLintCode::BasicRole, IamLintCode::PublicMember]);
        assert!(lint_grants(&after, &[]).is_empty());
    }

    #[test]
    fn codes_serialize_snake_case() {
        assert_eq!(
            serde_json::to_string(&IamLintCode::ConditionOnBasicRole).expect("serialize"),
            "\"condition_on_basic_role\""
        );
        assert_eq!(serde_json::to_string(&IamLintLevel::Error).expect("serialize"), "\"error\"");
    }
}
