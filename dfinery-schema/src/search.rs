//! Where a registry file is looked for when none is named: `dfinery.toml` in a crate's folder,
//! then in its workspace's root. The derives start from `CARGO_MANIFEST_DIR`, the CLI from its
//! working folder (which it looks in first), so both find the same file in a workspace whose
//! registry sits at its root.

use std::path::{Path, PathBuf};

/// The registry's file name, looked for in the crate's folder and the workspace's root.
pub const FILE_NAME: &str = "dfinery.toml";

/// `path` as a POSIX shell reads it back, for the commands the derives and the CLI print (such
/// as `dfinery check --init --registry PATH`): as it is when it holds only characters no shell
/// treats specially, else in single quotes (a `'` in it written `'\''`). A relative path
/// starting with `-` gets `./` before it, so the command does not read it as an option.
///
/// ```
/// use std::path::Path;
/// use dfinery_schema::search::shell_quoted;
///
/// assert_eq!(shell_quoted(Path::new("conf/shop.toml")), "conf/shop.toml");
/// assert_eq!(shell_quoted(Path::new("my conf/it's.toml")), r"'my conf/it'\''s.toml'");
/// assert_eq!(shell_quoted(Path::new("-x.ndjson")), "./-x.ndjson");
/// ```
pub fn shell_quoted(path: &Path) -> String {
    let mut text = path.display().to_string();
    if text.starts_with('-') {
        text.insert_str(0, "./");
    }
    let plain = !text.is_empty()
        && text
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || "_-./:@%+=,".contains(c));
    if plain {
        text
    } else {
        format!("'{}'", text.replace('\'', "'\\''"))
    }
}

/// The nearest ancestor of `dir` (itself included) whose `Cargo.toml` has a `[workspace]`
/// table: the workspace's root.
pub fn workspace_root(dir: &Path) -> Option<PathBuf> {
    dir.ancestors().find_map(|dir| {
        let text = std::fs::read_to_string(dir.join("Cargo.toml")).ok()?;
        declares_workspace(&text).then(|| dir.to_owned())
    })
}

/// The nearest ancestor of `dir` (itself included) holding a `Cargo.toml`: the folder of the
/// crate (or of the workspace) `dir` is in.
pub fn crate_root(dir: &Path) -> Option<PathBuf> {
    dir.ancestors()
        .find(|dir| dir.join("Cargo.toml").is_file())
        .map(Path::to_owned)
}

/// Whether a manifest has a `workspace` table: a `[workspace]` header (spaces and a comment
/// allowed, as TOML allows them) or a `[workspace.…]` one, which makes the table too.
pub fn declares_workspace(manifest: &str) -> bool {
    manifest.lines().any(|line| {
        let header: String = line
            .split('#')
            .next()
            .unwrap_or_default()
            .chars()
            .filter(|c| !c.is_whitespace())
            .collect();
        header == "[workspace]" || header.starts_with("[workspace.")
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A workspace header with a comment after it, spaces inside it, or only dotted tables
    /// still makes its directory the workspace root (the search otherwise walked past it, to
    /// an enclosing directory's workspace or to none).
    #[test]
    fn a_workspace_is_recognised_however_its_header_is_written() {
        for manifest in [
            "[workspace]\nmembers = [\"app\"]\n",
            "[workspace] # the service's crates\nmembers = [\"app\"]\n",
            "[ workspace ]\n",
            "[package]\nname = \"app\"\n\n[workspace.dependencies]\nserde = \"1\"\n",
        ] {
            assert!(declares_workspace(manifest), "{manifest}");
        }
        for manifest in [
            "[package]\nname = \"app\"\n",
            "[dependencies]\nworkspace-hack = \"1\"\n",
            "# [workspace]\n[package]\nname = \"app\"\n",
            "[package]\nworkspace = \"..\"\n",
        ] {
            assert!(!declares_workspace(manifest), "{manifest}");
        }
    }

    /// The crate's folder is the nearest with a `Cargo.toml`, the workspace's root the nearest
    /// whose `Cargo.toml` declares a workspace; neither is found outside any crate.
    #[test]
    fn the_crate_and_the_workspace_are_found_from_a_folder_inside_them() {
        let root = std::env::temp_dir().join(format!("dfinery-search-{}", std::process::id()));
        let inner = root.join("app").join("src").join("bin");
        std::fs::create_dir_all(&inner).unwrap();
        std::fs::write(
            root.join("Cargo.toml"),
            "[workspace]\nmembers = [\"app\"]\n",
        )
        .unwrap();
        std::fs::write(
            root.join("app").join("Cargo.toml"),
            "[package]\nname = \"app\"\n",
        )
        .unwrap();
        assert_eq!(crate_root(&inner), Some(root.join("app")));
        assert_eq!(workspace_root(&inner), Some(root.clone()));
        assert_eq!(crate_root(&root), Some(root.clone()));
        std::fs::remove_dir_all(&root).unwrap();
    }
}
