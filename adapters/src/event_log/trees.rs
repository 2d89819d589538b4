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
    /// Period start -> the access log's key of that period (`period_keys.rs`).
    pub access_keys: Tree,
    /// Period start -> the notes' key of that period (`period_keys.rs`).
    pub note_keys: Tree,
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
            note_keys: db.open_tree("note_keys")?,
        })
    }

    fn all(&self) -> [&Tree; 9] {
        [
            &self.log,
            &self.meta,
            &self.payloads,
            &self.projections,
            &self.message_keys,
            &self.retention,
            &self.index,
            &self.access_keys,
            &self.note_keys,
        ]
    }

    /// Writes what every tree holds in memory to tables, waiting at most `limit`: the store's
    /// next open then finds those entries of its journal written already and applies none of
    /// them again (an open reads the journal since the last tables, up to 64 MB, which took
    /// about 0.7 s for 31 MB). Whether it finished or not, nothing is lost: the journal holds
    /// it all until the tables are written.
    pub(crate) fn write_out(&self, limit: std::time::Duration) -> bool {
        let until = std::time::Instant::now() + limit;
        for tree in self.all() {
            if tree.write_out().is_err() {
                return false;
            }
        }
        while !self.all().iter().all(|tree| tree.written_out()) {
            if std::time::Instant::now() >= until {
                return false;
            }
            std::thread::sleep(std::time::Duration::from_millis(10));
        }
        true
    }
}
