//! A local DFINERY (being filled in).
