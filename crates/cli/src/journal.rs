//! `astro-identity-cli journal list|undo|pending|settle`: every journaled change, undo of any
//! applied one (shown as a diff first), and the changes interrupted between sending a write
//! and recording how it ended (a crash, a kill, a lost network), settled by re-reading the
//! resources.

use clap::{Args, Subcommand};

use astro_identity_cloud::airflow::AirflowApi;
use astro_identity_cloud::astro::{AstroClient, AstroTokenSource};
use astro_identity_cloud::aws::{AwsCredentialSource, AwsIam, AwsTarget, sdk_config};
use astro_identity_cloud::backoff::Backoff;
use astro_identity_cloud::gcp::{GcpCredentialSource, GcpProjects, GcpTarget};
use astro_identity_cloud::history::{self, HistoryItem, HistoryStatus};
use astro_identity_cloud::journal::{ASTRO_DEPLOYMENT_CLOUD, Journal, PROJECT_CLOUD, Subject};
use astro_identity_cloud::settle::{
    SettleReport, SettleResult, pending_changes, settle_aws, settle_connections, settle_deployments,
    settle_gcp, settle_project,
};
use astro_identity_cloud::undo::{self, UndoOutcome, UndoPlan};

use crate::journal_file::journal;
use crate::output::{Failure, confirm, print_json, render_diff};

#[derive(Subcommand)]
pub enum JournalCommand {
    /// Every journaled change, newest first: what, where, when and its status.
    List {
        #[arg(long)]
        json: bool,
    },
    /// Undo a journaled change: shows what the undo writes (others' later edits are kept),
    /// asks, applies and verifies.
    Undo(Box<UndoArgs>),
    /// List interrupted changes (offline: reads only the journal).
    Pending {
        #[arg(long)]
        json: bool,
    },
    /// Re-read the resource of each interrupted change, decide whether it took effect, and
    /// record that in the journal (applied changes become undoable).
    Settle(Box<SettleArgs>),
}

#[derive(Args)]
pub struct UndoArgs {
    /// The journal entry to undo (see `journal list`).
    #[arg(long)]
    id: String,
    /// Undo without asking.
    #[arg(long)]
    yes: bool,
    /// Only show what the undo would write.
    #[arg(long)]
    plan: bool,
    #[command(flatten)]
    cloud: SettleArgs,
}

#[derive(Args)]
pub struct SettleArgs {
    /// AWS: a profile from the AWS config files. Default: the SDK's chain.
    #[arg(long)]
    profile: Option<String>,
    /// AWS: the region to sign with.
    #[arg(long)]
    region: Option<String>,
    /// AWS: another IAM/STS endpoint, e.g. a local test server.
    #[arg(long = "endpoint-url")]
    endpoint_url: Option<String>,
    /// GCP: another API root for Resource Manager and IAM (an emulator or fake).
    #[arg(long = "gcp-endpoint")]
    gcp_endpoint: Option<String>,
    /// GCP: send no credentials (only for emulators). Default: Application Default Credentials.
    #[arg(long)]
    anonymous: bool,
    /// Airflow connections: the Airflow whose interrupted connection changes to settle (its
    /// token is read from AIRFLOW_API_TOKEN).
    #[arg(long = "airflow-url")]
    airflow_url: Option<String>,
    #[arg(long)]
    json: bool,
}

pub async fn run(command: JournalCommand) -> Result<(), Failure> {
    let journal = journal();
    match command {
        JournalCommand::List { json } => {
            settle_project(&journal).await?;
            let items = history::list(&journal)?;
            if json {
                return print_json(&items);
            }
            print!("{}", render_history(&items));
            Ok(())
        }
        JournalCommand::Undo(args) => undo_entry(&args, &journal).await,
        JournalCommand::Pending { json } => {
            let pending = pending_changes(&journal)?;
            if json {
                return print_json(&pending);
            }
            if pending.is_empty() {
                println!("No interrupted changes.");
            }
            for report in &pending {
                println!("{} (journal entry {})", report.message, report.journal_id);
            }
            Ok(())
        }
        JournalCommand::Settle(args) => {
            let pending = pending_changes(&journal)?;
            let mut reports = settle_project(&journal).await?;
            let mut problems = Vec::new();
            if let Some(url) = &args.airflow_url {
                match settle_with_airflow(url, &journal).await {
                    Ok(found) => reports.extend(found),
                    Err(err) => problems.push(format!("Airflow: {}", err.message)),
                }
            }
            if pending.iter().any(|r| r.cloud == "aws") {
                match settle_with_aws(&args, &journal).await {
                    Ok(found) => reports.extend(found),
                    Err(err) => problems.push(format!("AWS: {}", err.message)),
                }
            }
            if pending.iter().any(|r| r.cloud == ASTRO_DEPLOYMENT_CLOUD) {
                match settle_with_astro(&journal).await {
                    Ok(found) => reports.extend(found),
                    Err(err) => problems.push(format!("Astro API: {}", err.message)),
                }
            }
            if pending.iter().any(|r| r.cloud == "gcp") {
                match settle_with_gcp(&args, &journal).await {
                    Ok(found) => reports.extend(found),
                    Err(err) => problems.push(format!("GCP: {}", err.message)),
                }
            }
            if args.json {
                print_json(&reports)?;
            } else {
                print_reports(&reports);
            }
            let left = journal.pending()?.len();
            if left > 0 {
                let why =
                    if problems.is_empty() { String::new() } else { format!(" ({})", problems.join("; ")) };
                return Err(Failure::new(
                    format!("{left} interrupted change(s) could not be checked{why}"),
                    "Run it again with credentials for the account or project each change was made in.",
                ));
            }
            Ok(())
        }
    }
}

fn print_reports(reports: &[SettleReport]) {
    if reports.is_empty() {
        println!("Nothing to settle: no change was interrupted.");
    }
    for report in reports {
        println!("{}", report.message);
        if report.result == SettleResult::Applied {
            println!("  (journal entry {}: undo it like any other change)", report.journal_id);
        }
    }
}

async fn aws_iam(args: &SettleArgs) -> Result<AwsIam, Failure> {
    let target = AwsTarget {
        source: match &args.profile {
            Some(name) => AwsCredentialSource::Profile(name.clone()),
            None => AwsCredentialSource::DefaultChain,
        },
        region: args.region.clone(),
        endpoint_url: args.endpoint_url.clone(),
    };
    Ok(AwsIam::new(&sdk_config(&target, None).await?))
}

async fn gcp_projects(args: &SettleArgs) -> Result<GcpProjects, Failure> {
    let target = GcpTarget {
        source: if args.anonymous { GcpCredentialSource::Anonymous } else { GcpCredentialSource::Adc },
        endpoint: args.gcp_endpoint.clone(),
    };
    Ok(GcpProjects::connect(&target, None).await?)
}

async fn settle_with_aws(args: &SettleArgs, journal: &Journal) -> Result<Vec<SettleReport>, Failure> {
    Ok(settle_aws(&aws_iam(args).await?, journal).await?)
}

async fn settle_with_gcp(args: &SettleArgs, journal: &Journal) -> Result<Vec<SettleReport>, Failure> {
    Ok(settle_gcp(&gcp_projects(args).await?, journal).await?)
}

/// Each pending Deployment identity change, through the Astro API it went to (token from
/// ASTRO_API_TOKEN).
async fn settle_with_astro(journal: &Journal) -> Result<Vec<SettleReport>, Failure> {
    let mut apis: Vec<String> = Vec::new();
    for entry in journal.pending()? {
        if let Subject::AstroDeployment { api, .. } = &entry.subject
            && !apis.contains(api)
        {
            apis.push(api.clone());
        }
    }
    let mut reports = Vec::new();
    for api in apis {
        let client = AstroClient::new(AstroTokenSource::Env.read(None)?)?.with_base_url(&api)?;
        reports.extend(settle_deployments(&client, journal).await?);
    }
    Ok(reports)
}

async fn settle_with_airflow(url: &str, journal: &Journal) -> Result<Vec<SettleReport>, Failure> {
    let api = AirflowApi::new(url, crate::airflow::token_from_env()?)?;
    Ok(settle_connections(&api, journal).await?)
}

/// Shows what undoing `args.id` writes now, asks, applies.
async fn undo_entry(args: &UndoArgs, journal: &Journal) -> Result<(), Failure> {
    let item = history::list(journal)?.into_iter().find(|i| i.journal_id == args.id).ok_or_else(|| {
        Failure::new(format!("no journal entry {}", args.id), "List them with `journal list`.")
    })?;
    let id = Some(args.id.as_str());
    let json = args.cloud.json;
    match item.cloud.as_str() {
        "aws" => {
            let iam = aws_iam(&args.cloud).await?;
            let plan = undo::plan_aws(&iam, journal, id).await?;
            if let Some(plan) = shown(args, &plan)? {
                return finish(undo::apply_aws(&iam, journal, plan).await?, json);
            }
        }
        "gcp" => {
            let projects = gcp_projects(&args.cloud).await?;
            let plan = undo::plan_gcp(&projects, journal, id).await?;
            if let Some(plan) = shown(args, &plan)? {
                return finish(undo::apply_gcp(&projects, journal, plan, Backoff::DEFAULT).await?, json);
            }
        }
        PROJECT_CLOUD => {
            let plan = undo::plan_project(journal, &args.id).await?;
            if let Some(plan) = shown(args, &plan)? {
                return finish(undo::apply_project(journal, plan).await?, json);
            }
        }
        ASTRO_DEPLOYMENT_CLOUD => return undo_identity(args, journal).await,
        other => {
            return Err(Failure::new(
                format!("journal entry {} is an {other} connection change", args.id),
                "Undo it from the app's connection step, which has the Airflow or Astro token.",
            ));
        }
    }
    Ok(())
}

/// Sets a Deployment's previous workload identity back, through the Astro API the change
/// went to (token from ASTRO_API_TOKEN).
async fn undo_identity(args: &UndoArgs, journal: &Journal) -> Result<(), Failure> {
    let api = undo::astro_api(journal, &args.id)?;
    let token = AstroTokenSource::Env.read(None)?;
    let client = AstroClient::new(token)?.with_base_url(&api)?;
    let plan = undo::plan_astro(&client, journal, &args.id).await?;
    if let Some(plan) = shown(args, &plan)? {
        return finish(undo::apply_astro(&client, journal, plan).await?, args.cloud.json);
    }
    Ok(())
}

/// Prints the undo's plan and asks; `Some` when it is to be applied.
fn shown<'a>(args: &UndoArgs, plan: &'a UndoPlan) -> Result<Option<&'a UndoPlan>, Failure> {
    if args.cloud.json && args.plan {
        print_json(plan)?;
        return Ok(None);
    }
    if !args.cloud.json {
        println!("{}\n{}", plan.summary, plan.resource);
        print!("{}", render_diff(&plan.diff));
        for kept in &plan.kept {
            println!("kept: {kept}");
        }
    }
    if !plan.changed {
        if !args.cloud.json {
            println!("Nothing to undo: it is already as before.");
        }
        return Ok(None);
    }
    if args.plan {
        return Ok(None);
    }
    if !(args.yes || confirm("Apply this undo?")?) {
        return Err(Failure::new("not undone: not confirmed", "Run again and answer y, or pass --yes."));
    }
    Ok(Some(plan))
}

fn finish(outcome: UndoOutcome, json: bool) -> Result<(), Failure> {
    if json {
        return print_json(&outcome);
    }
    println!("{} (verified by reading it back)", outcome.summary);
    if let Some(id) = &outcome.journal_id {
        println!("Journal entry {id}");
    }
    if let Some(url) = &outcome.console_url {
        println!("Console: {url}");
    }
    Ok(())
}

fn render_history(items: &[HistoryItem]) -> String {
    if items.is_empty() {
        return String::from("No changes yet.\n");
    }
    let mut out = String::new();
    for item in items {
        let status = match item.status {
            HistoryStatus::Applied => "applied",
            HistoryStatus::Failed => "failed",
            HistoryStatus::Interrupted => "interrupted",
            HistoryStatus::Undone => "undone",
            HistoryStatus::Unknown => "unknown",
        };
        out.push_str(&format!("{}  {:<11}  {}  [{}]\n", item.time, status, item.journal_id, item.place));
        out.push_str(&format!("    {}\n", item.summary));
        if let Some(reason) = &item.reason {
            out.push_str(&format!("    {reason}\n"));
        }
    }
    out
}

/// For `doctor`: the interrupted changes, in a few lines (empty when there are none).
pub fn pending_text() -> String {
    let pending = match pending_changes(&journal()) {
        Ok(pending) => pending,
        Err(err) => return format!("\nJournal\n  problem: {err}\n"),
    };
    if pending.is_empty() {
        return String::new();
    }
    let mut out = format!("\nInterrupted changes ({})\n", pending.len());
    for report in &pending {
        out.push_str(&format!("  - {}\n", report.message));
    }
    out.push_str("  Check them with `astro-identity-cli journal settle`.\n");
    out
}
