//! [`ExportRows`]: an export's CSV body decoded row by row as it arrives, and the typed streams
//! on top of it ([`EventStream`], [`ProfileStream`]). The body is never held whole: only the
//! rows of the event being read are kept.

use std::future::poll_fn;
use std::pin::Pin;
use std::task::{Context, Poll, ready};

use bytes::Bytes;
use futures_util::stream::Stream;

use super::decode::{DecodeEvent, DecodeProfile};
use super::error::ExportError;
use super::group::EventGroup;
use super::header::Header;
use super::meta::{ExportedEvent, ExportedProfile};
use super::parse::{Progress, RowReader};
use super::row::ExportRow;
use super::typed::{EventDecoder, ProfileDecoder};
use crate::client::{ByteStream, Error};

type Chunks = Pin<Box<dyn Stream<Item = Result<Bytes, Error>> + Send>>;
type Step = fn(&mut RowReader) -> Result<Progress, ExportError>;

/// The rows of an export as its body arrives: the header is read when this is made, then rows
/// one at a time ([`next_row`](Self::next_row)) or gathered by event
/// ([`next_event`](Self::next_event)), or decoded into typed structs
/// ([`events`](Self::events), [`profiles`](Self::profiles)).
///
/// A body that breaks off, ends inside a row or carries an error is an [`ExportError`] after
/// the last complete row, never a silently short result. After an error there are no more
/// rows.
pub struct ExportRows {
    chunks: Chunks,
    reader: RowReader,
}

impl ExportRows {
    /// Reads the header row of `stream`, an export's body from
    /// [`Client::export_events`](crate::Client::export_events) or
    /// [`Client::export_profiles`](crate::Client::export_profiles).
    ///
    /// # Errors
    ///
    /// An [`ExportError`] when the body fails or ends before its header row is complete.
    pub async fn new(stream: ByteStream) -> Result<ExportRows, ExportError> {
        ExportRows::from_stream(stream).await
    }

    /// [`new`](Self::new) for any stream of CSV chunks.
    ///
    /// # Errors
    ///
    /// As [`new`](Self::new).
    pub async fn from_stream<S>(stream: S) -> Result<ExportRows, ExportError>
    where
        S: Stream<Item = Result<Bytes, Error>> + Send + 'static,
    {
        let mut rows = ExportRows {
            chunks: Box::pin(stream),
            reader: RowReader::new(),
        };
        if !poll_fn(|cx| rows.poll_advance(cx, RowReader::advance_header)).await? {
            return Err(ExportError::Truncated {
                rows: 0,
                reason: "it stops before its header row".to_owned(),
            });
        }
        Ok(rows)
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
    /// An [`ExportError`] when the body breaks off, is malformed or carries an error.
    pub async fn next_row(&mut self) -> Result<Option<ExportRow<'_>>, ExportError> {
        if poll_fn(|cx| self.poll_advance(cx, RowReader::advance_row)).await? {
            Ok(self.reader.row())
        } else {
            Ok(None)
        }
    }

    /// The rows of the next event (one per item); `None` after the last.
    ///
    /// # Errors
    ///
    /// As [`next_row`](Self::next_row); an event whose rows were not all received is never
    /// returned.
    pub async fn next_event(&mut self) -> Result<Option<EventGroup<'_>>, ExportError> {
        if poll_fn(|cx| self.poll_advance(cx, RowReader::advance_event)).await? {
            Ok(self.reader.group())
        } else {
            Ok(None)
        }
    }

    /// The events of type `T`, decoded with their system columns; other events are skipped.
    ///
    /// # Errors
    ///
    /// [`ExportError::MissingColumns`] when the header lacks columns `T` needs.
    pub fn events<T: DecodeEvent>(self) -> Result<EventStream<T>, ExportError> {
        let decoder = EventDecoder::new(self.header())?;
        Ok(EventStream {
            rows: self,
            decoder,
            skipped: 0,
        })
    }

    /// The user profiles, decoded into `T` with their ids.
    ///
    /// # Errors
    ///
    /// [`ExportError::MissingColumns`] when the header lacks columns `T` needs.
    pub fn profiles<T: DecodeProfile>(self) -> Result<ProfileStream<T>, ExportError> {
        let decoder = ProfileDecoder::new(self.header())?;
        Ok(ProfileStream {
            rows: self,
            decoder,
        })
    }

    /// Runs `step` until it is ready or done, pulling chunks as it needs them.
    fn poll_advance(
        &mut self,
        cx: &mut Context<'_>,
        step: Step,
    ) -> Poll<Result<bool, ExportError>> {
        loop {
            match step(&mut self.reader) {
                Err(error) => return Poll::Ready(Err(error)),
                Ok(Progress::Ready) => return Poll::Ready(Ok(true)),
                Ok(Progress::Done) => return Poll::Ready(Ok(false)),
                Ok(Progress::NeedInput) if self.reader.is_ended() => {
                    self.reader.fail();
                    return Poll::Ready(Err(ExportError::Truncated {
                        rows: self.reader.rows(),
                        reason: "the parser wanted more after the end".to_owned(),
                    }));
                }
                Ok(Progress::NeedInput) => {}
            }
            match ready!(self.chunks.as_mut().poll_next(cx)) {
                Some(Ok(chunk)) => self.reader.push(&chunk),
                Some(Err(source)) => {
                    self.reader.fail();
                    return Poll::Ready(Err(ExportError::Interrupted {
                        rows: self.reader.rows(),
                        source,
                    }));
                }
                None => self.reader.end(),
            }
        }
    }
}

impl std::fmt::Debug for ExportRows {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ExportRows")
            .field("header", self.header())
            .field("rows_read", &self.rows_read())
            .finish_non_exhaustive()
    }
}

/// The events of one type in an event export, decoded as they arrive: a [`Stream`] of
/// [`ExportedEvent<T>`]. Events of other names are skipped (and counted).
///
/// After an error about one event (a cell that does not decode) the next events can still be
/// read; after an error about the body there are no more.
pub struct EventStream<T> {
    rows: ExportRows,
    decoder: EventDecoder<T>,
    skipped: u64,
}

impl<T: DecodeEvent> EventStream<T> {
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

    /// The header row.
    pub fn header(&self) -> &Header {
        self.rows.header()
    }

    /// The events of other names skipped so far.
    pub fn skipped(&self) -> u64 {
        self.skipped
    }

    /// The data rows read so far.
    pub fn rows_read(&self) -> u64 {
        self.rows.rows_read()
    }

    fn poll_event(
        &mut self,
        cx: &mut Context<'_>,
    ) -> Poll<Option<Result<ExportedEvent<T>, ExportError>>> {
        loop {
            match ready!(self.rows.poll_advance(cx, RowReader::advance_event)) {
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

impl<T: DecodeEvent> Stream for EventStream<T> {
    type Item = Result<ExportedEvent<T>, ExportError>;

    fn poll_next(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Option<Self::Item>> {
        self.get_mut().poll_event(cx)
    }
}

impl<T> std::fmt::Debug for EventStream<T> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("EventStream")
            .field("rows", &self.rows)
            .field("skipped", &self.skipped)
            .finish_non_exhaustive()
    }
}

/// The user profiles of a profile export, decoded as they arrive: a [`Stream`] of
/// [`ExportedProfile<T>`].
pub struct ProfileStream<T> {
    rows: ExportRows,
    decoder: ProfileDecoder<T>,
}

impl<T: DecodeProfile> ProfileStream<T> {
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

    /// The header row.
    pub fn header(&self) -> &Header {
        self.rows.header()
    }

    fn poll_profile(
        &mut self,
        cx: &mut Context<'_>,
    ) -> Poll<Option<Result<ExportedProfile<T>, ExportError>>> {
        match ready!(self.rows.poll_advance(cx, RowReader::advance_row)) {
            Err(error) => Poll::Ready(Some(Err(error))),
            Ok(false) => Poll::Ready(None),
            Ok(true) => Poll::Ready(self.rows.reader.row().map(|row| self.decoder.decode(&row))),
        }
    }
}

impl<T: DecodeProfile> Stream for ProfileStream<T> {
    type Item = Result<ExportedProfile<T>, ExportError>;

    fn poll_next(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Option<Self::Item>> {
        self.get_mut().poll_profile(cx)
    }
}

impl<T> std::fmt::Debug for ProfileStream<T> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ProfileStream")
            .field("rows", &self.rows)
            .finish_non_exhaustive()
    }
}
