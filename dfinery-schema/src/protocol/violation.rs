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
    /// `` `path`: expected (rule) ``.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "`{}`: {} ({})", self.path, self.expected, self.rule)
    }
}
