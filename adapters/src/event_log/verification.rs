//! Verifying the log while it is in use: the daemon opens its data folder without reading every
//! chunk first (a start that does not grow with the log) and checks them on a thread of its
//! own; damage found stops the log from taking appends, with the refusal an open gives.
//!
//! Each chunk is checked in the background once: a pass that finds no damage notes where it
//! ended (`verified` in the `meta` tree), and the next start's pass begins there, so it reads
//! what was appended since, not the whole log (a full pass at every start would read the
//! whole log again, a time that grows with it). A chunk is still checked whenever it is read, and every command opens
//! the folder with a full check (`verify_at_open`).

use std::sync::Arc;

use ketenpost_domain::ports::ReadError;

use super::disk_log::{DiskEventLog, OpenError};
use super::opening;
use super::trees::Trees;

/// Damage found at open, with what to do about it.
pub(crate) fn damage(error: &ReadError) -> String {
    match error {
        ReadError::Damaged { .. } => format!("{error}: {}", opening::RESTORE),
        ReadError::Storage(_) => error.to_string(),
    }
}

/// The key in the `meta` tree of the position up to which a background pass found the chunks
/// sound (u64 big-endian).
const VERIFIED_KEY: &[u8] = b"verified";

/// Where the background pass begins: where the last one ended, if a chunk starts there and it
/// is not past the log's end (after `repair-head` it can be); else at the start.
fn verified_up_to(trees: &Trees, next: u64) -> u64 {
    let noted = trees
        .meta
        .get(VERIFIED_KEY)
        .ok()
        .flatten()
        .and_then(|v| <[u8; 8]>::try_from(v.as_ref()).ok())
        .map(u64::from_be_bytes);
    match noted {
        Some(at) if at == next => at,
        Some(at) if at < next && trees.log.contains_key(at.to_be_bytes()).unwrap_or(false) => at,
        _ => 0,
    }
}

impl DiskEventLog {
    /// Checks the chunks the log held when it was opened, as an open with `verify_at_open`
    /// does, on a thread of its own while the log is in use: those appended since the last
    /// pass that found no damage (all of them the first time). Damage found stops the log from
    /// taking appends (a [`Self::failure`]) and is kept, word for word the refusal the open
    /// would have given, in [`Self::damage_found`]. Returns the thread, to wait for.
    ///
    /// # Errors
    /// The thread cannot be started.
    pub fn verify_in_background(&self) -> std::io::Result<std::thread::JoinHandle<()>> {
        let trees = self.trees.clone();
        let next = self.opened_at;
        let from = verified_up_to(&trees, next);
        let folder = self.folder.display().to_string();
        let failure = Arc::clone(&self.failure);
        let found = Arc::clone(&self.damage_found);
        std::thread::Builder::new()
            .name("event-log-verify".into())
            .spawn(move || {
                match opening::verify_chunks_from(&trees, from, next) {
                    Ok(()) => {
                        // Not noted (a later pass reads more) is no damage.
                        let _ = trees.meta.insert(VERIFIED_KEY, next.to_be_bytes());
                    }
                    Err(e) => {
                        let detail = damage(&e);
                        let refusal = OpenError::Store { folder, detail }.to_string();
                        let _ = found.set(refusal);
                        failure.send_replace(Some(damage(&e)));
                    }
                }
            })
    }

    /// The damage [`Self::verify_in_background`] found, as the refusal an open gives.
    pub fn damage_found(&self) -> Option<&str> {
        self.damage_found.get().map(String::as_str)
    }
}
