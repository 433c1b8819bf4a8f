//! The wire formats of Datetime and Date values (`docs/protocol.md` §4.1, §4.2): checking,
//! parsing into calendar fields ([`WireDatetime`], [`WireDate`]) and writing them, by hand to keep
//! the proc macro's dependencies small. The runtime's `Datetime` and `Date` and the emulator are
//! built on these.

use std::fmt;

/// Whether `s` is a DFINERY Datetime exactly as the project accepts it on the wire:
/// `YYYY-MM-DDTHH:MM:SSZ` or `YYYY-MM-DDTHH:MM:SS.mmmZ` (exactly three fraction digits), UTC,
/// naming a real instant.
///
/// The date must exist in the proleptic Gregorian calendar (leap years included, years
/// `0000`–`9999`); hours are `00`–`23`, minutes and seconds `00`–`59` (no leap second). Offsets
/// other than `Z`, lower-case `t`/`z`, spaces and other fraction lengths are rejected.
///
/// ```
/// use dfinery_schema::protocol::is_wire_datetime;
/// assert!(is_wire_datetime("2024-02-29T23:59:59.999Z"));
/// assert!(is_wire_datetime("2023-08-15T12:30:00Z"));
/// assert!(!is_wire_datetime("2023-02-29T00:00:00Z"));
/// assert!(!is_wire_datetime("2023-08-15T12:30:00+09:00"));
/// ```
pub fn is_wire_datetime(s: &str) -> bool {
    WireDatetime::parse(s).is_some()
}

/// Whether `s` is a DFINERY Date, `YYYY-MM-DD`, naming a real day of the proleptic Gregorian
/// calendar (years `0000`–`9999`, leap years included).
///
/// ```
/// use dfinery_schema::protocol::is_wire_date;
/// assert!(is_wire_date("2000-02-29"));
/// assert!(!is_wire_date("1900-02-29"));
/// assert!(!is_wire_date("2024-1-01"));
/// ```
pub fn is_wire_date(s: &str) -> bool {
    WireDate::parse(s).is_some()
}

/// The fields of a wire Datetime, in UTC: what [`WireDatetime::parse`] reads and `Display`
/// writes (always with milliseconds, `YYYY-MM-DDTHH:MM:SS.mmmZ`, the form the client sends).
///
/// ```
/// use dfinery_schema::protocol::WireDatetime;
/// let at = WireDatetime::parse("2024-06-24T06:01:48Z").unwrap();
/// assert_eq!((at.date.year, at.hour, at.millisecond), (2024, 6, 0));
/// assert_eq!(at.to_string(), "2024-06-24T06:01:48.000Z");
/// assert_eq!(at.unix_millis(), 1_719_208_908_000);
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct WireDatetime {
    /// The calendar day.
    pub date: WireDate,
    /// `0`–`23`.
    pub hour: u8,
    /// `0`–`59`.
    pub minute: u8,
    /// `0`–`59` (no leap second).
    pub second: u8,
    /// `0`–`999`.
    pub millisecond: u16,
}

impl WireDatetime {
    /// Reads `YYYY-MM-DDTHH:MM:SSZ` or `YYYY-MM-DDTHH:MM:SS.mmmZ`; `None` for anything else
    /// (see [`is_wire_datetime`]).
    pub fn parse(s: &str) -> Option<WireDatetime> {
        let b = s.as_bytes();
        let millisecond = match b.len() {
            20 if b[19] == b'Z' => 0,
            24 if b[19] == b'.' && b[23] == b'Z' => digits(&b[20..23])?,
            _ => return None,
        };
        if b[10] != b'T' || b[13] != b':' || b[16] != b':' {
            return None;
        }
        let date = WireDate::parse_bytes(&b[..10])?;
        let hour = digits(&b[11..13]).filter(|&h| h <= 23)?;
        let minute = digits(&b[14..16]).filter(|&m| m <= 59)?;
        let second = digits(&b[17..19]).filter(|&s| s <= 59)?;
        Some(WireDatetime {
            date,
            hour: hour as u8,
            minute: minute as u8,
            second: second as u8,
            millisecond: millisecond as u16,
        })
    }

    /// Milliseconds since 1970-01-01T00:00:00Z (negative before).
    pub fn unix_millis(&self) -> i64 {
        let seconds = self.date.unix_days() * 86_400
            + i64::from(self.hour) * 3_600
            + i64::from(self.minute) * 60
            + i64::from(self.second);
        seconds * 1_000 + i64::from(self.millisecond)
    }
}

impl WireDatetime {
    /// The 24 bytes of `YYYY-MM-DDTHH:MM:SS.mmmZ`, written digit by digit without the
    /// formatting machinery (every event carries a datetime, so this is on the hot path); `None`
    /// when a field does not fit its digits (a year above 9999, an hour above 99, …), which
    /// [`parse`](Self::parse) never produces.
    ///
    /// ```
    /// use dfinery_schema::protocol::WireDatetime;
    /// let at = WireDatetime::parse("2024-06-24T06:01:48.501Z").unwrap();
    /// assert_eq!(at.to_bytes().as_ref().map(|b| &b[..]), Some(&b"2024-06-24T06:01:48.501Z"[..]));
    /// ```
    pub fn to_bytes(&self) -> Option<[u8; 24]> {
        let fits = self.date.year <= 9999
            && self.date.month <= 99
            && self.date.day <= 99
            && self.hour <= 99
            && self.minute <= 99
            && self.second <= 99
            && self.millisecond <= 999;
        if !fits {
            return None;
        }
        let mut out = *b"0000-00-00T00:00:00.000Z";
        put_digits(&mut out[0..4], u32::from(self.date.year));
        put_digits(&mut out[5..7], u32::from(self.date.month));
        put_digits(&mut out[8..10], u32::from(self.date.day));
        put_digits(&mut out[11..13], u32::from(self.hour));
        put_digits(&mut out[14..16], u32::from(self.minute));
        put_digits(&mut out[17..19], u32::from(self.second));
        put_digits(&mut out[20..23], u32::from(self.millisecond));
        Some(out)
    }
}

/// Writes `value` into `out` as decimal digits, zero-padded to its width (`value` fits).
fn put_digits(out: &mut [u8], mut value: u32) {
    for digit in out.iter_mut().rev() {
        // `value % 10` is below 10.
        *digit = b'0' + (value % 10) as u8;
        value /= 10;
    }
}

impl fmt::Display for WireDatetime {
    /// `YYYY-MM-DDTHH:MM:SS.mmmZ`.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if let Some(bytes) = self.to_bytes()
            && let Ok(text) = std::str::from_utf8(&bytes)
        {
            return f.write_str(text);
        }
        write!(
            f,
            "{}T{:02}:{:02}:{:02}.{:03}Z",
            self.date, self.hour, self.minute, self.second, self.millisecond
        )
    }
}

/// The fields of a wire Date, `YYYY-MM-DD`: a real day of the proleptic Gregorian calendar,
/// years `0000`–`9999`.
///
/// ```
/// use dfinery_schema::protocol::WireDate;
/// let day = WireDate::parse("2024-08-25").unwrap();
/// assert_eq!((day.year, day.month, day.day), (2024, 8, 25));
/// assert_eq!(day.to_string(), "2024-08-25");
/// assert_eq!(WireDate::parse("1970-01-02").unwrap().unix_days(), 1);
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct WireDate {
    /// `0`–`9999`.
    pub year: u16,
    /// `1`–`12`.
    pub month: u8,
    /// `1`–`31`, as the month allows.
    pub day: u8,
}

impl WireDate {
    /// Reads `YYYY-MM-DD`; `None` for anything else or a day that does not exist.
    pub fn parse(s: &str) -> Option<WireDate> {
        WireDate::parse_bytes(s.as_bytes())
    }

    fn parse_bytes(b: &[u8]) -> Option<WireDate> {
        if b.len() != 10 || b[4] != b'-' || b[7] != b'-' {
            return None;
        }
        let year = digits(&b[..4])?;
        let month = digits(&b[5..7])?;
        let day = digits(&b[8..])?;
        ((1..=12).contains(&month) && day >= 1 && day <= days_in_month(year, month)).then_some(
            WireDate {
                year: year as u16,
                month: month as u8,
                day: day as u8,
            },
        )
    }

    /// Days since 1970-01-01 (negative before), by the proleptic Gregorian calendar.
    pub fn unix_days(&self) -> i64 {
        // Howard Hinnant's `days_from_civil`.
        let (month, day) = (i64::from(self.month), i64::from(self.day));
        let year = i64::from(self.year) - i64::from(month <= 2);
        let era = year.div_euclid(400);
        let year_of_era = year - era * 400;
        let day_of_year = (153 * (month + if month > 2 { -3 } else { 9 }) + 2) / 5 + day - 1;
        let day_of_era = year_of_era * 365 + year_of_era / 4 - year_of_era / 100 + day_of_year;
        era * 146_097 + day_of_era - 719_468
    }
}

impl fmt::Display for WireDate {
    /// `YYYY-MM-DD`.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{:04}-{:02}-{:02}", self.year, self.month, self.day)
    }
}

/// The value of a run of ASCII digits, `None` if any byte is not a digit.
/// The number the ASCII digits `b` write; `None` when one is not a digit. Without a branch per
/// byte: every datetime of an export goes through here.
#[inline]
fn digits(b: &[u8]) -> Option<u32> {
    let mut value = 0u32;
    let mut bad = false;
    for &c in b {
        let digit = c.wrapping_sub(b'0');
        bad |= digit > 9;
        value = value.wrapping_mul(10).wrapping_add(u32::from(digit));
    }
    (!bad).then_some(value)
}

fn days_in_month(year: u32, month: u32) -> u32 {
    match month {
        2 if is_leap_year(year) => 29,
        2 => 28,
        4 | 6 | 9 | 11 => 30,
        _ => 31,
    }
}

fn is_leap_year(year: u32) -> bool {
    year.is_multiple_of(4) && (!year.is_multiple_of(100) || year.is_multiple_of(400))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn unix_millis_match_known_instants() {
        let at = |s| WireDatetime::parse(s).unwrap().unix_millis();
        assert_eq!(at("1970-01-01T00:00:00Z"), 0);
        assert_eq!(at("1969-12-31T23:59:59.999Z"), -1);
        assert_eq!(at("2000-03-01T00:00:00.000Z"), 951_868_800_000);
        assert_eq!(at("2024-06-24T06:01:48.501Z"), 1_719_208_908_501);
        assert_eq!(at("0000-01-01T00:00:00Z"), -62_167_219_200_000);
        assert_eq!(at("9999-12-31T23:59:59.999Z"), 253_402_300_799_999);
    }

    #[test]
    fn parse_and_display_round_trip() {
        for text in ["2024-02-29T23:59:59.999Z", "0000-01-01T00:00:00.000Z"] {
            assert_eq!(WireDatetime::parse(text).unwrap().to_string(), text);
        }
        for bad in [
            "2024-02-30T00:00:00Z",
            "2024-01-01T24:00:00Z",
            "2024-01-01t00:00:00Z",
            "2024-01-01T00:00:00.5Z",
        ] {
            assert_eq!(WireDatetime::parse(bad), None, "{bad}");
        }
    }

    #[test]
    fn the_fixed_width_form_is_the_formatted_one() {
        let mut at = WireDatetime::parse("2024-06-24T06:01:48.501Z").unwrap();
        for (year, hour, ms) in [
            (0, 0, 0),
            (7, 9, 5),
            (999, 23, 99),
            (2024, 12, 501),
            (9999, 23, 999),
        ] {
            at.date.year = year;
            at.hour = hour;
            at.millisecond = ms;
            let formatted = format!(
                "{}T{:02}:{:02}:{:02}.{:03}Z",
                at.date, at.hour, at.minute, at.second, at.millisecond
            );
            assert_eq!(at.to_bytes().unwrap(), formatted.as_bytes());
            assert_eq!(at.to_string(), formatted);
        }
        // A field too wide for its digits is written by the formatter, not cut short.
        at.date.year = 10_000;
        assert_eq!(at.to_bytes(), None);
        assert!(at.to_string().starts_with("10000-"), "{at}");
    }
}
