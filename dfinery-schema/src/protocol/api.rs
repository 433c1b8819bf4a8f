//! The six endpoints (`docs/protocol.md` §1.5), the token each takes (§2.1), and the four APIs
//! DFINERY rate-limits separately with their documented default limits (§7.1).

use std::fmt;

use super::ratelimit::WindowUnit;

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

    /// The API whose rate limit the endpoint counts against: both identity endpoints share the
    /// Identity limit, both export endpoints the Export limit.
    pub const fn api(self) -> Api {
        match self {
            Endpoint::Events => Api::Event,
            Endpoint::Identities | Endpoint::DeleteIdentity => Api::Identity,
            Endpoint::UserProfile => Api::Profile,
            Endpoint::ExportEvent | Endpoint::ExportUserProfile => Api::Export,
        }
    }

    /// The endpoint at `path` (exactly, without the query), if any.
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

/// One of the four APIs DFINERY rate-limits separately (`docs/protocol.md` §7.1); both
/// identity endpoints share one limit, and so do both export endpoints.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Api {
    /// `POST /api/v1/events`: 1,000,000 calls per minute by default.
    Event,
    /// `POST /api/v1/identities` and `/identities/delete`: 10,000 per minute by default.
    Identity,
    /// `POST /api/v1/user-profile`: 10,000 per minute by default.
    Profile,
    /// Both export endpoints: 100 per hour and [`MAX_CONCURRENT_EXPORTS`] at a time by default.
    Export,
}

/// Exports a service may have in flight at once; one more is refused with HTTP 429
/// `too_many_api_requests` (`docs/protocol.md` §7.1).
pub const MAX_CONCURRENT_EXPORTS: usize = 5;

impl Api {
    /// Every API, in the order of `docs/protocol.md` §7.1 (the order of [`Api::index`]).
    pub const ALL: [Api; 4] = [Api::Event, Api::Identity, Api::Profile, Api::Export];

    /// The position in [`Api::ALL`], for tables kept per API.
    pub const fn index(self) -> usize {
        match self {
            Api::Event => 0,
            Api::Identity => 1,
            Api::Profile => 2,
            Api::Export => 3,
        }
    }

    /// The API's name in lower case, e.g. `event`.
    pub const fn as_str(self) -> &'static str {
        match self {
            Api::Event => "event",
            Api::Identity => "identity",
            Api::Profile => "profile",
            Api::Export => "export",
        }
    }

    /// The documented default limit: this many calls per one window of the unit, e.g.
    /// `(1_000_000, WindowUnit::Minute)` for the Event API.
    ///
    /// ```
    /// use dfinery_schema::protocol::{Api, WindowUnit};
    /// assert_eq!(Api::Export.default_limit(), (100, WindowUnit::Hour));
    /// ```
    pub const fn default_limit(self) -> (u64, WindowUnit) {
        match self {
            Api::Event => (1_000_000, WindowUnit::Minute),
            Api::Identity | Api::Profile => (10_000, WindowUnit::Minute),
            Api::Export => (100, WindowUnit::Hour),
        }
    }
}

impl fmt::Display for Api {
    /// The lower-case name, e.g. `event`.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_the_export_endpoints_take_the_export_token() {
        for endpoint in Endpoint::ALL {
            let export = endpoint.api() == Api::Export;
            assert_eq!(endpoint.token() == TokenKind::Export, export, "{endpoint}");
        }
    }

    #[test]
    fn every_endpoint_counts_against_its_api() {
        assert_eq!(Endpoint::Events.api(), Api::Event);
        assert_eq!(Endpoint::DeleteIdentity.api(), Api::Identity);
        assert_eq!(Endpoint::UserProfile.api(), Api::Profile);
        assert_eq!(Endpoint::ExportUserProfile.api(), Api::Export);
        for (i, api) in Api::ALL.into_iter().enumerate() {
            assert_eq!(api.index(), i);
        }
    }

    #[test]
    fn default_limits_follow_the_documented_table() {
        let defaults: Vec<(u64, u64)> = Api::ALL
            .iter()
            .map(|api| {
                let (count, unit) = api.default_limit();
                (count, unit.seconds())
            })
            .collect();
        assert_eq!(
            defaults,
            [(1_000_000, 60), (10_000, 60), (10_000, 60), (100, 3_600)]
        );
    }
}
