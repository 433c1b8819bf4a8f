//! The checks of `#[derive(DfineryProfile)]`: every field fills a registered user property.

use dfinery_schema::catalog;

use super::field::{self, Target};
use super::{Property, Scope};
use crate::ast::Struct;
use crate::errors::Errors;
use crate::registry::{self, Loaded};

/// A profile struct that passed every check.
pub struct CheckedProfile<'f, 'a> {
    /// Every property field, in field order.
    pub properties: Vec<Property<'f, 'a>>,
    /// The registry file.
    pub registry: Loaded,
}

/// Checks a profile struct.
pub fn check_profile<'f, 'a>(
    input: &'f Struct<'a>,
    errors: &mut Errors,
) -> Option<CheckedProfile<'f, 'a>> {
    if !input.attrs_ok {
        return None;
    }
    let loaded = registry::load(input.registry.as_ref(), input.ident.span(), errors)?;
    let target = Target {
        properties: &loaded.registry.user_properties,
        scope: Scope::User,
        owner: String::new(),
        unknown_fix: format!(
            "register it under `[user_properties]` in `{}` or mark the field `#[dfinery(skip)]`",
            loaded.display
        ),
        elsewhere: None,
        not_enabled: Some((is_standard, &loaded.display)),
    };
    let properties = field::check_all(&input.fields, &target, errors).properties;
    Some(CheckedProfile {
        properties,
        registry: loaded,
    })
}

fn is_standard(name: &str) -> bool {
    catalog::standard_user_property(name).is_some()
}
