//! Google Cloud IAM allow policies: the service account Astro gives each Deployment, the
//! customer's policy kept exactly as `getIamPolicy` returned it, the change that grants
//! that account a role, offline lints, the plan shown before anything is written, and an
//! offline catalog of predefined roles.
//!
//! Pure: no SDK, no network. The cloud crate reads and writes policies (with the etag, in
//! a bounded retry loop); everything decided about a policy is decided here.

pub mod batch;
pub mod catalog;
pub mod editor;
pub mod iam_policy;
pub mod identity;
pub mod lint;
pub mod permissions;
pub mod plan;

pub use catalog::{BASIC_ROLES, RoleInfo, RoleStage, TOKEN_CREATOR_ROLE, is_basic_role};
pub use iam_policy::{Binding, CONDITIONAL_POLICY_VERSION, Condition, Grant, IamPolicy};
pub use identity::{GrantRoute, ProjectId, ServiceAccountEmail, parse_member};
pub use lint::{
    IamLint, IamLintCode, IamLintLevel, MAX_GROUPS, MAX_PRINCIPALS, lint_change, lint_grants, lint_policy,
};
pub use plan::IamPlan;
