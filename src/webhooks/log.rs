//! Every webhook attempt (chat hooks and account events), bounded like the journal.

use crate::ring::{Numbered, Ring};
use serde::{Deserialize, Serialize};

#[derive(Debug, Clone, Serialize)]
pub struct Attempt {
    pub seq: u64,
    pub at_ms: i64,
    /// `message`, `typing`, `reaction` or `account`.
    pub hook: String,
    pub scope_id: Option<String>,
    pub account_id: String,
    pub url: String,
    pub request_headers: Vec<(String, String)>,
    pub request_body: String,
    pub message_id: Option<String>,
    /// HTTP status of the answer; `None` on timeout or connection error.
    pub status: Option<u16>,
    pub response_body: String,
    pub latency_ms: u64,
    /// `timeout`, `connection: ...`, or `None` when the integration answered.
    pub error: Option<String>,
}

#[derive(Debug, Clone, Default, Deserialize)]
pub struct AttemptFilter {
    pub scope_id: Option<String>,
    pub account_id: Option<String>,
    pub hook: Option<String>,
    pub since: Option<u64>,
    pub limit: Option<usize>,
}

impl AttemptFilter {
    fn matches(&self, a: &Attempt) -> bool {
        self.scope_id
            .as_ref()
            .is_none_or(|s| a.scope_id.as_ref() == Some(s))
            && self.account_id.as_ref().is_none_or(|s| *s == a.account_id)
            && self.hook.as_ref().is_none_or(|h| *h == a.hook)
            && self.since.is_none_or(|s| a.seq > s)
    }
}

#[derive(Debug)]
pub struct WebhookLog {
    attempts: Ring<Attempt>,
}

impl Numbered for Attempt {
    fn set_seq(&mut self, seq: u64) {
        self.seq = seq;
    }
}

impl WebhookLog {
    /// Keeps the last `cap` attempts (at least one: a hook's fate is always visible).
    pub fn new(cap: usize) -> Self {
        WebhookLog {
            attempts: Ring::new(cap.max(1)),
        }
    }

    pub fn push(&self, attempt: Attempt) -> u64 {
        self.attempts.push(attempt)
    }

    pub fn query(&self, filter: &AttemptFilter) -> Vec<Attempt> {
        self.attempts
            .latest(|a| filter.matches(a), filter.limit, Attempt::clone)
    }

    pub fn clear(&self) {
        self.attempts.clear();
    }
}
