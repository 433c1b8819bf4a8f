//! The wire formats of Datetime and Date values (`docs/protocol.md` §4.1, §4.2), checked by hand
//! to keep the proc macro's dependencies small.

/// Whether `s` is a DFINERY Datetime exactly as the project accepts it on the wire:
/// `YYYY-MM-DDTHH:MM:SSZ` or `YYYY-MM-DDTHH:MM:SS.mmmZ` (exactly three fraction digits), UTC,
/// naming a real instant.
///
/// The date must exist in the proleptic Gregorian calendar (leap years included, years
/// `0000`–`9999`); hours are `00`–`23`, minutes and seconds `00`–`59` (no leap second). Offsets
/// other than `Z`, lower-case `t`/`z`, spaces and other fraction lengths are rejected.
///
/// ```
/// use dfinery_schema::format::is_wire_datetime;
/// assert!(is_wire_datetime("2024-02-29T23:59:59.999Z"));
/// assert!(is_wire_datetime("2023-08-15T12:30:00Z"));
/// assert!(!is_wire_datetime("2023-02-29T00:00:00Z"));
/// assert!(!is_wire_datetime("2023-08-15T12:30:00+09:00"));
/// ```
pub fn is_wire_datetime(s: &str) -> bool {
    let b = s.as_bytes();
    let time_ok = match b.len() {
        20 => b[19] == b'Z',
        24 => b[19] == b'.' && digits(&b[20..23]).is_some() && b[23] == b'Z',
        _ => return false,
    };
    time_ok
        && is_wire_date_bytes(&b[..10])
        && b[10] == b'T'
        && b[13] == b':'
        && b[16] == b':'
        && digits(&b[11..13]).is_some_and(|h| h <= 23)
        && digits(&b[14..16]).is_some_and(|m| m <= 59)
        && digits(&b[17..19]).is_some_and(|s| s <= 59)
}

/// Whether `s` is a DFINERY Date, `YYYY-MM-DD`, naming a real day of the proleptic Gregorian
/// calendar (years `0000`–`9999`, leap years included).
///
/// ```
/// use dfinery_schema::format::is_wire_date;
/// assert!(is_wire_date("2000-02-29"));
/// assert!(!is_wire_date("1900-02-29"));
/// assert!(!is_wire_date("2024-1-01"));
/// ```
pub fn is_wire_date(s: &str) -> bool {
    is_wire_date_bytes(s.as_bytes())
}

fn is_wire_date_bytes(b: &[u8]) -> bool {
    if b.len() != 10 || b[4] != b'-' || b[7] != b'-' {
        return false;
    }
    let (Some(year), Some(month), Some(day)) = (digits(&b[..4]), digits(&b[5..7]), digits(&b[8..]))
    else {
        return false;
    };
    (1..=12).contains(&month) && day >= 1 && day <= days_in_month(year, month)
}

/// The value of a run of ASCII digits, `None` if any byte is not a digit.
fn digits(b: &[u8]) -> Option<u32> {
    b.iter().try_fold(0u32, |acc, &c| {
        c.is_ascii_digit().then(|| acc * 10 + u32::from(c - b'0'))
    })
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
