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
    #[error("cannot listen on `{addr}`; {}", bind_advice(*addr, source))]
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

/// What to do about a refusal to bind `addr`, by its cause: a port taken, one below 1024
/// without the privilege, an address that is not this machine's.
fn bind_advice(addr: SocketAddr, source: &io::Error) -> &'static str {
    match source.kind() {
        io::ErrorKind::PermissionDenied if addr.port() < 1024 => {
            "ports below 1024 need privileges this process does not have: choose a port of \
             1024 or above (`0` picks a free one)"
        }
        io::ErrorKind::PermissionDenied => {
            "the system does not let this process listen there: choose another port (`0` picks \
             a free one)"
        }
        io::ErrorKind::AddrNotAvailable => {
            "it is not an address of this machine: listen on `127.0.0.1` (the default) or on \
             one of this machine's own addresses"
        }
        _ => "choose another port or stop the process using it",
    }
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

    /// Every refusal to bind said "choose another port or stop the process using it", which
    /// is wrong advice for a port below 1024 without the privilege to bind it (no process
    /// holds it) and for an address that is not this machine's (no port would do).
    #[test]
    fn a_bind_error_s_advice_fits_its_cause() {
        let bind = |addr: &str, kind: io::ErrorKind| {
            StartError::Bind {
                addr: addr.parse().unwrap(),
                source: io::Error::from(kind),
            }
            .to_string()
        };
        let in_use = bind("127.0.0.1:8080", io::ErrorKind::AddrInUse);
        assert!(in_use.contains("choose another port"), "{in_use}");
        assert!(in_use.contains("stop the process using it"), "{in_use}");
        let privileged = bind("127.0.0.1:80", io::ErrorKind::PermissionDenied);
        assert!(!privileged.contains("stop the process"), "{privileged}");
        assert!(privileged.contains("below 1024"), "{privileged}");
        assert!(privileged.contains("1024 or above"), "{privileged}");
        let elsewhere = bind("192.0.2.1:8080", io::ErrorKind::AddrNotAvailable);
        assert!(!elsewhere.contains("stop the process"), "{elsewhere}");
        assert!(
            elsewhere.contains("not an address of this machine"),
            "{elsewhere}"
        );
    }
}
