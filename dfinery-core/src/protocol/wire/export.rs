//! The bodies of `POST /api/v1/export/event` and `POST /api/v1/export/userprofile`
//! (`docs/protocol.md` §3.6, §3.7).

use std::fmt;
use std::str::FromStr;

use serde::{Deserialize, Serialize};

use crate::encode::value::Date;

/// How an export filter list is applied; lower case on the wire.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum ConditionType {
    /// Everything; the list is ignored.
    All,
    /// Only what the list names.
    Include,
    /// Everything except what the list names.
    Exclude,
}

impl ConditionType {
    /// The wire spelling: `all`, `include` or `exclude`.
    const fn as_str(self) -> &'static str {
        match self {
            ConditionType::All => "all",
            ConditionType::Include => "include",
            ConditionType::Exclude => "exclude",
        }
    }
}

impl fmt::Display for ConditionType {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// A text that is not `all`, `include` or `exclude`.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("`{0}` is not a condition type; use `all`, `include` or `exclude`")]
pub struct UnknownConditionType(pub String);

impl FromStr for ConditionType {
    type Err = UnknownConditionType;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        match s {
            "all" => Ok(ConditionType::All),
            "include" => Ok(ConditionType::Include),
            "exclude" => Ok(ConditionType::Exclude),
            _ => Err(UnknownConditionType(s.to_owned())),
        }
    }
}

/// The body of `POST /api/v1/export/event`, built by
/// [`EventQuery::to_request`](crate::export::EventQuery::to_request), which checks it. Absent
/// options are left out.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct EventExportRequest {
    /// Event names to filter on.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub events: Option<Vec<String>>,
    /// How `events` is applied.
    pub events_condition_type: ConditionType,
    /// Event property names to filter on; item properties are named `df_items_<name>`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub properties: Option<Vec<String>>,
    /// How `properties` is applied; absent means all.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub properties_condition_type: Option<ConditionType>,
    /// The first day, `YYYY-MM-DD` (UTC).
    pub from_date: Date,
    /// The last day, inclusive.
    pub to_date: Date,
}

/// The body of `POST /api/v1/export/userprofile`, built by
/// [`ProfileQuery::to_request`](crate::export::ProfileQuery::to_request), which checks it.
/// Absent options are left out.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ProfileExportRequest {
    /// User property names to filter on.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub properties: Option<Vec<String>>,
    /// How `properties` is applied.
    pub properties_condition_type: ConditionType,
    /// The id of an audience (segment) whose users are exported; absent means all users.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub audience: Option<String>,
    /// Identity names to export (only `df_external_id` is supported by DFINERY).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub identities: Option<Vec<String>>,
    /// How `identities` is applied.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub identities_condition_type: Option<ConditionType>,
}
