//! `astro-identity-cli gcp attach-sa`: Customer Managed Identity on GCP — the Deployments
//! use your service account. Its roles are granted on the project, the Deployments' Astro
//! identities may create its tokens, and the Deployments' workload identity is set to it;
//! the Airflow connection names it in `impersonation_chain`.
//!
//! Which binding is made, and why: `astro_identity_cloud::gcp::attach_sa`.

use clap::Args;

use astro_identity_cloud::gcp::Backoff;
use astro_identity_cloud::gcp::attach_sa::{AttachSaPlan, AttachSaRequest, apply_attach_sa, plan_attach_sa};
use astro_identity_domain::astro::CloudProvider;
use astro_identity_domain::gcp::identity::{ProjectId, ServiceAccountEmail};

use astro_identity_cloud::export::attach_sa_export;
use astro_identity_cloud::gcp::PolicyResource;
use astro_identity_cloud::offline::{OFFLINE_CALLER, OfflineGcp};
use astro_identity_domain::export::{ExportCloud, ExportFormat};

use crate::astro::{AstroArgs, resolve, set_identities};
use crate::export::{ExportArgs, print_export};
use crate::gcp_common::{TargetArgs, connect, offline_store, render_plan};
use crate::journal_file::journal;
use crate::output::{Failure, confirm, print_json};

#[derive(Args)]
pub struct AttachSaArgs {
    /// Your service account that the Deployments will use.
    #[arg(long = "service-account")]
    service_account: String,
    /// An Astro Deployment id on Google Cloud; repeatable.
    #[arg(long = "deployment", required = true)]
    deployments: Vec<String>,
    /// A role to grant the service account on --project; repeatable.
    #[arg(long = "role", requires = "project")]
    roles: Vec<String>,
    #[arg(long)]
    project: Option<String>,
    /// Only show the plan.
    #[arg(long)]
    plan: bool,
    /// Apply without asking, warnings included.
    #[arg(long)]
    yes: bool,
    #[arg(long)]
    json: bool,
    #[command(flatten)]
    export: ExportArgs,
    #[command(flatten)]
    astro: AstroArgs,
    #[command(flatten)]
    target: TargetArgs,
}

pub async fn run(args: &AttachSaArgs) -> Result<(), Failure> {
    let account = ServiceAccountEmail::parse(&args.service_account)?;
    let project = args.project.as_deref().map(ProjectId::parse).transpose()?;
    let format = args.export.format_for(ExportCloud::Gcp)?;
    if (args.export.offline || format.is_some()) && !args.plan {
        return Err(Failure::new(
            "--offline and --export make a plan for review: they need --plan",
            "Add --plan; nothing is applied from an offline plan or an export.",
        ));
    }
    if args.export.offline && args.export.current_policy_file.is_some() && project.is_none() {
        return Err(Failure::new(
            "--current-policy-file is the project's IAM policy: give --project too",
            "Add --project PROJECT_ID with the roles to grant there.",
        ));
    }
    let (deployments, astro) = resolve(&args.astro, &args.deployments, CloudProvider::Gcp).await?;
    let request = AttachSaRequest {
        service_account: &account,
        project: project.as_ref(),
        roles: &args.roles,
        deployments: &deployments,
    };
    if args.export.offline {
        let store = match &project {
            Some(project) => offline_store(&args.export, &PolicyResource::project(project))?,
            None => OfflineGcp::new(Vec::new()),
        };
        let plan = plan_attach_sa(&store, &request, Some(OFFLINE_CALLER.to_owned())).await?;
        return show_plan_only(args, &plan, format);
    }
    let projects = connect(&args.target).await?;
    let principal = projects.principal.clone();
    let plan = plan_attach_sa(&projects, &request, principal).await?;
    if format.is_some() {
        return show_plan_only(args, &plan, format);
    }
    if args.json && args.plan {
        return print_json(&plan);
    }
    if !args.json {
        for change in &plan.grants {
            println!("{}", render_plan(change));
        }
        print!("{}", identity_lines(&plan));
    }
    if args.plan {
        return Ok(());
    }
    // Refused before asking: no part of a plan with errors is applied.
    if let Some(refusal) = plan.blocked_refusal() {
        return Err(refusal.into());
    }
    if !plan.changed {
        println!("Nothing to change: every grant is in place and the Deployments use {account}.");
        return Ok(());
    }
    let warnings = plan.needs_confirmation;
    let question = format!("Apply this{}?", if warnings { " despite the warnings above" } else { "" });
    if !(args.yes || confirm(&question)?) {
        return Err(Failure::new("not applied: not confirmed", "Run again and answer y, or pass --yes."));
    }
    let journal = journal();
    let outcomes = apply_attach_sa(&projects, &plan, true, &journal, Backoff::DEFAULT).await?;
    let mut ids: Vec<String> = outcomes.into_iter().filter_map(|o| o.journal_id).collect();
    if let Some(astro) = &astro {
        ids.extend(set_identities(astro, &deployments, account.as_str(), &journal).await?);
    }
    if args.json {
        return print_json(&serde_json::json!({"journalIds": ids, "serviceAccount": account.as_str()}));
    }
    println!("Done and verified.");
    for id in &ids {
        println!("Journal entry {id} (undo with `astro-identity-cli journal undo --id {id}`)");
    }
    println!(
        "Their Airflow connection: google_cloud_platform with impersonation_chain {account} (Google provider \
         10.8.0 or newer): `astro-identity-cli airflow gcp --conn-id google_cloud_default --project P \
         --impersonation-chain {account}`."
    );
    Ok(())
}

/// An offline plan or an export: printed, never applied.
fn show_plan_only(
    args: &AttachSaArgs,
    plan: &AttachSaPlan,
    format: Option<ExportFormat>,
) -> Result<(), Failure> {
    if let Some(format) = format {
        return print_export(&attach_sa_export(plan), format);
    }
    if args.json {
        return print_json(plan);
    }
    for change in &plan.grants {
        println!("{}", render_plan(change));
    }
    print!("{}", identity_lines(plan));
    Ok(())
}

fn identity_lines(plan: &AttachSaPlan) -> String {
    let mut out = String::new();
    for step in &plan.identities {
        let label = format!("{} ({})", step.name, step.deployment_id);
        if step.changed {
            let now = step.from.as_deref().unwrap_or("none");
            out.push_str(&format!("Set the workload identity of Deployment {label}: {now} → {}\n", step.to));
        } else {
            out.push_str(&format!("Deployment {label} already uses {}\n", step.to));
        }
    }
    out
}
