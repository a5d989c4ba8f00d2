//! `astro-identity-cli aws plan|apply|undo`.

use clap::{Args, Subcommand};

use astro_identity_cloud::aws::permissions::{
    PermissionPlan, PermissionTarget, apply_permission, plan_attach, plan_inline,
};
use astro_identity_cloud::aws::{
    AwsIam, ChangeOutcome, NewRole, TrustChange, apply_trust_change, plan_trust_change,
};
use astro_identity_cloud::undo::undo_change;
use astro_identity_domain::astro::CloudProvider;
use astro_identity_domain::aws::arn::{
    RoleName, RolePath, WorkloadIdentityArn, parse_identities, validate_max_session,
};
use astro_identity_domain::aws::lint::DEFAULT_TRUST_POLICY_QUOTA;
use astro_identity_domain::aws::permission_policy::PermissionPolicy;

use astro_identity_cloud::export::{RolePermissions, trust_export};
use astro_identity_cloud::offline::OfflineAws;
use astro_identity_domain::export::ExportCloud;

use crate::astro::{AstroArgs, resolve};
use crate::aws_common::{TargetArgs, check_account, connect, offline_current_role, render_plan};
use crate::export::{ExportArgs, labelled, print_export};
use crate::journal_file::journal;
use crate::output::{Failure, confirm, print_json, read_input, render_diff};

#[derive(Subcommand)]
pub enum AwsCommand {
    /// Show what would change in the role's trust policy. Writes nothing.
    Plan(Box<ChangeArgs>),
    /// Apply the change (asks first unless --yes), verify it and journal it for undo.
    Apply(Box<ChangeArgs>),
    /// Customer Managed Identity: your role trusts the Deployments' service accounts through
    /// their clusters' OIDC providers (created when missing). Shows the plan, asks, applies.
    AttachRole(Box<crate::attach_role::AttachArgs>),
    /// May this caller assume the role? Answered offline from its trust policy, naming the
    /// deciding statement. Exit 0 allowed, 3 denied, 4 undecidable.
    CanAssume(Box<crate::can_assume::CanAssumeArgs>),
    /// Attach a managed policy or write an inline one: shows the diff, asks, applies.
    #[command(subcommand)]
    Permissions(PermissionCommand),
    /// Undo a journaled change (default: the newest one not yet undone).
    Undo {
        #[arg(long = "journal-id")]
        journal_id: Option<String>,
        #[command(flatten)]
        target: TargetArgs,
        #[arg(long)]
        json: bool,
    },
}

#[derive(Subcommand)]
pub enum PermissionCommand {
    /// Attach a managed policy (AWS-managed or your own) to the role.
    Attach {
        #[arg(long)]
        role: String,
        #[arg(long = "policy-arn")]
        policy_arn: String,
        #[command(flatten)]
        apply: PermissionApplyArgs,
    },
    /// Write an inline policy on the role from a JSON file (`-` reads standard input).
    PutInline {
        #[arg(long)]
        role: String,
        #[arg(long)]
        name: String,
        #[arg(long = "document-file")]
        document_file: String,
        #[command(flatten)]
        apply: PermissionApplyArgs,
    },
}

#[derive(Args)]
pub struct PermissionApplyArgs {
    /// Apply without asking (also replaces an existing inline policy of that name).
    #[arg(long)]
    yes: bool,
    /// Only show the plan.
    #[arg(long)]
    plan: bool,
    #[arg(long)]
    json: bool,
    #[command(flatten)]
    target: TargetArgs,
}

#[derive(Args)]
pub struct ChangeArgs {
    /// The IAM role to trust the Deployments.
    #[arg(long, required_unless_present = "batch")]
    role: Option<String>,
    /// Many roles at once, from a JSON file (`-` reads standard input):
    /// [{"role": "NAME", "identities": ["ARN", …], "create": false}, …]. Roles are read and
    /// written 8 at a time; one failing role does not stop the others.
    #[arg(
        long,
        value_name = "FILE",
        conflicts_with_all = ["role", "identities", "deployments", "create", "offline", "format"]
    )]
    batch: Option<String>,
    /// Create the role (it must not exist yet).
    #[arg(long)]
    create: bool,
    /// A Deployment's workload identity ARN; repeat for several Deployments.
    #[arg(long = "identity", required_unless_present_any = ["deployments", "batch"])]
    identities: Vec<String>,
    /// An Astro Deployment id, resolved to its workload identity through the Astro API;
    /// repeatable, and may be given beside --identity.
    #[arg(long = "deployment")]
    deployments: Vec<String>,
    #[command(flatten)]
    astro: AstroArgs,
    /// With --create: the role's description.
    #[arg(long)]
    description: Option<String>,
    /// With --create: the role's path, e.g. /astro/.
    #[arg(long)]
    path: Option<String>,
    /// With --create: maximum session duration in seconds (3600-43200).
    #[arg(long = "max-session")]
    max_session: Option<i32>,
    /// With --create: a tag KEY=VALUE; repeatable.
    #[arg(long = "tag")]
    tags: Vec<String>,
    /// The role trust policy length quota of the account (2048 unless raised; at most 4096).
    #[arg(long, default_value_t = DEFAULT_TRUST_POLICY_QUOTA, value_parser = crate::output::parse_quota)]
    quota: u32,
    /// Apply without asking, warnings included.
    #[arg(long)]
    yes: bool,
    #[arg(long)]
    json: bool,
    #[command(flatten)]
    export: ExportArgs,
    /// With --offline: the role's AWS account (12 digits), for its ARN in the export.
    #[arg(long, requires = "offline")]
    account: Option<String>,
    /// With --export: also attach this managed policy to the role; repeatable.
    #[arg(long = "with-managed-policy", value_name = "ARN", requires = "format")]
    managed_policies: Vec<String>,
    /// With --export: also put this inline policy (JSON file) on the role; repeatable.
    #[arg(long = "with-inline-policy", value_name = "NAME=FILE", requires = "format")]
    inline_policies: Vec<String>,
    #[command(flatten)]
    target: TargetArgs,
}

pub async fn run(command: AwsCommand) -> Result<(), Failure> {
    match command {
        AwsCommand::Plan(args) if args.batch.is_some() => {
            let file = args.batch.as_deref().unwrap_or_default();
            crate::aws_batch::plan(file, args.quota, &args.target, args.json).await
        }
        AwsCommand::Apply(args) if args.batch.is_some() => {
            let file = args.batch.as_deref().unwrap_or_default();
            crate::aws_batch::apply(file, args.quota, &args.target, args.yes, args.json).await
        }
        AwsCommand::Plan(args) => {
            let format = args.export.format_for(ExportCloud::Aws)?;
            let permissions = export_permissions(&args)?;
            let change = if args.export.offline { plan_offline(&args).await? } else { plan(&args).await?.1 };
            if let Some(format) = format {
                return print_export(&trust_export(&change, &permissions)?, format);
            }
            if args.json {
                return print_json(&change);
            }
            print!("{}", render_plan(&change));
            Ok(())
        }
        AwsCommand::Apply(args) => {
            args.export.refuse_on_apply("astro-identity-cli aws plan")?;
            let (iam, change) = plan(&args).await?;
            if !args.json {
                print!("{}", render_plan(&change));
            }
            if change.plan.blocked {
                return Err(Failure::new(
                    "the plan has errors, nothing was written",
                    "Fix the errors listed above and run the command again.",
                ));
            }
            let confirmed = change.plan.changed && (args.yes || ask(&change)?);
            if change.plan.changed && !confirmed {
                return Err(Failure::new(
                    "not applied: not confirmed",
                    "Run again and answer y, or pass --yes.",
                ));
            }
            let outcome = apply_trust_change(&iam, &change, confirmed, &journal()).await?;
            report(&outcome, args.json)
        }
        AwsCommand::Permissions(command) => permissions(command).await,
        AwsCommand::AttachRole(args) => crate::attach_role::run(&args).await,
        // main answers it itself, for its exit code; here only its output counts.
        AwsCommand::CanAssume(args) => crate::can_assume::run(&args).await.map(|_| ()),
        AwsCommand::Undo { journal_id, target, json } => {
            let iam = connect(&target).await?;
            let outcome = undo_change(&iam, &journal(), journal_id.as_deref()).await?;
            report(&outcome, json)
        }
    }
}

async fn permissions(command: PermissionCommand) -> Result<(), Failure> {
    let (iam, plan, args) = match command {
        PermissionCommand::Attach { role, policy_arn, apply } => {
            let iam = connect(&apply.target).await?;
            let plan = plan_attach(&iam, RoleName::parse(&role)?.as_str(), policy_arn.trim()).await?;
            (iam, plan, apply)
        }
        PermissionCommand::PutInline { role, name, document_file, apply } => {
            let text = read_input(&document_file).map_err(|e| {
                Failure::new(format!("cannot read {document_file}: {e}"), "Give a JSON policy file.")
            })?;
            let document = PermissionPolicy::parse(&text)?;
            let iam = connect(&apply.target).await?;
            let plan = plan_inline(&iam, RoleName::parse(&role)?.as_str(), name.trim(), &document).await?;
            (iam, plan, apply)
        }
    };
    if args.json && (args.plan || !plan.changed) {
        return print_json(&plan);
    }
    if !args.json {
        print!("{}", render_permission_plan(&plan));
    }
    if args.plan {
        return Ok(());
    }
    if !plan.changed {
        println!("Nothing to change.");
        return Ok(());
    }
    let what = if plan.replaces { "Replace the inline policy" } else { "Apply this change" };
    if !(args.yes
        || confirm(&format!("{what} on role {} in account {}?", plan.role_name, plan.caller.account))?)
    {
        return Err(Failure::new("not applied: not confirmed", "Run again and answer y, or pass --yes."));
    }
    let outcome = apply_permission(&iam, &plan, true, &journal()).await?;
    if args.json {
        return print_json(&outcome);
    }
    println!("Done and verified: {} on role {}", outcome.policy, outcome.role_name);
    if let Some(id) = &outcome.journal_id {
        println!("Journal entry {id} (undo with `astro-identity-cli journal undo --id {id}`)");
    }
    Ok(())
}

fn render_permission_plan(plan: &PermissionPlan) -> String {
    let mut out = format!(
        "Acting as {} in account {}
",
        plan.caller.arn, plan.caller.account
    );
    match &plan.target {
        PermissionTarget::Managed { policy_arn } => {
            out.push_str(&format!(
                "Attach {policy_arn} to role {}

Attached policies:
",
                plan.role_name
            ));
        }
        PermissionTarget::Inline { name } => {
            let verb = if plan.replaces {
                "Replace"
            } else if plan.before.is_none() {
                "Add"
            } else {
                "Keep"
            };
            out.push_str(&format!(
                "{verb} inline policy {name} of role {}

",
                plan.role_name
            ));
        }
    }
    out.push_str(&render_diff(&plan.diff));
    if plan.replaces {
        out.push_str(
            "
warning: an inline policy of that name exists and will be replaced (the - lines).
",
        );
    }
    out
}

async fn plan(args: &ChangeArgs) -> Result<(AwsIam, TrustChange), Failure> {
    let (role, identities, create) = request(args).await?;
    let iam = connect(&args.target).await?;
    let change = plan_trust_change(&iam, role.as_str(), &identities, create, args.quota).await?;
    Ok((iam, change))
}

/// The plan made without credentials: from the pasted trust policy, or for a new role.
async fn plan_offline(args: &ChangeArgs) -> Result<TrustChange, Failure> {
    if let Some(account) = &args.account {
        check_account(account)?;
    }
    let current = offline_current_role(&args.export, args.create)?;
    let (role, identities, create) = request(args).await?;
    let store = OfflineAws::new(args.account.as_deref(), role.as_str(), current);
    Ok(plan_trust_change(&store, role.as_str(), &identities, create, args.quota).await?)
}

/// What the arguments ask for: the role, the identities to trust (typed and resolved
/// through the Astro API), and the new role when --create.
async fn request(
    args: &ChangeArgs,
) -> Result<(RoleName, Vec<WorkloadIdentityArn>, Option<NewRole>), Failure> {
    let mut identities = if args.identities.is_empty() { Vec::new() } else { identities(&args.identities)? };
    let role = RoleName::parse(args.role.as_deref().unwrap_or_default())?;
    for deployment in resolve(&args.astro, &args.deployments, CloudProvider::Aws).await?.0 {
        let arn = deployment.aws_identity()?;
        if !identities.contains(&arn) {
            identities.push(arn);
        }
    }
    let create = if args.create { Some(new_role(args, &role)?) } else { None };
    Ok((role, identities, create))
}

/// --with-managed-policy and --with-inline-policy, read and checked.
fn export_permissions(args: &ChangeArgs) -> Result<RolePermissions, Failure> {
    let mut permissions = RolePermissions { managed: Vec::new(), inline: Vec::new() };
    for arn in &args.managed_policies {
        if !arn.trim().starts_with("arn:") || !arn.contains(":policy/") {
            return Err(Failure::new(
                format!("--with-managed-policy {arn:?} is not a managed policy ARN"),
                "For example arn:aws:iam::aws:policy/AmazonS3ReadOnlyAccess.",
            ));
        }
        permissions.managed.push(arn.trim().to_owned());
    }
    for spec in &args.inline_policies {
        let Some((name, file)) = spec.split_once('=') else {
            return Err(Failure::new(
                format!("--with-inline-policy {spec:?} is not NAME=FILE"),
                "For example --with-inline-policy read-bucket=policy.json.",
            ));
        };
        let text = std::fs::read_to_string(file).map_err(|e| {
            Failure::new(
                format!("--with-inline-policy {name}: cannot read {file}: {e}"),
                "Give a JSON policy file.",
            )
        })?;
        let document =
            PermissionPolicy::parse(&text).map_err(|e| labelled("--with-inline-policy", e.into()))?;
        permissions.inline.push((name.trim().to_owned(), document.to_compact_json()));
    }
    Ok(permissions)
}

fn identities(raw: &[String]) -> Result<Vec<WorkloadIdentityArn>, Failure> {
    parse_identities(&raw.join("\n")).map_err(|errors| {
        let lines: Vec<String> =
            errors.iter().map(|e| format!("{}: {} ({})", e.input, e.error, e.error.hint())).collect();
        Failure::new(
            format!("invalid --identity:\n  {}", lines.join("\n  ")),
            "Copy the ARN from the Deployment's Details page in the Astro UI (Workload Identity).",
        )
    })
}

fn new_role(args: &ChangeArgs, name: &RoleName) -> Result<NewRole, Failure> {
    args.max_session.map(validate_max_session).transpose()?;
    let path = args.path.as_deref().map(RolePath::parse).transpose()?;
    let mut tags = Vec::new();
    for tag in &args.tags {
        let (key, value) = tag.split_once('=').ok_or_else(|| {
            Failure::new(format!("--tag {tag:?} is not KEY=VALUE"), "For example --tag team=data.")
        })?;
        tags.push((key.to_owned(), value.to_owned()));
    }
    Ok(NewRole {
        name: name.as_str().to_owned(),
        path: path.map(|p| p.as_str().to_owned()),
        description: args.description.clone(),
        max_session_duration: args.max_session,
        tags,
    })
}

fn ask(change: &TrustChange) -> Result<bool, Failure> {
    let warnings = if change.plan.needs_confirmation { " despite the warnings above" } else { "" };
    confirm(&format!(
        "Apply this change to role {} in account {}{warnings}?",
        change.role_name, change.caller.account
    ))
}

fn report(outcome: &ChangeOutcome, json: bool) -> Result<(), Failure> {
    if json {
        return print_json(outcome);
    }
    if !outcome.written {
        println!(
            "Nothing was written: role {} already trusts every Deployment (verified).",
            outcome.role_name
        );
        return Ok(());
    }
    println!("Done and verified: {}", outcome.role_arn);
    if let Some(id) = &outcome.journal_id {
        println!("Journal entry {id} (undo with `astro-identity-cli aws undo --journal-id {id}`)");
    }
    println!("Console: {}", outcome.console_url);
    Ok(())
}
