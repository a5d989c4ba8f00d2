//! Google Cloud: credentials, the Resource Manager / IAM adapter, and the grant flow.

pub mod attach_sa;
pub mod batch;
pub mod binding_change;
pub mod config;
pub mod projects;

pub use binding_change::{
    Backoff, BindingChange, BindingOutcome, apply_binding, plan_binding, plan_grant, plan_policy_document,
};
pub use config::{GcpCredentialSource, GcpTarget};
pub use projects::{GcpProjects, PolicyResource, PolicyStore};
