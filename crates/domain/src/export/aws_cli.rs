//! A shell script of `aws iam …` calls that reaches exactly the planned state and can be
//! run again: what exists is updated or left, what is missing is created.

use std::fmt::Write;

use serde_json::json;

use super::quote::shell;
use super::{AwsExport, aws_does, header};

/// The script's reads: a missing resource (`NoSuchEntity`) is status 3, any other failure
/// is shown and stops the script.
const AWS_READ: &str = r#"# Runs an `aws` read. Status 3 when the resource does not exist (NoSuchEntity); any
# other failure is printed and returned, which stops the script.
aws_read() {
  if out=$(aws "$@" 2>&1); then
    printf '%s\n' "$out"
  else
    status=$?
    case $out in
      *NoSuchEntity*) return 3 ;;
      *) printf '%s\n' "$out" >&2; return "$status" ;;
    esac
  fi
}
"#;

pub fn script(plan: &AwsExport) -> String {
    let mut out = String::from("#!/usr/bin/env bash\n");
    out.push_str(&header("the AWS CLI (aws iam)", &aws_does(plan), &plan.checks));
    out.push_str(
        "# Run it with credentials allowed to change IAM in the account (AWS_PROFILE, …). It can be\n\
         # run again: what is already in place is left as it is. POSIX shell, plus pipefail.\n",
    );
    out.push_str("set -euo pipefail\n\n");
    out.push_str(AWS_READ);
    for (index, provider) in plan.providers.iter().enumerate() {
        let _ = write!(
            out,
            "\n# OIDC provider {n}: {url}\nprovider_arn={arn}\nstatus=0\nclient_ids=$(aws_read iam get-open-id-connect-provider --open-id-connect-provider-arn \"$provider_arn\" --query ClientIDList --output text) || status=$?\n\
             case $status in\n  0)\n    case \" $(echo $client_ids) \" in\n      *\" sts.amazonaws.com \"*) echo {ready} ;;\n      *) aws iam add-client-id-to-open-id-connect-provider --open-id-connect-provider-arn \"$provider_arn\" --client-id sts.amazonaws.com\n         echo {added} ;;\n    esac ;;\n  3)\n    aws iam create-open-id-connect-provider --url {https} --client-id-list sts.amazonaws.com >/dev/null\n    echo {created} ;;\n  *) exit \"$status\" ;;\nesac\n",
            n = index + 1,
            url = provider.url,
            arn = shell(&provider.arn),
            https = shell(&format!("https://{}", provider.url)),
            ready = shell(&format!("OIDC provider {} is ready", provider.url)),
            added = shell(&format!("Added client id sts.amazonaws.com to OIDC provider {}", provider.url)),
            created = shell(&format!("Created OIDC provider {}", provider.url)),
        );
    }
    let role = &plan.role;
    let _ = write!(
        out,
        "\nrole_name={}\n# The planned trust policy, exactly as Astro Identity would send it.\ntrust_policy={}\n",
        shell(&role.name),
        shell(&plan.trust_policy.to_string())
    );
    let mut create = String::from("aws iam create-role --role-name \"$role_name\"");
    if let Some(path) = &role.path {
        let _ = write!(create, " --path {}", shell(path));
    }
    if let Some(description) = &role.description {
        let _ = write!(create, " --description {}", shell(description));
    }
    if let Some(seconds) = role.max_session_duration {
        let _ = write!(create, " --max-session-duration {seconds}");
    }
    if !role.tags.is_empty() {
        let tags: Vec<_> = role.tags.iter().map(|(k, v)| json!({"Key": k, "Value": v})).collect();
        let _ = write!(create, " --tags {}", shell(&serde_json::Value::Array(tags).to_string()));
    }
    create.push_str(" --assume-role-policy-document \"$trust_policy\" >/dev/null");
    let _ = write!(
        out,
        "status=0\naws_read iam get-role --role-name \"$role_name\" >/dev/null || status=$?\ncase $status in\n  0)\n    aws iam update-assume-role-policy --role-name \"$role_name\" --policy-document \"$trust_policy\"\n    echo \"Set the trust policy of role $role_name\" ;;\n  3)\n    {create}\n    echo \"Created role $role_name\" ;;\n  *) exit \"$status\" ;;\nesac\n"
    );
    for arn in &plan.managed_policies {
        let _ = write!(
            out,
            "\naws iam attach-role-policy --role-name \"$role_name\" --policy-arn {}\necho {}\n",
            shell(arn),
            shell(&format!("Attached {arn}"))
        );
    }
    for inline in &plan.inline_policies {
        let _ = write!(
            out,
            "\naws iam put-role-policy --role-name \"$role_name\" --policy-name {} --policy-document {}\necho {}\n",
            shell(&inline.name),
            shell(&inline.document.to_string()),
            shell(&format!("Put inline policy {}", inline.name))
        );
    }
    if !plan.attach_to.is_empty() {
        out.push_str("\n# Then set each Deployment's workload identity to the role:\n");
        for deployment in &plan.attach_to {
            let arn = role.arn.as_deref().unwrap_or("<the role's ARN>");
            let _ = writeln!(out, "#   astro deployment update {} --workload-identity {arn}", deployment.id);
        }
    }
    out
}
