//! An offline evaluator of a role's trust policy: "can this caller assume this role with this
//! action?", answered the way IAM evaluates the resource policy side of `sts:AssumeRole*`.
//! No tool the user has answers it: the policy simulator ignores trust policies, Access
//! Analyzer validates rather than evaluates, and moto's STS lets anyone assume any role.
//!
//! What it implements (AWS, "Policy evaluation logic" and "IAM JSON policy elements"):
//! <https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_evaluation-logic.html>,
//! <https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_elements_condition_operators.html>,
//! <https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_condition-single-vs-multi-valued-context-keys.html>.
//!
//! - A statement applies when its `Principal` names the caller (or `NotPrincipal` does not),
//!   its `Action` matches (or `NotAction` does not; `*` and `?` wildcards, case-insensitive),
//!   and every condition holds.
//! - An explicit `Deny` that applies wins; otherwise an `Allow` that applies allows; otherwise
//!   the request is implicitly denied.
//! - Principals: `*`; `AWS` as an account id or `arn:aws:iam::ACCOUNT:root` (any principal of
//!   that account), a role ARN (the role and its sessions, whatever their path), a user ARN,
//!   an assumed-role session ARN, `*`; `Federated` and `Service` by exact name. Partial
//!   wildcards are not principals IAM accepts: they match nothing.
//! - Conditions: operators AND, keys AND, values OR. `String*` (`…IgnoreCase`, `…Like` with
//!   `*`/`?`), `Arn*`, `Bool`, `Null`, `Numeric*`, `Date*`, the `IfExists` suffix, and the
//!   `ForAnyValue:` / `ForAllValues:` qualifiers. Key names are case-insensitive. A key missing
//!   from the request makes a condition false, except: `…IfExists` and negated operators
//!   (`…Not…`) are true, `ForAllValues:` is true, `Null` tests for exactly that.
//! - What the app cannot know is never guessed: a key the caller did not supply and that the
//!   request itself does not settle (`aws:PrincipalOrgID`, `aws:SourceIp`, …), an operator or
//!   principal type it does not implement, a value it cannot parse — each makes the statement
//!   "cannot decide", and the answer `Undecidable` unless another statement settles it (an
//!   applying `Deny` still denies).
//!
//! Only the role's side: a cross-account caller also needs its own account to allow
//! `sts:AssumeRole` on the role, and SCPs or permission boundaries can deny it; neither is here.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};

use super::statement_edit::OPERATORS;
use super::trust_policy::{TrustPolicy, glob_match, wildcard_match};

/// Who is asking.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "specta", derive(specta::Type))]
#[serde(tag = "kind", content = "value", rename_all = "camelCase")]
pub enum AssumeCaller {
    /// An IAM role, user, assumed-role session or account root, by ARN.
    Aws(String),
    /// A web identity provider: its IAM provider ARN, or a name such as `accounts.google.com`.
    Federated(String),
    /// An AWS service principal, e.g. `ec2.amazonaws.com`.
    Service(String),
}

/// One `AssumeRole*` request, with the context keys the caller can vouch for.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "specta", derive(specta::Type))]
#[serde(rename_all = "camelCase")]
pub struct AssumeRequest {
    pub caller: AssumeCaller,
    /// `sts:AssumeRole`, `sts:AssumeRoleWithWebIdentity`, `sts:TagSession`, …
    pub action: String,
    /// Condition keys (any case) and their values. `aws:PrincipalArn`, `aws:PrincipalAccount`
    /// and `aws:PrincipalType` are filled from an AWS caller when not given.
    pub context: BTreeMap<String, Vec<String>>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "specta", derive(specta::Type))]
#[serde(rename_all = "camelCase")]
pub enum Decision {
    Allowed,
    Denied,
    /// Depends on something the app cannot know; `reason` says what.
    Undecidable,
}

impl Decision {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Allowed => "allowed",
            Self::Denied => "denied",
            Self::Undecidable => "undecidable",
        }
    }
}

/// Whether one statement applies to the request.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "specta", derive(specta::Type))]
#[serde(rename_all = "camelCase")]
pub enum Applies {
    Yes,
    No,
    Unknown,
}

/// What one statement said about the request.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "specta", derive(specta::Type))]
#[serde(rename_all = "camelCase")]
pub struct StatementFinding {
    /// 1-based, as people count statements.
    pub number: u32,
    pub sid: Option<String>,
    /// `Allow` or `Deny`.
    pub effect: String,
    pub applies: Applies,
    /// Why, in words: what matched, or the first thing that did not (or could not be told).
    pub why: String,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "specta", derive(specta::Type))]
#[serde(rename_all = "camelCase")]
pub struct Evaluation {
    pub decision: Decision,
    /// The deciding statements (for a denial without any, the closest ones).
    pub statements: Vec<StatementFinding>,
    /// The answer in one sentence; for a denial, what would have to change.
    pub reason: String,
}

/// Keys the request itself settles: when the caller did not give them, they are absent from
/// the real request too (a connection sends an external id only when configured to).
const SETTLED_BY_REQUEST: &[&str] = &[
    "sts:externalid",
    "aws:sourceidentity",
    "sts:sourceidentity",
    "aws:tagkeys",
    "sts:transitivetagkeys",
    "aws:principalarn",
    "aws:principalaccount",
    "aws:principaltype",
];

/// The request context: lower-cased keys, with the principal keys filled in.
struct Context {
    values: BTreeMap<String, Vec<String>>,
}

impl Context {
    fn new(request: &AssumeRequest) -> Self {
        let mut values: BTreeMap<String, Vec<String>> =
            request.context.iter().map(|(k, v)| (k.to_ascii_lowercase(), v.clone())).collect();
        if let AssumeCaller::Aws(arn) = &request.caller {
            let parsed = AwsPrincipal::parse(arn);
            if let Some(p) = &parsed {
                values.entry(String::from("aws:principalaccount")).or_insert_with(|| vec![p.account.clone()]);
                values.entry(String::from("aws:principalarn")).or_insert_with(|| vec![p.principal_arn()]);
                values.entry(String::from("aws:principaltype")).or_insert_with(|| vec![p.principal_type()]);
            }
        }
        Self { values }
    }

    /// `Some(values)` when known (empty = known absent); `None` when the app cannot know.
    fn get(&self, key: &str) -> Option<&[String]> {
        let key = key.to_ascii_lowercase();
        match self.values.get(&key) {
            Some(values) => Some(values),
            None if SETTLED_BY_REQUEST.contains(&key.as_str()) || key.starts_with("aws:requesttag/") => {
                Some(&[])
            }
            None => None,
        }
    }
}

/// An AWS principal ARN taken apart: enough to match it against `Principal` entries.
struct AwsPrincipal {
    account: String,
    /// `role`, `user`, `assumed-role`, `root`, `federated-user`.
    kind: String,
    /// The role or user name (without path); for a session, its role name.
    name: String,
    arn: String,
}

impl AwsPrincipal {
    fn parse(text: &str) -> Option<Self> {
        let text = text.trim();
        if text.len() == 12 && text.bytes().all(|b| b.is_ascii_digit()) {
            return Some(Self {
                account: text.to_owned(),
                kind: String::from("root"),
                name: String::new(),
                arn: text.to_owned(),
            });
        }
        let mut parts = text.splitn(6, ':');
        let (arn, _partition, service, _region, account, resource) =
            (parts.next()?, parts.next()?, parts.next()?, parts.next()?, parts.next()?, parts.next()?);
        if arn != "arn" || !(service == "iam" || service == "sts") || account.len() != 12 {
            return None;
        }
        let (kind, rest) = resource.split_once('/').unwrap_or((resource, ""));
        let name = match kind {
            "root" => String::new(),
            "assumed-role" => rest.split('/').next().unwrap_or_default().to_owned(),
            _ => rest.rsplit('/').next().unwrap_or_default().to_owned(),
        };
        Some(Self { account: account.to_owned(), kind: kind.to_owned(), name, arn: text.to_owned() })
    }

    /// `aws:PrincipalArn`: for a role session, the role's ARN (path not known: without).
    fn principal_arn(&self) -> String {
        match self.kind.as_str() {
            "assumed-role" => format!("arn:aws:iam::{}:role/{}", self.account, self.name),
            _ => self.arn.clone(),
        }
    }

    fn principal_type(&self) -> String {
        String::from(match self.kind.as_str() {
            "root" => "Account",
            "role" | "assumed-role" => "AssumedRole",
            "user" => "User",
            "federated-user" => "FederatedUser",
            _ => "Unknown",
        })
    }

    /// Whether the `Principal` entry `entry` names this caller.
    fn named_by(&self, entry: &str) -> bool {
        let entry = entry.trim();
        if entry == "*" {
            return true;
        }
        let Some(named) = AwsPrincipal::parse(entry) else { return false };
        if named.account != self.account {
            return false;
        }
        match named.kind.as_str() {
            "root" => true,
            // A session's ARN does not carry its role's path: it matches a role by name.
            "role" => {
                matches!(self.kind.as_str(), "role" | "assumed-role")
                    && named.name == self.name
                    && (self.kind == "assumed-role" || named.arn == self.arn)
            }
            "assumed-role" => self.kind == "assumed-role" && named.arn == self.arn,
            _ => named.kind == self.kind && named.arn == self.arn,
        }
    }
}

fn strings(value: &Value) -> Option<Vec<String>> {
    match value {
        Value::String(s) => Some(vec![s.clone()]),
        Value::Array(items) => items.iter().map(|v| v.as_str().map(str::to_owned)).collect(),
        Value::Bool(b) => Some(vec![b.to_string()]),
        Value::Number(n) => Some(vec![n.to_string()]),
        _ => None,
    }
}

enum Tri {
    Yes,
    No(String),
    Unknown(String),
}

fn principal_matches(statement: &Map<String, Value>, caller: &AssumeCaller) -> Tri {
    let (field, negated) = match (statement.get("Principal"), statement.get("NotPrincipal")) {
        (Some(p), _) => (p, false),
        (None, Some(p)) => (p, true),
        (None, None) => return Tri::No(String::from("it names no Principal")),
    };
    let named = match principal_named(field, caller) {
        Ok(named) => named,
        Err(why) => return Tri::Unknown(why),
    };
    let who = caller_words(caller);
    match (named, negated) {
        (true, false) => Tri::Yes,
        (false, true) => Tri::Yes,
        (false, false) => Tri::No(format!("its Principal does not name {who}")),
        (true, true) => Tri::No(format!("its NotPrincipal excludes {who}")),
    }
}

fn principal_named(field: &Value, caller: &AssumeCaller) -> Result<bool, String> {
    if field.as_str() == Some("*") {
        return Ok(true);
    }
    let Some(map) = field.as_object() else {
        return Err(String::from("its Principal is neither \"*\" nor an object"));
    };
    for (kind, values) in map {
        let values = strings(values).ok_or_else(|| format!("its {kind} principal is not text"))?;
        let hit = match (kind.as_str(), caller) {
            ("AWS", AssumeCaller::Aws(arn)) => match AwsPrincipal::parse(arn) {
                Some(p) => values.iter().any(|v| p.named_by(v)),
                None => return Err(format!("{arn} is not an AWS principal ARN the evaluator knows")),
            },
            ("AWS", _) => values.iter().any(|v| v == "*"),
            ("Federated", AssumeCaller::Federated(name)) | ("Service", AssumeCaller::Service(name)) => {
                values.iter().any(|v| v.eq_ignore_ascii_case(name))
            }
            ("Federated" | "Service", _) => false,
            ("CanonicalUser", _) => false,
            (other, _) => {
                return Err(format!("it names a {other} principal, which the evaluator does not know"));
            }
        };
        if hit {
            return Ok(true);
        }
    }
    Ok(false)
}

fn caller_words(caller: &AssumeCaller) -> String {
    match caller {
        AssumeCaller::Aws(arn) => arn.clone(),
        AssumeCaller::Federated(name) => format!("federated {name}"),
        AssumeCaller::Service(name) => format!("service {name}"),
    }
}

fn action_matches(statement: &Map<String, Value>, action: &str) -> Tri {
    let (field, negated, name) = match (statement.get("Action"), statement.get("NotAction")) {
        (Some(a), _) => (a, false, "Action"),
        (None, Some(a)) => (a, true, "NotAction"),
        (None, None) => return Tri::No(String::from("it names no Action")),
    };
    let Some(actions) = strings(field) else {
        return Tri::Unknown(format!("its {name} is not text"));
    };
    let hit = actions.iter().any(|a| wildcard_match(a, action));
    match (hit, negated) {
        (true, false) | (false, true) => Tri::Yes,
        (false, false) => Tri::No(format!("its Action is {}, not {action}", actions.join(", "))),
        (true, true) => Tri::No(format!("its NotAction excludes {action}")),
    }
}

/// An operator name taken apart: `ForAnyValue:StringLikeIfExists`.
struct Operator {
    qualifier: Option<&'static str>,
    base: String,
    if_exists: bool,
}

impl Operator {
    fn parse(name: &str) -> Self {
        let (qualifier, rest) = if let Some(rest) = strip_prefix_ci(name, "ForAnyValue:") {
            (Some("any"), rest)
        } else if let Some(rest) = strip_prefix_ci(name, "ForAllValues:") {
            (Some("all"), rest)
        } else {
            (None, name)
        };
        let (base, if_exists) = match rest.strip_suffix("IfExists") {
            Some(base) if base != "Null" => (base, true),
            _ => (rest, false),
        };
        Self { qualifier, base: base.to_owned(), if_exists }
    }

    fn negated(&self) -> bool {
        self.base.contains("Not")
    }
}

fn strip_prefix_ci<'a>(text: &'a str, prefix: &str) -> Option<&'a str> {
    // `get` refuses a cut inside a character: such text cannot start with an ASCII prefix.
    let head = text.get(..prefix.len())?;
    head.eq_ignore_ascii_case(prefix).then(|| &text[prefix.len()..])
}

/// Whether one request value satisfies the operator's positive form against one policy value;
/// `None` when it cannot be compared (unknown operator, unparsable number or date).
fn positive(base: &str, policy: &str, value: &str) -> Option<bool> {
    let positive_base = base.replace("Not", "");
    Some(match positive_base.as_str() {
        "StringEquals" => policy == value,
        "StringEqualsIgnoreCase" => policy.eq_ignore_ascii_case(value),
        "StringLike" => glob_match(policy, value),
        "ArnEquals" | "ArnLike" => arn_like(policy, value),
        "Bool" => policy.eq_ignore_ascii_case(value),
        "NumericEquals"
        | "NumericLessThan"
        | "NumericLessThanEquals"
        | "NumericGreaterThan"
        | "NumericGreaterThanEquals" => {
            compare(&positive_base["Numeric".len()..], number(value)?, number(policy)?)
        }
        "DateEquals"
        | "DateLessThan"
        | "DateLessThanEquals"
        | "DateGreaterThan"
        | "DateGreaterThanEquals" => compare(&positive_base["Date".len()..], date(value)?, date(policy)?),
        _ => return None,
    })
}

fn compare(how: &str, value: f64, policy: f64) -> bool {
    match how {
        "Equals" => value == policy,
        "LessThan" => value < policy,
        "LessThanEquals" => value <= policy,
        "GreaterThan" => value > policy,
        _ => value >= policy,
    }
}

fn number(text: &str) -> Option<f64> {
    text.trim().parse().ok()
}

/// Epoch seconds of `2026-01-31T12:00:00Z` (fraction and offset allowed), `2026-01-31`, or
/// a number of seconds.
fn date(text: &str) -> Option<f64> {
    let text = text.trim();
    if let Ok(seconds) = text.parse::<f64>() {
        return Some(seconds);
    }
    let (day, time) = text.split_once(['T', 't']).unwrap_or((text, "00:00:00Z"));
    let mut ymd = day.split('-').map(|p| p.parse::<i64>().ok());
    let (y, m, d) = (ymd.next()??, ymd.next()??, ymd.next()??);
    if ymd.next().is_some() || !(0..=9999).contains(&y) || !(1..=12).contains(&m) || !(1..=31).contains(&d) {
        return None;
    }
    let (clock, offset) = if let Some(clock) = time.strip_suffix(['Z', 'z']) {
        (clock, 0)
    } else if let Some(at) = time.rfind(['+', '-']) {
        let (clock, zone) = time.split_at(at);
        let sign = if zone.starts_with('-') { -1 } else { 1 };
        let (h, mi) = zone[1..].split_once(':')?;
        (clock, sign * (hour(h)? * 3600 + minute(mi)? * 60))
    } else {
        (time, 0)
    };
    let mut hms = clock.split(':');
    let h = hour(hms.next()?)?;
    let mi = minute(hms.next()?)?;
    let s: f64 = hms.next().unwrap_or("0").parse().ok().filter(|s: &f64| (0.0..61.0).contains(s))?;
    // Days from the civil date (Howard Hinnant's algorithm).
    let y = if m <= 2 { y - 1 } else { y };
    let era = y.div_euclid(400);
    let yoe = y - era * 400;
    let mp = (m + 9) % 12;
    let doy = (153 * mp + 2) / 5 + d - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    let days = era * 146_097 + doe - 719_468;
    Some((days * 86_400 + h * 3600 + mi * 60 - offset) as f64 + s)
}

fn hour(text: &str) -> Option<i64> {
    text.parse().ok().filter(|h| (0..=24).contains(h))
}

fn minute(text: &str) -> Option<i64> {
    text.parse().ok().filter(|m| (0..=59).contains(m))
}

/// ARN matching: six colon-separated parts, each matched with wildcards.
fn arn_like(policy: &str, value: &str) -> bool {
    let p: Vec<&str> = policy.splitn(6, ':').collect();
    let v: Vec<&str> = value.splitn(6, ':').collect();
    p.len() == 6 && v.len() == 6 && p.iter().zip(&v).all(|(p, v)| glob_match(p, v))
}

/// One operator block's verdict on one key.
fn key_holds(op: &Operator, key: &str, policy_values: &[String], context: &Context) -> Tri {
    let Some(present) = context.get(key) else {
        return Tri::Unknown(format!("it depends on {key}, which the request context does not give"));
    };
    let words = || format!("{key} {} {}", op.base, policy_values.join(" or "));
    if op.base == "Null" {
        let wanted = policy_values.iter().any(|v| v.eq_ignore_ascii_case("true"));
        return if present.is_empty() == wanted {
            Tri::Yes
        } else {
            Tri::No(format!("it needs {}", words()))
        };
    }
    if present.is_empty() {
        return if op.if_exists || op.negated() || op.qualifier == Some("all") {
            Tri::Yes
        } else {
            Tri::No(format!("it needs {} and the request has no {key}", words()))
        };
    }
    // A request value matches when its positive form holds against any policy value.
    let one = |value: &str| -> Option<bool> {
        let mut any = false;
        for policy in policy_values {
            any |= positive(&op.base, policy, value)?;
        }
        Some(if op.negated() { !any } else { any })
    };
    let mut results = Vec::new();
    for value in present {
        match one(value) {
            Some(result) => results.push(result),
            None => {
                return Tri::Unknown(format!(
                    "it uses {} on {key} with values the evaluator cannot compare",
                    op.base
                ));
            }
        }
    }
    let holds = match op.qualifier {
        Some("all") => results.iter().all(|r| *r),
        _ => results.iter().any(|r| *r),
    };
    if holds {
        Tri::Yes
    } else {
        Tri::No(format!("it needs {}; the request has {key} = {}", words(), present.join(", ")))
    }
}

fn conditions_hold(statement: &Map<String, Value>, context: &Context) -> Tri {
    let Some(condition) = statement.get("Condition") else { return Tri::Yes };
    let Some(blocks) = condition.as_object() else {
        return Tri::Unknown(String::from("its Condition is not an object"));
    };
    let mut unknown = None;
    for (name, keys) in blocks {
        let op = Operator::parse(name);
        // Binary and IP operators are known but not compared: `positive` makes them undecidable.
        if op.base != "Null" && !OPERATORS.iter().any(|k| k.eq_ignore_ascii_case(&op.base)) {
            unknown.get_or_insert_with(|| {
                format!("it uses the condition operator {name}, which the evaluator does not know")
            });
            continue;
        }
        let Some(keys) = keys.as_object() else {
            unknown.get_or_insert_with(|| format!("its {name} condition is not an object"));
            continue;
        };
        for (key, values) in keys {
            let Some(values) = strings(values) else {
                unknown.get_or_insert_with(|| format!("its {name} condition on {key} is not text"));
                continue;
            };
            match key_holds(&op, key, &values, context) {
                Tri::Yes => {}
                // One false condition settles it, whatever else is unknown.
                Tri::No(why) => return Tri::No(why),
                Tri::Unknown(why) => {
                    unknown.get_or_insert(why);
                }
            }
        }
    }
    match unknown {
        Some(why) => Tri::Unknown(why),
        None => Tri::Yes,
    }
}

fn finding(
    number: usize,
    statement: &Map<String, Value>,
    request: &AssumeRequest,
    context: &Context,
) -> StatementFinding {
    let effect = statement.get("Effect").and_then(Value::as_str).unwrap_or_default().to_owned();
    let sid = statement.get("Sid").and_then(Value::as_str).map(str::to_owned);
    let (applies, why) = if effect != "Allow" && effect != "Deny" {
        (Applies::Unknown, format!("its Effect is {effect:?}"))
    } else {
        match (principal_matches(statement, &request.caller), action_matches(statement, &request.action)) {
            (Tri::No(why), _) | (_, Tri::No(why)) => (Applies::No, why),
            (Tri::Unknown(why), _) | (_, Tri::Unknown(why)) => (Applies::Unknown, why),
            (Tri::Yes, Tri::Yes) => match conditions_hold(statement, context) {
                Tri::Yes => (
                    Applies::Yes,
                    format!("it names {} for {}", caller_words(&request.caller), request.action),
                ),
                Tri::No(why) => (Applies::No, why),
                Tri::Unknown(why) => (Applies::Unknown, why),
            },
        }
    };
    StatementFinding { number: u32::try_from(number + 1).unwrap_or(u32::MAX), sid, effect, applies, why }
}

fn label(finding: &StatementFinding) -> String {
    match &finding.sid {
        Some(sid) if !sid.is_empty() => format!("statement {} ({sid})", finding.number),
        _ => format!("statement {}", finding.number),
    }
}

/// Evaluates `request` against `policy`. Never fails: what it cannot tell is `Undecidable`.
pub fn evaluate(policy: &TrustPolicy, request: &AssumeRequest) -> Evaluation {
    let context = Context::new(request);
    let findings: Vec<StatementFinding> =
        policy.statements().into_iter().enumerate().map(|(i, s)| finding(i, s, request, &context)).collect();
    let pick = |effect: &str, applies: Applies| -> Vec<StatementFinding> {
        findings.iter().filter(|f| f.effect == effect && f.applies == applies).cloned().collect()
    };
    let who = caller_words(&request.caller);
    let (deny_yes, deny_unknown) = (pick("Deny", Applies::Yes), pick("Deny", Applies::Unknown));
    let (allow_yes, allow_unknown) = (pick("Allow", Applies::Yes), pick("Allow", Applies::Unknown));
    let odd: Vec<StatementFinding> =
        findings.iter().filter(|f| f.effect != "Allow" && f.effect != "Deny").cloned().collect();
    if let Some(deny) = deny_yes.first() {
        return Evaluation {
            decision: Decision::Denied,
            reason: format!(
                "{} explicitly denies {who}: {}. Remove or narrow that Deny.",
                capital(&label(deny)),
                deny.why
            ),
            statements: deny_yes,
        };
    }
    if let Some(allow) = allow_yes.first() {
        if let Some(deny) = deny_unknown.first().or(odd.first()) {
            return Evaluation {
                decision: Decision::Undecidable,
                reason: format!(
                    "{} allows {who}, but {} might deny it: {}.",
                    capital(&label(allow)),
                    label(deny),
                    deny.why
                ),
                statements: [allow_yes.clone(), vec![deny.clone()]].concat(),
            };
        }
        return Evaluation {
            decision: Decision::Allowed,
            reason: format!("{} allows it: {}.", capital(&label(allow)), allow.why),
            statements: allow_yes,
        };
    }
    if let Some(allow) = allow_unknown.first() {
        return Evaluation {
            decision: Decision::Undecidable,
            reason: format!("{} might allow {who}: {}.", capital(&label(allow)), allow.why),
            statements: allow_unknown,
        };
    }
    if let Some(statement) = odd.first() {
        return Evaluation {
            decision: Decision::Undecidable,
            reason: format!(
                "{} cannot be read: {}. IAM refuses such a policy.",
                capital(&label(statement)),
                statement.why
            ),
            statements: odd,
        };
    }
    let allows: Vec<StatementFinding> = findings.iter().filter(|f| f.effect == "Allow").cloned().collect();
    let reason = match allows.iter().find(|f| !f.why.contains("does not name")).or(allows.first()) {
        None => {
            format!("No statement allows anything, so {who} is denied: add an Allow statement naming it.")
        }
        Some(closest) => format!(
            "No statement allows {who} to {}: {} does not apply because {}. Change that, or add a statement naming it.",
            request.action,
            label(closest),
            closest.why
        ),
    };
    Evaluation { decision: Decision::Denied, statements: allows, reason }
}

fn capital(text: &str) -> String {
    let mut chars = text.chars();
    chars.next().map(|c| c.to_uppercase().chain(chars).collect()).unwrap_or_default()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn wildcards_match_as_iam_reads_them() {
        for (pattern, text, expected) in [
            ("sts:*", "sts:AssumeRole", true),
            ("sts:AssumeRol?", "sts:AssumeRole", true),
            ("sts:AssumeRol?", "sts:AssumeRol", false),
            ("*", "", true),
            ("a*b*c", "aXXbYYc", true),
            ("a*b*c", "aXXbYY", false),
            ("system:serviceaccount:ns:*", "system:serviceaccount:ns:ns-worker", true),
            ("system:serviceaccount:ns:*", "system:serviceaccount:other:x", false),
            ("ünï*", "ünïcode", true),
        ] {
            assert_eq!(glob_match(pattern, text), expected, "{pattern} ~ {text}");
        }
    }

    #[test]
    fn dates_read_as_epoch_seconds_and_nonsense_is_not_a_date() {
        assert_eq!(date("1970-01-01T00:00:00Z"), Some(0.0));
        assert_eq!(date("2000-03-01T00:00:00Z"), Some(951_868_800.0));
        assert_eq!(date("2026-12-05T12:00:00+02:00"), date("2026-12-05T10:00:00Z"));
        assert_eq!(date("2026-12-05"), date("2026-12-05T00:00:00Z"));
        assert_eq!(date("1700000000"), Some(1_700_000_000.0));
        for bad in [
            "soon",
            "2026-13-01",
            "99999999999-01-01",
            "2026-01-01T99:00:00Z",
            "2026-01-01T00:00:00+ab:00",
            "",
        ] {
            assert_eq!(date(bad), None, "{bad}");
        }
    }

    #[test]
    fn operator_names_come_apart() {
        let op = Operator::parse("ForAllValues:StringNotLikeIfExists");
        assert_eq!(
            (op.qualifier, op.base.as_str(), op.if_exists, op.negated()),
            (Some("all"), "StringNotLike", true, true)
        );
        let op = Operator::parse("Null");
        assert_eq!((op.qualifier, op.base.as_str(), op.if_exists), (None, "Null", false));
        assert!(strip_prefix_ci("forAnyValue:X", "ForAnyValue:").is_some());
        assert!(strip_prefix_ci("é", "ForAnyValue:").is_none());
    }
}
