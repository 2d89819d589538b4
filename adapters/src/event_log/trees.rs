//! The sled trees of a data folder.

/// Every tree ketenpost keeps.
#[derive(Clone)]
pub(crate) struct Trees {
    /// First position (u64 big-endian) -> chunk of envelopes (`chunk.rs`).
    pub log: sled::Tree,
    /// Store-wide settings: the format version.
    pub meta: sled::Tree,
    /// Digest -> encrypted payload.
    pub payloads: sled::Tree,
    /// The projections and their checkpoint (keys in `pages.rs`).
    pub projections: sled::Tree,
    /// Message stream id -> its key, sealed with the data key (`message_keys.rs`).
    pub message_keys: sled::Tree,
    /// The retention sweep's progress (`retention.rs`).
    pub retention: sled::Tree,
    /// The index of event ids, stream positions and received messages (`index.rs`).
    pub index: sled::Tree,
    /// Period start -> the access log's key of that period (`access_keys.rs`).
    pub access_keys: sled::Tree,
}

impl Trees {
    pub(crate) fn open(db: &sled::Db) -> sled::Result<Self> {
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
