//! The state of one parse: the source text and the problems found so far, with helpers that
//! read a TOML value of an expected kind or record why it is not.

use std::ops::Range;

use toml::Spanned;
use toml::de::{DeString, DeTable, DeValue};

use super::Diagnostic;
use crate::names::shown;

/// A TOML value with its span.
pub(super) type Value<'i> = Spanned<DeValue<'i>>;
/// A TOML key with its span.
pub(super) type Key<'i> = Spanned<DeString<'i>>;

/// Collects every problem of one parse.
pub(super) struct Ctx<'s> {
    src: &'s str,
    errors: Vec<(Range<usize>, String)>,
    warnings: Vec<(Range<usize>, String)>,
}

impl<'s> Ctx<'s> {
    pub(super) fn new(src: &'s str) -> Self {
        Ctx {
            src,
            errors: Vec::new(),
            warnings: Vec::new(),
        }
    }

    /// Records a problem at `span`.
    pub(super) fn error(&mut self, span: Range<usize>, message: impl Into<String>) {
        self.errors.push((span, message.into()));
    }

    /// Records something that works but is best changed (e.g. a deprecated standard name).
    pub(super) fn warn(&mut self, span: Range<usize>, message: impl Into<String>) {
        self.warnings.push((span, message.into()));
    }

    /// The problems found, then the warnings, each sorted by position (stable, so one spot
    /// keeps its order).
    pub(super) fn into_diagnostics(self) -> (Vec<Diagnostic>, Vec<Diagnostic>) {
        (
            Diagnostic::all(self.src, self.errors),
            Diagnostic::all(self.src, self.warnings),
        )
    }

    /// Warns at each of `names` (keys of one table, with their spans) that differs from an
    /// earlier one only in ASCII case: names are case-sensitive, so the two are two different
    /// names to DFINERY, most likely one meant twice. `noun` names what they are (`property`)
    /// and `place` where, if anywhere (`` of event `coupon_used` ``).
    pub(super) fn case_twins<'k, 'i: 'k>(
        &mut self,
        noun: &str,
        place: &str,
        names: impl IntoIterator<Item = &'k Key<'i>>,
    ) {
        let mut keys: Vec<&Key<'_>> = names.into_iter().collect();
        keys.sort_by_key(|key| key.span().start);
        let mut first: std::collections::HashMap<String, &str> = std::collections::HashMap::new();
        for key in keys {
            let name: &str = key.get_ref().as_ref();
            match first.get(&name.to_ascii_lowercase()) {
                Some(earlier) if *earlier != name => self.warn(
                    key.span(),
                    format!(
                        "{noun} `{}`{place} differs from `{}` only in case; names are \
                         case-sensitive, \
                         so DFINERY takes them as two: keep one spelling if one is meant",
                        shown(name),
                        shown(earlier)
                    ),
                ),
                Some(_) => {}
                None => {
                    first.insert(name.to_ascii_lowercase(), name);
                }
            }
        }
    }

    /// Records an unknown `key` found in `place`, suggesting one of `allowed`.
    pub(super) fn unknown_key(&mut self, key: &Key<'_>, place: &str, allowed: &[&str]) {
        let name = key.get_ref().as_ref();
        let fix = match crate::suggest(name, allowed.iter().copied()) {
            Some(close) => format!("did you mean `{close}`?"),
            None => format!("expected {}", or_list(allowed)),
        };
        self.error(
            key.span(),
            format!("unknown key `{}` in {place}; {fix}", shown(name)),
        );
    }

    /// `value` as a table, or a recorded problem naming `what` it should be.
    pub(super) fn table<'v, 'i>(
        &mut self,
        value: &'v Value<'i>,
        what: &str,
    ) -> Option<&'v DeTable<'i>> {
        match value.get_ref() {
            DeValue::Table(t) => Some(t),
            other => {
                match self.array_of_tables(value) {
                    // `[[events]]`: a TOML array of tables, as other tools' files use.
                    Some(header) => {
                        let fix = if header == "events" {
                            "declare each event as its own table, e.g. `[events.coupon_used]`"
                                .to_owned()
                        } else {
                            format!("write its header with one pair of brackets, `[{header}]`")
                        };
                        self.error(
                            value.span(),
                            format!(
                                "{what} must be a table, found an array of tables \
                                 (`[[{header}]]`); {fix}"
                            ),
                        );
                    }
                    None => self.wrong_kind(value, what, "a table", other),
                }
                None
            }
        }
    }

    /// The header of the array of tables `value` is, as written (`events.coupon_used` for
    /// `[[events.coupon_used]]`); `None` when it is not one written with a `[[…]]` header.
    fn array_of_tables(&self, value: &Value<'_>) -> Option<String> {
        let start = value.span().start;
        // A header starts its line; `x = [[1]]` is an array value.
        let before = self.src.get(..start)?;
        let line_start = before.rfind('\n').map_or(0, |at| at + 1);
        if !before[line_start..].trim().is_empty() {
            return None;
        }
        let text = self.src.get(start..)?.strip_prefix("[[")?;
        let header = &text[..text.find("]]")?];
        (!header.contains('\n') && !header.trim().is_empty())
            .then(|| shown(header.trim()).into_owned())
    }

    /// `value` as a string.
    pub(super) fn string<'v>(&mut self, value: &'v Value<'_>, what: &str) -> Option<&'v str> {
        match value.get_ref() {
            DeValue::String(s) => Some(s),
            other => {
                self.wrong_kind(value, what, "a string", other);
                None
            }
        }
    }

    /// `value` as a boolean.
    pub(super) fn bool(&mut self, value: &Value<'_>, what: &str) -> Option<bool> {
        match value.get_ref() {
            DeValue::Boolean(b) => Some(*b),
            other => {
                self.wrong_kind(value, what, "`true` or `false`", other);
                None
            }
        }
    }

    /// `value` as an integer of at least 1.
    pub(super) fn positive_int(&mut self, value: &Value<'_>, what: &str) -> Option<usize> {
        let expected = "a positive integer";
        match value.get_ref() {
            DeValue::Integer(i) => {
                match i64::from_str_radix(i.as_str(), i.radix())
                    .ok()
                    .map(usize::try_from)
                {
                    Some(Ok(n)) if n > 0 => Some(n),
                    _ => {
                        let found = format!("`{}`", &self.src[value.span()]);
                        self.error(
                            value.span(),
                            format!("{what} must be {expected}, found {found}"),
                        );
                        None
                    }
                }
            }
            other => {
                self.wrong_kind(value, what, expected, other);
                None
            }
        }
    }

    /// `value` as an array of strings with their spans; a non-string element is recorded and
    /// skipped.
    pub(super) fn strings<'v>(
        &mut self,
        value: &'v Value<'_>,
        what: &str,
    ) -> Option<Vec<(&'v str, Range<usize>)>> {
        let DeValue::Array(items) = value.get_ref() else {
            self.wrong_kind(value, what, "an array of strings", value.get_ref());
            return None;
        };
        let mut strings = Vec::with_capacity(items.len());
        for item in items.iter() {
            match item.get_ref() {
                DeValue::String(s) => strings.push((s.as_ref(), item.span())),
                other => self.wrong_kind(item, &format!("each entry of {what}"), "a string", other),
            }
        }
        Some(strings)
    }

    fn wrong_kind(&mut self, value: &Value<'_>, what: &str, expected: &str, found: &DeValue<'_>) {
        self.error(
            value.span(),
            format!("{what} must be {expected}, found {}", kind(found)),
        );
    }
}

/// What a TOML value is, for messages.
pub(super) fn kind(value: &DeValue<'_>) -> &'static str {
    match value {
        DeValue::String(_) => "a string",
        DeValue::Integer(_) => "an integer",
        DeValue::Float(_) => "a float",
        DeValue::Boolean(_) => "a boolean",
        DeValue::Datetime(_) => "a datetime",
        DeValue::Array(_) => "an array",
        DeValue::Table(_) => "a table",
    }
}

/// `` `a`, `b` or `c` ``.
pub(super) fn or_list(names: &[&str]) -> String {
    let quoted: Vec<String> = names.iter().map(|n| format!("`{n}`")).collect();
    match quoted.split_last() {
        None => String::new(),
        Some((last, [])) => last.clone(),
        Some((last, rest)) => format!("{} or {last}", rest.join(", ")),
    }
}
