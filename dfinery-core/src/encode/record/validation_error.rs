//! [`ValidationError`]: every rule an event or a set of user properties breaks.

use std::fmt;

use crate::encode::writer::Violation;

/// Every rule an event or a set of user properties breaks. Nothing invalid is ever serialised.
///
/// Displays as ``event `df_purchase` is invalid: `event_properties.df_price`: must be a finite
/// number (found NaN)``, with all violations separated by `; `.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
#[non_exhaustive]
pub struct ValidationError {
    /// What was being validated, e.g. ``event `df_purchase` ``, ``profile `Member` `` or `` `user_properties` ``.
    pub subject: String,
    /// Every broken rule, in the order the properties were written; never empty.
    pub violations: Vec<Violation>,
}

impl fmt::Display for ValidationError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{} is invalid: ", self.subject)?;
        for (i, violation) in self.violations.iter().enumerate() {
            if i > 0 {
                f.write_str("; ")?;
            }
            write!(f, "{violation}")?;
        }
        Ok(())
    }
}
