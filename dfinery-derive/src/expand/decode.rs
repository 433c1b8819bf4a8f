//! The decode half of the struct derives: `DecodeEvent`, `DecodeItem` and `DecodeProfile`,
//! which read a struct back from export rows.
//!
//! Only a struct that says `#[dfinery(decode)]` gets one. The methods are `#[inline]`, so even
//! then their code is generated where decoding is used, not where the struct is defined.
//!
//! The impl is bounded by one `FieldType: Trait` predicate per field, spanned on the field's
//! type. A type that opted in must be decodable, and such a predicate is checked where the
//! struct is defined: a field that cannot be decoded is one error, on the field, instead of
//! one for each method that reads it. A generic struct's predicates are higher-ranked
//! (`for<'__dfinery> …`), so they are checked where the struct is used with its parameters.

use proc_macro2::TokenStream;
use quote::{quote, quote_spanned};
use syn::spanned::Spanned;
use syn::{Data, DeriveInput, Fields, Ident};

use super::spec_ident;
use crate::ast::Field;
use crate::valid::Property;

/// The fields an event (or item, or profile) fills from export columns.
pub struct Sources<'f, 'a> {
    /// The property fields, in order: field `i` reads spec `__DFINERY_SPEC_i`.
    pub properties: &'f [Property<'f, 'a>],
    /// The `#[dfinery(items)]` field.
    pub items: Option<&'f Field<'a>>,
    /// The `#[dfinery(datetime)]` field.
    pub datetime: Option<&'f Field<'a>>,
    /// The `#[dfinery(log_id)]` field.
    pub log_id: Option<&'f Field<'a>>,
}

/// Which decode trait to implement.
#[derive(Clone, Copy)]
pub enum Target {
    /// `DecodeEvent`.
    Event,
    /// `DecodeItem`.
    Item,
    /// `DecodeProfile`.
    Profile,
}

/// The decode impl of `input`.
pub fn decode_impl(input: &DeriveInput, target: Target, sources: &Sources<'_, '_>) -> TokenStream {
    let ident = &input.ident;
    let rust_name = ident.to_string();
    let (impl_generics, ty_generics, where_clause) = input.generics.split_for_impl();
    // See the module docs: higher-ranked only where type parameters make it necessary.
    let generic = input.generics.type_params().next().is_some();
    let hrtb = generic.then(|| quote!(for<'__dfinery>));
    let mut bounds = Vec::new();
    let mut columns = Vec::new();
    let mut inits = Vec::new();
    for field in named_fields(input) {
        let Some(member) = field.ident.as_ref() else {
            continue;
        };
        let ty = &field.ty;
        let span = ty.span();
        if let Some(i) = sources
            .properties
            .iter()
            .position(|p| p.field.ident == member)
        {
            let spec = spec_ident(i);
            bounds.push(quote_spanned!(span=> #hrtb #ty: ::dfinery::__private::FromCell));
            columns.push(quote_spanned!(span=>
                __dfinery_c.property(&#spec, <#ty as ::dfinery::__private::FromCell>::OPTIONAL);
            ));
            let read = try_read(
                quote_spanned!(span=> __dfinery_c.property::<#ty>(__dfinery_r, #i, &#spec)),
            );
            inits.push(quote_spanned!(span=> #member: #read));
        } else if is(sources.items, member) {
            bounds.push(quote_spanned!(span=> #hrtb #ty: ::dfinery::__private::FromItems));
            columns.push(quote_spanned!(span=> __dfinery_c.items::<#ty>();));
            let read = try_read(quote_spanned!(span=> __dfinery_c.items::<#ty>(__dfinery_g)));
            inits.push(quote_spanned!(span=> #member: #read));
        } else if is(sources.datetime, member) || is(sources.log_id, member) {
            let which: Ident = if is(sources.datetime, member) {
                Ident::new("datetime", span)
            } else {
                Ident::new("log_id", span)
            };
            bounds.push(quote_spanned!(span=> #hrtb #ty: ::dfinery::__private::FromCell));
            columns.push(quote_spanned!(span=>
                __dfinery_c.#which(<#ty as ::dfinery::__private::FromCell>::OPTIONAL);
            ));
            let read = try_read(quote_spanned!(span=> __dfinery_c.#which::<#ty>(__dfinery_r)));
            inits.push(quote_spanned!(span=> #member: #read));
        } else {
            bounds.push(quote_spanned!(span=> #hrtb #ty: ::core::default::Default));
            inits.push(quote_spanned!(span=> #member: ::core::default::Default::default()));
        }
    }
    let existing = where_clause.map(|w| {
        let predicates = &w.predicates;
        quote!(#predicates,)
    });
    let (trait_name, builder, row_fn) = match target {
        Target::Event => (
            quote!(DecodeEvent),
            quote!(event),
            quote! {
                #[inline]
                fn from_export_rows(
                    __dfinery_g: &::dfinery::__private::EventGroup<'_>,
                    __dfinery_c: &::dfinery::__private::Columns,
                ) -> ::core::result::Result<Self, ::dfinery::__private::ExportError> {
                    let __dfinery_r = &__dfinery_g.first();
                    ::core::result::Result::Ok(Self { #(#inits,)* })
                }
            },
        ),
        Target::Item | Target::Profile => (
            match target {
                Target::Item => quote!(DecodeItem),
                _ => quote!(DecodeProfile),
            },
            match target {
                Target::Item => quote!(item),
                _ => quote!(profile),
            },
            quote! {
                #[inline]
                fn from_export_row(
                    __dfinery_r: &::dfinery::__private::ExportRow<'_>,
                    __dfinery_c: &::dfinery::__private::Columns,
                ) -> ::core::result::Result<Self, ::dfinery::__private::ExportError> {
                    ::core::result::Result::Ok(Self { #(#inits,)* })
                }
            },
        ),
    };
    quote! {
        #[automatically_derived]
        impl #impl_generics ::dfinery::__private::#trait_name for #ident #ty_generics
        where
            #existing
            #(#bounds,)*
        {
            #[inline]
            fn export_columns(
                __dfinery_h: &::dfinery::__private::Header,
            ) -> ::core::result::Result<::dfinery::__private::Columns, ::dfinery::__private::ExportError> {
                #[allow(unused_mut)]
                let mut __dfinery_c = ::dfinery::__private::ColumnsBuilder::#builder(__dfinery_h, #rust_name);
                #(#columns)*
                __dfinery_c.finish()
            }

            #row_fn
        }
    }
}

/// `read` (a `Result<T, ExportError>`) unwrapped, returning the error: what `read?` does,
/// without the `Try` and `From` machinery `?` costs the compiler per field (the same reason
/// serde's derives use a `match`).
fn try_read(read: TokenStream) -> TokenStream {
    quote! {
        match #read {
            ::core::result::Result::Ok(__dfinery_v) => __dfinery_v,
            ::core::result::Result::Err(__dfinery_e) => return ::core::result::Result::Err(__dfinery_e),
        }
    }
}

/// Whether `field` is the field named `member`.
fn is(field: Option<&Field<'_>>, member: &Ident) -> bool {
    field.is_some_and(|f| f.ident == member)
}

/// The named fields of a struct (none for anything else).
fn named_fields(input: &DeriveInput) -> impl Iterator<Item = &syn::Field> {
    let fields = match &input.data {
        Data::Struct(data) => match &data.fields {
            Fields::Named(named) => Some(&named.named),
            _ => None,
        },
        _ => None,
    };
    fields.into_iter().flatten()
}
