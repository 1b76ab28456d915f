//! Seeded identifiers: the same seed gives the same UUIDs and numbers on every
//! machine, so snapshots stay stable. Numeric ids of CRM entities come from
//! sequences shared by the whole sandbox, one per kind, as Kommo's ids are
//! global rather than per account.

use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;
use std::sync::atomic::{AtomicI64, Ordering};
use std::sync::Arc;

/// What a numeric id numbers; each kind has its own sandbox-wide sequence.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    Contact,
    Lead,
    Company,
    Talk,
    Source,
    /// Custom field definitions.
    Field,
    /// Values of enum custom fields (select, multiselect, multitext kinds).
    Enum,
    /// Everything else: templates, reviews, webhooks, chat links, notifications.
    Other,
}

impl Kind {
    const ALL: [Kind; 8] = [
        Kind::Contact,
        Kind::Lead,
        Kind::Company,
        Kind::Talk,
        Kind::Source,
        Kind::Field,
        Kind::Enum,
        Kind::Other,
    ];

    /// The first id of the kind's sequence.
    fn first(self) -> i64 {
        match self {
            Kind::Lead => 10_000_001,
            Kind::Contact => 20_000_001,
            Kind::Company => 25_000_001,
            Kind::Talk => 101,
            Kind::Source => 1001,
            Kind::Field => 501,
            Kind::Enum => 9001,
            Kind::Other => 1_000_001,
        }
    }

    fn index(self) -> usize {
        Kind::ALL.iter().position(|k| *k == self).expect("listed")
    }
}

/// The sandbox's id sequences. Ids are drawn under the world's lock, so the
/// order (and hence every id) is the same on every run of the same calls.
#[derive(Debug)]
pub struct Sequences {
    next: [AtomicI64; 8],
}

impl Sequences {
    /// Every kind at its own first id.
    pub fn new() -> Sequences {
        Sequences {
            next: Kind::ALL.map(|k| AtomicI64::new(k.first())),
        }
    }

    /// Every kind from `first` (a private stream, not the sandbox's).
    fn starting_at(first: i64) -> Sequences {
        Sequences {
            next: Kind::ALL.map(|_| AtomicI64::new(first)),
        }
    }

    pub fn next(&self, kind: Kind) -> i64 {
        self.next[kind.index()].fetch_add(1, Ordering::SeqCst)
    }
}

impl Default for Sequences {
    fn default() -> Self {
        Sequences::new()
    }
}

#[derive(Debug, Clone)]
pub struct Ids {
    rng: ChaCha8Rng,
    sequences: Arc<Sequences>,
}

impl Ids {
    /// A private stream: `first_number` is where its numbers start.
    pub fn new(seed: u64, first_number: i64) -> Self {
        Ids {
            rng: ChaCha8Rng::seed_from_u64(seed),
            sequences: Arc::new(Sequences::starting_at(first_number)),
        }
    }

    /// Own random draws, numbers from the sandbox-wide `sequences`.
    pub fn shared(seed: u64, sequences: Arc<Sequences>) -> Self {
        Ids {
            rng: ChaCha8Rng::seed_from_u64(seed),
            sequences,
        }
    }

    /// A UUID v4 drawn from the seeded generator.
    pub fn uuid(&mut self) -> String {
        let bytes: [u8; 16] = self.rng.gen();
        uuid::Builder::from_random_bytes(bytes)
            .into_uuid()
            .to_string()
    }

    /// Lowercase hex of `len` characters (incoming lead uids, tokens).
    pub fn hex(&mut self, len: usize) -> String {
        let mut out = String::with_capacity(len);
        while out.len() < len {
            let byte: u8 = self.rng.gen();
            out.push_str(&format!("{byte:02x}"));
        }
        out.truncate(len);
        out
    }

    /// The next id of `kind`.
    pub fn next(&mut self, kind: Kind) -> i64 {
        self.sequences.next(kind)
    }

    /// The next id of a kind with no sequence of its own.
    pub fn number(&mut self) -> i64 {
        self.next(Kind::Other)
    }

    pub fn rng(&mut self) -> &mut ChaCha8Rng {
        &mut self.rng
    }
}

/// Mixes a base seed with a label so that each account gets its own stream.
pub fn derive_seed(seed: u64, label: &str) -> u64 {
    // FNV-1a: stable across platforms and Rust versions, unlike DefaultHasher.
    let mut hash: u64 = 0xcbf29ce484222325 ^ seed;
    for byte in label.bytes() {
        hash ^= byte as u64;
        hash = hash.wrapping_mul(0x100000001b3);
    }
    hash
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn same_seed_same_ids() {
        let mut a = Ids::new(7, 100);
        let mut b = Ids::new(7, 100);
        assert_eq!(a.uuid(), b.uuid());
        assert_eq!(a.number(), 100);
        assert_eq!(a.number(), 101);
        assert_eq!(a.hex(40).len(), 40);
        assert_ne!(derive_seed(1, "a"), derive_seed(1, "b"));
    }

    #[test]
    fn shared_sequences_number_across_streams() {
        let seq = Arc::new(Sequences::new());
        let mut a = Ids::shared(1, seq.clone());
        let mut b = Ids::shared(2, seq);
        assert_eq!(a.next(Kind::Lead), 10_000_001);
        assert_eq!(b.next(Kind::Lead), 10_000_002);
        assert_eq!(b.next(Kind::Contact), 20_000_001);
        assert_ne!(a.uuid(), b.uuid());
    }
}
