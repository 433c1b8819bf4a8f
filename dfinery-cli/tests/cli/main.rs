//! The `dfinery` binary run as a user runs it: `--help`, `check`, `emulator`, `send` and
//! `export`, against an emulator started in this process (or by the binary itself).

mod check;
mod emulator;
mod export;
mod fleet;
mod help;
mod json;
mod send;
mod support;
