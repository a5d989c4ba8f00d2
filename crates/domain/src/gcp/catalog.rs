//! The offline catalog of Google Cloud's predefined IAM roles, for the role picker and for
//! lints that need to know whether a role exists.
//!
//! The data (`data/gcp-predefined-roles.json`, MIT-licensed, see `data/ATTRIBUTION.md`) is
//! compiled in and parsed once on first use, so role search works without credentials or
//! a network. It is a snapshot: roles Google adds later are missing, which is why an
//! unknown role is a warning, never an error.

use std::sync::OnceLock;

use serde::{Deserialize, Serialize};

/// Granted to Astro's identity on a customer's service account, this lets Astro
/// impersonate that account (the connection's `impersonation_chain`) instead of the
/// customer granting roles to Astro's identity directly.
pub const TOKEN_CREATOR_ROLE: &str = "roles/iam.serviceAccountTokenCreator";

/// Google's basic roles: project-wide, and advised against.
pub const BASIC_ROLES: [&str; 3] = ["roles/owner", "roles/editor", "roles/viewer"];

/// Where the catalog comes from, for an "about" screen.
pub const CATALOG_SOURCE: &str =
    "iann0036/iam-dataset gcp/predefined_roles.json, MIT License, Copyright (c) 2021 Ian Mckay";

const DATA: &str = include_str!("../../data/gcp-predefined-roles.json");

/// What an empty search shows: the roles Airflow DAGs most often need, data access first,
/// then the impersonation route.
const DEFAULT_ROLES: [&str; 16] = [
    "roles/bigquery.jobUser",
    "roles/bigquery.dataViewer",
    "roles/bigquery.dataEditor",
    "roles/storage.objectViewer",
    "roles/storage.objectAdmin",
    "roles/storage.objectCreator",
    "roles/secretmanager.secretAccessor",
    "roles/bigquery.readSessionUser",
    "roles/pubsub.publisher",
    "roles/pubsub.subscriber",
    "roles/cloudsql.client",
    "roles/dataproc.editor",
    "roles/aiplatform.user",
    "roles/run.invoker",
    "roles/logging.logWriter",
    TOKEN_CREATOR_ROLE,
];

/// Google's launch stage of a role.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[cfg_attr(feature = "specta", derive(specta::Type))]
// Google's spelling ("GA", "BETA"), not camelCase: the UI shows it verbatim as a badge.
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
pub enum RoleStage {
    Ga,
    Beta,
    Alpha,
    Eap,
    Deprecated,
    Disabled,
}

impl RoleStage {
    /// Search order among equally good matches: what people should use first.
    fn rank(self) -> u8 {
        match self {
            Self::Ga => 0,
            Self::Beta => 1,
            Self::Eap => 2,
            Self::Alpha => 3,
            Self::Deprecated => 4,
            Self::Disabled => 5,
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "specta", derive(specta::Type))]
#[serde(rename_all = "camelCase")]
pub struct RoleInfo {
    /// `roles/bigquery.jobUser`.
    pub name: String,
    /// `BigQuery Job User`.
    pub title: String,
    /// Empty for the few roles Google publishes without one.
    #[serde(default)]
    pub description: String,
    pub stage: RoleStage,
}

/// Lower-cased text and tokens of one role, computed once for search.
struct Indexed {
    name: String,
    /// The name without `roles/`.
    short: String,
    title: String,
    description: String,
    /// Dot-separated segments of `short` and their camelCase words: `bigquery`,
    /// `jobuser`, `job`, `user`.
    name_tokens: Vec<String>,
    /// Only the camelCase words, to count how much of a name a query leaves unexplained.
    name_words: Vec<String>,
    title_tokens: Vec<String>,
}

struct Catalog {
    /// Sorted by name, for binary search.
    roles: Vec<RoleInfo>,
    index: Vec<Indexed>,
}

fn catalog() -> &'static Catalog {
    static CATALOG: OnceLock<Catalog> = OnceLock::new();
    CATALOG.get_or_init(|| {
        // The data is compiled in and a test parses it, so an empty catalog here means the
        // file was edited badly; every lookup then reports "unknown" instead of crashing.
        let mut roles: Vec<RoleInfo> = serde_json::from_str(DATA).unwrap_or_default();
        roles.sort_by(|a, b| a.name.cmp(&b.name));
        let index = roles.iter().map(index_role).collect();
        Catalog { roles, index }
    })
}

fn index_role(role: &RoleInfo) -> Indexed {
    let name = role.name.to_lowercase();
    let short = name.strip_prefix("roles/").unwrap_or(&name).to_owned();
    let mut name_tokens = Vec::new();
    let mut name_words = Vec::new();
    let short_original = role.name.strip_prefix("roles/").unwrap_or(&role.name);
    for segment in short_original.split(['.', '/']) {
        name_tokens.push(segment.to_lowercase());
        for word in camel_words(segment) {
            name_words.push(word.clone());
            name_tokens.push(word);
        }
    }
    let title = role.title.to_lowercase();
    let title_tokens =
        title.split(|c: char| !c.is_alphanumeric()).filter(|t| !t.is_empty()).map(str::to_owned).collect();
    Indexed {
        name,
        short,
        title,
        description: role.description.to_lowercase(),
        name_tokens,
        name_words,
        title_tokens,
    }
}

/// `environmentAndStorageObjectViewer` → environment, and, storage, object, viewer.
fn camel_words(segment: &str) -> Vec<String> {
    let mut words: Vec<String> = Vec::new();
    let mut current = String::new();
    let mut previous_lower = false;
    for c in segment.chars() {
        if c.is_uppercase() && previous_lower && !current.is_empty() {
            words.push(std::mem::take(&mut current));
        }
        previous_lower = c.is_lowercase() || c.is_ascii_digit();
        current.extend(c.to_lowercase());
    }
    if !current.is_empty() {
        words.push(current);
    }
    words
}

/// Every predefined role in the catalog, sorted by name.
pub fn all() -> &'static [RoleInfo] {
    &catalog().roles
}

/// The role named exactly `name` (e.g. `roles/bigquery.jobUser`).
pub fn role(name: &str) -> Option<&'static RoleInfo> {
    let roles = &catalog().roles;
    roles.binary_search_by(|r| r.name.as_str().cmp(name)).ok().map(|i| &roles[i])
}

/// The catalog role `name` probably meant: the same name in other letter case, or with
/// `roles/` missing. `None` when `name` is exact or nothing is close.
pub fn suggest(name: &str) -> Option<&'static RoleInfo> {
    let wanted = name.trim().to_lowercase();
    let wanted = if wanted.starts_with("roles/") { wanted } else { format!("roles/{wanted}") };
    catalog().roles.iter().find(|r| r.name != name && r.name.to_lowercase() == wanted)
}

/// Whether `name` is one of Google's basic roles (owner, editor, viewer).
pub fn is_basic_role(name: &str) -> bool {
    BASIC_ROLES.contains(&name)
}

/// Roles matching `query`, best first, at most `limit`.
///
/// Case-insensitive; every whitespace-separated word must occur in the name, title or
/// description. Ranked: the exact name, then names whose segments start with every word
/// (`bigquery job` → `roles/bigquery.jobUser`), then titles (and names) whose words start
/// with every word, then anything else that matched (usually in the description). Equal
/// ranks put GA before BETA/EAP/ALPHA/DEPRECATED, then the name the query explains best
/// (fewest words left over), then the shorter name. An empty query gives the commonly
/// used data roles.
pub fn search(query: &str, limit: u32) -> Vec<&'static RoleInfo> {
    let limit = usize::try_from(limit).unwrap_or(usize::MAX);
    let query = query.trim().to_lowercase();
    let words: Vec<&str> = query.split_whitespace().collect();
    if words.is_empty() {
        return DEFAULT_ROLES.iter().filter_map(|name| role(name)).take(limit).collect();
    }
    let catalog = catalog();
    let mut hits: Vec<(Rank, &'static RoleInfo)> = catalog
        .roles
        .iter()
        .zip(&catalog.index)
        .filter_map(|(role, indexed)| rank(indexed, role.stage, &query, &words).map(|r| (r, role)))
        .collect();
    hits.sort_by(|(a, ra), (b, rb)| a.cmp(b).then_with(|| ra.name.cmp(&rb.name)));
    hits.into_iter().take(limit).map(|(_, role)| role).collect()
}

#[derive(Debug, PartialEq, Eq, PartialOrd, Ord)]
struct Rank {
    /// 0 exact name, 1 name match, 2 title (or name and title) match, 3 anywhere.
    tier: u8,
    stage: u8,
    /// camelCase words of the name no query word accounts for.
    leftover: usize,
    name_length: usize,
}

fn rank(role: &Indexed, stage: RoleStage, query: &str, words: &[&str]) -> Option<Rank> {
    let anywhere = |w: &str| role.name.contains(w) || role.title.contains(w) || role.description.contains(w);
    if !words.iter().all(|w| anywhere(w)) {
        return None;
    }
    let in_name = |w: &str| {
        role.short.starts_with(w)
            || role.name.starts_with(w)
            || role.name_tokens.iter().any(|t| t.starts_with(w))
    };
    let in_title = |w: &str| role.title_tokens.iter().any(|t| t.starts_with(w));
    let tier = if query == role.name || query == role.short {
        0
    } else if words.iter().all(|w| in_name(w)) {
        1
    } else if words.iter().all(|w| in_name(w) || in_title(w)) {
        2
    } else {
        3
    };
    let leftover = role
        .name_words
        .iter()
        .filter(|nw| !words.iter().any(|w| nw.starts_with(w) || w.starts_with(nw.as_str())))
        .count();
    Some(Rank { tier, stage: stage.rank(), leftover, name_length: role.name.len() })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn names(roles: &[&RoleInfo]) -> Vec<String> {
        roles.iter().map(|r| r.name.clone()).collect()
    }

    #[test]
    fn the_whole_catalog_loads_sorted() {
        assert_eq!(all().len(), 2390);
        assert!(all().windows(2).all(|pair| pair[0].name < pair[1].name));
        assert!(all().iter().all(|r| r.name.starts_with("roles/") && !r.title.is_empty()));
    }

    #[test]
    fn looks_up_roles_by_exact_name() {
        let job_user = role("roles/bigquery.jobUser").expect("in catalog");
        assert_eq!(job_user.title, "BigQuery Job User");
        assert_eq!(job_user.description, "Access to run jobs");
        assert_eq!(job_user.stage, RoleStage::Ga);
        assert!(role("roles/bigquery.jobuser").is_none());
        assert!(role("bigquery.jobUser").is_none());
        assert_eq!(role(TOKEN_CREATOR_ROLE).map(|r| r.title.as_str()), Some("Service Account Token Creator"));
        // Roles published without a description read as empty.
        assert_eq!(role("roles/billing.carbonViewer").map(|r| r.description.as_str()), Some(""));
    }

    #[test]
    fn basic_roles() {
        assert!(role("roles/owner").is_some());
        for basic in BASIC_ROLES {
            assert!(is_basic_role(basic), "{basic}");
            assert!(role(basic).is_some(), "{basic}");
        }
        assert!(!is_basic_role("roles/bigquery.jobUser"));
        assert!(!is_basic_role("roles/Owner"));
        assert!(!is_basic_role("owner"));
    }

    #[test]
    fn suggests_the_intended_spelling() {
        assert_eq!(
            suggest("roles/bigquery.jobuser").map(|r| r.name.as_str()),
            Some("roles/bigquery.jobUser")
        );
        assert_eq!(suggest("bigquery.jobUser").map(|r| r.name.as_str()), Some("roles/bigquery.jobUser"));
        assert_eq!(suggest("roles/bigquery.jobUser"), None);
        assert_eq!(suggest("roles/bigquery.nothing"), None);
    }

    #[test]
    fn search_ranks_name_matches_first() {
        let found = search("bigquery job", 5);
        assert_eq!(found[0].name, "roles/bigquery.jobUser");
        let found = search("storage object viewer", 5);
        assert_eq!(
            names(&found)[..2],
            ["roles/storage.objectViewer", "roles/composer.environmentAndStorageObjectViewer"]
        );
        assert_eq!(search("Secret Accessor", 1)[0].name, "roles/secretmanager.secretAccessor");
        assert_eq!(search("token creator", 1)[0].name, TOKEN_CREATOR_ROLE);
    }

    #[test]
    fn search_puts_the_exact_name_first() {
        for query in ["roles/storage.objectViewer", "storage.objectviewer", "ROLES/STORAGE.OBJECTVIEWER"] {
            assert_eq!(search(query, 3)[0].name, "roles/storage.objectViewer", "{query}");
        }
        // A name prefix ranks as a name match.
        let found = search("roles/bigquery.data", 10);
        assert!(
            found.iter().take(3).all(|r| r.name.starts_with("roles/bigquery.data")),
            "{:?}",
            names(&found)
        );
    }

    #[test]
    fn search_requires_every_word() {
        assert!(search("bigquery zzzz", 10).is_empty());
        let found = search("run jobs", 50);
        assert!(found.iter().any(|r| r.name == "roles/bigquery.jobUser"), "{:?}", names(&found));
        assert!(found.iter().all(|r| {
            let text = format!("{} {} {}", r.name, r.title, r.description).to_lowercase();
            text.contains("run") && text.contains("jobs")
        }));
    }

    #[test]
    fn search_ranks_title_above_description_and_ga_above_beta() {
        // "job user" is in jobUser's name; "Access to run jobs" only in its description.
        assert_eq!(search("job user", 5)[0].name, "roles/bigquery.jobUser");
        let by_description = search("access to run jobs", 50);
        assert!(by_description.iter().any(|r| r.name == "roles/bigquery.jobUser"));
        // Both are `<service>.viewer` name matches with one word left over: the GA role
        // comes first although its name is much longer.
        let viewers = search("viewer", 2390);
        let position = |name: &str| viewers.iter().position(|r| r.name == name).expect("found");
        assert_eq!(role("roles/ids.viewer").map(|r| r.stage), Some(RoleStage::Beta));
        assert!(position("roles/readerrevenuesubscriptionlinking.viewer") < position("roles/ids.viewer"));
        // The exact short name beats everything.
        assert_eq!(viewers[0].name, "roles/viewer");
        // Then the name the query explains best: "team" is left over in the second,
        // although it is the shorter name.
        assert_eq!(
            names(&search("folder creator", 2)),
            ["roles/resourcemanager.folderCreator", "roles/dataform.teamFolderCreator"]
        );
        // Ties on everything else go to the shorter name.
        assert_eq!(
            names(&search("legacy object", 2)),
            ["roles/storage.legacyObjectOwner", "roles/storage.legacyObjectReader"]
        );
    }

    #[test]
    fn tiers_are_name_then_title_then_description() {
        let made = |name: &str, title: &str, description: &str| RoleInfo {
            name: name.to_owned(),
            title: title.to_owned(),
            description: description.to_owned(),
            stage: RoleStage::Ga,
        };
        let tier = |role: &RoleInfo, query: &str| {
            let words: Vec<&str> = query.split_whitespace().collect();
            rank(&index_role(role), role.stage, query, &words).map(|r| r.tier)
        };
        let by_name = made("roles/pipes.flowRunner", "Plumber", "Fixes leaks");
        let by_title = made("roles/water.admin", "Flow Runner", "Fixes leaks");
        let by_description = made("roles/water.admin", "Plumber", "Keeps the flow running");
        assert_eq!(tier(&by_name, "roles/pipes.flowrunner"), Some(0));
        assert_eq!(tier(&by_name, "pipes.flowrunner"), Some(0));
        assert_eq!(tier(&by_name, "flow run"), Some(1));
        assert_eq!(tier(&by_title, "flow run"), Some(2));
        assert_eq!(tier(&by_title, "water runner"), Some(2));
        assert_eq!(tier(&by_description, "flow run"), Some(3));
        assert_eq!(tier(&by_description, "flow pump"), None);
    }

    #[test]
    fn empty_search_lists_data_roles_first() {
        let found = search("   ", 6);
        assert_eq!(
            names(&found),
            [
                "roles/bigquery.jobUser",
                "roles/bigquery.dataViewer",
                "roles/bigquery.dataEditor",
                "roles/storage.objectViewer",
                "roles/storage.objectAdmin",
                "roles/storage.objectCreator",
            ]
        );
        assert_eq!(search("", 100).len(), DEFAULT_ROLES.len());
        assert!(search("", 0).is_empty());
        assert!(search("bigquery", 0).is_empty());
    }

    #[test]
    fn camel_case_splits_into_words() {
        assert_eq!(
            camel_words("environmentAndStorageObjectViewer"),
            ["environment", "and", "storage", "object", "viewer"]
        );
        assert_eq!(camel_words("ServiceAgent"), ["service", "agent"]);
        assert_eq!(camel_words("vpcScTroubleshooterViewer"), ["vpc", "sc", "troubleshooter", "viewer"]);
        assert_eq!(camel_words("bigquery"), ["bigquery"]);
    }

    #[test]
    fn serializes_stage_as_google_spells_it() {
        let json =
            serde_json::to_value(role("roles/bigquery.jobUser").expect("in catalog")).expect("serialize");
        assert_eq!(
            json,
            serde_json::json!({"name":"roles/bigquery.jobUser","title":"BigQuery Job User","description":"Access to run jobs","stage":"GA"})
        );
    }
}
