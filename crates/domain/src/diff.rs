//! Line diffs of pretty-printed policies, shown before every write.

use serde::{Deserialize, Serialize};
use similar::{ChangeTag, TextDiff};

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "specta", derive(specta::Type))]
#[serde(rename_all = "camelCase")]
pub struct DiffLine {
    pub kind: DiffKind,
    /// One line of pretty JSON, without its line break.
    pub text: String,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "specta", derive(specta::Type))]
#[serde(rename_all = "camelCase")]
pub enum DiffKind {
    Same,
    Added,
    Removed,
}

/// The lines of `after` against `before`; with no `before` (a resource to be created) every
/// line is added.
pub fn line_diff(before: Option<&str>, after: &str) -> Vec<DiffLine> {
    let Some(before) = before else {
        return after.lines().map(|line| DiffLine { kind: DiffKind::Added, text: line.to_owned() }).collect();
    };
    // Both end in a newline, so the last line compares equal to itself.
    let (before, after) = (format!("{before}\n"), format!("{after}\n"));
    TextDiff::from_lines(&before, &after)
        .iter_all_changes()
        .map(|change| DiffLine {
            kind: match change.tag() {
                ChangeTag::Equal => DiffKind::Same,
                ChangeTag::Insert => DiffKind::Added,
                ChangeTag::Delete => DiffKind::Removed,
            },
            text: change.value().trim_end_matches('\n').to_owned(),
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn marks_added_removed_and_unchanged_lines() {
        let diff = line_diff(Some("{\n  \"a\": 1\n}"), "{\n  \"a\": 2\n}");
        let got: Vec<(DiffKind, &str)> = diff.iter().map(|l| (l.kind, l.text.as_str())).collect();
        assert_eq!(
            got,
            [
                (DiffKind::Same, "{"),
                (DiffKind::Removed, "  \"a\": 1"),
                (DiffKind::Added, "  \"a\": 2"),
                (DiffKind::Same, "}")
            ]
        );
        assert!(line_diff(None, "{\n}").iter().all(|l| l.kind == DiffKind::Added));
    }
}
