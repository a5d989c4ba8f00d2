//! IAM role ARNs as people paste them: the Astro workload identity of a Deployment, and the
//! role name and path of a role we may create for it.
//!
//! Every refusal names the exact problem in plain words, because the message is shown next
//! to the text field the ARN was pasted into.

use std::fmt;

use serde::{Deserialize, Serialize};

use crate::DomainError;

/// The AWS partitions an Astro Deployment can run in.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[cfg_attr(feature = "specta", derive(specta::Type))]
// The ARN spelling ("aws-us-gov"), not camelCase: the UI shows and compares it verbatim.
#[serde(rename_all = "kebab-case")]
pub enum Partition {
    Aws,
    AwsCn,
    AwsUsGov,
}

impl Partition {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Aws => "aws",
            Self::AwsCn => "aws-cn",
            Self::AwsUsGov => "aws-us-gov",
        }
    }

    /// The partition spelled exactly as in an ARN; `None` for anything else.
    pub fn from_arn_segment(segment: &str) -> Option<Self> {
        match segment {
            "aws" => Some(Self::Aws),
            "aws-cn" => Some(Self::AwsCn),
            "aws-us-gov" => Some(Self::AwsUsGov),
            _ => None,
        }
    }
}

impl fmt::Display for Partition {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

const IDENTITY: &str = "identity";
const EXAMPLE_ROLE_ARN: &str = "arn:aws:iam::123456789012:role/NAME";
const ROLE_NAME_MAX: usize = 64;
const ROLE_PATH_MAX: usize = 512;

/// An IAM role ARN, `arn:<partition>:iam::<12-digit account>:role/<optional path/>name`:
/// what Astro calls a Deployment's workload identity on AWS.
///
/// Holds only the validated text; the parts are read back from it, so the value and its
/// string form can never disagree.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[cfg_attr(feature = "specta", derive(specta::Type))]
#[cfg_attr(feature = "specta", specta(transparent))]
#[serde(try_from = "String", into = "String")]
pub struct WorkloadIdentityArn(String);

impl WorkloadIdentityArn {
    /// Parses one ARN. Surrounding whitespace and quotes are dropped (people copy ARNs out
    /// of JSON and chat); nothing inside is corrected.
    pub fn parse(input: &str) -> Result<Self, DomainError> {
        let text = trim_pasted(input);
        if text.is_empty() {
            return Err(invalid_identity("is empty", format!("paste a role ARN such as {EXAMPLE_ROLE_ARN}")));
        }
        if !text.starts_with("arn:") {
            return Err(invalid_identity("not an ARN: must start with arn:", not_an_arn_hint(text)));
        }
        // Two ARNs pasted without a separator still look like one ARN with a long path.
        if text[4..].contains("arn:") {
            return Err(invalid_identity(
                "two ARNs run together",
                "put each Deployment's ARN on its own line",
            ));
        }
        let parts: Vec<&str> = text.splitn(6, ':').collect();
        let [_, partition, service, region, account, resource] = parts[..] else {
            return Err(invalid_identity(
                format!(
                    "ARN has {} of the 6 parts arn:partition:service:region:account:resource",
                    parts.len()
                ),
                format!("a role ARN looks like {EXAMPLE_ROLE_ARN}"),
            ));
        };
        if Partition::from_arn_segment(partition).is_none() {
            return Err(invalid_identity(
                format!("partition must be aws, aws-cn or aws-us-gov, got {partition:?}"),
                "copy the ARN again from the Deployment's details page in Astro",
            ));
        }
        if service == "sts"
            && let Some(session) = resource.strip_prefix("assumed-role/")
        {
            let role = session.split('/').next().unwrap_or_default();
            return Err(invalid_identity(
                format!(
                    "this is an STS session ARN (assumed-role); use the role ARN arn:{partition}:iam::{account}:role/{role}"
                ),
                "a session ARN names one temporary login; trust policies need the role it came from \
                 (if the role has a path, add it before the name)",
            ));
        }
        if service != "iam" {
            return Err(invalid_identity(
                format!("service must be iam, got {service:?}"),
                format!("a workload identity is an IAM role ARN such as {EXAMPLE_ROLE_ARN}"),
            ));
        }
        if !region.is_empty() {
            return Err(invalid_identity(
                format!("region must be empty in an IAM ARN, got {region:?}"),
                "IAM is global: the ARN has two colons in a row after iam (iam::)",
            ));
        }
        check_account(account).map_err(|problem| {
            invalid_identity(problem, "the account is the 12-digit number between iam:: and :role/")
        })?;
        let Some(path_and_name) = resource.strip_prefix("role/") else {
            let kind = resource.split('/').next().unwrap_or_default();
            return Err(invalid_identity(
                format!("this is not a role ARN (resource type {kind:?})"),
                format!("Astro Deployments use role ARNs such as {EXAMPLE_ROLE_ARN}"),
            ));
        };
        let (path, name) = split_path_and_name(path_and_name);
        check_role_path(&path).map_err(|(problem, hint)| invalid_identity(problem, hint))?;
        check_role_name(name).map_err(|(problem, hint)| invalid_identity(problem, hint))?;
        Ok(Self(text.to_owned()))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// The six ARN parts; valid by construction.
    fn part(&self, index: usize) -> &str {
        self.0.splitn(6, ':').nth(index).unwrap_or_default()
    }

    pub fn partition(&self) -> Partition {
        Partition::from_arn_segment(self.part(1)).unwrap_or(Partition::Aws)
    }

    /// The 12-digit account id.
    pub fn account(&self) -> &str {
        self.part(4)
    }

    /// The role name, without its path.
    pub fn role_name(&self) -> &str {
        let resource = self.part(5);
        resource.rsplit('/').next().unwrap_or(resource)
    }

    /// The role path, `/` when the ARN has none.
    pub fn role_path(&self) -> String {
        let resource = self.part(5);
        split_path_and_name(resource.strip_prefix("role/").unwrap_or(resource)).0
    }
}

impl fmt::Display for WorkloadIdentityArn {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl TryFrom<String> for WorkloadIdentityArn {
    type Error = DomainError;
    fn try_from(value: String) -> Result<Self, Self::Error> {
        Self::parse(&value)
    }
}

impl From<WorkloadIdentityArn> for String {
    fn from(value: WorkloadIdentityArn) -> Self {
        value.0
    }
}

impl std::str::FromStr for WorkloadIdentityArn {
    type Err = DomainError;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Self::parse(s)
    }
}

/// One pasted entry that is not a workload identity, with the text as it was pasted so
/// the UI can point at it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct IdentityError {
    pub input: String,
    pub error: DomainError,
}

impl fmt::Display for IdentityError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{:?}: {}", self.input, self.error)
    }
}

/// Parses the workload identities of one or more Deployments, separated by whitespace,
/// commas or newlines. Duplicates are dropped, keeping the first. Every bad entry is
/// reported, not only the first, so people can fix a whole paste at once.
pub fn parse_identities(text: &str) -> Result<Vec<WorkloadIdentityArn>, Vec<IdentityError>> {
    let mut identities: Vec<WorkloadIdentityArn> = Vec::new();
    let mut errors = Vec::new();
    let entries = text.split(|c: char| c.is_whitespace() || c == ',').filter(|e| !trim_pasted(e).is_empty());
    for entry in entries {
        match WorkloadIdentityArn::parse(entry) {
            Ok(arn) if identities.contains(&arn) => {}
            Ok(arn) => identities.push(arn),
            Err(error) => errors.push(IdentityError { input: entry.to_owned(), error }),
        }
    }
    if !errors.is_empty() {
        return Err(errors);
    }
    if identities.is_empty() {
        return Err(vec![IdentityError {
            input: text.to_owned(),
            error: invalid_identity(
                "paste at least one workload identity ARN",
                "each Deployment's ARN is on its details page in Astro, under Workload Identity",
            ),
        }]);
    }
    Ok(identities)
}

/// An IAM role name: 1–64 letters, digits and `+ = , . @ _ -`.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[cfg_attr(feature = "specta", derive(specta::Type))]
#[cfg_attr(feature = "specta", specta(transparent))]
#[serde(try_from = "String", into = "String")]
pub struct RoleName(String);

impl RoleName {
    pub fn parse(input: &str) -> Result<Self, DomainError> {
        let name = input.trim();
        check_role_name(name).map_err(|(problem, hint)| DomainError::invalid("role_name", problem, hint))?;
        Ok(Self(name.to_owned()))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl fmt::Display for RoleName {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl TryFrom<String> for RoleName {
    type Error = DomainError;
    fn try_from(value: String) -> Result<Self, Self::Error> {
        Self::parse(&value)
    }
}

impl From<RoleName> for String {
    fn from(value: RoleName) -> Self {
        value.0
    }
}

/// An IAM path: `/`, or up to 512 printable ASCII characters that start and end with `/`.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[cfg_attr(feature = "specta", derive(specta::Type))]
#[cfg_attr(feature = "specta", specta(transparent))]
#[serde(try_from = "String", into = "String")]
pub struct RolePath(String);

impl RolePath {
    /// An empty input means the default path `/`, as in the IAM API where the path is optional.
    pub fn parse(input: &str) -> Result<Self, DomainError> {
        let path = input.trim();
        if path.is_empty() {
            return Ok(Self::root());
        }
        check_role_path(path).map_err(|(problem, hint)| DomainError::invalid("role_path", problem, hint))?;
        Ok(Self(path.to_owned()))
    }

    pub fn root() -> Self {
        Self("/".to_owned())
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl Default for RolePath {
    fn default() -> Self {
        Self::root()
    }
}

impl fmt::Display for RolePath {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl TryFrom<String> for RolePath {
    type Error = DomainError;
    fn try_from(value: String) -> Result<Self, Self::Error> {
        Self::parse(&value)
    }
}

impl From<RolePath> for String {
    fn from(value: RolePath) -> Self {
        value.0
    }
}

/// Quotes people paste along with an ARN: ASCII and the typographic ones chat apps insert.
const QUOTES: [char; 7] = ['"', '\'', '`', '\u{201c}', '\u{201d}', '\u{2018}', '\u{2019}'];

fn trim_pasted(input: &str) -> &str {
    input.trim_matches(|c: char| c.is_whitespace() || QUOTES.contains(&c))
}

fn invalid_identity(problem: impl Into<String>, hint: impl Into<String>) -> DomainError {
    DomainError::invalid(IDENTITY, problem, hint)
}

fn not_an_arn_hint(text: &str) -> String {
    if text.ends_with(".iam.gserviceaccount.com") {
        return "this is a GCP service account; on AWS the workload identity is a role ARN".to_owned();
    }
    if text.len() == 12 && text.bytes().all(|b| b.is_ascii_digit()) {
        return format!(
            "this is an account id; paste the Deployment's role ARN, e.g. arn:aws:iam::{text}:role/NAME"
        );
    }
    format!("a workload identity looks like {EXAMPLE_ROLE_ARN}")
}

/// A typed AWS account id: 12 digits, trimmed.
pub fn parse_account_id(text: &str) -> Result<String, DomainError> {
    let account = text.trim();
    check_account(account).map_err(|problem| {
        DomainError::invalid(
            "account",
            problem,
            "Copy it from the AWS console's account menu, e.g. 123456789012.",
        )
    })?;
    Ok(account.to_owned())
}

pub(crate) fn check_account(account: &str) -> Result<(), String> {
    if account.is_empty() {
        return Err("account must be 12 digits, got none".to_owned());
    }
    if !account.bytes().all(|b| b.is_ascii_digit()) {
        return Err(format!("account must be 12 digits, got {account:?}"));
    }
    if account.len() != 12 {
        return Err(format!("account must be 12 digits, got {}", account.len()));
    }
    Ok(())
}

/// `path/to/name` → (`/path/to/`, `name`); `name` → (`/`, `name`).
fn split_path_and_name(path_and_name: &str) -> (String, &str) {
    match path_and_name.rsplit_once('/') {
        Some((path, name)) => (format!("/{path}/"), name),
        None => ("/".to_owned(), path_and_name),
    }
}

fn is_role_name_char(c: char) -> bool {
    c.is_ascii_alphanumeric() || "+=,.@_-".contains(c)
}

fn check_role_name(name: &str) -> Result<(), (String, String)> {
    const ALLOWED: &str = "allowed: letters, digits and + = , . @ _ -";
    if name.is_empty() {
        return Err(("role name is empty".to_owned(), "a role ARN ends with role/NAME".to_owned()));
    }
    if let Some(bad) = name.chars().find(|c| !is_role_name_char(*c)) {
        return Err((
            format!("role name contains \"{}\"; {ALLOWED}", bad.escape_debug()),
            "IAM refuses any other character".to_owned(),
        ));
    }
    let length = name.chars().count();
    if length > ROLE_NAME_MAX {
        return Err((
            format!("role name {name:?} is longer than 64 characters ({length})"),
            "IAM role names are at most 64 characters".to_owned(),
        ));
    }
    Ok(())
}

fn check_role_path(path: &str) -> Result<(), (String, String)> {
    const HINT: &str = "a role path is / or /segment/.../ in printable ASCII";
    if !path.starts_with('/') || !path.ends_with('/') {
        return Err((format!("role path {path:?} must start and end with /"), HINT.to_owned()));
    }
    if let Some(bad) = path.chars().find(|c| !('\u{21}'..='\u{7e}').contains(c)) {
        return Err((format!("role path contains \"{}\"", bad.escape_debug()), HINT.to_owned()));
    }
    let length = path.chars().count();
    if length > ROLE_PATH_MAX {
        return Err((format!("role path is longer than 512 characters ({length})"), HINT.to_owned()));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn problem(input: &str) -> String {
        match WorkloadIdentityArn::parse(input) {
            Ok(arn) => panic!("{input:?} parsed as {arn}"),
            Err(DomainError::Invalid { field, problem, .. }) => {
                assert_eq!(field, "identity", "{input}");
                problem
            }
        }
    }

    #[test]
    fn refuses_two_arns_run_together() {
        let err = WorkloadIdentityArn::parse(
            "arn:aws:iam::123456789876:role/astro-a-4567arn:aws:iam::123456789876:role/astro-b-0815",
        )
        .expect_err("run together");
        assert_eq!(err.to_string(), "identity: two ARNs run together");
        assert_eq!(err.hint(), "put each Deployment's ARN on its own line");
    }

    #[test]
    fn parses_a_role_arn_and_its_parts() {
        let arn = WorkloadIdentityArn::parse("arn:aws:iam::123456789012:role/astro-fiery-nebula-1234")
            .expect("valid ARN");
        assert_eq!(arn.as_str(), "arn:aws:iam::123456789012:role/astro-fiery-nebula-1234");
        assert_eq!(arn.partition(), Partition::Aws);
        assert_eq!(arn.account(), "123456789012");
        assert_eq!(arn.role_name(), "astro-fiery-nebula-1234");
        assert_eq!(arn.role_path(), "/");
        assert_eq!(arn.to_string(), arn.as_str());
    }

    #[test]
    fn parses_paths_and_other_partitions() {
        let arn = WorkloadIdentityArn::parse("arn:aws-us-gov:iam::123456789012:role/team/astro/my.role@x")
            .expect("valid ARN");
        assert_eq!(arn.partition(), Partition::AwsUsGov);
        assert_eq!(arn.role_name(), "my.role@x");
        assert_eq!(arn.role_path(), "/team/astro/");
        let cn = WorkloadIdentityArn::parse("arn:aws-cn:iam::123456789012:role/r").expect("valid ARN");
        assert_eq!(cn.partition(), Partition::AwsCn);
    }

    #[test]
    fn trims_whitespace_and_quotes_only() {
        let arn = WorkloadIdentityArn::parse("  \"arn:aws:iam::123456789012:role/r\",".trim_end_matches(','))
            .expect("valid ARN");
        assert_eq!(arn.as_str(), "arn:aws:iam::123456789012:role/r");
        let arn = WorkloadIdentityArn::parse("\u{201c}arn:aws:iam::123456789012:role/r\u{201d}\n")
            .expect("valid ARN");
        assert_eq!(arn.as_str(), "arn:aws:iam::123456789012:role/r");
        assert_eq!(
            problem("arn:aws:iam::123456789012:role/r x"),
            "role name contains \" \"; allowed: letters, digits and + = , . @ _ -"
        );
    }

    #[test]
    fn account_errors_say_what_was_wrong() {
        assert_eq!(problem("arn:aws:iam::12345678901:role/r"), "account must be 12 digits, got 11");
        assert_eq!(problem("arn:aws:iam::1234567890123:role/r"), "account must be 12 digits, got 13");
        assert_eq!(
            problem("arn:aws:iam::1234-5678-9012:role/r"),
            "account must be 12 digits, got \"1234-5678-9012\""
        );
        assert_eq!(problem("arn:aws:iam:::role/r"), "account must be 12 digits, got none");
    }

    #[test]
    fn partition_errors_quote_the_partition() {
        assert_eq!(
            problem("arn:aws-eu:iam::123456789012:role/r"),
            "partition must be aws, aws-cn or aws-us-gov, got \"aws-eu\""
        );
    }

    #[test]
    fn session_arns_suggest_the_role_arn() {
        assert_eq!(
            problem("arn:aws:sts::123456789012:assumed-role/astro-fiery-nebula-1234/session-1"),
            "this is an STS session ARN (assumed-role); use the role ARN arn:aws:iam::123456789012:role/astro-fiery-nebula-1234"
        );
        assert_eq!(
            problem("arn:aws-cn:sts::210987654321:assumed-role/Other/s"),
            "this is an STS session ARN (assumed-role); use the role ARN arn:aws-cn:iam::210987654321:role/Other"
        );
    }

    #[test]
    fn role_name_rules() {
        let long = "a".repeat(65);
        assert_eq!(
            problem(&format!("arn:aws:iam::123456789012:role/{long}")),
            format!("role name \"{long}\" is longer than 64 characters (65)")
        );
        assert!(
            WorkloadIdentityArn::parse(&format!("arn:aws:iam::123456789012:role/{}", "a".repeat(64))).is_ok()
        );
        assert_eq!(
            problem("arn:aws:iam::123456789012:role/astro!"),
            "role name contains \"!\"; allowed: letters, digits and + = , . @ _ -"
        );
        assert_eq!(problem("arn:aws:iam::123456789012:role/path/"), "role name is empty");
        assert_eq!(problem("arn:aws:iam::123456789012:role/"), "role name is empty");
    }

    #[test]
    fn role_path_rules() {
        let long = "p".repeat(511);
        assert_eq!(
            problem(&format!("arn:aws:iam::123456789012:role/{long}/name")),
            "role path is longer than 512 characters (513)"
        );
        assert!(
            WorkloadIdentityArn::parse(&format!("arn:aws:iam::123456789012:role/{}/n", "p".repeat(510)))
                .is_ok()
        );
    }

    #[test]
    fn other_shapes_are_refused_with_the_reason() {
        assert_eq!(problem("astro-x@proj.iam.gserviceaccount.com"), "not an ARN: must start with arn:");
        assert_eq!(problem("ARN:aws:iam::123456789012:role/r"), "not an ARN: must start with arn:");
        assert_eq!(problem("   "), "is empty");
        assert_eq!(
            problem("arn:aws:iam::123456789012"),
            "ARN has 5 of the 6 parts arn:partition:service:region:account:resource"
        );
        assert_eq!(problem("arn:aws:s3:::bucket:x"), "service must be iam, got \"s3\"");
        assert_eq!(
            problem("arn:aws:iam:us-east-1:123456789012:role/r"),
            "region must be empty in an IAM ARN, got \"us-east-1\""
        );
        assert_eq!(
            problem("arn:aws:iam::123456789012:user/bob"),
            "this is not a role ARN (resource type \"user\")"
        );
        assert_eq!(
            problem("arn:aws:iam::123456789012:root"),
            "this is not a role ARN (resource type \"root\")"
        );
    }

    #[test]
    fn hints_point_at_the_fix() {
        let err = WorkloadIdentityArn::parse("123456789012").expect_err("not an ARN");
        assert_eq!(
            err.hint(),
            "this is an account id; paste the Deployment's role ARN, e.g. arn:aws:iam::123456789012:role/NAME"
        );
        let err = WorkloadIdentityArn::parse("astro-x@p.iam.gserviceaccount.com").expect_err("not an ARN");
        assert_eq!(err.hint(), "this is a GCP service account; on AWS the workload identity is a role ARN");
    }

    #[test]
    fn serde_is_a_validated_string() {
        let arn: WorkloadIdentityArn =
            serde_json::from_str("\"arn:aws:iam::123456789012:role/r\"").expect("valid ARN");
        assert_eq!(serde_json::to_string(&arn).expect("serialize"), "\"arn:aws:iam::123456789012:role/r\"");
        let err = serde_json::from_str::<WorkloadIdentityArn>("\"arn:aws:iam::1:role/r\"")
            .expect_err("bad account");
        assert!(err.to_string().contains("account must be 12 digits, got 1"), "{err}");
        assert_eq!(serde_json::to_string(&Partition::AwsUsGov).expect("serialize"), "\"aws-us-gov\"");
    }

    #[test]
    fn parse_identities_splits_dedupes_and_keeps_order() {
        let text = "arn:aws:iam::123456789012:role/b, arn:aws:iam::123456789012:role/a\n\
                    \"arn:aws:iam::123456789012:role/b\",\t arn:aws:iam::123456789012:role/c";
        let ids = parse_identities(text).expect("valid list");
        let names: Vec<&str> = ids.iter().map(WorkloadIdentityArn::role_name).collect();
        assert_eq!(names, ["b", "a", "c"]);
    }

    #[test]
    fn parse_identities_reports_every_bad_entry() {
        let errors = parse_identities("arn:aws:iam::123456789012:role/ok x arn:aws:iam::1:role/r")
            .expect_err("two bad");
        let inputs: Vec<&str> = errors.iter().map(|e| e.input.as_str()).collect();
        assert_eq!(inputs, ["x", "arn:aws:iam::1:role/r"]);
        assert_eq!(errors[1].error.to_string(), "identity: account must be 12 digits, got 1");
    }

    #[test]
    fn parse_identities_refuses_empty_input() {
        for text in ["", "  \n ,, ", "\"\""] {
            let errors = parse_identities(text).expect_err("empty");
            assert_eq!(errors.len(), 1);
            assert_eq!(errors[0].error.to_string(), "identity: paste at least one workload identity ARN");
        }
    }

    #[test]
    fn role_name_and_path_use_their_own_fields() {
        assert_eq!(RoleName::parse(" astro-x ").expect("valid").as_str(), "astro-x");
        let err = RoleName::parse("a b").expect_err("space");
        assert_eq!(err.field(), "role_name");
        assert_eq!(
            err.to_string(),
            "role_name: role name contains \" \"; allowed: letters, digits and + = , . @ _ -"
        );
        let err = RoleName::parse(&"x".repeat(65)).expect_err("long");
        assert!(err.to_string().ends_with("is longer than 64 characters (65)"), "{err}");
        assert_eq!(RoleName::parse("").expect_err("empty").to_string(), "role_name: role name is empty");

        assert_eq!(RolePath::parse("").expect("default").as_str(), "/");
        assert_eq!(RolePath::parse("/astro/").expect("valid").as_str(), "/astro/");
        let err = RolePath::parse("astro/").expect_err("no leading slash");
        assert_eq!(err.field(), "role_path");
        assert_eq!(err.to_string(), "role_path: role path \"astro/\" must start and end with /");
        assert_eq!(
            RolePath::parse("/a b/").expect_err("space").to_string(),
            "role_path: role path contains \" \""
        );
        assert_eq!(
            RolePath::parse(&format!("/{}/", "p".repeat(511))).expect_err("long").to_string(),
            "role_path: role path is longer than 512 characters (513)"
        );
    }
}

/// IAM's bounds for a role's maximum session duration, in seconds.
pub const MAX_SESSION_SECONDS: std::ops::RangeInclusive<i32> = 3600..=43200;

/// A role's maximum session duration, checked against IAM's bounds before anything is sent.
pub fn validate_max_session(seconds: i32) -> Result<i32, DomainError> {
    if MAX_SESSION_SECONDS.contains(&seconds) {
        return Ok(seconds);
    }
    Err(DomainError::invalid(
        "max_session_duration",
        format!("must be between 3600 and 43200 seconds, got {seconds}"),
        "Use 3600 (one hour) unless your tasks need longer sessions.",
    ))
}

#[cfg(test)]
mod session_tests {
    use super::validate_max_session;

    #[test]
    fn session_bounds_are_iams() {
        assert_eq!(validate_max_session(3600).ok(), Some(3600));
        assert_eq!(validate_max_session(43200).ok(), Some(43200));
        for bad in [0, 3599, 43201, -1] {
            let err = validate_max_session(bad).expect_err("out of bounds");
            assert_eq!(err.field(), "max_session_duration");
            assert!(err.to_string().contains(&format!("got {bad}")), "{err}");
        }
    }
}
