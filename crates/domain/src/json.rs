//! JSON text as people paste and type it: parsing with errors that say where and how to
//! fix it, and the character position of a syntax error for the editors.

use serde_json::Value;

use crate::DomainError;

/// Parses `text` (a leading byte-order mark ignored). A syntax error becomes
/// "malformed JSON at line L, column C: <reason>" on `field`, with `hint` chosen from the
/// text (say, "this looks URL-encoded") or the generic one.
pub(crate) fn parse(
    text: &str,
    field: &'static str,
    hint: impl FnOnce(&str) -> Option<&'static str>,
) -> Result<Value, DomainError> {
    let text = text.trim_start_matches('\u{feff}');
    serde_json::from_str(text).map_err(|e| {
        let full = e.to_string();
        let suffix = format!(" at line {} column {}", e.line(), e.column());
        let reason = full.strip_suffix(&suffix).unwrap_or(&full);
        DomainError::invalid(
            field,
            format!("malformed JSON at line {}, column {}: {reason}", e.line(), e.column()),
            hint(text.trim_start()).unwrap_or("check for a missing comma, quote or brace near that spot"),
        )
    })
}

/// Where a text that failed to parse as a policy breaks, 1-based in characters: the syntax
/// error's position, or (1, 1) for valid JSON that is not a policy (the whole document is the
/// problem). Scans with `IgnoredAny`, which allocates nothing; only failing texts pay.
pub(crate) fn error_position(text: &str) -> (u32, u32) {
    let text = text.trim_start_matches('\u{feff}');
    match serde_json::from_str::<serde::de::IgnoredAny>(text) {
        Err(syntax) => char_position(text, syntax.line(), syntax.column()),
        Ok(_) => (1, 1),
    }
}

/// serde_json's column is the 1-based *byte* position of the offending character (0 at
/// the very start of a line); editors count characters. Counting the characters that start
/// before that byte gives the character's own 1-based position.
fn char_position(text: &str, line: usize, byte_column: usize) -> (u32, u32) {
    let text_line = text.split('\n').nth(line.saturating_sub(1)).unwrap_or("");
    let column = text_line.char_indices().take_while(|(start, _)| *start < byte_column).count();
    (to_u32(line.max(1)), to_u32(column.max(1)))
}

pub(crate) fn to_u32(n: usize) -> u32 {
    u32::try_from(n).unwrap_or(u32::MAX)
}

/// "an array", "a string", ... for messages about the wrong kind of value.
/// What a batch file's entries are, for [`parse_entries`].
pub(crate) struct EntriesSpec<'a> {
    pub field: &'static str,
    pub hint: &'a str,
    /// What an empty array lacks, e.g. "no role to plan".
    pub nothing: &'a str,
    /// How to fix a repeated entry.
    pub repeated_hint: &'a str,
}

/// A batch file: a non-empty JSON array whose entries `entry` parses, none twice (the same
/// `key`, said as `name`). Every problem names its entry, counted from 1.
pub(crate) fn parse_entries<T, K: PartialEq>(
    text: &str,
    spec: &EntriesSpec<'_>,
    entry: impl Fn(&Value) -> Result<T, String>,
    key: impl Fn(&T) -> K,
    name: impl Fn(&T) -> String,
) -> Result<Vec<T>, DomainError> {
    let doc = parse(text, spec.field, |_| None)?;
    let Value::Array(items) = doc else {
        return Err(DomainError::invalid(
            spec.field,
            format!("must be a JSON array, got {}", kind_of(&doc)),
            spec.hint,
        ));
    };
    if items.is_empty() {
        return Err(DomainError::invalid(
            spec.field,
            format!("is empty: there is {}", spec.nothing),
            spec.hint,
        ));
    }
    let mut entries: Vec<T> = Vec::with_capacity(items.len());
    for (index, item) in items.iter().enumerate() {
        let number = index + 1;
        let parsed = entry(item).map_err(|problem| {
            DomainError::invalid(spec.field, format!("entry {number}: {problem}"), spec.hint)
        })?;
        if let Some(first) = entries.iter().position(|e| key(e) == key(&parsed)) {
            return Err(DomainError::invalid(
                spec.field,
                format!("entry {number}: {} is also entry {}", name(&parsed), first + 1),
                spec.repeated_hint,
            ));
        }
        entries.push(parsed);
    }
    Ok(entries)
}

pub(crate) fn kind_of(value: &Value) -> &'static str {
    match value {
        Value::Null => "null",
        Value::Bool(_) => "a boolean",
        Value::Number(_) => "a number",
        Value::String(_) => "a string",
        Value::Array(_) => "an array",
        Value::Object(_) => "an object",
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn syntax_errors_say_where_and_take_the_texts_hint() {
        let err = parse("{\n  \"a\": 1\n  \"b\": 2\n}", "policy", |_| None).expect_err("missing comma");
        assert_eq!(err.to_string(), "policy: malformed JSON at line 3, column 3: expected `,` or `}`");
        assert_eq!(err.hint(), "check for a missing comma, quote or brace near that spot");
        let err =
            parse("%7B", "policy", |t| t.starts_with("%7B").then_some("decode it first")).expect_err("x");
        assert_eq!(err.hint(), "decode it first");
        assert_eq!(parse("\u{feff}{}", "policy", |_| None).ok(), Some(serde_json::json!({})));
    }

    #[test]
    fn numbers_round_trip_exactly() {
        // Found by fuzzing: without serde_json's `float_roundtrip`, reading back the digits
        // written for a float gave a neighbouring float, so each edit of a policy changed
        // the number in it.
        let text = "[3.3333333333333334e85,0.1,1e-7,-0.0,1.7976931348623157e308,5e-324]";
        let once = parse(text, "policy", |_| None).expect("valid JSON").to_string();
        let twice = parse(&once, "policy", |_| None).expect("valid JSON").to_string();
        assert_eq!(once, twice);
        assert!(once.starts_with("[3.3333333333333334e"), "{once}");
    }

    #[test]
    fn positions_count_characters_not_bytes() {
        // `x` is the 9th character but the 10th byte (é takes two).
        assert_eq!(error_position("{\"é\": 1 x}"), (1, 9));
        assert_eq!(error_position("{\n  \"a\": 1\n  \"b\": 2\n}"), (3, 3));
        assert_eq!(error_position("[1, 2]"), (1, 1), "valid JSON: the whole document");
    }
}
