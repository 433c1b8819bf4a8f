//! [`ProfileQuery`]: which user properties, which users and which identities a user-profile
//! export covers.

use super::QueryError;
use super::event::check_filter;
use super::select::Building;
use crate::encode::model::Profile;
use crate::wire::{ConditionType, ProfileExportRequest};

/// The identity column DFINERY exports (the only one it supports, `docs/protocol.md` §3.7).
pub(crate) const EXTERNAL_ID_COLUMN: &str = "df_external_id";

/// A user-profile export query: the user properties (all, some, or all but some), an optional
/// audience, and whether the external id comes along.
///
/// ```
/// use dfinery_core::export::ProfileQuery;
///
/// let query = ProfileQuery::new()
///     .include_properties(["df_name", "df_membership"])
///     .audience("nwh3nu")
///     .with_external_id();
/// let body = serde_json::to_value(query.to_request()?)?;
/// assert_eq!(body["identities"], serde_json::json!(["df_external_id"]));
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
#[derive(Debug, Clone, PartialEq, Eq, Default)]
#[must_use]
pub struct ProfileQuery {
    properties: Building,
    audience: Option<String>,
    external_id: bool,
}

impl ProfileQuery {
    /// Every user property of every user, without identities.
    pub fn new() -> Self {
        ProfileQuery::default()
    }

    /// Only the user properties named.
    pub fn include_properties<I, S>(mut self, names: I) -> Self
    where
        I: IntoIterator<Item = S>,
        S: Into<String>,
    {
        self.properties.include(names.into_iter().map(Into::into));
        self
    }

    /// Every user property except those named.
    pub fn exclude_properties<I, S>(mut self, names: I) -> Self
    where
        I: IntoIterator<Item = S>,
        S: Into<String>,
    {
        self.properties.exclude(names.into_iter().map(Into::into));
        self
    }

    /// Includes every user property a typed profile reads.
    pub fn properties_of<P: Profile>(self) -> Self {
        self.include_properties(P::description().properties.iter().map(|f| f.spec.name))
    }

    /// Only the users of the audience (segment) `id`, e.g. `nwh3nu`.
    pub fn audience(mut self, id: impl Into<String>) -> Self {
        self.audience = Some(id.into());
        self
    }

    /// Also export the external id (`df_external_id`), the one identity DFINERY exports.
    pub fn with_external_id(mut self) -> Self {
        self.external_id = true;
        self
    }

    /// Checks the query and builds the request body.
    ///
    /// # Errors
    ///
    /// A [`QueryError`]: a filter that mixes `include` and `exclude`, includes nothing or
    /// names what no property can be called, or an empty audience id.
    pub fn to_request(&self) -> Result<ProfileExportRequest, QueryError> {
        check_filter(&self.properties, "properties")?;
        if self
            .audience
            .as_deref()
            .is_some_and(|a| a.trim().is_empty())
        {
            return Err(QueryError::EmptyAudience);
        }
        let (properties_condition_type, properties) = self.properties.select.to_wire();
        let (identities_condition_type, identities) = if self.external_id {
            (
                Some(ConditionType::Include),
                Some(vec![EXTERNAL_ID_COLUMN.to_owned()]),
            )
        } else {
            (None, None)
        };
        Ok(ProfileExportRequest {
            properties,
            properties_condition_type,
            audience: self.audience.clone(),
            identities,
            identities_condition_type,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_default_body_asks_for_every_property() {
        let body = serde_json::to_value(ProfileQuery::new().to_request().unwrap()).unwrap();
        assert_eq!(body, serde_json::json!({"properties_condition_type":"all"}));
    }

    #[test]
    fn an_empty_audience_is_refused() {
        assert_eq!(
            ProfileQuery::new().audience(" ").to_request().unwrap_err(),
            QueryError::EmptyAudience
        );
    }

    #[test]
    fn identities_follow_their_mode() {
        let body =
            serde_json::to_value(ProfileQuery::new().with_external_id().to_request().unwrap())
                .unwrap();
        assert_eq!(body["identities_condition_type"], "include");
        assert_eq!(body["identities"], serde_json::json!(["df_external_id"]));
        let mixed = ProfileQuery::new()
            .exclude_properties(["a"])
            .include_properties(["b"]);
        assert_eq!(
            mixed.to_request().unwrap_err(),
            QueryError::MixedModes { what: "properties" }
        );
    }
}
