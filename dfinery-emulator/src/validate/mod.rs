//! The Import API's validation pipeline after authentication (`docs/protocol.md` §10 steps 4–7):
//! body shape (`40000`), counts (`40402`, `40403`), identity and values (`40001`).
//!
//! Each request kind has its own module that turns a JSON body into a typed request or a
//! [`Failure`] listing every violation found.

mod event;
mod identity;
mod profile;
mod shape;
mod value;

pub(crate) use event::{EventRules, check_events};
pub(crate) use profile::{check_delete, check_identity, check_profile};
pub(crate) use shape::describe;

use crate::ImportCode;
use crate::model::ServerViolation;
use crate::server::response::MAX_LISTED_VIOLATIONS;

/// A refused request: the code to answer and the violations found (the first
/// [`MAX_LISTED_VIOLATIONS`], and how many more).
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct Failure {
    pub(crate) code: ImportCode,
    pub(crate) violations: Vec<ServerViolation>,
    /// Violations found past the ones kept, counted only.
    pub(crate) omitted: usize,
}

/// The violations of one request as they are found: the first [`MAX_LISTED_VIOLATIONS`] are
/// kept, later ones only counted, so a body of millions of bad values never holds millions of
/// messages at once. Reads as the kept ones; [`len`](Self::len) counts them all.
#[derive(Debug, Clone, Default, PartialEq)]
pub(crate) struct Violations {
    kept: Vec<ServerViolation>,
    omitted: usize,
}

impl Violations {
    pub(crate) fn new() -> Violations {
        Violations::default()
    }

    /// Keeps `violation`, or counts it once enough are kept.
    pub(crate) fn push(&mut self, violation: ServerViolation) {
        if self.kept.len() < MAX_LISTED_VIOLATIONS {
            self.kept.push(violation);
        } else {
            self.omitted += 1;
        }
    }

    /// Every violation found, kept or counted.
    pub(crate) fn len(&self) -> usize {
        self.kept.len() + self.omitted
    }

    /// Whether none was found.
    pub(crate) fn is_empty(&self) -> bool {
        self.len() == 0
    }
}

impl Extend<ServerViolation> for Violations {
    fn extend<I: IntoIterator<Item = ServerViolation>>(&mut self, violations: I) {
        for violation in violations {
            self.push(violation);
        }
    }
}

impl std::ops::Deref for Violations {
    type Target = [ServerViolation];

    fn deref(&self) -> &[ServerViolation] {
        &self.kept
    }
}

impl Failure {
    /// `40000 BAD_REQUEST` for one violation.
    pub(crate) fn bad_request(violation: ServerViolation) -> Failure {
        Failure {
            code: ImportCode::BadRequest,
            violations: vec![violation],
            omitted: 0,
        }
    }

    /// A count failure (`40402`, `40403`) for one violation.
    pub(crate) fn count(code: ImportCode, violation: ServerViolation) -> Failure {
        Failure {
            code,
            violations: vec![violation],
            omitted: 0,
        }
    }

    /// `40001 VALIDATION_FAILURE` when `violations` is not empty.
    pub(crate) fn validation(violations: Violations) -> Result<(), Failure> {
        if violations.is_empty() {
            Ok(())
        } else {
            Err(Failure {
                code: ImportCode::ValidationFailure,
                violations: violations.kept,
                omitted: violations.omitted,
            })
        }
    }
}

/// `parent.key`, or `key` at the root.
pub(crate) fn join(parent: &str, key: &str) -> String {
    if parent.is_empty() {
        key.to_owned()
    } else {
        format!("{parent}.{key}")
    }
}

pub(crate) use dfinery_schema::did_you_mean;

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn violations_past_the_listed_ones_are_counted_not_kept() {
        let mut violations = Violations::new();
        violations.extend(
            (0..MAX_LISTED_VIOLATIONS + 5)
                .map(|i| ServerViolation::new(format!("p{i}"), "type", "x")),
        );
        assert_eq!(violations.len(), MAX_LISTED_VIOLATIONS + 5);
        assert_eq!(violations.iter().count(), MAX_LISTED_VIOLATIONS);
        let failure = Failure::validation(violations).unwrap_err();
        assert_eq!(
            (failure.violations.len(), failure.omitted),
            (MAX_LISTED_VIOLATIONS, 5)
        );
        assert!(Failure::validation(Violations::new()).is_ok());
    }
}
