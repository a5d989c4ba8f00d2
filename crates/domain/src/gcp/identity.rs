//! Google Cloud identities as people paste them: Astro's service account e-mail, the
//! project id of the policy to change, and IAM member strings.
//!
//! Every refusal names the exact problem in plain words, because the message is shown next
//! to the text field it came from. Nothing inside the text is corrected: a silently
//! "fixed" e-mail would grant access to somebody else.

use std::fmt;

use serde::{Deserialize, Serialize};

use crate::DomainError;

const SERVICE_ACCOUNT: &str = "service_account";
const PROJECT_ID: &str = "project_id";
const MEMBER: &str = "member";

/// User-managed service accounts live under `<project>.iam.gserviceaccount.com`.
const IAM_SUFFIX: &str = ".iam.gserviceaccount.com";
/// Google-managed default accounts use other subdomains (`developer.`, `cloudservices.`,
/// `appspot.`, `system.`...).
const GOOGLE_SUFFIX: &str = ".gserviceaccount.com";
const EXAMPLE_SERVICE_ACCOUNT: &str = "astro-fiery-nebula-1234@astronomer-prod.iam.gserviceaccount.com";
const SERVICE_ACCOUNT_NAME_MIN: usize = 6;
const SERVICE_ACCOUNT_NAME_MAX: usize = 30;
const PROJECT_ID_MIN: usize = 6;
const PROJECT_ID_MAX: usize = 30;
/// Quotes people paste around identifiers, typographic ones included (chat, docs).
const QUOTES: [char; 5] = ['"', '\'', '`', '\u{201c}', '\u{201d}'];

/// The member prefixes IAM accepts before an identifier, as Google spells them.
const MEMBER_PREFIXES: [&str; 7] =
    ["user", "serviceAccount", "group", "domain", "projectOwner", "projectEditor", "projectViewer"];
const MEMBER_HINT: &str = "members look like serviceAccount:NAME@PROJECT.iam.gserviceaccount.com, \
     user:jane@example.com, group:team@example.com or domain:example.com";

/// A Google service account e-mail: what Astro calls a Deployment's workload identity on
/// GCP (`astro-<namespace>@<astronomer-project>.iam.gserviceaccount.com`), and the
/// customer's own service account on the impersonation route.
///
/// Holds only the validated text; the parts are read back from it.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[cfg_attr(feature = "specta", derive(specta::Type))]
#[cfg_attr(feature = "specta", specta(transparent))]
#[serde(try_from = "String", into = "String")]
pub struct ServiceAccountEmail(String);

impl ServiceAccountEmail {
    /// Parses one e-mail. Surrounding whitespace and quotes are dropped, and so is a leading
    /// `serviceAccount:`: people copy members out of policies and `gcloud` output, and that
    /// prefix cannot mean anything else. Any other member prefix is refused.
    ///
    /// User-managed accounts (`…@<project>.iam.gserviceaccount.com`) must follow Google's
    /// naming rules; Google-managed ones on other `.gserviceaccount.com` subdomains
    /// (`123-compute@developer.gserviceaccount.com`) are accepted with looser checks, since
    /// Google, not the customer, chose those names.
    pub fn parse(input: &str) -> Result<Self, DomainError> {
        let text = trim_pasted(input);
        let text = text.strip_prefix("serviceAccount:").unwrap_or(text);
        if text.is_empty() {
            return Err(invalid_sa("is empty", format!("paste an e-mail such as {EXAMPLE_SERVICE_ACCOUNT}")));
        }
        if text.starts_with("deleted:") {
            return Err(invalid_sa(
                "this member is a deleted account (deleted:)",
                "a deleted service account cannot be granted anything; paste an existing one",
            ));
        }
        // Only prefixes IAM knows: `https://…` or `mailto:` are better served by the
        // e-mail checks below.
        if let Some((prefix, _)) = member_prefix(text).filter(|(p, _)| is_member_prefix(p)) {
            return Err(invalid_sa(
                format!("starts with the member prefix {prefix}:; a service account e-mail has none"),
                format!("paste just the e-mail, e.g. {EXAMPLE_SERVICE_ACCOUNT}"),
            ));
        }
        if text.contains(char::is_whitespace) {
            return Err(invalid_sa(
                "contains whitespace",
                "paste one e-mail; copy it from the Deployment's details page in Astro",
            ));
        }
        if text.contains(".svc.id.goog[") {
            return Err(invalid_sa(
                "this is a GKE Workload Identity member (PROJECT.svc.id.goog[NAMESPACE/KSA]), not a service account e-mail",
                format!("Astro's identity on GCP is an e-mail such as {EXAMPLE_SERVICE_ACCOUNT}"),
            ));
        }
        let Some((name, domain)) = text.split_once('@') else {
            return Err(invalid_sa(
                "must be an e-mail address NAME@PROJECT.iam.gserviceaccount.com; it has no @",
                format!("for example {EXAMPLE_SERVICE_ACCOUNT}"),
            ));
        };
        if domain.contains('@') {
            return Err(invalid_sa("has more than one @", "put each e-mail on its own line"));
        }
        if text.chars().any(|c| c.is_ascii_uppercase()) {
            return Err(invalid_sa(
                "must be lower-case",
                format!("service account e-mails are lower-case: {}", text.to_ascii_lowercase()),
            ));
        }
        if !domain.ends_with(GOOGLE_SUFFIX) {
            return Err(invalid_sa(
                format!("must end with .iam.gserviceaccount.com, got @{domain}"),
                format!(
                    "a person's or group's e-mail cannot be a workload identity; Astro's looks like {EXAMPLE_SERVICE_ACCOUNT}"
                ),
            ));
        }
        if name.is_empty() {
            return Err(invalid_sa(
                "the name before @ is empty",
                format!("for example {EXAMPLE_SERVICE_ACCOUNT}"),
            ));
        }
        if domain == "iam.gserviceaccount.com" {
            return Err(invalid_sa(
                "the project between @ and .iam.gserviceaccount.com is missing",
                "user-managed service accounts look like NAME@PROJECT.iam.gserviceaccount.com",
            ));
        }
        match domain.strip_suffix(IAM_SUFFIX) {
            Some(project) => {
                check_service_account_name(name)?;
                check_project_label(project)?;
            }
            None => {
                let subdomain = domain.strip_suffix(GOOGLE_SUFFIX).unwrap_or(domain);
                if let Some(c) = name.chars().find(|c| !is_dns_char(*c)) {
                    return Err(invalid_sa(
                        format!(
                            "the name before @ may contain only lower-case letters, digits, hyphens and dots, got {c:?}"
                        ),
                        "copy the e-mail again from the IAM page of the Cloud console",
                    ));
                }
                if !is_dns_name(subdomain) {
                    return Err(invalid_sa(
                        format!("{domain:?} is not a service account domain"),
                        "service account e-mails end with .iam.gserviceaccount.com",
                    ));
                }
            }
        }
        Ok(Self(text.to_owned()))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// The IAM member for this account: `serviceAccount:<email>`.
    pub fn member(&self) -> String {
        format!("serviceAccount:{}", self.0)
    }

    /// The part before `@`.
    pub fn name(&self) -> &str {
        self.0.split_once('@').map_or(self.0.as_str(), |(name, _)| name)
    }

    /// The part after `@`.
    pub fn domain(&self) -> &str {
        self.0.split_once('@').map_or("", |(_, domain)| domain)
    }

    /// The id of the customer project the account belongs to, when the e-mail says so:
    /// `<project>` in `…@<project>.iam.gserviceaccount.com` and the name of an App Engine
    /// default account (`<project>@appspot.gserviceaccount.com`). `None` for Google's
    /// service agents (their domain names a Google project, not the customer's), accounts
    /// whose e-mail carries a project *number* (`123-compute@developer…`), and
    /// domain-scoped projects, whose id an e-mail cannot spell.
    pub fn project(&self) -> Option<&str> {
        let candidate = if self.domain() == "appspot.gserviceaccount.com" {
            self.name()
        } else if self.is_google_managed() {
            return None;
        } else {
            self.domain().strip_suffix(IAM_SUFFIX)?
        };
        check_project_id(candidate).is_ok().then_some(candidate)
    }

    /// Whether Google, not a customer, created the account: the default accounts on
    /// Google-owned subdomains and the per-service agents (`service-<number>@…`).
    pub fn is_google_managed(&self) -> bool {
        let domain = self.domain();
        !domain.ends_with(IAM_SUFFIX)
            || domain.starts_with("gcp-sa-")
            || self.name().strip_prefix("service-").is_some_and(|n| n.bytes().all(|b| b.is_ascii_digit()))
    }
}

impl fmt::Display for ServiceAccountEmail {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl TryFrom<String> for ServiceAccountEmail {
    type Error = DomainError;
    fn try_from(value: String) -> Result<Self, Self::Error> {
        Self::parse(&value)
    }
}

impl From<ServiceAccountEmail> for String {
    fn from(value: ServiceAccountEmail) -> Self {
        value.0
    }
}

impl std::str::FromStr for ServiceAccountEmail {
    type Err = DomainError;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Self::parse(s)
    }
}

/// A Google Cloud project id such as `my-project-123456`: what the Resource Manager API
/// takes, as opposed to the project's number or its display name.
///
/// Also accepts the legacy domain-scoped form `example.com:my-project`: such projects still
/// exist and refusing them would lock their owners out.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[cfg_attr(feature = "specta", derive(specta::Type))]
#[cfg_attr(feature = "specta", specta(transparent))]
#[serde(try_from = "String", into = "String")]
pub struct ProjectId(String);

impl ProjectId {
    pub fn parse(input: &str) -> Result<Self, DomainError> {
        const WHERE: &str = "the project id is in the project picker of the Cloud console, next to the name";
        let text = trim_pasted(input);
        if text.is_empty() {
            return Err(invalid_project("is empty", "paste the project id, e.g. my-project-123456"));
        }
        if let Some(id) = text.strip_prefix("projects/") {
            return Err(invalid_project(
                format!("this is a resource name; the project id is just {id:?}"),
                "remove projects/ from the start",
            ));
        }
        if text.bytes().all(|b| b.is_ascii_digit()) {
            return Err(invalid_project(
                format!("{text} looks like a project number, not a project id"),
                format!("{WHERE}; it has letters, e.g. my-project-123456"),
            ));
        }
        if text.contains(char::is_whitespace) || text.chars().any(|c| c.is_uppercase()) {
            return Err(invalid_project(
                format!("{text:?} looks like a project name, not a project id"),
                format!("{WHERE}; ids are lower-case letters, digits and hyphens"),
            ));
        }
        let id = match text.split_once(':') {
            Some((domain, id)) => {
                if !domain.contains('.') || !is_dns_name(domain) {
                    return Err(invalid_project(
                        format!("{domain:?} before : is not a domain"),
                        "only domain-scoped projects have a colon, as in example.com:my-project",
                    ));
                }
                id
            }
            None => text,
        };
        check_project_id(id).map_err(|problem| invalid_project(problem, WHERE))?;
        Ok(Self(text.to_owned()))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl fmt::Display for ProjectId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl TryFrom<String> for ProjectId {
    type Error = DomainError;
    fn try_from(value: String) -> Result<Self, Self::Error> {
        Self::parse(&value)
    }
}

impl From<ProjectId> for String {
    fn from(value: ProjectId) -> Self {
        value.0
    }
}

impl std::str::FromStr for ProjectId {
    type Err = DomainError;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Self::parse(s)
    }
}

/// Validates an IAM member string and returns it trimmed, otherwise unchanged.
///
/// Accepts every form an allow policy holds: `user:`, `serviceAccount:`, `group:`,
/// `domain:`, `principal://`, `principalSet://`, `allUsers`, `allAuthenticatedUsers`,
/// `deleted:<kind>:…` and Cloud Storage's `projectOwner:`/`projectEditor:`/`projectViewer:`.
/// Deliberately loose about what follows the prefix (existing policies hold short names,
/// service agents, GKE Workload Identity members): it catches what IAM would refuse
/// outright, not every odd but real identity.
pub fn parse_member(input: &str) -> Result<String, DomainError> {
    let text = trim_pasted(input);
    if text.is_empty() {
        return Err(DomainError::invalid(MEMBER, "is empty", MEMBER_HINT));
    }
    if text.contains(char::is_whitespace) {
        return Err(DomainError::invalid(MEMBER, "contains whitespace", "paste one member"));
    }
    if matches!(text, "allUsers" | "allAuthenticatedUsers") {
        return Ok(text.to_owned());
    }
    for special in ["allUsers", "allAuthenticatedUsers"] {
        if text.eq_ignore_ascii_case(special) {
            return Err(DomainError::invalid(
                MEMBER,
                format!("is spelled {special}"),
                "member names are case-sensitive",
            ));
        }
    }
    for scheme in ["principal://", "principalSet://"] {
        if let Some(rest) = text.strip_prefix(scheme) {
            if rest.is_empty() {
                return Err(DomainError::invalid(
                    MEMBER,
                    format!("{scheme} must be followed by an identifier"),
                    "e.g. principal://iam.googleapis.com/projects/123/locations/global/workloadIdentityPools/POOL/subject/SUBJECT",
                ));
            }
            return Ok(text.to_owned());
        }
    }
    if let Some(rest) = text.strip_prefix("deleted:") {
        // IAM rewrites the members of deleted accounts; they come back in policies we read.
        return match member_prefix(rest) {
            Some(("user" | "group" | "serviceAccount", value)) if !value.is_empty() => Ok(text.to_owned()),
            _ => Err(DomainError::invalid(
                MEMBER,
                "deleted: must be followed by user:, group: or serviceAccount: and an e-mail",
                "deleted members are written by IAM; copy them as they are",
            )),
        };
    }
    let Some((prefix, value)) = text.split_once(':') else {
        let hint = if text.ends_with("gserviceaccount.com") {
            format!("a service account is serviceAccount:{text}")
        } else if text.contains('@') {
            format!("use user:{text} for a person or group:{text} for a Google group")
        } else {
            MEMBER_HINT.to_owned()
        };
        return Err(DomainError::invalid(MEMBER, "has no member prefix such as serviceAccount:", hint));
    };
    match prefix {
        "user" | "group" => {
            if !is_email(value) {
                return Err(DomainError::invalid(
                    MEMBER,
                    format!("{prefix}: must be followed by an e-mail address, got {value:?}"),
                    MEMBER_HINT,
                ));
            }
        }
        "serviceAccount" => {
            let email = is_email(value) && value.ends_with("gserviceaccount.com");
            let workload_identity = value.contains(".svc.id.goog[") && value.ends_with(']');
            if !email && !workload_identity {
                return Err(DomainError::invalid(
                    MEMBER,
                    format!("serviceAccount: must be followed by a service account e-mail, got {value:?}"),
                    format!("e.g. serviceAccount:{EXAMPLE_SERVICE_ACCOUNT}"),
                ));
            }
        }
        "domain" => {
            if value.contains('@') || !value.contains('.') || !is_dns_name(&value.to_ascii_lowercase()) {
                return Err(DomainError::invalid(
                    MEMBER,
                    format!("domain: must be followed by a domain such as example.com, got {value:?}"),
                    "for one person use user:, for a group group:",
                ));
            }
        }
        "projectOwner" | "projectEditor" | "projectViewer" => {
            if value.is_empty() {
                return Err(DomainError::invalid(
                    MEMBER,
                    format!("{prefix}: must be followed by a project id or number"),
                    "these convenience members exist only on Cloud Storage buckets",
                ));
            }
        }
        other => {
            let hint = match MEMBER_PREFIXES.iter().find(|known| known.eq_ignore_ascii_case(other)) {
                Some(known) => format!("member prefixes are case-sensitive: use {known}:"),
                None => MEMBER_HINT.to_owned(),
            };
            return Err(DomainError::invalid(MEMBER, format!("unknown member prefix {other}:"), hint));
        }
    }
    Ok(text.to_owned())
}

/// Whether `prefix` (before its colon) is one IAM uses, in any letter case.
fn is_member_prefix(prefix: &str) -> bool {
    MEMBER_PREFIXES
        .iter()
        .chain(&["deleted", "principal", "principalSet"])
        .any(|p| p.eq_ignore_ascii_case(prefix))
}

/// `Some((prefix, rest))` when `text` starts with `<letters>:` before any `@`, as in
/// `user:jane@example.com`.
fn member_prefix(text: &str) -> Option<(&str, &str)> {
    let (prefix, rest) = text.split_once(':')?;
    let is_prefix =
        !prefix.is_empty() && !prefix.contains('@') && prefix.bytes().all(|b| b.is_ascii_alphabetic());
    is_prefix.then_some((prefix, rest))
}

fn check_service_account_name(name: &str) -> Result<(), DomainError> {
    const HINT: &str =
        "service account names are 6-30 lower-case letters, digits and hyphens, starting with a letter";
    let length = name.chars().count();
    if !(SERVICE_ACCOUNT_NAME_MIN..=SERVICE_ACCOUNT_NAME_MAX).contains(&length) {
        return Err(invalid_sa(format!("the name before @ must be 6-30 characters, got {length}"), HINT));
    }
    if let Some(c) = name.chars().find(|c| !(c.is_ascii_lowercase() || c.is_ascii_digit() || *c == '-')) {
        return Err(invalid_sa(
            format!("the name before @ may contain only lower-case letters, digits and hyphens, got {c:?}"),
            HINT,
        ));
    }
    if !name.starts_with(|c: char| c.is_ascii_lowercase()) {
        return Err(invalid_sa("the name before @ must start with a letter", HINT));
    }
    if name.ends_with('-') {
        return Err(invalid_sa("the name before @ must not end with a hyphen", HINT));
    }
    Ok(())
}

/// The label between `@` and `.iam.gserviceaccount.com`: a project id, or for a
/// domain-scoped project `my-project.example.com`.
fn check_project_label(label: &str) -> Result<(), DomainError> {
    if label.contains('.') {
        if is_dns_name(label) {
            return Ok(());
        }
        return Err(invalid_sa(
            format!("{label:?} between @ and .iam.gserviceaccount.com is not a project"),
            "copy the e-mail again from the Deployment's details page in Astro",
        ));
    }
    check_project_id(label).map_err(|problem| {
        invalid_sa(
            format!("the project {label:?} in the e-mail {problem}"),
            "the part between @ and .iam.gserviceaccount.com is the project id",
        )
    })
}

/// Google's project id rules; the problem reads after "the project id".
pub(crate) fn check_project_id(id: &str) -> Result<(), String> {
    let length = id.chars().count();
    if !(PROJECT_ID_MIN..=PROJECT_ID_MAX).contains(&length) {
        return Err(format!("must be 6-30 characters, got {length}"));
    }
    if let Some(c) = id.chars().find(|c| !(c.is_ascii_lowercase() || c.is_ascii_digit() || *c == '-')) {
        return Err(format!("may contain only lower-case letters, digits and hyphens, got {c:?}"));
    }
    if !id.starts_with(|c: char| c.is_ascii_lowercase()) {
        return Err("must start with a letter".to_owned());
    }
    if id.ends_with('-') {
        return Err("must not end with a hyphen".to_owned());
    }
    Ok(())
}

fn is_dns_char(c: char) -> bool {
    c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-' || c == '.'
}

/// Lower-case labels separated by single dots.
fn is_dns_name(text: &str) -> bool {
    !text.is_empty() && text.split('.').all(|label| !label.is_empty() && label.chars().all(is_dns_char))
}

fn is_email(text: &str) -> bool {
    match text.split_once('@') {
        Some((local, domain)) => !local.is_empty() && domain.contains('.') && !domain.contains('@'),
        None => false,
    }
}

fn trim_pasted(input: &str) -> &str {
    input.trim_matches(|c: char| c.is_whitespace() || QUOTES.contains(&c))
}

fn invalid_sa(problem: impl Into<String>, hint: impl Into<String>) -> DomainError {
    DomainError::invalid(SERVICE_ACCOUNT, problem, hint)
}

fn invalid_project(problem: impl Into<String>, hint: impl Into<String>) -> DomainError {
    DomainError::invalid(PROJECT_ID, problem, hint)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn sa(text: &str) -> ServiceAccountEmail {
        ServiceAccountEmail::parse(text).expect("valid service account")
    }

    fn sa_problem(text: &str) -> String {
        ServiceAccountEmail::parse(text).expect_err("invalid service account").to_string()
    }

    fn project_problem(text: &str) -> String {
        ProjectId::parse(text).expect_err("invalid project id").to_string()
    }

    fn member_problem(text: &str) -> String {
        parse_member(text).expect_err("invalid member").to_string()
    }

    #[test]
    fn astro_identity_parses_with_its_parts() {
        let id = sa("  \"astro-fiery-nebula-1234@astronomer-prod.iam.gserviceaccount.com\"\n");
        assert_eq!(id.as_str(), "astro-fiery-nebula-1234@astronomer-prod.iam.gserviceaccount.com");
        assert_eq!(id.to_string(), id.as_str());
        assert_eq!(
            id.member(),
            "serviceAccount:astro-fiery-nebula-1234@astronomer-prod.iam.gserviceaccount.com"
        );
        assert_eq!(id.name(), "astro-fiery-nebula-1234");
        assert_eq!(id.domain(), "astronomer-prod.iam.gserviceaccount.com");
        assert_eq!(id.project(), Some("astronomer-prod"));
        assert!(!id.is_google_managed());
    }

    #[test]
    fn service_account_prefix_is_stripped() {
        let id = sa("serviceAccount:astro-fiery-nebula-1234@astronomer-prod.iam.gserviceaccount.com");
        assert_eq!(id.as_str(), "astro-fiery-nebula-1234@astronomer-prod.iam.gserviceaccount.com");
    }

    #[test]
    fn google_managed_accounts_are_accepted() {
        let compute = sa("123456789012-compute@developer.gserviceaccount.com");
        assert_eq!((compute.project(), compute.is_google_managed()), (None, true));
        let agent = sa("service-186783260185@gcp-sa-cloudasset.iam.gserviceaccount.com");
        assert_eq!((agent.project(), agent.is_google_managed()), (None, true));
        let robot = sa("service-350211486356@container-engine-robot.iam.gserviceaccount.com");
        assert_eq!((robot.project(), robot.is_google_managed()), (None, true));
        let appspot = sa("my-project-id@appspot.gserviceaccount.com");
        assert_eq!(appspot.project(), Some("my-project-id"));
        assert_eq!(sa("104000000001@cloudservices.gserviceaccount.com").project(), None);
        assert_eq!(sa("cloud-logs@system.gserviceaccount.com").name(), "cloud-logs");
        // Domain-scoped project: valid, but no project id can be read from it.
        assert_eq!(sa("astro-dev-0001@my-proj.example.com.iam.gserviceaccount.com").project(), None);
    }

    #[test]
    fn service_account_errors_name_the_problem() {
        let cases = [
            ("", "service_account: is empty"),
            (
                "user:astro-fiery@p-123456.iam.gserviceaccount.com",
                "service_account: starts with the member prefix user:; a service account e-mail has none",
            ),
            (
                "deleted:serviceAccount:astro-x@p.iam.gserviceaccount.com?uid=1",
                "service_account: this member is a deleted account (deleted:)",
            ),
            (
                "astro-one@p-123456.iam.gserviceaccount.com astro-two@p-123456.iam.gserviceaccount.com",
                "service_account: contains whitespace",
            ),
            (
                "my-proj.svc.id.goog[ns/ksa]",
                "service_account: this is a GKE Workload Identity member (PROJECT.svc.id.goog[NAMESPACE/KSA]), not a service account e-mail",
            ),
            (
                "astro-fiery-nebula-1234",
                "service_account: must be an e-mail address NAME@PROJECT.iam.gserviceaccount.com; it has no @",
            ),
            ("a@b@c.iam.gserviceaccount.com", "service_account: has more than one @"),
            ("Astro-Fiery@astronomer-prod.iam.gserviceaccount.com", "service_account: must be lower-case"),
            ("jane@example.com", "service_account: must end with .iam.gserviceaccount.com, got @example.com"),
            (
                "astro-x@astronomer-prod.iam.gserviceaccount.co",
                "service_account: must end with .iam.gserviceaccount.com, got @astronomer-prod.iam.gserviceaccount.co",
            ),
            ("@astronomer-prod.iam.gserviceaccount.com", "service_account: the name before @ is empty"),
            (
                "astro-fiery@iam.gserviceaccount.com",
                "service_account: the project between @ and .iam.gserviceaccount.com is missing",
            ),
            (
                "astr@astronomer-prod.iam.gserviceaccount.com",
                "service_account: the name before @ must be 6-30 characters, got 4",
            ),
            (
                "astro-fiery-nebula-1234-5678-90ab@p-123456.iam.gserviceaccount.com",
                "service_account: the name before @ must be 6-30 characters, got 33",
            ),
            (
                "astro_fiery@astronomer-prod.iam.gserviceaccount.com",
                "service_account: the name before @ may contain only lower-case letters, digits and hyphens, got '_'",
            ),
            (
                "1astro-fiery@astronomer-prod.iam.gserviceaccount.com",
                "service_account: the name before @ must start with a letter",
            ),
            (
                "astro-fiery-@astronomer-prod.iam.gserviceaccount.com",
                "service_account: the name before @ must not end with a hyphen",
            ),
            (
                "astro-fiery@abc.iam.gserviceaccount.com",
                "service_account: the project \"abc\" in the e-mail must be 6-30 characters, got 3",
            ),
            (
                "astro-fiery@my..proj.iam.gserviceaccount.com",
                "service_account: \"my..proj\" between @ and .iam.gserviceaccount.com is not a project",
            ),
            (
                "cloud_logs@system.gserviceaccount.com",
                "service_account: the name before @ may contain only lower-case letters, digits, hyphens and dots, got '_'",
            ),
            (
                "cloud-logs@sys_tem.gserviceaccount.com",
                "service_account: \"sys_tem.gserviceaccount.com\" is not a service account domain",
            ),
        ];
        for (input, expected) in cases {
            assert_eq!(sa_problem(input), expected, "{input}");
        }
        let err = ServiceAccountEmail::parse("Astro-Fiery@astronomer-prod.iam.gserviceaccount.com")
            .expect_err("case");
        assert_eq!(err.field(), "service_account");
        assert_eq!(
            err.hint(),
            "service account e-mails are lower-case: astro-fiery@astronomer-prod.iam.gserviceaccount.com"
        );
    }

    #[test]
    fn service_account_serde_validates() {
        let id: ServiceAccountEmail =
            serde_json::from_str("\"astro-fiery-nebula-1234@astronomer-prod.iam.gserviceaccount.com\"")
                .expect("valid");
        assert_eq!(
            serde_json::to_string(&id).expect("serialize"),
            "\"astro-fiery-nebula-1234@astronomer-prod.iam.gserviceaccount.com\""
        );
        assert!(serde_json::from_str::<ServiceAccountEmail>("\"jane@example.com\"").is_err());
        assert_eq!(
            "cloud-logs@system.gserviceaccount.com".parse::<ServiceAccountEmail>().map(String::from).ok(),
            Some("cloud-logs@system.gserviceaccount.com".to_owned())
        );
    }

    #[test]
    fn project_ids() {
        for good in [
            "astronomer-prod",
            "my-project-123456",
            "abcdef",
            "a23456789012345678901234567890",
            "example.com:my-project",
        ] {
            assert_eq!(ProjectId::parse(good).map(String::from).ok().as_deref(), Some(good), "{good}");
        }
        assert_eq!(ProjectId::parse(" 'astronomer-prod' ").expect("valid").as_str(), "astronomer-prod");
    }

    #[test]
    fn project_id_errors_name_the_problem() {
        let cases = [
            ("", "project_id: is empty"),
            (
                "projects/astronomer-prod",
                "project_id: this is a resource name; the project id is just \"astronomer-prod\"",
            ),
            ("731882954417", "project_id: 731882954417 looks like a project number, not a project id"),
            ("My Project", "project_id: \"My Project\" looks like a project name, not a project id"),
            (
                "Astronomer-Prod",
                "project_id: \"Astronomer-Prod\" looks like a project name, not a project id",
            ),
            ("example:my-project", "project_id: \"example\" before : is not a domain"),
            ("abc", "project_id: must be 6-30 characters, got 3"),
            ("a234567890123456789012345678901", "project_id: must be 6-30 characters, got 31"),
            ("my_project", "project_id: may contain only lower-case letters, digits and hyphens, got '_'"),
            ("1-project", "project_id: must start with a letter"),
            ("my-project-", "project_id: must not end with a hyphen"),
            (
                "example.com:my_project",
                "project_id: may contain only lower-case letters, digits and hyphens, got '_'",
            ),
        ];
        for (input, expected) in cases {
            assert_eq!(project_problem(input), expected, "{input}");
        }
        let err = ProjectId::parse("731882954417").expect_err("number");
        assert_eq!(
            err.hint(),
            "the project id is in the project picker of the Cloud console, next to the name; it has letters, e.g. my-project-123456"
        );
    }

    #[test]
    fn members_of_every_kind_parse() {
        for member in [
            "user:jane@example.com",
            "serviceAccount:astro-fiery-nebula-1234@astronomer-prod.iam.gserviceaccount.com",
            "serviceAccount:abc@testproject.iam.gserviceaccount.com",
            "serviceAccount:nephio-demo-418213.svc.id.goog[config-management-system/root-reconciler]",
            "group:JadeStewards-dev@dev.test.firecloud.org",
            "domain:google.com",
            "principal://iam.googleapis.com/projects/1/locations/global/workloadIdentityPools/p/subject/s",
            "principalSet://iam.googleapis.com/projects/1/locations/global/workloadIdentityPools/p/*",
            "allUsers",
            "allAuthenticatedUsers",
            "deleted:group:policy-0512f280@dev.test.firecloud.org?uid=507418924967946102347",
            "deleted:serviceAccount:old@p-123456.iam.gserviceaccount.com?uid=1",
            "projectViewer:test-viewer",
        ] {
            assert_eq!(parse_member(&format!(" {member}\n")).as_deref(), Ok(member), "{member}");
        }
    }

    #[test]
    fn member_errors_name_the_problem() {
        let cases = [
            ("", "member: is empty"),
            ("user:a@b.com user:c@d.com", "member: contains whitespace"),
            ("allusers", "member: is spelled allUsers"),
            ("principal://", "member: principal:// must be followed by an identifier"),
            (
                "deleted:jane@example.com",
                "member: deleted: must be followed by user:, group: or serviceAccount: and an e-mail",
            ),
            ("jane@example.com", "member: has no member prefix such as serviceAccount:"),
            ("user:jane", "member: user: must be followed by an e-mail address, got \"jane\""),
            ("group:", "member: group: must be followed by an e-mail address, got \"\""),
            (
                "serviceAccount:jane@example.com",
                "member: serviceAccount: must be followed by a service account e-mail, got \"jane@example.com\"",
            ),
            (
                "domain:jane@example.com",
                "member: domain: must be followed by a domain such as example.com, got \"jane@example.com\"",
            ),
            ("projectOwner:", "member: projectOwner: must be followed by a project id or number"),
            ("serviceaccount:a@p.iam.gserviceaccount.com", "member: unknown member prefix serviceaccount:"),
            ("robot:r2d2", "member: unknown member prefix robot:"),
        ];
        for (input, expected) in cases {
            assert_eq!(member_problem(input), expected, "{input}");
        }
        let hint = |text: &str| parse_member(text).expect_err("invalid").hint().to_owned();
        assert_eq!(
            hint("serviceaccount:a@p.iam.gserviceaccount.com"),
            "member prefixes are case-sensitive: use serviceAccount:"
        );
        assert_eq!(
            hint("astro-x@p-123456.iam.gserviceaccount.com"),
            "a service account is serviceAccount:astro-x@p-123456.iam.gserviceaccount.com"
        );
        assert_eq!(
            hint("jane@example.com"),
            "use user:jane@example.com for a person or group:jane@example.com for a Google group"
        );
        assert_eq!(parse_member("x").expect_err("invalid").field(), "member");
    }
}

/// Where a grant goes: a role on a project, or — the impersonation route — token creation on
/// one of the user's service accounts (the Deployment then acts as that account).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum GrantRoute {
    Project { project: ProjectId, role: String },
    Impersonation { service_account: ServiceAccountEmail },
}

impl GrantRoute {
    /// The route the inputs choose: an impersonation target wins; otherwise a project and a
    /// role are both required. Blank values count as absent.
    pub fn choose(
        project: Option<&str>,
        role: Option<&str>,
        impersonate: Option<&str>,
    ) -> Result<Self, DomainError> {
        fn given(value: Option<&str>) -> Option<&str> {
            value.map(str::trim).filter(|v| !v.is_empty())
        }
        match (given(project), given(role), given(impersonate)) {
            (_, _, Some(account)) => {
                Ok(Self::Impersonation { service_account: ServiceAccountEmail::parse(account)? })
            }
            (Some(project), Some(role), None) => {
                Ok(Self::Project { project: ProjectId::parse(project)?, role: role.to_owned() })
            }
            (None, _, None) => Err(DomainError::invalid(
                PROJECT_ID,
                "is required (or a service account to impersonate)",
                "Give the project the Deployment needs, e.g. astro-data, with a role on it.",
            )),
            (Some(_), None, None) => Err(DomainError::invalid(
                "role",
                "is required for a grant on a project",
                "Pick a predefined role such as roles/storage.objectViewer.",
            )),
        }
    }

    /// The role granted: the chosen one, or Service Account Token Creator for impersonation.
    pub fn role(&self) -> &str {
        match self {
            Self::Project { role, .. } => role,
            Self::Impersonation { .. } => super::catalog::TOKEN_CREATOR_ROLE,
        }
    }
}

#[cfg(test)]
mod route_tests {
    use super::GrantRoute;

    #[test]
    fn impersonation_wins_and_a_project_needs_a_role() {
        let route = GrantRoute::choose(
            Some("astro-data"),
            Some("roles/viewer"),
            Some(" astro-reader@proj-1.iam.gserviceaccount.com "),
        )
        .expect("route");
        assert!(matches!(route, GrantRoute::Impersonation { .. }));
        assert_eq!(route.role(), "roles/iam.serviceAccountTokenCreator");
        let route =
            GrantRoute::choose(Some("astro-data"), Some(" roles/viewer "), Some("  ")).expect("route");
        assert_eq!(route.role(), "roles/viewer");
        assert_eq!(GrantRoute::choose(Some("astro-data"), None, None).expect_err("no role").field(), "role");
        assert_eq!(
            GrantRoute::choose(None, Some("roles/viewer"), None).expect_err("no project").field(),
            "project_id"
        );
        assert_eq!(
            GrantRoute::choose(Some("Bad_Project"), Some("roles/viewer"), None).expect_err("bad").field(),
            "project_id"
        );
    }
}
