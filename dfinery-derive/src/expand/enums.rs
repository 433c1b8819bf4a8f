//! `#[derive(DfineryEnum)]`: `impl DfineryEnumValue`, then `PropertyValue`, `StringProperty`
//! and `ArrayElement` through `__private::impl_enum_property!` (a blanket impl is impossible,
//! E0119); and for decoding exports `FromCell` and `FromElement` through
//! `__private::impl_enum_cell!`, which read the variant with `DfineryEnumValue::from_value`.

use proc_macro2::TokenStream;
use quote::quote;
use syn::DeriveInput;

use super::registry_anchor;
use super::stub::enum_stub;
use crate::ast::Enum;
use crate::errors::Errors;
use crate::valid::check_enum;

/// The whole output of the derive. The impls are emitted even beside errors about values:
/// they are well-formed, so the enum still works where it is used and only the real errors show.
pub fn derive_enum(input: &DeriveInput) -> TokenStream {
    let mut errors = Errors::new();
    let Some(parsed) = Enum::from_input(input, &mut errors) else {
        let error = errors.into_error().map(|e| e.into_compile_error());
        // Not an enum: a stub, so the fields it fills raise no second error. (A generic type
        // gets none: an enum of unit variants cannot use a parameter, which the compiler
        // reports anyway, and the impl macros take no generics.)
        let stub = input
            .generics
            .params
            .is_empty()
            .then(|| enum_stub(&input.ident));
        return quote!(#error #stub);
    };
    let checked = check_enum(&parsed, &mut errors);
    let error = errors.into_error().map(|e| e.into_compile_error());
    if !parsed.generics.params.is_empty() {
        return quote!(#error);
    }
    let ident = parsed.ident;
    let values: Vec<&String> = parsed.variants.iter().map(|v| &v.value).collect();
    let arms = parsed.variants.iter().map(|v| {
        let variant = v.ident;
        let value = &v.value;
        quote!(#ident::#variant => #value)
    });
    // Variants with fields were reported; they get an arm so that is the only error.
    let rest = parsed
        .left_out
        .then(|| quote!(_ => ::core::unreachable!(),));
    let body = if parsed.variants.is_empty() && !parsed.left_out {
        quote!(match *self {})
    } else {
        quote!(match self { #(#arms,)* #rest })
    };
    let from_arms = parsed.variants.iter().map(|v| {
        let variant = v.ident;
        let value = &v.value;
        quote!(#value => ::core::option::Option::Some(#ident::#variant))
    });
    let anchor = checked.registry.as_ref().map(|r| registry_anchor(Some(r)));
    // A `#[deprecated]` enum or variant is the user's to warn about where they use it; an
    // `allow` of an enum that touches no deprecation would be an error where it is forbidden.
    let allow = parsed.deprecation.then(|| quote!(#[allow(deprecated)]));
    // Two variants with one value were reported, and the first wins here; without errors the
    // arms are distinct, and an `allow` would be an error where the lint is forbidden.
    let unreachable = error
        .is_some()
        .then(|| quote!(#[allow(unreachable_patterns)]));
    quote! {
        #error
        #allow
        const _: () = {
            use ::dfinery::__private as __dfinery;
            #anchor

            #[automatically_derived]
            impl __dfinery::DfineryEnumValue for #ident {
                const VALUES: &'static [&'static str] = &[#(#values),*];

                fn as_str(&self) -> &'static str {
                    #body
                }

                fn from_value(value: &str) -> ::core::option::Option<Self> {
                    #unreachable
                    match value {
                        #(#from_arms,)*
                        _ => ::core::option::Option::None,
                    }
                }
            }

            __dfinery::impl_enum_property!(#ident);
            __dfinery::impl_enum_cell!(#ident);
        };
    }
}
