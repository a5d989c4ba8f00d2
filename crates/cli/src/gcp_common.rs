//! What the `gcp` commands share: where they act (endpoint, credentials) and how a grant's
//! plan is printed.

use clap::Args;

use astro_identity_cloud::gcp::{BindingChange, GcpCredentialSource, GcpProjects, GcpTarget};
use astro_identity_cloud::journal::members_words;
use astro_identity_domain::gcp::lint::IamLintLevel;

use astro_identity_cloud::SecretStore;
use astro_identity_cloud::gcp::PolicyResource;
use astro_identity_cloud::offline::OfflineGcp;
use astro_identity_domain::gcp::iam_policy::IamPolicy;

use crate::export::{ExportArgs, labelled};
use crate::output::{Failure, render_diff};

#[derive(Args)]
#[group(id = "gcp_target")]
pub struct TargetArgs {
    /// Another API root for Resource Manager and IAM (an emulator or fake).
    #[arg(long)]
    pub endpoint: Option<String>,
    /// Send no credentials (only for emulators). Default: Application Default Credentials.
    #[arg(long, conflicts_with = "keyring_key")]
    pub anonymous: bool,
    /// A service account key the app keeps in the OS keyring under this name (stored in the
    /// window). Not `--keyring-profile`, which names AWS access keys: `revoke` takes both.
    #[arg(long = "keyring-key", value_name = "NAME")]
    pub keyring_key: Option<String>,
}

pub async fn connect(target: &TargetArgs) -> Result<GcpProjects, Failure> {
    let (source, keyring) = match &target.keyring_key {
        Some(name) => (
            GcpCredentialSource::Keyring(crate::aws_common::keyring_name("--keyring-key", name)?),
            Some(SecretStore::open_os_async().await?),
        ),
        None if target.anonymous => (GcpCredentialSource::Anonymous, None),
        None => (GcpCredentialSource::Adc, None),
    };
    let target = GcpTarget { source, endpoint: target.endpoint.clone() };
    Ok(GcpProjects::connect(&target, keyring).await?)
}

pub fn render_plan(change: &BindingChange) -> String {
    let plan = &change.plan;
    let mut out = String::new();
    if let Some(principal) = &change.principal {
        out.push_str(&format!("Acting as {principal}\n"));
    }
    out.push_str(&format!(
        "{}: grant {} to {}\n",
        capitalized(&change.resource.to_string()),
        plan.role,
        members_words(&plan.members)
    ));
    if let Some(condition) = &plan.condition {
        out.push_str(&format!("  when {} ({})\n", condition.expression, condition.title));
    }
    if plan.changed {
        out.push_str("\nIAM policy:\n");
        out.push_str(&render_diff(&plan.diff));
    } else {
        out.push_str("\nNothing to change: the member already has this role.\n");
    }
    for lint in &plan.lints {
        let level = if lint.level == IamLintLevel::Error { "error" } else { "warning" };
        out.push_str(&format!("\n{level}: {}\n  {}\n", lint.message, lint.hint));
    }
    out.push_str(&format!("\nPrincipals: {} of 1,500\n", plan.principal_count));
    out
}

fn capitalized(text: &str) -> String {
    let mut chars = text.chars();
    chars.next().map(|first| first.to_uppercase().chain(chars).collect()).unwrap_or_default()
}

/// The policy an offline plan starts from: --current-policy-file for `resource`, or empty.
pub fn offline_store(export: &ExportArgs, resource: &PolicyResource) -> Result<OfflineGcp, Failure> {
    let policies = match export.current_policy()? {
        Some(text) => {
            let policy = IamPolicy::parse(&text).map_err(|e| labelled("--current-policy-file", e.into()))?;
            vec![(resource.clone(), policy)]
        }
        None => Vec::new(),
    };
    Ok(OfflineGcp::new(policies))
}
