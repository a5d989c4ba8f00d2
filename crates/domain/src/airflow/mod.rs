//! The Airflow connection a journey ends with.
//!
//! A [`ConnectionSpec`] is built (and validated) once from what the user typed; every form
//! of it people paste — the UI fields, `AIRFLOW_CONN_*` in JSON or URI form, the CLI,
//! `airflow_settings.yaml`, the REST API and Astro's Environment Manager — is rendered from
//! it by [`formats`] and cannot fail. [`requirements`] checks that the project's
//! `requirements.txt` installs the provider the connection needs.

pub mod formats;
pub mod requirements;

use serde::{Deserialize, Serialize};
use serde_json::{Map, Value, json};

use crate::DomainError;
use crate::aws::WorkloadIdentityArn;
use crate::gcp::identity::{ProjectId, ServiceAccountEmail};

pub use formats::{ConnectionFormat, RenderedFormat, render, render_all};

/// Where the EKS pod identity webhook mounts the service account token on Astro's AWS
/// clusters; the Amazon provider reads it for `assume_role_with_web_identity`.
pub const EKS_WEB_IDENTITY_TOKEN_FILE: &str = "/var/run/secrets/eks.amazonaws.com/serviceaccount/token";

/// Airflow looks environment-variable connections up as this prefix followed by the
/// connection id upper-cased — nothing else is changed (`EnvironmentVariablesBackend`).
pub const ENV_PREFIX: &str = "AIRFLOW_CONN_";

const AWS_CONN_TYPE: &str = "aws";
const GCP_CONN_TYPE: &str = "google_cloud_platform";
const AMAZON_PROVIDER: &str = "apache-airflow-providers-amazon";
const GOOGLE_PROVIDER: &str = "apache-airflow-providers-google";

/// `^[\w.-]+$`, at most 200 characters (Airflow's REST API limits), and no `..`: Airflow
/// 3.3's CLI refuses consecutive dots in ids (path traversal) unless an admin opted out.
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
    if conn_id.contains("..") {
        return Err(DomainError::invalid(
            "conn_id",
            "the connection id contains two dots in a row",
            "Airflow's CLI refuses '..' in ids; use a single '.', '_' or '-'.",
        ));
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

/// STS's rule for `ExternalId`: 2–1224 characters of `[\w+=,.@:/-]` (ASCII `\w`). Checked
/// here because a bad one only fails later, inside a running task, as an opaque STS error.
pub fn validate_external_id(external_id: &str) -> Result<(), DomainError> {
    const HINT: &str = "Use the external id exactly as the role's trust policy names it \
                        (sts:ExternalId): 2-1224 letters, digits and + = , . @ : / _ -.";
    let length = external_id.chars().count();
    if length < 2 {
        return Err(DomainError::invalid(
            "external_id",
            format!("the external id is {length} character(s) long, the minimum is 2"),
            HINT,
        ));
    }
    if length > 1224 {
        return Err(DomainError::invalid(
            "external_id",
            format!("the external id is {length} characters long, the limit is 1224"),
            HINT,
        ));
    }
    if let Some(bad) = external_id.chars().find(|c| !(c.is_ascii_alphanumeric() || "_+=,.@:/-".contains(*c)))
    {
        return Err(DomainError::invalid("external_id", format!("the external id contains {bad:?}"), HINT));
    }
    Ok(())
}

/// What the AWS connection form holds, as typed. [`ConnectionSpec::aws`] validates it.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "specta", derive(specta::Type))]
#[serde(rename_all = "camelCase")]
pub struct AwsConnectionInput {
    pub conn_id: String,
    /// Blank: no `role_arn`, the provider uses the Deployment's own workload identity as
    /// is — Customer Managed Identity, where that identity already is the customer's role.
    pub role_arn: String,
    pub region: String,
    /// Only when the role's trust policy requires `sts:ExternalId`; blank means none.
    #[serde(default)]
    pub external_id: Option<String>,
    /// Assume the role with the pod's web identity token (Customer Managed Identity)
    /// instead of with the Deployment's own role credentials.
    #[serde(default)]
    pub web_identity: bool,
}

/// What the GCP connection form holds, as typed. [`ConnectionSpec::gcp`] validates it.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "specta", derive(specta::Type))]
#[serde(rename_all = "camelCase")]
pub struct GcpConnectionInput {
    pub conn_id: String,
    pub project: String,
    /// The customer's service account the workload identity impersonates; blank means none.
    #[serde(default)]
    pub impersonation_chain: Option<String>,
}

/// Which Astro Environment Manager scope a connection is created in.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[cfg_attr(feature = "specta", derive(specta::Type))]
// Spelled as the Astro API spells `scope`, so the UI and the request body agree.
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
pub enum AstroScopeKind {
    Deployment,
    Workspace,
}

impl AstroScopeKind {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Deployment => "DEPLOYMENT",
            Self::Workspace => "WORKSPACE",
        }
    }
}

/// The Deployment or Workspace an Environment Manager connection belongs to.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "specta", derive(specta::Type))]
#[serde(rename_all = "camelCase")]
pub struct AstroScope {
    pub scope: AstroScopeKind,
    /// The Deployment id or Workspace id (`scopeEntityId` in the API).
    pub entity_id: String,
}

/// A validated connection: everything every format needs, checked once so that rendering
/// can never fail and every format says the same thing.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ConnectionSpec {
    conn_id: String,
    kind: Kind,
    astro_scope: Option<AstroScope>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
enum Kind {
    Aws {
        role_arn: Option<WorkloadIdentityArn>,
        region: String,
        external_id: Option<String>,
        web_identity: bool,
    },
    Gcp {
        project: ProjectId,
        impersonation_chain: Option<ServiceAccountEmail>,
    },
}

/// A blank optional field means "not set": forms send `""` for an untouched input.
fn optional(value: Option<&str>) -> Option<&str> {
    value.map(str::trim).filter(|v| !v.is_empty())
}

impl ConnectionSpec {
    /// `aws` with `role_arn` and `region_name`: the Deployment's identity assumes the role,
    /// with the external id or through the pod's web identity token when asked to. Without
    /// a role ARN, `region_name` only: the Deployment's identity is used as it is.
    pub fn aws(input: &AwsConnectionInput) -> Result<Self, DomainError> {
        validate_conn_id(&input.conn_id)?;
        let role_arn = optional(Some(&input.role_arn))
            .map(|arn| {
                // The ARN parser reports on the workload identity field; here it is the role field.
                WorkloadIdentityArn::parse(arn).map_err(|e| match e {
                    DomainError::Invalid { problem, hint, .. } => {
                        DomainError::invalid("role_arn", problem, hint)
                    }
                })
            })
            .transpose()?;
        validate_region(&input.region)?;
        let external_id = optional(input.external_id.as_deref());
        if role_arn.is_none() && (input.web_identity || external_id.is_some()) {
            let option = if input.web_identity { "web identity" } else { "an external id" };
            return Err(DomainError::invalid(
                "role_arn",
                format!("{option} needs the role ARN to assume"),
                "Give the role's ARN, or clear the option to use the Deployment's own identity.",
            ));
        }
        if let Some(external_id) = external_id {
            validate_external_id(external_id)?;
            if input.web_identity {
                return Err(DomainError::invalid(
                    "external_id",
                    "an external id cannot be used with web identity",
                    "AssumeRoleWithWebIdentity has no external id: clear the field, or assume the \
                     role with the Deployment's identity instead.",
                ));
            }
        }
        Ok(Self {
            conn_id: input.conn_id.clone(),
            kind: Kind::Aws {
                role_arn,
                region: input.region.clone(),
                external_id: external_id.map(str::to_owned),
                web_identity: input.web_identity,
            },
            astro_scope: None,
        })
    }

    /// `google_cloud_platform` with `project`: no key, so the provider uses Application
    /// Default Credentials — the Deployment's workload identity. With `impersonation_chain`,
    /// that identity impersonates the given service account.
    pub fn gcp(input: &GcpConnectionInput) -> Result<Self, DomainError> {
        validate_conn_id(&input.conn_id)?;
        let project = ProjectId::parse(&input.project)?;
        let impersonation_chain =
            optional(input.impersonation_chain.as_deref()).map(ServiceAccountEmail::parse).transpose()?;
        Ok(Self {
            conn_id: input.conn_id.clone(),
            kind: Kind::Gcp { project, impersonation_chain },
            astro_scope: None,
        })
    }

    /// Fills in the Deployment or Workspace for the Environment Manager body; without it
    /// that format shows a placeholder to replace.
    pub fn with_astro_scope(mut self, scope: AstroScope) -> Result<Self, DomainError> {
        let id = scope.entity_id.trim();
        let (what, hint) = match scope.scope {
            AstroScopeKind::Deployment => {
                ("Deployment", "Copy the Deployment ID from its details page in Astro.")
            }
            AstroScopeKind::Workspace => {
                ("Workspace", "Copy the Workspace ID from the Workspace settings in Astro.")
            }
        };
        if id.is_empty() {
            return Err(DomainError::invalid("scope_entity_id", format!("the {what} id is empty"), hint));
        }
        if let Some(bad) = id.chars().find(|c| !(c.is_ascii_alphanumeric() || matches!(c, '_' | '-'))) {
            return Err(DomainError::invalid(
                "scope_entity_id",
                format!("the {what} id contains {bad:?}"),
                hint,
            ));
        }
        if id.len() > 64 {
            return Err(DomainError::invalid(
                "scope_entity_id",
                format!("the {what} id is {} characters long; Astro ids are about 25", id.len()),
                hint,
            ));
        }
        self.astro_scope = Some(AstroScope { scope: scope.scope, entity_id: id.to_owned() });
        Ok(self)
    }

    pub fn conn_id(&self) -> &str {
        &self.conn_id
    }

    pub fn conn_type(&self) -> &'static str {
        match self.kind {
            Kind::Aws { .. } => AWS_CONN_TYPE,
            Kind::Gcp { .. } => GCP_CONN_TYPE,
        }
    }

    /// What the Airflow UI's Connection Type list shows (the provider hook's `hook_name`).
    pub fn conn_type_label(&self) -> &'static str {
        match self.kind {
            Kind::Aws { .. } => "Amazon Web Services",
            Kind::Gcp { .. } => "Google Cloud",
        }
    }

    /// The provider package Airflow needs for this connection type.
    pub fn provider_package(&self) -> &'static str {
        match self.kind {
            Kind::Aws { .. } => AMAZON_PROVIDER,
            Kind::Gcp { .. } => GOOGLE_PROVIDER,
        }
    }

    /// The `requirements.txt` line that installs a provider able to read this connection:
    /// the Google provider reads the short `project` key from 8.5.0 and
    /// `impersonation_chain` from 10.8.0 (checked in the wheels by
    /// `tests/airflow/check_google_keys.py`); any Amazon provider Astro runs reads ours.
    pub fn provider_requirement(&self) -> String {
        match &self.kind {
            Kind::Aws { .. } => AMAZON_PROVIDER.to_owned(),
            Kind::Gcp { impersonation_chain: Some(_), .. } => format!("{GOOGLE_PROVIDER}>=10.8.0"),
            Kind::Gcp { impersonation_chain: None, .. } => format!("{GOOGLE_PROVIDER}>=8.5.0"),
        }
    }

    /// `AIRFLOW_CONN_<CONN_ID upper-cased>`, exactly the name Airflow looks up: a `.` or `-`
    /// in the id stays (and makes the name unusable in most shells and `.env` files).
    pub fn env_var_name(&self) -> String {
        format!("{ENV_PREFIX}{}", self.conn_id.to_uppercase())
    }

    pub fn astro_scope(&self) -> Option<&AstroScope> {
        self.astro_scope.as_ref()
    }

    /// The Extra field, keys in the order people read them (role first, options after).
    pub fn extra(&self) -> Map<String, Value> {
        let mut extra = Map::new();
        match &self.kind {
            Kind::Aws { role_arn, region, external_id, web_identity } => {
                if let Some(role_arn) = role_arn {
                    extra.insert("role_arn".into(), json!(role_arn.as_str()));
                }
                extra.insert("region_name".into(), json!(region));
                if *web_identity {
                    // Key names as read by the Amazon provider's base_aws.py (9.x).
                    extra.insert("assume_role_method".into(), json!("assume_role_with_web_identity"));
                    extra.insert("assume_role_with_web_identity_federation".into(), json!("file"));
                    extra.insert(
                        "assume_role_with_web_identity_token_file".into(),
                        json!(EKS_WEB_IDENTITY_TOKEN_FILE),
                    );
                }
                if let Some(external_id) = external_id {
                    extra.insert("assume_role_kwargs".into(), json!({"ExternalId": external_id}));
                }
            }
            Kind::Gcp { project, impersonation_chain } => {
                extra.insert("project".into(), json!(project.as_str()));
                if let Some(account) = impersonation_chain {
                    extra.insert("impersonation_chain".into(), json!(account.as_str()));
                }
            }
        }
        extra
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
    /// The `requirements.txt` line for it, with the minimum version that reads this extra.
    pub provider_requirement: String,
    /// Every format people paste, in [`ConnectionFormat::ALL`] order; the copy buttons and
    /// the CLI's `--format` print these texts verbatim.
    pub formats: Vec<RenderedFormat>,
}

/// Every shape of one validated connection.
pub fn connection(spec: &ConnectionSpec) -> AirflowConnection {
    AirflowConnection {
        conn_id: spec.conn_id().to_owned(),
        conn_type: spec.conn_type().to_owned(),
        conn_type_label: spec.conn_type_label().to_owned(),
        extra_json: serde_json::to_string_pretty(&spec.extra()).unwrap_or_default(),
        env_var: spec.env_var_name(),
        env_json: render(spec, ConnectionFormat::EnvJson),
        provider_package: spec.provider_package().to_owned(),
        provider_requirement: spec.provider_requirement(),
        formats: render_all(spec),
    }
}

/// `aws` with `role_arn` and `region_name`: the Deployment's identity assumes the role.
pub fn aws_connection(conn_id: &str, role_arn: &str, region: &str) -> Result<AirflowConnection, DomainError> {
    let input = AwsConnectionInput {
        conn_id: conn_id.to_owned(),
        role_arn: role_arn.to_owned(),
        region: region.to_owned(),
        ..AwsConnectionInput::default()
    };
    Ok(connection(&ConnectionSpec::aws(&input)?))
}

/// `google_cloud_platform` with `project`, and `impersonation_chain` when given.
pub fn gcp_connection(
    conn_id: &str,
    project: &str,
    impersonation_chain: Option<&str>,
) -> Result<AirflowConnection, DomainError> {
    let input = GcpConnectionInput {
        conn_id: conn_id.to_owned(),
        project: project.to_owned(),
        impersonation_chain: impersonation_chain.map(str::to_owned),
    };
    Ok(connection(&ConnectionSpec::gcp(&input)?))
}

#[cfg(test)]
mod tests {
    use super::*;

    const ROLE: &str = "arn:aws:iam::123456789012:role/astro-data";

    fn aws(external_id: Option<&str>, web_identity: bool) -> Result<ConnectionSpec, DomainError> {
        ConnectionSpec::aws(&AwsConnectionInput {
            conn_id: "aws_default".into(),
            role_arn: ROLE.into(),
            region: "us-east-1".into(),
            external_id: external_id.map(str::to_owned),
            web_identity,
        })
    }

    #[test]
    fn renders_the_gcp_connection_with_and_without_impersonation() {
        let conn = gcp_connection("google_cloud_default", "astro-data", None).expect("valid");
        assert_eq!(conn.extra_json, "{\n  \"project\": \"astro-data\"\n}");
        assert_eq!(conn.env_var, "AIRFLOW_CONN_GOOGLE_CLOUD_DEFAULT");
        assert_eq!(
            conn.env_json,
            r#"{"conn_type":"google_cloud_platform","extra":{"project":"astro-data"}}"#
        );
        let conn = gcp_connection("gcp", "astro-data", Some("etl-runner@astro-data.iam.gserviceaccount.com"))
            .expect("valid");
        assert_eq!(
            conn.env_json,
            r#"{"conn_type":"google_cloud_platform","extra":{"project":"astro-data","impersonation_chain":"etl-runner@astro-data.iam.gserviceaccount.com"}}"#
        );
        assert_eq!(conn.provider_requirement, "apache-airflow-providers-google>=10.8.0");
        assert_eq!(
            gcp_connection("gcp", "astro-data", None).expect("valid").provider_requirement,
            "apache-airflow-providers-google>=8.5.0"
        );
        assert_eq!(gcp_connection("gcp", "Astro Data", None).expect_err("bad").field(), "project_id");
        let err = gcp_connection("gcp", "astro-data", Some("not-an-email")).expect_err("bad account");
        assert_eq!(err.field(), "service_account");
        // A blank impersonation field means none, as the form sends it.
        let conn = gcp_connection("gcp", "astro-data", Some("  ")).expect("blank");
        assert_eq!(
            conn.env_json,
            r#"{"conn_type":"google_cloud_platform","extra":{"project":"astro-data"}}"#
        );
    }

    #[test]
    fn renders_the_documented_aws_connection() {
        let conn = aws_connection("aws_default", ROLE, "us-east-1").expect("valid");
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
        assert_eq!(conn.provider_requirement, "apache-airflow-providers-amazon");
        let ids: Vec<&str> = conn.formats.iter().map(|f| f.format.as_str()).collect();
        assert_eq!(ids, ["ui", "env-json", "env-uri", "cli", "yaml", "rest", "astro"]);
        assert_eq!(conn.formats[1].text, conn.env_json);
    }

    #[test]
    fn the_role_arn_is_validated_on_its_own_field() {
        let err =
            aws_connection("aws_default", "arn:aws:iam::123:role/x", "us-east-1").expect_err("bad account");
        assert_eq!(err.to_string(), "role_arn: account must be 12 digits, got 3");
        let err = aws_connection("aws_default", "astro-data", "us-east-1").expect_err("not an ARN");
        assert_eq!(err.field(), "role_arn");
        // Pasted quotes and whitespace are dropped, as everywhere else ARNs are pasted.
        let conn = aws_connection("aws_default", &format!(" \"{ROLE}\"\n"), "us-east-1").expect("trimmed");
        assert!(conn.env_json.contains(&format!("\"role_arn\":\"{ROLE}\"")), "{}", conn.env_json);
    }

    #[test]
    fn external_id_becomes_assume_role_kwargs() {
        let spec = aws(Some("  a1b2-c3d4:x/y@z  "), false).expect("valid");
        assert_eq!(
            Value::Object(spec.extra()).to_string(),
            r#"{"role_arn":"arn:aws:iam::123456789012:role/astro-data","region_name":"us-east-1","assume_role_kwargs":{"ExternalId":"a1b2-c3d4:x/y@z"}}"#
        );
        assert_eq!(aws(Some(""), false).expect("blank is none").extra().len(), 2);
        assert_eq!(aws(None, false).expect("none").extra().len(), 2);
    }

    #[test]
    fn external_id_rules() {
        for bad in ["x", "has space", "semi;colon", "quote'", "ünï"] {
            let err = aws(Some(bad), false).expect_err(bad);
            assert_eq!(err.field(), "external_id", "{bad}");
        }
        assert_eq!(
            validate_external_id("x").expect_err("short").to_string(),
            "external_id: the external id is 1 character(s) long, the minimum is 2"
        );
        assert_eq!(
            validate_external_id(&"a".repeat(1225)).expect_err("long").to_string(),
            "external_id: the external id is 1225 characters long, the limit is 1224"
        );
        assert!(validate_external_id(&"a".repeat(1224)).is_ok());
        assert!(validate_external_id("Ab_+=,.@:/-9").is_ok());
    }

    #[test]
    fn without_a_role_arn_the_connection_names_the_region_only() {
        let input = AwsConnectionInput {
            conn_id: "aws_default".into(),
            role_arn: "  ".into(),
            region: "eu-west-1".into(),
            ..AwsConnectionInput::default()
        };
        let spec = ConnectionSpec::aws(&input).expect("valid");
        assert_eq!(Value::Object(spec.extra()), json!({"region_name": "eu-west-1"}));
        for (web_identity, external_id, words) in
            [(true, None, "web identity needs"), (false, Some("ext-1".to_owned()), "an external id needs")]
        {
            let err = ConnectionSpec::aws(&AwsConnectionInput { web_identity, external_id, ..input.clone() })
                .expect_err("needs a role");
            assert_eq!(err.field(), "role_arn");
            assert!(err.to_string().contains(words), "{err}");
        }
    }

    #[test]
    fn web_identity_names_the_providers_keys() {
        let spec = aws(None, true).expect("valid");
        assert_eq!(
            Value::Object(spec.extra()).to_string(),
            r#"{"role_arn":"arn:aws:iam::123456789012:role/astro-data","region_name":"us-east-1","assume_role_method":"assume_role_with_web_identity","assume_role_with_web_identity_federation":"file","assume_role_with_web_identity_token_file":"/var/run/secrets/eks.amazonaws.com/serviceaccount/token"}"#
        );
        let err = aws(Some("vendor-id"), true).expect_err("external id with web identity");
        assert_eq!(err.to_string(), "external_id: an external id cannot be used with web identity");
    }

    #[test]
    fn env_var_name_is_airflows_lookup_exactly() {
        let input = GcpConnectionInput {
            conn_id: "team.data-lake_gcp".into(),
            project: "astro-data".into(),
            ..Default::default()
        };
        let spec = ConnectionSpec::gcp(&input).expect("valid");
        assert_eq!(spec.env_var_name(), "AIRFLOW_CONN_TEAM.DATA-LAKE_GCP");
    }

    #[test]
    fn astro_scope_is_validated_and_trimmed() {
        let spec = aws(None, false).expect("valid");
        let scoped = spec
            .clone()
            .with_astro_scope(AstroScope {
                scope: AstroScopeKind::Deployment,
                entity_id: " clx1abc2d0001 ".into(),
            })
            .expect("valid id");
        assert_eq!(scoped.astro_scope().map(|s| s.entity_id.as_str()), Some("clx1abc2d0001"));
        for bad in ["", "  ", "has space", "a/b"] {
            let err = spec
                .clone()
                .with_astro_scope(AstroScope { scope: AstroScopeKind::Workspace, entity_id: bad.into() })
                .expect_err(bad);
            assert_eq!(err.field(), "scope_entity_id", "{bad:?}");
        }
        let err = spec
            .with_astro_scope(AstroScope { scope: AstroScopeKind::Deployment, entity_id: "x".repeat(65) })
            .expect_err("long");
        assert!(err.to_string().contains("Deployment id is 65 characters long"), "{err}");
        assert_eq!(serde_json::to_string(&AstroScopeKind::Workspace).expect("serialize"), "\"WORKSPACE\"");
    }

    #[test]
    fn inputs_deserialize_from_the_ui_shape() {
        let input: AwsConnectionInput =
            serde_json::from_str(r#"{"connId":"aws_default","roleArn":"x","region":"us-east-1"}"#)
                .expect("json");
        assert_eq!(input.external_id, None);
        assert!(!input.web_identity);
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
        assert_eq!(
            validate_conn_id("a..b").expect_err("dots").to_string(),
            "conn_id: the connection id contains two dots in a row"
        );
        assert!(validate_conn_id("a.b-c_d").is_ok());
        for bad in ["useast1", "US-EAST-1", "us-east-", "us-east-x"] {
            assert_eq!(validate_region(bad).expect_err(bad).field(), "region_name", "{bad}");
        }
        for good in ["us-east-1", "eu-central-2", "us-gov-west-1", "cn-north-1", "ap-southeast-4"] {
            assert!(validate_region(good).is_ok(), "{good}");
        }
    }
}
