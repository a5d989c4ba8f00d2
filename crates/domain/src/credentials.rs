//! What credentials this machine already has, as the home screen and `doctor` show them.
//!
//! The cloud crate reads files and the keyring; this module only classifies what was read
//! and renders it. Nothing here holds a secret: AWS keys are reported as "static keys",
//! never by value, and ADC files are parsed into their non-secret fields only.

use std::fmt::Write as _;

use serde::{Deserialize, Serialize};

use crate::secret_key::SecretKey;

/// Everything the home screen shows about credentials.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "specta", derive(specta::Type))]
#[serde(rename_all = "camelCase")]
pub struct CredentialSummary {
    pub aws: AwsSummary,
    pub gcp: GcpSummary,
    pub keyring: KeyringSummary,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "specta", derive(specta::Type))]
#[serde(rename_all = "camelCase")]
pub struct AwsSummary {
    /// Where the config file was looked for (shown so people know which file we read).
    pub config_file: String,
    pub credentials_file: String,
    /// Sorted by name.
    pub profiles: Vec<AwsProfile>,
    /// Set when the files exist but could not be read or parsed.
    pub problem: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "specta", derive(specta::Type))]
#[serde(rename_all = "camelCase")]
pub struct AwsProfile {
    pub name: String,
    pub kind: AwsProfileKind,
    pub region: Option<String>,
    /// The account the profile signs in to, when the file says so (SSO profiles do).
    pub account_id: Option<String>,
    /// The SSO permission set or the role the profile assumes.
    pub role: Option<String>,
}

/// How a profile obtains credentials, in the order the AWS SDKs prefer them.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "specta", derive(specta::Type))]
#[serde(rename_all = "camelCase")]
pub enum AwsProfileKind {
    /// IAM Identity Center (`sso_session` or legacy `sso_start_url`).
    Sso,
    /// `role_arn` with a `source_profile` or `credential_source`.
    AssumeRole,
    /// `role_arn` with `web_identity_token_file`.
    WebIdentity,
    /// `credential_process`.
    CredentialProcess,
    /// `aws_access_key_id` in a file (the keys themselves are never read into the summary).
    StaticKeys,
    /// Only settings such as `region`: credentials come from elsewhere.
    SettingsOnly,
}

impl AwsProfileKind {
    pub fn label(self) -> &'static str {
        match self {
            Self::Sso => "SSO",
            Self::AssumeRole => "assume role",
            Self::WebIdentity => "web identity",
            Self::CredentialProcess => "credential process",
            Self::StaticKeys => "static keys",
            Self::SettingsOnly => "settings only",
        }
    }
}

/// Classifies one profile from its properties, given as a lookup so that any parser's
/// profile type can be used.
pub fn classify_aws_profile(get: impl Fn(&str) -> Option<String>) -> AwsProfileKind {
    let has = |key: &str| get(key).is_some_and(|v| !v.trim().is_empty());
    if has("role_arn") && has("web_identity_token_file") {
        AwsProfileKind::WebIdentity
    } else if has("role_arn") {
        AwsProfileKind::AssumeRole
    } else if has("sso_session") || has("sso_start_url") {
        AwsProfileKind::Sso
    } else if has("credential_process") {
        AwsProfileKind::CredentialProcess
    } else if has("aws_access_key_id") {
        AwsProfileKind::StaticKeys
    } else {
        AwsProfileKind::SettingsOnly
    }
}

/// Builds the summary of one profile from its properties.
pub fn describe_aws_profile(name: &str, get: impl Fn(&str) -> Option<String>) -> AwsProfile {
    let kind = classify_aws_profile(&get);
    let non_empty = |key: &str| get(key).filter(|v| !v.trim().is_empty());
    let role = match kind {
        AwsProfileKind::Sso => non_empty("sso_role_name"),
        AwsProfileKind::AssumeRole | AwsProfileKind::WebIdentity => non_empty("role_arn"),
        _ => None,
    };
    let account_id = non_empty("sso_account_id")
        .or_else(|| non_empty("role_arn").and_then(|arn| arn.split(':').nth(4).map(str::to_owned)));
    AwsProfile {
        name: name.to_owned(),
        kind,
        region: non_empty("region"),
        account_id: account_id.filter(|a| !a.is_empty()),
        role,
    }
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "specta", derive(specta::Type))]
#[serde(rename_all = "camelCase")]
pub struct GcpSummary {
    /// The file Application Default Credentials come from, or would come from.
    pub adc_path: String,
    /// True when the path came from `GOOGLE_APPLICATION_CREDENTIALS`.
    pub from_env: bool,
    pub adc: AdcStatus,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "specta", derive(specta::Type))]
#[serde(tag = "state", rename_all = "camelCase")]
pub enum AdcStatus {
    Found(AdcCredentials),
    Missing,
    Unreadable { reason: String },
}

/// The non-secret facts of an ADC file.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "specta", derive(specta::Type))]
#[serde(rename_all = "camelCase")]
pub struct AdcCredentials {
    /// The file's `type`: `authorized_user`, `service_account`, `external_account`,
    /// `impersonated_service_account`, ...
    pub kind: String,
    /// Who the credentials act as, when the file says so.
    pub principal: Option<String>,
    /// `project_id` or `quota_project_id`.
    pub project: Option<String>,
}

/// Only the fields we report; serde skips everything else, so private keys and refresh
/// tokens are never copied out of the file's text.
#[derive(Deserialize)]
struct AdcFile {
    #[serde(rename = "type")]
    kind: Option<String>,
    client_email: Option<String>,
    account: Option<String>,
    audience: Option<String>,
    service_account_impersonation_url: Option<String>,
    project_id: Option<String>,
    quota_project_id: Option<String>,
}

/// Parses the text of an ADC file. The error says what is wrong without quoting the file.
pub fn parse_adc(text: &str) -> Result<AdcCredentials, String> {
    let file: AdcFile = serde_json::from_str(text)
        .map_err(|e| format!("not a credentials JSON file (line {}, column {})", e.line(), e.column()))?;
    let kind =
        file.kind.filter(|k| !k.is_empty()).ok_or_else(|| String::from("the file has no \"type\" field"))?;
    let non_empty = |v: Option<String>| v.filter(|s| !s.is_empty());
    let impersonated = non_empty(file.service_account_impersonation_url).and_then(|url| {
        let tail = url.rsplit_once("/serviceAccounts/")?.1;
        Some(tail.split(':').next().unwrap_or(tail).to_owned())
    });
    let principal = non_empty(file.client_email)
        .or(impersonated)
        .or(non_empty(file.account))
        .or(non_empty(file.audience));
    Ok(AdcCredentials {
        kind,
        principal,
        project: non_empty(file.project_id).or(non_empty(file.quota_project_id)),
    })
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "specta", derive(specta::Type))]
#[serde(rename_all = "camelCase")]
pub struct KeyringSummary {
    /// `None` when the keyring works; otherwise why it does not, in plain words.
    pub unavailable: Option<String>,
    /// The secrets this app holds, by address (never by value).
    pub held: Vec<SecretKey>,
}

/// The plain-text form of the summary, printed by `astro-identity-cli doctor`.
pub fn render_text(summary: &CredentialSummary) -> String {
    let mut out = String::new();
    // Writing to a String cannot fail.
    let _ = render_into(&mut out, summary);
    out
}

fn render_into(out: &mut String, s: &CredentialSummary) -> std::fmt::Result {
    writeln!(out, "AWS profiles ({} found)", s.aws.profiles.len())?;
    writeln!(out, "  config:      {}", s.aws.config_file)?;
    writeln!(out, "  credentials: {}", s.aws.credentials_file)?;
    if let Some(problem) = &s.aws.problem {
        writeln!(out, "  problem: {problem}")?;
    }
    for p in &s.aws.profiles {
        write!(out, "  - {} [{}]", p.name, p.kind.label())?;
        if let Some(account) = &p.account_id {
            write!(out, " account {account}")?;
        }
        if let Some(role) = &p.role {
            write!(out, " role {role}")?;
        }
        if let Some(region) = &p.region {
            write!(out, " region {region}")?;
        }
        writeln!(out)?;
    }
    writeln!(out)?;
    writeln!(out, "GCP Application Default Credentials")?;
    let origin = if s.gcp.from_env { " (from GOOGLE_APPLICATION_CREDENTIALS)" } else { "" };
    writeln!(out, "  file: {}{origin}", s.gcp.adc_path)?;
    match &s.gcp.adc {
        AdcStatus::Found(adc) => {
            write!(out, "  found: {}", adc.kind)?;
            if let Some(principal) = &adc.principal {
                write!(out, " as {principal}")?;
            }
            if let Some(project) = &adc.project {
                write!(out, " project {project}")?;
            }
            writeln!(out)?;
        }
        AdcStatus::Missing => writeln!(
            out,
            "  not found (run `gcloud auth application-default login`, or store a key in the keyring)"
        )?,
        AdcStatus::Unreadable { reason } => writeln!(out, "  unreadable: {reason}")?,
    }
    writeln!(out)?;
    writeln!(out, "Secrets held in the OS keyring")?;
    match &s.keyring.unavailable {
        Some(reason) => writeln!(out, "  keyring unavailable: {reason}")?,
        None if s.keyring.held.is_empty() => writeln!(out, "  none")?,
        None => {
            for key in &s.keyring.held {
                writeln!(out, "  - {key}")?;
            }
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use std::collections::HashMap;

    use super::*;
    use crate::secret_key::{ProfileName, Provider};

    fn profile(pairs: &[(&str, &str)]) -> impl Fn(&str) -> Option<String> {
        let map: HashMap<String, String> =
            pairs.iter().map(|(k, v)| (k.to_string(), v.to_string())).collect();
        move |key| map.get(key).cloned()
    }

    #[test]
    fn classifies_every_profile_kind() {
        let cases: [(&[(&str, &str)], AwsProfileKind); 8] = [
            (&[("sso_session", "corp"), ("sso_account_id", "111122223333")], AwsProfileKind::Sso),
            (&[("sso_start_url", "https://x.awsapps.com/start")], AwsProfileKind::Sso),
            (&[("role_arn", "arn:aws:iam::1:role/r"), ("source_profile", "d")], AwsProfileKind::AssumeRole),
            (
                &[("role_arn", "arn:aws:iam::1:role/r"), ("web_identity_token_file", "/t")],
                AwsProfileKind::WebIdentity,
            ),
            (&[("credential_process", "/bin/creds")], AwsProfileKind::CredentialProcess),
            (&[("aws_access_key_id", "AKIDEXAMPLE")], AwsProfileKind::StaticKeys),
            (&[("region", "eu-west-1")], AwsProfileKind::SettingsOnly),
            (&[("aws_access_key_id", "  ")], AwsProfileKind::SettingsOnly),
        ];
        for (pairs, expected) in cases {
            assert_eq!(classify_aws_profile(profile(pairs)), expected, "{pairs:?}");
        }
    }

    #[test]
    fn describes_sso_and_assume_role_profiles() {
        let sso = describe_aws_profile(
            "dev",
            profile(&[
                ("sso_session", "corp"),
                ("sso_account_id", "111122223333"),
                ("sso_role_name", "DataEngineer"),
                ("region", "us-east-2"),
            ]),
        );
        assert_eq!(
            sso,
            AwsProfile {
                name: "dev".into(),
                kind: AwsProfileKind::Sso,
                region: Some("us-east-2".into()),
                account_id: Some("111122223333".into()),
                role: Some("DataEngineer".into()),
            }
        );
        let assume = describe_aws_profile(
            "admin",
            profile(&[("role_arn", "arn:aws:iam::444455556666:role/Admin"), ("source_profile", "dev")]),
        );
        assert_eq!(assume.account_id.as_deref(), Some("444455556666"));
        assert_eq!(assume.role.as_deref(), Some("arn:aws:iam::444455556666:role/Admin"));
        assert_eq!(assume.region, None);
    }

    #[test]
    fn static_key_profiles_never_carry_the_keys() {
        let p = describe_aws_profile(
            "legacy",
            profile(&[("aws_access_key_id", "AKIDEXAMPLE"), ("aws_secret_access_key", "wJalrSECRET")]),
        );
        let json = serde_json::to_string(&p).expect("serializes");
        assert!(!json.contains("AKIDEXAMPLE") && !json.contains("wJalrSECRET"), "{json}");
        assert_eq!(p.kind, AwsProfileKind::StaticKeys);
    }

    #[test]
    fn parses_adc_kinds_without_copying_secrets() {
        let user = parse_adc(
            r#"{"type":"authorized_user","client_id":"x.apps.googleusercontent.com",
                "client_secret":"d-FL95Q19q7MQmFpd7hHD0Ty","refresh_token":"1//0gSECRET",
                "quota_project_id":"astro-data"}"#,
        )
        .expect("parses");
        assert_eq!(
            user,
            AdcCredentials {
                kind: "authorized_user".into(),
                principal: None,
                project: Some("astro-data".into())
            }
        );

        let sa = parse_adc(include_str!("../../../testdata/keys/fake-service-account.json")).expect("parses");
        assert_eq!(sa.principal.as_deref(), Some("etl@p-1.iam.gserviceaccount.com"));
        assert_eq!(sa.project.as_deref(), Some("p-1"));

        let imp = parse_adc(
            r#"{"type":"impersonated_service_account","service_account_impersonation_url":
            "https://iamcredentials.googleapis.com/v1/projects/-/serviceAccounts/astro@p.iam.gserviceaccount.com:generateAccessToken",
            "source_credentials":{}}"#,
        )
        .expect("parses");
        assert_eq!(imp.principal.as_deref(), Some("astro@p.iam.gserviceaccount.com"));
    }

    #[test]
    fn adc_errors_do_not_quote_the_file() {
        let err = parse_adc(r#"{"refresh_token": "SECRETVALUE" "#).expect_err("truncated");
        assert!(err.starts_with("not a credentials JSON file (line 1"), "{err}");
        assert!(!err.contains("SECRETVALUE"));
        assert_eq!(parse_adc(r#"{"client_id":"x"}"#), Err("the file has no \"type\" field".into()));
    }

    #[test]
    fn renders_the_doctor_text() {
        let summary = CredentialSummary {
            aws: AwsSummary {
                config_file: "/h/.aws/config".into(),
                credentials_file: "/h/.aws/credentials".into(),
                profiles: vec![describe_aws_profile(
                    "dev",
                    profile(&[
                        ("sso_session", "c"),
                        ("sso_account_id", "111122223333"),
                        ("sso_role_name", "R"),
                    ]),
                )],
                problem: None,
            },
            gcp: GcpSummary { adc_path: "/h/adc.json".into(), from_env: false, adc: AdcStatus::Missing },
            keyring: KeyringSummary {
                unavailable: None,
                held: vec![SecretKey::new(Provider::Aws, ProfileName::parse("prod").expect("valid"))],
            },
        };
        let text = render_text(&summary);
        assert!(text.contains("AWS profiles (1 found)\n"), "{text}");
        assert!(text.contains("  - dev [SSO] account 111122223333 role R\n"), "{text}");
        assert!(text.contains("  not found (run `gcloud auth application-default login`"), "{text}");
        assert!(text.contains("  - aws/prod\n"), "{text}");
    }
}
