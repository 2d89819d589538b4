//! The format version of a data folder's store, kept in the `meta` tree. A folder written in
//! another format is refused with a clear error instead of being misread.
//!
//! Format 1 kept one JSON envelope per event and separate trees for event ids and stream
//! versions; format 2 keeps chunks of binary envelopes (`chunk.rs`) and indexes them
//! (`index.rs`), in sled (the folder `log`); format 3 keeps the same trees in the store of
//! `store.rs` (the folder `store`). A folder of format 2 is copied into format 3 once
//! (`upgrade.rs`).
//!
//! Format 4 is format 3 whose log may hold forgotten records (`history.rs`, `chunk.rs`). A
//! version that reads format 3 only would take those for damage, so forgetting stamps the
//! store 4 in the batch that first forgets: until then an earlier version still opens the
//! folder (by default nothing is forgotten for five years), after that it refuses it with
//! this module's error instead of reporting a damaged log.

use super::store::{Batch, Db, Tree};

/// The format this version writes a new store in: its log holds no forgotten records.
pub(crate) const STORE_FORMAT: u32 = 3;

/// The format of a store whose log may hold forgotten records; this version reads it too.
pub(crate) const FORGETTING_FORMAT: u32 = 4;

const FORMAT_KEY: &[u8] = b"format";

/// The format the store `meta` belongs to is stamped with, if any.
///
/// # Errors
/// The store failed, or the marker is damaged.
pub(crate) fn stamped(meta: &Tree) -> Result<Option<u32>, String> {
    meta.get(FORMAT_KEY)
        .map_err(|e| super::opening::describe(&e))?
        .map(|value| {
            <[u8; 4]>::try_from(value.as_ref())
                .map(u32::from_be_bytes)
                .map_err(|_| "the store's format marker is damaged".to_owned())
        })
        .transpose()
}

/// Stamps the store [`FORGETTING_FORMAT`] in `batch` (of its `meta` tree).
pub(crate) fn stamp_forgetting(batch: &mut Batch) {
    batch.insert(FORMAT_KEY, FORGETTING_FORMAT.to_be_bytes());
}

/// Checks that the store is in [`STORE_FORMAT`] or [`FORGETTING_FORMAT`], stamping a new
/// store with the first.
///
/// # Errors
/// The store is in another format (described), or the store failed.
pub(crate) fn check_or_stamp(db: &Db, meta: &Tree) -> Result<(), String> {
    match stamped(meta)? {
        Some(STORE_FORMAT | FORGETTING_FORMAT) => Ok(()),
        Some(found) => Err(refusal(found)),
        None => {
            let log_has_entries = db
                .open_tree("log")
                .and_then(|log| log.first())
                .map_err(|e| super::opening::describe(&e))?
                .is_some();
            if log_has_entries {
                return Err(
                    "the store holds a log but no format marker: restore the data folder from \
                     a backup"
                        .to_owned(),
                );
            }
            meta.insert(FORMAT_KEY, STORE_FORMAT.to_be_bytes())
                .map_err(|e| super::opening::describe(&e))?;
            Ok(())
        }
    }
}

fn refusal(found: u32) -> String {
    format!(
        "the store is in log format {found}, this version reads formats {STORE_FORMAT} and \
         {FORGETTING_FORMAT} only; open it with the version that wrote it, or start a new data \
         folder"
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    fn store_stamped(format: Option<u32>) -> (Db, Tree) {
        let db = Db::temporary();
        let meta = db.open_tree("meta").unwrap();
        if let Some(format) = format {
            meta.insert(FORMAT_KEY, format.to_be_bytes()).unwrap();
        }
        (db, meta)
    }

    #[test]
    fn a_new_store_is_stamped_in_the_format_without_forgotten_records() {
        let (db, meta) = store_stamped(None);
        check_or_stamp(&db, &meta).unwrap();
        assert_eq!(stamped(&meta).unwrap(), Some(STORE_FORMAT));
    }

    #[test]
    fn a_store_that_forgot_history_is_read() {
        let (db, meta) = store_stamped(None);
        check_or_stamp(&db, &meta).unwrap();
        let mut batch = Batch::default();
        stamp_forgetting(&mut batch);
        meta.apply_batch(batch).unwrap();
        assert_eq!(stamped(&meta).unwrap(), Some(FORGETTING_FORMAT));
        check_or_stamp(&db, &meta).unwrap();
    }

    #[test]
    fn a_store_of_a_later_format_is_refused_with_the_formats_this_version_reads() {
        let (db, meta) = store_stamped(Some(5));
        let refused = check_or_stamp(&db, &meta).unwrap_err();
        assert!(
            refused.contains("log format 5") && refused.contains("formats 3 and 4"),
            "{refused}"
        );
    }
}
