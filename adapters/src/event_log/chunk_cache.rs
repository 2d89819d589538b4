//! The chunks read last, inflated: the daemon reads the newest events again and again (a
//! message's stream while it is worked on, the projections catching up), and inflating a
//! 16 KiB chunk for each of those reads would cost more than the work itself. A chunk changes
//! only when history is forgotten (`history.rs`), which hands the cache the chunk as it then
//! reads, or lets it go when its key went.
//!
//! The cache holds up to [`CAPACITY_BYTES`] of inflated records, by first position, and lets
//! the chunk cached longest ago go first. A busy daemon commits hundreds of small chunks a
//! second, and a message's stream is read again some tens of milliseconds after its first
//! events were written, so a cache of a few dozen chunks missed often.
//!
//! A cached chunk is the chunk as stored, always: forgetting takes the chunks it rewrites
//! from here. So a reader keeps a chunk it parsed only when no rewrite began since it read
//! the stored value ([`ChunkCache::seen`], [`ChunkCache::rewriting`]); else it could put back
//! a chunk as it read before forgetting emptied records of it, or a span joined away.

use std::collections::{BTreeMap, VecDeque};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};

use ketenpost_domain::ports::ReadError;

use super::chunk::Chunk;

/// How many bytes of inflated records are kept at most.
const CAPACITY_BYTES: usize = 8 * 1024 * 1024;

/// The cached chunks.
#[derive(Default)]
pub(crate) struct ChunkCache {
    inner: Mutex<Cached>,
    /// Rewrites of stored chunks begun and ended, counted together: odd while one is under
    /// way.
    rewrites: AtomicU64,
}

/// A rewrite of stored chunks under way (`history.rs`), from before it writes until after it
/// handed the cache the chunks as they then read.
pub(crate) struct Rewriting<'c> {
    cache: &'c ChunkCache,
}

impl Drop for Rewriting<'_> {
    fn drop(&mut self) {
        self.cache.rewrites.fetch_add(1, Ordering::SeqCst);
    }
}

#[derive(Default)]
struct Cached {
    /// By first position.
    chunks: BTreeMap<u64, Arc<Chunk>>,
    /// First positions, in the order they were cached.
    order: VecDeque<u64>,
    /// Bytes of inflated records held.
    bytes: usize,
}

impl ChunkCache {
    /// The cached chunk holding `position`, if any.
    pub(crate) fn holding(&self, position: u64) -> Option<Arc<Chunk>> {
        let cached = self.inner.lock().ok()?;
        let (_, chunk) = cached.chunks.range(..=position).next_back()?;
        (position < chunk.end()).then(|| Arc::clone(chunk))
    }

    /// What a reader notes before it reads a stored chunk, to hand to [`Self::get_or_parse`].
    pub(crate) fn seen(&self) -> u64 {
        self.rewrites.load(Ordering::SeqCst)
    }

    /// Marks a rewrite of stored chunks as under way until the value returned is dropped.
    pub(crate) fn rewriting(&self) -> Rewriting<'_> {
        self.rewrites.fetch_add(1, Ordering::SeqCst);
        Rewriting { cache: self }
    }

    /// The chunk stored under `key`: from the cache, else parsed from `value` (read after
    /// [`Self::seen`] gave `seen`) and kept, when no rewrite began since.
    ///
    /// # Errors
    /// A damaged chunk.
    pub(crate) fn get_or_parse(
        &self,
        key: u64,
        value: &[u8],
        seen: u64,
    ) -> Result<Arc<Chunk>, ReadError> {
        if let Some(found) = self
            .inner
            .lock()
            .ok()
            .and_then(|cached| cached.chunks.get(&key).cloned())
        {
            return Ok(found);
        }
        let chunk = Arc::new(Chunk::parse(key, value)?);
        if let Ok(mut cached) = self.inner.lock() {
            // One kept meanwhile wins: it is the same, or the chunk as forgetting rewrote it
            // while this reader parsed the value it had read before.
            if let Some(kept) = cached.chunks.get(&key) {
                return Ok(Arc::clone(kept));
            }
            // A rewrite began after the value was read (or was under way): it may be gone.
            if seen.is_multiple_of(2) && self.rewrites.load(Ordering::SeqCst) == seen {
                cached.keep(key, Arc::clone(&chunk));
            }
        }
        Ok(chunk)
    }

    /// Keeps a chunk just written (or rewritten), so that no reader has to inflate it.
    pub(crate) fn keep(&self, chunk: Arc<Chunk>) {
        if let Ok(mut cached) = self.inner.lock() {
            cached.keep(chunk.first, chunk);
        }
    }
}

impl ChunkCache {
    /// Lets the chunk stored under `key` go (its key went: it was joined to the one before).
    pub(crate) fn forget(&self, key: u64) {
        if let Ok(mut cached) = self.inner.lock() {
            if let Some(gone) = cached.chunks.remove(&key) {
                cached.bytes -= gone.records_bytes();
                cached.order.retain(|k| *k != key);
            }
        }
    }
}

impl Cached {
    fn keep(&mut self, key: u64, chunk: Arc<Chunk>) {
        let bytes = chunk.records_bytes();
        if let Some(earlier) = self.chunks.insert(key, chunk) {
            // Rewritten (`history.rs`): the earlier one is counted already.
            self.bytes -= earlier.records_bytes();
        } else {
            self.order.push_back(key);
        }
        self.bytes += bytes;
        while self.bytes > CAPACITY_BYTES {
            let Some(oldest) = self.order.pop_front() else {
                break;
            };
            if let Some(gone) = self.chunks.remove(&oldest) {
                self.bytes -= gone.records_bytes();
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::event_log::chunk::{encode, test_events};

    fn chunk_value(first: u64, count: u64) -> Vec<u8> {
        let mut chunks = encode(&test_events(first, count), 0, "test");
        assert_eq!(chunks.len(), 1);
        chunks.remove(0).1
    }

    #[test]
    fn finds_the_chunk_holding_a_position_and_none_outside_the_chunks() {
        let cache = ChunkCache::default();
        cache
            .get_or_parse(10, &chunk_value(10, 5), cache.seen())
            .unwrap();
        cache
            .get_or_parse(20, &chunk_value(20, 3), cache.seen())
            .unwrap();
        assert_eq!(cache.holding(12).map(|c| c.first), Some(10));
        assert_eq!(cache.holding(22).map(|c| c.first), Some(20));
        assert!(cache.holding(9).is_none());
        assert!(cache.holding(15).is_none(), "between two chunks");
        assert!(cache.holding(23).is_none());
    }

    #[test]
    fn lets_the_oldest_chunks_go_beyond_its_capacity() {
        let cache = ChunkCache::default();
        let value = chunk_value(0, 100);
        let per_chunk = Chunk::parse(0, &value).unwrap().records_bytes();
        let fits = CAPACITY_BYTES / per_chunk;
        for n in 0..fits as u64 + 10 {
            let first = n * 100;
            cache
                .get_or_parse(first, &chunk_value(first, 100), cache.seen())
                .unwrap();
        }
        let held = cache.inner.lock().unwrap();
        assert!(held.bytes <= CAPACITY_BYTES);
        assert_eq!(held.chunks.len(), held.order.len());
        assert!(!held.chunks.contains_key(&0), "the first chunk went first");
        assert!(held.chunks.contains_key(&((fits as u64 + 9) * 100)));
    }

    #[test]
    fn a_chunk_read_before_a_rewrite_began_is_not_kept() {
        let cache = ChunkCache::default();
        let seen = cache.seen();
        let rewrite = cache.rewriting();
        cache.get_or_parse(10, &chunk_value(10, 5), seen).unwrap();
        drop(rewrite);
        assert!(
            cache.holding(12).is_none(),
            "read before the rewrite, kept after it"
        );
    }

    #[test]
    fn a_chunk_read_while_a_rewrite_is_under_way_is_not_kept() {
        let cache = ChunkCache::default();
        let _rewrite = cache.rewriting();
        cache
            .get_or_parse(10, &chunk_value(10, 5), cache.seen())
            .unwrap();
        assert!(cache.holding(12).is_none());
    }

    #[test]
    fn a_chunk_read_after_a_rewrite_ended_is_kept() {
        let cache = ChunkCache::default();
        drop(cache.rewriting());
        cache
            .get_or_parse(10, &chunk_value(10, 5), cache.seen())
            .unwrap();
        assert_eq!(cache.holding(12).map(|c| c.first), Some(10));
    }
}
