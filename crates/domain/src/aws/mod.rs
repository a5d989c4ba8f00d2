//! AWS role trust policies: the workload identity ARNs Astro gives each Deployment, the
//! customer's trust policy kept exactly as written, the change that trusts those ARNs,
//! offline lints, and the plan shown before anything is written. And what the role may
//! do: inline permission policies with their editor and lints, and offline catalogs of
//! IAM actions and AWS-managed policies.
//!
//! Pure: no SDK, no network. The cloud crate reads and writes roles; everything decided
//! about a policy is decided here.

pub mod action_catalog;
pub mod arn;
pub mod batch;
pub mod cmi;
pub mod editor;
pub mod lint;
pub mod managed_catalog;
pub mod permission_editor;
pub mod permission_lint;
pub mod permission_policy;
pub mod plan;
mod statement_edit;
pub mod trust_eval;
pub mod trust_policy;
pub mod trust_summary;

pub use arn::{IdentityError, Partition, RoleName, RolePath, WorkloadIdentityArn, parse_identities};
pub use cmi::{
    customer_managed_identity_statement, customer_managed_identity_statement_in, oidc_issuer_host_path,
};
pub use lint::{
    DEFAULT_TRUST_POLICY_QUOTA, Lint, LintCode, LintLevel, MAX_TRUST_POLICY_QUOTA, lint_trust_policy,
    trust_policy_quota,
};
pub use permission_lint::lint_permission_policy;
pub use plan::{DiffKind, DiffLine, SizeReport, TrustPlan};
pub use trust_policy::TrustPolicy;
