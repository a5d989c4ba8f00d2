//! `astro-identity-cli astro deployments`, and `--deployment ID` for the `aws` and `gcp`
//! commands: Deployments and their workload identities from the Astro API.

use clap::{Args, Subcommand};

use astro_identity_cloud::SecretStore;
use astro_identity_cloud::astro::{
    AstroClient, AstroTokenSource, DEFAULT_BASE_URL, DeploymentFilter, TOKEN_ENV,
};
use astro_identity_cloud::deployment_identity::{DeploymentRef, set_workload_identities};
use astro_identity_cloud::journal::Journal;
use astro_identity_domain::astro::{CloudProvider, Deployment};

use crate::output::{Failure, print_json};

#[derive(Subcommand)]
pub enum AstroCommand {
    /// List the Deployments the token sees, with their clouds and workload identities.
    Deployments {
        /// Only the Deployments of this Workspace; repeatable.
        #[arg(long = "workspace")]
        workspaces: Vec<String>,
        #[arg(long)]
        json: bool,
        #[command(flatten)]
        api: AstroArgs,
    },
}

/// How to reach the Astro API. The token comes from the OS keyring (`--token-profile`) or
/// `ASTRO_API_TOKEN` — never from the command line, where other users could read it.
#[derive(Args, Clone)]
pub struct AstroArgs {
    /// The organization; may be left out when the token sees exactly one.
    #[arg(long)]
    organization: Option<String>,
    /// Read the token from this OS keyring profile (stored by the app) instead of ASTRO_API_TOKEN.
    #[arg(long = "token-profile")]
    token_profile: Option<String>,
    /// Another Astro API server (paths under /v1/).
    #[arg(long = "api-url", default_value = DEFAULT_BASE_URL)]
    api_url: String,
}

pub async fn run(command: AstroCommand) -> Result<(), Failure> {
    match command {
        AstroCommand::Deployments { workspaces, json, api } => {
            let (client, organization) = connect(&api).await?;
            let filter = DeploymentFilter { workspace_ids: workspaces, deployment_ids: Vec::new() };
            let interactive = !json && std::io::IsTerminal::is_terminal(&std::io::stderr());
            let mut deployments = client
                .deployments(&organization, &filter, |loaded, total| {
                    if interactive {
                        eprint!("\rLoaded {loaded} of {total} Deployments…");
                    }
                })
                .await?;
            if interactive {
                eprintln!();
            }
            client.name_workspaces(&organization, &mut deployments).await;
            if json {
                return print_json(&deployments);
            }
            print!("{}", render_table(&deployments));
            Ok(())
        }
    }
}

/// The client and the organization to work in.
async fn connect(api: &AstroArgs) -> Result<Astro, Failure> {
    let source = match &api.token_profile {
        Some(profile) => AstroTokenSource::Keyring { profile: profile.clone() },
        None => AstroTokenSource::Env,
    };
    let keyring = match source {
        AstroTokenSource::Keyring { .. } => Some(SecretStore::open_os_async().await?),
        AstroTokenSource::Env => None,
    };
    let token = tokio::task::spawn_blocking(move || source.read(keyring.as_deref()))
        .await
        .map_err(|e| Failure::new(format!("the keyring task failed: {e}"), "Try again."))?
        .map_err(|err| {
            let mut failure = Failure::from(err);
            if api.token_profile.is_none() {
                failure.hint = format!(
                    "Export {TOKEN_ENV} with an Astro API token (Astro UI: Organization or Workspace \
                     Settings > Access Management > API Tokens), or pass --token-profile NAME for a \
                     token the app keeps in the OS keyring."
                );
            }
            failure
        })?;
    let client = AstroClient::new(token)?.with_base_url(&api.api_url)?;
    let organization = client.organization(api.organization.as_deref()).await?;
    Ok((client, organization.id))
}

/// Every Deployment of the organization, to tie identities to Deployments exactly; none (and
/// matching by shape) when no token is configured at all.
pub async fn all_deployments(api: &AstroArgs) -> Result<Vec<Deployment>, Failure> {
    let configured =
        api.token_profile.is_some() || std::env::var(TOKEN_ENV).is_ok_and(|t| !t.trim().is_empty());
    if !configured {
        return Ok(Vec::new());
    }
    let (client, organization) = connect(api).await?;
    let filter = DeploymentFilter::default();
    Ok(client.deployments(&organization, &filter, |_, _| {}).await?)
}

/// A client of the Astro API and the organization it works in.
pub type Astro = (AstroClient, String);

/// The Deployments with these ids, each checked to run on `cloud` with a workload identity,
/// and the client and organization they were read with (`None` when no id was given), for
/// commands that write to them next. Nothing is planned when one is wrong.
pub async fn resolve(
    api: &AstroArgs,
    ids: &[String],
    cloud: CloudProvider,
) -> Result<(Vec<Deployment>, Option<Astro>), Failure> {
    if ids.is_empty() {
        return Ok((Vec::new(), None));
    }
    let (client, organization) = connect(api).await?;
    let deployments = client.resolve(&organization, ids).await.map_err(|err| {
        let not_found = err.code() == "not_found";
        let mut failure = Failure::from(err);
        if not_found {
            failure.hint = String::from(
                "Check the id; list the organization's Deployments with `astro-identity-cli astro deployments`.",
            );
        }
        failure
    })?;
    let mut problems = Vec::new();
    for deployment in &deployments {
        let checked = match cloud {
            CloudProvider::Gcp => deployment.gcp_identity().map(|_| ()),
            _ => deployment.aws_identity().map(|_| ()),
        };
        if let Err(err) = checked {
            problems.push(format!("{err}\n  {}", err.hint()));
        }
    }
    if !problems.is_empty() {
        return Err(Failure::new(
            format!("invalid --deployment:\n  {}", problems.join("\n  ")),
            "Nothing was changed. List the Deployments with `astro-identity-cli astro deployments`.",
        ));
    }
    for deployment in deployments.iter().filter(|d| d.customer_managed) {
        eprintln!(
            "note: {} uses a customer-managed identity ({}): it is your own {}, not Astro's default — \
             check that it is the one you mean to authorize.",
            deployment.label(),
            deployment.workload_identity.as_deref().unwrap_or_default(),
            if cloud == CloudProvider::Gcp { "service account" } else { "IAM role" }
        );
    }
    Ok((deployments, Some((client, organization))))
}

fn render_table(deployments: &[Deployment]) -> String {
    if deployments.is_empty() {
        return String::from("No Deployments.\n");
    }
    let mut out = String::new();
    for d in deployments {
        let workspace = d.workspace_name.clone().unwrap_or_else(|| d.workspace_id.clone());
        let identity = match (&d.workload_identity, d.customer_managed) {
            (Some(identity), true) => format!("{identity} (customer-managed)"),
            (Some(identity), false) => identity.clone(),
            (None, _) => String::from("(no workload identity)"),
        };
        out.push_str(&format!(
            "{}  {}  [{}]  {} {}  {}\n    {}\n",
            d.id,
            d.name,
            workspace,
            d.cloud_provider.label(),
            d.region.as_deref().unwrap_or("-"),
            d.status.as_deref().unwrap_or("-"),
            identity
        ));
    }
    out.push_str(&format!("{} Deployment(s)\n", deployments.len()));
    out
}

/// Sets each Deployment's workload identity to `identity` (verified and journaled, one entry
/// each) with the client they were resolved with; the journal ids of the changes made.
pub async fn set_identities(
    (client, organization): &Astro,
    deployments: &[Deployment],
    identity: &str,
    journal: &Journal,
) -> Result<Vec<String>, Failure> {
    let targets: Vec<DeploymentRef> = deployments
        .iter()
        .map(|d| DeploymentRef { organization: organization.clone(), id: d.id.clone(), name: d.name.clone() })
        .collect();
    Ok(set_workload_identities(client, &targets, identity, journal).await?)
}
