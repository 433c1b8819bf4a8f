//! Writers that generated code (and the dynamic builders) use to write checked JSON objects
//! straight into a byte buffer, collecting every [`Violation`] instead of stopping at the first.

mod items;
mod object;
mod path;
mod violation;

pub use items::ItemsWriter;
pub use object::ObjectWriter;
pub use path::ObjectPath;
pub use violation::Violation;
