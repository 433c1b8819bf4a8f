//! [`ErrorChain`]: an error's message followed by each of its causes, for logs and terminals.

use std::error::Error;
use std::fmt;

/// Displays an error and every cause in its [`source`](Error::source) chain, joined by `: `.
///
/// Every error of this crate says what failed at its own layer and leaves the cause to
/// `source()`, never both, so printing the chain shows each cause exactly once:
///
/// ```
/// use dfinery_core::{ErrorChain, EventRecord};
///
/// let error = EventRecord::builder("bad name!").build().unwrap_err();
/// let shown = ErrorChain(&error).to_string();
/// assert!(shown.contains("bad name!"), "{shown}");
/// ```
#[derive(Clone, Copy)]
pub struct ErrorChain<'a>(pub &'a (dyn Error + 'static));

impl fmt::Display for ErrorChain<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}", self.0)?;
        let mut cause = self.0.source();
        while let Some(error) = cause {
            write!(f, ": {error}")?;
            cause = error.source();
        }
        Ok(())
    }
}

impl fmt::Debug for ErrorChain<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Display::fmt(self, f)
    }
}

/// Asserts that no error in `error`'s chain repeats its source's message, and that the chain
/// has at least `depth` errors (so the check is not vacuous).
#[cfg(test)]
pub(crate) fn assert_each_cause_once(error: &(dyn Error + 'static), depth: usize) {
    let mut levels = 1;
    let mut current = error;
    while let Some(source) = current.source() {
        let (outer, inner) = (current.to_string(), source.to_string());
        assert!(
            !inner.is_empty() && !outer.contains(&inner),
            "`{outer}` repeats its source `{inner}`"
        );
        levels += 1;
        current = source;
    }
    assert!(
        levels >= depth,
        "`{}` has {levels} levels, expected {depth}",
        ErrorChain(error)
    );
}

#[cfg(test)]
mod tests;
