//! Code generation: turns a checked model into trait impls (sending, and decoding back from
//! exports) that name only `::dfinery::__private` paths, through the alias `__dfinery` that
//! each derive's `const _: () = { … }` block declares first (three tokens per path instead of
//! six, the paths being most of what a derive emits). Reads only the checked model
//! ([`valid::Checked`], [`ast::Enum`](crate::ast::Enum)), never the attributes or the raw
//! input, and never reports user errors: those come from [`valid`].

mod decode;
mod enums;
mod event;
mod names;
#[cfg(test)]
mod size;
mod stub;

pub use enums::derive_enum;

use std::collections::HashSet;
use std::path::{Path, PathBuf};
use std::sync::{Mutex, OnceLock};

use dfinery_schema::{DataType, catalog};
use proc_macro2::{Ident, Span, TokenStream};
use quote::{format_ident, quote, quote_spanned};
use syn::spanned::Spanned;
use syn::visit_mut::VisitMut;
use syn::{DeriveInput, Lifetime, LitStr, Type};

use self::names::Names;
use self::stub::stub;
use crate::ast::{Kind, LintLevel, Role, Struct};
use crate::errors::Errors;
use crate::registry::{ENV_VAR, Loaded};
use crate::valid::{self, Checked, CheckedKind, Scope, Spec};

/// The whole output of `DfineryEvent`, `DfineryItem` or `DfineryProfile` (`kind`): parse,
/// check, then the impls, or every error beside a stub impl.
pub fn derive_struct(input: &DeriveInput, kind: Kind) -> TokenStream {
    let mut errors = Errors::new();
    let Some(parsed) = Struct::from_input(input, kind, &mut errors) else {
        return failed(errors, stub(&input.ident, &input.generics, kind, &[]));
    };
    match valid::check_struct(&parsed, &mut errors) {
        Some(checked) if errors.is_empty() => struct_impl(&checked),
        _ => {
            // An item's declared events go into its stub, so the events holding it raise no
            // second error.
            let declared: Vec<String> = parsed.events.iter().map(LitStr::value).collect();
            failed(errors, stub(parsed.ident, parsed.generics, kind, &declared))
        }
    }
}

/// The errors as `compile_error!`s, beside `stub`.
fn failed(errors: Errors, stub: TokenStream) -> TokenStream {
    let error = errors.into_error().map(|e| e.into_compile_error());
    quote!(#error #stub)
}

/// The impls of a checked struct: its trait (`Event`, `Item` or `Profile`) with a static
/// description, what only its kind has, and its decode impl when it opted in.
fn struct_impl(checked: &Checked<'_, '_>) -> TokenStream {
    let input = checked.input;
    let ident = input.ident;
    let names = Names::of(input.kind);
    let (trait_name, description, write) = (names.trait_name, names.description, names.write);
    let rust_name = ident.to_string();
    let (impl_generics, ty_generics, where_clause) = input.generics.split_for_impl();
    let anchor = registry_anchor(Some(&checked.registry));
    let consts = spec_consts(checked);
    let shapes = shape_consts(checked);
    let deprecations = deprecations(checked);
    let fields = field_descriptions(checked);
    let writes = write_properties(checked);
    let common = quote! {
        rust_name: #rust_name,
        properties: #fields,
    };
    let write = quote! {
        fn #write(&self, __dfinery_w: &mut __dfinery::ObjectWriter<'_>) {
            #writes
        }
    };
    let (description_fields, checks, methods, impls) = match &checked.kind {
        CheckedKind::Event { name } => {
            let event = event::parts(checked, name);
            let methods = event.methods(&write);
            (
                event.description_fields(&common),
                event.items_check,
                methods,
                quote!(),
            )
        }
        CheckedKind::Item { events } => {
            let events = item_events(events);
            (common, quote!(), quote!(#events #write), quote!())
        }
        CheckedKind::Profile => (common, quote!(), write, quote!()),
    };
    // Only a type that says `decode` pays for the decode impl (see `DfineryEvent`'s docs).
    let decode = input.decode.then(|| decode::decode_impl(checked));
    // `deprecated` is allowed in the impls when the struct touches it: a `#[deprecated]`
    // struct, field or item type is the user's to warn about where they use it, not in code
    // they did not write. Not otherwise: an `allow` is an error where `deprecated` is
    // forbidden. The uses that warn on purpose (`df_push_optin`) are in a block of their own,
    // where it is not allowed.
    let allow = input.deprecation.then(|| quote!(#[allow(deprecated)]));
    quote! {
        #deprecations
        #allow
        const _: () = {
            use ::dfinery::__private as __dfinery;
            #anchor
            #consts
            #shapes

            static __DFINERY_DESCRIPTION: __dfinery::#description =
                __dfinery::#description {
                    #description_fields
                };

            #checks

            #[automatically_derived]
            impl #impl_generics __dfinery::#trait_name for #ident #ty_generics #where_clause {
                fn description() -> &'static __dfinery::#description {
                    &__DFINERY_DESCRIPTION
                }

                #methods
            }

            #impls

            #decode
        };
    }
}

/// `Item::EVENTS`: the events an item type was checked against (or, in a stub, declared for),
/// which each event holding it asserts at compile time.
fn item_events(events: &[String]) -> TokenStream {
    quote! {
        const EVENTS: &'static [&'static str] = &[#(#events),*];
    }
}

/// `::dfinery::__private::PropertySpec { …, ..PropertySpec::new(…) }`, a constant expression
/// naming only the fields that differ from `new`'s.
fn spec_expr(spec: &Spec) -> TokenStream {
    let name = &spec.name;
    let ty = data_type(spec.ty);
    let scope = match spec.scope {
        Scope::Event => quote!(Event),
        Scope::Item => quote!(Item),
        Scope::User => quote!(User),
    };
    let new = quote! {
        __dfinery::PropertySpec::new(
            #name,
            __dfinery::DataType::#ty,
            __dfinery::Scope::#scope,
        )
    };
    let mut fields = Vec::new();
    if spec.required {
        fields.push(quote!(required: true,));
    }
    if let Some(max) = spec.max_len {
        fields.push(quote!(max_len: __dfinery::Option::Some(#max),));
    }
    if let Some(max) = spec.max_items {
        fields.push(quote!(max_items: __dfinery::Option::Some(#max),));
    }
    if !spec.enum_values.is_empty() {
        let values = &spec.enum_values;
        fields.push(quote!(enum_values: &[#(#values),*],));
    }
    if fields.is_empty() {
        new
    } else {
        quote!(__dfinery::PropertySpec { #(#fields)* ..#new })
    }
}

/// The `DataType` variant.
fn data_type(ty: DataType) -> Ident {
    Ident::new(ty.variant_name(), Span::call_site())
}

/// The `__private::write_<type>` function for a registered type (`write_string_array` for
/// `StringArray`): it writes the property and bounds the field's type by the type's marker
/// trait.
fn write_fn(ty: DataType) -> Ident {
    format_ident!("write_{}", crate::case::snake(ty.variant_name()))
}

/// The name of the constant holding property `index`'s spec.
fn spec_ident(index: usize) -> Ident {
    format_ident!("__DFINERY_SPEC_{}", index)
}

/// One `const __DFINERY_SPEC_n: PropertySpec = …;` per property.
fn spec_consts(checked: &Checked<'_, '_>) -> TokenStream {
    let consts = checked.properties().enumerate().map(|(i, (_, spec))| {
        let ident = spec_ident(i);
        let expr = spec_expr(spec);
        quote!(const #ident: __dfinery::PropertySpec = #expr;)
    });
    quote!(#(#consts)*)
}

/// For each field mapped to a user property DFINERY's SDKs deprecate (`df_push_optin`), a use
/// of `::dfinery::__private::deprecated::<name>` spanned on the field's name (or its `rename`
/// literal): the compiler's `deprecated` lint then warns on that field with the note of that
/// item, which names the property and what to use instead. A warning, not an error: DFINERY
/// still accepts the property. In a block of their own (none when there is no such field),
/// outside the impls' `#[allow(deprecated)]` (when they have one).
///
/// A lint takes its level from where the code is, and this block is beside the struct, not in
/// it: the struct's lint levels that set `deprecated` (`#[allow(deprecated)]`,
/// `#[deny(warnings)]`, …) are put on the block, and the field's on its use, so they apply as
/// written on the struct. (`#[expect(deprecated)]` is put as `allow`: the struct's own
/// expectation stays unfulfilled, code outside the struct cannot fulfil it.)
fn deprecations(checked: &Checked<'_, '_>) -> TokenStream {
    let uses = checked.properties().filter_map(|(field, spec)| {
        if spec.scope != Scope::User {
            return None;
        }
        let deprecation = catalog::deprecated_user_property(&spec.name)?;
        let span = match &field.role {
            Role::Property { span, .. } => *span,
            _ => field.ident.span(),
        };
        let item = Ident::new(deprecation.name, span);
        let levels = lint_levels(&field.lints);
        Some(quote_spanned! {span=>
            #levels
            const _: () = __dfinery::deprecated::#item;
        })
    });
    let uses: Vec<TokenStream> = uses.collect();
    if uses.is_empty() {
        return TokenStream::new();
    }
    let levels = lint_levels(&checked.input.lints);
    quote! {
        #levels
        const _: () = {
            use ::dfinery::__private as __dfinery;
            #(#uses)*
        };
    }
}

/// `#[level(lint, …)]` for each of `levels`, the level and the lints spanned as the user wrote
/// them (so the compiler's "the lint level is defined here" points at their attribute).
fn lint_levels(levels: &[LintLevel]) -> TokenStream {
    let attrs = levels
        .iter()
        .map(|LintLevel { level, lints }| quote!(#[#level(#(#lints),*)]));
    quote!(#(#attrs)*)
}

/// The `FieldDescription`s of the properties, for a description's `properties`.
fn field_descriptions(checked: &Checked<'_, '_>) -> TokenStream {
    let fields = checked.properties().enumerate().map(|(i, (field, spec))| {
        let ident = spec_ident(i);
        let rust = field.rust_name();
        let absent = absent(checked, field, spec);
        let values = values(checked, field, spec);
        quote!(__dfinery::FieldDescription {
            rust_field: #rust,
            spec: #ident,
            absent: #absent,
            values: #values,
        })
    });
    quote!(&[#(#fields),*])
}

/// `FieldDescription::absent` of a property field: `true` when its type as written holds an
/// `Option` or a `Patch`, `false` when it is a plain value ([`valid::plain_value`]), else the
/// type's `SHAPE`, a constant expression (an alias or a user type may hide an `Option`). A type
/// naming one of the struct's type or const parameters cannot be probed (the description is one
/// `static` for every instantiation, where no parameter can be named): it is read as possibly
/// absent (`comment: T` may be an `Option<String>`), unless its property was required at build
/// time, where the derive's check in the write method refuses an `Option` for it.
fn absent(checked: &Checked<'_, '_>, field: &crate::ast::Field<'_>, spec: &Spec) -> TokenStream {
    let written = valid::wrappers(field.ty)
        .iter()
        .any(|(name, _)| matches!(*name, "Option" | "Patch"));
    if written || valid::plain_value(field.ty) {
        return quote!(#written);
    }
    let generics = checked.input.generics;
    if valid::type_param_in(generics, field.ty).is_some()
        || valid::const_param_in(generics, field.ty).is_some()
    {
        let maybe = !spec.required;
        return quote!(#maybe);
    }
    let ty = static_type(field.ty);
    let probe = Ident::new(
        &crate::case::snake(spec.ty.variant_name()).to_ascii_uppercase(),
        Span::call_site(),
    );
    let fallback = probe_fallback();
    quote! {
        {
            #fallback
            __dfinery::Probe::<#ty>::#probe & __dfinery::shape::ABSENT != 0
        }
    }
}

/// `FieldDescription::values` of a property field: for a String or Array of String property,
/// the `VALUES` of its type (a `DfineryEnum`'s wire values, through an `Option`, a `Patch`, a
/// pointer or the array), a constant expression; `&[]` (any value) for a plain text as written
/// ([`valid::plain_text`], no probe needed), for a type naming one of the struct's type or
/// const parameters (no `static` can name them), and for the other types.
fn values(checked: &Checked<'_, '_>, field: &crate::ast::Field<'_>, spec: &Spec) -> TokenStream {
    let generics = checked.input.generics;
    let probe = match spec.ty {
        DataType::String => quote!(STRING_VALUES),
        DataType::StringArray => quote!(STRING_ARRAY_VALUES),
        _ => return quote!(&[]),
    };
    if valid::plain_text(field.ty)
        || valid::type_param_in(generics, field.ty).is_some()
        || valid::const_param_in(generics, field.ty).is_some()
    {
        return quote!(&[]);
    }
    let ty = static_type(field.ty);
    let fallback = probe_fallback();
    quote! {
        {
            #fallback
            __dfinery::Probe::<#ty>::#probe
        }
    }
}

/// The import of `ProbeFallback` a `Probe::<T>::…` expression needs in its block, for a type
/// that does not fill the property. The probe alone uses it only for such a type, so the
/// import is also named in a path, always: an `#[allow(unused_imports)]` instead is an error
/// (E0453) where the user's crate or module forbids `unused_imports`. Renamed so that a user
/// type called `ProbeFallback` in the probed field's type is not shadowed by it.
fn probe_fallback() -> TokenStream {
    quote! {
        use __dfinery::ProbeFallback as __DfineryProbeFallback;
        const _: u8 = <__dfinery::Probe<()> as __DfineryProbeFallback>::STRING;
    }
}

/// One of the derive's own names (a parameter or local it declares), spanned at the derive.
/// Interpolated into tokens spanned on a field's type (so that errors point at the field), it
/// still names what the derive declared when the type comes from another expansion than the
/// `#[derive]`, as a field type written by a `macro_rules!` body for a derive its caller wrote:
/// `macro_rules!` hygiene keeps the locals of different expansions apart.
fn local(name: &str) -> Ident {
    Ident::new(name, Span::call_site())
}

/// `self`, spanned at the derive, for the same reason as [`local`] (hygiene treats `self` as
/// a local).
fn this() -> TokenStream {
    quote!(self)
}

/// A reference to the field `member` of type `ty` of `self`, spanned on `ty`: `&self.member`,
/// or, in a `#[repr(packed)]` struct, where that reference may be unaligned (E0793), to a copy
/// of the field, through `packed_field`, whose bound says that the field's type must be `Copy`
/// and how to fix it (rather than "cannot move out of `self.member`").
fn self_field(checked: &Checked<'_, '_>, member: &Ident, ty: &syn::Type) -> TokenStream {
    let this = this();
    if checked.input.packed {
        quote_spanned!(ty.span()=> &__dfinery::packed_field::<#ty>(#this.#member))
    } else {
        quote_spanned!(ty.span()=> &#this.#member)
    }
}

/// The compile-time check of a property field whose type, as written, may hide an `Option` or
/// a `Patch` ([`valid::plain_value`]: a type alias, a type parameter, a user type), against the
/// rules `valid` checks on `Option<T>` and `Patch<T>` written out (`field::check_wrapper`): a
/// required property cannot be absent, a `Patch` is only for user properties, and a user
/// property's `Option` cannot be inside another `Option` or a `Patch`. A block that panics at
/// compile time, spanned on the field's type, with the message naming the property and the fix;
/// and whether the type names one of the struct's type or const parameters (then it is checked
/// where the struct is used with its parameters, inside the write method).
fn shape_check(
    checked: &Checked<'_, '_>,
    field: &crate::ast::Field<'_>,
    spec: &Spec,
) -> Option<(TokenStream, bool)> {
    if valid::plain_value(field.ty) {
        return None;
    }
    // A const parameter (`Tags<N>`) can no more be named outside the struct than a type one.
    let generics = checked.input.generics;
    let generic = valid::type_param_in(generics, field.ty).is_some()
        || valid::const_param_in(generics, field.ty).is_some();
    let ty = if generic {
        field.ty.clone()
    } else {
        static_type(field.ty)
    };
    let text = valid::type_text(crate::valid::peeled_type(field.ty));
    let rust = field.rust_name();
    let name = &spec.name;
    let (noun, owner) = match (&checked.kind, spec.scope) {
        (CheckedKind::Event { name }, _) => ("property", format!(" for event `{name}`")),
        (CheckedKind::Item { events }, _) => {
            let events: Vec<String> = events.iter().map(|e| format!("`{e}`")).collect();
            let s = if events.len() == 1 { "" } else { "s" };
            (
                "item property",
                format!(" for event{s} {}", events.join(" and ")),
            )
        }
        (CheckedKind::Profile, _) => ("user property", String::new()),
    };
    let (bits, message) = if spec.required {
        (
            quote!(ABSENT),
            format!(
                "{noun} `{name}` is required{owner}, but `{text}`, the type of field `{rust}`, can be absent: it holds an `Option` or a `Patch`, which sends nothing when `None` or `Keep`; use the type inside it"
            ),
        )
    } else if spec.scope != Scope::User {
        (
            quote!(PATCH),
            format!(
                "`Patch` is only for user properties (it can send `null`), and `{text}`, the type of field `{rust}`, holds one; use an `Option` for the optional {noun} `{name}`{owner}"
            ),
        )
    } else {
        (
            quote!(NESTED),
            format!(
                "`{text}`, the type of field `{rust}`, holds an `Option` inside an `Option` or a `Patch`, which cannot clear {noun} `{name}`: its inner `None` sends nothing; use `Patch<T>`, whose `Patch::Clear` sends the `null` that clears it"
            ),
        )
    };
    let probe = Ident::new(
        &crate::case::snake(spec.ty.variant_name()).to_ascii_uppercase(),
        Span::call_site(),
    );
    let fallback = probe_fallback();
    let check = quote_spanned! {field.ty.span()=>
        {
            #fallback
            if __dfinery::Probe::<#ty>::#probe & __dfinery::shape::#bits != 0 {
                ::core::panic!("{}", #message);
            }
        }
    };
    Some((check, generic))
}

/// The [`shape_check`]s of the fields whose type names no type or const parameter, as constants
/// beside the impls: checked wherever the struct is defined, by `cargo check` too.
fn shape_consts(checked: &Checked<'_, '_>) -> TokenStream {
    let consts = checked.properties().filter_map(|(field, spec)| {
        let (check, generic) = shape_check(checked, field, spec)?;
        (!generic).then(|| quote!(const _: () = #check;))
    });
    quote!(#(#consts)*)
}

/// The body that writes every property through `__dfinery_w`, each with the `write_<type>`
/// function of its registered type, called with the field's type and spanned on it, so a type
/// that cannot fill the property is one error pointing at the field's type.
fn write_properties(checked: &Checked<'_, '_>) -> TokenStream {
    let writes = checked
        .properties()
        .enumerate()
        .map(|(i, (field_ref, spec))| {
            let field = field_ref;
            let ident = spec_ident(i);
            let ty = field.ty;
            let field = field.ident;
            let write = write_fn(spec.ty);
            let w = local("__dfinery_w");
            let read = self_field(checked, field, ty);
            // A type naming a type or const parameter is checked for each parameter the struct
            // is used with (an inline constant of a generic method), so only by a build, not `cargo check`.
            let check = shape_check(checked, field_ref, spec)
                .filter(|(_, generic)| *generic)
                .map(|(check, _)| quote_spanned!(ty.span()=> const #check;));
            quote_spanned! {ty.span()=>
                #check
                __dfinery::#write::<#ty>(#w, &#ident, #read);
            }
        });
    quote!(#(#writes)*)
}

/// Makes cargo rebuild the crate when the registry file or `DFINERY_REGISTRY` changes.
///
/// The file is included once per compilation (the first derive that uses it): cargo tracks
/// every file a crate includes, so one copy is enough, and each copy costs the compiler the
/// file's size again (measured by `dfinery-bench`: a tenth of the build time of a crate of 100
/// derived events).
///
/// The env var is read once per compilation too, by the first derive: cargo records what a
/// crate reads, not how often.
fn registry_anchor(loaded: Option<&Loaded>) -> TokenStream {
    let file = loaded.filter(|l| first_inclusion(&l.path)).map(|l| {
        let path = l.path.to_string_lossy();
        quote!(
            const _: &[u8] = ::core::include_bytes!(#path);
        )
    });
    // A key no file path can be (it holds a NUL).
    let env = first_inclusion(Path::new("\0env")).then(|| {
        quote! {
            const _: ::core::option::Option<&str> = ::core::option_env!(#ENV_VAR);
        }
    });
    quote! {
        #file
        #env
    }
}

/// Whether `path` is included for the first time in this compilation. A compiler process
/// builds one crate and keeps the proc macro loaded throughout, so this set is per crate.
fn first_inclusion(path: &Path) -> bool {
    static INCLUDED: OnceLock<Mutex<HashSet<PathBuf>>> = OnceLock::new();
    INCLUDED
        .get_or_init(Mutex::default)
        .lock()
        .map_or(true, |mut included| included.insert(path.to_path_buf()))
}

/// `ty` with every lifetime replaced by `'static`, so it can be named in a `static`/`const`.
fn static_type(ty: &Type) -> Type {
    struct Erase;
    impl VisitMut for Erase {
        fn visit_lifetime_mut(&mut self, lifetime: &mut Lifetime) {
            *lifetime = Lifetime::new("'static", lifetime.span());
        }
    }
    let mut ty = ty.clone();
    Erase.visit_type_mut(&mut ty);
    ty
}
