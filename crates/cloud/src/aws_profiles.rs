//! AWS profiles, read with the AWS SDK's own profile-file parser so that we see exactly the
//! profiles the SDK will later sign in with (SSO sessions, `[profile x]` rules and all).

use aws_runtime::env_config::file::EnvConfigFiles;
use aws_types::os_shim_internal::{Env, Fs};

use astro_identity_domain::credentials::{AwsSummary, describe_aws_profile};

use crate::host::HostEnv;

pub async fn load_aws_summary(host: &HostEnv) -> AwsSummary {
    let config_file = host.expand_home(host.get("AWS_CONFIG_FILE").unwrap_or("~/.aws/config"));
    let credentials_file =
        host.expand_home(host.get("AWS_SHARED_CREDENTIALS_FILE").unwrap_or("~/.aws/credentials"));
    let pairs: Vec<(&str, &str)> = host.pairs().collect();
    let env = Env::from_slice(&pairs);
    let loaded = aws_config::profile::load(&Fs::real(), &env, &EnvConfigFiles::default(), None).await;
    let (profiles, problem) = match loaded {
        Ok(set) => {
            let mut names: Vec<&str> = set.profiles().collect();
            names.sort_unstable();
            let profiles = names
                .into_iter()
                .filter_map(|name| {
                    let profile = set.get_profile(name)?;
                    Some(describe_aws_profile(name, |key| profile.get(key).map(str::to_owned)))
                })
                .collect();
            (profiles, None)
        }
        Err(err) => (Vec::new(), Some(err.to_string())),
    };
    AwsSummary {
        config_file: host.display_path(&config_file),
        credentials_file: host.display_path(&credentials_file),
        profiles,
        problem,
    }
}

/// For an SSO profile: whether neither it nor its sso-session says `sso_region`, which the
/// SDK then reports as an unrelated failure further down the chain.
pub async fn sso_region_missing(host: &HostEnv, name: &str) -> bool {
    let pairs: Vec<(&str, &str)> = host.pairs().collect();
    let env = Env::from_slice(&pairs);
    let Ok(set) = aws_config::profile::load(&Fs::real(), &env, &EnvConfigFiles::default(), None).await else {
        return false;
    };
    let Some(profile) = set.get_profile(name) else { return false };
    let region = match profile.get("sso_session") {
        Some(session) => set.sso_session(session).and_then(|s| s.get("sso_region")),
        None => profile.get("sso_region"),
    };
    region.is_none_or(str::is_empty)
}

#[cfg(test)]
mod tests {
    use astro_identity_domain::credentials::AwsProfileKind;

    use super::*;

    fn write(dir: &std::path::Path, rel: &str, text: &str) {
        let path = dir.join(rel);
        std::fs::create_dir_all(path.parent().expect("has parent")).expect("mkdir");
        std::fs::write(path, text).expect("write");
    }

    #[tokio::test]
    async fn reads_config_and_credentials_files_under_home() {
        let home = tempfile::tempdir().expect("tempdir");
        write(
            home.path(),
            ".aws/config",
            "[default]\nregion = us-east-1\n\n\
             [profile data-sso]\nsso_session = corp\nsso_account_id = 111122223333\n\
             sso_role_name = DataEngineer\nregion = eu-west-1\n\n\
             [sso-session corp]\nsso_start_url = https://corp.awsapps.com/start\nsso_region = us-east-1\n\n\
             [profile admin]\nrole_arn = arn:aws:iam::444455556666:role/Admin\nsource_profile = default\n\n\
             [not-a-profile]\nregion = x\n",
        );
        write(
            home.path(),
            ".aws/credentials",
            "[default]\naws_access_key_id = AKIDEXAMPLE\naws_secret_access_key = wJalrSECRET\n",
        );
        let host = HostEnv::from_pairs([("HOME", home.path().to_str().expect("utf-8"))]);
        let summary = load_aws_summary(&host).await;
        assert_eq!(summary.problem, None);
        let got: Vec<(&str, AwsProfileKind)> =
            summary.profiles.iter().map(|p| (p.name.as_str(), p.kind)).collect();
        assert_eq!(
            got,
            [
                ("admin", AwsProfileKind::AssumeRole),
                ("data-sso", AwsProfileKind::Sso),
                ("default", AwsProfileKind::StaticKeys),
            ]
        );
        assert_eq!(summary.profiles[1].account_id.as_deref(), Some("111122223333"));
        assert_eq!(summary.profiles[2].region.as_deref(), Some("us-east-1"));
        assert_eq!(summary.config_file, "~/.aws/config");
        assert_eq!(summary.credentials_file, "~/.aws/credentials");
    }

    #[tokio::test]
    async fn honours_aws_config_file_and_reports_no_profiles_when_absent() {
        let dir = tempfile::tempdir().expect("tempdir");
        let home = dir.path().to_str().expect("utf-8");
        let empty = load_aws_summary(&HostEnv::from_pairs([("HOME", home)])).await;
        assert!(empty.profiles.is_empty());
        assert_eq!(empty.problem, None);

        write(dir.path(), "elsewhere/cfg", "[profile moved]\ncredential_process = /bin/creds\n");
        let cfg = dir.path().join("elsewhere/cfg");
        let host = HostEnv::from_pairs([("HOME", home), ("AWS_CONFIG_FILE", cfg.to_str().expect("utf-8"))]);
        let summary = load_aws_summary(&host).await;
        assert_eq!(summary.profiles.len(), 1);
        assert_eq!(summary.profiles[0].kind, AwsProfileKind::CredentialProcess);
        assert_eq!(summary.config_file, "~/elsewhere/cfg");
    }
}
