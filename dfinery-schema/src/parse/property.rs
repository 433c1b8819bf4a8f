//! One property definition: the shorthand `name = "type"` or the table
//! `name = { type, required, enum, max_len, max_items }`.

use std::collections::hash_map::Entry;
use std::collections::{HashMap, HashSet};
use std::fmt;
use std::ops::Range;

use toml::de::{DeTable, DeValue};

use super::context::{Ctx, Key, Value, kind, or_list};
use crate::limits::MAX_VALUE_BYTES;
use crate::names::{check_name, is_reserved, shown, strip_reserved};
use crate::{DataType, PropertyDef};

/// The keys a property table may hold.
const KEYS: &[&str] = &["type", "required", "enum", "max_len", "max_items"];

/// Where a property is defined.
#[derive(Clone, Copy, PartialEq, Eq)]
pub(super) enum Kind {
    /// `properties.<name>` of an event.
    Event,
    /// `items.<name>` of an event.
    Item,
    /// An entry of `[user_properties]`.
    User,
}

impl Kind {
    /// The noun used in messages.
    pub(super) fn noun(self) -> &'static str {
        match self {
            Kind::Event => "property",
            Kind::Item => "item property",
            Kind::User => "user property",
        }
    }
}

/// A property being defined, for messages: ``property `amount` of event `coupon_used` ``.
pub(super) struct Subject<'a> {
    pub kind: Kind,
    pub name: &'a str,
    pub event: Option<&'a str>,
}

impl fmt::Display for Subject<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{} `{}`", self.kind.noun(), shown(self.name))?;
        if let Some(event) = self.event {
            write!(f, " of event `{}`", shown(event))?;
        }
        Ok(())
    }
}

/// Checks a custom property name: the naming rule and the reserved prefix. Records the problem
/// and returns `false` when the name is unusable.
pub(super) fn check_custom_name(ctx: &mut Ctx<'_>, subject: &Subject<'_>, key: &Key<'_>) -> bool {
    if is_reserved(subject.name) {
        let renamed = strip_reserved(subject.name);
        let fix = if check_name(renamed).is_ok() {
            format!("rename it, e.g. `{renamed}`")
        } else {
            "rename it without the prefix".to_owned()
        };
        ctx.error(
            key.span(),
            format!("custom {subject} uses the reserved `df_` prefix; {fix}"),
        );
        return false;
    }
    if let Err(err) = check_name(subject.name) {
        ctx.error(key.span(), format!("{} {err}", subject.kind.noun()));
        return false;
    }
    if subject.kind == Kind::Event && EXPORT_COLUMNS.contains(&subject.name) {
        ctx.warn(
            key.span(),
            format!(
                "{subject} has the name of a column every event export has: an export of the event names that column twice, which `ExportRows` (and any reader by column name) refuses; rename the property if the console allows"
            ),
        );
    }
    true
}

/// The columns of an event export that a custom event property could be named as (the others
/// start with the reserved `df_`): `event_name` (DFINERY's), `event_log_id` and
/// `event_datetime` (the emulator's, as `docs/export.md` says).
const EXPORT_COLUMNS: [&str; 3] = ["event_name", "event_log_id", "event_datetime"];

/// Reads the definition `value` of the property `subject` whose key is `key`.
pub(super) fn definition(
    ctx: &mut Ctx<'_>,
    subject: &Subject<'_>,
    key: &Key<'_>,
    value: &Value<'_>,
) -> Option<PropertyDef> {
    match value.get_ref() {
        DeValue::String(s) => {
            parse_type(ctx, subject, s, value.span()).map(|ty| PropertyDef::new(subject.name, ty))
        }
        DeValue::Table(table) => definition_table(ctx, subject, key, table),
        other => {
            ctx.error(
                value.span(),
                format!(
                    "{subject} must be a type name such as `\"string\"` or a table such as \
                     `{{ type = \"string\", required = true }}`, found {}",
                    kind(other)
                ),
            );
            None
        }
    }
}

/// The values of `enum`, each with its span.
type EnumValues = Vec<(String, Range<usize>)>;

/// The rules read from a property table, checked against its type once that is known.
#[derive(Default)]
struct Rules {
    enum_values: Option<Rule<EnumValues>>,
    max_len: Option<Rule<usize>>,
    max_items: Option<Rule<usize>>,
}

/// A rule key as read, with the span of its key (to point at).
struct Rule<T> {
    value: T,
    key: Range<usize>,
}

fn rule<T>(value: T, key: &Key<'_>) -> Rule<T> {
    Rule {
        value,
        key: key.span(),
    }
}

fn definition_table(
    ctx: &mut Ctx<'_>,
    subject: &Subject<'_>,
    key: &Key<'_>,
    table: &DeTable<'_>,
) -> Option<PropertyDef> {
    let mut type_seen = false;
    let mut ty = None;
    let mut required = false;
    let mut rules = Rules::default();
    for (k, v) in table.iter() {
        let what = |rule: &str| format!("`{rule}` of {subject}");
        match k.get_ref().as_ref() {
            "type" => {
                type_seen = true;
                if let Some(s) = ctx.string(v, &what("type")) {
                    ty = parse_type(ctx, subject, s, v.span());
                }
            }
            "required" if subject.kind == Kind::User => ctx.error(
                k.span(),
                format!(
                    "`required` is not allowed on {subject}; user properties are always \
                     optional, remove it"
                ),
            ),
            "required" => required = ctx.bool(v, &what("required")).unwrap_or(false),
            "enum" => rules.enum_values = enum_list(ctx, subject, v).map(|r| rule(r, k)),
            "max_len" => rules.max_len = ctx.positive_int(v, &what("max_len")).map(|r| rule(r, k)),
            "max_items" => {
                rules.max_items = ctx.positive_int(v, &what("max_items")).map(|r| rule(r, k))
            }
            _ => ctx.unknown_key(k, &subject.to_string(), KEYS),
        }
    }
    if !type_seen {
        ctx.error(
            key.span(),
            format!("{subject} has no `type`; add one, e.g. `type = \"string\"`"),
        );
    }
    let ty = ty?;
    check_rules(ctx, subject, ty, &rules);
    Some(PropertyDef {
        name: subject.name.to_owned(),
        ty,
        required,
        enum_values: rules
            .enum_values
            .map(|r| r.value.into_iter().map(|(v, _)| v).collect()),
        max_len: rules.max_len.map(|r| r.value),
        max_items: rules.max_items.map(|r| r.value),
        standard: false,
    })
}

/// The `enum` list: strings, at least one, no repeats.
fn enum_list(ctx: &mut Ctx<'_>, subject: &Subject<'_>, value: &Value<'_>) -> Option<EnumValues> {
    let entries = ctx.strings(value, &format!("`enum` of {subject}"))?;
    if matches!(value.get_ref(), DeValue::Array(items) if !items.is_empty()) && entries.is_empty() {
        // Every entry was a problem, already reported each at its place: the list is not empty.
        return None;
    }
    if entries.is_empty() {
        ctx.error(
            value.span(),
            format!("`enum` of {subject} is empty; list at least one value or remove it"),
        );
        return None;
    }
    let mut seen = HashSet::new();
    // Each value by its folded form (white space around it dropped, lower case), for values
    // that differ only in that: most likely one value typed twice, one of them unreachable.
    let mut folded: HashMap<String, &str> = HashMap::new();
    for (entry, span) in &entries {
        if !seen.insert(*entry) {
            ctx.error(
                span.clone(),
                format!(
                    "`enum` value `{}` of {subject} is listed twice; remove one",
                    shown(entry)
                ),
            );
        } else if entry.trim().is_empty() {
            ctx.warn(
                span.clone(),
                format!(
                    "`enum` value `{}` of {subject} is blank; to send no value leave the property \
                     out, or remove the value",
                    shown(entry)
                ),
            );
        } else {
            match folded.entry(entry.trim().to_lowercase()) {
                Entry::Occupied(earlier) => ctx.warn(
                    span.clone(),
                    format!(
                        "`enum` value `{}` of {subject} differs from `{}` only in case or white \
                         space; values are compared exactly, so keep one spelling if one is meant",
                        shown(entry),
                        shown(earlier.get())
                    ),
                ),
                Entry::Vacant(slot) => {
                    slot.insert(entry);
                }
            }
        }
        // A value DFINERY refuses whatever the registry says: more than 8 KB of JSON.
        let json = serde_json::to_string(entry).map_or(0, |json| json.len());
        if json > MAX_VALUE_BYTES {
            ctx.error(
                span.clone(),
                format!(
                    "`enum` value `{}` of {subject} is {json} bytes of JSON; DFINERY takes at \
                     most {MAX_VALUE_BYTES} bytes per value, so it could never be sent: shorten \
                     it",
                    shown(entry)
                ),
            );
        }
    }
    Some(
        entries
            .into_iter()
            .map(|(s, span)| (s.to_owned(), span))
            .collect(),
    )
}

/// The rules that only make sense for some types.
fn check_rules(ctx: &mut Ctx<'_>, subject: &Subject<'_>, ty: DataType, rules: &Rules) {
    let Rules {
        enum_values,
        max_len,
        max_items,
    } = rules;
    let type_name = ty.registry_name();
    if let Some(rule) = enum_values
        && ty != DataType::String
    {
        ctx.error(
            rule.key.clone(),
            format!(
                "`enum` needs type `string`, but {subject} is `{type_name}`; remove `enum` or \
                 change the type"
            ),
        );
    }
    if let Some(rule) = max_len {
        if !matches!(ty, DataType::String | DataType::StringArray) {
            ctx.error(
                rule.key.clone(),
                format!(
                    "`max_len` needs type `string` or `array<string>`, but {subject} is \
                     `{type_name}`; remove it"
                ),
            );
        } else if let Some(values) = enum_values {
            for (value, span) in &values.value {
                if value.chars().count() > rule.value {
                    ctx.error(
                        span.clone(),
                        format!(
                            "`enum` value `{}` of {subject} is longer than its `max_len` \
                             of {}; shorten it or raise `max_len`",
                            shown(value),
                            rule.value
                        ),
                    );
                }
            }
        }
    }
    if let Some(rule) = max_items
        && !ty.is_array()
    {
        ctx.error(
            rule.key.clone(),
            format!("`max_items` needs an array type, but {subject} is `{type_name}`; remove it"),
        );
    }
}

/// Parses a type name, recording an unknown one with a suggestion.
fn parse_type(
    ctx: &mut Ctx<'_>,
    subject: &Subject<'_>,
    text: &str,
    span: Range<usize>,
) -> Option<DataType> {
    if let Ok(ty) = text.parse::<DataType>() {
        return Some(ty);
    }
    let names = DataType::ALL.map(DataType::registry_name);
    let arrays = || {
        let arrays: Vec<&str> = DataType::ALL
            .into_iter()
            .filter(|ty| ty.is_array())
            .map(DataType::registry_name)
            .collect();
        or_list(&arrays)
    };
    let fix = match alias(text) {
        Alias::Type(close) => format!("did you mean `{close}`?"),
        Alias::NoArrayOf(element) => format!(
            "DFINERY has no Array of {element}: an array holds strings, longs or doubles, {}",
            arrays()
        ),
        Alias::NoElement => format!("an array type names its element: {}", arrays()),
        Alias::UnknownElement => format!("an array holds strings, longs or doubles: {}", arrays()),
        Alias::None => match crate::suggest(text, names) {
            Some(close) => format!("did you mean `{close}`?"),
            None => format!("expected {}", or_list(&names)),
        },
    };
    let text = shown(text);
    ctx.error(span, format!("unknown type `{text}` for {subject}; {fix}"));
    None
}

/// What a type name that is not one of the registry's was most likely meant as.
enum Alias {
    /// This registry type, written as in another language (`int`, `String`, `Vec<f64>`, …).
    Type(&'static str),
    /// An array of an element DFINERY has no array of (`array<boolean>`): the display name of
    /// the element.
    NoArrayOf(&'static str),
    /// An array that names no element (`array`, `list`, `[]`).
    NoElement,
    /// An array of an element that is no type (`array<foo>`).
    UnknownElement,
    /// Nothing known: left to the closest spelling.
    None,
}

/// What `text` is most likely meant as, when written as in another language (`int`,
/// `String`, `Vec<f64>`, `string[]`, …) or as an array DFINERY does not have.
fn alias(text: &str) -> Alias {
    let compact: String = text
        .chars()
        .filter(|c| !c.is_whitespace())
        .collect::<String>()
        .to_ascii_lowercase();
    if matches!(
        compact.as_str(),
        "array" | "list" | "vec" | "[]" | "array<>" | "list<>" | "vec<>"
    ) {
        return Alias::NoElement;
    }
    let element = ["array<", "vec<", "list<"]
        .iter()
        .find_map(|open| compact.strip_prefix(open)?.strip_suffix('>'))
        .or_else(|| compact.strip_prefix('[')?.strip_suffix(']'))
        .or_else(|| compact.strip_suffix("[]"));
    if let Some(element) = element {
        let element = match scalar_alias(element) {
            Some(element) => element,
            // `array<strng>`: the closest element, not the closest whole name (every
            // `array<…>` is close to every array type by its first six characters).
            None => {
                return match crate::suggest(element, ["string", "long", "double"]) {
                    Some(close) => DataType::ALL
                        .into_iter()
                        .filter(|ty| ty.is_array())
                        .find(|ty| ty.element().map(DataType::registry_name) == Some(close))
                        .map_or(Alias::None, |ty| Alias::Type(ty.registry_name())),
                    None if is_object(element) => Alias::NoArrayOf("Object"),
                    None => Alias::UnknownElement,
                };
            }
        };
        return DataType::ALL
            .into_iter()
            .find(|array| array.element() == Some(element))
            .map_or(Alias::NoArrayOf(element.display_name()), |array| {
                Alias::Type(array.registry_name())
            });
    }
    scalar_alias(&compact).map_or(Alias::None, |ty| Alias::Type(ty.registry_name()))
}

/// Whether an array element type names an object (DFINERY's only array of objects is the
/// event's items).
fn is_object(element: &str) -> bool {
    matches!(
        element,
        "object" | "map" | "json" | "struct" | "dict" | "record" | "table"
    )
}

fn scalar_alias(text: &str) -> Option<DataType> {
    Some(match text {
        "string" | "str" | "&str" | "text" | "varchar" | "char" => DataType::String,
        "long" | "int" | "integer" | "i64" | "i32" | "i16" | "i8" | "u32" | "u16" | "u8"
        | "bigint" => DataType::Long,
        "double" | "float" | "f64" | "f32" | "number" | "decimal" | "real" => DataType::Double,
        "boolean" | "bool" => DataType::Boolean,
        "datetime" | "timestamp" | "instant" | "date_time" | "time" => DataType::Datetime,
        "date" | "localdate" | "naivedate" => DataType::Date,
        _ => return None,
    })
}
