//! The surgical statement edits both visual editors (trust and permission policies) make:
//! each changes exactly what it names and keeps key order, other statements, unknown
//! fields and the object-vs-array shapes the customer wrote. A list that shrinks to one
//! element stays a one-element array: the person editing should see what they did, not a
//! reformatting.
//!
//! Errors name the statement as the lints do and carry the editor's field
//! (`trust_policy`, `inline_policy`), so each editor reads as one voice.

use serde::{Deserialize, Serialize};
use serde_json::{Map, Value, json};

use super::lint::label;
use crate::DomainError;

/// One condition of a statement as the editors show it: operator, key, values.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "specta", derive(specta::Type))]
#[serde(rename_all = "camelCase")]
pub struct ConditionView {
    pub operator: String,
    /// Empty when the operator's body is not an object (IAM refuses that); `values` then
    /// holds the body's JSON text.
    pub key: String,
    /// Non-string values (`true`, numbers) are shown as their JSON text.
    pub values: Vec<String>,
}

/// Top-level elements of IAM's policy grammar; anything else is flagged for the UI.
pub(super) const TOP_LEVEL: [&str; 3] = ["Version", "Id", "Statement"];

/// The order IAM documents statement elements in. A key an edit has to create goes to its
/// place in this order, so the JSON side reads naturally; existing keys never move.
pub(super) const STATEMENT_ORDER: [&str; 9] = [
    "Sid",
    "Effect",
    "Principal",
    "NotPrincipal",
    "Action",
    "NotAction",
    "Resource",
    "NotResource",
    "Condition",
];

/// Condition operators without the `IfExists` suffix and the set prefixes (see
/// [`is_known_operator`]). `Null` is handled apart: it has no `IfExists` form.
/// Condition operators without the `IfExists` suffix and the set prefixes (see
/// [`is_known_operator`]). `Null` is handled apart: it has no `IfExists` form.
pub(crate) const OPERATORS: [&str; 26] = [
    "StringEquals",
    "StringNotEquals",
    "StringEqualsIgnoreCase",
    "StringNotEqualsIgnoreCase",
    "StringLike",
    "StringNotLike",
    "NumericEquals",
    "NumericNotEquals",
    "NumericLessThan",
    "NumericLessThanEquals",
    "NumericGreaterThan",
    "NumericGreaterThanEquals",
    "DateEquals",
    "DateNotEquals",
    "DateLessThan",
    "DateLessThanEquals",
    "DateGreaterThan",
    "DateGreaterThanEquals",
    "Bool",
    "BinaryEquals",
    "IpAddress",
    "NotIpAddress",
    "ArnEquals",
    "ArnLike",
    "ArnNotEquals",
    "ArnNotLike",
];

// ---- reading, as the cards show it ----

/// The rows of a `Condition` object: one per operator and key; an operator whose body is
/// not an object is one row with an empty key.
pub(super) fn condition_views(operators: &Map<String, Value>) -> Vec<ConditionView> {
    let mut views = Vec::new();
    for (operator, body) in operators {
        match body {
            Value::Object(keys) => views.extend(keys.iter().map(|(key, v)| ConditionView {
                operator: operator.clone(),
                key: key.clone(),
                values: items(v),
            })),
            other => views.push(ConditionView {
                operator: operator.clone(),
                key: String::new(),
                values: items(other),
            }),
        }
    }
    views
}

/// The key whose entries a card shows and edits: `key` (`Action`), else `not_key`
/// (`NotAction`) when only that one is there. With both (IAM refuses that), `not_key` is
/// listed in `other_fields`.
pub(super) fn shown_key(
    statement: &Map<String, Value>,
    key: &'static str,
    not_key: &'static str,
) -> &'static str {
    if !statement.contains_key(key) && statement.contains_key(not_key) { not_key } else { key }
}

/// A string or the entries of an array, each as the view shows it.
pub(super) fn items(value: &Value) -> Vec<String> {
    match value {
        Value::Array(entries) => entries.iter().map(text_of).collect(),
        one => vec![text_of(one)],
    }
}

pub(super) fn text_of(value: &Value) -> String {
    match value {
        Value::String(s) => s.clone(),
        other => other.to_string(),
    }
}

pub(super) fn same_text(value: &Value, text: &str) -> bool {
    match value {
        Value::String(s) => s == text,
        // Compared as the JSON text the view shows (`Value == str` would never match a
        // number or a boolean).
        other => {
            let shown = other.to_string();
            shown == text
        }
    }
}

// ---- edits ----

/// One statement being edited, with the name errors call it by.
pub(super) struct StatementEdit<'a> {
    pub(super) map: &'a mut Map<String, Value>,
    pub(super) label: String,
    /// The editor's error field: `trust_policy` or `inline_policy`.
    pub(super) field: &'static str,
}

impl<'a> StatementEdit<'a> {
    pub(super) fn at(doc: &'a mut Value, index: u32, field: &'static str) -> Result<Self, DomainError> {
        let count = statement_count(doc);
        let position = usize::try_from(index).unwrap_or(usize::MAX);
        let map = match doc.get_mut("Statement") {
            Some(Value::Object(one)) if position == 0 => Some(one),
            Some(Value::Array(list)) => list.get_mut(position).and_then(Value::as_object_mut),
            _ => None,
        };
        let Some(map) = map else {
            return Err(DomainError::invalid(
                field,
                format!("there is no statement {}; the policy has {count}", u64::from(index) + 1),
                "the cards are out of date; re-read the policy text",
            ));
        };
        let label = label(position, map);
        Ok(Self { map, label, field })
    }

    pub(super) fn error(&self, problem: impl std::fmt::Display, hint: impl Into<String>) -> DomainError {
        DomainError::invalid(self.field, format!("{}: {problem}", self.label), hint)
    }
    pub(super) fn set_effect(self, effect: &str) -> Result<(), DomainError> {
        let effect = effect.trim();
        if effect != "Allow" && effect != "Deny" {
            let hint = if effect.eq_ignore_ascii_case("allow") || effect.eq_ignore_ascii_case("deny") {
                "Effect is case-sensitive: write Allow or Deny"
            } else {
                "use Allow or Deny"
            };
            return Err(self.error(format!("Effect must be Allow or Deny, got {effect:?}"), hint));
        }
        match self.map.get_mut("Effect") {
            Some(current) => *current = Value::from(effect),
            None => insert_in_place(self.map, "Effect", Value::from(effect)),
        }
        Ok(())
    }

    /// Appends `value` to the list under `key`, or creates `key` as a one-element array at
    /// its place in [`STATEMENT_ORDER`]. `already` tells an entry that counts as `value`
    /// (IAM compares actions case-insensitively, ARNs exactly).
    pub(super) fn add_to_list(
        self,
        key: &str,
        value: &str,
        already: impl Fn(&Value) -> bool,
    ) -> Result<(), DomainError> {
        let (label, field) = (&self.label, self.field);
        match self.map.get_mut(key) {
            None => {
                insert_in_place(self.map, key, json!([value]));
                Ok(())
            }
            Some(list) => {
                if items_of(list).any(already) {
                    return Err(DomainError::invalid(
                        field,
                        format!("{label}: {key} already has {value:?}"),
                        "nothing to add",
                    ));
                }
                push_item(list, value).map_err(|problem| {
                    DomainError::invalid(field, format!("{label}: {key} {problem}"), "fix it in the JSON")
                })
            }
        }
    }

    /// Removes the first entry shown as `value` from the list under `key` (a `noun`: action,
    /// resource). With `refuse_last`, the last entry stays and the error carries that hint;
    /// without, the key is left as an empty array for the lints to flag, so the card stays
    /// where it is.
    pub(super) fn remove_from_list(
        self,
        key: &str,
        value: &str,
        noun: &str,
        refuse_last: Option<&str>,
    ) -> Result<(), DomainError> {
        let (label, field) = (&self.label, self.field);
        let Some(list) = self.map.get_mut(key) else {
            return Err(DomainError::invalid(field, format!("{label}: has no {key}"), "nothing to remove"));
        };
        let present = items_of(list).any(|a| same_text(a, value));
        if !present {
            let article = if noun.starts_with(['a', 'e', 'i', 'o', 'u']) { "an" } else { "a" };
            return Err(DomainError::invalid(
                field,
                format!("{label}: {key} does not have {value:?}"),
                format!("remove {article} {noun} the card shows"),
            ));
        }
        if let Some(hint) = refuse_last
            && items_of(list).count() == 1
        {
            return Err(DomainError::invalid(field, format!("{label}: {value:?} is its only {noun}"), hint));
        }
        if let Removed::All = remove_item(list, value)
            && !list.is_array()
        {
            *list = json!([]);
        }
        Ok(())
    }

    pub(super) fn set_condition(
        self,
        operator: &str,
        key: &str,
        values: &[String],
    ) -> Result<(), DomainError> {
        let operator = operator.trim();
        if !is_known_operator(operator) {
            return Err(self.error(
                format!("{operator:?} is not a condition operator"),
                "use an operator such as StringEquals, StringLike, ArnLike or Bool, optionally with \
                 IfExists or a ForAnyValue: / ForAllValues: prefix",
            ));
        }
        let key = self.checked_token(key, "condition key", "e.g. sts:ExternalId or aws:SourceAccount")?;
        if key.contains(['<', '>']) {
            return Err(self.error(
                format!("condition key {key:?} still has a placeholder"),
                "replace <issuer> with the OIDC issuer without https://, \
                 e.g. oidc.eks.us-east-1.amazonaws.com/id/0123456789ABCDEF",
            ));
        }
        let mut trimmed = Vec::with_capacity(values.len());
        for value in values {
            let value = value.trim();
            if value.is_empty() {
                return Err(self.error(
                    format!("a value of {operator} {key} is empty"),
                    "fill in every value, or remove the empty one",
                ));
            }
            trimmed.push(value);
        }
        if trimmed.is_empty() {
            return Err(self.error(
                format!("{operator} {key} needs at least one value"),
                "add a value, or remove the condition",
            ));
        }
        let (label, field) = (&self.label, self.field);
        let operators = match self.map.get_mut("Condition") {
            None => {
                let mut operators = Map::new();
                operators.insert(operator.to_owned(), Value::Object(Map::new()));
                insert_in_place(self.map, "Condition", Value::Object(operators));
                self.map.get_mut("Condition").and_then(Value::as_object_mut)
            }
            Some(Value::Object(operators)) => Some(operators),
            Some(_) => None,
        };
        let not_an_object = |what: &str| {
            DomainError::invalid(
                field,
                format!("{label}: {what} is not an object"),
                "fix it in the JSON, e.g. {\"StringEquals\": {\"sts:ExternalId\": \"...\"}}",
            )
        };
        let operators = operators.ok_or_else(|| not_an_object("Condition"))?;
        let body = operators.entry(operator).or_insert_with(|| Value::Object(Map::new()));
        let keys = body.as_object_mut().ok_or_else(|| not_an_object(operator))?;
        match keys.get_mut(key) {
            // Replacing keeps the shape written: an array stays an array even for one value.
            Some(current) => {
                *current = if current.is_array() || trimmed.len() > 1 {
                    json!(trimmed)
                } else {
                    Value::from(trimmed[0])
                };
            }
            None => {
                let new = if trimmed.len() == 1 { Value::from(trimmed[0]) } else { json!(trimmed) };
                keys.insert(key.to_owned(), new);
            }
        }
        Ok(())
    }

    pub(super) fn remove_condition(self, operator: &str, key: &str) -> Result<(), DomainError> {
        let (label, field) = (&self.label, self.field);
        let missing = |what: String| {
            DomainError::invalid(field, format!("{label}: {what}"), "remove a condition the card shows")
        };
        let Some(Value::Object(operators)) = self.map.get_mut("Condition") else {
            return Err(missing(String::from("has no conditions")));
        };
        let Some(body) = operators.get_mut(operator) else {
            return Err(missing(format!("has no {operator} condition")));
        };
        let operator_emptied = match body {
            Value::Object(keys) => {
                if keys.shift_remove(key).is_none() {
                    return Err(missing(format!("has no {operator} condition on {key:?}")));
                }
                keys.is_empty()
            }
            // The view shows a body that is not an object with an empty key.
            _ if key.is_empty() => true,
            _ => return Err(missing(format!("{operator} is not an object"))),
        };
        if operator_emptied {
            operators.shift_remove(operator);
            if operators.is_empty() {
                self.map.shift_remove("Condition");
            }
        }
        Ok(())
    }

    /// Trims what was typed (a pasted ARN often carries a newline) and refuses what cannot
    /// be one IAM token.
    pub(super) fn checked_token<'v>(
        &self,
        value: &'v str,
        what: &str,
        hint: &str,
    ) -> Result<&'v str, DomainError> {
        let value = value.trim();
        if value.is_empty() {
            return Err(self.error(format!("the {what} is empty"), hint));
        }
        if value.chars().any(char::is_whitespace) {
            return Err(self.error(format!("the {what} {value:?} contains a space"), hint));
        }
        Ok(value)
    }
}

/// Appends `new`; a single statement object becomes `[old, new]` (IAM accepts both shapes).
pub(super) fn add_statement(doc: &mut Value, new: Value) {
    let Some(statement) = doc.get_mut("Statement") else { return };
    match statement {
        Value::Array(list) => list.push(new),
        one => {
            let old = one.take();
            *one = Value::Array(vec![old, new]);
        }
    }
}

/// Removes a statement, but never the last: nothing lints an empty Statement list and IAM
/// refuses it. `kind` names the policy in the refusal ("a trust policy needs at least one").
pub(super) fn remove_statement(
    doc: &mut Value,
    index: u32,
    field: &'static str,
    kind: &str,
) -> Result<(), DomainError> {
    // Checks the index and names the statement like every other edit.
    let label = StatementEdit::at(doc, index, field)?.label;
    if statement_count(doc) == 1 {
        return Err(DomainError::invalid(
            field,
            format!("{label} is the only statement"),
            format!("add the statement you want first; {kind} needs at least one"),
        ));
    }
    if let Some(Value::Array(list)) = doc.get_mut("Statement") {
        let position = usize::try_from(index).unwrap_or(usize::MAX);
        if position < list.len() {
            list.remove(position);
        }
    }
    Ok(())
}

fn statement_count(doc: &Value) -> usize {
    match doc.get("Statement") {
        Some(Value::Array(list)) => list.len(),
        Some(_) => 1,
        None => 0,
    }
}

/// Inserts a key the statement does not have at its place in [`STATEMENT_ORDER`]: after
/// the last key that comes before it, else before the first that comes after it.
pub(super) fn insert_in_place(map: &mut Map<String, Value>, key: &str, value: Value) {
    let rank = |k: &str| STATEMENT_ORDER.iter().position(|o| *o == k);
    let Some(own) = rank(key) else {
        map.insert(key.to_owned(), value);
        return;
    };
    let after_predecessor = map
        .keys()
        .enumerate()
        .filter(|(_, k)| rank(k).is_some_and(|r| r < own))
        .map(|(i, _)| i + 1)
        .next_back();
    let index = after_predecessor
        .or_else(|| map.keys().position(|k| rank(k).is_some_and(|r| r > own)))
        .unwrap_or(map.len());
    map.shift_insert(index, key.to_owned(), value);
}

/// The entries of a string-or-array value (anything else counts as one entry).
pub(super) fn items_of(value: &Value) -> impl Iterator<Item = &Value> {
    match value {
        Value::Array(entries) => entries.iter(),
        one => std::slice::from_ref(one).iter(),
    }
}

/// Appends `item` to a string or array; a string becomes a two-element array. Anything
/// else is not a list IAM would take, and is left for the JSON side to fix.
pub(super) fn push_item(list: &mut Value, item: &str) -> Result<(), String> {
    match list {
        Value::Array(entries) => entries.push(Value::from(item)),
        one @ Value::String(_) => {
            let old = one.take();
            *one = json!([old, item]);
        }
        other => return Err(format!("is {other}, not a string or a list")),
    }
    Ok(())
}

pub(super) enum Removed {
    No,
    /// Entries are left.
    Some,
    /// The value was the only entry; the caller removes its key.
    All,
}

/// Removes the first entry shown as `item`. An array is never collapsed to a string.
pub(super) fn remove_item(list: &mut Value, item: &str) -> Removed {
    match list {
        Value::Array(entries) => {
            let Some(position) = entries.iter().position(|v| same_text(v, item)) else { return Removed::No };
            entries.remove(position);
            if entries.is_empty() { Removed::All } else { Removed::Some }
        }
        one if same_text(one, item) => Removed::All,
        _ => Removed::No,
    }
}

/// IAM's condition operators, with `IfExists` and the multivalued-key prefixes. Checked
/// strictly (case included) because nothing else would catch a typo before IAM refuses it.
pub(super) fn is_known_operator(operator: &str) -> bool {
    let base = operator
        .strip_prefix("ForAnyValue:")
        .or_else(|| operator.strip_prefix("ForAllValues:"))
        .unwrap_or(operator);
    base == "Null" || OPERATORS.contains(&base.strip_suffix("IfExists").unwrap_or(base))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn operators_follow_iam_grammar() {
        for operator in [
            "StringLike",
            "ForAnyValue:StringLike",
            "ForAllValues:StringEqualsIfExists",
            "Null",
            "ArnLikeIfExists",
            "Bool",
        ] {
            assert!(is_known_operator(operator), "{operator}");
        }
        for operator in ["", "StringLikeIfExistsIfExists", "ForAnyValue:", "AnyValue:StringLike", "Arnlike"] {
            assert!(!is_known_operator(operator), "{operator}");
        }
    }

    #[test]
    fn keys_go_to_their_documented_place() {
        let mut map: Map<String, Value> =
            serde_json::from_str(r#"{"X":1,"Effect":"Allow","Condition":{}}"#).expect("object");
        insert_in_place(&mut map, "Resource", json!("*"));
        insert_in_place(&mut map, "Sid", json!("s"));
        insert_in_place(&mut map, "Custom", json!(2));
        assert_eq!(
            map.keys().map(String::as_str).collect::<Vec<_>>(),
            ["X", "Sid", "Effect", "Resource", "Condition", "Custom"]
        );
    }
}
