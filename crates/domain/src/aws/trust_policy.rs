//! A role's trust policy (`AssumeRolePolicyDocument`), kept as the JSON the customer wrote.
//!
//! The document stays a `serde_json::Value` (with `preserve_order`) and every edit is a
//! surgical change to it: we add or remove our ARNs and leave every other byte of meaning
//! alone. A typed model would have to know every shape IAM accepts (and AWS keeps adding
//! condition operators and principal types); one that did not would silently drop what it
//! did not understand from someone's production role.

use std::collections::HashSet;

use serde::{Deserialize, Serialize};
use serde_json::{Map, Value, json};

use super::arn::WorkloadIdentityArn;
use crate::DomainError;
use crate::json::{self, kind_of};

const FIELD: &str = "trust_policy";
pub(crate) const POLICY_VERSION: &str = "2012-10-17";
pub(crate) const ASSUME_ROLE: &str = "sts:AssumeRole";

/// A trust policy document. Always a JSON object whose `Statement` is one statement object
/// or an array of them; everything else in it is whatever the customer wrote.
///
/// `PartialEq` compares JSON values (object key order ignored); compare
/// [`TrustPolicy::to_compact_json`] for byte equality.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(try_from = "Value", into = "Value")]
pub struct TrustPolicy {
    doc: Value,
}

impl TrustPolicy {
    /// Parses policy text as pasted or as returned (decoded) by `GetRole`.
    pub fn parse(text: &str) -> Result<Self, DomainError> {
        let doc = json::parse(text, FIELD, |text| {
            text.starts_with("%7B")
                .then_some("this looks URL-encoded, as GetRole returns it; decode it first")
        })?;
        Self::from_value(doc)
    }

    /// Accepts any document IAM would: a JSON object with a `Statement` that is an object or
    /// an array of objects. Nothing is normalised.
    pub fn from_value(doc: Value) -> Result<Self, DomainError> {
        const HINT: &str = "a trust policy looks like {\"Version\":\"2012-10-17\",\"Statement\":[...]}";
        let Some(object) = doc.as_object() else {
            return Err(DomainError::invalid(
                FIELD,
                format!("must be a JSON object with a Statement, got {}", kind_of(&doc)),
                HINT,
            ));
        };
        match object.get("Statement") {
            None => return Err(DomainError::invalid(FIELD, "has no Statement", HINT)),
            Some(Value::Object(_)) => {}
            Some(Value::Array(items)) => {
                if let Some((index, item)) = items.iter().enumerate().find(|(_, item)| !item.is_object()) {
                    return Err(DomainError::invalid(
                        FIELD,
                        format!("Statement item {} is {}, not an object", index + 1, kind_of(item)),
                        HINT,
                    ));
                }
            }
            Some(other) => {
                return Err(DomainError::invalid(
                    FIELD,
                    format!("Statement must be an object or an array of objects, got {}", kind_of(other)),
                    HINT,
                ));
            }
        }
        Ok(Self { doc })
    }

    /// The policy Astro documents for a role that only its Deployments assume.
    pub fn new_for(identities: &[WorkloadIdentityArn]) -> Self {
        let arns: Vec<Value> = unique(identities).into_iter().map(|id| Value::from(id.as_str())).collect();
        Self {
            doc: json!({
                "Version": POLICY_VERSION,
                "Statement": [new_statement(arns)],
            }),
        }
    }

    /// A policy with no statement yet, to which statements are added (e.g. the Customer
    /// Managed Identity one). IAM refuses it as it is.
    pub fn empty() -> Self {
        Self { doc: json!({"Version": POLICY_VERSION, "Statement": []}) }
    }

    pub fn as_value(&self) -> &Value {
        &self.doc
    }

    pub fn into_value(self) -> Value {
        self.doc
    }

    /// What is sent to IAM: no whitespace, keys in the order the customer wrote them.
    pub fn to_compact_json(&self) -> String {
        // Serialising a Value with string keys cannot fail.
        serde_json::to_string(&self.doc).unwrap_or_default()
    }

    /// For display and diffs: two-space indentation.
    pub fn to_pretty_json(&self) -> String {
        serde_json::to_string_pretty(&self.doc).unwrap_or_default()
    }

    /// The statements in document order, whether `Statement` is one object or an array.
    pub fn statements(&self) -> Vec<&Map<String, Value>> {
        match self.doc.get("Statement") {
            Some(Value::Object(one)) => vec![one],
            Some(Value::Array(items)) => items.iter().filter_map(Value::as_object).collect(),
            _ => Vec::new(),
        }
    }

    /// The `AWS` principals that may call `sts:AssumeRole` with no condition attached, in
    /// document order, each once. These are the ones [`TrustPolicy::add_principals`]
    /// counts as already trusted.
    pub fn trusted_aws_principals(&self) -> Vec<String> {
        let mut seen = Vec::new();
        for statement in self.statements().into_iter().filter(|s| grants_unconditional_assume_role(s)) {
            let Some(aws) = statement.get("Principal").and_then(|p| p.get("AWS")) else { continue };
            for arn in strings(aws) {
                if !seen.iter().any(|s: &String| s == arn) {
                    seen.push(arn.to_owned());
                }
            }
        }
        seen
    }

    /// The identities this policy does not trust yet (see [`TrustPolicy::trusted_aws_principals`]),
    /// each once, in the order given.
    pub fn untrusted<'a>(&self, identities: &'a [WorkloadIdentityArn]) -> Vec<&'a WorkloadIdentityArn> {
        let trusted = self.trusted_aws_principals();
        unique(identities).into_iter().filter(|id| !trusted.iter().any(|t| t == id.as_str())).collect()
    }

    /// Trusts `identities`, changing as little as possible. Idempotent: when every identity
    /// is already trusted the result is byte-identical.
    ///
    /// Missing ARNs go into the first unconditional `Allow` + `sts:AssumeRole` statement
    /// whose `Principal` is only `{"AWS": ...}` (and not `*`); with none, a new statement
    /// is appended. No other statement, principal, condition or field changes.
    pub fn add_principals(&self, identities: &[WorkloadIdentityArn]) -> TrustPolicy {
        let missing: Vec<Value> =
            self.untrusted(identities).into_iter().map(|id| Value::from(id.as_str())).collect();
        if missing.is_empty() {
            return self.clone();
        }
        let mut doc = self.doc.clone();
        let Some(statement) = doc.get_mut("Statement") else { return self.clone() };
        let target = statement_list(statement).iter().position(|s| is_merge_target(s));
        match target {
            Some(index) => {
                let aws = statement_at_mut(statement, index)
                    .and_then(|s| s.get_mut("Principal"))
                    .and_then(|p| p.get_mut("AWS"));
                if let Some(aws) = aws {
                    append_strings(aws, missing);
                }
            }
            None => push_statement(statement, new_statement(missing)),
        }
        Self { doc }
    }

    /// Stops trusting `identities` (undo, revoke). Removes them from the `AWS` principal of
    /// unconditional `Allow` + `sts:AssumeRole` statements only. A statement left with no
    /// principal at all is removed; a list left with one ARN becomes a string, as IAM
    /// stores it. Nothing else changes; without a match the result is byte-identical.
    pub fn remove_principals(&self, identities: &[WorkloadIdentityArn]) -> TrustPolicy {
        let doomed: HashSet<&str> = identities.iter().map(WorkloadIdentityArn::as_str).collect();
        let mut doc = self.doc.clone();
        let Some(statement) = doc.get_mut("Statement") else { return self.clone() };
        let count = statement_list(statement).len();
        let mut changed = false;
        // Backwards, so removing a statement does not shift the ones still to visit.
        for index in (0..count).rev() {
            let Some(stmt) = statement_at_mut(statement, index) else { continue };
            if !grants_unconditional_assume_role(stmt) {
                continue;
            }
            let Some(Value::Object(principal)) = stmt.get_mut("Principal") else { continue };
            let Some(aws) = principal.get_mut("AWS") else { continue };
            let emptied = match aws {
                Value::String(arn) if doomed.contains(arn.as_str()) => true,
                Value::Array(items) => {
                    let before = items.len();
                    items.retain(|v| !v.as_str().is_some_and(|arn| doomed.contains(arn)));
                    if items.len() == before {
                        continue;
                    }
                    if items.len() == 1 {
                        let only = items.remove(0);
                        *aws = only;
                    }
                    items_empty(aws)
                }
                _ => continue,
            };
            changed = true;
            if emptied {
                // `shift_remove` keeps the order of the other principal types.
                principal.shift_remove("AWS");
                if principal.is_empty() {
                    remove_statement(statement, index);
                }
            }
        }
        if changed { Self { doc } } else { self.clone() }
    }

    /// Appends `statement` unless an equivalent one (see [`TrustPolicy::semantically_equal`])
    /// is already there. Anything but a JSON object is not a statement and is ignored.
    pub fn add_statement(&self, statement: Value) -> TrustPolicy {
        if !statement.is_object() {
            return self.clone();
        }
        let wanted = normalize_statement(&statement);
        if self.statements().into_iter().any(|s| normalize_statement(&Value::Object(s.clone())) == wanted) {
            return self.clone();
        }
        let mut doc = self.doc.clone();
        if let Some(list) = doc.get_mut("Statement") {
            push_statement(list, statement);
        }
        Self { doc }
    }

    /// Same meaning to IAM, as far as can be told offline: equal up to JSON whitespace, key
    /// order, a single statement object vs. a one-element array, and a string vs. an array
    /// (order and repeats aside) in principals, actions, resources and condition values.
    pub fn semantically_equal(&self, other: &TrustPolicy) -> bool {
        normalize(&self.doc) == normalize(&other.doc)
    }

    /// The length IAM checks against the trust policy quota. IAM does not count
    /// whitespace, and we send the compact form, so this is its length in characters.
    pub fn iam_character_count(&self) -> usize {
        self.to_compact_json().chars().count()
    }

    /// Characters IAM refuses in `AssumeRolePolicyDocument` (it takes only tab, LF, CR and
    /// U+0020–U+00FF), each once, in order of appearance.
    pub fn refused_characters(&self) -> Vec<char> {
        refused_characters(&self.to_compact_json())
    }
}

impl TryFrom<Value> for TrustPolicy {
    type Error = DomainError;
    fn try_from(value: Value) -> Result<Self, Self::Error> {
        Self::from_value(value)
    }
}

impl From<TrustPolicy> for Value {
    fn from(policy: TrustPolicy) -> Self {
        policy.doc
    }
}

/// Characters IAM refuses in a policy document (it takes only tab, LF, CR and
/// U+0020–U+00FF, in trust and permission policies alike), each once, in order of appearance.
pub(crate) fn refused_characters(text: &str) -> Vec<char> {
    let mut refused = Vec::new();
    for c in text.chars() {
        let allowed = matches!(c, '\t' | '\n' | '\r' | '\u{20}'..='\u{ff}');
        if !allowed && !refused.contains(&c) {
            refused.push(c);
        }
    }
    refused
}

// ---- reading statements (shared with the lints) ----

/// A string or the strings of an array; anything else (IAM would refuse it) reads as none.
pub(crate) fn strings(value: &Value) -> Vec<&str> {
    match value {
        Value::String(s) => vec![s.as_str()],
        Value::Array(items) => items.iter().filter_map(Value::as_str).collect(),
        _ => Vec::new(),
    }
}

pub(crate) fn is_allow(statement: &Map<String, Value>) -> bool {
    statement.get("Effect").and_then(Value::as_str) == Some("Allow")
}

/// A missing `Condition` and an empty one mean the same to IAM.
pub(crate) fn has_condition(statement: &Map<String, Value>) -> bool {
    match statement.get("Condition") {
        None => false,
        Some(Value::Object(map)) => !map.is_empty(),
        Some(_) => true,
    }
}

/// Whether the statement's `Action` (not `NotAction`) covers `action`, with IAM's
/// case-insensitive `*`/`?` wildcards (`sts:*`, `*`, `sts:Assume*`).
pub(crate) fn action_covers(statement: &Map<String, Value>, action: &str) -> bool {
    statement
        .get("Action")
        .is_some_and(|actions| strings(actions).into_iter().any(|a| wildcard_match(a, action)))
}

/// Whether the statement names `action` literally (case-insensitively), without wildcards.
pub(crate) fn action_names(statement: &Map<String, Value>, action: &str) -> bool {
    statement
        .get("Action")
        .is_some_and(|actions| strings(actions).into_iter().any(|a| a.eq_ignore_ascii_case(action)))
}

/// `Allow`, `sts:AssumeRole` covered by `Action`, no `NotAction`, no `NotPrincipal`, no
/// condition: the principals it names can assume the role, full stop.
pub(crate) fn grants_unconditional_assume_role(statement: &Map<String, Value>) -> bool {
    is_allow(statement)
        && !statement.contains_key("NotPrincipal")
        && !statement.contains_key("NotAction")
        && !has_condition(statement)
        && action_covers(statement, ASSUME_ROLE)
}

/// IAM's `*`/`?` matching, case-insensitive (action names are).
pub(crate) fn wildcard_match(pattern: &str, text: &str) -> bool {
    glob_match(&pattern.to_ascii_lowercase(), &text.to_ascii_lowercase())
}

/// `*`/`?` matching as it is written, case-sensitive (condition values, `StringLike`).
/// Backtracks on the last `*` only, which is enough for globs without character classes.
pub(crate) fn glob_match(pattern: &str, text: &str) -> bool {
    let pattern: Vec<char> = pattern.chars().collect();
    let text: Vec<char> = text.chars().collect();
    let (mut p, mut t) = (0, 0);
    // Where the last `*` was and where in the text it started matching, for backtracking.
    let mut star: Option<(usize, usize)> = None;
    while t < text.len() {
        match pattern.get(p) {
            Some('*') => {
                star = Some((p, t));
                p += 1;
            }
            Some(&c) if c == '?' || c == text[t] => {
                p += 1;
                t += 1;
            }
            _ => match star {
                Some((star_p, star_t)) => {
                    p = star_p + 1;
                    t = star_t + 1;
                    star = Some((star_p, star_t + 1));
                }
                None => return false,
            },
        }
    }
    pattern[p..].iter().all(|c| *c == '*')
}

// ---- editing ----

fn new_statement(arns: Vec<Value>) -> Value {
    json!({"Effect": "Allow", "Principal": {"AWS": arns}, "Action": ASSUME_ROLE})
}

/// Where new ARNs may go without changing what anyone else is allowed: an unconditional
/// AssumeRole statement that names AWS principals only. A `*` list is skipped so that
/// Astro's access does not vanish when someone fixes that wildcard.
fn is_merge_target(statement: &Map<String, Value>) -> bool {
    if !grants_unconditional_assume_role(statement) {
        return false;
    }
    let Some(Value::Object(principal)) = statement.get("Principal") else { return false };
    if principal.len() != 1 {
        return false;
    }
    match principal.get("AWS") {
        Some(Value::String(arn)) => arn != "*",
        Some(Value::Array(items)) => {
            !items.is_empty() && items.iter().all(|v| v.as_str().is_some_and(|arn| arn != "*"))
        }
        _ => false,
    }
}

fn append_strings(aws: &mut Value, mut arns: Vec<Value>) {
    match aws {
        Value::Array(items) => items.append(&mut arns),
        other => {
            let mut items = vec![other.take()];
            items.append(&mut arns);
            *other = Value::Array(items);
        }
    }
}

fn items_empty(value: &Value) -> bool {
    value.as_array().is_some_and(Vec::is_empty)
}

fn statement_list(statement: &Value) -> Vec<&Map<String, Value>> {
    match statement {
        Value::Object(one) => vec![one],
        Value::Array(items) => items.iter().filter_map(Value::as_object).collect(),
        _ => Vec::new(),
    }
}

fn statement_at_mut(statement: &mut Value, index: usize) -> Option<&mut Map<String, Value>> {
    match statement {
        Value::Object(one) if index == 0 => Some(one),
        Value::Array(items) => items.get_mut(index).and_then(Value::as_object_mut),
        _ => None,
    }
}

/// A single statement object becomes `[old, new]`: IAM accepts both shapes.
fn push_statement(statement: &mut Value, new: Value) {
    match statement {
        Value::Array(items) => items.push(new),
        other => {
            let old = other.take();
            *other = Value::Array(vec![old, new]);
        }
    }
}

fn remove_statement(statement: &mut Value, index: usize) {
    match statement {
        Value::Array(items) if index < items.len() => {
            items.remove(index);
        }
        Value::Object(_) => *statement = Value::Array(Vec::new()),
        _ => {}
    }
}

fn unique(identities: &[WorkloadIdentityArn]) -> Vec<&WorkloadIdentityArn> {
    let mut out: Vec<&WorkloadIdentityArn> = Vec::new();
    for id in identities {
        if !out.contains(&id) {
            out.push(id);
        }
    }
    out
}

// ---- semantic comparison ----

/// IAM reads these as sets of strings: a string is a one-element set.
const SET_VALUED: [&str; 4] = ["Action", "NotAction", "Resource", "NotResource"];

fn normalize(doc: &Value) -> Value {
    let mut doc = doc.clone();
    if let Some(statement) = doc.get_mut("Statement") {
        let list = match statement.take() {
            Value::Array(items) => items,
            one => vec![one],
        };
        *statement = Value::Array(list.iter().map(normalize_statement).collect());
    }
    doc
}

fn normalize_statement(statement: &Value) -> Value {
    let mut statement = statement.clone();
    let Some(map) = statement.as_object_mut() else { return statement };
    for key in SET_VALUED {
        if let Some(value) = map.get_mut(key) {
            *value = as_set(value);
        }
    }
    for key in ["Principal", "NotPrincipal"] {
        if let Some(Value::Object(types)) = map.get_mut(key) {
            types.values_mut().for_each(|v| *v = as_set(v));
        }
    }
    if let Some(Value::Object(operators)) = map.get_mut("Condition") {
        for keys in operators.values_mut().filter_map(Value::as_object_mut) {
            keys.values_mut().for_each(|v| *v = as_set(v));
        }
    }
    statement
}

fn as_set(value: &Value) -> Value {
    let all_strings = match value {
        Value::String(_) => true,
        Value::Array(items) => items.iter().all(Value::is_string),
        _ => false,
    };
    if !all_strings {
        return value.clone();
    }
    let mut set: Vec<&str> = strings(value);
    set.sort_unstable();
    set.dedup();
    Value::Array(set.into_iter().map(Value::from).collect())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn arn(name: &str) -> WorkloadIdentityArn {
        WorkloadIdentityArn::parse(&format!("arn:aws:iam::123456789012:role/{name}")).expect("valid ARN")
    }

    fn policy(text: &str) -> TrustPolicy {
        TrustPolicy::parse(text).expect("valid policy")
    }

    fn compact(text: &str) -> String {
        policy(text).to_compact_json()
    }

    #[test]
    fn parse_errors_name_line_and_column() {
        let err = TrustPolicy::parse("{\n  \"Version\": \"2012-10-17\"\n  \"Statement\": []\n}")
            .expect_err("comma");
        assert_eq!(err.field(), "trust_policy");
        assert_eq!(err.to_string(), "trust_policy: malformed JSON at line 3, column 3: expected `,` or `}`");
        let err = TrustPolicy::parse("%7B%22Version%22").expect_err("url-encoded");
        assert_eq!(err.hint(), "this looks URL-encoded, as GetRole returns it; decode it first");
    }

    #[test]
    fn parse_requires_an_object_with_statements() {
        let problem = |text: &str| TrustPolicy::parse(text).expect_err("invalid").to_string();
        assert_eq!(problem("[]"), "trust_policy: must be a JSON object with a Statement, got an array");
        assert_eq!(problem("{\"Version\":\"2012-10-17\"}"), "trust_policy: has no Statement");
        assert_eq!(
            problem("{\"Statement\":\"x\"}"),
            "trust_policy: Statement must be an object or an array of objects, got a string"
        );
        assert_eq!(
            problem("{\"Statement\":[{}, 3]}"),
            "trust_policy: Statement item 2 is a number, not an object"
        );
    }

    #[test]
    fn round_trips_key_order_and_unknown_fields() {
        let text = r#"{"Statement":{"Sid":"","Action":"sts:AssumeRole","Principal":{"AWS":"111122223333"},"Effect":"Allow","X":1},"Id":"x","Version":"2012-10-17"}"#;
        assert_eq!(compact(text), text);
        assert_eq!(compact("{ \"Statement\" : [ ] }"), "{\"Statement\":[]}");
    }

    #[test]
    fn pretty_uses_two_spaces() {
        let pretty = policy(r#"{"Version":"2012-10-17","Statement":[]}"#).to_pretty_json();
        assert_eq!(pretty, "{\n  \"Version\": \"2012-10-17\",\n  \"Statement\": []\n}");
    }

    #[test]
    fn new_for_is_the_documented_policy() {
        let p = TrustPolicy::new_for(&[arn("a"), arn("b"), arn("a")]);
        assert_eq!(
            p.to_compact_json(),
            r#"{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"AWS":["arn:aws:iam::123456789012:role/a","arn:aws:iam::123456789012:role/b"]},"Action":"sts:AssumeRole"}]}"#
        );
    }

    #[test]
    fn add_extends_a_string_principal_into_an_array() {
        let p = policy(
            r#"{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"AWS":"arn:aws:iam::123456789012:role/x"},"Action":"sts:AssumeRole"}]}"#,
        );
        let after = p.add_principals(&[arn("a"), arn("b")]);
        assert_eq!(
            after.to_compact_json(),
            r#"{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"AWS":["arn:aws:iam::123456789012:role/x","arn:aws:iam::123456789012:role/a","arn:aws:iam::123456789012:role/b"]},"Action":"sts:AssumeRole"}]}"#
        );
        assert_eq!(after.add_principals(&[arn("b"), arn("x")]).to_compact_json(), after.to_compact_json());
    }

    #[test]
    fn add_appends_to_an_array_principal() {
        let p = policy(
            r#"{"Statement":[{"Effect":"Allow","Action":["sts:AssumeRole","sts:TagSession"],"Principal":{"AWS":["arn:aws:iam::123456789012:role/x"]}}]}"#,
        );
        assert_eq!(
            p.add_principals(&[arn("a")]).to_compact_json(),
            r#"{"Statement":[{"Effect":"Allow","Action":["sts:AssumeRole","sts:TagSession"],"Principal":{"AWS":["arn:aws:iam::123456789012:role/x","arn:aws:iam::123456789012:role/a"]}}]}"#
        );
    }

    #[test]
    fn add_never_joins_conditional_mixed_or_wildcard_statements() {
        let statements = [
            // Conditional: the new ARN would inherit the ExternalId requirement.
            r#"{"Effect":"Allow","Principal":{"AWS":"arn:aws:iam::123456789012:role/a"},"Action":"sts:AssumeRole","Condition":{"StringEquals":{"sts:ExternalId":"x"}}}"#,
            // Mixed principal types.
            r#"{"Effect":"Allow","Principal":{"AWS":"111122223333","Service":"ec2.amazonaws.com"},"Action":"sts:AssumeRole"}"#,
            // Deny, other actions, NotAction, NotPrincipal, wildcard principal.
            r#"{"Effect":"Deny","Principal":{"AWS":"111122223333"},"Action":"sts:AssumeRole"}"#,
            r#"{"Effect":"Allow","Principal":{"AWS":"111122223333"},"Action":"sts:TagSession"}"#,
            r#"{"Effect":"Allow","Principal":{"AWS":"111122223333"},"NotAction":"sts:TagSession"}"#,
            r#"{"Effect":"Allow","NotPrincipal":{"AWS":"111122223333"},"Action":"sts:AssumeRole"}"#,
            r#"{"Effect":"Allow","Principal":{"AWS":"*"},"Action":"sts:AssumeRole"}"#,
            r#"{"Effect":"Allow","Principal":"*","Action":"sts:AssumeRole"}"#,
        ];
        for statement in statements {
            let text = format!(r#"{{"Version":"2012-10-17","Statement":{statement}}}"#);
            let after = policy(&text).add_principals(&[arn("a")]);
            assert_eq!(
                after.to_compact_json(),
                format!(
                    r#"{{"Version":"2012-10-17","Statement":[{statement},{{"Effect":"Allow","Principal":{{"AWS":["arn:aws:iam::123456789012:role/a"]}},"Action":"sts:AssumeRole"}}]}}"#
                ),
                "{statement}"
            );
        }
    }

    #[test]
    fn already_trusted_counts_wildcard_actions_and_empty_conditions() {
        for action in [r#""sts:*""#, r#""*""#, r#"["sts:TagSession","STS:assumerole"]"#, r#""sts:Assume*""#] {
            let text = format!(
                r#"{{"Statement":[{{"Effect":"Allow","Principal":{{"AWS":["arn:aws:iam::123456789012:role/a"]}},"Action":{action},"Condition":{{}}}}]}}"#
            );
            let p = policy(&text);
            assert_eq!(p.trusted_aws_principals(), ["arn:aws:iam::123456789012:role/a"], "{action}");
            assert_eq!(p.add_principals(&[arn("a")]).to_compact_json(), p.to_compact_json(), "{action}");
        }
        let p = policy(
            r#"{"Statement":[{"Effect":"Allow","Principal":{"AWS":"arn:aws:iam::123456789012:role/a"},"Action":"sts:AssumeRoleWithSAML"}]}"#,
        );
        assert!(p.trusted_aws_principals().is_empty());
    }

    #[test]
    fn remove_collapses_and_drops_empty_statements() {
        let original = policy(
            r#"{"Statement":{"Effect":"Allow","Principal":{"AWS":"arn:aws:iam::123456789012:role/x"},"Action":"sts:AssumeRole"}}"#,
        );
        let added = original.add_principals(&[arn("a")]);
        let removed = added.remove_principals(&[arn("a")]);
        assert_eq!(
            removed.to_compact_json(),
            r#"{"Statement":{"Effect":"Allow","Principal":{"AWS":"arn:aws:iam::123456789012:role/x"},"Action":"sts:AssumeRole"}}"#
        );
        // Only ARNs in the statement: the statement goes, a Statement object becomes [].
        assert_eq!(original.remove_principals(&[arn("x")]).to_compact_json(), r#"{"Statement":[]}"#);

        let mixed = policy(
            r#"{"Statement":[{"Effect":"Allow","Principal":{"Service":"ec2.amazonaws.com","AWS":["arn:aws:iam::123456789012:role/a"]},"Action":"sts:AssumeRole"},{"Effect":"Allow","Principal":{"AWS":["arn:aws:iam::123456789012:role/a","arn:aws:iam::123456789012:role/b"]},"Action":"sts:AssumeRole"}]}"#,
        );
        assert_eq!(
            mixed.remove_principals(&[arn("a")]).to_compact_json(),
            r#"{"Statement":[{"Effect":"Allow","Principal":{"Service":"ec2.amazonaws.com"},"Action":"sts:AssumeRole"},{"Effect":"Allow","Principal":{"AWS":"arn:aws:iam::123456789012:role/b"},"Action":"sts:AssumeRole"}]}"#
        );
    }

    #[test]
    fn remove_leaves_conditional_statements_alone() {
        let text = r#"{"Statement":[{"Effect":"Allow","Principal":{"AWS":"arn:aws:iam::123456789012:role/a"},"Action":"sts:AssumeRole","Condition":{"Bool":{"aws:MultiFactorAuthPresent":"true"}}}]}"#;
        assert_eq!(policy(text).remove_principals(&[arn("a")]).to_compact_json(), text);
    }

    #[test]
    fn semantic_equality_ignores_shape_not_meaning() {
        let a = policy(
            r#"{"Version":"2012-10-17","Statement":{"Effect":"Allow","Principal":{"AWS":"x"},"Action":"sts:AssumeRole","Condition":{"StringEquals":{"k":"v"}}}}"#,
        );
        let b = policy(
            r#"{ "Statement": [ { "Action": ["sts:AssumeRole"], "Effect": "Allow", "Principal": {"AWS": ["x"]}, "Condition": {"StringEquals": {"k": ["v"]}} } ], "Version": "2012-10-17" }"#,
        );
        assert!(a.semantically_equal(&b));
        let c = policy(
            r#"{"Version":"2012-10-17","Statement":{"Effect":"Allow","Principal":{"AWS":"y"},"Action":"sts:AssumeRole","Condition":{"StringEquals":{"k":"v"}}}}"#,
        );
        assert!(!a.semantically_equal(&c));
        let d = policy(
            r#"{"Version":"2012-10-17","Statement":{"Effect":"Allow","Principal":{"AWS":"x"},"Action":"sts:AssumeRole"}}"#,
        );
        assert!(!a.semantically_equal(&d));
    }

    #[test]
    fn add_statement_is_idempotent() {
        let statement =
            json!({"Effect":"Allow","Principal":{"Service":"ec2.amazonaws.com"},"Action":"sts:AssumeRole"});
        let once = TrustPolicy::empty().add_statement(statement.clone());
        assert_eq!(once.statements().len(), 1);
        assert_eq!(once.add_statement(statement).to_compact_json(), once.to_compact_json());
        let equivalent = json!({"Action":["sts:AssumeRole"],"Effect":"Allow","Principal":{"Service":["ec2.amazonaws.com"]}});
        assert_eq!(once.add_statement(equivalent).statements().len(), 1);
        assert_eq!(once.add_statement(json!("not a statement")), once);
    }

    #[test]
    fn counts_characters_without_whitespace_and_finds_refused_ones() {
        let p = policy("{ \"Statement\" : [ ] ,\n \"Sid\": \"caf\u{e9} \u{20ac}\u{1f680}\u{20ac}\" }");
        assert_eq!(p.iam_character_count(), r#"{"Statement":[],"Sid":"café €🚀€"}"#.chars().count());
        assert_eq!(p.iam_character_count(), 33);
        assert_eq!(p.refused_characters(), ['\u{20ac}', '\u{1f680}']);
        assert!(policy(r#"{"Statement":[],"Sid":"ÿ\t"}"#).refused_characters().is_empty());
    }

    #[test]
    fn wildcards_match_like_iam() {
        assert!(wildcard_match("sts:*", "sts:AssumeRole"));
        assert!(wildcard_match("*", "sts:AssumeRole"));
        assert!(wildcard_match("sts:Assume?ole", "sts:AssumeRole"));
        assert!(wildcard_match("*:*Role", "sts:AssumeRole"));
        assert!(!wildcard_match("sts:AssumeRole?", "sts:AssumeRole"));
        assert!(!wildcard_match("sts:AssumeRoleWith*", "sts:AssumeRole"));
        assert!(!wildcard_match("s3:*", "sts:AssumeRole"));
    }

    #[test]
    fn serde_validates_the_document() {
        let p: TrustPolicy = serde_json::from_str(r#"{"Statement":[]}"#).expect("valid");
        assert_eq!(serde_json::to_string(&p).expect("serialize"), r#"{"Statement":[]}"#);
        assert!(serde_json::from_str::<TrustPolicy>("[]").is_err());
    }
}
