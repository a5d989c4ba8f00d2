//! The few environment variables that decide where credential files live, captured once so
//! that detection is a pure function of them (and tests can point it at a temporary home).

use std::collections::BTreeMap;
use std::path::PathBuf;

/// Variables that move credential files. Only these are captured: the rest of the
/// environment may hold secrets and is never copied.
const VARS: &[&str] = &[
    "HOME",
    "USERPROFILE",
    "APPDATA",
    "LOCALAPPDATA",
    "AWS_CONFIG_FILE",
    "AWS_SHARED_CREDENTIALS_FILE",
    "AWS_PROFILE",
    "GOOGLE_APPLICATION_CREDENTIALS",
    "CLOUDSDK_CONFIG",
    "XDG_DATA_HOME",
];

#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct HostEnv {
    vars: BTreeMap<String, String>,
}

impl HostEnv {
    pub fn from_process() -> Self {
        let vars = VARS
            .iter()
            .filter_map(|name| std::env::var(name).ok().map(|value| (name.to_string(), value)))
            .collect();
        Self { vars }
    }

    /// Builds one from explicit pairs; unknown names are ignored like in `from_process`.
    pub fn from_pairs<'a>(pairs: impl IntoIterator<Item = (&'a str, &'a str)>) -> Self {
        let vars = pairs
            .into_iter()
            .filter(|(name, _)| VARS.contains(name))
            .map(|(name, value)| (name.to_owned(), value.to_owned()))
            .collect();
        Self { vars }
    }

    pub fn get(&self, name: &str) -> Option<&str> {
        self.vars.get(name).map(String::as_str).filter(|v| !v.is_empty())
    }

    pub fn pairs(&self) -> impl Iterator<Item = (&str, &str)> {
        self.vars.iter().map(|(k, v)| (k.as_str(), v.as_str()))
    }

    pub fn home(&self) -> Option<PathBuf> {
        self.get("HOME").or_else(|| self.get("USERPROFILE")).map(PathBuf::from)
    }

    /// Where the app keeps its own files (the journal), the same folder Tauri's
    /// `app_data_dir` names: `$XDG_DATA_HOME/<app id>` on Linux.
    pub fn app_data_dir(&self) -> PathBuf {
        let base = if cfg!(target_os = "macos") {
            self.expand_home("~/Library/Application Support")
        } else if cfg!(windows) {
            PathBuf::from(self.get("APPDATA").unwrap_or("."))
        } else if let Some(xdg) = self.get("XDG_DATA_HOME") {
            PathBuf::from(xdg)
        } else {
            self.expand_home("~/.local/share")
        };
        base.join(astro_identity_domain::app::APP_ID)
    }

    /// Where the app and the CLI keep their logs, the folder Tauri's `app_log_dir` names:
    /// `~/Library/Logs/<app id>` on macOS, `%LOCALAPPDATA%\<app id>\logs` on Windows,
    /// `$XDG_DATA_HOME/<app id>/logs` on Linux.
    pub fn log_dir(&self) -> PathBuf {
        let id = astro_identity_domain::app::APP_ID;
        if cfg!(target_os = "macos") {
            self.expand_home("~/Library/Logs").join(id)
        } else if cfg!(windows) {
            PathBuf::from(self.get("LOCALAPPDATA").or(self.get("APPDATA")).unwrap_or("."))
                .join(id)
                .join("logs")
        } else {
            self.app_data_dir().join("logs")
        }
    }

    /// A path as people write it: `~/.aws/config` rather than `/home/ada/.aws/config`.
    pub fn display_path(&self, path: &std::path::Path) -> String {
        match self.home().and_then(|home| path.strip_prefix(home).ok().map(PathBuf::from)) {
            Some(rest) if !rest.as_os_str().is_empty() => format!("~/{}", rest.display()),
            _ => path.display().to_string(),
        }
    }

    /// Expands a leading `~` the way the AWS SDKs do.
    pub fn expand_home(&self, path: &str) -> PathBuf {
        match (path.strip_prefix("~/").or(path.strip_prefix("~\\")), self.home()) {
            (Some(rest), Some(home)) => home.join(rest),
            _ => PathBuf::from(path),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_known_variables_are_kept() {
        let env =
            HostEnv::from_pairs([("HOME", "/h"), ("AWS_SECRET_ACCESS_KEY", "nope"), ("CLOUDSDK_CONFIG", "")]);
        assert_eq!(env.pairs().collect::<Vec<_>>(), [("CLOUDSDK_CONFIG", ""), ("HOME", "/h")]);
        assert_eq!(env.get("CLOUDSDK_CONFIG"), None, "empty counts as unset");
        assert_eq!(env.get("AWS_SECRET_ACCESS_KEY"), None);
    }

    #[test]
    fn expands_home() {
        let env = HostEnv::from_pairs([("HOME", "/home/ada")]);
        assert_eq!(env.expand_home("~/.aws/config"), PathBuf::from("/home/ada/.aws/config"));
        assert_eq!(env.expand_home("/etc/aws"), PathBuf::from("/etc/aws"));
        assert_eq!(HostEnv::default().expand_home("~/x"), PathBuf::from("~/x"));
    }

    #[cfg(target_os = "linux")]
    #[test]
    fn app_data_dir_follows_xdg() {
        let env = HostEnv::from_pairs([("HOME", "/home/ada")]);
        assert_eq!(env.app_data_dir(), PathBuf::from("/home/ada/.local/share/dev.astroidentity.app"));
        let env = HostEnv::from_pairs([("HOME", "/home/ada"), ("XDG_DATA_HOME", "/data")]);
        assert_eq!(env.app_data_dir(), PathBuf::from("/data/dev.astroidentity.app"));
    }

    #[test]
    fn displays_paths_under_home_with_a_tilde() {
        let env = HostEnv::from_pairs([("HOME", "/home/ada")]);
        assert_eq!(env.display_path(std::path::Path::new("/home/ada/.aws/config")), "~/.aws/config");
        assert_eq!(env.display_path(std::path::Path::new("/home/adam/x")), "/home/adam/x");
        assert_eq!(env.display_path(std::path::Path::new("/home/ada")), "/home/ada");
        assert_eq!(HostEnv::default().display_path(std::path::Path::new("/etc/x")), "/etc/x");
    }
}
