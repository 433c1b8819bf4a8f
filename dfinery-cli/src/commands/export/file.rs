//! Writing an export's CSV to a file atomically, with progress: the body goes to a temporary
//! file beside the destination while `dfinery-core`'s row reader checks it (a body that breaks
//! off, ends inside a row or carries a server error is an error), and the file is renamed into
//! place only once the whole body arrived intact.
//!
//! `Client::export_events_to_file` does the same without progress; this is that, with a bar in
//! bytes and rows.

use std::io::{self, BufWriter, Write};
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex, PoisonError};

use dfinery_core::ByteStream;
use dfinery_core::export::ExportRows;
use futures_util::StreamExt;
use indicatif::ProgressBar;

use super::export_error;
use crate::exit::CliError;

/// An export written to its file.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Written {
    /// The file.
    pub path: PathBuf,
    /// Data rows (the header not counted).
    pub rows: u64,
    /// Bytes.
    pub bytes: u64,
}

/// Removes the temporary file unless the export finished.
struct Partial {
    path: PathBuf,
    keep: bool,
}

impl Drop for Partial {
    fn drop(&mut self) {
        if !self.keep {
            let _ = std::fs::remove_file(&self.path);
        }
    }
}

/// The temporary file and the first error writing it.
struct Sink {
    file: Option<BufWriter<std::fs::File>>,
    error: Option<io::Error>,
}

impl Sink {
    fn write(&mut self, chunk: &[u8]) {
        if self.error.is_some() {
            return;
        }
        if let Some(file) = &mut self.file
            && let Err(err) = file.write_all(chunk)
        {
            self.error = Some(err);
        }
    }
}

/// Streams `body` into `path`, replacing any file there only on success; `bar` shows the bytes
/// (its position) and rows (its message).
///
/// # Errors
///
/// A configuration error when the file cannot be written, a network error when the body
/// breaks off, is malformed or carries an error. Nothing is left at `path` then.
pub async fn write(body: ByteStream, path: &Path, bar: &ProgressBar) -> Result<Written, CliError> {
    let file_error = |err: io::Error| {
        CliError::config(format!(
            "cannot write `{}`: {err}; nothing was written there",
            path.display()
        ))
    };
    let partial_path = partial_path(path).map_err(file_error)?;
    let file = std::fs::OpenOptions::new()
        .write(true)
        .create_new(true)
        .open(&partial_path)
        .map_err(file_error)?;
    let mut partial = Partial {
        path: partial_path.clone(),
        keep: false,
    };
    let sink = Arc::new(Mutex::new(Sink {
        file: Some(BufWriter::with_capacity(256 * 1024, file)),
        error: None,
    }));
    let bytes = Arc::new(AtomicU64::new(0));
    let tee = {
        let sink = Arc::clone(&sink);
        let bytes = Arc::clone(&bytes);
        let bar = bar.clone();
        body.map(move |chunk| {
            if let Ok(chunk) = &chunk {
                sink.lock()
                    .unwrap_or_else(PoisonError::into_inner)
                    .write(chunk);
                let total =
                    bytes.fetch_add(chunk.len() as u64, Ordering::Relaxed) + chunk.len() as u64;
                bar.set_position(total);
            }
            chunk
        })
    };
    let mut rows = ExportRows::from_stream(tee).await.map_err(export_error)?;
    while rows.next_row().await.map_err(export_error)?.is_some() {
        let read = rows.rows_read();
        if read % 512 == 1 {
            bar.set_message(format!("{read} rows"));
        }
    }
    let rows_read = rows.rows_read();
    bar.set_message(format!("{rows_read} rows"));
    drop(rows);
    let (file, error) = {
        let mut sink = sink.lock().unwrap_or_else(PoisonError::into_inner);
        (sink.file.take(), sink.error.take())
    };
    if let Some(err) = error {
        return Err(file_error(err));
    }
    if let Some(file) = file {
        let file = file.into_inner().map_err(|e| file_error(e.into_error()))?;
        file.sync_all().map_err(file_error)?;
    }
    std::fs::rename(&partial_path, path).map_err(file_error)?;
    partial.keep = true;
    sync_parent(path);
    Ok(Written {
        path: path.to_owned(),
        rows: rows_read,
        bytes: bytes.load(Ordering::Relaxed),
    })
}

/// `.<name>.dfinery-<pid>.partial` beside `path`.
fn partial_path(path: &Path) -> io::Result<PathBuf> {
    let name = path.file_name().ok_or_else(|| {
        io::Error::new(
            io::ErrorKind::InvalidInput,
            "the path has no file name; give a file path such as `events.csv`",
        )
    })?;
    let mut partial = std::ffi::OsString::from(".");
    partial.push(name);
    partial.push(format!(".dfinery-{}.partial", std::process::id()));
    Ok(path.with_file_name(partial))
}

/// Makes the rename durable where the platform allows it (best effort).
fn sync_parent(path: &Path) {
    #[cfg(unix)]
    if let Some(parent) = path.parent() {
        let parent = if parent.as_os_str().is_empty() {
            Path::new(".")
        } else {
            parent
        };
        if let Ok(dir) = std::fs::File::open(parent) {
            let _ = dir.sync_all();
        }
    }
    #[cfg(not(unix))]
    let _ = path;
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_partial_file_sits_hidden_beside_the_destination() {
        let partial = partial_path(Path::new("/tmp/out/events.csv")).unwrap();
        assert_eq!(partial.parent(), Some(Path::new("/tmp/out")));
        let name = partial.file_name().unwrap().to_string_lossy().into_owned();
        assert!(name.starts_with(".events.csv.dfinery-"), "{name}");
        assert!(partial_path(Path::new("/")).is_err());
    }
}
