//! A bounded, numbered log. The request journal and the webhook attempt log
//! keep their last `cap` records each, numbered from 1 in arrival order, so
//! memory stays flat however long the sandbox runs.

use parking_lot::Mutex;
use std::collections::VecDeque;

/// A record that carries the number the ring gives it.
pub trait Numbered {
    fn set_seq(&mut self, seq: u64);

    /// Bytes the record holds, for a ring with a byte budget.
    fn size(&self) -> usize {
        0
    }
}

#[derive(Debug)]
pub struct Ring<T> {
    cap: usize,
    /// Most bytes (by [`Numbered::size`]) the records may hold together.
    budget: usize,
    inner: Mutex<Inner<T>>,
}

#[derive(Debug)]
struct Inner<T> {
    next_seq: u64,
    dropped: u64,
    bytes: usize,
    records: VecDeque<T>,
}

impl<T: Numbered> Ring<T> {
    /// A ring of `cap` records; with 0 it keeps nothing.
    pub fn new(cap: usize) -> Ring<T> {
        Self::with_budget(cap, usize::MAX)
    }

    /// A ring of `cap` records holding at most `budget` bytes together; the
    /// newest record is always kept.
    pub fn with_budget(cap: usize, budget: usize) -> Ring<T> {
        Ring {
            cap,
            budget,
            inner: Mutex::new(Inner {
                next_seq: 1,
                dropped: 0,
                bytes: 0,
                records: VecDeque::new(),
            }),
        }
    }

    /// True when the ring keeps nothing, so callers can skip building records.
    pub fn is_off(&self) -> bool {
        self.cap == 0
    }

    /// Keeps `record` under the next number (returned; 0 when off) and
    /// drops the oldest past the cap.
    pub fn push(&self, mut record: T) -> u64 {
        if self.is_off() {
            return 0;
        }
        let mut evicted = Vec::new();
        let seq = {
            let mut inner = self.inner.lock();
            let seq = inner.next_seq;
            inner.next_seq += 1;
            record.set_seq(seq);
            let size = record.size();
            while inner.records.len() >= self.cap
                || (!inner.records.is_empty() && inner.bytes.saturating_add(size) > self.budget)
            {
                let Some(old) = inner.records.pop_front() else {
                    break;
                };
                inner.bytes -= old.size();
                inner.dropped += 1;
                evicted.push(old);
            }
            inner.bytes += size;
            inner.records.push_back(record);
            seq
        };
        // Freed outside the lock: a record can be many allocations.
        drop(evicted);
        seq
    }

    /// The latest `limit` records that `keep` accepts, oldest first, as `show` renders them.
    pub fn latest<U>(
        &self,
        keep: impl Fn(&T) -> bool,
        limit: Option<usize>,
        show: impl Fn(&T) -> U,
    ) -> Vec<U> {
        let inner = self.inner.lock();
        let mut out: Vec<U> = inner
            .records
            .iter()
            .rev()
            .filter(|r| keep(r))
            .take(limit.unwrap_or(usize::MAX))
            .map(show)
            .collect();
        out.reverse();
        out
    }

    pub fn len(&self) -> usize {
        self.inner.lock().records.len()
    }

    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// How many records were dropped to stay within the cap.
    pub fn dropped(&self) -> u64 {
        self.inner.lock().dropped
    }

    /// Forgets every record; numbering goes on, so `since` filters stay valid.
    pub fn clear(&self) {
        let mut inner = self.inner.lock();
        inner.records.clear();
        inner.bytes = 0;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    impl Numbered for (u64, &'static str) {
        fn set_seq(&mut self, seq: u64) {
            self.0 = seq;
        }
    }

    #[test]
    fn keeps_the_last_cap_records_numbered_in_order() {
        let ring = Ring::new(2);
        for name in ["a", "b", "c"] {
            ring.push((0, name));
        }
        assert_eq!(ring.len(), 2);
        assert_eq!(ring.dropped(), 1);
        assert_eq!(ring.latest(|_| true, None, |r| *r), [(2, "b"), (3, "c")]);
        assert_eq!(ring.latest(|_| true, Some(1), |r| r.1), ["c"]);
        assert_eq!(ring.latest(|r| r.1 == "b", None, |r| r.0), [2]);
        ring.clear();
        assert!(ring.is_empty());
        assert_eq!(ring.push((0, "d")), 4);
    }

    struct Sized(u64, usize);

    impl Numbered for Sized {
        fn set_seq(&mut self, seq: u64) {
            self.0 = seq;
        }
        fn size(&self) -> usize {
            self.1
        }
    }

    #[test]
    fn a_byte_budget_drops_the_oldest_and_keeps_the_newest() {
        let ring = Ring::with_budget(100, 10);
        for size in [4, 4, 4] {
            ring.push(Sized(0, size));
        }
        assert_eq!(ring.latest(|_| true, None, |r| r.0), [2, 3]);
        ring.push(Sized(0, 50));
        assert_eq!(
            ring.latest(|_| true, None, |r| r.0),
            [4],
            "too big alone, still kept"
        );
        ring.push(Sized(0, 1));
        assert_eq!(ring.latest(|_| true, None, |r| r.0), [5]);
        assert_eq!(ring.dropped(), 4);
    }

    #[test]
    fn a_ring_of_zero_keeps_nothing() {
        let ring = Ring::new(0);
        assert!(ring.is_off());
        assert_eq!(ring.push((0, "a")), 0);
        assert!(ring.is_empty());
    }
}
