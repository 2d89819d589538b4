//! What opening a data folder checks before the log is believed, so that every command and
//! the daemon refuse a damaged folder the same way: sled's settings file (its checksum), sled
//! itself (a panic inside it becomes an error, printed without a backtrace), the head marker
//! against the end of the log, and every chunk and record of the log.
//!
//! Folders and files are made for the owner only (0700, 0600).

use std::os::unix::fs::DirBuilderExt;
use std::path::Path;
use std::sync::Arc;

use ketenpost_domain::ports::ReadError;

use super::chunk::Chunk;
use super::head_marker::HeadMarker;
use super::index::LogIndex;
use super::log_tree::position_of_key;
use super::trees::Trees;

/// What to tell an operator after a refusal that restoring a backup mends.
pub(crate) const RESTORE: &str = "the store is damaged; restore the data folder from a backup";

/// Creates `folder` (and its parents) for the owner only; an existing folder is left as it is.
///
/// # Errors
/// The folder cannot be created.
pub(crate) fn create_private_folder(folder: &Path) -> std::io::Result<()> {
    std::fs::DirBuilder::new()
        .recursive(true)
        .mode(0o700)
        .create(folder)
}

/// Checks sled's settings file (`conf`: text, then its CRC-32 little-endian). sled itself only
/// warns on a mismatch and then misreads the damage as a folder of an old sled version.
///
/// # Errors
/// The file cannot be read or its checksum does not match (described).
pub(crate) fn check_sled_settings(log_folder: &Path) -> Result<(), String> {
    let conf = log_folder.join("conf");
    let bytes = match std::fs::read(&conf) {
        Ok(bytes) => bytes,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(()),
        Err(e) => return Err(format!("{} cannot be read: {e}", conf.display())),
    };
    // sled treats a file of 8 bytes or less as absent and writes it anew.
    if bytes.len() <= 8 {
        return Ok(());
    }
    let (text, checksum) = bytes.split_at(bytes.len() - 4);
    if crc32fast::hash(text).to_le_bytes() == checksum {
        Ok(())
    } else {
        Err(format!(
            "sled's settings file {} is damaged (its checksum does not match): {RESTORE}",
            conf.display()
        ))
    }
}

/// Opens sled in `folder`. sled panics on some kinds of damage: that becomes an error, and
/// the panic is not printed (it would print a backtrace where one clear line is due).
///
/// # Errors
/// sled refused the folder or panicked (described).
pub(crate) fn open_sled(folder: &Path, cache_capacity: u64) -> Result<sled::Db, String> {
    let quiet = QuietPanics::on_this_thread();
    let opened = std::panic::catch_unwind(|| {
        sled::Config::new()
            .path(folder)
            .cache_capacity(cache_capacity)
            .open()
    });
    drop(quiet);
    match opened {
        Ok(Ok(db)) => Ok(db),
        Ok(Err(error)) => Err(describe(&error)),
        Err(panic) => {
            let said = panic
                .downcast_ref::<&str>()
                .map(|s| (*s).to_owned())
                .or_else(|| panic.downcast_ref::<String>().cloned())
                .unwrap_or_default();
            Err(format!(
                "sled could not read its files ({}): {RESTORE}",
                if said.is_empty() { "it stopped" } else { &said }
            ))
        }
    }
}

/// sled's error in words an operator can act on.
pub(crate) fn describe(error: &sled::Error) -> String {
    match error {
        sled::Error::Corruption { at, .. } => match at {
            Some(at) => format!("sled found damaged data in its files (at {at:?}): {RESTORE}"),
            None => format!("sled found damaged data in its files: {RESTORE}"),
        },
        sled::Error::Io(e) => format!("IO error: {e}"),
        other => other.to_string(),
    }
}

/// Silences the panic hook for panics of the current thread while it lives; other threads'
/// panics are reported as before.
struct QuietPanics {
    previous: Arc<PanicHook>,
}

type PanicHook = Box<dyn Fn(&std::panic::PanicHookInfo<'_>) + Send + Sync + 'static>;

impl QuietPanics {
    fn on_this_thread() -> Self {
        let previous: Arc<PanicHook> = Arc::new(std::panic::take_hook());
        let others = Arc::clone(&previous);
        let this = std::thread::current().id();
        std::panic::set_hook(Box::new(move |info| {
            if std::thread::current().id() != this {
                others(info);
            }
        }));
        Self { previous }
    }
}

impl Drop for QuietPanics {
    fn drop(&mut self) {
        if std::thread::panicking() {
            return;
        }
        let previous = Arc::clone(&self.previous);
        std::panic::set_hook(Box::new(move |info| previous(info)));
    }
}

/// Checks the log's end (`next`) against the head marker.
///
/// A log that ends before the acknowledged position lost events. A missing or damaged marker
/// is refused as well (a new folder gets its marker before sled's files exist, so it was
/// lost, and with it the means to notice lost events), unless `repair` accepts the log as it
/// is. Gives what the marker said, for a repair to report.
///
/// # Errors
/// The refusal, in words, with what to do.
pub(crate) fn check_head(marker: &Path, next: u64, repair: bool) -> Result<String, String> {
    let found = HeadMarker::read(marker);
    let said = match &found {
        Ok(position) => format!("said {position}"),
        Err(problem) => problem.to_string(),
    };
    match found {
        _ if repair => {
            HeadMarker::replace(marker, next)
                .map_err(|e| format!("{}: cannot be written: {e}", marker.display()))?;
            Ok(said)
        }
        Ok(acknowledged) if acknowledged > next => Err(format!(
            "the log ends at position {next} but {acknowledged} events were acknowledged: {RESTORE}"
        )),
        Ok(_) => Ok(said),
        Err(problem) => Err(format!(
            "the log's head marker {} {problem}, so events the log lost (it holds {next}) \
             would go unnoticed: restore the data folder from a backup, or accept the log \
             as it is with `ketenpost repair-head` (see docs/event-log.md)",
            marker.display()
        )),
    }
}

/// Reads every chunk of the log up to `next` and checks what a reader checks: each header,
/// that positions follow without a gap from 0, that each chunk inflates, each record's
/// checksum. Holds one chunk at a time. Chunks from `next` on (appended since) are not read.
///
/// # Errors
/// The first damage found, with its position.
pub(crate) fn verify_chunks(trees: &Trees, next: u64) -> Result<(), ReadError> {
    verify_chunks_from(trees, 0, next)
}

/// As [`verify_chunks`], from the chunk that starts at `from` (0, or where an earlier
/// verification ended).
///
/// # Errors
/// The first damage found, with its position.
pub(crate) fn verify_chunks_from(trees: &Trees, from: u64, next: u64) -> Result<(), ReadError> {
    let mut expected = from;
    for entry in trees.log.range(from.to_be_bytes()..next.to_be_bytes()) {
        let (key, value) = entry.map_err(|e| ReadError::Storage(describe(&e)))?;
        let chunk = Chunk::parse(position_of_key(&key)?, &value)?;
        if chunk.first != expected {
            return Err(ReadError::Damaged {
                position: expected,
                detail: format!("missing; the next entry is at {}", chunk.first),
            });
        }
        for record in chunk.records_from(chunk.first) {
            record?;
        }
        expected = chunk.end();
    }
    if expected == next {
        Ok(())
    } else {
        Err(ReadError::Damaged {
            position: expected,
            detail: format!("the log ends here, not at {next}"),
        })
    }
}

/// The index on disk; emptied (to be built again) when it reaches past the log's end `next`,
/// as after `repair-head` accepted a log that lost its last events.
///
/// # Errors
/// The index tree cannot be read or emptied.
pub(crate) fn open_index(trees: &Trees, next: u64) -> Result<LogIndex, ReadError> {
    let index = LogIndex::open(trees.index.clone())?;
    if index.reaches() <= next {
        return Ok(index);
    }
    trees.index.clear().map_err(super::log_tree::storage)?;
    LogIndex::open(trees.index.clone())
}
