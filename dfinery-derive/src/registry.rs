//! Finding, reading and caching the registry file (`dfinery.toml`) at compile time.
//!
//! Found, in order (`docs/design.md`): `#[dfinery(registry = "path")]` on the type, the
//! `DFINERY_REGISTRY` env var (both relative to `CARGO_MANIFEST_DIR`), `dfinery.toml` in
//! `CARGO_MANIFEST_DIR`, then in the workspace root. Parsed once per process per path and
//! modification time; a broken file's problems are listed by the first type of a crate that
//! derives from it, the other types naming that one ([`first_reporter`]). The generated code includes the file's bytes, so cargo rebuilds the crate
//! when the file changes.

use std::collections::HashMap;
use std::ffi::OsStr;
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex, OnceLock};
use std::time::SystemTime;

pub use dfinery_schema::entry::Entry;
use dfinery_schema::search::{shell_quoted, workspace_root};
use dfinery_schema::{Registry, RegistryError};
use syn::{Ident, LitStr};

use crate::errors::Errors;

/// The file name looked for in the crate and workspace directories.
pub use dfinery_schema::search::FILE_NAME;
/// The env var that points to the registry.
pub const ENV_VAR: &str = "DFINERY_REGISTRY";

/// The problems of a broken registry one derive reports; the rest are counted in one more
/// error. Every derive of a crate reports them, so a file with thousands of problems made
/// thousands of errors per derive, the first screenful of which says what `dfinery check` does.
const MAX_SHOWN_PROBLEMS: usize = 10;

/// A registry that was found and parsed.
pub struct Loaded {
    /// Its absolute path, for `include_bytes!`.
    pub path: PathBuf,
    /// How messages name it: relative to the crate directory when inside it.
    pub display: String,
    /// The parsed registry.
    pub registry: Arc<Registry>,
}

/// Where the path came from.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Source {
    /// `#[dfinery(registry = "...")]`.
    Attribute,
    /// `DFINERY_REGISTRY`.
    Env,
    /// `dfinery.toml` in `CARGO_MANIFEST_DIR` or the workspace root.
    Search,
}

/// Why no registry file was found.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum NotFound {
    /// The attribute or the env var names a file that does not exist.
    Explicit {
        /// The file.
        path: PathBuf,
        /// Which of the two named it.
        source: Source,
    },
    /// The attribute or the env var names a directory, a FIFO or another entry that is not a
    /// regular file.
    NotAFile {
        /// The path named.
        path: PathBuf,
        /// Which of the two named it.
        source: Source,
        /// What is there instead ([`Entry::Directory`], [`Entry::Fifo`] or [`Entry::Special`]).
        entry: Entry,
    },
    /// No `dfinery.toml` in any of these places.
    Searched {
        /// The paths looked at, in order, with what is at each (not a regular file).
        looked: Vec<(PathBuf, Entry)>,
    },
}

/// What [`locate`] needs from the environment, so tests can give their own.
pub struct Search<'a> {
    /// The `registry = "..."` value.
    pub attribute: Option<&'a str>,
    /// The value of `DFINERY_REGISTRY`.
    pub env: Option<PathBuf>,
    /// `CARGO_MANIFEST_DIR`.
    pub manifest_dir: &'a Path,
    /// The workspace root, when it differs from the manifest dir.
    pub workspace_root: Option<&'a Path>,
    /// What is at a path ([`Entry::at`] outside tests).
    pub entry: &'a dyn Fn(&Path) -> Entry,
}

/// Finds the registry file in `docs/design.md`'s order.
///
/// # Errors
///
/// [`NotFound`] saying where it looked.
pub fn locate(search: &Search<'_>) -> Result<(PathBuf, Source), NotFound> {
    let explicit = search
        .attribute
        .map(|a| (PathBuf::from(a), Source::Attribute))
        .or_else(|| search.env.clone().map(|e| (e, Source::Env)));
    if let Some((path, source)) = explicit {
        let path = search.manifest_dir.join(path);
        return match (search.entry)(&path) {
            Entry::File => Ok((path, source)),
            Entry::Missing => Err(NotFound::Explicit { path, source }),
            entry => Err(NotFound::NotAFile {
                path,
                source,
                entry,
            }),
        };
    }
    let mut places = vec![search.manifest_dir.join(FILE_NAME)];
    if let Some(root) = search.workspace_root.filter(|r| *r != search.manifest_dir) {
        places.push(root.join(FILE_NAME));
    }
    let mut looked = Vec::new();
    for path in places {
        match (search.entry)(&path) {
            Entry::File => return Ok((path, Source::Search)),
            entry => looked.push((path, entry)),
        }
    }
    Err(NotFound::Searched { looked })
}

impl NotFound {
    /// The compile error's message.
    pub fn message(&self) -> String {
        let named_by = |source: &Source| match source {
            Source::Attribute => "`#[dfinery(registry = \"...\")]`",
            _ => "`DFINERY_REGISTRY`",
        };
        match self {
            NotFound::Explicit { path, source } => {
                let from = named_by(source);
                // `--init` alone writes `dfinery.toml` in the working folder, and the CLI reads
                // a relative `--registry` from there: the path as the derive resolved it (from
                // `CARGO_MANIFEST_DIR`, so absolute) creates this file from any folder.
                format!(
                    "registry file `{}` (named by {from}) does not exist; create it with `dfinery check --init --registry {}` or fix the path (a relative path starts at `CARGO_MANIFEST_DIR`)",
                    path.display(),
                    shell_quoted(path)
                )
            }
            NotFound::NotAFile {
                path,
                source,
                entry: Entry::Directory,
            } => format!(
                "registry file `{}` (named by {}) is a directory, not a file; give the path of the registry file in it, e.g. `{}`",
                path.display(),
                named_by(source),
                path.join(FILE_NAME).display()
            ),
            NotFound::NotAFile {
                path,
                source,
                entry,
            } => format!(
                "registry file `{}` (named by {}) is {}, not a regular file, and the registry is read from a regular file only; give the path of your `{FILE_NAME}` (a relative path starts at `CARGO_MANIFEST_DIR`)",
                path.display(),
                named_by(source),
                entry.what()
            ),
            NotFound::Searched { looked } => {
                let looked: Vec<String> = looked
                    .iter()
                    .map(|(p, entry)| match entry {
                        Entry::Missing | Entry::File => format!("`{}`", p.display()),
                        other => format!("`{}` ({})", p.display(), other.what()),
                    })
                    .collect();
                format!(
                    "no registry file found (looked for {}); create one with `dfinery check --init`, or point to it with `#[dfinery(registry = \"path\")]` or the `DFINERY_REGISTRY` env var",
                    looked.join(" and ")
                )
            }
        }
    }
}

/// Finds and parses the registry for one derive of the type named `ident`; problems are recorded
/// in `errors` at the `registry = "..."` literal, else at the type's name.
pub fn load(attribute: Option<&LitStr>, ident: &Ident, errors: &mut Errors) -> Option<Loaded> {
    let span = ident.span();
    let manifest_dir = std::env::var_os("CARGO_MANIFEST_DIR")
        .map(PathBuf::from)
        .or_else(|| std::env::current_dir().ok())
        .unwrap_or_default();
    let root = workspace_root(&manifest_dir);
    let attribute_text = attribute.map(LitStr::value);
    let env = std::env::var_os(ENV_VAR).filter(|v| !v.is_empty());
    let search = Search {
        attribute: attribute_text.as_deref(),
        env: env.clone().map(PathBuf::from),
        manifest_dir: &manifest_dir,
        workspace_root: root.as_deref(),
        entry: &Entry::at,
    };
    let span = attribute.map_or(span, LitStr::span);
    let path = match locate(&search) {
        Ok((path, _)) => path,
        Err(not_found) => {
            errors.at(span, not_found.message());
            return None;
        }
    };
    let path = path.canonicalize().unwrap_or(path);
    if let Some(message) = untrackable(env.as_deref(), &path) {
        errors.at(span, message);
        return None;
    }
    let display = path
        .strip_prefix(&manifest_dir)
        .map_or_else(|_| path.display().to_string(), |p| p.display().to_string());
    match &*parse_cached(&path) {
        Ok(registry) => Some(Loaded {
            path,
            display,
            registry: Arc::clone(registry),
        }),
        Err(error) => {
            let reporter = Reporter {
                path: path.clone(),
                crate_key: crate_key(&manifest_dir),
                ty: ident.to_string(),
            };
            if let Some(first) = first_reporter(&reporter) {
                let count = error.diagnostics.len();
                errors.at(
                    span,
                    format!(
                        "invalid registry file: {} has {count} problem{}, listed at `{first}` (the first type of this crate that derives from it); fix them, or run `dfinery check --registry {}` to list them all",
                        path.display(),
                        if count == 1 { "" } else { "s" },
                        shell_quoted(&path),
                    ),
                );
                return None;
            }
            for d in error.diagnostics.iter().take(MAX_SHOWN_PROBLEMS) {
                errors.at(
                    span,
                    format!(
                        "invalid registry file: {}:{}:{}: {}",
                        path.display(),
                        d.line,
                        d.column,
                        d.message
                    ),
                );
            }
            let more = error.diagnostics.len().saturating_sub(MAX_SHOWN_PROBLEMS);
            if more > 0 {
                errors.at(
                    span,
                    format!(
                        "invalid registry file: {} has {more} more problem{}; run \
                         `dfinery check --registry {}` to list them all",
                        path.display(),
                        if more == 1 { "" } else { "s" },
                        shell_quoted(&path),
                    ),
                );
            }
            None
        }
    }
}

/// Why the compiler could not track the registry: the generated code names the value of
/// `DFINERY_REGISTRY` (`option_env!`, even when an attribute names the file) and the file's
/// path (`include_bytes!`) so cargo rebuilds when either changes, and both take UTF-8 only;
/// otherwise they fail with errors that do not say what to do.
fn untrackable(env: Option<&OsStr>, path: &Path) -> Option<String> {
    if let Some(env) = env.filter(|e| e.to_str().is_none()) {
        return Some(format!(
            "`{ENV_VAR}` is not valid UTF-8 (`{}`), and the compiler reads it as UTF-8 to rebuild when it changes; set it to a UTF-8 path",
            env.to_string_lossy()
        ));
    }
    path.to_str().is_none().then(|| {
        format!(
            "the path of registry file `{}` is not valid UTF-8, and the compiler names the file by a UTF-8 path to rebuild when it changes; move it to a UTF-8 path",
            path.display()
        )
    })
}

/// One derive that reports the problems of a broken registry.
struct Reporter {
    /// The registry file.
    path: PathBuf,
    /// The crate being compiled ([`crate_key`]).
    crate_key: String,
    /// The name of the type derived.
    ty: String,
}

/// Which crate is being compiled: its directory and, when cargo gives it, its crate name (a
/// package's library, binaries and tests share the directory).
fn crate_key(manifest_dir: &Path) -> String {
    let name = std::env::var("CARGO_CRATE_NAME").unwrap_or_default();
    format!("{}\0{name}", manifest_dir.display())
}

/// The type that reports the problems of `reporter.path` in full for its crate, when it is
/// another type than `reporter.ty`; `None` when this derive is to list them.
///
/// A crate with many derived types would otherwise repeat the same block of errors for each:
/// the first type of a crate to derive from a broken registry lists its problems, the others
/// get one error naming that type. The record is kept per registry file, modification time and
/// length, and per crate, because the compiler process (and rust-analyzer's proc-macro server,
/// which also expands the same type again after each edit) may be reused: a changed registry
/// is reported in full again, another crate gets its full report, and the first type keeps
/// its list when it is expanded again. Without a modification time nothing is recorded.
fn first_reporter(reporter: &Reporter) -> Option<String> {
    type Key = (PathBuf, SystemTime, u64, String);
    static REPORTED: OnceLock<Mutex<HashMap<Key, String>>> = OnceLock::new();
    let meta = std::fs::metadata(&reporter.path).ok()?;
    let key = (
        reporter.path.clone(),
        meta.modified().ok()?,
        meta.len(),
        reporter.crate_key.clone(),
    );
    let reported = REPORTED.get_or_init(Mutex::default);
    let mut reported = reported
        .lock()
        .unwrap_or_else(std::sync::PoisonError::into_inner);
    let first = reported.entry(key).or_insert_with(|| reporter.ty.clone());
    (*first != reporter.ty).then(|| first.clone())
}

type Parsed = Arc<Result<Arc<Registry>, RegistryError>>;

/// One cached parse: valid while the file's modification time and length are unchanged.
struct Cached {
    modified: Option<SystemTime>,
    len: u64,
    parsed: Parsed,
}

/// Parses `path`, reusing the parse of an earlier derive in this process when the file has not
/// changed since.
fn parse_cached(path: &Path) -> Parsed {
    static CACHE: OnceLock<Mutex<HashMap<PathBuf, Cached>>> = OnceLock::new();
    let meta = std::fs::metadata(path).ok();
    let modified = meta.as_ref().and_then(|m| m.modified().ok());
    let len = meta.as_ref().map_or(0, std::fs::Metadata::len);
    let cache = CACHE.get_or_init(Mutex::default);
    // A poisoned lock only means another derive panicked mid-insert; the map is still usable.
    let mut cache = cache
        .lock()
        .unwrap_or_else(std::sync::PoisonError::into_inner);
    if let Some(hit) = cache.get(path)
        && hit.modified == modified
        && modified.is_some()
        && hit.len == len
    {
        return Arc::clone(&hit.parsed);
    }
    let parsed: Parsed = Arc::new(Registry::load(path).map(Arc::new));
    cache.insert(
        path.to_owned(),
        Cached {
            modified,
            len,
            parsed: Arc::clone(&parsed),
        },
    );
    parsed
}

#[cfg(test)]
mod tests {
    use super::*;
    use proc_macro2::Span;

    fn file_if(there: bool) -> Entry {
        if there { Entry::File } else { Entry::Missing }
    }

    fn search<'a>(
        attribute: Option<&'a str>,
        env: Option<&str>,
        root: Option<&'a Path>,
        entry: &'a dyn Fn(&Path) -> Entry,
    ) -> Search<'a> {
        Search {
            attribute,
            env: env.map(PathBuf::from),
            manifest_dir: Path::new("/ws/app"),
            workspace_root: root,
            entry,
        }
    }

    #[test]
    fn the_attribute_wins_over_everything() {
        let all = |_: &Path| Entry::File;
        let found = locate(&search(Some("reg/d.toml"), Some("/env.toml"), None, &all));
        assert_eq!(
            found,
            Ok((PathBuf::from("/ws/app/reg/d.toml"), Source::Attribute))
        );
    }

    #[test]
    fn the_env_var_comes_second_and_is_relative_to_the_crate() {
        let all = |_: &Path| Entry::File;
        assert_eq!(
            locate(&search(None, Some("cfg/d.toml"), None, &all)),
            Ok((PathBuf::from("/ws/app/cfg/d.toml"), Source::Env))
        );
        assert_eq!(
            locate(&search(None, Some("/abs/d.toml"), None, &all)),
            Ok((PathBuf::from("/abs/d.toml"), Source::Env))
        );
    }

    #[test]
    fn an_explicit_path_that_does_not_exist_is_not_replaced_by_a_search() {
        let only_crate = |p: &Path| file_if(p == Path::new("/ws/app/dfinery.toml"));
        let err = locate(&search(None, Some("/nope.toml"), None, &only_crate)).unwrap_err();
        assert_eq!(
            err,
            NotFound::Explicit {
                path: PathBuf::from("/nope.toml"),
                source: Source::Env
            }
        );
        assert!(
            err.message()
                .contains("`/nope.toml` (named by `DFINERY_REGISTRY`) does not exist")
        );
        assert!(
            err.message()
                .contains("create it with `dfinery check --init --registry /nope.toml`")
        );
    }

    /// `dfinery check --init` alone writes `./dfinery.toml`, and the CLI reads a relative
    /// `--registry` from the working folder: the advice names the file as the derive resolved
    /// it from the crate folder, so the command creates that very file wherever it is run.
    #[test]
    fn the_advice_for_a_missing_named_file_creates_that_file() {
        let none = |_: &Path| Entry::Missing;
        let err = locate(&search(Some("config/reg.toml"), None, None, &none)).unwrap_err();
        assert_eq!(
            err.message(),
            "registry file `/ws/app/config/reg.toml` (named by `#[dfinery(registry = \"...\")]`) does not exist; create it with `dfinery check --init --registry /ws/app/config/reg.toml` or fix the path (a relative path starts at `CARGO_MANIFEST_DIR`)"
        );
        let err = locate(&search(None, Some("my reg's.toml"), None, &none)).unwrap_err();
        assert!(
            err.message()
                .contains("`dfinery check --init --registry '/ws/app/my reg'\\''s.toml'`"),
            "{}",
            err.message()
        );
    }

    #[test]
    fn the_crate_directory_comes_before_the_workspace_root() {
        let both = |_: &Path| Entry::File;
        let root = Path::new("/ws");
        assert_eq!(
            locate(&search(None, None, Some(root), &both)).unwrap().0,
            PathBuf::from("/ws/app/dfinery.toml")
        );
        let only_root = |p: &Path| file_if(p == Path::new("/ws/dfinery.toml"));
        assert_eq!(
            locate(&search(None, None, Some(root), &only_root))
                .unwrap()
                .0,
            PathBuf::from("/ws/dfinery.toml")
        );
    }

    #[test]
    fn not_found_lists_every_place_and_the_fix() {
        let none = |_: &Path| Entry::Missing;
        let err = locate(&search(None, None, Some(Path::new("/ws")), &none)).unwrap_err();
        assert_eq!(
            err.message(),
            "no registry file found (looked for `/ws/app/dfinery.toml` and `/ws/dfinery.toml`); create one with `dfinery check --init`, or point to it with `#[dfinery(registry = \"path\")]` or the `DFINERY_REGISTRY` env var"
        );
    }

    /// A directory or a FIFO named as the registry is said to be one, with its path, not to
    /// "not exist". The FIFO is never opened (opening one waits for a writer, which would hang
    /// the build): the check is made on another thread and must answer within 30 s.
    #[cfg(unix)]
    #[test]
    fn a_directory_or_a_fifo_named_as_the_registry_is_said_to_be_one_without_opening_it() {
        let dir = std::env::temp_dir().join(format!("dfinery-derive-kind-{}", std::process::id()));
        let folder = dir.join("registry");
        let fifo = dir.join("fifo.toml");
        std::fs::create_dir_all(&folder).unwrap();
        let made = std::process::Command::new("mkfifo")
            .arg(&fifo)
            .status()
            .expect("mkfifo runs");
        assert!(made.success(), "mkfifo {}", fifo.display());
        let (tx, rx) = std::sync::mpsc::channel();
        let paths = (folder.clone(), fifo.clone());
        std::thread::spawn(move || {
            let message = |path: &Path| {
                let attribute = LitStr::new(path.to_str().unwrap(), Span::call_site());
                let mut errors = Errors::new();
                let ident = Ident::new("Registry", Span::call_site());
                let loaded = load(Some(&attribute), &ident, &mut errors);
                assert!(loaded.is_none(), "{} is no registry", path.display());
                errors
                    .into_error()
                    .map(|e| e.to_string())
                    .unwrap_or_default()
            };
            let _ = tx.send((message(&paths.0), message(&paths.1)));
        });
        let (for_folder, for_fifo) = rx
            .recv_timeout(std::time::Duration::from_secs(30))
            .expect("the derive answers without waiting on the FIFO");
        std::fs::remove_dir_all(&dir).unwrap();
        assert_eq!(
            for_folder,
            format!(
                "registry file `{}` (named by `#[dfinery(registry = \"...\")]`) is a directory, not a file; give the path of the registry file in it, e.g. `{}`",
                folder.display(),
                folder.join("dfinery.toml").display()
            )
        );
        assert_eq!(
            for_fifo,
            format!(
                "registry file `{}` (named by `#[dfinery(registry = \"...\")]`) is a FIFO (named pipe), not a regular file, and the registry is read from a regular file only; give the path of your `dfinery.toml` (a relative path starts at `CARGO_MANIFEST_DIR`)",
                fifo.display()
            )
        );
    }

    /// A searched `dfinery.toml` that is not a regular file is passed over, as before, and the
    /// error when nothing is found says what it is.
    #[test]
    fn a_searched_place_holding_a_directory_says_so_when_nothing_is_found() {
        let folder = |p: &Path| {
            if p == Path::new("/ws/app/dfinery.toml") {
                Entry::Directory
            } else {
                Entry::Missing
            }
        };
        let err = locate(&search(None, None, Some(Path::new("/ws")), &folder)).unwrap_err();
        assert!(
            err.message().starts_with(
                "no registry file found (looked for `/ws/app/dfinery.toml` (a directory) and `/ws/dfinery.toml`); "
            ),
            "{}",
            err.message()
        );
        let fifo = |p: &Path| {
            if p == Path::new("/ws/app/dfinery.toml") {
                Entry::Fifo
            } else {
                Entry::File
            }
        };
        assert_eq!(
            locate(&search(None, None, Some(Path::new("/ws")), &fifo)),
            Ok((PathBuf::from("/ws/dfinery.toml"), Source::Search))
        );
    }

    /// A registry the compiler cannot name by a UTF-8 string is one error saying what to do,
    /// not the compiler's errors about the generated `option_env!` and `include_bytes!`.
    #[cfg(unix)]
    #[test]
    fn a_registry_named_by_a_path_that_is_not_utf8_is_refused_with_the_fix() {
        use std::os::unix::ffi::OsStrExt;
        let bad = OsStr::from_bytes(b"/ws/d\xffir/dfinery.toml");
        let good = Path::new("/ws/app/dfinery.toml");
        let env = untrackable(Some(bad), good).unwrap();
        assert!(
            env.starts_with(
                "`DFINERY_REGISTRY` is not valid UTF-8 (`/ws/d\u{FFFD}ir/dfinery.toml`)"
            ) && env.ends_with("set it to a UTF-8 path"),
            "{env}"
        );
        let path = untrackable(None, Path::new(bad)).unwrap();
        assert!(path.ends_with("move it to a UTF-8 path"), "{path}");
        assert_eq!(untrackable(Some(good.as_os_str()), good), None);
        assert_eq!(untrackable(None, good), None);
    }

    /// More problems than are shown: the advice to list them all names the file itself (it said
    /// `dfinery check --registry <this file>`, a placeholder to copy into a shell).
    #[test]
    fn the_advice_to_list_a_broken_registrys_other_problems_names_the_file() {
        let dir = std::env::temp_dir().join(format!(
            "dfinery-derive-more problems-{}",
            std::process::id()
        ));
        std::fs::create_dir_all(&dir).unwrap();
        let path = dir.join("dfinery.toml");
        let text: String = (0..MAX_SHOWN_PROBLEMS + 2)
            .map(|i| format!("[events.e{i}]\nproperties.p = \"strng\"\n"))
            .collect();
        std::fs::write(&path, text).unwrap();
        let path = path.canonicalize().unwrap();
        let attribute = LitStr::new(path.to_str().unwrap(), Span::call_site());
        let mut errors = Errors::new();
        let loaded = load(
            Some(&attribute),
            &Ident::new("MoreProblems", Span::call_site()),
            &mut errors,
        );
        assert!(loaded.is_none());
        let messages: Vec<String> = errors
            .into_error()
            .expect("a broken registry fails")
            .into_iter()
            .map(|e| e.to_string())
            .collect();
        let last = messages.last().unwrap();
        assert_eq!(
            *last,
            format!(
                "invalid registry file: {} has 2 more problems; run `dfinery check --registry {}` to list them all",
                path.display(),
                shell_quoted(&path)
            ),
            "{messages:?}"
        );
        assert!(
            shell_quoted(&path).starts_with('\''),
            "a path with a space is quoted"
        );
        std::fs::remove_dir_all(&dir).unwrap();
    }

    /// The problems of a broken registry are listed by the first type of a crate that derives
    /// from it; the other types of that crate fail with one error naming it. The same type
    /// expanded again (rust-analyzer does after each edit), another crate, or the file changed
    /// gets the full list again.
    #[test]
    fn a_broken_registry_is_listed_once_per_crate_and_named_by_the_other_types() {
        let dir = std::env::temp_dir().join(format!("dfinery-derive-once-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let path = dir.join("dfinery.toml");
        std::fs::write(&path, "[events.e]\nproperties.p = \"strng\"\n").unwrap();
        let path = path.canonicalize().unwrap();
        let report = |ty: &str| {
            let attribute = LitStr::new(path.to_str().unwrap(), Span::call_site());
            let mut errors = Errors::new();
            let loaded = load(
                Some(&attribute),
                &Ident::new(ty, Span::call_site()),
                &mut errors,
            );
            assert!(loaded.is_none(), "a broken registry loads nothing");
            let error = errors.into_error().expect("every type fails");
            error.into_iter().map(|e| e.to_string()).collect::<Vec<_>>()
        };
        let full = report("Login");
        assert_eq!(full.len(), 1, "{full:?}");
        assert!(full[0].contains("unknown type `strng`"), "{full:?}");
        let short = report("Signup");
        assert_eq!(
            short,
            [format!(
                "invalid registry file: {} has 1 problem, listed at `Login` (the first type of this crate that derives from it); fix them, or run `dfinery check --registry {}` to list them all",
                path.display(),
                shell_quoted(&path)
            )]
        );
        assert_eq!(report("Login"), full, "the first type expanded again");
        assert_eq!(report("Order"), short);

        let other_crate = Reporter {
            path: path.clone(),
            crate_key: "/elsewhere\0other".into(),
            ty: "Order".into(),
        };
        assert_eq!(
            first_reporter(&other_crate),
            None,
            "another crate lists them"
        );

        // A changed file (a different length) is reported in full again, by whoever comes first.
        std::fs::write(&path, "[events.e]\nproperties.q = \"strng\"  \n").unwrap();
        let changed = report("Order");
        assert!(changed[0].contains("unknown type `strng`"), "{changed:?}");
        assert!(report("Login")[0].contains("listed at `Order`"));
        std::fs::remove_dir_all(&dir).unwrap();
    }

    #[test]
    fn the_cache_sees_a_changed_file() {
        let dir = std::env::temp_dir().join(format!("dfinery-derive-cache-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let path = dir.join("dfinery.toml");
        std::fs::write(&path, "standard_events = [\"df_login\"]\n").unwrap();
        let first = parse_cached(&path);
        assert!(first.as_ref().as_ref().unwrap().event("df_login").is_some());
        assert!(
            Arc::ptr_eq(&first, &parse_cached(&path)),
            "an unchanged file is parsed once"
        );
        // A different length is a change even within the clock's resolution.
        std::fs::write(&path, "standard_events = [\"df_login\", \"df_logout\"]\n").unwrap();
        let second = parse_cached(&path);
        assert!(
            second
                .as_ref()
                .as_ref()
                .unwrap()
                .event("df_logout")
                .is_some()
        );
        std::fs::remove_dir_all(&dir).unwrap();
    }
}
