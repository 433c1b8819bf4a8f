//! [`Json`] and [`Object`]: the JSON the checks read, either borrowed text (a line of a file,
//! read without building a `serde_json::Value`) or an already parsed `serde_json::Value`.

use std::borrow::Cow;
use std::fmt;

use serde::de::{Deserialize, Deserializer, IgnoredAny, MapAccess, SeqAccess, Visitor};
use serde_json::Value;
use serde_json::value::RawValue;

use super::{RuleViolation, TypeMismatch};
use crate::{JsonView, PropertyDef};

/// One JSON value as the checks read it.
///
/// [`Json::Text`] is the fast form: the value's text borrowed from a larger document (e.g. a
/// member of an [`Object`] parsed from a line), looked at only as far as a check needs.
/// [`Json::Value`] is a `serde_json::Value` someone already parsed.
#[derive(Debug, Clone, Copy)]
pub enum Json<'a> {
    /// The value's JSON text.
    Text(JsonText<'a>),
    /// A parsed value.
    Value(&'a Value),
}

/// The text of one JSON value, known to be valid JSON: made from a `serde_json` [`RawValue`]
/// or by this crate from text it has parsed.
#[derive(Debug, Clone, Copy)]
pub struct JsonText<'a> {
    text: &'a str,
    /// The same text as a `RawValue`, when it was read as one.
    raw: Option<&'a RawValue>,
}

impl<'a> JsonText<'a> {
    /// The text.
    pub fn get(&self) -> &'a str {
        self.text
    }

    /// The text as a `serde_json` [`RawValue`], when it was read as one (a member of an object
    /// read by [`Object::parse`]; not a part split from such a member).
    pub fn raw(&self) -> Option<&'a RawValue> {
        self.raw
    }

    fn split(text: &'a str) -> Self {
        JsonText { text, raw: None }
    }
}

impl<'a> From<&'a RawValue> for JsonText<'a> {
    fn from(raw: &'a RawValue) -> Self {
        JsonText {
            text: raw.get(),
            raw: Some(raw),
        }
    }
}

impl<'a> Json<'a> {
    /// Whether this is `null`.
    pub fn is_null(&self) -> bool {
        match self {
            Json::Text(raw) => raw.get() == "null",
            Json::Value(value) => value.is_null(),
        }
    }

    /// Whether this is a number.
    pub fn is_number(&self) -> bool {
        match self {
            Json::Text(raw) => matches!(raw.get().as_bytes().first(), Some(b'-' | b'0'..=b'9')),
            Json::Value(value) => value.is_number(),
        }
    }

    /// What this value is, for messages, as [`JsonView::describe`] says it: `a string`, `an
    /// integer`, `null`, …
    pub fn describe(&self) -> &'static str {
        match self {
            Json::Value(Value::Array(_)) => "an array",
            Json::Value(value) => view(value).describe(),
            Json::Text(raw) => match raw.get().as_bytes().first() {
                Some(b'n') => "null",
                Some(b't' | b'f') => "a boolean",
                Some(b'"') => "a string",
                Some(b'[') => "an array",
                Some(b'{') => "an object",
                _ => number_text(raw.get()).describe(),
            },
        }
    }

    /// The string this value holds, unescaped; `None` when it is not a string.
    pub fn as_str(&self) -> Option<Cow<'a, str>> {
        match self {
            Json::Value(value) => value.as_str().map(Cow::Borrowed),
            Json::Text(raw) => string(raw.get()),
        }
    }

    /// The members of this object; `None` when it is not an object.
    pub fn as_object(&self) -> Option<Object<'a>> {
        match self {
            Json::Value(Value::Object(map)) => Some(Object::from_map(map)),
            Json::Value(_) => None,
            Json::Text(raw) => split_object(raw.get()).map(|mut members| {
                let repeated = sort(&mut members);
                Object { members, repeated }
            }),
        }
    }

    /// The elements of this array; `None` when it is not an array.
    pub fn as_array(&self) -> Option<Vec<Json<'a>>> {
        match self {
            Json::Value(Value::Array(items)) => Some(items.iter().map(Json::Value).collect()),
            Json::Value(_) => None,
            Json::Text(raw) => split_array(raw.get()),
        }
    }

    /// The number of bytes of this value's JSON text, the measure of
    /// [`MAX_VALUE_BYTES`](crate::limits::MAX_VALUE_BYTES): for a [`Json::Value`], the compact
    /// text `serde_json` writes (how the SDK sends a value, and what the emulator measures);
    /// for [`Json::Text`], the larger of the text itself (as `dfinery send` sends it) and that
    /// compact rewrite, so a value passes only if it passes both measures. The rewrite is
    /// longer than the text only through numbers (`1e2` is written `100.0`, `-0` `-0.0`, an
    /// integer beyond 64 bits or a fraction of 17 digits before its point in exponent form),
    /// at most 4.5 times as long, so it is computed only for a text long enough and holding
    /// such a number. Exact in every case.
    pub fn json_len(&self) -> usize {
        match self {
            Json::Text(raw) => {
                let text = raw.get();
                if text.len().saturating_mul(9) / 2 > crate::limits::MAX_VALUE_BYTES
                    && number_may_grow(text)
                    && let Ok(value) = serde_json::from_str::<Value>(text)
                {
                    text.len().max(compact_len(&value))
                } else {
                    text.len()
                }
            }
            Json::Value(value) => compact_len(value),
        }
    }

    /// Checks this value against every rule of `property` ([`PropertyDef::check`]), its size
    /// measured by [`Json::json_len`].
    ///
    /// # Errors
    ///
    /// Every rule the value breaks.
    pub fn check(&self, property: &PropertyDef) -> Result<(), Vec<RuleViolation>> {
        match self {
            Json::Value(value) => property.check_sized(&view(value), || self.json_len()),
            Json::Text(raw) if raw.get().starts_with('"') => match string(raw.get()) {
                Some(s) => property.check_sized(&JsonView::String(&s), || self.json_len()),
                None => Err(self.unreadable(property, None)),
            },
            Json::Text(raw) if self.is_number() => {
                property.check_sized(&number_text(raw.get()), || self.json_len())
            }
            Json::Text(raw) => match serde_json::from_str::<Tree<'a>>(raw.get()) {
                Ok(tree) => property.check_sized(&tree.view(), || self.json_len()),
                Err(error) => Err(self.unreadable(property, Some(&error))),
            },
        }
    }
}

/// The length of the compact JSON text `serde_json` writes for `value`.
fn compact_len(value: &Value) -> usize {
    let mut count = ByteCount(0);
    // Writing to a counter cannot fail.
    let _ = serde_json::to_writer(&mut count, value);
    count.0
}

/// Whether `text` (valid JSON) may hold a number `serde_json` writes longer than its text: one
/// with an exponent (`1e2`, written `100.0`), a run of 17 or more digits (an integer beyond 64
/// bits is read as a double, `18446744073709551616` written `1.8446744073709552e+19`, and a
/// double of 17 or 18 digits before its point is written in exponent form,
/// `12345678901234567.5` as `1.2345678901234568e+16`), or a `-0` (read as the double -0.0,
/// written `-0.0`). A double without an exponent and fewer digits before its point is never
/// written longer: its shortest form has no more digits than its text. Strings are not told
/// apart from numbers here: an `e` in a string only costs a parse.
fn number_may_grow(text: &str) -> bool {
    let mut digits = 0;
    let mut minus = false;
    text.bytes().any(|b| {
        digits = if b.is_ascii_digit() { digits + 1 } else { 0 };
        let negative_zero = minus && b == b'0';
        minus = b == b'-';
        b == b'e' || b == b'E' || digits >= 17 || negative_zero
    })
}

impl Json<'_> {
    /// The violation of a value whose text `serde_json` cannot read as a value although it is
    /// valid JSON (`error`, `None` for a string): a string (or a string in an array) with an
    /// escape that is no character, half of a UTF-16 surrogate pair (`"\ud83d"` alone), which
    /// no text holds; an array holding a number beyond a double's range (`1e400`); or arrays
    /// nested deeper than `serde_json` reads. No property takes any of them.
    fn unreadable(
        &self,
        property: &PropertyDef,
        error: Option<&serde_json::Error>,
    ) -> Vec<RuleViolation> {
        let reason = error.map(ToString::to_string).unwrap_or_default();
        let why = if reason.starts_with("number out of range") {
            "holding a number beyond the range of a double (such as `1e400`), which no \
             property can hold"
        } else if reason.starts_with("recursion limit exceeded") {
            "nested too deep to read (arrays or objects within each other, over a hundred \
             levels), which no property can hold"
        } else {
            "holding half of a UTF-16 surrogate pair (an escape such as `\\ud83d` without its \
             other half), which no text can hold"
        };
        vec![RuleViolation::Type(TypeMismatch {
            expected: property.ty,
            found: format!("{} {why}", self.describe()),
        })]
    }
}

/// Counts the bytes written to it.
struct ByteCount(usize);

impl std::io::Write for ByteCount {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        self.0 += buf.len();
        Ok(buf.len())
    }

    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

/// A `serde_json::Value` as the schema's view of JSON.
pub(crate) fn view(value: &Value) -> JsonView<'_> {
    match value {
        Value::Null => JsonView::Null,
        Value::Bool(b) => JsonView::Bool(*b),
        Value::Number(n) => number(n),
        Value::String(s) => JsonView::String(s),
        Value::Array(items) => JsonView::Array(items.iter().map(view).collect()),
        Value::Object(_) => JsonView::Object,
    }
}

fn number(n: &serde_json::Number) -> JsonView<'static> {
    match n.as_i64() {
        Some(i) => JsonView::Integer(i),
        None if n.is_u64() => JsonView::BigInteger,
        None => JsonView::Fraction(n.as_f64().unwrap_or(f64::NAN)),
    }
}

/// The number `text` (a valid JSON number) holds, as `serde_json` reads it: an integer that
/// fits an `i64`, a bigger one that fits a `u64`, else (a fraction, an exponent, `-0`, a larger
/// integer) a fraction.
fn number_text(text: &str) -> JsonView<'static> {
    let integer = text != "-0" && text.bytes().all(|b| b == b'-' || b.is_ascii_digit());
    if integer {
        if let Ok(i) = text.parse::<i64>() {
            return JsonView::Integer(i);
        }
        if text.parse::<u64>().is_ok() {
            return JsonView::BigInteger;
        }
    }
    JsonView::Fraction(text.parse::<f64>().unwrap_or(f64::NAN))
}

/// The members of one JSON object, in the order `serde_json::Map` keeps them (by key, byte
/// order) and, like it, with the last value of a repeated key.
#[derive(Debug, Clone, Default)]
pub struct Object<'a> {
    members: Vec<(Cow<'a, str>, Json<'a>)>,
    /// Whether a key was given more than once (only its last value is kept).
    repeated: bool,
}

impl<'a> Object<'a> {
    /// Reads the object `text` holds without copying its values: `Ok(None)` when `text` is
    /// JSON but not an object.
    ///
    /// # Errors
    ///
    /// When `text` is not JSON.
    ///
    /// ```
    /// use dfinery_schema::Object;
    /// let event = Object::parse(r#"{"name":"df_login","identity":{"external_id":"u1"}}"#)
    ///     .unwrap()
    ///     .unwrap();
    /// assert_eq!(event.get("name").unwrap().as_str().unwrap(), "df_login");
    /// assert!(Object::parse("[1]").unwrap().is_none());
    /// assert!(Object::parse("{oops").is_err());
    /// ```
    pub fn parse(text: &'a str) -> Result<Option<Object<'a>>, serde_json::Error> {
        serde_json::from_str::<Top<'a>>(text).map(|top| top.0)
    }

    /// The members of a parsed object.
    pub fn from_map(map: &'a serde_json::Map<String, Value>) -> Object<'a> {
        let mut members: Vec<_> = map
            .iter()
            .map(|(k, v)| (Cow::Borrowed(k.as_str()), Json::Value(v)))
            .collect();
        // A `Map` keeps its keys in order already, unless `preserve_order` is on.
        let repeated = sort(&mut members);
        Object { members, repeated }
    }

    /// The value of `key`.
    pub fn get(&self, key: &str) -> Option<Json<'a>> {
        // An event's objects are small: comparing lengths first beats a binary search.
        if self.members.len() <= 16 {
            return self
                .members
                .iter()
                .find(|(k, _)| k.as_ref() == key)
                .map(|(_, v)| *v);
        }
        self.members
            .binary_search_by(|(k, _)| k.as_ref().cmp(key))
            .ok()
            .map(|i| self.members[i].1)
    }

    /// Whether the object has `key`.
    pub fn contains_key(&self, key: &str) -> bool {
        self.get(key).is_some()
    }

    /// The members, by key.
    pub fn iter(&self) -> impl Iterator<Item = (&str, Json<'a>)> + '_ {
        self.members.iter().map(|(k, v)| (k.as_ref(), *v))
    }

    /// How many members the object has.
    pub fn len(&self) -> usize {
        self.members.len()
    }

    /// Whether the object has no member.
    pub fn is_empty(&self) -> bool {
        self.members.is_empty()
    }

    /// Whether a key was given more than once in the text (only its last value is kept, as
    /// `serde_json::Map` keeps it), so the text says more than the members.
    pub fn has_repeated_keys(&self) -> bool {
        self.repeated
    }

    /// The keys not in `allowed`, in order, each with the allowed one most likely meant
    /// ([`suggest`](crate::suggest())).
    pub fn unknown_keys<'k>(
        &self,
        allowed: &'k [&'k str],
    ) -> impl Iterator<Item = (&str, Option<&'k str>)> {
        self.iter()
            .map(|(k, _)| k)
            .filter(|k| !allowed.contains(k))
            .map(|k| (k, crate::suggest(k, allowed.iter().copied())))
    }
}

/// The string `text` (valid JSON) holds: borrowed when it has no escape, `None` when it is not
/// a string.
fn string(text: &str) -> Option<Cow<'_, str>> {
    let inner = text.strip_prefix('"')?.strip_suffix('"')?;
    if inner.contains('\\') {
        serde_json::from_str::<Text<'_>>(text).ok().map(|t| t.0)
    } else {
        Some(Cow::Borrowed(inner))
    }
}

/// Splitting valid JSON text into its parts without parsing it again: the text was checked
/// when it was read (by `serde_json`), so only the ends of strings and the nesting of brackets
/// matter. Out-of-range positions end the split (`None`), never a panic.
mod split {
    /// The first position at or after `i` that is not white space.
    pub(super) fn space(b: &[u8], mut i: usize) -> usize {
        while matches!(b.get(i), Some(b' ' | b'\t' | b'\n' | b'\r')) {
            i += 1;
        }
        i
    }

    /// The end (exclusive) of the string that starts at `i`.
    pub(super) fn string_end(b: &[u8], i: usize) -> Option<usize> {
        let mut j = i + 1;
        loop {
            match b.get(j)? {
                b'"' => return Some(j + 1),
                b'\\' => j += 2,
                _ => j += 1,
            }
        }
    }

    /// The end (exclusive) of the value that starts at `i`.
    pub(super) fn value_end(b: &[u8], i: usize) -> Option<usize> {
        match b.get(i)? {
            b'"' => string_end(b, i),
            b'{' | b'[' => {
                let mut depth = 0usize;
                let mut j = i;
                loop {
                    match b.get(j)? {
                        b'"' => {
                            j = string_end(b, j)?;
                            continue;
                        }
                        b'{' | b'[' => depth += 1,
                        b'}' | b']' => {
                            depth -= 1;
                            if depth == 0 {
                                return Some(j + 1);
                            }
                        }
                        _ => {}
                    }
                    j += 1;
                }
            }
            _ => {
                let mut j = i;
                while !matches!(
                    b.get(j),
                    None | Some(b',' | b'}' | b']' | b' ' | b'\t' | b'\n' | b'\r')
                ) {
                    j += 1;
                }
                Some(j)
            }
        }
    }
}

/// The members of the object `text` (valid JSON) holds, in the order written; `None` when it
/// is not an object.
fn split_object(text: &str) -> Option<Vec<(Cow<'_, str>, Json<'_>)>> {
    let b = text.as_bytes();
    let mut i = split::space(b, 0);
    if b.get(i) != Some(&b'{') {
        return None;
    }
    let mut members = Vec::with_capacity(8);
    i = split::space(b, i + 1);
    if b.get(i) == Some(&b'}') {
        return Some(members);
    }
    loop {
        let key_end = split::string_end(b, i)?;
        let quoted = text.get(i..key_end)?;
        // Most keys have no escape: then the key is the text between the quotes.
        let key = match quoted.get(1..quoted.len() - 1) {
            Some(inner) if !inner.contains('\\') => Cow::Borrowed(inner),
            _ => string(quoted)?,
        };
        i = split::space(b, key_end);
        if b.get(i) != Some(&b':') {
            return None;
        }
        let start = split::space(b, i + 1);
        let end = split::value_end(b, start)?;
        members.push((key, Json::Text(JsonText::split(text.get(start..end)?))));
        i = split::space(b, end);
        match b.get(i)? {
            b',' => i = split::space(b, i + 1),
            b'}' => return Some(members),
            _ => return None,
        }
    }
}

/// The elements of the array `text` (valid JSON) holds; `None` when it is not an array.
fn split_array(text: &str) -> Option<Vec<Json<'_>>> {
    let b = text.as_bytes();
    let mut i = split::space(b, 0);
    if b.get(i) != Some(&b'[') {
        return None;
    }
    let mut elements = Vec::new();
    i = split::space(b, i + 1);
    if b.get(i) == Some(&b']') {
        return Some(elements);
    }
    loop {
        let end = split::value_end(b, i)?;
        elements.push(Json::Text(JsonText::split(text.get(i..end)?)));
        i = split::space(b, end);
        match b.get(i)? {
            b',' => i = split::space(b, i + 1),
            b']' => return Some(elements),
            _ => return None,
        }
    }
}

/// Orders `members` by key, keeping the last value of a repeated key (as `serde_json::Map`);
/// says whether a key was repeated.
fn sort(members: &mut Vec<(Cow<'_, str>, Json<'_>)>) -> bool {
    if members.is_sorted_by(|a, b| a.0 < b.0) {
        return false;
    }
    members.reverse();
    // Stable: of equal keys, the last one given comes first now and is kept.
    members.sort_by(|a, b| a.0.cmp(&b.0));
    let before = members.len();
    members.dedup_by(|later, first| later.0 == first.0);
    members.len() < before
}

/// A document that is an object (its members) or any other JSON (`None`).
struct Top<'a>(Option<Object<'a>>);

impl<'de> Deserialize<'de> for Top<'de> {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        struct TopVisitor;
        impl<'de> Visitor<'de> for TopVisitor {
            type Value = Top<'de>;
            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("a JSON value")
            }
            fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Top<'de>, A::Error> {
                let mut members = Vec::with_capacity(map.size_hint().unwrap_or(8));
                while let Some(key) = map.next_key::<Text<'de>>()? {
                    let value: &'de RawValue = map.next_value()?;
                    members.push((key.0, Json::Text(value.into())));
                }
                let repeated = sort(&mut members);
                Ok(Top(Some(Object { members, repeated })))
            }
            fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<Top<'de>, A::Error> {
                while seq.next_element::<IgnoredAny>()?.is_some() {}
                Ok(Top(None))
            }
            fn visit_bool<E>(self, _: bool) -> Result<Top<'de>, E> {
                Ok(Top(None))
            }
            fn visit_i64<E>(self, _: i64) -> Result<Top<'de>, E> {
                Ok(Top(None))
            }
            fn visit_u64<E>(self, _: u64) -> Result<Top<'de>, E> {
                Ok(Top(None))
            }
            fn visit_f64<E>(self, _: f64) -> Result<Top<'de>, E> {
                Ok(Top(None))
            }
            fn visit_str<E>(self, _: &str) -> Result<Top<'de>, E> {
                Ok(Top(None))
            }
            fn visit_unit<E>(self) -> Result<Top<'de>, E> {
                Ok(Top(None))
            }
        }
        deserializer.deserialize_any(TopVisitor)
    }
}

/// A string, borrowed when it has no escape.
struct Text<'a>(Cow<'a, str>);

impl<'de> Deserialize<'de> for Text<'de> {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        struct TextVisitor;
        impl<'de> Visitor<'de> for TextVisitor {
            type Value = Text<'de>;
            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("a string")
            }
            fn visit_borrowed_str<E>(self, s: &'de str) -> Result<Text<'de>, E> {
                Ok(Text(Cow::Borrowed(s)))
            }
            fn visit_str<E>(self, s: &str) -> Result<Text<'de>, E> {
                Ok(Text(Cow::Owned(s.to_owned())))
            }
            fn visit_string<E>(self, s: String) -> Result<Text<'de>, E> {
                Ok(Text(Cow::Owned(s)))
            }
        }
        deserializer.deserialize_str(TextVisitor)
    }
}

/// A value read from text for [`JsonView`]: strings borrowed where they can be, objects not
/// looked into.
enum Tree<'a> {
    Null,
    Bool(bool),
    Integer(i64),
    BigInteger,
    Fraction(f64),
    String(Cow<'a, str>),
    Array(Vec<Tree<'a>>),
    Object,
}

impl Tree<'_> {
    fn view(&self) -> JsonView<'_> {
        match self {
            Tree::Null => JsonView::Null,
            Tree::Bool(b) => JsonView::Bool(*b),
            Tree::Integer(i) => JsonView::Integer(*i),
            Tree::BigInteger => JsonView::BigInteger,
            Tree::Fraction(f) => JsonView::Fraction(*f),
            Tree::String(s) => JsonView::String(s),
            Tree::Array(items) => JsonView::Array(items.iter().map(Tree::view).collect()),
            Tree::Object => JsonView::Object,
        }
    }
}

impl<'de> Deserialize<'de> for Tree<'de> {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        struct TreeVisitor;
        impl<'de> Visitor<'de> for TreeVisitor {
            type Value = Tree<'de>;
            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("a JSON value")
            }
            fn visit_unit<E>(self) -> Result<Tree<'de>, E> {
                Ok(Tree::Null)
            }
            fn visit_bool<E>(self, b: bool) -> Result<Tree<'de>, E> {
                Ok(Tree::Bool(b))
            }
            fn visit_i64<E>(self, i: i64) -> Result<Tree<'de>, E> {
                Ok(Tree::Integer(i))
            }
            fn visit_u64<E>(self, u: u64) -> Result<Tree<'de>, E> {
                Ok(i64::try_from(u).map_or(Tree::BigInteger, Tree::Integer))
            }
            fn visit_f64<E>(self, f: f64) -> Result<Tree<'de>, E> {
                Ok(Tree::Fraction(f))
            }
            fn visit_borrowed_str<E>(self, s: &'de str) -> Result<Tree<'de>, E> {
                Ok(Tree::String(Cow::Borrowed(s)))
            }
            fn visit_str<E>(self, s: &str) -> Result<Tree<'de>, E> {
                Ok(Tree::String(Cow::Owned(s.to_owned())))
            }
            fn visit_string<E>(self, s: String) -> Result<Tree<'de>, E> {
                Ok(Tree::String(Cow::Owned(s)))
            }
            fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<Tree<'de>, A::Error> {
                let mut items = Vec::with_capacity(seq.size_hint().unwrap_or(0));
                while let Some(item) = seq.next_element()? {
                    items.push(item);
                }
                Ok(Tree::Array(items))
            }
            fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Tree<'de>, A::Error> {
                while map.next_entry::<IgnoredAny, IgnoredAny>()?.is_some() {}
                Ok(Tree::Object)
            }
        }
        deserializer.deserialize_any(TreeVisitor)
    }
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    #[test]
    fn numbers_map_to_integer_big_integer_or_fraction() {
        assert_eq!(view(&json!(-3)), JsonView::Integer(-3));
        assert_eq!(view(&json!(u64::MAX)), JsonView::BigInteger);
        assert_eq!(view(&json!(1.0)), JsonView::Fraction(1.0));
        assert_eq!(
            view(&json!(["a", {}])),
            JsonView::Array(vec![JsonView::String("a"), JsonView::Object])
        );
    }

    #[test]
    fn an_integer_past_u64_is_described_as_whole_read_either_way() {
        let line = r#"{"huge":99999999999999999999999}"#;
        let parsed: Value = serde_json::from_str(line).unwrap();
        let Value::Object(map) = &parsed else {
            unreachable!()
        };
        let describe = |object: Object<'_>| {
            let described: Vec<&str> = object.iter().map(|(_, value)| value.describe()).collect();
            described
        };
        let expected = vec!["a number outside the 64-bit integer range"];
        assert_eq!(describe(text(line)), expected);
        assert_eq!(describe(Object::from_map(map)), expected);
    }

    /// `text` as a member value, borrowed as a line's values are.
    fn text(text: &str) -> Object<'_> {
        Object::parse(text).unwrap().unwrap()
    }

    #[test]
    fn text_and_values_read_alike() {
        let line = r#"{"n":-3,"big":18446744073709551615,"f":1.0,"s":"a\"b","a":["a",{}],"o":{},"z":null,"b":true}"#;
        let parsed: Value = serde_json::from_str(line).unwrap();
        let Value::Object(map) = &parsed else {
            unreachable!()
        };
        let (from_text, from_value) = (text(line), Object::from_map(map));
        assert_eq!(from_text.len(), from_value.len());
        for ((key, a), (other, b)) in from_text.iter().zip(from_value.iter()) {
            assert_eq!(key, other);
            assert_eq!(a.describe(), b.describe(), "{key}");
            assert_eq!(a.is_null(), b.is_null(), "{key}");
            assert_eq!(a.is_number(), b.is_number(), "{key}");
            assert_eq!(a.as_str(), b.as_str(), "{key}");
            assert_eq!(
                a.json_len(),
                b.json_len(),
                "{key}: compact text is measured alike"
            );
            assert_eq!(a.as_array().map(|v| v.len()), b.as_array().map(|v| v.len()));
            assert_eq!(
                a.as_object().map(|o| o.len()),
                b.as_object().map(|o| o.len())
            );
        }
        assert_eq!(from_text.get("s").unwrap().as_str().unwrap(), "a\"b");
    }

    #[test]
    fn numbers_in_text_read_as_serde_json_reads_them() {
        for text in [
            "0",
            "-0",
            "-3",
            "5000",
            "1.0",
            "1E2",
            "-2.5e-8",
            "9223372036854775807",
            "9223372036854775808",
            "18446744073709551615",
            "18446744073709551616",
            "-9223372036854775809",
        ] {
            let value: Value = serde_json::from_str(text).unwrap();
            assert_eq!(number_text(text), view(&value), "{text}");
        }
    }

    #[test]
    fn keys_are_ordered_and_the_last_repeat_wins_as_in_a_map() {
        let line = r#"{"b":1,"a":2,"b":3}"#;
        let object = text(line);
        let keys: Vec<_> = object.iter().map(|(k, _)| k).collect();
        assert_eq!(keys, ["a", "b"]);
        assert!(object.has_repeated_keys());
        assert!(!text(r#"{"b":1,"a":2}"#).has_repeated_keys());
        assert_eq!(object.get("b").unwrap().json_len(), 1);
        let map: serde_json::Map<String, Value> = serde_json::from_str(line).unwrap();
        assert_eq!(map["b"], 3);
        assert!(matches!(object.get("b"), Some(Json::Text(raw)) if raw.get() == "3"));
        assert_eq!(
            object.get("b").and_then(|b| match b {
                Json::Text(raw) => raw.raw().map(RawValue::get),
                Json::Value(_) => None,
            }),
            Some("3"),
            "a member read by `parse` keeps its RawValue"
        );
        assert!(object.get("c").is_none());
    }

    #[test]
    fn numbers_are_measured_as_serde_json_writes_them_too() {
        use crate::limits::MAX_VALUE_BYTES;
        // `dfinery send` measured `[1e2,1e2,…]` as written (8,001 bytes for 2,000 of them) and
        // passed it; the emulator measures serde_json's rewrite, `[100.0,100.0,…]` (12,001
        // bytes), and refused it with `40001`.
        let property = PropertyDef::new("list", crate::DataType::DoubleArray);
        let array = |n: usize, number: &str| format!("[{}]", vec![number; n].join(","));
        for number in [
            "1e2",
            "1E15",
            "18446744073709551616",
            "-9223372036854775809",
        ] {
            let written = serde_json::from_str::<Value>(number).unwrap().to_string();
            assert!(
                written.len() > number.len(),
                "{number} is written {written}"
            );
            // `[` and `]`, and each number with a comma but the last: n * (len + 1) + 1 bytes.
            let fits = (MAX_VALUE_BYTES - 1) / (written.len() + 1);
            assert!(array(fits, number).len() <= MAX_VALUE_BYTES, "{number}");
            for (n, passes) in [(fits, true), (fits + 1, false)] {
                let line = format!(r#"{{"list":{}}}"#, array(n, number));
                let value = text(&line).get("list").unwrap();
                let parsed: Value = serde_json::from_str(&array(n, number)).unwrap();
                assert_eq!(
                    value.json_len(),
                    Json::Value(&parsed).json_len(),
                    "{number} x {n}"
                );
                assert_eq!(value.check(&property).is_ok(), passes, "{number} x {n}");
                assert_eq!(Json::Value(&parsed).check(&property).is_ok(), passes);
            }
        }
        // A text longer than its rewrite is still measured as sent.
        let long = array(1_000, "1.5000000");
        assert_eq!(
            text(&format!(r#"{{"list":{long}}}"#))
                .get("list")
                .unwrap()
                .json_len(),
            long.len()
        );
    }

    #[test]
    fn every_number_serde_json_writes_longer_is_measured_as_written_by_it() {
        use crate::limits::MAX_VALUE_BYTES;
        // `-0` is read as the double -0.0 and written `-0.0`; a fraction with 17 or 18 digits
        // before its point is written in exponent form (`1.2345678901234568e+16`). Neither
        // holds an exponent or a run of 19 digits, so the rewrite was not measured.
        let property = PropertyDef::new("list", crate::DataType::DoubleArray);
        for number in [
            "-0",
            "12345678901234567.5",
            "123456789012345678.5",
            "-12345678901234567.0",
        ] {
            let written = serde_json::from_str::<Value>(number).unwrap().to_string();
            assert!(
                written.len() > number.len(),
                "{number} is written {written}"
            );
            // As many as fit the limit as written, more than fit it as serde_json writes them.
            let n = (MAX_VALUE_BYTES - 1) / (number.len() + 1);
            let array = format!("[{}]", vec![number; n].join(","));
            let parsed: Value = serde_json::from_str(&array).unwrap();
            assert!(array.len() <= MAX_VALUE_BYTES);
            assert!(
                Json::Value(&parsed).json_len() > MAX_VALUE_BYTES,
                "{number}"
            );
            let line = format!(r#"{{"list":{array}}}"#);
            let value = text(&line).get("list").unwrap();
            assert_eq!(
                value.json_len(),
                Json::Value(&parsed).json_len(),
                "{number}"
            );
            assert!(value.check(&property).is_err(), "{number}");
        }
    }

    #[test]
    fn a_string_with_half_a_surrogate_pair_is_not_called_an_object() {
        // `serde_json` reads `\ud83d` alone in a value's text (not in a parsed `Value`): the
        // check said "found an object" of a string, or of an array of strings, where
        // `describe` said "a string".
        let line = r#"{"s":"ab\ud83d","a":["x","\udc00"]}"#;
        let object = text(line);
        for (key, ty, found) in [
            ("s", crate::DataType::String, "a string"),
            ("s", crate::DataType::Long, "a string"),
            ("a", crate::DataType::StringArray, "an array"),
        ] {
            let value = object.get(key).unwrap();
            assert_eq!(value.describe(), found);
            let errors = value.check(&PropertyDef::new(key, ty)).unwrap_err();
            let message = errors[0].to_string();
            assert!(
                message.contains(&format!(
                    "found {found} holding half of a UTF-16 surrogate pair"
                )),
                "{key}: {message}"
            );
            assert!(!message.contains("object"), "{key}: {message}");
        }
    }

    #[test]
    fn an_array_serde_json_cannot_read_for_another_reason_is_not_said_to_hold_half_a_surrogate() {
        // cf99359 took every array `serde_json` cannot read as holding half of a surrogate
        // pair: one holding a number beyond a double's range (`1e400`), or nested deeper than
        // serde_json reads, was told so too.
        let deep = format!(r#"{{"l":{}1{}}}"#, "[".repeat(130), "]".repeat(130));
        for (line, found) in [
            (
                r#"{"l":[1.5,-1e400]}"#,
                "an array holding a number beyond the range of a double",
            ),
            (deep.as_str(), "an array nested too deep to read"),
        ] {
            let object = text(line);
            let value = object.get("l").unwrap();
            for ty in [crate::DataType::DoubleArray, crate::DataType::StringArray] {
                let message = value.check(&PropertyDef::new("l", ty)).unwrap_err()[0].to_string();
                assert!(message.contains(&format!("found {found}")), "{message}");
                assert!(!message.contains("surrogate"), "{message}");
            }
        }
        // Half of a surrogate pair is still told as such.
        let object = text(r#"{"l":["\ud83d"]}"#);
        let message = object
            .get("l")
            .unwrap()
            .check(&PropertyDef::new("l", crate::DataType::StringArray))
            .unwrap_err()[0]
            .to_string();
        assert!(
            message.contains("half of a UTF-16 surrogate pair"),
            "{message}"
        );
    }

    #[test]
    fn text_is_measured_as_sent() {
        let property = PropertyDef::new("list", crate::DataType::LongArray);
        // 8,192 bytes exactly, written with spaces: the text as sent is what counts.
        let spaced = format!("[  {}1]", "1, ".repeat(2729));
        assert_eq!(spaced.len(), 8192);
        let line = format!(r#"{{"list":{spaced}}}"#);
        let value = text(&line).get("list").unwrap();
        assert_eq!(value.json_len(), 8192);
        assert!(value.check(&property).is_ok());
        let over = format!(r#"{{"list":[{}1]}}"#, "1,  ".repeat(2730));
        let errors = text(&over)
            .get("list")
            .unwrap()
            .check(&property)
            .unwrap_err();
        assert_eq!(errors[0].rule(), "max_value_bytes");
    }
}
