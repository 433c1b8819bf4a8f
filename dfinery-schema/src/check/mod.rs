//! Type compatibility and value rules, answered once here for the derives, the runtime and the
//! emulator: may this JSON value fill that registered property?

mod rules;
mod type_check;

pub use rules::RuleViolation;
pub use type_check::TypeMismatch;
