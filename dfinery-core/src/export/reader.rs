//! [`ExportRows`]: an export's CSV decoded row by row as it is read, from any source: a body
//! streaming in from DFINERY ([`ByteStream`](crate::ByteStream), async) or a saved export (any
//! [`std::io::Read`], blocking). One reader drives the parser for both; only where the next
//! bytes come from differs ([`Source`]). The typed views on top ([`Events`], [`Profiles`]) are
//! a [`Stream`](futures_util::Stream) over a `ByteStream` and an [`Iterator`] over a `Read`.
//!
//! The body is never held whole: only the rows of the event being read are kept.

use std::io::Read;
use std::task::{Context, Poll, Waker};

use super::decode::{DecodeEvent, DecodeProfile};
use super::error::ExportError;
use super::group::EventGroup;
use super::header::Header;
use super::meta::{ExportedEvent, ExportedProfile};
use super::parse::{Progress, RowReader};
use super::row::ExportRow;
use super::typed::{EventDecoder, ProfileDecoder};

/// How much is read from a blocking source at a time.
const READ_SIZE: usize = 64 * 1024;

type Step = fn(&mut RowReader) -> Result<Progress, ExportError>;

/// Where an export's bytes come from: the one thing the blocking and the async reader do
/// differently. Implemented for every [`std::io::Read`] (never pending) and for
/// [`ByteStream`](crate::ByteStream).
pub(crate) trait Source {
    /// Pushes the next piece of the body into `reader` (or ends it). A failure is returned
    /// after `reader.fail()`, or handed to `reader.break_off()` when the rows received before
    /// it are still to be read (a body that broke off).
    fn poll_fill(
        &mut self,
        cx: &mut Context<'_>,
        reader: &mut RowReader,
    ) -> Poll<Result<(), ExportError>>;
}

impl<R: Read> Source for R {
    fn poll_fill(
        &mut self,
        _cx: &mut Context<'_>,
        reader: &mut RowReader,
    ) -> Poll<Result<(), ExportError>> {
        // Read straight into the parser's buffer: one copy of the body fewer than reading into
        // a buffer of our own and pushing it.
        loop {
            match reader.read_from(self, READ_SIZE) {
                Ok(0) => reader.end(),
                Ok(_) => {}
                Err(error) if error.kind() == std::io::ErrorKind::Interrupted => continue,
                Err(error) => {
                    reader.fail();
                    return Poll::Ready(Err(ExportError::Read(error)));
                }
            }
            return Poll::Ready(Ok(()));
        }
    }
}

/// The rows of an export, read from `S` as they are needed: the header is read when this is
/// made, then rows one at a time (`next_row`), gathered by event (`next_event`), or decoded into
/// typed structs ([`events`](Self::events), [`profiles`](Self::profiles)).
///
/// `S` is where the CSV comes from: a [`ByteStream`](crate::ByteStream) from
/// [`Client::export_event_rows`](crate::Client::export_event_rows) (read with `.await`), or a
/// saved export, any [`std::io::Read`] such as a `File` ([`new`](ExportRows::new); read
/// blocking). Both run the same parser with the same checks.
///
/// A body that breaks off, ends inside a row or carries an error is an [`ExportError`] after
/// the last complete row, never a silently short result. After an error there are no more
/// rows.
///
/// ```
/// use dfinery_core::DataType;
/// use dfinery_core::export::ExportRows;
///
/// let csv = "df_unified_id,df_name\r\nu1,\"Hong, Gildong\"\r\nu2,\r\n";
/// let mut rows = ExportRows::new(csv.as_bytes())?;
/// let row = rows.next_row()?.expect("a row");
/// assert_eq!(row.get("df_name"), Some("Hong, Gildong"));
/// let row = rows.next_row()?.expect("a row");
/// assert_eq!(row.decode::<Option<String>>("df_name", DataType::String)?, None);
/// assert!(rows.next_row()?.is_none());
/// # Ok::<(), dfinery_core::export::ExportError>(())
/// ```
pub struct ExportRows<S> {
    source: S,
    reader: RowReader,
}

impl<S> ExportRows<S> {
    /// The header row.
    pub fn header(&self) -> &Header {
        self.reader.header()
    }

    /// The data rows read so far.
    pub fn rows_read(&self) -> u64 {
        self.reader.rows()
    }

    /// The events of type `T` with their system columns: a [`Stream`](futures_util::Stream)
    /// when `S` is a `ByteStream`, an [`Iterator`] when it is a `Read`. Events of other names
    /// are skipped (and counted, [`Events::skipped`]).
    ///
    /// # Errors
    ///
    /// [`ExportError::WrongKind`] when the header is a user-profile export's, and
    /// [`ExportError::MissingColumns`] when it lacks columns `T` needs.
    pub fn events<T: DecodeEvent>(self) -> Result<Events<S, T>, ExportError> {
        let decoder = EventDecoder::new(self.header())?;
        Ok(Events {
            rows: self,
            decoder,
            skipped: 0,
        })
    }

    /// The user profiles decoded into `T` with their ids: a
    /// [`Stream`](futures_util::Stream) or an [`Iterator`], as for [`events`](Self::events).
    ///
    /// # Errors
    ///
    /// [`ExportError::WrongKind`] when the header is an event export's, and
    /// [`ExportError::MissingColumns`] when it lacks columns `T` needs.
    pub fn profiles<T: DecodeProfile>(self) -> Result<Profiles<S, T>, ExportError> {
        let decoder = ProfileDecoder::new(self.header())?;
        Ok(Profiles {
            rows: self,
            decoder,
        })
    }

    /// A reader of `source` that has read nothing yet.
    fn unread(source: S) -> ExportRows<S> {
        ExportRows {
            source,
            reader: RowReader::new(),
        }
    }

    /// What a header step that ended (`Ok(false)`) means: a CSV without its header row.
    fn no_header() -> ExportError {
        ExportError::Truncated {
            rows: 0,
            reason: "it stops before its header row".to_owned(),
        }
    }
}

/// Runs `step` until it is ready or done, pulling bytes from the source as it needs them: the
/// one driver of the parser, for every source.
fn poll_advance<S: Source>(
    rows: &mut ExportRows<S>,
    cx: &mut Context<'_>,
    step: Step,
) -> Poll<Result<bool, ExportError>> {
    loop {
        match step(&mut rows.reader) {
            Err(error) => return Poll::Ready(Err(error)),
            Ok(Progress::Ready) => return Poll::Ready(Ok(true)),
            Ok(Progress::Done) => return Poll::Ready(Ok(false)),
            Ok(Progress::NeedInput) if rows.reader.is_ended() => {
                rows.reader.fail();
                return Poll::Ready(Err(ExportError::Truncated {
                    rows: rows.reader.rows(),
                    reason: "the parser wanted more after the end".to_owned(),
                }));
            }
            Ok(Progress::NeedInput) => {}
        }
        if let Err(error) = std::task::ready!(rows.source.poll_fill(cx, &mut rows.reader)) {
            return Poll::Ready(Err(error));
        }
    }
}

/// Runs a step of a blocking source to its end: a `Read` source is never pending, so the first
/// poll answers (the loop only guards the type).
fn block_on<T>(mut poll: impl FnMut(&mut Context<'_>) -> Poll<T>) -> T {
    let mut cx = Context::from_waker(Waker::noop());
    loop {
        if let Poll::Ready(out) = poll(&mut cx) {
            return out;
        }
    }
}

impl<R: Read> ExportRows<R> {
    /// Reads the header row of a saved export, blocking.
    ///
    /// A file cut short is read with the checks a body that breaks gets, with one exception:
    /// DFINERY's docs do not say whether an export ends with a line end, so a last row without
    /// one is read as a whole row, and a file cut inside its last (unquoted) field, or right
    /// after the comma before it, gives that row with the field as it stands, then the end; a
    /// file cut right after a row's line end is a whole export of fewer rows. A file cut
    /// anywhere else is an error ([`ExportError::Truncated`] inside a quoted field or the header
    /// row, [`ExportError::Malformed`] for a row with fields missing). A file
    /// written by `Client::export_events_to_file` or `export_profiles_to_file` holds the whole
    /// body as received: it is renamed into place only once the body ended; for a copy made by
    /// other means (`curl -o`, a copy interrupted), compare its size with the original's.
    ///
    /// # Errors
    ///
    /// [`ExportError::Read`], or an error when the CSV ends before its header row is complete.
    pub fn new(source: R) -> Result<Self, ExportError> {
        let mut rows = ExportRows::unread(source);
        if !block_on(|cx| poll_advance(&mut rows, cx, RowReader::advance_header))? {
            return Err(Self::no_header());
        }
        Ok(rows)
    }

    /// The next row; `None` after the last.
    ///
    /// # Errors
    ///
    /// An [`ExportError`] when reading fails or the CSV is malformed, cut off or carries an
    /// error.
    pub fn next_row(&mut self) -> Result<Option<ExportRow<'_>>, ExportError> {
        if block_on(|cx| poll_advance(self, cx, RowReader::advance_row))? {
            Ok(self.reader.row())
        } else {
            Ok(None)
        }
    }

    /// The rows of the next event (one per item); `None` after the last.
    ///
    /// # Errors
    ///
    /// As [`next_row`](Self::next_row); an event whose rows were not all read is never
    /// returned.
    pub fn next_event(&mut self) -> Result<Option<EventGroup<'_>>, ExportError> {
        if block_on(|cx| poll_advance(self, cx, RowReader::advance_event))? {
            Ok(self.reader.group())
        } else {
            Ok(None)
        }
    }
}

impl<S> std::fmt::Debug for ExportRows<S> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ExportRows")
            .field("header", self.header())
            .field("rows_read", &self.rows_read())
            .finish_non_exhaustive()
    }
}

/// The events of one type in an event export, decoded as they are read: an [`Iterator`] (over a
/// `Read`) or a [`Stream`](futures_util::Stream) (over a `ByteStream`) of [`ExportedEvent<T>`].
/// Events of other names are skipped (and counted).
///
/// After an error about one event (a cell that does not decode) the next events can still be
/// read; after an error about the body there are no more.
pub struct Events<S, T> {
    rows: ExportRows<S>,
    decoder: EventDecoder<T>,
    skipped: u64,
}

// The header and the rows read are `ExportRows`'s, read before `events()`.
impl<S, T> Events<S, T> {
    /// The events of other names skipped so far.
    pub fn skipped(&self) -> u64 {
        self.skipped
    }
}

impl<S, T: DecodeEvent> Events<S, T> {
    fn poll_event(
        &mut self,
        cx: &mut Context<'_>,
    ) -> Poll<Option<Result<ExportedEvent<T>, ExportError>>>
    where
        S: Source,
    {
        loop {
            match std::task::ready!(poll_advance(&mut self.rows, cx, RowReader::advance_event)) {
                Err(error) => return Poll::Ready(Some(Err(error))),
                Ok(false) => return Poll::Ready(None),
                Ok(true) => {}
            }
            let Some(group) = self.rows.reader.group() else {
                return Poll::Ready(None);
            };
            match self.decoder.decode(&group) {
                Ok(Some(event)) => return Poll::Ready(Some(Ok(event))),
                Ok(None) => self.skipped += 1,
                Err(error) => return Poll::Ready(Some(Err(error))),
            }
        }
    }
}

impl<R: Read, T: DecodeEvent> Iterator for Events<R, T> {
    type Item = Result<ExportedEvent<T>, ExportError>;

    fn next(&mut self) -> Option<Self::Item> {
        block_on(|cx| self.poll_event(cx))
    }
}

impl<S, T> std::fmt::Debug for Events<S, T> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Events")
            .field("rows", &self.rows)
            .field("skipped", &self.skipped)
            .finish_non_exhaustive()
    }
}

/// The user profiles of a profile export, decoded as they are read: an [`Iterator`] (over a
/// `Read`) or a [`Stream`](futures_util::Stream) (over a `ByteStream`) of
/// [`ExportedProfile<T>`].
pub struct Profiles<S, T> {
    rows: ExportRows<S>,
    decoder: ProfileDecoder<T>,
}

impl<S, T: DecodeProfile> Profiles<S, T> {
    fn poll_profile(
        &mut self,
        cx: &mut Context<'_>,
    ) -> Poll<Option<Result<ExportedProfile<T>, ExportError>>>
    where
        S: Source,
    {
        match std::task::ready!(poll_advance(&mut self.rows, cx, RowReader::advance_row)) {
            Err(error) => Poll::Ready(Some(Err(error))),
            Ok(false) => Poll::Ready(None),
            Ok(true) => Poll::Ready(self.rows.reader.row().map(|row| self.decoder.decode(&row))),
        }
    }
}

impl<R: Read, T: DecodeProfile> Iterator for Profiles<R, T> {
    type Item = Result<ExportedProfile<T>, ExportError>;

    fn next(&mut self) -> Option<Self::Item> {
        block_on(|cx| self.poll_profile(cx))
    }
}

impl<S, T> std::fmt::Debug for Profiles<S, T> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Profiles")
            .field("rows", &self.rows)
            .finish_non_exhaustive()
    }
}

/// The async half: a [`ByteStream`] source, read with `.await`.
#[cfg(feature = "client")]
mod streamed {
    use std::future::poll_fn;
    use std::pin::Pin;
    use std::task::{Context, Poll, ready};

    use bytes::Bytes;
    use futures_util::stream::Stream;

    use super::{Events, ExportRows, Profiles, Source, poll_advance};
    use crate::client::{ByteStream, Error};
    use crate::export::decode::{DecodeEvent, DecodeProfile};
    use crate::export::error::ExportError;
    use crate::export::group::EventGroup;
    use crate::export::meta::{ExportedEvent, ExportedProfile};
    use crate::export::parse::RowReader;
    use crate::export::row::ExportRow;

    impl Source for ByteStream {
        fn poll_fill(
            &mut self,
            cx: &mut Context<'_>,
            reader: &mut RowReader,
        ) -> Poll<Result<(), ExportError>> {
            match ready!(Pin::new(self).poll_next(cx)) {
                Some(Ok(chunk)) => reader.push(&chunk),
                // The rows received before the break are still read; the read after them
                // returns the error.
                Some(Err(source)) => reader.break_off(source),
                None => reader.end(),
            }
            Poll::Ready(Ok(()))
        }
    }

    impl ExportRows<ByteStream> {
        /// Reads the header row of `stream`, an export's body from
        /// [`Client::export_events`](crate::Client::export_events) or
        /// [`Client::export_profiles`](crate::Client::export_profiles).
        ///
        /// # Errors
        ///
        /// An [`ExportError`] when the body fails or ends before its header row is complete.
        pub async fn from_body(stream: ByteStream) -> Result<Self, ExportError> {
            let mut rows = ExportRows::unread(stream);
            if !poll_fn(|cx| poll_advance(&mut rows, cx, RowReader::advance_header)).await? {
                return Err(Self::no_header());
            }
            Ok(rows)
        }

        /// [`from_body`](Self::from_body) for any stream of CSV chunks.
        ///
        /// # Errors
        ///
        /// As [`from_body`](Self::from_body).
        pub async fn from_stream<S>(stream: S) -> Result<Self, ExportError>
        where
            S: Stream<Item = Result<Bytes, Error>> + Send + 'static,
        {
            ExportRows::from_body(ByteStream::of_chunks(stream)).await
        }

        /// The next row; `None` after the last.
        ///
        /// # Errors
        ///
        /// An [`ExportError`] when the body breaks off, is malformed or carries an error.
        pub async fn next_row(&mut self) -> Result<Option<ExportRow<'_>>, ExportError> {
            if poll_fn(|cx| poll_advance(self, cx, RowReader::advance_row)).await? {
                Ok(self.reader.row())
            } else {
                Ok(None)
            }
        }

        /// The rows of the next event (one per item); `None` after the last.
        ///
        /// # Errors
        ///
        /// As [`next_row`](Self::next_row); an event whose rows were not all received is
        /// never returned.
        pub async fn next_event(&mut self) -> Result<Option<EventGroup<'_>>, ExportError> {
            if poll_fn(|cx| poll_advance(self, cx, RowReader::advance_event)).await? {
                Ok(self.reader.group())
            } else {
                Ok(None)
            }
        }
    }

    impl<T: DecodeEvent> Events<ByteStream, T> {
        /// The next event; `None` after the last.
        ///
        /// # Errors
        ///
        /// An [`ExportError`] about the body or about this event.
        pub async fn try_next(&mut self) -> Result<Option<ExportedEvent<T>>, ExportError> {
            poll_fn(|cx| self.poll_event(cx)).await.transpose()
        }

        /// Every event left, in order.
        ///
        /// # Errors
        ///
        /// The first [`ExportError`].
        pub async fn into_vec(mut self) -> Result<Vec<ExportedEvent<T>>, ExportError> {
            let mut out = Vec::new();
            while let Some(event) = self.try_next().await? {
                out.push(event);
            }
            Ok(out)
        }
    }

    impl<T: DecodeEvent> Stream for Events<ByteStream, T> {
        type Item = Result<ExportedEvent<T>, ExportError>;

        fn poll_next(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Option<Self::Item>> {
            self.get_mut().poll_event(cx)
        }
    }

    impl<T: DecodeProfile> Profiles<ByteStream, T> {
        /// The next profile; `None` after the last.
        ///
        /// # Errors
        ///
        /// An [`ExportError`] about the body or about this profile.
        pub async fn try_next(&mut self) -> Result<Option<ExportedProfile<T>>, ExportError> {
            poll_fn(|cx| self.poll_profile(cx)).await.transpose()
        }

        /// Every profile left, in order.
        ///
        /// # Errors
        ///
        /// The first [`ExportError`].
        pub async fn into_vec(mut self) -> Result<Vec<ExportedProfile<T>>, ExportError> {
            let mut out = Vec::new();
            while let Some(profile) = self.try_next().await? {
                out.push(profile);
            }
            Ok(out)
        }
    }

    impl<T: DecodeProfile> Stream for Profiles<ByteStream, T> {
        type Item = Result<ExportedProfile<T>, ExportError>;

        fn poll_next(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Option<Self::Item>> {
            self.get_mut().poll_profile(cx)
        }
    }
}
