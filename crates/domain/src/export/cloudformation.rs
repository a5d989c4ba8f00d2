//! A CloudFormation template (YAML) for the role and the OIDC providers it trusts. Policy
//! documents are written as JSON, which YAML reads as the same value.

use std::fmt::Write;

use serde_json::Value;

use super::quote::yaml_string;
use super::{AwsExport, aws_does, header};

pub fn template(plan: &AwsExport) -> String {
    let mut out = header("AWS CloudFormation", &aws_does(plan), &plan.checks);
    let adopted: Vec<String> = plan
        .providers
        .iter()
        .enumerate()
        .filter(|(_, p)| p.exists == Some(true))
        .map(|(i, p)| format!("AstroClusterProvider{} (Arn {})", i + 1, p.arn))
        .chain(plan.role_exists.then(|| format!("AstroRole (RoleName {})", plan.role.name)))
        .collect();
    if !adopted.is_empty() {
        out.push_str(
            "# These exist already: adopt them with a change set of type IMPORT (they are Retain, as\n\
             # an import needs) rather than creating them:\n",
        );
        for line in &adopted {
            let _ = writeln!(out, "#   {line}");
        }
        out.push('\n');
    }
    if plan.providers.iter().any(|p| p.exists.is_none()) {
        out.push_str(
            "# Planned offline: a provider that exists in the account already must be imported (change\n\
             # set of type IMPORT) or removed from this template before it is deployed.\n\n",
        );
    }
    out.push_str("AWSTemplateFormatVersion: \"2010-09-09\"\n");
    let _ = writeln!(
        out,
        "Description: {}",
        yaml_string(&format!("Astro Identity: IAM role {} for Astro Deployments", plan.role.name))
    );
    out.push_str("Resources:\n");
    for (index, provider) in plan.providers.iter().enumerate() {
        let _ = writeln!(out, "  AstroClusterProvider{}:\n    Type: AWS::IAM::OIDCProvider", index + 1);
        if provider.exists == Some(true) {
            out.push_str("    DeletionPolicy: Retain\n    UpdateReplacePolicy: Retain\n");
        }
        let _ = writeln!(
            out,
            "    Properties:\n      Url: {}\n      ClientIdList:\n        - \"sts.amazonaws.com\"",
            yaml_string(&format!("https://{}", provider.url))
        );
    }
    out.push_str("  AstroRole:\n    Type: AWS::IAM::Role\n");
    if plan.role_exists {
        out.push_str("    DeletionPolicy: Retain\n    UpdateReplacePolicy: Retain\n");
    }
    if !plan.providers.is_empty() {
        out.push_str("    DependsOn:\n");
        for index in 1..=plan.providers.len() {
            let _ = writeln!(out, "      - AstroClusterProvider{index}");
        }
    }
    let role = &plan.role;
    let _ = writeln!(out, "    Properties:\n      RoleName: {}", yaml_string(&role.name));
    if let Some(path) = &role.path {
        let _ = writeln!(out, "      Path: {}", yaml_string(path));
    }
    if let Some(description) = &role.description {
        let _ = writeln!(out, "      Description: {}", yaml_string(description));
    }
    if let Some(seconds) = role.max_session_duration {
        let _ = writeln!(out, "      MaxSessionDuration: {seconds}");
    }
    if !role.tags.is_empty() {
        out.push_str("      Tags:\n");
        for (key, value) in &role.tags {
            let _ =
                writeln!(out, "        - Key: {}\n          Value: {}", yaml_string(key), yaml_string(value));
        }
    }
    let _ = writeln!(out, "      AssumeRolePolicyDocument:\n{}", json_block(&plan.trust_policy, 8));
    if !plan.managed_policies.is_empty() {
        out.push_str("      ManagedPolicyArns:\n");
        for arn in &plan.managed_policies {
            let _ = writeln!(out, "        - {}", yaml_string(arn));
        }
    }
    if !plan.inline_policies.is_empty() {
        out.push_str("      Policies:\n");
        for inline in &plan.inline_policies {
            let _ = writeln!(
                out,
                "        - PolicyName: {}\n          PolicyDocument:\n{}",
                yaml_string(&inline.name),
                json_block(&inline.document, 12)
            );
        }
    }
    out.push_str("Outputs:\n  RoleArn:\n    Value: !GetAtt AstroRole.Arn\n");
    out
}

/// Pretty JSON, every line indented by `indent` spaces: a YAML flow node under its key.
fn json_block(value: &Value, indent: usize) -> String {
    let pretty = serde_json::to_string_pretty(value).unwrap_or_else(|_| value.to_string());
    let pad = " ".repeat(indent);
    pretty.lines().map(|line| format!("{pad}{line}")).collect::<Vec<_>>().join("\n")
}
