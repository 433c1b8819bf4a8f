//! The naming rule for events and properties, and the `df_` prefix reserved for the standard
//! catalog.
//!
//! DFINERY does not document a rule; the project decides (`docs/design.md`): names match
//! `^[A-Za-z][A-Za-z0-9_]*$`, are at most [`MAX_NAME_LEN`] characters long and are case-sensitive.

use std::borrow::Cow;
use std::fmt;

/// The longest name allowed, in characters.
pub const MAX_NAME_LEN: usize = 100;

/// The prefix reserved for the standard catalog (`df_login`, `df_price`, …).
pub const RESERVED_PREFIX: &str = "df_";

/// Why a name breaks the naming rule; returned by [`check_name`].
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum NameError {
    /// The name is the empty string.
    Empty,
    /// The name is longer than [`MAX_NAME_LEN`] characters.
    TooLong {
        /// The offending name.
        name: String,
        /// Its length in characters.
        len: usize,
    },
    /// The first character is not an ASCII letter.
    BadStart {
        /// The offending name.
        name: String,
        /// Its first character.
        found: char,
    },
    /// A character other than an ASCII letter, digit or `_`.
    BadChar {
        /// The offending name.
        name: String,
        /// The first character that is not allowed.
        found: char,
    },
}

impl fmt::Display for NameError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            NameError::Empty => f.write_str("name is empty; give it at least one ASCII letter"),
            NameError::TooLong { name, len } => write!(
                f,
                "name `{}…` is {len} characters long; shorten it to at most {MAX_NAME_LEN}",
                shown(&name.chars().take(SHOWN_PREFIX).collect::<String>())
            ),
            NameError::BadStart { name, found } => write!(
                f,
                "name `{}` starts with `{}`; start it with an ASCII letter",
                shown(name),
                found.escape_debug()
            ),
            NameError::BadChar { name, found } => write!(
                f,
                "name `{}` contains `{}`; use only ASCII letters, digits and `_`",
                shown(name),
                found.escape_debug()
            ),
        }
    }
}

impl std::error::Error for NameError {}

/// How many characters of a name too long to quote whole [`shown`] keeps.
const SHOWN_PREFIX: usize = 20;

/// `name` as a message quotes it: each control character written as its Rust escape (`\n`,
/// `\u{1b}`), so the message stays on one line and the terminal shows what the name holds; a
/// name over [`MAX_NAME_LEN`] characters (no valid name is) cut to its first 20 and `…`, so a
/// megabyte of text given as a name does not make a megabyte of message.
///
/// ```
/// use dfinery_schema::names::shown;
/// assert_eq!(shown("coupon_used"), "coupon_used");
/// assert_eq!(shown("a\nb"), "a\\nb");
/// assert_eq!(shown(&"x".repeat(1000)), format!("{}…", "x".repeat(20)));
/// ```
pub fn shown(name: &str) -> Cow<'_, str> {
    shown_within(name, MAX_NAME_LEN, SHOWN_PREFIX)
}

/// `n` and the noun a message counts with it, singular for one: `counted(1, "event",
/// "events")` is `1 event`, any other count the plural (`0 events`, `2 events`).
///
/// ```
/// use dfinery_schema::names::counted;
/// assert_eq!(counted(1, "row", "rows"), "1 row");
/// assert_eq!(counted(0, "row", "rows"), "0 rows");
/// assert_eq!(counted(3, "user property", "user properties"), "3 user properties");
/// ```
pub fn counted(n: u64, one: &str, many: &str) -> String {
    format!("{n} {}", if n == 1 { one } else { many })
}

/// `text` as a message quotes it, as [`shown`] quotes a name: control characters escaped,
/// and a text of more than `most` characters cut to its first `kept` and `…`. For a text
/// longer than a name (a path of names) that must not make a message of a megabyte either.
///
/// ```
/// use dfinery_schema::names::shown_within;
/// assert_eq!(shown_within("items[0].sku", 160, 40), "items[0].sku");
/// assert_eq!(shown_within(&"x".repeat(200), 160, 40), format!("{}…", "x".repeat(40)));
/// ```
pub fn shown_within(text: &str, most: usize, kept: usize) -> Cow<'_, str> {
    let long = text.len() > most && text.chars().nth(most).is_some();
    if !long && !text.chars().any(char::is_control) {
        return Cow::Borrowed(text);
    }
    let kept = if long { kept } else { most };
    let mut out = String::new();
    for c in text.chars().take(kept) {
        if c.is_control() {
            out.extend(c.escape_debug());
        } else {
            out.push(c);
        }
    }
    if long {
        out.push('…');
    }
    Cow::Owned(out)
}

/// Checks `name` against the naming rule `^[A-Za-z][A-Za-z0-9_]*$`, at most [`MAX_NAME_LEN`]
/// characters.
///
/// This does not check the reserved prefix: standard names pass it too. Use [`is_reserved`].
///
/// ```
/// use dfinery_schema::names::check_name;
/// assert!(check_name("coupon_used").is_ok());
/// assert!(check_name("coupon-used").is_err());
/// ```
pub fn check_name(name: &str) -> Result<(), NameError> {
    let mut chars = name.chars();
    let Some(first) = chars.next() else {
        return Err(NameError::Empty);
    };
    if !first.is_ascii_alphabetic() {
        return Err(NameError::BadStart {
            name: name.to_owned(),
            found: first,
        });
    }
    if let Some(bad) = chars.find(|c| !(c.is_ascii_alphanumeric() || *c == '_')) {
        return Err(NameError::BadChar {
            name: name.to_owned(),
            found: bad,
        });
    }
    // Every character is ASCII here, so the byte length is the character count.
    if name.len() > MAX_NAME_LEN {
        return Err(NameError::TooLong {
            name: name.to_owned(),
            len: name.len(),
        });
    }
    Ok(())
}

/// Whether `name` starts with the reserved `df_` prefix, compared ASCII case-insensitively
/// (`DF_x` is reserved too, so a custom name can never pass for a standard one).
///
/// ```
/// use dfinery_schema::names::is_reserved;
/// assert!(is_reserved("df_login"));
/// assert!(is_reserved("DF_login"));
/// assert!(!is_reserved("dfx"));
/// ```
pub fn is_reserved(name: &str) -> bool {
    name.get(..RESERVED_PREFIX.len())
        .is_some_and(|p| p.eq_ignore_ascii_case(RESERVED_PREFIX))
}

/// `name` without a leading `df_` (any case), e.g. to propose `coupon` for `df_coupon`.
pub(crate) fn strip_reserved(name: &str) -> &str {
    if is_reserved(name) {
        &name[RESERVED_PREFIX.len()..]
    } else {
        name
    }
}
