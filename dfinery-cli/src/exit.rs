//! Exit codes and the one error type every command returns: a message for stderr and the code
//! the process exits with.

use std::fmt;
use std::process::ExitCode;

/// What the process exits with; the list is printed at the end of `dfinery --help`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Exit {
    /// Everything asked for was done.
    Ok = 0,
    /// The command ran but found problems: invalid lines, events DFINERY refused for good, an
    /// export refused as invalid, a registry with errors, coverage gaps; or it was interrupted
    /// (Ctrl-C or SIGTERM). Events left undelivered are [`Exit::Network`].
    Failures = 1,
    /// The command line itself is wrong, whatever is on disk (clap's own code for usage
    /// errors): also a value out of range, such as a `--clock-offset` before 1970, and `-` as
    /// `send`'s file.
    Usage = 2,
    /// Configuration: a missing or refused token or service id, a registry or input file that
    /// cannot be read (for `send`: nothing at the path, a folder, a device or a pipe, no read
    /// permission), a file that cannot be written, a send state that does not match, is in use
    /// or cannot be written.
    Config = 3,
    /// DFINERY (or the emulator) could not be reached or kept failing; a send keeps the events
    /// it could not deliver in its spool for `--resume`.
    Network = 4,
}

/// The exit codes as `dfinery --help` lists them.
pub const EXIT_CODES_HELP: &str = "\
Exit codes:
  0  success
  1  problems found: invalid lines, events DFINERY refused for good, an export refused as invalid, registry errors, coverage gaps, an interrupted send or export
  2  usage: a wrong command, flag or value
  3  configuration: a missing or refused token or service id, a file that is missing, unreadable, not a regular file or cannot be written, a send state that does not match, is in use or cannot be written
  4  network or server: DFINERY (or the emulator) unreachable or failing; a send keeps the events it could not deliver in its spool for `--resume`";

impl From<Exit> for ExitCode {
    fn from(exit: Exit) -> ExitCode {
        ExitCode::from(exit as u8)
    }
}

/// Why a command stopped: the message (lower case, the fix in it) and the exit code.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CliError {
    /// The exit code.
    pub exit: Exit,
    /// What went wrong, for stderr.
    pub message: String,
}

impl CliError {
    /// A configuration error (exit 3).
    pub fn config(message: impl Into<String>) -> CliError {
        CliError {
            exit: Exit::Config,
            message: message.into(),
        }
    }

    /// A network or server error (exit 4).
    pub fn network(message: impl Into<String>) -> CliError {
        CliError {
            exit: Exit::Network,
            message: message.into(),
        }
    }

    /// Problems found (exit 1).
    pub fn failures(message: impl Into<String>) -> CliError {
        CliError {
            exit: Exit::Failures,
            message: message.into(),
        }
    }

    /// A usage error found after parsing (exit 2).
    pub fn usage(message: impl Into<String>) -> CliError {
        CliError {
            exit: Exit::Usage,
            message: message.into(),
        }
    }
}

impl fmt::Display for CliError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.message)
    }
}

impl std::error::Error for CliError {}

/// The exit code for a failed call to DFINERY: a refused token or service id is
/// configuration (3), everything else network or server (4). The message names the command
/// line's settings ([`in_cli_words`](crate::client::in_cli_words)).
pub fn client_error(error: &dfinery_core::Error) -> CliError {
    use dfinery_core::Error;
    let message =
        crate::client::in_cli_words(&dfinery_core::ErrorChain(error).to_string()).into_owned();
    match error {
        Error::Auth { .. } | Error::ServiceId { .. } | Error::MissingToken { .. } => {
            CliError::config(message)
        }
        // DFINERY answered, and refused what was asked (an export's `invalid_parameter`, e.g.
        // an audience it does not know): a problem found, not a network or server failure
        // (exit 4 said to try again later, which gets the same answer).
        Error::Validation { .. } => CliError::failures(message),
        _ => CliError::network(message),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn codes_are_the_documented_numbers() {
        assert_eq!(Exit::Ok as u8, 0);
        assert_eq!(Exit::Failures as u8, 1);
        assert_eq!(Exit::Usage as u8, 2);
        assert_eq!(Exit::Config as u8, 3);
        assert_eq!(Exit::Network as u8, 4);
        for (code, line) in EXIT_CODES_HELP.lines().skip(1).enumerate() {
            assert!(line.trim_start().starts_with(&code.to_string()), "{line}");
        }
    }
}
