//! [`ServerViolation`]: one broken rule as a refusal lists it in its `data`.

use std::fmt;

use serde::{Deserialize, Serialize};

/// One broken rule of a refused request, as the emulator lists them in the `data` of a `40000`
/// or `40001` answer (and of an export's `invalid_parameter`): `{"path", "rule", "expected"}`.
/// DFINERY itself documents no such list, so a reader takes every field as optional
/// (`docs/protocol.md` §6.1).
///
/// `rule` is one of `json`, `content_type`, `shape`, `unknown_field`, `count`,
/// `items_per_request`, `items_per_event`, `identity`, `required`, `unknown_event`,
/// `unknown_property`, `uuid`, `datetime`, `type`, `enum`, `max_len`, `max_items`,
/// `max_value_bytes` (import), or `parameter`, `date_range` (export); a last `truncated` entry
/// (path `$`) counts the violations past the first 100 that are not listed. The emulator's
/// refusals before the body (kept in its rejections, not answered) use `required`,
/// `service_id` and `token`.
///
/// ```
/// use dfinery_schema::protocol::ServerViolation;
/// let v = ServerViolation::new("events[0].event_properties.df_price", "type", "a Double");
/// assert_eq!(v.to_string(), "`events[0].event_properties.df_price`: a Double (type)");
/// ```
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[non_exhaustive]
pub struct ServerViolation {
    /// Where, as a JSON path, e.g. `events[3].event_properties.df_price`; `$` is the body.
    #[serde(default)]
    pub path: String,
    /// The rule, e.g. `type`.
    #[serde(default)]
    pub rule: String,
    /// What was expected, in words, e.g. `a Double (JSON number), found a string`.
    #[serde(default)]
    pub expected: String,
}

impl ServerViolation {
    /// A violation of `rule` at `path`.
    pub fn new(
        path: impl Into<String>,
        rule: &str,
        expected: impl Into<String>,
    ) -> ServerViolation {
        ServerViolation {
            path: path.into(),
            rule: rule.to_owned(),
            expected: expected.into(),
        }
    }
}

impl fmt::Display for ServerViolation {
    /// `` `path`: expected (rule) ``, each field as the server wrote it but with its control
    /// characters escaped (a path holds the request's keys: one with a line break made the
    /// error two lines, one with an escape coloured the terminal), and a field of over 2,000
    /// characters (twice what the emulator writes) cut to its first 1,000 and `…`.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let shown = |text| crate::names::shown_within(text, 2_000, 1_000);
        write!(
            f,
            "`{}`: {} ({})",
            shown(&self.path),
            shown(&self.expected),
            shown(&self.rule)
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_path_with_a_line_break_or_an_escape_stays_on_one_line() {
        // The emulator names a key as it was sent (`user_properties.a\nb`): the client's error
        // listed it raw, on two lines, the escape colouring the terminal.
        let v = ServerViolation::new(
            "user_properties.a\nb\u{1b}[31m",
            "unknown_property",
            "a user property registered in the console",
        );
        assert_eq!(
            v.to_string(),
            "`user_properties.a\\nb\\u{1b}[31m`: a user property registered in the console \
             (unknown_property)"
        );
        // A server's text of a megabyte is quoted by its start.
        let long = ServerViolation::new("p", "type", "x".repeat(100_000));
        assert_eq!(
            long.to_string(),
            format!("`p`: {}… (type)", "x".repeat(1_000))
        );
    }
}
