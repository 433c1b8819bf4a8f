//! Every error that wraps another says its own layer's context and leaves the cause to
//! `source()`: walking the chain shows each message once.

use std::error::Error as StdError;
use std::fmt;

use super::{ErrorChain, assert_each_cause_once};
use crate::encode::value::{DatetimeError, ValueError};
use crate::export::{CellError, ExportError};

#[derive(Debug)]
struct Layer(&'static str, Option<Box<Layer>>);

impl fmt::Display for Layer {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.0)
    }
}

impl StdError for Layer {
    fn source(&self) -> Option<&(dyn StdError + 'static)> {
        self.1.as_deref().map(|e| e as &(dyn StdError + 'static))
    }
}

#[test]
fn the_chain_prints_each_cause_once_in_order() {
    let refused = Layer("connection refused", None);
    let reach = Layer("could not reach `events`", Some(Box::new(refused)));
    let error = Layer("could not send", Some(Box::new(reach)));
    assert_eq!(
        ErrorChain(&error).to_string(),
        "could not send: could not reach `events`: connection refused"
    );
    assert_eq!(ErrorChain(&Layer("alone", None)).to_string(), "alone");
}

#[test]
#[should_panic(expected = "repeats its source")]
fn the_check_catches_a_cause_printed_twice() {
    let cause = Layer("disk full", None);
    let twice = Layer("could not write: disk full", Some(Box::new(cause)));
    assert_each_cause_once(&twice, 2);
}

fn io_error() -> std::io::Error {
    std::io::Error::other("the disk is gone")
}

#[cfg(feature = "client")]
fn invalid_record() -> crate::encode::record::ValidationError {
    crate::EventRecord::builder("bad name!")
        .build()
        .unwrap_err()
}

#[test]
fn export_file_and_read_errors_leave_the_io_error_to_source() {
    let read = ExportError::Read(io_error());
    assert_each_cause_once(&read, 2);
    assert_eq!(
        ErrorChain(&read).to_string(),
        "could not read the CSV: the disk is gone"
    );
    let file = ExportError::File {
        path: "out.csv".into(),
        source: io_error(),
    };
    assert_each_cause_once(&file, 2);
}

#[test]
fn a_cell_error_is_one_message() {
    let datetime: DatetimeError = "2024-13-01".parse::<crate::Datetime>().unwrap_err();
    let cell = ExportError::Cell {
        row: 3,
        column: "df_when".into(),
        error: CellError::Value(ValueError::Datetime(datetime)),
    };
    assert_each_cause_once(&cell, 1);
    assert!(cell.to_string().contains("2024-13-01"), "{cell}");
}

#[cfg(feature = "client")]
mod client {
    use super::*;
    use crate::client::{ClientBuildError, Error};
    use crate::wire::Endpoint;

    /// A real transport error: a connection refused on a loopback port nothing listens on.
    async fn refused() -> reqwest::Error {
        let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        let url = format!("http://{}/", listener.local_addr().unwrap());
        drop(listener);
        reqwest::Client::new().get(url).send().await.unwrap_err()
    }

    #[tokio::test]
    async fn transport_errors_leave_reqwest_to_source() {
        let transport = Error::Transport {
            endpoint: Endpoint::Events,
            source: refused().await,
            base_url_given_by: "`base_url`",
        };
        assert_each_cause_once(&transport, 2);
        let shown = ErrorChain(&transport).to_string();
        assert!(shown.starts_with("could not reach `"), "{shown}");

        let request = ExportError::Request(Error::Transport {
            endpoint: Endpoint::ExportEvent,
            source: refused().await,
            base_url_given_by: "`base_url`",
        });
        assert_each_cause_once(&request, 3);
        let interrupted = ExportError::Interrupted {
            rows: 3,
            source: Error::Transport {
                endpoint: Endpoint::ExportEvent,
                source: refused().await,
                base_url_given_by: "`base_url`",
            },
        };
        assert_each_cause_once(&interrupted, 3);
        assert_each_cause_once(&ClientBuildError::Http(refused().await), 2);
    }

    #[test]
    fn an_invalid_profile_is_one_message_and_encoding_leaves_serde_to_source() {
        let profile = Error::InvalidProfile(invalid_record());
        assert_each_cause_once(&profile, 1);
        assert!(profile.to_string().contains("bad name!"), "{profile}");
        let encode = Error::Encode {
            endpoint: Endpoint::UserProfile,
            source: serde_json::from_str::<u8>("x").unwrap_err(),
        };
        assert_each_cause_once(&encode, 2);
    }
}

#[cfg(feature = "tracker")]
mod tracker {
    use super::*;
    use crate::tracker::{Spool, SpoolError, TrackError};

    #[test]
    fn a_refused_message_is_its_validation_error() {
        let invalid = TrackError::Invalid(invalid_record());
        assert_each_cause_once(&invalid, 1);
        assert!(invalid.to_string().contains("bad name!"), "{invalid}");
    }

    #[test]
    fn a_damaged_spool_keeps_the_stores_error_as_its_source() {
        let path = std::env::temp_dir().join(format!(
            "dfinery-report-{}-{}.spool",
            std::process::id(),
            uuid::Uuid::new_v4()
        ));
        std::fs::write(&path, vec![0x5a; 8192]).unwrap();
        let error = Spool::open(&path).unwrap_err();
        let _ = std::fs::remove_file(&path);
        assert!(matches!(error, SpoolError::Open { .. }), "{error:?}");
        assert_each_cause_once(&error, 2);
        let spool = TrackError::Spool(error);
        assert_each_cause_once(&spool, 3);
    }
}
