//! A trust policy change as a value: before, after, diff, lints and size, computed before
//! anything is written, shown to the user, then applied exactly as planned.

use serde::{Deserialize, Serialize};

use crate::diff::line_diff;
pub use crate::diff::{DiffKind, DiffLine};

use super::arn::WorkloadIdentityArn;
use super::lint::{Lint, LintLevel, lint_trust_policy};
use super::trust_policy::TrustPolicy;

/// A typical Astro workload identity, to forecast how many more Deployments fit.
const TYPICAL_ASTRO_ARN: &str = "arn:aws:iam::123456789012:role/astro-fiery-nebula-1234";

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "specta", derive(specta::Type))]
#[serde(rename_all = "camelCase")]
pub struct TrustPlan {
    /// Pretty JSON of the live policy; `None` when the role does not exist yet.
    pub before_json: Option<String>,
    /// Pretty JSON of the policy after the change, for display.
    pub after_json: String,
    /// Exactly what will be sent to IAM.
    pub compact_after: String,
    pub diff: Vec<DiffLine>,
    /// Lints of the policy after the change.
    pub lints: Vec<Lint>,
    pub size: SizeReport,
    pub changed: bool,
    /// IAM would refuse `after` (an error lint): applying is not offered.
    pub blocked: bool,
    /// `after` has warnings: applying needs an explicit confirmation.
    pub needs_confirmation: bool,
    /// ARNs this change starts to trust.
    pub added: Vec<String>,
    /// ARNs that were asked for and were trusted already.
    pub already_trusted: Vec<String>,
    /// ARNs this change stops trusting (undo, revoke).
    pub removed: Vec<String>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "specta", derive(specta::Type))]
#[serde(rename_all = "camelCase")]
pub struct SizeReport {
    /// Characters IAM counts for `after`.
    pub used: u32,
    pub quota: u32,
    /// Negative when over the quota.
    pub remaining: i32,
    /// Characters one more typical Astro Deployment ARN adds to a list of them.
    pub per_deployment: u32,
    /// How many more Deployments fit at that rate (0 when over).
    pub more_deployments_fit: u32,
}

impl SizeReport {
    pub fn of(policy: &TrustPolicy, quota: u32) -> Self {
        let used = u32::try_from(policy.iam_character_count()).unwrap_or(u32::MAX);
        let remaining = i64::from(quota) - i64::from(used);
        let remaining = i32::try_from(remaining).unwrap_or(if remaining < 0 { i32::MIN } else { i32::MAX });
        // `"<arn>",` inside the AWS list: the quotes and the separating comma count too.
        let per_deployment = u32::try_from(TYPICAL_ASTRO_ARN.len() + 3).unwrap_or(u32::MAX);
        let more_deployments_fit = u32::try_from(remaining).map_or(0, |r| r / per_deployment);
        Self { used, quota, remaining, per_deployment, more_deployments_fit }
    }
}

impl TrustPlan {
    /// The plan to trust `identities`: the live policy extended, or, when the role does
    /// not exist yet, the policy Astro documents for a new role.
    pub fn build(before: Option<&TrustPolicy>, identities: &[WorkloadIdentityArn], quota: u32) -> TrustPlan {
        let (after, added) = match before {
            Some(before) => {
                let missing: Vec<String> =
                    before.untrusted(identities).into_iter().map(|id| id.to_string()).collect();
                (before.add_principals(identities), missing)
            }
            None => {
                let after = TrustPolicy::new_for(identities);
                let all = after.trusted_aws_principals();
                (after, all)
            }
        };
        let mut already_trusted = Vec::new();
        for id in identities.iter().map(WorkloadIdentityArn::to_string) {
            if !added.contains(&id) && !already_trusted.contains(&id) {
                already_trusted.push(id);
            }
        }
        TrustPlan { added, already_trusted, ..Self::for_documents(before, &after, quota) }
    }

    /// The plan for any edit, e.g. an undo back to a journaled `before`. `added` and
    /// `removed` compare the ARNs each document trusts; nothing was asked for, so
    /// `already_trusted` is empty.
    pub fn for_documents(before: Option<&TrustPolicy>, after: &TrustPolicy, quota: u32) -> TrustPlan {
        let before_json = before.map(TrustPolicy::to_pretty_json);
        let after_json = after.to_pretty_json();
        let compact_after = after.to_compact_json();
        let lints = lint_trust_policy(after, quota);
        let trusted_before = before.map(TrustPolicy::trusted_aws_principals).unwrap_or_default();
        let trusted_after = after.trusted_aws_principals();
        TrustPlan {
            diff: line_diff(before_json.as_deref(), &after_json),
            changed: before.is_none_or(|b| b.to_compact_json() != compact_after),
            blocked: lints.iter().any(|l| l.level == LintLevel::Error),
            needs_confirmation: lints.iter().any(|l| l.level == LintLevel::Warning),
            size: SizeReport::of(after, quota),
            added: trusted_after.iter().filter(|a| !trusted_before.contains(a)).cloned().collect(),
            removed: trusted_before.iter().filter(|b| !trusted_after.contains(b)).cloned().collect(),
            already_trusted: Vec::new(),
            lints,
            before_json,
            after_json,
            compact_after,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::aws::lint::{DEFAULT_TRUST_POLICY_QUOTA, LintCode};

    fn arn(name: &str) -> WorkloadIdentityArn {
        WorkloadIdentityArn::parse(&format!("arn:aws:iam::123456789012:role/{name}")).expect("valid ARN")
    }

    fn kinds(plan: &TrustPlan) -> Vec<(DiffKind, &str)> {
        plan.diff.iter().map(|l| (l.kind, l.text.as_str())).collect()
    }

    #[test]
    fn new_role_plan_adds_every_line() {
        let plan = TrustPlan::build(None, &[arn("a"), arn("a")], DEFAULT_TRUST_POLICY_QUOTA);
        assert_eq!(plan.before_json, None);
        assert!(plan.changed);
        assert!(!plan.blocked && !plan.needs_confirmation, "{:?}", plan.lints);
        assert_eq!(plan.added, ["arn:aws:iam::123456789012:role/a"]);
        assert!(plan.already_trusted.is_empty());
        assert!(plan.diff.iter().all(|l| l.kind == DiffKind::Added));
        assert_eq!(plan.diff.len(), plan.after_json.lines().count());
        assert_eq!(plan.diff[0].text, "{");
        assert_eq!(plan.compact_after, TrustPolicy::new_for(&[arn("a")]).to_compact_json());
    }

    #[test]
    fn existing_role_plan_shows_only_the_new_line() {
        let before = TrustPolicy::new_for(&[arn("a")]);
        let plan = TrustPlan::build(Some(&before), &[arn("a"), arn("b")], DEFAULT_TRUST_POLICY_QUOTA);
        assert_eq!(plan.added, ["arn:aws:iam::123456789012:role/b"]);
        assert_eq!(plan.already_trusted, ["arn:aws:iam::123456789012:role/a"]);
        assert!(plan.removed.is_empty());
        let changed: Vec<(DiffKind, &str)> =
            kinds(&plan).into_iter().filter(|(k, _)| *k != DiffKind::Same).collect();
        assert_eq!(
            changed,
            [
                (DiffKind::Removed, "          \"arn:aws:iam::123456789012:role/a\""),
                (DiffKind::Added, "          \"arn:aws:iam::123456789012:role/a\","),
                (DiffKind::Added, "          \"arn:aws:iam::123456789012:role/b\""),
            ]
        );
    }

    #[test]
    fn nothing_to_do_is_unchanged() {
        let before = TrustPolicy::new_for(&[arn("a")]);
        let plan = TrustPlan::build(Some(&before), &[arn("a")], DEFAULT_TRUST_POLICY_QUOTA);
        assert!(!plan.changed);
        assert!(plan.added.is_empty());
        assert!(plan.diff.iter().all(|l| l.kind == DiffKind::Same));
        assert_eq!(plan.before_json.as_deref(), Some(plan.after_json.as_str()));
    }

    #[test]
    fn undo_plan_reports_removed_arns() {
        let before = TrustPolicy::new_for(&[arn("a"), arn("b")]);
        let after = before.remove_principals(&[arn("b")]);
        let plan = TrustPlan::for_documents(Some(&before), &after, DEFAULT_TRUST_POLICY_QUOTA);
        assert_eq!(plan.removed, ["arn:aws:iam::123456789012:role/b"]);
        assert!(plan.added.is_empty());
        assert!(plan.changed);
    }

    #[test]
    fn warnings_need_confirmation_and_errors_block() {
        let open = TrustPolicy::parse(
            r#"{"Statement":[{"Effect":"Allow","Principal":"*","Action":"sts:AssumeRole"}]}"#,
        )
        .expect("valid");
        let plan = TrustPlan::build(Some(&open), &[arn("a")], DEFAULT_TRUST_POLICY_QUOTA);
        assert!(plan.needs_confirmation && !plan.blocked);
        assert_eq!(plan.lints[0].code, LintCode::WildcardPrincipalWithoutCondition);
        let plan = TrustPlan::build(None, &[arn("a")], 10);
        assert!(plan.blocked);
        assert_eq!(plan.lints[0].code, LintCode::OverQuota);
        assert_eq!(plan.size.more_deployments_fit, 0);
        assert!(plan.size.remaining < 0);
    }

    #[test]
    fn size_forecast_for_two_deployments() {
        let ids = [
            WorkloadIdentityArn::parse("arn:aws:iam::123456789012:role/astro-fiery-nebula-1234")
                .expect("valid"),
            WorkloadIdentityArn::parse("arn:aws:iam::123456789012:role/astro-lunar-crater-0815")
                .expect("valid"),
        ];
        let plan = TrustPlan::build(None, &ids, DEFAULT_TRUST_POLICY_QUOTA);
        // {"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"AWS":[   = 75
        //   "<54-char ARN>","<54-char ARN>"                                            = 56 + 1 + 56 = 113
        // ]},"Action":"sts:AssumeRole"}]}                                                = 31
        // used = 219; remaining = 2048 - 219 = 1829; per Deployment 54 + 2 quotes + 1 comma = 57;
        // 1829 / 57 = 32 (32 * 57 = 1824).
        assert_eq!(plan.size.used, 219);
        assert_eq!(plan.size.remaining, 1829);
        assert_eq!(plan.size.per_deployment, 57);
        assert_eq!(plan.size.more_deployments_fit, 32);
        assert_eq!(plan.size.quota, 2048);
    }

    #[test]
    fn a_new_role_for_nobody_is_blocked() {
        let plan = TrustPlan::build(None, &[], DEFAULT_TRUST_POLICY_QUOTA);
        assert!(plan.blocked);
        assert_eq!(plan.lints[0].code, LintCode::InvalidPrincipal);
        assert_eq!(plan.lints[0].message, "statement 1: the AWS list in Principal is empty");
    }

    #[test]
    fn serializes_camel_case() {
        let plan = TrustPlan::build(None, &[arn("a")], DEFAULT_TRUST_POLICY_QUOTA);
        let json = serde_json::to_value(&plan).expect("serialize");
        assert_eq!(json["size"]["moreDeploymentsFit"], serde_json::json!(plan.size.more_deployments_fit));
        assert_eq!(json["diff"][0]["kind"], "added");
        assert!(json.get("compactAfter").is_some() && json.get("alreadyTrusted").is_some());
    }
}
