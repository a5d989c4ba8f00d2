//! "Who can assume this role?": every statement of a trust policy in plain words — who it
//! names, for which actions, under which conditions — for the trust editor's panel. The
//! evaluator (`trust_eval`) answers for one caller; this lists them all.

use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};

use super::trust_policy::TrustPolicy;

/// One statement, read out.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "specta", derive(specta::Type))]
#[serde(rename_all = "camelCase")]
pub struct Admission {
    /// 1-based.
    pub number: u32,
    pub sid: Option<String>,
    /// `Allow`, `Deny`, or what the statement says.
    pub effect: String,
    /// "anyone", "role astro-x in account 111122223333", "every principal of account …",
    /// "the OIDC provider oidc.astronomer.io/aws", "anyone except …".
    pub who: Vec<String>,
    pub actions: Vec<String>,
    /// "sts:ExternalId is a1b2", "…:sub is like system:serviceaccount:ns:*"; empty: always.
    pub conditions: Vec<String>,
}

fn texts(value: Option<&Value>) -> Vec<String> {
    match value {
        Some(Value::String(s)) => vec![s.clone()],
        Some(Value::Array(items)) => {
            items.iter().map(|v| v.as_str().map_or_else(|| v.to_string(), str::to_owned)).collect()
        }
        Some(other) => vec![other.to_string()],
        None => Vec::new(),
    }
}

/// An AWS principal entry in words.
fn aws_words(entry: &str) -> String {
    if entry == "*" {
        return String::from("any AWS principal");
    }
    if entry.len() == 12 && entry.bytes().all(|b| b.is_ascii_digit()) {
        return format!("every principal of account {entry} its own policies allow");
    }
    let parts: Vec<&str> = entry.splitn(6, ':').collect();
    if let [_, _, _, _, account, resource] = parts[..] {
        let (kind, rest) = resource.split_once('/').unwrap_or((resource, ""));
        return match kind {
            "root" => format!("every principal of account {account} its own policies allow"),
            "role" => format!("role {rest} in account {account} (and its sessions)"),
            "user" => format!("user {rest} in account {account}"),
            "assumed-role" => format!("session {rest} in account {account}"),
            _ => entry.to_owned(),
        };
    }
    entry.to_owned()
}

fn principal_words(field: &Value) -> Vec<String> {
    if field.as_str() == Some("*") {
        return vec![String::from("anyone")];
    }
    let Some(map) = field.as_object() else { return vec![field.to_string()] };
    let mut out = Vec::new();
    for (kind, values) in map {
        for value in texts(Some(values)) {
            out.push(match kind.as_str() {
                "AWS" => aws_words(&value),
                "Federated" => match value.split_once(":oidc-provider/") {
                    Some((_, url)) => format!("the OIDC provider {url}"),
                    None => format!("federated users of {value}"),
                },
                "Service" => format!("the service {value}"),
                other => format!("{other} {value}"),
            });
        }
    }
    out
}

fn condition_words(condition: Option<&Value>) -> Vec<String> {
    let Some(Value::Object(blocks)) = condition else {
        return condition.map(|c| vec![c.to_string()]).unwrap_or_default();
    };
    let mut out = Vec::new();
    for (operator, keys) in blocks {
        let Some(keys) = keys.as_object() else {
            out.push(format!("{operator} {keys}"));
            continue;
        };
        let verb = operator_verb(operator);
        for (key, values) in keys {
            out.push(format!("{key} {verb} {}", texts(Some(values)).join(" or ")));
        }
    }
    out
}

fn operator_verb(operator: &str) -> String {
    let (base, if_exists) = match operator.strip_suffix("IfExists") {
        Some(base) => (base, " (when present)"),
        None => (operator, ""),
    };
    let verb = match base.rsplit(':').next().unwrap_or(base) {
        "StringEquals" | "ArnEquals" | "NumericEquals" | "DateEquals" | "Bool" => "is",
        "StringEqualsIgnoreCase" => "is (any case)",
        "StringNotEquals" | "ArnNotEquals" | "NumericNotEquals" | "DateNotEquals" => "is not",
        "StringNotEqualsIgnoreCase" => "is not (any case)",
        "StringLike" | "ArnLike" => "is like",
        "StringNotLike" | "ArnNotLike" => "is not like",
        "NumericLessThan" | "DateLessThan" => "is before / below",
        "NumericLessThanEquals" | "DateLessThanEquals" => "is at most",
        "NumericGreaterThan" | "DateGreaterThan" => "is after / above",
        "NumericGreaterThanEquals" | "DateGreaterThanEquals" => "is at least",
        "Null" => "is absent",
        other => other,
    };
    let qualifier = if base.starts_with("ForAllValues:") {
        "every value "
    } else if base.starts_with("ForAnyValue:") {
        "any value "
    } else {
        ""
    };
    format!("{qualifier}{verb}{if_exists}")
}

fn admission(number: usize, statement: &Map<String, Value>) -> Admission {
    let mut who = match (statement.get("Principal"), statement.get("NotPrincipal")) {
        (Some(p), _) => principal_words(p),
        (None, Some(p)) => principal_words(p).into_iter().map(|w| format!("anyone except {w}")).collect(),
        (None, None) => vec![String::from("no one (no Principal)")],
    };
    who.dedup();
    let actions = match (statement.get("Action"), statement.get("NotAction")) {
        (Some(a), _) => texts(Some(a)),
        (None, Some(a)) => texts(Some(a)).into_iter().map(|a| format!("anything but {a}")).collect(),
        (None, None) => Vec::new(),
    };
    Admission {
        number: u32::try_from(number + 1).unwrap_or(u32::MAX),
        sid: statement.get("Sid").and_then(Value::as_str).map(str::to_owned),
        effect: statement.get("Effect").and_then(Value::as_str).unwrap_or("(no Effect)").to_owned(),
        who,
        actions,
        conditions: condition_words(statement.get("Condition")),
    }
}

/// Every statement read out, in order.
pub fn who_can_assume(policy: &TrustPolicy) -> Vec<Admission> {
    policy.statements().into_iter().enumerate().map(|(i, s)| admission(i, s)).collect()
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    #[test]
    fn every_statement_reads_out_in_words() {
        let policy = TrustPolicy::from_value(json!({"Version": "2012-10-17", "Statement": [
            {"Sid": "Astro", "Effect": "Allow", "Principal": {"AWS": ["arn:aws:iam::111122223333:role/astro-x", "444455556666"]},
             "Action": "sts:AssumeRole", "Condition": {"StringEquals": {"sts:ExternalId": "a1b2"}}},
            {"Effect": "Allow", "Principal": {"Federated": "arn:aws:iam::123456789012:oidc-provider/oidc.astronomer.io/aws"},
             "Action": "sts:AssumeRoleWithWebIdentity",
             "Condition": {"StringLike": {"oidc.astronomer.io/aws:sub": ["system:serviceaccount:ns:*"]},
                           "ForAnyValue:StringEqualsIfExists": {"aws:TagKeys": "team"}}},
            {"Effect": "Deny", "NotPrincipal": {"Service": "ec2.amazonaws.com"}, "NotAction": "sts:TagSession"}
        ]}))
        .expect("valid");
        let read = who_can_assume(&policy);
        assert_eq!(read.len(), 3);
        assert_eq!(read[0].sid.as_deref(), Some("Astro"));
        assert_eq!(
            read[0].who,
            [
                "role astro-x in account 111122223333 (and its sessions)",
                "every principal of account 444455556666 its own policies allow",
            ]
        );
        assert_eq!(read[0].conditions, ["sts:ExternalId is a1b2"]);
        assert_eq!(read[1].who, ["the OIDC provider oidc.astronomer.io/aws"]);
        assert_eq!(
            read[1].conditions,
            [
                "oidc.astronomer.io/aws:sub is like system:serviceaccount:ns:*",
                "aws:TagKeys any value is (when present) team",
            ]
        );
        assert_eq!(read[2].effect, "Deny");
        assert_eq!(read[2].who, ["anyone except the service ec2.amazonaws.com"]);
        assert_eq!(read[2].actions, ["anything but sts:TagSession"]);
    }
}
