//! [`Endpoint`]: the six documented endpoints, their paths and the token each takes.

use std::fmt;

/// Which token an endpoint takes (`docs/protocol.md` §2.1).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum TokenKind {
    /// The Import API token, sent as the `access_token` header.
    Import,
    /// The Export API token, sent as `Authorization: Bearer <token>`.
    Export,
}

/// One of the six documented endpoints (`docs/protocol.md` §1.5). All are `POST` and take the
/// `service_id` query parameter.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Endpoint {
    /// `POST /api/v1/events`: load events.
    Events,
    /// `POST /api/v1/identities`: create or update a unified profile.
    Identities,
    /// `POST /api/v1/identities/delete`: delete a unified profile.
    DeleteIdentity,
    /// `POST /api/v1/user-profile`: create or update user properties.
    UserProfile,
    /// `POST /api/v1/export/event`: export events as CSV.
    ExportEvent,
    /// `POST /api/v1/export/userprofile`: export user profiles as CSV.
    ExportUserProfile,
}

impl Endpoint {
    /// Every endpoint, in the order of `docs/protocol.md` §1.5.
    pub const ALL: [Endpoint; 6] = [
        Endpoint::Events,
        Endpoint::Identities,
        Endpoint::DeleteIdentity,
        Endpoint::UserProfile,
        Endpoint::ExportEvent,
        Endpoint::ExportUserProfile,
    ];

    /// The path, e.g. `/api/v1/events`.
    pub const fn path(self) -> &'static str {
        match self {
            Endpoint::Events => "/api/v1/events",
            Endpoint::Identities => "/api/v1/identities",
            Endpoint::DeleteIdentity => "/api/v1/identities/delete",
            Endpoint::UserProfile => "/api/v1/user-profile",
            Endpoint::ExportEvent => "/api/v1/export/event",
            Endpoint::ExportUserProfile => "/api/v1/export/userprofile",
        }
    }

    /// The token the endpoint takes.
    pub const fn token(self) -> TokenKind {
        match self {
            Endpoint::ExportEvent | Endpoint::ExportUserProfile => TokenKind::Export,
            _ => TokenKind::Import,
        }
    }

    /// The endpoint at `path`, if any.
    pub fn from_path(path: &str) -> Option<Endpoint> {
        Endpoint::ALL.into_iter().find(|e| e.path() == path)
    }
}

impl fmt::Display for Endpoint {
    /// `POST /api/v1/events`.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "POST {}", self.path())
    }
}
