//! Reading the registry file and showing its problems the way a compiler does: the message,
//! `path:line:column`, the line itself and a caret under the offending key or value.

use std::fmt::Write as _;
use std::path::{Path, PathBuf};

use dfinery_schema::entry::Entry;
use dfinery_schema::search;
use dfinery_schema::{Diagnostic, Registry, RegistryError};

use crate::exit::CliError;

/// A registry file read from disk: its text, and the registry or every problem in it.
#[derive(Debug)]
pub struct Loaded {
    /// The file's text.
    pub source: String,
    /// The registry, or every problem with its position.
    pub result: Result<Registry, RegistryError>,
    /// For a valid file: what DFINERY accepts but is best changed (a deprecated standard
    /// name), with its position.
    pub warnings: Vec<Diagnostic>,
}

/// The registry file a command reads when `--registry` is not given and [`search`] finds
/// none: `dfinery.toml` in the working folder.
pub const DEFAULT: &str = search::FILE_NAME;

/// The registry a command that can do without one reads: `given` (`--registry` or
/// `DFINERY_REGISTRY`), else the one [`search`] finds, else none.
pub fn given_or_default(given: Option<&Path>) -> Option<PathBuf> {
    given.map(Path::to_owned).or_else(search)
}

/// The registry a command that needs one reads: `given`, else the one [`search`] finds, else
/// [`DEFAULT`] (whose absence the read reports, with the command that creates one).
pub fn given_or_found(given: Option<&Path>) -> PathBuf {
    given_or_default(given).unwrap_or_else(|| PathBuf::from(DEFAULT))
}

/// The registry file found where the derives find theirs: `dfinery.toml` in the working
/// folder, else in the folder of the crate the working folder is in (the nearest with a
/// `Cargo.toml`), else in that workspace's root; given relative to the working folder
/// (`../dfinery.toml`), as messages show it.
pub fn search() -> Option<PathBuf> {
    let here = std::env::current_dir().ok()?;
    let mut folders = vec![here.clone()];
    folders.extend(search::crate_root(&here));
    folders.extend(search::workspace_root(&here));
    folders
        .into_iter()
        .find(|folder| Entry::at(&folder.join(DEFAULT)) == Entry::File)
        .map(|folder| {
            // An ancestor of `here`: one `..` per folder between them.
            let up = here
                .strip_prefix(&folder)
                .map_or(0, |below| below.components().count());
            std::iter::repeat_n(Path::new(".."), up)
                .collect::<PathBuf>()
                .join(DEFAULT)
        })
}

/// Reads and parses the registry at `path`.
///
/// # Errors
///
/// A configuration error when the file cannot be read (it names the command that creates
/// one).
pub fn read(path: &Path) -> Result<Loaded, CliError> {
    // From the metadata alone: a socket or a device is never opened.
    let entry = Entry::at(path);
    match entry {
        Entry::Directory => {
            return Err(CliError::config(format!(
                "the registry `{}` is a folder; give `--registry` the file, e.g. `{}`",
                path.display(),
                path.join("dfinery.toml").display()
            )));
        }
        Entry::Special(kind) => {
            return Err(CliError::config(format!(
                "the registry `{}` is {kind}, and the registry is read from a regular file or a pipe only; give `--registry` the path of your `dfinery.toml`",
                path.display()
            )));
        }
        _ => {}
    }
    // A file that cannot be opened is a configuration error with its fix; one that can is
    // read as the derive reads it (at most 64 MiB, UTF-8), its problems shown as the file's.
    // A FIFO (a shell's `<(…)`) is opened once only, by the read: a second open would find
    // its writer gone.
    if entry != Entry::Fifo
        && let Err(err) = std::fs::File::open(path)
    {
        return Err(CliError::config(format!(
            "cannot read the registry `{}`: {err}{}",
            path.display(),
            open_fix(err.kind())
        )));
    }
    let source = match Registry::read_source(path) {
        Ok(source) => source,
        Err(err) => {
            return Ok(Loaded {
                source: String::new(),
                result: Err(err),
                warnings: Vec::new(),
            });
        }
    };
    let (result, warnings) = match Registry::parse_with_warnings(&source) {
        Ok((registry, warnings)) => (Ok(registry), warnings),
        Err(mut err) => {
            err.path = Some(path.to_owned());
            (Err(err), Vec::new())
        }
    };
    Ok(Loaded {
        source,
        result,
        warnings,
    })
}

/// Reads the registry at `path` for a command that needs a valid one: problems are a
/// configuration error listing each of them.
///
/// # Errors
///
/// A configuration error when the file cannot be read or has problems.
pub fn load(path: &Path) -> Result<Registry, CliError> {
    let loaded = read(path)?;
    loaded.result.map_err(|err| {
        let check = check_command(path);
        CliError::config(format!(
            "the registry `{}` has {}; run `{check}` for details\n{}",
            path.display(),
            problems(err.diagnostics.len()),
            err
        ))
    })
}

/// The `dfinery check` command that reads the registry at `path`: plain `dfinery check` reads
/// `dfinery.toml` (unless `DFINERY_REGISTRY` names another file), so another path is given
/// with `--registry`, quoted for a POSIX shell when it needs to be.
pub fn check_command(path: &Path) -> String {
    let plain = path == Path::new("dfinery.toml")
        && std::env::var_os("DFINERY_REGISTRY").is_none_or(|named| Path::new(&named) == path);
    if plain {
        "dfinery check".to_owned()
    } else {
        format!("dfinery check --registry {}", shell_quoted(path))
    }
}

pub(crate) use dfinery_schema::search::shell_quoted;

/// `1 problem`, `3 problems`.
pub fn problems(count: usize) -> String {
    if count == 1 {
        "1 problem".to_owned()
    } else {
        format!("{count} problems")
    }
}

/// One problem as a compiler shows it:
///
/// ```text
/// error: unknown type `strng` for property `code` of event `coupon_used`; did you mean `string`?
///   --> dfinery.toml:2:19
///    |
///  2 | properties.code = "strng"
///    |                   ^^^^^^^
/// ```
pub fn render(path: &Path, source: &Lines<'_>, diagnostic: &Diagnostic) -> String {
    render_as("error", path, source, diagnostic)
}

/// A warning shown like [`render`]'s problems, under `warning:`.
pub fn render_warning(path: &Path, source: &Lines<'_>, diagnostic: &Diagnostic) -> String {
    render_as("warning", path, source, diagnostic)
}

/// A registry's text with where each of its lines starts, found in one walk: showing each of
/// many problems then costs its own line, not a walk from the file's start to it (16,000
/// problems in a 16,000-line file took 24 s).
pub struct Lines<'a> {
    source: &'a str,
    /// The byte offset of each line's start; the first is 0.
    starts: Vec<usize>,
}

impl<'a> Lines<'a> {
    /// The lines of `source`.
    pub fn new(source: &'a str) -> Lines<'a> {
        let starts = std::iter::once(0)
            .chain(source.match_indices('\n').map(|(at, _)| at + 1))
            .collect();
        Lines { source, starts }
    }

    /// Line `number` (1-based) without its line end, as `str::lines` gives it: `None` past
    /// the last line (an empty text has none, and a final line end starts none).
    fn line(&self, number: usize) -> Option<&'a str> {
        let start = *self.starts.get(number.checked_sub(1)?)?;
        if start == self.source.len() {
            return None;
        }
        let end = self
            .starts
            .get(number)
            .map_or(self.source.len(), |&next| next);
        let text = &self.source[start..end];
        Some(
            text.strip_suffix('\n')
                .map_or(text, |text| text.strip_suffix('\r').unwrap_or(text)),
        )
    }
}

/// The most characters of a line a snippet shows: a longer line (a generated registry on one
/// line, say) is shown around the problem, cut at both ends with `…`.
const SNIPPET_CHARS: usize = 120;

/// How many characters before the problem a cut snippet keeps.
const SNIPPET_BEFORE: usize = 40;

fn render_as(kind: &str, path: &Path, lines: &Lines<'_>, diagnostic: &Diagnostic) -> String {
    let source = lines.source;
    let mut out = format!(
        "{kind}: {}\n  --> {}:{}:{}",
        diagnostic.message,
        path.display(),
        diagnostic.line,
        diagnostic.column
    );
    let Some(text) = lines.line(diagnostic.line) else {
        return out;
    };
    let number = diagnostic.line.to_string();
    let pad = " ".repeat(number.len());
    let start = diagnostic.column.saturating_sub(1);
    let line_chars = text.chars().count();
    let span_chars = source
        .get(diagnostic.span.clone())
        .map_or(1, |s| s.lines().next().unwrap_or("").chars().count())
        .clamp(1, line_chars.saturating_sub(start).max(1));
    // A long line is shown around the problem only: each of thousands of problems on one line
    // of megabytes would otherwise print the whole line.
    let (from, to) = if line_chars > SNIPPET_CHARS {
        let from = start.saturating_sub(SNIPPET_BEFORE).min(line_chars);
        (from, (from + SNIPPET_CHARS).min(line_chars))
    } else {
        (0, line_chars)
    };
    let span_chars = span_chars.min(to.saturating_sub(start)).max(1);
    // A tab before the column is kept as a tab under it, so the caret lines up wherever the
    // terminal puts its tab stops; a wide character (Hangul, CJK) takes two columns; another
    // control character (a bare carriage return, an escape) is shown as its escape, which
    // would otherwise move the cursor or colour the terminal.
    let mut shown = String::new();
    let mut indent = String::new();
    let mut carets = 0;
    if from > 0 {
        shown.push('…');
        indent.push(' ');
    }
    for (at, c) in text.chars().enumerate().skip(from).take(to - from) {
        let (width, escaped) = match c {
            '\t' => (1, None),
            c if c.is_control() => {
                let escaped: String = c.escape_debug().collect();
                (escaped.chars().count(), Some(escaped))
            }
            c => (columns(c), None),
        };
        match &escaped {
            Some(escaped) => shown.push_str(escaped),
            None => shown.push(c),
        }
        if at < start {
            match c {
                '\t' => indent.push('\t'),
                _ => indent.extend(std::iter::repeat_n(' ', width)),
            }
        } else if at < start + span_chars {
            carets += width;
        }
    }
    if to < line_chars {
        shown.push('…');
    }
    let _ = write!(
        out,
        "\n {pad} |\n {number} | {shown}\n {pad} | {indent}{}",
        "^".repeat(carets.max(1))
    );
    out
}

/// The terminal columns `c` takes: two for the East Asian wide and full-width characters a
/// registry's descriptions and enum values hold (Hangul, CJK ideographs and their punctuation,
/// kana, full-width forms, the common emoji), none for combining marks and zero-width
/// characters, one otherwise.
fn columns(c: char) -> usize {
    match u32::from(c) {
        0x0300..=0x036F | 0x200B..=0x200F | 0xFE00..=0xFE0F => 0,
        0x1100..=0x115F
        | 0x2E80..=0x303E
        | 0x3041..=0x33FF
        | 0x3400..=0x4DBF
        | 0x4E00..=0x9FFF
        | 0xA000..=0xA4CF
        | 0xA960..=0xA97F
        | 0xAC00..=0xD7A3
        | 0xF900..=0xFAFF
        | 0xFE30..=0xFE4F
        | 0xFF00..=0xFF60
        | 0xFFE0..=0xFFE6
        | 0x1F300..=0x1F64F
        | 0x1F900..=0x1F9FF
        | 0x20000..=0x3FFFD => 2,
        _ => 1,
    }
}

/// The fix for a registry file that could not be opened for `kind` (empty when there is none
/// to give).
fn open_fix(kind: std::io::ErrorKind) -> &'static str {
    match kind {
        std::io::ErrorKind::NotFound => {
            "; create one with `dfinery check --init` or point to it with `--registry`"
        }
        std::io::ErrorKind::PermissionDenied => {
            "; let the user this runs as read it (e.g. `chmod a+r` on it, and `a+x` on its folders), or point to a readable copy with `--registry`"
        }
        _ => "",
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_registry_that_may_not_be_read_is_told_how_to_let_it_be() {
        // It was "cannot read the registry `…`: Permission denied (os error 13)", no fix (the
        // tests run as root, so the kind is given here, not met on a file).
        let fix = open_fix(std::io::ErrorKind::PermissionDenied);
        assert!(fix.contains("chmod a+r"), "{fix}");
        assert!(open_fix(std::io::ErrorKind::NotFound).contains("dfinery check --init"));
        assert_eq!(open_fix(std::io::ErrorKind::Other), "");
    }

    #[test]
    fn lines_are_the_lines_str_lines_gives() {
        for text in [
            "",
            "\n",
            "a",
            "a\n",
            "a\nb",
            "a\r\nb\r\n",
            "a\r",
            "a\rb\n",
            "\n\nc",
            "a\r\n\r\n",
        ] {
            let lines = Lines::new(text);
            let expected: Vec<&str> = text.lines().collect();
            let got: Vec<&str> = (1..=expected.len() + 2)
                .map_while(|n| lines.line(n))
                .collect();
            assert_eq!(got, expected, "{text:?}");
            assert_eq!(lines.line(0), None);
        }
    }

    #[test]
    fn a_path_is_quoted_in_the_check_command_when_a_shell_needs_it() {
        assert_eq!(
            check_command(Path::new("conf/shop.toml")),
            "dfinery check --registry conf/shop.toml"
        );
        assert_eq!(
            check_command(Path::new("my registry/dfinery.toml")),
            "dfinery check --registry 'my registry/dfinery.toml'"
        );
        assert_eq!(shell_quoted(Path::new("it's.toml")), r"'it'\''s.toml'");
        assert_eq!(shell_quoted(Path::new("$HOME/a;b")), "'$HOME/a;b'");
    }

    #[test]
    fn a_problem_is_shown_with_its_line_and_a_caret_under_the_value() {
        let source = "[events.coupon_used]\nproperties.code = \"strng\"\n";
        let err = Registry::parse(source).unwrap_err();
        let shown = render(
            Path::new("dfinery.toml"),
            &Lines::new(source),
            &err.diagnostics[0],
        );
        assert_eq!(
            shown,
            "error: unknown type `strng` for property `code` of event `coupon_used`; did you mean `string`?\n  \
--> dfinery.toml:2:19\n   |\n 2 | properties.code = \"strng\"\n   |                   ^^^^^^^"
        );
    }

    #[test]
    fn the_caret_stays_under_the_value_after_wide_characters() {
        // `브론즈` and `실버` take ten columns on a terminal, not five.
        let source =
            "[user_properties]\ntier = { enum = [\"브론즈\", \"실버\"], type = \"strng\" }\n";
        let err = Registry::parse(source).unwrap_err();
        let shown = render(
            Path::new("dfinery.toml"),
            &Lines::new(source),
            &err.diagnostics[0],
        );
        let carets = shown.lines().last().unwrap();
        assert_eq!(carets, format!("   | {}^^^^^^^", " ".repeat(43)), "{shown}");
    }

    #[test]
    fn a_problem_under_wide_characters_gets_carets_as_wide_as_them() {
        let diagnostic = Diagnostic {
            line: 1,
            column: 5,
            span: 4..10,
            message: "m".into(),
        };
        assert_eq!(
            render(Path::new("r.toml"), &Lines::new("a = 등급\n"), &diagnostic),
            "error: m\n  --> r.toml:1:5\n   |\n 1 | a = 등급\n   |     ^^^^"
        );
    }

    #[test]
    fn a_long_line_is_shown_around_its_problem_not_whole() {
        // A generated registry on one line: 3,000 user properties, each with a wrong type. Each
        // problem showed the whole 51 KB line, 153 MB for the file.
        let mut source = String::from("user_properties = { ");
        for i in 0..3_000 {
            source.push_str(&format!("p{i:04} = \"strng\", "));
        }
        source.push_str("}\n");
        let err = Registry::parse(&source).unwrap_err();
        assert_eq!(err.diagnostics.len(), 3_000);
        let lines = Lines::new(&source);
        let mut total = 0;
        for (i, diagnostic) in err.diagnostics.iter().enumerate().step_by(997) {
            let shown = render(Path::new("dfinery.toml"), &lines, diagnostic);
            total += shown.len();
            let rows: Vec<&str> = shown.lines().collect();
            let (text, carets) = (rows[3], rows[4]);
            let start = &shown[..shown.len().min(400)];
            assert!(text.chars().count() < 200, "{start}");
            // The carets still sit under the value of this property (`…` takes one column).
            let at = carets.chars().position(|c| c == '^').unwrap();
            let text: Vec<char> = text.chars().collect();
            let under = |from: usize, to: usize| text[from..to].iter().collect::<String>();
            assert_eq!(under(at, at + 7), "\"strng\"", "{start}");
            assert_eq!(carets.trim_end().chars().skip(at).count(), 7, "{start}");
            let name = format!("p{i:04} = ");
            assert_eq!(under(at - name.len(), at), name, "{start}");
        }
        assert!(total < 2_000, "{total} bytes shown for 4 problems");
    }

    #[test]
    fn control_characters_of_a_line_are_shown_escaped_and_the_caret_counts_their_escape() {
        // A bare carriage return (TOML takes none outside a line end) sent the terminal back to
        // the line's start, so what followed it overwrote the snippet; an escape coloured it.
        let source = "standard_events = [\"df_login\"] # x\ry = 1\n";
        let err = Registry::parse(source).unwrap_err();
        let shown = render(
            Path::new("dfinery.toml"),
            &Lines::new(source),
            &err.diagnostics[0],
        );
        let rows: Vec<&str> = shown.lines().collect();
        assert_eq!(
            rows[3..],
            [
                " 1 | standard_events = [\"df_login\"] # x\\ry = 1",
                // The problem is reported just past the carriage return, under `y`.
                "   |                                     ^"
            ],
            "{shown}"
        );
    }

    #[test]
    fn a_problem_without_a_line_is_shown_without_a_snippet() {
        let diagnostic = Diagnostic {
            line: 9,
            column: 1,
            span: 0..0,
            message: "m".into(),
        };
        assert_eq!(
            render(Path::new("r.toml"), &Lines::new("a = 1\n"), &diagnostic),
            "error: m\n  --> r.toml:9:1"
        );
    }

    #[test]
    fn a_missing_file_names_the_command_that_creates_one() {
        let dir = tempfile::tempdir().unwrap();
        let err = read(&dir.path().join("missing/dfinery.toml")).unwrap_err();
        assert_eq!(err.exit, crate::exit::Exit::Config);
        assert!(err.message.contains("dfinery check --init"), "{err}");
    }
}
