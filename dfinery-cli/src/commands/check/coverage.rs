//! `dfinery check --coverage MANIFEST.json`: the registry against the code's derived types.
//!
//! The CLI cannot see a crate's Rust types, so a test of that crate writes a manifest of them
//! with `dfinery::coverage::Manifest` (the derives' static descriptions, as JSON):
//!
//! ```json
//! {"format": "dfinery-coverage/1",
//!  "events": [{"rust_name": "Purchase", "name": "df_purchase",
//!              "properties": ["df_order_id"], "item_properties": ["df_item_id"]}],
//!  "profiles": [{"rust_name": "Member", "properties": ["df_name"]}]}
//! ```
//!
//! Gaps (exit 1): a type sending an event, property, item property or user property the
//! registry lacks, or never sending a property (or item property) the registry requires, or
//! items the registry requires in every event, which DFINERY would refuse. Warnings (exit 0): a
//! type sending a user property DFINERY's SDKs deprecate (`df_push_optin`), which DFINERY still
//! accepts. Notes (exit 0): registered events and user properties (custom, and the standard
//! ones enabled, consent flags aside) no type sends, which other apps (the web or mobile SDKs)
//! may send.

use dfinery_schema::did_you_mean as hint;
use std::collections::BTreeSet;
use std::path::Path;

use dfinery_schema::{Registry, catalog};
use serde::Deserialize;
use serde_json::json;

use crate::exit::CliError;

/// The manifest format this version reads.
pub const FORMAT: &str = "dfinery-coverage/1";

/// The largest manifest read: thousands of types with all their properties stay far below.
const MAX_MANIFEST_BYTES: u64 = 64 << 20;

/// The derived types of a crate, as `dfinery::coverage::Manifest` writes them.
#[derive(Debug, Clone, Default, Deserialize)]
// `dfinery::coverage::Manifest` writes these keys only: another one is a typo or a hand edit,
// and read as absent it would hide the types it lists.
#[serde(deny_unknown_fields)]
pub struct Manifest {
    /// Always [`FORMAT`].
    pub format: String,
    /// The event types.
    #[serde(default)]
    pub events: Vec<EventType>,
    /// The profile types.
    #[serde(default)]
    pub profiles: Vec<ProfileType>,
}

/// One `#[derive(DfineryEvent)]` type.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct EventType {
    /// The Rust type, e.g. `Purchase`.
    pub rust_name: String,
    /// The event it sends, e.g. `df_purchase`.
    pub name: String,
    /// The event properties it can send.
    #[serde(default)]
    pub properties: Vec<String>,
    /// The item properties its items can send.
    #[serde(default)]
    pub item_properties: Vec<String>,
}

/// One `#[derive(DfineryProfile)]` type.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ProfileType {
    /// The Rust type, e.g. `Member`.
    pub rust_name: String,
    /// The user properties it can send.
    #[serde(default)]
    pub properties: Vec<String>,
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
            "`{}` has format `{format}`; this `dfinery` reads `{FORMAT}`: write it again with the same dfinery version",
            path.display(),
        ))
    };
    let Versioned { format } = serde_json::from_str(&text).map_err(not_a_manifest)?;
    if let Some(format) = format.filter(|f| f != FORMAT) {
        return Err(other_format(&format));
    }
    let manifest: Manifest = serde_json::from_str(&text).map_err(not_a_manifest)?;
    if manifest.format != FORMAT {
        return Err(other_format(&manifest.format));
    }
    Ok(manifest)
}

/// A manifest's format alone, whatever else it holds.
#[derive(Deserialize)]
struct Versioned {
    format: Option<String>,
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
            for name in &ty.properties {
                if event.property(name).is_none() {
                    report.gaps.push(format!(
                        "`{}` sends property `{name}` of event `{}`, which the registry lacks{}",
                        ty.rust_name,
                        ty.name,
                        hint(event.suggest_property(name))
                    ));
                }
            }
            for name in &ty.item_properties {
                if event.item_property(name).is_none() {
                    report.gaps.push(format!(
                        "`{}` sends item property `{name}` of event `{}`, which the registry lacks{}",
                        ty.rust_name,
                        ty.name,
                        hint(event.suggest_item_property(name))
                    ));
                }
            }
            // What the registry now requires and the type never sends: DFINERY refuses every
            // such event (the registry changed after the build, the case this check is for).
            for def in event.required_properties() {
                if !ty.properties.contains(&def.name) {
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
                    if !ty.item_properties.contains(&def.name) {
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
            for name in &ty.properties {
                profile_properties.insert(name.as_str());
                if let Some(deprecation) = catalog::deprecated_user_property(name) {
                    report.warnings.push(format!(
                        "`{}` sends user property `{name}`, deprecated in DFINERY's SDKs (still \
                         accepted); {}",
                        ty.rust_name, deprecation.instead
                    ));
                }
                if registry.user_property(name).is_none() {
                    report.gaps.push(format!(
                        "`{}` sends user property `{name}`, which the registry lacks{}",
                        ty.rust_name,
                        hint(registry.suggest_user_property(name))
                    ));
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
        serde_json::from_str(text).unwrap()
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

    /// A manifest of a later format, with a key this version does not know, was called "not
    /// a coverage manifest: unknown field ..." (the keys were read before the format), which
    /// hides that only the versions differ.
    #[test]
    fn a_manifest_of_a_later_format_is_refused_for_its_format_not_its_keys() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("m.json");
        std::fs::write(
            &path,
            r#"{"events":[{"rust_name":"Coupon","name":"coupon_used","optional_properties":["amount"]}],"format":"dfinery-coverage/2","enums":[]}"#,
        )
        .unwrap();
        let err = read(&path).unwrap_err();
        assert!(
            err.message.contains(
                "has format `dfinery-coverage/2`; this `dfinery` reads `dfinery-coverage/1`"
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
        assert!(err.message.contains("reads `dfinery-coverage/1`"), "{err}");
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
}
