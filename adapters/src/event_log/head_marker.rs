//! A small file beside the database that records how far the log was acknowledged.
//!
//! sled recovers a damaged file by cutting its log at the first bad record, which can silently
//! drop acknowledged events. After every durable group commit the writer records the position
//! reached here; on open, a log that ends before that position is refused as damaged instead
//! of being believed.
//!
//! The position is written before the commit is acknowledged, so it survives the process
//! being killed at any moment. Syncing it to the disk is left to a helper thread, so that an
//! append waits for the database's own syncs only: after a power loss the marker may lag
//! behind by the last commits, which weakens the check for those commits only (their events
//! were synced before they were acknowledged).

use std::fs::File;
use std::io;
use std::os::unix::fs::FileExt;
use std::path::Path;
use std::sync::mpsc::{sync_channel, SyncSender, TrySendError};
use std::sync::{Arc, Mutex};
use std::thread::JoinHandle;

/// The marker file of a data folder.
pub(crate) struct HeadMarker {
    file: File,
    /// Asks the helper thread for a sync; a sync already asked for covers later writes too.
    sync: Option<SyncSender<()>>,
    syncer: Option<JoinHandle<()>>,
    /// What a failed sync said, reported by the next record.
    failure: Arc<Mutex<Option<String>>>,
}

impl HeadMarker {
    /// Opens (or creates) the marker and starts its sync thread.
    pub(crate) fn open(path: &Path) -> io::Result<Self> {
        let file = std::fs::OpenOptions::new()
            .read(true)
            .write(true)
            .create(true)
            .truncate(false)
            .open(path)?;
        let to_sync = file.try_clone()?;
        let failure = Arc::new(Mutex::new(None));
        let failed = Arc::clone(&failure);
        let (sync, asked) = sync_channel::<()>(1);
        let syncer = std::thread::Builder::new()
            .name("event-log-head-sync".into())
            .spawn(move || {
                while asked.recv().is_ok() {
                    if let Err(e) = to_sync.sync_data() {
                        if let Ok(mut failure) = failed.lock() {
                            *failure = Some(e.to_string());
                        }
                    }
                }
            })?;
        Ok(Self {
            file,
            sync: Some(sync),
            syncer: Some(syncer),
            failure,
        })
    }

    /// The acknowledged position recorded, if the marker holds one that reads correctly.
    pub(crate) fn read(path: &Path) -> Option<u64> {
        let bytes = std::fs::read(path).ok()?;
        let (position, checksum) = (bytes.get(..8)?, bytes.get(8..12)?);
        let expected = u32::from_be_bytes(checksum.try_into().ok()?);
        (crc32fast::hash(position) == expected)
            .then(|| u64::from_be_bytes(position.try_into().unwrap_or_default()))
    }

    /// Records `position` as acknowledged and has it synced.
    ///
    /// # Errors
    /// The write fails, or an earlier sync failed.
    pub(crate) fn record(&self, position: u64) -> io::Result<()> {
        if let Some(failure) = self.failure.lock().ok().and_then(|mut f| f.take()) {
            return Err(io::Error::other(format!(
                "syncing the head marker: {failure}"
            )));
        }
        let mut bytes = position.to_be_bytes().to_vec();
        bytes.extend_from_slice(&crc32fast::hash(&bytes).to_be_bytes());
        self.file.write_all_at(&bytes, 0)?;
        match self.sync.as_ref().map(|s| s.try_send(())) {
            Some(Ok(()) | Err(TrySendError::Full(()))) => Ok(()),
            None | Some(Err(TrySendError::Disconnected(()))) => self.file.sync_data(),
        }
    }
}

impl Drop for HeadMarker {
    /// Syncs what was recorded last, then stops the sync thread.
    fn drop(&mut self) {
        self.sync.take();
        if let Some(syncer) = self.syncer.take() {
            let _ = syncer.join();
        }
        let _ = self.file.sync_data();
    }
}
