//! What an event is and how it is written: DFINERY values ([`value`]), the Rust types that
//! fill properties ([`property`]), the writers of checked wire JSON ([`writer`], [`json`]), the
//! event/item/profile descriptions the derives implement ([`model`]), validated records
//! ([`record`]) and identities ([`identity`]). The types are re-exported at the crate root.

pub(crate) mod identity;
pub(crate) mod json;
pub(crate) mod model;
pub(crate) mod property;
pub(crate) mod record;
pub(crate) mod value;
pub(crate) mod writer;
