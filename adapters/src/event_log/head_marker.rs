//! A small file beside the database that records how far the log was acknowledged.
//!
//! A store recovers a damaged journal by cutting it at the first bad record, which can
//! silently drop acknowledged events. After every durable group commit the writer records the position
//! reached here; on open, a log that ends before that position is refused as damaged instead
//! of being believed.
//!
//! The position is written before the commit is acknowledged, so it survives the process
//! being killed at any moment. Syncing it to the disk is left to a helper thread, so that an
//! append waits for the database's own syncs only: after a power loss the marker may lag
//! behind by the last commits, which weakens the check for those commits only (their events
//! were synced before they were acknowledged).
//!
//! The marker is made whole (written to a new file, synced, renamed into place) before the
//! log can hold an event, so a log with events whose marker is missing or does not read
//! correctly has lost it: that is refused too, unless the operator accepts the log as it is
//! (`ketenpost repair-head`).

use std::fs::File;
use std::io;
use std::os::unix::fs::{FileExt, OpenOptionsExt};
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
            .mode(0o600)
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

    /// The acknowledged position recorded.
    ///
    /// # Errors
    /// The marker is missing, cannot be read, or does not read correctly.
    pub(crate) fn read(path: &Path) -> Result<u64, MarkerProblem> {
        let bytes = match std::fs::read(path) {
            Ok(bytes) => bytes,
            Err(e) if e.kind() == io::ErrorKind::NotFound => return Err(MarkerProblem::Missing),
            Err(e) => return Err(MarkerProblem::Damaged(format!("cannot be read: {e}"))),
        };
        let (Some(position), Some(checksum), 12) = (bytes.get(..8), bytes.get(8..12), bytes.len())
        else {
            return Err(MarkerProblem::Damaged(format!(
                "holds {} bytes instead of 12",
                bytes.len()
            )));
        };
        if crc32fast::hash(position).to_be_bytes() != checksum {
            return Err(MarkerProblem::Damaged("its checksum does not match".into()));
        }
        let mut array = [0u8; 8];
        array.copy_from_slice(position);
        Ok(u64::from_be_bytes(array))
    }

    /// Makes the marker say `position`, whole or not at all: a new file (mode 0600) is
    /// written and synced, renamed over the marker, and the folder synced.
    ///
    /// # Errors
    /// Writing, syncing or renaming failed.
    pub(crate) fn replace(path: &Path, position: u64) -> io::Result<()> {
        let mut name = path.as_os_str().to_owned();
        name.push(".new");
        let new = std::path::PathBuf::from(name);
        let file = std::fs::OpenOptions::new()
            .write(true)
            .create(true)
            .truncate(true)
            .mode(0o600)
            .open(&new)?;
        file.write_all_at(&encode(position), 0)?;
        file.sync_all()?;
        std::fs::rename(&new, path)?;
        if let Some(folder) = path.parent().filter(|p| !p.as_os_str().is_empty()) {
            File::open(folder)?.sync_all()?;
        }
        Ok(())
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
        self.file.write_all_at(&encode(position), 0)?;
        match self.sync.as_ref().map(|s| s.try_send(())) {
            Some(Ok(()) | Err(TrySendError::Full(()))) => Ok(()),
            None | Some(Err(TrySendError::Disconnected(()))) => self.file.sync_data(),
        }
    }
}

/// Why the marker gives no position.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum MarkerProblem {
    /// There is no marker file.
    Missing,
    /// The file does not read as a marker (what is wrong with it).
    Damaged(String),
}

impl std::fmt::Display for MarkerProblem {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Self::Missing => f.write_str("is missing"),
            Self::Damaged(detail) => write!(f, "is damaged ({detail})"),
        }
    }
}

/// The marker's 12 bytes: the position, big-endian, then its CRC-32.
fn encode(position: u64) -> [u8; 12] {
    let mut bytes = [0u8; 12];
    bytes[..8].copy_from_slice(&position.to_be_bytes());
    let checksum = crc32fast::hash(&position.to_be_bytes());
    bytes[8..].copy_from_slice(&checksum.to_be_bytes());
    bytes
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_marker_reads_back_only_whole_and_with_its_checksum() {
        let dir = std::env::temp_dir().join(format!("ketenpost-marker-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        std::fs::create_dir_all(&dir).unwrap();
        let path = dir.join("log.head");
        assert_eq!(HeadMarker::read(&path), Err(MarkerProblem::Missing));
        HeadMarker::replace(&path, 357).unwrap();
        assert_eq!(HeadMarker::read(&path), Ok(357));
        let bytes = std::fs::read(&path).unwrap();
        std::fs::write(&path, &bytes[..11]).unwrap();
        assert!(matches!(
            HeadMarker::read(&path),
            Err(MarkerProblem::Damaged(_))
        ));
        let mut flipped = bytes.clone();
        flipped[0] ^= 1;
        std::fs::write(&path, flipped).unwrap();
        assert!(matches!(
            HeadMarker::read(&path),
            Err(MarkerProblem::Damaged(_))
        ));
        let _ = std::fs::remove_dir_all(&dir);
    }
}
