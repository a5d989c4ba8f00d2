//! `astro-identity-cli aws can-assume`: may this caller assume the role? Answered offline
//! from the trust policy (the role's, read with IAM, or a file) by the domain's evaluator.
//! Exit 0 allowed, 3 denied, 4 undecidable (1 stays "the command failed").

use std::collections::BTreeMap;
use std::process::ExitCode;

use clap::Args;

use astro_identity_cloud::aws::iam::RoleStore;
use astro_identity_domain::aws::trust_eval::{AssumeCaller, AssumeRequest, Decision, Evaluation, evaluate};
use astro_identity_domain::aws::trust_policy::TrustPolicy;

use crate::aws_common::{TargetArgs, connect};
use crate::output::{Failure, print_json};

#[derive(Args)]
pub struct CanAssumeArgs {
    /// The role whose trust policy is read (with the AWS credentials of --profile etc.).
    #[arg(long, required_unless_present = "policy_file", conflicts_with = "policy_file")]
    role: Option<String>,
    /// A trust policy in a file instead (`-` reads standard input); nothing is read from AWS.
    #[arg(long = "policy-file")]
    policy_file: Option<String>,
    /// Who asks: a role, user or session ARN (or an account id). With --issuer: the IAM OIDC
    /// provider's ARN (by default the one of --issuer in the role's account).
    #[arg(long)]
    principal: Option<String>,
    /// Default: sts:AssumeRole, or sts:AssumeRoleWithWebIdentity with --issuer.
    #[arg(long)]
    action: Option<String>,
    /// A condition key the request carries, e.g. sts:ExternalId=a1b2 or aws:PrincipalOrgID=o-1;
    /// repeatable (a key given twice has both values).
    #[arg(long = "context", value_name = "KEY=VALUE")]
    context: Vec<String>,
    /// The web identity token's subject, e.g. system:serviceaccount:NS:NS-worker-serviceaccount.
    #[arg(long = "web-identity-sub", requires = "issuer")]
    sub: Option<String>,
    #[arg(long = "web-identity-aud", requires = "issuer", default_value = "sts.amazonaws.com")]
    aud: String,
    /// The cluster's OIDC issuer (with or without https://): the caller is its provider.
    #[arg(long)]
    issuer: Option<String>,
    #[arg(long)]
    json: bool,
    #[command(flatten)]
    target: TargetArgs,
}

fn code(decision: Decision) -> ExitCode {
    ExitCode::from(match decision {
        Decision::Allowed => 0,
        Decision::Denied => 3,
        Decision::Undecidable => 4,
    })
}

fn invalid(message: String, hint: &str) -> Failure {
    Failure::new(message, hint)
}

async fn read_policy(args: &CanAssumeArgs) -> Result<(TrustPolicy, Option<String>), Failure> {
    if let Some(path) = &args.policy_file {
        let text = if path == "-" {
            std::io::read_to_string(std::io::stdin())
                .map_err(|e| invalid(format!("cannot read standard input: {e}"), ""))?
        } else {
            std::fs::read_to_string(path)
                .map_err(|e| invalid(format!("cannot read {path}: {e}"), "Check the path."))?
        };
        return Ok((TrustPolicy::parse(&text)?, None));
    }
    let name = args.role.as_deref().unwrap_or_default();
    let iam = connect(&args.target).await?;
    let role = iam.get_role(name).await?.ok_or_else(|| {
        invalid(format!("role {name} does not exist"), "Check the name, or the account of the credentials.")
    })?;
    Ok((role.trust_policy, Some(role.arn)))
}

fn request(args: &CanAssumeArgs, role_arn: Option<&str>) -> Result<AssumeRequest, Failure> {
    let mut context: BTreeMap<String, Vec<String>> = BTreeMap::new();
    for pair in &args.context {
        let (key, value) = pair.split_once('=').ok_or_else(|| {
            invalid(
                format!("--context {pair:?} is not KEY=VALUE"),
                "For example --context sts:ExternalId=a1b2.",
            )
        })?;
        context.entry(key.trim().to_owned()).or_default().push(value.to_owned());
    }
    let Some(issuer) = &args.issuer else {
        let principal = args.principal.clone().ok_or_else(|| {
            invalid(
                String::from("--principal is required"),
                "Give the caller's ARN, e.g. the Deployment's role.",
            )
        })?;
        let action = args.action.clone().unwrap_or_else(|| String::from("sts:AssumeRole"));
        return Ok(AssumeRequest { caller: AssumeCaller::Aws(principal), action, context });
    };
    let host = issuer.trim().trim_start_matches("https://").trim_end_matches('/').to_owned();
    let provider = match (&args.principal, role_arn.and_then(|arn| arn.split(':').nth(4))) {
        (Some(provider), _) => provider.clone(),
        (None, Some(account)) => format!("arn:aws:iam::{account}:oidc-provider/{host}"),
        (None, None) => {
            return Err(invalid(
                String::from("--issuer with --policy-file needs --principal"),
                "Give the OIDC provider's ARN, e.g. arn:aws:iam::123456789012:oidc-provider/oidc.example.com/x.",
            ));
        }
    };
    context.entry(format!("{host}:aud")).or_insert_with(|| vec![args.aud.clone()]);
    if let Some(sub) = &args.sub {
        context.entry(format!("{host}:sub")).or_insert_with(|| vec![sub.clone()]);
    }
    let action = args.action.clone().unwrap_or_else(|| String::from("sts:AssumeRoleWithWebIdentity"));
    Ok(AssumeRequest { caller: AssumeCaller::Federated(provider), action, context })
}

fn render(evaluation: &Evaluation) -> String {
    let mut out = format!("{}: {}\n", evaluation.decision.as_str(), evaluation.reason);
    for statement in &evaluation.statements {
        out.push_str(&format!(
            "  statement {} ({}): {}\n",
            statement.number, statement.effect, statement.why
        ));
    }
    out
}

pub async fn run(args: &CanAssumeArgs) -> Result<ExitCode, Failure> {
    let (policy, role_arn) = read_policy(args).await?;
    let request = request(args, role_arn.as_deref())?;
    let evaluation = evaluate(&policy, &request);
    if args.json {
        print_json(&evaluation)?;
    } else {
        print!("{}", render(&evaluation));
    }
    Ok(code(evaluation.decision))
}
