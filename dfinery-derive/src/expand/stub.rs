//! The impl emitted beside the errors when a derive fails (thiserror's `fallback.rs`), so the
//! user sees only the real errors and not "`Purchase` does not implement `Event`" after them.

use proc_macro2::TokenStream;
use quote::quote;
use syn::DeriveInput;

use crate::ast::Kind;

/// A trait impl for `kind` whose bodies are `unreachable!()`; `events` are the events an item
/// declared, so events that hold it raise no second error.
pub fn stub(input: &DeriveInput, kind: Kind, events: &[String]) -> TokenStream {
    let ident = &input.ident;
    let (impl_generics, ty_generics, where_clause) = input.generics.split_for_impl();
    // The decode trait of each kind: one shape, differing in its name and how rows come in.
    let (decode_trait, from_rows, rows) = match kind {
        Kind::Event => (
            quote!(DecodeEvent),
            quote!(from_export_rows),
            quote!(::dfinery::__private::EventGroup<'_>),
        ),
        Kind::Item => (
            quote!(DecodeItem),
            quote!(from_export_row),
            quote!(::dfinery::__private::ExportRow<'_>),
        ),
        Kind::Profile => (
            quote!(DecodeProfile),
            quote!(from_export_row),
            quote!(::dfinery::__private::ExportRow<'_>),
        ),
    };
    let decode = quote! {
        #[automatically_derived]
        impl #impl_generics ::dfinery::__private::#decode_trait for #ident #ty_generics #where_clause {
            fn export_columns(
                _: &::dfinery::__private::Header,
            ) -> ::core::result::Result<::dfinery::__private::Columns, ::dfinery::__private::ExportError> {
                ::core::unreachable!()
            }
            fn #from_rows(
                _: &#rows,
                _: &::dfinery::__private::Columns,
            ) -> ::core::result::Result<Self, ::dfinery::__private::ExportError> {
                ::core::unreachable!()
            }
        }
    };
    let body = match kind {
        Kind::Event => quote! {
            #[automatically_derived]
            impl #impl_generics ::dfinery::__private::Event for #ident #ty_generics #where_clause {
                fn description() -> &'static ::dfinery::__private::EventDescription {
                    ::core::unreachable!()
                }
                fn event_name(&self) -> &'static str {
                    ::core::unreachable!()
                }
                fn write_properties(&self, _: &mut ::dfinery::__private::ObjectWriter<'_>) {
                    ::core::unreachable!()
                }
            }
            #decode
        },
        Kind::Item => quote! {
            #[automatically_derived]
            impl #impl_generics ::dfinery::__private::Item for #ident #ty_generics #where_clause {
                fn description() -> &'static ::dfinery::__private::ItemDescription {
                    ::core::unreachable!()
                }
                fn write_item(&self, _: &mut ::dfinery::__private::ObjectWriter<'_>) {
                    ::core::unreachable!()
                }
            }
            #[automatically_derived]
            impl #impl_generics ::dfinery::__private::ItemEvents for #ident #ty_generics #where_clause {
                const EVENTS: &'static [&'static str] = &[#(#events),*];
            }
            #decode
        },
        Kind::Profile => quote! {
            #[automatically_derived]
            impl #impl_generics ::dfinery::__private::Profile for #ident #ty_generics #where_clause {
                fn description() -> &'static ::dfinery::__private::ProfileDescription {
                    ::core::unreachable!()
                }
                fn write_user_properties(&self, _: &mut ::dfinery::__private::ObjectWriter<'_>) {
                    ::core::unreachable!()
                }
            }
            #decode
        },
    };
    quote! {
        #[allow(unreachable_code, clippy::unreachable)]
        const _: () = {
            #body
        };
    }
}
