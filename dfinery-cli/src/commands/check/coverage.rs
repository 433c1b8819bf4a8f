//! `dfinery check --coverage MANIFEST.json`: the registry against the code's derived types.
//!
//! The CLI cannot see a crate's Rust types, so a test of that crate writes a manifest of them
//! with `dfinery::coverage::Manifest` (the derives' static descriptions, as JSON):
//!
//! ```json
//! {"format": "dfinery-coverage/2",
//!  "events": [{"rust_name": "Purchase", "name": "df_purchase",
//!              "properties": [{"name": "df_order_id", "rust_field": "order_id",
//!                              "type": "string", "absent": false}],
//!              "item_properties": [{"name": "df_item_id", "rust_field": "id",
//!                                   "type": "string", "absent": false, "max_len": 40}]}],
//!  "profiles": [{"rust_name": "Member", "properties": [{"name": "df_gender",
//!                "rust_field": "gender", "type": "string", "absent": true,
//!                "enum": ["Male", "Female", "NonBinary", "Other"]}]}]}
//! ```
//!
//! A manifest of the earlier format, `dfinery-coverage/1` (each property by its name alone), is
//! still read; the checks that need a property's type and rules are skipped for it.
//!
//! Gaps (exit 1): a type sending an event, property, item property or user property the
//! registry lacks, or never sending a property (or item property) the registry requires, or
//! items the registry requires in every event, which DFINERY would refuse; and, from a
//! format-2 manifest, a property the registry now gives another type, requires where the
//! type's field can be absent, or allows fewer values of (`enum`, `max_len`, `max_items`) than
//! the type was built to send. Warnings (exit 0): a type sending a user property DFINERY's SDKs
//! deprecate (`df_push_optin`), which DFINERY still accepts. Notes (exit 0): registered events
//! and user properties (custom, and the standard ones enabled, consent flags aside) no type
//! sends, which other apps (the web or mobile SDKs) may send.

use dfinery_schema::did_you_mean as hint;
use std::collections::BTreeSet;
use std::path::Path;

use dfinery_schema::{DataType, EventDef, PropertyDef, Registry, catalog};
use serde::Deserialize;
use serde_json::json;

use crate::exit::CliError;

/// The manifest format `dfinery::coverage::Manifest` writes.
pub const FORMAT: &str = "dfinery-coverage/2";

/// The earlier format, each property by its name alone: still read.
pub const FORMAT_1: &str = "dfinery-coverage/1";

/// The largest manifest read: thousands of types with all their properties stay far below.
const MAX_MANIFEST_BYTES: u64 = 64 << 20;

/// The derived types of a crate, as `dfinery::coverage::Manifest` writes them ([`parse`]).
#[derive(Debug, Clone, Default)]
pub struct Manifest {
    /// [`FORMAT`] or [`FORMAT_1`].
    pub format: String,
    /// The event types.
    pub events: Vec<EventType>,
    /// The profile types.
    pub profiles: Vec<ProfileType>,
}

/// One `#[derive(DfineryEvent)]` type.
#[derive(Debug, Clone)]
pub struct EventType {
    /// The Rust type, e.g. `Purchase`.
    pub rust_name: String,
    /// The event it sends, e.g. `df_purchase`.
    pub name: String,
    /// The event properties it can send.
    pub properties: Vec<Sent>,
    /// The item properties its items can send.
    pub item_properties: Vec<Sent>,
}

/// One `#[derive(DfineryProfile)]` type.
#[derive(Debug, Clone)]
pub struct ProfileType {
    /// The Rust type, e.g. `Member`.
    pub rust_name: String,
    /// The user properties it can send.
    pub properties: Vec<Sent>,
}

/// A property a type can send, and what the type was built to send as it.
#[derive(Debug, Clone)]
pub struct Sent {
    /// The registered name, e.g. `df_price`.
    pub name: String,
    /// What the type was built against; `None` in a [`FORMAT_1`] manifest.
    pub built: Option<Built>,
}

/// What a type was built to send as a property: the registry's type and rules at build time,
/// and whether its field can be absent.
#[derive(Debug, Clone)]
pub struct Built {
    /// The Rust field, e.g. `price`.
    pub rust_field: String,
    /// The type.
    pub ty: DataType,
    /// Whether the field can be absent (an `Option` or a `Patch`, or a type parameter of the
    /// struct that may be one).
    pub absent: bool,
    /// The longest string (or array element) the type sends, when limited.
    pub max_len: Option<usize>,
    /// The most array elements the type sends, when limited.
    pub max_items: Option<usize>,
    /// The only values the type sends (a `DfineryEnum` field's values, else the registry's
    /// `enum` rule at build time); empty: any value.
    pub enum_values: Vec<String>,
}

/// A [`DataType`] from its `dfinery.toml` spelling.
fn data_type<'de, D: serde::Deserializer<'de>>(deserializer: D) -> Result<DataType, D::Error> {
    let text = String::deserialize(deserializer)?;
    text.parse().map_err(serde::de::Error::custom)
}

/// A manifest as written: `P` is how it lists a property (its name in [`FORMAT_1`], a
/// [`Property`] in [`FORMAT`]). Only the keys `dfinery::coverage::Manifest` writes are read:
/// another one is a typo or a hand edit, and read as absent it would hide what it lists.
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct Written<P> {
    format: String,
    #[serde(default = "Vec::new")]
    events: Vec<WrittenEvent<P>>,
    #[serde(default = "Vec::new")]
    profiles: Vec<WrittenProfile<P>>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct WrittenEvent<P> {
    rust_name: String,
    name: String,
    #[serde(default = "Vec::new")]
    properties: Vec<P>,
    #[serde(default = "Vec::new")]
    item_properties: Vec<P>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct WrittenProfile<P> {
    rust_name: String,
    #[serde(default = "Vec::new")]
    properties: Vec<P>,
}

/// A property in a [`FORMAT`] manifest.
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct Property {
    name: String,
    rust_field: String,
    #[serde(rename = "type", deserialize_with = "data_type")]
    ty: DataType,
    absent: bool,
    #[serde(default)]
    max_len: Option<usize>,
    #[serde(default)]
    max_items: Option<usize>,
    #[serde(default, rename = "enum")]
    enum_values: Vec<String>,
}

impl From<String> for Sent {
    fn from(name: String) -> Sent {
        Sent { name, built: None }
    }
}

impl From<Property> for Sent {
    fn from(p: Property) -> Sent {
        Sent {
            name: p.name,
            built: Some(Built {
                rust_field: p.rust_field,
                ty: p.ty,
                absent: p.absent,
                max_len: p.max_len,
                max_items: p.max_items,
                enum_values: p.enum_values,
            }),
        }
    }
}

impl<P: Into<Sent>> From<Written<P>> for Manifest {
    fn from(written: Written<P>) -> Manifest {
        let sent = |list: Vec<P>| list.into_iter().map(Into::into).collect();
        Manifest {
            format: written.format,
            events: written
                .events
                .into_iter()
                .map(|e| EventType {
                    rust_name: e.rust_name,
                    name: e.name,
                    properties: sent(e.properties),
                    item_properties: sent(e.item_properties),
                })
                .collect(),
            profiles: written
                .profiles
                .into_iter()
                .map(|p| ProfileType {
                    rust_name: p.rust_name,
                    properties: sent(p.properties),
                })
                .collect(),
        }
    }
}

/// Parses a manifest of [`FORMAT`], or of [`FORMAT_1`] when it says so.
///
/// # Errors
///
/// serde_json's error for text that is not a manifest of its format.
pub fn parse(text: &str) -> Result<Manifest, serde_json::Error> {
    if format_is(text, FORMAT_1) {
        Ok(serde_json::from_str::<Written<String>>(text)?.into())
    } else {
        Ok(serde_json::from_str::<Written<Property>>(text)?.into())
    }
}

/// Reads the manifest at `path`.
///
/// # Errors
///
/// A configuration error when it cannot be read, is not JSON of this shape, or has another
/// format.
pub fn read(path: &Path) -> Result<Manifest, CliError> {
    // A manifest is a file a test wrote, a few kilobytes: a device (`/dev/zero`) or a pipe
    // was read until memory ran out, or forever.
    match std::fs::metadata(path) {
        Ok(meta) if !meta.is_file() => {
            return Err(CliError::config(format!(
                "the coverage manifest `{}` is not a file; give the file a test wrote with `dfinery::coverage::Manifest`",
                path.display()
            )));
        }
        Ok(meta) if meta.len() > MAX_MANIFEST_BYTES => {
            return Err(CliError::config(format!(
                "the coverage manifest `{}` has {} bytes, more than a manifest of derived types holds ({} at most); give the file a test wrote with `dfinery::coverage::Manifest`",
                path.display(),
                meta.len(),
                MAX_MANIFEST_BYTES
            )));
        }
        _ => {}
    }
    let text = std::fs::read_to_string(path).map_err(|err| {
        CliError::config(format!(
            "cannot read the coverage manifest `{}`: {err}; write it from a test with `dfinery::coverage::Manifest`",
            path.display()
        ))
    })?;
    let not_a_manifest = |err: serde_json::Error| {
        CliError::config(format!(
            "`{}` is not a coverage manifest: {err}; write it with `dfinery::coverage::Manifest`",
            path.display()
        ))
    };
    // The format first, read from that key alone: a manifest of another format may hold keys
    // this version does not know, and the strict read below would call it no manifest at all
    // rather than name the format to match.
    let other_format = |format: &str| {
        CliError::config(format!(
            "`{}` has format `{format}`; this `dfinery` reads `{FORMAT}` (and `{FORMAT_1}`): write it again with the same dfinery version",
            path.display(),
        ))
    };
    let Versioned { format } = serde_json::from_str(&text).map_err(not_a_manifest)?;
    if let Some(format) = format.filter(|f| f != FORMAT && f != FORMAT_1) {
        return Err(other_format(&format));
    }
    let manifest = parse(&text).map_err(not_a_manifest)?;
    if manifest.format != FORMAT && manifest.format != FORMAT_1 {
        return Err(other_format(&manifest.format));
    }
    Ok(manifest)
}

/// A manifest's format alone, whatever else it holds.
#[derive(Deserialize)]
struct Versioned {
    format: Option<String>,
}

/// Whether the manifest `text` (JSON) says it is of `format`.
fn format_is(text: &str, format: &str) -> bool {
    serde_json::from_str::<Versioned>(text).is_ok_and(|v| v.format.as_deref() == Some(format))
}

/// What the comparison found.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Report {
    /// Gaps: what a type sends that the registry lacks, or never sends though the registry
    /// requires it, one sentence each.
    pub gaps: Vec<String>,
    /// Warnings: deprecated user properties a type sends, one sentence each.
    pub warnings: Vec<String>,
    /// Registered events no type sends.
    pub unsent_events: Vec<String>,
    /// Registered user properties no profile type sends: custom ones and the standard ones the
    /// registry enables, consent flags aside (each profile type sends them or not by choice).
    pub unsent_user_properties: Vec<String>,
    /// Types in the manifest.
    pub types: usize,
}

impl Report {
    /// Compares `registry` with the types of `manifest`.
    pub fn new(registry: &Registry, manifest: &Manifest) -> Report {
        // A type listed twice (two lists merged) is one type, and its gaps are said once.
        let events: BTreeSet<(&str, &str)> = manifest
            .events
            .iter()
            .map(|t| (t.rust_name.as_str(), t.name.as_str()))
            .collect();
        let profiles: BTreeSet<&str> = manifest
            .profiles
            .iter()
            .map(|t| t.rust_name.as_str())
            .collect();
        let mut report = Report {
            types: events.len() + profiles.len(),
            ..Report::default()
        };
        let mut sent = BTreeSet::new();
        for ty in &manifest.events {
            sent.insert(ty.name.as_str());
            let Some(event) = registry.event(&ty.name) else {
                report.gaps.push(format!(
                    "`{}` sends event `{}`, which the registry lacks{}",
                    ty.rust_name,
                    ty.name,
                    hint(registry.suggest_event(&ty.name))
                ));
                continue;
            };
            // The event's properties, then its items': each the registry lacks is a gap, and
            // each it has is compared with what the type was built to send as it.
            type Find = for<'e> fn(&'e EventDef, &str) -> Option<&'e PropertyDef>;
            type Suggest = for<'e> fn(&'e EventDef, &str) -> Option<&'e str>;
            let scopes: [(&[Sent], &str, Find, Suggest); 2] = [
                (
                    &ty.properties,
                    "property",
                    EventDef::property,
                    EventDef::suggest_property,
                ),
                (
                    &ty.item_properties,
                    "item property",
                    EventDef::item_property,
                    EventDef::suggest_item_property,
                ),
            ];
            for (list, noun, find, suggest) in scopes {
                for sent in list {
                    let name = &sent.name;
                    let what = format!("{noun} `{name}` of event `{}`", ty.name);
                    match find(event, name) {
                        Some(def) => drift(&ty.rust_name, &what, sent, def, &mut report.gaps),
                        None => report.gaps.push(format!(
                            "`{}` sends {what}, which the registry lacks{}",
                            ty.rust_name,
                            hint(suggest(event, name))
                        )),
                    }
                }
            }
            // What the registry now requires and the type never sends: DFINERY refuses every
            // such event (the registry changed after the build, the case this check is for).
            for def in event.required_properties() {
                if !sends(&ty.properties, &def.name) {
                    report.gaps.push(format!(
                        "`{}` never sends property `{}` of event `{}`, which the registry requires",
                        ty.rust_name, def.name, ty.name
                    ));
                }
            }
            if ty.item_properties.is_empty() {
                // A type without items (the manifest lists no item property of it), for an
                // event the registry now says carries at least one in every event: the
                // derive refuses that at build time, so the registry changed since.
                if event.items_required {
                    report.gaps.push(format!(
                        "`{}` sends event `{}` without items, but the registry requires at least one item in every such event (`items_required`)",
                        ty.rust_name, ty.name
                    ));
                }
            } else {
                for def in event.required_items() {
                    if !sends(&ty.item_properties, &def.name) {
                        report.gaps.push(format!(
                            "`{}` never sends item property `{}` of event `{}`, which the registry requires of every item",
                            ty.rust_name, def.name, ty.name
                        ));
                    }
                }
            }
        }
        let mut profile_properties = BTreeSet::new();
        for ty in &manifest.profiles {
            for sent in &ty.properties {
                let name = &sent.name;
                profile_properties.insert(name.as_str());
                if let Some(deprecation) = catalog::deprecated_user_property(name) {
                    report.warnings.push(format!(
                        "`{}` sends user property `{name}`, deprecated in DFINERY's SDKs (still \
                         accepted); {}",
                        ty.rust_name, deprecation.instead
                    ));
                }
                match registry.user_property(name) {
                    Some(def) => drift(
                        &ty.rust_name,
                        &format!("user property `{name}`"),
                        sent,
                        def,
                        &mut report.gaps,
                    ),
                    None => report.gaps.push(format!(
                        "`{}` sends user property `{name}`, which the registry lacks{}",
                        ty.rust_name,
                        hint(registry.suggest_user_property(name))
                    )),
                }
            }
        }
        let mut said = BTreeSet::new();
        report.gaps.retain(|gap| said.insert(gap.clone()));
        report.unsent_events = registry
            .events
            .keys()
            .filter(|name| !sent.contains(name.as_str()))
            .cloned()
            .collect();
        report.unsent_user_properties = registry
            .user_properties
            .keys()
            .filter(|name| {
                !catalog::is_consent_flag(name) && !profile_properties.contains(name.as_str())
            })
            .cloned()
            .collect();
        report
    }

    /// Whether a type sends something the registry lacks.
    pub fn has_gaps(&self) -> bool {
        !self.gaps.is_empty()
    }

    /// The report as lines for people.
    pub fn lines(&self) -> Vec<String> {
        let mut lines = vec![format!("coverage of {} derived types:", self.types)];
        if self.gaps.is_empty() {
            lines.push("  every event and property they send is registered".to_owned());
        }
        for gap in &self.gaps {
            lines.push(format!("  error: {gap}"));
        }
        if !self.gaps.is_empty() {
            // A gap means the registry changed after the code was built: the fix is in one of
            // the two, and a build shows each gap on its field.
            lines.push(
                "  help: DFINERY refuses what its console lacks: register each of these in the console and in the registry file, or rebuild the crate (`cargo build` checks the derives against the registry again and points at each field to change)".to_owned(),
            );
        }
        for warning in &self.warnings {
            lines.push(format!("  warning: {warning}"));
        }
        if !self.unsent_events.is_empty() {
            lines.push(format!(
                "  note: registered events no Rust type sends: {}",
                quoted(&self.unsent_events)
            ));
        }
        if !self.unsent_user_properties.is_empty() {
            lines.push(format!(
                "  note: registered user properties no Rust type sends: {}",
                quoted(&self.unsent_user_properties)
            ));
        }
        lines
    }

    /// The report as JSON.
    pub fn to_json(&self) -> serde_json::Value {
        json!({
            "types": self.types,
            "gaps": self.gaps,
            "warnings": self.warnings,
            "unsent_events": self.unsent_events,
            "unsent_user_properties": self.unsent_user_properties,
        })
    }
}

/// Whether `sent` lists the property `name`.
fn sends(sent: &[Sent], name: &str) -> bool {
    sent.iter().any(|s| s.name == name)
}

/// The gaps between what `rust_name` was built to send as `what` (e.g. ``property `code` of
/// event `coupon_used` ``) and the registry's `def` of it now: another type, required where
/// the field can be absent, fewer values allowed (`enum`, `max_len`, `max_items`). Nothing for
/// a property of a [`FORMAT_1`] manifest, which says only its name.
fn drift(rust_name: &str, what: &str, sent: &Sent, def: &PropertyDef, gaps: &mut Vec<String>) {
    let Some(built) = &sent.built else {
        return;
    };
    let field = &built.rust_field;
    if built.ty != def.ty {
        // Every other rule is of the type: the type's gap is the one to fix first.
        gaps.push(format!(
            "`{rust_name}` sends {what} as {} (field `{field}`), but the registry now registers it as {}",
            built.ty.display_name(),
            def.ty.display_name()
        ));
        return;
    }
    if def.required && built.absent {
        gaps.push(format!(
            "`{rust_name}` can leave out {what}, which the registry now requires: field `{field}` can be absent (an `Option` or a `Patch`, or a type parameter that may be one)"
        ));
    }
    if let Some(allowed) = &def.enum_values {
        let outside: Vec<&String> = built
            .enum_values
            .iter()
            .filter(|v| !allowed.contains(v))
            .collect();
        if built.enum_values.is_empty() {
            gaps.push(format!(
                "`{rust_name}` can send any value as {what} (field `{field}`), but the registry now allows only {}",
                quoted(allowed)
            ));
        } else if !outside.is_empty() {
            let values: Vec<String> = outside.into_iter().cloned().collect();
            gaps.push(format!(
                "`{rust_name}` can send {} as {what} (field `{field}`), which the registry no longer allows; it allows {}",
                quoted(&values),
                quoted(allowed)
            ));
        }
    }
    let longer = |built: Option<usize>, now: usize| built.is_none_or(|b| b > now);
    if let Some(now) = def.max_len
        && longer(built.max_len, now)
    {
        gaps.push(format!(
            "`{rust_name}` can send {what} (field `{field}`) {}, but the registry now allows at most {now} characters",
            built
                .max_len
                .map_or_else(|| "of any length".to_owned(), |b| format!("up to {b} characters long"))
        ));
    }
    if let Some(now) = def.max_items
        && longer(built.max_items, now)
    {
        gaps.push(format!(
            "`{rust_name}` can send {what} (field `{field}`) with {} elements, but the registry now allows at most {now}",
            built
                .max_items
                .map_or_else(|| "any number of".to_owned(), |b| format!("up to {b}"))
        ));
    }
}

fn quoted(names: &[String]) -> String {
    names
        .iter()
        .map(|n| format!("`{n}`"))
        .collect::<Vec<_>>()
        .join(", ")
}

#[cfg(test)]
mod tests {
    use super::*;

    fn manifest(text: &str) -> Manifest {
        parse(text).unwrap()
    }

    #[test]
    fn gaps_and_unsent_names_are_both_listed() {
        let registry = Registry::parse(
            "standard_events = [\"df_login\", \"df_purchase\"]\nstandard_user_properties = [\"df_name\"]\n[user_properties]\ntier = \"string\"\n",
        )
        .unwrap();
        let m = manifest(
            r#"{"format":"dfinery-coverage/1","events":[
                {"rust_name":"Purchase","name":"df_purchase","properties":["df_order_id","df_discont","df_payment_method","df_total_purchase_amount","df_delivery_charge","df_discount"],"item_properties":["df_item_id","gift","df_item_name","df_price","df_quantity","df_discount"]},
                {"rust_name":"Coupon","name":"coupon_usd","properties":[]}],
              "profiles":[{"rust_name":"Member","properties":["df_name","lifetime_points","df_push_optin"]}]}"#,
        );
        let report = Report::new(&registry, &m);
        assert_eq!(
            report.gaps,
            [
                "`Purchase` sends property `df_discont` of event `df_purchase`, which the registry lacks; did you mean `df_discount`?",
                "`Purchase` sends item property `gift` of event `df_purchase`, which the registry lacks",
                "`Coupon` sends event `coupon_usd`, which the registry lacks",
                "`Member` sends user property `lifetime_points`, which the registry lacks",
            ]
        );
        assert_eq!(
            report.warnings,
            [
                "`Member` sends user property `df_push_optin`, deprecated in DFINERY's SDKs (still accepted); use the other consent flags instead: `df_push_ads_optin`, `df_push_night_ads_optin`, `df_sms_ads_optin` or `df_kakao_ads_optin`"
            ]
        );
        assert_eq!(report.unsent_events, ["df_login"]);
        assert_eq!(report.unsent_user_properties, ["tier"]);
        assert!(report.has_gaps());
        assert_eq!(report.types, 3);
    }

    #[test]
    fn what_the_registry_requires_and_a_type_never_sends_is_a_gap_and_types_count_once() {
        // The check only looked for names the registry lacks: a property made required after
        // the build passed, though DFINERY refuses every such event.
        let registry = Registry::parse(
            "[events.coupon_used]\nproperties.code = { type = \"string\", required = true }\nproperties.amount = \"double\"\nitems.sku = { type = \"string\", required = true }\nitems.note = \"string\"\n",
        )
        .unwrap();
        let coupon = r#"{"rust_name":"Coupon","name":"coupon_used","properties":["amount"],"item_properties":["note"]}"#;
        let m = manifest(&format!(
            r#"{{"format":"dfinery-coverage/1","events":[{coupon},{coupon}]}}"#
        ));
        let report = Report::new(&registry, &m);
        assert_eq!(
            report.gaps,
            [
                "`Coupon` never sends property `code` of event `coupon_used`, which the registry requires",
                "`Coupon` never sends item property `sku` of event `coupon_used`, which the registry requires of every item",
            ]
        );
        assert_eq!(report.types, 1);
    }

    #[test]
    fn an_event_the_registry_now_requires_items_of_is_a_gap_for_a_type_without_items() {
        // `items_required` set after the build: the type has no items field (the manifest
        // lists no item property), so every event it sends is refused; the check said
        // "every event and property they send is registered".
        let registry = Registry::parse(
            "[events.coupon_used]\nitems_required = true\nproperties.code = \"string\"\nitems.sku = \"string\"\n",
        )
        .unwrap();
        let m = manifest(
            r#"{"format":"dfinery-coverage/1","events":[{"rust_name":"Coupon","name":"coupon_used","properties":["code"],"item_properties":[]}]}"#,
        );
        let report = Report::new(&registry, &m);
        assert_eq!(
            report.gaps,
            [
                "`Coupon` sends event `coupon_used` without items, but the registry requires at least one item in every such event (`items_required`)"
            ]
        );
        assert!(report.has_gaps());
        // With items it is no gap.
        let m = manifest(
            r#"{"format":"dfinery-coverage/1","events":[{"rust_name":"Coupon","name":"coupon_used","properties":["code"],"item_properties":["sku"]}]}"#,
        );
        assert!(Report::new(&registry, &m).gaps.is_empty());
    }

    #[test]
    fn a_property_the_registry_changed_since_the_build_is_a_gap() {
        // A format-1 manifest carried names only: a property made required while the type's
        // field is an `Option`, a type changed, values narrowed all passed as covered.
        let registry = Registry::parse(
            "standard_user_properties = [\"df_gender\"]\n[events.coupon_used]\nproperties.code = { type = \"string\", required = true, max_len = 8 }\nproperties.amount = \"long\"\nproperties.channel = { type = \"string\", enum = [\"web\", \"app\"] }\nitems.tags = { type = \"array<string>\", max_items = 2 }\n[user_properties]\ntier = { type = \"string\", enum = [\"gold\"] }\n",
        )
        .unwrap();
        let m = manifest(
            r#"{"format":"dfinery-coverage/2","events":[{"rust_name":"Coupon","name":"coupon_used","properties":[
                {"name":"code","rust_field":"code","type":"string","absent":true,"max_len":12},
                {"name":"amount","rust_field":"amount","type":"double","absent":true},
                {"name":"channel","rust_field":"via","type":"string","absent":false}],
              "item_properties":[{"name":"tags","rust_field":"tags","type":"array<string>","absent":false,"max_items":3}]}],
              "profiles":[{"rust_name":"Member","properties":[
                {"name":"tier","rust_field":"tier","type":"string","absent":true,"enum":["gold","silver"]},
                {"name":"df_gender","rust_field":"gender","type":"string","absent":true,"enum":["Male","Female","NonBinary","Other"]}]}]}"#,
        );
        let report = Report::new(&registry, &m);
        assert_eq!(
            report.gaps,
            [
                "`Coupon` can leave out property `code` of event `coupon_used`, which the registry now requires: field `code` can be absent (an `Option` or a `Patch`, or a type parameter that may be one)",
                "`Coupon` can send property `code` of event `coupon_used` (field `code`) up to 12 characters long, but the registry now allows at most 8 characters",
                "`Coupon` sends property `amount` of event `coupon_used` as Double (field `amount`), but the registry now registers it as Long",
                "`Coupon` can send any value as property `channel` of event `coupon_used` (field `via`), but the registry now allows only `web`, `app`",
                "`Coupon` can send item property `tags` of event `coupon_used` (field `tags`) with up to 3 elements, but the registry now allows at most 2",
                "`Member` can send `silver` as user property `tier` (field `tier`), which the registry no longer allows; it allows `gold`",
            ]
        );
        // The same properties built as the registry has them now: no gap.
        let m = manifest(
            r#"{"format":"dfinery-coverage/2","events":[{"rust_name":"Coupon","name":"coupon_used","properties":[
                {"name":"code","rust_field":"code","type":"string","absent":false,"max_len":8},
                {"name":"amount","rust_field":"amount","type":"long","absent":true},
                {"name":"channel","rust_field":"via","type":"string","absent":false,"enum":["app"]}],
              "item_properties":[{"name":"tags","rust_field":"tags","type":"array<string>","absent":false,"max_items":2}]}],
              "profiles":[{"rust_name":"Member","properties":[{"name":"tier","rust_field":"tier","type":"string","absent":true,"enum":["gold"]}]}]}"#,
        );
        assert_eq!(Report::new(&registry, &m).gaps, Vec::<String>::new());
        // A format-1 manifest of the first: only what names tell.
        let m = manifest(
            r#"{"format":"dfinery-coverage/1","events":[{"rust_name":"Coupon","name":"coupon_used","properties":["code","amount","channel"],"item_properties":["tags"]}]}"#,
        );
        assert_eq!(Report::new(&registry, &m).gaps, Vec::<String>::new());
    }

    /// A manifest of a later format, with a key this version does not know, was called "not
    /// a coverage manifest: unknown field ..." (the keys were read before the format), which
    /// hides that only the versions differ.
    #[test]
    fn a_manifest_of_a_later_format_is_refused_for_its_format_not_its_keys() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("m.json");
        std::fs::write(
            &path,
            r#"{"events":[{"rust_name":"Coupon","name":"coupon_used","optional_properties":["amount"]}],"format":"dfinery-coverage/3","enums":[]}"#,
        )
        .unwrap();
        let err = read(&path).unwrap_err();
        assert!(
            err.message.contains(
                "has format `dfinery-coverage/3`; this `dfinery` reads `dfinery-coverage/2` (and `dfinery-coverage/1`)"
            ),
            "{err}"
        );
        // An unknown key in a manifest of this format is still refused.
        std::fs::write(
            &path,
            r#"{"format":"dfinery-coverage/1","event":[{"rust_name":"Coupon","name":"coupon_used"}]}"#,
        )
        .unwrap();
        let err = read(&path).unwrap_err();
        assert!(
            err.message
                .contains("is not a coverage manifest: unknown field `event`"),
            "{err}"
        );
    }

    #[test]
    fn a_manifest_of_another_format_is_refused_with_the_fix() {
        let dir = std::env::temp_dir().join(format!("dfinery-cov-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let path = dir.join("m.json");
        std::fs::write(&path, r#"{"format":"dfinery-coverage/9"}"#).unwrap();
        let err = read(&path).unwrap_err();
        assert!(
            err.message
                .contains("reads `dfinery-coverage/2` (and `dfinery-coverage/1`)"),
            "{err}"
        );
        std::fs::write(&path, "[]").unwrap();
        assert!(
            read(&path)
                .unwrap_err()
                .message
                .contains("is not a coverage manifest")
        );
        // A device is refused, not read until memory runs out.
        if cfg!(unix) {
            let err = read(Path::new("/dev/zero")).unwrap_err();
            assert!(err.message.contains("is not a file"), "{err}");
        }
        let _ = std::fs::remove_dir_all(&dir);
    }

    /// A `DfineryEnum` field lists its own values in the manifest (`dfinery::coverage`), also
    /// for a property without an `enum` rule at build time: a rule added since that allows
    /// every one of them is no gap, one that drops a value names it. (Before the manifest
    /// carried them, such a field was "can send any value" under any rule.)
    #[test]
    fn an_enum_field_is_compared_by_its_values_with_a_rule_added_since() {
        let m = manifest(
            r#"{"format":"dfinery-coverage/2","events":[{"rust_name":"Review","name":"app_review","properties":[
                {"name":"mood","rust_field":"mood","type":"string","absent":true,"enum":["glad","sad"]}]}]}"#,
        );
        let with = |allowed: &str| {
            let registry = Registry::parse(&format!(
                "[events.app_review]\nproperties.mood = {{ type = \"string\", enum = [{allowed}] }}\n"
            ))
            .unwrap();
            Report::new(&registry, &m).gaps
        };
        assert_eq!(with(r#""glad", "sad", "meh""#), Vec::<String>::new());
        assert_eq!(
            with(r#""glad""#),
            [
                "`Review` can send `sad` as property `mood` of event `app_review` (field `mood`), which the registry no longer allows; it allows `glad`"
            ]
        );
    }
}
