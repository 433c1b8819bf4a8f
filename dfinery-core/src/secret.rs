//! [`Secret`]: an API token that never prints itself.

use std::fmt;
use std::sync::Arc;

/// An API token (Import or Export). `Debug` and `Display` print `***`, so a token never shows up
/// in logs, error messages or panics; only [`expose`](Secret::expose) reveals it, and the client
/// calls it only to write the request header (marked sensitive).
///
/// ```
/// use dfinery_core::Secret;
///
/// let token = Secret::from("s3cr3t-import-token");
/// assert_eq!(format!("{token:?} {token}"), "Secret(***) ***");
/// assert_eq!(token.expose(), "s3cr3t-import-token");
/// ```
///
/// Cloning is cheap (a reference count). It has no `Serialize`, no `PartialEq` and no
/// `Deref<Target = str>`, so it cannot leak by accident.
#[derive(Clone)]
pub struct Secret(Arc<str>);

impl Secret {
    /// Wraps a token.
    pub(crate) fn new(token: impl Into<String>) -> Secret {
        Secret(Arc::from(token.into()))
    }

    /// The token itself. Call it only where the token must go on the wire.
    pub fn expose(&self) -> &str {
        &self.0
    }

    /// Whether the token is empty or only white space.
    #[cfg(feature = "client")]
    pub(crate) fn is_blank(&self) -> bool {
        self.0.trim().is_empty()
    }
}

impl fmt::Debug for Secret {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("Secret(***)")
    }
}

impl fmt::Display for Secret {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("***")
    }
}

impl From<String> for Secret {
    fn from(token: String) -> Secret {
        Secret::new(token)
    }
}

impl From<&str> for Secret {
    fn from(token: &str) -> Secret {
        Secret::new(token)
    }
}

#[cfg(test)]
mod tests {
    use super::Secret;

    #[test]
    fn neither_debug_nor_display_shows_the_token() {
        let token = Secret::new("tok-123");
        let shown = format!("{token:?} {token} {token:#?} {:>10}", token);
        assert!(!shown.contains("tok-123"), "{shown}");
        assert_eq!(token.expose(), "tok-123");
    }

    #[test]
    #[cfg(feature = "client")]
    fn blank_tokens_are_recognised() {
        assert!(Secret::new(" \t").is_blank());
        assert!(Secret::new("").is_blank());
        assert!(!Secret::from("x").is_blank());
    }
}
