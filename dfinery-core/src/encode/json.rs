//! Small helpers that append JSON tokens to a byte buffer, byte-for-byte the way `serde_json`
//! writes them, so hand-written and serde-written JSON never differ.

use serde::Deserialize;
use serde::de::value::{BorrowedStrDeserializer, Error as ValueError, MapDeserializer};
use serde_json::ser::{CompactFormatter, Formatter};
use serde_json::value::RawValue;

/// Appends `s` as a JSON string literal, escaped exactly like `serde_json` does.
///
/// Most strings (names, ids, text without quotes or control characters) need no escaping: a
/// word-at-a-time scan finds that out and the string is copied whole. Only the others take the
/// byte-by-byte path.
#[inline]
pub fn push_str(out: &mut Vec<u8>, s: &str) {
    out.reserve(s.len() + 2);
    out.push(b'"');
    if needs_escape(s.as_bytes()) {
        push_escaped(out, s.as_bytes());
    } else {
        push_bytes(out, s.as_bytes());
    }
    out.push(b'"');
}

/// Appends `bytes`. Names and most values are a few bytes long, and a call to `memcpy` costs
/// more than copying them: up to 16 bytes are copied in at most two fixed-size (inlined)
/// copies that may overlap, longer slices by `memcpy`.
#[inline]
fn push_bytes(out: &mut Vec<u8>, bytes: &[u8]) {
    let len = bytes.len();
    let (chunk, tail) = match len {
        8..=16 => (8, len - 8),
        4..=7 => (4, len - 4),
        _ => {
            out.extend_from_slice(bytes);
            return;
        }
    };
    // The first chunk, then the last chunk over it: `truncate` moves back over the overlap.
    let start = out.len();
    if chunk == 8 {
        out.extend_from_slice(&bytes[..8]);
        out.truncate(start + tail);
        out.extend_from_slice(&bytes[tail..tail + 8]);
    } else {
        out.extend_from_slice(&bytes[..4]);
        out.truncate(start + tail);
        out.extend_from_slice(&bytes[tail..tail + 4]);
    }
}

/// Whether any byte of `bytes` must be escaped in a JSON string: a control character (below
/// 0x20), `"` or `\\`. Eight bytes at a time; the tail is covered by an overlapping word, so
/// no byte is copied into a padded buffer (which costs more than the check on short strings).
#[inline]
pub(crate) fn needs_escape(bytes: &[u8]) -> bool {
    let len = bytes.len();
    if len >= 8 {
        let mut words = bytes.chunks_exact(8);
        for word in &mut words {
            if word_needs_escape(load8(word)) {
                return true;
            }
        }
        return !words.remainder().is_empty() && word_needs_escape(load8(&bytes[len - 8..]));
    }
    if len >= 4 {
        let low = u64::from(load4(&bytes[..4]));
        let high = u64::from(load4(&bytes[len - 4..]));
        return word_needs_escape(low | (high << 32));
    }
    bytes.iter().any(|&b| b < 0x20 || b == b'"' || b == b'\\')
}

/// The first eight bytes of `bytes` (at least eight long) as a little-endian word.
#[inline]
fn load8(bytes: &[u8]) -> u64 {
    let mut word = [0; 8];
    word.copy_from_slice(&bytes[..8]);
    u64::from_le_bytes(word)
}

/// The first four bytes of `bytes` (at least four long) as a little-endian word.
#[inline]
fn load4(bytes: &[u8]) -> u32 {
    let mut word = [0; 4];
    word.copy_from_slice(&bytes[..4]);
    u32::from_le_bytes(word)
}

/// Whether any of the eight bytes of `word` must be escaped. The classic bit tricks ("has a
/// zero byte", "has a byte less than n") are exact for whether such a byte exists.
#[inline]
const fn word_needs_escape(word: u64) -> bool {
    const ONES: u64 = 0x0101_0101_0101_0101;
    const HIGH: u64 = 0x8080_8080_8080_8080;
    const fn has_zero_byte(v: u64) -> bool {
        v.wrapping_sub(ONES) & !v & HIGH != 0
    }
    let control = word.wrapping_sub(ONES * 0x20) & !word & HIGH != 0;
    control
        || has_zero_byte(word ^ (ONES * b'"' as u64))
        || has_zero_byte(word ^ (ONES * b'\\' as u64))
}

/// Appends `bytes` with every byte that needs it escaped, without the quotes.
#[cold]
#[inline(never)]
fn push_escaped(out: &mut Vec<u8>, bytes: &[u8]) {
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
}

/// Appends an integer.
pub(crate) fn push_i64(out: &mut Vec<u8>, value: i64) {
    // `io::Write` for `Vec<u8>` cannot fail.
    let _ = CompactFormatter.write_i64(out, value);
}

/// Whole doubles below this are written as integers (see [`push_f64`]): up to 15 digits, where
/// the shortest round-trip form is still the plain digits and `.0` (from 10^16 on it is
/// `1e+16`).
const WHOLE_BELOW: u64 = 1_000_000_000_000_000;

/// Appends a finite double in its shortest round-trip form (`5000.0`, `1e300`), the same bytes
/// `serde_json` writes. The caller has checked that `value` is finite.
///
/// A whole number below 10^15 in magnitude (a price or an amount in won, a count) is written
/// as its integer's digits and `.0`, which is that form, without the general float formatter
/// (several times its cost; a purchase with five items holds eighteen such values).
#[inline]
pub(crate) fn push_f64(out: &mut Vec<u8>, value: f64) {
    // `as` saturates and maps NaN to 0; the round trip back to `f64` keeps only whole values
    // that an `i64` holds exactly, and `-0.0` (which must stay `-0.0`) is left to the formatter.
    let whole = value as i64;
    if whole as f64 == value
        && whole.unsigned_abs() < WHOLE_BELOW
        && (whole != 0 || value.is_sign_positive())
    {
        push_i64(out, whole);
        out.extend_from_slice(b".0");
        return;
    }
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

/// `bytes` as a `RawValue`. When `valid_json` (every value was written by a writer that only
/// writes well-formed JSON) the text is taken as it is, without parsing it again; otherwise it
/// is parsed, and the parser's message is the error.
pub(crate) fn raw_value(bytes: &[u8], valid_json: bool) -> Result<Box<RawValue>, String> {
    let text = std::str::from_utf8(bytes).map_err(|e| e.to_string())?;
    if valid_json && let Some(raw) = trusted_raw_value(text) {
        return Ok(raw);
    }
    RawValue::from_string(text.to_owned()).map_err(|e| e.to_string())
}

/// `text` (well-formed JSON) as a borrowed `RawValue`: taken as it is through the raw-value
/// protocol, or parsed when that protocol is not the one this `serde_json` speaks. `None` only
/// when `text` is not JSON after all.
pub(crate) fn raw_ref(text: &str) -> Option<&RawValue> {
    let protocol = MapDeserializer::<_, ValueError>::new(std::iter::once((
        RAW_VALUE_TOKEN,
        BorrowedStrDeserializer::<ValueError>::new(text),
    )));
    <&RawValue>::deserialize(protocol)
        .ok()
        .or_else(|| serde_json::from_str(text).ok())
}

/// Checks that `bytes` are UTF-8 and, unless `valid_json` (every value was written by a writer
/// that only writes well-formed JSON), that they are one JSON value; the error is the reason.
pub(crate) fn checked_text(bytes: &[u8], valid_json: bool) -> Result<&str, String> {
    let text = std::str::from_utf8(bytes).map_err(|e| e.to_string())?;
    if !valid_json {
        serde_json::from_str::<&RawValue>(text).map_err(|e| e.to_string())?;
    }
    Ok(text)
}

/// The name `serde_json` gives its raw-value protocol. Not a public API of `serde_json`: if it
/// ever changes, [`trusted_raw_value`] and [`raw_ref`] return `None` and their callers parse
/// instead, so the result stays right and only gets slower (a test watches for that).
const RAW_VALUE_TOKEN: &str = "$serde_json::private::RawValue";

/// `text` as a `RawValue` without parsing it: `serde_json` has no public constructor that
/// skips the parse, but its `Deserialize` for `Box<RawValue>` takes the text of any
/// deserializer that speaks its raw-value protocol on trust. `None` when that protocol is not
/// the one this version of `serde_json` speaks.
fn trusted_raw_value(text: &str) -> Option<Box<RawValue>> {
    let protocol = MapDeserializer::<_, ValueError>::new(std::iter::once((RAW_VALUE_TOKEN, text)));
    Box::<RawValue>::deserialize(protocol).ok()
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
            28_000.0,
            -59_000.0,
            999_999_999_999_999.0,
            -999_999_999_999_999.0,
            1e15,
            1e16,
            9_007_199_254_740_993.0,
            9.3e18,
            -9.3e18,
            0.5,
            12_345.25,
        ] {
            let mut out = Vec::new();
            push_f64(&mut out, v);
            assert_eq!(out, serde_json::to_vec(&v).unwrap(), "{v:?}");
        }
        // Around every power of ten the whole-number path covers, and just past it.
        for power in 0..17 {
            let p = 10f64.powi(power);
            for v in [p - 1.0, p, p + 1.0, -p, -(p - 1.0), p + 0.5] {
                let mut out = Vec::new();
                push_f64(&mut out, v);
                assert_eq!(out, serde_json::to_vec(&v).unwrap(), "{v:?}");
            }
        }
        let mut out = Vec::new();
        push_f32(&mut out, 0.1);
        assert_eq!(out, b"0.1");
        let mut out = Vec::new();
        push_i64(&mut out, i64::MIN);
        assert_eq!(out, i64::MIN.to_string().as_bytes());
    }

    proptest::proptest! {
        /// Whole numbers on either side of the integer path's bound, and any finite double,
        /// come out as `serde_json` writes them.
        #[test]
        fn doubles_format_like_serde_json(
            whole in -(1i64 << 60)..(1i64 << 60),
            // The integer path's own range, which the range above reaches once in a thousand.
            small in -999_999_999_999_999i64..=999_999_999_999_999,
            bits: u64,
        ) {
            for v in [whole as f64, small as f64, f64::from_bits(bits)] {
                if v.is_finite() {
                    let mut out = Vec::new();
                    push_f64(&mut out, v);
                    proptest::prop_assert_eq!(&out, &serde_json::to_vec(&v).unwrap(), "{:?}", v);
                }
            }
        }
    }

    #[test]
    fn trusted_text_becomes_a_raw_value_without_a_parse() {
        // Proof that no parser ran: text no parser accepts comes back as it went in.
        let raw = trusted_raw_value("{not json").expect("serde_json's raw-value protocol");
        assert_eq!(raw.get(), "{not json");
        let raw = raw_value(br#"{"a":[1,2.5,"x"]}"#, true).unwrap();
        assert_eq!(raw.get(), r#"{"a":[1,2.5,"x"]}"#);
    }

    #[test]
    fn untrusted_text_is_parsed() {
        assert_eq!(raw_value(br#"{"a":1}"#, false).unwrap().get(), r#"{"a":1}"#);
        let error = raw_value(b"{not json", false).unwrap_err();
        assert!(error.contains("key must be a string"), "{error}");
        assert!(raw_value(&[0xff], true).is_err());
    }

    #[test]
    fn strings_without_escapes_are_copied_whole() {
        for s in [
            "",
            "df_item_id",
            "Cracker",
            "유니코드 🎉",
            "a\u{7f}b",
            " !#[]~\u{80}",
        ] {
            assert!(!needs_escape(s.as_bytes()), "{s:?}");
        }
        for s in [
            "\"",
            "\\",
            "\u{0}",
            "tab\t",
            "end\u{1f}",
            "eight b\"",
            "sixteen bytes!!\n",
        ] {
            assert!(needs_escape(s.as_bytes()), "{s:?}");
        }
        // Every byte at every position of a word and of the tail.
        for len in [1, 2, 3, 4, 5, 7, 8, 9, 15, 16, 17] {
            for at in 0..len {
                for byte in 0..=u8::MAX {
                    let mut bytes = vec![b'x'; len];
                    bytes[at] = byte;
                    let expected = byte < 0x20 || byte == b'"' || byte == b'\\';
                    assert_eq!(needs_escape(&bytes), expected, "{bytes:?}");
                }
            }
        }
    }

    #[test]
    fn short_and_long_strings_are_copied_exactly() {
        let text = "abcdefghijklmnopqrstuvwxyz0123456789";
        for len in 0..=text.len() {
            let mut out = b"prefix".to_vec();
            push_bytes(&mut out, &text.as_bytes()[..len]);
            assert_eq!(&out[..6], b"prefix");
            assert_eq!(&out[6..], &text.as_bytes()[..len], "{len}");
        }
    }

    #[test]
    fn text_is_borrowed_as_a_raw_value_without_a_parse() {
        let text = String::from("{not json");
        let raw = raw_ref(&text).expect("serde_json's raw-value protocol");
        assert_eq!(raw.get(), "{not json");
        assert!(std::ptr::eq(raw.get().as_ptr(), text.as_ptr()));
    }

    #[test]
    fn checked_text_parses_only_what_is_not_promised() {
        assert_eq!(checked_text(b"{not json", true).unwrap(), "{not json");
        let error = checked_text(b"{not json", false).unwrap_err();
        assert!(error.contains("key must be a string"), "{error}");
        assert_eq!(
            checked_text(br#"[{"a":1}]"#, false).unwrap(),
            r#"[{"a":1}]"#
        );
        assert!(checked_text(&[0xff], true).is_err());
    }
}
