//! The traits the derives implement ([`Event`], [`Item`], [`Profile`], plus [`ItemList`] for the
//! field that holds an event's items) and their static descriptions.

mod description;
mod item_list;

pub use description::{
    EventDescription, FieldDescription, ItemsDescription, PropertiesDescription,
};
pub use item_list::ItemList;

use uuid::Uuid;

use crate::encode::record::{EventRecord, UserProperties, ValidationError};
use crate::encode::value::Datetime;
use crate::encode::writer::{ItemsWriter, ObjectWriter};

/// A typed DFINERY event: usually `#[derive(DfineryEvent)]` on a struct whose fields are the
/// event's properties, checked against the registry at compile time.
///
/// The trait is dyn-compatible (`&dyn Event`, `Box<dyn Event>`); [`Event::description`] is
/// only available on concrete types.
///
/// A hand-written implementation writes each property with its [`PropertySpec`]:
///
/// ```
/// use dfinery_core::{DataType, Event, EventDescription, FieldDescription, ObjectWriter,
///     PropertySpec, Scope};
///
/// struct SignUp { channel: String }
///
/// static CHANNEL: PropertySpec = PropertySpec {
///     required: true,
///     ..PropertySpec::new("df_sign_channel", DataType::String, Scope::Event)
/// };
/// static SIGN_UP: EventDescription = EventDescription {
///     name: "df_sign_up",
///     rust_name: "SignUp",
///     properties: &[FieldDescription { rust_field: "channel", spec: CHANNEL, absent: false, values: &[] }],
///     items: None,
/// };
///
/// impl Event for SignUp {
///     fn description() -> &'static EventDescription { &SIGN_UP }
///     fn event_name(&self) -> &'static str { "df_sign_up" }
///     fn write_properties(&self, w: &mut ObjectWriter<'_>) { w.property(&CHANNEL, &self.channel) }
/// }
///
/// let record = SignUp { channel: "Kakao".into() }.to_record().unwrap();
/// assert_eq!(record.event_properties().unwrap().get(), r#"{"df_sign_channel":"Kakao"}"#);
/// ```
///
/// [`PropertySpec`]: crate::PropertySpec
pub trait Event {
    /// The event's static description: its name and every property it can send.
    fn description() -> &'static EventDescription
    where
        Self: Sized;

    /// The registered event name, e.g. `df_purchase`.
    fn event_name(&self) -> &'static str;

    /// Writes `event_properties` (each property through [`ObjectWriter::property`]).
    fn write_properties(&self, w: &mut ObjectWriter<'_>);

    /// Writes `event_items` (each item through [`ItemsWriter::item`]); events without items
    /// write nothing.
    fn write_items(&self, w: &mut ItemsWriter<'_>) {
        let _ = w;
    }

    /// When the event happened; `None` means the time [`to_record`](Event::to_record) is
    /// called, i.e. the time of tracking.
    fn event_datetime(&self) -> Option<Datetime> {
        None
    }

    /// The event's `event_log_id`; `None` means a fresh UUIDv4, made once per record and kept
    /// on every retry.
    fn event_log_id(&self) -> Option<Uuid> {
        None
    }

    /// Checks every property and item and serialises the event into a record ready to send.
    ///
    /// # Errors
    ///
    /// A [`ValidationError`] listing every broken rule; nothing invalid is ever serialised.
    fn to_record(&self) -> Result<EventRecord, ValidationError> {
        crate::encode::record::encode_event(self)
    }
}

/// One item (product) of an event's `event_items`: usually `#[derive(DfineryItem)]`.
#[diagnostic::on_unimplemented(
    message = "`{Self}` is not a DFINERY item",
    label = "not a `DfineryItem`",
    note = "derive `DfineryItem` on it, with `#[dfinery(event = \"...\")]` naming the events it belongs to"
)]
pub trait Item {
    /// The events whose item properties the type was checked against at compile time
    /// (`#[derive(DfineryItem)]` with `#[dfinery(event = "…")]`): a derived event holding
    /// items of the type asserts at compile time that its name is one of them. Empty by
    /// default, so a hand-written item goes into hand-written events; one that lists an event
    /// here goes into that event's derived struct too (it is then the impl's to fill only
    /// properties the event registers).
    const EVENTS: &'static [&'static str] = &[];

    /// The item's static description: every item property it can send.
    fn description() -> &'static PropertiesDescription
    where
        Self: Sized;

    /// Writes the item's properties (each through [`ObjectWriter::property`]).
    fn write_item(&self, w: &mut ObjectWriter<'_>);
}

impl<I: Item> Item for &I {
    const EVENTS: &'static [&'static str] = I::EVENTS;

    fn description() -> &'static PropertiesDescription {
        I::description()
    }

    fn write_item(&self, w: &mut ObjectWriter<'_>) {
        (**self).write_item(w);
    }
}

impl<I: Item> Item for Box<I> {
    const EVENTS: &'static [&'static str] = I::EVENTS;

    fn description() -> &'static PropertiesDescription {
        I::description()
    }

    fn write_item(&self, w: &mut ObjectWriter<'_>) {
        (**self).write_item(w);
    }
}

/// A set of user properties to create or update: usually `#[derive(DfineryProfile)]`, with
/// [`Patch`](crate::Patch) fields for properties that may be left alone or cleared.
pub trait Profile {
    /// The profile's static description: every user property it can send.
    fn description() -> &'static PropertiesDescription
    where
        Self: Sized;

    /// Writes `user_properties` (each property through [`ObjectWriter::property`]).
    fn write_user_properties(&self, w: &mut ObjectWriter<'_>);

    /// Checks every property and serialises the `user_properties` object.
    ///
    /// # Errors
    ///
    /// A [`ValidationError`] listing every broken rule.
    fn to_user_properties(&self) -> Result<UserProperties, ValidationError> {
        crate::encode::record::encode_profile(self, short_type_name(std::any::type_name::<Self>()))
    }
}

/// `my_app::model::Member` → `Member` (generic arguments kept).
fn short_type_name(full: &str) -> &str {
    let head = full.split('<').next().unwrap_or(full);
    match head.rfind("::") {
        Some(at) => &full[at + 2..],
        None => full,
    }
}

#[cfg(test)]
mod tests {
    #[test]
    fn short_type_names() {
        assert_eq!(super::short_type_name("a::b::Member"), "Member");
        assert_eq!(super::short_type_name("a::Wrap<b::C>"), "Wrap<b::C>");
        assert_eq!(super::short_type_name("Plain"), "Plain");
    }
}
