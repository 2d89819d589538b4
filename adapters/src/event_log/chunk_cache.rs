//! The chunks read last, inflated: the daemon reads the newest events again and again (a
//! message's stream while it is worked on, the projections catching up), and inflating a
//! 16 KiB chunk for each of those reads would cost more than the work itself. Chunks never
//! change once written, so a cached chunk is always right.

use std::collections::VecDeque;
use std::sync::{Arc, Mutex};

use ketenpost_domain::ports::ReadError;

use super::chunk::Chunk;

/// How many inflated chunks are kept (at most 16 KiB each).
const CAPACITY: usize = 64;

/// The chunks read last, newest first.
#[derive(Default)]
pub(crate) struct ChunkCache {
    chunks: Mutex<VecDeque<Arc<Chunk>>>,
}

impl ChunkCache {
    /// The cached chunk holding `position`, if any.
    pub(crate) fn holding(&self, position: u64) -> Option<Arc<Chunk>> {
        let chunks = self.chunks.lock().ok()?;
        chunks
            .iter()
            .find(|c| c.first <= position && position < c.end())
            .cloned()
    }

    /// The chunk stored under `key`: from the cache, else parsed from `value` and kept.
    ///
    /// # Errors
    /// A damaged chunk.
    pub(crate) fn get_or_parse(&self, key: u64, value: &[u8]) -> Result<Arc<Chunk>, ReadError> {
        if let Some(found) = self
            .chunks
            .lock()
            .ok()
            .and_then(|chunks| chunks.iter().find(|c| c.first == key).cloned())
        {
            return Ok(found);
        }
        let chunk = Arc::new(Chunk::parse(key, value)?);
        if let Ok(mut chunks) = self.chunks.lock() {
            chunks.push_front(Arc::clone(&chunk));
            chunks.truncate(CAPACITY);
        }
        Ok(chunk)
    }
}
