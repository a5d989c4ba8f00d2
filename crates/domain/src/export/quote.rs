//! Quoting for the languages exports are written in. Every value that reaches an export
//! goes through one of these, so no policy text can break out of its string.

use serde_json::Value;

/// A POSIX shell word: single-quoted, a `'` inside written as `'\''`.
pub fn shell(text: &str) -> String {
    format!("'{}'", text.replace('\'', r"'\''"))
}

/// An HCL quoted string. `${` and `%{` would start a template: they are escaped as `$${`
/// and `%%{` so the text is taken literally.
pub fn hcl_string(text: &str) -> String {
    let mut out = String::with_capacity(text.len() + 2);
    out.push('"');
    let mut chars = text.chars().peekable();
    while let Some(c) = chars.next() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            '\n' => out.push_str("\\n"),
            '\r' => out.push_str("\\r"),
            '\t' => out.push_str("\\t"),
            '$' | '%' if chars.peek() == Some(&'{') => {
                out.push(c);
                out.push(c);
            }
            c if c.is_control() => out.push_str(&format!("\\u{:04x}", u32::from(c))),
            c => out.push(c),
        }
    }
    out.push('"');
    out
}

/// A JSON value as an HCL expression, indented by `indent` levels of two spaces after its
/// first line. Object keys stay quoted strings in their order; `jsonencode` of it is the
/// same JSON value.
pub fn hcl_value(value: &Value, indent: usize) -> String {
    let pad = "  ".repeat(indent + 1);
    let close = "  ".repeat(indent);
    match value {
        Value::Null => String::from("null"),
        Value::Bool(b) => b.to_string(),
        Value::Number(n) => n.to_string(),
        Value::String(s) => hcl_string(s),
        Value::Array(items) if items.is_empty() => String::from("[]"),
        Value::Array(items) => {
            let mut out = String::from("[\n");
            for item in items {
                out.push_str(&format!("{pad}{},\n", hcl_value(item, indent + 1)));
            }
            out.push_str(&format!("{close}]"));
            out
        }
        Value::Object(map) if map.is_empty() => String::from("{}"),
        Value::Object(map) => {
            let mut out = String::from("{\n");
            for (key, item) in map {
                out.push_str(&format!("{pad}{} = {}\n", hcl_string(key), hcl_value(item, indent + 1)));
            }
            out.push_str(&format!("{close}}}"));
            out
        }
    }
}

/// A Terraform resource name from any text: letters, digits, `_` and `-`, not starting
/// with a digit or `-`.
pub fn terraform_label(text: &str) -> String {
    let mut out: String = text
        .chars()
        .map(|c| if c.is_ascii_alphanumeric() || c == '_' || c == '-' { c } else { '_' })
        .collect();
    if !out.starts_with(|c: char| c.is_ascii_alphabetic() || c == '_') {
        out.insert(0, '_');
    }
    out
}

/// A YAML scalar that is always a string: JSON's double-quoted form, which YAML reads the
/// same way.
pub fn yaml_string(text: &str) -> String {
    Value::String(text.to_owned()).to_string()
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn shell_quoting_survives_single_quotes() {
        assert_eq!(shell("it's"), r"'it'\''s'");
        assert_eq!(shell("$HOME `x`"), "'$HOME `x`'");
    }

    #[test]
    fn hcl_strings_never_start_a_template() {
        assert_eq!(hcl_string("${aws:username}"), r#""$${aws:username}""#);
        assert_eq!(hcl_string("%{if}"), r#""%%{if}""#);
        assert_eq!(hcl_string("50% $5"), r#""50% $5""#);
        assert_eq!(hcl_string("a\"b\\c\nd"), r#""a\"b\\c\nd""#);
    }

    #[test]
    fn hcl_values_keep_order_and_types() {
        let value = json!({"b": [1, true, null, "x"], "a": {}, "c": []});
        assert_eq!(
            hcl_value(&value, 0),
            "{\n  \"b\" = [\n    1,\n    true,\n    null,\n    \"x\",\n  ]\n  \"a\" = {}\n  \"c\" = []\n}"
        );
    }

    #[test]
    fn labels_are_valid_terraform_names() {
        assert_eq!(terraform_label("astro-role.v2"), "astro-role_v2");
        assert_eq!(terraform_label("9lives"), "_9lives");
        assert_eq!(terraform_label("roles/bigquery.jobUser"), "roles_bigquery_jobUser");
    }

    #[test]
    fn yaml_strings_are_quoted() {
        assert_eq!(yaml_string("yes"), "\"yes\"");
        assert_eq!(yaml_string("a: b"), "\"a: b\"");
    }
}
