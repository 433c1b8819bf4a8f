//! [`QueryError`]: an export query refused before anything is sent.

use crate::encode::value::Date;

/// Why an export query was refused before any request was made.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum QueryError {
    /// `from_date` is after `to_date`.
    #[error("`from_date` {from} is after `to_date` {to}; swap them")]
    DatesReversed {
        /// The first day asked for.
        from: Date,
        /// The last day asked for.
        to: Date,
    },
    /// `from_date` is before the 30-day look-back DFINERY allows.
    #[error(
        "`from_date` {from} is more than {days} days before today ({today}, UTC); DFINERY exports reach back to {earliest}, so start on or after it"
    )]
    BeyondLookBack {
        /// The first day asked for.
        from: Date,
        /// The earliest day allowed.
        earliest: Date,
        /// Today, UTC.
        today: Date,
        /// The look-back in days.
        days: u32,
    },
    /// Names were both included and excluded in one filter.
    #[error(
        "the query both includes and excludes {what}; a filter is `all`, `include` or `exclude`, so keep one mode"
    )]
    MixedModes {
        /// `events`, `properties` or `identities`.
        what: &'static str,
    },
    /// `include` with no names, which would export nothing.
    #[error(
        "the query includes no {what} by name, which exports nothing; name at least one or keep all {what}"
    )]
    EmptyInclude {
        /// `events`, `properties` or `identities`.
        what: &'static str,
    },
    /// A filter names what no DFINERY event or property is called (an empty name, or one
    /// holding white space or a control character), so the export would silently leave it
    /// out. Other names are sent even when they break the project's naming rule
    /// (`docs/design.md`): DFINERY documents none, and its own SDKs need not follow it.
    #[error(
        "the {what} filter names `{}`, which no export holds: {}; give the name as DFINERY shows it",
        dfinery_schema::names::shown(name),
        not_a_name(error)
    )]
    BadName {
        /// `events` or `properties`.
        what: &'static str,
        /// The name as given.
        name: String,
        /// Why it is no name: empty, or the white space or control character found (as the
        /// naming rule's error, whose own advice is not the filter's).
        error: dfinery_schema::names::NameError,
    },
    /// An empty audience id.
    #[error(
        "the audience id is empty; give an audience id such as `nwh3nu`, or leave it out to export every user"
    )]
    EmptyAudience,
}

/// What makes a filter name [`QueryError::BadName`], in words: the naming rule's own advice
/// (`use only ASCII letters, digits and _`) would refuse names a filter takes.
fn not_a_name(error: &dfinery_schema::names::NameError) -> String {
    use dfinery_schema::names::NameError;
    match error {
        NameError::BadStart { found, .. } | NameError::BadChar { found, .. } => format!(
            "it holds `{}`, and no event or property name holds white space or a control character",
            found.escape_debug()
        ),
        _ => "it is empty".to_owned(),
    }
}
