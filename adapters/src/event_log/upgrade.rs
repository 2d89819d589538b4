//! The one-time move of a data folder written in format 2 (its trees in sled, the folder
//! `log`) into the store of format 3 (`store.rs`, the folder `store`), at the first open by
//! this version. Every tree is copied entry by entry into `store.upgrading`, made durable, and
//! only then renamed to `store`: a crash during the copy leaves the old folder as it was and
//! the next open copies again. The old folder is then renamed to `log.format-2`, kept for the
//! operator to remove once the daemon runs (nothing reads it again).

use std::path::Path;

use super::disk_log::STORE_FOLDER;
use super::opening;
use super::store::{Batch, Db};

/// The folder of a format-2 store inside a data folder.
pub(crate) const SLED_FOLDER: &str = "log";
/// Where a format-2 store is kept after its copy.
const KEPT_FOLDER: &str = "log.format-2";
/// Where the copy is written before it is complete.
const COPY_FOLDER: &str = "store.upgrading";
/// Entries per batch while copying.
const BATCH: usize = 1024;

/// Copies a format-2 store of `data_folder` into the store of this version, when there is one
/// and the new store is not there yet.
///
/// # Errors
/// The old store cannot be read, is of another format, or the copy cannot be written.
pub(crate) fn from_sled(data_folder: &Path) -> Result<(), String> {
    let old = data_folder.join(SLED_FOLDER);
    let new = data_folder.join(STORE_FOLDER);
    if new.exists() || !old.join("conf").exists() {
        return Ok(());
    }
    let copy = data_folder.join(COPY_FOLDER);
    if copy.exists() {
        std::fs::remove_dir_all(&copy).map_err(|e| {
            format!(
                "{}: an unfinished copy cannot be removed: {e}",
                copy.display()
            )
        })?;
    }
    tracing::info!(
        folder = %data_folder.display(),
        "the data folder is in format 2: its store is copied into format 3 once"
    );
    let sled_error = |e: sled::Error| format!("the format-2 store {}: {e}", old.display());
    let from = sled::Config::new().path(&old).open().map_err(sled_error)?;
    let format = from
        .open_tree("meta")
        .and_then(|meta| meta.get(b"format"))
        .map_err(sled_error)?;
    if format.as_deref() != Some(&2u32.to_be_bytes()[..]) {
        return Err(format!(
            "{} is not a store of format 2: open it with the version that wrote it",
            old.display()
        ));
    }
    opening::create_private_folder(&copy).map_err(|e| e.to_string())?;
    let to = Db::open(&copy).map_err(|e| opening::describe(&e))?;
    let mut entries = 0u64;
    for name in from.tree_names() {
        let Ok(name) = std::str::from_utf8(&name) else {
            continue;
        };
        if name.starts_with("__sled") {
            continue;
        }
        let source = from.open_tree(name).map_err(sled_error)?;
        let target = to.open_tree(name).map_err(|e| opening::describe(&e))?;
        let mut batch = Batch::default();
        let mut in_batch = 0;
        for entry in source.iter() {
            let (key, value) = entry.map_err(sled_error)?;
            batch.insert(key, value);
            in_batch += 1;
            entries += 1;
            if in_batch == BATCH {
                target
                    .apply_batch(std::mem::take(&mut batch))
                    .map_err(|e| opening::describe(&e))?;
                in_batch = 0;
            }
        }
        target
            .apply_batch(batch)
            .map_err(|e| opening::describe(&e))?;
    }
    let meta = to.open_tree("meta").map_err(|e| opening::describe(&e))?;
    meta.insert(b"format", super::format::STORE_FORMAT.to_be_bytes())
        .map_err(|e| opening::describe(&e))?;
    to.flush().map_err(|e| opening::describe(&e))?;
    drop(meta);
    drop(to);
    drop(from);
    std::fs::rename(&copy, &new).map_err(|e| format!("{}: {e}", new.display()))?;
    sync_folder(data_folder)?;
    let kept = data_folder.join(KEPT_FOLDER);
    std::fs::rename(&old, &kept).map_err(|e| format!("{}: {e}", kept.display()))?;
    sync_folder(data_folder)?;
    tracing::info!(
        entries,
        kept = %kept.display(),
        "the store was copied into format 3; the old folder is kept and can be removed"
    );
    Ok(())
}

fn sync_folder(folder: &Path) -> Result<(), String> {
    std::fs::File::open(folder)
        .and_then(|f| f.sync_all())
        .map_err(|e| format!("{}: {e}", folder.display()))
}
