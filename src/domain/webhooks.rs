//! Account webhook subscriptions (`/api/v4/webhooks`) and the other REST-only
//! records: chat-contact links and Salesbot runs.

use serde::Serialize;

/// At most this many subscriptions per account (spec §7.1).
pub const WEBHOOKS_LIMIT: usize = 100;
/// A subscriber must answer within 2 s with 100–299 (spec §7.3).
pub const ANSWER_WITHIN_MS: u64 = 2_000;
/// More than this many invalid answers within `FAILURE_WINDOW_SECS`, the
/// latest among them, disable the webhook (spec §7.3).
pub const FAILURES_TO_DISABLE: usize = 100;
pub const FAILURE_WINDOW_SECS: i64 = 2 * 3600;

#[derive(Debug, Clone, Serialize)]
pub struct Webhook {
    pub id: i64,
    pub destination: String,
    pub settings: Vec<String>,
    pub sort: i64,
    pub disabled: bool,
    pub created_by: i64,
    pub created_at: i64,
    pub updated_at: i64,
    /// When invalid answers came (seconds), within the failure window.
    #[serde(skip)]
    pub failures: Vec<i64>,
}

impl Webhook {
    /// Counts one delivery outcome; returns true when it disables the webhook.
    pub fn record(&mut self, valid: bool, now: i64) -> bool {
        if valid {
            return false;
        }
        self.failures.retain(|&t| t > now - FAILURE_WINDOW_SECS);
        self.failures.push(now);
        if self.failures.len() > FAILURES_TO_DISABLE && !self.disabled {
            self.disabled = true;
            return true;
        }
        false
    }
}

/// Kommo's retry schedule (spec §7.3): after attempt `n` answered `status`
/// (`None`: no answer), the delay in seconds before attempt `n + 1`, if any.
/// #2 after 5 min and #3 after 15 min when the code was 0–99 or ≥ 300; #4
/// after 15 min and #5 after 1 h only for 499 and 5xx.
pub fn retry_delay(attempt: u32, status: Option<u16>) -> Option<i64> {
    let code = status.unwrap_or(0);
    let invalid = !(100..300).contains(&code);
    let server_error = code == 499 || (500..600).contains(&code);
    match attempt {
        1 if invalid => Some(5 * 60),
        2 if invalid => Some(15 * 60),
        3 if server_error => Some(15 * 60),
        4 if server_error => Some(3600),
        _ => None,
    }
}

/// An account event waiting to be sent again to one subscription.
#[derive(Debug, Clone, Serialize)]
pub struct HookRetry {
    pub due_at: i64,
    /// The attempt number this will be (2–5).
    pub attempt: u32,
    pub account_id: String,
    pub webhook_id: i64,
    pub event: super::AccountEvent,
}

/// A chat linked to a contact (`/api/v4/contacts/chats`); the id changes on relink.
#[derive(Debug, Clone, Serialize)]
pub struct ChatLink {
    pub id: i64,
    pub chat_id: String,
    pub contact_id: i64,
}

/// One Salesbot run, with what each step did.
#[derive(Debug, Clone, Serialize)]
pub struct BotRun {
    pub bot_id: i64,
    pub entity_id: i64,
    /// `leads` or `contacts`.
    pub entity_type: String,
    pub chat_id: Option<String>,
    pub at: i64,
    pub stopped: bool,
    pub log: Vec<String>,
}

#[cfg(test)]
mod tests {
    use super::*;

    fn hook() -> Webhook {
        Webhook {
            id: 1,
            destination: "d".into(),
            settings: vec![],
            sort: 1,
            disabled: false,
            created_by: 0,
            created_at: 0,
            updated_at: 0,
            failures: vec![],
        }
    }

    #[test]
    fn disabled_after_more_than_100_invalid_answers_in_two_hours() {
        let mut w = hook();
        for i in 0..FAILURES_TO_DISABLE as i64 {
            assert!(!w.record(false, i));
        }
        assert!(!w.record(true, 200));
        assert!(w.record(false, 201));
        assert!(w.disabled);
    }

    #[test]
    fn retries_follow_the_schedule() {
        assert_eq!(retry_delay(1, Some(200)), None);
        assert_eq!(retry_delay(1, None), Some(300));
        assert_eq!(retry_delay(2, Some(404)), Some(900));
        assert_eq!(retry_delay(3, Some(404)), None);
        assert_eq!(retry_delay(3, Some(503)), Some(900));
        assert_eq!(retry_delay(4, Some(499)), Some(3600));
        assert_eq!(retry_delay(5, Some(500)), None);
    }

    #[test]
    fn old_failures_fall_out_of_the_window() {
        let mut w = hook();
        for _ in 0..FAILURES_TO_DISABLE {
            w.record(false, 0);
        }
        assert!(!w.record(false, FAILURE_WINDOW_SECS));
        assert!(!w.disabled);
    }
}
