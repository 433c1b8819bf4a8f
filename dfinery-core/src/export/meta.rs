//! The system columns of an event export ([`EventMeta`]) and the decoded results that carry
//! them beside the typed struct ([`ExportedEvent`], [`ExportedProfile`]).

use dfinery_schema::DataType;
use uuid::Uuid;

use super::error::ExportError;
use super::header::Header;
use super::query::EXTERNAL_ID_COLUMN;
use super::row::ExportRow;
use crate::encode::value::Datetime;

/// `df_unified_id`: the unified user id, in both exports.
pub(crate) const DF_UNIFIED_ID: &str = "df_unified_id";
/// `event_name`.
pub(crate) const EVENT_NAME: &str = "event_name";
/// `df_server_datetime`: when the event reached DFINERY.
pub(crate) const DF_SERVER_DATETIME: &str = "df_server_datetime";
/// `df_correction_datetime`: the corrected time of the event.
pub(crate) const DF_CORRECTION_DATETIME: &str = "df_correction_datetime";
/// `df_api_version`.
pub(crate) const DF_API_VERSION: &str = "df_api_version";
/// `event_log_id`: the emulator adds it; DFINERY does not document it.
pub(crate) const EVENT_LOG_ID: &str = "event_log_id";
/// `event_datetime`: the emulator adds it; DFINERY does not document it.
pub(crate) const EVENT_DATETIME: &str = "event_datetime";

/// Which of DFINERY's two exports a CSV is, as its header shows ([`Header::kind`]).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum ExportKind {
    /// An event export: it has the event system columns (`df_server_datetime`,
    /// `df_correction_datetime`, `df_api_version`).
    Events,
    /// A user-profile export: `df_unified_id` and user properties, none of an event export's
    /// system columns.
    Profiles,
}

impl ExportKind {
    /// What is decoded from this kind of export, for messages: `events`, `user profiles`.
    pub(crate) const fn decoded(self) -> &'static str {
        match self {
            ExportKind::Events => "events",
            ExportKind::Profiles => "user profiles",
        }
    }

    /// The method that decodes this kind, for messages.
    pub(crate) const fn method(self) -> &'static str {
        match self {
            ExportKind::Events => "events",
            ExportKind::Profiles => "profiles",
        }
    }
}

impl std::fmt::Display for ExportKind {
    /// `an event export`, `a user-profile export`.
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(match self {
            ExportKind::Events => "an event export",
            ExportKind::Profiles => "a user-profile export",
        })
    }
}

/// The system columns only an event export has. They start with the reserved `df_`, so no
/// custom user property takes their names (`event_name` is not among them: one could).
pub(crate) const EVENT_ONLY_COLUMNS: [&str; 3] =
    [DF_SERVER_DATETIME, DF_CORRECTION_DATETIME, DF_API_VERSION];

/// The system columns of one exported event.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct EventMeta {
    /// `df_unified_id`.
    pub unified_id: String,
    /// `event_name`.
    pub event_name: String,
    /// `df_server_datetime`: when the event reached DFINERY.
    pub server_datetime: Datetime,
    /// `df_correction_datetime`: the corrected time of the event (`None` when empty).
    pub correction_datetime: Option<Datetime>,
    /// `df_api_version`.
    pub api_version: String,
    /// `event_log_id`, when the export has that column (the emulator's does).
    pub event_log_id: Option<Uuid>,
    /// `event_datetime`, when the export has that column (the emulator's does).
    pub event_datetime: Option<Datetime>,
}

/// A decoded event with its system columns.
#[derive(Debug, Clone, PartialEq)]
#[non_exhaustive]
pub struct ExportedEvent<T> {
    /// The system columns.
    pub meta: EventMeta,
    /// The event, decoded into the struct that sent it.
    pub event: T,
}

/// A decoded user profile with its ids.
#[derive(Debug, Clone, PartialEq)]
#[non_exhaustive]
pub struct ExportedProfile<T> {
    /// `df_unified_id`.
    pub unified_id: String,
    /// `df_external_id`, when the export has that column (asked for with
    /// [`ProfileQuery::with_external_id`](super::ProfileQuery::with_external_id)) and it is
    /// not empty.
    pub external_id: Option<String>,
    /// The user properties, decoded into the struct.
    pub profile: T,
}

/// Where the system columns are in one header.
#[derive(Debug, Clone)]
pub(crate) struct MetaColumns {
    unified_id: usize,
    event_name: usize,
    server_datetime: usize,
    correction_datetime: usize,
    api_version: usize,
    event_log_id: Option<usize>,
    event_datetime: Option<usize>,
}

impl MetaColumns {
    /// The columns of `header`; the documented ones missing are added to `missing`.
    pub(crate) fn find(header: &Header, missing: &mut Vec<String>) -> Option<MetaColumns> {
        let mut find = |name: &str| {
            let index = header.index(name);
            if index.is_none() {
                missing.push(name.to_owned());
            }
            index
        };
        let unified_id = find(DF_UNIFIED_ID);
        let event_name = find(EVENT_NAME);
        let server_datetime = find(DF_SERVER_DATETIME);
        let correction_datetime = find(DF_CORRECTION_DATETIME);
        let api_version = find(DF_API_VERSION);
        Some(MetaColumns {
            unified_id: unified_id?,
            event_name: event_name?,
            server_datetime: server_datetime?,
            correction_datetime: correction_datetime?,
            api_version: api_version?,
            event_log_id: header.index(EVENT_LOG_ID),
            event_datetime: header.index(EVENT_DATETIME),
        })
    }

    /// The system columns of `row`.
    pub(crate) fn read(&self, row: &ExportRow<'_>) -> Result<EventMeta, ExportError> {
        let text = |index: usize| row.at(index).unwrap_or_default().to_owned();
        let datetime = DataType::Datetime;
        Ok(EventMeta {
            unified_id: text(self.unified_id),
            event_name: text(self.event_name),
            server_datetime: row.decode_at(
                Some(self.server_datetime),
                datetime,
                DF_SERVER_DATETIME,
            )?,
            correction_datetime: row.decode_at(
                Some(self.correction_datetime),
                datetime,
                DF_CORRECTION_DATETIME,
            )?,
            api_version: text(self.api_version),
            event_log_id: row.decode_at(self.event_log_id, DataType::String, EVENT_LOG_ID)?,
            event_datetime: row.decode_at(self.event_datetime, datetime, EVENT_DATETIME)?,
        })
    }

    /// The `event_name` of `row`.
    pub(crate) fn event_name<'a>(&self, row: &ExportRow<'a>) -> &'a str {
        row.at(self.event_name).unwrap_or_default()
    }
}

impl EventMeta {
    /// The system columns of `row`.
    pub(crate) fn read(row: &ExportRow<'_>) -> Result<EventMeta, ExportError> {
        let mut missing = Vec::new();
        match MetaColumns::find(row.header(), &mut missing) {
            Some(columns) => columns.read(row),
            None => Err(ExportError::MissingColumns {
                rust_type: "EventMeta",
                columns: missing,
            }),
        }
    }
}

/// Where the profile id columns are in one header.
#[derive(Debug, Clone)]
pub(crate) struct ProfileIdColumns {
    unified_id: usize,
    external_id: Option<usize>,
}

impl ProfileIdColumns {
    pub(crate) fn find(header: &Header, missing: &mut Vec<String>) -> Option<ProfileIdColumns> {
        let unified_id = header.index(DF_UNIFIED_ID);
        if unified_id.is_none() {
            missing.push(DF_UNIFIED_ID.to_owned());
        }
        Some(ProfileIdColumns {
            unified_id: unified_id?,
            external_id: header.index(EXTERNAL_ID_COLUMN),
        })
    }

    /// The unified id and the external id of `row`.
    pub(crate) fn read(&self, row: &ExportRow<'_>) -> (String, Option<String>) {
        let unified_id = row.at(self.unified_id).unwrap_or_default().to_owned();
        let external_id = self
            .external_id
            .and_then(|i| row.at(i))
            .filter(|id| !id.is_empty())
            .map(str::to_owned);
        (unified_id, external_id)
    }
}
