//! `astro-identity-cli airflow aws|gcp`: the Airflow connection in one of the formats the
//! app shows, printed exactly as its copy button copies it (no trailing decoration).

use clap::{Args, Subcommand};

use astro_identity_domain::airflow::{
    AstroScope, AstroScopeKind, AwsConnectionInput, ConnectionFormat, ConnectionSpec, GcpConnectionInput,
    render,
};

use crate::output::Failure;

#[derive(Subcommand)]
pub enum AirflowCommand {
    /// An `aws` connection that assumes ROLE_ARN.
    Aws {
        #[arg(long, default_value = "aws_default")]
        conn_id: String,
        #[arg(long)]
        role_arn: String,
        #[arg(long)]
        region: String,
        /// Only when the role's trust policy requires `sts:ExternalId`.
        #[arg(long)]
        external_id: Option<String>,
        /// Assume the role with the pod's web identity token (Customer Managed Identity).
        #[arg(long)]
        web_identity: bool,
        #[command(flatten)]
        output: OutputArgs,
    },
    /// A `google_cloud_platform` connection for PROJECT (the workload identity, no key).
    Gcp {
        #[arg(long, default_value = "google_cloud_default")]
        conn_id: String,
        #[arg(long)]
        project: String,
        /// A service account of yours the Deployment impersonates.
        #[arg(long)]
        impersonation_chain: Option<String>,
        #[command(flatten)]
        output: OutputArgs,
    },
}

#[derive(Args)]
pub struct OutputArgs {
    /// ui, env-json, env-uri, cli, yaml, rest or astro.
    #[arg(long, default_value = "env-json")]
    format: String,
    /// For `--format astro`: the Deployment the Environment Manager connection belongs to.
    #[arg(long, conflicts_with = "workspace_id")]
    deployment_id: Option<String>,
    /// For `--format astro`: the Workspace instead.
    #[arg(long)]
    workspace_id: Option<String>,
}

pub fn run(command: AirflowCommand) -> Result<(), Failure> {
    let (spec, output) = match command {
        AirflowCommand::Aws { conn_id, role_arn, region, external_id, web_identity, output } => {
            let input = AwsConnectionInput { conn_id, role_arn, region, external_id, web_identity };
            (ConnectionSpec::aws(&input)?, output)
        }
        AirflowCommand::Gcp { conn_id, project, impersonation_chain, output } => {
            let input = GcpConnectionInput { conn_id, project, impersonation_chain };
            (ConnectionSpec::gcp(&input)?, output)
        }
    };
    let format: ConnectionFormat = output.format.parse()?;
    let scope = match (output.deployment_id, output.workspace_id) {
        (Some(id), _) => Some(AstroScope { scope: AstroScopeKind::Deployment, entity_id: id }),
        (None, Some(id)) => Some(AstroScope { scope: AstroScopeKind::Workspace, entity_id: id }),
        (None, None) => None,
    };
    let spec = match scope {
        Some(scope) => spec.with_astro_scope(scope)?,
        None => spec,
    };
    println!("{}", render(&spec, format));
    Ok(())
}
