//! AWS SDK errors translated into [`CloudError`]s that say which action on which resource
//! failed and what to do about it.

use aws_sdk_iam::config::http::HttpResponse;
use aws_sdk_iam::error::{ProvideErrorMetadata, SdkError};

use crate::CloudError;

/// What we were doing when the SDK failed: the IAM action and the resource, for messages.
#[derive(Debug, Clone)]
pub struct Attempt {
    pub action: &'static str,
    pub resource: String,
    pub endpoint: String,
}

impl Attempt {
    pub fn new(action: &'static str, resource: impl Into<String>, endpoint: &str) -> Self {
        Self { action, resource: resource.into(), endpoint: endpoint.to_owned() }
    }

    /// `iam:UpdateAssumeRolePolicy on arn:aws:iam::123456789012:role/data`, for messages.
    pub fn what(&self) -> String {
        format!("{} on {}", self.action, self.resource)
    }
}

pub fn translate<E>(err: SdkError<E, HttpResponse>, attempt: &Attempt) -> CloudError
where
    E: ProvideErrorMetadata + std::error::Error + Send + Sync + 'static,
{
    match &err {
        SdkError::ServiceError(service) => {
            let inner = service.err();
            match inner.code() {
                Some(code) if code != "Unknown" => from_code(code, inner.message().unwrap_or(""), attempt),
                // Some endpoints (proxies, moto's auth layer) send error bodies the SDK cannot
                // parse; the HTTP status still says what happened.
                _ => from_status(service.raw().status().as_u16(), inner.message().unwrap_or(""), attempt),
            }
        }
        // Credential resolution failures surface here too, before anything is sent.
        SdkError::DispatchFailure(_) => credentials_or_unreachable(crate::error::source_chain(&err), attempt),
        SdkError::TimeoutError(_) => CloudError::Unreachable {
            endpoint: attempt.endpoint.clone(),
            detail: format!("{}: no answer in time (the request timed out)", attempt.what()),
        },
        _ => CloudError::Cloud {
            action: attempt.what(),
            code: String::from("SdkError"),
            message: crate::error::source_chain(&err),
        },
    }
}

/// Maps an AWS error code to our error. Shared by every operation.
pub fn from_code(code: &str, message: &str, attempt: &Attempt) -> CloudError {
    match code {
        "AccessDenied" | "AccessDeniedException" | "UnauthorizedOperation" => CloudError::AccessDenied {
            action: attempt.action.to_owned(),
            resource: attempt.resource.clone(),
            detail: message.to_owned(),
        },
        "NoSuchEntity" | "NoSuchResourceException" => CloudError::NotFound { what: attempt.resource.clone() },
        "EntityAlreadyExists" => CloudError::AlreadyExists { what: attempt.resource.clone() },
        "MalformedPolicyDocument" => CloudError::MalformedPolicy { detail: message.to_owned() },
        "LimitExceeded" => CloudError::LimitExceeded { detail: message.to_owned() },
        "DeleteConflict" => CloudError::Refused {
            reason: format!("{} still has policies or instance profiles: {message}", attempt.resource),
            hint: String::from("Undo the permission changes first (or detach its policies), then try again."),
        },
        "Throttling" | "ThrottlingException" | "RequestLimitExceeded" | "TooManyRequestsException" => {
            CloudError::Throttled { action: attempt.what() }
        }
        "InvalidClientTokenId" | "SignatureDoesNotMatch" | "ExpiredToken" | "ExpiredTokenException" => {
            CloudError::Credentials {
                of: "AWS credentials",
                detail: format!("{code}: {message}"),
                hint: String::from(
                    "Sign in again (for SSO profiles: `aws sso login --profile NAME`), or check the \
                     access keys.",
                ),
            }
        }
        _ => CloudError::Cloud { action: attempt.what(), code: code.to_owned(), message: message.to_owned() },
    }
}

/// Maps an HTTP status to our error when the body named no error code.
pub fn from_status(status: u16, message: &str, attempt: &Attempt) -> CloudError {
    let code = match status {
        // 401: the credentials were not believed; 403: they lack a permission.
        401 => "InvalidClientTokenId",
        403 => "AccessDenied",
        404 => "NoSuchEntity",
        429 => "Throttling",
        _ => {
            let message = if message.is_empty() { "the answer gave no details" } else { message };
            return CloudError::Cloud {
                action: attempt.what(),
                code: format!("HTTP {status}"),
                message: message.to_owned(),
            };
        }
    };
    from_code(code, message, attempt)
}

fn credentials_or_unreachable(chain: String, attempt: &Attempt) -> CloudError {
    if chain.to_lowercase().contains("credential") {
        CloudError::Credentials {
            of: "AWS credentials",
            detail: chain,
            hint: String::from(
                "Choose a profile that works with the AWS CLI (`aws sts get-caller-identity --profile \
                 NAME`), sign in with `aws sso login`, or enter access keys to keep in the keyring.",
            ),
        }
    } else {
        CloudError::Unreachable {
            endpoint: attempt.endpoint.clone(),
            detail: format!("{}: {chain}", attempt.what()),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn attempt() -> Attempt {
        Attempt::new(
            "iam:UpdateAssumeRolePolicy",
            "arn:aws:iam::123456789012:role/data",
            "https://iam.amazonaws.com",
        )
    }

    #[test]
    fn access_denied_names_action_resource_and_a_grant() {
        let err = from_code("AccessDenied", "User: x is not authorized", &attempt());
        assert_eq!(
            err.to_string(),
            "access denied: iam:UpdateAssumeRolePolicy on arn:aws:iam::123456789012:role/data"
        );
        assert_eq!(err.code(), "access_denied");
        assert!(err.hint().contains(
            r#"{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"iam:UpdateAssumeRolePolicy","Resource":"arn:aws:iam::123456789012:role/data"}]}"#
        ));
    }

    #[test]
    fn every_documented_code_has_its_own_error() {
        let cases = [
            ("NoSuchEntity", "not_found"),
            ("EntityAlreadyExists", "already_exists"),
            ("MalformedPolicyDocument", "malformed_policy"),
            ("LimitExceeded", "limit_exceeded"),
            ("DeleteConflict", "refused"),
            ("Throttling", "throttled"),
            ("ExpiredToken", "credentials"),
            ("ServiceFailure", "cloud_error"),
        ];
        for (code, expected) in cases {
            assert_eq!(from_code(code, "m", &attempt()).code(), expected, "{code}");
        }
        assert_eq!(
            from_code("NoSuchEntity", "", &attempt()).to_string(),
            "arn:aws:iam::123456789012:role/data does not exist"
        );
    }

    #[test]
    fn an_unparsed_error_body_falls_back_to_the_status() {
        assert_eq!(from_status(403, "", &attempt()).code(), "access_denied");
        assert_eq!(from_status(429, "", &attempt()).code(), "throttled");
        assert_eq!(from_status(404, "", &attempt()).code(), "not_found");
        let err = from_status(502, "bad gateway", &attempt());
        assert_eq!(
            err.to_string(),
            "iam:UpdateAssumeRolePolicy on arn:aws:iam::123456789012:role/data failed: HTTP 502: bad gateway"
        );
        assert_eq!(
            from_code("Throttling", "Rate exceeded", &attempt()).to_string(),
            "iam:UpdateAssumeRolePolicy on arn:aws:iam::123456789012:role/data was still throttled after \
             several retries"
        );
    }
}
