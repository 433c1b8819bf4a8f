//! Code generation: turns a checked model into trait impls (sending, and decoding back from
//! exports) that name only `::dfinery::__private` paths. Never reports user errors: those come from [`valid`](crate::valid).

mod decode;
mod enums;
mod event;
mod item;
mod profile;
#[cfg(test)]
mod size;
mod stub;

pub use enums::derive_enum;
pub use event::derive_event;
pub use item::derive_item;
pub use profile::derive_profile;

use std::collections::HashSet;
use std::path::{Path, PathBuf};
use std::sync::{Mutex, OnceLock};

use dfinery_schema::{DataType, catalog};
use proc_macro2::{Ident, Span, TokenStream};
use quote::{format_ident, quote, quote_spanned};
use syn::spanned::Spanned;
use syn::visit_mut::VisitMut;
use syn::{Lifetime, Type};

use crate::ast::Role;
use crate::registry::{ENV_VAR, Loaded};
use crate::valid::{Property, Scope, Spec};

/// `::dfinery::__private::PropertySpec::new(…).with_…(…)`, a constant expression.
fn spec_expr(spec: &Spec) -> TokenStream {
    let name = &spec.name;
    let ty = data_type(spec.ty);
    let scope = match spec.scope {
        Scope::Event => quote!(Event),
        Scope::Item => quote!(Item),
        Scope::User => quote!(User),
    };
    let mut expr = quote! {
        ::dfinery::__private::PropertySpec::new(
            #name,
            ::dfinery::__private::DataType::#ty,
            ::dfinery::__private::Scope::#scope,
        )
    };
    if spec.required {
        expr = quote!(#expr.with_required(true));
    }
    if let Some(max) = spec.max_len {
        expr = quote!(#expr.with_max_len(#max));
    }
    if let Some(max) = spec.max_items {
        expr = quote!(#expr.with_max_items(#max));
    }
    if !spec.enum_values.is_empty() {
        let values = &spec.enum_values;
        expr = quote!(#expr.with_enum_values(&[#(#values),*]));
    }
    expr
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
fn spec_consts(properties: &[Property<'_, '_>]) -> TokenStream {
    let consts = properties.iter().enumerate().map(|(i, p)| {
        let ident = spec_ident(i);
        let expr = spec_expr(&p.spec);
        quote!(const #ident: ::dfinery::__private::PropertySpec = #expr;)
    });
    quote!(#(#consts)*)
}

/// For each field mapped to a user property DFINERY's SDKs deprecate (`df_push_optin`), a use
/// of `::dfinery::__private::deprecated::<name>` spanned on the field's name (or its `rename`
/// literal): the compiler's `deprecated` lint then warns on that field with the note of that
/// item, which names the property and what to use instead. A warning, not an error: DFINERY
/// still accepts the property.
fn deprecations(properties: &[Property<'_, '_>]) -> TokenStream {
    let uses = properties.iter().filter_map(|p| {
        if p.spec.scope != Scope::User {
            return None;
        }
        let deprecation = catalog::deprecated_user_property(&p.spec.name)?;
        let span = match &p.field.role {
            Role::Property { span, .. } => *span,
            _ => p.field.ident.span(),
        };
        let item = Ident::new(deprecation.name, span);
        Some(quote_spanned! {span=>
            const _: () = ::dfinery::__private::deprecated::#item;
        })
    });
    quote!(#(#uses)*)
}

/// The `FieldDescription`s of the properties, for a description's `properties`.
fn field_descriptions(properties: &[Property<'_, '_>]) -> TokenStream {
    let fields = properties.iter().enumerate().map(|(i, p)| {
        let ident = spec_ident(i);
        let rust = p.field.rust_name();
        quote!(::dfinery::__private::FieldDescription { rust_field: #rust, spec: #ident })
    });
    quote!(&[#(#fields),*])
}

/// The body that writes every property through `__dfinery_w`, each with the `write_<type>`
/// function of its registered type, called with the field's type and spanned on it, so a type
/// that cannot fill the property is one error pointing at the field's type.
fn write_properties(properties: &[Property<'_, '_>]) -> TokenStream {
    let writes = properties.iter().enumerate().map(|(i, p)| {
        let ident = spec_ident(i);
        let field = p.field.ident;
        let ty = p.field.ty;
        let write = write_fn(p.spec.ty);
        quote_spanned! {ty.span()=>
            ::dfinery::__private::#write::<#ty>(__dfinery_w, &#ident, &self.#field);
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
