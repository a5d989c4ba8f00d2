//! An IAM policy change as a value: before, after, diff and lints, computed before
//! anything is written, shown to the user, then applied exactly as planned (with the
//! `etag` of `before`, so a concurrent change makes IAM refuse instead of losing it).

use serde::{Deserialize, Serialize};

use super::iam_policy::{Condition, Grant, IamPolicy};
use super::lint::{IamLint, IamLintLevel, lint_change, lint_grants};
use crate::diff::{DiffLine, line_diff};

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "specta", derive(specta::Type))]
#[serde(rename_all = "camelCase")]
pub struct IamPlan {
    /// Pretty JSON of the live policy (every resource has one, possibly empty).
    pub before_json: String,
    /// Pretty JSON of the policy after the change, for display.
    pub after_json: String,
    /// Exactly what will be sent to `setIamPolicy`, `etag` included.
    pub compact_after: String,
    pub diff: Vec<DiffLine>,
    pub lints: Vec<IamLint>,
    pub changed: bool,
    /// IAM would refuse `after` (an error lint): applying is not offered.
    pub blocked: bool,
    /// The change has warnings: applying needs an explicit confirmation.
    pub needs_confirmation: bool,
    /// The grant asked for; empty for [`IamPlan::for_documents`], where nothing was asked.
    pub role: String,
    /// Everyone the role is granted to, in one write (several Deployments at once).
    pub members: Vec<String>,
    pub condition: Option<Condition>,
    /// Principals in `after`, against Google's limit of 1,500.
    pub principal_count: u32,
    /// Google groups in `after`, against Google's limit of 250.
    pub group_count: u32,
    /// Grants `after` has and `before` had not.
    pub added: Vec<Grant>,
    /// Grants `before` had and `after` has not (undo, revoke).
    pub removed: Vec<Grant>,
}

impl IamPlan {
    /// The plan to grant `role` to each of `members` under `condition` on the live policy
    /// `before`.
    pub fn build(
        before: &IamPolicy,
        role: &str,
        members: &[String],
        condition: Option<&Condition>,
    ) -> IamPlan {
        let after =
            members.iter().fold(before.clone(), |policy, member| policy.add_member(role, member, condition));
        let mut lints: Vec<IamLint> = Vec::new();
        for member in members {
            for lint in lint_change(&after, role, member, condition) {
                if !lints.contains(&lint) {
                    lints.push(lint);
                }
            }
        }
        IamPlan {
            role: role.to_owned(),
            members: members.to_vec(),
            condition: condition.cloned(),
            ..Self::assemble(before, &after, lints)
        }
    }

    /// The plan for any edit, e.g. an undo back to a journaled `before`. Lints cover the
    /// grants `after` adds and the policy-wide limits.
    pub fn for_documents(before: &IamPolicy, after: &IamPolicy) -> IamPlan {
        let added = difference(&after.grants(), &before.grants());
        let lints = lint_grants(after, &added);
        Self::assemble(before, after, lints)
    }

    fn assemble(before: &IamPolicy, after: &IamPolicy, lints: Vec<IamLint>) -> IamPlan {
        let before_json = before.to_pretty_json();
        let after_json = after.to_pretty_json();
        let compact_after = after.to_compact_json();
        let (grants_before, grants_after) = (before.grants(), after.grants());
        IamPlan {
            diff: line_diff(Some(&before_json), &after_json),
            changed: before.to_compact_json() != compact_after,
            blocked: lints.iter().any(|l| l.level == IamLintLevel::Error),
            needs_confirmation: lints.iter().any(|l| l.level == IamLintLevel::Warning),
            role: String::new(),
            members: Vec::new(),
            condition: None,
            principal_count: after.principal_count(),
            group_count: after.group_count(),
            added: difference(&grants_after, &grants_before),
            removed: difference(&grants_before, &grants_after),
            lints,
            before_json,
            after_json,
            compact_after,
        }
    }
}

/// The grants of `a` not in `b`, in `a`'s order.
fn difference(a: &[Grant], b: &[Grant]) -> Vec<Grant> {
    a.iter().filter(|g| !b.contains(g)).cloned().collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::diff::DiffKind;
    use crate::gcp::lint::IamLintCode;

    const ASTRO: &str = "serviceAccount:astro-fiery-nebula-1234@astronomer-prod.iam.gserviceaccount.com";
    const JOB_USER: &str = "roles/bigquery.jobUser";

    fn policy(text: &str) -> IamPolicy {
        IamPolicy::parse(text).expect("valid policy")
    }

    fn before() -> IamPolicy {
        policy(
            r#"{"version":1,"etag":"BwX=","bindings":[{"role":"roles/bigquery.jobUser","members":["user:a@example.com"]}]}"#,
        )
    }

    fn changes(plan: &IamPlan) -> Vec<(DiffKind, &str)> {
        plan.diff.iter().filter(|l| l.kind != DiffKind::Same).map(|l| (l.kind, l.text.as_str())).collect()
    }

    #[test]
    fn one_plan_grants_several_members_and_skips_those_already_in() {
        const OTHER: &str = "serviceAccount:astro-quiet-star-5678@astronomer-prod.iam.gserviceaccount.com";
        let members = [ASTRO.to_owned(), OTHER.to_owned(), String::from("user:a@example.com")];
        let plan = IamPlan::build(&before(), JOB_USER, &members, None);
        assert_eq!(plan.members, members);
        let added: Vec<&str> = plan.added.iter().map(|g| g.member.as_str()).collect();
        assert_eq!(added, [ASTRO, OTHER], "user:a was in the binding already");
        assert_eq!(plan.principal_count, 3);
        assert!(plan.lints.is_empty(), "{:?}", plan.lints);
        // A basic role warns once, not once per member.
        let plan = IamPlan::build(&before(), "roles/editor", &members[..2], None);
        assert_eq!(plan.lints.len(), 1, "{:?}", plan.lints);
        assert!(plan.needs_confirmation);
    }

    #[test]
    fn grant_plan_shows_the_new_member() {
        let plan = IamPlan::build(&before(), JOB_USER, &[ASTRO.into()], None);
        assert!(plan.changed);
        assert!(!plan.blocked && !plan.needs_confirmation, "{:?}", plan.lints);
        assert_eq!(
            changes(&plan),
            [
                (DiffKind::Removed, "        \"user:a@example.com\""),
                (DiffKind::Added, "        \"user:a@example.com\","),
                (DiffKind::Added, &*format!("        \"{ASTRO}\"")),
            ]
        );
        assert_eq!(
            (plan.role.as_str(), plan.members.as_slice(), plan.condition.as_ref()),
            (JOB_USER, &[ASTRO.to_owned()][..], None)
        );
        assert_eq!(plan.principal_count, 2);
        assert_eq!(plan.group_count, 0);
        assert_eq!(plan.added, [Grant { role: JOB_USER.into(), member: ASTRO.into(), condition: None }]);
        assert!(plan.removed.is_empty());
        assert_eq!(plan.compact_after, before().add_member(JOB_USER, ASTRO, None).to_compact_json());
        assert!(plan.compact_after.contains("\"etag\":\"BwX=\""));
        assert_eq!(plan.before_json, before().to_pretty_json());
    }

    #[test]
    fn granting_again_is_unchanged() {
        let once = before().add_member(JOB_USER, ASTRO, None);
        let plan = IamPlan::build(&once, JOB_USER, &[ASTRO.into()], None);
        assert!(!plan.changed);
        assert!(plan.added.is_empty() && plan.removed.is_empty());
        assert!(plan.diff.iter().all(|l| l.kind == DiffKind::Same));
        assert_eq!(plan.before_json, plan.after_json);
    }

    #[test]
    fn a_conditional_grant_bumps_the_version_in_the_diff() {
        let condition =
            Condition::new("until 2027", None, "request.time < timestamp(\"2027-01-01T00:00:00Z\")")
                .expect("valid");
        let plan = IamPlan::build(&before(), JOB_USER, &[ASTRO.into()], Some(&condition));
        assert!(changes(&plan).contains(&(DiffKind::Removed, "  \"version\": 1,")));
        assert!(changes(&plan).contains(&(DiffKind::Added, "  \"version\": 3,")));
        assert_eq!(plan.condition.as_ref(), Some(&condition));
        assert_eq!(plan.added[0].condition.as_ref(), Some(&condition));
    }

    #[test]
    fn warnings_need_confirmation_and_errors_block() {
        let plan = IamPlan::build(&before(), "roles/editor", &[ASTRO.into()], None);
        assert!(plan.needs_confirmation && !plan.blocked);
        assert_eq!(plan.lints[0].code, IamLintCode::BasicRole);
        let condition = Condition::new("t", None, "true").expect("valid");
        let plan = IamPlan::build(&before(), "roles/editor", &[ASTRO.into()], Some(&condition));
        assert!(plan.blocked);
        assert_eq!(plan.lints[0].code, IamLintCode::ConditionOnBasicRole);
    }

    #[test]
    fn undo_plan_reports_removed_grants() {
        let after_grant = before().add_member(JOB_USER, ASTRO, None);
        let plan = IamPlan::for_documents(&after_grant, &before());
        assert!(plan.changed);
        assert_eq!(plan.removed, [Grant { role: JOB_USER.into(), member: ASTRO.into(), condition: None }]);
        assert!(plan.added.is_empty() && plan.lints.is_empty());
        assert_eq!(plan.role, "");
        assert!(plan.members.is_empty());
        assert_eq!(plan.principal_count, 1);
        assert_eq!(plan.compact_after, before().to_compact_json());
    }

    #[test]
    fn document_plans_lint_what_they_add() {
        let after = before().add_member("roles/owner", "allUsers", None);
        let plan = IamPlan::for_documents(&before(), &after);
        let codes: Vec<IamLintCode> = plan.lints.iter().map(|l| l.code).collect();
        assert_eq!(codes, [IamLintCode::BasicRole, IamLintCode::PublicMember]);
        assert!(plan.needs_confirmation);
    }

    #[test]
    fn serializes_camel_case() {
        let plan = IamPlan::build(&before(), JOB_USER, &[ASTRO.into()], None);
        let json = serde_json::to_value(&plan).expect("serialize");
        assert_eq!(json["principalCount"], serde_json::json!(2));
        assert_eq!(json["diff"][0]["kind"], "same");
        assert_eq!(json["added"][0]["role"], JOB_USER);
        assert!(json.get("compactAfter").is_some() && json.get("needsConfirmation").is_some());
    }
}
