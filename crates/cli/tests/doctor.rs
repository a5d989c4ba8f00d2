//! `astro-identity-cli --version` and `doctor`, run as a user would, against a seeded HOME.

use std::process::Command;

fn cli(home: &std::path::Path) -> Command {
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_astro-identity-cli"));
    cmd.env_clear()
        .env("HOME", home)
        .env("PATH", std::env::var_os("PATH").unwrap_or_default())
        // No session bus: the keyring must be reported as unavailable, not crash or hang.
        .env("DBUS_SESSION_BUS_ADDRESS", "unix:path=/nonexistent/astro-identity-test-bus");
    cmd
}

#[test]
fn version_prints_the_package_version() {
    let home = tempfile::tempdir().expect("tempdir");
    let out = cli(home.path()).arg("--version").output().expect("runs");
    assert!(out.status.success());
    assert_eq!(
        String::from_utf8_lossy(&out.stdout),
        format!("astro-identity-cli {}\n", env!("CARGO_PKG_VERSION"))
    );
}

#[test]
fn doctor_summarizes_a_seeded_home() {
    let home = tempfile::tempdir().expect("tempdir");
    std::fs::create_dir_all(home.path().join(".aws")).expect("mkdir");
    std::fs::write(
        home.path().join(".aws/config"),
        "[profile data-sso]\nsso_session = corp\nsso_account_id = 111122223333\nsso_role_name = DataEngineer\n\
         [sso-session corp]\nsso_start_url = https://corp.awsapps.com/start\nsso_region = us-east-1\n",
    )
    .expect("write");
    std::fs::write(
        home.path().join(".aws/credentials"),
        "[default]\naws_access_key_id = AKIDEXAMPLE\naws_secret_access_key = doctor-never-prints-this\n",
    )
    .expect("write");

    let out = cli(home.path()).arg("doctor").output().expect("runs");
    assert!(out.status.success(), "stderr: {}", String::from_utf8_lossy(&out.stderr));
    let text = String::from_utf8(out.stdout).expect("utf-8");
    assert!(text.starts_with("AWS profiles (2 found)\n"), "{text}");
    assert!(text.contains("  - data-sso [SSO] account 111122223333 role DataEngineer\n"), "{text}");
    assert!(text.contains("  - default [static keys]\n"), "{text}");
    assert!(text.contains("  not found (run `gcloud auth application-default login`"), "{text}");
    assert!(text.contains("  keyring unavailable: no OS keyring is running"), "{text}");
    assert!(!text.contains("doctor-never-prints-this") && !text.contains("AKIDEXAMPLE"), "{text}");
}

#[test]
fn doctor_json_is_the_home_screens_shape() {
    let home = tempfile::tempdir().expect("tempdir");
    let out = cli(home.path()).args(["doctor", "--json"]).output().expect("runs");
    assert!(out.status.success());
    let json: serde_json::Value = serde_json::from_slice(&out.stdout).expect("json");
    assert_eq!(json["aws"]["profiles"], serde_json::json!([]));
    assert_eq!(json["gcp"]["adc"]["state"], "missing");
    assert!(json["keyring"]["unavailable"].as_str().is_some_and(|s| s.starts_with("no OS keyring")));
}

#[test]
fn diagnostics_report_versions_kinds_and_the_last_errors_without_secrets() {
    let home = tempfile::tempdir().expect("tempdir");
    std::fs::create_dir_all(home.path().join(".aws")).expect("mkdir");
    std::fs::write(
        home.path().join(".aws/credentials"),
        "[default]\naws_access_key_id = AKIDEXAMPLE\naws_secret_access_key = diagnostics-never-prints-this\n",
    )
    .expect("write");
    // A key file cut short: the command fails, and its message is logged without the key.
    let key = std::fs::read_to_string(
        std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../../testdata/keys/test-only-sa-etl.json"),
    )
    .expect("key");
    let cut = &key[..key.len() / 2];
    let key_path = home.path().join("key.json");
    std::fs::write(&key_path, cut).expect("write");
    let failed = cli(home.path())
        .env("GOOGLE_APPLICATION_CREDENTIALS", &key_path)
        .args([
            "gcp",
            "plan",
            "--project",
            "astro-data",
            "--member",
            "user:ada@example.com",
            "--role",
            "roles/viewer",
        ])
        .output()
        .expect("runs");
    assert_eq!(failed.status.code(), Some(1));

    let out = cli(home.path()).args(["doctor", "--diagnostics"]).output().expect("runs");
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    let text = String::from_utf8(out.stdout).expect("utf-8");
    assert!(text.starts_with("Astro Identity diagnostics\n"), "{text}");
    assert!(text.contains(&format!("program: astro-identity-cli {}\n", env!("CARGO_PKG_VERSION"))), "{text}");
    assert!(text.contains(&format!("os: {} ", std::env::consts::OS)), "{text}");
    assert!(text.contains("  AWS profiles: 1 (static keys)\n"), "{text}");
    assert!(text.contains("  OS keyring: unavailable"), "{text}");
    assert!(text.contains("logs: ~/.local/share/dev.astroidentity.app/logs\n"), "{text}");
    let errors = text.split("last errors:\n").nth(1).expect("last errors");
    assert!(errors.contains("WARN") && errors.contains("is not usable"), "{errors}");
    for secret in ["AKIDEXAMPLE", "diagnostics-never-prints-this", "PRIVATE KEY", "MII"] {
        assert!(!text.contains(secret), "{secret} in the report");
    }
    // Nor anywhere in the logs.
    let logs = home.path().join(".local/share/dev.astroidentity.app/logs");
    for entry in std::fs::read_dir(&logs).expect("log dir") {
        let log = std::fs::read_to_string(entry.expect("entry").path()).expect("read");
        assert!(log.contains("astro-identity-cli started"), "{log}");
        assert!(
            !log.contains("MII") && !log.contains("PRIVATE KEY") && !log.contains("never-prints"),
            "{log}"
        );
    }
}
