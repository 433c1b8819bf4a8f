//! `#[derive(DfineryEvent)]`: `impl Event`, the event's static description, the compile-time
//! assertion that its items were checked against this event, and `impl DecodeEvent`.

use proc_macro2::TokenStream;
use quote::{quote, quote_spanned};
use syn::DeriveInput;
use syn::spanned::Spanned;

use super::decode::{Sources, Target, decode_impl};
use super::stub::stub;
use super::{field_descriptions, registry_anchor, spec_consts, static_type, write_properties};
use crate::ast::{Kind, Struct};
use crate::errors::Errors;
use crate::valid::{CheckedEvent, check_event};

/// The whole output of the derive: the impl, or the errors beside a stub impl.
pub fn derive_event(input: &DeriveInput) -> TokenStream {
    let mut errors = Errors::new();
    let checked = Struct::from_input(input, Kind::Event, &mut errors).and_then(|parsed| {
        let checked = check_event(&parsed, &mut errors);
        checked
            .filter(|_| errors.is_empty())
            .map(|c| expand(input, &c, parsed.decode))
    });
    match (errors.into_error(), checked) {
        (None, Some(tokens)) => tokens,
        (error, _) => {
            let error = error.map(|e| e.into_compile_error());
            let stub = stub(input, Kind::Event, &[]);
            quote!(#error #stub)
        }
    }
}

fn expand(input: &DeriveInput, event: &CheckedEvent<'_, '_>, decode: bool) -> TokenStream {
    let ident = &input.ident;
    let rust_name = ident.to_string();
    let name = &event.name;
    let (impl_generics, ty_generics, where_clause) = input.generics.split_for_impl();
    let anchor = registry_anchor(Some(&event.registry));
    let consts = spec_consts(&event.properties);
    let fields = field_descriptions(&event.properties);
    let writes = write_properties(&event.properties);

    let (items_description, write_items, items_check) = match event.items {
        None => (quote!(::core::option::Option::None), quote!(), quote!()),
        Some((field, required)) => {
            let ty = field.ty;
            let static_ty = static_type(ty);
            let member = field.ident;
            let rust_field = field.rust_name();
            let require = required.then(|| quote!(__dfinery_w.require_items();));
            let message = format!(
                "the items in field `{rust_field}` are not checked against event `{name}`; add `event = \"{name}\"` to the `#[dfinery(...)]` of their `DfineryItem` type"
            );
            (
                quote_spanned! {ty.span()=>
                    ::core::option::Option::Some(::dfinery::__private::ItemsDescription {
                        rust_field: #rust_field,
                        required: #required,
                        item: <#static_ty as ::dfinery::__private::EventItems>::item_description,
                    })
                },
                quote_spanned! {ty.span()=>
                    fn write_items(&self, __dfinery_w: &mut ::dfinery::__private::ItemsWriter<'_>) {
                        #require
                        <#ty as ::dfinery::__private::EventItems>::write_event_items(
                            &self.#member,
                            __dfinery_w,
                        );
                    }
                },
                quote_spanned! {ty.span()=>
                    const _: () = {
                        if !::dfinery::__private::item_checked_for(
                            <#static_ty as ::dfinery::__private::EventItems>::EVENTS,
                            #name,
                        ) {
                            ::core::panic!(#message);
                        }
                    };
                },
            )
        }
    };
    let datetime = event.datetime.map(|field| {
        let member = field.ident;
        quote_spanned! {field.ty.span()=>
            fn event_datetime(&self) -> ::core::option::Option<::dfinery::__private::Datetime> {
                ::dfinery::__private::EventDatetimeField::event_datetime(&self.#member)
            }
        }
    });
    let log_id = event.log_id.map(|field| {
        let member = field.ident;
        quote_spanned! {field.ty.span()=>
            fn event_log_id(&self) -> ::core::option::Option<::dfinery::__private::Uuid> {
                ::dfinery::__private::EventLogIdField::event_log_id(&self.#member)
            }
        }
    });

    // Only a type that says `decode` pays for the decode impl (see `DfineryEvent`'s docs).
    let decode = decode.then(|| {
        decode_impl(
            input,
            Target::Event,
            &Sources {
                properties: &event.properties,
                items: event.items.map(|(field, _)| field),
                datetime: event.datetime,
                log_id: event.log_id,
            },
        )
    });

    quote! {
        #[allow(non_upper_case_globals)]
        const _: () = {
            #anchor
            #consts

            static __DFINERY_DESCRIPTION: ::dfinery::__private::EventDescription =
                ::dfinery::__private::EventDescription {
                    name: #name,
                    rust_name: #rust_name,
                    properties: #fields,
                    items: #items_description,
                };

            #items_check

            #[automatically_derived]
            impl #impl_generics ::dfinery::__private::Event for #ident #ty_generics #where_clause {
                fn description() -> &'static ::dfinery::__private::EventDescription {
                    &__DFINERY_DESCRIPTION
                }

                fn event_name(&self) -> &'static str {
                    #name
                }

                fn write_properties(&self, __dfinery_w: &mut ::dfinery::__private::ObjectWriter<'_>) {
                    #writes
                }

                #write_items
                #datetime
                #log_id
            }

            #decode
        };
    }
}
