//! An append-only list kept in fixed-size chunks. Growing a `Vec` of a
//! hundred thousand messages copies the whole array into fresh memory while
//! the world is locked, stalling every request for milliseconds; pushing onto
//! a chunk never moves what is already stored.

use serde::{Serialize, Serializer};
use std::ops::{Index, IndexMut};

/// Items per chunk: large enough that the chunk list stays short, small
/// enough that a chunk's own growth is cheap.
const CHUNK: usize = 1024;

#[derive(Debug, Clone)]
pub struct Chunked<T> {
    chunks: Vec<Vec<T>>,
    len: usize,
}

impl<T> Default for Chunked<T> {
    fn default() -> Self {
        Chunked {
            chunks: Vec::new(),
            len: 0,
        }
    }
}

impl<T> Chunked<T> {
    pub fn new() -> Self {
        Self::default()
    }

    pub fn len(&self) -> usize {
        self.len
    }

    pub fn is_empty(&self) -> bool {
        self.len == 0
    }

    pub fn push(&mut self, item: T) {
        match self.chunks.last_mut() {
            Some(chunk) if chunk.len() < CHUNK => chunk.push(item),
            // The first chunk grows as it fills, so a small list stays small;
            // later ones are allocated whole, so they never move.
            Some(_) => {
                let mut chunk = Vec::with_capacity(CHUNK);
                chunk.push(item);
                self.chunks.push(chunk);
            }
            None => self.chunks.push(vec![item]),
        }
        self.len += 1;
    }

    pub fn get(&self, i: usize) -> Option<&T> {
        self.chunks.get(i / CHUNK)?.get(i % CHUNK)
    }

    pub fn get_mut(&mut self, i: usize) -> Option<&mut T> {
        self.chunks.get_mut(i / CHUNK)?.get_mut(i % CHUNK)
    }

    pub fn last(&self) -> Option<&T> {
        self.chunks.last()?.last()
    }

    pub fn iter(&self) -> impl DoubleEndedIterator<Item = &T> + '_ {
        self.chunks.iter().flatten()
    }

    pub fn iter_mut(&mut self) -> impl DoubleEndedIterator<Item = &mut T> + '_ {
        self.chunks.iter_mut().flatten()
    }
}

impl<T> Index<usize> for Chunked<T> {
    type Output = T;

    fn index(&self, i: usize) -> &T {
        self.get(i)
            .unwrap_or_else(|| panic!("index {i} out of range for a list of {}", self.len))
    }
}

impl<T> IndexMut<usize> for Chunked<T> {
    fn index_mut(&mut self, i: usize) -> &mut T {
        let len = self.len;
        self.get_mut(i)
            .unwrap_or_else(|| panic!("index {i} out of range for a list of {len}"))
    }
}

impl<T> FromIterator<T> for Chunked<T> {
    fn from_iter<I: IntoIterator<Item = T>>(items: I) -> Self {
        let mut list = Chunked::new();
        items.into_iter().for_each(|item| list.push(item));
        list
    }
}

impl<T: Serialize> Serialize for Chunked<T> {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.collect_seq(self.iter())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keeps_order_across_chunks() {
        let list: Chunked<usize> = (0..CHUNK * 2 + 3).collect();
        assert_eq!(list.len(), CHUNK * 2 + 3);
        assert_eq!(list[CHUNK], CHUNK);
        assert_eq!(list.last(), Some(&(CHUNK * 2 + 2)));
        assert_eq!(list.iter().rev().nth(1), Some(&(CHUNK * 2 + 1)));
        assert!(list.iter().copied().eq(0..CHUNK * 2 + 3));
        assert_eq!(list.get(CHUNK * 3), None);
        let json = serde_json::to_value(list.iter().take(3).copied().collect::<Chunked<_>>());
        assert_eq!(json.unwrap(), serde_json::json!([0, 1, 2]));
    }
}
