//! A wrapper for values that must never be printed, logged or serialized.

use std::fmt;

/// Holds a secret. `Debug` and `Display` print `<redacted>`; it implements neither
/// `Serialize` nor `Clone`, so a secret cannot cross the IPC boundary, reach a log line or
/// be copied by accident. The only way out is [`Sensitive::expose`], which is easy to grep.
///
/// This must keep failing to compile (checked by `cargo test --doc`):
/// ```compile_fail
/// fn needs_serialize<T: serde::Serialize>(_: &T) {}
/// needs_serialize(&astro_identity_domain::Sensitive::new(String::from("x")));
/// ```
pub struct Sensitive<T>(T);

impl<T> Sensitive<T> {
    pub fn new(value: T) -> Self {
        Self(value)
    }

    /// Borrow the secret. Call sites are the audit list of where secrets are used.
    pub fn expose(&self) -> &T {
        &self.0
    }

    pub fn into_inner(self) -> T {
        self.0
    }
}

impl<T> fmt::Debug for Sensitive<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("<redacted>")
    }
}

impl<T> fmt::Display for Sensitive<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("<redacted>")
    }
}

impl From<String> for Sensitive<String> {
    fn from(value: String) -> Self {
        Self(value)
    }
}

impl<T: PartialEq> PartialEq for Sensitive<T> {
    fn eq(&self, other: &Self) -> bool {
        self.0 == other.0
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn debug_and_display_never_show_the_value() {
        let secret = Sensitive::new(String::from("wJalrXUtnFEMI/K7MDENG"));
        assert_eq!(format!("{secret:?}"), "<redacted>");
        assert_eq!(format!("{secret}"), "<redacted>");
        let nested = Some(vec![secret]);
        assert!(!format!("{nested:?}").contains("wJalr"));
    }

    #[test]
    fn expose_returns_the_value() {
        let secret = Sensitive::new(String::from("s3cr3t"));
        assert_eq!(secret.expose(), "s3cr3t");
        assert_eq!(secret.into_inner(), "s3cr3t");
    }
}
