//! The result codes the emulator answers with: DFINERY's own tables
//! ([`dfinery_schema::protocol`]), re-exported. Which status the emulator sends with each, and
//! when, is its behaviour (see the builder's options and the faults); `50000` and the export's
//! `client_connection_closed`, `unknown_error` and `query_error` are only ever injected by a fault.

pub use dfinery_schema::protocol::{ExportFailure, ImportCode};
