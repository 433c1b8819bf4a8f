//! Rate-limit settings: a count per window for each API (`docs/protocol.md` §7.1), windows written
//! as in the `x-ratelimit-limit` header (§7.2).

use std::fmt;
use std::str::FromStr;
use std::time::Duration;

use dfinery_schema::protocol::{Api, MAX_CONCURRENT_EXPORTS, WindowUnit};

/// The length of a rate-limit window, written `<n><unit>` with the units `s` (second),
/// `m` (minute), `H` (hour) and `d` (day), e.g. `1m`, `1H`, `1d`.
///
/// Windows are aligned to the Unix epoch: a `1H` window resets on the hour (UTC), so the reset
/// instant of the `x-ratelimit-reset` header is the same for every caller.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct Window {
    amount: u32,
    unit: WindowUnit,
}

impl Window {
    /// A window of `n` seconds (`<n>s`); `n` of 0 counts as 1.
    pub const fn seconds(n: u32) -> Window {
        Window::new(n, WindowUnit::Second)
    }

    /// A window of `n` minutes (`<n>m`); `n` of 0 counts as 1.
    pub const fn minutes(n: u32) -> Window {
        Window::new(n, WindowUnit::Minute)
    }

    /// A window of `n` hours (`<n>H`); `n` of 0 counts as 1.
    pub const fn hours(n: u32) -> Window {
        Window::new(n, WindowUnit::Hour)
    }

    /// A window of `n` days (`<n>d`); `n` of 0 counts as 1.
    pub const fn days(n: u32) -> Window {
        Window::new(n, WindowUnit::Day)
    }

    const fn new(amount: u32, unit: WindowUnit) -> Window {
        Window {
            amount: if amount == 0 { 1 } else { amount },
            unit,
        }
    }

    /// The window's length.
    pub const fn duration(self) -> Duration {
        Duration::from_secs(self.amount as u64 * self.unit.seconds())
    }

    /// The window's length in milliseconds.
    pub(crate) const fn millis(self) -> u64 {
        self.amount as u64 * self.unit.seconds() * 1_000
    }
}

impl fmt::Display for Window {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}{}", self.amount, self.unit.letter())
    }
}

/// Why a window or a rate limit could not be parsed.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum RateLimitParseError {
    /// The text does not look like `<n><unit>`.
    #[error(
        "invalid window `{0}`; write a positive count and a unit `s`, `m`, `H` or `d`, e.g. `1m`"
    )]
    Window(String),
    /// A month or year window, which has no fixed length.
    #[error("window `{0}` has no fixed length; use days instead, e.g. `30d`")]
    CalendarWindow(String),
    /// The text does not look like `<count>/<window>`.
    #[error("invalid rate limit `{0}`; write a count and a window, e.g. `100/1H`")]
    Limit(String),
}

impl FromStr for Window {
    type Err = RateLimitParseError;

    /// Parses `1s`, `30m`, `1H`, `1d`, …: the letters a server writes
    /// ([`WindowUnit::letter`]). Case matters (§7.2): `M` is a month and `y` a year, both
    /// refused because they have no fixed length.
    fn from_str(s: &str) -> Result<Window, RateLimitParseError> {
        let bad = || RateLimitParseError::Window(s.to_owned());
        let letter = s.chars().last().ok_or_else(bad)?;
        let digits = &s[..s.len() - letter.len_utf8()];
        if digits.is_empty() {
            return Err(bad());
        }
        let unit = WindowUnit::ALL
            .into_iter()
            .find(|unit| unit.letter() == letter)
            .ok_or_else(bad)?;
        if !unit.is_fixed() {
            return Err(RateLimitParseError::CalendarWindow(s.to_owned()));
        }
        if !digits.bytes().all(|b| b.is_ascii_digit()) {
            return Err(bad());
        }
        let amount: u32 = digits.parse().map_err(|_| bad())?;
        if amount == 0 {
            return Err(bad());
        }
        Ok(Window::new(amount, unit))
    }
}

/// A rate limit: at most `limit` requests per `window`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct RateLimit {
    /// Requests allowed in one window.
    pub limit: u64,
    /// The window; its text is the `x-ratelimit-limit` header.
    pub window: Window,
}

impl RateLimit {
    /// At most `limit` requests per `window`.
    pub const fn new(limit: u64, window: Window) -> RateLimit {
        RateLimit { limit, window }
    }
}

impl fmt::Display for RateLimit {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}/{}", self.limit, self.window)
    }
}

impl FromStr for RateLimit {
    type Err = RateLimitParseError;

    /// Parses `<count>/<window>`, e.g. `100/1H` or `1000000/1m`.
    fn from_str(s: &str) -> Result<RateLimit, RateLimitParseError> {
        let (count, window) = s
            .split_once('/')
            .ok_or_else(|| RateLimitParseError::Limit(s.to_owned()))?;
        let limit = count
            .parse()
            .map_err(|_| RateLimitParseError::Limit(s.to_owned()))?;
        Ok(RateLimit::new(limit, window.parse()?))
    }
}

/// The rate limits of every API, defaulting to `docs/protocol.md` §7.1.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RateLimits {
    /// Event API. Default: 1,000,000 per minute.
    pub event: RateLimit,
    /// Identity API (upsert and delete together). Default: 10,000 per minute.
    pub identity: RateLimit,
    /// Profile API. Default: 10,000 per minute.
    pub profile: RateLimit,
    /// Export API (both endpoints together). Default: 100 per hour.
    pub export: RateLimit,
    /// Exports in flight at once; one more is refused with `too_many_api_requests`. Default: 5.
    pub export_concurrency: usize,
}

impl RateLimits {
    /// The limit of one API.
    pub fn get(&self, api: Api) -> RateLimit {
        match api {
            Api::Event => self.event,
            Api::Identity => self.identity,
            Api::Profile => self.profile,
            Api::Export => self.export,
        }
    }

    /// Replaces the limit of one API.
    pub fn set(&mut self, api: Api, limit: RateLimit) {
        match api {
            Api::Event => self.event = limit,
            Api::Identity => self.identity = limit,
            Api::Profile => self.profile = limit,
            Api::Export => self.export = limit,
        }
    }
}

impl Default for RateLimits {
    /// DFINERY's documented defaults ([`Api::default_limit`], [`MAX_CONCURRENT_EXPORTS`]).
    fn default() -> RateLimits {
        let default = |api: Api| {
            let (count, unit) = api.default_limit();
            RateLimit::new(count, Window::new(1, unit))
        };
        RateLimits {
            event: default(Api::Event),
            identity: default(Api::Identity),
            profile: default(Api::Profile),
            export: default(Api::Export),
            export_concurrency: MAX_CONCURRENT_EXPORTS,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn windows_parse_every_fixed_unit_and_print_back() {
        for (text, secs) in [("1s", 1), ("30m", 1_800), ("1H", 3_600), ("1d", 86_400)] {
            let window: Window = text.parse().unwrap();
            assert_eq!(window.duration(), Duration::from_secs(secs));
            assert_eq!(window.to_string(), text);
        }
    }

    #[test]
    fn windows_refuse_calendar_units_zero_and_junk() {
        assert_eq!(
            "1M".parse::<Window>().unwrap_err().to_string(),
            "window `1M` has no fixed length; use days instead, e.g. `30d`"
        );
        for bad in ["", "m", "0m", "1h", "-1m", "+1m", "1.5m", "99999999999m"] {
            assert!(
                matches!(bad.parse::<Window>(), Err(RateLimitParseError::Window(_))),
                "{bad}"
            );
        }
    }

    #[test]
    fn rate_limits_parse_count_and_window() {
        assert_eq!(
            "100/1H".parse::<RateLimit>().unwrap(),
            RateLimit::new(100, Window::hours(1))
        );
        assert_eq!(
            "100".parse::<RateLimit>().unwrap_err().to_string(),
            "invalid rate limit `100`; write a count and a window, e.g. `100/1H`"
        );
        assert!("x/1m".parse::<RateLimit>().is_err());
    }

    #[test]
    fn defaults_follow_the_documented_table() {
        let limits = RateLimits::default();
        assert_eq!(limits.get(Api::Event).to_string(), "1000000/1m");
        assert_eq!(limits.get(Api::Identity).to_string(), "10000/1m");
        assert_eq!(limits.get(Api::Profile).to_string(), "10000/1m");
        assert_eq!(limits.get(Api::Export).to_string(), "100/1H");
        assert_eq!(limits.export_concurrency, 5);
    }
}
