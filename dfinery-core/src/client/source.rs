//! [`ServiceIdSource`] and [`TokenSource`]: where a client's service id and tokens came from,
//! so that an error about one names the place to fix it.

use std::fmt;
use std::path::PathBuf;

use super::builder::{ENV_EXPORT_TOKEN, ENV_IMPORT_TOKEN, ENV_SERVICE_ID};
use crate::wire::TokenKind;

/// Where a [`Client`](crate::Client)'s service id came from. An error about the id names it,
/// with the fix there: one that cannot be sent
/// ([`ClientBuildError::InvalidServiceId`](crate::ClientBuildError::InvalidServiceId)) and one
/// DFINERY does not know ([`Error::ServiceId`](crate::Error::ServiceId)). Give it with
/// [`ClientBuilder::service_id_from`](crate::ClientBuilder::service_id_from) when the id comes
/// from elsewhere than your code (a registry file, a command-line flag).
///
/// ```
/// use dfinery_core::{Client, ServiceIdSource};
///
/// let client = Client::builder()
///     .service_id_from("my-shop", ServiceIdSource::Registry("dfinery.toml".into()))
///     .import_token("import-token")
///     .build()?;
/// assert_eq!(
///     client.service_id_source().to_string(),
///     "`id` of `[service]` in `dfinery.toml`"
/// );
/// # Ok::<(), dfinery_core::ClientBuildError>(())
/// ```
#[derive(Debug, Clone, PartialEq, Eq, Default)]
#[non_exhaustive]
pub enum ServiceIdSource {
    /// Given in code to [`ClientBuilder::service_id`](crate::ClientBuilder::service_id) (the
    /// default).
    #[default]
    Builder,
    /// The environment variable `DFINERY_SERVICE_ID`, read by
    /// [`ClientBuilder::from_env`](crate::ClientBuilder::from_env) (or by a command line).
    Env,
    /// A command-line flag, by its name, e.g. `--service-id`.
    Flag(String),
    /// `id` of `[service]` in the registry file at this path (`dfinery.toml`).
    Registry(PathBuf),
}

impl ServiceIdSource {
    /// How to give the right id there, e.g. ``set `DFINERY_SERVICE_ID` to the service id the
    /// DFINERY console shows``.
    pub fn fix(&self) -> String {
        const ID: &str = "the service id the DFINERY console shows";
        match self {
            ServiceIdSource::Builder => format!("give `ClientBuilder::service_id` {ID}"),
            ServiceIdSource::Env => format!("set `{ENV_SERVICE_ID}` to {ID}"),
            ServiceIdSource::Flag(flag) => format!("pass `{flag}` {ID}"),
            ServiceIdSource::Registry(path) => {
                format!("set `id` of `[service]` in `{}` to {ID}", path.display())
            }
        }
    }
}

/// Its name in messages: `` `ClientBuilder::service_id` ``, `` `DFINERY_SERVICE_ID` ``,
/// `` `--service-id` `` or `` `id` of `[service]` in `dfinery.toml` ``.
impl fmt::Display for ServiceIdSource {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            ServiceIdSource::Builder => f.write_str("`ClientBuilder::service_id`"),
            ServiceIdSource::Env => write!(f, "`{ENV_SERVICE_ID}`"),
            ServiceIdSource::Flag(flag) => write!(f, "`{flag}`"),
            ServiceIdSource::Registry(path) => {
                write!(f, "`id` of `[service]` in `{}`", path.display())
            }
        }
    }
}

/// Where a [`Client`](crate::Client)'s import or export token came from. An error about the
/// token names it, with the fix there: one that cannot be sent
/// ([`ClientBuildError::InvalidToken`](crate::ClientBuildError::InvalidToken)) and one DFINERY
/// refuses ([`Error::Auth`](crate::Error::Auth)). Give it with
/// [`ClientBuilder::import_token_from`](crate::ClientBuilder::import_token_from) (or
/// [`export_token_from`](crate::ClientBuilder::export_token_from)) when the token comes from
/// elsewhere than your code (a command-line flag).
///
/// Its names depend on the token's kind, so [`name`](Self::name) and [`fix`](Self::fix) take it.
///
/// ```
/// use dfinery_core::wire::TokenKind;
/// use dfinery_core::{Client, TokenSource};
///
/// let client = Client::builder()
///     .service_id("my-shop")
///     .import_token_from("import-token", TokenSource::Flag("--import-token".into()))
///     .build()?;
/// let source = client.token_source(TokenKind::Import).unwrap();
/// assert_eq!(source.name(TokenKind::Import), "`--import-token`");
/// assert_eq!(client.token_source(TokenKind::Export), None); // no export token
/// # Ok::<(), dfinery_core::ClientBuildError>(())
/// ```
#[derive(Debug, Clone, PartialEq, Eq, Default)]
#[non_exhaustive]
pub enum TokenSource {
    /// Given in code to [`ClientBuilder::import_token`](crate::ClientBuilder::import_token) or
    /// [`export_token`](crate::ClientBuilder::export_token) (the default).
    #[default]
    Builder,
    /// The environment variable `DFINERY_IMPORT_TOKEN` or `DFINERY_EXPORT_TOKEN`, read by
    /// [`ClientBuilder::from_env`](crate::ClientBuilder::from_env) (or by a command line).
    Env,
    /// A command-line flag, by its name, e.g. `--import-token`.
    Flag(String),
}

impl TokenSource {
    /// Its name in messages about the `kind` token: `` `ClientBuilder::import_token` ``,
    /// `` `DFINERY_IMPORT_TOKEN` `` or `` `--import-token` `` (for the Import token).
    pub fn name(&self, kind: TokenKind) -> String {
        match self {
            TokenSource::Builder => format!("`ClientBuilder::{}_token`", kind_name(kind)),
            TokenSource::Env => format!("`{}`", token_env(kind)),
            TokenSource::Flag(flag) => format!("`{flag}`"),
        }
    }

    /// How to give the right `kind` token there, e.g. ``set `DFINERY_IMPORT_TOKEN` to the
    /// import token the DFINERY console shows``.
    pub fn fix(&self, kind: TokenKind) -> String {
        let token = format!("the {} token the DFINERY console shows", kind_name(kind));
        match self {
            TokenSource::Builder => {
                format!("give `ClientBuilder::{}_token` {token}", kind_name(kind))
            }
            TokenSource::Env => format!("set `{}` to {token}", token_env(kind)),
            TokenSource::Flag(flag) => format!("pass `{flag}` {token}"),
        }
    }
}

/// `import` or `export`.
pub(crate) fn kind_name(kind: TokenKind) -> &'static str {
    match kind {
        TokenKind::Import => "import",
        TokenKind::Export => "export",
    }
}

/// The environment variable [`ClientBuilder::from_env`](crate::ClientBuilder::from_env) reads
/// the `kind` token from.
pub(crate) fn token_env(kind: TokenKind) -> &'static str {
    match kind {
        TokenKind::Import => ENV_IMPORT_TOKEN,
        TokenKind::Export => ENV_EXPORT_TOKEN,
    }
}
