//! The format version of a data folder's store, kept in the `meta` tree. A folder written in
//! another format is refused with a clear error instead of being misread.
//!
//! Format 1 kept one JSON envelope per event and separate trees for event ids and stream
//! versions; format 2 keeps chunks of binary envelopes (`chunk.rs`) and indexes them
//! (`index.rs`), in sled (the folder `log`); format 3 keeps the same trees in the store of
//! `store.rs` (the folder `store`). A folder of format 2 is copied into format 3 once
//! (`upgrade.rs`).

use super::store::{Db, Tree};

/// The format this version writes and reads.
pub(crate) const STORE_FORMAT: u32 = 3;

const FORMAT_KEY: &[u8] = b"format";

/// Checks that the store is in [`STORE_FORMAT`], stamping a new store with it.
///
/// # Errors
/// The store is in another format (described), or the store failed.
pub(crate) fn check_or_stamp(db: &Db, meta: &Tree) -> Result<(), String> {
    match meta
        .get(FORMAT_KEY)
        .map_err(|e| super::opening::describe(&e))?
    {
        Some(value) => {
            let found = <[u8; 4]>::try_from(value.as_ref())
                .map(u32::from_be_bytes)
                .map_err(|_| "the store's format marker is damaged".to_owned())?;
            if found == STORE_FORMAT {
                Ok(())
            } else {
                Err(refusal(found))
            }
        }
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
        "the store is in log format {found}, this version reads format {STORE_FORMAT} only; \
         open it with the version that wrote it, or start a new data folder"
    )
}
