//! The derive input as the checks and the code generation see it: each struct field with its
//! role and registered name, each enum variant with its value, every original `syn` node kept
//! for spans.

use proc_macro2::Span;
use syn::visit::Visit;
use syn::{Data, DeriveInput, Fields, Generics, Ident, LitStr, Type};

use crate::attr::{self, EnumAttrs, FieldAttrs, Flag, VariantAttrs, deprecation_levels};
pub use crate::attr::{Binding, LintLevel};
use crate::case::{self, RenameRule};
use crate::errors::Errors;

/// Which struct derive is running.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    /// `#[derive(DfineryEvent)]`
    Event,
    /// `#[derive(DfineryItem)]`
    Item,
    /// `#[derive(DfineryProfile)]`
    Profile,
}

impl Kind {
    /// The derive's name, e.g. `DfineryEvent`.
    pub fn derive_name(self) -> &'static str {
        match self {
            Kind::Event => "DfineryEvent",
            Kind::Item => "DfineryItem",
            Kind::Profile => "DfineryProfile",
        }
    }
}

/// A struct deriving `DfineryEvent`, `DfineryItem` or `DfineryProfile`.
pub struct Struct<'a> {
    /// Which derive.
    pub kind: Kind,
    /// The struct's name.
    pub ident: &'a Ident,
    /// The struct's generics, for the impls.
    pub generics: &'a Generics,
    /// `event = "..."` values: at most one for an event, one per event for an item.
    pub events: Vec<LitStr>,
    /// `registry = "..."`.
    pub registry: Option<LitStr>,
    /// `decode`: the struct is also read back from exports, so its decode impl is generated.
    pub decode: bool,
    /// Whether the struct's own `#[dfinery(...)]` parsed without error; when not, the event it
    /// names is unknown and the registry checks are skipped.
    pub attrs_ok: bool,
    /// The struct's lint levels that set `deprecated`, for the generated code that warns.
    pub lints: Vec<LintLevel>,
    /// Whether the struct or a field is `#[deprecated]` or sets the level of `deprecated`
    /// ([`touches_deprecation`]): only then do the impls `allow(deprecated)`.
    pub deprecation: bool,
    /// Whether the struct is `#[repr(packed)]` (or `packed(N)`): a reference to one of its
    /// fields may be unaligned (E0793), so the generated code copies each field out instead.
    pub packed: bool,
    /// Every named field, in declaration order.
    pub fields: Vec<Field<'a>>,
}

/// What a field is for.
#[derive(Debug, Clone)]
pub enum Role {
    /// A property, sent under `name`.
    Property {
        /// The registered name it maps to.
        name: String,
        /// The span of that name: the `rename` literal, else the field's name.
        span: Span,
        /// Whether the name is a `rename` literal (else it is the field's name, through
        /// `rename_all`): what an error about the name tells the user to change.
        renamed: bool,
        /// The `rename_all` style that made `name` from the field's name, when it changed it:
        /// an error about the name says so, since renaming the field may not reach the
        /// registered name under the style.
        styled: Option<RenameRule>,
    },
    /// `#[dfinery(skip)]`: not sent.
    Skip,
    /// `#[dfinery(items)]`: the event's items.
    Items,
    /// `#[dfinery(datetime)]`: supplies `event_datetime`.
    Datetime,
    /// `#[dfinery(log_id)]`: supplies `event_log_id`.
    LogId,
    /// Its `#[dfinery(...)]` has an error (already reported): not checked further.
    Invalid,
}

/// One named field.
pub struct Field<'a> {
    /// The field's name.
    pub ident: &'a Ident,
    /// The field's type.
    pub ty: &'a Type,
    /// What it is for.
    pub role: Role,
    /// The field's lint levels that set `deprecated`, for the generated code that warns.
    pub lints: Vec<LintLevel>,
}

impl Role {
    /// Whether both are the same role (spans aside).
    pub fn same_as(&self, other: &Role) -> bool {
        std::mem::discriminant(self) == std::mem::discriminant(other)
    }

    /// The role given by a field's attributes; `ident` and `rename_all` name a property field
    /// without `rename`.
    fn from_attrs(attrs: FieldAttrs, ident: &Ident, rename_all: Option<RenameRule>) -> Role {
        if !attrs.ok {
            return Role::Invalid;
        }
        match (attrs.flag, attrs.rename) {
            (Some(Flag::Skip), _) => Role::Skip,
            (Some(Flag::Items), _) => Role::Items,
            (Some(Flag::Datetime), _) => Role::Datetime,
            (Some(Flag::LogId), _) => Role::LogId,
            (None, Some(lit)) => Role::Property {
                name: lit.value(),
                span: lit.span(),
                renamed: true,
                styled: None,
            },
            (None, None) => {
                let rust = unraw(ident);
                let name =
                    rename_all.map_or_else(|| rust.clone(), |rule| rule.apply_to_field(&rust));
                Role::Property {
                    styled: rename_all.filter(|_| name != rust),
                    name,
                    span: ident.span(),
                    renamed: false,
                }
            }
        }
    }
}

impl Field<'_> {
    /// The field name without `r#`.
    pub fn rust_name(&self) -> String {
        unraw(self.ident)
    }
}

fn unraw(ident: &Ident) -> String {
    let s = ident.to_string();
    s.strip_prefix("r#").map_or(s.clone(), str::to_owned)
}

impl<'a> Struct<'a> {
    /// Reads a struct with named fields; anything else is an error.
    pub fn from_input(input: &'a DeriveInput, kind: Kind, errors: &mut Errors) -> Option<Self> {
        reserved_alias(input, errors);
        let named = match &input.data {
            Data::Struct(data) => match &data.fields {
                Fields::Named(named) => Some(named),
                _ => None,
            },
            _ => None,
        };
        let Some(named) = named else {
            errors.at(
                input.ident.span(),
                format!(
                    "`{}` can only be derived for a struct with named fields{}",
                    kind.derive_name(),
                    not_named_fix(input)
                ),
            );
            return None;
        };
        let container = attr::Container::from_attrs(&input.attrs, kind, errors);
        let fields = named
            .named
            .iter()
            .filter_map(|field| {
                let ident = field.ident.as_ref()?;
                let attrs = FieldAttrs::from_attrs(&field.attrs, kind, errors);
                Some(Field {
                    ident,
                    ty: &field.ty,
                    role: Role::from_attrs(attrs, ident, container.rename_all),
                    lints: deprecation_levels(&field.attrs),
                })
            })
            .collect();
        Some(Struct {
            kind,
            ident: &input.ident,
            generics: &input.generics,
            events: container.events,
            registry: container.registry,
            decode: container.decode,
            attrs_ok: container.ok,
            lints: deprecation_levels(&input.attrs),
            deprecation: touches_deprecation(&input.attrs)
                || named.named.iter().any(|f| touches_deprecation(&f.attrs)),
            packed: is_packed(&input.attrs),
            fields,
        })
    }
}

/// Whether `attrs` hold a `#[repr(...)]` naming `packed` (`packed`, `packed(N)`, with `C` or
/// not).
fn is_packed(attrs: &[syn::Attribute]) -> bool {
    attrs.iter().any(|a| {
        a.path().is_ident("repr")
            && matches!(&a.meta, syn::Meta::List(list) if list.tokens.clone().into_iter().any(
                |t| matches!(t, proc_macro2::TokenTree::Ident(i) if i == "packed")
            ))
    })
}

/// Whether `attrs` hold `#[deprecated]` or a lint level that sets `deprecated` (by name or
/// through `warnings`). The generated code uses the type, its fields and their types, so it
/// warns where they are deprecated; a deprecated type or field is marked so, and a deprecated
/// type a field uses needs a level that allows it on the struct or the field (reported where
/// the struct uses it otherwise) or on a module around it (which reaches the generated code
/// too). Only then do the impls `allow(deprecated)`: an `allow` where the user's crate or
/// module forbids `deprecated` is an error (E0453) on every derive.
fn touches_deprecation(attrs: &[syn::Attribute]) -> bool {
    attrs.iter().any(|a| a.path().is_ident("deprecated")) || !deprecation_levels(attrs).is_empty()
}

/// What to write instead of a type without named fields, as the end of the error (`; …`).
fn not_named_fix(input: &DeriveInput) -> String {
    match &input.data {
        Data::Struct(data) if matches!(data.fields, Fields::Unit) => format!(
            "; write `struct {} {{}}` for one without properties",
            input.ident
        ),
        Data::Struct(_) => "; name each field after the property it fills (`#[dfinery(rename = \"...\")]` maps a field with another name)".to_owned(),
        Data::Enum(_) => "; an enum of a property's values derives `DfineryEnum`".to_owned(),
        Data::Union(_) => format!(
            "; write `struct {}` instead of `union {}`, with one named field per property",
            input.ident, input.ident
        ),
    }
}

/// The registered name of an event struct without `event = "..."`: its name in snake case.
pub fn default_event_name(ident: &Ident) -> String {
    case::snake(&unraw(ident))
}

/// An enum deriving `DfineryEnum`.
pub struct Enum<'a> {
    /// The enum's name.
    pub ident: &'a Ident,
    /// The enum's generics: none is allowed (a parameter was reported).
    pub generics: &'a Generics,
    /// `registry = "..."`.
    pub registry: Option<LitStr>,
    /// The registered properties it stands for, checked at compile time.
    pub bindings: Vec<Binding>,
    /// Every unit variant with its value.
    pub variants: Vec<Variant<'a>>,
    /// Whether a variant with fields was left out of `variants` (and reported).
    pub left_out: bool,
    /// `rename_all = "..."`.
    pub rename_all: Option<RenameRule>,
    /// Whether the enum's own `#[dfinery(...)]` parsed without error; when not, the registry,
    /// the bindings or the values it names may not be those meant, so the registry checks are
    /// skipped.
    pub attrs_ok: bool,
    /// Whether the enum or a variant is `#[deprecated]` or sets the level of `deprecated`
    /// ([`touches_deprecation`]): only then do the impls `allow(deprecated)`.
    pub deprecation: bool,
}

/// One unit variant and the value it is sent as.
pub struct Variant<'a> {
    /// The variant's name.
    pub ident: &'a Ident,
    /// The value.
    pub value: String,
    /// The span of the value: the `rename` literal, else the variant's name.
    pub span: Span,
    /// Whether its `#[dfinery(...)]` parsed without error; when not (reported), `value` may not
    /// be the one meant, so it is not checked.
    pub attrs_ok: bool,
    /// The variant's name without `r#`, which `rename_all` applies to.
    pub rust_name: String,
    /// Whether `#[dfinery(rename = "...")]` gave its value (which `rename_all` does not change).
    pub renamed: bool,
}

impl<'a> Enum<'a> {
    /// Reads an enum of unit variants; anything else is an error.
    pub fn from_input(input: &'a DeriveInput, errors: &mut Errors) -> Option<Self> {
        reserved_alias(input, errors);
        let Data::Enum(data) = &input.data else {
            let fix = match input.data {
                Data::Struct(_) => {
                    "; a struct of properties derives `DfineryEvent`, `DfineryItem` or `DfineryProfile`"
                }
                _ => "; write an `enum` with one unit variant per value",
            };
            errors.at(
                input.ident.span(),
                format!("`DfineryEnum` can only be derived for an enum of unit variants{fix}"),
            );
            return None;
        };
        if let Some(param) = input.generics.params.first() {
            errors.spanned(
                param,
                "`DfineryEnum` cannot be derived for a generic enum; remove the parameters",
            );
        }
        let attrs = EnumAttrs::from_attrs(&input.attrs, errors);
        let variants: Vec<Variant<'a>> = data
            .variants
            .iter()
            .filter_map(|variant| {
                if !matches!(variant.fields, Fields::Unit) {
                    errors.spanned(
                        &variant.fields,
                        format!(
                            "variant `{}` has fields; a `DfineryEnum` variant stands for one string value, so remove them",
                            variant.ident
                        ),
                    );
                    return None;
                }
                let own = VariantAttrs::from_attrs(&variant.attrs, errors);
                let rust_name = unraw(&variant.ident);
                let renamed = own.rename.is_some();
                let (value, span) = match own.rename {
                    Some(lit) => (lit.value(), lit.span()),
                    None => {
                        let value = attrs.rename_all.map_or_else(
                            || rust_name.clone(),
                            |r| r.apply_to_variant(&rust_name),
                        );
                        (value, variant.ident.span())
                    }
                };
                Some(Variant {
                    ident: &variant.ident,
                    value,
                    span,
                    attrs_ok: own.ok,
                    rust_name,
                    renamed,
                })
            })
            .collect();
        Some(Enum {
            ident: &input.ident,
            generics: &input.generics,
            registry: attrs.registry,
            bindings: attrs.bindings,
            left_out: variants.len() != data.variants.len(),
            variants,
            rename_all: attrs.rename_all,
            attrs_ok: attrs.ok,
            deprecation: touches_deprecation(&input.attrs)
                || data.variants.iter().any(|v| touches_deprecation(&v.attrs)),
        })
    }
}

/// The name the generated code gives `::dfinery::__private` inside its `const _` block.
const ALIAS: &str = "__dfinery";

/// Records an error for each use of [`ALIAS`] in `input` that the generated code would take
/// for its own alias: the type's name, and every path starting with it (a field type, a
/// generic bound), which inside the generated block would name `::dfinery::__private`, not
/// the user's item, and fail with a confusing "not found" error.
fn reserved_alias(input: &DeriveInput, errors: &mut Errors) {
    struct Paths<'e>(&'e mut Errors);

    impl<'ast> Visit<'ast> for Paths<'_> {
        fn visit_path(&mut self, path: &'ast syn::Path) {
            if path.leading_colon.is_none()
                && let Some(first) = path.segments.first()
                && first.ident == ALIAS
            {
                self.0.at(
                    first.ident.span(),
                    format!(
                        "`{ALIAS}` is the name the DFINERY derives give their own imports in the \
                         code they generate, so this path would not reach your item; write it \
                         from the module it is in (`self::{ALIAS}::…` or `crate::…::{ALIAS}::…`) \
                         or import the item under another name"
                    ),
                );
            }
            syn::visit::visit_path(self, path);
        }
    }

    if input.ident == ALIAS {
        errors.at(
            input.ident.span(),
            format!(
                "`{ALIAS}` is the name the DFINERY derives give their own imports in the code \
                 they generate; rename the type"
            ),
        );
    }
    let mut paths = Paths(errors);
    paths.visit_generics(&input.generics);
    paths.visit_data(&input.data);
}

#[cfg(test)]
mod tests {
    use super::Kind;
    use crate::expand::{derive_enum, derive_struct};

    /// A path starting with the generated code's alias would resolve to `::dfinery::__private`
    /// inside the generated block; the derive says so at the path instead of letting the
    /// compiler report a type "not found" there. A path from `self` reaches the user's module.
    #[test]
    fn a_path_through_a_user_module_named_like_the_alias_is_refused_with_the_fix() {
        let input: syn::DeriveInput = syn::parse_quote! {
            #[dfinery(registry = "../tests/dfinery.toml")]
            struct Reward {
                lifetime_points: __dfinery::Points,
                favorite_brands: Vec<__dfinery::Brand>,
            }
        };
        let out = derive_struct(&input, Kind::Profile).to_string();
        assert_eq!(out.matches("compile_error").count(), 2, "{out}");
        assert!(
            out.contains("write it from the module it is in (`self::__dfinery::…`"),
            "{out}"
        );

        let from_self: syn::DeriveInput = syn::parse_quote! {
            #[dfinery(registry = "../tests/dfinery.toml")]
            struct Reward {
                lifetime_points: self::__dfinery::Points,
            }
        };
        let out = derive_struct(&from_self, Kind::Profile).to_string();
        assert!(!out.contains("compile_error"), "{out}");
    }

    /// A union is told what to write instead, as a tuple struct or an enum is: the error
    /// named no fix.
    #[test]
    fn a_union_is_told_to_be_a_struct_or_an_enum() {
        let input: syn::DeriveInput = syn::parse_quote! {
            union Member { lifetime_points: i64 }
        };
        let out = derive_struct(&input, Kind::Profile).to_string();
        assert!(
            out.contains("`DfineryProfile` can only be derived for a struct with named fields; write `struct Member` instead of `union Member`, with one named field per property"),
            "{out}"
        );
        let out = derive_enum(&input).to_string();
        assert!(
            out.contains("`DfineryEnum` can only be derived for an enum of unit variants; write an `enum` with one unit variant per value"),
            "{out}"
        );
    }

    /// A type named as the alias is refused too (its impls would name the alias).
    #[test]
    fn a_type_named_like_the_alias_is_refused() {
        let input: syn::DeriveInput = syn::parse_quote! {
            #[dfinery(user_property = "tier", rename_all = "lowercase", registry = "../tests/dfinery.toml")]
            enum __dfinery { Bronze, Silver, Gold }
        };
        let out = derive_enum(&input).to_string();
        assert!(out.contains("rename the type"), "{out}");
    }
}
