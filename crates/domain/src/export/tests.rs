use serde_json::json;

use super::*;

fn role(exists: bool) -> AwsExport {
    AwsExport {
        role: RoleSpec {
            name: String::from("astro-data"),
            path: Some(String::from("/astro/")),
            description: Some(String::from("Assumed by Astro's ${workers}")),
            max_session_duration: Some(7200),
            tags: vec![(String::from("team"), String::from("data, platform"))],
            arn: Some(String::from("arn:aws:iam::123456789012:role/astro/astro-data")),
        },
        role_exists: exists,
        trust_policy: json!({
            "Version": "2012-10-17",
            "Statement": [{"Effect": "Allow", "Principal": {"AWS": "arn:aws:iam::111122223333:role/astro-x"},
                           "Action": "sts:AssumeRole", "Condition": {"StringEquals": {"aws:PrincipalTag/team": "it's"}}}]
        }),
        providers: Vec::new(),
        managed_policies: vec![String::from("arn:aws:iam::aws:policy/AmazonS3ReadOnlyAccess")],
        inline_policies: Vec::new(),
        attach_to: Vec::new(),
        checks: Checks {
            source: String::from("offline"),
            lints: vec![String::from("warning: no condition")],
            size: Some((231, 2048)),
        },
    }
}

fn grants() -> GcpExport {
    GcpExport {
        grants: vec![
            GrantSpec {
                resource: GcpResource::Project(String::from("my-project")),
                role: String::from("roles/bigquery.jobUser"),
                members: vec![
                    String::from("serviceAccount:astro-a@astro-prod.iam.gserviceaccount.com"),
                    String::from("serviceAccount:astro-b@astro-prod.iam.gserviceaccount.com"),
                ],
                condition: Some(Condition {
                    title: String::from("until 2027"),
                    description: None,
                    expression: String::from("request.time < timestamp(\"2027-01-01T00:00:00Z\")"),
                }),
            },
            GrantSpec {
                resource: GcpResource::ServiceAccount(String::from("etl@my-project.iam.gserviceaccount.com")),
                role: String::from("roles/iam.serviceAccountTokenCreator"),
                members: vec![String::from("serviceAccount:astro-a@astro-prod.iam.gserviceaccount.com")],
                condition: None,
            },
        ],
        service_account: Some(String::from("etl@my-project.iam.gserviceaccount.com")),
        attach_to: vec![DeploymentRef { id: String::from("clx1"), name: String::from("etl prod") }],
        checks: Checks { source: String::from("offline"), ..Checks::default() },
    }
}

#[test]
fn a_format_that_does_not_fit_the_cloud_is_refused_naming_the_field() {
    let err =
        render(&ExportPlan::Aws(Box::new(role(false))), ExportFormat::Gcloud).expect_err("gcloud for AWS");
    assert_eq!(err.field(), "format");
    assert_eq!(err.to_string(), "format: gcloud does not fit an AWS plan");
    assert!(err.hint().contains("terraform, aws-cli, cloudformation"), "{}", err.hint());
    for format in [ExportFormat::AwsCli, ExportFormat::Cloudformation] {
        let err = render(&ExportPlan::Gcp(grants()), format).expect_err("AWS format for GCP");
        assert_eq!(err.field(), "format");
    }
    assert_eq!(ExportFormat::parse("aws-cli"), Ok(ExportFormat::AwsCli));
    assert_eq!(ExportFormat::parse("hcl").expect_err("unknown").field(), "format");
}

#[test]
fn every_export_says_what_it_does_and_what_was_checked() {
    let aws = ExportPlan::Aws(Box::new(role(true)));
    for format in ExportFormat::for_cloud(ExportCloud::Aws) {
        let text = render(&aws, *format).expect("fits");
        assert!(text.contains("sets the trust policy of the existing IAM role astro-data"), "{format:?}");
        assert!(text.contains("attaches the managed policy arn:aws:iam::aws:policy/AmazonS3ReadOnlyAccess"));
        assert!(text.contains("#   - warning: no condition"), "{text}");
        assert!(text.contains("trust policy size: 231 of 2048 characters"));
        assert!(text.contains("It holds no secret"));
        assert_eq!(text, render(&aws, *format).expect("fits"), "deterministic");
    }
    let gcp = ExportPlan::Gcp(grants());
    for format in ExportFormat::for_cloud(ExportCloud::Gcp) {
        let text = render(&gcp, *format).expect("fits");
        assert!(text.contains("grants roles/bigquery.jobUser on project my-project to"), "{text}");
        assert!(text.contains("#   - no errors or warnings"));
        assert!(text.contains("set the workload identity of Deployment etl prod (clx1)"));
    }
}

#[test]
fn terraform_imports_an_existing_role_and_escapes_templates() {
    let text = render(&ExportPlan::Aws(Box::new(role(true))), ExportFormat::Terraform).expect("fits");
    assert!(text.contains("import {\n  to = aws_iam_role.astro-data\n  id = \"astro-data\"\n}"), "{text}");
    assert!(text.contains("description = \"Assumed by Astro's $${workers}\""));
    assert!(text.contains("  assume_role_policy = jsonencode({\n    \"Version\" = \"2012-10-17\""));
    assert!(text.contains("resource \"aws_iam_role_policy_attachment\""));
    let new = render(&ExportPlan::Aws(Box::new(role(false))), ExportFormat::Terraform).expect("fits");
    assert!(!new.contains("import {"), "a new role is created, not imported");
}

#[test]
fn terraform_for_grants_is_one_member_resource_each_with_its_condition() {
    let text = render(&ExportPlan::Gcp(grants()), ExportFormat::Terraform).expect("fits");
    assert_eq!(text.matches("resource \"google_project_iam_member\"").count(), 2);
    assert_eq!(text.matches("resource \"google_service_account_iam_member\"").count(), 1);
    assert_eq!(text.matches("  condition {").count(), 2);
    assert!(text.contains(
        "service_account_id = \"projects/my-project/serviceAccounts/etl@my-project.iam.gserviceaccount.com\""
    ));
    assert!(text.contains("#   desired_workload_identity = \"etl@my-project.iam.gserviceaccount.com\""));
}

#[test]
fn gcloud_lines_quote_every_value_and_pick_a_delimiter_for_commas() {
    let mut plan = grants();
    let text = render(&ExportPlan::Gcp(plan.clone()), ExportFormat::Gcloud).expect("fits");
    let lines: Vec<&str> = text.lines().filter(|l| l.starts_with("gcloud ")).collect();
    assert_eq!(lines.len(), 3, "one line per member of each grant");
    assert!(lines[0].ends_with(
        "--condition='expression=request.time < timestamp(\"2027-01-01T00:00:00Z\"),title=until 2027'"
    ));
    assert!(lines[2].contains("--project='my-project'") && lines[2].ends_with("--condition='None'"));
    plan.grants[0].condition = Some(Condition {
        title: String::from("a, b; c"),
        description: Some(String::from("x|y")),
        expression: String::from("resource.name in ['a', 'b']"),
    });
    let text = render(&ExportPlan::Gcp(plan), ExportFormat::Gcloud).expect("fits");
    assert!(text.contains("--condition='^~^expression=resource.name in ['\\''a'\\'', '\\''b'\\'']~title=a, b; c~description=x|y'"), "{text}");
}

#[test]
fn the_script_creates_or_updates_the_role_and_ensures_providers() {
    let mut plan = role(false);
    plan.providers.push(ProviderSpec {
        url: String::from("oidc.example.com/id/ABC"),
        arn: String::from("arn:aws:iam::123456789012:oidc-provider/oidc.example.com/id/ABC"),
        exists: None,
    });
    let text = render(&ExportPlan::Aws(Box::new(plan.clone())), ExportFormat::AwsCli).expect("fits");
    assert!(text.starts_with("#!/usr/bin/env bash\n"));
    assert!(text.contains("set -euo pipefail"));
    assert!(text.contains("--url 'https://oidc.example.com/id/ABC' --client-id-list sts.amazonaws.com"));
    assert!(text.contains("--tags '[{\"Key\":\"team\",\"Value\":\"data, platform\"}]'"));
    assert!(text.contains("\"aws:PrincipalTag/team\":\"it'\\''s\""), "single quotes survive: {text}");
    let yaml = render(&ExportPlan::Aws(Box::new(plan)), ExportFormat::Cloudformation).expect("fits");
    assert!(yaml.contains("Type: AWS::IAM::OIDCProvider"));
    assert!(yaml.contains("Planned offline: a provider that exists"));
}
