use thiserror::Error;

/// Everything the domain refuses. Each variant names the field and how to fix it, because
/// these messages reach people verbatim.
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

    /// How to fix it, in one sentence.
    pub fn hint(&self) -> &str {
        match self {
            Self::Invalid { hint, .. } => hint,
        }
    }
}
