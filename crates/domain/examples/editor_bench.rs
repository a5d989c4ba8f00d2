//! `make bench`: the policy editors' keystroke → lint round trip (the Rust part), on a
//! 4,096-character trust policy and a 4,096-character permission policy. Target: under
//! 16 ms per round trip. Prints, never asserts.

use std::time::{Duration, Instant};

use astro_identity_domain::aws::editor::{EditOp, analyze, apply_edit};
use astro_identity_domain::aws::lint::DEFAULT_TRUST_POLICY_QUOTA;
use astro_identity_domain::aws::permission_editor::{self, PermissionEditOp};

/// A realistic policy of at least 4,096 characters: many Deployments, a vendor statement
/// with an external id, an OIDC statement with conditions.
fn policy() -> String {
    let mut arns = Vec::new();
    let mut text = String::new();
    for i in 0.. {
        arns.push(format!("\"arn:aws:iam::123456789876:role/astro-deployment-{i:04}\""));
        text = format!(
            r#"{{"Version":"2012-10-17","Statement":[{{"Effect":"Allow","Principal":{{"AWS":[{}]}},"Action":"sts:AssumeRole"}},{{"Sid":"Vendor","Effect":"Allow","Principal":{{"AWS":"arn:aws:iam::464622532012:root"}},"Action":"sts:AssumeRole","Condition":{{"StringEquals":{{"sts:ExternalId":"a1b2c3d4e5"}}}}}},{{"Effect":"Allow","Principal":{{"Federated":"arn:aws:iam::111122223333:oidc-provider/oidc.eks.us-west-2.amazonaws.com/id/EXAMPLED539D4633E53DE1B71EXAMPLE"}},"Action":"sts:AssumeRoleWithWebIdentity","Condition":{{"StringEquals":{{"oidc.eks.us-west-2.amazonaws.com/id/EXAMPLED539D4633E53DE1B71EXAMPLE:sub":"system:serviceaccount:kube-system:aws-node","oidc.eks.us-west-2.amazonaws.com/id/EXAMPLED539D4633E53DE1B71EXAMPLE:aud":"sts.amazonaws.com"}}}}}}]}}"#,
            arns.join(",")
        );
        if text.len() >= 4096 {
            break;
        }
    }
    text
}

/// A realistic inline policy of at least 4,096 characters, as an Airflow deployment grows
/// one: data buckets, a secrets prefix, a Glue catalog, service wildcards (which the lints
/// expand against the catalog) and a conditioned PassRole.
fn permission_policy() -> String {
    let mut buckets = Vec::new();
    let mut text = String::new();
    for i in 0.. {
        buckets.push(format!("\"arn:aws:s3:::astro-data-{i:03}\",\"arn:aws:s3:::astro-data-{i:03}/*\""));
        text = format!(
            r#"{{"Version":"2012-10-17","Statement":[{{"Sid":"Data","Effect":"Allow","Action":["s3:GetObject","s3:PutObject","s3:ListBucket","s3:DeleteObject","s3:GetBucketLocation"],"Resource":[{}]}},{{"Sid":"Secrets","Effect":"Allow","Action":["secretsmanager:GetSecretValue","secretsmanager:DescribeSecret"],"Resource":"arn:aws:secretsmanager:us-east-1:123456789012:secret:airflow/*"}},{{"Sid":"Glue","Effect":"Allow","Action":["glue:Get*","glue:BatchGet*","glue:StartJobRun","athena:StartQueryExecution","athena:GetQueryResults"],"Resource":["arn:aws:glue:us-east-1:123456789012:catalog","arn:aws:glue:us-east-1:123456789012:database/analytics","arn:aws:glue:us-east-1:123456789012:table/analytics/*","arn:aws:athena:us-east-1:123456789012:workgroup/primary"]}},{{"Sid":"Describe","Effect":"Allow","Action":["ec2:Describe*","logs:Describe*","cloudwatch:PutMetricData"],"Resource":"*"}},{{"Effect":"Allow","Action":"iam:PassRole","Resource":"arn:aws:iam::123456789012:role/glue-job","Condition":{{"StringEquals":{{"iam:PassedToService":"glue.amazonaws.com"}}}}}}]}}"#,
            buckets.join(",")
        );
        if text.len() >= 4096 {
            break;
        }
    }
    text
}

fn median(mut samples: Vec<Duration>) -> Duration {
    samples.sort();
    samples[samples.len() / 2]
}

fn main() {
    trust();
    permission();
}

fn trust() {
    let text = policy();
    let runs = 500;
    let mut analyze_times = Vec::with_capacity(runs);
    let mut round_trips = Vec::with_capacity(runs);
    let op = EditOp::AddPrincipal {
        statement: 0,
        kind: String::from("AWS"),
        value: String::from("arn:aws:iam::123456789876:role/astro-new-9999"),
    };
    for _ in 0..runs {
        let start = Instant::now();
        std::hint::black_box(analyze(&text, DEFAULT_TRUST_POLICY_QUOTA));
        analyze_times.push(start.elapsed());

        let start = Instant::now();
        if let Ok(edited) = apply_edit(&text, &op) {
            std::hint::black_box(analyze(&edited, DEFAULT_TRUST_POLICY_QUOTA));
        }
        round_trips.push(start.elapsed());
    }
    let analyze_median = median(analyze_times);
    let round_trip_median = median(round_trips);
    println!(
        "trust policy: {} characters, {runs} runs, {} cores",
        text.len(),
        std::thread::available_parallelism().map_or(1, |n| n.get())
    );
    println!("analyze (typing in the JSON pane):     median {analyze_median:?}");
    println!("edit + analyze (a change in the form): median {round_trip_median:?}");
    let verdict = if round_trip_median < Duration::from_millis(16) { "meets" } else { "MISSES" };
    println!("target: under 16 ms for the Rust part: {verdict}");
}

fn permission() {
    let text = permission_policy();
    let runs = 500;
    let mut analyze_times = Vec::with_capacity(runs);
    let mut round_trips = Vec::with_capacity(runs);
    let op = PermissionEditOp::AddResource {
        statement: 0,
        resource: String::from("arn:aws:s3:::astro-new-bucket/*"),
    };
    // The catalogs are parsed once per process; the first keystroke pays for it.
    let start = Instant::now();
    std::hint::black_box(permission_editor::analyze(&text));
    let first = start.elapsed();
    for _ in 0..runs {
        let start = Instant::now();
        std::hint::black_box(permission_editor::analyze(&text));
        analyze_times.push(start.elapsed());

        let start = Instant::now();
        if let Ok(edited) = permission_editor::apply_edit(&text, &op) {
            std::hint::black_box(permission_editor::analyze(&edited));
        }
        round_trips.push(start.elapsed());
    }
    let analyze_median = median(analyze_times);
    let round_trip_median = median(round_trips);
    println!("permission policy: {} characters, {runs} runs", text.len());
    println!("first analyze (loads the action catalog): {first:?}");
    println!("analyze (typing in the JSON pane):     median {analyze_median:?}");
    println!("edit + analyze (a change in the form): median {round_trip_median:?}");
    let verdict = if round_trip_median < Duration::from_millis(16) { "meets" } else { "MISSES" };
    println!("target: under 16 ms for the Rust part: {verdict}");
}
