//! Integration tests of the emulator over real HTTP (reqwest on 127.0.0.1), one binary.

mod docs_examples;
mod identity;
mod import;
mod profile;
mod support;
