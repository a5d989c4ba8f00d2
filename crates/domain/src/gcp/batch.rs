//! A batch of grants on Google Cloud: several projects (or service accounts to impersonate),
//! each with its role and members, planned and applied together (`astro-identity-cli gcp
//! plan|apply --batch FILE`). Checked whole before anything is read; problems name the entry.
//!
//! ```json
//! [{"project": "astro-data", "role": "roles/bigquery.jobUser", "members": ["serviceAccount:…"],
//!   "condition": {"title": "…", "expression": "…"}},
//!  {"impersonate": "etl-runner@astro-data.iam.gserviceaccount.com", "members": ["serviceAccount:…"]}]
//! ```

use serde_json::{Map, Value};

use super::iam_policy::Condition;
use super::identity::{GrantRoute, parse_member};
use crate::DomainError;
use crate::json::{self, EntriesSpec, kind_of};

const FIELD: &str = "batch";
const HINT: &str = "a batch is a JSON array like [{\"project\": \"P\", \"role\": \"roles/…\", \"members\": [\"serviceAccount:…\"]}]";
const KEYS: [&str; 5] = ["project", "role", "impersonate", "members", "condition"];

/// One grant of a batch: a role on a project (or token creation on a service account) for
/// its members, under an optional condition.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct GrantEntry {
    pub route: GrantRoute,
    pub members: Vec<String>,
    pub condition: Option<Condition>,
}

impl GrantEntry {
    /// Where the grant lands and which role, for finding the same grant twice.
    fn key(&self) -> (String, String, Option<String>) {
        let place = match &self.route {
            GrantRoute::Project { project, .. } => format!("project {project}"),
            GrantRoute::Impersonation { service_account } => {
                format!("service account {}", service_account.as_str())
            }
        };
        (place, self.route.role().to_owned(), self.condition.as_ref().map(|c| c.expression.clone()))
    }
}

/// Parses and checks a batch of grants: a non-empty array; each entry a project with a role,
/// or a service account to impersonate, with at least one valid member; no grant twice.
pub fn parse_grant_batch(text: &str) -> Result<Vec<GrantEntry>, DomainError> {
    let spec = EntriesSpec {
        field: FIELD,
        hint: HINT,
        nothing: "no grant to plan",
        repeated_hint: "Give each grant once, with all its members.",
    };
    let name = |e: &GrantEntry| {
        let (place, role, _) = e.key();
        format!("{role} on {place}")
    };
    json::parse_entries(text, &spec, parse_entry, GrantEntry::key, name)
}

fn text<'a>(object: &'a Map<String, Value>, key: &str) -> Result<Option<&'a str>, String> {
    match object.get(key) {
        None => Ok(None),
        Some(Value::String(text)) => Ok(Some(text)),
        Some(other) => Err(format!("{key} must be a string, got {}", kind_of(other))),
    }
}

fn parse_entry(item: &Value) -> Result<GrantEntry, String> {
    let Some(object) = item.as_object() else {
        return Err(format!("must be an object, got {}", kind_of(item)));
    };
    if let Some(unknown) = object.keys().find(|k| !KEYS.contains(&k.as_str())) {
        return Err(format!("unknown key {unknown:?} (an entry has {})", KEYS.join(", ")));
    }
    let impersonate = text(object, "impersonate")?;
    if impersonate.is_some() && (object.contains_key("role") || object.contains_key("project")) {
        return Err(String::from("impersonate grants token creation: give it without project and role"));
    }
    let route = GrantRoute::choose(text(object, "project")?, text(object, "role")?, impersonate)
        .map_err(|e| e.to_string())?;
    let Some(Value::Array(items)) = object.get("members") else {
        return Err(String::from(
            "members must be an array, e.g. [\"serviceAccount:astro-…@….iam.gserviceaccount.com\"]",
        ));
    };
    if items.is_empty() {
        return Err(String::from("members is empty"));
    }
    let mut members: Vec<String> = Vec::with_capacity(items.len());
    for item in items {
        let Some(raw) = item.as_str() else {
            return Err(format!("a member must be a string, got {}", kind_of(item)));
        };
        let member = parse_member(raw).map_err(|e| format!("{raw:?}: {e}"))?;
        if !members.contains(&member) {
            members.push(member);
        }
    }
    let condition = match object.get("condition") {
        None | Some(Value::Null) => None,
        Some(Value::Object(c)) => Some(
            Condition::new(
                text(c, "title")?.unwrap_or_default(),
                text(c, "description")?,
                text(c, "expression")?.unwrap_or_default(),
            )
            .map_err(|e| format!("condition: {e}"))?,
        ),
        Some(other) => return Err(format!("condition must be an object, got {}", kind_of(other))),
    };
    Ok(GrantEntry { route, members, condition })
}

#[cfg(test)]
mod tests {
    use super::*;

    const M: &str = "serviceAccount:astro-fiery-nebula-1234@astronomer-prod.iam.gserviceaccount.com";

    fn problem(text: &str) -> String {
        let err = parse_grant_batch(text).expect_err("refused");
        assert_eq!(err.field(), "batch");
        err.to_string()
    }

    #[test]
    fn a_batch_holds_grants_on_projects_and_service_accounts() {
        let text = format!(
            r#"[{{"project": "astro-data", "role": "roles/bigquery.jobUser", "members": ["{M}", "{M}"],
                 "condition": {{"title": "until 2027", "expression": "request.time < timestamp('2027-01-01T00:00:00Z')"}}}},
                {{"project": "astro-ml", "role": "roles/bigquery.jobUser", "members": ["{M}"]}},
                {{"impersonate": "etl-runner@astro-data.iam.gserviceaccount.com", "members": ["{M}"]}}]"#
        );
        let entries = parse_grant_batch(&text).expect("valid");
        assert_eq!(entries.len(), 3);
        assert_eq!(entries[0].members, [M], "a repeated member is kept once");
        assert!(entries[0].condition.is_some());
        assert_eq!(entries[2].route.role(), "roles/iam.serviceAccountTokenCreator");
    }

    #[test]
    fn bad_grant_batches_are_refused_naming_the_entry() {
        assert_eq!(problem("[]"), "batch: is empty: there is no grant to plan");
        assert!(problem("[").starts_with("batch: malformed JSON"));
        let twice = format!(
            r#"[{{"project":"astro-data","role":"roles/viewer","members":["{M}"]}},{{"project":"astro-data","role":"roles/viewer","members":["{M}"]}}]"#
        );
        assert_eq!(problem(&twice), "batch: entry 2: roles/viewer on project astro-data is also entry 1");
        assert!(
            problem(
                r#"[{"project":"astro-data","role":"roles/viewer","members":["arn:aws:iam::1:role/x"]}]"#
            )
            .starts_with("batch: entry 1: \"arn:aws:iam::1:role/x\": member:")
        );
        assert_eq!(
            problem(&format!(r#"[{{"project":"astro-data","members":["{M}"]}}]"#)),
            "batch: entry 1: role: is required for a grant on a project"
        );
        assert_eq!(
            problem(r#"[{"project":"astro-data","role":"roles/viewer","members":[]}]"#),
            "batch: entry 1: members is empty"
        );
        assert!(problem(&format!(
            r#"[{{"impersonate":"etl-runner@astro-data.iam.gserviceaccount.com","role":"roles/viewer","members":["{M}"]}}]"#
        ))
        .contains("without project and role"));
        assert!(problem(&format!(
            r#"[{{"project":"astro-data","role":"roles/viewer","members":["{M}"],"condition":{{"title":""}}}}]"#
        ))
        .starts_with("batch: entry 1: condition:"));
    }
}
