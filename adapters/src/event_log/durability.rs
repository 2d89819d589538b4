//! Making sled's files power-safe: sled's `flush()` uses `sync_file_range` on Linux, which does
//! not sync metadata or the disk cache, so after each flush the files of the database folder
//! are fsynced, and the folders too when files appeared. Two kinds of file are fsynced once,
//! when first seen, not after every flush: `conf` (written when the database is made, never
//! again) and finished snapshots (`snap.<lsn>`: sled fsyncs each before it renames it to that
//! name, and never writes it again). `db` and blobs are fsynced every time.

use std::collections::BTreeSet;
use std::fs::File;
use std::io;
use std::path::{Path, PathBuf};

/// Remembers which files exist, to sync the folders only when that changes.
#[derive(Debug, Default)]
pub(crate) struct FolderSync {
    known: BTreeSet<PathBuf>,
}

/// Whether sled never writes `file` again once it has this name (so one fsync is enough).
fn written_once(file: &Path) -> bool {
    let in_root = file
        .parent()
        .and_then(Path::file_name)
        .is_some_and(|folder| folder != "blobs");
    let name = file
        .file_name()
        .and_then(|n| n.to_str())
        .unwrap_or_default();
    in_root
        && (name == "conf"
            || name
                .strip_prefix("snap.")
                .is_some_and(|lsn| !lsn.is_empty() && lsn.bytes().all(|b| b.is_ascii_hexdigit())))
}

impl FolderSync {
    /// Fsyncs every file under `root`, and every folder when the set of files changed.
    ///
    /// # Errors
    /// A file or folder that cannot be opened or synced.
    pub(crate) fn sync_all(&mut self, root: &Path) -> io::Result<()> {
        let mut files = BTreeSet::new();
        let mut folders = vec![root.to_path_buf()];
        collect(root, &mut files, &mut folders)?;
        for file in &files {
            if self.known.contains(file) && written_once(file) {
                continue;
            }
            match File::open(file) {
                Ok(f) => f.sync_all()?,
                Err(e) if e.kind() == io::ErrorKind::NotFound => {}
                Err(e) => return Err(e),
            }
        }
        if files != self.known {
            for folder in &folders {
                File::open(folder)?.sync_all()?;
            }
            if let Some(parent) = root.parent().filter(|p| !p.as_os_str().is_empty()) {
                File::open(parent)?.sync_all()?;
            }
            self.known = files;
        }
        Ok(())
    }
}

fn collect(
    dir: &Path,
    files: &mut BTreeSet<PathBuf>,
    folders: &mut Vec<PathBuf>,
) -> io::Result<()> {
    for entry in std::fs::read_dir(dir)? {
        let entry = entry?;
        let path = entry.path();
        if entry.file_type()?.is_dir() {
            folders.push(path.clone());
            collect(&path, files, folders)?;
        } else {
            files.insert(path);
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_database_file_is_synced_after_every_flush() {
        assert!(!written_once(Path::new("/data/log/db")));
    }

    #[test]
    fn blobs_are_synced_after_every_flush() {
        assert!(!written_once(Path::new("/data/log/blobs/12345")));
        assert!(!written_once(Path::new("/data/log/blobs/conf")));
    }

    #[test]
    fn a_snapshot_still_being_written_is_synced_after_every_flush() {
        assert!(!written_once(Path::new(
            "/data/log/snap.0000000021175D90.generating"
        )));
    }

    #[test]
    fn conf_and_finished_snapshots_are_synced_once() {
        assert!(written_once(Path::new("/data/log/conf")));
        assert!(written_once(Path::new("/data/log/snap.0000000021175D90")));
    }

    #[test]
    fn every_file_is_synced_when_first_seen() {
        let folder = std::env::temp_dir().join(format!("durability-{}", std::process::id()));
        std::fs::create_dir_all(folder.join("blobs")).unwrap();
        std::fs::write(folder.join("conf"), b"segment_size: 524288").unwrap();
        let mut sync = FolderSync::default();
        sync.sync_all(&folder).unwrap();
        assert!(sync.known.contains(&folder.join("conf")));
        std::fs::write(folder.join("snap.00AB"), b"snapshot").unwrap();
        sync.sync_all(&folder).unwrap();
        assert!(sync.known.contains(&folder.join("snap.00AB")));
        std::fs::remove_dir_all(&folder).unwrap();
    }
}
