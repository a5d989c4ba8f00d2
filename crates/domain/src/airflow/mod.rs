//! The Airflow connection a journey ends with. This module renders the forms of it the
//! journeys show today (the UI fields and the `AIRFLOW_CONN_*` JSON); every other format
//! people paste builds on the same validated pieces.

use serde::{Deserialize, Serialize};
use serde_json::{Value, json};

use crate::DomainError;

/// `^[\w.-]+$`, at most 200 characters (Airflow's REST API limits).
pub fn validate_conn_id(conn_id: &str) -> Result<(), DomainError> {
    let hint = "Use letters, digits, '_', '.' or '-', e.g. aws_default.";
    if conn_id.is_empty() {
        return Err(DomainError::invalid("conn_id", "the connection id is empty", hint));
    }
    if conn_id.chars().count() > 200 {
        return Err(DomainError::invalid(
            "conn_id",
            format!("the connection id is {} characters long, the limit is 200", conn_id.chars().count()),
            hint,
        ));
    }
    if let Some(bad) = conn_id.chars().find(|c| !(c.is_alphanumeric() || matches!(c, '_' | '.' | '-'))) {
        return Err(DomainError::invalid("conn_id", format!("the connection id contains {bad:?}"), hint));
    }
    Ok(())
}

/// An AWS region code such as `us-east-1`.
pub fn validate_region(region: &str) -> Result<(), DomainError> {
    let parts: Vec<&str> = region.split('-').collect();
    let ok = parts.len() >= 3
        && parts
            .iter()
            .all(|p| !p.is_empty() && p.chars().all(|c| c.is_ascii_lowercase() || c.is_ascii_digit()))
        && parts.last().is_some_and(|p| p.chars().all(|c| c.is_ascii_digit()));
    if ok {
        Ok(())
    } else {
        Err(DomainError::invalid(
            "region_name",
            format!("{region:?} is not an AWS region code"),
            "Use the region of your resources, e.g. us-east-1 or eu-west-1.",
        ))
    }
}

/// The connection in the shapes the journeys show.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "specta", derive(specta::Type))]
#[serde(rename_all = "camelCase")]
pub struct AirflowConnection {
    pub conn_id: String,
    pub conn_type: String,
    /// What the Airflow UI shows as the connection type.
    pub conn_type_label: String,
    /// The UI's Extra field (pretty JSON).
    pub extra_json: String,
    /// `AIRFLOW_CONN_<ID>`.
    pub env_var: String,
    /// Its value in Airflow's JSON form (Airflow 2.3 and later).
    pub env_json: String,
    /// The provider package Airflow needs for this connection type.
    pub provider_package: String,
}

fn render(conn_id: &str, conn_type: &str, label: &str, extra: Value, provider: &str) -> AirflowConnection {
    let env_value = json!({"conn_type": conn_type, "extra": extra});
    AirflowConnection {
        conn_id: conn_id.to_owned(),
        conn_type: conn_type.to_owned(),
        conn_type_label: label.to_owned(),
        extra_json: serde_json::to_string_pretty(&extra).unwrap_or_default(),
        env_var: format!("AIRFLOW_CONN_{}", conn_id.to_uppercase().replace(['.', '-'], "_")),
        env_json: env_value.to_string(),
        provider_package: provider.to_owned(),
    }
}

/// `aws` with `role_arn` and `region_name`: the Deployment's identity assumes the role.
pub fn aws_connection(conn_id: &str, role_arn: &str, region: &str) -> Result<AirflowConnection, DomainError> {
    validate_conn_id(conn_id)?;
    validate_region(region)?;
    let extra = json!({"role_arn": role_arn, "region_name": region});
    Ok(render(conn_id, "aws", "Amazon Web Services", extra, "apache-airflow-providers-amazon"))
}

/// `google_cloud_platform` with `project`: no key, so the provider uses Application Default
/// Credentials — the Deployment's workload identity. With `impersonation_chain`, that
/// identity impersonates the given service account.
pub fn gcp_connection(
    conn_id: &str,
    project: &str,
    impersonation_chain: Option<&str>,
) -> Result<AirflowConnection, DomainError> {
    validate_conn_id(conn_id)?;
    let project = crate::gcp::identity::ProjectId::parse(project)?;
    let mut extra = json!({"project": project.as_str()});
    if let Some(chain) = impersonation_chain.map(str::trim).filter(|c| !c.is_empty()) {
        let account = crate::gcp::identity::ServiceAccountEmail::parse(chain)?;
        extra["impersonation_chain"] = json!(account.as_str());
    }
    Ok(render(conn_id, "google_cloud_platform", "Google Cloud", extra, "apache-airflow-providers-google"))
}

#[cfg(test)]
mod tests {
    #[test]
    fn renders_the_gcp_connection_with_and_without_impersonation() {
        let conn = super::gcp_connection("google_cloud_default", "astro-data", None).expect("valid");
        assert_eq!(conn.extra_json, "{\n  \"project\": \"astro-data\"\n}");
        assert_eq!(conn.env_var, "AIRFLOW_CONN_GOOGLE_CLOUD_DEFAULT");
        assert_eq!(
            conn.env_json,
            r#"{"conn_type":"google_cloud_platform","extra":{"project":"astro-data"}}"#
        );
        let conn =
            super::gcp_connection("gcp", "astro-data", Some("etl-runner@astro-data.iam.gserviceaccount.com"))
                .expect("valid");
        assert_eq!(
            conn.env_json,
            r#"{"conn_type":"google_cloud_platform","extra":{"project":"astro-data","impersonation_chain":"etl-runner@astro-data.iam.gserviceaccount.com"}}"#
        );
        assert_eq!(super::gcp_connection("gcp", "Astro Data", None).expect_err("bad").field(), "project_id");
    }

    use super::*;

    #[test]
    fn renders_the_documented_aws_connection() {
        let conn = aws_connection("aws_default", "arn:aws:iam::123456789012:role/astro-data", "us-east-1")
            .expect("valid");
        assert_eq!(
            conn.extra_json,
            "{\n  \"role_arn\": \"arn:aws:iam::123456789012:role/astro-data\",\n  \"region_name\": \"us-east-1\"\n}"
        );
        assert_eq!(conn.env_var, "AIRFLOW_CONN_AWS_DEFAULT");
        assert_eq!(
            conn.env_json,
            r#"{"conn_type":"aws","extra":{"role_arn":"arn:aws:iam::123456789012:role/astro-data","region_name":"us-east-1"}}"#
        );
        assert_eq!(conn.provider_package, "apache-airflow-providers-amazon");
    }

    #[test]
    fn conn_id_and_region_errors_name_the_field() {
        let err = validate_conn_id("my conn").expect_err("space");
        assert_eq!(err.to_string(), "conn_id: the connection id contains ' '");
        assert!(validate_conn_id(&"a".repeat(200)).is_ok());
        assert_eq!(
            validate_conn_id(&"a".repeat(201)).expect_err("long").to_string(),
            "conn_id: the connection id is 201 characters long, the limit is 200"
        );
        assert_eq!(validate_conn_id("").expect_err("empty").field(), "conn_id");
        for bad in ["useast1", "US-EAST-1", "us-east-", "us-east-x"] {
            assert_eq!(validate_region(bad).expect_err(bad).field(), "region_name", "{bad}");
        }
        for good in ["us-east-1", "eu-central-2", "us-gov-west-1", "cn-north-1", "ap-southeast-4"] {
            assert!(validate_region(good).is_ok(), "{good}");
        }
    }
}
