//! Seeded identifiers: the same seed gives the same UUIDs and numbers on every
//! machine, so snapshots stay stable.

use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;

#[derive(Debug, Clone)]
pub struct Ids {
    rng: ChaCha8Rng,
    next_number: i64,
}

impl Ids {
    /// `first_number` is where the numeric ids (contacts, leads, talks...) start.
    pub fn new(seed: u64, first_number: i64) -> Self {
        Ids {
            rng: ChaCha8Rng::seed_from_u64(seed),
            next_number: first_number,
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

    pub fn number(&mut self) -> i64 {
        let n = self.next_number;
        self.next_number += 1;
        n
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
}
