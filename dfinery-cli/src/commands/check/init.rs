//! `dfinery check --init`: a starter registry with every standard event and user property of
//! the built-in catalog listed, commented out, and a commented custom event to copy.

use std::fmt::Write as _;
use std::path::Path;

use dfinery_schema::entry::Entry;
use dfinery_schema::{PropertyDef, catalog};
use serde_json::json;

use crate::exit::{CliError, Exit};
use crate::output;

/// Writes the starter file at `path`; an existing file is kept unless `force`.
///
/// # Errors
///
/// A configuration error when the file exists (without `force`) or cannot be written.
pub fn run(path: &Path, force: bool, json: bool) -> Result<Exit, CliError> {
    // From the metadata alone: writing to a FIFO would wait for a reader, forever.
    match Entry::at(path) {
        Entry::Directory => {
            return Err(CliError::config(format!(
                "`{}` is a folder; give `--registry` the path of the file to write, e.g. `{}`",
                path.display(),
                path.join("dfinery.toml").display()
            )));
        }
        Entry::Missing | Entry::File => {}
        other => {
            return Err(CliError::config(format!(
                "`{}` is {}, not a regular file; give `--registry` the path of the file to write, e.g. `dfinery.toml`",
                path.display(),
                other.what()
            )));
        }
    }
    if path.exists() && !force {
        return Err(CliError::config(format!(
            "`{}` already exists; check it with `{}`, or pass `--force` to replace it",
            path.display(),
            crate::registry::check_command(path)
        )));
    }
    std::fs::write(path, starter()).map_err(|err| CliError::config(cannot_write(path, &err)))?;
    if json {
        output::json(&json!({ "registry": path.display().to_string(), "written": true }));
    } else {
        output::line(format!(
            "wrote a starter registry to `{}`: uncomment what your DFINERY console has enabled, then run `{}`",
            path.display(),
            crate::registry::check_command(path)
        ));
    }
    Ok(Exit::Ok)
}

/// Why the starter file could not be written at `path`, with the fix: the folder to create, a
/// file that stands where a folder should, or, when this user may not write there (a
/// read-only folder, file or file system, or a folder that takes no new file such as
/// `/proc`), which path was refused and how to write the registry all the same.
fn cannot_write(given: &Path, err: &std::io::Error) -> String {
    use std::io::ErrorKind;
    // The write goes where a symbolic link leads: the fix is about that path, not the link's
    // own folder (a link dangling into a missing folder is in a folder that takes files well).
    let (path, link) = match resolve_link(given) {
        Resolved::Plain => (given.to_owned(), String::new()),
        Resolved::To(target) => {
            let note = format!(" (a symbolic link to `{}`)", target.display());
            (target, note)
        }
        Resolved::Loop => {
            return format!(
                "cannot write `{}`: {err}; `{}` is a symbolic link that leads back to itself: remove it, or give `--registry` another path",
                given.display(),
                given.display()
            );
        }
    };
    let path = path.as_path();
    let folder = path.parent().filter(|p| !p.as_os_str().is_empty());
    let named = folder.map_or_else(
        || "the current folder".to_owned(),
        |f| format!("the folder `{}`", f.display()),
    );
    // The nearest of the folders above `path` that is there: when it is a file, no folder can
    // be made below it (`mkdir` would fail too).
    let nearest = folder.and_then(|f| {
        f.ancestors()
            .find(|a| !a.as_os_str().is_empty() && a.symlink_metadata().is_ok())
    });
    let in_a_folder = "give `--registry` a path in a folder you can write, e.g. `dfinery.toml` in the working folder";
    let fix = match err.kind() {
        _ if nearest.is_some_and(|n| !n.is_dir()) => format!(
            "; `{}` is not a folder: {in_a_folder}",
            nearest.unwrap_or(path).display()
        ),
        _ if folder.is_some_and(|f| !f.is_dir()) => {
            let folder = folder.unwrap_or(path);
            format!(
                "; create the folder `{}` first (`mkdir -p {}`), or give `--registry` a path in a folder that exists",
                folder.display(),
                crate::registry::shell_quoted(folder)
            )
        }
        ErrorKind::ReadOnlyFilesystem => format!(
            "; {named} is on a read-only file system: give `--registry` a path on a writable one"
        ),
        ErrorKind::PermissionDenied if path.exists() => format!(
            "; this user may not change the file: make it writable (e.g. `chmod u+w {}`) or give `--registry` another path",
            path.display()
        ),
        ErrorKind::PermissionDenied => format!(
            "; this user may not create files in {named}: give `--registry` a path in a folder you can write, or make the folder writable"
        ),
        ErrorKind::StorageFull | ErrorKind::QuotaExceeded => format!(
            "; the disk holding {named} is full (or this user's quota spent): free some space, or give `--registry` a path on another disk"
        ),
        // The folder is there, yet the file could not be made in it: a folder of the kernel's
        // (`/proc` answers "No such file or directory"), or one that takes no new file.
        _ => format!("; {named} takes no new file: {in_a_folder}"),
    };
    format!("cannot write `{}`{link}: {err}{fix}", given.display())
}

/// Where a symbolic link at a path leads, as [`cannot_write`] names it.
enum Resolved {
    /// No link there: the path is written as it is.
    Plain,
    /// The path the link (or chain of links) leads to, taken from the link's folder when
    /// relative.
    To(std::path::PathBuf),
    /// A chain of links that never ends at a path that is not a link (the kernel gives up
    /// after 40).
    Loop,
}

fn resolve_link(path: &Path) -> Resolved {
    let mut at = path.to_owned();
    for _ in 0..40 {
        let is_link = at
            .symlink_metadata()
            .is_ok_and(|m| m.file_type().is_symlink());
        if !is_link {
            return if at == path {
                Resolved::Plain
            } else {
                Resolved::To(at)
            };
        }
        let Ok(target) = std::fs::read_link(&at) else {
            return Resolved::Plain;
        };
        at = match at.parent() {
            Some(folder) if target.is_relative() => folder.join(target),
            _ => target,
        };
    }
    Resolved::Loop
}

/// The starter file's text. It parses as a registry with no event enabled.
pub fn starter() -> String {
    let mut out = String::from(
        "# dfinery.toml: what the DFINERY console has registered for this service.\n\
# The derives check your types against it at compile time, the emulator enforces it, and\n\
# `dfinery check` validates it. Uncomment what your console has enabled.\n\
\n\
# [service]\n\
# id = \"my-service\"    # the default service id of the CLI and the emulator\n\
\n\
# Standard events enabled in the console; their properties come from the built-in catalog\n\
# (`*` marks a required property).\n\
standard_events = [\n",
    );
    for event in catalog::standard_events() {
        let mut properties: Vec<String> = event.properties.values().map(describe).collect();
        if event.takes_items() {
            properties.push(if event.items_required {
                "items*".to_owned()
            } else {
                "items".to_owned()
            });
        }
        let listed = if properties.is_empty() {
            "no properties".to_owned()
        } else {
            properties.join(", ")
        };
        let quoted = format!("\"{}\",", event.name);
        let _ = writeln!(out, "    # {quoted:<32} # {listed}");
    }
    out.push_str(
        "]\n\
\n\
# Standard user properties enabled; the five consent flags (df_push_optin, ...) are always\n\
# registered.\n\
standard_user_properties = [\n",
    );
    for property in catalog::standard_user_properties() {
        if catalog::is_consent_flag(&property.name) {
            continue;
        }
        let quoted = format!("\"{}\",", property.name);
        let _ = writeln!(out, "    # {quoted:<32} # {}", property.ty);
    }
    out.push_str(
        "]\n\
\n\
# A custom event: its properties (sent in `event_properties`) and item properties (keys of\n\
# each `event_items` object). Types: string, long, double, boolean, datetime, date,\n\
# array<string>, array<long>, array<double>.\n\
# [events.coupon_used]\n\
# properties.coupon_code = { type = \"string\", required = true, max_len = 32 }\n\
# properties.amount      = \"double\"\n\
# items.sku              = { type = \"string\", required = true }\n\
\n\
# Extra custom properties on an enabled standard event:\n\
# [events.df_purchase]\n\
# properties.store_id = \"string\"\n\
\n\
# Custom user properties:\n\
# [user_properties]\n\
# lifetime_points = \"long\"\n\
# tier = { type = \"string\", enum = [\"bronze\", \"silver\", \"gold\"] }\n",
    );
    out
}

/// `df_order_id*` for a required property, `df_discount` otherwise.
fn describe(property: &PropertyDef) -> String {
    if property.required {
        format!("{}*", property.name)
    } else {
        property.name.clone()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use dfinery_schema::Registry;

    /// A folder or file this user may not write (a read-only folder, file or file system)
    /// names the path refused and the fix; it was "cannot write `...`: Permission denied" and
    /// no more. Injected, since a test running as root may write anywhere.
    #[test]
    fn a_path_this_user_may_not_write_names_it_and_the_fix() {
        let dir = tempfile::tempdir().unwrap();
        let new = dir.path().join("dfinery.toml");
        let denied = std::io::Error::from(std::io::ErrorKind::PermissionDenied);
        let message = cannot_write(&new, &denied);
        assert!(
            message.starts_with(&format!("cannot write `{}`: ", new.display())),
            "{message}"
        );
        assert!(
            message.ends_with(&format!(
                "; this user may not create files in the folder `{}`: give `--registry` a path in a folder you can write, or make the folder writable",
                dir.path().display()
            )),
            "{message}"
        );
        std::fs::write(&new, "").unwrap();
        let message = cannot_write(&new, &denied);
        assert!(
            message.contains("this user may not change the file: make it writable"),
            "{message}"
        );
        let read_only = std::io::Error::from(std::io::ErrorKind::ReadOnlyFilesystem);
        let message = cannot_write(&new, &read_only);
        assert!(
            message.contains(&format!(
                "the folder `{}` is on a read-only file system: give `--registry` a path on a writable one",
                dir.path().display()
            )),
            "{message}"
        );
        let message = cannot_write(Path::new("dfinery.toml"), &read_only);
        assert!(
            message.contains("the current folder is on a read-only file system"),
            "{message}"
        );
        let missing = dir.path().join("no/such/dfinery.toml");
        let not_found = std::io::Error::from(std::io::ErrorKind::NotFound);
        assert!(cannot_write(&missing, &not_found).contains("; create the folder"));
    }

    #[test]
    fn the_starter_parses_and_enables_nothing() {
        let registry = Registry::parse(&starter()).unwrap();
        assert!(registry.events.is_empty());
        assert_eq!(registry.user_properties.len(), catalog::CONSENT_FLAGS.len());
    }

    #[test]
    fn uncommenting_every_standard_line_enables_the_whole_catalog() {
        let text: String = starter()
            .lines()
            .map(|line| match line.strip_prefix("    # \"") {
                Some(rest) => format!("    \"{rest}\n"),
                None => format!("{line}\n"),
            })
            .collect();
        let registry = Registry::parse(&text).unwrap();
        assert_eq!(registry.events.len(), catalog::standard_events().count());
        assert_eq!(
            registry.user_properties.len(),
            catalog::standard_user_properties().count()
        );
    }
}
