//! What batches on both clouds share: how many items are in flight at once, and how one
//! item's failure is reported beside the others' results.

use serde::Serialize;

use crate::CloudError;

/// Items read or written at once. IAM's control plane serves a few requests per second per
/// account before throttling; 8 in flight keeps a batch fast and the SDK's retries rare.
pub const CONCURRENCY: usize = 8;

/// Why one item of a batch failed, as the summary says it.
#[derive(Debug, Clone, Serialize)]
#[cfg_attr(feature = "specta", derive(specta::Type))]
#[serde(rename_all = "camelCase")]
pub struct BatchFailure {
    pub code: String,
    pub message: String,
    pub hint: String,
}

impl From<&CloudError> for BatchFailure {
    fn from(err: &CloudError) -> Self {
        Self { code: err.code().to_owned(), message: err.to_string(), hint: err.hint() }
    }
}
