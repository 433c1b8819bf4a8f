//! `dfinery`: the command line around an app that sends to DFINERY. It runs a local DFINERY
//! (`dfinery emulator`), checks the registry file (`dfinery check`), backfills events from a
//! file with a resumable spool (`dfinery send`) and pulls exports (`dfinery export`).
//!
//! Results go to stdout, logs and progress bars to stderr; exit codes are listed in
//! [`exit::EXIT_CODES_HELP`].
#![warn(missing_docs)]

mod cli;
mod client;
mod commands;
mod exit;
mod logging;
mod output;
mod progress;
mod registry;
mod stop;

use std::process::ExitCode;

fn main() -> ExitCode {
    let cli = cli::parse();
    logging::init(&cli.global);
    let json = cli.global.json;
    let runtime = match tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
    {
        Ok(runtime) => runtime,
        Err(err) => {
            let err = exit::CliError::config(format!("cannot start the async runtime: {err}"));
            fail(&err, json);
            return err.exit.into();
        }
    };
    let outcome = runtime.block_on(commands::run(cli));
    // Leave lingering connections and timers behind rather than waiting for them.
    runtime.shutdown_background();
    match outcome {
        Ok(exit) => exit.into(),
        Err(err) => {
            fail(&err, json);
            err.exit.into()
        }
    }
}

/// Reports a failed command: its message on stderr and, with `--json`, as the command's one
/// JSON object on stdout when it printed none (`{"error": …, "exit_code": …}`), so a script
/// reading stdout with `jq` gets an object on failure as on success.
fn fail(err: &exit::CliError, json: bool) {
    progress::multi().suspend(|| error_line(&format!("error: {err}")));
    if json && !output::json_printed() {
        output::json(&serde_json::json!({
            "error": err.message,
            "exit_code": err.exit as u8,
        }));
    }
}

/// Writes one line on stderr. Unlike `eprintln!`, a closed stderr (`dfinery … 2>&1 | head`)
/// does not panic: the exit code still says what happened.
fn error_line(text: &str) {
    use std::io::Write;
    let _ = writeln!(std::io::stderr(), "{text}");
}
