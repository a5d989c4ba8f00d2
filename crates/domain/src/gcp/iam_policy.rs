//! A Google Cloud IAM allow policy, kept as the JSON `getIamPolicy` returned.
//!
//! The document stays a `serde_json::Value` (with `preserve_order`) and every edit is a
//! surgical change to it. A typed model would drop what it does not know: a write without
//! `auditConfigs` erases the project's audit logging, and one at version 1 erases every
//! condition (FACTS: "a version-1 write can overwrite a version-3 policy and drop every
//! condition"). Unknown fields at any level, duplicate members, `deleted:` members and a
//! missing `version` are all left exactly as they were.

use std::collections::BTreeSet;

use serde::{Deserialize, Serialize};
use serde_json::{Map, Value, json};

use crate::DomainError;
use crate::json::{self, kind_of};

const FIELD: &str = "iam_policy";
/// The policy version that can hold conditions. Google requires it on every write of a
/// policy with a condition.
pub const CONDITIONAL_POLICY_VERSION: u32 = 3;
const CONDITION_TITLE_MAX: usize = 100;
const CONDITION_EXPRESSION_MAX: usize = 12_800;

/// An IAM allow policy document: a JSON object, with `bindings` (if any) an array of
/// objects that each name a `role`.
///
/// `PartialEq` compares JSON values (object key order ignored); compare
/// [`IamPolicy::to_compact_json`] for byte equality and [`IamPolicy::semantically_equal`]
/// for equal meaning.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(try_from = "Value", into = "Value")]
pub struct IamPolicy {
    doc: Value,
}

/// An IAM condition (a CEL expression with a title) attached to a binding.
///
/// Equality treats a missing description and an empty one as the same, as IAM does.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[cfg_attr(feature = "specta", derive(specta::Type))]
#[serde(rename_all = "camelCase")]
pub struct Condition {
    pub title: String,
    #[serde(default)]
    pub description: Option<String>,
    pub expression: String,
}

impl Condition {
    /// A condition as typed into the form: title and expression trimmed and required, an
    /// empty description dropped. Limits are Google's: title ≤ 100 characters, expression
    /// ≤ 12,800.
    pub fn new(title: &str, description: Option<&str>, expression: &str) -> Result<Self, DomainError> {
        let title = title.trim();
        if title.is_empty() {
            return Err(DomainError::invalid(
                "condition_title",
                "is required",
                "give the condition a short name, e.g. \"Astro until end of 2026\"",
            ));
        }
        let title_length = title.chars().count();
        if title_length > CONDITION_TITLE_MAX {
            return Err(DomainError::invalid(
                "condition_title",
                format!("must be at most 100 characters, got {title_length}"),
                "move the details into the description",
            ));
        }
        let expression = expression.trim();
        if expression.is_empty() {
            return Err(DomainError::invalid(
                "condition_expression",
                "is required",
                "write a CEL expression, e.g. request.time < timestamp(\"2027-01-01T00:00:00Z\")",
            ));
        }
        let expression_length = expression.chars().count();
        if expression_length > CONDITION_EXPRESSION_MAX {
            return Err(DomainError::invalid(
                "condition_expression",
                format!("must be at most 12,800 characters, got {expression_length}"),
                "split the grant into several bindings with shorter conditions",
            ));
        }
        let description = description.map(str::trim).filter(|d| !d.is_empty()).map(str::to_owned);
        Ok(Self { title: title.to_owned(), description, expression: expression.to_owned() })
    }

    /// The JSON IAM stores, in the key order Google returns: title, description (only when
    /// there is one), expression.
    pub fn to_value(&self) -> Value {
        let mut map = Map::new();
        map.insert("title".to_owned(), Value::from(self.title.as_str()));
        if let Some(description) = self.description.as_deref().filter(|d| !d.is_empty()) {
            map.insert("description".to_owned(), Value::from(description));
        }
        map.insert("expression".to_owned(), Value::from(self.expression.as_str()));
        Value::Object(map)
    }

    /// Reads a binding's `condition` leniently: a missing text field reads as empty.
    fn from_binding(binding: &Map<String, Value>) -> Option<Self> {
        let Some(Value::Object(condition)) = binding.get("condition") else { return None };
        let text = |key: &str| condition.get(key).and_then(Value::as_str).map(str::to_owned);
        Some(Self {
            title: text("title").unwrap_or_default(),
            description: text("description"),
            expression: text("expression").unwrap_or_default(),
        })
    }
}

impl PartialEq for Condition {
    fn eq(&self, other: &Self) -> bool {
        self.title == other.title
            && self.description.as_deref().unwrap_or("") == other.description.as_deref().unwrap_or("")
            && self.expression == other.expression
    }
}

impl Eq for Condition {}

/// A read-only view of one binding, for display.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "specta", derive(specta::Type))]
#[serde(rename_all = "camelCase")]
pub struct Binding {
    pub role: String,
    /// As in the document: duplicates and `deleted:` members included.
    pub members: Vec<String>,
    pub condition: Option<Condition>,
}

/// One member holding one role under one condition (or none): the unit a change adds or
/// removes.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "specta", derive(specta::Type))]
#[serde(rename_all = "camelCase")]
pub struct Grant {
    pub role: String,
    pub member: String,
    pub condition: Option<Condition>,
}

impl IamPolicy {
    /// Parses the JSON of `getIamPolicy` (or `gcloud … get-iam-policy --format=json`).
    pub fn parse(text: &str) -> Result<Self, DomainError> {
        let doc = json::parse(text, FIELD, |text| {
            (text.starts_with("bindings:") || text.starts_with("etag:"))
                .then_some("this looks like gcloud's YAML; run the command again with --format=json")
        })?;
        Self::from_value(doc)
    }

    /// Accepts any policy IAM could return. Checks only the shape this module relies on;
    /// nothing is normalised.
    pub fn from_value(doc: Value) -> Result<Self, DomainError> {
        const HINT: &str = "an allow policy looks like {\"bindings\":[{\"role\":\"roles/...\",\"members\":[...]}],\"etag\":\"...\",\"version\":3}";
        let Some(object) = doc.as_object() else {
            return Err(DomainError::invalid(
                FIELD,
                format!("must be a JSON object with bindings, got {}", kind_of(&doc)),
                HINT,
            ));
        };
        if object.get("policy").is_some_and(Value::is_object) && !object.contains_key("bindings") {
            return Err(DomainError::invalid(
                FIELD,
                "this is a setIamPolicy request body, not a policy",
                "paste the object inside \"policy\"",
            ));
        }
        if object.contains_key("Statement") && !object.contains_key("bindings") {
            return Err(DomainError::invalid(
                FIELD,
                "this is an AWS policy document (it has a Statement), not a Google Cloud IAM policy",
                "paste the output of `gcloud projects get-iam-policy PROJECT --format=json`",
            ));
        }
        match object.get("version") {
            None => {}
            Some(version) if version.as_u64().is_some_and(|v| u32::try_from(v).is_ok()) => {}
            Some(other) => {
                return Err(DomainError::invalid(
                    FIELD,
                    format!("version must be a whole number such as 3, got {other}"),
                    HINT,
                ));
            }
        }
        if let Some(etag) = object.get("etag").filter(|e| !e.is_string()) {
            return Err(DomainError::invalid(FIELD, format!("etag must be a string, got {etag}"), HINT));
        }
        match object.get("bindings") {
            None => {}
            Some(Value::Array(bindings)) => {
                for (index, binding) in bindings.iter().enumerate() {
                    check_binding(index + 1, binding)
                        .map_err(|problem| DomainError::invalid(FIELD, problem, HINT))?;
                }
            }
            Some(other) => {
                return Err(DomainError::invalid(
                    FIELD,
                    format!("bindings must be an array, got {}", kind_of(other)),
                    HINT,
                ));
            }
        }
        Ok(Self { doc })
    }

    pub fn as_value(&self) -> &Value {
        &self.doc
    }

    pub fn into_value(self) -> Value {
        self.doc
    }

    /// What is sent to IAM: no whitespace, keys in the order Google returned them.
    pub fn to_compact_json(&self) -> String {
        // Serialising a Value with string keys cannot fail.
        serde_json::to_string(&self.doc).unwrap_or_default()
    }

    /// For display and diffs: two-space indentation.
    pub fn to_pretty_json(&self) -> String {
        serde_json::to_string_pretty(&self.doc).unwrap_or_default()
    }

    /// The etag read with the policy; `setIamPolicy` must send it back so that a
    /// concurrent change is refused instead of overwritten.
    pub fn etag(&self) -> Option<&str> {
        self.doc.get("etag").and_then(Value::as_str)
    }

    /// The policy version. A missing `version` (and Google's 0) means 1.
    pub fn version(&self) -> u32 {
        match self.doc.get("version").and_then(Value::as_u64) {
            None | Some(0) => 1,
            Some(v) => u32::try_from(v).unwrap_or(u32::MAX),
        }
    }

    /// Whether any binding has a condition (so every write must say version 3).
    pub fn has_conditions(&self) -> bool {
        self.binding_maps().iter().any(|b| b.get("condition").is_some_and(|c| !c.is_null()))
    }

    /// The bindings in document order.
    pub fn bindings(&self) -> Vec<Binding> {
        self.binding_maps()
            .into_iter()
            .map(|b| Binding {
                role: role_of(b).to_owned(),
                members: members_of(b).into_iter().map(str::to_owned).collect(),
                condition: Condition::from_binding(b),
            })
            .collect()
    }

    /// Every (role, member, condition) the policy grants, each once, in document order.
    pub fn grants(&self) -> Vec<Grant> {
        let mut grants: Vec<Grant> = Vec::new();
        for binding in self.bindings() {
            for member in binding.members {
                let grant =
                    Grant { role: binding.role.clone(), member, condition: binding.condition.clone() };
                if !grants.contains(&grant) {
                    grants.push(grant);
                }
            }
        }
        grants
    }

    /// Whether `member` holds `role` under exactly `condition` (none = unconditionally).
    pub fn has_member(&self, role: &str, member: &str, condition: Option<&Condition>) -> bool {
        self.binding_index(role, member, condition).is_some()
    }

    /// 0-based index of the first binding of `role` under `condition` that lists `member`.
    pub fn binding_index(&self, role: &str, member: &str, condition: Option<&Condition>) -> Option<u32> {
        self.binding_maps()
            .iter()
            .position(|b| is_binding_for(b, role, condition) && members_of(b).contains(&member))
            .map(|i| u32::try_from(i).unwrap_or(u32::MAX))
    }

    /// Grants `role` to `member` under `condition`, changing as little as possible.
    /// Idempotent: when the grant exists the result is byte-identical (save the version
    /// repair below).
    ///
    /// A binding is role + condition: the same role under another condition, or none, is
    /// another binding. The member joins the first binding with the same role and an equal
    /// condition that has members; with none, a binding `{"role", "members", "condition"?}`
    /// is appended. A binding without members is never joined: [`IamPolicy::remove_member`]
    /// drops the binding it empties, so undoing the add would delete it, and whatever else
    /// it holds, with it.
    /// When the result has any condition, `version` becomes 3 (never lowered); a missing
    /// `version` is added at the end. No other binding, `auditConfigs`, `etag` or unknown
    /// field changes.
    pub fn add_member(&self, role: &str, member: &str, condition: Option<&Condition>) -> IamPolicy {
        let mut doc = self.doc.clone();
        let Some(object) = doc.as_object_mut() else { return self.clone() };
        if !self.has_member(role, member, condition) {
            let bindings = object.entry("bindings").or_insert_with(|| Value::Array(Vec::new()));
            let Some(bindings) = bindings.as_array_mut() else { return self.clone() };
            let target = bindings
                .iter_mut()
                .filter_map(Value::as_object_mut)
                .find(|b| is_binding_for(b, role, condition) && !members_of(b).is_empty());
            match target {
                Some(binding) => match binding.entry("members").or_insert_with(|| Value::Array(Vec::new())) {
                    Value::Array(members) => members.push(Value::from(member)),
                    _ => return self.clone(),
                },
                None => {
                    let mut binding = json!({"role": role, "members": [member]});
                    if let (Some(condition), Some(map)) = (condition, binding.as_object_mut()) {
                        map.insert("condition".to_owned(), condition.to_value());
                    }
                    bindings.push(binding);
                }
            }
        }
        let mut after = Self { doc };
        if after.has_conditions() && after.version() < CONDITIONAL_POLICY_VERSION {
            after.set_version(CONDITIONAL_POLICY_VERSION);
        }
        after
    }

    /// Revokes `role` from `member` under exactly `condition` (undo). The member leaves
    /// every such binding (repeats included); a binding this leaves with no members is
    /// removed, and so is a `bindings` array left empty (Google omits empty fields, so the
    /// policy reads back that way). `version` is never lowered; nothing else changes.
    /// Without a match the result is byte-identical.
    pub fn remove_member(&self, role: &str, member: &str, condition: Option<&Condition>) -> IamPolicy {
        if !self.has_member(role, member, condition) {
            return self.clone();
        }
        let mut doc = self.doc.clone();
        let Some(object) = doc.as_object_mut() else { return self.clone() };
        let Some(Value::Array(bindings)) = object.get_mut("bindings") else { return self.clone() };
        bindings.retain_mut(|binding| {
            let Some(map) = binding.as_object_mut() else { return true };
            if !is_binding_for(map, role, condition) {
                return true;
            }
            let Some(Value::Array(members)) = map.get_mut("members") else { return true };
            let before = members.len();
            members.retain(|m| m.as_str() != Some(member));
            // Keep bindings that were empty already: they are not ours to tidy.
            !(members.is_empty() && before > 0)
        });
        if bindings.is_empty() {
            object.shift_remove("bindings");
        }
        Self { doc }
    }

    /// Same meaning to IAM: equal up to binding and member order, repeated members,
    /// bindings split or merged, `etag`, JSON whitespace and key order, a missing vs. an
    /// empty `bindings` or condition description, and the version where it means nothing.
    ///
    /// The version is compared only when a policy has a condition: without one, versions
    /// 1 and 3 (and a missing version) describe the same grants, which is what lets an
    /// add-with-condition followed by its undo count as a round trip.
    pub fn semantically_equal(&self, other: &IamPolicy) -> bool {
        self.normalized() == other.normalized()
    }

    /// Principals the policy counts against Google's limit of 1,500: every appearance in a
    /// binding. Google documents that a principal in two bindings counts twice (it does
    /// not deduplicate across bindings), so this is the sum over bindings; a member
    /// repeated *within* one binding counts once, because IAM stores a binding's members
    /// as a set. That makes this a lower bound of what IAM counts: a limit error based on
    /// it is never a false alarm.
    pub fn principal_count(&self) -> u32 {
        self.count_members(|_| true)
    }

    /// Google groups (`group:` members) counted as in [`IamPolicy::principal_count`],
    /// against Google's limit of 250 per policy. Deleted groups are not counted.
    pub fn group_count(&self) -> u32 {
        self.count_members(|m| m.starts_with("group:"))
    }

    fn count_members(&self, counted: impl Fn(&str) -> bool) -> u32 {
        let total: usize = self
            .binding_maps()
            .iter()
            .map(|b| members_of(b).into_iter().filter(|m| counted(m)).collect::<BTreeSet<&str>>().len())
            .sum();
        u32::try_from(total).unwrap_or(u32::MAX)
    }

    fn binding_maps(&self) -> Vec<&Map<String, Value>> {
        match self.doc.get("bindings") {
            Some(Value::Array(items)) => items.iter().filter_map(Value::as_object).collect(),
            _ => Vec::new(),
        }
    }

    /// Overwrites `version` in place (keeping its position), or appends it.
    fn set_version(&mut self, version: u32) {
        if let Some(object) = self.doc.as_object_mut() {
            object.insert("version".to_owned(), Value::from(version));
        }
    }

    fn normalized(&self) -> Value {
        let mut doc = self.doc.clone();
        let Some(object) = doc.as_object_mut() else { return doc };
        object.shift_remove("etag");
        object.shift_remove("version");
        if self.has_conditions() {
            object.insert("version".to_owned(), Value::from(self.version()));
        }
        // One (binding without members, member) pair per grant, as a sorted set.
        let mut grants: BTreeSet<String> = BTreeSet::new();
        for binding in self.binding_maps() {
            let mut rest = binding.clone();
            rest.shift_remove("members");
            match rest.get_mut("condition") {
                Some(Value::Null) => {
                    rest.shift_remove("condition");
                }
                Some(Value::Object(condition))
                    if condition.get("description").and_then(Value::as_str) == Some("") =>
                {
                    condition.shift_remove("description");
                }
                _ => {}
            }
            // Key order carries no meaning (the SDK writes `expression` first, gcloud last).
            let rest = sorted_keys(Value::Object(rest));
            for member in members_of(binding) {
                grants.insert(json!([rest, member]).to_string());
            }
        }
        object.insert("bindings".to_owned(), Value::Array(grants.into_iter().map(Value::from).collect()));
        doc
    }
}

impl TryFrom<Value> for IamPolicy {
    type Error = DomainError;
    fn try_from(value: Value) -> Result<Self, Self::Error> {
        Self::from_value(value)
    }
}

impl From<IamPolicy> for Value {
    fn from(policy: IamPolicy) -> Self {
        policy.doc
    }
}

/// The problem with binding `number` (1-based), if any.
fn check_binding(number: usize, binding: &Value) -> Result<(), String> {
    let Some(map) = binding.as_object() else {
        return Err(format!("binding {number} is {}, not an object", kind_of(binding)));
    };
    match map.get("role") {
        Some(Value::String(_)) => {}
        Some(other) => {
            return Err(format!("binding {number}: role must be a string, got {}", kind_of(other)));
        }
        None => return Err(format!("binding {number} has no role")),
    }
    match map.get("members") {
        None => {}
        Some(Value::Array(members)) if members.iter().all(Value::is_string) => {}
        Some(_) => return Err(format!("binding {number}: members must be an array of strings")),
    }
    match map.get("condition") {
        None | Some(Value::Null) => {}
        Some(Value::Object(condition)) => {
            if let Some((key, _)) = condition.iter().find(|(key, value)| {
                ["title", "description", "expression"].contains(&key.as_str()) && !value.is_string()
            }) {
                return Err(format!("binding {number}: condition {key} must be a string"));
            }
        }
        Some(other) => {
            return Err(format!(
                "binding {number}: condition must be an object with title and expression, got {}",
                kind_of(other)
            ));
        }
    }
    Ok(())
}

fn role_of(binding: &Map<String, Value>) -> &str {
    binding.get("role").and_then(Value::as_str).unwrap_or_default()
}

fn members_of(binding: &Map<String, Value>) -> Vec<&str> {
    match binding.get("members") {
        Some(Value::Array(items)) => items.iter().filter_map(Value::as_str).collect(),
        _ => Vec::new(),
    }
}

fn is_binding_for(binding: &Map<String, Value>, role: &str, condition: Option<&Condition>) -> bool {
    role_of(binding) == role && Condition::from_binding(binding).as_ref() == condition
}

/// The same JSON with every object's keys in sorted order, for order-blind comparison.
fn sorted_keys(value: Value) -> Value {
    match value {
        Value::Object(map) => {
            let mut entries: Vec<(String, Value)> =
                map.into_iter().map(|(k, v)| (k, sorted_keys(v))).collect();
            entries.sort_by(|a, b| a.0.cmp(&b.0));
            Value::Object(entries.into_iter().collect())
        }
        Value::Array(list) => Value::Array(list.into_iter().map(sorted_keys).collect()),
        other => other,
    }
}

#[cfg(test)]
mod tests {
    #[test]
    fn condition_key_order_does_not_matter() {
        let a = super::IamPolicy::parse(
            r#"{"bindings":[{"role":"roles/x","members":["user:a@example.com"],"condition":{"title":"t","description":"d","expression":"e"}}],"version":3}"#,
        )
        .expect("valid");
        let b = super::IamPolicy::parse(
            r#"{"version":3,"bindings":[{"condition":{"expression":"e","title":"t","description":"d"},"members":["user:a@example.com"],"role":"roles/x"}]}"#,
        )
        .expect("valid");
        assert!(a.semantically_equal(&b));
    }

    use super::*;

    const ASTRO: &str = "serviceAccount:astro-fiery-nebula-1234@astronomer-prod.iam.gserviceaccount.com";

    fn policy(text: &str) -> IamPolicy {
        IamPolicy::parse(text).expect("valid policy")
    }

    fn until_2027() -> Condition {
        Condition::new("until 2027", None, "request.time < timestamp(\"2027-01-01T00:00:00Z\")")
            .expect("valid")
    }

    #[test]
    fn parse_errors_name_line_and_column() {
        let err = IamPolicy::parse("{\n  \"bindings\": []\n  \"etag\": \"x\"\n}").expect_err("comma");
        assert_eq!(err.field(), "iam_policy");
        assert_eq!(err.to_string(), "iam_policy: malformed JSON at line 3, column 3: expected `,` or `}`");
        assert_eq!(err.hint(), "check for a missing comma, quote or brace near that spot");
        let err = IamPolicy::parse("bindings:\n- members:\n  - user:a@b.c").expect_err("yaml");
        assert_eq!(err.hint(), "this looks like gcloud's YAML; run the command again with --format=json");
    }

    #[test]
    fn parse_checks_the_shape() {
        let problem = |text: &str| IamPolicy::parse(text).expect_err("invalid").to_string();
        let cases = [
            ("[]", "iam_policy: must be a JSON object with bindings, got an array"),
            (
                r#"{"policy":{"bindings":[]},"updateMask":"bindings,etag"}"#,
                "iam_policy: this is a setIamPolicy request body, not a policy",
            ),
            (r#"{"version":"3"}"#, "iam_policy: version must be a whole number such as 3, got \"3\""),
            (r#"{"version":-1}"#, "iam_policy: version must be a whole number such as 3, got -1"),
            (r#"{"etag":7}"#, "iam_policy: etag must be a string, got 7"),
            (r#"{"bindings":{}}"#, "iam_policy: bindings must be an array, got an object"),
            (r#"{"bindings":[{"role":"roles/x"},3]}"#, "iam_policy: binding 2 is a number, not an object"),
            (r#"{"bindings":[{"members":[]}]}"#, "iam_policy: binding 1 has no role"),
            (
                r#"{"bindings":[{"role":["roles/x"]}]}"#,
                "iam_policy: binding 1: role must be a string, got an array",
            ),
            (
                r#"{"bindings":[{"role":"roles/x","members":"user:a@b.c"}]}"#,
                "iam_policy: binding 1: members must be an array of strings",
            ),
            (
                r#"{"bindings":[{"role":"roles/x","members":[1]}]}"#,
                "iam_policy: binding 1: members must be an array of strings",
            ),
            (
                r#"{"bindings":[{"role":"roles/x","condition":"x"}]}"#,
                "iam_policy: binding 1: condition must be an object with title and expression, got a string",
            ),
            (
                r#"{"bindings":[{"role":"roles/x","condition":{"title":1}}]}"#,
                "iam_policy: binding 1: condition title must be a string",
            ),
        ];
        for (text, expected) in cases {
            assert_eq!(problem(text), expected, "{text}");
        }
        // Empty, versionless, and condition: null are all fine.
        assert!(IamPolicy::parse("{}").is_ok());
        assert!(IamPolicy::parse(r#"{"bindings":[{"role":"roles/x","condition":null}]}"#).is_ok());
    }

    #[test]
    fn round_trips_key_order_and_unknown_fields() {
        let text = r#"{"bindings":[{"members":["user:a@example.com","user:a@example.com"],"role":"roles/x","x":{"y":[1,null]}}],"etag":"BwWI0RjTAus=","version":1,"zUnknown":true}"#;
        assert_eq!(policy(text).to_compact_json(), text);
        let pretty = policy(r#"{"version":3,"etag":"e"}"#).to_pretty_json();
        assert_eq!(pretty, "{\n  \"version\": 3,\n  \"etag\": \"e\"\n}");
    }

    #[test]
    fn reads_etag_version_and_bindings() {
        let p = policy(
            r#"{"bindings":[{"role":"roles/a","members":["user:x@example.com"]},{"role":"roles/b","members":["group:g@example.com"],"condition":{"title":"t","expression":"e"}}],"etag":"BwX=","version":3}"#,
        );
        assert_eq!(p.etag(), Some("BwX="));
        assert_eq!(p.version(), 3);
        assert!(p.has_conditions());
        assert_eq!(
            p.bindings(),
            [
                Binding {
                    role: "roles/a".into(),
                    members: vec!["user:x@example.com".into()],
                    condition: None
                },
                Binding {
                    role: "roles/b".into(),
                    members: vec!["group:g@example.com".into()],
                    condition: Some(Condition {
                        title: "t".into(),
                        description: None,
                        expression: "e".into()
                    }),
                },
            ]
        );
        let bare = policy("{}");
        assert_eq!((bare.etag(), bare.version(), bare.has_conditions()), (None, 1, false));
        assert!(bare.bindings().is_empty());
        assert_eq!(policy(r#"{"version":0}"#).version(), 1);
    }

    #[test]
    fn add_appends_to_the_matching_binding() {
        let p = policy(
            r#"{"bindings":[{"role":"roles/bigquery.jobUser","members":["user:a@example.com"]}],"etag":"E=","version":1}"#,
        );
        let after = p.add_member("roles/bigquery.jobUser", ASTRO, None);
        assert_eq!(
            after.to_compact_json(),
            format!(
                r#"{{"bindings":[{{"role":"roles/bigquery.jobUser","members":["user:a@example.com","{ASTRO}"]}}],"etag":"E=","version":1}}"#
            )
        );
        assert_eq!(
            after.add_member("roles/bigquery.jobUser", ASTRO, None).to_compact_json(),
            after.to_compact_json()
        );
        assert_eq!(after.binding_index("roles/bigquery.jobUser", ASTRO, None), Some(0));
    }

    #[test]
    fn add_creates_a_binding_and_bindings_when_missing() {
        let p = policy(r#"{"auditConfigs":[{"service":"allServices"}]}"#);
        let after = p.add_member("roles/bigquery.jobUser", ASTRO, None);
        assert_eq!(
            after.to_compact_json(),
            format!(
                r#"{{"auditConfigs":[{{"service":"allServices"}}],"bindings":[{{"role":"roles/bigquery.jobUser","members":["{ASTRO}"]}}]}}"#
            )
        );
        // Undo gives back the same bytes: the empty bindings array goes too.
        assert_eq!(
            after.remove_member("roles/bigquery.jobUser", ASTRO, None).to_compact_json(),
            p.to_compact_json()
        );
    }

    #[test]
    fn a_condition_makes_another_binding_and_version_3() {
        let p = policy(
            r#"{"bindings":[{"role":"roles/bigquery.jobUser","members":["user:a@example.com"]}],"etag":"E=","version":1}"#,
        );
        let condition = until_2027();
        let after = p.add_member("roles/bigquery.jobUser", ASTRO, Some(&condition));
        assert_eq!(
            after.to_compact_json(),
            format!(
                r#"{{"bindings":[{{"role":"roles/bigquery.jobUser","members":["user:a@example.com"]}},{{"role":"roles/bigquery.jobUser","members":["{ASTRO}"],"condition":{{"title":"until 2027","expression":"request.time < timestamp(\"2027-01-01T00:00:00Z\")"}}}}],"etag":"E=","version":3}}"#
            )
        );
        assert!(after.has_member("roles/bigquery.jobUser", ASTRO, Some(&condition)));
        assert!(!after.has_member("roles/bigquery.jobUser", ASTRO, None));
        // The same member unconditionally is yet another grant, in the first binding.
        let both = after.add_member("roles/bigquery.jobUser", ASTRO, None);
        assert_eq!(both.binding_index("roles/bigquery.jobUser", ASTRO, None), Some(0));
        // Remove keeps version 3 and the other binding.
        let undone = after.remove_member("roles/bigquery.jobUser", ASTRO, Some(&condition));
        assert_eq!(
            undone.to_compact_json(),
            r#"{"bindings":[{"role":"roles/bigquery.jobUser","members":["user:a@example.com"]}],"etag":"E=","version":3}"#
        );
        assert!(undone.semantically_equal(&p));
    }

    #[test]
    fn version_is_added_at_the_end_and_never_lowered() {
        let p = policy(r#"{"bindings":[],"etag":"E="}"#);
        let after = p.add_member("roles/x", "user:a@example.com", Some(&until_2027()));
        assert_eq!(
            after.as_value().as_object().expect("object").keys().next_back().map(String::as_str),
            Some("version")
        );
        assert_eq!(after.version(), 3);
        let future =
            policy(r#"{"version":4}"#).add_member("roles/x", "user:a@example.com", Some(&until_2027()));
        assert_eq!(future.version(), 4);
        // Without conditions the version stays absent.
        let plain = policy(r#"{"etag":"E="}"#).add_member("roles/x", "user:a@example.com", None);
        assert_eq!(
            plain.to_compact_json(),
            r#"{"etag":"E=","bindings":[{"role":"roles/x","members":["user:a@example.com"]}]}"#
        );
    }

    #[test]
    fn add_repairs_a_conditional_policy_read_at_version_1() {
        // A policy with a condition must be written as version 3; one read at version 1
        // (an old client, a hand edit) is repaired even when the grant exists already.
        let p = policy(
            r#"{"bindings":[{"role":"roles/x","members":["user:a@example.com"],"condition":{"title":"t","expression":"e"}}],"version":1}"#,
        );
        let condition = Condition { title: "t".into(), description: None, expression: "e".into() };
        let after = p.add_member("roles/x", "user:a@example.com", Some(&condition));
        assert_eq!(
            after.to_compact_json(),
            r#"{"bindings":[{"role":"roles/x","members":["user:a@example.com"],"condition":{"title":"t","expression":"e"}}],"version":3}"#
        );
    }

    #[test]
    fn descriptions_missing_and_empty_are_the_same_condition() {
        let p = policy(
            r#"{"bindings":[{"role":"roles/x","members":["user:a@example.com"],"condition":{"title":"t","description":"","expression":"e"}}],"version":3}"#,
        );
        let condition = Condition { title: "t".into(), description: None, expression: "e".into() };
        let after = p.add_member("roles/x", "user:b@example.com", Some(&condition));
        assert_eq!(after.bindings().len(), 1);
        assert_eq!(after.bindings()[0].members, ["user:a@example.com", "user:b@example.com"]);
        let other = Condition { title: "t".into(), description: Some("d".into()), expression: "e".into() };
        assert_eq!(p.add_member("roles/x", "user:b@example.com", Some(&other)).bindings().len(), 2);
    }

    #[test]
    fn add_never_joins_a_binding_without_members_so_that_undo_keeps_it() {
        // Found by fuzzing: the member joined the empty binding, and the undo then removed
        // that binding, unknown field and all.
        for binding in
            [r#"{"role":"roles/x","members":[]}"#, r#"{"role":"roles/x","membres":["user:a@example.com"]}"#]
        {
            let p = policy(&format!(r#"{{"bindings":[{binding}],"etag":"E="}}"#));
            let after = p.add_member("roles/x", ASTRO, None);
            assert_eq!(
                after.to_compact_json(),
                format!(
                    r#"{{"bindings":[{binding},{{"role":"roles/x","members":["{ASTRO}"]}}],"etag":"E="}}"#
                )
            );
            let undone = after.remove_member("roles/x", ASTRO, None);
            assert_eq!(undone.to_compact_json(), p.to_compact_json());
        }
    }

    #[test]
    fn remove_takes_every_repeat_and_drops_emptied_bindings_only() {
        let p = policy(
            r#"{"bindings":[{"role":"roles/x","members":[]},{"role":"roles/y","members":["user:a@example.com","user:a@example.com"]},{"role":"roles/y","members":["user:a@example.com","user:b@example.com"]}],"version":1}"#,
        );
        let after = p.remove_member("roles/y", "user:a@example.com", None);
        assert_eq!(
            after.to_compact_json(),
            r#"{"bindings":[{"role":"roles/x","members":[]},{"role":"roles/y","members":["user:b@example.com"]}],"version":1}"#
        );
        assert_eq!(
            p.remove_member("roles/z", "user:a@example.com", None).to_compact_json(),
            p.to_compact_json()
        );
        assert_eq!(
            p.remove_member("roles/y", "user:a@example.com", Some(&until_2027())).to_compact_json(),
            p.to_compact_json()
        );
    }

    #[test]
    fn semantic_equality() {
        let a = policy(
            r#"{"version":1,"etag":"A=","bindings":[{"role":"roles/x","members":["user:a@example.com","user:b@example.com"]}]}"#,
        );
        let b = policy(
            r#"{ "bindings": [ {"members": ["user:b@example.com"], "role": "roles/x"}, {"role": "roles/x", "members": ["user:a@example.com", "user:a@example.com"]} ], "etag": "B=" }"#,
        );
        assert!(a.semantically_equal(&b));
        let c = policy(r#"{"bindings":[{"role":"roles/x","members":["user:a@example.com"]}]}"#);
        assert!(!a.semantically_equal(&c));
        // Versions matter only once there is a condition.
        assert!(a.semantically_equal(&policy(
            r#"{"version":3,"bindings":[{"role":"roles/x","members":["user:a@example.com","user:b@example.com"]}]}"#
        )));
        let conditional = |version: u32| {
            policy(&format!(
                r#"{{"version":{version},"bindings":[{{"role":"roles/x","members":["user:a@example.com"],"condition":{{"title":"t","expression":"e"}}}}]}}"#
            ))
        };
        assert!(!conditional(1).semantically_equal(&conditional(3)));
        assert!(conditional(3).semantically_equal(&conditional(3)));
        // Other fields count.
        assert!(!policy(r#"{"auditConfigs":[]}"#).semantically_equal(&policy("{}")));
        assert!(policy(r#"{"bindings":[]}"#).semantically_equal(&policy("{}")));
    }

    #[test]
    fn counts_principals_per_binding_and_groups() {
        let p = policy(
            r#"{"bindings":[{"role":"roles/x","members":["user:a@example.com","group:g@example.com","group:g@example.com"]},{"role":"roles/y","members":["user:a@example.com","group:g@example.com","deleted:group:old@example.com?uid=1"]}]}"#,
        );
        // a twice (two bindings), g twice (once per binding), the deleted group once.
        assert_eq!(p.principal_count(), 5);
        assert_eq!(p.group_count(), 2);
        assert_eq!(policy("{}").principal_count(), 0);
    }

    #[test]
    fn grants_are_distinct_in_document_order() {
        let p = policy(
            r#"{"bindings":[{"role":"roles/x","members":["user:a@example.com","user:a@example.com"]},{"role":"roles/x","members":["user:a@example.com","user:b@example.com"]}]}"#,
        );
        let grants: Vec<(String, String)> = p.grants().into_iter().map(|g| (g.role, g.member)).collect();
        assert_eq!(
            grants,
            [
                ("roles/x".to_owned(), "user:a@example.com".to_owned()),
                ("roles/x".to_owned(), "user:b@example.com".to_owned())
            ]
        );
    }

    #[test]
    fn condition_new_validates() {
        let problem = |title: &str, expression: &str| {
            Condition::new(title, None, expression).expect_err("invalid").to_string()
        };
        assert_eq!(problem("  ", "true"), "condition_title: is required");
        assert_eq!(
            problem(&"t".repeat(101), "true"),
            "condition_title: must be at most 100 characters, got 101"
        );
        assert_eq!(problem("t", " "), "condition_expression: is required");
        assert_eq!(
            problem("t", &"a".repeat(12_801)),
            "condition_expression: must be at most 12,800 characters, got 12801"
        );
        let ok = Condition::new(&"é".repeat(100), Some("  "), &"a".repeat(12_800)).expect("at the limits");
        assert_eq!(ok.description, None);
        let ok = Condition::new(" t ", Some(" d "), " e ").expect("valid");
        assert_eq!(
            (ok.title.as_str(), ok.description.as_deref(), ok.expression.as_str()),
            ("t", Some("d"), "e")
        );
        assert_eq!(ok.to_value().to_string(), r#"{"title":"t","description":"d","expression":"e"}"#);
        assert_eq!(
            Condition::new("t", None, "e").expect("valid").to_value().to_string(),
            r#"{"title":"t","expression":"e"}"#
        );
    }

    #[test]
    fn condition_errors_name_their_fields() {
        let field =
            |title: &str, expression: &str| Condition::new(title, None, expression).err().map(|e| e.field());
        assert_eq!(field("", "e"), Some("condition_title"));
        assert_eq!(field("t", ""), Some("condition_expression"));
        assert_eq!(field("t", "e"), None);
    }

    #[test]
    fn serde_validates_the_document() {
        let p: IamPolicy = serde_json::from_str(r#"{"bindings":[]}"#).expect("valid");
        assert_eq!(serde_json::to_string(&p).expect("serialize"), r#"{"bindings":[]}"#);
        assert!(serde_json::from_str::<IamPolicy>("[]").is_err());
        let condition: Condition = serde_json::from_str(r#"{"title":"t","expression":"e"}"#).expect("valid");
        assert_eq!(
            condition,
            Condition { title: "t".into(), description: Some(String::new()), expression: "e".into() }
        );
    }
}
