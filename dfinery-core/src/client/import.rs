//! The Identity and Profile calls: [`Client::identify`], [`Client::delete_identity`] and
//! [`Client::update_profile`], each with an `_at` form that sets `request_datetime`.

use bytes::Bytes;
use serde::Serialize;
use uuid::Uuid;

use super::Client;
use super::error::Error;
use crate::encode::identity::{ExternalId, Identity};
use crate::encode::model::Profile;
use crate::encode::record::{UserProperties, ValidationError};
use crate::encode::value::Datetime;
use crate::wire::{
    DeleteIdentity, DeleteIdentityRequest, Endpoint, IdentityRequest, UserProfileRequest,
};

/// Anything [`Client::update_profile`] can send: [`UserProperties`], or a typed profile by
/// reference (`&P` where `P: Profile`, e.g. a `#[derive(DfineryProfile)]` struct).
#[diagnostic::on_unimplemented(
    message = "`{Self}` cannot be sent as a profile update",
    label = "not a profile update to send",
    note = "pass a typed profile by reference (`&member`), where its type derives `DfineryProfile`, or `UserProperties`"
)]
pub trait IntoUserProperties {
    /// The `user_properties` object to send.
    ///
    /// # Errors
    ///
    /// The profile's [`ValidationError`].
    fn into_user_properties(self) -> Result<UserProperties, ValidationError>;
}

impl IntoUserProperties for UserProperties {
    fn into_user_properties(self) -> Result<UserProperties, ValidationError> {
        Ok(self)
    }
}

impl IntoUserProperties for &UserProperties {
    fn into_user_properties(self) -> Result<UserProperties, ValidationError> {
        Ok(self.clone())
    }
}

impl<P: Profile + ?Sized> IntoUserProperties for &P {
    fn into_user_properties(self) -> Result<UserProperties, ValidationError> {
        self.to_user_properties()
    }
}

impl Client {
    /// Creates or updates the unified profile of `identity` (`POST /api/v1/identities`),
    /// stamped with the current time. Call it first for a new user (`docs/protocol.md` §8.3:
    /// Identity → Profile → Event).
    ///
    /// # Errors
    ///
    /// An [`Error`] once the retry policy gives up.
    pub async fn identify(&self, identity: &Identity) -> Result<(), Error> {
        self.identify_at(identity, Datetime::now()).await
    }

    /// [`identify`](Client::identify) with the time the change happened.
    ///
    /// # Errors
    ///
    /// An [`Error`] once the retry policy gives up.
    pub async fn identify_at(
        &self,
        identity: &Identity,
        request_datetime: Datetime,
    ) -> Result<(), Error> {
        self.identify_attempts(identity, request_datetime).await.0
    }

    /// [`identify_at`](Client::identify_at), with the attempts made (the Tracker counts the
    /// retries of a call that succeeded).
    pub(crate) async fn identify_attempts(
        &self,
        identity: &Identity,
        request_datetime: Datetime,
    ) -> (Result<(), Error>, u32) {
        let request = IdentityRequest {
            identity: identity.clone(),
            request_datetime,
        };
        self.simple_attempts(Endpoint::Identities, &request).await
    }

    /// Deletes the unified profile of `external_id` (`POST /api/v1/identities/delete`),
    /// stamped with the current time. **Irreversible.**
    ///
    /// # Errors
    ///
    /// An [`Error`] once the retry policy gives up.
    pub async fn delete_identity(&self, external_id: &ExternalId) -> Result<(), Error> {
        self.delete_identity_at(external_id, Datetime::now()).await
    }

    /// [`delete_identity`](Client::delete_identity) with the time of the request.
    ///
    /// # Errors
    ///
    /// An [`Error`] once the retry policy gives up.
    pub async fn delete_identity_at(
        &self,
        external_id: &ExternalId,
        request_datetime: Datetime,
    ) -> Result<(), Error> {
        let request = DeleteIdentityRequest {
            identity: DeleteIdentity {
                external_id: external_id.clone(),
            },
            request_datetime,
        };
        self.simple(Endpoint::DeleteIdentity, &request).await
    }

    /// Sets user properties of `identity` (`POST /api/v1/user-profile`), stamped with the
    /// current time: a typed profile (`&member`) or [`UserProperties`].
    ///
    /// The properties are checked first; nothing is sent when they are invalid. An empty set
    /// (every field of a typed profile left as `Patch::Keep`) sends nothing either, as the docs
    /// recommend calling only when something changes.
    ///
    /// # Errors
    ///
    /// [`Error::InvalidProfile`], or an [`Error`] once the retry policy gives up.
    pub async fn update_profile(
        &self,
        identity: &Identity,
        profile: impl IntoUserProperties,
    ) -> Result<(), Error> {
        self.update_profile_at(identity, profile, Datetime::now())
            .await
    }

    /// [`update_profile`](Client::update_profile) with the time the change happened (the later
    /// change wins).
    ///
    /// # Errors
    ///
    /// [`Error::InvalidProfile`], or an [`Error`] once the retry policy gives up.
    pub async fn update_profile_at(
        &self,
        identity: &Identity,
        profile: impl IntoUserProperties,
        request_datetime: Datetime,
    ) -> Result<(), Error> {
        let user_properties = profile
            .into_user_properties()
            .map_err(Error::InvalidProfile)?;
        self.update_profile_attempts(identity, user_properties, request_datetime)
            .await
            .0
    }

    /// [`update_profile_at`](Client::update_profile_at) of checked properties, with the
    /// attempts made (none for an empty set, which sends nothing).
    pub(crate) async fn update_profile_attempts(
        &self,
        identity: &Identity,
        user_properties: UserProperties,
        request_datetime: Datetime,
    ) -> (Result<(), Error>, u32) {
        if user_properties.is_empty() {
            tracing::debug!("no user property to update; nothing sent");
            return (Ok(()), 0);
        }
        let request = UserProfileRequest {
            identity: identity.clone(),
            user_properties,
            request_datetime,
        };
        self.simple_attempts(Endpoint::UserProfile, &request).await
    }

    /// Sends one JSON body to an Import endpoint.
    async fn simple(&self, endpoint: Endpoint, request: &impl Serialize) -> Result<(), Error> {
        self.simple_attempts(endpoint, request).await.0
    }

    /// [`simple`](Client::simple), with the attempts made.
    async fn simple_attempts(
        &self,
        endpoint: Endpoint,
        request: &impl Serialize,
    ) -> (Result<(), Error>, u32) {
        let body = match serde_json::to_vec(request) {
            Ok(body) => Bytes::from(body),
            Err(source) => return (Err(Error::Encode { endpoint, source }), 0),
        };
        let (result, attempts) = self.call(endpoint, body, 0, Uuid::new_v4()).await;
        (result.map(|_| ()), attempts)
    }
}
