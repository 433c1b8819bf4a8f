//! Errors of starting and configuring an emulator.

use std::io;
use std::net::SocketAddr;

use dfinery_schema::RegistryError;

/// Why [`EmulatorBuilder::start`](crate::EmulatorBuilder::start) failed.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum StartError {
    /// The registry file given to
    /// [`registry_path`](crate::EmulatorBuilder::registry_path) could not be read or parsed;
    /// why is the [`source`](std::error::Error::source).
    #[error("cannot load the registry")]
    Registry(#[from] RegistryError),
    /// The address could not be bound; the operating system's error is the
    /// [`source`](std::error::Error::source).
    #[error("cannot listen on `{addr}`; choose another port or stop the process using it")]
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

#[cfg(test)]
mod tests {
    use std::error::Error;

    use super::*;

    /// The message of every error in `error`'s chain, outermost first.
    fn chain(error: &(dyn Error + 'static)) -> Vec<String> {
        let mut messages = vec![error.to_string()];
        let mut cause = error.source();
        while let Some(inner) = cause {
            messages.push(inner.to_string());
            cause = inner.source();
        }
        messages
    }

    fn assert_each_cause_once(error: &(dyn Error + 'static)) {
        let messages = chain(error);
        assert!(messages.len() >= 2, "no source: {messages:?}");
        for pair in messages.windows(2) {
            assert!(
                !pair[0].contains(&pair[1]),
                "`{}` repeats `{}`",
                pair[0],
                pair[1]
            );
        }
    }

    #[test]
    fn start_errors_leave_the_cause_to_source() {
        let registry = dfinery_schema::Registry::parse("standard_events = [").unwrap_err();
        assert_each_cause_once(&StartError::Registry(registry));
        let bind = StartError::Bind {
            addr: "127.0.0.1:8080".parse().unwrap(),
            source: io::Error::from(io::ErrorKind::AddrInUse),
        };
        assert_each_cause_once(&bind);
        assert!(bind.to_string().contains("127.0.0.1:8080"), "{bind}");
    }
}
