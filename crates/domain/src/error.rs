use thiserror::Error;

/// Everything the domain refuses. Each variant names the field and how to fix it. `Display`
/// is `field: problem` (the CLI names the flag from it, logs keep the field); the window shows
/// [`DomainError::sentence`], the same problem as a sentence for people.
#[derive(Debug, Error, Clone, PartialEq, Eq)]
pub enum DomainError {
    #[error("{field}: {problem}")]
    Invalid { field: &'static str, problem: String, hint: String },
}

impl DomainError {
    pub fn invalid(field: &'static str, problem: impl Into<String>, hint: impl Into<String>) -> Self {
        Self::Invalid { field, problem: problem.into(), hint: hint.into() }
    }

    /// The field the error is about, for inline display next to it.
    pub fn field(&self) -> &'static str {
        match self {
            Self::Invalid { field, .. } => field,
        }
    }

    /// What is wrong, as a sentence for people: "The member is empty", "Account must be 12
    /// digits, got 5" (no `field:` prefix, no closing period: the hint follows).
    pub fn sentence(&self) -> String {
        match self {
            Self::Invalid { field, problem, .. } => sentence(field, problem),
        }
    }

    /// How to fix it, in one sentence.
    pub fn hint(&self) -> &str {
        match self {
            Self::Invalid { hint, .. } => hint,
        }
    }
}

/// Problems that start with a verb ("is empty") are about their field, which becomes the
/// sentence's subject; every other problem already is a sentence.
const VERBS: [&str; 10] =
    ["is ", "must ", "contains ", "has ", "needs ", "cannot ", "was ", "does ", "should ", "already "];

/// The field as a person names it, as a sentence's subject.
fn subject(field: &str) -> String {
    let name = match field {
        "project_id" => "project ID",
        "conn_id" => "connection id",
        "iam_policy" => "IAM policy",
        "role_arn" => "role ARN",
        "scope_entity_id" => "id",
        "batch" => "batch file",
        other => return format!("The {}", other.replace('_', " ")),
    };
    format!("The {name}")
}

/// `problem` about `field` as a sentence for people: "The member is empty", "Account must be
/// 12 digits, got 5". No closing period: the hint follows it.
pub fn sentence(field: &str, problem: &str) -> String {
    let problem = problem.trim().trim_end_matches('.');
    if VERBS.iter().any(|verb| problem.starts_with(verb)) {
        format!("{} {problem}", subject(field))
    } else {
        capitalized(problem)
    }
}

/// `text` with its first letter upper-case.
pub fn capitalized(text: &str) -> String {
    let mut chars = text.chars();
    match chars.next() {
        Some(first) => first.to_uppercase().chain(chars).collect(),
        None => String::new(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn messages_read_as_sentences_without_the_field_prefix() {
        let err = DomainError::invalid("identity", "account must be 12 digits, got 5", "Copy the whole ARN.");
        assert_eq!(err.sentence(), "Account must be 12 digits, got 5");
        assert_eq!(err.to_string(), "identity: account must be 12 digits, got 5");
        assert_eq!(DomainError::invalid("member", "is empty", "").sentence(), "The member is empty");
        assert_eq!(
            DomainError::invalid("project_id", "is required (or a service account to impersonate)", "")
                .sentence(),
            "The project ID is required (or a service account to impersonate)"
        );
        assert_eq!(
            DomainError::invalid("role_name", "must be 1-64 characters.", "").sentence(),
            "The role name must be 1-64 characters"
        );
        assert_eq!(
            DomainError::invalid("trust_policy", "statement 2: Principal is not an object", "").sentence(),
            "Statement 2: Principal is not an object"
        );
        assert_eq!(capitalized(""), "");
        assert_eq!(capitalized("éclair"), "Éclair");
    }
}
