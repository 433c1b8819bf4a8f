//! [`RateLimitSnapshot`]: the `x-ratelimit-*` / `X-Rate-Limit-*` headers of one answer, read
//! as DFINERY's protocol table (`dfinery_schema::protocol`) names and parses them.

use std::time::{Duration, SystemTime};

use dfinery_schema::protocol::{RateLimitHeader, WireDate, parse_count, parse_reset, parse_window};
use reqwest::header::{DATE, HeaderMap, HeaderName, RETRY_AFTER};

/// The rate-limit headers of one answer (`docs/protocol.md` §7.2), as the client read them
/// (both spellings, `x-ratelimit-*` and `X-Rate-Limit-*`, any case): the latest per API from
/// [`Client::rate_limit`](crate::Client::rate_limit), or the one of a rate-limited answer from
/// [`Error::rate_limit`](crate::Error::rate_limit). Every field is `None` when its header was
/// missing or unreadable.
///
/// Fields may be added (it is `#[non_exhaustive]`): read them by name, and make one (to test
/// a [`RateBudget`](super::RateBudget), say) with [`new`](Self::new) and
/// [`with_date`](Self::with_date).
///
/// ```
/// use std::time::{Duration, UNIX_EPOCH};
/// use dfinery_core::ratelimit::RateLimitSnapshot;
///
/// let reset = UNIX_EPOCH + Duration::from_millis(1_682_593_200_268);
/// let snapshot = RateLimitSnapshot::new(Some("1m"), Some(9999), Some(reset));
/// assert_eq!(snapshot.window_duration(), Some(Duration::from_secs(60)));
/// assert_eq!(snapshot.reset_after(reset - Duration::from_secs(5)), Some(Duration::from_secs(5)));
/// ```
///
/// Outside this crate a snapshot is never written field by field, so a field added later
/// breaks no code:
///
/// ```compile_fail,E0639
/// use dfinery_core::ratelimit::RateLimitSnapshot;
///
/// let snapshot = RateLimitSnapshot { window: None, remaining: Some(0), reset: None, date: None };
/// ```
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
#[non_exhaustive]
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

impl RateLimitSnapshot {
    /// A snapshot of an answer whose headers said `window` (`x-ratelimit-limit`, e.g. `1m`),
    /// `remaining` and `reset`, and that had no `Date` (add one with
    /// [`with_date`](Self::with_date)). `None` stands for a header missing or unreadable, as
    /// when the client reads one.
    pub fn new(
        window: Option<&str>,
        remaining: Option<u64>,
        reset: Option<SystemTime>,
    ) -> RateLimitSnapshot {
        RateLimitSnapshot {
            window: window.map(str::to_owned),
            remaining,
            reset,
            date: None,
        }
    }

    /// This snapshot, of an answer whose `Date` header said `date` (the server's clock).
    #[must_use]
    pub fn with_date(mut self, date: SystemTime) -> RateLimitSnapshot {
        self.date = Some(date);
        self
    }

    /// Reads the headers under both spellings (`x-ratelimit-*` and `X-Rate-Limit-*`, any case);
    /// `None` when none of the three is present.
    pub(crate) fn from_headers(headers: &HeaderMap) -> Option<RateLimitSnapshot> {
        // Both spellings; `HeaderMap` lookups ignore case. The names are made once: a lookup
        // by `&str` parses and checks the name again on every answer.
        let text = |names: &[HeaderName; 2]| {
            names
                .iter()
                .find_map(|name| headers.get(name))
                .and_then(|value| value.to_str().ok())
                .map(str::trim)
        };
        let [limit, remaining, reset] = &*NAMES;
        let (window, remaining, reset) = (text(limit), text(remaining), text(reset));
        if window.is_none() && remaining.is_none() && reset.is_none() {
            return None;
        }
        Some(RateLimitSnapshot {
            window: window.filter(|w| !w.is_empty()).map(str::to_owned),
            remaining: remaining.and_then(parse_count),
            reset: reset.and_then(parse_reset),
            date: headers
                .get(DATE)
                .and_then(|value| value.to_str().ok())
                .and_then(parse_http_date),
        })
    }

    /// The window's length, when `window` reads as `<n><unit>`
    /// (`dfinery_schema::protocol::parse_window`).
    pub fn window_duration(&self) -> Option<Duration> {
        self.window.as_deref().and_then(parse_window)
    }

    /// Whether the headers say the window still has calls left (`remaining` present and above
    /// 0). A refusal with room left did not spend the window, so its reset is no reason to wait
    /// or give up; for an export it is most likely DFINERY's limit of 5 exports at once (the
    /// headers of that refusal are not documented: `docs/protocol.md` §7.3 is the project's
    /// reading).
    pub(crate) fn has_room(&self) -> bool {
        self.remaining.is_some_and(|left| left > 0)
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
        let wait = reset
            .duration_since(measured_from(self.date, now))
            .unwrap_or(Duration::ZERO);
        Some(match self.window_duration() {
            Some(window) => wait.min(window),
            None => wait,
        })
    }

    /// How far the server's clock (its `Date`) is ahead of `now`, in milliseconds (negative:
    /// behind); `None` without a `Date`.
    pub fn clock_skew(&self, now: SystemTime) -> Option<i64> {
        self.date.map(|date| skew(date, now))
    }
}

/// How far `date` (the server's clock) is ahead of `now`, in milliseconds (negative: behind).
fn skew(date: SystemTime, now: SystemTime) -> i64 {
    match date.duration_since(now) {
        Ok(ahead) => i64::try_from(ahead.as_millis()).unwrap_or(i64::MAX),
        Err(behind) => -i64::try_from(behind.duration().as_millis()).unwrap_or(i64::MAX),
    }
}

/// Where a wait until an instant the server named is measured from: `now`, or the answer's
/// `date` when the local clock is more than [`CLOCK_SKEW_TOLERANCE`] away from it (the
/// server's clock then, so a local clock minutes off neither waits minutes too long nor not at
/// all).
fn measured_from(date: Option<SystemTime>, now: SystemTime) -> SystemTime {
    match date {
        Some(date) if skew(date, now).unsigned_abs() > CLOCK_SKEW_TOLERANCE.as_millis() as u64 => {
            date
        }
        _ => now,
    }
}

/// The wait an answer's `Retry-After` header asks for (RFC 9110 §10.2.3), the answer received
/// at `now`: delta-seconds as they are, or an HTTP-date (the IMF-fixdate form) less `now`, or
/// less the answer's `Date` when the local clock is off from it (as
/// [`reset_after`](RateLimitSnapshot::reset_after) measures); zero for a date passed. A number
/// too large for a `u64` is `u64::MAX` seconds: a very long wait, capped or given up on by the
/// caller as any too-long one. `None` when the header is missing or unreadable (a negative or
/// fractional number, another date form). DFINERY documents no `Retry-After` (`docs/protocol.md`
/// §7.2): a proxy or a gateway in front of it may send one.
pub(crate) fn retry_after(headers: &HeaderMap, now: SystemTime) -> Option<Duration> {
    let text = headers.get(RETRY_AFTER)?.to_str().ok()?.trim();
    if !text.is_empty() && text.bytes().all(|b| b.is_ascii_digit()) {
        // Digits only, so a failed parse is an overflow: a wait longer than any the client
        // takes, which it then caps or gives up on as it does any too-long wait.
        return Some(Duration::from_secs(text.parse::<u64>().unwrap_or(u64::MAX)));
    }
    let at = parse_http_date(text)?;
    let date = headers
        .get(DATE)
        .and_then(|value| value.to_str().ok())
        .and_then(parse_http_date);
    Some(
        at.duration_since(measured_from(date, now))
            .unwrap_or(Duration::ZERO),
    )
}

/// The names of the three headers, each in both spellings
/// ([`RateLimitHeader::names`]), as header names made once.
static NAMES: std::sync::LazyLock<[[HeaderName; 2]; 3]> = std::sync::LazyLock::new(|| {
    RateLimitHeader::ALL.map(|header| header.names().map(HeaderName::from_static))
});

/// Reads an HTTP date in the IMF-fixdate form servers send (`Sun, 06 Nov 1994 08:49:37 GMT`);
/// `None` for anything else.
fn parse_http_date(text: &str) -> Option<SystemTime> {
    const MONTHS: [&str; 12] = [
        "Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec",
    ];
    let rest = text.trim().split_once(", ")?.1;
    let mut parts = rest.split(' ');
    let [
        Some(day),
        Some(month),
        Some(year),
        Some(clock),
        Some("GMT"),
        None,
    ] = std::array::from_fn(|_| parts.next())
    else {
        return None;
    };
    let day: u8 = day.parse().ok()?;
    let month = MONTHS.iter().position(|m| *m == month)? as u8 + 1;
    let year: u16 = year.parse().ok()?;
    let mut hms = clock.split(':').map(|p| p.parse::<u64>().ok());
    let (h, m, s) = (hms.next()??, hms.next()??, hms.next()??);
    if !(1..=31).contains(&day) || h > 23 || m > 59 || s > 60 || hms.next().is_some() {
        return None;
    }
    let days = WireDate { year, month, day }.unix_days();
    let secs = u64::try_from(days).ok()? * 86_400 + h * 3600 + m * 60 + s;
    SystemTime::UNIX_EPOCH.checked_add(Duration::from_secs(secs))
}

#[cfg(test)]
mod tests {
    use super::*;
    use reqwest::header::HeaderValue;
    use std::time::UNIX_EPOCH;

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

    /// A snapshot made for a test (of a `RateBudget`, say) is the one the client reads from
    /// the same headers.
    #[test]
    fn a_snapshot_made_by_hand_equals_the_one_read_from_the_same_headers() {
        let read = RateLimitSnapshot::from_headers(&headers(&[
            ("x-ratelimit-limit", "1m"),
            ("x-ratelimit-remaining", "7"),
            ("x-ratelimit-reset", "1682593200268"),
            ("date", "Thu, 27 Apr 2023 11:00:00 GMT"),
        ]))
        .unwrap();
        let made = RateLimitSnapshot::new(
            Some("1m"),
            Some(7),
            Some(UNIX_EPOCH + Duration::from_millis(1_682_593_200_268)),
        )
        .with_date(UNIX_EPOCH + Duration::from_secs(1_682_593_200));
        assert_eq!(made, read);
        assert_eq!(
            RateLimitSnapshot::new(None, Some(0), None),
            RateLimitSnapshot::from_headers(&headers(&[("x-ratelimit-remaining", "0")])).unwrap()
        );
    }

    #[test]
    fn no_header_is_no_snapshot_and_junk_is_none() {
        assert_eq!(RateLimitSnapshot::from_headers(&HeaderMap::new()), None);
        let junk = headers(&[
            ("x-ratelimit-remaining", "lots"),
            ("x-ratelimit-reset", "never"),
        ]);
        let snapshot = RateLimitSnapshot::from_headers(&junk).unwrap();
        assert_eq!(snapshot, RateLimitSnapshot::new(None, None, None));
        let commas = headers(&[("x-ratelimit-remaining", "9,999")]);
        assert_eq!(
            RateLimitSnapshot::from_headers(&commas).unwrap().remaining,
            Some(9_999)
        );
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
        let snapshot = RateLimitSnapshot::new(
            Some("1m"),
            Some(0),
            Some(server_now + Duration::from_secs(20)),
        )
        .with_date(server_now);
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
        let mut undated = snapshot.clone();
        undated.date = None;
        assert_eq!(
            undated.reset_after(server_now - five_min),
            Some(Duration::from_secs(60))
        );
    }

    /// `Retry-After` in both of its forms: delta-seconds, and an HTTP-date measured on the
    /// server's clock (its `Date`) when the local one is off.
    #[test]
    fn retry_after_reads_seconds_and_dates() {
        let now = UNIX_EPOCH + Duration::from_secs(1_682_593_200); // Thu, 27 Apr 2023 11:00:00
        let wait = |pairs: &[(&'static str, &'static str)]| retry_after(&headers(pairs), now);
        assert_eq!(
            wait(&[("retry-after", "120")]),
            Some(Duration::from_secs(120))
        );
        assert_eq!(wait(&[("Retry-After", " 0 ")]), Some(Duration::ZERO));
        assert_eq!(
            wait(&[("retry-after", "Thu, 27 Apr 2023 11:00:30 GMT")]),
            Some(Duration::from_secs(30))
        );
        // Passed: no wait.
        assert_eq!(
            wait(&[("retry-after", "Thu, 27 Apr 2023 10:00:00 GMT")]),
            Some(Duration::ZERO)
        );
        // The local clock 5 minutes behind the server's: measured from the server's `Date`, not
        // 5 min 30 s.
        assert_eq!(
            wait(&[
                ("retry-after", "Thu, 27 Apr 2023 11:05:30 GMT"),
                ("date", "Thu, 27 Apr 2023 11:05:00 GMT"),
            ]),
            Some(Duration::from_secs(30))
        );
        // Within the tolerance, the local clock.
        assert_eq!(
            wait(&[
                ("retry-after", "Thu, 27 Apr 2023 11:00:30 GMT"),
                ("date", "Thu, 27 Apr 2023 11:00:01 GMT"),
            ]),
            Some(Duration::from_secs(30))
        );
        for junk in [
            "",
            "-5",
            "1.5",
            "1e3",
            "soon",
            "Thursday, 27-Apr-23 11:00:30 GMT",
        ] {
            assert_eq!(wait(&[("retry-after", junk)]), None, "{junk:?}");
        }
        assert_eq!(wait(&[]), None);
    }

    /// A delta-seconds `Retry-After` too large for a `u64` asks for a very long wait (the
    /// client then gives up on it, as on any wait past `max_rate_limit_wait`, or waits its cap
    /// in the tracker); it was read as no `Retry-After` at all, so retried on the backoff
    /// alone, into the same refusal.
    #[test]
    fn a_retry_after_too_large_to_read_is_a_very_long_wait() {
        let now = UNIX_EPOCH + Duration::from_secs(1_682_593_200);
        for huge in [
            "99999999999999999999999",
            "18446744073709551616",
            " 0018446744073709551615 ",
        ] {
            assert_eq!(
                retry_after(&headers(&[("retry-after", huge)]), now),
                Some(Duration::from_secs(u64::MAX)),
                "{huge:?}"
            );
        }
    }

    #[test]
    fn reset_after_is_zero_once_passed() {
        let snapshot =
            RateLimitSnapshot::new(None, Some(1), Some(UNIX_EPOCH + Duration::from_secs(100)));
        let at = |s| UNIX_EPOCH + Duration::from_secs(s);
        assert_eq!(snapshot.reset_after(at(40)), Some(Duration::from_secs(60)));
        assert_eq!(snapshot.reset_after(at(140)), Some(Duration::ZERO));
    }
}
