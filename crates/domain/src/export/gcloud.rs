//! `gcloud … add-iam-policy-binding` lines, one per member of each grant. `gcloud` reads the
//! policy and adds the binding itself, so running a line twice changes nothing.

use std::fmt::Write;

use super::quote::shell;
use super::{GcpExport, GcpResource, gcp_does, header, service_account_project};
use crate::gcp::iam_policy::Condition;

/// Delimiters `gcloud topic escaping` allows in place of `,`, tried in order.
const DELIMITERS: [char; 6] = [';', '|', '~', '#', '!', '+'];

pub fn lines(plan: &GcpExport) -> String {
    let mut out = String::from("#!/usr/bin/env bash\n");
    out.push_str(&header("the Google Cloud CLI (gcloud)", &gcp_does(plan), &plan.checks));
    out.push_str(
        "# Run it as an account allowed to change these IAM policies. Each line adds one member to\n\
         # one role and keeps every other binding; running it again changes nothing.\n",
    );
    out.push_str("set -euo pipefail\n\n");
    for grant in &plan.grants {
        let condition = match &grant.condition {
            Some(condition) => condition_flag(condition),
            None => String::from("None"),
        };
        for member in &grant.members {
            let command = match &grant.resource {
                GcpResource::Project(id) => format!("gcloud projects add-iam-policy-binding {}", shell(id)),
                GcpResource::ServiceAccount(email) => {
                    let mut command =
                        format!("gcloud iam service-accounts add-iam-policy-binding {}", shell(email));
                    if let Some(project) = service_account_project(email) {
                        let _ = write!(command, " --project={}", shell(project));
                    }
                    command
                }
            };
            let _ = writeln!(
                out,
                "{command} --member={} --role={} --condition={}",
                shell(member),
                shell(&grant.role),
                shell(&condition)
            );
        }
    }
    if let (Some(account), false) = (&plan.service_account, plan.attach_to.is_empty()) {
        out.push_str("\n# Then set each Deployment's workload identity to the service account:\n");
        for deployment in &plan.attach_to {
            let _ =
                writeln!(out, "#   astro deployment update {} --workload-identity {account}", deployment.id);
        }
    }
    out
}

/// `--condition`'s value: `expression=…,title=…[,description=…]`, with another delimiter
/// (`^;^expression=…;title=…`) when a value holds a comma.
fn condition_flag(condition: &Condition) -> String {
    let mut parts =
        vec![format!("expression={}", condition.expression), format!("title={}", condition.title)];
    if let Some(description) = &condition.description {
        parts.push(format!("description={description}"));
    }
    if !parts.iter().any(|p| p.contains(',')) {
        return parts.join(",");
    }
    let delimiter =
        DELIMITERS.into_iter().find(|d| !parts.iter().any(|p| p.contains(*d))).unwrap_or('\u{1f}');
    format!("^{delimiter}^{}", parts.join(&delimiter.to_string()))
}
