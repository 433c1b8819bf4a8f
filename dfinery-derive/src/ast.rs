//! The derive input as the checks and the code generation see it: each struct field with its
//! role and registered name, each enum variant with its value, every original `syn` node kept
//! for spans.

use proc_macro2::Span;
use syn::{Data, DeriveInput, Fields, Ident, LitStr, Type};

use crate::attr::{self, Allowed, Entry, Takes};
use crate::case::{self, RenameRule};
use crate::errors::Errors;

/// Which derive is running.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    /// `#[derive(DfineryEvent)]`
    Event,
    /// `#[derive(DfineryItem)]`
    Item,
    /// `#[derive(DfineryProfile)]`
    Profile,
}

impl Kind {
    /// The derive's name, e.g. `DfineryEvent`.
    pub fn derive_name(self) -> &'static str {
        match self {
            Kind::Event => "DfineryEvent",
            Kind::Item => "DfineryItem",
            Kind::Profile => "DfineryProfile",
        }
    }

    fn container_keys(self) -> &'static [(&'static str, Takes)] {
        match self {
            Kind::Event | Kind::Item => &[
                ("event", Takes::Str),
                ("rename_all", Takes::Str),
                ("registry", Takes::Str),
                ("decode", Takes::Flag),
            ],
            Kind::Profile => &[
                ("rename_all", Takes::Str),
                ("registry", Takes::Str),
                ("decode", Takes::Flag),
            ],
        }
    }

    fn field_keys(self) -> &'static [(&'static str, Takes)] {
        match self {
            Kind::Event => &[
                ("rename", Takes::Str),
                ("skip", Takes::Flag),
                ("items", Takes::Flag),
                ("datetime", Takes::Flag),
                ("log_id", Takes::Flag),
            ],
            Kind::Item | Kind::Profile => &[("rename", Takes::Str), ("skip", Takes::Flag)],
        }
    }
}

/// A struct deriving `DfineryEvent`, `DfineryItem` or `DfineryProfile`.
pub struct Struct<'a> {
    /// The whole input, for its generics.
    pub input: &'a DeriveInput,
    /// The struct's name.
    pub ident: &'a Ident,
    /// `event = "..."` values: at most one for an event, one per event for an item.
    pub events: Vec<LitStr>,
    /// `registry = "..."`.
    pub registry: Option<LitStr>,
    /// `decode`: the struct is also read back from exports, so its decode impl is generated.
    pub decode: bool,
    /// Whether the struct's own `#[dfinery(...)]` parsed without error; when not, the event it
    /// names is unknown and the registry checks are skipped.
    pub attrs_ok: bool,
    /// Every named field.
    pub fields: Vec<Field<'a>>,
}

/// What a field is for.
#[derive(Debug, Clone)]
pub enum Role {
    /// A property, sent under `name`.
    Property {
        /// The registered name it maps to.
        name: String,
        /// The span of that name: the `rename` literal, else the field's name.
        span: Span,
    },
    /// `#[dfinery(skip)]`: not sent.
    Skip,
    /// `#[dfinery(items)]`: the event's items.
    Items,
    /// `#[dfinery(datetime)]`: supplies `event_datetime`.
    Datetime,
    /// `#[dfinery(log_id)]`: supplies `event_log_id`.
    LogId,
    /// Its `#[dfinery(...)]` has an error (already reported): not checked further.
    Invalid,
}

/// One named field.
pub struct Field<'a> {
    /// The field's name.
    pub ident: &'a Ident,
    /// The field's type.
    pub ty: &'a Type,
    /// What it is for.
    pub role: Role,
}

impl Role {
    /// Whether both are the same role (spans aside).
    pub fn same_as(&self, other: &Role) -> bool {
        std::mem::discriminant(self) == std::mem::discriminant(other)
    }
}

impl Field<'_> {
    /// The field name without `r#`.
    pub fn rust_name(&self) -> String {
        unraw(self.ident)
    }
}

fn unraw(ident: &Ident) -> String {
    let s = ident.to_string();
    s.strip_prefix("r#").map_or(s.clone(), str::to_owned)
}

impl<'a> Struct<'a> {
    /// Reads a struct with named fields; anything else is an error.
    pub fn from_input(input: &'a DeriveInput, kind: Kind, errors: &mut Errors) -> Option<Self> {
        let derive = kind.derive_name();
        let named = match &input.data {
            Data::Struct(data) => match &data.fields {
                Fields::Named(named) => Some(named),
                _ => None,
            },
            _ => None,
        };
        let Some(named) = named else {
            errors.at(
                input.ident.span(),
                format!("`{derive}` can only be derived for a struct with named fields"),
            );
            return None;
        };
        let place = format!("a `{derive}` struct");
        let before = errors.len();
        let groups = attr::groups(&input.attrs, errors);
        let allowed = Allowed {
            place: &place,
            keys: kind.container_keys(),
        };
        let entries = attr::accepted(&groups, &allowed, errors);
        let events: Vec<LitStr> = if kind == Kind::Item {
            entries
                .iter()
                .filter(|e| e.key == "event")
                .filter_map(|e| e.value.clone())
                .collect()
        } else {
            attr::single(&entries, "event", errors)
                .and_then(|e| e.value.clone())
                .into_iter()
                .collect()
        };
        let registry = attr::single(&entries, "registry", errors).and_then(|e| e.value.clone());
        let decode = attr::single(&entries, "decode", errors).is_some();
        let rename_all =
            attr::rename_all(attr::single(&entries, "rename_all", errors), true, errors);
        let attrs_ok = errors.len() == before;

        let field_place = format!("a `{derive}` field");
        let fields = named
            .named
            .iter()
            .filter_map(|field| {
                let ident = field.ident.as_ref()?;
                let before = errors.len();
                let groups = attr::groups(&field.attrs, errors);
                let allowed = Allowed {
                    place: &field_place,
                    keys: kind.field_keys(),
                };
                let entries = attr::accepted(&groups, &allowed, errors);
                let mut role = field_role(ident, &entries, rename_all, errors);
                if errors.len() > before {
                    role = Role::Invalid;
                }
                Some(Field {
                    ident,
                    ty: &field.ty,
                    role,
                })
            })
            .collect();
        Some(Struct {
            input,
            ident: &input.ident,
            events,
            registry,
            decode,
            attrs_ok,
            fields,
        })
    }
}

/// The role of a field from its accepted attribute entries.
fn field_role(
    ident: &Ident,
    entries: &[&Entry],
    rename_all: Option<RenameRule>,
    errors: &mut Errors,
) -> Role {
    let rename = attr::single(entries, "rename", errors);
    let mut flags: Vec<&Entry> = Vec::new();
    for key in ["skip", "items", "datetime", "log_id"] {
        if let Some(entry) = attr::single(entries, key, errors) {
            flags.push(entry);
        }
    }
    if let [first, second, ..] = flags.as_slice() {
        errors.at(
            second.key.span(),
            format!(
                "`{}` and `{}` cannot be combined on one field; keep one",
                first.key, second.key
            ),
        );
    }
    if let (Some(rename), Some(flag)) = (rename, flags.first()) {
        errors.at(
            rename.key.span(),
            format!(
                "`rename` has no effect on a `{}` field; remove it",
                flag.key
            ),
        );
    }
    match flags.first().map(|e| e.key.to_string()).as_deref() {
        Some("skip") => Role::Skip,
        Some("items") => Role::Items,
        Some("datetime") => Role::Datetime,
        Some("log_id") => Role::LogId,
        _ => match rename.and_then(|e| e.value.as_ref()) {
            Some(lit) => Role::Property {
                name: lit.value(),
                span: lit.span(),
            },
            None => {
                let rust = unraw(ident);
                Role::Property {
                    name: rename_all
                        .map_or_else(|| rust.clone(), |rule| rule.apply_to_field(&rust)),
                    span: ident.span(),
                }
            }
        },
    }
}

/// The registered name of an event struct without `event = "..."`: its name in snake case.
pub fn default_event_name(ident: &Ident) -> String {
    case::snake(&unraw(ident))
}

/// An enum deriving `DfineryEnum`.
pub struct Enum<'a> {
    /// The enum's name.
    pub ident: &'a Ident,
    /// `registry = "..."`.
    pub registry: Option<LitStr>,
    /// The registered properties it stands for, checked at compile time.
    pub bindings: Vec<Binding>,
    /// Every variant with its value.
    pub variants: Vec<Variant<'a>>,
}

/// One unit variant and the value it is sent as.
pub struct Variant<'a> {
    /// The variant's name.
    pub ident: &'a Ident,
    /// The value.
    pub value: String,
    /// The span of the value: the `rename` literal, else the variant's name.
    pub span: Span,
}

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

const ENUM_KEYS: &[(&str, Takes)] = &[
    ("rename_all", Takes::Str),
    ("registry", Takes::Str),
    ("user_property", Takes::Str),
    ("event", Takes::Str),
    ("property", Takes::Str),
    ("item", Takes::Str),
];

impl<'a> Enum<'a> {
    /// Reads an enum of unit variants; anything else is an error.
    pub fn from_input(input: &'a DeriveInput, errors: &mut Errors) -> Option<Self> {
        let Data::Enum(data) = &input.data else {
            errors.at(
                input.ident.span(),
                "`DfineryEnum` can only be derived for an enum of unit variants",
            );
            return None;
        };
        if let Some(param) = input.generics.params.first() {
            errors.spanned(
                param,
                "`DfineryEnum` cannot be derived for a generic enum; remove the parameters",
            );
        }
        let groups = attr::groups(&input.attrs, errors);
        let allowed = Allowed {
            place: "a `DfineryEnum` enum",
            keys: ENUM_KEYS,
        };
        let mut all = Vec::new();
        let mut bindings = Vec::new();
        for group in &groups {
            let entries = attr::accepted(std::slice::from_ref(group), &allowed, errors);
            bindings.extend(binding(&entries, errors));
            all.extend(entries);
        }
        let registry = attr::single(&all, "registry", errors).and_then(|e| e.value.clone());
        let rename_all = attr::rename_all(attr::single(&all, "rename_all", errors), false, errors);
        let variant_keys: &[(&str, Takes)] = &[("rename", Takes::Str)];
        let variant_allowed = Allowed {
            place: "a `DfineryEnum` variant",
            keys: variant_keys,
        };
        let variants = data
            .variants
            .iter()
            .filter_map(|variant| {
                if !matches!(variant.fields, Fields::Unit) {
                    errors.spanned(
                        &variant.fields,
                        format!(
                            "variant `{}` has fields; a `DfineryEnum` variant stands for one string value, so remove them",
                            variant.ident
                        ),
                    );
                    return None;
                }
                let groups = attr::groups(&variant.attrs, errors);
                let entries = attr::accepted(&groups, &variant_allowed, errors);
                let rename = attr::single(&entries, "rename", errors).and_then(|e| e.value.as_ref());
                let (value, span) = match rename {
                    Some(lit) => (lit.value(), lit.span()),
                    None => {
                        let rust = unraw(&variant.ident);
                        let value = rename_all.map_or_else(|| rust.clone(), |r| r.apply_to_variant(&rust));
                        (value, variant.ident.span())
                    }
                };
                Some(Variant {
                    ident: &variant.ident,
                    value,
                    span,
                })
            })
            .collect();
        Some(Enum {
            ident: &input.ident,
            registry,
            bindings,
            variants,
        })
    }
}

/// The binding one `#[dfinery(...)]` of an enum declares, if any.
fn binding(entries: &[&Entry], errors: &mut Errors) -> Option<Binding> {
    let get = |key: &str, errors: &mut Errors| {
        attr::single(entries, key, errors).and_then(|e| e.value.clone())
    };
    let user = get("user_property", errors);
    let event = get("event", errors);
    let property = get("property", errors);
    let item = get("item", errors);
    match (user, event, property, item) {
        (None, None, None, None) => None,
        (Some(user), None, None, None) => Some(Binding::User(user)),
        (None, Some(event), Some(property), None) => {
            Some(Binding::EventProperty { event, property })
        }
        (None, Some(event), None, Some(item)) => Some(Binding::ItemProperty { event, item }),
        (None, Some(event), None, None) => {
            errors.at(
                event.span(),
                "`event` needs the property too: add `property = \"...\"` (an event property) or `item = \"...\"` (an item property)",
            );
            None
        }
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
            None
        }
    }
}
