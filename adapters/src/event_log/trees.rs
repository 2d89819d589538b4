//! The trees of a data folder's store (`store.rs`).

use super::store::{Db, StoreError, Tree};

/// Every tree ketenpost keeps.
#[derive(Clone)]
pub(crate) struct Trees {
    /// First position (u64 big-endian) -> chunk of envelopes (`chunk.rs`).
    pub log: Tree,
    /// Store-wide settings: the format version.
    pub meta: Tree,
    /// Digest -> encrypted payload.
    pub payloads: Tree,
    /// The projections and their checkpoint (keys in `pages.rs`).
    pub projections: Tree,
    /// Message stream id -> its key, sealed with the data key (`message_keys.rs`).
    pub message_keys: Tree,
    /// The retention sweep's progress (`retention.rs`).
    pub retention: Tree,
    /// The index of event ids, stream positions and received messages (`index.rs`).
    pub index: Tree,
    /// Period start -> the access log's key of that period (`access_keys.rs`).
    pub access_keys: Tree,
}

impl Trees {
    pub(crate) fn open(db: &Db) -> Result<Self, StoreError> {
        Ok(Self {
            log: db.open_tree("log")?,
            meta: db.open_tree("meta")?,
            payloads: db.open_tree("payloads")?,
            projections: db.open_tree("projections")?,
            message_keys: db.open_tree("message_keys")?,
            retention: db.open_tree("retention")?,
            index: db.open_tree("index")?,
            access_keys: db.open_tree("access_keys")?,
        })
    }
}
