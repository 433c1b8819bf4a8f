//! [`Rule`]: the run-time rule a property value breaks, with its numbers.

use std::fmt;

use dfinery_schema::DataType;

use crate::encode::value::ValueError;

/// A run-time rule a property value breaks.
///
/// Messages are predicates that follow the property's path, e.g.
/// ``"`event_properties.tags`: has 12 elements; at most 10 are allowed (`max_items`)"`` (with
/// `max_items = 10`).
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
#[non_exhaustive]
pub enum Rule {
    /// An event or property name that breaks the naming rule
    /// (`^[A-Za-z][A-Za-z0-9_]*$`, at most 100 characters).
    #[error("{0}")]
    BadName(dfinery_schema::names::NameError),
    /// A Double that is NaN or infinite. (A NaN given to a dynamic builder fails earlier, in
    /// the conversion to [`Value`](crate::Value), and is reported as
    /// [`Rule::Invalid`]`(`[`ValueError::NotFinite`]`)` with the same message.)
    #[error("must be a finite number (found {found})")]
    NotFinite {
        /// The number that was given.
        found: f64,
    },
    /// A string longer than the property's `max_len`.
    #[error("is {chars} characters long; at most {max} are allowed")]
    TooLong {
        /// The string's length in characters.
        chars: usize,
        /// The property's `max_len`.
        max: usize,
    },
    /// A string that is not one of the property's enum values.
    #[error(
        "is `{}`, which is not one of {}",
        dfinery_schema::names::shown(found),
        Backticked(allowed)
    )]
    NotInEnum {
        /// The string that was given.
        found: String,
        /// The registered values.
        allowed: &'static [&'static str],
    },
    /// An array with more elements than the property's `max_items` (DFINERY itself does not
    /// limit the number of values in an array).
    #[error("has {len} elements; at most {max} are allowed (`max_items`)")]
    TooManyElements {
        /// The array's length.
        len: usize,
        /// The property's `max_items`.
        max: usize,
    },
    /// A value whose JSON text is larger than DFINERY's 8 KB limit.
    #[error("is {bytes} bytes of JSON; at most {max} are allowed")]
    TooLarge {
        /// The size of the value's JSON text in bytes.
        bytes: usize,
        /// The limit, [`MAX_VALUE_BYTES`](crate::limits::MAX_VALUE_BYTES).
        max: usize,
    },
    /// One element of an array breaks a rule.
    #[error("element {index} {rule}")]
    Element {
        /// The element's index, from 0.
        index: usize,
        /// The rule it breaks.
        rule: Box<Rule>,
    },
    /// A value of another DFINERY type than the registered one.
    #[error("is of type {found}; the property is registered as {expected}")]
    WrongType {
        /// The registered type.
        expected: DataType,
        /// The value's type.
        found: DataType,
    },
    /// A required property that is absent.
    #[error("is required but missing")]
    Missing,
    /// An event with more items than one request may carry: DFINERY takes at most 100 items
    /// per request, all events together, so a single event cannot have more.
    #[error(
        "has {len} items; DFINERY takes at most {max} items in one request, all events together, so split the items over several events"
    )]
    TooManyItems {
        /// The number of items.
        len: usize,
        /// The limit, [`MAX_ITEMS_PER_REQUEST`](crate::limits::MAX_ITEMS_PER_REQUEST).
        max: usize,
    },
    /// A `df_items` key among an event's properties: DFINERY refuses it there (`40001`).
    #[error(
        "is the event's items, which travel in `event_items`, never among its properties; add each item with `.item(...)`"
    )]
    ItemsInProperties,
    /// An event whose `event_log_id` is the nil UUID (all zeroes). DFINERY keeps one event per
    /// `event_log_id`, so every event sent with the same id after the first is dropped as a
    /// duplicate: a nil id, given for "none", would lose them all but one.
    #[error(
        "is the nil UUID (all zeroes); DFINERY keeps one event per `event_log_id` and drops the rest as duplicates, so give each event its own id (leave it out and a random one is made, or derive one from the event's own key with `Uuid::new_v5`)"
    )]
    NilEventLogId,
    /// An event whose items are required, sent with none.
    #[error("is empty; this event needs at least one item")]
    NoItems,
    /// `null` (from [`Patch::Clear`](crate::Patch::Clear)) outside `user_properties`.
    #[error(
        "is `null`, which only user properties accept (to clear them); leave the property out instead"
    )]
    NullOutsideUserProperties,
    /// A value that is not a valid DFINERY value, e.g. a date in the year 10000.
    #[error(transparent)]
    Invalid(#[from] ValueError),
    /// A [`PropertyValue`](crate::PropertyValue) implementation wrote text that is not JSON.
    #[error("is not valid JSON ({reason}); the `PropertyValue` impl that wrote it is wrong")]
    MalformedJson {
        /// The JSON parser's message.
        reason: String,
    },
}

impl Rule {
    /// Wraps this rule as broken by element `index` of an array.
    pub(crate) fn at_element(self, index: usize) -> Rule {
        Rule::Element {
            index,
            rule: Box::new(self),
        }
    }
}

/// Formats `["a", "b"]` as `` `a`, `b` ``.
struct Backticked<'a>(&'a [&'a str]);

impl fmt::Display for Backticked<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        for (i, value) in self.0.iter().enumerate() {
            if i > 0 {
                f.write_str(", ")?;
            }
            write!(f, "`{value}`")?;
        }
        Ok(())
    }
}
