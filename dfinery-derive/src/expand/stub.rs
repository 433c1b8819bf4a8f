//! The impls emitted beside the errors when a derive fails (thiserror's `fallback.rs`), so the
//! user sees only the real errors and not "`Purchase` does not implement `Event`" after them.

use proc_macro2::TokenStream;
use quote::quote;
use syn::{Generics, Ident};

use super::item_events;
use super::names::Names;
use crate::ast::Kind;

/// The impls of a `kind` derive for `ident` whose bodies are `unreachable!()`; `events` are the
/// events an item declared, so events that hold it raise no second error.
pub fn stub(ident: &Ident, generics: &Generics, kind: Kind, events: &[String]) -> TokenStream {
    let Names {
        trait_name,
        description,
        write,
        decode,
        from_rows,
        rows,
        ..
    } = Names::of(kind);
    let (impl_generics, ty_generics, where_clause) = generics.split_for_impl();
    let event_name = (kind == Kind::Event).then(|| {
        quote! {
            fn event_name(&self) -> &'static str {
                ::core::unreachable!()
            }
        }
    });
    let item_events = (kind == Kind::Item).then(|| item_events(events));
    quote! {
        #[allow(unreachable_code, clippy::unreachable, deprecated)]
        const _: () = {
            use ::dfinery::__private as __dfinery;
            #[automatically_derived]
            impl #impl_generics __dfinery::#trait_name for #ident #ty_generics #where_clause {
                #item_events
                fn description() -> &'static __dfinery::#description {
                    ::core::unreachable!()
                }
                #event_name
                fn #write(&self, _: &mut __dfinery::ObjectWriter<'_>) {
                    ::core::unreachable!()
                }
            }
            #[automatically_derived]
            impl #impl_generics __dfinery::#decode for #ident #ty_generics #where_clause {
                const FIELDS: &'static [__dfinery::Field] = &[];
                fn #from_rows(
                    _: &#rows,
                    _: &__dfinery::Columns,
                ) -> ::core::result::Result<Self, __dfinery::ExportError> {
                    ::core::unreachable!()
                }
            }
        };
    }
}

/// The impls of `DfineryEnum` for `ident`, a type it cannot be derived for (not an enum):
/// `DfineryEnumValue` with `unreachable!()` bodies and the property and cell impls on it, so a
/// field of that type raises no "cannot fill a DFINERY String property" after the real error.
pub fn enum_stub(ident: &Ident) -> TokenStream {
    quote! {
        #[allow(unreachable_code, clippy::unreachable, deprecated)]
        const _: () = {
            use ::dfinery::__private as __dfinery;
            #[automatically_derived]
            impl __dfinery::DfineryEnumValue for #ident {
                const VALUES: &'static [&'static str] = &[];
                fn as_str(&self) -> &'static str {
                    ::core::unreachable!()
                }
                fn from_value(_: &str) -> ::core::option::Option<Self> {
                    ::core::unreachable!()
                }
            }
            __dfinery::impl_enum_property!(#ident);
            __dfinery::impl_enum_cell!(#ident);
        };
    }
}
