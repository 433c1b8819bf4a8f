//! The two exports as raw CSV streams ([`ByteStream`]), at most `export_concurrency` (5) in
//! flight at once.

use std::fmt;
use std::pin::Pin;
use std::sync::Arc;
use std::task::{Context, Poll};
use std::time::Duration;

use bytes::{Bytes, BytesMut};
use futures_util::stream::{self, Stream, StreamExt};
use reqwest::header::HeaderMap;
use serde::Serialize;
use tokio::sync::OwnedSemaphorePermit;
use uuid::Uuid;

use super::Client;
use super::classify::classify;
use super::error::Error;
use super::transport::Answer;
use crate::ratelimit::SlotGuard;
use crate::wire::{Endpoint, EventExportRequest, ProfileExportRequest};

/// The CSV of an export as it arrives, chunk by chunk; a failure while reading (a connection
/// cut, no chunk within the export read timeout) is an `Err` item, after which the stream
/// ends. The export's concurrency slot is held until the stream ends or is dropped.
///
/// This is the raw body. To read rows by column name, or decode them into the structs that
/// sent them, use [`ExportRows`](crate::export::ExportRows) or the typed calls
/// [`Client::export_event_rows`] and [`ExportRows::events`](crate::export::ExportRows::events).
pub struct ByteStream {
    endpoint: Endpoint,
    /// Where the client's base URL was given (`None` for chunks from elsewhere), for the
    /// message of an export error body found inside the CSV.
    base_url_given_by: Option<&'static str>,
    inner: Pin<Box<dyn Stream<Item = Result<Bytes, Error>> + Send>>,
}

impl ByteStream {
    /// Reads the whole stream into one buffer.
    ///
    /// # Errors
    ///
    /// The first failure while reading, [`Error::Decode`] for an empty body (an export always
    /// has its header row) or one cut short (it stops inside its header row, inside a quoted
    /// field or in the middle of a row: retry the export), or the [`Error`] of an export error body
    /// (`{"result":"fail","message":"client_connection_closed"}`, its keys in either order) the
    /// server wrote into the CSV after it had started ([`Error::Decode`] when the body ends
    /// inside it).
    pub async fn collect_bytes(mut self) -> Result<Bytes, Error> {
        let mut all = BytesMut::new();
        while let Some(chunk) = self.next().await {
            all.extend_from_slice(&chunk?);
        }
        if all.iter().all(u8::is_ascii_whitespace) {
            return Err(Error::Decode {
                endpoint: self.endpoint,
                status: 200,
                reason: "the export is empty, but every export starts with its header row; \
                         retry the export"
                    .to_owned(),
                body: all.freeze(),
            });
        }
        // Found as the row readers find it: either key first, or cut short by the end.
        if let Some(at) = crate::export::error_body_at(&all) {
            let mut error = classify(self.endpoint, 200, &HeaderMap::new(), &all[at..]);
            // Named as the transport names it for the same answer before the CSV.
            if let Err(
                Error::Unexpected {
                    base_url_given_by, ..
                }
                | Error::TooManyEvents {
                    base_url_given_by, ..
                },
            ) = &mut error
            {
                *base_url_given_by = self.base_url_given_by;
            }
            return Err(error.err().unwrap_or(Error::Decode {
                endpoint: self.endpoint,
                status: 200,
                reason: "an export error body follows the CSV".to_owned(),
                body: all.freeze(),
            }));
        }
        // A connection closed mid-body (HTTP/1.1 without a length) ends the stream without an
        // error: what it left is checked, as `ExportRows` and `ExportFile` check it.
        if let Some(reason) = crate::export::cut_short(&all) {
            return Err(Error::Decode {
                endpoint: self.endpoint,
                status: 200,
                reason,
                body: all.freeze(),
            });
        }
        Ok(all.freeze())
    }

    /// Reads the whole stream as UTF-8 text.
    ///
    /// # Errors
    ///
    /// As [`collect_bytes`](Self::collect_bytes), or [`Error::Decode`] (with the bytes) when the
    /// CSV is not UTF-8.
    pub async fn text(self) -> Result<String, Error> {
        let endpoint = self.endpoint;
        let bytes = self.collect_bytes().await?;
        String::from_utf8(bytes.to_vec()).map_err(|e| Error::Decode {
            endpoint,
            status: 200,
            reason: format!("the CSV is not UTF-8 ({e})"),
            body: bytes,
        })
    }
}

impl ByteStream {
    /// A stream of CSV chunks from elsewhere, for
    /// [`ExportRows::from_stream`](crate::export::ExportRows::from_stream). Its endpoint only names the export in a
    /// [`text`](Self::text) failure, and `ExportRows` never hands the stream back, so it is
    /// the event export's.
    pub(crate) fn of_chunks<S>(stream: S) -> ByteStream
    where
        S: Stream<Item = Result<Bytes, Error>> + Send + 'static,
    {
        ByteStream {
            endpoint: Endpoint::ExportEvent,
            base_url_given_by: None,
            inner: Box::pin(stream),
        }
    }
}

impl Stream for ByteStream {
    type Item = Result<Bytes, Error>;

    fn poll_next(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Option<Self::Item>> {
        self.inner.as_mut().poll_next(cx)
    }
}

impl fmt::Debug for ByteStream {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("ByteStream")
            .field("endpoint", &self.endpoint)
            .finish_non_exhaustive()
    }
}

/// What the stream carries between chunks.
struct Reading {
    /// Bytes read before the stream started, handed out first.
    head: Option<Bytes>,
    response: Option<reqwest::Response>,
    endpoint: Endpoint,
    read_timeout: Duration,
    /// Where the base URL was given, for [`Error::Transport`].
    base_url_given_by: &'static str,
    _permit: Option<OwnedSemaphorePermit>,
    /// A fleet-wide export slot from the rate budget, held with the local one.
    _slot: Option<SlotGuard>,
}

impl Client {
    /// Exports events as CSV (`POST /api/v1/export/event`), streamed. The request is retried
    /// until the CSV starts; a failure while streaming is an `Err` item of the stream.
    ///
    /// # Errors
    ///
    /// An [`Error`] once the retry policy gives up before the CSV starts.
    pub async fn export_events(&self, request: &EventExportRequest) -> Result<ByteStream, Error> {
        self.export(Endpoint::ExportEvent, request).await
    }

    /// Exports user profiles as CSV (`POST /api/v1/export/userprofile`), streamed, as
    /// [`export_events`](Client::export_events) does.
    ///
    /// # Errors
    ///
    /// An [`Error`] once the retry policy gives up before the CSV starts.
    pub async fn export_profiles(
        &self,
        request: &ProfileExportRequest,
    ) -> Result<ByteStream, Error> {
        self.export(Endpoint::ExportUserProfile, request).await
    }

    async fn export(
        &self,
        endpoint: Endpoint,
        request: &impl Serialize,
    ) -> Result<ByteStream, Error> {
        let body = serde_json::to_vec(request)
            .map(Bytes::from)
            .map_err(|source| Error::Encode { endpoint, source })?;
        // The semaphore is never closed, so a permit always comes.
        let permit = Arc::clone(&self.inner.export_slots)
            .acquire_owned()
            .await
            .ok();
        let slot = self.inner.pacer.export_slot().await;
        let (answer, _) = self.call(endpoint, body, 0, Uuid::new_v4()).await;
        let read_timeout = self.export_read_timeout();
        Ok(match answer? {
            Answer::Body(body) => ByteStream {
                endpoint,
                base_url_given_by: Some(self.inner.base_url_given_by),
                inner: Box::pin(stream::once(async move { Ok(body) })),
            },
            Answer::Stream { head, response } => stream_of(Reading {
                head: (!head.is_empty()).then_some(head),
                response: Some(response),
                endpoint,
                read_timeout,
                base_url_given_by: self.inner.base_url_given_by,
                _permit: permit,
                _slot: slot,
            }),
        })
    }
}

/// The chunks of `reading.response`, each within the read timeout.
fn stream_of(reading: Reading) -> ByteStream {
    let endpoint = reading.endpoint;
    let base_url_given_by = Some(reading.base_url_given_by);
    let chunks = stream::unfold(reading, |mut reading| async move {
        if let Some(head) = reading.head.take() {
            return Some((Ok(head), reading));
        }
        let mut response = reading.response.take()?;
        let item = match tokio::time::timeout(reading.read_timeout, response.chunk()).await {
            Ok(Ok(Some(chunk))) => {
                reading.response = Some(response);
                Ok(chunk)
            }
            Ok(Ok(None)) => return None,
            Ok(Err(source)) => Err(Error::Transport {
                endpoint: reading.endpoint,
                source,
                base_url_given_by: reading.base_url_given_by,
            }),
            Err(_) => Err(Error::Timeout {
                endpoint: reading.endpoint,
                after: reading.read_timeout,
            }),
        };
        Some((item, reading))
    });
    ByteStream {
        endpoint,
        base_url_given_by,
        inner: Box::pin(chunks),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    async fn collected(body: &'static str) -> Result<Bytes, Error> {
        let chunks = stream::iter(
            body.as_bytes()
                .chunks(7)
                .map(|c| Ok(Bytes::copy_from_slice(c)))
                .collect::<Vec<_>>(),
        );
        ByteStream::of_chunks(chunks).collect_bytes().await
    }

    /// An error body the server wrote into the CSV is an error of the raw calls wherever the row
    /// readers see one: its `message` key first, or cut short by the end of the body. Only a
    /// whole body with `"result"` first was looked for, so the two others were returned as
    /// the export, the error body as its last row.
    #[tokio::test]
    async fn an_error_body_in_the_csv_is_an_error_whatever_its_key_order_or_cut() {
        for body in [
            "a,b\r\n1,2\r\n{\"result\":\"fail\",\"message\":\"client_connection_closed\"}",
            "a,b\r\n1,2\r\n{\"message\":\"client_connection_closed\",\"result\":\"fail\"}",
        ] {
            match collected(body).await {
                Err(error @ Error::Server { .. }) => assert!(
                    error.to_string().contains("client_connection_closed"),
                    "{body:?}: {error}"
                ),
                other => panic!("{body:?}: {other:?}"),
            }
        }
        let cut = "a,b\r\n1,2\r\n{\"result\":\"fa";
        match collected(cut).await {
            Err(Error::Decode { reason, body, .. }) => {
                assert_eq!(reason, "an export error body follows the CSV");
                assert_eq!(&body[..], cut.as_bytes(), "the bytes are kept");
            }
            other => panic!("{cut:?}: {other:?}"),
        }
        // Quoted in a field, it is data.
        let quoted = "a,b\r\n\"{\"\"message\"\":1}\",x\r\n";
        assert_eq!(&collected(quoted).await.unwrap()[..], quoted.as_bytes());
    }

    /// A body a closed connection cut (HTTP/1.1 without a length ends the stream without an
    /// error) is refused by the raw calls, as the row readers refuse it: before, `text()`
    /// returned the rows read so far as the whole export.
    #[tokio::test]
    async fn a_body_cut_short_is_an_error_and_a_whole_one_is_kept_as_it_is() {
        for cut in [
            "df_unified_id,event_name,event_datetime\r\nu1,df_login,2024-06-24\r\nu2,df_lo",
            "df_unified_id,event_name\r\nu1,\"df_log",
            "df_unified_id,event_na",
        ] {
            match collected(cut).await {
                Err(Error::Decode { reason, body, .. }) => {
                    assert!(reason.contains("ended early"), "{reason}");
                    assert_eq!(&body[..], cut.as_bytes(), "the bytes are kept");
                }
                other => panic!("{cut:?}: {other:?}"),
            }
        }
        // The last row may end without a line end; a malformed row is the row readers' to judge.
        for whole in [
            "df_unified_id,event_name\r\nu1,df_login\r\nu2,df_login",
            "df_unified_id,event_name\r\nu1,df_login\r\n",
            "df_unified_id,event_name\r\nu1,df_login,extra\r\n",
        ] {
            assert_eq!(&collected(whole).await.unwrap()[..], whole.as_bytes());
        }
    }
}
