//! `Datetime` and `Date`: the one wire format, parsing, range and conversions.

use std::time::{Duration, SystemTime, UNIX_EPOCH};

use dfinery_core::{Date, Datetime, DatetimeError};
use proptest::prelude::*;
use time::format_description::well_known::Rfc3339;
use time::{OffsetDateTime, PrimitiveDateTime, UtcOffset};

/// Whether `s` has exactly the form `YYYY-MM-DDTHH:MM:SS.mmmZ`.
fn is_wire_form(s: &str) -> bool {
    let b = s.as_bytes();
    b.len() == 24
        && b.iter().enumerate().all(|(i, c)| match i {
            4 | 7 => *c == b'-',
            10 => *c == b'T',
            13 | 16 => *c == b':',
            19 => *c == b'.',
            23 => *c == b'Z',
            _ => c.is_ascii_digit(),
        })
}

#[test]
fn documented_forms_parse() {
    let with_ms: Datetime = "2023-08-15T12:30:00.000Z".parse().unwrap();
    let without_ms: Datetime = "2023-08-15T12:30:00Z".parse().unwrap();
    assert_eq!(with_ms, without_ms);
    assert_eq!(with_ms.to_string(), "2023-08-15T12:30:00.000Z");
    assert_eq!(
        Datetime::parse_wire("2023-08-15T12:30:00Z").unwrap(),
        with_ms
    );
    let date: Date = "2023-08-15".parse().unwrap();
    assert_eq!(date.to_string(), "2023-08-15");
    assert_eq!(with_ms.date(), date);
}

#[test]
fn offsets_are_converted_to_utc_and_fractions_truncated() {
    let dt: Datetime = "2024-06-24T15:01:48.501999+09:00".parse().unwrap();
    assert_eq!(dt.to_string(), "2024-06-24T06:01:48.501Z");
    let dt: Datetime = "2024-01-01T00:30:00-01:00".parse().unwrap();
    assert_eq!(dt.to_string(), "2024-01-01T01:30:00.000Z");
}

#[test]
fn the_strict_parser_takes_only_the_two_wire_forms() {
    for bad in [
        "2024-06-24T15:01:48.501+09:00",
        "2024-06-24T06:01:48.5Z",
        "2024-06-24T06:01:48.501234Z",
        "2024-06-24 06:01:48.501Z",
        "2024-06-24T06:01:48.501z",
        "2024-06-24T24:00:00Z",
        "+2024-06-24T06:01:48Z",
        "",
    ] {
        let err = Datetime::parse_wire(bad).unwrap_err();
        assert!(
            matches!(err, DatetimeError::Syntax { ref input, .. } if input == bad),
            "{bad}: {err:?}"
        );
    }
    // A line end read with the text shows as `\n`, and a megabyte of text is not echoed whole.
    assert_eq!(
        "2024-06-24T06:01:48.501Z\n"
            .parse::<Datetime>()
            .unwrap_err()
            .to_string(),
        "`2024-06-24T06:01:48.501Z\\n` is not a datetime; write it as `YYYY-MM-DDTHH:MM:SS.mmmZ` (UTC) or RFC 3339 with an offset, e.g. `2024-06-24T06:01:48.501Z`"
    );
    let long = "9".repeat(1 << 20);
    assert!(long.parse::<Date>().unwrap_err().to_string().len() < 200);
    assert!(Datetime::parse_wire(&long).unwrap_err().to_string().len() < 300);
    assert_eq!(
        Datetime::parse_wire("yesterday").unwrap_err().to_string(),
        "`yesterday` is not a DFINERY datetime; write it as `YYYY-MM-DDTHH:MM:SS.mmmZ` or `YYYY-MM-DDTHH:MM:SSZ` in UTC, e.g. `2024-06-24T06:01:48.501Z`"
    );
}

#[test]
fn instants_outside_the_four_digit_years_are_rejected() {
    let late: Datetime = "9999-12-31T23:59:59.999Z".parse().unwrap();
    assert_eq!(late, Datetime::MAX);
    assert!(matches!(
        "9999-12-31T23:00:00-01:00".parse::<Datetime>(),
        Err(DatetimeError::OutOfRange { .. })
    ));
    assert!(matches!(
        "0000-01-01T00:30:00+01:00".parse::<Datetime>(),
        Err(DatetimeError::OutOfRange { .. })
    ));
    // The text as given, not as the `time` crate prints the instant.
    assert_eq!(
        "0000-01-01T00:30:00+01:00"
            .parse::<Datetime>()
            .unwrap_err()
            .to_string(),
        "`0000-01-01T00:30:00+01:00` is outside the years 0000 to 9999 that DFINERY can store"
    );
    assert!(Datetime::from_unix_millis(Datetime::MAX.unix_millis() + 1).is_err());
    assert!(Datetime::from_unix_millis(Datetime::MIN.unix_millis() - 1).is_err());
    assert!(Datetime::from_unix_millis(i64::MAX).is_err());
    let negative_year = OffsetDateTime::new_utc(
        time::Date::from_calendar_date(-1, time::Month::January, 1).unwrap(),
        time::Time::MIDNIGHT,
    );
    assert!(Datetime::try_from(negative_year).is_err());
    assert!(Date::try_from(negative_year.date()).is_err());
    // A day that does not exist was "outside the years 0000 to 9999".
    for (y, m, d, shown) in [
        (2023, 2, 29, "2023-02-29"),
        (2024, 13, 1, "2024-13-01"),
        (0, 0, 0, "0000-00-00"),
    ] {
        let err = Date::from_ymd(y, m, d).unwrap_err();
        assert_eq!(
            err.to_string(),
            format!(
                "`{shown}` is no day of the calendar; give a month from 1 to 12 and a day that month has"
            )
        );
    }
    // In text, too: the form is right, the day does not exist.
    for text in ["2023-02-29", "2024-13-01"] {
        assert_eq!(
            text.parse::<Date>().unwrap_err(),
            DatetimeError::NoSuchDay { found: text.into() }
        );
    }
    // (It was Syntax, "write it as `YYYY-MM-DDTHH:MM:SS.mmmZ`", for a text in that form.)
    for text in [
        "2024-02-30T06:01:48.501Z",
        "2023-02-29T00:00:00Z",
        "2024-04-31T00:00:00.000Z",
    ] {
        assert_eq!(
            Datetime::parse_wire(text).unwrap_err(),
            DatetimeError::NoSuchDay { found: text.into() }
        );
        assert_eq!(
            text.parse::<Datetime>().unwrap_err(),
            DatetimeError::NoSuchDay { found: text.into() }
        );
    }
    // A real day in the wrong form is Syntax: it was NoSuchDay, "is no day of the calendar",
    // for a day that exists.
    for text in ["2024-01-15x", "2024-01-15T00:00:00Z", "2024-01-15 "] {
        let error = text.parse::<Date>().unwrap_err();
        assert!(
            matches!(error, DatetimeError::Syntax { .. }),
            "{text}: {error}"
        );
    }
    assert!(matches!(
        "2023-02-29x".parse::<Date>(),
        Err(DatetimeError::Syntax { .. })
    ));
    // A datetime whose day does not exist quotes the text as Syntax does: control characters
    // escaped and a long one cut (it was the whole text, a line break splitting the message).
    let long = format!("2023-02-29T00:00:00Z\n{}", "x".repeat(1_000_000));
    let message = long.parse::<Datetime>().unwrap_err().to_string();
    assert!(message.len() < 300, "{} bytes", message.len());
    assert!(!message.contains('\n'), "{message}");
    let message = "2023-02-29T\n".parse::<Datetime>().unwrap_err().to_string();
    assert!(
        message.starts_with("`2023-02-29T\\n` is no day"),
        "{message}"
    );
    assert!(matches!(
        "2024-02-29T25:00:00Z".parse::<Datetime>(),
        Err(DatetimeError::Syntax { .. })
    ));
    assert!(matches!(
        Date::from_ymd(10_000, 1, 1),
        Err(DatetimeError::OutOfRange { .. })
    ));
    assert!(matches!(
        Date::from_ymd(-1, 13, 1),
        Err(DatetimeError::OutOfRange { .. })
    ));
}

#[test]
fn unix_millis_round_trip_including_before_1970() {
    for ms in [
        0,
        1,
        -1,
        -999,
        -1000,
        -1001,
        1_719_208_908_501,
        -62_167_219_200_000,
    ] {
        assert_eq!(Datetime::from_unix_millis(ms).unwrap().unix_millis(), ms);
    }
    assert_eq!(
        Datetime::from_unix_millis(-1).unwrap().to_string(),
        "1969-12-31T23:59:59.999Z"
    );
    assert_eq!(Datetime::MIN.to_string(), "0000-01-01T00:00:00.000Z");
}

#[test]
fn system_time_converts_both_ways_truncating_to_milliseconds() {
    let t = UNIX_EPOCH + Duration::from_nanos(1_719_208_908_501_999_999);
    let dt = Datetime::try_from(t).unwrap();
    assert_eq!(dt.unix_millis(), 1_719_208_908_501);
    assert_eq!(
        SystemTime::from(dt),
        UNIX_EPOCH + Duration::from_millis(1_719_208_908_501)
    );
    let before = UNIX_EPOCH - Duration::from_millis(1500);
    assert_eq!(Datetime::try_from(before).unwrap().unix_millis(), -1500);
    assert_eq!(
        SystemTime::from(Datetime::try_from(before).unwrap()),
        before
    );
}

#[test]
fn now_is_truncated_to_milliseconds() {
    let now = Datetime::now();
    assert_eq!(time::OffsetDateTime::from(now).nanosecond() % 1_000_000, 0);
    assert!(is_wire_form(&now.to_string()));
}

#[test]
fn serde_uses_the_wire_string() {
    let dt: Datetime = "2024-06-24T06:01:48.501Z".parse().unwrap();
    assert_eq!(
        serde_json::to_string(&dt).unwrap(),
        r#""2024-06-24T06:01:48.501Z""#
    );
    let back: Datetime = serde_json::from_str(r#""2024-06-24T15:01:48.501+09:00""#).unwrap();
    assert_eq!(back, dt);
    assert!(serde_json::from_str::<Datetime>("1719208908501").is_err());
    assert!(serde_json::from_str::<Date>(r#""2024-6-1""#).is_err());
    assert_eq!(
        serde_json::from_str::<Date>(r#""1999-01-01""#).unwrap(),
        Date::from_ymd(1999, 1, 1).unwrap()
    );
}

#[cfg(feature = "chrono")]
#[test]
fn chrono_types_convert_both_ways() {
    use chrono::{FixedOffset, NaiveDate, TimeZone, Utc};
    let seoul = FixedOffset::east_opt(9 * 3600).unwrap();
    let at = seoul.with_ymd_and_hms(2024, 6, 24, 15, 1, 48).unwrap();
    let dt = Datetime::try_from(at).unwrap();
    assert_eq!(dt.to_string(), "2024-06-24T06:01:48.000Z");
    assert_eq!(chrono::DateTime::<Utc>::from(dt), at.with_timezone(&Utc));
    let birth = NaiveDate::from_ymd_opt(1999, 1, 1).unwrap();
    let date = Date::try_from(birth).unwrap();
    assert_eq!(date.to_string(), "1999-01-01");
    assert_eq!(NaiveDate::from(date), birth);
    assert!(Date::try_from(NaiveDate::from_ymd_opt(10000, 1, 1).unwrap()).is_err());
}

/// Any instant with nanoseconds in the years 0000–9999 at any whole-minute offset (RFC 3339
/// offsets have no seconds).
fn any_offset_date_time() -> impl Strategy<Value = OffsetDateTime> {
    let first = time::Date::from_calendar_date(0, time::Month::January, 1)
        .unwrap()
        .to_julian_day();
    let last = time::Date::from_calendar_date(9999, time::Month::December, 31)
        .unwrap()
        .to_julian_day();
    (
        first..=last,
        0..86_400_u32,
        0..1_000_000_000_u32,
        -1439..=1439_i32,
    )
        .prop_map(|(day, second, nano, offset)| {
            let date = time::Date::from_julian_day(day).unwrap();
            let time = time::Time::from_hms_nano(
                (second / 3600) as u8,
                (second / 60 % 60) as u8,
                (second % 60) as u8,
                nano,
            )
            .unwrap();
            PrimitiveDateTime::new(date, time)
                .assume_offset(UtcOffset::from_whole_seconds(offset * 60).unwrap())
        })
}

proptest! {
    #[test]
    fn every_datetime_prints_in_the_one_form_and_parses_back(odt in any_offset_date_time()) {
        let utc = odt.checked_to_offset(UtcOffset::UTC);
        let in_range = utc.is_some_and(|u| (0..=9999).contains(&u.year()));
        match Datetime::try_from(odt) {
            Ok(dt) => {
                prop_assert!(in_range);
                let text = dt.to_string();
                prop_assert!(is_wire_form(&text), "{}", text);
                prop_assert_eq!(Datetime::parse_wire(&text).unwrap(), dt);
                prop_assert_eq!(text.parse::<Datetime>().unwrap(), dt);
                let json = serde_json::to_string(&dt).unwrap();
                prop_assert_eq!(serde_json::from_str::<Datetime>(&json).unwrap(), dt);
                // The same instant, truncated to the millisecond (towards the past).
                let nanos = odt.unix_timestamp_nanos();
                prop_assert_eq!(i128::from(dt.unix_millis()), nanos.div_euclid(1_000_000));
                prop_assert_eq!(Datetime::from_unix_millis(dt.unix_millis()).unwrap(), dt);
                // RFC 3339 text at the original offset, with all nine fraction digits.
                let rfc = odt.format(&Rfc3339).unwrap();
                prop_assert_eq!(rfc.parse::<Datetime>().unwrap(), dt);
            }
            Err(err) => {
                prop_assert!(!in_range);
                let is_out_of_range = matches!(err, DatetimeError::OutOfRange { .. });
                prop_assert!(is_out_of_range);
            }
        }
    }

    #[test]
    fn every_date_prints_as_yyyy_mm_dd_and_parses_back(odt in any_offset_date_time()) {
        let date = Date::try_from(odt.date()).unwrap();
        let text = date.to_string();
        prop_assert_eq!(text.len(), 10);
        prop_assert_eq!(text.parse::<Date>().unwrap(), date);
        prop_assert_eq!(time::Date::from(date), odt.date());
    }
}
