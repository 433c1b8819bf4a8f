//! What the derive can tell from a field's type as written: `Option<T>` and `Patch<T>`, and
//! how to print a type in a message.

use quote::ToTokens;
use syn::{GenericArgument, PathArguments, Type};

/// `ty` without the parentheses or the invisible group of a `macro_rules!` `$t:ty` fragment
/// around it: the type as the user wrote it.
pub fn peeled(ty: &Type) -> &Type {
    match ty {
        Type::Group(group) => peeled(&group.elem),
        Type::Paren(paren) => peeled(&paren.elem),
        _ => ty,
    }
}

/// The wrapper of a field type written `Option<T>` or `Patch<T>` (any path ending so), and `T`;
/// also when [`peeled`] from parentheses or a macro fragment.
pub fn wrapper(ty: &Type) -> Option<(&'static str, &Type)> {
    let Type::Path(path) = peeled(ty) else {
        return None;
    };
    if path.qself.is_some() {
        return None;
    }
    let last = path.path.segments.last()?;
    let name = match last.ident.to_string().as_str() {
        "Option" => "Option",
        "Patch" => "Patch",
        _ => return None,
    };
    let PathArguments::AngleBracketed(args) = &last.arguments else {
        return None;
    };
    match args.args.first()? {
        GenericArgument::Type(inner) if args.args.len() == 1 => Some((name, inner)),
        _ => None,
    }
}

/// A type as a user would write it: `Vec<String>`, `&'a str`, `Option<f64>`.
pub fn text(ty: &Type) -> String {
    let raw = ty.to_token_stream().to_string();
    let mut out = String::with_capacity(raw.len());
    let mut chars = raw.chars().peekable();
    while let Some(c) = chars.next() {
        if c == ' ' {
            let prev = out.chars().last();
            let next = chars.peek().copied();
            let glue_before = matches!(prev, Some('<' | '&' | ':' | '(' | '[' | '\''));
            let glue_after = matches!(next, Some('<' | '>' | ':' | ',' | ';' | ')' | ']'));
            if glue_before || glue_after {
                continue;
            }
        }
        out.push(c);
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ty(s: &str) -> Type {
        syn::parse_str(s).unwrap()
    }

    #[test]
    fn wrappers_are_found_by_their_last_segment() {
        assert_eq!(wrapper(&ty("Option<String>")).map(|w| w.0), Some("Option"));
        assert_eq!(
            wrapper(&ty("core::option::Option<f64>")).map(|w| w.0),
            Some("Option")
        );
        assert_eq!(
            wrapper(&ty("dfinery::Patch<i64>")).map(|w| w.0),
            Some("Patch")
        );
        assert!(wrapper(&ty("Vec<String>")).is_none());
        assert!(wrapper(&ty("String")).is_none());
        // Not the std wrappers: a user type of the same name with another arity.
        assert!(wrapper(&ty("Option<String, u8>")).is_none());
        assert!(wrapper(&ty("Patch<>")).is_none());
        assert_eq!(
            wrapper(&ty("(Option<String>)")).map(|w| w.0),
            Some("Option")
        );
        let option = ty("Option<Vec<String>>");
        let (_, inner) = wrapper(&option).unwrap();
        assert_eq!(text(inner), "Vec<String>");
    }

    /// A `$t:ty` fragment reaches the derive as a type in an invisible group.
    #[test]
    fn a_wrapper_from_a_macro_fragment_is_found() {
        let inner: Type = ty("Option<String>");
        let grouped = Type::Group(syn::TypeGroup {
            attrs: Vec::new(),
            group_token: syn::token::Group::default(),
            elem: Box::new(inner),
        });
        let (name, inner) = wrapper(&grouped).unwrap();
        assert_eq!((name, text(inner).as_str()), ("Option", "String"));
    }

    #[test]
    fn types_print_as_written() {
        assert_eq!(text(&ty("Vec < String >")), "Vec<String>");
        assert_eq!(text(&ty("&'a str")), "&'a str");
        assert_eq!(
            text(&ty("std::collections::HashMap<String, i64>")),
            "std::collections::HashMap<String, i64>"
        );
        assert_eq!(text(&ty("[f64; 3]")), "[f64; 3]");
        assert_eq!(text(&ty("Option<&'static [u8]>")), "Option<&'static [u8]>");
    }
}
