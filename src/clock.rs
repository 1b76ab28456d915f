//! The sandbox clock: real time by default, or fixed/offset so that signature
//! ages, time windows and token expiry can be tested without waiting.

use std::sync::Mutex;
use std::time::{SystemTime, UNIX_EPOCH};

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Mode {
    /// Real time plus an offset (ms) moved by `advance` and `set`.
    Real { offset_ms: i64 },
    /// Frozen at an instant (ms); moves only when told to.
    Fixed { at_ms: i64 },
}

#[derive(Debug)]
pub struct Clock {
    mode: Mutex<Mode>,
}

fn real_ms() -> i64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|d| d.as_millis() as i64)
        .unwrap_or(0)
}

impl Clock {
    pub fn real() -> Self {
        Clock {
            mode: Mutex::new(Mode::Real { offset_ms: 0 }),
        }
    }

    pub fn fixed(at_ms: i64) -> Self {
        Clock {
            mode: Mutex::new(Mode::Fixed { at_ms }),
        }
    }

    pub fn now_ms(&self) -> i64 {
        match *self.mode.lock().unwrap() {
            Mode::Real { offset_ms } => real_ms() + offset_ms,
            Mode::Fixed { at_ms } => at_ms,
        }
    }

    pub fn now_secs(&self) -> i64 {
        self.now_ms().div_euclid(1000)
    }

    pub fn is_frozen(&self) -> bool {
        matches!(*self.mode.lock().unwrap(), Mode::Fixed { .. })
    }

    /// Moves the clock to `at_ms`, keeping its mode (a real clock keeps ticking from there).
    pub fn set(&self, at_ms: i64) {
        let mut mode = self.mode.lock().unwrap();
        *mode = match *mode {
            Mode::Real { .. } => Mode::Real {
                offset_ms: at_ms - real_ms(),
            },
            Mode::Fixed { .. } => Mode::Fixed { at_ms },
        };
    }

    pub fn advance(&self, secs: i64) {
        let mut mode = self.mode.lock().unwrap();
        *mode = match *mode {
            Mode::Real { offset_ms } => Mode::Real {
                offset_ms: offset_ms + secs * 1000,
            },
            Mode::Fixed { at_ms } => Mode::Fixed {
                at_ms: at_ms + secs * 1000,
            },
        };
    }

    /// Freezes the clock where it stands, or lets a frozen one tick from there.
    pub fn freeze(&self, frozen: bool) {
        let now = self.now_ms();
        *self.mode.lock().unwrap() = if frozen {
            Mode::Fixed { at_ms: now }
        } else {
            Mode::Real {
                offset_ms: now - real_ms(),
            }
        };
    }
}

/// The latest time the clock can show: the end of year 9999 (epoch ms).
/// Dates past it have no RFC 2822 form and overflow arithmetic on them.
pub const LATEST_MS: i64 = 253_402_300_799_000;

/// `at_ms` is a time the clock can show: from 1970 to the end of year 9999.
pub fn in_range(at_ms: i64) -> bool {
    (0..=LATEST_MS).contains(&at_ms)
}

/// Parses a time as clients write it: epoch seconds, or an RFC 2822 date
/// (`Thu, 16 Dec 2021 13:15:29 +0000` or `... GMT`). Returns epoch milliseconds.
pub fn parse_time(text: &str) -> Result<i64, String> {
    let text = text.trim();
    if !text.is_empty() && text.chars().all(|c| c.is_ascii_digit()) {
        return text
            .parse::<i64>()
            .ok()
            .and_then(|s| s.checked_mul(1000))
            .filter(|ms| in_range(*ms))
            .ok_or_else(|| {
                format!("{text} is not epoch seconds between 1970 and the end of 9999")
            });
    }
    parse_rfc2822(text).map(|s| s * 1000).filter(|ms| in_range(*ms)).ok_or_else(|| {
        format!("`{text}` is neither epoch seconds nor an RFC 2822 date like `Thu, 16 Dec 2021 13:15:29 +0000`")
    })
}

/// RFC 2822 date to epoch seconds (accepts numeric zones and `GMT`/`UT`).
pub fn parse_rfc2822(text: &str) -> Option<i64> {
    chrono::DateTime::parse_from_rfc2822(text.trim())
        .ok()
        .map(|d| d.timestamp())
}

/// Formats epoch seconds the way PHP's `DATE_RFC2822` does: `Thu, 16 Dec 2021 13:15:29 +0000`.
pub fn format_rfc2822(secs: i64) -> String {
    chrono::DateTime::from_timestamp(secs, 0)
        .map(|d| d.format("%a, %d %b %Y %H:%M:%S +0000").to_string())
        .unwrap_or_default()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_both_zone_forms_and_epoch() {
        let plus = parse_time("Thu, 16 Dec 2021 13:15:29 +0000").unwrap();
        let gmt = parse_time("Thu, 16 Dec 2021 13:15:29 GMT").unwrap();
        assert_eq!(plus, gmt);
        assert_eq!(plus, 1_639_660_529_000);
        assert_eq!(parse_time("1639660529").unwrap(), plus);
        assert!(parse_time("yesterday").is_err());
    }

    #[test]
    fn fixed_clock_moves_only_when_told() {
        let clock = Clock::fixed(1_000_000);
        assert_eq!(clock.now_ms(), 1_000_000);
        clock.advance(60);
        assert_eq!(clock.now_ms(), 1_060_000);
        clock.set(5_000);
        assert_eq!(clock.now_secs(), 5);
    }

    #[test]
    fn formats_like_php() {
        assert_eq!(
            format_rfc2822(1_639_660_529),
            "Thu, 16 Dec 2021 13:15:29 +0000"
        );
    }
}
