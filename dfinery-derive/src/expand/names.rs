//! The `__private` names each struct derive implements, in one table shared by the impl, the
//! decode impl and the stub.

use proc_macro2::{Ident, Span, TokenStream};
use quote::quote;

use crate::ast::Kind;

/// What a derive of one [`Kind`] implements.
pub struct Names {
    /// The trait: `Event`, `Item` or `Profile`.
    pub trait_name: Ident,
    /// The static description's type: `EventDescription`, or `PropertiesDescription` for an
    /// item or a profile.
    pub description: Ident,
    /// The method that writes the properties: `write_properties`, `write_item`,
    /// `write_user_properties`.
    pub write: Ident,
    /// The decode trait: `DecodeEvent`, `DecodeItem` or `DecodeProfile`.
    pub decode: Ident,
    /// The decode method reading one value: `from_export_rows` for an event (a group of rows),
    /// `from_export_row` otherwise.
    pub from_rows: Ident,
    /// The type that method reads.
    pub rows: TokenStream,
}

impl Names {
    /// The names of `kind`.
    pub fn of(kind: Kind) -> Names {
        let ident = |name: &str| Ident::new(name, Span::call_site());
        let (trait_name, write) = match kind {
            Kind::Event => ("Event", "write_properties"),
            Kind::Item => ("Item", "write_item"),
            Kind::Profile => ("Profile", "write_user_properties"),
        };
        let (from_rows, rows) = match kind {
            Kind::Event => ("from_export_rows", quote!(__dfinery::EventGroup<'_>)),
            Kind::Item | Kind::Profile => ("from_export_row", quote!(__dfinery::ExportRow<'_>)),
        };
        Names {
            trait_name: ident(trait_name),
            description: ident(match kind {
                Kind::Event => "EventDescription",
                Kind::Item | Kind::Profile => "PropertiesDescription",
            }),
            write: ident(write),
            decode: ident(&format!("Decode{trait_name}")),
            from_rows: ident(from_rows),
            rows,
        }
    }
}
