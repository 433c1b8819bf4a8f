//! [`PropertyDef::check`]: every rule a registered property puts on a value, so the emulator
//! applies exactly the registry's rules.

use std::fmt;

use super::TypeMismatch;
use crate::limits::MAX_VALUE_BYTES;
use crate::{JsonView, PropertyDef, suggest};

/// One rule a value breaks; see [`PropertyDef::check`].
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum RuleViolation {
    /// The value has the wrong shape for the property's type.
    Type(TypeMismatch),
    /// A string (or array element) is not one of the property's `enum` values.
    NotInEnum {
        /// The value sent.
        value: String,
        /// The allowed values, in registry order.
        allowed: Vec<String>,
        /// The array index, for an array element.
        index: Option<usize>,
    },
    /// A string (or array element) is longer than the property's `max_len`.
    TooLong {
        /// Its length in characters.
        len: usize,
        /// The registered `max_len`.
        max_len: usize,
        /// The array index, for an array element.
        index: Option<usize>,
    },
    /// An array has more elements than the property's `max_items`.
    MaxItems {
        /// The number of elements sent.
        len: usize,
        /// The registered `max_items`.
        max_items: usize,
    },
    /// The value's JSON text is larger than [`MAX_VALUE_BYTES`].
    TooLarge {
        /// The value's size in bytes of JSON text.
        bytes: usize,
    },
}

impl RuleViolation {
    /// A short, stable name of the rule: `type`, `enum`, `max_len`, `max_items` or
    /// `max_value_bytes` (what the emulator reports as the violated rule).
    pub fn rule(&self) -> &'static str {
        match self {
            RuleViolation::Type(_) => "type",
            RuleViolation::NotInEnum { .. } => "enum",
            RuleViolation::TooLong { .. } => "max_len",
            RuleViolation::MaxItems { .. } => "max_items",
            RuleViolation::TooLarge { .. } => "max_value_bytes",
        }
    }
}

impl fmt::Display for RuleViolation {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            RuleViolation::Type(mismatch) => mismatch.fmt(f),
            RuleViolation::NotInEnum {
                value,
                allowed,
                index,
            } => {
                write!(f, "{} `", subject(*index))?;
                write_cut(f, value)?;
                f.write_str("` is not allowed; expected one of ")?;
                write_list(f, allowed)?;
                if let Some(close) = suggest(value, allowed.iter().map(String::as_str)) {
                    write!(f, "; did you mean `{close}`?")?;
                }
                Ok(())
            }
            RuleViolation::TooLong {
                len,
                max_len,
                index,
            } => write!(
                f,
                "{} is {len} characters long; `max_len` is {max_len}",
                subject(*index)
            ),
            RuleViolation::MaxItems { len, max_items } => {
                write!(f, "array has {len} elements; `max_items` is {max_items}")
            }
            RuleViolation::TooLarge { bytes } => write!(
                f,
                "value is {bytes} bytes of JSON; DFINERY allows at most {MAX_VALUE_BYTES}"
            ),
        }
    }
}

impl std::error::Error for RuleViolation {}

fn subject(index: Option<usize>) -> String {
    match index {
        Some(i) => format!("element {i}"),
        None => "value".to_owned(),
    }
}

/// A value longer than this many characters is quoted by its start only.
const SHOWN_VALUE_CHARS: usize = 100;

/// How many characters of a value too long to quote whole are shown, as a type mismatch shows
/// a string not in the Datetime or Date format.
const SHOWN_VALUE_START: usize = 40;

/// Writes `value` escaped, cut to its first [`SHOWN_VALUE_START`] characters and `…` when it
/// is longer than [`SHOWN_VALUE_CHARS`]: a value of a megabyte does not make a message of one.
fn write_cut(f: &mut fmt::Formatter<'_>, value: &str) -> fmt::Result {
    match value.char_indices().nth(SHOWN_VALUE_CHARS) {
        Some(_) => {
            let end = value
                .char_indices()
                .nth(SHOWN_VALUE_START)
                .map_or(value.len(), |(at, _)| at);
            write!(f, "{}…", value[..end].escape_debug())
        }
        None => write!(f, "{}", value.escape_debug()),
    }
}

/// The most `enum` values a message lists; a longer enum is listed by its first ones and its
/// count.
const LISTED_VALUES: usize = 20;

/// Writes `` `a`, `b`, `c` ``: the first [`LISTED_VALUES`] values (each cut as [`write_cut`]
/// cuts), then `…` and the count of all when there are more, so an enum of thousands of
/// values does not make each message list them all.
fn write_list(f: &mut fmt::Formatter<'_>, values: &[String]) -> fmt::Result {
    for (i, v) in values.iter().take(LISTED_VALUES).enumerate() {
        if i > 0 {
            f.write_str(", ")?;
        }
        f.write_str("`")?;
        write_cut(f, v)?;
        f.write_str("`")?;
    }
    if values.len() > LISTED_VALUES {
        write!(f, ", … ({} values)", values.len())?;
    }
    Ok(())
}

impl PropertyDef {
    /// Checks `value` against every rule of this property: its type
    /// ([`DataType::check`](crate::DataType::check)), then `enum`, `max_len`, `max_items` and
    /// the [`MAX_VALUE_BYTES`] size limit. DFINERY puts no limit on the number of values in an
    /// array: only a registered `max_items` does.
    ///
    /// A type mismatch is reported alone (the other rules make no sense then); otherwise every
    /// broken rule is listed. `null` is a type mismatch: clearing a user property with `null`
    /// is the caller's decision.
    ///
    /// ```
    /// use dfinery_schema::{catalog, JsonView};
    /// let gender = catalog::standard_user_property("df_gender").unwrap();
    /// assert!(gender.check(&JsonView::String("Female")).is_ok());
    /// let errors = gender.check(&JsonView::String("female")).unwrap_err();
    /// assert_eq!(errors[0].rule(), "enum");
    /// ```
    pub fn check(&self, value: &JsonView<'_>) -> Result<(), Vec<RuleViolation>> {
        self.check_sized(value, || value.json_len())
    }

    /// [`PropertyDef::check`] with the value's size in bytes of JSON text given by `bytes`
    /// (asked only for a string or an array).
    pub(crate) fn check_sized(
        &self,
        value: &JsonView<'_>,
        bytes: impl FnOnce() -> usize,
    ) -> Result<(), Vec<RuleViolation>> {
        if let Err(mismatch) = self.ty.check(value) {
            return Err(vec![RuleViolation::Type(mismatch)]);
        }
        let mut found = Vec::new();
        match value {
            JsonView::String(s) => self.check_string(s, None, &mut found),
            JsonView::Array(items) => {
                for (index, item) in items.iter().enumerate() {
                    if let JsonView::String(s) = item {
                        self.check_string(s, Some(index), &mut found);
                    }
                }
                self.check_array_len(items.len(), &mut found);
            }
            _ => {}
        }
        // Only a string or an array can be longer than the limit: any other value's JSON is at
        // most 25 bytes, so it is not measured.
        if matches!(value, JsonView::String(_) | JsonView::Array(_)) {
            let bytes = bytes();
            if bytes > MAX_VALUE_BYTES {
                found.push(RuleViolation::TooLarge { bytes });
            }
        }
        if found.is_empty() { Ok(()) } else { Err(found) }
    }

    fn check_string(&self, s: &str, index: Option<usize>, found: &mut Vec<RuleViolation>) {
        if let Some(allowed) = &self.enum_values
            && !allowed.iter().any(|a| a == s)
        {
            found.push(RuleViolation::NotInEnum {
                value: s.to_owned(),
                allowed: allowed.clone(),
                index,
            });
        }
        if let Some(max_len) = self.max_len {
            let len = s.chars().count();
            if len > max_len {
                found.push(RuleViolation::TooLong {
                    len,
                    max_len,
                    index,
                });
            }
        }
    }

    fn check_array_len(&self, len: usize, found: &mut Vec<RuleViolation>) {
        if let Some(max_items) = self.max_items
            && len > max_items
        {
            found.push(RuleViolation::MaxItems { len, max_items });
        }
    }
}
