//! A consistent copy of a data folder, made by the process that holds it (the running daemon,
//! on request through its API, or a command on a stopped folder) without stopping its work.
//!
//! The store holds its files exclusively and they match its memory only as a whole, so
//! copying the files of a running log is not safe. Instead the copy is a new data folder written from a
//! fixed point: the log's end `P` when the backup starts. The log is append-only and a chunk
//! never changes once written, so the chunks below `P` are exactly what was recorded before
//! the backup started. Every payload and message key an event below `P` needs was stored
//! before that event, so copying them after reading `P` finds them (unless the retention sweep
//! removed them meanwhile, which is what it is for). The projections are not copied: they are
//! rebuilt from the log when the copy is restored. Neither is the sweep's progress: the sweep
//! walks the restored folder again from the start (it is idempotent). The key file is not
//! part of the copy.

use std::path::Path;

use ketenpost_domain::ports::EventLog;

use super::disk_log::{DiskEventLog, STORE_FOLDER};
use super::format;
use super::head_marker::HeadMarker;
use super::opening;
use super::store::{Batch, Entry, StoreError, Tree};
use super::trees::Trees;

/// What a backup holds.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct BackupReport {
    /// The events copied: every event recorded before the backup started.
    pub events: u64,
    /// The payloads copied.
    pub payloads: u64,
    /// The size of the copy on disk, in bytes.
    pub bytes: u64,
}

/// Why a backup was not made.
#[derive(Debug, thiserror::Error)]
pub enum BackupError {
    /// The target exists and is not an empty folder.
    #[error("{0} already exists and is not empty: back up into a new or empty folder")]
    NotEmpty(String),
    /// Writing the copy failed.
    #[error("writing the backup to {folder} failed: {detail}")]
    Write {
        /// The target.
        folder: String,
        /// What failed.
        detail: String,
    },
}

/// Entries per batch while copying.
const BATCH: usize = 1024;

impl DiskEventLog {
    /// Writes a consistent copy of this data folder (without the key file) into `folder`,
    /// which must not exist or be empty, while appends go on.
    ///
    /// # Errors
    /// The target is not empty, or writing it failed.
    pub fn backup_to(&self, folder: &Path) -> Result<BackupReport, BackupError> {
        let shown = folder.display().to_string();
        let fail = |detail: String| BackupError::Write {
            folder: shown.clone(),
            detail,
        };
        if std::fs::read_dir(folder).is_ok_and(|mut entries| entries.next().is_some()) {
            return Err(BackupError::NotEmpty(shown.clone()));
        }
        let end = self.next_position();
        opening::create_private_folder(folder).map_err(|e| fail(e.to_string()))?;
        // As for a new data folder: the marker first, then the store's folder.
        HeadMarker::replace(&folder.join("log.head"), end).map_err(|e| fail(e.to_string()))?;
        let log_folder = folder.join(STORE_FOLDER);
        opening::create_private_folder(&log_folder).map_err(|e| fail(e.to_string()))?;
        let db = opening::open_store(&log_folder).map_err(|r| fail(r.detail))?;
        let copy = Trees::open(&db).map_err(|e| fail(opening::describe(&e)))?;
        format::check_or_stamp(&db, &copy.meta).map_err(&fail)?;
        let store_error = |e: StoreError| fail(opening::describe(&e));
        copy_tree(
            self.trees.log.range(..end.to_be_bytes()),
            &copy.log,
            &store_error,
        )?;
        let payloads = copy_tree(self.trees.payloads.iter(), &copy.payloads, &store_error)?;
        copy_tree(
            self.trees.message_keys.iter(),
            &copy.message_keys,
            &store_error,
        )?;
        copy_tree(
            self.trees.access_keys.iter(),
            &copy.access_keys,
            &store_error,
        )?;
        copy_tree(self.trees.note_keys.iter(), &copy.note_keys, &store_error)?;
        // The receipts holding each payload and the expired messages; not the progress (`c`).
        copy_tree(
            self.trees
                .retention
                .iter()
                .filter(|e| e.as_ref().map_or(true, |(k, _)| !k.starts_with(b"c"))),
            &copy.retention,
            &store_error,
        )?;
        // A copy of a log that holds forgotten records holds them too. Asked after the copy: a
        // forgetting that stamped the store while it was made may have emptied records in it.
        if format::stamped(&self.trees.meta).map_err(&fail)? == Some(format::FORGETTING_FORMAT) {
            let mut stamp = Batch::default();
            format::stamp_forgetting(&mut stamp);
            copy.meta.apply_batch(stamp).map_err(store_error)?;
        }
        db.flush().map_err(store_error)?;
        drop(copy);
        drop(db);
        Ok(BackupReport {
            events: end,
            payloads,
            bytes: size_of(folder),
        })
    }
}

/// Copies every entry of `from` into `to`, in batches; returns how many.
fn copy_tree<E>(
    from: impl Iterator<Item = Entry>,
    to: &Tree,
    error: &impl Fn(StoreError) -> E,
) -> Result<u64, E> {
    let mut batch = Batch::default();
    let (mut in_batch, mut copied) = (0, 0);
    for entry in from {
        let (key, value) = entry.map_err(error)?;
        batch.insert(key, value);
        in_batch += 1;
        copied += 1;
        if in_batch == BATCH {
            to.apply_batch(std::mem::take(&mut batch)).map_err(error)?;
            in_batch = 0;
        }
    }
    to.apply_batch(batch).map_err(error)?;
    Ok(copied)
}

/// The bytes of every file under `folder`.
fn size_of(folder: &Path) -> u64 {
    let mut total = 0;
    let mut folders = vec![folder.to_path_buf()];
    while let Some(next) = folders.pop() {
        for entry in std::fs::read_dir(&next).into_iter().flatten().flatten() {
            match entry.metadata() {
                Ok(m) if m.is_dir() => folders.push(entry.path()),
                Ok(m) => total += m.len(),
                Err(_) => {}
            }
        }
    }
    total
}
