//! [`ObjectWriter`]: writes one JSON object of checked properties into a byte buffer.

use std::borrow::Cow;

use super::{ObjectPath, Violation, Written};
use crate::encode::json;
use crate::encode::property::{PropertySpec, PropertyValue, Rule};
use crate::limits::MAX_VALUE_BYTES;

/// Writes one JSON object (`event_properties`, one item of `event_items`, or
/// `user_properties`) straight into a byte buffer.
///
/// Each [`property`](ObjectWriter::property) call checks the value against its
/// [`PropertySpec`] and either appends `"name":<value>` or, when a rule is broken, appends
/// nothing and records a [`Violation`]. All violations are collected, so a caller sees every
/// problem at once. Absent values (`None`, [`Patch::Keep`](crate::Patch::Keep)) are skipped,
/// or recorded as [`Rule::Missing`] when the spec is required.
///
/// A hand-written [`Event`](crate::Event), [`Item`](crate::Item) or
/// [`Profile`](crate::Profile) impl receives one to write its properties into; the records
/// (`to_record`, `to_user_properties`, the dynamic builders) make it and finish it.
#[derive(Debug)]
pub struct ObjectWriter<'a> {
    out: &'a mut Vec<u8>,
    violations: &'a mut Vec<Violation>,
    path: ObjectPath,
    fields: usize,
    valid_json: bool,
}

impl<'a> ObjectWriter<'a> {
    /// Starts an object (writes `{`) at the end of `out`; violations are pushed to `violations`
    /// with paths under `path`.
    pub(crate) fn new(
        out: &'a mut Vec<u8>,
        violations: &'a mut Vec<Violation>,
        path: ObjectPath,
    ) -> Self {
        out.push(b'{');
        ObjectWriter {
            out,
            violations,
            path,
            fields: 0,
            valid_json: true,
        }
    }

    /// Writes the property `spec.name` with `value`, or records a [`Violation`] when the value
    /// breaks a rule (including the 8 KB size limit), or when it is absent and `spec` is
    /// required. Absent optional values are skipped.
    pub fn property<V: PropertyValue + ?Sized>(&mut self, spec: &PropertySpec, value: &V) {
        self.write(spec.name, Some(spec.name), spec, value);
    }

    /// Like [`property`](ObjectWriter::property), under a name known only at run time (the
    /// dynamic builders); `spec.name` is ignored.
    pub(crate) fn property_named<V: PropertyValue + ?Sized>(
        &mut self,
        name: &str,
        spec: &PropertySpec,
        value: &V,
    ) {
        self.write(name, None, spec, value);
    }

    /// Records a violation of `rule` by the property `property` of this object.
    pub(crate) fn violation(&mut self, property: impl Into<Cow<'static, str>>, rule: Rule) {
        let property = property.into();
        self.violations.push(Violation {
            path: format!("{}.{}", self.path, property),
            property,
            rule,
        });
    }

    /// How many properties have been written so far.
    #[cfg(test)]
    pub(crate) fn len(&self) -> usize {
        self.fields
    }

    /// Ends the object (writes `}`) and returns how many properties it holds.
    #[cfg(test)]
    pub(crate) fn finish(self) -> usize {
        self.finish_written().count
    }

    /// Ends the object (writes `}`) and says what was written.
    pub(crate) fn finish_written(self) -> Written {
        self.out.push(b'}');
        Written {
            count: self.fields,
            valid_json: self.valid_json,
        }
    }

    /// Writes `"name":<value>`; `static_name` is `name` when it is `'static`, so a violation
    /// needs no allocation for the name.
    fn write<V: PropertyValue + ?Sized>(
        &mut self,
        name: &str,
        static_name: Option<&'static str>,
        spec: &PropertySpec,
        value: &V,
    ) {
        let property = || -> Cow<'static, str> {
            static_name.map_or_else(|| Cow::Owned(name.to_owned()), Cow::Borrowed)
        };
        if value.is_absent() {
            if spec.required {
                self.violation(property(), Rule::Missing);
            }
            return;
        }
        let mark = self.out.len();
        if self.fields > 0 {
            self.out.push(b',');
        }
        json::push_str(self.out, name);
        self.out.push(b':');
        let start = self.out.len();
        let result = value.write_wire(spec, self.out).and_then(|()| {
            let bytes = self.out.len() - start;
            if bytes > MAX_VALUE_BYTES {
                Err(Rule::TooLarge {
                    bytes,
                    max: MAX_VALUE_BYTES,
                })
            } else {
                Ok(())
            }
        });
        match result {
            Ok(()) => {
                self.fields += 1;
                self.valid_json &= value.writes_valid_json(crate::__private::TrustedJson);
            }
            Err(rule) => {
                self.out.truncate(mark);
                self.violation(property(), rule);
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::encode::writer::ObjectPath;
    use crate::{DataType, Scope};

    // The example this type's documentation showed when its constructor was public.
    #[test]
    fn a_broken_rule_writes_nothing_and_is_recorded_with_its_path() {
        static PRICE: PropertySpec = PropertySpec::new("df_price", DataType::Double, Scope::Item);
        static NAME: PropertySpec =
            PropertySpec::new("df_item_name", DataType::String, Scope::Item);

        let (mut out, mut violations) = (Vec::new(), Vec::new());
        let mut w = ObjectWriter::new(&mut out, &mut violations, ObjectPath::Item(0));
        w.property(&NAME, "Cracker");
        w.property(&PRICE, &f64::NAN);
        assert_eq!(w.finish(), 1);
        assert_eq!(out, br#"{"df_item_name":"Cracker"}"#);
        assert_eq!(
            violations[0].to_string(),
            "`event_items[0].df_price`: must be a finite number (found NaN)"
        );
    }
}
