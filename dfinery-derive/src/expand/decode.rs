//! The decode half of the struct derives: `DecodeEvent`, `DecodeItem` and `DecodeProfile`,
//! which read a struct back from export rows.
//!
//! Only a struct that says `#[dfinery(decode)]` gets one. Its `FIELDS` constant lists what each
//! field reads (core finds the columns); its reading method is `#[inline]`, so even then its
//! code is generated where decoding is used, not where the struct is defined.
//!
//! The impl is bounded by one `FieldType: Trait` predicate per field, spanned on the field's
//! type. A type that opted in must be decodable, and such a predicate is checked where the
//! struct is defined: a field that cannot be decoded is one error, on the field, instead of
//! one for each method that reads it. A generic struct's predicates are higher-ranked
//! (`for<'__dfinery> …`), so they are checked where the struct is used with its parameters.

use proc_macro2::TokenStream;
use quote::{quote, quote_spanned};
use syn::spanned::Spanned;

use super::names::Names;
use super::spec_ident;
use crate::ast::Kind;
use crate::valid::{Checked, Fills};

/// The decode impl of a checked struct: `DecodeEvent`, `DecodeItem` or `DecodeProfile`.
pub fn decode_impl(checked: &Checked<'_, '_>) -> TokenStream {
    let input = checked.input;
    let ident = input.ident;
    let (impl_generics, ty_generics, where_clause) = input.generics.split_for_impl();
    // See the module docs: higher-ranked only where type parameters make it necessary.
    let generic = input.generics.type_params().next().is_some();
    let hrtb = generic.then(|| quote!(for<'__dfinery>));
    let mut bounds = Vec::new();
    let mut fields = Vec::new();
    let mut inits = Vec::new();
    // Property `i` of the checked struct reads spec constant `i`; cell `c` is the `c`-th field
    // that reads a cell (properties, datetime, log id), as `Columns::resolve` numbers them.
    let (mut properties, mut cells) = (0_usize, 0_usize);
    for checked_field in &checked.fields {
        let member = checked_field.field.ident;
        let ty = checked_field.field.ty;
        let span = ty.span();
        let optional = quote_spanned!(span=> <#ty as __dfinery::FromCell>::OPTIONAL);
        let field = match &checked_field.fills {
            Fills::Property(_) => {
                let spec = spec_ident(properties);
                properties += 1;
                quote_spanned!(span=> Property(&#spec, #optional))
            }
            Fills::Datetime => quote_spanned!(span=> Datetime(#optional)),
            Fills::LogId => quote_spanned!(span=> LogId(#optional)),
            Fills::Items { .. } => {
                bounds.push(quote_spanned!(span=> #hrtb #ty: __dfinery::FromItems));
                fields.push(quote_spanned!(span=>
                    __dfinery::Field::Items(
                        <<#ty as __dfinery::FromItems>::Item as __dfinery::DecodeItem>::FIELDS,
                        <#ty as __dfinery::FromItems>::OPTIONAL,
                    )
                ));
                let (c, g) = (super::local("__dfinery_c"), super::local("__dfinery_g"));
                let read = try_read(quote_spanned!(span=> #c.items::<#ty>(#g)));
                inits.push(quote_spanned!(span=> #member: #read));
                continue;
            }
            Fills::Nothing => {
                bounds.push(quote_spanned!(span=> #hrtb #ty: ::core::default::Default));
                inits.push(quote_spanned!(span=> #member: ::core::default::Default::default()));
                continue;
            }
        };
        // A field reading a cell.
        let c = cells;
        cells += 1;
        bounds.push(quote_spanned!(span=> #hrtb #ty: __dfinery::FromCell));
        fields.push(quote_spanned!(span=> __dfinery::Field::#field));
        let (columns, row) = (super::local("__dfinery_c"), super::local("__dfinery_r"));
        let read = try_read(quote_spanned!(span=> #columns.read::<#ty>(#row, #c)));
        inits.push(quote_spanned!(span=> #member: #read));
    }
    // Each predicate with its own comma: the user's list may end in one already (rustfmt
    // writes a multi-line `where` so) or be empty (`where {`), and `#predicates,` would then
    // be `T: Tr,,` or a `where` starting with `,`.
    let existing = where_clause.into_iter().flat_map(|w| &w.predicates);
    let Names {
        decode: trait_name,
        from_rows,
        rows,
        ..
    } = Names::of(input.kind);
    // An event reads its group of rows (items take one row each); its fields read the first.
    let (param, first_row) = match input.kind {
        Kind::Event => (
            quote!(__dfinery_g),
            quote!(let __dfinery_r = &__dfinery_g.first();),
        ),
        Kind::Item | Kind::Profile => (quote!(__dfinery_r), quote!()),
    };
    let row_fn = quote! {
        #[inline]
        fn #from_rows(
            #param: &#rows,
            __dfinery_c: &__dfinery::Columns,
        ) -> ::core::result::Result<Self, __dfinery::ExportError> {
            #first_row
            ::core::result::Result::Ok(Self { #(#inits,)* })
        }
    };
    quote! {
        #[automatically_derived]
        impl #impl_generics __dfinery::#trait_name for #ident #ty_generics
        where
            #(#existing,)*
            #(#bounds,)*
        {
            const FIELDS: &'static [__dfinery::Field] = &[#(#fields),*];

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

#[cfg(test)]
mod tests {
    use crate::ast::Kind;

    /// The decode impl resolves property `i` with spec constant `i` and reads it as cell `i`,
    /// counting fields that read a cell only: a skipped field between two properties takes no
    /// index and is defaulted.
    #[test]
    fn properties_read_their_own_spec_and_skipped_fields_are_defaulted() {
        let input: syn::DeriveInput = syn::parse_quote! {
            #[dfinery(registry = "../tests/dfinery.toml", event = "app_review", decode)]
            struct Review {
                #[dfinery(skip)]
                draft: bool,
                rating: i64,
                #[dfinery(skip)]
                note: String,
                score: Option<f64>,
            }
        };
        let out = super::super::derive_struct(&input, Kind::Event).to_string();
        assert!(!out.contains("compile_error"), "{out}");
        let reads = [
            "__dfinery :: Field :: Property (& __DFINERY_SPEC_0 ,",
            "__dfinery :: Field :: Property (& __DFINERY_SPEC_1 ,",
            "draft : :: core :: default :: Default :: default ()",
            "__dfinery_c . read :: < i64 > (__dfinery_r , 0usize)",
            "note : :: core :: default :: Default :: default ()",
            "__dfinery_c . read :: < Option < f64 > > (__dfinery_r , 1usize)",
        ];
        let mut at = 0;
        for read in reads {
            let found = out[at..].find(read);
            assert!(found.is_some(), "`{read}` (in field order) in {out}");
            at += found.unwrap_or_default();
        }
        assert!(out.contains("const __DFINERY_SPEC_1 : __dfinery :: PropertySpec = __dfinery :: PropertySpec :: new (\"score\""), "{out}");
    }
}
