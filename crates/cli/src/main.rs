//! `astro-identity-cli`: the app's core without a window.

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
        #[arg(long)]
        json: bool,
    },
}

#[tokio::main(flavor = "current_thread")]
async fn main() -> ExitCode {
    match Cli::parse().command {
        Command::Doctor { json } => doctor(json).await,
    }
}

async fn doctor(json: bool) -> ExitCode {
    let summary = detect_credentials(&HostEnv::from_process(), SecretStore::open_os_async().await).await;
    if json {
        match serde_json::to_string_pretty(&summary) {
            Ok(text) => println!("{text}"),
            Err(err) => {
                eprintln!("error: could not encode the summary: {err}");
                return ExitCode::FAILURE;
            }
        }
    } else {
        print!("{}", render_text(&summary));
    }
    ExitCode::SUCCESS
}
