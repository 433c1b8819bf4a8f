//! A borrowed view of a JSON value, so callers holding `serde_json::Value` (the emulator) can ask
//! this crate's type rules without it depending on `serde_json`.

/// The shape of one JSON value, as far as DFINERY's type rules care.
///
/// Build it from whatever JSON type you hold; with `serde_json::Value`:
/// `Number` → [`Integer`](JsonView::Integer) when `as_i64()` succeeds, else
/// [`BigInteger`](JsonView::BigInteger) when `is_u64()`, else [`Fraction`](JsonView::Fraction)
/// with `as_f64()`.
#[derive(Debug, Clone, PartialEq)]
pub enum JsonView<'a> {
    /// `null`.
    Null,
    /// `true` or `false`.
    Bool(bool),
    /// An integer literal that fits an `i64`.
    Integer(i64),
    /// An integer literal outside the `i64` range (e.g. `18446744073709551615`).
    BigInteger,
    /// A number written with a fraction or an exponent (`1.0`, `2e3`): never a Long.
    Fraction(f64),
    /// A string, unescaped.
    String(&'a str),
    /// An array of values.
    Array(Vec<JsonView<'a>>),
    /// An object (never a valid property value).
    Object,
}

impl JsonView<'_> {
    /// What this value is, for messages: `a string`, `an integer`, `null`, …
    pub fn describe(&self) -> &'static str {
        match self {
            JsonView::Null => "null",
            JsonView::Bool(_) => "a boolean",
            JsonView::Integer(_) => "an integer",
            JsonView::BigInteger => "an integer outside the 64-bit range",
            // An integer literal past `u64` reaches here as a float (serde_json reads it so),
            // as does `1e23`: either way a whole number no Long holds.
            JsonView::Fraction(f) if f.fract() == 0.0 && f.abs() >= I64_BOUND => {
                "a number outside the 64-bit integer range"
            }
            JsonView::Fraction(_) => "a fractional number",
            JsonView::String(_) => "a string",
            JsonView::Array(_) => "an array",
            JsonView::Object => "an object",
        }
    }

    /// The byte length of this value's compact JSON text, the measure of
    /// [`MAX_VALUE_BYTES`](crate::limits::MAX_VALUE_BYTES) for a view built in memory, which
    /// has no text of its own. A value read from JSON is measured by its text instead
    /// ([`Json::json_len`](crate::Json::json_len), exact): that is what the emulator and the
    /// CLI check.
    ///
    /// Null, booleans, integers, strings (with JSON escapes) and arrays of them count as
    /// `serde_json` writes them (a fraction in its shortest round-trip form, e.g. `1e300`, as
    /// the wire has it); a big integer (whose digits a view does not keep) as 20 bytes, an object as 2.
    pub fn json_len(&self) -> usize {
        match self {
            JsonView::Null => 4,
            JsonView::Bool(true) => 4,
            JsonView::Bool(false) => 5,
            JsonView::Integer(i) => decimal_len(*i),
            JsonView::BigInteger => 20,
            JsonView::Fraction(f) => fraction_json_len(*f),
            JsonView::String(s) => string_json_len(s),
            JsonView::Array(items) => {
                2 + items.iter().map(JsonView::json_len).sum::<usize>()
                    + items.len().saturating_sub(1)
            }
            JsonView::Object => 2,
        }
    }
}

/// 2^63 as a float: the first whole number no `i64` holds.
const I64_BOUND: f64 = 9_223_372_036_854_775_808.0;

/// The length of `f` as `serde_json` writes it, as the wire has it (`0.00001`, `1e+16`, `5.0`:
/// Rust's `{:?}` would write the first two `1e-5` and `1e16`), counted without allocating.
fn fraction_json_len(f: f64) -> usize {
    use serde_json::ser::Formatter;
    struct Count(usize);
    impl std::io::Write for Count {
        fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
            self.0 += buf.len();
            Ok(buf.len())
        }
        fn flush(&mut self) -> std::io::Result<()> {
            Ok(())
        }
    }
    let mut count = Count(0);
    // Writing to a counter cannot fail.
    let _ = serde_json::ser::CompactFormatter.write_f64(&mut count, f);
    count.0
}

fn decimal_len(i: i64) -> usize {
    let sign = usize::from(i < 0);
    let digits = i
        .unsigned_abs()
        .checked_ilog10()
        .map_or(1, |l| l as usize + 1);
    sign + digits
}

/// Quotes plus each character as `serde_json` escapes it.
fn string_json_len(s: &str) -> usize {
    2 + s
        .chars()
        .map(|c| match c {
            '"' | '\\' | '\u{08}' | '\u{0C}' | '\n' | '\r' | '\t' => 2,
            c if (c as u32) < 0x20 => 6,
            c => c.len_utf8(),
        })
        .sum::<usize>()
}

#[cfg(test)]
mod tests {
    use super::JsonView;

    /// A fraction counts as many bytes as `serde_json` (and so the wire) writes for it, where
    /// Rust's `{:?}` is shorter for some: `1e-5` for `0.00001`, `1e16` for `1e+16`.
    #[test]
    fn a_fraction_counts_the_bytes_serde_json_writes() {
        let values = [
            0.1,
            -0.5,
            1.5e300,
            1e-5,
            1e-7,
            0.0001,
            123_456.789,
            5.0,
            -0.0,
            1e15,
            1e16,
            1e21,
            f64::MAX,
            f64::MIN_POSITIVE,
            2.5e-308,
        ];
        for f in values {
            let text = serde_json::to_string(&f).unwrap();
            assert_eq!(
                JsonView::Fraction(f).json_len(),
                text.len(),
                "{f:?} is written {text}"
            );
        }
        let array = JsonView::Array(values.iter().map(|f| JsonView::Fraction(*f)).collect());
        assert_eq!(
            array.json_len(),
            serde_json::to_string(&values).unwrap().len()
        );
    }
}
