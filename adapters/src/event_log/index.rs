//! The index of the log kept in memory: which event ids are in it (duplicate suppression) and
//! each stream's positions in version order (expected versions and reading one stream).
//!
//! It is derived from the log alone, so it needs no storage of its own and cannot disagree
//! with it after a crash: it is built from the chunks on first use (an open that only replays
//! or reads never pays for it) and then follows the acknowledged commits.

use std::collections::{HashMap, HashSet};
use std::hash::BuildHasherDefault;

use ketenpost_domain::events::{EventId, RecordedEvent};
use ketenpost_domain::ports::ReadError;

use super::chunk::Chunk;
use super::codec;
use super::hashing::WordHasher;
use super::log_tree::position_of_key;

type Fast = BuildHasherDefault<WordHasher>;

/// Event ids and stream positions of the log up to `next`.
#[derive(Default)]
pub(crate) struct LogIndex {
    ids: HashSet<u128, Fast>,
    streams: HashMap<StreamKey, Positions, Fast>,
    next: u64,
}

/// A stream id as the index keeps it: the id of `message-<uuid>` and `receipt-<uuid>` (every
/// stream ketenpost makes) as a number, anything else as text.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
enum StreamKey {
    Message(u128),
    Receipt(u128),
    Other(Box<str>),
}

impl StreamKey {
    fn of(stream: &str) -> Self {
        // Only the canonical form (lowercase, dashes at 8, 13, 18, 23), so that the number maps
        // back to exactly one text.
        let uuid = |rest: &str| -> Option<u128> {
            let bytes = rest.as_bytes();
            if bytes.len() != 36 {
                return None;
            }
            let mut id = 0u128;
            for (i, b) in bytes.iter().enumerate() {
                let digit = match (i, b) {
                    (8 | 13 | 18 | 23, b'-') => continue,
                    (8 | 13 | 18 | 23, _) => return None,
                    (_, b'0'..=b'9') => b - b'0',
                    (_, b'a'..=b'f') => b - b'a' + 10,
                    _ => return None,
                };
                id = (id << 4) | u128::from(digit);
            }
            Some(id)
        };
        if let Some(id) = stream.strip_prefix("message-").and_then(uuid) {
            Self::Message(id)
        } else if let Some(id) = stream.strip_prefix("receipt-").and_then(uuid) {
            Self::Receipt(id)
        } else {
            Self::Other(stream.into())
        }
    }
}

/// A stream's positions in version order; most streams have one or two events.
#[derive(Debug, Clone)]
enum Positions {
    Few { len: u8, items: [u64; 2] },
    Many(Vec<u64>),
}

impl Default for Positions {
    fn default() -> Self {
        Self::Few {
            len: 0,
            items: [0; 2],
        }
    }
}

impl Positions {
    fn as_slice(&self) -> &[u64] {
        match self {
            Self::Few { len, items } => &items[..usize::from(*len)],
            Self::Many(all) => all,
        }
    }

    fn push(&mut self, position: u64) {
        match self {
            Self::Few { len, items } if usize::from(*len) < items.len() => {
                items[usize::from(*len)] = position;
                *len += 1;
            }
            Self::Few { items, .. } => {
                let mut all = items.to_vec();
                all.push(position);
                *self = Self::Many(all);
            }
            Self::Many(all) => all.push(position),
        }
    }
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
            let key = position_of_key(&key)?;
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
        let positions = self.streams.entry(StreamKey::of(stream)).or_default();
        let before = positions.as_slice().len();
        if version != before as u64 {
            return Err(ReadError::Damaged {
                position,
                detail: format!(
                    "{stream} has {before} events before it, but it says version {version}"
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
            .get(&StreamKey::of(stream))
            .and_then(|p| (p.as_slice().len() as u64).checked_sub(1))
    }

    /// A stream's positions in version order.
    pub(crate) fn positions(&self, stream: &str) -> &[u64] {
        self.streams
            .get(&StreamKey::of(stream))
            .map_or(&[], Positions::as_slice)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use ketenpost_domain::events::{StreamId, StreamKind};

    #[test]
    fn stream_ids_map_to_distinct_keys() {
        let id = EventId(0x0190_a5b2_0000_7000_8000_0000_0000_00ff);
        let message = StreamId::new(StreamKind::Message, id);
        let receipt = StreamId::new(StreamKind::Receipt, id);
        assert_eq!(StreamKey::of(message.as_str()), StreamKey::Message(id.0));
        assert_eq!(StreamKey::of(receipt.as_str()), StreamKey::Receipt(id.0));
        let upper = message
            .as_str()
            .to_uppercase()
            .replace("MESSAGE", "message");
        assert_eq!(
            StreamKey::of(&upper),
            StreamKey::Other(upper.clone().into())
        );
        assert!(matches!(StreamKey::of("message-1"), StreamKey::Other(_)));
    }

    #[test]
    fn positions_grow_past_the_inline_ones() {
        let mut positions = Positions::default();
        for p in [3, 9, 12, 40] {
            positions.push(p);
        }
        assert_eq!(positions.as_slice(), [3, 9, 12, 40]);
    }
}
