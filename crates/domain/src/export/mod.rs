//! A plan as code a platform team reviews: Terraform, an `aws` CLI script, `gcloud` lines or
//! a CloudFormation template, each reaching exactly the planned state.
//!
//! The exports are built from an [`ExportPlan`] — what the plan changes, with the planned
//! documents exactly as they would be sent — and say at their top what they do and what the
//! app checked. A plan holds no secret (identities, roles, policies), so neither does an
//! export. Rendering is deterministic: the same plan gives the same bytes, so a re-export
//! in a pull request shows only what changed.

mod aws_cli;
mod cloudformation;
mod gcloud;
mod quote;
mod terraform;

use serde::{Deserialize, Serialize};
use serde_json::Value;

use crate::DomainError;
use crate::gcp::iam_policy::Condition;

const FIELD: &str = "format";

/// Where a review happens.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "specta", derive(specta::Type))]
#[serde(rename_all = "kebab-case")]
pub enum ExportFormat {
    Terraform,
    AwsCli,
    Gcloud,
    Cloudformation,
}

impl ExportFormat {
    pub const ALL: [ExportFormat; 4] =
        [ExportFormat::Terraform, ExportFormat::AwsCli, ExportFormat::Gcloud, ExportFormat::Cloudformation];

    /// Parses the CLI's `--export` value.
    pub fn parse(text: &str) -> Result<Self, DomainError> {
        Self::ALL.into_iter().find(|f| f.name() == text.trim()).ok_or_else(|| {
            DomainError::invalid(
                FIELD,
                format!("{text:?} is not an export format"),
                "Use terraform, aws-cli or cloudformation for AWS, terraform or gcloud for Google Cloud.",
            )
        })
    }

    pub fn name(self) -> &'static str {
        match self {
            Self::Terraform => "terraform",
            Self::AwsCli => "aws-cli",
            Self::Gcloud => "gcloud",
            Self::Cloudformation => "cloudformation",
        }
    }

    /// The file name a save dialog proposes.
    pub fn file_name(self) -> &'static str {
        match self {
            Self::Terraform => "astro-identity.tf",
            Self::AwsCli => "astro-identity-aws.sh",
            Self::Gcloud => "astro-identity-gcloud.sh",
            Self::Cloudformation => "astro-identity.cfn.yaml",
        }
    }

    /// The formats that fit a plan on this cloud.
    pub fn for_cloud(cloud: ExportCloud) -> &'static [ExportFormat] {
        match cloud {
            ExportCloud::Aws => &[Self::Terraform, Self::AwsCli, Self::Cloudformation],
            ExportCloud::Gcp => &[Self::Terraform, Self::Gcloud],
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "specta", derive(specta::Type))]
#[serde(rename_all = "camelCase")]
pub enum ExportCloud {
    Aws,
    Gcp,
}

/// What a plan changes, as the exports need it.
#[derive(Debug, Clone, PartialEq)]
pub enum ExportPlan {
    /// Boxed: a role with its documents is much larger than a list of grants.
    Aws(Box<AwsExport>),
    Gcp(GcpExport),
}

impl ExportPlan {
    pub fn cloud(&self) -> ExportCloud {
        match self {
            Self::Aws(_) => ExportCloud::Aws,
            Self::Gcp(_) => ExportCloud::Gcp,
        }
    }
}

/// An IAM role, its trust policy, and what else the journey set on it.
#[derive(Debug, Clone, PartialEq)]
pub struct AwsExport {
    pub role: RoleSpec,
    /// The role exists already: Terraform imports it, the script updates it.
    pub role_exists: bool,
    /// The planned trust policy, exactly as the app would send it.
    pub trust_policy: Value,
    /// OIDC providers Customer Managed Identity needs (none for the seed's setup).
    pub providers: Vec<ProviderSpec>,
    pub managed_policies: Vec<String>,
    pub inline_policies: Vec<InlinePolicy>,
    /// Deployments whose workload identity becomes this role (Customer Managed Identity).
    pub attach_to: Vec<DeploymentRef>,
    pub checks: Checks,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RoleSpec {
    pub name: String,
    /// `None`: `/`.
    pub path: Option<String>,
    pub description: Option<String>,
    pub max_session_duration: Option<i32>,
    pub tags: Vec<(String, String)>,
    /// Known when the account is (online, or typed for an offline plan).
    pub arn: Option<String>,
}

/// An IAM OIDC identity provider the role's trust names.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ProviderSpec {
    /// Host and path, as IAM keeps it (no `https://`).
    pub url: String,
    pub arn: String,
    /// `Some(true)`: read and found; `Some(false)`: read and missing; `None`: not read
    /// (an offline plan) — the export then creates it only where it is missing.
    pub exists: Option<bool>,
}

#[derive(Debug, Clone, PartialEq)]
pub struct InlinePolicy {
    pub name: String,
    pub document: Value,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DeploymentRef {
    pub id: String,
    pub name: String,
}

/// Grants on Google Cloud: roles on projects and on service accounts.
#[derive(Debug, Clone, PartialEq)]
pub struct GcpExport {
    pub grants: Vec<GrantSpec>,
    /// Customer Managed Identity: the service account the Deployments are set to use.
    pub service_account: Option<String>,
    pub attach_to: Vec<DeploymentRef>,
    pub checks: Checks,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum GcpResource {
    Project(String),
    ServiceAccount(String),
}

/// One role granted to members on one resource, under an optional condition.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct GrantSpec {
    pub resource: GcpResource,
    pub role: String,
    pub members: Vec<String>,
    pub condition: Option<Condition>,
}

/// What the app checked before exporting, said at the top of every export.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Checks {
    /// Where the "before" came from: "account 123… read as arn:…", "offline: a new role", …
    pub source: String,
    /// Every lint of the plan, "error: …" / "warning: …".
    pub lints: Vec<String>,
    /// AWS: the trust policy's characters and the quota they count against.
    pub size: Option<(u32, u32)>,
}

/// The export of `plan` in `format`, or why that format does not fit the plan.
pub fn render(plan: &ExportPlan, format: ExportFormat) -> Result<String, DomainError> {
    if !ExportFormat::for_cloud(plan.cloud()).contains(&format) {
        let cloud = match plan.cloud() {
            ExportCloud::Aws => "an AWS plan",
            ExportCloud::Gcp => "a Google Cloud plan",
        };
        let fits: Vec<&str> = ExportFormat::for_cloud(plan.cloud()).iter().map(|f| f.name()).collect();
        return Err(DomainError::invalid(
            FIELD,
            format!("{} does not fit {cloud}", format.name()),
            format!("Export {cloud} as {}.", fits.join(", ")),
        ));
    }
    Ok(match (plan, format) {
        (ExportPlan::Aws(aws), ExportFormat::Terraform) => terraform::aws(aws),
        (ExportPlan::Aws(aws), ExportFormat::AwsCli) => aws_cli::script(aws),
        (ExportPlan::Aws(aws), _) => cloudformation::template(aws),
        (ExportPlan::Gcp(gcp), ExportFormat::Terraform) => terraform::gcp(gcp),
        (ExportPlan::Gcp(gcp), _) => gcloud::lines(gcp),
    })
}

/// The export's opening comment: what it does and what the app checked, each line
/// prefixed with `#` (every format here comments with `#`).
fn header(tool: &str, does: &[String], checks: &Checks) -> String {
    let mut out = format!("# Astro Identity export for {tool}.\n#\n# What it does:\n");
    for line in does {
        out.push_str(&format!("#   - {line}\n"));
    }
    out.push_str(&format!("#\n# Checked by Astro Identity when it was planned ({}):\n", checks.source));
    if checks.lints.is_empty() {
        out.push_str("#   - no errors or warnings\n");
    }
    for lint in &checks.lints {
        out.push_str(&format!("#   - {lint}\n"));
    }
    if let Some((used, quota)) = checks.size {
        out.push_str(&format!("#   - trust policy size: {used} of {quota} characters\n"));
    }
    out.push_str("#\n# It holds no secret: only identities, roles and policy documents.\n\n");
    out
}

/// The AWS export's "what it does" lines.
fn aws_does(plan: &AwsExport) -> Vec<String> {
    let mut does = Vec::new();
    for provider in &plan.providers {
        does.push(match provider.exists {
            Some(true) => {
                format!("uses the existing OIDC provider {} (adds client id sts.amazonaws.com)", provider.url)
            }
            Some(false) => {
                format!("creates the OIDC provider {} (client id sts.amazonaws.com)", provider.url)
            }
            None => format!(
                "creates the OIDC provider {} unless it exists (client id sts.amazonaws.com)",
                provider.url
            ),
        });
    }
    let role = &plan.role.name;
    does.push(if plan.role_exists {
        format!("sets the trust policy of the existing IAM role {role} (everything else in it kept)")
    } else {
        format!("creates the IAM role {role} with the planned trust policy")
    });
    for arn in &plan.managed_policies {
        does.push(format!("attaches the managed policy {arn} to {role}"));
    }
    for inline in &plan.inline_policies {
        does.push(format!("puts the inline policy {} on {role}", inline.name));
    }
    if !plan.attach_to.is_empty() {
        does.push(format!(
            "then, in Astro: set the workload identity of {} to this role",
            deployment_words(&plan.attach_to)
        ));
    }
    does
}

/// The Google Cloud export's "what it does" lines.
fn gcp_does(plan: &GcpExport) -> Vec<String> {
    let mut does: Vec<String> = plan
        .grants
        .iter()
        .map(|grant| {
            let on = match &grant.resource {
                GcpResource::Project(id) => format!("project {id}"),
                GcpResource::ServiceAccount(email) => format!("service account {email}"),
            };
            let condition =
                grant.condition.as_ref().map(|c| format!(" if \"{}\"", c.title)).unwrap_or_default();
            format!("grants {} on {on} to {}{condition}", grant.role, grant.members.join(", "))
        })
        .collect();
    if let (Some(account), false) = (&plan.service_account, plan.attach_to.is_empty()) {
        does.push(format!(
            "then, in Astro: set the workload identity of {} to {account}",
            deployment_words(&plan.attach_to)
        ));
    }
    does
}

fn deployment_words(deployments: &[DeploymentRef]) -> String {
    let names: Vec<String> = deployments.iter().map(|d| format!("{} ({})", d.name, d.id)).collect();
    format!("Deployment{} {}", if names.len() == 1 { "" } else { "s" }, names.join(", "))
}

/// A service account's project, from its email (`name@project.iam.gserviceaccount.com`).
fn service_account_project(email: &str) -> Option<&str> {
    email.split_once('@')?.1.strip_suffix(".iam.gserviceaccount.com")
}

#[cfg(test)]
mod tests;
