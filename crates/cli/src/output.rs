//! How the CLI reports: JSON on request, plain text otherwise; errors on stderr with a hint.

use std::fmt;

use serde::Serialize;

use astro_identity_cloud::CloudError;
use astro_identity_domain::DomainError;

/// A failure to report on stderr: what went wrong and what to do.
#[derive(Debug)]
pub struct Failure {
    pub message: String,
    pub hint: String,
}

impl fmt::Display for Failure {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "error: {}", self.message)?;
        if !self.hint.is_empty() {
            write!(f, "\nhint: {}", self.hint)?;
        }
        Ok(())
    }
}

impl From<CloudError> for Failure {
    fn from(err: CloudError) -> Self {
        Self { message: err.to_string(), hint: err.hint() }
    }
}

impl From<DomainError> for Failure {
    fn from(err: DomainError) -> Self {
        Self { message: err.to_string(), hint: err.hint().to_owned() }
    }
}

impl Failure {
    pub fn new(message: impl Into<String>, hint: impl Into<String>) -> Self {
        Self { message: message.into(), hint: hint.into() }
    }
}

pub fn print_json(value: &impl Serialize) -> Result<(), Failure> {
    let text = serde_json::to_string_pretty(value)
        .map_err(|e| Failure::new(format!("could not encode the output: {e}"), ""))?;
    println!("{text}");
    Ok(())
}
