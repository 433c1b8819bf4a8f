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
        Diagnostic::at(&mut Cursor::default(), src, span, message)
    }

    /// The diagnostics of `found` in `src`, sorted by position (stable, so one spot keeps its
    /// order), their lines and columns computed in one walk over the text: a file with many
    /// problems costs its length once, not once per problem.
    pub(crate) fn all(src: &str, mut found: Vec<(Range<usize>, String)>) -> Vec<Diagnostic> {
        found.sort_by_key(|(span, _)| span.start);
        let mut cursor = Cursor::default();
        found
            .into_iter()
            .map(|(span, message)| Diagnostic::at(&mut cursor, src, span, message))
            .collect()
    }

    fn at(cursor: &mut Cursor, src: &str, span: Range<usize>, message: String) -> Diagnostic {
        let (line, column) = cursor.advance(src, span.start);
        Diagnostic {
            line,
            column,
            span,
            message: escape_controls(message),
        }
    }
}

/// `message` with each control character (a line break, a NUL, an escape that would colour the
/// terminal, ...) written as its Rust escape: a name or value quoted from the file keeps the
/// diagnostic on one line, as [`RegistryError`] displays them.
/// The escaping is [`shown_within`](crate::names::shown_within)'s, with no length cut.
fn escape_controls(message: String) -> String {
    let escaped = match crate::names::shown_within(&message, usize::MAX, usize::MAX) {
        std::borrow::Cow::Owned(escaped) => Some(escaped),
        std::borrow::Cow::Borrowed(_) => None,
    };
    escaped.unwrap_or(message)
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

/// A position in a text being walked forward: its byte offset, 1-based line and character
/// column.
struct Cursor {
    offset: usize,
    line: usize,
    column: usize,
}

impl Default for Cursor {
    fn default() -> Self {
        Cursor {
            offset: 0,
            line: 1,
            column: 1,
        }
    }
}

impl Cursor {
    /// The 1-based line and character column of byte `offset` in `src` (clamped to the text,
    /// and back to a character boundary), walking on from the last offset asked for; an offset
    /// before it starts the walk again from the beginning.
    fn advance(&mut self, src: &str, offset: usize) -> (usize, usize) {
        let mut offset = offset.min(src.len());
        while !src.is_char_boundary(offset) {
            offset -= 1;
        }
        if offset < self.offset {
            *self = Cursor::default();
        }
        let between = &src[self.offset..offset];
        match between.rfind('\n') {
            Some(last) => {
                self.line += between.matches('\n').count();
                self.column = between[last + 1..].chars().count() + 1;
            }
            None => self.column += between.chars().count(),
        }
        self.offset = offset;
        (self.line, self.column)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn positions_are_lines_and_character_columns_in_any_order() {
        let src = "ab\n한c\n\nd";
        let spans = [5, 0, 1, 3, 4, 7, 8, 9, 100, 6];
        let found = spans.iter().map(|&at| (at..at, at.to_string())).collect();
        let positions: Vec<(String, usize, usize)> = Diagnostic::all(src, found)
            .into_iter()
            .map(|d| (d.message, d.line, d.column))
            .collect();
        let expected = [
            ("0", 1, 1),
            ("1", 1, 2),
            ("3", 2, 1),
            // Inside `한` (3 bytes): its own column.
            ("4", 2, 1),
            ("5", 2, 1),
            ("6", 2, 2),
            ("7", 2, 3),
            ("8", 3, 1),
            ("9", 4, 1),
            // Past the end: the end.
            ("100", 4, 2),
        ];
        let expected: Vec<(String, usize, usize)> = expected
            .iter()
            .map(|&(m, l, c)| (m.to_owned(), l, c))
            .collect();
        assert_eq!(positions, expected);
        let one = Diagnostic::new(src, 6..7, String::new());
        assert_eq!((one.line, one.column), (2, 2));
    }

    #[test]
    fn control_characters_in_a_message_are_escaped() {
        let d = Diagnostic::new("", 0..0, "name `a\nb\u{1b}[31m\u{0}` é\t".to_owned());
        assert_eq!(d.message, "name `a\\nb\\u{1b}[31m\\0` é\\t");
    }
}
