//! `astro-identity-cli aws plan|apply --batch FILE`: many roles at once, each trusting its own
//! Deployments. Progress goes to stderr, one line per role; the summary says which roles
//! failed and why. One failing role does not stop the others; the exit code is 1 when any
//! failed.

use astro_identity_cloud::aws::batch::{
    BatchEvent, BatchOptions, BatchPlan, BatchRoleOutcome, apply_batch, plan_batch,
};
use astro_identity_domain::aws::batch::{BatchEntry, parse_batch};
use astro_identity_domain::aws::lint::LintLevel;

use crate::aws_common::{TargetArgs, connect};
use crate::export::labelled;
use crate::journal_file::journal;
use crate::output::{Failure, batch_result, confirm, print_json, read_input};

/// Reads and checks the whole file before anything is read from IAM.
fn entries(file: &str) -> Result<Vec<BatchEntry>, Failure> {
    let text = read_input(file).map_err(|e| {
        Failure::new(
            format!("--batch {file}: cannot read it: {e}"),
            "Give a JSON file: [{\"role\": \"NAME\", \"identities\": [\"ARN\", …], \"create\": false}, …].",
        )
    })?;
    parse_batch(&text).map_err(|e| labelled("--batch", e.into()))
}

fn report(event: BatchEvent<'_>) {
    match event {
        BatchEvent::Planned { role, done, total } => eprintln!("[{done}/{total}] planned {role}"),
        BatchEvent::Applied { role, written, done, total } => {
            let what = if written { "written and verified" } else { "already as planned" };
            eprintln!("[{done}/{total}] {role}: {what}");
        }
        BatchEvent::Failed { role, error } => eprintln!("{role}: failed: {error}"),
        BatchEvent::Checking { roles, wait } => {
            eprintln!("checking {roles} role(s) for lost updates after {} ms…", wait.as_millis());
        }
        BatchEvent::MergedAgain { role } => {
            eprintln!("{role}: another writer dropped the Deployments; merging them again")
        }
    }
}

async fn planned(
    file: &str,
    quota: u32,
    target: &TargetArgs,
) -> Result<(astro_identity_cloud::aws::AwsIam, BatchPlan), Failure> {
    let entries = entries(file)?;
    let iam = connect(target).await?;
    let plan = plan_batch(&iam, &entries, quota, &report).await?;
    Ok((iam, plan))
}

pub async fn plan(file: &str, quota: u32, target: &TargetArgs, json: bool) -> Result<(), Failure> {
    let (_, plan) = planned(file, quota, target).await?;
    if json {
        print_json(&plan)?;
    } else {
        print!("{}", render(&plan));
    }
    batch_result(plan.failed(), "role(s)")
}

pub async fn apply(
    file: &str,
    quota: u32,
    target: &TargetArgs,
    yes: bool,
    json: bool,
) -> Result<(), Failure> {
    let (iam, plan) = planned(file, quota, target).await?;
    if !json {
        print!("{}", render(&plan));
    }
    let changed = plan.changed();
    if changed > 0 && !yes {
        let warnings = if plan.needs_confirmation() { " despite the warnings above" } else { "" };
        let question =
            format!("Apply {changed} change(s) to roles in account {}{warnings}?", plan.caller.account);
        if !confirm(&question)? {
            return Err(Failure::new("not applied: not confirmed", "Run again and answer y, or pass --yes."));
        }
    }
    let outcomes = apply_batch(&iam, &plan, true, &journal(), BatchOptions::FRESH, &report).await;
    if json {
        print_json(&outcomes)?;
    } else {
        print!("{}", summary(&outcomes));
    }
    batch_result(outcomes.iter().filter(|o| o.failure.is_some()).count(), "role(s)")
}

fn render(plan: &BatchPlan) -> String {
    let mut out = format!("Acting as {} in account {}\n", plan.caller.arn, plan.caller.account);
    for role in &plan.roles {
        match (&role.change, &role.failure) {
            (Some(change), _) => {
                let p = &change.plan;
                let verb = if change.create.is_some() { "create, trusting" } else { "trust" };
                let what = if p.changed {
                    format!("{verb} {} Deployment(s) more", p.added.len())
                } else {
                    String::from("nothing to change")
                };
                let already = if p.already_trusted.is_empty() {
                    String::new()
                } else {
                    format!(", {} already trusted", p.already_trusted.len())
                };
                out.push_str(&format!(
                    "  {}: {what}{already} ({} of {} characters)\n",
                    role.role_name, p.size.used, p.size.quota
                ));
                for lint in &p.lints {
                    let level = if lint.level == LintLevel::Error { "error" } else { "warning" };
                    out.push_str(&format!("    {level}: {}\n", lint.message));
                }
            }
            (None, Some(failure)) => {
                out.push_str(&format!(
                    "  {}: cannot plan: {}\n    hint: {}\n",
                    role.role_name, failure.message, failure.hint
                ));
            }
            (None, None) => {}
        }
    }
    out
}

fn summary(outcomes: &[BatchRoleOutcome]) -> String {
    let ok = outcomes.iter().filter(|o| o.outcome.is_some()).count();
    let written = outcomes.iter().filter(|o| o.outcome.as_ref().is_some_and(|c| c.written)).count();
    let mut out = format!(
        "\n{ok} of {} role(s) done and verified ({written} written, {} already as planned).\n",
        outcomes.len(),
        ok - written
    );
    for outcome in outcomes {
        if let Some(failure) = &outcome.failure {
            out.push_str(&format!(
                "  {}: FAILED: {}\n    hint: {}\n",
                outcome.role_name, failure.message, failure.hint
            ));
        } else if outcome.merged_again {
            out.push_str(&format!(
                "  {}: merged again after another writer dropped the Deployments\n",
                outcome.role_name
            ));
        }
    }
    out
}
