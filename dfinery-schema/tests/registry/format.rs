//! The Datetime and Date wire formats.

use std::collections::HashSet;

use dfinery_schema::protocol::{is_wire_date, is_wire_datetime};

/// Every real date of `years`, built by walking day after day (independent of the checker).
fn real_dates(years: std::ops::RangeInclusive<u32>) -> HashSet<(u32, u32, u32)> {
    let mut dates = HashSet::new();
    for year in years {
        let leap = (year % 4 == 0 && year % 100 != 0) || year % 400 == 0;
        let february = if leap { 29 } else { 28 };
        let lengths = [31, february, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31];
        let (mut month, mut day) = (1, 1);
        for _ in 0..if leap { 366 } else { 365 } {
            dates.insert((year, month, day));
            day += 1;
            if day > lengths[month as usize - 1] {
                day = 1;
                month += 1;
            }
        }
    }
    dates
}

#[test]
fn dates_match_the_calendar_exhaustively() {
    let years = [
        0, 1, 4, 1582, 1900, 1999, 2000, 2023, 2024, 2100, 2400, 9999,
    ];
    let real = years
        .iter()
        .flat_map(|&y| real_dates(y..=y))
        .collect::<HashSet<_>>();
    // Sanity of the reference: 12 years, of which 0, 4, 2000, 2024 and 2400 are leap years.
    assert_eq!(real.len(), 12 * 365 + 5);
    for &year in &years {
        for month in 0..=13 {
            for day in 0..=32 {
                let text = format!("{year:04}-{month:02}-{day:02}");
                assert_eq!(
                    is_wire_date(&text),
                    real.contains(&(year, month, day)),
                    "{text}"
                );
            }
        }
    }
}

#[test]
fn leap_days_follow_the_gregorian_rule() {
    assert!(is_wire_date("2024-02-29"));
    assert!(is_wire_date("2000-02-29"));
    assert!(is_wire_date("2400-02-29"));
    assert!(!is_wire_date("2023-02-29"));
    assert!(!is_wire_date("1900-02-29"));
    assert!(!is_wire_date("2100-02-29"));
    assert!(!is_wire_date("2024-02-30"));
    assert!(is_wire_datetime("2024-02-29T12:00:00Z"));
    assert!(!is_wire_datetime("2023-02-29T12:00:00Z"));
}

#[test]
fn dates_must_have_exactly_the_wire_shape() {
    for bad in [
        "",
        "2024-1-01",
        "2024-01-1",
        "24-01-01",
        "20240101",
        "2024/01/01",
        "2024-01-01 ",
        " 2024-01-01",
        "2024-01-01T00:00:00Z",
        "+2024-01-01",
        "2024-0a-01",
        "２０２４-01-01",
        "2024-01-0\u{661}",
    ] {
        assert!(!is_wire_date(bad), "{bad:?}");
    }
    assert!(is_wire_date("2024-12-31"));
    assert!(is_wire_date("0000-01-01"));
}

#[test]
fn datetimes_accept_seconds_or_milliseconds_then_z() {
    for good in [
        "2023-08-15T12:30:00.000Z",
        "2023-08-15T12:30:00Z",
        "2024-06-24T06:01:48.501Z",
        "1970-01-01T00:00:00Z",
        "9999-12-31T23:59:59.999Z",
    ] {
        assert!(is_wire_datetime(good), "{good}");
    }
}

#[test]
fn datetimes_reject_other_shapes() {
    for bad in [
        "2023-08-15T12:30:00",       // no zone
        "2023-08-15T12:30:00+09:00", // offset
        "2023-08-15T12:30:00+0000",
        "2023-08-15T12:30:00.000+00:00",
        "2023-08-15t12:30:00Z",        // lower-case t
        "2023-08-15T12:30:00z",        // lower-case z
        "2023-08-15 12:30:00Z",        // space
        "2023-08-15T12:30Z",           // no seconds
        "2023-08-15T12:30:00.0Z",      // 1 fraction digit
        "2023-08-15T12:30:00.00Z",     // 2
        "2023-08-15T12:30:00.0000Z",   // 4
        "2023-08-15T12:30:00.123456Z", // 6
        "2023-08-15T12:30:00.Z",
        "2023-08-15T12:30:00,000Z", // comma
        "2023-08-15T1:30:00Z",
        "2023-08-15T12:30:00.00aZ",
        "2023-08-15T12-30-00Z",
        "2023-08-15",
        "",
    ] {
        assert!(!is_wire_datetime(bad), "{bad:?}");
    }
}

#[test]
fn datetimes_need_a_real_time_of_day() {
    assert!(is_wire_datetime("2024-01-01T23:59:59Z"));
    assert!(!is_wire_datetime("2024-01-01T24:00:00Z"));
    assert!(!is_wire_datetime("2024-01-01T23:60:00Z"));
    assert!(!is_wire_datetime("2024-01-01T23:59:60Z")); // no leap second
    assert!(!is_wire_datetime("2024-13-01T00:00:00Z"));
    assert!(!is_wire_datetime("2024-04-31T00:00:00Z"));
    assert!(!is_wire_datetime("2024-00-10T00:00:00Z"));
    assert!(!is_wire_datetime("2024-01-00T00:00:00Z"));
}

#[test]
fn every_hour_minute_and_second_is_checked() {
    for h in 0..=25 {
        for m in [0, 59, 60] {
            for s in [0, 59, 60, 99] {
                let text = format!("2024-05-05T{h:02}:{m:02}:{s:02}.123Z");
                assert_eq!(
                    is_wire_datetime(&text),
                    h < 24 && m < 60 && s < 60,
                    "{text}"
                );
            }
        }
    }
}
