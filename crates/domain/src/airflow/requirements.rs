//! `requirements.txt` as pip reads it: enough to tell whether an Astro project installs the
//! provider its connection needs, and to add it without disturbing anything else.
//!
//! [`parse`] follows pip's reading order: physical lines (Python's `splitlines` breaks),
//! `\` continuations joined (a comment line ends one), comments dropped (`#` at the start or
//! after whitespace — so `…#egg=x` in a URL stays), options (`-r` includes returned,
//! the rest kept), then each requirement in PEP 508 form. It never fails: what it cannot
//! read is reported as a problem with its line number, because one odd line must not hide
//! the provider two lines below.
//!
//! [`with_package_added`] appends and never rewrites: the file is the user's, comments,
//! order, line endings and all.

use serde::{Deserialize, Serialize};

/// One requirement line.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "specta", derive(specta::Type))]
#[serde(rename_all = "camelCase")]
pub struct Requirement {
    /// As written.
    pub name: String,
    /// PEP 503: lower case, each run of `-`, `_`, `.` as one `-`.
    pub normalized: String,
    /// As written, in order.
    pub extras: Vec<String>,
    /// The version clauses without whitespace, comma-separated (`>=9.0,<10`); empty when
    /// there are none.
    pub specifier: String,
    /// The URL of a direct reference (`name @ url`).
    pub url: Option<String>,
    /// The environment marker after `;`, as written (trimmed).
    pub marker: Option<String>,
    /// The 1-based line the requirement starts on.
    pub line: u32,
}

/// Everything read from one file.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "specta", derive(specta::Type))]
#[serde(rename_all = "camelCase")]
pub struct Requirements {
    pub requirements: Vec<Requirement>,
    /// Files named by `-r` / `--requirement`, in order, for the caller to read too.
    pub includes: Vec<String>,
    /// Every other option line (`-c`, `-e`, `--index-url`, …) with its line number, as
    /// written after joining continuations and dropping comments.
    pub options: Vec<(u32, String)>,
    /// Lines that could not be read, with why.
    pub problems: Vec<(u32, String)>,
}

/// The provider package an Airflow connection type needs; `None` for types this app does
/// not create.
pub fn provider_for(conn_type: &str) -> Option<&'static str> {
    match conn_type {
        "aws" => Some("apache-airflow-providers-amazon"),
        "google_cloud_platform" => Some("apache-airflow-providers-google"),
        _ => None,
    }
}

/// PEP 503 name normalisation.
pub fn normalize(name: &str) -> String {
    let mut out = String::with_capacity(name.len());
    let mut in_separator = false;
    for c in name.chars() {
        if matches!(c, '-' | '_' | '.') {
            if !in_separator {
                out.push('-');
            }
            in_separator = true;
        } else {
            out.extend(c.to_lowercase());
            in_separator = false;
        }
    }
    out
}

/// The first requirement for `package` (any spelling PEP 503 treats as the same name).
pub fn find<'a>(requirements: &'a Requirements, package: &str) -> Option<&'a Requirement> {
    let wanted = normalize(package.trim());
    requirements.requirements.iter().find(|r| r.normalized == wanted)
}

/// Reads a requirements file. Never panics, never fails.
pub fn parse(text: &str) -> Requirements {
    let mut result = Requirements::default();
    for (line, logical) in logical_lines(text.strip_prefix('\u{feff}').unwrap_or(text)) {
        if logical.starts_with('-') {
            read_options(&mut result, line, &logical);
            continue;
        }
        match parse_requirement(&logical, line) {
            Ok(requirement) => result.requirements.push(requirement),
            Err(problem) => result.problems.push((line, problem)),
        }
    }
    result
}

/// `text` with `requirement_line` appended as a line of its own. Every byte of `text` is
/// kept; a line break is added first only when `text` does not end with one, and a blank
/// line too when its last line ends in a `\` continuation (which would swallow the new
/// line). Line breaks are `\r\n` when the file uses them.
pub fn with_package_added(text: &str, requirement_line: &str) -> String {
    let newline = if text.contains("\r\n") { "\r\n" } else { "\n" };
    let line = requirement_line.trim_matches(['\r', '\n']);
    let unterminated = !text.is_empty() && !text.ends_with(is_line_break);
    let dangling = physical_lines(text).last().is_some_and(|last| continues(last));
    let mut out = String::with_capacity(text.len() + line.len() + 6);
    out.push_str(text);
    for _ in 0..usize::from(unterminated) + usize::from(dangling) {
        if newline == "\n" && out.ends_with('\r') {
            // A `\n` right after a lone `\r` would only complete that break, not add one.
            out.push('\n');
        }
        out.push_str(newline);
    }
    out.push_str(line);
    out.push_str(newline);
    out
}

/// Python's `str.splitlines` boundaries, which is what pip splits a file on.
fn is_line_break(c: char) -> bool {
    matches!(
        c,
        '\n' | '\r' | '\u{b}' | '\u{c}' | '\u{1c}' | '\u{1d}' | '\u{1e}' | '\u{85}' | '\u{2028}' | '\u{2029}'
    )
}

/// The lines without their breaks; `\r\n` is one break. No empty last line for a
/// terminated text, as in Python.
fn physical_lines(text: &str) -> Vec<&str> {
    let mut lines = Vec::new();
    let mut start = 0;
    let mut chars = text.char_indices().peekable();
    while let Some((index, c)) = chars.next() {
        if is_line_break(c) {
            lines.push(&text[start..index]);
            start = index + c.len_utf8();
            if c == '\r' && chars.peek().is_some_and(|&(_, next)| next == '\n') {
                chars.next();
                start += 1;
            }
        }
    }
    if start < text.len() {
        lines.push(&text[start..]);
    }
    lines
}

fn is_comment_line(line: &str) -> bool {
    line.trim_start().starts_with('#')
}

/// A line pip joins with the next: ends in `\` and is not a comment.
fn continues(line: &str) -> bool {
    line.ends_with('\\') && !is_comment_line(line)
}

/// The text before the first `#` that starts the line or follows whitespace.
fn strip_comment(line: &str) -> &str {
    let mut after_space = true;
    for (index, c) in line.char_indices() {
        if c == '#' && after_space {
            return &line[..index];
        }
        after_space = c.is_whitespace();
    }
    line
}

/// Continuations joined, comments and blank lines dropped, each with its first line number.
fn logical_lines(text: &str) -> Vec<(u32, String)> {
    let mut joined: Vec<(u32, String)> = Vec::new();
    let mut pending: Option<(u32, String)> = None;
    for (index, physical) in physical_lines(text).into_iter().enumerate() {
        let number = u32::try_from(index + 1).unwrap_or(u32::MAX);
        if continues(physical) {
            let part = physical.trim_end_matches('\\');
            match &mut pending {
                Some((_, so_far)) => so_far.push_str(part),
                None => pending = Some((number, part.to_owned())),
            }
            continue;
        }
        // A comment line ends a continuation; the space keeps it a comment once joined.
        let part = if is_comment_line(physical) { format!(" {physical}") } else { physical.to_owned() };
        match pending.take() {
            Some((start, mut so_far)) => {
                so_far.push_str(&part);
                joined.push((start, so_far));
            }
            None => joined.push((number, part)),
        }
    }
    joined.extend(pending);
    joined
        .into_iter()
        .filter_map(|(number, line)| {
            let text = strip_comment(&line).trim();
            (!text.is_empty()).then(|| (number, text.to_owned()))
        })
        .collect()
}

/// Whether an option takes a value.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Arity {
    Flag,
    Value,
}

/// The options pip accepts on their own line: (long, short, arity).
const FILE_OPTIONS: [(&str, Option<&str>, Arity); 14] = [
    ("--requirement", Some("-r"), Arity::Value),
    ("--constraint", Some("-c"), Arity::Value),
    ("--editable", Some("-e"), Arity::Value),
    ("--index-url", Some("-i"), Arity::Value),
    ("--extra-index-url", None, Arity::Value),
    ("--no-index", None, Arity::Flag),
    ("--find-links", Some("-f"), Arity::Value),
    ("--trusted-host", None, Arity::Value),
    ("--use-feature", None, Arity::Value),
    ("--only-binary", None, Arity::Value),
    ("--no-binary", None, Arity::Value),
    ("--prefer-binary", None, Arity::Flag),
    ("--pre", None, Arity::Flag),
    ("--require-hashes", None, Arity::Flag),
];

/// The options pip accepts after a requirement on its line.
const REQUIREMENT_OPTIONS: [(&str, Option<&str>, Arity); 4] = [
    ("--hash", None, Arity::Value),
    ("--config-settings", None, Arity::Value),
    ("--global-option", None, Arity::Value),
    ("--install-option", None, Arity::Value),
];

/// Shell-like words, as pip's `shlex.split` of the options: whitespace separates, quotes
/// group, a backslash escapes outside single quotes.
fn shell_words(text: &str) -> Result<Vec<String>, String> {
    let mut words = Vec::new();
    let mut word: Option<String> = None;
    let mut chars = text.chars();
    while let Some(c) = chars.next() {
        match c {
            c if c.is_whitespace() => words.extend(word.take()),
            '\'' => {
                let current = word.get_or_insert_with(String::new);
                loop {
                    match chars.next() {
                        Some('\'') => break,
                        Some(c) => current.push(c),
                        None => return Err("unclosed ' quote".to_owned()),
                    }
                }
            }
            '"' => {
                let current = word.get_or_insert_with(String::new);
                loop {
                    match chars.next() {
                        Some('"') => break,
                        Some('\\') => current.extend(chars.next()),
                        Some(c) => current.push(c),
                        None => return Err("unclosed \" quote".to_owned()),
                    }
                }
            }
            '\\' => word.get_or_insert_with(String::new).extend(chars.next()),
            c => word.get_or_insert_with(String::new).push(c),
        }
    }
    words.extend(word);
    Ok(words)
}

/// `(long name, value)` of each option in `words`, checked against `known`.
fn read_option_words(
    words: &[String],
    known: &[(&'static str, Option<&'static str>, Arity)],
) -> Result<Vec<(&'static str, Option<String>)>, String> {
    let mut found = Vec::new();
    let mut words = words.iter();
    while let Some(word) = words.next() {
        let (spelled, inline) = if word.starts_with("--") {
            match word.split_once('=') {
                Some((name, value)) => (name, Some(value.to_owned())),
                None => (word.as_str(), None),
            }
        } else if word.starts_with('-') && word.len() > 2 && word.is_char_boundary(2) {
            (&word[..2], Some(word[2..].to_owned()))
        } else {
            (word.as_str(), None)
        };
        if !spelled.starts_with('-') {
            return Err(format!("unexpected {spelled:?} among options"));
        }
        let Some(&(long, _, arity)) =
            known.iter().find(|(long, short, _)| *long == spelled || *short == Some(spelled))
        else {
            return Err(format!("unknown option {spelled}"));
        };
        let value = match (arity, inline) {
            (Arity::Flag, None) => None,
            (Arity::Flag, Some(_)) => return Err(format!("{spelled} takes no value")),
            (Arity::Value, Some(value)) => Some(value),
            (Arity::Value, None) => match words.next() {
                Some(value) if !value.starts_with('-') || value.len() == 1 => Some(value.clone()),
                _ => return Err(format!("{spelled} needs a value")),
            },
        };
        if value.as_deref() == Some("") {
            return Err(format!("{spelled} needs a value"));
        }
        found.push((long, value));
    }
    Ok(found)
}

fn read_options(result: &mut Requirements, line: u32, logical: &str) {
    let options = shell_words(logical).and_then(|words| read_option_words(&words, &FILE_OPTIONS));
    match options {
        Err(problem) => result.problems.push((line, problem)),
        Ok(options) => {
            let mut other = false;
            for (name, value) in options {
                match (name, value) {
                    ("--requirement", Some(file)) => result.includes.push(file),
                    _ => other = true,
                }
            }
            if other {
                result.options.push((line, logical.to_owned()));
            }
        }
    }
}

/// Splits `name==1 --hash=…` at the first `--` word outside quotes.
fn split_requirement_options(logical: &str) -> (&str, &str) {
    let mut quote = None;
    let mut after_space = false;
    for (index, c) in logical.char_indices() {
        match quote {
            Some(q) if c == q => quote = None,
            Some(_) => {}
            None if c == '\'' || c == '"' => quote = Some(c),
            None if after_space && logical[index..].starts_with("--") => {
                return (&logical[..index], &logical[index..]);
            }
            None => {}
        }
        after_space = c.is_whitespace();
    }
    (logical, "")
}

/// A position in a requirement being read.
struct Cursor<'a> {
    text: &'a str,
    at: usize,
}

impl<'a> Cursor<'a> {
    fn rest(&self) -> &'a str {
        &self.text[self.at..]
    }

    fn peek(&self) -> Option<char> {
        self.rest().chars().next()
    }

    fn skip_space(&mut self) -> bool {
        let skipped = self.take_while(char::is_whitespace);
        !skipped.is_empty()
    }

    fn eat(&mut self, c: char) -> bool {
        if self.peek() == Some(c) {
            self.at += c.len_utf8();
            true
        } else {
            false
        }
    }

    fn take_while(&mut self, keep: impl Fn(char) -> bool) -> &'a str {
        let rest = self.rest();
        let length = rest.find(|c: char| !keep(c)).unwrap_or(rest.len());
        self.at += length;
        &rest[..length]
    }
}

fn is_name_char(c: char) -> bool {
    c.is_ascii_alphanumeric() || matches!(c, '.' | '_' | '-')
}

const ARCHIVE_SUFFIXES: [&str; 6] = [".whl", ".tar.gz", ".zip", ".tar.bz2", ".tgz", ".tar"];

fn parse_requirement(logical: &str, line: u32) -> Result<Requirement, String> {
    let (requirement, options) = split_requirement_options(logical);
    if !options.is_empty() {
        shell_words(options).and_then(|words| read_option_words(&words, &REQUIREMENT_OPTIONS))?;
    }
    let mut cursor = Cursor { text: requirement.trim(), at: 0 };
    let name = cursor.take_while(is_name_char);
    let path_like = matches!(cursor.peek(), Some(':' | '/' | '\\'))
        || name.starts_with('.')
        || ARCHIVE_SUFFIXES.iter().any(|suffix| name.to_ascii_lowercase().ends_with(suffix));
    if path_like {
        return Err(format!(
            "{:?} is a path or URL without a package name; write it as NAME @ URL",
            cursor.text.split_whitespace().next().unwrap_or_default()
        ));
    }
    if name.is_empty() {
        return Err(format!("expected a package name, found {:?}", cursor.text));
    }
    if !name.starts_with(|c: char| c.is_ascii_alphanumeric())
        || !name.ends_with(|c: char| c.is_ascii_alphanumeric())
    {
        return Err(format!("{name:?} is not a package name: it must start and end with a letter or digit"));
    }
    cursor.skip_space();
    let extras = if cursor.eat('[') { read_extras(&mut cursor)? } else { Vec::new() };
    cursor.skip_space();
    let mut specifier = String::new();
    let mut url = None;
    match cursor.peek() {
        Some('@') => {
            cursor.eat('@');
            cursor.skip_space();
            let link = cursor.take_while(|c| !c.is_whitespace());
            if link.is_empty() {
                return Err(format!("{name} @ has no URL after it"));
            }
            url = Some(link.to_owned());
            cursor.skip_space();
            if cursor.peek().is_some_and(|c| c != ';') {
                return Err(format!("unexpected {:?} after the URL; a marker starts with ;", cursor.rest()));
            }
        }
        Some('(') => {
            cursor.eat('(');
            let clauses = cursor.take_while(|c| c != ')');
            if !cursor.eat(')') {
                return Err(format!("{name} ({clauses} has no closing )"));
            }
            specifier = parse_specifier(clauses)?;
        }
        Some('<' | '>' | '=' | '!' | '~') => specifier = parse_specifier(cursor.take_while(|c| c != ';'))?,
        Some(';') | None => {}
        Some(other) => return Err(format!("unexpected {other:?} after {name}")),
    }
    cursor.skip_space();
    let marker = if cursor.eat(';') {
        let marker = cursor.rest().trim();
        check_marker(marker)?;
        Some(marker.to_owned())
    } else if cursor.peek().is_some() {
        return Err(format!("unexpected {:?} after {name}", cursor.rest()));
    } else {
        None
    };
    Ok(Requirement {
        name: name.to_owned(),
        normalized: normalize(name),
        extras,
        specifier,
        url,
        marker,
        line,
    })
}

/// `a, b]` after the `[`: names separated by commas; `[]` is allowed, `[a,]` is not.
fn read_extras(cursor: &mut Cursor<'_>) -> Result<Vec<String>, String> {
    let mut extras = Vec::new();
    cursor.skip_space();
    if cursor.eat(']') {
        return Ok(extras);
    }
    loop {
        cursor.skip_space();
        let extra = cursor.take_while(is_name_char);
        if extra.is_empty() {
            return Err(format!("expected an extra name in [...], found {:?}", cursor.rest()));
        }
        extras.push(extra.to_owned());
        cursor.skip_space();
        if cursor.eat(']') {
            return Ok(extras);
        }
        if !cursor.eat(',') {
            return Err(format!(
                "extras must be separated by commas and end with ], found {:?}",
                cursor.rest()
            ));
        }
    }
}

const OPERATORS: [&str; 8] = ["===", "==", "!=", "~=", "<=", ">=", "<", ">"];

/// `>= 1.0 , < 2` → `>=1.0,<2`, each clause checked against PEP 440's shape.
fn parse_specifier(text: &str) -> Result<String, String> {
    let mut clauses = Vec::new();
    for raw in text.split(',') {
        let clause = raw.trim();
        if clause.is_empty() {
            return Err(format!("empty version clause in {:?} (a stray comma?)", text.trim()));
        }
        let Some(op) = OPERATORS.iter().find(|op| clause.starts_with(**op)) else {
            return Err(format!("{clause:?} does not start with a comparison such as >= or =="));
        };
        let version = clause[op.len()..].trim();
        if version.is_empty() {
            return Err(format!("{op} has no version after it"));
        }
        if version.contains(char::is_whitespace) {
            return Err(format!("version {version:?} contains a space"));
        }
        if *op != "===" {
            check_version(op, version)?;
        }
        clauses.push(format!("{op}{version}"));
    }
    Ok(clauses.join(","))
}

fn check_version(op: &str, version: &str) -> Result<(), String> {
    let (base, wildcard) = match version.strip_suffix(".*") {
        Some(base) => (base, true),
        None => (version, false),
    };
    if wildcard && !matches!(op, "==" | "!=") {
        return Err(format!("{op}{version}: a .* wildcard only works with == and !="));
    }
    let digits = base.strip_prefix(['v', 'V']).unwrap_or(base);
    if !digits.starts_with(|c: char| c.is_ascii_digit()) {
        return Err(format!("{op}{version}: a version starts with a digit"));
    }
    if let Some(bad) =
        base.chars().find(|c| !(c.is_ascii_alphanumeric() || matches!(c, '.' | '!' | '+' | '-' | '_')))
    {
        return Err(format!("{op}{version}: {bad:?} cannot appear in a version"));
    }
    let (public, local) = match base.split_once('+') {
        Some((public, local)) => (public, Some(local)),
        None => (base, None),
    };
    if local.is_some() && !matches!(op, "==" | "!=") {
        return Err(format!("{op}{version}: a local version (+…) only works with == and !="));
    }
    if wildcard && local.is_some() {
        return Err(format!("{op}{version}: a wildcard cannot follow a local version"));
    }
    if op == "~=" && !public.contains('.') {
        return Err(format!("{op}{version}: ~= needs at least two parts, e.g. ~={version}.0"));
    }
    Ok(())
}

/// Marker variables packaging knows, with the legacy dotted spellings it still accepts.
const MARKER_VARIABLES: [&str; 20] = [
    "python_version",
    "python_full_version",
    "os_name",
    "sys_platform",
    "platform_release",
    "platform_system",
    "platform_version",
    "platform_machine",
    "platform_python_implementation",
    "implementation_name",
    "implementation_version",
    "extra",
    "extras",
    "dependency_groups",
    "python_implementation",
    "os.name",
    "sys.platform",
    "platform.version",
    "platform.machine",
    "platform.python_implementation",
];

#[derive(Debug, PartialEq, Eq)]
enum Token {
    Open,
    Close,
    Op,
    And,
    Or,
    Value,
}

fn marker_tokens(marker: &str) -> Result<Vec<Token>, String> {
    let mut cursor = Cursor { text: marker, at: 0 };
    let mut tokens = Vec::new();
    loop {
        cursor.skip_space();
        let Some(c) = cursor.peek() else { return Ok(tokens) };
        if cursor.eat('(') {
            tokens.push(Token::Open);
        } else if cursor.eat(')') {
            tokens.push(Token::Close);
        } else if c == '\'' || c == '"' {
            cursor.eat(c);
            cursor.take_while(|x| x != c);
            if !cursor.eat(c) {
                return Err(format!("the marker {marker:?} has an unclosed {c} quote"));
            }
            tokens.push(Token::Value);
        } else if let Some(op) = OPERATORS.iter().find(|op| cursor.rest().starts_with(**op)) {
            cursor.at += op.len();
            tokens.push(Token::Op);
        } else if c.is_ascii_alphabetic() || c == '_' {
            let word = cursor.take_while(|x| x.is_ascii_alphanumeric() || matches!(x, '_' | '.'));
            match word {
                "and" => tokens.push(Token::And),
                "or" => tokens.push(Token::Or),
                "in" => tokens.push(Token::Op),
                "not" => {
                    cursor.skip_space();
                    if cursor.take_while(|x| x.is_ascii_alphabetic()) != "in" {
                        return Err(format!("the marker {marker:?} has 'not' without 'in'"));
                    }
                    tokens.push(Token::Op);
                }
                variable if MARKER_VARIABLES.contains(&variable) => tokens.push(Token::Value),
                other => return Err(format!("the marker {marker:?} uses unknown variable {other:?}")),
            }
        } else {
            return Err(format!("the marker {marker:?} has an unexpected {c:?}"));
        }
    }
}

/// PEP 508 marker grammar: comparisons joined by `and` / `or`, with parentheses.
fn check_marker(marker: &str) -> Result<(), String> {
    if marker.is_empty() {
        return Err("nothing after ;, where an environment marker should be".to_owned());
    }
    let tokens = marker_tokens(marker)?;
    let mut at = 0;
    let valid = marker_or(&tokens, &mut at, 0) && at == tokens.len();
    if valid { Ok(()) } else { Err(format!("the marker {marker:?} is not a valid environment marker")) }
}

/// Deeper nesting than this is refused rather than recursed into.
const MARKER_DEPTH: usize = 32;

fn marker_or(tokens: &[Token], at: &mut usize, depth: usize) -> bool {
    if !marker_and(tokens, at, depth) {
        return false;
    }
    while tokens.get(*at) == Some(&Token::Or) {
        *at += 1;
        if !marker_and(tokens, at, depth) {
            return false;
        }
    }
    true
}

fn marker_and(tokens: &[Token], at: &mut usize, depth: usize) -> bool {
    if !marker_atom(tokens, at, depth) {
        return false;
    }
    while tokens.get(*at) == Some(&Token::And) {
        *at += 1;
        if !marker_atom(tokens, at, depth) {
            return false;
        }
    }
    true
}

fn marker_atom(tokens: &[Token], at: &mut usize, depth: usize) -> bool {
    match tokens.get(*at) {
        Some(Token::Open) if depth < MARKER_DEPTH => {
            *at += 1;
            let inner = marker_or(tokens, at, depth + 1);
            let closed = tokens.get(*at) == Some(&Token::Close);
            *at += 1;
            inner && closed
        }
        Some(Token::Value) => {
            let shape = [Token::Value, Token::Op, Token::Value];
            let ok = tokens.get(*at..*at + 3).is_some_and(|t| t == shape);
            *at += 3;
            ok
        }
        _ => false,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn only(text: &str) -> Requirement {
        let parsed = parse(text);
        assert!(parsed.problems.is_empty(), "{text:?}: {:?}", parsed.problems);
        assert_eq!(parsed.requirements.len(), 1, "{text:?}");
        parsed.requirements.into_iter().next().expect("one")
    }

    fn problem(text: &str) -> String {
        let parsed = parse(text);
        assert!(parsed.requirements.is_empty(), "{text:?} parsed: {:?}", parsed.requirements);
        assert_eq!(parsed.problems.len(), 1, "{text:?}");
        parsed.problems[0].1.clone()
    }

    #[test]
    fn names_are_normalised_per_pep_503() {
        assert_eq!(normalize("Apache_Airflow.Providers--Amazon"), "apache-airflow-providers-amazon");
        assert_eq!(normalize("a-_.-b"), "a-b");
        assert_eq!(normalize("Friendly-Bard"), "friendly-bard");
        let parsed = parse("Apache_Airflow_Providers.Amazon>=9\n");
        let found = find(&parsed, "apache-airflow-providers-amazon").expect("found");
        assert_eq!(found.name, "Apache_Airflow_Providers.Amazon");
        assert!(find(&parsed, " APACHE.AIRFLOW.PROVIDERS.AMAZON ").is_some());
        assert!(find(&parsed, "apache-airflow-providers-google").is_none());
    }

    #[test]
    fn provider_for_the_two_connection_types() {
        assert_eq!(provider_for("aws"), Some("apache-airflow-providers-amazon"));
        assert_eq!(provider_for("google_cloud_platform"), Some("apache-airflow-providers-google"));
        assert_eq!(provider_for("postgres"), None);
    }

    #[test]
    fn comments_need_a_space_or_the_line_start() {
        let parsed = parse(
            "# the header\n  # indented comment\nboto3==1.34 # pinned\n\
             pkg @ https://example.com/pkg.zip#egg=pkg&subdirectory=sub\n\t\n\n",
        );
        assert!(parsed.problems.is_empty(), "{:?}", parsed.problems);
        let names: Vec<&str> = parsed.requirements.iter().map(|r| r.name.as_str()).collect();
        assert_eq!(names, ["boto3", "pkg"]);
        assert_eq!(parsed.requirements[0].specifier, "==1.34");
        assert_eq!(parsed.requirements[0].line, 3);
        assert_eq!(
            parsed.requirements[1].url.as_deref(),
            Some("https://example.com/pkg.zip#egg=pkg&subdirectory=sub")
        );
        assert_eq!(parsed.requirements[1].line, 4);
        // `#` glued to a name is not a comment, and not a requirement either.
        assert_eq!(problem("pkg#x"), "unexpected '#' after pkg");
    }

    #[test]
    fn continuations_join_lines_and_keep_the_first_line_number() {
        let text = "first==1\n\
                    apache-airflow-providers-amazon \\\n    >=9.0, \\\n    <10 \\\n    ; python_version >= '3.9'\n\
                    last==2\n";
        let parsed = parse(text);
        assert!(parsed.problems.is_empty(), "{:?}", parsed.problems);
        let amazon = &parsed.requirements[1];
        assert_eq!(amazon.specifier, ">=9.0,<10");
        assert_eq!(amazon.marker.as_deref(), Some("python_version >= '3.9'"));
        assert_eq!(amazon.line, 2);
        assert_eq!(parsed.requirements[2].line, 6);
    }

    #[test]
    fn a_comment_line_ends_a_continuation() {
        let parsed = parse("a==1 \\\n# note \\\nb==2\n");
        let names: Vec<(&str, u32)> = parsed.requirements.iter().map(|r| (r.name.as_str(), r.line)).collect();
        assert_eq!(names, [("a", 1), ("b", 3)]);
        // A continuation at the very end still yields its line.
        assert_eq!(only("c==3 \\").specifier, "==3");
        // Hash lines, pip-compile style.
        let parsed = parse("d==4 \\\n    --hash=sha256:aaaa \\\n    --hash sha256:bbbb\ne==5\n");
        assert!(parsed.problems.is_empty(), "{:?}", parsed.problems);
        assert_eq!(parsed.requirements.len(), 2);
    }

    #[test]
    fn crlf_lone_cr_form_feed_and_bom_are_line_breaks() {
        let parsed = parse("\u{feff}a==1\r\nb==2\rc==3\u{c}d==4\u{2028}e==5");
        let lines: Vec<(&str, u32)> = parsed.requirements.iter().map(|r| (r.name.as_str(), r.line)).collect();
        assert_eq!(lines, [("a", 1), ("b", 2), ("c", 3), ("d", 4), ("e", 5)]);
    }

    #[test]
    fn options_are_kept_and_includes_returned() {
        let text = "-r base.txt\n--requirement=dev.txt\n-rother.txt\n--requirement 'with space.txt'\n\
                    -c constraints.txt\n-e git+https://github.com/x/y.git#egg=y\n\
                    --index-url https://pypi.example/simple\n-i https://mirror.example/simple\n\
                    --extra-index-url=https://extra.example/simple\n--find-links ./wheels\n-f ./more\n\
                    --no-index\n--pre\n--trusted-host pypi.example --prefer-binary\nreal==1\n";
        let parsed = parse(text);
        assert!(parsed.problems.is_empty(), "{:?}", parsed.problems);
        assert_eq!(parsed.includes, ["base.txt", "dev.txt", "other.txt", "with space.txt"]);
        let lines: Vec<u32> = parsed.options.iter().map(|(line, _)| *line).collect();
        assert_eq!(lines, [5, 6, 7, 8, 9, 10, 11, 12, 13, 14]);
        assert_eq!(parsed.options[1].1, "-e git+https://github.com/x/y.git#egg=y");
        assert_eq!(parsed.requirements.len(), 1);
    }

    #[test]
    fn bad_options_are_problems() {
        let parsed = parse("--frobnicate\n-r\n--pre=yes\n--index-url\n-r 'unclosed\nok==1\n");
        let problems: Vec<(u32, &str)> = parsed.problems.iter().map(|(l, p)| (*l, p.as_str())).collect();
        assert_eq!(
            problems,
            [
                (1, "unknown option --frobnicate"),
                (2, "-r needs a value"),
                (3, "--pre takes no value"),
                (4, "--index-url needs a value"),
                (5, "unclosed ' quote"),
            ]
        );
        assert_eq!(parsed.requirements.len(), 1);
        assert_eq!(problem("pkg==1 --frob=1"), "unknown option --frob");
    }

    #[test]
    fn extras() {
        assert_eq!(only("pkg[a,b]").extras, ["a", "b"]);
        assert_eq!(only("pkg [ a , b_c.d ] >= 1.0").extras, ["a", "b_c.d"]);
        assert_eq!(only("pkg[]").extras, Vec::<String>::new());
        assert!(problem("pkg[a,]").starts_with("expected an extra name"));
        assert!(problem("pkg[a b]").starts_with("extras must be separated by commas"));
        assert!(problem("pkg[a").starts_with("extras must be separated by commas"));
    }

    #[test]
    fn version_specifiers() {
        for (text, specifier) in [
            ("a==1.0", "==1.0"),
            ("b>=1,<2", ">=1,<2"),
            ("c ~= 1.4.5", "~=1.4.5"),
            ("d != 1.5.*", "!=1.5.*"),
            ("e===foobar", "===foobar"),
            ("f < 2", "<2"),
            ("g >= 1.0 , < 2.0 , != 1.5", ">=1.0,<2.0,!=1.5"),
            ("h (>=1.0, <2)", ">=1.0,<2"),
            ("i==1.0+local.7", "==1.0+local.7"),
            ("j>=v2.0rc1", ">=v2.0rc1"),
            ("k==1!2.0.post1.dev3", "==1!2.0.post1.dev3"),
            ("l>2", ">2"),
            ("m<=3", "<=3"),
            ("n", ""),
        ] {
            assert_eq!(only(text).specifier, specifier, "{text}");
        }
        for (text, expected) in [
            ("i~=1", "~=1: ~= needs at least two parts, e.g. ~=1.0"),
            ("j>=1.*", ">=1.*: a .* wildcard only works with == and !="),
            ("k==", "== has no version after it"),
            ("l=>1", "\"=>1\" does not start with a comparison such as >= or =="),
            ("m>=1,", "empty version clause in \">=1,\" (a stray comma?)"),
            ("n>=1.0+local", ">=1.0+local: a local version (+…) only works with == and !="),
            ("o==abc", "==abc: a version starts with a digit"),
            ("p==1 .0", "version \"1 .0\" contains a space"),
            ("q (>=1", "q (>=1 has no closing )"),
            ("r==1$", "==1$: '$' cannot appear in a version"),
        ] {
            assert_eq!(problem(text), expected, "{text}");
        }
    }

    #[test]
    fn markers() {
        let r = only("m; python_version < '3.10'");
        assert_eq!(r.marker.as_deref(), Some("python_version < '3.10'"));
        assert_eq!(r.specifier, "");
        let r = only("n[x]>=1 ; sys_platform == \"win32\" and (python_version >= '3.8' or extra == 'x')");
        assert_eq!(r.specifier, ">=1");
        assert_eq!(r.extras, ["x"]);
        only("o ; 'linux' in sys_platform and platform_machine not in 'arm64 aarch64'");
        only("p ; os.name == 'posix'");
        for (text, starts) in [
            ("q; bogus_var == '1'", "the marker \"bogus_var == '1'\" uses unknown variable \"bogus_var\""),
            ("r; python_version <", "the marker \"python_version <\" is not a valid environment marker"),
            ("s; python_version < '3", "the marker \"python_version < '3\" has an unclosed ' quote"),
            ("t;", "nothing after ;"),
            ("u; (python_version < '3'", "the marker \"(python_version < '3'\" is not a valid"),
            ("v; python_version < '3' and", "the marker \"python_version < '3' and\" is not a valid"),
            ("w; os_name not 'x'", "the marker \"os_name not 'x'\" has 'not' without 'in'"),
        ] {
            let got = problem(text);
            assert!(got.starts_with(starts), "{text}: {got}");
        }
        let deep = format!("x; {}os_name == 'a'{}", "(".repeat(40), ")".repeat(40));
        assert!(problem(&deep).contains("not a valid environment marker"));
    }

    #[test]
    fn direct_references() {
        let r = only("q @ file:///tmp/q.whl");
        assert_eq!((r.name.as_str(), r.url.as_deref()), ("q", Some("file:///tmp/q.whl")));
        let r = only("r[s3]@https://x.example/r.whl ; python_version > '3'");
        assert_eq!(r.url.as_deref(), Some("https://x.example/r.whl"));
        assert_eq!(r.extras, ["s3"]);
        assert_eq!(r.marker.as_deref(), Some("python_version > '3'"));
        // Without a space the ; belongs to the URL (PEP 508).
        let r = only("s @ https://x.example/s.whl;python_version>'3'");
        assert_eq!(r.url.as_deref(), Some("https://x.example/s.whl;python_version>'3'"));
        assert_eq!(r.marker, None);
        assert_eq!(only("t @ ${MIRROR}/t.whl").url.as_deref(), Some("${MIRROR}/t.whl"));
        assert_eq!(problem("u @"), "u @ has no URL after it");
        assert!(problem("v @ https://x/v.whl extra").starts_with("unexpected \"extra\" after the URL"));
    }

    #[test]
    fn paths_and_urls_without_names_are_problems() {
        for text in
            ["./wheels/pkg.whl", "https://x.example/y.whl", "pkg-1.0.tar.gz", "C:\\wheels\\a.whl", "/abs/dir"]
        {
            let got = problem(text);
            assert!(got.contains("is a path or URL without a package name"), "{text}: {got}");
        }
        assert_eq!(
            problem("_private"),
            "\"_private\" is not a package name: it must start and end with a letter or digit"
        );
        assert_eq!(problem("\"quoted\""), "expected a package name, found \"\\\"quoted\\\"\"");
    }

    #[test]
    fn one_bad_line_does_not_hide_the_rest() {
        let parsed = parse("good==1\nbad==\napache-airflow-providers-amazon\n");
        assert_eq!(parsed.problems, [(2, "== has no version after it".to_owned())]);
        assert!(find(&parsed, "apache-airflow-providers-amazon").is_some());
    }

    #[test]
    fn appending_keeps_every_byte() {
        let line = "apache-airflow-providers-amazon";
        assert_eq!(with_package_added("", line), "apache-airflow-providers-amazon\n");
        assert_eq!(with_package_added("a==1\n", line), "a==1\napache-airflow-providers-amazon\n");
        assert_eq!(with_package_added("a==1", line), "a==1\napache-airflow-providers-amazon\n");
        assert_eq!(
            with_package_added("a==1\r\nb\r\n", line),
            "a==1\r\nb\r\napache-airflow-providers-amazon\r\n"
        );
        assert_eq!(with_package_added("a==1\r\nb", line), "a==1\r\nb\r\napache-airflow-providers-amazon\r\n");
        assert_eq!(
            with_package_added("# only a comment", line),
            "# only a comment\napache-airflow-providers-amazon\n"
        );
        // The caller's own newline is not doubled.
        assert_eq!(with_package_added("a\n", "b==1\n"), "a\nb==1\n");
    }

    #[test]
    fn appending_after_a_dangling_continuation_keeps_both_requirements() {
        for text in ["a==1 \\", "a==1 \\\n", "a==1 \\\r\n", "a==1 \\\r", "x\r\na==1 \\\r", "a==1 \\\u{c}"] {
            let added = with_package_added(text, "new-pkg==2");
            assert!(added.starts_with(text));
            let parsed = parse(&added);
            let names: Vec<&str> = parsed.requirements.iter().map(|r| r.name.as_str()).collect();
            assert!(names.ends_with(&["a", "new-pkg"]), "{added:?}: {names:?}");
        }
        // A comment ending in a backslash does not continue.
        assert_eq!(with_package_added("# x \\\n", "b"), "# x \\\nb\n");
    }

    #[test]
    fn serialises_for_the_ui() {
        let json = serde_json::to_value(parse("a==1 ; os_name == 'nt'\n-r b.txt\nbad==\n")).expect("json");
        assert_eq!(json["requirements"][0]["normalized"], "a");
        assert_eq!(json["includes"][0], "b.txt");
        assert_eq!(json["problems"][0][0], 3);
    }

    mod properties {
        use proptest::prelude::*;

        use super::super::*;

        fn requirement_ish() -> impl Strategy<Value = String> {
            let pieces = prop::sample::select(vec![
                "pkg",
                "a-b",
                "A_B.c",
                "[x]",
                "[",
                "]",
                ",",
                " ",
                "\t",
                "==",
                ">=",
                "~=",
                "!=",
                "===",
                "<",
                "1.0",
                ".*",
                "+l",
                "@",
                " @ ",
                "https://x/y.whl",
                "#egg=z",
                " # c",
                "#",
                ";",
                " ; ",
                "python_version",
                "'3.9'",
                "\"",
                "'",
                "(",
                ")",
                " and ",
                " or ",
                " not in ",
                "\\",
                "\n",
                "\r\n",
                "\r",
                "\u{c}",
                "\u{2028}",
                "-r",
                "--requirement=",
                "-e",
                "--hash=sha256:ab",
                "--",
                "-",
                "é",
                "\u{feff}",
            ]);
            prop::collection::vec(pieces, 0..24).prop_map(|parts| parts.concat())
        }

        proptest! {
            #[test]
            fn parse_never_panics_on_anything(text in any::<String>()) {
                let _ = parse(&text);
            }

            #[test]
            fn parse_never_panics_on_requirement_like_text(text in requirement_ish()) {
                let parsed = parse(&text);
                for requirement in &parsed.requirements {
                    prop_assert!(requirement.line >= 1);
                    prop_assert_eq!(&requirement.normalized, &normalize(&requirement.name));
                }
            }

            #[test]
            fn appending_keeps_the_text_and_adds_a_requirement(text in requirement_ish(), raw in any::<String>()) {
                for base in [&text, &raw] {
                    let added = with_package_added(base, "zz-new-pkg>=1.0");
                    prop_assert!(added.as_bytes().starts_with(base.as_bytes()));
                    let parsed = parse(&added);
                    let last = parsed.requirements.last().map(|r| r.normalized.as_str());
                    prop_assert_eq!(last, Some("zz-new-pkg"), "{:?}", added);
                }
            }
        }
    }
}
