//! Making sled's files power-safe: sled's `flush()` uses `sync_file_range` on Linux, which does
//! not sync metadata or the disk cache, so after each flush every file of the database folder
//! is fsynced, and the folders too when files appeared.

use std::collections::BTreeSet;
use std::fs::File;
use std::io;
use std::path::{Path, PathBuf};

/// Remembers which files exist, to sync the folders only when that changes.
#[derive(Debug, Default)]
pub(crate) struct FolderSync {
    known: BTreeSet<PathBuf>,
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
