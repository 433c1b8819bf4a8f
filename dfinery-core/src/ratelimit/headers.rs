//! [`Api`] (the four rate-limited API families) and [`RateLimitSnapshot`], read from the
//! `x-ratelimit-*` / `X-Rate-Limit-*` headers.

use std::fmt;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use reqwest::header::HeaderMap;

use crate::wire::Endpoint;

/// One of the four APIs DFINERY rate-limits separately (`docs/protocol.md` §7.1); both export
/// endpoints share the Export limit.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Api {
    /// `POST /api/v1/events`: 1,000,000 calls per minute by default.
    Event,
    /// `POST /api/v1/identities` and `/identities/delete`: 10,000 per minute by default.
    Identity,
    /// `POST /api/v1/user-profile`: 10,000 per minute by default.
    Profile,
    /// Both export endpoints: 100 per hour and 5 at a time by default.
    Export,
}

impl Api {
    /// Every API.
    #[cfg(any(test, feature = "redis"))]
    pub(crate) const ALL: [Api; 4] = [Api::Event, Api::Identity, Api::Profile, Api::Export];

    /// The API an endpoint counts against.
    pub(crate) const fn of(endpoint: Endpoint) -> Api {
        match endpoint {
            Endpoint::Events => Api::Event,
            Endpoint::Identities | Endpoint::DeleteIdentity => Api::Identity,
            Endpoint::UserProfile => Api::Profile,
            Endpoint::ExportEvent | Endpoint::ExportUserProfile => Api::Export,
        }
    }

    /// The position in `Api::ALL`.
    pub(crate) const fn index(self) -> usize {
        match self {
            Api::Event => 0,
            Api::Identity => 1,
            Api::Profile => 2,
            Api::Export => 3,
        }
    }

    /// The API's name in lower case, e.g. `event`.
    pub const fn as_str(self) -> &'static str {
        match self {
            Api::Event => "event",
            Api::Identity => "identity",
            Api::Profile => "profile",
            Api::Export => "export",
        }
    }
}

impl fmt::Display for Api {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// The rate-limit headers of one answer (`docs/protocol.md` §7.2). Every field is `None` when its
/// header is missing or unreadable.
///
/// ```
/// use std::time::{Duration, UNIX_EPOCH};
/// use dfinery_core::ratelimit::RateLimitSnapshot;
/// use reqwest::header::{HeaderMap, HeaderValue};
///
/// let mut headers = HeaderMap::new();
/// headers.insert("X-Rate-Limit-Limit", HeaderValue::from_static("1m"));
/// headers.insert("x-ratelimit-remaining", HeaderValue::from_static("9999"));
/// headers.insert("x-ratelimit-reset", HeaderValue::from_static("1682593200268"));
/// let snapshot = RateLimitSnapshot::from_headers(&headers).unwrap();
/// assert_eq!(snapshot.window.as_deref(), Some("1m"));
/// assert_eq!(snapshot.window_duration(), Some(Duration::from_secs(60)));
/// assert_eq!(snapshot.remaining, Some(9999));
/// assert_eq!(snapshot.reset, Some(UNIX_EPOCH + Duration::from_millis(1_682_593_200_268)));
/// ```
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct RateLimitSnapshot {
    /// `x-ratelimit-limit`: the window as sent, e.g. `1m` or `1d` (DFINERY sends the reset
    /// period here, not a count).
    pub window: Option<String>,
    /// `x-ratelimit-remaining`: calls left in the window.
    pub remaining: Option<u64>,
    /// `x-ratelimit-reset`: when the window resets (sent as epoch milliseconds or seconds).
    pub reset: Option<SystemTime>,
    /// `Date`: the server's clock when it answered (second precision), so a wait until
    /// `reset` can be measured on the server's clock rather than a local clock that is off.
    pub date: Option<SystemTime>,
}

/// The local clock may differ from the server's by this much before waits are measured from
/// the server's `Date` instead (whose one-second precision makes it the coarser reference).
pub(crate) const CLOCK_SKEW_TOLERANCE: Duration = Duration::from_secs(2);

/// Header names, both spellings (`HeaderMap` lookups ignore case).
const LIMIT: [&str; 2] = ["x-ratelimit-limit", "x-rate-limit-limit"];
const REMAINING: [&str; 2] = ["x-ratelimit-remaining", "x-rate-limit-remaining"];
const RESET: [&str; 2] = ["x-ratelimit-reset", "x-rate-limit-reset"];

impl RateLimitSnapshot {
    /// Reads the headers under both spellings (`x-ratelimit-*` and `X-Rate-Limit-*`, any case);
    /// `None` when none of the three is present.
    pub fn from_headers(headers: &HeaderMap) -> Option<RateLimitSnapshot> {
        let text = |names: [&str; 2]| {
            names
                .iter()
                .find_map(|name| headers.get(*name))
                .and_then(|value| value.to_str().ok())
                .map(str::trim)
        };
        let (window, remaining, reset) = (text(LIMIT), text(REMAINING), text(RESET));
        if window.is_none() && remaining.is_none() && reset.is_none() {
            return None;
        }
        Some(RateLimitSnapshot {
            window: window.filter(|w| !w.is_empty()).map(str::to_owned),
            remaining: remaining.and_then(parse_count),
            reset: reset.and_then(parse_reset),
            date: headers
                .get("date")
                .and_then(|value| value.to_str().ok())
                .and_then(parse_http_date),
        })
    }

    /// The window's length, when `window` reads as `<n><unit>` (see [`parse_window`]).
    pub fn window_duration(&self) -> Option<Duration> {
        self.window.as_deref().and_then(parse_window)
    }

    /// How long until the reset, seen from `now` on the local clock; zero when it has
    /// passed, `None` when unknown.
    ///
    /// When the answer carried a `Date` more than 2 s away from `now`,
    /// the wait is measured on the server's clock instead (`reset - date`): a local clock
    /// minutes off then neither sends into a window that has not reset nor waits minutes too
    /// long. The wait is capped at the window's length when it is known.
    pub fn reset_after(&self, now: SystemTime) -> Option<Duration> {
        let reset = self.reset?;
        let from = match self.clock_skew(now) {
            Some(skew) if skew.unsigned_abs() > CLOCK_SKEW_TOLERANCE.as_millis() as u64 => {
                self.date.unwrap_or(now)
            }
            _ => now,
        };
        let wait = reset.duration_since(from).unwrap_or(Duration::ZERO);
        Some(match self.window_duration() {
            Some(window) => wait.min(window),
            None => wait,
        })
    }

    /// How far the server's clock (its `Date`) is ahead of `now`, in milliseconds (negative:
    /// behind); `None` without a `Date`.
    pub fn clock_skew(&self, now: SystemTime) -> Option<i64> {
        let date = self.date?;
        Some(match date.duration_since(now) {
            Ok(ahead) => i64::try_from(ahead.as_millis()).unwrap_or(i64::MAX),
            Err(behind) => -i64::try_from(behind.duration().as_millis()).unwrap_or(i64::MAX),
        })
    }
}

/// Reads an HTTP date in the IMF-fixdate form servers send (`Sun, 06 Nov 1994 08:49:37 GMT`);
/// `None` for anything else.
fn parse_http_date(text: &str) -> Option<SystemTime> {
    const MONTHS: [&str; 12] = [
        "Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec",
    ];
    let rest = text.trim().split_once(", ")?.1;
    let parts: Vec<&str> = rest.split(' ').collect();
    let [day, month, year, clock, "GMT"] = parts.as_slice() else {
        return None;
    };
    let day: u32 = day.parse().ok()?;
    let month = MONTHS.iter().position(|m| m == month)? as u32 + 1;
    let year: i64 = year.parse().ok()?;
    let mut hms = clock.split(':').map(|p| p.parse::<u64>().ok());
    let (h, m, s) = (hms.next()??, hms.next()??, hms.next()??);
    if !(1..=31).contains(&day) || h > 23 || m > 59 || s > 60 || hms.next().is_some() {
        return None;
    }
    let days = days_from_civil(year, month, day);
    let secs = u64::try_from(days).ok()? * 86_400 + h * 3600 + m * 60 + s;
    SystemTime::UNIX_EPOCH.checked_add(Duration::from_secs(secs))
}

/// Days from 1970-01-01 to the given date of the proleptic Gregorian calendar.
fn days_from_civil(year: i64, month: u32, day: u32) -> i64 {
    let y = if month <= 2 { year - 1 } else { year };
    let era = y.div_euclid(400);
    let yoe = y - era * 400;
    let mp = (i64::from(month) + 9) % 12;
    let doy = (153 * mp + 2) / 5 + i64::from(day) - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    era * 146_097 + doe - 719_468
}

/// A count such as `9999` (thousands separators `,` and `_` are skipped).
fn parse_count(text: &str) -> Option<u64> {
    let digits: String = text.chars().filter(|c| !matches!(c, ',' | '_')).collect();
    digits.parse().ok()
}

/// Reads an `x-ratelimit-reset` value: epoch **milliseconds** when it is at least 10^12
/// (13 digits, e.g. `1682593200268`), epoch **seconds** otherwise (e.g. `1719397769`),
/// as `docs/protocol.md` §7.2 shows both. `None` when it is not a whole number.
///
/// ```
/// use std::time::{Duration, UNIX_EPOCH};
/// use dfinery_core::__private::parse_reset;
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

/// Reads a window `<n><unit>` (`docs/protocol.md` §7.2): `s` or `S` second, `m` minute, `H` or
/// `h` hour, `d` or `D` day, `M` month (counted as 30 days) and `y` or `Y` year (365 days).
/// DFINERY's docs write the units both ways ("1d, 1H, 1m" and "1Y, 1M, 1D, 1H, 1M, 1S"); only
/// `M`/`m` differ by case: `M` is a month, `m` a minute.
///
/// `None` for anything else, including an unknown unit: the window is then unknown, which
/// never fails a call and never stops pacing (the remaining count and the reset still count).
///
/// ```
/// use std::time::Duration;
/// use dfinery_core::__private::parse_window;
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
    let unit = text.chars().last()?;
    let digits = &text[..text.len() - unit.len_utf8()];
    if digits.is_empty() || !digits.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    let amount: u64 = digits.parse().ok()?;
    let seconds = match unit {
        's' | 'S' => 1,
        'm' => 60,
        'H' | 'h' => 3_600,
        'd' | 'D' => 86_400,
        'M' => 30 * 86_400,
        'y' | 'Y' => 365 * 86_400,
        _ => return None,
    };
    Some(Duration::from_secs(amount.checked_mul(seconds)?))
}

#[cfg(test)]
mod tests {
    use super::*;
    use reqwest::header::HeaderValue;

    fn headers(pairs: &[(&'static str, &'static str)]) -> HeaderMap {
        let mut map = HeaderMap::new();
        for (name, value) in pairs {
            map.insert(*name, HeaderValue::from_static(value));
        }
        map
    }

    #[test]
    fn both_spellings_are_read() {
        let lower = headers(&[
            ("x-ratelimit-limit", "1d"),
            ("x-ratelimit-remaining", "0"),
            ("x-ratelimit-reset", "1682640000000"),
        ]);
        let dashed = headers(&[
            ("X-Rate-Limit-Limit", "1d"),
            ("X-Rate-Limit-Remaining", "0"),
            ("X-Rate-Limit-Reset", "1682640000"),
        ]);
        let a = RateLimitSnapshot::from_headers(&lower).unwrap();
        let b = RateLimitSnapshot::from_headers(&dashed).unwrap();
        assert_eq!(a, b);
        assert_eq!(a.remaining, Some(0));
        assert_eq!(a.window_duration(), Some(Duration::from_secs(86_400)));
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
    fn no_header_is_no_snapshot_and_junk_is_none() {
        assert_eq!(RateLimitSnapshot::from_headers(&HeaderMap::new()), None);
        let junk = headers(&[
            ("x-ratelimit-remaining", "lots"),
            ("x-ratelimit-reset", "never"),
        ]);
        let snapshot = RateLimitSnapshot::from_headers(&junk).unwrap();
        assert_eq!(
            snapshot,
            RateLimitSnapshot {
                window: None,
                remaining: None,
                reset: None,
                date: None
            }
        );
        let commas = headers(&[("x-ratelimit-remaining", "9,999")]);
        assert_eq!(
            RateLimitSnapshot::from_headers(&commas).unwrap().remaining,
            Some(9_999)
        );
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

    #[test]
    fn an_unknown_unit_leaves_only_the_window_unknown() {
        for unit in ["1w", "1W", "1q", "1분", "1ms"] {
            assert_eq!(parse_window(unit), None, "{unit}");
        }
        let snapshot = RateLimitSnapshot::from_headers(&headers(&[
            ("x-ratelimit-limit", "1w"),
            ("x-ratelimit-remaining", "41"),
            ("x-ratelimit-reset", "1682640000000"),
        ]))
        .unwrap();
        assert_eq!(snapshot.window.as_deref(), Some("1w"));
        assert_eq!(snapshot.window_duration(), None);
        assert_eq!(snapshot.remaining, Some(41));
        assert_eq!(
            snapshot.reset,
            Some(UNIX_EPOCH + Duration::from_millis(1_682_640_000_000))
        );
    }

    #[test]
    fn an_http_date_reads_as_its_instant() {
        assert_eq!(
            parse_http_date("Sun, 06 Nov 1994 08:49:37 GMT"),
            Some(SystemTime::UNIX_EPOCH + Duration::from_secs(784_111_777))
        );
        assert_eq!(
            parse_http_date("Sat, 05 Dec 2026 06:00:00 GMT"),
            Some(SystemTime::UNIX_EPOCH + Duration::from_secs(1_796_450_400))
        );
        for junk in [
            "",
            "yesterday",
            "Sun, 06 Nov 1994 08:49:37 PST",
            "Sun, 32 Nov 1994 08:49:37 GMT",
        ] {
            assert_eq!(parse_http_date(junk), None, "{junk}");
        }
    }

    #[test]
    fn a_skewed_local_clock_waits_as_the_server_clock_says_never_longer_than_the_window() {
        let server_now = SystemTime::UNIX_EPOCH + Duration::from_secs(1_700_000_000);
        let snapshot = RateLimitSnapshot {
            window: Some("1m".to_owned()),
            remaining: Some(0),
            reset: Some(server_now + Duration::from_secs(20)),
            date: Some(server_now),
        };
        let five_min = Duration::from_secs(300);
        // Local clock 5 minutes behind: without the Date it would wait 5 min 20 s.
        assert_eq!(
            snapshot.reset_after(server_now - five_min),
            Some(Duration::from_secs(20))
        );
        // Local clock 5 minutes ahead: without the Date it would not wait at all (a 429).
        assert_eq!(
            snapshot.reset_after(server_now + five_min),
            Some(Duration::from_secs(20))
        );
        assert_eq!(snapshot.clock_skew(server_now + five_min), Some(-300_000));
        // Within the tolerance, the local clock's finer precision is kept.
        let near = server_now + Duration::from_millis(500);
        assert_eq!(
            snapshot.reset_after(near),
            Some(Duration::from_millis(19_500))
        );
        // No Date: the local clock, capped at the window.
        let undated = RateLimitSnapshot {
            date: None,
            ..snapshot
        };
        assert_eq!(
            undated.reset_after(server_now - five_min),
            Some(Duration::from_secs(60))
        );
    }

    #[test]
    fn reset_after_is_zero_once_passed() {
        let snapshot = RateLimitSnapshot {
            window: None,
            remaining: Some(1),
            reset: Some(UNIX_EPOCH + Duration::from_secs(100)),
            date: None,
        };
        let at = |s| UNIX_EPOCH + Duration::from_secs(s);
        assert_eq!(snapshot.reset_after(at(40)), Some(Duration::from_secs(60)));
        assert_eq!(snapshot.reset_after(at(140)), Some(Duration::ZERO));
    }

    #[test]
    fn every_endpoint_counts_against_its_api() {
        assert_eq!(Api::of(Endpoint::Events), Api::Event);
        assert_eq!(Api::of(Endpoint::DeleteIdentity), Api::Identity);
        assert_eq!(Api::of(Endpoint::UserProfile), Api::Profile);
        assert_eq!(Api::of(Endpoint::ExportUserProfile), Api::Export);
        for (i, api) in Api::ALL.into_iter().enumerate() {
            assert_eq!(api.index(), i);
        }
    }
}
