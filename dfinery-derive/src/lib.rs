//! Derives for DFINERY events, items and user profiles (use them through the `dfinery` crate).
