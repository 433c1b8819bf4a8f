//! The HTTP side: shared state, the request gate, the Import handlers, inspection, routing and
//! the accept loop.

pub(crate) mod app;
pub(crate) mod body;
pub(crate) mod faults;
pub(crate) mod gate;
pub(crate) mod import;
pub(crate) mod inspect;
pub(crate) mod limiter;
pub(crate) mod response;
pub(crate) mod router;
pub(crate) mod serve;
