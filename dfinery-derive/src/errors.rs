//! [`Errors`]: collects every user error of one derive so they are reported together.

use std::fmt::Display;

use proc_macro2::Span;
use quote::ToTokens;

/// Every error found while parsing and checking one derive input (serde's `Ctxt`, darling's
/// `Accumulator`): each phase pushes what it finds and carries on; the caller combines them.
#[derive(Default)]
pub struct Errors {
    errors: Vec<syn::Error>,
}

impl Errors {
    /// An empty collection.
    pub fn new() -> Self {
        Errors::default()
    }

    /// Records `message` at `span`.
    pub fn at(&mut self, span: Span, message: impl Display) {
        self.errors.push(syn::Error::new(span, message));
    }

    /// Records `message` spanning the tokens of `node` (e.g. a whole field type).
    pub fn spanned(&mut self, node: impl ToTokens, message: impl Display) {
        self.errors.push(syn::Error::new_spanned(node, message));
    }

    /// Records an error that `syn` produced.
    pub fn push(&mut self, error: syn::Error) {
        self.errors.push(error);
    }

    /// How many errors have been recorded.
    pub fn len(&self) -> usize {
        self.errors.len()
    }

    /// Whether nothing has been recorded.
    pub fn is_empty(&self) -> bool {
        self.errors.is_empty()
    }

    /// Every error combined into one (`None` when there is none).
    pub fn into_error(self) -> Option<syn::Error> {
        let mut iter = self.errors.into_iter();
        let mut first = iter.next()?;
        for error in iter {
            first.combine(error);
        }
        Some(first)
    }
}
