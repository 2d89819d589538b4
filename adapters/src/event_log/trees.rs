//! The sled trees of a data folder and how their keys are made.

use ketenpost_domain::events::StreamId;

/// Every tree ketenpost keeps.
#[derive(Clone)]
pub(crate) struct Trees {
    /// First position (u64 big-endian) -> chunk of envelopes (`chunk.rs`).
    pub log: sled::Tree,
    /// Store-wide settings: the format version.
    pub meta: sled::Tree,
    /// Digest -> encrypted payload.
    pub payloads: sled::Tree,
    /// Message stream -> summary (JSON).
    pub messages: sled::Tree,
    /// Receipt stream -> summary (JSON).
    pub receipts: sled::Tree,
    /// State code, !position (u64 big-endian), stream -> (): the lists, newest first.
    pub by_state: sled::Tree,
    /// State code -> count (i64 big-endian).
    pub counts: sled::Tree,
    /// Projection name -> next position (u64 big-endian).
    pub checkpoints: sled::Tree,
}

impl Trees {
    pub(crate) fn open(db: &sled::Db) -> sled::Result<Self> {
        Ok(Self {
            log: db.open_tree("log")?,
            meta: db.open_tree("meta")?,
            payloads: db.open_tree("payloads")?,
            messages: db.open_tree("proj_messages")?,
            receipts: db.open_tree("proj_receipts")?,
            by_state: db.open_tree("proj_by_state")?,
            counts: db.open_tree("proj_counts")?,
            checkpoints: db.open_tree("proj_checkpoints")?,
        })
    }
}

/// The key of a message in `by_state`: newest (highest position) first.
pub(crate) fn state_key(code: u8, position: u64, stream: &StreamId) -> Vec<u8> {
    let mut key = Vec::with_capacity(9 + stream.as_str().len());
    key.push(code);
    key.extend_from_slice(&(u64::MAX - position).to_be_bytes());
    key.extend_from_slice(stream.as_str().as_bytes());
    key
}
