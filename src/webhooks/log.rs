//! Every webhook attempt (chat hooks and account events), bounded like the journal.

use super::http::Answer;
use crate::ring::{Numbered, Ring};
use serde::{Deserialize, Serialize};

#[derive(Debug, Clone, Default, Serialize)]
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
    /// The first [`super::http::ANSWER_PREFIX_BYTES`] of the answer; the rest is never read.
    pub response_body: String,
    /// Bytes of the answer read (the prefix and at most one chunk more when truncated).
    pub response_bytes: u64,
    /// The answer went on beyond the prefix.
    pub response_truncated: bool,
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

impl Attempt {
    /// This attempt with what the receiver answered.
    pub fn answered(self, answer: Answer) -> Attempt {
        Attempt {
            status: answer.status,
            response_body: answer.body,
            response_bytes: answer.bytes_seen,
            response_truncated: answer.truncated,
            latency_ms: answer.latency_ms,
            error: answer.error,
            ..self
        }
    }
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
