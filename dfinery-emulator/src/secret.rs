//! Tokens: compared in constant time, never printed.

use std::fmt;

use subtle::ConstantTimeEq;

/// An API token the emulator expects. `Debug` prints `***`.
#[derive(Clone, PartialEq, Eq)]
pub(crate) struct Token(String);

impl Token {
    pub(crate) fn new(token: impl Into<String>) -> Token {
        Token(token.into())
    }

    /// Whether `presented` is this token, compared in constant time for equal lengths.
    pub(crate) fn matches(&self, presented: &[u8]) -> bool {
        self.0.as_bytes().ct_eq(presented).into()
    }

    /// The token text, for tests that need to send it.
    pub(crate) fn expose(&self) -> &str {
        &self.0
    }
}

impl fmt::Debug for Token {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("***")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tokens_match_exactly_and_never_print() {
        let token = Token::new("import-token");
        assert!(token.matches(b"import-token"));
        assert!(!token.matches(b"import-tokeN"));
        assert!(!token.matches(b"import-token "));
        assert!(!token.matches(b""));
        assert_eq!(format!("{token:?}"), "***");
    }
}
