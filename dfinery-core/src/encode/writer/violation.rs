//! [`Violation`]: one broken rule, with the JSON path of the value that broke it.

use std::borrow::Cow;
use std::fmt;

use crate::encode::property::Rule;

/// One broken rule: which value, and what is wrong with it.
///
/// Displays as `` `event_items[2].df_price`: must be a finite number (found NaN) ``.
#[derive(Debug, Clone, PartialEq)]
#[non_exhaustive]
pub struct Violation {
    /// The JSON path of the value inside the event or profile, e.g. `event_properties.df_price`
    /// or `event_items[2].df_price`; `event_items` for rules about the items as a whole.
    pub path: String,
    /// The property's registered name, e.g. `df_price` (`event_items` for rules about the items
    /// as a whole, `event_name` for the name of a dynamic event).
    pub property: Cow<'static, str>,
    /// The rule that is broken.
    pub rule: Rule,
}

impl fmt::Display for Violation {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "`{}`: {}", shown_path(&self.path), self.rule)
    }
}

/// The longest path [`Violation`]'s `Display` quotes whole, in characters: a valid one (an
/// item's index and a name of at most 100 characters) is far shorter.
const MAX_SHOWN_PATH: usize = 160;

/// `path` as a message quotes it: control characters escaped, and a path holding a name of
/// a megabyte (a key given at run time) cut to its start and `…`.
fn shown_path(path: &str) -> Cow<'_, str> {
    dfinery_schema::names::shown_within(path, MAX_SHOWN_PATH, 40)
}
