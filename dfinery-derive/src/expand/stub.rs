//! The impl emitted beside the errors when a derive fails (thiserror's `fallback.rs`), so the
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
        #[allow(unreachable_code, clippy::unreachable)]
        const _: () = {
            #[automatically_derived]
            impl #impl_generics ::dfinery::__private::#trait_name for #ident #ty_generics #where_clause {
                #item_events
                fn description() -> &'static ::dfinery::__private::#description {
                    ::core::unreachable!()
                }
                #event_name
                fn #write(&self, _: &mut ::dfinery::__private::ObjectWriter<'_>) {
                    ::core::unreachable!()
                }
            }
            #[automatically_derived]
            impl #impl_generics ::dfinery::__private::#decode for #ident #ty_generics #where_clause {
                const FIELDS: &'static [::dfinery::__private::Field] = &[];
                fn #from_rows(
                    _: &#rows,
                    _: &::dfinery::__private::Columns,
                ) -> ::core::result::Result<Self, ::dfinery::__private::ExportError> {
                    ::core::unreachable!()
                }
            }
        };
    }
}
