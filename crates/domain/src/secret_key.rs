//! Where a secret lives in the OS keyring: one entry per provider and profile, in a service
//! namespaced by the app id so that nothing else's entries are ever read or overwritten.

use std::fmt;
use std::str::FromStr;

use serde::{Deserialize, Serialize};

use crate::DomainError;
use crate::app::APP_ID;

/// What a secret is for: a cloud's credentials, or an API token to create Airflow
/// connections (an Airflow REST API, or the Astro API's Environment Manager).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[cfg_attr(feature = "specta", derive(specta::Type))]
#[serde(rename_all = "lowercase")]
pub enum Provider {
    Aws,
    Gcp,
    Airflow,
    Astro,
}

impl Provider {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Aws => "aws",
            Self::Gcp => "gcp",
            Self::Airflow => "airflow",
            Self::Astro => "astro",
        }
    }
}

impl fmt::Display for Provider {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl FromStr for Provider {
    type Err = DomainError;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        match s {
            "aws" => Ok(Self::Aws),
            "gcp" => Ok(Self::Gcp),
            "airflow" => Ok(Self::Airflow),
            "astro" => Ok(Self::Astro),
            other => Err(DomainError::invalid(
                "provider",
                format!("unknown provider {other:?}"),
                "use \"aws\", \"gcp\", \"airflow\" or \"astro\"",
            )),
        }
    }
}

/// The user-chosen name of a stored credential, e.g. `prod` or `data-team`.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[cfg_attr(feature = "specta", derive(specta::Type), specta(transparent))]
#[serde(try_from = "String", into = "String")]
pub struct ProfileName(String);

impl ProfileName {
    pub const MAX_LEN: usize = 64;

    pub fn parse(name: &str) -> Result<Self, DomainError> {
        let hint = "use 1-64 letters, digits, '-', '_' or '.', e.g. \"prod\"";
        if name.is_empty() {
            return Err(DomainError::invalid("profile", "the name is empty", hint));
        }
        if name.chars().count() > Self::MAX_LEN {
            return Err(DomainError::invalid(
                "profile",
                format!(
                    "the name is {} characters long, the limit is {}",
                    name.chars().count(),
                    Self::MAX_LEN
                ),
                hint,
            ));
        }
        if let Some(bad) = name.chars().find(|c| !(c.is_ascii_alphanumeric() || matches!(c, '-' | '_' | '.')))
        {
            return Err(DomainError::invalid("profile", format!("the name contains {bad:?}"), hint));
        }
        Ok(Self(name.to_owned()))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl TryFrom<String> for ProfileName {
    type Error = DomainError;

    fn try_from(value: String) -> Result<Self, Self::Error> {
        Self::parse(&value)
    }
}

impl From<ProfileName> for String {
    fn from(value: ProfileName) -> Self {
        value.0
    }
}

impl fmt::Display for ProfileName {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

/// The address of one secret in the keyring.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[cfg_attr(feature = "specta", derive(specta::Type))]
pub struct SecretKey {
    pub provider: Provider,
    pub profile: ProfileName,
}

impl SecretKey {
    /// The keyring account ("user") under which every credential entry is stored.
    pub const ACCOUNT: &'static str = "credentials";

    pub fn new(provider: Provider, profile: ProfileName) -> Self {
        Self { provider, profile }
    }

    /// The keyring service: `<app id>:<provider>:<profile>`.
    pub fn service(&self) -> String {
        format!("{APP_ID}:{}:{}", self.provider, self.profile)
    }

    /// Reads a service name back; `None` for entries that are not ours.
    pub fn from_service(service: &str) -> Option<Self> {
        let rest = service.strip_prefix(APP_ID)?.strip_prefix(':')?;
        let (provider, profile) = rest.split_once(':')?;
        Some(Self { provider: provider.parse().ok()?, profile: ProfileName::parse(profile).ok()? })
    }
}

impl fmt::Display for SecretKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}/{}", self.provider, self.profile)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn key(provider: Provider, profile: &str) -> SecretKey {
        SecretKey::new(provider, ProfileName::parse(profile).expect("valid profile"))
    }

    #[test]
    fn service_is_namespaced_by_app_provider_and_profile() {
        assert_eq!(key(Provider::Aws, "prod").service(), "dev.astroidentity.app:aws:prod");
        assert_eq!(key(Provider::Gcp, "data.team").service(), "dev.astroidentity.app:gcp:data.team");
    }

    #[test]
    fn service_round_trips() {
        let original = key(Provider::Gcp, "team_1");
        assert_eq!(SecretKey::from_service(&original.service()), Some(original));
    }

    #[test]
    fn foreign_services_are_not_ours() {
        for service in [
            "",
            "dev.astroidentity.app",
            "dev.astroidentity.app:",
            "dev.astroidentity.app:azure:prod",
            "dev.astroidentity.app:aws:",
            "dev.astroidentity.app:aws:has space",
            "dev.astroidentity.appx:aws:prod",
            "other.app:aws:prod",
        ] {
            assert_eq!(SecretKey::from_service(service), None, "{service:?}");
        }
    }

    #[test]
    fn profile_errors_name_the_problem() {
        let err = ProfileName::parse("").expect_err("empty");
        assert_eq!(err.to_string(), "profile: the name is empty");
        let err = ProfileName::parse("a:b").expect_err("colon");
        assert_eq!(err.to_string(), "profile: the name contains ':'");
        assert_eq!(err.field(), "profile");
        let err = ProfileName::parse(&"x".repeat(65)).expect_err("long");
        assert_eq!(err.to_string(), "profile: the name is 65 characters long, the limit is 64");
        assert!(ProfileName::parse(&"x".repeat(64)).is_ok());
    }

    #[test]
    fn provider_parses_and_refuses() {
        assert_eq!("aws".parse::<Provider>(), Ok(Provider::Aws));
        assert_eq!("gcp".parse::<Provider>(), Ok(Provider::Gcp));
        let err = "AWS".parse::<Provider>().expect_err("case-sensitive");
        assert_eq!(err.to_string(), "provider: unknown provider \"AWS\"");
    }
}
