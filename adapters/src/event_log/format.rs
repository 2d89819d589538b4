//! The format version of a data folder's store, kept in the `meta` tree. A folder written in
//! another format is refused with a clear error instead of being misread.
//!
//! Format 1 kept one JSON envelope per event and sled trees for event ids and stream versions;
//! format 2 keeps chunks of binary envelopes (`chunk.rs`) and indexes them (`index.rs`).

/// The format this version writes and reads.
pub(crate) const STORE_FORMAT: u32 = 2;

const FORMAT_KEY: &[u8] = b"format";

/// Checks that the store is in [`STORE_FORMAT`], stamping a new store with it.
///
/// # Errors
/// The store is in another format (described), or sled failed.
pub(crate) fn check_or_stamp(db: &sled::Db, meta: &sled::Tree) -> Result<(), String> {
    match meta.get(FORMAT_KEY).map_err(|e| e.to_string())? {
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
                .map_err(|e| e.to_string())?
                .is_some();
            let format_1_trees = db
                .tree_names()
                .iter()
                .any(|name| name.as_ref() == b"event_ids");
            if log_has_entries || format_1_trees {
                return Err(refusal(1));
            }
            meta.insert(FORMAT_KEY, &STORE_FORMAT.to_be_bytes())
                .map_err(|e| e.to_string())?;
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
