//! `--offline`, `--current-policy-file` and `--export`: plans without credentials, and any
//! plan as code for review (Terraform, an `aws` script, `gcloud` lines, CloudFormation).

use clap::Args;

use astro_identity_domain::export::{ExportCloud, ExportFormat, ExportPlan, render};

use crate::output::{Failure, read_input};

#[derive(Args)]
pub struct ExportArgs {
    /// Plan without cloud credentials: the policy now is --current-policy-file, or none (a new
    /// role, an empty IAM policy). Nothing can be applied from it: export it for review.
    #[arg(long)]
    pub offline: bool,
    /// With --offline: the policy as it is now, as JSON (`-` reads standard input) — the
    /// role's trust policy, or the project's (or service account's) IAM policy.
    #[arg(long = "current-policy-file", value_name = "FILE", requires = "offline")]
    pub current_policy_file: Option<String>,
    /// Print the plan as code for review instead of the plan: terraform, aws-cli or
    /// cloudformation for AWS; terraform or gcloud for Google Cloud.
    #[arg(long = "export", value_name = "FORMAT")]
    pub format: Option<String>,
}

impl ExportArgs {
    /// The export format, checked against the command's cloud before anything is read.
    pub fn format_for(&self, cloud: ExportCloud) -> Result<Option<ExportFormat>, Failure> {
        let Some(text) = &self.format else { return Ok(None) };
        let format = ExportFormat::parse(text).map_err(|e| labelled("--export", e.into()))?;
        if !ExportFormat::for_cloud(cloud).contains(&format) {
            let fits: Vec<&str> = ExportFormat::for_cloud(cloud).iter().map(|f| f.name()).collect();
            let what = if cloud == ExportCloud::Aws { "an AWS plan" } else { "a Google Cloud plan" };
            return Err(Failure::new(
                format!("--export {}: does not fit {what}", format.name()),
                format!("Use one of: {}.", fits.join(", ")),
            ));
        }
        Ok(Some(format))
    }

    /// The text of --current-policy-file, when given.
    pub fn current_policy(&self) -> Result<Option<String>, Failure> {
        let Some(path) = &self.current_policy_file else { return Ok(None) };
        read_input(path).map(Some).map_err(|e| {
            Failure::new(
                format!("--current-policy-file {path}: cannot read it: {e}"),
                "Give the file holding the policy as JSON (e.g. from `aws iam get-role` or `gcloud … get-iam-policy --format=json`).",
            )
        })
    }

    /// Refuses the flags on a command that writes: an offline plan or an export is reviewed,
    /// not applied.
    pub fn refuse_on_apply(&self, instead: &str) -> Result<(), Failure> {
        if self.offline || self.format.is_some() {
            return Err(Failure::new(
                "--offline and --export make a plan for review; this command applies",
                format!("Use `{instead}` to plan offline or export."),
            ));
        }
        Ok(())
    }
}

/// Prints the export in one write, so a failure never leaves half of it.
pub fn print_export(plan: &ExportPlan, format: ExportFormat) -> Result<(), Failure> {
    let text = render(plan, format)?;
    print!("{text}");
    Ok(())
}

/// A failure naming the flag it is about.
pub fn labelled(flag: &str, failure: Failure) -> Failure {
    Failure { message: format!("{flag}: {}", failure.message), hint: failure.hint }
}
