//! Every webhook attempt (chat hooks and account events), bounded like the journal.

use serde::{Deserialize, Serialize};
use std::collections::VecDeque;
use std::sync::Mutex;

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
    inner: Mutex<(u64, VecDeque<Attempt>)>,
    cap: usize,
}

impl WebhookLog {
    pub fn new(cap: usize) -> Self {
        WebhookLog {
            inner: Mutex::new((1, VecDeque::new())),
            cap: cap.max(1),
        }
    }

    pub fn push(&self, mut attempt: Attempt) -> u64 {
        let mut inner = self.inner.lock().unwrap();
        attempt.seq = inner.0;
        inner.0 += 1;
        if inner.1.len() >= self.cap {
            inner.1.pop_front();
        }
        inner.1.push_back(attempt);
        inner.0 - 1
    }

    pub fn query(&self, filter: &AttemptFilter) -> Vec<Attempt> {
        let inner = self.inner.lock().unwrap();
        let mut out: Vec<Attempt> = inner
            .1
            .iter()
            .rev()
            .filter(|a| filter.matches(a))
            .take(filter.limit.unwrap_or(usize::MAX))
            .cloned()
            .collect();
        out.reverse();
        out
    }

    pub fn clear(&self) {
        self.inner.lock().unwrap().1.clear();
    }
}
