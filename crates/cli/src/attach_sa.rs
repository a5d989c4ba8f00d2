//! `astro-identity-cli gcp attach-sa`: Customer Managed Identity on GCP — the Deployments
//! use your service account. Its roles are granted on the project, the Deployments' Astro
//! identities may create its tokens, and the Deployments' workload identity is set to it;
//! the Airflow connection names it in `impersonation_chain`.
//!
//! Which binding the Astro UI's own gcloud command makes for an attached account is not in
//! Astro's public docs or API reference (the docs say only "run the provided command"). The
//! one they do document is this: `roles/iam.serviceAccountTokenCreator` on your account for
//! the Deployment's `astro-<namespace>@…` identity, with the connection's
//! `impersonation_chain`. The other candidate, GKE Workload Identity
//! (`roles/iam.workloadIdentityUser` for `serviceAccount:<project>.svc.id.goog[<ns>/<ksa>]`),
//! would need Astro's cluster project and service-account names, which the API does not give.

use clap::Args;

use astro_identity_cloud::gcp::{Backoff, BindingChange, PolicyResource, apply_binding, plan_grant};
use astro_identity_domain::astro::{CloudProvider, Deployment};
use astro_identity_domain::gcp::catalog::TOKEN_CREATOR_ROLE;
use astro_identity_domain::gcp::identity::{ProjectId, ServiceAccountEmail};

use crate::astro::{AstroArgs, resolve, set_identities};
use crate::gcp_common::{TargetArgs, connect, render_plan};
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
    astro: AstroArgs,
    #[command(flatten)]
    target: TargetArgs,
}

pub async fn run(args: &AttachSaArgs) -> Result<(), Failure> {
    let account = ServiceAccountEmail::parse(&args.service_account)?;
    let project = args.project.as_deref().map(ProjectId::parse).transpose()?;
    let (deployments, astro) = resolve(&args.astro, &args.deployments, CloudProvider::Gcp).await?;
    // Who impersonates: each Deployment's Astro identity. One already using this account
    // has had its binding made (its default identity is no longer shown by the API).
    let impersonators: Vec<String> = deployments
        .iter()
        .filter_map(|d| d.gcp_identity().ok())
        .filter(|identity| identity.as_str() != account.as_str())
        .map(|identity| identity.member())
        .collect();
    let projects = connect(&args.target).await?;
    let principal = projects.principal.clone();
    let mut changes: Vec<BindingChange> = Vec::new();
    for role in &args.roles {
        if let Some(project) = &project {
            let resource = PolicyResource::project(project);
            changes.push(
                plan_grant(&projects, &resource, role.trim(), &[account.member()], None, principal.clone())
                    .await?,
            );
        }
    }
    if !impersonators.is_empty() {
        let resource = PolicyResource::service_account(&account);
        changes.push(
            plan_grant(&projects, &resource, TOKEN_CREATOR_ROLE, &impersonators, None, principal).await?,
        );
    }
    if args.json && args.plan {
        return print_json(&changes);
    }
    if !args.json {
        for change in &changes {
            println!("{}", render_plan(change));
        }
        print!("{}", identity_lines(&deployments, &account));
    }
    if args.plan {
        return Ok(());
    }
    if let Some(blocked) = changes.iter().find(|c| c.plan.blocked) {
        return Err(Failure::new(
            format!("the grant on {} has errors, nothing was written", blocked.resource),
            "Fix the errors listed above and run the command again.",
        ));
    }
    let identities_change =
        deployments.iter().any(|d| d.workload_identity.as_deref() != Some(account.as_str()));
    let any = identities_change || changes.iter().any(|c| c.plan.changed);
    if !any {
        println!("Nothing to change: every grant is in place and the Deployments use {account}.");
        return Ok(());
    }
    let warnings = changes.iter().any(|c| c.plan.needs_confirmation);
    let question = format!("Apply this{}?", if warnings { " despite the warnings above" } else { "" });
    if !(args.yes || confirm(&question)?) {
        return Err(Failure::new("not applied: not confirmed", "Run again and answer y, or pass --yes."));
    }
    let journal = journal();
    let mut ids = Vec::new();
    for change in changes.iter().filter(|c| c.plan.changed) {
        ids.extend(apply_binding(&projects, change, true, &journal, Backoff::DEFAULT).await?.journal_id);
    }
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

fn identity_lines(deployments: &[Deployment], account: &ServiceAccountEmail) -> String {
    let mut out = String::new();
    for deployment in deployments {
        let now = deployment.workload_identity.as_deref().unwrap_or("none");
        if now == account.as_str() {
            out.push_str(&format!("Deployment {} already uses {account}\n", deployment.label()));
        } else {
            out.push_str(&format!(
                "Set the workload identity of Deployment {}: {now} → {account}\n",
                deployment.label()
            ));
        }
    }
    out
}
