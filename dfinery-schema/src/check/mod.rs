//! Type compatibility and value rules, answered once here for the derives, the runtime and the
//! emulator: may this JSON value fill that registered property? And the one walk of a JSON
//! event, profile or identity against the registry ([`check_event`],
//! [`check_user_properties`], [`identity_members`]) that the emulator and the CLI share.

mod input;
mod rules;
mod type_check;
mod walk;

pub use input::{Json, JsonText, Object};
pub use rules::RuleViolation;
pub use type_check::TypeMismatch;
pub use walk::{
    Checked, EventBody, Finding, IdentityMember, Place, check_event, check_user_properties,
    identity_members,
};
