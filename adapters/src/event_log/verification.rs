//! Verifying the log while it is in use: the daemon opens its data folder without reading every
//! chunk first (a start that does not grow with the log) and checks them on a thread of its
//! own; damage found stops the log from taking appends, with the refusal an open gives.

use std::sync::Arc;

use ketenpost_domain::ports::ReadError;

use super::opening;
use super::sled_log::{OpenError, SledEventLog};

/// Damage found at open, with what to do about it.
pub(crate) fn damage(error: &ReadError) -> String {
    match error {
        ReadError::Damaged { .. } => format!("{error}: {}", opening::RESTORE),
        ReadError::Storage(_) => error.to_string(),
    }
}

impl SledEventLog {
    /// Checks every chunk the log held when it was opened, as an open with `verify_at_open`
    /// does, on a thread of its own while the log is in use. Damage found stops the log from
    /// taking appends (a [`Self::failure`]) and is kept, word for word the refusal the open
    /// would have given, in [`Self::damage_found`]. Returns the thread, to wait for.
    ///
    /// # Errors
    /// The thread cannot be started.
    pub fn verify_in_background(&self) -> std::io::Result<std::thread::JoinHandle<()>> {
        let trees = self.trees.clone();
        let next = self.opened_at;
        let folder = self.folder.display().to_string();
        let failure = Arc::clone(&self.failure);
        let found = Arc::clone(&self.damage_found);
        std::thread::Builder::new()
            .name("event-log-verify".into())
            .spawn(move || {
                if let Err(e) = opening::verify_chunks(&trees, next) {
                    let detail = damage(&e);
                    let refusal = OpenError::Store { folder, detail }.to_string();
                    let _ = found.set(refusal);
                    failure.send_replace(Some(damage(&e)));
                }
            })
    }

    /// The damage [`Self::verify_in_background`] found, as the refusal an open gives.
    pub fn damage_found(&self) -> Option<&str> {
        self.damage_found.get().map(String::as_str)
    }
}
