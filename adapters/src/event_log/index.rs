//! The index of the log, on disk in the tree `index`: each stream's events (position and
//! event id) in version order (expected versions, reading one stream, and duplicate
//! suppression: a retried append brings ids its stream already holds), and which mailbox
//! messages were received (a redelivery is recognised, see `received.rs`). Nothing of it is
//! kept in memory per message: the store's block cache (bounded) holds what is read often. One
//! entry per stream, not per event: fewer, larger entries cost the store less to write and
//! to compact.
//!
//! It is derived from the log: the writer adds each commit once it is durable, and the index
//! records how far it reaches (`n`) in the same batch, so after a crash it is brought up to the
//! log's end from there (the commits whose indexing was lost). Keys:
//!
//! | key | value |
//! |---|---|
//! | `n` | the position up to which the log is indexed, u64 big-endian |
//! | `s`, stream key | per event in version order: position (u64) and event id (u128), big-endian |
//! | `i`, hash of mailbox and remote id | the hashes of the contents received with it, 16 bytes each (`received.rs`) |
//! | `ids` | empty: the index holds `i` entries only (written when it starts empty) |
//! | `e`, hash of mailbox and remote id, hash of mailbox, remote id and payload digest (folders written before `i`) | empty |
//! | `m`, hash of mailbox and remote id (folders written before `e`) | empty |
//! | `c`, hash of mailbox, remote id and payload digest (folders written before `e`) | empty |
//!
//! A stream key is `m` or `r` and the 16 bytes of the uuid of `message-<uuid>` or
//! `receipt-<uuid>` (canonical form), else `o`, the length (u16 big-endian) and the text.

use std::collections::HashMap;

use ketenpost_domain::events::{EventId, RecordedEvent};
use ketenpost_domain::ports::ReadError;

use super::chunk::Chunk;
use super::codec;
use super::log_tree::{position_of_key, storage};
use super::received;

/// The bytes of one event in a stream's entry: position (u64) and event id (u128).
const RECORD: usize = 24;

/// The index of the log up to `next`.
pub(crate) struct LogIndex {
    tree: crate::event_log::store::Tree,
    next: u64,
}

/// The stream key of a stream id (see the module documentation).
fn stream_key(stream: &str) -> Vec<u8> {
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
    let mut key = Vec::with_capacity(19);
    key.push(b's');
    if let Some(id) = stream.strip_prefix("message-").and_then(uuid) {
        key.push(b'm');
        key.extend_from_slice(&id.to_be_bytes());
    } else if let Some(id) = stream.strip_prefix("receipt-").and_then(uuid) {
        key.push(b'r');
        key.extend_from_slice(&id.to_be_bytes());
    } else {
        key.push(b'o');
        let len = u16::try_from(stream.len()).unwrap_or(u16::MAX);
        key.extend_from_slice(&len.to_be_bytes());
        key.extend_from_slice(&stream.as_bytes()[..usize::from(len)]);
    }
    key
}

fn record(position: u64, id: EventId) -> [u8; RECORD] {
    let mut out = [0u8; RECORD];
    out[..8].copy_from_slice(&position.to_be_bytes());
    out[8..].copy_from_slice(&id.0.to_be_bytes());
    out
}

/// The positions and event ids of a stream's entry.
fn records(value: &[u8]) -> impl Iterator<Item = (u64, u128)> + '_ {
    value.chunks_exact(RECORD).map(|r| {
        let mut position = [0u8; 8];
        position.copy_from_slice(&r[..8]);
        let mut id = [0u8; 16];
        id.copy_from_slice(&r[8..]);
        (u64::from_be_bytes(position), u128::from_be_bytes(id))
    })
}

impl LogIndex {
    /// The index in `tree`, as far as it reaches.
    ///
    /// # Errors
    /// The tree cannot be read.
    pub(crate) fn open(tree: crate::event_log::store::Tree) -> Result<Self, ReadError> {
        received::mark_if_empty(&tree)?;
        let next = tree
            .get(b"n")
            .map_err(storage)?
            .and_then(|v| <[u8; 8]>::try_from(v.as_ref()).ok())
            .map_or(0, u64::from_be_bytes);
        Ok(Self { tree, next })
    }

    /// The position up to which the log is indexed.
    pub(crate) fn reaches(&self) -> u64 {
        self.next
    }

    fn stored(&self, key: &[u8]) -> Result<Vec<u8>, ReadError> {
        Ok(self
            .tree
            .get(key)
            .map_err(storage)?
            .map(|v| v.to_vec())
            .unwrap_or_default())
    }

    /// Indexes the acknowledged chunks from where the index ends up to `target` (the position
    /// acknowledged last); nothing is read when the index is already there.
    ///
    /// # Errors
    /// A damaged chunk or record, a stream whose versions are out of order, or a storage
    /// failure.
    pub(crate) fn refresh(
        &mut self,
        log: &crate::event_log::store::Tree,
        target: u64,
    ) -> Result<(), ReadError> {
        if self.next >= target {
            return Ok(());
        }
        let start = log
            .range(..=self.next.to_be_bytes())
            .next_back()
            .transpose()
            .map_err(storage)?
            .map(|(key, _)| key)
            .map_or(Ok(0), |key| position_of_key(&key))?;
        for entry in log.range(start.to_be_bytes()..) {
            let (key, value) = entry.map_err(storage)?;
            let key = position_of_key(&key)?;
            if key >= target {
                break;
            }
            let chunk = Chunk::parse(key, &value)?;
            if chunk.end() <= self.next {
                continue;
            }
            if chunk.first > self.next {
                return Err(ReadError::Damaged {
                    position: self.next,
                    detail: format!("missing; the next chunk starts at {}", chunk.first),
                });
            }
            let mut batch = crate::event_log::store::Batch::default();
            let mut pending: HashMap<Vec<u8>, Vec<u8>> = HashMap::new();
            let mut notes = received::Notes::default();
            for record_bytes in chunk.records_from(self.next) {
                let (position, bytes) = record_bytes?;
                let head = codec::decode_head(position, bytes)?;
                let key = stream_key(head.stream);
                let value = match pending.remove(&key) {
                    Some(value) => value,
                    None => self.stored(&key)?,
                };
                let before = (value.len() / RECORD) as u64;
                if head.version != before {
                    return Err(ReadError::Damaged {
                        position,
                        detail: format!(
                            "{} has {before} events before it, but it says version {}",
                            head.stream, head.version
                        ),
                    });
                }
                if key.get(1) == Some(&b'r') {
                    let event = chunk.decode_at(position)?;
                    notes.note(&self.tree, &event.event)?;
                }
                let mut value = value;
                value.extend_from_slice(&record(position, head.id));
                pending.insert(key, value);
            }
            for (key, value) in pending {
                batch.insert(key, value);
            }
            notes.write(&mut batch);
            batch.insert(b"n", chunk.end().to_be_bytes());
            self.tree.apply_batch(batch).map_err(storage)?;
            self.next = chunk.end();
        }
        Ok(())
    }

    /// Adds the events of a commit that was just made durable; `events` start at the position
    /// the index ends at, or were indexed already (by a reader that caught up first). Their
    /// versions were checked against the index when the commit was prepared.
    ///
    /// # Errors
    /// The events do not follow the index, or a storage failure.
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
        let mut batch = crate::event_log::store::Batch::default();
        let mut pending: HashMap<Vec<u8>, Vec<u8>> = HashMap::new();
        let mut notes = received::Notes::default();
        let mut next = self.next;
        for event in events {
            let key = stream_key(event.stream.as_str());
            let mut value = match pending.remove(&key) {
                Some(value) => value,
                None => self.stored(&key)?,
            };
            value.extend_from_slice(&record(event.position, event.id));
            pending.insert(key, value);
            notes.note(&self.tree, &event.event)?;
            next = event.position + 1;
        }
        for (key, value) in pending {
            batch.insert(key, value);
        }
        notes.write(&mut batch);
        batch.insert(b"n", next.to_be_bytes());
        self.tree.apply_batch(batch).map_err(storage)?;
        self.next = next;
        Ok(())
    }

    /// Whether `stream` holds an event with this id (a retried append).
    ///
    /// # Errors
    /// A storage failure.
    pub(crate) fn contains(&self, stream: &str, id: EventId) -> Result<bool, ReadError> {
        let value = self.stored(&stream_key(stream))?;
        let found = records(&value).any(|(_, stored)| stored == id.0);
        Ok(found)
    }

    /// The last version of a stream (`None`: no such stream).
    ///
    /// # Errors
    /// A storage failure.
    pub(crate) fn last_version(&self, stream: &str) -> Result<Option<u64>, ReadError> {
        let value = self.stored(&stream_key(stream))?;
        Ok(((value.len() / RECORD) as u64).checked_sub(1))
    }

    /// A stream's positions in version order.
    ///
    /// # Errors
    /// A storage failure.
    pub(crate) fn positions(&self, stream: &str) -> Result<Vec<u64>, ReadError> {
        let value = self.stored(&stream_key(stream))?;
        Ok(records(&value).map(|(position, _)| position).collect())
    }
}

/// Takes a stream whose history was forgotten (`history.rs`) out of the index in `batch`: it
/// then has no events, and a rebuilt index passes over its emptied records.
pub(crate) fn forget_stream(stream: &str, batch: &mut crate::event_log::store::Batch) {
    batch.remove(stream_key(stream));
}

#[cfg(test)]
mod tests {
    use super::*;
    use ketenpost_domain::events::{StreamId, StreamKind};

    /// A temporary store with `events` written to its log tree as chunks.
    fn log_of(
        events: &[RecordedEvent],
    ) -> (crate::event_log::store::Db, crate::event_log::store::Tree) {
        let db = crate::event_log::store::Db::temporary();
        let log = db.open_tree("log").unwrap();
        for (first, value, _) in super::super::chunk::encode(events, 0, "0.1.0") {
            log.insert(first.to_be_bytes(), value).unwrap();
        }
        (db, log)
    }

    #[test]
    fn the_index_is_kept_on_disk_and_a_reopen_finds_it_without_reading_the_log() {
        let events = super::super::chunk::test_events(0, 300);
        let (db, log) = log_of(&events);
        let mut index = LogIndex::open(db.open_tree("index").unwrap()).unwrap();
        index.add(&events[..200]).unwrap();
        drop(index);
        // A crash lost the indexing of the last commit: the reopened index reaches 200, answers
        // for what it holds without reading a chunk, and takes up the rest from there.
        let mut index = LogIndex::open(db.open_tree("index").unwrap()).unwrap();
        assert_eq!(index.reaches(), 200);
        let stream = events[0].stream.as_str();
        assert_eq!(index.last_version(stream).unwrap(), Some(199));
        assert!(index.contains(stream, events[150].id).unwrap());
        assert!(!index.contains(stream, events[250].id).unwrap());
        index.refresh(&log, 300).unwrap();
        assert_eq!(index.reaches(), 300);
        assert_eq!(index.last_version(stream).unwrap(), Some(299));
        assert_eq!(
            index.positions(stream).unwrap(),
            (0..300).collect::<Vec<_>>()
        );
        assert!(index.contains(stream, events[250].id).unwrap());
    }

    #[test]
    fn a_version_out_of_order_in_the_log_is_damage() {
        let mut events = super::super::chunk::test_events(0, 10);
        events[5].version = 7;
        let (db, log) = log_of(&events);
        let mut index = LogIndex::open(db.open_tree("index").unwrap()).unwrap();
        let error = index.refresh(&log, 10).unwrap_err().to_string();
        assert!(error.contains("position 5 is damaged"), "{error}");
    }

    #[test]
    fn stream_ids_map_to_distinct_keys() {
        let id = EventId(0x0190_a5b2_0000_7000_8000_0000_0000_00ff);
        let message = StreamId::new(StreamKind::Message, id);
        let receipt = StreamId::new(StreamKind::Receipt, id);
        assert_eq!(stream_key(message.as_str())[1], b'm');
        assert_eq!(stream_key(receipt.as_str())[1], b'r');
        assert_eq!(stream_key(message.as_str())[2..], id.0.to_be_bytes());
        let upper = message
            .as_str()
            .to_uppercase()
            .replace("MESSAGE", "message");
        assert_eq!(stream_key(&upper)[1], b'o');
        assert_ne!(stream_key("message-1"), stream_key("message-10"));
        assert!(!stream_key("o-ab").starts_with(&stream_key("o-a")));
    }
}
