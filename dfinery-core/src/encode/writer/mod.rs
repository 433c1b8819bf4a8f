//! Writers that generated code (and the dynamic builders) use to write checked JSON objects
//! straight into a byte buffer, collecting every [`Violation`] instead of stopping at the first.

mod items;
mod object;
mod path;
mod violation;

pub use items::ItemsWriter;
pub use object::ObjectWriter;
pub(crate) use path::ObjectPath;
pub use violation::Violation;

/// What a writer wrote, for the record built from it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Written {
    /// Properties of an object, or items of an array.
    pub count: usize,
    /// Whether every value written said it writes well-formed JSON
    /// (the crate-internal `PropertyValue::writes_valid_json`), so the
    /// bytes need no second check.
    pub valid_json: bool,
}

// The foundation tests of the writers (they build writers, which only this crate does).
#[cfg(test)]
mod foundation;
