//! The request journal: every request the sandbox answered, with its verdict,
//! bounded so memory stays flat however long the sandbox runs.

use crate::ring::{Numbered, Ring};
use crate::signature::Verdict;
use serde::Serialize;

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

#[derive(Debug)]
pub struct Journal {
    entries: Ring<Packed>,
}

/// An entry as kept: all its strings in one buffer. An [`Entry`] is some forty
/// small allocations; under load they were freed by whichever thread evicted
/// them, and those cross-thread frees were the journal's main cost. Packed,
/// keeping and dropping an entry is two allocations.
#[derive(Debug)]
struct Packed {
    seq: u64,
    at_ms: i64,
    surface: &'static str,
    status: u16,
    /// method, path, query, body, response_body, [scope_id], [account_id],
    /// header names and values, then the verdict's strings.
    text: String,
    /// End offset in `text` of each string, in the order above.
    ends: Vec<u32>,
    headers: u32,
    has_scope: bool,
    has_account: bool,
    verdict: Option<PackedVerdict>,
}

#[derive(Debug)]
struct PackedVerdict {
    ok: bool,
    problems: u32,
    warnings: u32,
    date_skew_seconds: Option<i64>,
}

const METHOD: usize = 0;
const PATH: usize = 1;
const SCOPE: usize = 5;

impl Packed {
    fn pack(e: Entry) -> Packed {
        let mut p = Packed {
            seq: e.seq,
            at_ms: e.at_ms,
            surface: e.surface,
            status: e.status,
            text: String::new(),
            ends: Vec::new(),
            headers: e.headers.len() as u32,
            has_scope: e.scope_id.is_some(),
            has_account: e.account_id.is_some(),
            verdict: None,
        };
        let verdict_len = e.signature.as_ref().map_or(0, |v| {
            v.problems
                .iter()
                .chain(&v.warnings)
                .map(String::len)
                .sum::<usize>()
                + v.expected_string_to_sign.len()
                + v.expected_signature.len()
                + v.received_signature.len()
                + v.received_content_md5.len()
                + v.body_md5.len()
        });
        let len = [&e.method, &e.path, &e.query, &e.body, &e.response_body]
            .iter()
            .map(|s| s.len())
            .sum::<usize>()
            + e.scope_id.as_ref().map_or(0, String::len)
            + e.account_id.as_ref().map_or(0, String::len)
            + e.headers
                .iter()
                .map(|(k, v)| k.len() + v.len())
                .sum::<usize>()
            + verdict_len;
        p.text.reserve_exact(len);
        p.ends.reserve_exact(
            7 + 2 * e.headers.len()
                + e.signature
                    .as_ref()
                    .map_or(0, |v| 5 + v.problems.len() + v.warnings.len()),
        );
        for s in [&e.method, &e.path, &e.query, &e.body, &e.response_body] {
            p.push(s);
        }
        for s in e.scope_id.iter().chain(&e.account_id) {
            p.push(s);
        }
        for (k, v) in &e.headers {
            p.push(k);
            p.push(v);
        }
        if let Some(v) = &e.signature {
            for s in v.problems.iter().chain(&v.warnings) {
                p.push(s);
            }
            for s in [
                &v.expected_string_to_sign,
                &v.expected_signature,
                &v.received_signature,
                &v.received_content_md5,
                &v.body_md5,
            ] {
                p.push(s);
            }
            p.verdict = Some(PackedVerdict {
                ok: v.ok,
                problems: v.problems.len() as u32,
                warnings: v.warnings.len() as u32,
                date_skew_seconds: v.date_skew_seconds,
            });
        }
        p
    }

    fn push(&mut self, s: &str) {
        self.text.push_str(s);
        self.ends.push(self.text.len() as u32);
    }

    fn str(&self, i: usize) -> &str {
        let start = if i == 0 { 0 } else { self.ends[i - 1] as usize };
        &self.text[start..self.ends[i] as usize]
    }

    fn scope_id(&self) -> Option<&str> {
        self.has_scope.then(|| self.str(SCOPE))
    }

    fn account_id(&self) -> Option<&str> {
        self.has_account
            .then(|| self.str(SCOPE + self.has_scope as usize))
    }

    fn signature_state(&self) -> &'static str {
        match &self.verdict {
            None => "none",
            Some(v) if v.ok => "ok",
            Some(_) => "failed",
        }
    }

    fn matches(&self, f: &Filter) -> bool {
        f.method
            .as_ref()
            .is_none_or(|m| m.eq_ignore_ascii_case(self.str(METHOD)))
            && f.path
                .as_ref()
                .is_none_or(|p| self.str(PATH).contains(p.as_str()))
            && f.status.is_none_or(|s| s == self.status)
            && f.surface.as_ref().is_none_or(|s| s == self.surface)
            && f.scope_id
                .as_ref()
                .is_none_or(|s| self.scope_id() == Some(s.as_str()))
            && f.account_id
                .as_ref()
                .is_none_or(|s| self.account_id() == Some(s.as_str()))
            && f.signature
                .as_ref()
                .is_none_or(|s| s == self.signature_state())
            && f.since.is_none_or(|s| self.seq > s)
    }

    fn unpack(&self) -> Entry {
        let owned = |i: usize| self.str(i).to_string();
        let mut i = SCOPE + self.has_scope as usize + self.has_account as usize;
        let headers = (0..self.headers as usize)
            .map(|h| (owned(i + 2 * h), owned(i + 2 * h + 1)))
            .collect();
        i += 2 * self.headers as usize;
        let signature = self.verdict.as_ref().map(|v| {
            let (p, w) = (v.problems as usize, v.warnings as usize);
            let rest = i + p + w;
            Verdict {
                ok: v.ok,
                problems: (i..i + p).map(owned).collect(),
                warnings: (i + p..rest).map(owned).collect(),
                expected_string_to_sign: owned(rest),
                expected_signature: owned(rest + 1),
                received_signature: owned(rest + 2),
                received_content_md5: owned(rest + 3),
                body_md5: owned(rest + 4),
                date_skew_seconds: v.date_skew_seconds,
            }
        });
        Entry {
            seq: self.seq,
            at_ms: self.at_ms,
            surface: self.surface,
            method: owned(METHOD),
            path: owned(PATH),
            query: owned(2),
            headers,
            body: owned(3),
            status: self.status,
            response_body: owned(4),
            scope_id: self.scope_id().map(str::to_string),
            account_id: self.account_id().map(str::to_string),
            signature,
        }
    }
}

impl Numbered for Packed {
    fn set_seq(&mut self, seq: u64) {
        self.seq = seq;
    }

    fn size(&self) -> usize {
        std::mem::size_of::<Packed>() + self.text.capacity() + self.ends.capacity() * 4
    }
}

/// Most bytes the journal's entries hold together, whatever their count.
pub const BYTES: usize = 64 << 20;
/// A request or response body longer than this is kept as its first
/// `BODY_KEEP` bytes, its length and its MD5.
pub const BODY_KEEP: usize = 16 << 10;

/// `body`, or its prefix with a note of what was left out.
fn clip(body: String) -> String {
    if body.len() <= BODY_KEEP {
        return body;
    }
    let mut end = BODY_KEEP;
    while !body.is_char_boundary(end) {
        end -= 1;
    }
    let md5 = crate::signature::content_md5(body.as_bytes());
    format!("{}… [{} bytes in all, MD5 {md5}]", &body[..end], body.len())
}

impl Journal {
    pub fn new(cap: usize) -> Journal {
        Journal {
            entries: Ring::with_budget(cap, BYTES),
        }
    }

    /// Records an entry, assigning its sequence number; drops the oldest past
    /// the cap or the byte budget, and keeps long bodies as a prefix.
    pub fn push(&self, mut entry: Entry) -> u64 {
        if self.entries.is_off() {
            return 0;
        }
        entry.body = clip(std::mem::take(&mut entry.body));
        entry.response_body = clip(std::mem::take(&mut entry.response_body));
        // Packed before the ring's lock is taken.
        self.entries.push(Packed::pack(entry))
    }

    pub fn query(&self, filter: &Filter) -> Vec<Entry> {
        self.entries
            .latest(|e| e.matches(filter), filter.limit, Packed::unpack)
    }

    pub fn len(&self) -> usize {
        self.entries.len()
    }

    pub fn is_empty(&self) -> bool {
        self.entries.is_empty()
    }

    pub fn dropped(&self) -> u64 {
        self.entries.dropped()
    }

    pub fn clear(&self) {
        self.entries.clear();
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn entry(path: &str) -> Entry {
        Entry {
            seq: 0,
            at_ms: 0,
            surface: "chats_api",
            method: "POST".into(),
            path: path.into(),
            query: String::new(),
            headers: vec![],
            body: String::new(),
            status: 200,
            response_body: String::new(),
            scope_id: None,
            account_id: None,
            signature: None,
        }
    }

    #[test]
    fn packing_keeps_every_field() {
        let mut e = entry("/v2/origin/custom/c_a");
        e.query = "limit=5".into();
        e.headers = vec![
            ("date".into(), "Thu".into()),
            ("x-signature".into(), "ab".into()),
        ];
        e.body = "{\"a\":1}".into();
        e.response_body = "{}".into();
        e.scope_id = Some("c_a".into());
        e.account_id = Some("a".into());
        e.signature = Some(Verdict {
            ok: false,
            problems: vec!["p1".into(), "p2".into()],
            warnings: vec!["w".into()],
            expected_string_to_sign: "POST\n...".into(),
            expected_signature: "e".into(),
            received_signature: "r".into(),
            received_content_md5: "m".into(),
            body_md5: "b".into(),
            date_skew_seconds: Some(-3),
        });
        let before = serde_json::to_value(&e).unwrap();
        let after = serde_json::to_value(Packed::pack(e).unpack()).unwrap();
        assert_eq!(before, after);
        let bare = entry("/x");
        assert_eq!(
            serde_json::to_value(&bare).unwrap(),
            serde_json::to_value(Packed::pack(bare).unpack()).unwrap()
        );
    }

    #[test]
    fn large_bodies_are_kept_as_a_prefix_and_the_bytes_stay_bounded() {
        let j = Journal::new(100_000);
        let big = "é".repeat(512 << 10); // 1 MiB of two-byte characters
        for _ in 0..20 {
            let mut e = entry("/big");
            e.body = big.clone();
            e.response_body = big.clone();
            j.push(e);
        }
        let kept = j.query(&Filter::default());
        let body = &kept[0].body;
        assert!(body.len() < BODY_KEEP + 100, "{}", body.len());
        assert!(body.ends_with(&format!(
            "[{} bytes in all, MD5 {}]",
            big.len(),
            crate::signature::content_md5(big.as_bytes())
        )));
        let held: usize = j.entries.latest(|_| true, None, |p| p.size()).iter().sum();
        assert!(held <= BYTES, "{held}");
        assert_eq!(j.len(), 20, "clipped entries are small");
        let mut small = entry("/small");
        small.body = "{}".into();
        j.push(small);
        assert_eq!(j.query(&Filter::default()).last().unwrap().body, "{}");
    }

    #[test]
    fn bounded_and_filterable() {
        let j = Journal::new(3);
        for p in ["/a", "/b", "/c", "/d"] {
            j.push(entry(p));
        }
        assert_eq!(j.len(), 3);
        assert_eq!(j.dropped(), 1);
        let got = j.query(&Filter {
            path: Some("c".into()),
            ..Default::default()
        });
        assert_eq!(got.len(), 1);
        assert_eq!(got[0].seq, 3);
        let last = j.query(&Filter {
            limit: Some(2),
            ..Default::default()
        });
        assert_eq!(
            last.iter().map(|e| e.path.as_str()).collect::<Vec<_>>(),
            ["/c", "/d"]
        );
    }
}
