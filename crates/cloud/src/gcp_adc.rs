//! Google Application Default Credentials: where the file is and what kind it is, found the
//! way the Google client libraries look for it.

use std::path::PathBuf;

use astro_identity_domain::credentials::{AdcStatus, GcpSummary, parse_adc};

use crate::host::HostEnv;

/// `GOOGLE_APPLICATION_CREDENTIALS`, else gcloud's well-known file.
pub fn adc_location(host: &HostEnv) -> (PathBuf, bool) {
    if let Some(path) = host.get("GOOGLE_APPLICATION_CREDENTIALS") {
        return (host.expand_home(path), true);
    }
    let config_dir = if let Some(dir) = host.get("CLOUDSDK_CONFIG") {
        host.expand_home(dir)
    } else if cfg!(windows) {
        PathBuf::from(host.get("APPDATA").unwrap_or_default()).join("gcloud")
    } else {
        host.expand_home("~/.config/gcloud")
    };
    (config_dir.join("application_default_credentials.json"), false)
}

pub async fn load_gcp_summary(host: &HostEnv) -> GcpSummary {
    let (path, from_env) = adc_location(host);
    let adc = match tokio::fs::read_to_string(&path).await {
        Ok(text) => match parse_adc(&text) {
            Ok(found) => AdcStatus::Found(found),
            Err(reason) => AdcStatus::Unreadable { reason },
        },
        Err(err) if err.kind() == std::io::ErrorKind::NotFound => AdcStatus::Missing,
        Err(err) => AdcStatus::Unreadable { reason: err.to_string() },
    };
    GcpSummary { adc_path: host.display_path(&path), from_env, adc }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn finds_gclouds_well_known_file() {
        let home = tempfile::tempdir().expect("tempdir");
        let dir = home.path().join(".config/gcloud");
        std::fs::create_dir_all(&dir).expect("mkdir");
        std::fs::write(
            dir.join("application_default_credentials.json"),
            r#"{"type":"authorized_user","refresh_token":"1//SECRET","quota_project_id":"astro-data"}"#,
        )
        .expect("write");
        let host = HostEnv::from_pairs([("HOME", home.path().to_str().expect("utf-8"))]);
        let summary = load_gcp_summary(&host).await;
        assert!(!summary.from_env);
        match summary.adc {
            AdcStatus::Found(adc) => {
                assert_eq!(adc.kind, "authorized_user");
                assert_eq!(adc.project.as_deref(), Some("astro-data"));
            }
            other => panic!("expected Found, got {other:?}"),
        }
    }

    #[tokio::test]
    async fn env_var_wins_and_problems_are_reported() {
        let dir = tempfile::tempdir().expect("tempdir");
        let key = dir.path().join("key.json");
        std::fs::write(&key, "not json").expect("write");
        let host = HostEnv::from_pairs([
            ("HOME", dir.path().to_str().expect("utf-8")),
            ("GOOGLE_APPLICATION_CREDENTIALS", key.to_str().expect("utf-8")),
        ]);
        let summary = load_gcp_summary(&host).await;
        assert!(summary.from_env);
        assert_eq!(summary.adc_path, "~/key.json");
        assert!(
            matches!(summary.adc, AdcStatus::Unreadable { ref reason } if reason.starts_with("not a credentials JSON file"))
        );

        let missing = HostEnv::from_pairs([("HOME", dir.path().to_str().expect("utf-8"))]);
        assert_eq!(load_gcp_summary(&missing).await.adc, AdcStatus::Missing);
    }
}
