//! [`Entry`]: what is at a path, read from its metadata alone, so that what cannot be read as a
//! registry is refused before any open. The derive refuses a FIFO too (opening one waits for a
//! writer, and a build must never wait on one); [`Registry::read_source`](crate::Registry::read_source)
//! reads one, as a shell's process substitution (`--registry <(git show main:dfinery.toml)`)
//! passes a pipe, and refuses sockets and devices.

use std::path::Path;

/// What is at a path, read from its metadata: nothing is opened, so a FIFO there cannot block
/// the compiler.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum Entry {
    /// Nothing (or nothing whose metadata can be read).
    Missing,
    /// A regular file, or a symbolic link to one: the only kind read as a registry.
    File,
    /// A directory.
    Directory,
    /// A FIFO (named pipe), or the pipe a shell's `<(…)` names: reading it waits for a writer.
    Fifo,
    /// Anything else, which cannot be read as a registry file: what it is, e.g. `a socket` (a
    /// FIFO is [`Fifo`](Entry::Fifo)).
    Special(&'static str),
}

impl Entry {
    /// How a message names what is there, e.g. `a directory`.
    pub fn what(self) -> &'static str {
        match self {
            Entry::Missing => "missing",
            Entry::File => "a regular file",
            Entry::Directory => "a directory",
            Entry::Fifo => "a FIFO (named pipe)",
            Entry::Special(kind) => kind,
        }
    }

    /// What is at `path`, following symbolic links, from its metadata only.
    pub fn at(path: &Path) -> Entry {
        match std::fs::metadata(path) {
            Err(_) => Entry::Missing,
            Ok(meta) if meta.is_file() => Entry::File,
            Ok(meta) if meta.is_dir() => Entry::Directory,
            Ok(meta) if is_fifo(&meta.file_type()) => Entry::Fifo,
            Ok(meta) => Entry::Special(special_kind(&meta.file_type())),
        }
    }
}

/// What a file that is neither a regular file nor a directory is, for a message.
#[cfg(unix)]
fn special_kind(kind: &std::fs::FileType) -> &'static str {
    use std::os::unix::fs::FileTypeExt as _;
    if kind.is_socket() {
        "a socket"
    } else if kind.is_block_device() || kind.is_char_device() {
        "a device"
    } else {
        "a special file"
    }
}

/// What a file that is neither a regular file nor a directory is, for a message.
#[cfg(not(unix))]
fn special_kind(_: &std::fs::FileType) -> &'static str {
    "a special file"
}

/// Whether a file is a FIFO (named pipe).
#[cfg(unix)]
fn is_fifo(kind: &std::fs::FileType) -> bool {
    use std::os::unix::fs::FileTypeExt as _;
    kind.is_fifo()
}

/// Whether a file is a FIFO (named pipe): never, off Unix.
#[cfg(not(unix))]
fn is_fifo(_: &std::fs::FileType) -> bool {
    false
}
