//! The app's Tauri surface stays minimal: every command registered in `lib.rs` is declared
//! in `build.rs` and granted in the one capability — and nothing else is; the CSP names no
//! remote origin and allows no inline script; no plugin but the dialog is linked, and that
//! one is opened from Rust only (the window is granted none of its permissions).

use std::collections::BTreeSet;
use std::path::Path;

use serde_json::Value;

fn read(rel: &str) -> String {
    std::fs::read_to_string(Path::new(env!("CARGO_MANIFEST_DIR")).join(rel)).expect(rel)
}

/// The quoted names in `build.rs`'s command list.
fn declared() -> BTreeSet<String> {
    let build = read("build.rs");
    let list = build.split("fn astro_commands()").nth(1).expect("astro_commands in build.rs");
    list.lines().filter_map(|l| l.trim().strip_prefix('"')?.strip_suffix("\",").map(str::to_owned)).collect()
}

/// The `module::command` entries of `collect_commands![...]` in `lib.rs`.
fn registered() -> BTreeSet<String> {
    let lib = read("src/lib.rs");
    let list = lib.split("collect_commands![").nth(1).expect("collect_commands! in lib.rs");
    let list = list.split(']').next().unwrap_or_default();
    list.split(',')
        .filter_map(|entry| entry.trim().rsplit("::").next().map(str::to_owned))
        .filter(|name| !name.is_empty())
        .collect()
}

#[test]
fn every_command_is_declared_and_granted_and_nothing_else_is() {
    let declared = declared();
    assert!(declared.len() > 30, "parsed {declared:?}");
    assert_eq!(registered(), declared, "lib.rs and build.rs disagree");

    let capability: Value = serde_json::from_str(&read("capabilities/main.json")).expect("json");
    assert_eq!(capability["windows"], serde_json::json!(["main"]));
    let granted: BTreeSet<String> = capability["permissions"]
        .as_array()
        .expect("permissions")
        .iter()
        .map(|p| p.as_str().expect("a permission name").to_owned())
        .collect();
    let expected: BTreeSet<String> =
        declared.iter().map(|c| format!("allow-{}", c.replace('_', "-"))).collect();
    assert_eq!(granted, expected, "the capability grants exactly the app's own commands");
}

#[test]
fn the_csp_allows_no_remote_origin_and_no_inline_script() {
    let conf: Value = serde_json::from_str(&read("tauri.conf.json")).expect("json");
    let security = &conf["app"]["security"];
    assert_eq!(security["freezePrototype"], true);
    assert!(security.get("dangerousDisableAssetCspModification").is_none());
    let csp = security["csp"].as_object().expect("an explicit CSP");
    for (directive, sources) in csp {
        let sources = sources.as_str().expect("sources as one string");
        for source in sources.split_whitespace() {
            let local = matches!(source, "'self'" | "'none'" | "data:" | "ipc:" | "http://ipc.localhost");
            assert!(local, "{directive} allows {source}");
        }
    }
    assert_eq!(csp["script-src"], "'self'");
    assert_eq!(csp["connect-src"], "ipc: http://ipc.localhost");
    assert_eq!(conf["app"]["withGlobalTauri"], false);
}

#[test]
fn no_plugin_but_the_rust_side_dialog_is_linked() {
    let manifest = read("Cargo.toml");
    let plugins: Vec<&str> = manifest
        .lines()
        .filter_map(|line| line.trim().split_once('=').map(|(name, _)| name.trim()))
        .filter(|name| name.starts_with("tauri-plugin"))
        .collect();
    assert_eq!(plugins, ["tauri-plugin-dialog"], "no shell, fs, http or other plugin");
    let capability = read("capabilities/main.json");
    assert!(!capability.contains("dialog:"), "the window may not open a dialog itself");
    let lib = read("src/lib.rs");
    assert_eq!(lib.matches(".plugin(").count(), 1, "one plugin registered");
}
