//! A batch: several roles, each to trust its own list of Deployments, planned and applied
//! together (`astro-identity-cli aws plan|apply --batch FILE`). The file is checked whole
//! before anything is read or written; every problem names its entry.
//!
//! ```json
//! [{"role": "astro-sales", "identities": ["arn:aws:iam::…:role/astro-…"], "create": false}]
//! ```

use serde_json::{Map, Value};

use super::arn::{RoleName, WorkloadIdentityArn};
use crate::DomainError;
use crate::json::{self, EntriesSpec, kind_of};

const FIELD: &str = "batch";
const HINT: &str = "a batch is a JSON array like [{\"role\": \"NAME\", \"identities\": [\"arn:aws:iam::…:role/…\"], \"create\": false}]";

/// One role of a batch and the Deployments it is to trust.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BatchEntry {
    pub role: RoleName,
    pub identities: Vec<WorkloadIdentityArn>,
    /// Create the role (it must not exist yet).
    pub create: bool,
}

/// Parses and checks a batch file: a non-empty array of entries, each with a valid role
/// name and at least one valid identity, no role twice, no unknown key.
pub fn parse_batch(text: &str) -> Result<Vec<BatchEntry>, DomainError> {
    let spec = EntriesSpec {
        field: FIELD,
        hint: HINT,
        nothing: "no role to plan",
        repeated_hint: "Give each role once, with every identity it is to trust.",
    };
    json::parse_entries(text, &spec, parse_entry, |e| e.role.clone(), |e| format!("role {}", e.role.as_str()))
}

fn parse_entry(item: &Value) -> Result<BatchEntry, String> {
    let Some(object) = item.as_object() else {
        return Err(format!("must be an object, got {}", kind_of(item)));
    };
    if let Some(unknown) = object.keys().find(|k| !["role", "identities", "create"].contains(&k.as_str())) {
        return Err(format!("unknown key {unknown:?} (an entry has role, identities and create)"));
    }
    let role = match object.get("role") {
        Some(Value::String(name)) => RoleName::parse(name).map_err(|e| e.to_string())?,
        Some(other) => return Err(format!("role must be a string, got {}", kind_of(other))),
        None => return Err(String::from("has no role")),
    };
    let identities = identities(object, role.as_str())?;
    let create = match object.get("create") {
        None => false,
        Some(Value::Bool(create)) => *create,
        Some(other) => return Err(format!("create must be true or false, got {}", kind_of(other))),
    };
    Ok(BatchEntry { role, identities, create })
}

fn identities(object: &Map<String, Value>, role: &str) -> Result<Vec<WorkloadIdentityArn>, String> {
    let Some(Value::Array(items)) = object.get("identities") else {
        return Err(format!("role {role}: identities must be an array of workload identity ARNs"));
    };
    if items.is_empty() {
        return Err(format!("role {role}: identities is empty"));
    }
    let mut out: Vec<WorkloadIdentityArn> = Vec::with_capacity(items.len());
    for item in items {
        let Some(text) = item.as_str() else {
            return Err(format!("role {role}: an identity must be a string, got {}", kind_of(item)));
        };
        let arn = WorkloadIdentityArn::parse(text).map_err(|e| format!("role {role}: {text:?}: {e}"))?;
        if !out.contains(&arn) {
            out.push(arn);
        }
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    const A: &str = "arn:aws:iam::111122223333:role/astro-stellar-apogee-4567";
    const B: &str = "arn:aws:iam::111122223333:role/astro-lunar-crater-0815";

    fn problem(text: &str) -> String {
        let err = parse_batch(text).expect_err("refused");
        assert_eq!(err.field(), "batch");
        err.to_string()
    }

    #[test]
    fn a_batch_is_roles_with_their_identities_once_each() {
        let text = format!(
            r#"[{{"role": "astro-sales", "identities": ["{A}", "{B}", "{A}"]}},
                {{"role": "astro-finance", "identities": ["{B}"], "create": true}}]"#
        );
        let entries = parse_batch(&text).expect("valid");
        assert_eq!(entries.len(), 2);
        assert_eq!(entries[0].role.as_str(), "astro-sales");
        assert_eq!(entries[0].identities.len(), 2, "a repeated identity is kept once");
        assert!(!entries[0].create && entries[1].create);
    }

    #[test]
    fn bad_batches_are_refused_naming_the_entry() {
        assert!(problem("[{").starts_with("batch: malformed JSON at line 1, column 2"), "{}", problem("[{"));
        assert_eq!(problem("{}"), "batch: must be a JSON array, got an object");
        assert_eq!(problem("[]"), "batch: is empty: there is no role to plan");
        assert_eq!(problem("[1]"), "batch: entry 1: must be an object, got a number");
        let twice = format!(r#"[{{"role":"r","identities":["{A}"]}},{{"role":"r","identities":["{B}"]}}]"#);
        assert_eq!(problem(&twice), "batch: entry 2: role r is also entry 1");
        let bad_arn = format!(
            r#"[{{"role":"r","identities":["{A}"]}},{{"role":"s","identities":["arn:aws:iam::1:role/x"]}}]"#
        );
        assert!(
            problem(&bad_arn).starts_with("batch: entry 2: role s: \"arn:aws:iam::1:role/x\": identity:"),
            "{}",
            problem(&bad_arn)
        );
        assert_eq!(
            problem(r#"[{"role":"r","identities":[]}]"#),
            "batch: entry 1: role r: identities is empty"
        );
        assert_eq!(problem(&format!(r#"[{{"identities":["{A}"]}}]"#)), "batch: entry 1: has no role");
        assert!(
            problem(&format!(r#"[{{"role":"a b","identities":["{A}"]}}]"#))
                .starts_with("batch: entry 1: role_name:")
        );
        assert_eq!(
            problem(&format!(r#"[{{"role":"r","identities":["{A}"],"create":"yes"}}]"#)),
            "batch: entry 1: create must be true or false, got a string"
        );
        assert_eq!(
            problem(&format!(r#"[{{"role":"r","identities":["{A}"],"roles":[]}}]"#)),
            "batch: entry 1: unknown key \"roles\" (an entry has role, identities and create)"
        );
    }
}
