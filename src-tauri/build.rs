fn main() {
    // Every app command must be listed here: it gets an `allow-<command>` permission that
    // a capability has to grant explicitly (see capabilities/main.json).
    let manifest = tauri_build::AppManifest::new().commands(astro_commands());
    tauri_build::try_build(tauri_build::Attributes::new().app_manifest(manifest))
        .expect("tauri-build failed");
}

fn astro_commands() -> &'static [&'static str] {
    &[
        "app_info",
        "credential_summary",
        "forget_secret",
        "airflow_aws_connection",
        "open_console",
        "aws_parse_identities",
        "aws_caller",
        "aws_list_roles",
        "aws_list_policies",
        "aws_plan_attach",
        "aws_plan_inline",
        "aws_apply_permission",
        "aws_plan",
        "aws_trust_policy_analyze",
        "aws_trust_policy_edit",
        "aws_condition_presets",
        "aws_permission_policy_analyze",
        "aws_permission_policy_edit",
        "aws_permission_policy_template",
        "aws_action_services",
        "aws_search_actions",
        "aws_arn_templates",
        "aws_managed_policy_catalog",
        "aws_managed_policy_document",
        "aws_plan_document",
        "aws_apply",
        "aws_undo",
        "aws_store_keys",
        "gcp_parse_service_account",
        "gcp_search_roles",
        "gcp_grantable_roles",
        "gcp_plan",
        "gcp_bindings_analyze",
        "gcp_bindings_edit",
        "gcp_plan_document",
        "gcp_apply",
        "gcp_undo",
        "gcp_store_key",
        "airflow_gcp_connection",
        "airflow_connection_plan",
        "airflow_connection_apply",
        "airflow_connection_undo",
        "airflow_provider_check",
        "airflow_add_provider",
        "airflow_undo_provider",
        "journal_pending",
        "journal_settle_aws",
        "journal_settle_gcp",
        "journal_history",
        "journal_plan_undo",
        "journal_apply_undo",
    ]
}
