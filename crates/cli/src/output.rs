//! How the CLI reports: JSON on request, plain text otherwise; errors on stderr with a hint.

use std::fmt;
use std::io::{BufRead, IsTerminal, Write};

use serde::Serialize;

use astro_identity_cloud::CloudError;
use astro_identity_domain::DomainError;
use astro_identity_domain::diff::{DiffKind, DiffLine};

/// A failure to report on stderr: what went wrong and what to do.
#[derive(Debug)]
pub struct Failure {
    pub message: String,
    pub hint: String,
}

impl fmt::Display for Failure {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "error: {}", self.message)?;
        if !self.hint.is_empty() {
            write!(f, "\nhint: {}", self.hint)?;
        }
        Ok(())
    }
}

impl From<CloudError> for Failure {
    fn from(err: CloudError) -> Self {
        Self { message: err.to_string(), hint: err.hint() }
    }
}

impl From<DomainError> for Failure {
    fn from(err: DomainError) -> Self {
        Self { message: err.to_string(), hint: err.hint().to_owned() }
    }
}

impl Failure {
    pub fn new(message: impl Into<String>, hint: impl Into<String>) -> Self {
        Self { message: message.into(), hint: hint.into() }
    }
}

pub fn print_json(value: &impl Serialize) -> Result<(), Failure> {
    let text = serde_json::to_string_pretty(value)
        .map_err(|e| Failure::new(format!("could not encode the output: {e}"), ""))?;
    println!("{text}");
    Ok(())
}

/// Asks on the terminal. Without one, refuses: scripts must say --yes.
pub fn confirm(question: &str) -> Result<bool, Failure> {
    if !std::io::stdin().is_terminal() {
        return Err(Failure::new(
            "not applied: confirmation needed",
            "Pass --yes to apply without a terminal.",
        ));
    }
    print!("{question} [y/N] ");
    let _ = std::io::stdout().flush();
    let mut answer = String::new();
    std::io::stdin().lock().read_line(&mut answer).map_err(|e| Failure::new(e.to_string(), ""))?;
    Ok(matches!(answer.trim(), "y" | "Y" | "yes"))
}

/// A line diff with `+`/`-` marks.
pub fn render_diff(diff: &[DiffLine]) -> String {
    diff.iter()
        .map(|line| {
            let mark = match line.kind {
                DiffKind::Added => '+',
                DiffKind::Removed => '-',
                DiffKind::Same => ' ',
            };
            format!("{mark} {}\n", line.text)
        })
        .collect()
}

/// A file's text, or standard input's for `-`.
pub fn read_input(path: &str) -> std::io::Result<String> {
    if path == "-" { std::io::read_to_string(std::io::stdin()) } else { std::fs::read_to_string(path) }
}

/// How a batch ends: an error saying how many entries (`what`, e.g. "role(s)") failed.
pub fn batch_result(failed: usize, what: &str) -> Result<(), Failure> {
    if failed == 0 {
        return Ok(());
    }
    Err(Failure::new(
        format!("{failed} {what} failed (listed above); the others went through"),
        "Fix what each failed one says, then run the batch again: what is done already plans as no change.",
    ))
}

/// `--quota`: the same bounds the window applies (IAM's default up to its documented maximum).
pub fn parse_quota(text: &str) -> Result<u32, String> {
    let value: u32 = text.parse().map_err(|_| format!("{text:?} is not a number of characters"))?;
    astro_identity_domain::aws::trust_policy_quota(Some(value))
        .map_err(|e| format!("{} {}", e.sentence(), e.hint()))
}
