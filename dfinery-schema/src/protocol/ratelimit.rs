//! The rate-limit headers of every answer (`docs/protocol.md` §7.2): their names in both
//! spellings DFINERY's documentation shows, the window units of `x-ratelimit-limit`, and how
//! `x-ratelimit-remaining` and `x-ratelimit-reset` read.

use std::time::{Duration, SystemTime, UNIX_EPOCH};

/// One of the three rate-limit headers of an answer.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum RateLimitHeader {
    /// `x-ratelimit-limit`: the window, e.g. `1m` or `1d` (DFINERY sends the reset period
    /// here, not a count).
    Limit,
    /// `x-ratelimit-remaining`: calls left in the window.
    Remaining,
    /// `x-ratelimit-reset`: when the window resets, as epoch milliseconds or seconds
    /// ([`parse_reset`]).
    Reset,
}

impl RateLimitHeader {
    /// Every header, in the order of `docs/protocol.md` §7.2.
    pub const ALL: [RateLimitHeader; 3] = [
        RateLimitHeader::Limit,
        RateLimitHeader::Remaining,
        RateLimitHeader::Reset,
    ];

    /// The name in lower case, e.g. `x-ratelimit-limit`: the spelling a server writes.
    pub const fn name(self) -> &'static str {
        self.names()[0]
    }

    /// Both spellings DFINERY's documentation shows, in lower case: `x-ratelimit-*` and
    /// `x-rate-limit-*` (header names are case-insensitive, so `X-Rate-Limit-*` is the second).
    pub const fn names(self) -> [&'static str; 2] {
        match self {
            RateLimitHeader::Limit => ["x-ratelimit-limit", "x-rate-limit-limit"],
            RateLimitHeader::Remaining => ["x-ratelimit-remaining", "x-rate-limit-remaining"],
            RateLimitHeader::Reset => ["x-ratelimit-reset", "x-rate-limit-reset"],
        }
    }
}

/// A unit of a rate-limit window `<n><unit>` (`docs/protocol.md` §7.2).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum WindowUnit {
    /// `s` (also written `S`).
    Second,
    /// `m`: always a minute (`M` is a month).
    Minute,
    /// `H` (also written `h`).
    Hour,
    /// `d` (also written `D`).
    Day,
    /// `M`, counted as 30 days.
    Month,
    /// `y` (also written `Y`), counted as 365 days.
    Year,
}

impl WindowUnit {
    /// Every unit, shortest first.
    pub const ALL: [WindowUnit; 6] = [
        WindowUnit::Second,
        WindowUnit::Minute,
        WindowUnit::Hour,
        WindowUnit::Day,
        WindowUnit::Month,
        WindowUnit::Year,
    ];

    /// The letter written for the unit: `s`, `m`, `H`, `d`, `M` or `y`.
    pub const fn letter(self) -> char {
        match self {
            WindowUnit::Second => 's',
            WindowUnit::Minute => 'm',
            WindowUnit::Hour => 'H',
            WindowUnit::Day => 'd',
            WindowUnit::Month => 'M',
            WindowUnit::Year => 'y',
        }
    }

    /// The unit's length in seconds (a month counted as 30 days, a year as 365).
    pub const fn seconds(self) -> u64 {
        match self {
            WindowUnit::Second => 1,
            WindowUnit::Minute => 60,
            WindowUnit::Hour => 3_600,
            WindowUnit::Day => 86_400,
            WindowUnit::Month => 30 * 86_400,
            WindowUnit::Year => 365 * 86_400,
        }
    }

    /// Whether the unit has a fixed length: a second, minute, hour or day (not a month or
    /// year, whose lengths [`seconds`](Self::seconds) only approximates).
    pub const fn is_fixed(self) -> bool {
        !matches!(self, WindowUnit::Month | WindowUnit::Year)
    }

    /// Reads a unit letter as DFINERY's documentation writes it either way ("1d, 1H, 1m" and
    /// "1Y, 1M, 1D, 1H, 1M, 1S"): `s`/`S`, `m`, `H`/`h`, `d`/`D`, `M`, `y`/`Y`. Only `M`/`m`
    /// differ by case: `M` is a month, `m` a minute.
    pub const fn from_letter(letter: char) -> Option<WindowUnit> {
        Some(match letter {
            's' | 'S' => WindowUnit::Second,
            'm' => WindowUnit::Minute,
            'H' | 'h' => WindowUnit::Hour,
            'd' | 'D' => WindowUnit::Day,
            'M' => WindowUnit::Month,
            'y' | 'Y' => WindowUnit::Year,
            _ => return None,
        })
    }
}

/// Reads a window `<n><unit>` such as `1m` or `1D` (units as [`WindowUnit::from_letter`]
/// reads them). `None` for anything else, including an unknown unit: the window is then
/// unknown, which never fails a call and never stops pacing (the remaining count and the reset
/// still count).
///
/// ```
/// use std::time::Duration;
/// use dfinery_schema::protocol::parse_window;
///
/// assert_eq!(parse_window("1m"), Some(Duration::from_secs(60)));
/// assert_eq!(parse_window("1H"), Some(Duration::from_secs(3_600)));
/// assert_eq!(parse_window("1D"), Some(Duration::from_secs(86_400)));
/// assert_eq!(parse_window("1M"), Some(Duration::from_secs(30 * 86_400)));
/// assert_eq!(parse_window("1w"), None);
/// assert_eq!(parse_window("m"), None);
/// ```
pub fn parse_window(text: &str) -> Option<Duration> {
    let text = text.trim();
    let letter = text.chars().last()?;
    let digits = &text[..text.len() - letter.len_utf8()];
    if digits.is_empty() || !digits.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    let amount: u64 = digits.parse().ok()?;
    let unit = WindowUnit::from_letter(letter)?;
    Some(Duration::from_secs(amount.checked_mul(unit.seconds())?))
}

/// Reads an `x-ratelimit-reset` value: epoch **milliseconds** when it is at least 10^12
/// (13 digits, e.g. `1682593200268`), epoch **seconds** otherwise (e.g. `1719397769`),
/// as DFINERY's documentation shows both. `None` when it is not a whole number.
///
/// ```
/// use std::time::{Duration, UNIX_EPOCH};
/// use dfinery_schema::protocol::parse_reset;
///
/// assert_eq!(parse_reset("1719397769"), Some(UNIX_EPOCH + Duration::from_secs(1_719_397_769)));
/// assert_eq!(parse_reset("1682640000000"), Some(UNIX_EPOCH + Duration::from_secs(1_682_640_000)));
/// assert_eq!(parse_reset("soon"), None);
/// ```
pub fn parse_reset(text: &str) -> Option<SystemTime> {
    let value = parse_count(text.trim())?;
    let since_epoch = if value >= 1_000_000_000_000 {
        Duration::from_millis(value)
    } else {
        Duration::from_secs(value)
    };
    UNIX_EPOCH.checked_add(since_epoch)
}

/// Reads an `x-ratelimit-remaining` count such as `9999` (thousands separators `,` and `_` are
/// skipped); `None` when it is not a whole number.
///
/// ```
/// use dfinery_schema::protocol::parse_count;
/// assert_eq!(parse_count("9,999"), Some(9_999));
/// assert_eq!(parse_count("lots"), None);
/// ```
pub fn parse_count(text: &str) -> Option<u64> {
    // Most counts have no separator: parsed in place, without a copy (the client reads two
    // on every answer).
    if !text.contains([',', '_']) {
        return text.parse().ok();
    }
    let digits: String = text.chars().filter(|c| !matches!(c, ',' | '_')).collect();
    digits.parse().ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn letters_read_back_as_their_unit() {
        for unit in WindowUnit::ALL {
            assert_eq!(WindowUnit::from_letter(unit.letter()), Some(unit));
        }
        let fixed: Vec<char> = WindowUnit::ALL
            .iter()
            .filter(|u| u.is_fixed())
            .map(|u| u.letter())
            .collect();
        assert_eq!(fixed, ['s', 'm', 'H', 'd']);
    }

    #[test]
    fn header_names_are_lower_case_in_both_spellings() {
        for header in RateLimitHeader::ALL {
            let [plain, dashed] = header.names();
            assert_eq!(header.name(), plain);
            assert_eq!(plain.replace("ratelimit", "rate-limit"), dashed);
            assert_eq!(plain.to_ascii_lowercase(), plain);
        }
    }

    #[test]
    fn reset_units_are_told_apart_by_size() {
        let ms = parse_reset("1682593200268").unwrap();
        let s = parse_reset("1719397769").unwrap();
        assert_eq!(
            ms.duration_since(UNIX_EPOCH).unwrap(),
            Duration::from_millis(1_682_593_200_268)
        );
        assert_eq!(
            s.duration_since(UNIX_EPOCH).unwrap(),
            Duration::from_secs(1_719_397_769)
        );
        // 999,999,999,999 is still seconds; 10^12 is the first millisecond value.
        assert_eq!(
            parse_reset("1000000000000").unwrap(),
            UNIX_EPOCH + Duration::from_secs(1_000_000_000)
        );
        for bad in ["", "-5", "1.5", "tomorrow"] {
            assert_eq!(parse_reset(bad), None, "{bad}");
        }
    }

    #[test]
    fn windows_parse_every_documented_unit() {
        for (text, secs) in [
            ("1s", 1),
            ("30m", 1_800),
            ("1H", 3_600),
            ("2h", 7_200),
            ("1d", 86_400),
            ("1M", 2_592_000),
            ("1y", 31_536_000),
        ] {
            assert_eq!(
                parse_window(text),
                Some(Duration::from_secs(secs)),
                "{text}"
            );
        }
        for bad in ["", "m", "1", "1x", "-1m", "1.5m", "1 m"] {
            assert_eq!(parse_window(bad), None, "{bad}");
        }
    }

    #[test]
    fn upper_case_units_read_like_lower_case_except_month_and_minute() {
        let day = Duration::from_secs(86_400);
        assert_eq!(parse_window("1D"), Some(day));
        assert_eq!(parse_window("1d"), Some(day));
        assert_eq!(parse_window("1Y"), Some(Duration::from_secs(365 * 86_400)));
        assert_eq!(parse_window("1S"), Some(Duration::from_secs(1)));
        assert_eq!(parse_window("1m"), Some(Duration::from_secs(60)));
        assert_eq!(parse_window("1M"), Some(Duration::from_secs(30 * 86_400)));
        assert_eq!(parse_window("2Y"), parse_window("2y"));
        assert_eq!(parse_window("10S"), parse_window("10s"));
    }
}
