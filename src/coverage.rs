//! Coverage manifests for `dfinery check --coverage`: the derived types of a crate, written as
//! JSON by one of its tests, so the command line can compare the registry with the code (it
//! cannot see Rust types at run time).
//!
//! Each property a type can send is listed with the Rust field that fills it, the type and the
//! rules it was checked against at build time (`max_len`, `max_items`, `enum`, when the
//! registry gave them; `enum` lists a `DfineryEnum` field's own values instead, what it can
//! send, also when the registry had no such rule), and whether the field can be absent (an `Option` or a `Patch`, or a
//! type parameter of the struct, which may be one, unless its property was required at build
//! time), so the check also finds a property the registry has since made required, given
//! another type, or narrowed the values of.
//!
//! ```
//! use dfinery::coverage::Manifest;
//! use dfinery::{DfineryEvent, DfineryProfile};
//!
//! #[derive(DfineryEvent)]
//! #[dfinery(event = "df_login")]
//! # #[dfinery(registry = "tests/dfinery.toml")]
//! struct Login {}
//!
//! #[derive(DfineryProfile)]
//! # #[dfinery(registry = "tests/dfinery.toml")]
//! struct Member {
//!     df_name: Option<String>,
//! }
//!
//! // In a test of your crate: list every derived type, write the manifest, then run
//! // `dfinery check --coverage target/dfinery-coverage.json`.
//! let manifest = Manifest::new().event::<Login>().profile::<Member>();
//! # let dir = std::env::temp_dir().join(format!("dfinery-coverage-doc-{}", std::process::id()));
//! # std::fs::create_dir_all(&dir)?;
//! # let path = dir.join("dfinery-coverage.json");
//! manifest.write(&path)?;
//! assert_eq!(
//!     std::fs::read_to_string(&path)?,
//!     r#"{"format":"dfinery-coverage/2","events":[{"rust_name":"Login","name":"df_login","properties":[],"item_properties":[]}],"profiles":[{"rust_name":"Member","properties":[{"name":"df_name","rust_field":"df_name","type":"string","absent":true}]}]}"#
//! );
//! # std::fs::remove_dir_all(&dir)?;
//! # Ok::<(), std::io::Error>(())
//! ```

use std::fmt::Write as _;
use std::path::Path;

use dfinery_core::__private::push_json_str;
use dfinery_core::{Event, EventDescription, FieldDescription, Profile, PropertiesDescription};

/// The manifest format written, which `dfinery check --coverage` reads.
pub const FORMAT: &str = "dfinery-coverage/2";

/// The derived event and profile types of a crate, from their static descriptions.
#[derive(Debug, Clone, Default)]
#[must_use]
pub struct Manifest {
    events: Vec<&'static EventDescription>,
    profiles: Vec<&'static PropertiesDescription>,
}

impl Manifest {
    /// An empty manifest.
    pub fn new() -> Self {
        Manifest::default()
    }

    /// Adds an event type, e.g. `.event::<Purchase>()`.
    pub fn event<E: Event>(self) -> Self {
        self.event_description(E::description())
    }

    /// Adds a profile type, e.g. `.profile::<Member>()`.
    pub fn profile<P: Profile>(self) -> Self {
        self.profile_description(P::description())
    }

    /// Adds an event type by its description.
    pub fn event_description(mut self, description: &'static EventDescription) -> Self {
        self.events.push(description);
        self
    }

    /// Adds a profile type by its description.
    pub fn profile_description(mut self, description: &'static PropertiesDescription) -> Self {
        self.profiles.push(description);
        self
    }

    /// The manifest as one line of JSON (format [`FORMAT`]).
    pub fn to_json(&self) -> String {
        let mut out = format!("{{\"format\":\"{FORMAT}\",\"events\":[");
        for (i, event) in self.events.iter().enumerate() {
            if i > 0 {
                out.push(',');
            }
            let items = event
                .items
                .map_or(&[][..], |items| (items.item)().properties);
            let _ = write!(
                out,
                "{{\"rust_name\":{},\"name\":{},\"properties\":{},\"item_properties\":{}}}",
                string(event.rust_name),
                string(event.name),
                properties(event.properties),
                properties(items)
            );
        }
        out.push_str("],\"profiles\":[");
        for (i, profile) in self.profiles.iter().enumerate() {
            if i > 0 {
                out.push(',');
            }
            let _ = write!(
                out,
                "{{\"rust_name\":{},\"properties\":{}}}",
                string(profile.rust_name),
                properties(profile.properties)
            );
        }
        out.push_str("]}");
        out
    }

    /// Writes [`to_json`](Self::to_json) to `path`. Its folder must exist (a test runs in its
    /// crate's folder, so a relative path is taken from there).
    ///
    /// # Errors
    ///
    /// The error of writing the file, of the same kind, whose message names the path.
    pub fn write(&self, path: impl AsRef<Path>) -> std::io::Result<()> {
        let path = path.as_ref();
        std::fs::write(path, self.to_json()).map_err(|error| {
            let hint = match error.kind() {
                std::io::ErrorKind::NotFound => {
                    "; create its folder first, or give a path in one that exists"
                }
                _ => "",
            };
            std::io::Error::new(
                error.kind(),
                format!(
                    "could not write the coverage manifest `{}`: {error}{hint}",
                    path.display()
                ),
            )
        })
    }
}

/// The properties as a JSON array, one object each: `name`, `rust_field`, `type` (as
/// `dfinery.toml` spells it), `absent`, and `max_len`, `max_items` and `enum` when set.
fn properties(fields: &[FieldDescription]) -> String {
    let objects: Vec<String> = fields
        .iter()
        .map(|f| {
            let mut out = format!(
                "{{\"name\":{},\"rust_field\":{},\"type\":{},\"absent\":{}",
                string(f.spec.name),
                string(f.rust_field),
                string(f.spec.ty.registry_name()),
                f.absent
            );
            if let Some(len) = f.spec.max_len {
                let _ = write!(out, ",\"max_len\":{len}");
            }
            if let Some(items) = f.spec.max_items {
                let _ = write!(out, ",\"max_items\":{items}");
            }
            // The values the field's type can send (a `DfineryEnum`'s), else the registry's
            // rule at build time: what the type sends, for `dfinery check` to compare with the
            // registry's rule now.
            let sent = if f.values.is_empty() {
                f.spec.enum_values
            } else {
                f.values
            };
            if !sent.is_empty() {
                let values: Vec<String> = sent.iter().map(|v| string(v)).collect();
                let _ = write!(out, ",\"enum\":[{}]", values.join(","));
            }
            out.push('}');
            out
        })
        .collect();
    format!("[{}]", objects.join(","))
}

/// `s` as a JSON string, escaped by the runtime's one JSON escaper (the one every event is
/// written with, byte for byte as `serde_json` writes strings).
fn string(s: &str) -> String {
    let mut out = Vec::with_capacity(s.len() + 2);
    push_json_str(&mut out, s);
    // The escaper copies `s`'s UTF-8 whole and writes only ASCII around it.
    String::from_utf8(out).unwrap_or_else(|e| String::from_utf8_lossy(e.as_bytes()).into_owned())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_manifest_that_cannot_be_written_names_its_path() {
        let dir = std::env::temp_dir().join(format!("dfinery-coverage-{}", std::process::id()));
        let path = dir.join("no-such-folder").join("dfinery-coverage.json");
        let error = Manifest::new().write(&path).unwrap_err();
        assert_eq!(error.kind(), std::io::ErrorKind::NotFound);
        let text = error.to_string();
        assert!(
            text.starts_with(&format!(
                "could not write the coverage manifest `{}`: ",
                path.display()
            )),
            "{text}"
        );
        assert!(
            text.ends_with("; create its folder first, or give a path in one that exists"),
            "{text}"
        );
    }

    #[test]
    fn strings_are_escaped_as_json() {
        // `\n`, as serde_json writes a newline (the same string as `\u000a`).
        assert_eq!(string("a\"b\\c\n"), r#""a\"b\\c\n""#);
    }
}
