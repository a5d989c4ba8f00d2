//! The Astro project's `requirements.txt`: does it install the provider the connection
//! needs, and add it if not — appended atomically, every existing byte kept, a change kind
//! of the engine (`crate::change`): journaled as an intent before the file is replaced (the
//! appended line and the file's lengths only: requirements files can hold private index
//! URLs with tokens), settled after a crash, undoable while the file still ends with that
//! line.
//!
//! Reading follows pip: `-r` / `--requirement` includes are read relative to the file that
//! names them (cycles and depth checked); the parsing itself is the domain's.

use std::collections::HashSet;
use std::fs::{self, Permissions};
use std::io::Write;
use std::path::{Path, PathBuf};

use serde::Serialize;

use astro_identity_domain::airflow::ConnectionSpec;
use astro_identity_domain::airflow::requirements::{find, parse, provider_for, with_package_added};

use crate::CloudError;
use crate::backoff::Backoff;
use crate::change::{self, ChangeKind, Target};
use crate::journal::{FileTail, Journal, JournalAction, JournalEntry, PROJECT_CLOUD, Settlement, Subject};

/// The journal's `cloud` for project file changes.
pub const JOURNAL_CLOUD: &str = PROJECT_CLOUD;

/// Includes nested deeper than this are not followed.
const MAX_INCLUDE_DEPTH: usize = 10;

/// Where the provider was found.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[cfg_attr(feature = "specta", derive(specta::Type))]
#[serde(rename_all = "camelCase")]
pub struct FoundRequirement {
    pub file: PathBuf,
    /// 1-based.
    pub line: u32,
    /// That line as written.
    pub text: String,
}

/// Whether a project installs the provider a connection needs.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[cfg_attr(feature = "specta", derive(specta::Type))]
#[serde(rename_all = "camelCase")]
pub struct ProviderCheck {
    /// `<project>/requirements.txt`, absolute.
    pub requirements_path: PathBuf,
    pub exists: bool,
    /// The provider package (`apache-airflow-providers-amazon`); empty for a connection type
    /// that needs none this app knows.
    pub provider: &'static str,
    /// The line [`add_provider`] would append.
    pub requirement_line: String,
    pub found: Option<FoundRequirement>,
    /// Files read through `-r`, in reading order.
    pub includes: Vec<PathBuf>,
    /// Lines that could not be read, includes that could not be followed, and a folder that
    /// does not look like an Astro project.
    pub problems: Vec<String>,
}

/// What [`add_provider`] wrote.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[cfg_attr(feature = "specta", derive(specta::Type))]
#[serde(rename_all = "camelCase")]
pub struct AddOutcome {
    /// The file written (a symlink's target).
    pub requirements_path: PathBuf,
    /// Exactly the text appended (a line break first when the file did not end with one).
    pub appended: String,
    /// The file did not exist and was created.
    pub created: bool,
    pub journal_id: String,
}

/// What [`undo_add_provider`] did.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[cfg_attr(feature = "specta", derive(specta::Type))]
#[serde(rename_all = "camelCase")]
pub struct RemoveOutcome {
    pub requirements_path: PathBuf,
    /// The text cut off again.
    pub removed: String,
    /// The file had been created by the add and was removed.
    pub file_removed: bool,
    pub journal_id: String,
}

/// Checks `<dir>/requirements.txt` for the provider of `conn_type`.
pub fn check_project(dir: &Path, conn_type: &str) -> ProviderCheck {
    match provider_for(conn_type) {
        Some(provider) => check(dir, provider, provider.to_owned()),
        None => {
            let mut result = check(dir, "", String::new());
            result
                .problems
                .push(format!("connection type {conn_type:?} needs no provider this app knows of"));
            result
        }
    }
}

/// Checks for the provider `spec` needs; the line to add carries the minimum version that
/// reads its Extra (`apache-airflow-providers-google>=10.8.0` with impersonation).
pub fn check_project_for(dir: &Path, spec: &ConnectionSpec) -> ProviderCheck {
    check(dir, spec.provider_package(), spec.provider_requirement())
}

fn absolute(dir: &Path) -> PathBuf {
    std::path::absolute(dir).unwrap_or_else(|_| dir.to_path_buf())
}

fn looks_like_project(dir: &Path) -> bool {
    dir.join("requirements.txt").is_file() || dir.join("Dockerfile").is_file()
}

fn not_a_project(dir: &Path) -> String {
    format!(
        "{} does not look like an Astro project: it has no requirements.txt and no Dockerfile",
        dir.display()
    )
}

fn check(dir: &Path, provider: &'static str, requirement_line: String) -> ProviderCheck {
    let dir = absolute(dir);
    let requirements_path = dir.join("requirements.txt");
    let exists = requirements_path.is_file();
    let mut walk = Walk { root: dir.clone(), ..Walk::default() };
    if !looks_like_project(&dir) {
        walk.problems.push(not_a_project(&dir));
    }
    if exists {
        walk.read(&requirements_path, if provider.is_empty() { None } else { Some(provider) }, 0);
    }
    ProviderCheck {
        requirements_path,
        exists,
        provider,
        requirement_line,
        found: walk.found,
        includes: walk.includes,
        problems: walk.problems,
    }
}

#[derive(Default)]
struct Walk {
    root: PathBuf,
    visited: HashSet<PathBuf>,
    chain: Vec<PathBuf>,
    includes: Vec<PathBuf>,
    found: Option<FoundRequirement>,
    problems: Vec<String>,
}

impl Walk {
    fn shown(&self, path: &Path) -> String {
        path.strip_prefix(&self.root).unwrap_or(path).display().to_string()
    }

    fn read(&mut self, file: &Path, package: Option<&str>, depth: usize) {
        let canonical = match fs::canonicalize(file) {
            Ok(path) => path,
            Err(e) => {
                self.problems.push(format!("{}: cannot be read: {e}", self.shown(file)));
                return;
            }
        };
        if self.chain.contains(&canonical) {
            self.problems
                .push(format!("{}: includes itself (directly or through other files)", self.shown(file)));
            return;
        }
        if !self.visited.insert(canonical.clone()) {
            return;
        }
        let text = match fs::read(file) {
            Ok(bytes) => String::from_utf8(bytes).unwrap_or_else(|e| {
                self.problems
                    .push(format!("{}: is not UTF-8 text; it was read approximately", self.shown(file)));
                String::from_utf8_lossy(e.as_bytes()).into_owned()
            }),
            Err(e) => {
                self.problems.push(format!("{}: cannot be read: {e}", self.shown(file)));
                return;
            }
        };
        let parsed = parse(&text);
        for (line, problem) in &parsed.problems {
            self.problems.push(format!("{}:{line}: {problem}", self.shown(file)));
        }
        if self.found.is_none()
            && let Some(found) = package.and_then(|package| find(&parsed, package))
        {
            self.found = Some(FoundRequirement {
                file: file.to_path_buf(),
                line: found.line,
                text: line_text(&text, found.line),
            });
        }
        self.chain.push(canonical);
        for include in &parsed.includes {
            if include.contains("://") {
                self.problems.push(format!(
                    "{}: includes {include}, a URL this check does not follow",
                    self.shown(file)
                ));
                continue;
            }
            let path = file.parent().unwrap_or(Path::new(".")).join(include);
            if depth + 1 > MAX_INCLUDE_DEPTH {
                self.problems.push(format!(
                    "{}: includes {include}, nested deeper than {MAX_INCLUDE_DEPTH} files; not followed",
                    self.shown(file)
                ));
                continue;
            }
            if !path.is_file() {
                self.problems.push(format!("{}: includes {include}, which does not exist", self.shown(file)));
                continue;
            }
            if fs::canonicalize(&path).is_ok_and(|real| self.chain.contains(&real)) {
                self.problems.push(format!(
                    "{}: includes {include}, which is already being read (a cycle); not followed",
                    self.shown(file)
                ));
                continue;
            }
            self.includes.push(path.clone());
            self.read(&path, package, depth + 1);
        }
        self.chain.pop();
    }
}

/// The 1-based physical line `line` of `text`, without its break.
fn line_text(text: &str, line: u32) -> String {
    let index = usize::try_from(line.saturating_sub(1)).unwrap_or(usize::MAX);
    text.split('\n')
        .flat_map(|part| {
            let part = part.strip_suffix('\r').unwrap_or(part);
            part.split('\r')
        })
        .nth(index)
        .unwrap_or_default()
        .to_owned()
}

fn io_error(action: &str, path: &Path, err: &std::io::Error) -> CloudError {
    CloudError::Cloud {
        action: format!("{action} {}", path.display()),
        code: String::from("io"),
        message: err.to_string(),
    }
}

/// Replaces `path` with `bytes` atomically: a temporary file in the same folder, written,
/// given `permissions` (those of the file replaced; 0644 for a new one), synced, then
/// renamed over — after checking that the file still holds `expected` (its content when
/// read), so an edit made meanwhile is never lost.
fn write_atomically(
    path: &Path,
    bytes: &[u8],
    permissions: Option<Permissions>,
    expected: Option<&[u8]>,
) -> Result<(), CloudError> {
    let dir = path.parent().unwrap_or(Path::new("."));
    let fail = |e: std::io::Error| io_error("write", path, &e);
    let mut temp = tempfile::Builder::new()
        .prefix(".requirements.txt.")
        .suffix(".tmp")
        .tempfile_in(dir)
        .map_err(fail)?;
    temp.write_all(bytes).map_err(fail)?;
    let permissions = match permissions {
        Some(permissions) => Some(permissions),
        #[cfg(unix)]
        None => Some(std::os::unix::fs::PermissionsExt::from_mode(0o644)),
        #[cfg(not(unix))]
        None => None,
    };
    if let Some(permissions) = permissions {
        temp.as_file().set_permissions(permissions).map_err(fail)?;
    }
    temp.as_file().sync_all().map_err(fail)?;
    let current = match fs::read(path) {
        Ok(current) => Some(current),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => None,
        Err(e) => return Err(fail(e)),
    };
    if current.as_deref() != expected {
        return Err(CloudError::RemoteChanged {
            what: format!("{} changed while it was being written, so it", path.display()),
            since: "it was read; nothing was written",
        });
    }
    temp.persist(path).map_err(|e| fail(e.error))?;
    // The rename is durable once the folder is synced.
    if let Ok(folder) = fs::File::open(dir) {
        let _ = folder.sync_all();
    }
    Ok(())
}

/// Appends `requirement_line` to `<dir>/requirements.txt` (creating it in a folder with a
/// `Dockerfile`), keeping every existing byte; journaled as an intent before the file is
/// replaced. Refuses when the package is already required there or in an included file.
pub async fn add_provider(
    dir: &Path,
    requirement_line: &str,
    journal: &Journal,
) -> Result<AddOutcome, CloudError> {
    let dir = absolute(dir);
    if !looks_like_project(&dir) {
        return Err(CloudError::Refused {
            reason: not_a_project(&dir),
            hint: String::from(
                "Choose the folder `astro dev init` created: it has a Dockerfile and requirements.txt.",
            ),
        });
    }
    let line = requirement_line.trim();
    let parsed = parse(line);
    let package = match (
        parsed.requirements.as_slice(),
        parsed.problems.is_empty(),
        parsed.includes.is_empty(),
    ) {
        ([one], true, true) if !line.contains(['\n', '\r']) && parsed.options.is_empty() => one.name.clone(),
        _ => {
            return Err(CloudError::Refused {
                reason: format!("{line:?} is not one requirement line"),
                hint: String::from(
                    "Use a line such as apache-airflow-providers-amazon or apache-airflow-providers-google>=10.8.0.",
                ),
            });
        }
    };
    let mut walk = Walk { root: dir.clone(), ..Walk::default() };
    let listed = dir.join("requirements.txt");
    let exists = listed.is_file();
    if exists {
        walk.read(&listed, Some(&package), 0);
    }
    if let Some(found) = walk.found.take() {
        return Err(CloudError::Refused {
            reason: format!(
                "{package} is already required in {} line {}: {}",
                walk.shown(&found.file),
                found.line,
                found.text.trim()
            ),
            hint: String::from("Nothing to add."),
        });
    }
    // Write through a symlink to the file it points to, keeping the link.
    let path =
        if exists { fs::canonicalize(&listed).map_err(|e| io_error("read", &listed, &e))? } else { listed };
    let original =
        if exists { fs::read(&path).map_err(|e| io_error("read", &path, &e))? } else { Vec::new() };
    let text = String::from_utf8(original).map_err(|_| CloudError::Refused {
        reason: format!("{} is not UTF-8 text", path.display()),
        hint: format!("Add the line {line} to it by hand."),
    })?;
    let updated = with_package_added(&text, line);
    let Some(appended) = updated.strip_prefix(text.as_str()).map(str::to_owned) else {
        return Err(CloudError::Refused {
            reason: String::from("adding the line would change existing text"),
            hint: format!("Add the line {line} by hand."),
        });
    };
    let file = RequirementsFile {
        project: dir.display().to_string(),
        path: path.clone(),
        op: FileOp::Append { original: exists.then(|| text.into_bytes()), appended: appended.clone() },
    };
    let applied = change::apply(&file, journal, Backoff::ONCE).await?;
    let journal_id = applied.journal_id.ok_or_else(|| CloudError::RemoteChanged {
        what: format!("{}: the line is there already, so it", path.display()),
        since: "it was read; nothing was written",
    })?;
    Ok(AddOutcome { requirements_path: path, appended, created: !exists, journal_id })
}

/// Cuts off the bytes an `AddRequirement` entry appended — only while the file still has
/// the length the add left and ends with exactly those bytes; else `RemoteChanged`.
pub async fn undo_add_provider(journal: &Journal, entry: &JournalEntry) -> Result<RemoveOutcome, CloudError> {
    if entry.action != JournalAction::AddRequirement || entry.undoes.is_some() {
        return Err(CloudError::Refused {
            reason: format!("journal entry {} is not an added requirement", entry.id),
            hint: String::from("Undo it from the journey that made it."),
        });
    }
    let entry = journal.undo_candidate(PROJECT_CLOUD, Some(&entry.id))?;
    let Subject::Requirements { project, path } = &entry.subject else {
        return Err(CloudError::Journal {
            action: "read",
            detail: format!("journal entry {} names no file", entry.id),
        });
    };
    let broken = || CloudError::Journal {
        action: "read",
        detail: format!("journal entry {} lacks the appended text or the file's lengths", entry.id),
    };
    let added: FileTail = change::typed(entry.after.as_ref(), &entry.id)?.ok_or_else(broken)?;
    let before: Option<FileTail> = change::typed(entry.before.as_ref(), &entry.id)?;
    let file = RequirementsFile {
        project: project.clone(),
        path: PathBuf::from(path),
        op: FileOp::Cut { undoes: &entry, added: added.clone(), before: before.clone() },
    };
    let applied = change::apply(&file, journal, Backoff::ONCE).await?;
    Ok(RemoveOutcome {
        requirements_path: PathBuf::from(path),
        removed: added.tail,
        file_removed: applied.now.is_none(),
        journal_id: applied.journal_id.unwrap_or_default(),
    })
}

/// What a `requirements.txt` change does.
pub(crate) enum FileOp<'a> {
    /// Append `appended` to the file as it was read (`None`: it did not exist).
    Append { original: Option<Vec<u8>>, appended: String },
    /// Undo: cut off what an add appended (remove the file it created).
    Cut { undoes: &'a JournalEntry, added: FileTail, before: Option<FileTail> },
    /// Settling: read and judge only.
    Settle,
}

/// A project's `requirements.txt`. Read: its bytes; State: its length and tail.
pub(crate) struct RequirementsFile<'a> {
    pub project: String,
    pub path: PathBuf,
    pub op: FileOp<'a>,
}

fn tail_of(bytes: &[u8]) -> FileTail {
    FileTail { length: bytes.len() as u64, tail: String::new() }
}

fn holds_tail(now: Option<&Vec<u8>>, state: Option<&FileTail>) -> bool {
    match (now, state) {
        (None, None) => true,
        (Some(bytes), Some(state)) => {
            bytes.len() as u64 == state.length && bytes.ends_with(state.tail.as_bytes())
        }
        _ => false,
    }
}

impl ChangeKind for RequirementsFile<'_> {
    type Read = Vec<u8>;
    type State = FileTail;

    fn subject(&self) -> Subject {
        Subject::Requirements { project: self.project.clone(), path: self.path.display().to_string() }
    }
    fn action(&self) -> JournalAction {
        match self.op {
            FileOp::Cut { .. } => JournalAction::RemoveRequirement,
            _ => JournalAction::AddRequirement,
        }
    }
    fn undoes(&self) -> Option<String> {
        match &self.op {
            FileOp::Cut { undoes, .. } => Some(undoes.id.clone()),
            _ => None,
        }
    }
    async fn read(&self) -> Result<Option<Vec<u8>>, CloudError> {
        match fs::read(&self.path) {
            Ok(bytes) => Ok(Some(bytes)),
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(None),
            Err(e) => Err(io_error("read", &self.path, &e)),
        }
    }
    fn record(&self, read: &Vec<u8>) -> Option<FileTail> {
        // A file being cut is recorded with the tail the cut removes.
        match &self.op {
            FileOp::Cut { added, .. } => {
                Some(FileTail { length: read.len() as u64, tail: added.tail.clone() })
            }
            _ => Some(tail_of(read)),
        }
    }
    fn undo_unavailable(&self, _: Option<&Vec<u8>>, _: Option<&FileTail>) -> Option<String> {
        matches!(self.op, FileOp::Cut { .. })
            .then(|| String::from("this entry undid another; add the provider again instead"))
    }
    fn target(&self, current: Option<&Vec<u8>>, _: u32) -> Result<Target<FileTail>, CloudError> {
        let changed = |since| CloudError::RemoteChanged {
            what: format!("requirements.txt at {}", self.path.display()),
            since,
        };
        match &self.op {
            FileOp::Append { original, appended } => {
                if current != original.as_ref() {
                    return Err(changed("it was read; nothing was written"));
                }
                let length = current.map_or(0, Vec::len) + appended.len();
                Ok(Target::Write(Some(FileTail { length: length as u64, tail: appended.clone() })))
            }
            FileOp::Cut { added, before, .. } => {
                let kept = added.length.checked_sub(added.tail.len() as u64);
                if !holds_tail(current, Some(added)) || kept.is_none() {
                    return Err(changed("the provider line was added; edit it by hand"));
                }
                let kept = kept.unwrap_or(0);
                match before {
                    None if kept == 0 => Ok(Target::Write(None)),
                    _ => Ok(Target::Write(Some(FileTail { length: kept, tail: String::new() }))),
                }
            }
            FileOp::Settle => Ok(Target::Unchanged),
        }
    }
    async fn write(&self, current: Option<&Vec<u8>>, after: Option<&FileTail>) -> Result<(), CloudError> {
        let permissions = match current {
            Some(_) => {
                Some(fs::metadata(&self.path).map_err(|e| io_error("read", &self.path, &e))?.permissions())
            }
            None => None,
        };
        match (&self.op, after) {
            (FileOp::Append { appended, .. }, _) => {
                let mut bytes = current.cloned().unwrap_or_default();
                bytes.extend_from_slice(appended.as_bytes());
                write_atomically(&self.path, &bytes, permissions, current.map(Vec::as_slice))
            }
            (_, None) => fs::remove_file(&self.path).map_err(|e| io_error("remove", &self.path, &e)),
            (_, Some(state)) => {
                let bytes = current.map(Vec::as_slice).unwrap_or_default();
                let kept =
                    usize::try_from(state.length).ok().and_then(|n| bytes.get(..n)).unwrap_or_default();
                write_atomically(&self.path, kept, permissions, current.map(Vec::as_slice))
            }
        }
    }
    fn judge(
        &self,
        now: Option<&Vec<u8>>,
        before: Option<&FileTail>,
        after: Option<&FileTail>,
    ) -> Settlement {
        if holds_tail(now, after) {
            Settlement::Applied
        } else if holds_tail(now, before) {
            Settlement::NotApplied
        } else {
            Settlement::ChangedBySomeoneElse
        }
    }
    fn found(&self, now: Option<&Vec<u8>>, found: Settlement) -> String {
        let path = self.path.display();
        match (now, found) {
            (None, _) => format!("{path} does not exist"),
            (Some(_), Settlement::Applied) => format!("{path} ends as the change left it"),
            (Some(_), Settlement::NotApplied) => format!("{path} is as it was before"),
            (Some(_), Settlement::ChangedBySomeoneElse) => format!("{path} was edited since"),
        }
    }
    fn not_held(&self, _: Option<&Vec<u8>>, _: &str) -> String {
        format!("{} does not read back as written", self.path.display())
    }
    fn definite(&self, err: &CloudError) -> bool {
        // A local file: every failure is known before or at the rename, which is atomic.
        let _ = err;
        true
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const AMAZON: &str = "apache-airflow-providers-amazon";

    struct Project {
        dir: tempfile::TempDir,
        journal: Journal,
        _data: tempfile::TempDir,
    }

    fn project(requirements: Option<&str>) -> Project {
        let dir = tempfile::tempdir().expect("tempdir");
        fs::write(dir.path().join("Dockerfile"), "FROM astrocrpublic.azurecr.io/runtime:3.1-1\n")
            .expect("write");
        fs::create_dir(dir.path().join("dags")).expect("mkdir");
        if let Some(text) = requirements {
            fs::write(dir.path().join("requirements.txt"), text).expect("write");
        }
        let data = tempfile::tempdir().expect("tempdir");
        Project { journal: Journal::in_dir(data.path()), dir, _data: data }
    }

    impl Project {
        fn path(&self, name: &str) -> PathBuf {
            self.dir.path().join(name)
        }
        fn read(&self) -> String {
            fs::read_to_string(self.path("requirements.txt")).expect("read")
        }
    }

    #[test]
    fn finds_the_provider_among_comments_continuations_extras_and_markers() {
        let p = project(Some(
            "# providers\npandas==2.2 \\\n    --hash=sha256:ab\n\
             apache-airflow-providers-Amazon[s3] >= 9.0 ; python_version >= '3.9'  # for S3\n",
        ));
        let check = check_project(p.dir.path(), "aws");
        assert!(check.exists);
        assert_eq!(check.provider, AMAZON);
        assert_eq!(check.requirement_line, AMAZON);
        let found = check.found.expect("found");
        assert_eq!(found.line, 4);
        assert_eq!(found.file, p.path("requirements.txt"));
        assert!(found.text.starts_with("apache-airflow-providers-Amazon[s3]"), "{}", found.text);
        assert_eq!(check.problems, Vec::<String>::new());

        // A comment is not a requirement, nor is a continuation's tail.
        let p =
            project(Some("# apache-airflow-providers-amazon\nx==1 \\\n# apache-airflow-providers-amazon\n"));
        assert_eq!(check_project(p.dir.path(), "aws").found, None);
    }

    #[test]
    fn follows_includes_relative_to_the_including_file_once_and_reports_the_rest() {
        let p =
            project(Some("-r reqs/base.txt\n--requirement=missing.txt\n-r https://x.example/r.txt\nbad==\n"));
        fs::create_dir(p.path("reqs")).expect("mkdir");
        fs::write(p.path("reqs/base.txt"), "-r providers.txt\n-r ../requirements.txt\n").expect("write");
        fs::write(p.path("reqs/providers.txt"), "numpy\napache_airflow_providers_google>=10.8\n")
            .expect("write");
        let check = check_project(p.dir.path(), "google_cloud_platform");
        let found = check.found.expect("found in an include");
        assert_eq!((found.file, found.line), (p.path("reqs/providers.txt"), 2));
        assert_eq!(check.includes, [p.path("reqs/base.txt"), p.path("reqs/providers.txt")]);
        assert_eq!(
            check.problems,
            [
                "requirements.txt:4: == has no version after it",
                "reqs/base.txt: includes ../requirements.txt, which is already being read (a cycle); not followed",
                "requirements.txt: includes missing.txt, which does not exist",
                "requirements.txt: includes https://x.example/r.txt, a URL this check does not follow",
            ]
        );
    }

    #[test]
    fn deep_include_chains_stop_at_ten() {
        let p = project(Some("-r r1.txt\n"));
        for n in 1..=12 {
            fs::write(p.path(&format!("r{n}.txt")), format!("-r r{}.txt\n", n + 1)).expect("write");
        }
        fs::write(p.path("r13.txt"), "apache-airflow-providers-amazon\n").expect("write");
        let check = check_project(p.dir.path(), "aws");
        assert_eq!(check.found, None);
        assert_eq!(check.includes.len(), 10);
        assert!(check.problems.iter().any(|p| p.contains("nested deeper than 10")), "{:?}", check.problems);
    }

    #[tokio::test]
    async fn a_missing_file_or_a_folder_that_is_no_project() {
        let p = project(None);
        let check = check_project(p.dir.path(), "aws");
        assert!(!check.exists && check.found.is_none() && check.problems.is_empty());
        let empty = tempfile::tempdir().expect("tempdir");
        let check = check_project(empty.path(), "aws");
        assert_eq!(check.problems.len(), 1);
        assert!(
            check.problems[0].ends_with(
                "does not look like an Astro project: it has no requirements.txt and no Dockerfile"
            )
        );
        let err = add_provider(empty.path(), AMAZON, &p.journal).await.expect_err("not a project");
        assert_eq!(err.code(), "refused");
        assert!(!empty.path().join("requirements.txt").exists());
        let check = check_project(p.dir.path(), "postgres");
        assert_eq!(check.provider, "");
        assert_eq!(check.problems, ["connection type \"postgres\" needs no provider this app knows of"]);
    }

    #[tokio::test]
    async fn adds_to_a_crlf_file_without_a_final_newline_and_undoes_it() {
        let original = "pandas==2.2\r\n# keep me\r\nnumpy";
        let p = project(Some(original));
        let outcome = add_provider(p.dir.path(), AMAZON, &p.journal).await.expect("add");
        assert_eq!(outcome.appended, "\r\napache-airflow-providers-amazon\r\n");
        assert!(!outcome.created);
        assert_eq!(p.read(), format!("{original}\r\n{AMAZON}\r\n"));
        assert!(check_project(p.dir.path(), "aws").found.is_some());

        let entry = p.journal.entries().expect("entries").pop().expect("entry");
        assert_eq!(entry.action, JournalAction::AddRequirement);
        assert_eq!(
            entry.resource_name(),
            fs::canonicalize(p.path("requirements.txt")).expect("path").display().to_string()
        );
        assert_eq!(
            entry.before,
            Some(serde_json::json!({"length": original.len(), "tail": ""})),
            "only the length of what was there"
        );
        assert_eq!(
            entry.after,
            Some(
                serde_json::json!({"length": original.len() + 35, "tail": "\r\napache-airflow-providers-amazon\r\n"})
            )
        );
        let line = fs::read_to_string(p.journal.path()).expect("journal");
        assert!(
            !line.contains("pandas") && !line.contains("keep me"),
            "no file contents in the journal: {line}"
        );

        let err = add_provider(p.dir.path(), "apache_airflow_providers_amazon>=9", &p.journal)
            .await
            .expect_err("already there");
        assert!(err.to_string().contains("already required in requirements.txt line 4"), "{err}");

        let undone = undo_add_provider(&p.journal, &entry).await.expect("undo");
        assert!(!undone.file_removed);
        assert_eq!(p.read(), original);
        let again = undo_add_provider(&p.journal, &entry).await.expect_err("undone already");
        assert_eq!(again.code(), "refused");
        let last = p.journal.entries().expect("entries").pop().expect("entry");
        assert_eq!(
            (last.action, last.undoes.as_deref()),
            (JournalAction::RemoveRequirement, Some(entry.id.as_str()))
        );
    }

    #[tokio::test]
    async fn undo_is_refused_after_a_later_edit() {
        let p = project(Some("pandas\n"));
        add_provider(p.dir.path(), AMAZON, &p.journal).await.expect("add");
        let entry = p.journal.entries().expect("entries").pop().expect("entry");
        fs::write(p.path("requirements.txt"), format!("pandas\n{AMAZON}\nnumpy\n")).expect("edit");
        let err = undo_add_provider(&p.journal, &entry).await.expect_err("changed");
        assert_eq!(err.code(), "remote_changed");
        assert!(err.to_string().starts_with("requirements.txt at "), "{err}");
        // Same length, different bytes.
        fs::write(p.path("requirements.txt"), format!("pandas\n{}\n", AMAZON.replace('a', "b")))
            .expect("edit");
        assert_eq!(
            undo_add_provider(&p.journal, &entry).await.expect_err("changed").code(),
            "remote_changed"
        );
        assert_eq!(p.read(), format!("pandas\n{}\n", AMAZON.replace('a', "b")));
    }

    #[cfg(unix)]
    #[tokio::test]
    async fn permissions_and_symlinks_are_kept() {
        use std::os::unix::fs::PermissionsExt;
        let p = project(None);
        fs::create_dir(p.path("shared")).expect("mkdir");
        fs::write(p.path("shared/reqs.txt"), "pandas\n").expect("write");
        fs::set_permissions(p.path("shared/reqs.txt"), Permissions::from_mode(0o640)).expect("chmod");
        std::os::unix::fs::symlink("shared/reqs.txt", p.path("requirements.txt")).expect("symlink");
        let outcome = add_provider(p.dir.path(), "apache-airflow-providers-google>=10.8.0", &p.journal)
            .await
            .expect("add");
        assert_eq!(outcome.requirements_path, fs::canonicalize(p.path("shared/reqs.txt")).expect("path"));
        assert!(fs::symlink_metadata(p.path("requirements.txt")).expect("meta").file_type().is_symlink());
        let mode = fs::metadata(p.path("shared/reqs.txt")).expect("meta").permissions().mode() & 0o777;
        assert_eq!(mode, 0o640);
        assert_eq!(p.read(), "pandas\napache-airflow-providers-google>=10.8.0\n");
        let leftovers: Vec<_> =
            fs::read_dir(p.path("shared")).expect("dir").flatten().map(|e| e.file_name()).collect();
        assert_eq!(leftovers.len(), 1, "no temporary file is left: {leftovers:?}");
        let entry = p.journal.entries().expect("entries").pop().expect("entry");
        undo_add_provider(&p.journal, &entry).await.expect("undo");
        assert_eq!(
            fs::metadata(p.path("shared/reqs.txt")).expect("meta").permissions().mode() & 0o777,
            0o640
        );
        assert_eq!(p.read(), "pandas\n");
    }

    #[tokio::test]
    async fn creates_the_file_in_a_project_and_undo_removes_it() {
        let p = project(None);
        let outcome = add_provider(p.dir.path(), &format!("  {AMAZON}\n"), &p.journal).await.expect("add");
        assert!(outcome.created);
        assert_eq!(p.read(), format!("{AMAZON}\n"));
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            let mode = fs::metadata(p.path("requirements.txt")).expect("meta").permissions().mode() & 0o777;
            assert_eq!(mode, 0o644);
        }
        let entry = p.journal.entries().expect("entries").pop().expect("entry");
        assert_eq!(entry.before, None, "the file did not exist");
        let undone = undo_add_provider(&p.journal, &entry).await.expect("undo");
        assert!(undone.file_removed);
        assert!(!p.path("requirements.txt").exists());
    }

    #[tokio::test]
    async fn a_bad_requirement_line_is_refused() {
        let p = project(Some("pandas\n"));
        for bad in ["", "-r other.txt", "a\nb", "bad==", "# comment"] {
            let err = add_provider(p.dir.path(), bad, &p.journal).await.expect_err(bad);
            assert_eq!(err.code(), "refused", "{bad:?}");
        }
        assert_eq!(p.read(), "pandas\n");
    }
}
