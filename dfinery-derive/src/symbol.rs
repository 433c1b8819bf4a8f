//! The attribute's name and every key it takes, as named constants (serde_derive's
//! `internals/symbol.rs`): a key is spelt once, here, and compared against `syn` identifiers
//! and paths through `==`.

use std::fmt::{self, Display};

use syn::{Ident, Path};

/// A word of the `#[dfinery(...)]` grammar.
#[derive(Clone, Copy, PartialEq, Eq)]
pub struct Symbol(&'static str);

/// The attribute itself: `#[dfinery(...)]`.
pub const DFINERY: Symbol = Symbol("dfinery");

/// `event = "df_purchase"`: the registered event (on an event, an item or an enum).
pub const EVENT: Symbol = Symbol("event");
/// `rename_all = "camelCase"`: how field or variant names become registered names.
pub const RENAME_ALL: Symbol = Symbol("rename_all");
/// `registry = "path/dfinery.toml"`: the registry file.
pub const REGISTRY: Symbol = Symbol("registry");
/// `decode`: also implement the decode trait.
pub const DECODE: Symbol = Symbol("decode");
/// `user_property = "df_gender"`: the user property an enum stands for.
pub const USER_PROPERTY: Symbol = Symbol("user_property");
/// `property = "channel"`: with `event`, the event property an enum stands for.
pub const PROPERTY: Symbol = Symbol("property");
/// `item = "colour"`: with `event`, the item property an enum stands for.
pub const ITEM: Symbol = Symbol("item");

/// `rename = "df_order_id"`: the registered name of a field or the value of a variant.
pub const RENAME: Symbol = Symbol("rename");
/// `skip`: the field is not sent.
pub const SKIP: Symbol = Symbol("skip");
/// `items`: the field holds the event's items.
pub const ITEMS: Symbol = Symbol("items");
/// `datetime`: the field supplies `event_datetime`.
pub const DATETIME: Symbol = Symbol("datetime");
/// `log_id`: the field supplies `event_log_id`.
pub const LOG_ID: Symbol = Symbol("log_id");

impl Symbol {
    /// The word as written.
    pub fn as_str(self) -> &'static str {
        self.0
    }
}

impl PartialEq<Symbol> for Ident {
    fn eq(&self, word: &Symbol) -> bool {
        self == word.0
    }
}

impl PartialEq<Symbol> for Path {
    fn eq(&self, word: &Symbol) -> bool {
        self.is_ident(word.0)
    }
}

impl Display for Symbol {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.0)
    }
}
