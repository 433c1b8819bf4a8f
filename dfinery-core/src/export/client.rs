//! Typed exports on [`Client`]: queries checked before sending (against today by the client's
//! [`Clock`](crate::clock::Clock)), bodies decoded as they arrive, and files written atomically. Built on the client's raw export streams, which hold one of
//! the client's export slots (5 by default) and are paced against the export rate limit.

use std::path::Path;

use super::error::ExportError;
use super::file::{Destination, ExportFile};
use super::query::{EventQuery, ProfileQuery};
use super::reader::ExportRows;
use crate::client::{ByteStream, Client};
use crate::encode::value::Date;

impl Client {
    /// Exports events, checked against `query` first, as rows read as they arrive. To decode
    /// them into the structs that sent them, call [`ExportRows::events`] on the result
    /// (`client.export_event_rows(&query).await?.events::<Purchase>()?`); events of other
    /// names are skipped, so narrow the query with [`EventQuery::event`].
    ///
    /// # Errors
    ///
    /// [`ExportError::Query`] before anything is sent, [`ExportError::Request`] when the
    /// request fails, or an error reading the header row.
    pub async fn export_event_rows(
        &self,
        query: &EventQuery,
    ) -> Result<ExportRows<ByteStream>, ExportError> {
        let request = query.to_request_at(Date::on(self.clock().now()))?;
        let stream = self
            .export_events(&request)
            .await
            .map_err(ExportError::Request)?;
        ExportRows::from_body(stream).await
    }

    /// Exports user profiles, checked against `query` first, as rows read as they arrive;
    /// [`ExportRows::profiles`] decodes them into a `#[derive(DfineryProfile)]` struct.
    ///
    /// # Errors
    ///
    /// As [`export_event_rows`](Self::export_event_rows).
    pub async fn export_profile_rows(
        &self,
        query: &ProfileQuery,
    ) -> Result<ExportRows<ByteStream>, ExportError> {
        let request = query.to_request()?;
        let stream = self
            .export_profiles(&request)
            .await
            .map_err(ExportError::Request)?;
        ExportRows::from_body(stream).await
    }

    /// Exports events into the file at `path`, atomically: the CSV is checked as it is written
    /// to a temporary file beside `path`, which replaces `path` only once the whole body
    /// arrived intact. The temporary file is made before the export is asked for, so a
    /// destination that cannot be written (a folder, a folder that does not exist) is refused
    /// without spending one of DFINERY's 100 exports an hour.
    ///
    /// # Errors
    ///
    /// As [`export_event_rows`](Self::export_event_rows), and [`ExportError::File`]; on any
    /// error the temporary file is removed and a file already at `path` is left untouched.
    pub async fn export_events_to_file(
        &self,
        query: &EventQuery,
        path: impl AsRef<Path>,
    ) -> Result<ExportFile, ExportError> {
        let request = query.to_request_at(Date::on(self.clock().now()))?;
        // Made before the export is asked for: a destination that cannot be written must not
        // cost one of the hour's 100 exports.
        let destination = Destination::open(path.as_ref()).await?;
        let stream = self
            .export_events(&request)
            .await
            .map_err(ExportError::Request)?;
        destination.write(stream, |_| {}).await
    }

    /// Exports user profiles into the file at `path`, atomically, as
    /// [`export_events_to_file`](Self::export_events_to_file) does.
    ///
    /// # Errors
    ///
    /// As [`export_events_to_file`](Self::export_events_to_file).
    pub async fn export_profiles_to_file(
        &self,
        query: &ProfileQuery,
        path: impl AsRef<Path>,
    ) -> Result<ExportFile, ExportError> {
        let request = query.to_request()?;
        // Made before the export is asked for: a destination that cannot be written must not
        // cost one of the hour's 100 exports.
        let destination = Destination::open(path.as_ref()).await?;
        let stream = self
            .export_profiles(&request)
            .await
            .map_err(ExportError::Request)?;
        destination.write(stream, |_| {}).await
    }
}
