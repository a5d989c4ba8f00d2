//! AWS: credentials, the IAM/STS adapter, and the trust-policy change flow.

pub mod attach_role;
pub mod batch;
pub mod config;
pub mod errors;
pub mod iam;
pub mod oidc_provider;
pub mod permissions;
pub mod quota;
pub mod trust_change;

pub use config::{AwsCredentialSource, AwsTarget, AwsTuning, sdk_config, sdk_config_tuned};
pub use iam::{AwsIam, Caller, NewRole, RoleStore};
pub use trust_change::{
    ApplyOptions, ChangeOutcome, TrustChange, apply_trust_change, apply_trust_change_with, plan_trust_change,
    plan_trust_change_as, plan_trust_document,
};
