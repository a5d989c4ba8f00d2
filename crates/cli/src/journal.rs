//! `astro-identity-cli journal pending|settle`: changes interrupted between sending a write
//! and recording how it ended (a crash, a kill, a lost network), and settling them by
//! re-reading the resources.

use clap::{Args, Subcommand};

use astro_identity_cloud::HostEnv;
use astro_identity_cloud::aws::{AwsCredentialSource, AwsIam, AwsTarget, sdk_config};
use astro_identity_cloud::gcp::{GcpCredentialSource, GcpProjects, GcpTarget};
use astro_identity_cloud::journal::Journal;
use astro_identity_cloud::settle::{SettleReport, SettleResult, pending_changes, settle_aws, settle_gcp};

use crate::output::{Failure, print_json};

#[derive(Subcommand)]
pub enum JournalCommand {
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
    #[arg(long)]
    json: bool,
}

pub async fn run(command: JournalCommand) -> Result<(), Failure> {
    let journal = journal();
    match command {
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
            let mut reports = Vec::new();
            let mut problems = Vec::new();
            if pending.iter().any(|r| r.cloud == "aws") {
                match settle_with_aws(&args, &journal).await {
                    Ok(found) => reports.extend(found),
                    Err(err) => problems.push(format!("AWS: {}", err.message)),
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

async fn settle_with_aws(args: &SettleArgs, journal: &Journal) -> Result<Vec<SettleReport>, Failure> {
    let target = AwsTarget {
        source: match &args.profile {
            Some(name) => AwsCredentialSource::Profile(name.clone()),
            None => AwsCredentialSource::DefaultChain,
        },
        region: args.region.clone(),
        endpoint_url: args.endpoint_url.clone(),
    };
    let iam = AwsIam::new(&sdk_config(&target, None).await?);
    Ok(settle_aws(&iam, journal).await?)
}

async fn settle_with_gcp(args: &SettleArgs, journal: &Journal) -> Result<Vec<SettleReport>, Failure> {
    let target = GcpTarget {
        source: if args.anonymous { GcpCredentialSource::Anonymous } else { GcpCredentialSource::Adc },
        endpoint: args.gcp_endpoint.clone(),
    };
    let projects = GcpProjects::connect(&target, None).await?;
    Ok(settle_gcp(&projects, journal).await?)
}

pub fn journal() -> Journal {
    Journal::in_dir(&HostEnv::from_process().app_data_dir())
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
