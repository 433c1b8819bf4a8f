//! One module per command; [`run`] dispatches.

pub mod check;
pub mod emulator;
pub mod export;
pub mod send;

use crate::cli::{Cli, Command, ExportWhat};
use crate::exit::{CliError, Exit};

/// Runs the command of `cli`.
///
/// # Errors
///
/// The command's [`CliError`], with its exit code.
pub async fn run(cli: Cli) -> Result<Exit, CliError> {
    let json = cli.global.json;
    match cli.command {
        Command::Emulator(args) => emulator::run(args, json).await,
        Command::Check(args) => check::run(&args, json),
        Command::Send(args) => send::run(args, json).await,
        Command::Export(args) => match args.what {
            ExportWhat::Events(args) => export::events(&args, json).await,
            ExportWhat::Profiles(args) => export::profiles(&args, json).await,
        },
    }
}
