//! `#[derive(DfineryItem)]`: `impl Item`, its static description, `impl DecodeItem`, and the
//! list of events it was checked against (`ItemEvents`), which each event holding it asserts.

use proc_macro2::TokenStream;
use quote::quote;
use syn::DeriveInput;

use super::decode::{Sources, Target, decode_impl};
use super::stub::stub;
use super::{field_descriptions, registry_anchor, spec_consts, write_properties};
use crate::ast::{Kind, Struct};
use crate::errors::Errors;
use crate::valid::{CheckedItem, check_item};

/// The whole output of the derive: the impls, or the errors beside stub impls.
pub fn derive_item(input: &DeriveInput) -> TokenStream {
    let mut errors = Errors::new();
    let mut declared = Vec::new();
    let checked = Struct::from_input(input, Kind::Item, &mut errors).and_then(|parsed| {
        declared = parsed.events.iter().map(syn::LitStr::value).collect();
        let checked = check_item(&parsed, &mut errors);
        checked
            .filter(|_| errors.is_empty())
            .map(|c| expand(input, &c, parsed.decode))
    });
    match (errors.into_error(), checked) {
        (None, Some(tokens)) => tokens,
        (error, _) => {
            let error = error.map(|e| e.into_compile_error());
            let stub = stub(input, Kind::Item, &declared);
            quote!(#error #stub)
        }
    }
}

fn expand(input: &DeriveInput, item: &CheckedItem<'_, '_>, decode: bool) -> TokenStream {
    let ident = &input.ident;
    let rust_name = ident.to_string();
    let (impl_generics, ty_generics, where_clause) = input.generics.split_for_impl();
    let anchor = registry_anchor(Some(&item.registry));
    let consts = spec_consts(&item.properties);
    let fields = field_descriptions(&item.properties);
    let writes = write_properties(&item.properties);
    let events = &item.events;
    // Only a type that says `decode` pays for the decode impl (see `DfineryEvent`'s docs).
    let decode = decode.then(|| {
        decode_impl(
            input,
            Target::Item,
            &Sources {
                properties: &item.properties,
                items: None,
                datetime: None,
                log_id: None,
            },
        )
    });
    quote! {
        #[allow(non_upper_case_globals)]
        const _: () = {
            #anchor
            #consts

            static __DFINERY_DESCRIPTION: ::dfinery::__private::ItemDescription =
                ::dfinery::__private::ItemDescription {
                    rust_name: #rust_name,
                    properties: #fields,
                };

            #[automatically_derived]
            impl #impl_generics ::dfinery::__private::Item for #ident #ty_generics #where_clause {
                fn description() -> &'static ::dfinery::__private::ItemDescription {
                    &__DFINERY_DESCRIPTION
                }

                fn write_item(&self, __dfinery_w: &mut ::dfinery::__private::ObjectWriter<'_>) {
                    #writes
                }
            }

            #[automatically_derived]
            impl #impl_generics ::dfinery::__private::ItemEvents for #ident #ty_generics #where_clause {
                const EVENTS: &'static [&'static str] = &[#(#events),*];
            }

            #decode
        };
    }
}
