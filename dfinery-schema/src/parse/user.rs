//! `[user_properties]`: custom user properties, and the per-service caps on array user
//! properties.

use std::ops::Range;

use super::context::{Ctx, Value};
use super::property::{self, Kind, Subject};
use crate::limits::{MAX_NUMBER_ARRAY_USER_PROPERTIES, MAX_STRING_ARRAY_USER_PROPERTIES};
use crate::{DataType, Registry, catalog};

/// Reads the `user_properties` table into `registry`, whose standard user properties are
/// already enabled.
pub(super) fn user_properties(ctx: &mut Ctx<'_>, value: &Value<'_>, registry: &mut Registry) {
    let Some(table) = ctx.table(value, "`user_properties`") else {
        return;
    };
    ctx.case_twins("user property", "", table.iter().map(|(key, _)| key));
    // The custom array properties, with the span of their key, to count them in file order.
    let mut arrays: Vec<(Range<usize>, String, DataType)> = Vec::new();
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
            if def.ty.is_array() {
                arrays.push((key.span(), def.name.clone(), def.ty));
            }
            registry.user_properties.insert(def.name.clone(), def);
        }
    }
    arrays.sort_by_key(|(span, _, _)| span.start);
    array_caps(ctx, registry, &arrays);
}

/// The two array groups a service's caps apply to: `array<string>`, and `array<long>` with
/// `array<double>`.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Group {
    Strings,
    Numbers,
}

impl Group {
    fn of(ty: DataType) -> Option<Group> {
        match ty {
            DataType::StringArray => Some(Group::Strings),
            DataType::LongArray | DataType::DoubleArray => Some(Group::Numbers),
            _ => None,
        }
    }

    fn max(self) -> usize {
        match self {
            Group::Strings => MAX_STRING_ARRAY_USER_PROPERTIES,
            Group::Numbers => MAX_NUMBER_ARRAY_USER_PROPERTIES,
        }
    }

    fn types(self) -> &'static str {
        match self {
            Group::Strings => "`array<string>`",
            Group::Numbers => "`array<long>`/`array<double>`",
        }
    }
}

/// Reports the first custom array user property over its group's cap (standard array user
/// properties, if the catalog has any, count first), at its key.
fn array_caps(ctx: &mut Ctx<'_>, registry: &Registry, custom: &[(Range<usize>, String, DataType)]) {
    for group in [Group::Strings, Group::Numbers] {
        let in_group = |ty: DataType| Group::of(ty) == Some(group);
        let standard = registry
            .user_properties
            .values()
            .filter(|p| p.standard && in_group(p.ty))
            .count();
        let mine: Vec<_> = custom.iter().filter(|(_, _, ty)| in_group(*ty)).collect();
        let total = standard + mine.len();
        let max = group.max();
        if total <= max {
            continue;
        }
        let Some((span, name, _)) = max.checked_sub(standard).and_then(|room| mine.get(room))
        else {
            continue;
        };
        let excess = total - max;
        ctx.error(
            span.clone(),
            format!(
                "user property `{name}` is {} user property number {}; DFINERY allows at most \
                 {max} per service ({total} declared, standard ones counted), remove {excess} or \
                 change {} type",
                group.types(),
                max + 1,
                if excess == 1 { "its" } else { "their" },
            ),
        );
    }
}
