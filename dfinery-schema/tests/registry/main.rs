//! Integration tests of `dfinery-schema`: the registry file, the catalog and the shared rules.

mod bad_files;
mod catalog;
mod check;
mod format;
mod model;
mod names;
mod parse_ok;
mod props;
mod suggest;
mod support;
