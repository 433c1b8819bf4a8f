//! The `dfinery.toml` parser: TOML with spans in, a [`Registry`] or every problem with its
//! line and column out.

mod context;
mod diagnostic;
mod event;
mod lists;
mod property;
mod user;

use std::path::Path;

use toml::de::DeTable;

use context::{Ctx, Key, Value};
pub use diagnostic::{Diagnostic, RegistryError};

use crate::Registry;
use crate::entry::Entry;
use crate::names::shown;

/// The largest `dfinery.toml` [`Registry::load`] reads, 64 MiB: a registry of thousands of
/// events takes a few megabytes, so a larger file is the wrong file, refused before it fills
/// the memory of a build. (One that never ends, such as `/dev/zero` or a FIFO, is not a regular
/// file and is refused before it is opened.)
const MAX_REGISTRY_FILE_BYTES: u64 = 64 << 20;

/// The keys allowed at the top level.
const TOP_KEYS: &[&str] = &[
    "service",
    "standard_events",
    "standard_user_properties",
    "events",
    "user_properties",
];

/// The keys allowed in `[service]`.
const SERVICE_KEYS: &[&str] = &["id", "standard_events", "standard_user_properties"];

impl Registry {
    /// Parses the text of a `dfinery.toml` (format: [crate docs](crate#the-registry-file)).
    ///
    /// Every problem in the file is reported, not just the first, each with its line and
    /// column; the error's [`path`](RegistryError::path) is `None`.
    ///
    /// ```
    /// use dfinery_schema::Registry;
    /// let registry = Registry::parse(r#"
    ///     standard_events = ["df_login"]
    ///     [events.coupon_used]
    ///     properties.code = { type = "string", required = true }
    /// "#).unwrap();
    /// assert!(registry.event("df_login").is_some());
    /// assert!(registry.event("coupon_used").unwrap().property("code").unwrap().required);
    ///
    /// let err = Registry::parse("[events.coupon_used]\nproperties.code = \"strng\"\n").unwrap_err();
    /// assert_eq!(
    ///     err.to_string(),
    ///     "dfinery.toml:2:19: unknown type `strng` for property `code` of event `coupon_used`; did you mean `string`?"
    /// );
    /// ```
    pub fn parse(src: &str) -> Result<Registry, RegistryError> {
        Registry::parse_with_warnings(src).map(|(registry, _)| registry)
    }

    /// [`parse`](Registry::parse), also returning the warnings of a valid file: things DFINERY
    /// accepts but that are best changed, each with its line and column, e.g. a standard user
    /// property DFINERY's SDKs deprecate
    /// ([`catalog::DEPRECATED_USER_PROPERTIES`](crate::catalog::DEPRECATED_USER_PROPERTIES)),
    /// two events (or two properties of one table) whose names differ only in case, `enum`
    /// values that differ only in case or surrounding white space, or are blank, or a file with
    /// no event at all (empty, or cut short).
    ///
    /// ```
    /// use dfinery_schema::Registry;
    /// let (registry, warnings) =
    ///     Registry::parse_with_warnings(concat!(
    ///         "standard_user_properties = [\"df_push_optin\"]\n",
    ///         "standard_events = [\"df_login\"]\n",
    ///     ))
    ///     .unwrap();
    /// assert!(registry.user_property("df_push_optin").is_some());
    /// assert_eq!((warnings[0].line, warnings[0].column), (1, 29));
    /// assert!(warnings[0].message.starts_with("`df_push_optin` is deprecated"));
    /// ```
    pub fn parse_with_warnings(src: &str) -> Result<(Registry, Vec<Diagnostic>), RegistryError> {
        parse_source(src).map_err(|diagnostics| RegistryError {
            path: None,
            diagnostics,
        })
    }

    /// Reads and parses the `dfinery.toml` at `path`; errors carry the path.
    ///
    /// A file that cannot be read is reported as one diagnostic at line 1, column 1; one that
    /// is not UTF-8 at the line and column of its first byte that is not; one larger than
    /// 64 MiB (far more than any registry: the wrong file) without reading the rest.
    pub fn load(path: impl AsRef<Path>) -> Result<Registry, RegistryError> {
        let path = path.as_ref();
        let src = Registry::read_source(path)?;
        Registry::parse(&src).map_err(|mut err| {
            err.path = Some(path.to_owned());
            err
        })
    }

    /// The text of the registry file at `path`, read as [`load`](Registry::load) reads it
    /// (at most 64 MiB, UTF-8), for a tool that shows the file's lines beside its problems:
    /// the errors are `load`'s, each one diagnostic carrying the path. A socket or a device is
    /// refused from its metadata, never opened ([`Entry`]); a FIFO is read (a shell's
    /// `<(git show main:dfinery.toml)` passes one), waiting for its writer as any reader does.
    pub fn read_source(path: impl AsRef<Path>) -> Result<String, RegistryError> {
        let path = path.as_ref();
        let error = |src: &str, at: usize, message: String| RegistryError {
            path: Some(path.to_owned()),
            diagnostics: vec![Diagnostic::new(src, at..at, message)],
        };
        // A socket or a device is never opened: neither holds a registry (`/dev/zero` would be
        // read up to the cap).
        if let Entry::Special(kind) = Entry::at(path) {
            return Err(error(
                "",
                0,
                format!(
                    "the registry file is {kind}, and the registry is read from a regular file \
                     or a pipe only; give the path of your `dfinery.toml`"
                ),
            ));
        }
        let bytes = read_capped(path).map_err(|err| {
            let fix = read_fix(err.kind(), path);
            error("", 0, format!("cannot read the registry file: {err}{fix}"))
        })?;
        if bytes.len() as u64 > MAX_REGISTRY_FILE_BYTES {
            return Err(error(
                "",
                0,
                format!(
                    "the registry file is larger than {} MiB, far more than any registry; check \
                     that the path names your `dfinery.toml`",
                    MAX_REGISTRY_FILE_BYTES >> 20
                ),
            ));
        }
        let src = match String::from_utf8(bytes) {
            Ok(src) => src,
            Err(err) => {
                let bytes = err.as_bytes();
                let at = err.utf8_error().valid_up_to();
                let valid = std::str::from_utf8(&bytes[..at]).unwrap_or_default();
                let encoding =
                    if bytes.starts_with(&[0xFF, 0xFE]) || bytes.starts_with(&[0xFE, 0xFF]) {
                        " (it looks like UTF-16)"
                    } else {
                        ""
                    };
                return Err(error(
                    valid,
                    at,
                    format!(
                        "the registry file is not UTF-8{encoding}: byte 0x{:02X} here starts no \
                         UTF-8 character; save the file as UTF-8",
                        bytes[at]
                    ),
                ));
            }
        };
        Ok(src)
    }
}

/// The bytes of the file at `path`, at most one more than [`MAX_REGISTRY_FILE_BYTES`]: a huge
/// file (or one growing while it is read) is not read whole.
fn read_capped(path: &Path) -> std::io::Result<Vec<u8>> {
    use std::io::Read as _;
    let mut bytes = Vec::new();
    std::fs::File::open(path)?
        .take(MAX_REGISTRY_FILE_BYTES + 1)
        .read_to_end(&mut bytes)?;
    Ok(bytes)
}

fn parse_source(src: &str) -> Result<(Registry, Vec<Diagnostic>), Vec<Diagnostic>> {
    let (root, errors) = DeTable::parse_recoverable(src);
    if !errors.is_empty() {
        let found = errors.iter().map(|e| syntax_error(src, e)).collect();
        return Err(Diagnostic::all(src, found));
    }
    let mut ctx = Ctx::new(src);
    let registry = read_root(&mut ctx, root.get_ref());
    if registry.events.is_empty() {
        // An empty or truncated file, or one with only user properties: every event would be
        // refused as unregistered.
        ctx.warn(
            0..0,
            "the registry has no events, so every event would be refused; enable standard \
             events with `standard_events = [\"df_login\", ...]` or declare one with \
             `[events.<name>]`",
        );
    }
    let (errors, warnings) = ctx.into_diagnostics();
    if errors.is_empty() {
        Ok((registry, warnings))
    } else {
        Err(errors)
    }
}

fn syntax_error(src: &str, err: &toml::de::Error) -> (std::ops::Range<usize>, String) {
    let span = err.span().unwrap_or(0..0);
    let message = err.message().trim().replace('\n', "; ");
    let message = match src.get(span.clone()) {
        Some(key) if message == "duplicate key" && !key.is_empty() => {
            format!("duplicate key `{key}`; set each key once per table")
        }
        _ => lower_first(&message),
    };
    (span, format!("invalid TOML: {message}"))
}

fn lower_first(s: &str) -> String {
    let mut chars = s.chars();
    match chars.next() {
        Some(first) => first.to_lowercase().chain(chars).collect(),
        None => String::new(),
    }
}

/// The top-level entries, gathered first so the lists are applied before the tables that
/// depend on them, whatever their order in the file.
#[derive(Default)]
struct Root<'v, 'i> {
    standard_events: Vec<(&'v Key<'i>, &'v Value<'i>)>,
    standard_user_properties: Vec<(&'v Key<'i>, &'v Value<'i>)>,
    events: Option<&'v Value<'i>>,
    user_properties: Option<&'v Value<'i>>,
}

fn read_root(ctx: &mut Ctx<'_>, root: &DeTable<'_>) -> Registry {
    let mut registry = Registry::default();
    let mut found = Root::default();
    for (key, value) in root.iter() {
        match key.get_ref().as_ref() {
            "service" => read_service(ctx, value, &mut registry, &mut found),
            "standard_events" => found.standard_events.push((key, value)),
            "standard_user_properties" => found.standard_user_properties.push((key, value)),
            "events" => found.events = Some(value),
            "user_properties" => found.user_properties = Some(value),
            _ => ctx.unknown_key(key, "the top level", TOP_KEYS),
        }
    }
    let standard_events = single(ctx, &found.standard_events);
    let standard_user_properties = single(ctx, &found.standard_user_properties);
    if let Some(value) = standard_events {
        lists::standard_events(ctx, value, &mut registry);
    }
    lists::standard_user_properties(ctx, standard_user_properties, &mut registry);
    if let Some(value) = found.events {
        event::events(ctx, value, &mut registry);
    }
    if let Some(value) = found.user_properties {
        user::user_properties(ctx, value, &mut registry);
    }
    registry
}

fn read_service<'v, 'i>(
    ctx: &mut Ctx<'_>,
    value: &'v Value<'i>,
    registry: &mut Registry,
    found: &mut Root<'v, 'i>,
) {
    let Some(table) = ctx.table(value, "`service`") else {
        return;
    };
    for (key, value) in table.iter() {
        match key.get_ref().as_ref() {
            "id" => match ctx.string(value, "`id` of `[service]`") {
                Some("") => ctx.error(
                    value.span(),
                    "`id` of `[service]` is empty; set your DFINERY service id or remove the line",
                ),
                // Sent in the query of every call: the client and the emulator refuse such an
                // id, so the file is where to say so, at its line.
                Some(id) if id.chars().any(|c| c.is_whitespace() || c.is_control()) => ctx.error(
                    value.span(),
                    format!(
                        "`id` of `[service]` `{}` holds white space or a control character; \
                         give the service id as the DFINERY console shows it",
                        shown(id)
                    ),
                ),
                Some(id) => registry.service_id = Some(id.to_owned()),
                None => {}
            },
            "standard_events" => found.standard_events.push((key, value)),
            "standard_user_properties" => found.standard_user_properties.push((key, value)),
            _ => ctx.unknown_key(key, "`[service]`", SERVICE_KEYS),
        }
    }
}

/// The one value of a list that may be written at the top level or in `[service]`; setting it
/// in both places is a problem reported at the later one.
fn single<'v, 'i>(
    ctx: &mut Ctx<'_>,
    entries: &[(&'v Key<'i>, &'v Value<'i>)],
) -> Option<&'v Value<'i>> {
    let mut sorted = entries.to_vec();
    sorted.sort_by_key(|(key, _)| key.span().start);
    for (key, _) in sorted.iter().skip(1) {
        let name = key.get_ref().as_ref();
        ctx.error(
            key.span(),
            format!("`{name}` is set twice (at the top level and in `[service]`); keep one"),
        );
    }
    sorted.first().map(|(_, value)| *value)
}
/// The fix for a registry file at `path` that could not be read for `kind` (empty when there
/// is none to give).
fn read_fix(kind: std::io::ErrorKind, path: &Path) -> String {
    match kind {
        std::io::ErrorKind::NotFound => {
            "; create one with `dfinery check --init` or point to it with `DFINERY_REGISTRY`"
                .to_owned()
        }
        std::io::ErrorKind::IsADirectory => format!(
            "; give the path of the file in it, e.g. `{}`",
            path.join("dfinery.toml").display()
        ),
        std::io::ErrorKind::PermissionDenied => "; let the user the build (or the program) runs \
             as read it (e.g. `chmod a+r` on it, and `a+x` on its folders)"
            .to_owned(),
        _ => String::new(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_registry_that_may_not_be_read_is_told_how_to_let_it_be() {
        // It was "cannot read the registry file: Permission denied (os error 13)", no fix (the
        // tests run as root, so the kind is given here, not met on a file).
        let path = Path::new("conf/dfinery.toml");
        let fix = read_fix(std::io::ErrorKind::PermissionDenied, path);
        assert!(fix.contains("chmod a+r"), "{fix}");
        assert!(read_fix(std::io::ErrorKind::NotFound, path).contains("DFINERY_REGISTRY"));
        assert_eq!(read_fix(std::io::ErrorKind::Other, path), "");
    }
}
