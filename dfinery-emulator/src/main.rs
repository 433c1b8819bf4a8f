//! `dfinery-emulator`: run a local DFINERY from the command line.
//!
//! ```text
//! dfinery-emulator [--registry dfinery.toml] [--port 8080] [--service-id ID]
//!                  [--import-token TOKEN] [--export-token TOKEN] [--inspect]
//! ```

use std::process::ExitCode;

use dfinery_emulator::{Emulator, EmulatorBuilder};

const USAGE: &str = "usage: dfinery-emulator [--registry PATH] [--port PORT] [--service-id ID] \
[--import-token TOKEN] [--export-token TOKEN] [--inspect]";

#[tokio::main]
async fn main() -> ExitCode {
    let builder = match parse(std::env::args().skip(1)) {
        Ok(Some(builder)) => builder,
        Ok(None) => {
            println!("{USAGE}");
            return ExitCode::SUCCESS;
        }
        Err(message) => {
            eprintln!("error: {message}\n{USAGE}");
            return ExitCode::from(2);
        }
    };
    let emulator = match builder.start().await {
        Ok(emulator) => emulator,
        Err(err) => {
            eprintln!("error: {err}");
            return ExitCode::FAILURE;
        }
    };
    println!(
        "DFINERY emulator listening on {} (service id `{}`); press Ctrl-C to stop",
        emulator.base_url(),
        emulator.service_id()
    );
    if let Some(url) = emulator.inspector_url() {
        println!("inspector: open {url} in a browser");
    }
    let _ = tokio::signal::ctrl_c().await;
    emulator.shutdown().await;
    ExitCode::SUCCESS
}

/// Reads the flags into a builder; `Ok(None)` for `--help`.
fn parse(args: impl IntoIterator<Item = String>) -> Result<Option<EmulatorBuilder>, String> {
    let mut builder = Emulator::builder().port(8080);
    let mut args = args.into_iter();
    while let Some(flag) = args.next() {
        let mut value = || args.next().ok_or_else(|| format!("`{flag}` needs a value"));
        builder = match flag.as_str() {
            "--registry" => builder.registry_path(value()?),
            "--port" => {
                let text = value()?;
                let port = text.parse().map_err(|_| {
                    format!("`--port {text}` is not a port number; give 0 to 65535")
                })?;
                builder.port(port)
            }
            "--service-id" => builder.service_id(value()?),
            "--import-token" => builder.import_token(value()?),
            "--export-token" => builder.export_token(value()?),
            "--inspect" => builder.inspection_http(true).inspector(true),
            "-h" | "--help" => return Ok(None),
            other => return Err(format!("unknown flag `{other}`")),
        };
    }
    Ok(Some(builder))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn args(list: &[&str]) -> Vec<String> {
        list.iter().map(|s| (*s).to_owned()).collect()
    }

    #[test]
    fn flags_are_read_and_mistakes_named() {
        assert!(
            parse(args(&["--port", "0", "--service-id", "svc", "--inspect"]))
                .unwrap()
                .is_some()
        );
        assert!(parse(args(&["--help"])).unwrap().is_none());
        assert_eq!(
            parse(args(&["--port"])).unwrap_err(),
            "`--port` needs a value"
        );
        assert_eq!(
            parse(args(&["--port", "http"])).unwrap_err(),
            "`--port http` is not a port number; give 0 to 65535"
        );
        assert_eq!(
            parse(args(&["--verbose"])).unwrap_err(),
            "unknown flag `--verbose`"
        );
    }
}
