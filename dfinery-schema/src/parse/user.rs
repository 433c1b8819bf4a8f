//! `[user_properties]`: custom user properties.

use super::context::{Ctx, Value};
use super::property::{self, Kind, Subject};
use crate::{Registry, catalog};

/// Reads the `user_properties` table into `registry`, whose standard user properties are
/// already enabled.
pub(super) fn user_properties(ctx: &mut Ctx<'_>, value: &Value<'_>, registry: &mut Registry) {
    let Some(table) = ctx.table(value, "`user_properties`") else {
        return;
    };
    for (key, spec) in table.iter() {
        let name = key.get_ref().as_ref();
        let subject = Subject {
            kind: Kind::User,
            name,
            event: None,
        };
        if catalog::standard_user_property(name).is_some() {
            let message = if catalog::is_consent_flag(name) {
                format!(
                    "user property `{name}` is a consent flag, always registered; remove this line"
                )
            } else if registry.user_properties.contains_key(name) {
                format!(
                    "user property `{name}` is already enabled by `standard_user_properties`; \
                     remove this line"
                )
            } else {
                format!(
                    "user property `{name}` is a standard user property; enable it by adding \
                     `\"{name}\"` to `standard_user_properties` and remove this line"
                )
            };
            ctx.error(key.span(), message);
            continue;
        }
        let name_ok = property::check_custom_name(ctx, &subject, key);
        if let (true, Some(def)) = (name_ok, property::definition(ctx, &subject, key, spec)) {
            registry.user_properties.insert(def.name.clone(), def);
        }
    }
}
