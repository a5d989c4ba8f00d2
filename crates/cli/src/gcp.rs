//! `astro-identity-cli gcp plan|apply|undo`.

use clap::{Args, Subcommand};

use astro_identity_cloud::gcp::{
    Backoff, BindingChange, BindingOutcome, GcpProjects, PolicyResource, apply_binding, plan_grant,
};
use astro_identity_cloud::journal::members_words;
use astro_identity_cloud::undo::undo_binding;
use astro_identity_domain::astro::CloudProvider;
use astro_identity_domain::gcp::iam_policy::Condition;
use astro_identity_domain::gcp::identity::{GrantRoute, parse_member};
use astro_identity_domain::gcp::permissions::what_roles_allow;

use astro_identity_cloud::export::grant_export;
use astro_identity_cloud::offline::OFFLINE_CALLER;
use astro_identity_domain::export::ExportCloud;

use crate::astro::{AstroArgs, resolve};
use crate::export::{ExportArgs, print_export};
use crate::gcp_common::{TargetArgs, connect, offline_store, render_plan};
use crate::journal_file::journal;
use crate::output::{Failure, confirm, print_json};

#[derive(Subcommand)]
pub enum GcpCommand {
    /// Show what would change in the project's IAM policy. Writes nothing.
    Plan(Box<GrantArgs>),
    /// Apply the grant (asks first unless --yes), verify it and journal it for undo.
    Apply(Box<GrantArgs>),
    /// Customer Managed Identity: the Deployments use your service account — its roles on the
    /// project, token creation for the Deployments' Astro identities, their workload identity
    /// set to it. Shows the plan, asks, applies.
    AttachSa(Box<crate::attach_sa::AttachSaArgs>),
    /// What roles allow: their permissions from the offline snapshot, searched (e.g.
    /// `--search "bigquery tables getData"`: can it read BigQuery tables?).
    Allows {
        #[arg(long = "role", required = true)]
        roles: Vec<String>,
        #[arg(long, default_value = "")]
        search: String,
        #[arg(long)]
        json: bool,
    },
    /// Undo a journaled grant (default: the newest one not yet undone).
    Undo {
        #[arg(long = "journal-id")]
        journal_id: Option<String>,
        #[command(flatten)]
        target: TargetArgs,
        #[arg(long)]
        json: bool,
    },
}

#[derive(Args)]
#[group(id = "resource", multiple = false, args = ["project", "impersonate"])]
pub struct GrantArgs {
    /// Grant --role on this project's IAM policy.
    #[arg(long, requires = "role", required_unless_present_any = ["impersonate", "batch"])]
    project: Option<String>,
    /// Many grants at once, from a JSON file (`-` reads standard input): [{"project": "P",
    /// "role": "roles/…", "members": ["serviceAccount:…"], "condition": {…}}, {"impersonate":
    /// "SA", "members": […]}, …]. Resources are read and written 8 at a time.
    #[arg(
        long,
        value_name = "FILE",
        conflicts_with_all = ["project", "impersonate", "members", "deployments", "role", "condition_title", "offline", "format"]
    )]
    batch: Option<String>,
    /// The impersonation route: let the member act as this service account of yours
    /// (grants roles/iam.serviceAccountTokenCreator on it).
    #[arg(long)]
    impersonate: Option<String>,
    /// A Deployment's identity, e.g. serviceAccount:astro-...@....iam.gserviceaccount.com;
    /// repeatable: every member is granted in one write.
    #[arg(long = "member", required_unless_present_any = ["deployments", "batch"])]
    members: Vec<String>,
    /// An Astro Deployment id, resolved to its service account through the Astro API;
    /// repeatable, and may be given beside --member.
    #[arg(long = "deployment")]
    deployments: Vec<String>,
    #[command(flatten)]
    astro: AstroArgs,
    /// A role such as roles/bigquery.jobUser (with --project).
    #[arg(long, conflicts_with = "impersonate")]
    role: Option<String>,
    #[arg(long = "condition-title", requires = "condition_expression")]
    condition_title: Option<String>,
    #[arg(long = "condition-description")]
    condition_description: Option<String>,
    #[arg(long = "condition-expression", requires = "condition_title")]
    condition_expression: Option<String>,
    /// Apply without asking, warnings included.
    #[arg(long)]
    yes: bool,
    #[arg(long)]
    json: bool,
    #[command(flatten)]
    export: ExportArgs,
    #[command(flatten)]
    target: TargetArgs,
}

pub async fn run(command: GcpCommand) -> Result<(), Failure> {
    match command {
        GcpCommand::Allows { roles, search, json } => {
            let answers = what_roles_allow(&roles, &search);
            if json {
                return print_json(&answers);
            }
            for answer in &answers {
                if !answer.known {
                    println!(
                        "{}: not in the offline snapshot (a custom role, or newer): unknown",
                        answer.role
                    );
                    continue;
                }
                println!("{}: {} of its {} permissions match", answer.role, answer.matched, answer.total);
                for permission in &answer.matches {
                    println!("  {permission}");
                }
                if answer.matched as usize > answer.matches.len() {
                    println!("  … and {} more", answer.matched as usize - answer.matches.len());
                }
            }
            Ok(())
        }
        GcpCommand::Plan(args) if args.batch.is_some() => {
            crate::gcp_batch::plan(args.batch.as_deref().unwrap_or_default(), &args.target, args.json).await
        }
        GcpCommand::Apply(args) if args.batch.is_some() => {
            let file = args.batch.as_deref().unwrap_or_default();
            crate::gcp_batch::apply(file, &args.target, args.yes, args.json).await
        }
        GcpCommand::Plan(args) => {
            let format = args.export.format_for(ExportCloud::Gcp)?;
            let change = if args.export.offline {
                let (resource, role, members, condition) = request(&args).await?;
                let store = offline_store(&args.export, &resource)?;
                let principal = Some(OFFLINE_CALLER.to_owned());
                plan_grant(&store, &resource, &role, &members, condition.as_ref(), principal).await?
            } else {
                plan(&args).await?.1
            };
            if let Some(format) = format {
                return print_export(&grant_export(&change), format);
            }
            if args.json {
                return print_json(&change);
            }
            print!("{}", render_plan(&change));
            Ok(())
        }
        GcpCommand::Apply(args) => {
            args.export.refuse_on_apply("astro-identity-cli gcp plan")?;
            let (projects, change) = plan(&args).await?;
            if !args.json {
                print!("{}", render_plan(&change));
            }
            if change.plan.blocked {
                return Err(Failure::new(
                    "the plan has errors, nothing was written",
                    "Fix the errors listed above and run the command again.",
                ));
            }
            let confirmed = change.plan.changed
                && (args.yes
                    || confirm(&format!(
                        "Grant {} to {} on {}{}?",
                        change.plan.role,
                        members_words(&change.plan.members),
                        change.resource,
                        if change.plan.needs_confirmation { " despite the warnings above" } else { "" }
                    ))?);
            if change.plan.changed && !confirmed {
                return Err(Failure::new(
                    "not applied: not confirmed",
                    "Run again and answer y, or pass --yes.",
                ));
            }
            let outcome = apply_binding(&projects, &change, confirmed, &journal(), Backoff::DEFAULT).await?;
            report(&outcome, args.json)
        }
        GcpCommand::AttachSa(args) => crate::attach_sa::run(&args).await,
        GcpCommand::Undo { journal_id, target, json } => {
            let projects = connect(&target).await?;
            let outcome =
                undo_binding(&projects, &journal(), journal_id.as_deref(), Backoff::DEFAULT).await?;
            report(&outcome, json)
        }
    }
}

async fn plan(args: &GrantArgs) -> Result<(GcpProjects, BindingChange), Failure> {
    let (resource, role, members, condition) = request(args).await?;
    let projects = connect(&args.target).await?;
    let principal = projects.principal.clone();
    let change = plan_grant(&projects, &resource, &role, &members, condition.as_ref(), principal).await?;
    Ok((projects, change))
}

/// What the arguments ask for: where, which role, to whom, under which condition.
async fn request(
    args: &GrantArgs,
) -> Result<(PolicyResource, String, Vec<String>, Option<Condition>), Failure> {
    let route =
        GrantRoute::choose(args.project.as_deref(), args.role.as_deref(), args.impersonate.as_deref())?;
    let (resource, role) = (PolicyResource::for_route(&route), route.role().to_owned());
    let mut members = Vec::new();
    for raw in &args.members {
        members.push(parse_member(raw)?);
    }
    for deployment in resolve(&args.astro, &args.deployments, CloudProvider::Gcp).await?.0 {
        members.push(deployment.gcp_identity()?.member());
    }
    members = members
        .iter()
        .enumerate()
        .filter(|(i, m)| !members[..*i].contains(m))
        .map(|(_, m)| m.clone())
        .collect();
    let condition = match (&args.condition_title, &args.condition_expression) {
        (Some(title), Some(expression)) => {
            Some(Condition::new(title, args.condition_description.as_deref(), expression)?)
        }
        _ => None,
    };
    Ok((resource, role, members, condition))
}

fn report(outcome: &BindingOutcome, json: bool) -> Result<(), Failure> {
    if json {
        return print_json(outcome);
    }
    if !outcome.written {
        println!("Nothing was written: the grant is already in place on {} (verified).", outcome.resource);
        return Ok(());
    }
    println!("Done and verified on {} ({} attempt(s)).", outcome.resource, outcome.attempts);
    if let Some(id) = &outcome.journal_id {
        println!("Journal entry {id} (undo with `astro-identity-cli gcp undo --journal-id {id}`)");
    }
    println!("Console: {}", outcome.console_url);
    Ok(())
}
