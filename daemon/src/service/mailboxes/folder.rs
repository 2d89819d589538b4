//! One poll of a folder mailbox: each file is recorded durably, then moved to `done/`. Files
//! are read a set at a time, the set no larger than the mailbox's memory budget. A file is
//! never named in a log line or a problem (its name may hold a name or a BSN): it is recorded
//! under a digest of its name and named by its inode number (`find FOLDER -inum N`).

use std::path::{Path, PathBuf};

use anyhow::Context;
use ketenpost_adapters::event_log::digest_of;
use sha2::{Digest, Sha256};
use tokio_util::sync::CancellationToken;

use super::{backlog, places_pdf, take_in, Puller};
use crate::intake::Arrival;
use crate::service::background::Background;
use crate::service::state::{NotTaken, PollOutcome};

/// A file waiting in the folder.
#[derive(Debug, Clone)]
struct Waiting {
    /// What it is recorded as: a digest of its name.
    remote_id: String,
    /// Where it is.
    path: PathBuf,
    /// Its inode number, to name it by.
    inode: u64,
    /// Its size in bytes.
    size: u64,
}

/// The id a file is recorded under: the first half of the SHA-256 of its name, so that the
/// name itself (which may hold a name or a BSN) appears nowhere.
fn remote_id(name: &str) -> String {
    let digest = Sha256::digest(name.as_bytes());
    let hex: String = digest[..16].iter().map(|b| format!("{b:02x}")).collect();
    format!("file-{hex}")
}

/// One poll.
pub(super) async fn poll(
    puller: &Puller<'_>,
    folder: &Path,
    stop: &CancellationToken,
) -> PollOutcome {
    let max_bytes = puller.mailbox.max_message_bytes;
    let path = folder.to_path_buf();
    let (files, too_large) = match off_the_runtime(move || waiting_files(&path, max_bytes)).await {
        Ok(found) => found,
        Err(problem) => return PollOutcome::failed(problem),
    };
    let not_taken = too_large
        .iter()
        .map(|file| NotTaken {
            id: file.inode.to_string(),
            problem: format!(
                "the file with inode {} in {} (find it with -inum) of {} bytes is larger than \
                 the {} MiB a message may have (max_message_mib); it stays in the folder",
                file.inode,
                folder.display(),
                file.size,
                max_bytes.div_ceil(1024 * 1024),
            ),
        })
        .collect();
    let mut outcome = PollOutcome {
        not_taken: Some(not_taken),
        ..PollOutcome::default()
    };
    let done = folder.join("done");
    let mut rest = files.as_slice();
    let mut moves = Background::new();
    while let Some(set) = next_set(puller, stop, &mut rest).await {
        let paths: Vec<(PathBuf, u64)> = set.iter().map(|f| (f.path.clone(), f.inode)).collect();
        let contents = match off_the_runtime(move || read_files(&paths)).await {
            Ok(contents) => contents,
            Err(problem) => {
                outcome.problem = Some(problem);
                break;
            }
        };
        let name = puller.mailbox.name.as_str();
        let mut arrivals = Vec::new();
        for (file, bytes) in set.iter().zip(contents) {
            if !puller
                .seen
                .has_content(name, &file.remote_id, &digest_of(&bytes))
            {
                arrivals.push(Arrival {
                    mailbox: name.to_owned(),
                    remote_id: file.remote_id.clone(),
                    bytes,
                    envelope: None,
                    place_incoming_pdf: places_pdf(puller.shared, name),
                });
            }
        }
        let count = arrivals.len() as u64;
        if let Err(error) = take_in(puller, arrivals).await {
            outcome.problem = Some(format!("{error:#}"));
            break;
        }
        outcome.received += count;
        let (from, to, recorded) = (folder.to_path_buf(), done.clone(), set.to_vec());
        moves.spawn_blocking(move || move_to_done(&from, &to, &recorded));
        if !moves.all_well_so_far() {
            break;
        }
    }
    if let Some(problem) = moves.finish().await {
        outcome.problem.get_or_insert(problem);
    }
    outcome
}

/// The next files to take in from `rest`: as many as the workers have room for, no more
/// bytes together than the memory budget (but at least one file), once there is room;
/// `None` when all are taken or the daemon stops.
async fn next_set<'a>(
    puller: &Puller<'_>,
    stop: &CancellationToken,
    rest: &mut &'a [Waiting],
) -> Option<&'a [Waiting]> {
    // Nothing is read that the log cannot record.
    if rest.is_empty() || puller.shared.log.failure().is_some() {
        return None;
    }
    let room = puller.queue.room_below(backlog(puller.shared), stop).await;
    if stop.is_cancelled() || puller.shared.log.failure().is_some() {
        return None;
    }
    let budget = puller.mailbox.max_in_flight_bytes;
    let mut bytes = 0u64;
    let mut count = 0;
    for file in rest.iter().take(room) {
        if count > 0 && bytes + file.size > budget {
            break;
        }
        bytes += file.size;
        count += 1;
    }
    let (set, later) = rest.split_at(count.max(1).min(rest.len()));
    *rest = later;
    Some(set)
}

/// Runs blocking file work off the async threads; its error as the mailbox problem.
async fn off_the_runtime<T: Send + 'static>(
    work: impl FnOnce() -> anyhow::Result<T> + Send + 'static,
) -> Result<T, String> {
    match tokio::task::spawn_blocking(work).await {
        Ok(result) => result.map_err(|e| format!("{e:#}")),
        Err(error) => Err(error.to_string()),
    }
}

/// The contents of the files at `paths` (with their inodes, to name them), in order.
fn read_files(paths: &[(PathBuf, u64)]) -> anyhow::Result<Vec<Vec<u8>>> {
    paths
        .iter()
        .map(|(path, inode)| {
            std::fs::read(path).with_context(|| {
                format!("Cannot read the file with inode {inode} in the drop folder")
            })
        })
        .collect()
}

/// The regular files waiting in a folder, oldest name first; hidden and partial files
/// (`.name`, `*.part`, `*.tmp`) are left alone until they are complete. Files larger than
/// `max_bytes` are not taken: they come back second.
fn waiting_files(folder: &Path, max_bytes: u64) -> anyhow::Result<(Vec<Waiting>, Vec<Waiting>)> {
    let mut files = Vec::new();
    let mut too_large = Vec::new();
    for entry in
        std::fs::read_dir(folder).with_context(|| format!("Cannot read {}", folder.display()))?
    {
        let entry = entry.with_context(|| format!("Cannot read {}", folder.display()))?;
        let name = entry.file_name().to_string_lossy().into_owned();
        let partial = name.starts_with('.') || name.ends_with(".part") || name.ends_with(".tmp");
        if partial || !entry.file_type().is_ok_and(|t| t.is_file()) {
            continue;
        }
        let (size, inode) = entry
            .metadata()
            .map_or((0, 0), |metadata| (metadata.len(), inode_of(&metadata)));
        let file = Waiting {
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
    let strip = |files: Vec<(String, Waiting)>| files.into_iter().map(|(_, f)| f).collect();
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

/// Moves recorded files of `folder` to `done/` (each under a new name if one is there), then
/// syncs both folders once: a move that is lost in a crash only brings the file back, and
/// the next poll recognises it and moves it again.
fn move_to_done(folder: &Path, done: &Path, files: &[Waiting]) -> anyhow::Result<()> {
    std::fs::create_dir_all(done).with_context(|| format!("Cannot create {}", done.display()))?;
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
        std::fs::rename(&file.path, &target).with_context(|| {
            format!(
                "Cannot move the file with inode {} to {}",
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
