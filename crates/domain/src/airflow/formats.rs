//! Every form of one connection people paste somewhere, rendered from a validated
//! [`ConnectionSpec`] so that all of them say the same thing.
//!
//! Rules shared by all formats:
//! - `text` is exactly what the copy button copies and what the CLI's `--format <id>`
//!   prints: no trailing newline (printers add their own).
//! - Environment-variable formats hold the *value* only, since that is what goes into
//!   Astro's Environment Variables value field; the name is in `env_var` (and the label),
//!   so nobody pastes `NAME=` into a value field.
//!
//! Each format was checked against Airflow's own parsing code (`tests/airflow/`).

use std::fmt::{self, Write as _};
use std::str::FromStr;

use serde::{Deserialize, Serialize};
use serde_json::{Value, json};

use super::{AstroScopeKind, ConnectionSpec};
use crate::DomainError;

/// The formats, by the stable id the UI and the CLI's `--format` share.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[cfg_attr(feature = "specta", derive(specta::Type))]
// The CLI's ids ("env-json"), not camelCase: one spelling everywhere.
#[serde(rename_all = "kebab-case")]
pub enum ConnectionFormat {
    /// The Airflow UI's form: Connection Id, Connection Type, Extra.
    Ui,
    /// `AIRFLOW_CONN_<ID>` in JSON form (Airflow 2.3 and later).
    EnvJson,
    /// `AIRFLOW_CONN_<ID>` in URI form (every Airflow version).
    EnvUri,
    /// `airflow connections add … --conn-json …`.
    Cli,
    /// The Astro CLI's `airflow_settings.yaml`.
    Yaml,
    /// The body of `POST /api/v2/connections` (Airflow 3) and `/api/v1/connections` (Airflow 2).
    Rest,
    /// The body of the Astro API's Environment Manager `environment-objects` call.
    Astro,
}

impl ConnectionFormat {
    /// Every format, in the order the UI lists them.
    pub const ALL: [Self; 7] =
        [Self::Ui, Self::EnvJson, Self::EnvUri, Self::Cli, Self::Yaml, Self::Rest, Self::Astro];

    pub fn as_str(self) -> &'static str {
        match self {
            Self::Ui => "ui",
            Self::EnvJson => "env-json",
            Self::EnvUri => "env-uri",
            Self::Cli => "cli",
            Self::Yaml => "yaml",
            Self::Rest => "rest",
            Self::Astro => "astro",
        }
    }
}

impl fmt::Display for ConnectionFormat {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl FromStr for ConnectionFormat {
    type Err = DomainError;

    /// Exactly one of the ids (surrounding whitespace ignored): scripts depend on them.
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        let id = s.trim();
        Self::ALL.into_iter().find(|f| f.as_str() == id).ok_or_else(|| {
            let ids: Vec<&str> = Self::ALL.iter().map(|f| f.as_str()).collect();
            DomainError::invalid(
                "format",
                format!("unknown format {id:?}"),
                format!("Use one of: {}.", ids.join(", ")),
            )
        })
    }
}

/// One format, ready to show and copy.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "specta", derive(specta::Type))]
#[serde(rename_all = "camelCase")]
pub struct RenderedFormat {
    pub format: ConnectionFormat,
    /// A short title for the format.
    pub label: String,
    /// What to copy, verbatim.
    pub text: String,
    /// Where it goes, or what to fill in first.
    pub note: Option<String>,
    /// For the environment-variable formats: the variable `text` is the value of.
    pub env_var: Option<String>,
}

/// Shown in the Astro body until a Deployment is chosen.
pub const DEPLOYMENT_PLACEHOLDER: &str = "<DEPLOYMENT_ID>";

/// Every format, in [`ConnectionFormat::ALL`] order.
pub fn render_all(spec: &ConnectionSpec) -> Vec<RenderedFormat> {
    ConnectionFormat::ALL.into_iter().map(|format| rendered(spec, format)).collect()
}

/// One format's text: what [`render_all`] holds for it.
pub fn render(spec: &ConnectionSpec, format: ConnectionFormat) -> String {
    match format {
        ConnectionFormat::Ui => format!(
            "Connection Id: {}\nConnection Type: {}\nExtra: {}",
            spec.conn_id(),
            spec.conn_type_label(),
            extra_json(spec)
        ),
        ConnectionFormat::EnvJson => {
            json!({"conn_type": spec.conn_type(), "extra": spec.extra()}).to_string()
        }
        ConnectionFormat::EnvUri => env_uri(spec),
        ConnectionFormat::Cli => format!(
            "airflow connections add {} --conn-json {}",
            shell_quote(spec.conn_id()),
            shell_quote(&render(spec, ConnectionFormat::EnvJson))
        ),
        ConnectionFormat::Yaml => yaml(spec),
        ConnectionFormat::Rest => json!({
            "connection_id": spec.conn_id(),
            "conn_type": spec.conn_type(),
            "extra": extra_json(spec),
        })
        .to_string(),
        ConnectionFormat::Astro => {
            let (scope, entity_id) = match spec.astro_scope() {
                Some(scope) => (scope.scope, scope.entity_id.as_str()),
                None => (AstroScopeKind::Deployment, DEPLOYMENT_PLACEHOLDER),
            };
            json!({
                "objectKey": spec.conn_id(),
                "objectType": "CONNECTION",
                "scope": scope.as_str(),
                "scopeEntityId": entity_id,
                "connection": {"type": spec.conn_type(), "extra": spec.extra()},
            })
            .to_string()
        }
    }
}

fn rendered(spec: &ConnectionSpec, format: ConnectionFormat) -> RenderedFormat {
    let env_var = spec.env_var_name();
    let env_note = |form: &str| {
        let mut note = format!(
            "Set the environment variable {env_var} to this value ({form}). Connections from \
             environment variables do not show in the Airflow UI."
        );
        if spec.conn_id().contains(['.', '-']) {
            let _ = write!(
                note,
                " The name contains '.' or '-', which most shells and .env files cannot set: for \
                 environment variables prefer a connection id of letters, digits and '_'."
            );
        }
        note
    };
    let (label, note, env_var) = match format {
        ConnectionFormat::Ui => {
            // The Google provider hides Extra in Airflow 2's form (its ui-field-behaviour);
            // Airflow 3's form always has "Extra Fields JSON".
            let fields = match spec.conn_type() {
                "google_cloud_platform" => {
                    "Airflow 3: paste Extra into \"Extra Fields JSON\". Airflow 2 hides Extra for Google \
                     Cloud: type the project into Project Id (and the account into Impersonation Chain)."
                }
                _ => "Airflow 3 calls the Extra field \"Extra Fields JSON\".",
            };
            let note = format!(
                "Admin → Connections → Add. {fields} A connection with the same id in a secrets backend, \
                 Astro's Environment Manager or an AIRFLOW_CONN_ variable takes precedence."
            );
            ("Airflow UI".to_owned(), Some(note), None)
        }
        ConnectionFormat::EnvJson => {
            (format!("{env_var} (JSON)"), Some(env_note("JSON form, Airflow 2.3 or later")), Some(env_var))
        }
        ConnectionFormat::EnvUri => {
            (format!("{env_var} (URI)"), Some(env_note("URI form, any Airflow version")), Some(env_var))
        }
        ConnectionFormat::Cli => (
            "Airflow CLI".to_owned(),
            Some("Run it where Airflow is installed, e.g. in `astro dev bash`.".to_owned()),
            None,
        ),
        ConnectionFormat::Yaml => (
            "Astro CLI airflow_settings.yaml".to_owned(),
            Some(
                "Local development only: `astro dev start` or `astro dev object import` loads it. \
                 Uses conn_uri because the Astro CLI drops a conn_extra mapping without an error."
                    .to_owned(),
            ),
            None,
        ),
        ConnectionFormat::Rest => (
            "Airflow REST API".to_owned(),
            Some(
                "POST this body to /api/v2/connections (Airflow 3) or /api/v1/connections \
                 (Airflow 2); extra is a JSON string there."
                    .to_owned(),
            ),
            None,
        ),
        ConnectionFormat::Astro => {
            let mut note = "POST this body to https://api.astronomer.io/v1/organizations/<ORGANIZATION_ID>/\
                            environment-objects with an Astro API token; extra is an object there."
                .to_owned();
            if spec.astro_scope().is_none() {
                let _ = write!(
                    note,
                    " Replace {DEPLOYMENT_PLACEHOLDER} with the Deployment's ID first (or use scope \
                     WORKSPACE with a Workspace ID)."
                );
            }
            ("Astro Environment Manager (API)".to_owned(), Some(note), None)
        }
    };
    RenderedFormat { format, label, text: render(spec, format), note, env_var }
}

fn extra_json(spec: &ConnectionSpec) -> String {
    Value::Object(spec.extra()).to_string()
}

/// `<scheme>://?k=v&…`: the scheme is the conn type with `_` → `-` (RFC 3986 has no `_` in
/// schemes; Airflow maps it back), no host, login or schema.
///
/// Each key and value is `quote_plus`-encoded. The whole extra travels as one
/// `__extra__=<JSON>` instead when a value is not a string (query values are always
/// strings) or is a string Airflow 3 would decode as JSON (it `json.loads` each value).
fn env_uri(spec: &ConnectionSpec) -> String {
    let scheme = spec.conn_type().replace('_', "-");
    let extra = spec.extra();
    let plain =
        extra.values().all(|value| value.as_str().is_some_and(|s| serde_json::from_str::<Value>(s).is_err()));
    let query = if plain {
        let pairs: Vec<String> = extra
            .iter()
            .map(|(key, value)| {
                format!("{}={}", quote_plus(key), quote_plus(value.as_str().unwrap_or_default()))
            })
            .collect();
        pairs.join("&")
    } else {
        format!("__extra__={}", quote_plus(&Value::Object(extra).to_string()))
    };
    format!("{scheme}://?{query}")
}

/// Python's `urllib.parse.quote_plus(text)`: UTF-8 bytes, letters, digits and `_.-~` kept,
/// space as `+`, everything else `%XX` in upper case.
pub fn quote_plus(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for byte in text.bytes() {
        match byte {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'_' | b'.' | b'-' | b'~' => out.push(char::from(byte)),
            b' ' => out.push('+'),
            _ => {
                let _ = write!(out, "%{byte:02X}");
            }
        }
    }
    out
}

/// One POSIX shell word: single quotes, each `'` written as `'\''`.
pub fn shell_quote(text: &str) -> String {
    format!("'{}'", text.replace('\'', r"'\''"))
}

/// The `airflow_settings.yaml` fragment. Always `conn_uri`: the Astro CLI turns a
/// `conn_extra` mapping into `--conn-extra` only when its YAML library hands it a
/// `map[interface{}]interface{}`, which current versions do not — the extra is dropped
/// without an error (astro-cli issue #1591, seen with `aws`) — and keeps only string values
/// even then. The URI goes to `airflow connections add --conn-uri` untouched.
fn yaml(spec: &ConnectionSpec) -> String {
    format!(
        "airflow:\n  connections:\n    - conn_id: {}\n      \
         # {} connection. conn_uri, not conn_extra: the Astro CLI drops a conn_extra mapping without an error.\n      \
         conn_uri: {}",
        yaml_scalar(spec.conn_id()),
        spec.conn_type_label(),
        yaml_scalar(&env_uri(spec))
    )
}

/// Words YAML 1.1 (PyYAML, go-yaml v2) reads as booleans or null when unquoted.
const YAML_RESERVED: [&str; 9] = ["y", "n", "yes", "no", "true", "false", "on", "off", "null"];

/// A YAML scalar that reads back as exactly `text`, a string, in YAML 1.1 and 1.2 parsers:
/// plain when that is unambiguous (a letter or `_` first, then letters, digits, `_ . -`,
/// and not a boolean or null word), single-quoted otherwise, double-quoted JSON-style when
/// the text has characters single quotes cannot carry (line breaks, controls).
pub fn yaml_scalar(text: &str) -> String {
    let plain = text.starts_with(|c: char| c.is_ascii_alphabetic() || c == '_')
        && text.chars().all(|c| c.is_ascii_alphanumeric() || matches!(c, '_' | '.' | '-'))
        && !YAML_RESERVED.contains(&text.to_ascii_lowercase().as_str());
    if plain {
        return text.to_owned();
    }
    let needs_escapes =
        text.chars().any(|c| c.is_control() || matches!(c, '\u{2028}' | '\u{2029}' | '\u{feff}'));
    if needs_escapes {
        // A JSON string is a valid YAML double-quoted scalar (serde_json never writes `\/`).
        let mut quoted = String::from("\"");
        for c in text.chars() {
            match c {
                '"' => quoted.push_str("\\\""),
                '\\' => quoted.push_str("\\\\"),
                '\n' => quoted.push_str("\\n"),
                '\t' => quoted.push_str("\\t"),
                c if c.is_control() || matches!(c, '\u{2028}' | '\u{2029}' | '\u{feff}') => {
                    let _ = write!(quoted, "\\u{:04X}", u32::from(c));
                }
                c => quoted.push(c),
            }
        }
        quoted.push('"');
        return quoted;
    }
    format!("'{}'", text.replace('\'', "''"))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::airflow::{AstroScope, AwsConnectionInput, GcpConnectionInput};

    fn aws(conn_id: &str, external_id: Option<&str>, web_identity: bool) -> ConnectionSpec {
        ConnectionSpec::aws(&AwsConnectionInput {
            conn_id: conn_id.into(),
            role_arn: "arn:aws:iam::123456789012:role/astro-data".into(),
            region: "us-east-1".into(),
            external_id: external_id.map(str::to_owned),
            web_identity,
        })
        .expect("valid")
    }

    fn gcp(chain: Option<&str>) -> ConnectionSpec {
        ConnectionSpec::gcp(&GcpConnectionInput {
            conn_id: "google_cloud_default".into(),
            project: "astro-data".into(),
            impersonation_chain: chain.map(str::to_owned),
        })
        .expect("valid")
    }

    #[test]
    fn format_ids_round_trip_and_errors_list_them() {
        for format in ConnectionFormat::ALL {
            assert_eq!(format.as_str().parse::<ConnectionFormat>().expect("id"), format);
            assert_eq!(serde_json::to_string(&format).expect("json"), format!("\"{format}\""));
        }
        assert_eq!(" env-uri\n".parse::<ConnectionFormat>().expect("trimmed"), ConnectionFormat::EnvUri);
        let err = "json".parse::<ConnectionFormat>().expect_err("unknown");
        assert_eq!(err.to_string(), "format: unknown format \"json\"");
        assert_eq!(err.hint(), "Use one of: ui, env-json, env-uri, cli, yaml, rest, astro.");
        assert!("ENV-JSON".parse::<ConnectionFormat>().is_err());
    }

    #[test]
    fn ui_is_three_lines_with_compact_extra() {
        assert_eq!(
            render(&aws("aws_default", None, false), ConnectionFormat::Ui),
            "Connection Id: aws_default\nConnection Type: Amazon Web Services\n\
             Extra: {\"role_arn\":\"arn:aws:iam::123456789012:role/astro-data\",\"region_name\":\"us-east-1\"}"
        );
        assert_eq!(
            render(&gcp(None), ConnectionFormat::Ui),
            "Connection Id: google_cloud_default\nConnection Type: Google Cloud\nExtra: {\"project\":\"astro-data\"}"
        );
    }

    #[test]
    fn ui_note_says_where_extra_goes() {
        let aws_note = render_all(&aws("aws_default", None, false))[0].note.clone().unwrap_or_default();
        assert!(aws_note.contains("Extra Fields JSON") && !aws_note.contains("Project Id"), "{aws_note}");
        let gcp_note = render_all(&gcp(None))[0].note.clone().unwrap_or_default();
        assert!(gcp_note.contains("Project Id") && gcp_note.contains("Impersonation Chain"), "{gcp_note}");
    }

    #[test]
    fn env_formats_hold_the_value_and_name_the_variable() {
        let all = render_all(&aws("aws_default", None, false));
        let json = &all[1];
        assert_eq!(json.format, ConnectionFormat::EnvJson);
        assert_eq!(json.env_var.as_deref(), Some("AIRFLOW_CONN_AWS_DEFAULT"));
        assert_eq!(json.label, "AIRFLOW_CONN_AWS_DEFAULT (JSON)");
        assert!(json.text.starts_with("{\"conn_type\":\"aws\""), "{}", json.text);
        assert!(!json.note.as_deref().unwrap_or_default().contains("cannot set"));
        let uri = &all[2];
        assert_eq!(uri.env_var.as_deref(), Some("AIRFLOW_CONN_AWS_DEFAULT"));
        assert!(all.iter().filter(|f| f.env_var.is_some()).count() == 2);
        assert!(all.iter().all(|f| !f.text.ends_with('\n')));

        let dotted = render_all(&aws("team.data-lake", None, false));
        assert_eq!(dotted[1].env_var.as_deref(), Some("AIRFLOW_CONN_TEAM.DATA-LAKE"));
        assert!(dotted[1].note.as_deref().unwrap_or_default().contains("cannot set"));
    }

    #[test]
    fn env_uri_quotes_like_python_and_falls_back_to_extra() {
        assert_eq!(
            render(&aws("aws_default", None, false), ConnectionFormat::EnvUri),
            "aws://?role_arn=arn%3Aaws%3Aiam%3A%3A123456789012%3Arole%2Fastro-data&region_name=us-east-1"
        );
        assert_eq!(
            render(&aws("aws_default", Some("ext-1"), false), ConnectionFormat::EnvUri),
            "aws://?__extra__=%7B%22role_arn%22%3A%22arn%3Aaws%3Aiam%3A%3A123456789012%3Arole%2Fastro-data%22%2C\
             %22region_name%22%3A%22us-east-1%22%2C%22assume_role_kwargs%22%3A%7B%22ExternalId%22%3A%22ext-1%22%7D%7D"
        );
        assert_eq!(
            render(&gcp(Some("etl-runner@astro-data.iam.gserviceaccount.com")), ConnectionFormat::EnvUri),
            "google-cloud-platform://?project=astro-data&impersonation_chain=etl-runner%40astro-data.iam.gserviceaccount.com"
        );
    }

    #[test]
    fn quote_plus_matches_python() {
        // Expected values from CPython's urllib.parse.quote_plus.
        assert_eq!(quote_plus("a b+c/d~e_f.g-h"), "a+b%2Bc%2Fd~e_f.g-h");
        assert_eq!(quote_plus("é€'\"&=?#%"), "%C3%A9%E2%82%AC%27%22%26%3D%3F%23%25");
        assert_eq!(quote_plus(""), "");
    }

    #[test]
    fn cli_single_quotes_for_posix_shells() {
        assert_eq!(
            render(&gcp(None), ConnectionFormat::Cli),
            "airflow connections add 'google_cloud_default' --conn-json \
             '{\"conn_type\":\"google_cloud_platform\",\"extra\":{\"project\":\"astro-data\"}}'"
        );
        assert_eq!(shell_quote("it's"), r"'it'\''s'");
        assert_eq!(shell_quote(""), "''");
    }

    #[test]
    fn yaml_uses_conn_uri_with_a_comment() {
        assert_eq!(
            render(&aws("aws_default", None, false), ConnectionFormat::Yaml),
            "airflow:\n  connections:\n    - conn_id: aws_default\n      \
             # Amazon Web Services connection. conn_uri, not conn_extra: the Astro CLI drops a conn_extra mapping without an error.\n      \
             conn_uri: 'aws://?role_arn=arn%3Aaws%3Aiam%3A%3A123456789012%3Arole%2Fastro-data&region_name=us-east-1'"
        );
    }

    #[test]
    fn yaml_scalars_read_back_as_strings() {
        for plain in ["aws_default", "team.data-lake", "_x", "Yesterday", "a1"] {
            assert_eq!(yaml_scalar(plain), plain);
        }
        for (text, quoted) in [
            ("yes", "'yes'"),
            ("No", "'No'"),
            ("off", "'off'"),
            ("y", "'y'"),
            ("null", "'null'"),
            ("", "''"),
            ("123", "'123'"),
            ("1e3", "'1e3'"),
            ("0x1F", "'0x1F'"),
            (".inf", "'.inf'"),
            ("2024-01-02", "'2024-01-02'"),
            ("-dash", "'-dash'"),
            ("a: b", "'a: b'"),
            ("a #b", "'a #b'"),
            ("it's", "'it''s'"),
            ("@x", "'@x'"),
            ("x@y", "'x@y'"),
            ("*ref", "'*ref'"),
            ("aws://?a=b", "'aws://?a=b'"),
        ] {
            assert_eq!(yaml_scalar(text), quoted, "{text:?}");
        }
        assert_eq!(yaml_scalar("a\nb\t\"c\\\u{1}"), "\"a\\nb\\t\\\"c\\\\\\u0001\"");
        assert_eq!(yaml_scalar("x\u{2028}"), "\"x\\u2028\"");
    }

    #[test]
    fn rest_body_has_extra_as_a_string() {
        let body: Value =
            serde_json::from_str(&render(&aws("aws_default", Some("ext-1"), false), ConnectionFormat::Rest))
                .expect("json");
        assert_eq!(body["connection_id"], "aws_default");
        assert_eq!(body["conn_type"], "aws");
        let extra: Value = serde_json::from_str(body["extra"].as_str().expect("a string")).expect("json");
        assert_eq!(extra["assume_role_kwargs"]["ExternalId"], "ext-1");
        let note = render_all(&gcp(None))[5].note.clone().unwrap_or_default();
        assert!(note.contains("/api/v2/connections") && note.contains("/api/v1/connections"), "{note}");
    }

    #[test]
    fn astro_body_uses_the_scope_or_a_visible_placeholder() {
        let spec = gcp(None);
        let text = render(&spec, ConnectionFormat::Astro);
        assert_eq!(
            text,
            r#"{"objectKey":"google_cloud_default","objectType":"CONNECTION","scope":"DEPLOYMENT","scopeEntityId":"<DEPLOYMENT_ID>","connection":{"type":"google_cloud_platform","extra":{"project":"astro-data"}}}"#
        );
        let note = render_all(&spec)[6].note.clone().unwrap_or_default();
        assert!(note.contains("Replace <DEPLOYMENT_ID>"), "{note}");

        let scoped = spec
            .with_astro_scope(AstroScope { scope: AstroScopeKind::Workspace, entity_id: "clws123".into() })
            .expect("valid");
        let body: Value = serde_json::from_str(&render(&scoped, ConnectionFormat::Astro)).expect("json");
        assert_eq!(body["scope"], "WORKSPACE");
        assert_eq!(body["scopeEntityId"], "clws123");
        assert!(body["connection"]["extra"].is_object());
        assert!(!render_all(&scoped)[6].note.clone().unwrap_or_default().contains("Replace"));
    }

    #[test]
    fn every_format_is_rendered_once_in_order() {
        let spec = aws("aws_default", None, true);
        let all = render_all(&spec);
        for (rendered, format) in all.iter().zip(ConnectionFormat::ALL) {
            assert_eq!(rendered.format, format);
            assert_eq!(rendered.text, render(&spec, format));
            assert!(!rendered.label.is_empty());
        }
        let json = serde_json::to_value(&all[0]).expect("json");
        assert_eq!(json["format"], "ui");
        assert!(json.get("envVar").is_some());
    }
}
