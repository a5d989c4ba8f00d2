//! The Tauri shell: wires the window, the IPC commands and the managed state to the core
//! crates. No domain logic lives here; see ARCHITECTURE.md.

mod airflow_commands;
mod astro_commands;
mod attach_context;
mod aws_commands;
mod batch_commands;
mod cmi_commands;
mod cmi_gcp_commands;
mod commands;
mod destination;
mod export_commands;
mod gcp_commands;
mod inventory_commands;
mod ipc_error;
mod journal_commands;
mod permission_commands;
mod state;
mod trust_eval_commands;

pub use ipc_error::{IpcError, IpcErrorCode};
pub use state::AppState;

use tauri_specta::{Builder, collect_commands};

/// The typed IPC surface. The same builder serves the app and the bindings export.
pub fn ipc_builder() -> Builder<tauri::Wry> {
    Builder::<tauri::Wry>::new().commands(collect_commands![
        commands::app_info,
        commands::credential_summary,
        commands::diagnostics_report,
        commands::forget_secret,
        airflow_commands::airflow_aws_connection,
        commands::open_console,
        aws_commands::aws_parse_identities,
        aws_commands::aws_caller,
        aws_commands::aws_trust_quota,
        aws_commands::aws_list_roles,
        aws_commands::aws_list_policies,
        aws_commands::aws_plan_attach,
        aws_commands::aws_plan_inline,
        aws_commands::aws_apply_permission,
        aws_commands::aws_plan,
        export_commands::export_plan,
        batch_commands::aws_plan_batch,
        batch_commands::aws_apply_batch,
        batch_commands::gcp_plan_batch,
        batch_commands::gcp_apply_batch,
        export_commands::export_save,
        aws_commands::aws_trust_policy_analyze,
        aws_commands::aws_trust_policy_edit,
        aws_commands::aws_condition_presets,
        trust_eval_commands::aws_trust_who,
        trust_eval_commands::aws_trust_evaluate,
        inventory_commands::inventory_aws,
        inventory_commands::inventory_gcp,
        inventory_commands::revoke_plan,
        inventory_commands::revoke_apply,
        permission_commands::aws_permission_policy_analyze,
        permission_commands::aws_permission_policy_edit,
        permission_commands::aws_permission_policy_template,
        permission_commands::aws_action_services,
        permission_commands::aws_search_actions,
        permission_commands::aws_arn_templates,
        permission_commands::aws_managed_policy_catalog,
        permission_commands::aws_managed_policy_document,
        aws_commands::aws_plan_document,
        aws_commands::aws_apply,
        aws_commands::aws_undo,
        aws_commands::aws_store_keys,
        gcp_commands::gcp_parse_service_account,
        gcp_commands::gcp_search_roles,
        gcp_commands::gcp_role_permissions,
        gcp_commands::gcp_grantable_roles,
        gcp_commands::gcp_plan,
        gcp_commands::gcp_bindings_analyze,
        gcp_commands::gcp_bindings_edit,
        gcp_commands::gcp_plan_document,
        gcp_commands::gcp_apply,
        gcp_commands::gcp_undo,
        gcp_commands::gcp_store_key,
        airflow_commands::airflow_gcp_connection,
        airflow_commands::airflow_connection_plan,
        airflow_commands::airflow_connection_apply,
        airflow_commands::airflow_connection_undo,
        airflow_commands::airflow_provider_check,
        airflow_commands::airflow_add_provider,
        airflow_commands::airflow_undo_provider,
        journal_commands::journal_pending,
        journal_commands::journal_settle_aws,
        journal_commands::journal_settle_gcp,
        journal_commands::journal_history,
        journal_commands::journal_plan_undo,
        journal_commands::journal_apply_undo,
        astro_commands::astro_token_sources,
        astro_commands::astro_connect,
        astro_commands::astro_workspaces,
        astro_commands::astro_deployment_page,
        cmi_commands::aws_plan_attach_role,
        cmi_commands::aws_apply_attach_role,
        cmi_gcp_commands::gcp_plan_attach_sa,
        cmi_gcp_commands::gcp_apply_attach_sa,
    ])
}

/// Renders the TypeScript bindings for `ui/src/lib/ipc/bindings.ts`.
pub fn export_bindings(path: &std::path::Path) -> Result<(), String> {
    ipc_builder()
        .export(
            specta_typescript::Typescript::default().header(
                "// Generated from Rust by tauri-specta (src-tauri/tests/bindings.rs). Do not edit.\n",
            ),
            path,
        )
        .map_err(|e| e.to_string())
}

pub fn run() {
    let ipc = ipc_builder();
    let state = AppState::from_process();
    astro_identity_cloud::diagnostics::init_logging(&state.host.log_dir(), "astro-identity");
    let result = tauri::Builder::default()
        .plugin(tauri_plugin_dialog::init())
        .manage(state)
        .invoke_handler(ipc.invoke_handler())
        .run(tauri::generate_context!());
    if let Err(err) = result {
        eprintln!("Astro Identity could not start: {err}");
        std::process::exit(1);
    }
}
