//! The file system calls of a drop folder (blocking; the mailbox runs them off the async
//! threads): listing the files waiting, reading them, and moving recorded ones to `done/`.
//! A file is never named in an error (its name may hold a name or a BSN): it is named by its
//! inode number (`find FOLDER -inum N`).

use std::path::{Path, PathBuf};

use sha2::{Digest, Sha256};

/// A file waiting in the folder.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct WaitingFile {
    /// What it is recorded as: a digest of its name (see [`remote_id`]).
    pub remote_id: String,
    /// Its inode number, to name it by.
    pub inode: u64,
    /// Its size in bytes when it was listed.
    pub size: u64,
    /// Where it is.
    pub(super) path: PathBuf,
}

/// The id a file is recorded under: the first half of the SHA-256 of its name, so that the
/// name itself (which may hold a name or a BSN) appears nowhere.
pub fn remote_id(name: &str) -> String {
    let digest = Sha256::digest(name.as_bytes());
    let hex: String = digest[..16].iter().map(|b| format!("{b:02x}")).collect();
    format!("file-{hex}")
}

/// The regular files waiting in a folder, oldest name first; hidden and partial files
/// (`.name`, `*.part`, `*.tmp`) are left alone until they are complete. Files larger than
/// `max_bytes` are not taken: they come back second.
pub(super) fn waiting_files(
    folder: &Path,
    max_bytes: u64,
) -> Result<(Vec<WaitingFile>, Vec<WaitingFile>), String> {
    let cannot_read = |e: std::io::Error| format!("Cannot read {}: {e}", folder.display());
    let mut files = Vec::new();
    let mut too_large = Vec::new();
    for entry in std::fs::read_dir(folder).map_err(cannot_read)? {
        let entry = entry.map_err(cannot_read)?;
        let name = entry.file_name().to_string_lossy().into_owned();
        let partial = name.starts_with('.') || name.ends_with(".part") || name.ends_with(".tmp");
        if partial || !entry.file_type().is_ok_and(|t| t.is_file()) {
            continue;
        }
        let (size, inode) = entry
            .metadata()
            .map_or((0, 0), |metadata| (metadata.len(), inode_of(&metadata)));
        let file = WaitingFile {
            remote_id: remote_id(&name),
            path: entry.path(),
            inode,
            size,
        };
        if size > max_bytes {
            too_large.push((name, file));
        } else {
            files.push((name, file));
        }
    }
    files.sort_by(|a, b| a.0.cmp(&b.0));
    too_large.sort_by(|a, b| a.0.cmp(&b.0));
    let strip = |files: Vec<(String, WaitingFile)>| files.into_iter().map(|(_, f)| f).collect();
    Ok((strip(files), strip(too_large)))
}

#[cfg(unix)]
fn inode_of(metadata: &std::fs::Metadata) -> u64 {
    std::os::unix::fs::MetadataExt::ino(metadata)
}

#[cfg(not(unix))]
fn inode_of(_metadata: &std::fs::Metadata) -> u64 {
    0
}

/// The contents of `files`, in order.
pub(super) fn read_files(files: &[WaitingFile]) -> Result<Vec<Vec<u8>>, String> {
    files
        .iter()
        .map(|file| {
            std::fs::read(&file.path).map_err(|e| {
                format!(
                    "Cannot read the file with inode {} in the drop folder: {e}",
                    file.inode
                )
            })
        })
        .collect()
}

/// Moves recorded files of `folder` to `done/` (each under a new name if one is there), then
/// syncs both folders once: a move that is lost in a crash only brings the file back, and
/// the next poll recognises it and moves it again.
pub(super) fn move_to_done(
    folder: &Path,
    done: &Path,
    files: &[WaitingFile],
) -> Result<(), String> {
    std::fs::create_dir_all(done).map_err(|e| format!("Cannot create {}: {e}", done.display()))?;
    for file in files {
        let Some(name) = file.path.file_name() else {
            continue;
        };
        let mut target = done.join(name);
        let mut n = 1;
        while target.exists() {
            let mut numbered = name.to_os_string();
            numbered.push(format!(".{n}"));
            target = done.join(numbered);
            n += 1;
        }
        std::fs::rename(&file.path, &target).map_err(|e| {
            format!(
                "Cannot move the file with inode {} to {}: {e}",
                file.inode,
                done.display()
            )
        })?;
    }
    for synced in [done, folder] {
        if let Ok(dir) = std::fs::File::open(synced) {
            let _ = dir.sync_all();
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_file_is_recorded_under_a_digest_of_its_name() {
        let id = remote_id("Wolf JH 999990019 too large.edi");
        assert!(id.starts_with("file-") && id.len() == 5 + 32, "{id}");
        assert!(!id.contains("999990019") && !id.contains("Wolf"));
        assert_eq!(id, remote_id("Wolf JH 999990019 too large.edi"));
        assert_ne!(id, remote_id("Wolf JH 999990019 too large.ed"));
    }
}
