//! The checks of `#[derive(DfineryEvent)]`: the event is registered, every field fills one of
//! its properties, every required property is filled, and the items field fits the event.

use syn::visit::{self, Visit};
use syn::{ExprPath, Generics, Ident, Path, Type, TypePath};

use super::field::{self, Target};
use super::names::{EventNameFrom, find_event};
use super::types;
use super::{Checked, CheckedKind, Scope, checked_fields};
use crate::ast::{self, Field, Role, Struct};
use crate::errors::Errors;
use crate::registry;
use crate::symbol::{DATETIME, ITEMS, LOG_ID, Symbol};

/// The one field with `role`, or an error at each extra one.
fn only_one<'f, 'a>(
    fields: &'f [Field<'a>],
    role: &Role,
    key: Symbol,
    errors: &mut Errors,
) -> Option<&'f Field<'a>> {
    let mut with_role = fields.iter().filter(|f| f.role.same_as(role));
    let first = with_role.next();
    for extra in with_role {
        errors.at(
            extra.ident.span(),
            format!(
                "`#[dfinery({key})]` is already on field `{}`; an event has one such field",
                first.map(Field::rust_name).unwrap_or_default()
            ),
        );
    }
    first
}

/// Checks an event struct.
pub fn check_event<'f, 'a>(input: &'f Struct<'a>, errors: &mut Errors) -> Option<Checked<'f, 'a>> {
    let items = only_one(&input.fields, &Role::Items, ITEMS, errors);
    only_one(&input.fields, &Role::Datetime, DATETIME, errors);
    only_one(&input.fields, &Role::LogId, LOG_ID, errors);
    if !input.attrs_ok {
        return None;
    }
    let loaded = registry::load(input.registry.as_ref(), input.ident, errors)?;
    let (name, span, from) = match input.events.first() {
        Some(lit) => (lit.value(), lit.span(), EventNameFrom::Attribute),
        None => (
            ast::default_event_name(input.ident),
            input.ident.span(),
            EventNameFrom::StructName,
        ),
    };
    let event = find_event(&loaded, &name, span, from, errors)?;
    let file = &loaded.display;
    let target = Target {
        properties: &event.properties,
        scope: Scope::Event,
        owner: format!(" for event `{name}`"),
        unknown_fix: format!(
            "register it under `[events.{name}]` in `{file}` or mark the field `#[dfinery(skip)]`"
        ),
        elsewhere: Some((
            &event.items,
            "it is an item property: put it on the item type (`#[derive(DfineryItem)]`) held by a `#[dfinery(items)]` field",
        )),
        not_enabled: None,
    };
    let resolved = field::check_all(&input.fields, &target, errors);
    let missing = field::missing_required(&resolved, &target);
    if !missing.is_empty() {
        errors.at(
            input.ident.span(),
            field::missing_message(&missing, &target),
        );
    }
    match items {
        Some(items) if !event.takes_items() => errors.at(
            items.ident.span(),
            format!(
                "event `{name}` takes no items (it has no item properties in `{file}`); remove the `#[dfinery(items)]` field"
            ),
        ),
        // A field whose attributes had errors (`#[dfinery(items, datetime)]`) may have been
        // meant as the items field: its own error says what to fix.
        None if event.items_required && !resolved.has_invalid => errors.at(
            input.ident.span(),
            format!(
                "event `{name}` requires items; add a field `#[dfinery(items)] items: Vec<T>` where `T` derives `DfineryItem`"
            ),
        ),
        _ => {}
    }
    if let Some(items) = items {
        // `None` would fail every send with "no items" at run time, as a required property in
        // an `Option` would (refused the same way in `field::check_wrapper`).
        if event.items_required
            && event.takes_items()
            && let Some(inner) = types::option_inner(items.ty)
        {
            let written = types::peeled(items.ty);
            errors.spanned(
                written,
                format!(
                    "event `{name}` requires items; use `{}` instead of `{}`",
                    types::text(inner),
                    types::text(written)
                ),
            );
        }
        if let Some(param) = type_param_in(input.generics, items.ty) {
            errors.spanned(
                items.ty,
                format!(
                    "the items field cannot use the type parameter `{param}` (the event's description is a `static`); name the item type"
                ),
            );
        } else if let Some(param) = const_param_in(input.generics, items.ty) {
            errors.spanned(
                items.ty,
                format!(
                    "the items field cannot use the const parameter `{param}` (the event's description is a `static`); give the array a fixed length or use a `Vec`"
                ),
            );
        }
    }
    Some(Checked {
        input,
        fields: checked_fields(input, resolved.specs, event.items_required),
        kind: CheckedKind::Event { name },
        registry: loaded,
    })
}

/// The first type parameter of `generics` (in the order they are declared) that `ty` names:
/// a path in `ty` that starts with the parameter (`T`, `T::Assoc`, `Vec<T>`, `<T as Tr>::X`).
pub fn type_param_in<'g>(generics: &'g Generics, ty: &Type) -> Option<&'g Ident> {
    first_named(generics.type_params().map(|p| &p.ident).collect(), ty)
}

/// The first const parameter of `generics` that `ty` names: as an array length (`[T; N]`) or
/// as a generic argument (`Line<N>`). A static cannot name it any more than a type parameter.
pub fn const_param_in<'g>(generics: &'g Generics, ty: &Type) -> Option<&'g Ident> {
    first_named(generics.const_params().map(|p| &p.ident).collect(), ty)
}

/// The first of `params` (in the order given) that a path in `ty` starts with, in a type or in
/// an expression within it (an array length).
fn first_named<'g>(params: Vec<&'g Ident>, ty: &Type) -> Option<&'g Ident> {
    struct Named<'g> {
        params: Vec<&'g Ident>,
        found: Vec<bool>,
    }
    impl Named<'_> {
        fn path(&mut self, path: &Path) {
            if path.leading_colon.is_none()
                && let Some(first) = path.segments.first()
                && let Some(i) = self.params.iter().position(|p| **p == first.ident)
            {
                self.found[i] = true;
            }
        }
    }
    impl<'ast> Visit<'ast> for Named<'_> {
        fn visit_type_path(&mut self, path: &'ast TypePath) {
            self.path(&path.path);
            visit::visit_type_path(self, path);
        }

        fn visit_expr_path(&mut self, path: &'ast ExprPath) {
            self.path(&path.path);
            visit::visit_expr_path(self, path);
        }
    }
    let mut named = Named {
        found: vec![false; params.len()],
        params,
    };
    named.visit_type(ty);
    named
        .params
        .iter()
        .zip(&named.found)
        .find_map(|(param, found)| found.then_some(*param))
}

#[cfg(test)]
mod tests {
    use super::{const_param_in, type_param_in};
    use syn::{Generics, Type};

    /// The parameter `type_param_in` finds in `ty` under `generics` (`<…>` as written).
    fn found(generics: &str, ty: &str) -> Option<String> {
        let generics: Generics = syn::parse_str(generics).unwrap();
        let ty: Type = syn::parse_str(ty).unwrap();
        type_param_in(&generics, &ty).map(ToString::to_string)
    }

    #[test]
    fn a_type_parameter_is_found_wherever_a_path_starts_with_it() {
        assert_eq!(found("<T>", "Vec<T>").as_deref(), Some("T"));
        assert_eq!(found("<T>", "T").as_deref(), Some("T"));
        assert_eq!(found("<T>", "Option<Box<[T]>>").as_deref(), Some("T"));
        assert_eq!(found("<'a, T>", "&'a [T]").as_deref(), Some("T"));
        assert_eq!(found("<T>", "[T; 3]").as_deref(), Some("T"));
        assert_eq!(found("<T: Tr>", "Vec<T::Item>").as_deref(), Some("T"));
        assert_eq!(found("<T>", "Vec<<T as Tr>::Item>").as_deref(), Some("T"));
        assert_eq!(found("<T>", "fn(T) -> u8").as_deref(), Some("T"));
    }

    /// The const parameter `const_param_in` finds in `ty` under `generics`.
    fn found_const(generics: &str, ty: &str) -> Option<String> {
        let generics: Generics = syn::parse_str(generics).unwrap();
        let ty: Type = syn::parse_str(ty).unwrap();
        const_param_in(&generics, &ty).map(ToString::to_string)
    }

    #[test]
    fn a_const_parameter_is_found_as_an_array_length_or_a_generic_argument() {
        assert_eq!(
            found_const("<const N: usize>", "[Line; N]").as_deref(),
            Some("N")
        );
        assert_eq!(
            found_const("<'a, T, const N: usize>", "Option<&'a [Line; N]>").as_deref(),
            Some("N")
        );
        assert_eq!(
            found_const("<const N: usize>", "Vec<Line<N>>").as_deref(),
            Some("N")
        );
        assert_eq!(found_const("<const N: usize>", "[Line; 3]"), None);
        assert_eq!(found_const("<const N: usize>", "[Line; other::N]"), None);
        // A type parameter is not a const parameter.
        assert_eq!(found_const("<T>", "Vec<T>"), None);
    }

    #[test]
    fn the_first_parameter_in_declaration_order_is_named() {
        assert_eq!(found("<T, U>", "(U, T)").as_deref(), Some("T"));
        assert_eq!(found("<T, U>", "Vec<U>").as_deref(), Some("U"));
    }

    #[test]
    fn a_path_that_only_ends_in_the_name_or_a_lifetime_is_not_a_type_parameter() {
        // `other::T` and `::T` are types of that name elsewhere, not the parameter.
        assert_eq!(found("<T>", "Vec<other::T>"), None);
        assert_eq!(found("<T>", "Vec<::T>"), None);
        assert_eq!(found("<'a>", "&'a [Line]"), None);
        assert_eq!(found("<T>", "Vec<Line>"), None);
        // A const parameter is not a type parameter.
        assert_eq!(found("<const N: usize>", "[Line; N]"), None);
        // Words that merely contain the name do not count.
        assert_eq!(found("<T>", "Vec<Tier>"), None);
    }
}
