//! "What does this grant allow?": the permissions of Google's predefined roles, offline.
//!
//! The data (`data/gcp-role-permissions.txt`, MIT-licensed, see `data/ATTRIBUTION.md`) is
//! compiled in and read once on first use. It is a snapshot of `gcloud iam roles describe`:
//! a custom role, or a role Google added since, is unknown here — said so, never guessed.

use std::collections::HashMap;
use std::sync::OnceLock;

use serde::{Deserialize, Serialize};

const DATA: &str = include_str!("../../data/gcp-role-permissions.txt");

/// How many matching permissions an answer lists at most (owner has 13,000).
pub const MAX_LISTED: usize = 200;

struct Table {
    permissions: Vec<&'static str>,
    roles: HashMap<&'static str, Vec<u32>>,
}

fn table() -> &'static Table {
    static TABLE: OnceLock<Table> = OnceLock::new();
    TABLE.get_or_init(|| {
        let (permissions, roles) = DATA.split_once("\n\n").unwrap_or((DATA, ""));
        let permissions: Vec<&str> = permissions.lines().collect();
        let roles = roles
            .lines()
            .filter_map(|line| {
                let mut fields = line.split('\t');
                let name = fields.next()?;
                let indices = fields.filter_map(|hex| u32::from_str_radix(hex, 16).ok()).collect();
                Some((name, indices))
            })
            .collect();
        Table { permissions, roles }
    })
}

/// The permissions of `role`, sorted; `None` when the snapshot does not know the role.
pub fn permissions_of(role: &str) -> Option<Vec<&'static str>> {
    let table = table();
    let indices = table.roles.get(role.trim())?;
    Some(indices.iter().filter_map(|&i| table.permissions.get(i as usize).copied()).collect())
}

/// One granted role, searched.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "specta", derive(specta::Type))]
#[serde(rename_all = "camelCase")]
pub struct RoleAllows {
    pub role: String,
    /// False for a custom role or one newer than the snapshot: nothing can be said offline.
    pub known: bool,
    /// How many permissions the role has.
    pub total: u32,
    /// Those matching the search (all words, in any order, case-insensitive), at most
    /// [`MAX_LISTED`].
    pub matches: Vec<String>,
    /// How many matched in all (more than listed when above [`MAX_LISTED`]).
    pub matched: u32,
}

/// What each of `roles` allows, filtered by `query` ("bigquery tables getData"; empty: all).
/// A permission matches when it contains every word of the query.
pub fn what_roles_allow(roles: &[String], query: &str) -> Vec<RoleAllows> {
    let words: Vec<String> = query.split_whitespace().map(str::to_lowercase).collect();
    roles
        .iter()
        .map(|role| {
            let Some(permissions) = permissions_of(role) else {
                return RoleAllows {
                    role: role.clone(),
                    known: false,
                    total: 0,
                    matches: Vec::new(),
                    matched: 0,
                };
            };
            let matching: Vec<&str> = permissions
                .iter()
                .copied()
                .filter(|p| {
                    let lower = p.to_lowercase();
                    words.iter().all(|w| lower.contains(w.as_str()))
                })
                .collect();
            RoleAllows {
                role: role.clone(),
                known: true,
                total: u32::try_from(permissions.len()).unwrap_or(u32::MAX),
                matched: u32::try_from(matching.len()).unwrap_or(u32::MAX),
                matches: matching.into_iter().take(MAX_LISTED).map(str::to_owned).collect(),
            }
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_role_lists_its_permissions() {
        let job_user = permissions_of("roles/bigquery.jobUser").expect("known role");
        assert!(job_user.contains(&"bigquery.jobs.create"), "{job_user:?}");
        assert!(!job_user.contains(&"bigquery.tables.getData"), "a job user cannot read tables");
        let mut sorted = job_user.clone();
        sorted.sort_unstable();
        assert_eq!(sorted, job_user);
        assert!(permissions_of("roles/owner").expect("owner").len() > 10_000);
        assert_eq!(permissions_of("projects/p/roles/custom"), None);
    }

    #[test]
    fn a_search_answers_can_it_read_bigquery_tables() {
        let roles = [
            String::from("roles/bigquery.dataViewer"),
            String::from("roles/bigquery.jobUser"),
            String::from("roles/made.up"),
        ];
        let found = what_roles_allow(&roles, "BigQuery tables getdata");
        assert_eq!(found[0].matches, ["bigquery.tables.getData"]);
        assert!(found[0].known && found[0].total > 10);
        assert!(found[1].known && found[1].matches.is_empty());
        assert!(!found[2].known);
        let owner = what_roles_allow(&[String::from("roles/owner")], "");
        assert_eq!(owner[0].matches.len(), MAX_LISTED);
        assert_eq!(owner[0].matched, owner[0].total);
    }
}
