//! The DFINERY runtime (being filled in).
