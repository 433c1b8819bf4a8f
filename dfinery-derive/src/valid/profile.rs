//! The checks of `#[derive(DfineryProfile)]`: every field fills a registered user property.

use dfinery_schema::catalog;

use super::field::{self, Target};
use super::{Checked, CheckedKind, Scope, checked_fields};
use crate::ast::Struct;
use crate::errors::Errors;
use crate::registry;

/// Checks a profile struct.
pub fn check_profile<'f, 'a>(
    input: &'f Struct<'a>,
    errors: &mut Errors,
) -> Option<Checked<'f, 'a>> {
    if !input.attrs_ok {
        return None;
    }
    let loaded = registry::load(input.registry.as_ref(), input.ident, errors)?;
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
    let specs = field::check_all(&input.fields, &target, errors).specs;
    Some(Checked {
        input,
        fields: checked_fields(input, specs, false),
        kind: CheckedKind::Profile,
        registry: loaded,
    })
}

fn is_standard(name: &str) -> bool {
    catalog::standard_user_property(name).is_some()
}
