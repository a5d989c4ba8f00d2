//! Terraform: terraform-provider-aws and terraform-provider-google resources, an `import`
//! block for a role that exists, and terraform-provider-astro's `desired_workload_identity`
//! as a commented hint.

use std::fmt::Write;

use super::quote::{hcl_string, hcl_value, terraform_label};
use super::{
    AwsExport, DeploymentRef, GcpExport, GcpResource, aws_does, gcp_does, header, service_account_project,
};

pub fn aws(plan: &AwsExport) -> String {
    let mut out = header("Terraform (terraform-provider-aws)", &aws_does(plan), &plan.checks);
    let role = terraform_label(&plan.role.name);
    for (index, provider) in plan.providers.iter().enumerate() {
        let label = format!("astro_cluster_{}", index + 1);
        match provider.exists {
            Some(true) => {
                let _ = writeln!(
                    out,
                    "# The provider exists: Terraform adopts it.\nimport {{\n  to = aws_iam_openid_connect_provider.{label}\n  id = {}\n}}\n",
                    hcl_string(&provider.arn)
                );
            }
            None => {
                let _ = writeln!(
                    out,
                    "# Planned offline: if this provider exists in the account already, adopt it instead of\n# creating it by uncommenting:\n# import {{\n#   to = aws_iam_openid_connect_provider.{label}\n#   id = {}\n# }}\n",
                    hcl_string(&provider.arn)
                );
            }
            Some(false) => {}
        }
        let _ = writeln!(
            out,
            "resource \"aws_iam_openid_connect_provider\" \"{label}\" {{\n  url            = {}\n  client_id_list = [\"sts.amazonaws.com\"]\n}}\n",
            hcl_string(&format!("https://{}", provider.url))
        );
    }
    if plan.role_exists {
        let _ = writeln!(
            out,
            "# The role exists: Terraform adopts it rather than recreating it.\nimport {{\n  to = aws_iam_role.{role}\n  id = {}\n}}\n",
            hcl_string(&plan.role.name)
        );
    }
    let _ = writeln!(out, "resource \"aws_iam_role\" \"{role}\" {{");
    let _ = writeln!(out, "  name = {}", hcl_string(&plan.role.name));
    if let Some(path) = &plan.role.path {
        let _ = writeln!(out, "  path = {}", hcl_string(path));
    }
    if let Some(description) = &plan.role.description {
        let _ = writeln!(out, "  description = {}", hcl_string(description));
    }
    if let Some(seconds) = plan.role.max_session_duration {
        let _ = writeln!(out, "  max_session_duration = {seconds}");
    }
    if !plan.role.tags.is_empty() {
        out.push_str("  tags = {\n");
        for (key, value) in &plan.role.tags {
            let _ = writeln!(out, "    {} = {}", hcl_string(key), hcl_string(value));
        }
        out.push_str("  }\n");
    }
    if !plan.providers.is_empty() {
        let providers: Vec<String> = (1..=plan.providers.len())
            .map(|i| format!("aws_iam_openid_connect_provider.astro_cluster_{i}"))
            .collect();
        let _ = writeln!(out, "  depends_on = [{}]", providers.join(", "));
    }
    out.push_str("\n  # Exactly the planned document (jsonencode of the same JSON value).\n");
    let _ = writeln!(out, "  assume_role_policy = jsonencode({})\n}}\n", hcl_value(&plan.trust_policy, 1));
    for arn in &plan.managed_policies {
        let label = terraform_label(&format!("{role}_{}", arn.rsplit('/').next().unwrap_or(arn)));
        let _ = writeln!(
            out,
            "resource \"aws_iam_role_policy_attachment\" \"{label}\" {{\n  role       = aws_iam_role.{role}.name\n  policy_arn = {}\n}}\n",
            hcl_string(arn)
        );
    }
    for inline in &plan.inline_policies {
        let label = terraform_label(&format!("{role}_{}", inline.name));
        let _ = writeln!(
            out,
            "resource \"aws_iam_role_policy\" \"{label}\" {{\n  name   = {}\n  role   = aws_iam_role.{role}.id\n  policy = jsonencode({})\n}}\n",
            hcl_string(&inline.name),
            hcl_value(&inline.document, 1)
        );
    }
    out.push_str(&astro_hint(&plan.attach_to, &format!("aws_iam_role.{role}.arn")));
    out
}

pub fn gcp(plan: &GcpExport) -> String {
    let mut out = header("Terraform (terraform-provider-google)", &gcp_does(plan), &plan.checks);
    // One non-authoritative `_iam_member` per member: Terraform adds the grant and leaves
    // every other binding of the policy alone, as the app does.
    let mut labels: Vec<String> = Vec::new();
    for grant in &plan.grants {
        for member in &grant.members {
            let base = terraform_label(&format!(
                "{}_{}",
                grant.role.rsplit('/').next().unwrap_or(&grant.role),
                member.split([':', '@']).nth(1).unwrap_or(member)
            ));
            let label = unique_label(&mut labels, base);
            let (kind, scope) = match &grant.resource {
                GcpResource::Project(id) => {
                    ("google_project_iam_member", format!("  project = {}", hcl_string(id)))
                }
                GcpResource::ServiceAccount(email) => {
                    let project = service_account_project(email).unwrap_or("-");
                    (
                        "google_service_account_iam_member",
                        format!(
                            "  service_account_id = {}",
                            hcl_string(&format!("projects/{project}/serviceAccounts/{email}"))
                        ),
                    )
                }
            };
            let _ = writeln!(out, "resource \"{kind}\" \"{label}\" {{\n{scope}");
            let _ =
                writeln!(out, "  role    = {}\n  member  = {}", hcl_string(&grant.role), hcl_string(member));
            if let Some(condition) = &grant.condition {
                out.push_str("\n  condition {\n");
                let _ = writeln!(out, "    title       = {}", hcl_string(&condition.title));
                if let Some(description) = &condition.description {
                    let _ = writeln!(out, "    description = {}", hcl_string(description));
                }
                let _ = writeln!(out, "    expression  = {}", hcl_string(&condition.expression));
                out.push_str("  }\n");
            }
            out.push_str("}\n\n");
        }
    }
    if let Some(account) = &plan.service_account {
        out.push_str(&astro_hint(&plan.attach_to, &hcl_string(account)));
    }
    out
}

fn unique_label(taken: &mut Vec<String>, base: String) -> String {
    let mut label = base.clone();
    let mut n = 2;
    while taken.contains(&label) {
        label = format!("{base}_{n}");
        n += 1;
    }
    taken.push(label.clone());
    label
}

/// terraform-provider-astro keeps a Deployment's identity as `desired_workload_identity`;
/// the Deployments are not in this file, so it is a hint to put into theirs.
fn astro_hint(deployments: &[DeploymentRef], identity: &str) -> String {
    if deployments.is_empty() {
        return String::new();
    }
    let mut out = String::from(
        "# Customer Managed Identity: in each Deployment's terraform-provider-astro resource, set\n",
    );
    for deployment in deployments {
        let _ = writeln!(
            out,
            "#\n# resource \"astro_deployment\" \"{}\" {{  # {} ({})\n#   ...\n#   desired_workload_identity = {identity}\n# }}",
            terraform_label(&deployment.name),
            deployment.name,
            deployment.id
        );
    }
    out
}
