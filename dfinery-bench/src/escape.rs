//! Part of comparison 1: dfinery's JSON string escaper against `serde_json`'s on the keys and
//! strings of comparison 1's event (`BENCHMARKS.md`, "JSON escaper").
//!
//! dfinery writes every key and string value with its own escaper (a word-at-a-time scan for
//! bytes that need escaping, then one copy), called here directly
//! (`dfinery::__private::push_json_str`); `serde_json`'s is reached through
//! [`serde_json::to_writer`] of a `&str` (its escaping function itself is private), which is what
//! dfinery would call instead. dfinery keeps its own while `serde_json`'s costs more than 5 %
//! more.

use dfinery::__private::push_json_str;
use serde_json::Value;

use crate::fixtures::{purchase, serde_purchase};

/// Every object key and string value of the purchase that comparison 1 serialises, in the
/// order its wire JSON holds them: what the escaper sees for one event.
pub fn purchase_strings() -> Vec<String> {
    let value = serde_json::to_value(serde_purchase(&purchase())).unwrap_or_default();
    let mut strings = Vec::new();
    collect(&value, &mut strings);
    strings
}

/// Free text a user might send: non-ASCII, quotes, a newline, a tab, a control character.
pub fn text_strings() -> Vec<String> {
    [
        "유기농 통밀 크래커 (대용량)",
        "He said \"fresh\" and left",
        "line one\nline two",
        "tab\tseparated\tvalues",
        "bell \u{7} and escape \u{1b}",
        "C:\\Users\\dfinery\\export.csv",
        "a plain sentence of moderate length without anything to escape in it",
    ]
    .map(str::to_owned)
    .to_vec()
}

fn collect(value: &Value, out: &mut Vec<String>) {
    match value {
        Value::String(s) => out.push(s.clone()),
        Value::Array(values) => values.iter().for_each(|v| collect(v, out)),
        Value::Object(map) => {
            for (key, v) in map {
                out.push(key.clone());
                collect(v, out);
            }
        }
        _ => {}
    }
}

/// Writes every string of `strings` with dfinery's escaper into `out` (cleared first); the
/// number of bytes written.
#[inline(never)]
pub fn dfinery(strings: &[String], out: &mut Vec<u8>) -> usize {
    out.clear();
    for s in strings {
        push_json_str(out, s);
    }
    out.len()
}

/// Writes every string of `strings` with [`serde_json::to_writer`] into `out` (cleared first);
/// the number of bytes written.
#[inline(never)]
pub fn serde(strings: &[String], out: &mut Vec<u8>) -> usize {
    out.clear();
    for s in strings {
        // Writing a string into a `Vec<u8>` cannot fail.
        let _ = serde_json::to_writer(&mut *out, s.as_str());
    }
    out.len()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn both_escapers_write_the_same_bytes() {
        for strings in [purchase_strings(), text_strings()] {
            let (mut ours, mut theirs) = (Vec::new(), Vec::new());
            dfinery(&strings, &mut ours);
            serde(&strings, &mut theirs);
            assert_eq!(
                String::from_utf8_lossy(&ours),
                String::from_utf8_lossy(&theirs)
            );
        }
        assert!(purchase_strings().contains(&"df_item_name".to_owned()));
    }
}
