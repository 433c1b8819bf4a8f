//! [`ExportReader`]: a saved export (a file, any `io::Read`) decoded row by row, blocking, with
//! the same checks and typed decoding as a streamed export.

use std::fs::File;
use std::io::Read;
use std::path::Path;

use super::decode::{DecodeEvent, DecodeProfile};
use super::error::ExportError;
use super::group::EventGroup;
use super::header::Header;
use super::meta::{ExportedEvent, ExportedProfile};
use super::parse::{Progress, RowReader};
use super::row::ExportRow;
use super::typed::{EventDecoder, ProfileDecoder};

/// How much is read from the source at a time.
const READ_SIZE: usize = 64 * 1024;

type Step = fn(&mut RowReader) -> Result<Progress, ExportError>;

/// The rows of a saved export, read from `R` in pieces: the header is read when this is made,
/// then rows one at a time, gathered by event, or decoded into typed structs.
///
/// ```
/// use dfinery_core::export::ExportReader;
///
/// let csv = "df_unified_id,df_name\r\nu1,\"Hong, Gildong\"\r\nu2,\r\n";
/// let mut reader = ExportReader::new(csv.as_bytes())?;
/// let row = reader.next_row()?.expect("a row");
/// assert_eq!(row.string("df_name")?.as_deref(), Some("Hong, Gildong"));
/// let row = reader.next_row()?.expect("a row");
/// assert_eq!(row.string("df_name")?, None);
/// assert!(reader.next_row()?.is_none());
/// # Ok::<(), dfinery_core::export::ExportError>(())
/// ```
pub struct ExportReader<R> {
    source: R,
    reader: RowReader,
}

impl ExportReader<File> {
    /// Opens the export saved at `path`.
    ///
    /// # Errors
    ///
    /// [`ExportError::Read`] when the file cannot be opened or read, or any error of
    /// [`new`](Self::new).
    pub fn open(path: impl AsRef<Path>) -> Result<Self, ExportError> {
        ExportReader::new(File::open(path).map_err(ExportError::Read)?)
    }
}

impl<R: Read> ExportReader<R> {
    /// Reads the header row of `source`.
    ///
    /// # Errors
    ///
    /// [`ExportError::Read`], or an error when the CSV ends before its header row is complete.
    pub fn new(source: R) -> Result<Self, ExportError> {
        let mut reader = ExportReader {
            source,
            reader: RowReader::new(),
        };
        if !reader.advance(RowReader::advance_header)? {
            return Err(ExportError::Truncated {
                rows: 0,
                reason: "it stops before its header row".to_owned(),
            });
        }
        Ok(reader)
    }

    /// The header row.
    pub fn header(&self) -> &Header {
        self.reader.header()
    }

    /// The data rows read so far.
    pub fn rows_read(&self) -> u64 {
        self.reader.rows()
    }

    /// The next row; `None` after the last.
    ///
    /// # Errors
    ///
    /// An [`ExportError`] when reading fails or the CSV is malformed, cut off or carries an
    /// error.
    pub fn next_row(&mut self) -> Result<Option<ExportRow<'_>>, ExportError> {
        if self.advance(RowReader::advance_row)? {
            Ok(self.reader.row())
        } else {
            Ok(None)
        }
    }

    /// The rows of the next event (one per item); `None` after the last.
    ///
    /// # Errors
    ///
    /// As [`next_row`](Self::next_row).
    pub fn next_event(&mut self) -> Result<Option<EventGroup<'_>>, ExportError> {
        if self.advance(RowReader::advance_event)? {
            Ok(self.reader.group())
        } else {
            Ok(None)
        }
    }

    /// The events of type `T` with their system columns, as an iterator; other events are
    /// skipped.
    ///
    /// # Errors
    ///
    /// [`ExportError::MissingColumns`] when the header lacks columns `T` needs.
    pub fn events<T: DecodeEvent>(self) -> Result<EventIter<R, T>, ExportError> {
        let decoder = EventDecoder::new(self.header())?;
        Ok(EventIter {
            reader: self,
            decoder,
        })
    }

    /// The user profiles decoded into `T`, as an iterator.
    ///
    /// # Errors
    ///
    /// [`ExportError::MissingColumns`] when the header lacks columns `T` needs.
    pub fn profiles<T: DecodeProfile>(self) -> Result<ProfileIter<R, T>, ExportError> {
        let decoder = ProfileDecoder::new(self.header())?;
        Ok(ProfileIter {
            reader: self,
            decoder,
        })
    }

    /// Runs `step` until it is ready or done, reading as it needs.
    fn advance(&mut self, step: Step) -> Result<bool, ExportError> {
        loop {
            match step(&mut self.reader)? {
                Progress::Ready => return Ok(true),
                Progress::Done => return Ok(false),
                Progress::NeedInput if self.reader.is_ended() => {
                    self.reader.fail();
                    return Ok(false);
                }
                Progress::NeedInput => {}
            }
            match self.reader.read_from(&mut self.source, READ_SIZE) {
                Ok(0) => self.reader.end(),
                Ok(_) => {}
                Err(error) if error.kind() == std::io::ErrorKind::Interrupted => {}
                Err(error) => {
                    self.reader.fail();
                    return Err(ExportError::Read(error));
                }
            }
        }
    }
}

impl<R> std::fmt::Debug for ExportReader<R> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ExportReader")
            .field("header", self.reader.header())
            .field("rows_read", &self.reader.rows())
            .finish_non_exhaustive()
    }
}

/// The events of one type in a saved export: an iterator of [`ExportedEvent<T>`].
pub struct EventIter<R, T> {
    reader: ExportReader<R>,
    decoder: EventDecoder<T>,
}

impl<R: Read, T: DecodeEvent> Iterator for EventIter<R, T> {
    type Item = Result<ExportedEvent<T>, ExportError>;

    fn next(&mut self) -> Option<Self::Item> {
        loop {
            let group = match self.reader.next_event() {
                Err(error) => return Some(Err(error)),
                Ok(None) => return None,
                Ok(Some(group)) => group,
            };
            match self.decoder.decode(&group) {
                Ok(Some(event)) => return Some(Ok(event)),
                Ok(None) => {}
                Err(error) => return Some(Err(error)),
            }
        }
    }
}

/// The user profiles of a saved export: an iterator of [`ExportedProfile<T>`].
pub struct ProfileIter<R, T> {
    reader: ExportReader<R>,
    decoder: ProfileDecoder<T>,
}

impl<R: Read, T: DecodeProfile> Iterator for ProfileIter<R, T> {
    type Item = Result<ExportedProfile<T>, ExportError>;

    fn next(&mut self) -> Option<Self::Item> {
        match self.reader.next_row() {
            Err(error) => Some(Err(error)),
            Ok(None) => None,
            Ok(Some(row)) => Some(self.decoder.decode(&row)),
        }
    }
}

impl<R, T> std::fmt::Debug for EventIter<R, T> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("EventIter")
            .field("reader", &self.reader)
            .finish_non_exhaustive()
    }
}

impl<R, T> std::fmt::Debug for ProfileIter<R, T> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ProfileIter")
            .field("reader", &self.reader)
            .finish_non_exhaustive()
    }
}
