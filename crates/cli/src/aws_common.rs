//! What the `aws` commands share: where they act (profile, region, endpoint) and how a
//! trust-policy plan is printed.

use clap::Args;

use astro_identity_cloud::SecretStore;
use astro_identity_cloud::aws::{AwsCredentialSource, AwsIam, AwsTarget, TrustChange, sdk_config};
use astro_identity_cloud::offline::OFFLINE_CALLER;
use astro_identity_domain::aws::lint::LintLevel;
use astro_identity_domain::secret_key::ProfileName;

use astro_identity_domain::aws::arn::parse_account_id;
use astro_identity_domain::aws::trust_policy::TrustPolicy;

use crate::export::{ExportArgs, labelled};
use crate::output::{Failure, render_diff};

#[derive(Args)]
#[group(id = "aws_target")]
pub struct TargetArgs {
    /// A profile from the AWS config files (SSO included). Default: the SDK's chain.
    #[arg(long, conflicts_with = "keyring_profile")]
    pub profile: Option<String>,
    /// Access keys the app keeps in the OS keyring under this name (entered in the window).
    #[arg(long = "keyring-profile", value_name = "NAME")]
    pub keyring_profile: Option<String>,
    #[arg(long)]
    pub region: Option<String>,
    /// Another IAM/STS endpoint, e.g. a local test server.
    #[arg(long = "endpoint-url")]
    pub endpoint_url: Option<String>,
}

pub async fn connect(target: &TargetArgs) -> Result<AwsIam, Failure> {
    let (source, keyring) = match (&target.profile, &target.keyring_profile) {
        (_, Some(name)) => {
            let name = keyring_name("--keyring-profile", name)?;
            (AwsCredentialSource::Keyring(name), Some(SecretStore::open_os_async().await?))
        }
        (Some(name), None) => (AwsCredentialSource::Profile(name.clone()), None),
        (None, None) => (AwsCredentialSource::DefaultChain, None),
    };
    let target =
        AwsTarget { source, region: target.region.clone(), endpoint_url: target.endpoint_url.clone() };
    Ok(AwsIam::new(&sdk_config(&target, keyring).await?))
}

pub fn render_plan(change: &TrustChange) -> String {
    let plan = &change.plan;
    let mut out = if change.caller.arn == OFFLINE_CALLER {
        String::from("Planned offline, without credentials: nothing can be applied from it\n")
    } else {
        format!("Acting as {} in account {}\n", change.caller.arn, change.caller.account)
    };
    match (&change.role_arn, &change.create) {
        (Some(arn), _) => out.push_str(&format!("Role {arn}\n")),
        (None, _) => out.push_str(&format!("Role {} will be created\n", change.role_name)),
    }
    if plan.changed {
        out.push_str("\nTrust policy:\n");
        out.push_str(&render_diff(&plan.diff));
    } else {
        out.push_str("\nNothing to change: every Deployment is already trusted.\n");
    }
    if !plan.lints.is_empty() {
        out.push('\n');
        for lint in &plan.lints {
            let level = if lint.level == LintLevel::Error { "error" } else { "warning" };
            out.push_str(&format!("{level}: {}\n  {}\n", lint.message, lint.hint));
        }
    }
    let size = &plan.size;
    out.push_str(&format!(
        "\nSize: {} of {} characters ({} left, room for about {} more Deployments)\n",
        size.used, size.quota, size.remaining, size.more_deployments_fit
    ));
    out
}

/// A keyring entry's name from `flag`, checked as the window checks it.
pub fn keyring_name(flag: &str, name: &str) -> Result<ProfileName, Failure> {
    ProfileName::parse(name).map_err(|e| labelled(flag, e.into()))
}

/// A typed account id: 12 digits.
pub fn check_account(account: &str) -> Result<(), Failure> {
    parse_account_id(account)
        .map(|_| ())
        .map_err(|e| Failure::new(format!("--account {account:?}: an AWS account id is 12 digits"), e.hint()))
}

/// The role as it is now for an offline plan (`None`: a new one, `--create`), from
/// --current-policy-file; refuses both or neither.
pub fn offline_current_role(export: &ExportArgs, create: bool) -> Result<Option<TrustPolicy>, Failure> {
    match (export.current_policy()?, create) {
        (Some(text), false) => {
            Ok(Some(TrustPolicy::parse(&text).map_err(|e| labelled("--current-policy-file", e.into()))?))
        }
        (None, true) => Ok(None),
        (Some(_), true) => Err(Failure::new(
            "--create with --current-policy-file: a new role has no trust policy yet",
            "Give --create for a new role, or --current-policy-file for the role as it is now.",
        )),
        (None, false) => Err(Failure::new(
            "--offline needs the role as it is now, or --create",
            "Give --current-policy-file FILE (its trust policy, e.g. from `aws iam get-role`), or --create for a new role.",
        )),
    }
}
