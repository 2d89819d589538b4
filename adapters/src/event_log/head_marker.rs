//! A small file beside the database that records how far the log was acknowledged.
//!
//! sled recovers a damaged file by cutting its log at the first bad record, which can silently
//! drop acknowledged events. After every durable group commit the writer records the position
//! reached here (and syncs it); on open, a log that ends before that position is refused as
//! damaged instead of being believed.

use std::fs::File;
use std::io;
use std::os::unix::fs::FileExt;
use std::path::Path;

/// The marker file of a data folder.
pub(crate) struct HeadMarker {
    file: File,
}

impl HeadMarker {
    /// Opens (or creates) the marker.
    pub(crate) fn open(path: &Path) -> io::Result<Self> {
        let file = std::fs::OpenOptions::new()
            .read(true)
            .write(true)
            .create(true)
            .truncate(false)
            .open(path)?;
        Ok(Self { file })
    }

    /// The acknowledged position recorded, if the marker holds one that reads correctly.
    pub(crate) fn read(path: &Path) -> Option<u64> {
        let bytes = std::fs::read(path).ok()?;
        let (position, checksum) = (bytes.get(..8)?, bytes.get(8..12)?);
        let expected = u32::from_be_bytes(checksum.try_into().ok()?);
        (crc32fast::hash(position) == expected)
            .then(|| u64::from_be_bytes(position.try_into().unwrap_or_default()))
    }

    /// Records `position` as acknowledged and syncs it.
    pub(crate) fn record(&self, position: u64) -> io::Result<()> {
        let mut bytes = position.to_be_bytes().to_vec();
        bytes.extend_from_slice(&crc32fast::hash(&bytes).to_be_bytes());
        self.file.write_all_at(&bytes, 0)?;
        self.file.sync_data()
    }
}
