//! Fuzz target: any text given to the registry parser gives a registry or an error with a
//! message, never a panic.
#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    if let Ok(text) = std::str::from_utf8(data)
        && let Err(error) = dfinery_schema::Registry::parse(text)
    {
        assert!(!error.to_string().is_empty());
    }
});
