//! Integration tests of the emulator over real HTTP (reqwest on 127.0.0.1), one binary.

mod docs_examples;
mod export;
mod faults;
mod identity;
mod import;
mod inspect;
mod profile;
mod props;
mod rate_limit;
mod sink;
mod support;
