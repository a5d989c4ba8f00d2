//! `astro-identity-cli airflow aws|gcp`: the Airflow connection in one of the formats the
//! app shows, printed exactly as its copy button copies it (no trailing decoration);
//! `airflow create` writes it into an Airflow through its REST API and `airflow add-provider`
//! adds the provider to a project's `requirements.txt`, both journaled like every change.

use std::path::PathBuf;

use clap::{Args, Subcommand};

use astro_identity_cloud::airflow::{
    AirflowApi, ConnectionAction, add_provider, apply_connection, plan_connection,
};
use astro_identity_domain::Sensitive;
use astro_identity_domain::airflow::{
    AstroScope, AstroScopeKind, AwsConnectionInput, ConnectionFormat, ConnectionSpec, GcpConnectionInput,
    render,
};

use crate::journal_file::journal;
use crate::output::{Failure, confirm, print_json, render_diff};

/// Where the Airflow API token comes from: never the command line, where other users of
/// the machine could read it.
pub const TOKEN_ENV: &str = "AIRFLOW_API_TOKEN";

pub fn token_from_env() -> Result<Sensitive<String>, Failure> {
    match std::env::var(TOKEN_ENV) {
        Ok(token) if !token.trim().is_empty() => Ok(Sensitive::new(token.trim().to_owned())),
        _ => Err(Failure::new(
            format!("no Airflow API token: {TOKEN_ENV} is not set"),
            "Export AIRFLOW_API_TOKEN with a token of a user who may edit connections.",
        )),
    }
}

#[derive(Subcommand)]
pub enum AirflowCommand {
    /// An `aws` connection that assumes ROLE_ARN; without it, one that uses the Deployment's
    /// own identity (Customer Managed Identity: region only).
    Aws {
        #[arg(long, default_value = "aws_default")]
        conn_id: String,
        /// Leave out when the Deployment's workload identity is your role (attach-role).
        #[arg(long, default_value = "")]
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
    /// Create (or, confirmed, replace) the connection in an Airflow through its REST API:
    /// shows the diff, asks, writes, reads it back. The token comes from AIRFLOW_API_TOKEN.
    #[command(subcommand)]
    Create(CreateCommand),
    /// Add the provider the connection type needs to a project's requirements.txt.
    AddProvider {
        /// The Astro project folder (it has a Dockerfile and requirements.txt).
        #[arg(long)]
        project: PathBuf,
        /// The requirement line to append.
        #[arg(long, default_value = "apache-airflow-providers-amazon")]
        line: String,
        #[arg(long)]
        json: bool,
    },
}

#[derive(Subcommand)]
pub enum CreateCommand {
    Aws {
        #[arg(long, default_value = "aws_default")]
        conn_id: String,
        /// Leave out when the Deployment's workload identity is your role (attach-role).
        #[arg(long, default_value = "")]
        role_arn: String,
        #[arg(long)]
        region: String,
        #[command(flatten)]
        write: WriteArgs,
    },
    Gcp {
        #[arg(long, default_value = "google_cloud_default")]
        conn_id: String,
        #[arg(long)]
        project: String,
        #[command(flatten)]
        write: WriteArgs,
    },
}

#[derive(Args)]
pub struct WriteArgs {
    /// The Airflow's base URL, e.g. http://localhost:8080.
    #[arg(long)]
    url: String,
    /// Write without asking; also replaces an existing connection of that id.
    #[arg(long)]
    yes: bool,
    #[arg(long)]
    json: bool,
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

pub async fn run(command: AirflowCommand) -> Result<(), Failure> {
    let (spec, output) = match command {
        AirflowCommand::Create(CreateCommand::Aws { conn_id, role_arn, region, write }) => {
            let input =
                AwsConnectionInput { conn_id, role_arn, region, external_id: None, web_identity: false };
            return create(&ConnectionSpec::aws(&input)?, &write).await;
        }
        AirflowCommand::Create(CreateCommand::Gcp { conn_id, project, write }) => {
            let input = GcpConnectionInput { conn_id, project, impersonation_chain: None };
            return create(&ConnectionSpec::gcp(&input)?, &write).await;
        }
        AirflowCommand::AddProvider { project, line, json } => {
            let outcome = add_provider(&project, &line, &journal()).await?;
            if json {
                return print_json(&outcome);
            }
            println!("Added to {}: {}", outcome.requirements_path.display(), outcome.appended.trim());
            println!(
                "Journal entry {} (undo with `astro-identity-cli journal undo --id {}`)",
                outcome.journal_id, outcome.journal_id
            );
            return Ok(());
        }
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

async fn create(spec: &ConnectionSpec, args: &WriteArgs) -> Result<(), Failure> {
    let api = AirflowApi::new(&args.url, token_from_env()?)?;
    let plan = plan_connection(&api, spec).await?;
    if !args.json {
        println!("Connection {} in {}", plan.conn_id, plan.target);
        print!("{}", render_diff(&plan.diff));
    }
    let replace = plan.action == ConnectionAction::Replace;
    if plan.action != ConnectionAction::Unchanged && !args.yes {
        let question =
            if replace { "Replace the existing connection's type and Extra?" } else { "Create it?" };
        if !confirm(question)? {
            return Err(Failure::new("not written: not confirmed", "Run again and answer y, or pass --yes."));
        }
    }
    let outcome = apply_connection(&api, &plan, spec, true, &journal()).await?;
    if args.json {
        return print_json(&outcome);
    }
    match &outcome.journal_id {
        Some(id) => println!("Done and verified. Journal entry {id}"),
        None => println!("Nothing to write: the connection is already exactly this."),
    }
    Ok(())
}
