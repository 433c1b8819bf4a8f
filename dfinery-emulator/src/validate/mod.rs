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

use crate::ImportCode;
use crate::model::ServerViolation;

/// A refused request: the code to answer and every violation found.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct Failure {
    pub(crate) code: ImportCode,
    pub(crate) violations: Vec<ServerViolation>,
}

impl Failure {
    /// `40000 BAD_REQUEST` for one violation.
    pub(crate) fn bad_request(violation: ServerViolation) -> Failure {
        Failure {
            code: ImportCode::BadRequest,
            violations: vec![violation],
        }
    }

    /// A count failure (`40402`, `40403`) for one violation.
    pub(crate) fn count(code: ImportCode, violation: ServerViolation) -> Failure {
        Failure {
            code,
            violations: vec![violation],
        }
    }

    /// `40001 VALIDATION_FAILURE` when `violations` is not empty.
    pub(crate) fn validation(violations: Vec<ServerViolation>) -> Result<(), Failure> {
        if violations.is_empty() {
            Ok(())
        } else {
            Err(Failure {
                code: ImportCode::ValidationFailure,
                violations,
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
