//! `requirements.txt`: `airflow::requirements::parse` and `with_package_added`.
//!
//! Input: `<file> NUL <line to add>`; without a NUL, the provider lines Astro adds.
//! Asserts: no panic; every requirement and problem has a line number inside the file,
//! a requirement's `normalized` is `normalize(name)`, and a problem says something;
//! `with_package_added` keeps the file byte for byte as its start and ends with a line
//! break; when the added line is one requirement on its own, the new file reads as the old
//! one plus that requirement on its last line (nothing before it read differently).

#![no_main]

use astro_identity_domain::airflow::requirements::{Requirement, find, normalize, parse, with_package_added};
use astro_identity_fuzz::split_input;
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let (text, line) = split_input(data);
    check_parse(&text);
    match line {
        Some(line) => check_add(&text, &String::from_utf8_lossy(line)),
        None => {
            check_add(&text, "apache-airflow-providers-amazon");
            check_add(&text, "apache-airflow-providers-google>=10.8.0");
        }
    }
});

/// Python's `str.splitlines` count of `text`.
fn line_count(text: &str) -> usize {
    let breaks =
        ['\n', '\r', '\u{b}', '\u{c}', '\u{1c}', '\u{1d}', '\u{1e}', '\u{85}', '\u{2028}', '\u{2029}'];
    let mut count = 0;
    let mut chars = text.chars().peekable();
    let mut open = false;
    while let Some(c) = chars.next() {
        if breaks.contains(&c) {
            if c == '\r' && chars.peek() == Some(&'\n') {
                chars.next();
            }
            count += 1;
            open = false;
        } else {
            open = true;
        }
    }
    count + usize::from(open)
}

fn check_parse(text: &str) {
    let read = parse(text);
    let lines = u32::try_from(line_count(text)).unwrap_or(u32::MAX);
    for requirement in &read.requirements {
        assert!(
            (1..=lines).contains(&requirement.line),
            "requirement on line {} of {lines}",
            requirement.line
        );
        assert_eq!(requirement.normalized, normalize(&requirement.name));
        assert!(!requirement.name.is_empty());
        assert!(find(&read, &requirement.name).is_some(), "find misses {:?}", requirement.name);
    }
    for (line, problem) in &read.problems {
        assert!((1..=lines).contains(line), "problem on line {line} of {lines}");
        assert!(!problem.trim().is_empty(), "a problem without a reason");
    }
    for (line, option) in &read.options {
        assert!((1..=lines).contains(line), "option on line {line} of {lines}");
        assert!(option.starts_with('-'));
    }
}

fn without_line(requirement: &Requirement) -> Requirement {
    Requirement { line: 0, ..requirement.clone() }
}

fn check_add(text: &str, line: &str) {
    let out = with_package_added(text, line);
    assert!(out.as_bytes().starts_with(text.as_bytes()), "the file is not kept byte for byte");
    assert!(out.ends_with('\n'), "the new line is not terminated");
    check_parse(&out);

    // One requirement, alone on one line: the new file is the old one plus it.
    let alone = parse(line);
    let is_break = |c: char| "\n\r\u{b}\u{c}\u{1c}\u{1d}\u{1e}\u{85}\u{2028}\u{2029}".contains(c);
    let single = alone.requirements.len() == 1
        && alone.problems.is_empty()
        && alone.options.is_empty()
        && alone.includes.is_empty()
        && !line.trim_matches(['\r', '\n']).contains(is_break)
        && !line.starts_with('\u{feff}');
    if !single {
        return;
    }
    let (before, after) = (parse(text), parse(&out));
    assert_eq!(after.problems, before.problems, "adding a line changed how the file reads");
    assert_eq!(after.options, before.options, "adding a line changed how the file reads");
    assert_eq!(after.includes, before.includes, "adding a line changed how the file reads");
    assert_eq!(
        after.requirements.len(),
        before.requirements.len() + 1,
        "adding {line:?} to {text:?} did not add one requirement: {out:?}"
    );
    assert_eq!(after.requirements[..before.requirements.len()], before.requirements[..]);
    let added = after.requirements.last().expect("one more");
    assert_eq!(
        without_line(added),
        without_line(&alone.requirements[0]),
        "the line reads differently in the file"
    );
    assert_eq!(
        added.line,
        u32::try_from(line_count(&out)).unwrap_or(u32::MAX),
        "the requirement is on the last line"
    );
}
