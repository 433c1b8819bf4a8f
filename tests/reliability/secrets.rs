//! Tokens stay out of `Debug`, `Display`, errors and logs.
