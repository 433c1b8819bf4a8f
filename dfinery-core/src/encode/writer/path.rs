//! [`ObjectPath`]: which JSON object of a request a writer is writing, for violation paths.

use std::fmt;

/// Which JSON object of a request an [`ObjectWriter`](super::ObjectWriter) is writing; it
/// prefixes the path of each [`Violation`](super::Violation), e.g. `event_items[2].df_price`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub(crate) enum ObjectPath {
    /// `events[].event_properties`.
    EventProperties,
    /// `events[].event_items[index]`.
    Item(usize),
    /// `user_properties`.
    UserProperties,
}

impl fmt::Display for ObjectPath {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            ObjectPath::EventProperties => f.write_str("event_properties"),
            ObjectPath::Item(index) => write!(f, "event_items[{index}]"),
            ObjectPath::UserProperties => f.write_str("user_properties"),
        }
    }
}
