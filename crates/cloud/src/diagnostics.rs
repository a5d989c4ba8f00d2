//! Diagnostics for bug reports: structured `tracing` logs in a size-bounded file in the
//! platform's log folder, and a report (versions, OS, which kinds of credentials exist, the
//! last errors) that the window's "Copy diagnostics" and `doctor --diagnostics` print.
//!
//! Secrets stay out by type: they travel as `Sensitive`, whose `Debug` and `Display` print
//! `<redacted>`, and only error messages (which never quote a secret) and names are logged.

use std::fs::{File, OpenOptions};
use std::io::{self, Write};
use std::path::{Path, PathBuf};
use std::sync::Mutex;

use astro_identity_domain::credentials::{AdcStatus, CredentialSummary};

use crate::HostEnv;

/// One log file holds at most this much; then it becomes `<name>.log.1` (the one older file
/// kept) and a new one starts. Two files: at most 2 MiB on disk per program.
pub const LOG_LIMIT: u64 = 1024 * 1024;

/// How many warnings and errors the report repeats.
const LAST_ERRORS: usize = 20;

/// A log file that never grows past its limit: before a line would cross it, the file is
/// moved aside (replacing the older one) and a new one begins.
pub struct BoundedLog {
    path: PathBuf,
    limit: u64,
    state: Mutex<Option<(File, u64)>>,
}

impl BoundedLog {
    pub fn open(path: PathBuf, limit: u64) -> io::Result<Self> {
        if let Some(dir) = path.parent() {
            std::fs::create_dir_all(dir)?;
        }
        let file = OpenOptions::new().create(true).append(true).open(&path)?;
        let size = file.metadata()?.len();
        Ok(Self { path, limit, state: Mutex::new(Some((file, size))) })
    }

    pub fn path(&self) -> &Path {
        &self.path
    }

    fn write_line(&self, line: &[u8]) -> io::Result<()> {
        let mut state = match self.state.lock() {
            Ok(guard) => guard,
            Err(poisoned) => poisoned.into_inner(),
        };
        let full = state.as_ref().is_some_and(|(_, size)| size + line.len() as u64 > self.limit);
        if full || state.is_none() {
            *state = None;
            let mut older = self.path.clone().into_os_string();
            older.push(".1");
            // A failed rename still starts a new file: truncating keeps the bound.
            let _ = std::fs::rename(&self.path, older);
            let file = OpenOptions::new().create(true).write(true).truncate(true).open(&self.path)?;
            *state = Some((file, 0));
        }
        if let Some((file, size)) = state.as_mut() {
            // A line longer than the whole limit is cut, so the bound holds for any input.
            let take = line.len().min(self.limit as usize);
            file.write_all(&line[..take])?;
            *size += take as u64;
        }
        Ok(())
    }
}

/// What `tracing-subscriber` writes each event through.
pub struct LogLine<'a>(&'a BoundedLog);

impl Write for LogLine<'_> {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        self.0.write_line(buf)?;
        Ok(buf.len())
    }

    fn flush(&mut self) -> io::Result<()> {
        Ok(())
    }
}

impl<'a> tracing_subscriber::fmt::MakeWriter<'a> for BoundedLog {
    type Writer = LogLine<'a>;

    fn make_writer(&'a self) -> Self::Writer {
        LogLine(self)
    }
}

/// `<log dir>/<program>.log`.
pub fn log_file(log_dir: &Path, program: &str) -> PathBuf {
    log_dir.join(format!("{program}.log"))
}

/// Starts logging `program`'s events (info and above) to its bounded file in `log_dir`.
/// Logging is help, never a reason to fail: without a writable folder nothing is logged.
pub fn init_logging(log_dir: &Path, program: &str) {
    let Ok(log) = BoundedLog::open(log_file(log_dir, program), LOG_LIMIT) else { return };
    let _ = tracing_subscriber::fmt()
        .with_writer(log)
        .with_ansi(false)
        .with_max_level(tracing::Level::INFO)
        .try_init();
    tracing::info!(version = env!("CARGO_PKG_VERSION"), os = std::env::consts::OS, "{program} started");
}

/// The report for a bug: versions, OS, credential kinds and counts (never names of secrets'
/// values), and the last warnings and errors of the app's and the CLI's logs.
pub fn report(program: &str, summary: &CredentialSummary, host: &HostEnv) -> String {
    let log_dir = host.log_dir();
    let mut out = String::from("Astro Identity diagnostics\n");
    out.push_str(&format!("program: {program} {}\n", env!("CARGO_PKG_VERSION")));
    out.push_str(&format!("os: {} {} ({})\n", std::env::consts::OS, std::env::consts::ARCH, os_name()));

    out.push_str("credentials (kinds only, never values):\n");
    let mut kinds: Vec<&str> = summary.aws.profiles.iter().map(|p| p.kind.label()).collect();
    kinds.sort_unstable();
    kinds.dedup();
    out.push_str(&format!(
        "  AWS profiles: {}{}\n",
        summary.aws.profiles.len(),
        if kinds.is_empty() { String::new() } else { format!(" ({})", kinds.join(", ")) }
    ));
    let adc = match &summary.gcp.adc {
        AdcStatus::Found(found) => found.kind.clone(),
        AdcStatus::Missing => String::from("none"),
        AdcStatus::Unreadable { .. } => String::from("unreadable file"),
    };
    let origin = if summary.gcp.from_env { " (GOOGLE_APPLICATION_CREDENTIALS)" } else { "" };
    out.push_str(&format!("  Google ADC: {adc}{origin}\n"));
    match &summary.keyring.unavailable {
        Some(reason) => out.push_str(&format!("  OS keyring: unavailable ({reason})\n")),
        None => {
            let count = |provider: &str| {
                summary.keyring.held.iter().filter(|k| k.provider.to_string() == provider).count()
            };
            out.push_str(&format!(
                "  OS keyring: available; {} AWS key set(s), {} Google key(s), {} Astro token(s)\n",
                count("aws"),
                count("gcp"),
                count("astro")
            ));
        }
    }

    out.push_str(&format!("logs: {}\n", host.display_path(&log_dir)));
    let errors = last_errors(&log_dir);
    if errors.is_empty() {
        out.push_str("last errors: none\n");
    } else {
        out.push_str("last errors:\n");
        for line in errors {
            out.push_str(&format!("  {line}\n"));
        }
    }
    out
}

/// The last warnings and errors of every program's log (and its older file), oldest first.
fn last_errors(log_dir: &Path) -> Vec<String> {
    let mut lines = Vec::new();
    let Ok(entries) = std::fs::read_dir(log_dir) else { return lines };
    let mut files: Vec<PathBuf> = entries.flatten().map(|e| e.path()).collect();
    // `x.log.1` sorts after `x.log`; older lines first means reading it first.
    files.sort_by_key(|p| (p.extension().is_none_or(|e| e != "1"), p.clone()));
    for file in files {
        let Ok(text) = std::fs::read_to_string(&file) else { continue };
        lines.extend(
            text.lines().filter(|l| l.contains(" WARN ") || l.contains(" ERROR ")).map(str::to_owned),
        );
    }
    // Log lines start with an RFC 3339 time: sorting them orders the programs' lines.
    lines.sort();
    let skip = lines.len().saturating_sub(LAST_ERRORS);
    lines.split_off(skip)
}

/// The distribution's name on Linux (`PRETTY_NAME`), else the OS family.
fn os_name() -> String {
    std::fs::read_to_string("/etc/os-release")
        .ok()
        .and_then(|text| {
            text.lines().find_map(|l| l.strip_prefix("PRETTY_NAME=")).map(|v| v.trim_matches('"').to_owned())
        })
        .unwrap_or_else(|| std::env::consts::FAMILY.to_owned())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_log_never_grows_past_its_limit_and_keeps_one_older_file() {
        let dir = tempfile::tempdir().expect("tempdir");
        let path = dir.path().join("app.log");
        let log = BoundedLog::open(path.clone(), 100).expect("open");
        for i in 0..30 {
            log.write_line(format!("line {i:02} of the log\n").as_bytes()).expect("write");
        }
        let size = std::fs::metadata(&path).expect("meta").len();
        assert!(size <= 100, "{size}");
        let older = std::fs::read_to_string(dir.path().join("app.log.1")).expect("older file");
        assert!(older.len() <= 100 && older.ends_with('\n'), "{older:?}");
        let newest = std::fs::read_to_string(&path).expect("read");
        assert!(newest.ends_with("line 29 of the log\n"), "{newest:?}");
        // Only the two files, whatever was written.
        assert_eq!(std::fs::read_dir(dir.path()).expect("dir").count(), 2);
        log.write_line(&[b'x'; 500]).expect("a huge line");
        assert!(std::fs::metadata(&path).expect("meta").len() <= 100);
    }

    #[test]
    fn the_report_names_kinds_and_the_last_errors_of_every_log() {
        use astro_identity_domain::credentials::{AwsSummary, GcpSummary, KeyringSummary};
        let home = tempfile::tempdir().expect("tempdir");
        let host = HostEnv::from_pairs([("HOME", home.path().to_str().expect("utf-8"))]);
        let dir = host.log_dir();
        std::fs::create_dir_all(&dir).expect("mkdir");
        std::fs::write(
            dir.join("astro-identity.log"),
            "2026-12-06T10:00:00Z  INFO started\n2026-12-06T10:00:02Z  WARN ipc error: access denied: iam:GetRole\n",
        )
        .expect("write");
        std::fs::write(
            dir.join("astro-identity-cli.log"),
            "2026-12-06T10:00:01Z ERROR no usable Google Cloud credentials\n",
        )
        .expect("write");
        let summary = CredentialSummary {
            aws: AwsSummary {
                config_file: "~/.aws/config".into(),
                credentials_file: "~/.aws/credentials".into(),
                profiles: Vec::new(),
                problem: None,
            },
            gcp: GcpSummary { adc_path: "/h/adc.json".into(), from_env: true, adc: AdcStatus::Missing },
            keyring: KeyringSummary {
                unavailable: Some("no OS keyring is running".into()),
                held: Vec::new(),
            },
        };
        let text = report("astro-identity-cli", &summary, &host);
        assert!(
            text.contains("logs: ~/.local/share/dev.astroidentity.app/logs\n")
                || cfg!(not(target_os = "linux")),
            "{text}"
        );
        assert!(
            text.contains(&format!("program: astro-identity-cli {}\n", env!("CARGO_PKG_VERSION"))),
            "{text}"
        );
        assert!(
            text.contains("  AWS profiles: 0\n  Google ADC: none (GOOGLE_APPLICATION_CREDENTIALS)\n"),
            "{text}"
        );
        assert!(text.contains("  OS keyring: unavailable (no OS keyring is running)\n"), "{text}");
        let errors = text.split("last errors:\n").nth(1).expect("errors");
        assert_eq!(
            errors,
            "  2026-12-06T10:00:01Z ERROR no usable Google Cloud credentials\n  2026-12-06T10:00:02Z  WARN ipc error: access denied: iam:GetRole\n"
        );
    }
}
