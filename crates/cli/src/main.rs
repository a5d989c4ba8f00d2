//! `astro-identity-cli`: the app's core without a window, for terminals, scripts and CI.

mod airflow;
mod astro;
mod attach_role;
mod attach_sa;
mod aws;
mod aws_batch;
mod aws_common;
mod can_assume;
mod export;
mod gcp;
mod gcp_batch;
mod gcp_common;
mod inventory;
mod journal;
mod journal_file;
mod output;

use std::process::ExitCode;

use clap::{Parser, Subcommand};

use astro_identity_cloud::{HostEnv, SecretStore, detect_credentials};
use astro_identity_domain::credentials::render_text;

#[derive(Parser)]
#[command(name = "astro-identity-cli", version, about = "Authorize Astro Deployments in AWS and GCP")]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Show the credentials this machine has: AWS profiles, Google ADC, keyring secrets.
    Doctor {
        /// Print JSON (the same shape the app's home screen receives).
        #[arg(long, conflicts_with = "diagnostics")]
        json: bool,
        /// Print a report for a bug: versions, OS, credential kinds (never values) and the
        /// last errors of the app's and the CLI's logs.
        #[arg(long)]
        diagnostics: bool,
    },
    /// Let Deployments assume an IAM role: plan, apply, undo.
    #[command(subcommand)]
    Aws(aws::AwsCommand),
    /// Your Deployments from the Astro API, with their workload identities.
    #[command(subcommand)]
    Astro(astro::AstroCommand),
    /// Grant Deployments a role on a GCP project: plan, apply, undo.
    #[command(subcommand)]
    Gcp(gcp::GcpCommand),
    /// Print the Airflow connection in one format (what the app's copy button copies).
    #[command(subcommand)]
    Airflow(airflow::AirflowCommand),
    /// Who can reach what: every role and binding an Astro identity holds.
    #[command(subcommand)]
    Inventory(inventory::InventoryCommand),
    /// Offboard an identity: remove it from every role and binding it holds (one reviewed
    /// plan, each change journaled and undoable).
    Revoke(Box<inventory::RevokeArgs>),
    /// Every journaled change: list, undo (previewed as a diff), and settle interrupted ones.
    #[command(subcommand)]
    Journal(journal::JournalCommand),
}

#[tokio::main(flavor = "current_thread")]
async fn main() -> ExitCode {
    let host = HostEnv::from_process();
    astro_identity_cloud::diagnostics::init_logging(&host.log_dir(), "astro-identity-cli");
    let result = match Cli::parse().command {
        // Its exit code is the answer: 0 allowed, 3 denied, 4 undecidable.
        Command::Aws(aws::AwsCommand::CanAssume(args)) => match can_assume::run(&args).await {
            Ok(code) => return code,
            Err(failure) => Err(failure),
        },
        Command::Doctor { json, diagnostics } => doctor(json, diagnostics).await,
        Command::Aws(command) => aws::run(command).await,
        Command::Gcp(command) => gcp::run(command).await,
        Command::Astro(command) => astro::run(command).await,
        Command::Airflow(command) => airflow::run(command).await,
        Command::Journal(command) => journal::run(command).await,
        Command::Inventory(command) => inventory::run(command).await,
        Command::Revoke(args) => inventory::revoke(&args).await,
    };
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(failure) => {
            // The message is what the user sees: it never quotes a secret.
            tracing::warn!(message = %failure.message, "command failed");
            eprintln!("{failure}");
            ExitCode::FAILURE
        }
    }
}

async fn doctor(json: bool, diagnostics: bool) -> Result<(), output::Failure> {
    let host = HostEnv::from_process();
    let summary = detect_credentials(&host, SecretStore::open_os_async().await).await;
    if diagnostics {
        print!("{}", astro_identity_cloud::diagnostics::report("astro-identity-cli", &summary, &host));
        Ok(())
    } else if json {
        output::print_json(&summary)
    } else {
        print!("{}", render_text(&summary));
        print!("{}", journal::pending_text());
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use clap::CommandFactory;

    /// clap checks a command's definition only when it is parsed: this checks them all, so a
    /// clash (two flattened groups of one name) fails here rather than on a user's machine.
    #[test]
    fn every_command_definition_is_valid() {
        super::Cli::command().debug_assert();
    }
}
