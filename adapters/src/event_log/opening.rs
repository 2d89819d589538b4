//! What opening a data folder checks before the log is believed, so that every command and
//! the daemon refuse a damaged folder the same way: the store itself (a panic inside it
//! becomes an error, printed without a backtrace), the head marker against the end of the
//! log, and every chunk and record of the log.
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
use super::store::{Db, StoreError};
use super::trees::Trees;

/// What to tell an operator after a refusal that restoring a backup mends.
pub(crate) const RESTORE: &str = "the store is damaged; restore the data folder from a backup";

/// What another process holding the store means: nothing is wrong with it.
pub(crate) const IN_USE: &str = "the data folder is in use by another process (a running \
     daemon, or another ketenpost command); nothing is damaged. With the daemon running, give \
     status, list, show, resend, backup and user --config to ask it instead (user once the \
     daemon has started), or stop it first";

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

/// The file the store writes last when it makes a new store (fjall's format marker).
const STORE_MARKER: &str = "version";

/// Makes a new store in `folder` whole or not at all. The store makes its files one by one and
/// its marker last; a process stopped in between (seen: `import` killed 15 ms after its first
/// start) left a folder the store refuses to open or to make again ("File exists"). So a new
/// store is made beside it and renamed into place once made. A `folder` without the marker was
/// left half-made that way and never held anything; it is kept aside (`store.incomplete-SECS`)
/// rather than deleted, and the store is made anew.
///
/// # Errors
/// The folder cannot be made, the store refused it, or the rename failed.
pub(crate) fn make_store_whole(folder: &Path) -> Result<(), String> {
    if folder.join(STORE_MARKER).exists() {
        return Ok(());
    }
    let making = folder.with_extension("new");
    let io = |what: &str, e: std::io::Error| format!("{what} {}: {e}", making.display());
    if making.exists() {
        std::fs::remove_dir_all(&making).map_err(|e| io("removing the half-made", e))?;
    }
    create_private_folder(&making).map_err(|e| io("making", e))?;
    drop(open_store(&making)?);
    if folder.exists() {
        let secs = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map_or(0, |d| d.as_secs());
        let aside = folder.with_extension(format!("incomplete-{secs}"));
        std::fs::rename(folder, &aside).map_err(|e| {
            format!(
                "keeping aside the half-made store {}: {e}",
                folder.display()
            )
        })?;
    }
    std::fs::rename(&making, folder).map_err(|e| io("renaming", e))?;
    if let Some(parent) = folder.parent() {
        std::fs::File::open(parent)
            .and_then(|f| f.sync_all())
            .map_err(|e| format!("syncing {}: {e}", parent.display()))?;
    }
    Ok(())
}

/// Why the store would not open, in words; `in_use` when another process holds it (nothing
/// is wrong with it, and a caller may wait for that process instead).
pub(crate) struct Refusal {
    pub(crate) in_use: bool,
    pub(crate) detail: String,
}

impl From<String> for Refusal {
    fn from(detail: String) -> Self {
        Self {
            in_use: false,
            detail,
        }
    }
}

impl From<Refusal> for String {
    fn from(refusal: Refusal) -> Self {
        refusal.detail
    }
}

/// Opens the store in `folder`. A panic inside the store on damaged files becomes an error,
/// and is not printed (it would print a backtrace where one clear line is due).
///
/// # Errors
/// Another process holds the store, or the store refused the folder or panicked (described).
pub(crate) fn open_store(folder: &Path) -> Result<Db, Refusal> {
    let quiet = QuietPanics::on_this_thread();
    let opened = std::panic::catch_unwind(|| Db::open(folder));
    drop(quiet);
    match opened {
        Ok(Ok(db)) => Ok(db),
        Ok(Err(StoreError::Locked)) => Err(Refusal {
            in_use: true,
            detail: IN_USE.to_owned(),
        }),
        // The store is whole (`make_store_whole`): an IO error opening it is the disk, the
        // folder's permissions, or its files damaged (a file its records name is missing, a
        // length or an offset in them that is wrong).
        Ok(Err(error @ (StoreError::Io(_) | StoreError::Storage(fjall::LsmError::Io(_)))))
            if !is_damage(&error) =>
        {
            Err(format!(
                "{} (if the disk and the folder's permissions are sound, {RESTORE})",
                describe(&error)
            )
            .into())
        }
        Ok(Err(error)) => Err(describe(&error).into()),
        Err(panic) => {
            let said = panic
                .downcast_ref::<&str>()
                .map(|s| (*s).to_owned())
                .or_else(|| panic.downcast_ref::<String>().cloned())
                .unwrap_or_default();
            // One line, whatever the panic said.
            let said = said.split_whitespace().collect::<Vec<_>>().join(" ");
            Err(format!(
                "the store could not read its files ({}): {RESTORE}",
                if said.is_empty() { "it stopped" } else { &said }
            )
            .into())
        }
    }
}

/// Whether the store's error says its files hold damaged data (rather than that the disk or
/// the system failed it).
pub(crate) fn is_damage(error: &StoreError) -> bool {
    match error {
        StoreError::Io(e) | StoreError::Storage(fjall::LsmError::Io(e)) => matches!(
            e.kind(),
            std::io::ErrorKind::UnexpectedEof | std::io::ErrorKind::InvalidData
        ),
        StoreError::Poisoned | StoreError::Locked | StoreError::KeyspaceDeleted => false,
        _ => true,
    }
}

/// The store's error in words an operator can act on.
pub(crate) fn describe(error: &StoreError) -> String {
    match error {
        StoreError::Io(e) | StoreError::Storage(fjall::LsmError::Io(e)) if !is_damage(error) => {
            format!("IO error: {e}")
        }
        StoreError::Poisoned => "an earlier write to the store failed (a full disk or a failing \
             device); it takes no writes until it is opened again"
            .to_owned(),
        StoreError::Locked => IN_USE.to_owned(),
        other => format!("the store found damaged data in its files ({other:?}): {RESTORE}"),
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
/// is refused as well (a new folder gets its marker before the store's files exist, so it was
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

/// Chunks read through one iterator of the store by [`verify_chunks_from`].
const CHUNKS_PER_ITERATOR: usize = 256;

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
    // A few chunks per iterator: an iterator holds the write buffers written while it is open
    // in memory, and a pass over months of log runs while the daemon works.
    loop {
        let mut read = 0;
        for entry in trees
            .log
            .range(expected.to_be_bytes()..next.to_be_bytes())
            .take(CHUNKS_PER_ITERATOR)
        {
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
            read += 1;
        }
        if read < CHUNKS_PER_ITERATOR || expected >= next {
            break;
        }
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
