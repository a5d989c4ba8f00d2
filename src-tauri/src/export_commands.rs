//! Exports for review: any plan kept in `AppState` (online or offline) as Terraform, an
//! `aws` script, `gcloud` lines or CloudFormation — returned for the copy button, or saved
//! through the native save dialog.

use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};
use tauri::{AppHandle, State};
use tauri_plugin_dialog::DialogExt;

use astro_identity_cloud::export::{
    RolePermissions, attach_role_export, attach_sa_export, grant_export, trust_export,
};
use astro_identity_cloud::gcp::PolicyResource;
use astro_identity_cloud::offline::{OfflineAws, OfflineGcp};
use astro_identity_domain::aws::arn::parse_account_id;
use astro_identity_domain::aws::trust_policy::TrustPolicy;
use astro_identity_domain::export::{DeploymentRef, ExportFormat, ExportPlan, render};
use astro_identity_domain::gcp::iam_policy::IamPolicy;

use crate::attach_context::PickedDeployment;
use crate::state::{OfflinePlan, StoredPlan};
use crate::{AppState, IpcError};

/// What a plan without credentials starts from (AWS): the role's trust policy as pasted, or
/// none for a new role; the account, when typed, for the role's ARN.
#[derive(Debug, Clone, Deserialize, specta::Type)]
#[serde(rename_all = "camelCase")]
pub struct OfflineAwsInput {
    pub account: Option<String>,
    pub current_policy: Option<String>,
}

impl OfflineAwsInput {
    /// The store an offline plan reads from. A role that exists must come with its policy.
    pub fn store(&self, role_name: &str, creating: bool) -> Result<OfflineAws, IpcError> {
        let account =
            self.account.as_deref().filter(|a| !a.trim().is_empty()).map(parse_account_id).transpose()?;
        let current = self.current_policy.as_deref().map(str::trim).filter(|p| !p.is_empty());
        let current = match (current, creating) {
            (Some(text), false) => Some(TrustPolicy::parse(text)?),
            (None, true) => None,
            (Some(_), true) => {
                return Err(IpcError::invalid(
                    "current_policy",
                    "a new role has no trust policy yet",
                    "Choose \"Use an existing role\" to start from the pasted policy, or clear it.",
                ));
            }
            (None, false) => {
                return Err(IpcError::invalid(
                    "current_policy",
                    "paste the role's trust policy: without credentials the app cannot read it",
                    "Copy it from the IAM console (the role's Trust relationships tab) or `aws iam get-role`.",
                ));
            }
        };
        Ok(OfflineAws::new(account.as_deref(), role_name, current))
    }
}

/// What a plan without credentials starts from (Google Cloud): the resource's IAM policy as
/// pasted, or an empty one.
#[derive(Debug, Clone, Deserialize, specta::Type)]
#[serde(rename_all = "camelCase")]
pub struct OfflineGcpInput {
    pub current_policy: Option<String>,
}

impl OfflineGcpInput {
    pub fn store(&self, resource: &PolicyResource) -> Result<OfflineGcp, IpcError> {
        let policies = match self.current_policy.as_deref().map(str::trim).filter(|p| !p.is_empty()) {
            Some(text) => vec![(resource.clone(), IamPolicy::parse(text)?)],
            None => Vec::new(),
        };
        Ok(OfflineGcp::new(policies))
    }
}

/// An export as text, with the file name a save dialog proposes.
#[derive(Debug, Clone, Serialize, specta::Type)]
#[serde(rename_all = "camelCase")]
pub struct ExportText {
    pub format: ExportFormat,
    pub file_name: String,
    pub text: String,
}

/// The export of the plan shown under `plan_id`. The plan stays, so it can still be applied.
#[tauri::command]
#[specta::specta]
pub fn export_plan(
    state: State<'_, AppState>,
    plan_id: String,
    format: ExportFormat,
) -> Result<ExportText, IpcError> {
    let text = render_stored(&state, &plan_id, format)?;
    Ok(ExportText { format, file_name: format.file_name().to_owned(), text })
}

/// Asks where to save the export (the native dialog) and writes it there whole: to a
/// temporary file beside it, then renamed. `None` when the user cancels.
#[tauri::command]
#[specta::specta]
pub async fn export_save(
    app: AppHandle,
    state: State<'_, AppState>,
    plan_id: String,
    format: ExportFormat,
) -> Result<Option<String>, IpcError> {
    let text = render_stored(&state, &plan_id, format)?;
    let (tx, rx) = tokio::sync::oneshot::channel();
    app.dialog().file().set_title("Save the export").set_file_name(format.file_name()).save_file(
        move |path| {
            let _ = tx.send(path);
        },
    );
    let Some(path) = rx.await.map_err(|_| IpcError::internal())? else { return Ok(None) };
    let path = path.into_path().map_err(|_| {
        IpcError::invalid("path", "the dialog gave no file path", "Choose a file on this computer.")
    })?;
    write_whole(&path, &text)?;
    Ok(Some(path.to_string_lossy().into_owned()))
}

/// Writes `text` to `path` so that a reader sees the old file or the whole new one.
fn write_whole(path: &Path, text: &str) -> Result<(), IpcError> {
    let failed = |e: std::io::Error| {
        IpcError::invalid(
            "path",
            &format!("could not write {}: {e}", path.display()),
            "Choose a folder you can write to.",
        )
    };
    let dir = path
        .parent()
        .filter(|d| !d.as_os_str().is_empty())
        .map_or_else(|| PathBuf::from("."), Path::to_path_buf);
    let name = path.file_name().map(|n| n.to_string_lossy().into_owned()).unwrap_or_default();
    let temp = dir.join(format!(".{name}.partial"));
    std::fs::write(&temp, text).map_err(failed)?;
    std::fs::rename(&temp, path).map_err(|e| {
        let _ = std::fs::remove_file(&temp);
        failed(e)
    })
}

fn render_stored(state: &AppState, plan_id: &str, format: ExportFormat) -> Result<String, IpcError> {
    let plan = state.with_plan(plan_id, export_of).ok_or_else(IpcError::plan_expired)??;
    Ok(render(&plan, format)?)
}

/// What a kept plan changes, as the exports need it.
fn export_of(plan: &StoredPlan) -> Result<ExportPlan, IpcError> {
    let none = RolePermissions::default();
    Ok(match plan {
        StoredPlan::Aws(_, change) | StoredPlan::Offline(OfflinePlan::Trust(change)) => {
            trust_export(change, &none)?
        }
        StoredPlan::Attach(stored) => {
            let (_, context, plan) = stored.as_ref();
            attach_role_export(plan, &export_refs(&context.deployments), &none)?
        }
        StoredPlan::Offline(OfflinePlan::Attach(stored)) => {
            let (deployments, plan) = stored.as_ref();
            attach_role_export(plan, &export_refs(deployments), &none)?
        }
        StoredPlan::Gcp(_, change) | StoredPlan::Offline(OfflinePlan::Grant(change)) => grant_export(change),
        StoredPlan::AttachSa(stored) => attach_sa_export(&stored.2),
        StoredPlan::Offline(OfflinePlan::AttachSa(plan)) => attach_sa_export(plan),
        _ => {
            return Err(IpcError::invalid(
                "plan",
                "this plan is not an IAM change that can be exported",
                "Export from the review step of an AWS or Google Cloud journey.",
            ));
        }
    })
}

fn export_refs(deployments: &[PickedDeployment]) -> Vec<DeploymentRef> {
    deployments.iter().map(|d| DeploymentRef { id: d.id.clone(), name: d.name.clone() }).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_saved_export_is_whole_or_not_there() {
        let dir = tempfile::tempdir().expect("dir");
        let path = dir.path().join("astro.tf");
        std::fs::write(&path, "old").expect("seed");
        write_whole(&path, "# new\n").expect("write");
        assert_eq!(std::fs::read_to_string(&path).expect("read"), "# new\n");
        assert_eq!(std::fs::read_dir(dir.path()).expect("list").count(), 1, "no temporary file left");

        let missing = dir.path().join("no-such-dir/astro.tf");
        let err = write_whole(&missing, "# new\n").expect_err("no folder");
        assert_eq!(err.field.as_deref(), Some("path"));
        assert!(err.message.starts_with("Could not write"), "{}", err.message);
        assert!(!missing.exists());
    }

    #[test]
    fn an_offline_role_needs_its_policy_and_a_twelve_digit_account() {
        let input = |account: Option<&str>, policy: Option<&str>| OfflineAwsInput {
            account: account.map(String::from),
            current_policy: policy.map(String::from),
        };
        let field = |result: Result<OfflineAws, IpcError>| result.err().and_then(|e| e.field);
        assert_eq!(field(input(None, None).store("r", false)), Some(String::from("current_policy")));
        assert_eq!(field(input(None, Some("{}")).store("r", true)), Some(String::from("current_policy")));
        assert_eq!(field(input(Some("1234"), None).store("r", true)), Some(String::from("account")));
        assert_eq!(
            field(input(None, Some("not json")).store("r", false)),
            Some(String::from("trust_policy"))
        );
        assert!(input(Some(" 123456789012 "), None).store("r", true).is_ok());
    }
}
