//! IPC commands of the trust evaluator: "who can assume this role?" for the trust editor, and
//! "can each Deployment assume it?" after an apply. Offline: the policy text is all they read.

use astro_identity_domain::aws::trust_eval::{AssumeRequest, Evaluation, evaluate};
use astro_identity_domain::aws::trust_policy::TrustPolicy;
use astro_identity_domain::aws::trust_summary::{Admission, who_can_assume};

use crate::IpcError;

/// Every statement of `policy` in plain words.
#[tauri::command]
#[specta::specta]
pub fn aws_trust_who(policy: String) -> Result<Vec<Admission>, IpcError> {
    Ok(who_can_assume(&TrustPolicy::parse(&policy)?))
}

/// The evaluator's answer for each request, in order.
#[tauri::command]
#[specta::specta]
pub fn aws_trust_evaluate(policy: String, requests: Vec<AssumeRequest>) -> Result<Vec<Evaluation>, IpcError> {
    let policy = TrustPolicy::parse(&policy)?;
    Ok(requests.iter().map(|request| evaluate(&policy, request)).collect())
}
