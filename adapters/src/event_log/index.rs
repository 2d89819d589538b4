//! The index of the log kept in memory: which event ids are in it (duplicate suppression) and
//! each stream's positions in version order (expected versions and reading one stream).
//!
//! It is derived from the log alone, so it needs no storage of its own and cannot disagree
//! with it after a crash: it is built from the chunks on first use (an open that only replays
//! or reads never pays for it) and then follows the acknowledged commits.

use std::collections::{HashMap, HashSet};

use ketenpost_domain::events::{EventId, RecordedEvent};
use ketenpost_domain::ports::ReadError;

use super::chunk::Chunk;
use super::codec;

/// Event ids and stream positions of the log up to `next`.
#[derive(Default)]
pub(crate) struct LogIndex {
    ids: HashSet<u128>,
    streams: HashMap<Box<str>, Vec<u64>>,
    next: u64,
}

impl LogIndex {
    /// Indexes the acknowledged chunks from where the index ends up to `target` (the position
    /// acknowledged last); nothing is read when the index is already there.
    ///
    /// # Errors
    /// A damaged chunk or record, a stream whose versions are out of order, or a storage
    /// failure.
    pub(crate) fn refresh(&mut self, log: &sled::Tree, target: u64) -> Result<(), ReadError> {
        if self.next >= target {
            return Ok(());
        }
        for entry in log.range(self.next.to_be_bytes()..) {
            let (key, value) = entry.map_err(|e| ReadError::Storage(e.to_string()))?;
            let key = super::sled_log::position_of_key(&key)?;
            if key >= target {
                break;
            }
            let chunk = Chunk::parse(key, &value)?;
            if chunk.first != self.next {
                return Err(ReadError::Damaged {
                    position: self.next,
                    detail: format!("missing; the next chunk starts at {}", chunk.first),
                });
            }
            for record in chunk.records_from(chunk.first) {
                let (position, bytes) = record?;
                let head = codec::decode_head(position, bytes)?;
                self.insert(position, head.id, head.stream, head.version)?;
            }
            self.next = chunk.end();
        }
        Ok(())
    }

    fn insert(
        &mut self,
        position: u64,
        id: EventId,
        stream: &str,
        version: u64,
    ) -> Result<(), ReadError> {
        self.ids.insert(id.0);
        let positions = match self.streams.get_mut(stream) {
            Some(positions) => positions,
            None => self.streams.entry(stream.into()).or_default(),
        };
        if version != positions.len() as u64 {
            return Err(ReadError::Damaged {
                position,
                detail: format!(
                    "{stream} has {} events before it, but it says version {version}",
                    positions.len()
                ),
            });
        }
        positions.push(position);
        Ok(())
    }

    /// Adds the events of a commit that was just acknowledged; `events` start at the position
    /// the index ends at, or were indexed already (by a reader that caught up first).
    ///
    /// # Errors
    /// The events do not follow the index, or a stream's versions are out of order.
    pub(crate) fn add(&mut self, events: &[RecordedEvent]) -> Result<(), ReadError> {
        let Some(first) = events.first() else {
            return Ok(());
        };
        if self.next > first.position {
            return Ok(());
        }
        if self.next < first.position {
            return Err(ReadError::Damaged {
                position: self.next,
                detail: format!(
                    "the index ends here but a commit starts at {}",
                    first.position
                ),
            });
        }
        for event in events {
            self.insert(
                event.position,
                event.id,
                event.stream.as_str(),
                event.version,
            )?;
            self.next = event.position + 1;
        }
        Ok(())
    }

    /// Whether an event with this id is in the log.
    pub(crate) fn contains(&self, id: EventId) -> bool {
        self.ids.contains(&id.0)
    }

    /// The last version of a stream (`None`: no such stream).
    pub(crate) fn last_version(&self, stream: &str) -> Option<u64> {
        self.streams
            .get(stream)
            .and_then(|p| (p.len() as u64).checked_sub(1))
    }

    /// A stream's positions in version order.
    pub(crate) fn positions(&self, stream: &str) -> &[u64] {
        self.streams.get(stream).map_or(&[], Vec::as_slice)
    }
}
