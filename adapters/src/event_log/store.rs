//! The key-value store under the event log: fjall, a log-structured merge tree. It is chosen
//! for what a log that runs for months needs: its memory is bounded by settings (a block cache
//! and write buffers, nothing kept per entry), its open reads only its journal since the last
//! flush and the tables' metadata (not every page), and compaction gives back the space of
//! what was overwritten or removed, so at a steady rate the folder grows only by what stays.
//!
//! This file owns the settings and a small surface shaped like the rest of the event log
//! needs it: named trees (fjall's keyspaces) with reads, writes, ranges and atomic batches,
//! and one `flush` that makes everything written before it durable (fjall fsyncs its journal,
//! and the folders when files appear). Writes are ordered: after a crash the store holds a
//! prefix of them, so a batch acknowledged by `flush` is never lost and a later one never
//! survives an earlier one.
//!
//! An iterator (`range`, `scan_prefix`, `iter`) reads the store as it was when it was made,
//! and so keeps every write buffer written since in memory until it is dropped: a loop that
//! writes while it walks the store reads a bounded number of entries per iterator.

use std::ops::RangeBounds;
use std::path::Path;
use std::sync::{Arc, Mutex};

/// An error of the store.
pub(crate) type StoreError = fjall::Error;

/// A value (or key) as the store gives it back.
pub(crate) type Value = fjall::Slice;

/// Bytes of the block cache: the blocks of tables read most. Twice this measured no faster in
/// the long run (reads of recent entries are answered by the write buffers); half of it, over
/// a run of a million messages, held no less at a steady state (docs/performance.md, "The
/// sweep's memory and time").
const CACHE_BYTES: u64 = 8 * 1024 * 1024;
/// Bytes one tree holds in memory before it is written to a table (eight trees). Half this
/// held about 5 MB less and took in from a folder 10-20 % slower (more, smaller tables).
const MEMTABLE_BYTES: u64 = 4 * 1024 * 1024;
/// Bytes of journal kept before the trees it covers are written to tables: what an open
/// after a crash (or any open) reads again at most.
const JOURNAL_BYTES: u64 = 64 * 1024 * 1024;
/// Threads for writing tables and compacting them.
const WORKER_THREADS: usize = 2;
/// Bytes of one table written by compaction. A table's filter is built in memory from a hash
/// of each of its keys, and the first level's indexes stay in memory (four tables): fjall's
/// default of 64 MiB held about 17 MB of hashes during one compaction at two million messages.
/// This, the write buffer size and the compression are a tree's settings on disk: they apply
/// to trees made with them, a store made by an earlier version keeps its own.
const TABLE_BYTES: u64 = 16 * 1024 * 1024;

/// An open store: the folder and its trees.
#[derive(Clone)]
pub(crate) struct Db {
    inner: fjall::Database,
}

impl Db {
    /// Opens (or creates) the store in `folder`.
    ///
    /// # Errors
    /// The folder cannot be used, or the store in it is damaged.
    pub(crate) fn open(folder: &Path) -> Result<Self, StoreError> {
        let inner = fjall::Database::builder(folder)
            .cache_size(CACHE_BYTES)
            .max_journaling_size(JOURNAL_BYTES)
            .worker_threads(WORKER_THREADS)
            .open()?;
        Ok(Self { inner })
    }

    /// A store in a new folder of its own, removed when the store is dropped (tests).
    #[cfg(test)]
    pub(crate) fn temporary() -> Self {
        use std::sync::atomic::{AtomicU64, Ordering};
        static NEXT: AtomicU64 = AtomicU64::new(0);
        let folder = std::env::temp_dir().join(format!(
            "ketenpost-store-{}-{}",
            std::process::id(),
            NEXT.fetch_add(1, Ordering::Relaxed)
        ));
        let inner = fjall::Database::builder(folder)
            .cache_size(CACHE_BYTES)
            .temporary(true)
            .open()
            .expect("a temporary store");
        Self { inner }
    }

    /// The tree `name`, made when absent.
    ///
    /// # Errors
    /// The store failed.
    pub(crate) fn open_tree(&self, name: &str) -> Result<Tree, StoreError> {
        let keyspace = self.inner.keyspace(name, || {
            // Uncompressed: chunks are deflated and payloads encrypted already, and what is at
            // rest stays checkable byte for byte (the retention tests read the files).
            fjall::KeyspaceCreateOptions::default()
                .max_memtable_size(MEMTABLE_BYTES)
                .compaction_strategy(Arc::new(
                    fjall::compaction::Leveled::default().with_table_target_size(TABLE_BYTES),
                ))
                .data_block_compression_policy(fjall::config::CompressionPolicy::disabled())
        })?;
        Ok(Tree {
            db: self.inner.clone(),
            keyspace,
            exclusive: Arc::default(),
        })
    }

    /// Makes everything written so far durable.
    ///
    /// # Errors
    /// Writing or syncing the journal failed; the store takes no writes after that.
    pub(crate) fn flush(&self) -> Result<(), StoreError> {
        self.inner.persist(fjall::PersistMode::SyncAll)
    }

    /// Bytes the store's files take on disk.
    ///
    /// # Errors
    /// The folder cannot be read.
    pub(crate) fn size_on_disk(&self) -> Result<u64, StoreError> {
        self.inner.disk_space()
    }

    /// What the store holds in memory and owes to disk now.
    pub(crate) fn figures(&self) -> StoreFigures {
        StoreFigures {
            write_buffer_bytes: self.inner.write_buffer_size(),
            cache_bytes: self.inner.cache_size(),
            journal_bytes: self.inner.journal_disk_space().unwrap_or(0),
            disk_bytes: self.inner.disk_space().unwrap_or(0),
            flushes_pending: self.inner.outstanding_flushes(),
            compactions_running: self.inner.active_compactions(),
        }
    }
}

/// The store's own figures, for the operator's metrics: the memory it holds (write buffers and
/// block cache, both bounded by the settings above) and the work it has yet to do.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct StoreFigures {
    /// Bytes in the write buffers (memtables), active and waiting to be written to tables.
    pub write_buffer_bytes: u64,
    /// Bytes of table blocks in the block cache.
    pub cache_bytes: u64,
    /// Bytes of the journal files not yet recycled (each is made 64 MiB long and filled from
    /// its start: two files, the one written and one whose trees are being written to
    /// tables, read 128 MiB here).
    pub journal_bytes: u64,
    /// Bytes of all the store's files.
    pub disk_bytes: u64,
    /// Write buffers waiting to be written to tables.
    pub flushes_pending: usize,
    /// Compactions running now.
    pub compactions_running: usize,
}

/// One named tree of sorted keys and values.
#[derive(Clone)]
pub(crate) struct Tree {
    db: fjall::Database,
    keyspace: fjall::Keyspace,
    /// Held by [`Tree::insert_if_absent`] between its read and its write.
    exclusive: Arc<Mutex<()>>,
}

/// An entry as the iterators give it.
pub(crate) type Entry = Result<(Value, Value), StoreError>;

impl Tree {
    /// The value at `key`.
    ///
    /// # Errors
    /// The store failed.
    pub(crate) fn get(&self, key: impl AsRef<[u8]>) -> Result<Option<Value>, StoreError> {
        self.keyspace.get(key)
    }

    /// Whether `key` has a value.
    ///
    /// # Errors
    /// The store failed.
    pub(crate) fn contains_key(&self, key: impl AsRef<[u8]>) -> Result<bool, StoreError> {
        self.keyspace.contains_key(key)
    }

    /// Sets `key` to `value`.
    ///
    /// # Errors
    /// The store failed.
    pub(crate) fn insert(
        &self,
        key: impl AsRef<[u8]>,
        value: impl AsRef<[u8]>,
    ) -> Result<(), StoreError> {
        self.keyspace.insert(key.as_ref(), value.as_ref())
    }

    /// Sets `key` to `value` unless it has one; gives the value it had.
    ///
    /// # Errors
    /// The store failed.
    pub(crate) fn insert_if_absent(
        &self,
        key: impl AsRef<[u8]>,
        value: impl AsRef<[u8]>,
    ) -> Result<Option<Value>, StoreError> {
        let _alone = self
            .exclusive
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        if let Some(existing) = self.keyspace.get(key.as_ref())? {
            return Ok(Some(existing));
        }
        self.keyspace.insert(key.as_ref(), value.as_ref())?;
        Ok(None)
    }

    /// Removes `key`.
    ///
    /// # Errors
    /// The store failed.
    pub(crate) fn remove(&self, key: impl AsRef<[u8]>) -> Result<(), StoreError> {
        self.keyspace.remove(key.as_ref())
    }

    /// Removes `key`; gives the value it had.
    ///
    /// # Errors
    /// The store failed.
    pub(crate) fn take(&self, key: impl AsRef<[u8]>) -> Result<Option<Value>, StoreError> {
        let old = self.keyspace.get(key.as_ref())?;
        if old.is_some() {
            self.keyspace.remove(key.as_ref())?;
        }
        Ok(old)
    }

    /// Starts writing this tree's in-memory entries to a table; `written_out` says when it is
    /// done.
    ///
    /// # Errors
    /// The journal cannot be locked.
    pub(crate) fn write_out(&self) -> Result<(), StoreError> {
        self.keyspace.rotate_memtable().map(|_| ())
    }

    /// Whether every in-memory part of this tree that `write_out` started is in a table.
    pub(crate) fn written_out(&self) -> bool {
        self.keyspace.sealed_memtable_count() == 0
    }

    /// Removes every entry.
    ///
    /// # Errors
    /// The store failed.
    pub(crate) fn clear(&self) -> Result<(), StoreError> {
        self.keyspace.clear()
    }

    /// Writes every change of `batch` at once: after a crash all of them are there or none.
    ///
    /// # Errors
    /// The store failed.
    pub(crate) fn apply_batch(&self, batch: Batch) -> Result<(), StoreError> {
        if batch.changes.is_empty() {
            return Ok(());
        }
        let mut write = self.db.batch();
        for (key, value) in batch.changes {
            match value {
                Some(value) => write.insert(&self.keyspace, key, value),
                None => write.remove(&self.keyspace, key),
            }
        }
        write.commit()
    }

    /// The entries with keys in `range`, in key order (either way).
    pub(crate) fn range<K: AsRef<[u8]>, R: RangeBounds<K>>(
        &self,
        range: R,
    ) -> impl DoubleEndedIterator<Item = Entry> + use<K, R> {
        self.keyspace.range(range).map(fjall::Guard::into_inner)
    }

    /// The entries whose keys start with `prefix`, in key order (either way).
    pub(crate) fn scan_prefix(
        &self,
        prefix: impl AsRef<[u8]>,
    ) -> impl DoubleEndedIterator<Item = Entry> {
        self.keyspace.prefix(prefix).map(fjall::Guard::into_inner)
    }

    /// Every entry in key order (either way).
    pub(crate) fn iter(&self) -> impl DoubleEndedIterator<Item = Entry> {
        self.keyspace.iter().map(fjall::Guard::into_inner)
    }

    /// The entry with the lowest key.
    ///
    /// # Errors
    /// The store failed.
    pub(crate) fn first(&self) -> Result<Option<(Value, Value)>, StoreError> {
        self.keyspace
            .first_key_value()
            .map(fjall::Guard::into_inner)
            .transpose()
    }

    /// The entry with the highest key.
    ///
    /// # Errors
    /// The store failed.
    pub(crate) fn last(&self) -> Result<Option<(Value, Value)>, StoreError> {
        self.keyspace
            .last_key_value()
            .map(fjall::Guard::into_inner)
            .transpose()
    }
}

/// Writes the batches of several trees of one store at once: after a crash all of them are
/// there or none.
///
/// # Errors
/// The store failed.
pub(crate) fn apply_together(parts: Vec<(&Tree, Batch)>) -> Result<(), StoreError> {
    let Some((first, _)) = parts.iter().find(|(_, batch)| !batch.changes.is_empty()) else {
        return Ok(());
    };
    let mut write = first.db.batch();
    for (tree, batch) in parts {
        for (key, value) in batch.changes {
            match value {
                Some(value) => write.insert(&tree.keyspace, key, value),
                None => write.remove(&tree.keyspace, key),
            }
        }
    }
    write.commit()
}

/// Changes to one tree, written at once by [`Tree::apply_batch`] (or with other trees' by
/// [`apply_together`]).
#[derive(Debug, Default)]
pub(crate) struct Batch {
    changes: Vec<(Value, Option<Value>)>,
}

impl Batch {
    /// Sets `key` to `value`.
    pub(crate) fn insert(&mut self, key: impl AsRef<[u8]>, value: impl AsRef<[u8]>) {
        self.changes
            .push((Value::from(key.as_ref()), Some(Value::from(value.as_ref()))));
    }

    /// Removes `key`.
    pub(crate) fn remove(&mut self, key: impl AsRef<[u8]>) {
        self.changes.push((Value::from(key.as_ref()), None));
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn scratch(name: &str) -> (std::path::PathBuf, Db) {
        let folder = std::env::temp_dir().join(format!("store-{name}-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&folder);
        let db = Db::open(&folder).unwrap();
        (folder, db)
    }

    #[test]
    fn a_flushed_batch_is_there_after_a_reopen() {
        let (folder, db) = scratch("reopen");
        let tree = db.open_tree("t").unwrap();
        let mut batch = Batch::default();
        batch.insert(b"a", b"1");
        batch.insert(b"b", b"2");
        batch.remove(b"a");
        tree.apply_batch(batch).unwrap();
        db.flush().unwrap();
        drop((tree, db));
        let db = Db::open(&folder).unwrap();
        let tree = db.open_tree("t").unwrap();
        assert_eq!(tree.get(b"a").unwrap(), None);
        assert_eq!(tree.get(b"b").unwrap().as_deref(), Some(&b"2"[..]));
        drop((tree, db));
        std::fs::remove_dir_all(&folder).unwrap();
    }

    #[test]
    fn insert_if_absent_keeps_the_first_value() {
        let db = Db::temporary();
        let tree = db.open_tree("t").unwrap();
        assert_eq!(tree.insert_if_absent(b"k", b"first").unwrap(), None);
        let kept = tree.insert_if_absent(b"k", b"second").unwrap();
        assert_eq!(kept.as_deref(), Some(&b"first"[..]));
        assert_eq!(tree.get(b"k").unwrap().as_deref(), Some(&b"first"[..]));
    }

    #[test]
    fn ranges_and_prefixes_run_both_ways_in_key_order() {
        let db = Db::temporary();
        let tree = db.open_tree("t").unwrap();
        for key in [&b"a1"[..], b"a2", b"b1", b"b2"] {
            tree.insert(key, b"").unwrap();
        }
        let keys = |entries: Vec<Entry>| -> Vec<Vec<u8>> {
            entries.into_iter().map(|e| e.unwrap().0.to_vec()).collect()
        };
        assert_eq!(
            keys(tree.scan_prefix(b"b").rev().collect()),
            [b"b2".to_vec(), b"b1".to_vec()]
        );
        assert_eq!(
            keys(tree.range(&b"a2"[..]..=&b"b1"[..]).collect()),
            [b"a2".to_vec(), b"b1".to_vec()]
        );
        assert_eq!(tree.last().unwrap().unwrap().0.as_ref(), b"b2");
        assert_eq!(tree.first().unwrap().unwrap().0.as_ref(), b"a1");
    }
}
