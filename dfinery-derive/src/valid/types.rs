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

/// Every `Option` or `Patch` in a field type, outermost first, looking through the pointers
/// the property traits are forwarded through (`&T`, `Box<T>`, `Arc<T>`, `Rc<T>`, `Cow<T>`) and
/// through each wrapper: `Box<Option<String>>` and `Option<Patch<f64>>` hold wrappers too. Each
/// comes with the type the whole field holds inside it all (`String`, `f64`).
pub fn wrappers(ty: &Type) -> Vec<(&'static str, &Type)> {
    let (layers, core) = layers(ty);
    layers.into_iter().map(|(name, _)| (name, core)).collect()
}

/// The type inside the outermost `Option` of a field type, looking through the pointers as
/// [`wrappers`] does: `Vec<Line>` for `Option<Vec<Line>>` and for `Box<Option<Vec<Line>>>`.
pub fn option_inner(ty: &Type) -> Option<&Type> {
    layers(ty)
        .0
        .into_iter()
        .find(|(name, _)| *name == "Option")
        .map(|(_, inner)| inner)
}

/// An `Option` inside another `Option` or `Patch` of a field type, looking through the
/// pointers as [`wrappers`] does: the wrapper around it (`"Option"` or `"Patch"`) and the type
/// the inner `Option` holds (`String` for `Option<Option<String>>` and for
/// `Patch<Box<Option<String>>>`).
pub fn nested_option(ty: &Type) -> Option<(&'static str, &Type)> {
    layers(ty)
        .0
        .windows(2)
        .find(|pair| pair[1].0 == "Option")
        .map(|pair| (pair[0].0, pair[1].1))
}

/// Whether the type a field holds inside its `Option`s, `Patch`es and pointers is, as written,
/// one that can hold neither: a scalar, a string, a time, a `Vec`, an array or a slice of the
/// value types the markers name. Any other type (an alias, a type parameter, a user type) may
/// hide an `Option` or a `Patch`, so the derive checks its `SHAPE` at compile time.
pub fn plain_value(ty: &Type) -> bool {
    match peeled(layers(ty).1) {
        Type::Array(_) | Type::Slice(_) => true,
        Type::Path(path) if path.qself.is_none() => path
            .path
            .segments
            .last()
            .is_some_and(|last| PLAIN.contains(&last.ident.to_string().as_str())),
        _ => false,
    }
}

/// Whether a field type is, as written, a plain text or a list of them (`String`, `&str`,
/// `Option<Cow<str>>`, `Vec<String>`, `[&str; 3]`, through the wrappers and pointers of
/// [`wrappers`]): a type that sends any text, never a `DfineryEnum`'s values only. The derive
/// leaves out the probe of such a field's `VALUES` (it would be `&[]`), which saves tokens in
/// every expansion.
pub fn plain_text(ty: &Type) -> bool {
    let mut core = peeled(layers(ty).1);
    let element = match core {
        Type::Array(array) => Some(&*array.elem),
        Type::Slice(slice) => Some(&*slice.elem),
        Type::Path(path) if path.qself.is_none() => path.path.segments.last().and_then(|last| {
            let PathArguments::AngleBracketed(args) = &last.arguments else {
                return None;
            };
            match (last.ident == "Vec", args.args.first()) {
                (true, Some(GenericArgument::Type(inner))) if args.args.len() == 1 => Some(inner),
                _ => None,
            }
        }),
        _ => None,
    };
    if let Some(element) = element {
        core = peeled(layers(element).1);
    }
    match core {
        Type::Path(path) if path.qself.is_none() => path.path.segments.last().is_some_and(|last| {
            last.arguments.is_empty() && (last.ident == "String" || last.ident == "str")
        }),
        _ => false,
    }
}

/// The last path segments of the value types [`plain_value`] trusts.
const PLAIN: &[&str] = &[
    "str",
    "String",
    "bool",
    "i8",
    "i16",
    "i32",
    "i64",
    "i128",
    "isize",
    "u8",
    "u16",
    "u32",
    "u64",
    "u128",
    "usize",
    "f32",
    "f64",
    "Vec",
    "Datetime",
    "Date",
    "OffsetDateTime",
    "UtcDateTime",
    "SystemTime",
    "DateTime",
    "NaiveDate",
];

/// The walk the three above share: each `Option` or `Patch` of a field type, outermost first,
/// with the type right inside it, looking through references and pointers; and the type the
/// walk ends at, inside them all.
fn layers(ty: &Type) -> (Vec<(&'static str, &Type)>, &Type) {
    let mut found = Vec::new();
    let mut at = ty;
    loop {
        if let Type::Reference(reference) = peeled(at) {
            at = &reference.elem;
            continue;
        }
        if let Some((name, inner)) = wrapper(at) {
            found.push((name, inner));
            at = inner;
            continue;
        }
        match pointee(at) {
            Some(inner) => at = inner,
            None => return (found, at),
        }
    }
}

/// `T` of `Box<T>`, `Arc<T>`, `Rc<T>` or `Cow<'_, T>` (any path ending so).
fn pointee(ty: &Type) -> Option<&Type> {
    let Type::Path(path) = peeled(ty) else {
        return None;
    };
    let last = path.path.segments.last()?;
    if !matches!(
        last.ident.to_string().as_str(),
        "Box" | "Arc" | "Rc" | "Cow"
    ) {
        return None;
    }
    let PathArguments::AngleBracketed(args) = &last.arguments else {
        return None;
    };
    let mut types = args.args.iter().filter_map(|arg| match arg {
        GenericArgument::Type(inner) => Some(inner),
        _ => None,
    });
    let inner = types.next()?;
    types.next().is_none().then_some(inner)
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

    #[test]
    fn wrappers_are_found_through_pointers_and_other_wrappers() {
        let names = |t: &str| -> Vec<&str> {
            let t = ty(t);
            wrappers(&t).into_iter().map(|w| w.0).collect()
        };
        assert_eq!(names("Box<Option<String>>"), ["Option"]);
        assert_eq!(names("&'a Option<String>"), ["Option"]);
        assert_eq!(names("std::sync::Arc<Option<String>>"), ["Option"]);
        assert_eq!(names("Cow<'a, Option<String>>"), ["Option"]);
        assert_eq!(names("Option<Patch<f64>>"), ["Option", "Patch"]);
        assert_eq!(names("Box<Patch<f64>>"), ["Patch"]);
        assert!(names("Box<String>").is_empty());
        assert!(names("Vec<Option<String>>").is_empty());
        let t = ty("Box<Option<Vec<String>>>");
        assert_eq!(text(wrappers(&t)[0].1), "Vec<String>");
    }

    #[test]
    fn the_type_inside_the_outermost_option_is_found_through_pointers() {
        let inner = |t: &str| option_inner(&ty(t)).map(text);
        assert_eq!(inner("Option<Vec<Line>>").as_deref(), Some("Vec<Line>"));
        assert_eq!(inner("Option<&'a [Line]>").as_deref(), Some("&'a [Line]"));
        assert_eq!(
            inner("Box<Option<Box<[Line]>>>").as_deref(),
            Some("Box<[Line]>")
        );
        assert_eq!(inner("&'a Option<[Line; 2]>").as_deref(), Some("[Line; 2]"));
        assert_eq!(inner("Vec<Line>"), None);
        assert_eq!(inner("Vec<Option<Line>>"), None);
        assert_eq!(inner("&'a [Line]"), None);
    }

    #[test]
    fn an_option_inside_an_option_or_a_patch_is_found_with_its_wrapper() {
        let nested = |t: &str| {
            let t = ty(t);
            nested_option(&t).map(|(outer, inner)| (outer, text(inner)))
        };
        assert_eq!(
            nested("Option<Option<String>>"),
            Some(("Option", "String".to_owned()))
        );
        assert_eq!(
            nested("Patch<Box<Option<Box<str>>>>"),
            Some(("Patch", "Box<str>".to_owned()))
        );
        assert_eq!(
            nested("&'a Option<Patch<Option<i64>>>"),
            Some(("Patch", "i64".to_owned()))
        );
        assert_eq!(nested("Option<String>"), None);
        assert_eq!(nested("Box<Option<String>>"), None);
        assert_eq!(nested("Option<Patch<String>>"), None);
        assert_eq!(nested("Option<Vec<Option<String>>>"), None);
    }

    /// Only a type that may hide an `Option` or a `Patch` is checked at compile time: not the
    /// value types the markers name, inside any wrapper or pointer.
    #[test]
    fn plain_texts_are_told_from_types_that_may_be_an_enum() {
        for plain in [
            "String",
            "&'a str",
            "Option<String>",
            "Patch<Box<str>>",
            "Option<Cow<'a, str>>",
            "Vec<String>",
            "Option<Vec<&'a str>>",
            "[String; 3]",
            "&'a [&'a str]",
            "std::string::String",
        ] {
            assert!(plain_text(&ty(plain)), "{plain}");
        }
        for other in [
            "Mood",
            "Option<Mood>",
            "Vec<Mood>",
            "T",
            "Vec<T>",
            "Text",
            "Vec<Vec<String>>",
            "i64",
            "String<X>",
        ] {
            assert!(!plain_text(&ty(other)), "{other}");
        }
    }

    #[test]
    fn plain_values_are_told_from_types_that_may_hide_a_wrapper() {
        for plain in [
            "String",
            "&'a str",
            "Option<i64>",
            "Box<Option<std::string::String>>",
            "Patch<dfinery::Date>",
            "Vec<Tier>",
            "[&'a str; 2]",
            "Cow<'a, [f64]>",
        ] {
            assert!(plain_value(&ty(plain)), "{plain}");
        }
        for hiding in ["Maybe<i64>", "Option<Maybe<String>>", "C", "&'a T", "Tier"] {
            assert!(!plain_value(&ty(hiding)), "{hiding}");
        }
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
