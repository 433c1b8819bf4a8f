//! `#[derive(DfineryProfile)]`: `impl Profile`, its static description, and
//! `impl DecodeProfile`.

use proc_macro2::TokenStream;
use quote::quote;
use syn::DeriveInput;

use super::decode::{Sources, Target, decode_impl};
use super::stub::stub;
use super::{deprecations, field_descriptions, registry_anchor, spec_consts, write_properties};
use crate::ast::{Kind, Struct};
use crate::errors::Errors;
use crate::valid::{CheckedProfile, check_profile};

/// The whole output of the derive: the impl, or the errors beside a stub impl.
pub fn derive_profile(input: &DeriveInput) -> TokenStream {
    let mut errors = Errors::new();
    let checked = Struct::from_input(input, Kind::Profile, &mut errors).and_then(|parsed| {
        let checked = check_profile(&parsed, &mut errors);
        checked
            .filter(|_| errors.is_empty())
            .map(|c| expand(input, &c, parsed.decode))
    });
    match (errors.into_error(), checked) {
        (None, Some(tokens)) => tokens,
        (error, _) => {
            let error = error.map(|e| e.into_compile_error());
            let stub = stub(input, Kind::Profile, &[]);
            quote!(#error #stub)
        }
    }
}

fn expand(input: &DeriveInput, profile: &CheckedProfile<'_, '_>, decode: bool) -> TokenStream {
    let ident = &input.ident;
    let rust_name = ident.to_string();
    let (impl_generics, ty_generics, where_clause) = input.generics.split_for_impl();
    let anchor = registry_anchor(Some(&profile.registry));
    let consts = spec_consts(&profile.properties);
    let deprecations = deprecations(&profile.properties);
    let fields = field_descriptions(&profile.properties);
    let writes = write_properties(&profile.properties);
    // Only a type that says `decode` pays for the decode impl (see `DfineryEvent`'s docs).
    let decode = decode.then(|| {
        decode_impl(
            input,
            Target::Profile,
            &Sources {
                properties: &profile.properties,
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
            #deprecations

            static __DFINERY_DESCRIPTION: ::dfinery::__private::ProfileDescription =
                ::dfinery::__private::ProfileDescription {
                    rust_name: #rust_name,
                    properties: #fields,
                };

            #[automatically_derived]
            impl #impl_generics ::dfinery::__private::Profile for #ident #ty_generics #where_clause {
                fn description() -> &'static ::dfinery::__private::ProfileDescription {
                    &__DFINERY_DESCRIPTION
                }

                fn write_user_properties(
                    &self,
                    __dfinery_w: &mut ::dfinery::__private::ObjectWriter<'_>,
                ) {
                    #writes
                }
            }

            #decode
        };
    }
}
