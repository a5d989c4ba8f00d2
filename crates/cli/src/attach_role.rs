//! `astro-identity-cli aws attach-role`: Customer Managed Identity on AWS — the role trusts
//! the Deployments' service accounts through their clusters' OIDC providers.

use clap::Args;

use astro_identity_cloud::aws::NewRole;
use astro_identity_cloud::aws::attach_role::{
    CmiDeployment, CmiPlan, CmiRequest, apply_attach_role, plan_attach_role,
};
use astro_identity_domain::astro::{CloudProvider, Deployment};
use astro_identity_domain::aws::arn::RoleName;
use astro_identity_domain::aws::lint::DEFAULT_TRUST_POLICY_QUOTA;

use astro_identity_cloud::export::{RolePermissions, attach_role_export};
use astro_identity_cloud::offline::OfflineAws;
use astro_identity_domain::aws::trust_policy::TrustPolicy;
use astro_identity_domain::export::{DeploymentRef, ExportCloud, ExportFormat};

use crate::astro::{Astro, AstroArgs, resolve, set_identities};
use crate::aws_common::{TargetArgs, check_account, connect, offline_current_role, render_plan};
use crate::export::{ExportArgs, print_export};
use crate::journal_file::journal;
use crate::output::{Failure, confirm, print_json};

#[derive(Args)]
pub struct AttachArgs {
    /// Your IAM role that the Deployments will use.
    #[arg(long)]
    role: String,
    /// Create the role when it does not exist yet.
    #[arg(long)]
    create: bool,
    /// An Astro Deployment id (its namespace and cluster issuer come from the Astro API);
    /// repeatable.
    #[arg(long = "deployment")]
    deployments: Vec<String>,
    /// A Deployment typed by hand: its namespace, paired in order with --oidc-issuer.
    #[arg(long = "namespace")]
    namespaces: Vec<String>,
    /// The OIDC issuer URL (https://…) of that Deployment's cluster.
    #[arg(long = "oidc-issuer")]
    issuers: Vec<String>,
    /// Trust every service account of each cluster (system:serviceaccount:*:*). Astro allows
    /// it on dedicated clusters only.
    #[arg(long = "wildcard-subjects")]
    wildcard_subjects: bool,
    /// The role trust policy length quota of the account (2048 unless raised; at most 4096).
    #[arg(long, default_value_t = DEFAULT_TRUST_POLICY_QUOTA, value_parser = crate::output::parse_quota)]
    quota: u32,
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
    /// With --offline: the AWS account of the role and the OIDC providers (12 digits).
    #[arg(long, requires = "offline")]
    account: Option<String>,
    #[command(flatten)]
    astro: AstroArgs,
    #[command(flatten)]
    target: TargetArgs,
}

pub async fn run(args: &AttachArgs) -> Result<(), Failure> {
    let format = args.export.format_for(ExportCloud::Aws)?;
    if (args.export.offline || format.is_some()) && !args.plan {
        return Err(Failure::new(
            "--offline and --export make a plan for review: they need --plan",
            "Add --plan; nothing is applied from an offline plan or an export.",
        ));
    }
    let current = offline_role(args)?;
    let (deployments, picked, astro) = deployments(args).await?;
    let role = RoleName::parse(&args.role)?;
    let create = args.create.then(|| NewRole {
        name: role.as_str().to_owned(),
        path: None,
        description: Some(String::from("Astro Deployments (Customer Managed Identity)")),
        max_session_duration: None,
        tags: vec![(String::from("created-by"), String::from("astro-identity"))],
    });
    let request = CmiRequest {
        role_name: role.as_str().to_owned(),
        create,
        deployments,
        wildcard_subjects: args.wildcard_subjects,
        quota: args.quota,
    };
    if args.export.offline {
        let store = OfflineAws::new(args.account.as_deref(), role.as_str(), current);
        let plan = plan_attach_role(&store, &request).await?;
        return show_plan_only(args, &plan, &picked, format);
    }
    let iam = connect(&args.target).await?;
    let plan = plan_attach_role(&iam, &request).await?;
    if let Some(format) = format {
        return show_plan_only(args, &plan, &picked, Some(format));
    }
    if args.json && (args.plan || !plan.changed()) {
        return print_json(&plan);
    }
    if !args.json {
        print!("{}", render(&plan));
        for deployment in &picked {
            let now = deployment.workload_identity.as_deref().unwrap_or("none");
            if now == plan.role_arn {
                println!("Deployment {} already uses {now}", deployment.label());
            } else {
                println!(
                    "Set the workload identity of Deployment {}: {now} → {}",
                    deployment.label(),
                    plan.role_arn
                );
            }
        }
    }
    if args.plan {
        return Ok(());
    }
    if plan.trust.plan.blocked {
        return Err(Failure::new(
            "the plan has errors, nothing was written",
            "Fix the errors listed above (a raised quota goes in --quota) and run the command again.",
        ));
    }
    let identities_change =
        picked.iter().any(|d| d.workload_identity.as_deref() != Some(plan.role_arn.as_str()));
    if plan.changed() || identities_change {
        let warnings = if plan.trust.plan.needs_confirmation { " despite the warnings above" } else { "" };
        let question = format!(
            "Apply this to role {} in account {}{warnings}?",
            plan.trust.role_name, plan.caller.account
        );
        if !(args.yes || confirm(&question)?) {
            return Err(Failure::new("not applied: not confirmed", "Run again and answer y, or pass --yes."));
        }
        let journal = journal();
        let outcome = apply_attach_role(&iam, &plan, true, &journal).await?;
        // The role trusts them now: attach it to each picked Deployment (journaled too).
        let identity_journal_ids = match &astro {
            Some(astro) => set_identities(astro, &picked, &plan.role_arn, &journal).await?,
            None => Vec::new(),
        };
        if args.json {
            return print_json(
                &serde_json::json!({"iam": outcome, "identityJournalIds": identity_journal_ids}),
            );
        }
        println!("Done and verified: {}", outcome.trust.role_arn);
        for id in
            outcome.provider_journal_ids.iter().chain(&outcome.trust.journal_id).chain(&identity_journal_ids)
        {
            println!("Journal entry {id} (undo with `astro-identity-cli journal undo --id {id}`)");
        }
    } else {
        println!("Nothing to change: the role trusts every Deployment and they use it (verified).");
    }
    let typed = args.namespaces.len();
    if typed > 0 {
        println!(
            "\nNext, for the {typed} Deployment(s) given by namespace: set the workload identity to {arn} (Astro \
             UI: the Deployment's Details > Workload Identity, or `astro deployment update <id> \
             --workload-identity {arn}`).",
            arn = plan.role_arn
        );
    }
    println!(
        "Their Airflow `aws` connection needs only a connection id and a region, no role_arn: the Deployment's \
         own identity is the role."
    );
    Ok(())
}

/// The Deployments from the Astro API (`--deployment`) and those typed by hand, and the
/// picked ones as the Astro API describes them.
async fn deployments(
    args: &AttachArgs,
) -> Result<(Vec<CmiDeployment>, Vec<Deployment>, Option<Astro>), Failure> {
    if args.namespaces.len() != args.issuers.len() {
        return Err(Failure::new(
            format!(
                "{} --namespace but {} --oidc-issuer: they go in pairs",
                args.namespaces.len(),
                args.issuers.len()
            ),
            "Give each typed Deployment as --namespace NS --oidc-issuer https://…",
        ));
    }
    let mut out = Vec::new();
    let (picked, astro) = resolve(&args.astro, &args.deployments, CloudProvider::Aws).await?;
    for deployment in &picked {
        let Some(issuer) = deployment.oidc_issuer_url.clone() else {
            return Err(Failure::new(
                format!(
                    "Deployment {} has no OIDC issuer: its cluster does not support Customer Managed Identity",
                    deployment.label()
                ),
                "Authorize it with `astro-identity-cli aws apply --deployment ID` (Astro's role trusts yours) instead.",
            ));
        };
        out.push(CmiDeployment {
            label: deployment.label(),
            namespace: deployment.namespace.clone(),
            issuer_url: issuer,
        });
    }
    for (namespace, issuer) in args.namespaces.iter().zip(&args.issuers) {
        out.push(CmiDeployment {
            label: namespace.clone(),
            namespace: namespace.clone(),
            issuer_url: issuer.clone(),
        });
    }
    if out.is_empty() {
        return Err(Failure::new(
            "no Deployment given",
            "Pass --deployment ID (repeatable), or --namespace NS --oidc-issuer URL for each Deployment.",
        ));
    }
    Ok((out, picked, astro))
}

/// The role as it is now for an offline plan (`None`: a new one), with the account it
/// needs checked first.
fn offline_role(args: &AttachArgs) -> Result<Option<TrustPolicy>, Failure> {
    if !args.export.offline {
        return Ok(None);
    }
    let Some(account) = &args.account else {
        return Err(Failure::new(
            "--offline needs --account: the OIDC providers' ARNs name the account",
            "Give --account 123456789012 (the account of the role).",
        ));
    };
    check_account(account)?;
    offline_current_role(&args.export, args.create)
}

/// An offline plan or an export: printed, never applied.
fn show_plan_only(
    args: &AttachArgs,
    plan: &CmiPlan,
    picked: &[Deployment],
    format: Option<ExportFormat>,
) -> Result<(), Failure> {
    if let Some(format) = format {
        let refs: Vec<DeploymentRef> =
            picked.iter().map(|d| DeploymentRef { id: d.id.clone(), name: d.name.clone() }).collect();
        return print_export(&attach_role_export(plan, &refs, &RolePermissions::default())?, format);
    }
    if args.json {
        return print_json(plan);
    }
    print!("{}", render(plan));
    Ok(())
}

fn render(plan: &CmiPlan) -> String {
    let mut out = String::from("OIDC identity providers:\n");
    for provider in &plan.providers {
        out.push_str(&format!("  {}\n", provider.describe()));
    }
    out.push('\n');
    out.push_str(&render_plan(&plan.trust));
    out
}
