//! Errors of starting and configuring an emulator.

use std::io;
use std::net::SocketAddr;

use dfinery_schema::RegistryError;

/// Why [`EmulatorBuilder::start`](crate::EmulatorBuilder::start) failed.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum StartError {
    /// The registry file given to
    /// [`registry_path`](crate::EmulatorBuilder::registry_path) could not be read or parsed.
    #[error("cannot load the registry: {0}")]
    Registry(#[from] RegistryError),
    /// The address could not be bound.
    #[error(
        "cannot listen on `{addr}`: {source}; choose another port or stop the process using it"
    )]
    Bind {
        /// The address asked for.
        addr: SocketAddr,
        /// The operating system's error.
        #[source]
        source: io::Error,
    },
    /// A setting is out of range.
    #[error(transparent)]
    Config(#[from] ConfigError),
}

/// A setting that is out of range, e.g. a fault rate above 1.0.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("invalid emulator setting: {0}")]
pub struct ConfigError(pub String);
