//! Prints every connection format for a set of representative connections as the JSON
//! input of `tests/airflow/prove_connections.py`, which parses each with Airflow's own code:
//!
//! ```sh
//! cargo run -q -p astro-identity-domain --example airflow_formats > /tmp/airflow-formats.json
//! $AIRFLOW_VENV/bin/python tests/airflow/prove_connections.py /tmp/airflow-formats.json
//! ```

use astro_identity_domain::DomainError;
use astro_identity_domain::airflow::{
    AstroScope, AstroScopeKind, AwsConnectionInput, ConnectionSpec, GcpConnectionInput, render_all,
};
use serde_json::{Map, Value, json};

fn aws(conn_id: &str, role_arn: &str, external_id: Option<&str>, web_identity: bool) -> ConnectionSpec {
    ConnectionSpec::aws(&AwsConnectionInput {
        conn_id: conn_id.into(),
        role_arn: role_arn.into(),
        region: "us-east-1".into(),
        external_id: external_id.map(str::to_owned),
        web_identity,
    })
    .unwrap_or_else(|e| invalid(conn_id, &e))
}

fn gcp(conn_id: &str, project: &str, impersonation_chain: Option<&str>) -> ConnectionSpec {
    ConnectionSpec::gcp(&GcpConnectionInput {
        conn_id: conn_id.into(),
        project: project.into(),
        impersonation_chain: impersonation_chain.map(str::to_owned),
    })
    .unwrap_or_else(|e| invalid(conn_id, &e))
}

fn invalid(conn_id: &str, error: &DomainError) -> ! {
    eprintln!("{conn_id}: {error}");
    std::process::exit(2)
}

fn main() {
    let workspace =
        AstroScope { scope: AstroScopeKind::Workspace, entity_id: "clwspace0000001abcdefgh".into() };
    let specs = [
        aws("aws_default", "arn:aws:iam::123456789012:role/astro-data", None, false),
        aws(
            "aws_vendor",
            "arn:aws:iam::123456789012:role/vendor-reader",
            Some("vendor:42/a=b,c.d@e+f_g-h"),
            false,
        ),
        aws("aws_cmi", "arn:aws:iam::123456789012:role/astro-cmi", None, true),
        aws("aws_attached", "", None, false),
        aws("team.data-lake_aws", "arn:aws:iam::123456789012:role/teams/data/astro-lake", None, false)
            .with_astro_scope(workspace)
            .unwrap_or_else(|e| invalid("team.data-lake_aws", &e)),
        gcp("google_cloud_default", "astro-data", None),
        gcp("gcp_impersonated", "astro-data", Some("etl-runner@astro-data.iam.gserviceaccount.com")),
        gcp("team.data-lake_gcp", "example.com:astro-lake", None),
    ];
    let cases: Vec<Value> = specs
        .iter()
        .map(|spec| {
            let formats: Map<String, Value> =
                render_all(spec).into_iter().map(|f| (f.format.as_str().to_owned(), json!(f.text))).collect();
            json!({
                "conn_id": spec.conn_id(),
                "env_var": spec.env_var_name(),
                "conn_type_label": spec.conn_type_label(),
                "expect": {"conn_type": spec.conn_type(), "extra": spec.extra()},
                "formats": formats,
            })
        })
        .collect();
    println!("{}", serde_json::to_string_pretty(&cases).unwrap_or_default());
}
