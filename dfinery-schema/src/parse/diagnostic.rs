//! The errors of [`Registry::parse`](crate::Registry::parse): every problem in a `dfinery.toml`,
//! each with its position.

use std::fmt;
use std::ops::Range;
use std::path::PathBuf;

/// One problem in a registry file.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Diagnostic {
    /// The 1-based line of the start of [`span`](Self::span).
    pub line: usize,
    /// The 1-based column of the start of [`span`](Self::span), counted in characters.
    pub column: usize,
    /// The byte range of the offending key or value in the file.
    pub span: Range<usize>,
    /// What is wrong and how to fix it, e.g.
    /// ``unknown type `strng` for property `amount` of event `coupon_used`; did you mean `string`?``.
    pub message: String,
}

impl Diagnostic {
    /// A diagnostic at `span` of `src`, with its line and column computed.
    pub(crate) fn new(src: &str, span: Range<usize>, message: String) -> Diagnostic {
        let (line, column) = line_column(src, span.start);
        Diagnostic {
            line,
            column,
            span,
            message,
        }
    }
}

/// Every problem found in one registry file, in file order.
///
/// Displays one line per diagnostic: `path:line:column: message`, with the path
/// `dfinery.toml` when the source did not come from a file.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RegistryError {
    /// The file, when the registry was [loaded](crate::Registry::load) from one.
    pub path: Option<PathBuf>,
    /// The problems, at least one, sorted by position.
    pub diagnostics: Vec<Diagnostic>,
}

impl fmt::Display for RegistryError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let path = self
            .path
            .as_deref()
            .map_or_else(|| "dfinery.toml".into(), |p| p.display().to_string());
        for (i, d) in self.diagnostics.iter().enumerate() {
            if i > 0 {
                f.write_str("\n")?;
            }
            write!(f, "{path}:{}:{}: {}", d.line, d.column, d.message)?;
        }
        Ok(())
    }
}

impl std::error::Error for RegistryError {}

/// The 1-based line and character column of byte `offset` in `src` (clamped to the text).
fn line_column(src: &str, offset: usize) -> (usize, usize) {
    let mut offset = offset.min(src.len());
    while !src.is_char_boundary(offset) {
        offset -= 1;
    }
    let before = &src[..offset];
    let line_start = before.rfind('\n').map_or(0, |i| i + 1);
    let line = before.matches('\n').count() + 1;
    let column = before[line_start..].chars().count() + 1;
    (line, column)
}
