//! Parsing of `#[dfinery(...)]` attributes into typed container, field and variant options.
//!
//! Every attribute is first read as a list of `key` or `key = "string"` entries; each derive
//! then says which keys it accepts, so an unknown key gets a "did you mean" over those.

use syn::{Attribute, Ident, LitStr};

use crate::case::{RULES, RenameRule};
use crate::errors::Errors;

/// One `key` or `key = "value"` inside `#[dfinery(...)]`.
pub struct Entry {
    /// The key, for its name and span.
    pub key: Ident,
    /// The string value, `None` for a flag.
    pub value: Option<LitStr>,
}

/// The entries of one `#[dfinery(...)]` attribute.
pub struct Group {
    /// The entries in order.
    pub entries: Vec<Entry>,
}

/// Reads every `#[dfinery(...)]` of `attrs`; malformed ones are recorded in `errors` and
/// skipped.
pub fn groups(attrs: &[Attribute], errors: &mut Errors) -> Vec<Group> {
    let mut groups = Vec::new();
    for attr in attrs.iter().filter(|a| a.path().is_ident("dfinery")) {
        let mut entries = Vec::new();
        let result = attr.parse_nested_meta(|meta| {
            let Some(key) = meta.path.get_ident().cloned() else {
                return Err(meta.error("expected a key such as `rename = \"...\"`"));
            };
            let value = if meta.input.peek(syn::Token![=]) {
                let stream = meta.value()?;
                match stream.parse::<syn::Expr>()? {
                    syn::Expr::Lit(syn::ExprLit {
                        lit: syn::Lit::Str(s),
                        ..
                    }) => Some(s),
                    other => {
                        return Err(syn::Error::new_spanned(
                            other,
                            format!("`{key}` takes a string literal; write `{key} = \"...\"`"),
                        ));
                    }
                }
            } else if meta.input.peek(syn::token::Paren) {
                return Err(meta.error(format!(
                    "`{key}` takes no list; write `{key}` or `{key} = \"...\"`"
                )));
            } else {
                None
            };
            entries.push(Entry { key, value });
            Ok(())
        });
        match result {
            Ok(()) => groups.push(Group { entries }),
            Err(error) => errors.push(error),
        }
    }
    groups
}

/// What a key takes.
#[derive(Clone, Copy, PartialEq, Eq)]
pub enum Takes {
    /// A flag: `key`.
    Flag,
    /// A string: `key = "..."`.
    Str,
}

/// The keys one place (a struct, a field, a variant) accepts.
pub struct Allowed<'a> {
    /// The place, for messages: e.g. ``a `DfineryEvent` field``.
    pub place: &'a str,
    /// The accepted keys.
    pub keys: &'a [(&'a str, Takes)],
}

/// The entries of every group that `allowed` accepts, in order; the others are recorded in
/// `errors` (unknown key, wrong form).
pub fn accepted<'g>(
    groups: &'g [Group],
    allowed: &Allowed<'_>,
    errors: &mut Errors,
) -> Vec<&'g Entry> {
    let mut out = Vec::new();
    for entry in groups.iter().flat_map(|g| &g.entries) {
        let name = entry.key.to_string();
        match allowed.keys.iter().find(|(k, _)| *k == name) {
            None => {
                let hint =
                    match dfinery_schema::suggest(&name, allowed.keys.iter().map(|(k, _)| *k)) {
                        Some(best) => format!("; did you mean `{best}`?"),
                        None => {
                            format!("; expected {}", list(allowed.keys.iter().map(|(k, _)| *k)))
                        }
                    };
                errors.at(
                    entry.key.span(),
                    format!("unknown attribute `{name}` on {}{hint}", allowed.place),
                );
            }
            Some((_, Takes::Flag)) if entry.value.is_some() => errors.at(
                entry.key.span(),
                format!("`{name}` is a flag and takes no value; write `#[dfinery({name})]`"),
            ),
            Some((_, Takes::Str)) if entry.value.is_none() => errors.at(
                entry.key.span(),
                format!("`{name}` needs a value; write `{name} = \"...\"`"),
            ),
            Some(_) => out.push(entry),
        }
    }
    out
}

/// The one value of `key` among `entries`; a repeat is recorded as an error.
pub fn single<'e>(entries: &[&'e Entry], key: &str, errors: &mut Errors) -> Option<&'e Entry> {
    let mut found: Option<&Entry> = None;
    for entry in entries.iter().filter(|e| e.key == key) {
        if found.is_some() {
            errors.at(entry.key.span(), format!("`{key}` is set twice; keep one"));
        } else {
            found = Some(entry);
        }
    }
    found
}

/// The `rename_all` style of `entry`; `field_names` rejects the styles that produce `-`.
pub fn rename_all(
    entry: Option<&Entry>,
    field_names: bool,
    errors: &mut Errors,
) -> Option<RenameRule> {
    let lit = entry?.value.as_ref()?;
    let text = lit.value();
    match RenameRule::from_name(&text) {
        Some(rule) if field_names && rule.uses_dash() => {
            errors.at(
                lit.span(),
                format!(
                    "`rename_all = \"{text}\"` would make names with `-`, which DFINERY names cannot contain; use `snake_case` or `camelCase`"
                ),
            );
            None
        }
        Some(rule) => Some(rule),
        None => {
            let hint = match dfinery_schema::suggest(&text, RULES.iter().map(|(n, _)| *n)) {
                Some(best) => format!("did you mean `{best}`?"),
                None => format!("expected {}", list(RULES.iter().map(|(n, _)| *n))),
            };
            errors.at(
                lit.span(),
                format!("unknown `rename_all` style `{text}`; {hint}"),
            );
            None
        }
    }
}

/// `` `a`, `b` or `c` ``.
pub fn list<'a>(items: impl IntoIterator<Item = &'a str>) -> String {
    let items: Vec<String> = items.into_iter().map(|i| format!("`{i}`")).collect();
    match items.split_last() {
        None => String::new(),
        Some((last, [])) => last.clone(),
        Some((last, rest)) => format!("{} or {last}", rest.join(", ")),
    }
}
