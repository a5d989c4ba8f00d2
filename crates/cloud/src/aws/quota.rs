//! The account's role trust policy length quota, read from Service Quotas: IAM's quota
//! `L-C07B4B0D`, kept in us-east-1 whatever region the work is in. When the credentials may
//! not read it, the reading says why and the person sets it (the AWS journey remembers it).

use aws_config::{Region, SdkConfig};
use serde::{Deserialize, Serialize};

use astro_identity_domain::aws::{DEFAULT_TRUST_POLICY_QUOTA, MAX_TRUST_POLICY_QUOTA};

use crate::CloudError;
use crate::aws::errors::{Attempt, translate};

pub const SERVICE_CODE: &str = "iam";
pub const QUOTA_CODE: &str = "L-C07B4B0D";
/// IAM is global; its quotas live in us-east-1.
const QUOTA_REGION: &str = "us-east-1";
const WHICH: &str = "IAM's “Role trust policy length” (Service Quotas code L-C07B4B0D)";

/// What Service Quotas said about the account's trust policy quota.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "specta", derive(specta::Type))]
#[serde(rename_all = "camelCase")]
pub struct TrustQuotaReading {
    /// The quota in characters, bounded by IAM's default and its documented maximum;
    /// `None` when it could not be read.
    pub value: Option<u32>,
    /// Which quota and where the value came from, or why it could not be read.
    pub source: String,
}

/// Reads the applied value of the trust policy quota. Never fails: a refusal becomes a
/// reading without a value that says why.
pub async fn read_trust_quota(config: &SdkConfig) -> TrustQuotaReading {
    let quotas = aws_sdk_servicequotas::Client::from_conf(
        aws_sdk_servicequotas::config::Builder::from(config).region(Region::new(QUOTA_REGION)).build(),
    );
    let answer = quotas.get_service_quota().service_code(SERVICE_CODE).quota_code(QUOTA_CODE).send().await;
    match answer {
        Ok(output) => match output.quota().and_then(|q| q.value()) {
            Some(value) => reading_of(value),
            None => TrustQuotaReading {
                value: None,
                source: format!("Service Quotas returned no value for {WHICH}."),
            },
        },
        Err(err) => {
            let endpoint = config.endpoint_url().unwrap_or("https://servicequotas.us-east-1.amazonaws.com");
            let attempt = Attempt::new("servicequotas:GetServiceQuota", QUOTA_CODE, endpoint);
            let why = match translate(err, &attempt) {
                CloudError::AccessDenied { .. } => {
                    String::from("these credentials may not call servicequotas:GetServiceQuota")
                }
                CloudError::NotFound { .. } => {
                    String::from("Service Quotas does not know it for this account")
                }
                other => other.to_string(),
            };
            TrustQuotaReading { value: None, source: format!("{WHICH} could not be read: {why}.") }
        }
    }
}

/// The applied value as the app uses it: within IAM's default and documented maximum.
fn reading_of(value: f64) -> TrustQuotaReading {
    let characters = value.round().clamp(0.0, f64::from(u32::MAX)) as u32;
    let used = characters.clamp(DEFAULT_TRUST_POLICY_QUOTA, MAX_TRUST_POLICY_QUOTA);
    let source = if used == characters {
        format!("{WHICH}, read from Service Quotas.")
    } else {
        format!(
            "{WHICH}, read from Service Quotas as {characters}; the app uses {used}, within IAM's documented range of {DEFAULT_TRUST_POLICY_QUOTA} to {MAX_TRUST_POLICY_QUOTA}."
        )
    };
    TrustQuotaReading { value: Some(used), source }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn values_are_kept_within_iams_documented_range() {
        assert_eq!(reading_of(4096.0).value, Some(4096));
        assert_eq!(reading_of(3000.4).value, Some(3000));
        let over = reading_of(8192.0);
        assert_eq!(over.value, Some(4096));
        assert!(over.source.contains("as 8192; the app uses 4096"), "{}", over.source);
        assert_eq!(reading_of(100.0).value, Some(2048));
        assert!(reading_of(2048.0).source.ends_with("read from Service Quotas."));
    }
}
