//! [`Fields`]: the properties a dynamic builder has collected, written with the same checks as
//! typed properties.

use dfinery_schema::DataType;

use crate::encode::property::{Patch, PropertySpec, Rule, Scope};
use crate::encode::value::{Value, ValueError};
use crate::encode::writer::ObjectWriter;

/// One collected property value.
#[derive(Debug, Clone, PartialEq)]
pub(crate) enum Entry {
    /// A value to send.
    Value(Value),
    /// `null` (clears a user property).
    Null,
    /// A conversion that failed; reported when the object is built.
    Invalid(ValueError),
}

impl Entry {
    /// The entry for a value given to a builder: converted, or the conversion's error.
    pub(crate) fn from_value<V>(value: V) -> Entry
    where
        V: TryInto<Value>,
        V::Error: Into<ValueError>,
    {
        match value.try_into() {
            Ok(value) => Entry::Value(value),
            Err(error) => Entry::Invalid(error.into()),
        }
    }
}

/// Properties in the order they were first given; a later value for the same key replaces the
/// earlier one, so the JSON never holds a key twice.
#[derive(Debug, Clone, Default, PartialEq)]
pub(crate) struct Fields(Vec<(String, Entry)>);

impl Fields {
    /// Sets `key` to `entry`, replacing an earlier value.
    pub(crate) fn set(&mut self, key: String, entry: Entry) {
        match self.0.iter_mut().find(|(k, _)| *k == key) {
            Some((_, slot)) => *slot = entry,
            None => self.0.push((key, entry)),
        }
    }

    /// Writes every field. With no registry at hand each value's own type is its registered
    /// type, so only the value rules (finite doubles, array lengths, 8 KB) are checked.
    pub(crate) fn write(&self, w: &mut ObjectWriter<'_>, scope: Scope) {
        for (key, entry) in &self.0 {
            if let Err(error) = dfinery_schema::names::check_name(key) {
                w.violation(key.clone(), Rule::BadName(error));
                continue;
            }
            if scope == Scope::Event && key == "df_items" {
                w.violation(key.clone(), Rule::ItemsInProperties);
                continue;
            }
            match entry {
                Entry::Value(value) => {
                    let spec = PropertySpec::new("", value.data_type(), scope);
                    w.property_named(key, &spec, value);
                }
                Entry::Null => {
                    let spec = PropertySpec::new("", DataType::String, scope);
                    w.property_named(key, &spec, &Patch::<Value>::Clear);
                }
                Entry::Invalid(error) => w.violation(key.clone(), Rule::Invalid(error.clone())),
            }
        }
    }
}
