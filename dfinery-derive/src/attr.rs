//! Parsing of `#[dfinery(...)]` attributes, once, into typed options: [`Container`] on a
//! struct, [`FieldAttrs`] on a field, [`EnumAttrs`] on an enum, [`VariantAttrs`] on a variant;
//! and of the lint levels the generated code must carry ([`deprecation_levels`]). The rest of
//! the derive reads these, never the attributes.
//!
//! Every attribute is first read as a list of `key` or `key = "string"` entries; each place then
//! says which keys ([`symbol`](crate::symbol)) it accepts, so an unknown key gets a "did you
//! mean" over those.

use proc_macro2::{Span, TokenStream, TokenTree};
use syn::{Attribute, Ident, LitStr};

use crate::ast::Kind;
use crate::case::{RULES, RenameRule};
use crate::errors::Errors;
use crate::symbol::{
    DATETIME, DECODE, DFINERY, EVENT, ITEM, ITEMS, LOG_ID, PROPERTY, REGISTRY, RENAME, RENAME_ALL,
    SKIP, Symbol, USER_PROPERTY,
};

/// One `key`, `key = "value"` or malformed entry inside `#[dfinery(...)]`.
struct Entry {
    /// The key, for its name and span.
    key: Ident,
    /// What follows the key.
    value: Value,
}

/// What follows a key. A malformed value is kept rather than reported at once: only the key
/// says what the fix is (a flag takes no value, a string key takes a literal, an unknown key
/// needs another name), and the entries after it are still read.
enum Value {
    /// Nothing: a flag.
    Flag,
    /// `= "..."`.
    Str(LitStr),
    /// `= ` and something other than a string literal, up to the next entry: its tokens
    /// (none when nothing follows `=`), and the span to report at when there are none.
    NotStr(TokenStream, Span),
    /// `(...)`.
    List,
}

impl Entry {
    /// The string value of an accepted `key = "..."` entry.
    fn str(&self) -> Option<&LitStr> {
        match &self.value {
            Value::Str(lit) => Some(lit),
            _ => None,
        }
    }
}

/// The entries of one `#[dfinery(...)]` attribute.
struct Group {
    /// The entries in order.
    entries: Vec<Entry>,
}

/// Reads every `#[dfinery(...)]` of `attrs`; one that does not parse as a list of entries is
/// recorded in `errors` and skipped.
fn groups(attrs: &[Attribute], errors: &mut Errors) -> Vec<Group> {
    let mut groups = Vec::new();
    for attr in attrs.iter().filter(|a| *a.path() == DFINERY) {
        let mut entries = Vec::new();
        let result = attr.parse_nested_meta(|meta| {
            let Some(key) = meta.path.get_ident().cloned() else {
                return Err(meta.error("expected a key such as `rename = \"...\"`"));
            };
            let value = if meta.input.peek(syn::Token![=]) {
                let stream = meta.value()?;
                if stream.peek(LitStr) {
                    Value::Str(stream.parse::<LitStr>()?)
                } else {
                    // Anything else up to the next entry: the error spans all of it.
                    let mut other = TokenStream::new();
                    while !stream.is_empty() && !stream.peek(syn::Token![,]) {
                        other.extend([stream.parse::<TokenTree>()?]);
                    }
                    // Where nothing follows `=`: the end of the attribute.
                    Value::NotStr(other, stream.span())
                }
            } else if meta.input.peek(syn::token::Paren) {
                meta.input.parse::<TokenTree>()?;
                Value::List
            } else {
                Value::Flag
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
enum Takes {
    /// A flag: `key`.
    Flag,
    /// A string: `key = "..."`.
    Str,
}

/// The keys one place (a struct, a field, a variant) accepts.
struct Allowed<'a> {
    /// The place, for messages: e.g. ``a `DfineryEvent` field``.
    place: &'a str,
    /// The accepted keys.
    keys: &'a [(Symbol, Takes)],
    /// Keys that are not accepted here but mean something users write them for, each with
    /// the fix (instead of the closest accepted key, which would not do what they meant).
    meant: &'a [(&'a str, &'a str)],
}

/// The entries of every group that `allowed` accepts, in order; the others are recorded in
/// `errors` (unknown key, wrong form).
fn accepted<'g>(groups: &'g [Group], allowed: &Allowed<'_>, errors: &mut Errors) -> Vec<&'g Entry> {
    let names = || allowed.keys.iter().map(|(k, _)| k.as_str());
    let mut out = Vec::new();
    for entry in groups.iter().flat_map(|g| &g.entries) {
        match allowed.keys.iter().find(|(k, _)| entry.key == *k) {
            None => {
                let name = entry.key.to_string();
                let meant = allowed.meant.iter().find(|(key, _)| *key == name);
                let hint = match meant.map(|(_, fix)| *fix) {
                    Some(fix) => format!("; {fix}"),
                    None => match dfinery_schema::suggest(&name, names()) {
                        Some(best) => format!("; did you mean `{best}`?"),
                        None => format!("; expected {}", list(names())),
                    },
                };
                errors.at(
                    entry.key.span(),
                    format!("unknown attribute `{name}` on {}{hint}", allowed.place),
                );
            }
            Some((key, Takes::Flag)) => match &entry.value {
                Value::Flag => out.push(entry),
                Value::List => errors.at(
                    entry.key.span(),
                    format!("`{key}` is a flag and takes no list; write `#[dfinery({key})]`"),
                ),
                Value::Str(_) | Value::NotStr(..) => errors.at(
                    entry.key.span(),
                    format!("`{key}` is a flag and takes no value; write `#[dfinery({key})]`"),
                ),
            },
            Some((key, Takes::Str)) => match &entry.value {
                Value::Str(_) => out.push(entry),
                Value::Flag => errors.at(
                    entry.key.span(),
                    format!("`{key}` needs a value; write `{key} = \"...\"`"),
                ),
                Value::List => errors.at(
                    entry.key.span(),
                    format!("`{key}` takes no list; write `{key} = \"...\"`"),
                ),
                Value::NotStr(tokens, end) => {
                    let message =
                        format!("`{key}` takes a string literal; write `{key} = \"...\"`");
                    if tokens.is_empty() {
                        errors.at(*end, message);
                    } else {
                        errors.spanned(tokens, message);
                    }
                }
            },
        }
    }
    out
}

/// The one entry of `key` among `entries`; a repeat is recorded as an error.
fn single<'e>(entries: &[&'e Entry], key: Symbol, errors: &mut Errors) -> Option<&'e Entry> {
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

/// The string value of the one `key` among `entries`.
fn single_str(entries: &[&Entry], key: Symbol, errors: &mut Errors) -> Option<LitStr> {
    single(entries, key, errors).and_then(|e| e.str().cloned())
}

/// The `rename_all` style of `entry`; `field_names` rejects the styles that produce `-`.
fn rename_all(entry: Option<&Entry>, field_names: bool, errors: &mut Errors) -> Option<RenameRule> {
    let lit = entry?.str()?;
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
            // Only the styles this place accepts: no `kebab-case` for field names.
            let styles = || {
                RULES
                    .iter()
                    .filter(|(_, rule)| !(field_names && rule.uses_dash()))
                    .map(|(n, _)| *n)
            };
            let hint = match dfinery_schema::suggest(&text, styles()) {
                Some(best) => format!("did you mean `{best}`?"),
                None => format!("expected {}", list(styles())),
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

// --- structs ---

/// The keys a struct of `kind` accepts.
fn container_keys(kind: Kind) -> &'static [(Symbol, Takes)] {
    match kind {
        Kind::Event | Kind::Item => &[
            (EVENT, Takes::Str),
            (RENAME_ALL, Takes::Str),
            (REGISTRY, Takes::Str),
            (DECODE, Takes::Flag),
        ],
        Kind::Profile => &[
            (RENAME_ALL, Takes::Str),
            (REGISTRY, Takes::Str),
            (DECODE, Takes::Flag),
        ],
    }
}

/// The keys a field of a `kind` struct accepts.
fn field_keys(kind: Kind) -> &'static [(Symbol, Takes)] {
    match kind {
        Kind::Event => &[
            (RENAME, Takes::Str),
            (SKIP, Takes::Flag),
            (ITEMS, Takes::Flag),
            (DATETIME, Takes::Flag),
            (LOG_ID, Takes::Flag),
        ],
        Kind::Item | Kind::Profile => &[(RENAME, Takes::Str), (SKIP, Takes::Flag)],
    }
}

/// `#[dfinery(...)]` on a struct deriving `DfineryEvent`, `DfineryItem` or `DfineryProfile`.
pub struct Container {
    /// `event = "..."` values: at most one for an event, one per event for an item.
    pub events: Vec<LitStr>,
    /// `registry = "..."`.
    pub registry: Option<LitStr>,
    /// `decode`: the struct is also read back from exports.
    pub decode: bool,
    /// `rename_all = "..."`.
    pub rename_all: Option<RenameRule>,
    /// Whether they parsed without error; when not, the event they name is unknown and the
    /// registry checks are skipped.
    pub ok: bool,
}

impl Container {
    /// Reads the struct attributes of a `kind` derive; errors are recorded.
    pub fn from_attrs(attrs: &[Attribute], kind: Kind, errors: &mut Errors) -> Container {
        let place = format!("a `{}` struct", kind.derive_name());
        let before = errors.len();
        let groups = groups(attrs, errors);
        // serde's container `rename` names the type: here the event is named by `event`
        // (the closest key, `rename_all`, renames the fields).
        let meant: &[(&str, &str)] = match kind {
            Kind::Event => &[(
                "rename",
                "name the registered event with `event = \"...\"` (`rename_all` renames the fields, `rename` on a field maps it)",
            )],
            Kind::Item | Kind::Profile => &[],
        };
        let allowed = Allowed {
            place: &place,
            keys: container_keys(kind),
            meant,
        };
        let entries = accepted(&groups, &allowed, errors);
        let events: Vec<LitStr> = if kind == Kind::Item {
            entries
                .iter()
                .filter(|e| e.key == EVENT)
                .filter_map(|e| e.str().cloned())
                .collect()
        } else {
            single_str(&entries, EVENT, errors).into_iter().collect()
        };
        let registry = single_str(&entries, REGISTRY, errors);
        let decode = single(&entries, DECODE, errors).is_some();
        let rename_all = rename_all(single(&entries, RENAME_ALL, errors), true, errors);
        Container {
            events,
            registry,
            decode,
            rename_all,
            ok: errors.len() == before,
        }
    }
}

/// A field flag: what a field is for when it is not a property.
#[derive(Clone, Copy, PartialEq, Eq)]
pub enum Flag {
    /// `skip`.
    Skip,
    /// `items`.
    Items,
    /// `datetime`.
    Datetime,
    /// `log_id`.
    LogId,
}

/// Every flag with its key, in the order conflicts are reported.
const FLAGS: [(Symbol, Flag); 4] = [
    (SKIP, Flag::Skip),
    (ITEMS, Flag::Items),
    (DATETIME, Flag::Datetime),
    (LOG_ID, Flag::LogId),
];

/// `#[dfinery(...)]` on a field of a struct derive.
pub struct FieldAttrs {
    /// `rename = "..."`.
    pub rename: Option<LitStr>,
    /// `skip`, `items`, `datetime` or `log_id`.
    pub flag: Option<Flag>,
    /// Whether they parsed without error (a field with errors is not checked further).
    pub ok: bool,
}

impl FieldAttrs {
    /// Reads the attributes of a field of a `kind` struct; errors are recorded.
    pub fn from_attrs(attrs: &[Attribute], kind: Kind, errors: &mut Errors) -> FieldAttrs {
        let place = format!("a `{}` field", kind.derive_name());
        let before = errors.len();
        let groups = groups(attrs, errors);
        let allowed = Allowed {
            place: &place,
            keys: field_keys(kind),
            meant: &[],
        };
        let entries = accepted(&groups, &allowed, errors);
        let rename = single(&entries, RENAME, errors);
        let mut flags: Vec<(&Entry, Flag)> = Vec::new();
        for (key, flag) in FLAGS {
            if let Some(entry) = single(&entries, key, errors) {
                flags.push((entry, flag));
            }
        }
        if let [(first, _), (second, _), ..] = flags.as_slice() {
            errors.at(
                second.key.span(),
                format!(
                    "`{}` and `{}` cannot be combined on one field; keep one",
                    first.key, second.key
                ),
            );
        }
        if let (Some(rename), Some((flag, _))) = (rename, flags.first()) {
            errors.at(
                rename.key.span(),
                format!(
                    "`{RENAME}` has no effect on a `{}` field; remove it",
                    flag.key
                ),
            );
        }
        FieldAttrs {
            rename: rename.and_then(|e| e.str().cloned()),
            flag: flags.first().map(|(_, flag)| *flag),
            ok: errors.len() == before,
        }
    }
}

// --- enums ---

/// A registered String property a `DfineryEnum` stands for.
pub enum Binding {
    /// `user_property = "df_gender"`.
    User(LitStr),
    /// `event = "coupon_used", property = "channel"`.
    EventProperty {
        /// The event.
        event: LitStr,
        /// The event property.
        property: LitStr,
    },
    /// `event = "df_purchase", item = "colour"`.
    ItemProperty {
        /// The event.
        event: LitStr,
        /// The item property.
        item: LitStr,
    },
}

const ENUM_KEYS: &[(Symbol, Takes)] = &[
    (RENAME_ALL, Takes::Str),
    (REGISTRY, Takes::Str),
    (USER_PROPERTY, Takes::Str),
    (EVENT, Takes::Str),
    (PROPERTY, Takes::Str),
    (ITEM, Takes::Str),
];

const VARIANT_KEYS: &[(Symbol, Takes)] = &[(RENAME, Takes::Str)];

/// `#[dfinery(...)]` on an enum deriving `DfineryEnum`.
pub struct EnumAttrs {
    /// `registry = "..."`.
    pub registry: Option<LitStr>,
    /// `rename_all = "..."`.
    pub rename_all: Option<RenameRule>,
    /// The registered properties it stands for, one per attribute that names one.
    pub bindings: Vec<Binding>,
    /// Whether they parsed without error; when not, the registry or the values meant may not
    /// be those read, so the registry checks are skipped.
    pub ok: bool,
}

impl EnumAttrs {
    /// Reads the attributes of a `DfineryEnum` enum; errors are recorded.
    pub fn from_attrs(attrs: &[Attribute], errors: &mut Errors) -> EnumAttrs {
        let before = errors.len();
        let groups = groups(attrs, errors);
        let allowed = Allowed {
            place: "a `DfineryEnum` enum",
            keys: ENUM_KEYS,
            meant: &[],
        };
        let mut all = Vec::new();
        let mut bindings = Vec::new();
        let mut halves = Vec::new();
        for group in &groups {
            let entries = accepted(std::slice::from_ref(group), &allowed, errors);
            match binding(&entries, errors) {
                Ok(found) => bindings.extend(found),
                Err(half) => halves.push(half),
            }
            all.extend(entries);
        }
        incomplete(halves, errors);
        let registry = single_str(&all, REGISTRY, errors);
        let rename_all = rename_all(single(&all, RENAME_ALL, errors), false, errors);
        EnumAttrs {
            registry,
            rename_all,
            bindings,
            ok: errors.len() == before,
        }
    }
}

/// Half of a binding, alone in its `#[dfinery(...)]`: `event`, or `property` or `item`
/// without it.
enum Half {
    /// `event = "..."` without `property` or `item`.
    Event(LitStr),
    /// `property = "..."` without `event`.
    Property(LitStr),
    /// `item = "..."` without `event`.
    Item(LitStr),
}

/// The binding one `#[dfinery(...)]` of an enum declares, if any; half of one is returned as
/// the error, for [`incomplete`] to report (its other half may be in another attribute).
fn binding(entries: &[&Entry], errors: &mut Errors) -> Result<Option<Binding>, Half> {
    let user = single_str(entries, USER_PROPERTY, errors);
    let event = single_str(entries, EVENT, errors);
    let property = single_str(entries, PROPERTY, errors);
    let item = single_str(entries, ITEM, errors);
    match (user, event, property, item) {
        (None, None, None, None) => Ok(None),
        (Some(user), None, None, None) => Ok(Some(Binding::User(user))),
        (None, Some(event), Some(property), None) => {
            Ok(Some(Binding::EventProperty { event, property }))
        }
        (None, Some(event), None, Some(item)) => Ok(Some(Binding::ItemProperty { event, item })),
        (None, Some(event), None, None) => Err(Half::Event(event)),
        (None, None, Some(property), None) => Err(Half::Property(property)),
        (None, None, None, Some(item)) => Err(Half::Item(item)),
        (user, event, property, item) => {
            let span = [user, event, property, item]
                .into_iter()
                .flatten()
                .next()
                .map_or_else(Span::call_site, |lit| lit.span());
            errors.at(
                span,
                "one `#[dfinery(...)]` binds one property: `user_property = \"...\"`, or `event = \"...\"` with `property = \"...\"` or `item = \"...\"`; use one attribute per property",
            );
            Ok(None)
        }
    }
}

/// Reports the halves of bindings: an `event` in one attribute and a `property` or `item` in
/// another are told to go in one attribute (each was told to add the other, which it had);
/// any other half is told what it needs.
fn incomplete(halves: Vec<Half>, errors: &mut Errors) {
    let mut events = Vec::new();
    let mut names = Vec::new();
    for half in halves {
        match half {
            Half::Event(event) => events.push(event),
            other => names.push(other),
        }
    }
    let mut events = events.into_iter();
    for half in names {
        let (key, lit) = match &half {
            Half::Property(lit) => (PROPERTY, lit),
            Half::Item(lit) => (ITEM, lit),
            Half::Event(_) => continue,
        };
        if let Some(event) = events.next() {
            let (event, name) = (event.value(), lit.value());
            errors.at(
                lit.span(),
                format!(
                    "`{key}` and `event` are in two `#[dfinery(...)]` attributes, and one attribute binds one property; write them in one: `#[dfinery(event = {event:?}, {key} = {name:?})]`"
                ),
            );
            continue;
        }
        let message = if key == PROPERTY {
            "`property` needs the event too: add `event = \"...\"` (the event it is a property of); for a user property, write `user_property = \"...\"` instead"
        } else {
            "`item` needs the event too: add `event = \"...\"` (the event whose items have it)"
        };
        errors.at(lit.span(), message);
    }
    for event in events {
        errors.at(
            event.span(),
            "`event` needs the property too: add `property = \"...\"` (an event property) or `item = \"...\"` (an item property)",
        );
    }
}

/// `#[dfinery(...)]` on a variant of a `DfineryEnum`.
pub struct VariantAttrs {
    /// `rename = "..."`.
    pub rename: Option<LitStr>,
    /// Whether they parsed without error (a variant with errors is not checked further).
    pub ok: bool,
}

impl VariantAttrs {
    /// Reads the attributes of a variant; errors are recorded.
    pub fn from_attrs(attrs: &[Attribute], errors: &mut Errors) -> VariantAttrs {
        let before = errors.len();
        let groups = groups(attrs, errors);
        let allowed = Allowed {
            place: "a `DfineryEnum` variant",
            keys: VARIANT_KEYS,
            meant: &[],
        };
        let entries = accepted(&groups, &allowed, errors);
        let rename = single_str(&entries, RENAME, errors);
        VariantAttrs {
            rename,
            ok: errors.len() == before,
        }
    }
}

// --- lint levels ---

/// The lint level attributes.
const LEVELS: [&str; 5] = ["allow", "expect", "warn", "deny", "forbid"];

/// The lints that set the level of `deprecated`: itself, and the one group holding it.
const DEPRECATION_LINTS: [&str; 2] = ["deprecated", "warnings"];

/// One lint level attribute of a struct or a field, cut down to the lints that reach
/// `deprecated` (e.g. `#[allow(deprecated)]` of `#[allow(dead_code, deprecated)]`).
pub struct LintLevel {
    /// `allow`, `warn`, `deny` or `forbid`, spanned as written (`expect` is read as `allow`).
    pub level: Ident,
    /// `deprecated` or `warnings`, spanned as written.
    pub lints: Vec<Ident>,
}

/// The lint levels among `attrs` that set `deprecated` (by name, or through `warnings`), for
/// the generated code that warns on purpose (a field mapped to a deprecated property): a lint
/// takes its level from where the code is, and the derive's code is an item beside the
/// struct, not in it, so the struct's and the field's own attributes do not reach it.
///
/// `expect` is read as `allow`: the struct's or the field's own expectation cannot be
/// fulfilled by code outside it (rustc reports it unfulfilled whatever the derive does), and a
/// copy of it would be a second expectation to fulfil. A malformed attribute is left to the
/// compiler, which reports it.
pub fn deprecation_levels(attrs: &[Attribute]) -> Vec<LintLevel> {
    use syn::punctuated::Punctuated;
    use syn::{Meta, Token};

    let mut levels = Vec::new();
    for attr in attrs {
        let Some(level) = attr.path().get_ident() else {
            continue;
        };
        let name = level.to_string();
        if !LEVELS.contains(&name.as_str()) {
            continue;
        }
        let Ok(metas) = attr.parse_args_with(Punctuated::<Meta, Token![,]>::parse_terminated)
        else {
            continue;
        };
        let lints: Vec<Ident> = metas
            .iter()
            .filter_map(|meta| match meta {
                Meta::Path(path) => path.get_ident().cloned(),
                _ => None,
            })
            .filter(|lint| DEPRECATION_LINTS.iter().any(|d| lint == d))
            .collect();
        if lints.is_empty() {
            continue;
        }
        let level = if name == "expect" {
            Ident::new("allow", level.span())
        } else {
            level.clone()
        };
        levels.push(LintLevel { level, lints });
    }
    levels
}

#[cfg(test)]
mod tests {
    use super::*;

    fn attrs(tokens: proc_macro2::TokenStream) -> Vec<Attribute> {
        let input: syn::DeriveInput = syn::parse2(quote::quote!(#tokens struct S;)).unwrap();
        input.attrs
    }

    fn messages(errors: Errors) -> Vec<String> {
        errors
            .into_error()
            .map(|e| e.into_iter().map(|e| e.to_string()).collect())
            .unwrap_or_default()
    }

    #[test]
    fn a_container_is_read_once_into_typed_options() {
        let mut errors = Errors::new();
        let attrs = attrs(quote::quote! {
            #[dfinery(event = "df_purchase", rename_all = "camelCase")]
            #[dfinery(registry = "r.toml", decode)]
            #[serde(rename = "ignored")]
        });
        let c = Container::from_attrs(&attrs, Kind::Event, &mut errors);
        assert!(errors.is_empty() && c.ok);
        let events: Vec<String> = c.events.iter().map(LitStr::value).collect();
        assert_eq!(events, ["df_purchase"]);
        assert_eq!(c.registry.map(|r| r.value()).as_deref(), Some("r.toml"));
        assert!(c.decode);
        assert_eq!(c.rename_all, Some(RenameRule::Camel));
    }

    #[test]
    fn an_item_lists_every_event_and_an_event_only_one() {
        let attrs = attrs(quote::quote! {
            #[dfinery(event = "a", event = "b")]
        });
        let mut errors = Errors::new();
        let item = Container::from_attrs(&attrs, Kind::Item, &mut errors);
        assert!(errors.is_empty() && item.ok);
        assert_eq!(item.events.len(), 2);
        let event = Container::from_attrs(&attrs, Kind::Event, &mut errors);
        assert!(!event.ok);
        assert_eq!(messages(errors), ["`event` is set twice; keep one"]);
    }

    #[test]
    fn a_profile_takes_no_event_and_says_which_keys_it_takes() {
        let attrs = attrs(quote::quote!(#[dfinery(event = "a")]));
        let mut errors = Errors::new();
        let c = Container::from_attrs(&attrs, Kind::Profile, &mut errors);
        assert!(!c.ok && c.events.is_empty());
        assert_eq!(
            messages(errors),
            [
                "unknown attribute `event` on a `DfineryProfile` struct; expected `rename_all`, `registry` or `decode`"
            ]
        );
    }

    /// serde's container `rename` on an event struct is told to name the event with `event`:
    /// the closest key, `rename_all`, does not name the event (and takes only a style).
    #[test]
    fn rename_on_an_event_struct_is_told_to_use_event() {
        let attrs = attrs(quote::quote!(#[dfinery(rename = "app_review")]));
        let mut errors = Errors::new();
        let c = Container::from_attrs(&attrs, Kind::Event, &mut errors);
        assert!(!c.ok && c.events.is_empty());
        assert_eq!(
            messages(errors),
            [
                "unknown attribute `rename` on a `DfineryEvent` struct; name the registered event with `event = \"...\"` (`rename_all` renames the fields, `rename` on a field maps it)"
            ]
        );
    }

    #[test]
    fn field_flags_are_typed_and_conflicts_reported() {
        let mut errors = Errors::new();
        let skip = FieldAttrs::from_attrs(
            &attrs(quote::quote!(#[dfinery(skip)])),
            Kind::Event,
            &mut errors,
        );
        assert!(skip.ok && skip.flag == Some(Flag::Skip) && skip.rename.is_none());
        let log_id = FieldAttrs::from_attrs(
            &attrs(quote::quote!(#[dfinery(log_id)])),
            Kind::Event,
            &mut errors,
        );
        assert!(log_id.flag == Some(Flag::LogId));
        let renamed = FieldAttrs::from_attrs(
            &attrs(quote::quote!(#[dfinery(rename = "df_order_id")])),
            Kind::Event,
            &mut errors,
        );
        assert!(renamed.ok && renamed.flag.is_none());
        assert_eq!(
            renamed.rename.map(|r| r.value()).as_deref(),
            Some("df_order_id")
        );
        assert!(errors.is_empty());
        // The first flag in the order skip, items, datetime, log_id wins; the field is invalid.
        let both = FieldAttrs::from_attrs(
            &attrs(quote::quote!(#[dfinery(log_id, items)])),
            Kind::Event,
            &mut errors,
        );
        assert!(!both.ok && both.flag == Some(Flag::Items));
        assert_eq!(
            messages(errors),
            ["`items` and `log_id` cannot be combined on one field; keep one"]
        );
    }

    #[test]
    fn event_only_flags_are_unknown_on_an_item_field() {
        let mut errors = Errors::new();
        let attrs = attrs(quote::quote!(#[dfinery(items)]));
        let item = FieldAttrs::from_attrs(&attrs, Kind::Item, &mut errors);
        assert!(!item.ok && item.flag.is_none());
        assert_eq!(
            messages(errors),
            ["unknown attribute `items` on a `DfineryItem` field; expected `rename` or `skip`"]
        );
    }

    #[test]
    fn a_value_that_is_not_a_string_literal_is_an_error_naming_the_fix() {
        // The span (the whole value) is pinned by the UI case `attrs/value_not_a_string`.
        for attrs in [
            attrs(quote::quote!(#[dfinery(rename = some::path, skip)])),
            attrs(quote::quote!(#[dfinery(rename = 5)])),
            attrs(quote::quote!(#[dfinery(rename = )])),
        ] {
            let mut errors = Errors::new();
            let field = FieldAttrs::from_attrs(&attrs, Kind::Event, &mut errors);
            assert!(!field.ok);
            assert_eq!(
                messages(errors),
                ["`rename` takes a string literal; write `rename = \"...\"`"]
            );
        }
    }

    /// A malformed value is judged by its key: a flag is told it takes no value (not to write
    /// `skip = "..."`), an unknown key is reported as unknown, and the entries after it in the
    /// same attribute are still read, so every error shows in one build.
    #[test]
    fn a_malformed_value_gets_the_fix_its_key_needs_and_the_rest_is_still_read() {
        let mut errors = Errors::new();
        let field = FieldAttrs::from_attrs(
            &attrs(quote::quote!(#[dfinery(skip = true)])),
            Kind::Event,
            &mut errors,
        );
        assert!(!field.ok);
        let container = Container::from_attrs(
            &attrs(quote::quote!(#[dfinery(evnt = 5, decode = true, rename_all = "kebab")])),
            Kind::Event,
            &mut errors,
        );
        assert!(!container.ok);
        let lists = FieldAttrs::from_attrs(
            &attrs(quote::quote!(#[dfinery(skip(), rename("x"))])),
            Kind::Event,
            &mut errors,
        );
        assert!(!lists.ok);
        assert_eq!(
            messages(errors),
            [
                "`skip` is a flag and takes no value; write `#[dfinery(skip)]`",
                "unknown attribute `evnt` on a `DfineryEvent` struct; did you mean `event`?",
                "`decode` is a flag and takes no value; write `#[dfinery(decode)]`",
                "unknown `rename_all` style `kebab`; expected `lowercase`, `UPPERCASE`, `PascalCase`, `camelCase`, `snake_case` or `SCREAMING_SNAKE_CASE`",
                "`skip` is a flag and takes no list; write `#[dfinery(skip)]`",
                "`rename` takes no list; write `rename = \"...\"`",
            ]
        );
    }

    #[test]
    fn enum_bindings_are_one_per_attribute() {
        let mut errors = Errors::new();
        let attrs = attrs(quote::quote! {
            #[dfinery(user_property = "df_gender", rename_all = "lowercase")]
            #[dfinery(event = "e", property = "p")]
            #[dfinery(event = "e", item = "i")]
        });
        let e = EnumAttrs::from_attrs(&attrs, &mut errors);
        assert!(errors.is_empty() && e.ok);
        assert_eq!(e.rename_all, Some(RenameRule::Lower));
        assert!(matches!(
            e.bindings.as_slice(),
            [
                Binding::User(_),
                Binding::EventProperty { .. },
                Binding::ItemProperty { .. }
            ]
        ));
    }

    /// An `event` and its `property` (or `item`) split over two attributes are told to go in
    /// one: each was told to add the other, which the enum had.
    #[test]
    fn a_binding_split_over_two_attributes_is_told_to_go_in_one() {
        let mut errors = Errors::new();
        let split = EnumAttrs::from_attrs(
            &attrs(quote::quote! {
                #[dfinery(event = "app_review")]
                #[dfinery(property = "channel")]
            }),
            &mut errors,
        );
        assert!(split.bindings.is_empty() && !split.ok);
        let item = EnumAttrs::from_attrs(
            &attrs(quote::quote! {
                #[dfinery(item = "colour", rename_all = "lowercase")]
                #[dfinery(event = "df_purchase")]
            }),
            &mut errors,
        );
        assert!(item.bindings.is_empty() && !item.ok);
        assert_eq!(
            messages(errors),
            [
                "`property` and `event` are in two `#[dfinery(...)]` attributes, and one attribute binds one property; write them in one: `#[dfinery(event = \"app_review\", property = \"channel\")]`",
                "`item` and `event` are in two `#[dfinery(...)]` attributes, and one attribute binds one property; write them in one: `#[dfinery(event = \"df_purchase\", item = \"colour\")]`",
            ]
        );
    }

    /// `property` or `item` without `event` is told to add the event, as `event` alone is told
    /// to add the property, not the message about one attribute per property.
    #[test]
    fn a_property_or_item_binding_without_its_event_asks_for_the_event() {
        let mut errors = Errors::new();
        for tokens in [
            quote::quote!(#[dfinery(property = "channel")]),
            quote::quote!(#[dfinery(item = "colour")]),
        ] {
            let e = EnumAttrs::from_attrs(&attrs(tokens), &mut errors);
            assert!(e.bindings.is_empty() && !e.ok);
        }
        assert_eq!(
            messages(errors),
            [
                "`property` needs the event too: add `event = \"...\"` (the event it is a property of); for a user property, write `user_property = \"...\"` instead",
                "`item` needs the event too: add `event = \"...\"` (the event whose items have it)",
            ]
        );
    }

    /// Only the levels that reach `deprecated` are kept, cut down to the lints that do;
    /// `expect` becomes `allow`, and a `reason` or a tool lint is left out.
    #[test]
    fn the_lint_levels_that_reach_deprecated_are_kept() {
        let attrs = attrs(quote::quote! {
            #[allow(dead_code, deprecated, reason = "consent kept for old apps")]
            #[expect(deprecated)]
            #[deny(warnings)]
            #[forbid(clippy::all, unsafe_code)]
            #[warn(missing_docs)]
            #[doc = "deprecated"]
            #[dfinery(rename_all = "camelCase")]
            #[allow(not a list)]
        });
        let levels: Vec<String> = deprecation_levels(&attrs)
            .iter()
            .map(|l| {
                let lints: Vec<String> = l.lints.iter().map(Ident::to_string).collect();
                format!("{}({})", l.level, lints.join(", "))
            })
            .collect();
        assert_eq!(
            levels,
            ["allow(deprecated)", "allow(deprecated)", "deny(warnings)"]
        );
    }

    #[test]
    fn symbols_compare_with_idents_and_paths() {
        let ident = Ident::new("rename", Span::call_site());
        assert!(ident == RENAME);
        assert!(ident != SKIP);
        let path: syn::Path = syn::parse_str("dfinery").unwrap();
        assert!(path == DFINERY);
        let long: syn::Path = syn::parse_str("x::dfinery").unwrap();
        assert!(long != DFINERY);
    }
}
