//! The request journal: every request the sandbox answered, with its verdict,
//! bounded so memory stays flat however long the sandbox runs.

use crate::signature::Verdict;
use serde::Serialize;
use std::collections::VecDeque;
use std::sync::Mutex;

#[derive(Debug, Clone, Serialize)]
pub struct Entry {
    pub seq: u64,
    pub at_ms: i64,
    /// `chats_api`, `rest_v4`, `admin`, ...
    pub surface: &'static str,
    pub method: String,
    pub path: String,
    pub query: String,
    pub headers: Vec<(String, String)>,
    pub body: String,
    pub status: u16,
    pub response_body: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub scope_id: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub account_id: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub signature: Option<Verdict>,
}

/// Filters of `GET /_sandbox/journal` (all optional, ANDed).
#[derive(Debug, Clone, Default, serde::Deserialize)]
pub struct Filter {
    pub method: Option<String>,
    /// Substring of the path.
    pub path: Option<String>,
    pub status: Option<u16>,
    pub surface: Option<String>,
    pub scope_id: Option<String>,
    pub account_id: Option<String>,
    /// `ok`, `failed` or `none`.
    pub signature: Option<String>,
    /// Only entries after this sequence number.
    pub since: Option<u64>,
    pub limit: Option<usize>,
}

impl Filter {
    fn matches(&self, e: &Entry) -> bool {
        let sig = match &e.signature {
            None => "none",
            Some(v) if v.ok => "ok",
            Some(_) => "failed",
        };
        self.method.as_ref().is_none_or(|m| m.eq_ignore_ascii_case(&e.method))
            && self.path.as_ref().is_none_or(|p| e.path.contains(p.as_str()))
            && self.status.is_none_or(|s| s == e.status)
            && self.surface.as_ref().is_none_or(|s| s == e.surface)
            && self.scope_id.as_ref().is_none_or(|s| e.scope_id.as_ref() == Some(s))
            && self.account_id.as_ref().is_none_or(|s| e.account_id.as_ref() == Some(s))
            && self.signature.as_ref().is_none_or(|s| s == sig)
            && self.since.is_none_or(|s| e.seq > s)
    }
}

#[derive(Debug)]
pub struct Journal {
    inner: Mutex<Inner>,
}

#[derive(Debug)]
struct Inner {
    cap: usize,
    next_seq: u64,
    dropped: u64,
    entries: VecDeque<Entry>,
}

impl Journal {
    pub fn new(cap: usize) -> Journal {
        Journal { inner: Mutex::new(Inner { cap, next_seq: 1, dropped: 0, entries: VecDeque::new() }) }
    }

    /// Records an entry, assigning its sequence number; drops the oldest past the cap.
    pub fn push(&self, mut entry: Entry) -> u64 {
        let mut inner = self.inner.lock().unwrap();
        if inner.cap == 0 {
            return 0;
        }
        entry.seq = inner.next_seq;
        inner.next_seq += 1;
        while inner.entries.len() >= inner.cap {
            inner.entries.pop_front();
            inner.dropped += 1;
        }
        inner.entries.push_back(entry);
        inner.next_seq - 1
    }

    pub fn query(&self, filter: &Filter) -> Vec<Entry> {
        let inner = self.inner.lock().unwrap();
        let limit = filter.limit.unwrap_or(usize::MAX);
        let mut out: Vec<Entry> = inner.entries.iter().rev().filter(|e| filter.matches(e)).take(limit).cloned().collect();
        out.reverse();
        out
    }

    pub fn len(&self) -> usize {
        self.inner.lock().unwrap().entries.len()
    }

    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    pub fn dropped(&self) -> u64 {
        self.inner.lock().unwrap().dropped
    }

    pub fn clear(&self) {
        let mut inner = self.inner.lock().unwrap();
        inner.entries.clear();
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn entry(path: &str) -> Entry {
        Entry {
            seq: 0, at_ms: 0, surface: "chats_api", method: "POST".into(), path: path.into(), query: String::new(),
            headers: vec![], body: String::new(), status: 200, response_body: String::new(),
            scope_id: None, account_id: None, signature: None,
        }
    }

    #[test]
    fn bounded_and_filterable() {
        let j = Journal::new(3);
        for p in ["/a", "/b", "/c", "/d"] {
            j.push(entry(p));
        }
        assert_eq!(j.len(), 3);
        assert_eq!(j.dropped(), 1);
        let got = j.query(&Filter { path: Some("c".into()), ..Default::default() });
        assert_eq!(got.len(), 1);
        assert_eq!(got[0].seq, 3);
        let last = j.query(&Filter { limit: Some(2), ..Default::default() });
        assert_eq!(last.iter().map(|e| e.path.as_str()).collect::<Vec<_>>(), ["/c", "/d"]);
    }
}
