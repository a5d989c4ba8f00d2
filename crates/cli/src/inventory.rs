//! `astro-identity-cli inventory aws|gcp` (who can reach what) and `revoke --identity`
//! (offboard one identity from every role and binding it holds: one reviewed plan, each
//! change journaled and undoable).

use clap::{Args, Subcommand};

use astro_identity_cloud::gcp::PolicyResource;
use astro_identity_cloud::inventory::{
    InventoryRow, apply_revoke, aws_inventory, gcp_inventory, gcp_places, plan_revoke_aws, plan_revoke_gcp,
    revoke_refusal,
};
use astro_identity_domain::inventory::Matched;

use crate::astro::{AstroArgs, all_deployments};
use crate::aws_common::{self, render_plan as render_trust_plan};
use crate::gcp_common::{self, render_plan as render_binding_plan};
use crate::journal_file::journal;
use crate::output::{Failure, confirm, print_json};

#[derive(Subcommand)]
pub enum InventoryCommand {
    /// Every role of the account whose trust policy admits an Astro identity.
    Aws {
        #[command(flatten)]
        target: aws_common::TargetArgs,
        #[command(flatten)]
        astro: AstroArgs,
        #[arg(long)]
        json: bool,
    },
    /// Every binding of the projects (and service accounts) held by an Astro identity.
    Gcp {
        #[command(flatten)]
        where_: GcpPlaces,
        #[command(flatten)]
        astro: AstroArgs,
        #[arg(long)]
        json: bool,
    },
}

/// Which GCP policies to read.
#[derive(Args)]
pub struct GcpPlaces {
    /// A project whose IAM policy is read; repeatable.
    #[arg(long = "gcp-project")]
    projects: Vec<String>,
    /// A service account whose IAM policy is read (who may impersonate it); repeatable.
    #[arg(long = "gcp-service-account")]
    service_accounts: Vec<String>,
    #[command(flatten)]
    target: gcp_common::TargetArgs,
}

impl GcpPlaces {
    /// The policies to read; none when no project or account was given.
    fn resources(&self) -> Result<Vec<PolicyResource>, Failure> {
        if self.projects.is_empty() && self.service_accounts.is_empty() {
            return Ok(Vec::new());
        }
        Ok(gcp_places(&self.projects, &self.service_accounts)?)
    }
}

#[derive(Args)]
pub struct RevokeArgs {
    /// The identity to remove: a role ARN, `NS@ISSUER` (a namespace's service accounts, as
    /// `inventory aws` lists them), or a service account email.
    #[arg(long)]
    identity: String,
    /// Remove it from the roles of this AWS account (the credentials' account).
    #[arg(long)]
    aws: bool,
    #[command(flatten)]
    aws_target: aws_common::TargetArgs,
    #[command(flatten)]
    gcp: GcpPlaces,
    /// Only show the plan.
    #[arg(long)]
    plan: bool,
    #[arg(long)]
    yes: bool,
    #[arg(long)]
    json: bool,
}

pub async fn run(command: InventoryCommand) -> Result<(), Failure> {
    let journal = journal();
    let (rows, json) = match command {
        InventoryCommand::Aws { target, astro, json } => {
            let deployments = all_deployments(&astro).await?;
            let iam = aws_common::connect(&target).await?;
            (aws_inventory(&iam, &journal, &deployments).await?, json)
        }
        InventoryCommand::Gcp { where_, astro, json } => {
            let resources = gcp_places(&where_.projects, &where_.service_accounts)?;
            let deployments = all_deployments(&astro).await?;
            let projects = gcp_common::connect(&where_.target).await?;
            (gcp_inventory(&projects, &resources, &journal, &deployments).await?, json)
        }
    };
    if json {
        return print_json(&rows);
    }
    print!("{}", render_rows(&rows));
    Ok(())
}

fn render_rows(rows: &[InventoryRow]) -> String {
    if rows.is_empty() {
        return String::from("No Astro identity holds access here.\n");
    }
    let mut out = String::new();
    for row in rows {
        let who = match (&row.deployment, row.matched) {
            (Some(d), _) => format!("Deployment {} ({})", d.name, d.id),
            (None, Matched::Shape) => String::from("an Astro identity (by its shape; no Deployment matched)"),
            (None, Matched::Exact) => String::from("a Deployment"),
        };
        out.push_str(&format!("{who}\n  {} → {}\n", row.identity, row.place));
        if !row.access.is_empty() {
            out.push_str(&format!("  can: {}\n", row.access.join(", ")));
        }
        out.push_str(&format!("  granted by this app: {}\n", if row.journaled { "yes" } else { "no" }));
        if let Some(drift) = &row.drift {
            out.push_str(&format!("  drift: {drift}\n"));
        }
    }
    out.push_str(&format!("{} row(s)\n", rows.len()));
    out
}

/// Plans removing the identity everywhere asked, shows it, asks, applies each change.
pub async fn revoke(args: &RevokeArgs) -> Result<(), Failure> {
    let resources = args.gcp.resources()?;
    if !args.aws && resources.is_empty() {
        return Err(Failure::new(
            "nowhere to revoke from",
            "Pass --aws (the credentials' account) and/or --gcp-project P / --gcp-service-account EMAIL.",
        ));
    }
    let iam = if args.aws { Some(aws_common::connect(&args.aws_target).await?) } else { None };
    let trust = match &iam {
        Some(iam) => plan_revoke_aws(iam, &args.identity).await?,
        None => Vec::new(),
    };
    let projects =
        if resources.is_empty() { None } else { Some(gcp_common::connect(&args.gcp.target).await?) };
    let bindings = match &projects {
        Some(projects) => {
            plan_revoke_gcp(projects, &resources, &args.identity, projects.principal.clone()).await?
        }
        None => Vec::new(),
    };
    if args.json && args.plan {
        return print_json(&serde_json::json!({"aws": trust, "gcp": bindings}));
    }
    if trust.is_empty() && bindings.is_empty() {
        println!("Nothing to revoke: {} holds nothing in the places read.", args.identity);
        return Ok(());
    }
    if !args.json {
        for change in &trust {
            println!("{}", render_trust_plan(change));
        }
        for change in &bindings {
            println!("{}", render_binding_plan(change));
        }
    }
    if args.plan {
        return Ok(());
    }
    // Refused before asking: a plan with errors is not applied in part.
    if let Some(refusal) = revoke_refusal(&trust, &bindings) {
        return Err(refusal.into());
    }
    if !(args.yes
        || confirm(&format!("Revoke {} from {} place(s)?", args.identity, trust.len() + bindings.len()))?)
    {
        return Err(Failure::new("not revoked: not confirmed", "Run again and answer y, or pass --yes."));
    }
    let ids = apply_revoke(iam.as_ref(), projects.as_ref(), &trust, &bindings, &journal()).await?;
    if args.json {
        return print_json(&serde_json::json!({"journalIds": ids}));
    }
    println!("Revoked and verified.");
    for id in &ids {
        println!("Journal entry {id} (undo with `astro-identity-cli journal undo --id {id}`)");
    }
    Ok(())
}
