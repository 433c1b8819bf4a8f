//! Writing an export to a file atomically: the CSV goes to a temporary file beside the
//! destination, is checked row by row as it is written, and is renamed into place only once
//! the whole body arrived intact. An interrupted export never leaves a file that looks
//! complete.

use std::path::{Path, PathBuf};
use std::time::{SystemTime, UNIX_EPOCH};

use bytes::Bytes;
use futures_util::stream::{Stream, StreamExt};
use tokio::io::AsyncWriteExt;

use super::error::ExportError;
use super::parse::{Progress, RowReader};
use crate::client::Error;

/// An export written to a file.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct ExportFile {
    /// Where it was written.
    pub path: PathBuf,
    /// The data rows it holds (the header row not counted).
    pub rows: u64,
    /// Its size in bytes.
    pub bytes: u64,
}

/// Removes the temporary file unless the write finished (also when the future is dropped).
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

impl ExportFile {
    /// Saves an export's CSV body (e.g. the [`ByteStream`](crate::client::ByteStream) of
    /// [`Client::export_events`](crate::Client::export_events)) to `path` atomically, replacing
    /// any file there: the body goes to a temporary file beside `path`
    /// (`.<name>.<pid>-<n>.partial`) and is checked row by row as it passes (the same checks
    /// as decoding), and the temporary file is synced and renamed into place only once the whole
    /// body arrived intact. `progress` is called after each chunk with the file so far (rows
    /// and bytes written), e.g. to draw a progress bar.
    ///
    /// [`Client::export_events_to_file`](crate::Client::export_events_to_file) is this with no
    /// progress, its temporary file made before the export is asked for (a destination that
    /// cannot be written costs no export).
    ///
    /// # Errors
    ///
    /// [`ExportError::File`] when the file cannot be written, and the errors of reading rows:
    /// a body that breaks off ([`ExportError::Interrupted`]), ends inside a row, carries a
    /// server error or has a malformed row. On any error (or if the future is dropped before
    /// the final rename) the temporary file is removed and a file already at `path` is left
    /// untouched. Dropped after the rename (while the folder is synced), `path` holds the whole
    /// export: the rename is not awaited, so it has happened or not by the time of the drop.
    pub async fn save<S>(
        body: S,
        path: impl AsRef<Path>,
        progress: impl FnMut(&ExportFile),
    ) -> Result<ExportFile, ExportError>
    where
        S: Stream<Item = Result<Bytes, Error>>,
    {
        Destination::open(path.as_ref())
            .await?
            .write(body, progress)
            .await
    }
}

/// The temporary file of an export, made beside its destination before the body is read (and,
/// by the client's calls, before the export is asked for: a destination that cannot be written
/// must not cost one of DFINERY's 100 exports an hour). Dropped before
/// [`write`](Self::write) finished, it is removed.
pub(crate) struct Destination {
    path: PathBuf,
    partial: Partial,
    file: tokio::fs::File,
}

impl Destination {
    /// Makes the temporary file beside `path`.
    ///
    /// # Errors
    ///
    /// [`ExportError::File`] when `path` is a folder or no file can be made beside it.
    pub(crate) async fn open(path: &Path) -> Result<Destination, ExportError> {
        let file_error = |source| ExportError::File {
            path: path.to_owned(),
            source,
        };
        // A folder at `path` would refuse the final rename: say so before the body is read,
        // not after the whole export has been downloaded.
        if tokio::fs::metadata(path).await.is_ok_and(|m| m.is_dir()) {
            return Err(file_error(std::io::Error::new(
                std::io::ErrorKind::IsADirectory,
                format!(
                    "it is a folder; give the path of a file in it, e.g. `{}`",
                    path.join("export.csv").display()
                ),
            )));
        }
        let partial_path = partial_path(path).map_err(file_error)?;
        let mut options = tokio::fs::OpenOptions::new();
        options.write(true).create_new(true);
        // Readable by its owner only while it is written: an export of user ids must not be
        // readable by other users of the machine before the mode of the file it replaces (or
        // the default mode of a new file) is given to it at the end.
        #[cfg(unix)]
        options.mode(0o600);
        let file = options.open(&partial_path).await.map_err(file_error)?;
        Ok(Destination {
            path: path.to_owned(),
            partial: Partial {
                path: partial_path,
                keep: false,
            },
            file,
        })
    }

    /// Writes `body` into the temporary file, checking it row by row, and renames the file
    /// into place once the whole body arrived intact (see [`ExportFile::save`]).
    ///
    /// # Errors
    ///
    /// As [`ExportFile::save`].
    pub(crate) async fn write<S>(
        self,
        body: S,
        mut progress: impl FnMut(&ExportFile),
    ) -> Result<ExportFile, ExportError>
    where
        S: Stream<Item = Result<Bytes, Error>>,
    {
        let Destination {
            path,
            mut partial,
            mut file,
        } = self;
        let path = path.as_path();
        let file_error = |source| ExportError::File {
            path: path.to_owned(),
            source,
        };
        let mut reader = RowReader::new();
        let mut so_far = ExportFile {
            path: path.to_owned(),
            rows: 0,
            bytes: 0,
        };
        let mut body = std::pin::pin!(body);
        while let Some(chunk) = body.next().await {
            let chunk = chunk.map_err(|source| reader.interrupted(source))?;
            reader.push(&chunk);
            check_rows(&mut reader)?;
            file.write_all(&chunk).await.map_err(file_error)?;
            so_far.bytes += chunk.len() as u64;
            so_far.rows = reader.rows();
            progress(&so_far);
        }
        reader.end();
        check_rows(&mut reader)?;
        file.flush().await.map_err(file_error)?;
        // A file replaced keeps its permissions: an export of user ids kept readable by its
        // owner only (0600) must not become readable by all with the default mode.
        if let Ok(existing) = tokio::fs::metadata(path).await
            && existing.is_file()
        {
            file.set_permissions(existing.permissions())
                .await
                .map_err(file_error)?;
        } else {
            #[cfg(unix)]
            {
                use std::os::unix::fs::PermissionsExt;
                file.set_permissions(std::fs::Permissions::from_mode(default_mode()))
                    .await
                    .map_err(file_error)?;
            }
        }
        file.sync_all().await.map_err(file_error)?;
        drop(file);
        // On this thread, not awaited: a caller that drops the save (a Ctrl-C) then knows the
        // file at `path` was replaced exactly when it was dropped after this point. An
        // awaited rename runs on a blocking thread, and could still happen after the drop.
        std::fs::rename(&partial.path, path).map_err(file_error)?;
        partial.keep = true;
        sync_parent(path).await;
        so_far.rows = reader.rows();
        progress(&so_far);
        Ok(so_far)
    }
}

/// Reads every complete row in `reader`, which checks it.
fn check_rows(reader: &mut RowReader) -> Result<(), ExportError> {
    while reader.advance_row()? == Progress::Ready {}
    Ok(())
}

/// `.<name>.<pid>-<nanos>.partial` beside `path`.
fn partial_path(path: &Path) -> std::io::Result<PathBuf> {
    let name = path.file_name().ok_or_else(|| {
        std::io::Error::new(
            std::io::ErrorKind::InvalidInput,
            "the path has no file name; give a file path such as `events.csv`",
        )
    })?;
    let nanos = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| d.as_nanos());
    let mut partial = std::ffi::OsString::from(".");
    partial.push(name);
    partial.push(format!(".{}-{nanos}.partial", std::process::id()));
    Ok(path.with_file_name(partial))
}

/// Makes the rename durable where the platform allows it (best effort).
async fn sync_parent(path: &Path) {
    #[cfg(unix)]
    if let Some(parent) = path.parent() {
        let parent = if parent.as_os_str().is_empty() {
            Path::new(".")
        } else {
            parent
        };
        if let Ok(dir) = tokio::fs::File::open(parent).await {
            let _ = dir.sync_all().await;
        }
    }
    #[cfg(not(unix))]
    let _ = path;
}

/// The mode a new file gets from `open` with the default `0o666`: less the process's umask,
/// read from `/proc/self/status` (Linux); `0o644` where it cannot be read (the umask `022` of
/// most systems).
#[cfg(unix)]
fn default_mode() -> u32 {
    let umask = std::fs::read_to_string("/proc/self/status")
        .ok()
        .and_then(|status| {
            status
                .lines()
                .find_map(|line| line.strip_prefix("Umask:"))
                .and_then(|value| u32::from_str_radix(value.trim(), 8).ok())
        })
        .unwrap_or(0o022);
    0o666 & !umask
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_partial_file_sits_beside_the_destination() {
        let partial = partial_path(Path::new("/tmp/out/events.csv")).unwrap();
        assert_eq!(partial.parent(), Some(Path::new("/tmp/out")));
        let name = partial.file_name().unwrap().to_string_lossy().into_owned();
        assert!(
            name.starts_with(".events.csv.") && name.ends_with(".partial"),
            "{name}"
        );
        assert!(partial_path(Path::new("/")).is_err());
    }

    #[tokio::test]
    async fn a_folder_as_the_destination_is_refused_before_the_body_is_read() {
        // The whole export was downloaded, then the rename onto the folder failed.
        let folder = std::env::temp_dir();
        let body =
            futures_util::stream::poll_fn(|_| -> std::task::Poll<Option<Result<Bytes, Error>>> {
                panic!("the body must not be read")
            });
        let error = ExportFile::save(body, &folder, |_| {}).await.unwrap_err();
        let ExportError::File { path, source } = &error else {
            panic!("{error:?}");
        };
        assert_eq!(path, &folder);
        assert_eq!(source.kind(), std::io::ErrorKind::IsADirectory);
        assert!(
            source
                .to_string()
                .starts_with("it is a folder; give the path of a file in it"),
            "{source}"
        );
    }
}
