//! [`UserProperties`]: a validated, pre-serialised `user_properties` object, and its dynamic
//! builder.

use std::fmt;

use serde::{Deserialize, Deserializer, Serialize, Serializer};
use serde_json::value::RawValue;

use super::ValidationError;
use super::encode::finish_user_properties;
use super::fields::{Entry, Fields};
use super::scratch::with_scratch;
use crate::encode::property::Scope;
use crate::encode::value::{Value, ValueError};
use crate::encode::writer::{ObjectPath, ObjectWriter};

/// The `user_properties` object of `POST /api/v1/user-profile` (`docs/protocol.md` §3.5),
/// validated and serialised once.
///
/// Made by [`Profile::to_user_properties`](crate::Profile::to_user_properties) or
/// [`UserProperties::builder`]. It may be empty (`{}`) when every field of a profile is
/// [`Patch::Keep`](crate::Patch::Keep); check [`is_empty`](UserProperties::is_empty) to skip
/// the call, as the docs recommend calling the API only when something changes.
#[derive(Clone)]
pub struct UserProperties(Box<RawValue>);

impl UserProperties {
    /// A builder for user properties known only at run time.
    ///
    /// ```
    /// use dfinery_core::UserProperties;
    ///
    /// let props = UserProperties::builder()
    ///     .property("df_gender", "Female")
    ///     .clear("df_membership")
    ///     .build()
    ///     .unwrap();
    /// assert_eq!(props.get(), r#"{"df_gender":"Female","df_membership":null}"#);
    /// ```
    pub fn builder() -> UserPropertiesBuilder {
        UserPropertiesBuilder::default()
    }

    pub(crate) fn from_raw_unchecked(raw: Box<RawValue>) -> Self {
        UserProperties(raw)
    }

    /// The object as JSON text.
    pub fn get(&self) -> &str {
        self.0.get()
    }

    /// Whether the object has no property (`{}`).
    pub fn is_empty(&self) -> bool {
        self.get()
            .trim_start_matches('{')
            .trim_start()
            .starts_with('}')
    }
}

impl Serialize for UserProperties {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        self.0.serialize(serializer)
    }
}

impl<'de> Deserialize<'de> for UserProperties {
    /// Accepts any JSON object; the values are not checked against a registry.
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let raw = Box::<RawValue>::deserialize(deserializer)?;
        if raw.get().trim_start().starts_with('{') {
            Ok(UserProperties(raw))
        } else {
            Err(serde::de::Error::custom(
                "`user_properties` is not a JSON object; write it as `{\"key\": value, ...}`",
            ))
        }
    }
}

impl PartialEq for UserProperties {
    /// Equal when the JSON texts are equal.
    fn eq(&self, other: &Self) -> bool {
        self.get() == other.get()
    }
}

impl fmt::Debug for UserProperties {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_tuple("UserProperties").field(&self.get()).finish()
    }
}

/// Builds [`UserProperties`] known only at run time; made by [`UserProperties::builder`].
///
/// Only the value rules (finite doubles, array lengths, the 8 KB limit) and the naming rule of
/// property names are checked; checking names and types against the registry is the caller's
/// job. A later value for the same key
/// replaces the earlier one.
#[derive(Debug, Clone, Default, PartialEq)]
#[must_use]
pub struct UserPropertiesBuilder {
    fields: Fields,
}

impl UserPropertiesBuilder {
    /// Sets (or replaces) a user property.
    pub fn property<V>(mut self, key: impl Into<String>, value: V) -> Self
    where
        V: TryInto<Value>,
        V::Error: Into<ValueError>,
    {
        self.fields.set(key.into(), Entry::from_value(value));
        self
    }

    /// Clears a user property (sends `null`).
    pub fn clear(mut self, key: impl Into<String>) -> Self {
        self.fields.set(key.into(), Entry::Null);
        self
    }

    /// Checks every value and builds the object.
    ///
    /// # Errors
    ///
    /// A [`ValidationError`] listing every broken rule.
    pub fn build(self) -> Result<UserProperties, ValidationError> {
        with_scratch(|buf| {
            let mut violations = Vec::new();
            let mut w = ObjectWriter::new(buf, &mut violations, ObjectPath::UserProperties);
            self.fields.write(&mut w, Scope::User);
            let written = w.finish_written();
            finish_user_properties(buf, written, violations, || "`user_properties`".to_owned())
        })
    }
}
