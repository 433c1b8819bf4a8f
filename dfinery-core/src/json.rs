//! Small helpers that append JSON tokens to a byte buffer, byte-for-byte the way `serde_json`
//! writes them, so hand-written and serde-written JSON never differ.

use serde_json::ser::{CompactFormatter, Formatter};

/// Appends `s` as a JSON string literal, escaped exactly like `serde_json` does.
pub(crate) fn push_str(out: &mut Vec<u8>, s: &str) {
    out.reserve(s.len() + 2);
    out.push(b'"');
    let bytes = s.as_bytes();
    let mut start = 0;
    for (i, &byte) in bytes.iter().enumerate() {
        let escape: &[u8] = match byte {
            b'"' => b"\\\"",
            b'\\' => b"\\\\",
            b'\n' => b"\\n",
            b'\r' => b"\\r",
            b'\t' => b"\\t",
            0x08 => b"\\b",
            0x0c => b"\\f",
            0x00..=0x1f => {
                out.extend_from_slice(&bytes[start..i]);
                const HEX: &[u8; 16] = b"0123456789abcdef";
                out.extend_from_slice(b"\\u00");
                out.push(HEX[usize::from(byte >> 4)]);
                out.push(HEX[usize::from(byte & 0x0f)]);
                start = i + 1;
                continue;
            }
            _ => continue,
        };
        out.extend_from_slice(&bytes[start..i]);
        out.extend_from_slice(escape);
        start = i + 1;
    }
    out.extend_from_slice(&bytes[start..]);
    out.push(b'"');
}

/// The length of `s` as a JSON string literal, quotes included, as [`push_str`] writes it.
pub(crate) fn escaped_len(s: &str) -> usize {
    2 + s
        .bytes()
        .map(|b| match b {
            b'"' | b'\\' | b'\n' | b'\r' | b'\t' | 0x08 | 0x0c => 2,
            0x00..=0x1f => 6,
            _ => 1,
        })
        .sum::<usize>()
}

/// Appends an integer.
pub(crate) fn push_i64(out: &mut Vec<u8>, value: i64) {
    // `io::Write` for `Vec<u8>` cannot fail.
    let _ = CompactFormatter.write_i64(out, value);
}

/// Appends a finite double in its shortest round-trip form (`5000.0`, `1e300`). The caller has
/// checked that `value` is finite.
pub(crate) fn push_f64(out: &mut Vec<u8>, value: f64) {
    // `io::Write` for `Vec<u8>` cannot fail.
    let _ = CompactFormatter.write_f64(out, value);
}

/// Appends a finite `f32` in its shortest round-trip form, so `0.1_f32` is written `0.1`.
pub(crate) fn push_f32(out: &mut Vec<u8>, value: f32) {
    // `io::Write` for `Vec<u8>` cannot fail.
    let _ = CompactFormatter.write_f32(out, value);
}

/// Appends `true` or `false`.
pub(crate) fn push_bool(out: &mut Vec<u8>, value: bool) {
    out.extend_from_slice(if value { b"true" } else { b"false" });
}

/// Appends anything whose `Display` is already valid JSON (used for datetimes and dates, whose
/// text needs no escaping), wrapped in quotes.
pub(crate) fn push_display_str(out: &mut Vec<u8>, value: impl std::fmt::Display) {
    use std::io::Write;
    // `io::Write` for `Vec<u8>` cannot fail.
    let _ = write!(out, "\"{value}\"");
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn strings_escape_like_serde_json() {
        let samples = [
            "plain",
            "quote \" and backslash \\",
            "controls \n\r\t\u{8}\u{c}\u{1}\u{1f}\u{7f}",
            "유니코드 🎉",
            "",
        ];
        for s in samples {
            let mut out = Vec::new();
            push_str(&mut out, s);
            assert_eq!(out, serde_json::to_vec(s).unwrap(), "{s:?}");
            assert_eq!(escaped_len(s), out.len(), "{s:?}");
        }
    }

    #[test]
    fn numbers_format_like_serde_json() {
        for v in [
            0.0,
            -0.0,
            1.0,
            5000.0,
            0.1,
            1e300,
            -2.5e-8,
            f64::MAX,
            f64::MIN_POSITIVE,
        ] {
            let mut out = Vec::new();
            push_f64(&mut out, v);
            assert_eq!(out, serde_json::to_vec(&v).unwrap());
        }
        let mut out = Vec::new();
        push_f32(&mut out, 0.1);
        assert_eq!(out, b"0.1");
        let mut out = Vec::new();
        push_i64(&mut out, i64::MIN);
        assert_eq!(out, i64::MIN.to_string().as_bytes());
    }
}
