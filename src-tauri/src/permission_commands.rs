//! IPC commands of the permission-policy editor and its offline catalogs. No network: the
//! catalogs are compiled in (see `crates/domain/data`), so they answer instantly and offline.

use astro_identity_domain::aws::action_catalog::{
    self, ActionInfo, ArnTemplate, ServiceSummary, search_actions,
};
use astro_identity_domain::aws::managed_catalog::{self, ManagedPolicySummary};
use astro_identity_domain::aws::permission_editor::{
    PermissionEditOp, PermissionEditorState, analyze, apply_edit, new_policy_template,
};

use crate::IpcError;

/// At most this many rows go back for one search: the UI shows a scrolling list.
const SEARCH_LIMIT: usize = 60;

/// The permission editor's view of `text`: cards, lints and size, or where the JSON breaks.
#[tauri::command]
#[specta::specta]
pub fn aws_permission_policy_analyze(text: String) -> PermissionEditorState {
    analyze(&text)
}

/// Applies one form edit to the policy text; returns the new text.
#[tauri::command]
#[specta::specta]
pub fn aws_permission_policy_edit(text: String, op: PermissionEditOp) -> Result<String, IpcError> {
    Ok(apply_edit(&text, &op)?)
}

/// A minimal policy to start from: one empty statement to fill in.
#[tauri::command]
#[specta::specta]
pub fn aws_permission_policy_template() -> String {
    new_policy_template()
}

/// Every service in the offline action catalog, by IAM prefix.
#[tauri::command]
#[specta::specta]
pub fn aws_action_services() -> Vec<ServiceSummary> {
    action_catalog::services().to_vec()
}

/// Actions of `prefix` (every service when empty) whose name contains `query`.
#[tauri::command]
#[specta::specta]
pub fn aws_search_actions(prefix: String, query: String) -> Vec<ActionInfo> {
    search_actions(&prefix, &query, SEARCH_LIMIT)
}

/// ARN patterns of the service's common resource types.
#[tauri::command]
#[specta::specta]
pub fn aws_arn_templates(prefix: String) -> Vec<ArnTemplate> {
    action_catalog::arn_templates(&prefix)
}

/// AWS-managed policies whose name contains `query`, from the offline catalog.
#[tauri::command]
#[specta::specta]
pub fn aws_managed_policy_catalog(query: String) -> Vec<ManagedPolicySummary> {
    managed_catalog::search(&query, SEARCH_LIMIT)
}

/// The default version's document of an AWS-managed policy (pretty JSON), if it is known.
#[tauri::command]
#[specta::specta]
pub fn aws_managed_policy_document(arn: String) -> Option<String> {
    managed_catalog::document(&arn)
}
