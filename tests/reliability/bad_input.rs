//! Bad inputs not covered elsewhere in the repository, one test per row of the inventory in
//! `RELIABILITY.md`.
