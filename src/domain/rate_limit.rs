//! REST v4 rate limit (spec kommo-rest-v4.md §0.3): `limit` requests per
//! second per account; over it → 429 with `retry_after`; repeated abuse
//! → 403 on every request for a while. Driven by the sandbox clock.

use serde::Serialize;
use std::collections::HashMap;

/// 429s within this many seconds that count as "repeated" abuse.
pub const STRIKE_WINDOW_SECS: i64 = 60;
/// The refusal that blocks: the 4th 429 within a minute becomes the first 403.
pub const STRIKES_TO_BLOCK: usize = 3;
/// How long a blocked account gets 403s.
pub const BLOCK_SECS: i64 = 60;

#[derive(Debug, Clone, Default, Serialize)]
pub struct RateLimits {
    accounts: HashMap<String, Window>,
}

#[derive(Debug, Clone, Default, Serialize)]
struct Window {
    second: i64,
    count: u32,
    /// When 429s were answered (seconds).
    strikes: Vec<i64>,
    blocked_until: i64,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Verdict {
    Allowed,
    /// 429; seconds until the next window.
    TooMany {
        retry_after: i64,
    },
    /// 403 until `until` (seconds).
    Blocked {
        until: i64,
    },
}

impl RateLimits {
    /// Counts one request of `account` at `now_ms` against `limit` per second.
    pub fn hit(&mut self, account: &str, limit: u32, now_ms: i64) -> Verdict {
        let now = now_ms.div_euclid(1000);
        let w = self.accounts.entry(account.to_string()).or_default();
        if now < w.blocked_until {
            return Verdict::Blocked {
                until: w.blocked_until,
            };
        }
        if w.second != now {
            w.second = now;
            w.count = 0;
        }
        w.count += 1;
        if w.count <= limit {
            return Verdict::Allowed;
        }
        w.strikes.retain(|&t| t > now - STRIKE_WINDOW_SECS);
        if w.strikes.len() >= STRIKES_TO_BLOCK {
            w.strikes.clear();
            w.blocked_until = now + BLOCK_SECS;
            return Verdict::Blocked {
                until: w.blocked_until,
            };
        }
        w.strikes.push(now);
        Verdict::TooMany { retry_after: 1 }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn seven_per_second_then_429_then_403() {
        let mut r = RateLimits::default();
        for _ in 0..7 {
            assert_eq!(r.hit("a", 7, 1_000), Verdict::Allowed);
        }
        assert_eq!(
            r.hit("b", 7, 1_000),
            Verdict::Allowed,
            "accounts are counted apart"
        );
        for _ in 0..STRIKES_TO_BLOCK {
            assert_eq!(r.hit("a", 7, 1_500), Verdict::TooMany { retry_after: 1 });
        }
        assert_eq!(
            r.hit("a", 7, 1_900),
            Verdict::Blocked {
                until: 1 + BLOCK_SECS
            }
        );
        assert!(matches!(r.hit("a", 7, 30_000), Verdict::Blocked { .. }));
        assert_eq!(r.hit("a", 7, (1 + BLOCK_SECS) * 1000), Verdict::Allowed);
    }

    #[test]
    fn a_new_second_starts_a_new_window() {
        let mut r = RateLimits::default();
        for _ in 0..7 {
            r.hit("a", 7, 0);
        }
        assert!(matches!(r.hit("a", 7, 999), Verdict::TooMany { .. }));
        assert_eq!(r.hit("a", 7, 1_000), Verdict::Allowed);
    }
}
