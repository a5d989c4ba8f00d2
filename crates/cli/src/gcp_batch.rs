//! `astro-identity-cli gcp plan|apply --batch FILE`: grants on several projects and service
//! accounts at once. Progress on stderr; the summary names each failed grant; exit code 1
//! when any failed.

use astro_identity_cloud::gcp::Backoff;
use astro_identity_cloud::gcp::batch::{
    GrantEvent, GrantItemOutcome, GrantItemPlan, apply_grants, plan_grants,
};
use astro_identity_cloud::journal::members_words;
use astro_identity_domain::gcp::batch::{GrantEntry, parse_grant_batch};
use astro_identity_domain::gcp::lint::IamLintLevel;

use crate::export::labelled;
use crate::gcp_common::{TargetArgs, connect};
use crate::journal_file::journal;
use crate::output::{Failure, batch_result, confirm, print_json, read_input};

fn entries(file: &str) -> Result<Vec<GrantEntry>, Failure> {
    let text = read_input(file).map_err(|e| {
        Failure::new(
            format!("--batch {file}: cannot read it: {e}"),
            "Give a JSON file: [{\"project\": \"P\", \"role\": \"roles/…\", \"members\": [\"serviceAccount:…\"]}, …].",
        )
    })?;
    parse_grant_batch(&text).map_err(|e| labelled("--batch", e.into()))
}

fn report(event: GrantEvent<'_>) {
    match event {
        GrantEvent::Planned { resource, role, done, total } => {
            eprintln!("[{done}/{total}] planned {role} on {resource}")
        }
        GrantEvent::Applied { resource, role, written, done, total } => {
            let what = if written { "granted and verified" } else { "already in place" };
            eprintln!("[{done}/{total}] {role} on {resource}: {what}");
        }
        GrantEvent::Failed { resource, role, error } => eprintln!("{role} on {resource}: failed: {error}"),
    }
}

pub async fn plan(file: &str, target: &TargetArgs, json: bool) -> Result<(), Failure> {
    let entries = entries(file)?;
    let projects = connect(target).await?;
    let plans = plan_grants(&projects, &entries, projects.principal.clone(), &report).await;
    if json {
        print_json(&plans)?;
    } else {
        print!("{}", render(&plans));
    }
    batch_result(plans.iter().filter(|p| p.failure.is_some()).count(), "grant(s)")
}

pub async fn apply(file: &str, target: &TargetArgs, yes: bool, json: bool) -> Result<(), Failure> {
    let entries = entries(file)?;
    let projects = connect(target).await?;
    let plans = plan_grants(&projects, &entries, projects.principal.clone(), &report).await;
    if !json {
        print!("{}", render(&plans));
    }
    let changed = plans.iter().filter(|p| p.change.as_ref().is_some_and(|c| c.plan.changed)).count();
    let warnings = plans.iter().filter_map(|p| p.change.as_ref()).any(|c| c.plan.needs_confirmation);
    if changed > 0 && !yes {
        let question =
            format!("Apply {changed} grant(s){}?", if warnings { " despite the warnings above" } else { "" });
        if !confirm(&question)? {
            return Err(Failure::new("not applied: not confirmed", "Run again and answer y, or pass --yes."));
        }
    }
    let outcomes = apply_grants(&projects, &plans, true, &journal(), Backoff::DEFAULT, &report).await;
    if json {
        print_json(&outcomes)?;
    } else {
        print!("{}", summary(&outcomes));
    }
    batch_result(outcomes.iter().filter(|o| o.failure.is_some()).count(), "grant(s)")
}

fn render(plans: &[GrantItemPlan]) -> String {
    let mut out = String::new();
    for plan in plans {
        match (&plan.change, &plan.failure) {
            (Some(change), _) => {
                let what = if change.plan.changed {
                    format!("grant to {}", members_words(&change.plan.members))
                } else {
                    String::from("already in place")
                };
                out.push_str(&format!("  {} on {}: {what}\n", plan.role, plan.resource));
                for lint in &change.plan.lints {
                    let level = if lint.level == IamLintLevel::Error { "error" } else { "warning" };
                    out.push_str(&format!("    {level}: {}\n", lint.message));
                }
            }
            (None, Some(failure)) => out.push_str(&format!(
                "  {} on {}: cannot plan: {}\n    hint: {}\n",
                plan.role, plan.resource, failure.message, failure.hint
            )),
            (None, None) => {}
        }
    }
    out
}

fn summary(outcomes: &[GrantItemOutcome]) -> String {
    let ok = outcomes.iter().filter(|o| o.outcome.is_some()).count();
    let written = outcomes.iter().filter(|o| o.outcome.as_ref().is_some_and(|b| b.written)).count();
    let mut out = format!(
        "\n{ok} of {} grant(s) done and verified ({written} written, {} already in place).\n",
        outcomes.len(),
        ok - written
    );
    for outcome in outcomes {
        if let Some(failure) = &outcome.failure {
            out.push_str(&format!(
                "  {} on {}: FAILED: {}\n    hint: {}\n",
                outcome.role, outcome.resource, failure.message, failure.hint
            ));
        }
    }
    out
}
