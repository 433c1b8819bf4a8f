//! [`ServiceIdSource`]: where a client's service id came from, so that an error about the id
//! names the place to fix it.

use std::fmt;
use std::path::PathBuf;

use super::builder::ENV_SERVICE_ID;

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
