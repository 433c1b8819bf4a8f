//! What only `#[derive(DfineryEvent)]` generates: the event's name, its items (the description,
//! the write, and the compile-time assertion that the item type was checked against this
//! event), and the `datetime` and `log_id` fields.

use proc_macro2::TokenStream;
use quote::{quote, quote_spanned};
use syn::spanned::Spanned;

use super::static_type;
use crate::valid::Checked;

/// The event's parts of the `Event` impl and its description.
pub struct EventParts<'c> {
    /// The registered event name.
    name: &'c str,
    /// The description's `items` value.
    items_description: TokenStream,
    /// `fn write_items`, when there is an items field.
    write_items: TokenStream,
    /// The assertion that the item type was checked against this event (an item).
    pub items_check: TokenStream,
    /// `fn event_datetime`, when there is a `datetime` field.
    datetime: Option<TokenStream>,
    /// `fn event_log_id`, when there is a `log_id` field.
    log_id: Option<TokenStream>,
}

impl EventParts<'_> {
    /// The fields of the `EventDescription`, around `common` (`rust_name` and `properties`).
    pub fn description_fields(&self, common: &TokenStream) -> TokenStream {
        let name = self.name;
        let items = &self.items_description;
        quote! {
            name: #name,
            #common
            items: #items,
        }
    }

    /// The `Event` methods besides `description`, around `write` (`fn write_properties`).
    pub fn methods(&self, write: &TokenStream) -> TokenStream {
        let name = self.name;
        let (write_items, datetime, log_id) = (&self.write_items, &self.datetime, &self.log_id);
        quote! {
            fn event_name(&self) -> &'static str {
                #name
            }

            #write

            #write_items
            #datetime
            #log_id
        }
    }
}

/// The parts of checked event `name`.
pub fn parts<'c>(checked: &Checked<'_, '_>, name: &'c str) -> EventParts<'c> {
    let (items_description, write_items, items_check) = match checked.items() {
        None => (quote!(::core::option::Option::None), quote!(), quote!()),
        Some((field, required)) => {
            let ty = field.ty;
            let static_ty = static_type(ty);
            let member = field.ident;
            let rust_field = field.rust_name();
            let require = required.then(|| quote!(__dfinery_w.require_items();));
            // The item type may be derived (`Item::EVENTS` comes from its attribute) or an
            // `Item` implemented by hand (its own `EVENTS`), here or in another crate.
            let message = format!(
                "the items in field `{rust_field}` are not checked against event `{name}`; if their type derives `DfineryItem`, add `event = \"{name}\"` to its `#[dfinery(...)]`; if it implements `Item` by hand, add `\"{name}\"` to its `const EVENTS`"
            );
            // An `Option` written out is refused by `valid`; one an alias hides (`type Lines =
            // Option<Vec<Line>>`) is refused here, at compile time, with the same fix.
            let optional = required.then(|| {
                let text = crate::valid::type_text(crate::valid::peeled_type(ty));
                let message = format!(
                    "event `{name}` requires items, but `{text}`, the type of field `{rust_field}`, can be absent: it holds an `Option`, whose `None` sends no items and fails every send; use the list inside it"
                );
                quote_spanned! {ty.span()=>
                    if <#static_ty as __dfinery::EventItemsField>::OPTIONAL {
                        ::core::panic!("{}", #message);
                    }
                }
            });
            (
                quote_spanned! {ty.span()=>
                    ::core::option::Option::Some(__dfinery::ItemsDescription {
                        rust_field: #rust_field,
                        required: #required,
                        item: <#static_ty as __dfinery::EventItemsField>::item_description,
                    })
                },
                {
                    let w = super::local("__dfinery_w");
                    let read = super::self_field(checked, member, ty);
                    let write = quote_spanned! {ty.span()=>
                        <#ty as __dfinery::EventItemsField>::write_event_items(#read, #w);
                    };
                    quote! {
                        fn write_items(&self, __dfinery_w: &mut __dfinery::ItemsWriter<'_>) {
                            #require
                            #write
                        }
                    }
                },
                quote_spanned! {ty.span()=>
                    const _: () = {
                        if !__dfinery::item_checked_for(
                            <#static_ty as __dfinery::EventItemsField>::EVENTS,
                            #name,
                        ) {
                            ::core::panic!(#message);
                        }
                        #optional
                    };
                },
            )
        }
    };
    let datetime = checked.datetime().map(|field| {
        let (member, ty) = (field.ident, field.ty);
        let read = super::self_field(checked, member, ty);
        let read = quote_spanned! {ty.span()=>
            <#ty as __dfinery::EventDatetimeField>::event_datetime(#read)
        };
        quote! {
            fn event_datetime(&self) -> ::core::option::Option<__dfinery::Datetime> {
                #read
            }
        }
    });
    let log_id = checked.log_id().map(|field| {
        let (member, ty) = (field.ident, field.ty);
        let read = super::self_field(checked, member, ty);
        let read = quote_spanned! {ty.span()=>
            <#ty as __dfinery::EventLogIdField>::event_log_id(#read)
        };
        quote! {
            fn event_log_id(&self) -> ::core::option::Option<__dfinery::Uuid> {
                #read
            }
        }
    });
    EventParts {
        name,
        items_description,
        write_items,
        items_check,
        datetime,
        log_id,
    }
}
