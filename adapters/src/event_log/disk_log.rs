//! The event log on its store (`store.rs`): opening a data folder, appending through the single writer,
//! and reading the log, one stream, and the payloads.

use std::path::{Path, PathBuf};
use std::sync::mpsc::{sync_channel, SyncSender};
use std::sync::{Arc, Mutex, RwLock};
use std::thread::JoinHandle;
use std::time::Duration;

use tokio::sync::watch;

use ketenpost_domain::events::{RecordedEvent, StreamId};
use ketenpost_domain::ports::{AppendError, Appended, EventLog, ReadError, StreamAppend};

use super::chunk_cache::ChunkCache;
use super::format;
use super::handoff::{Head, Reply, Request};
use super::head_marker::HeadMarker;
use super::index::LogIndex;
use super::key_file;
use super::log_tree::{chunk_at, next_position_on_disk};
use super::message_keys::MessageKeys;
use super::opening;
use super::payloads::DiskPayloadStore;
use super::period_keys::DiskPeriodKeys;
use super::received::Received;
use super::store::Db;
use super::trees::Trees;
use super::upgrade;
use super::verification::damage;
use super::writer::{GroupCommit, Writer};

/// The folder of the store inside a data folder.
pub(crate) const STORE_FOLDER: &str = "store";

/// How long closing waits for the store to write its in-memory entries to tables.
const WRITE_OUT_LIMIT: std::time::Duration = std::time::Duration::from_secs(10);

/// Why a data folder could not be opened.
#[derive(Debug, thiserror::Error)]
pub enum OpenError {
    /// The store refused the folder.
    #[error("cannot open the event log in {folder}: {detail}")]
    Store {
        /// The folder.
        folder: String,
        /// What the store said.
        detail: String,
    },
    /// Another process holds the folder (a running daemon, or a command): nothing is wrong
    /// with it.
    #[error("cannot open the event log in {folder}: {}", opening::IN_USE)]
    InUse {
        /// The folder.
        folder: String,
    },
    /// The key file.
    #[error(transparent)]
    Key(#[from] key_file::KeyFileError),
}

/// How to open a data folder.
#[derive(Debug, Clone)]
pub struct LogOptions {
    /// The data folder (the store lives in `<folder>/store`).
    pub folder: PathBuf,
    /// The key file; created with mode 0600 when absent.
    pub key_file: PathBuf,
    /// Group commit settings.
    pub group_commit: GroupCommit,
    /// Sync to disk before acknowledging (always on in the daemon and CLI).
    pub durable: bool,
    /// Bring the index on disk up to the log's end at open (the commits whose indexing a
    /// crash lost), instead of when it is first needed (the daemon, which needs it at its
    /// first append anyway).
    pub index_at_open: bool,
    /// Accept the log as it is: make the head marker say where the log ends, whatever it
    /// said before (`ketenpost repair-head`).
    pub repair_head: bool,
    /// Read and check every chunk before the open returns (the commands). The daemon leaves
    /// it to [`DiskEventLog::verify_in_background`], so that its start does not grow with the
    /// log.
    pub verify_at_open: bool,
}

impl LogOptions {
    /// Durable defaults for a data folder, with the key file inside it.
    pub fn new(folder: &Path) -> Self {
        Self {
            folder: folder.to_path_buf(),
            key_file: folder.join("data.key"),
            group_commit: GroupCommit::default(),
            durable: true,
            index_at_open: false,
            repair_head: false,
            verify_at_open: true,
        }
    }
}

/// The event log with its payload store and projection trees.
pub struct DiskEventLog {
    pub(crate) trees: Trees,
    db: Db,
    head: Arc<Head>,
    index: Arc<RwLock<LogIndex>>,
    pub(crate) chunks: Arc<ChunkCache>,
    /// Held while the projections are brought up to date, one update at a time.
    pub(crate) projecting: Mutex<()>,
    requests: Mutex<Option<SyncSender<Request>>>,
    writer: Mutex<Option<JoinHandle<()>>>,
    payloads: DiskPayloadStore,
    /// The message keys that seal the personal text of events.
    pub(crate) keys: MessageKeys,
    /// Whether every payload's first holder is noted (`retention.rs`): a folder made before
    /// that finds the holders by walking their notes.
    pub(crate) owners_noted: bool,
    /// The first IO error of the writer: from then on it takes no append.
    pub(crate) failure: Arc<watch::Sender<Option<String>>>,
    /// The data key (the access log's period keys are sealed with it).
    data_key: [u8; 32],
    /// Damage [`Self::verify_in_background`] found: the refusal an open would have given.
    pub(crate) damage_found: Arc<std::sync::OnceLock<String>>,
    /// The store's folder and where the log ended when it was opened (what a verification covers).
    pub(crate) folder: PathBuf,
    pub(crate) opened_at: u64,
    /// What the head marker said when the folder was opened.
    head_found: String,
}

impl DiskEventLog {
    /// Appends like [`EventLog::append`], but answers through a future: an async caller
    /// waits for the group commit without holding a thread.
    ///
    /// # Errors
    /// As [`EventLog::append`].
    pub fn append_async(
        &self,
        appends: Vec<StreamAppend>,
    ) -> impl std::future::Future<Output = Result<Appended, AppendError>> + Send + 'static {
        let (reply, answer) = tokio::sync::oneshot::channel();
        let sent = self.request(appends, Reply::Async(reply));
        async move {
            sent?;
            answer.await.map_err(|_| writer_stopped())?
        }
    }

    /// Hands an append to the writer thread.
    fn request(&self, mut appends: Vec<StreamAppend>, reply: Reply) -> Result<(), AppendError> {
        for append in &mut appends {
            for new in &mut append.events {
                self.note_holder(&append.stream, &new.event)?;
                self.keys.seal(&append.stream, &mut new.event)?;
            }
        }
        let sender = self
            .requests
            .lock()
            .ok()
            .and_then(|r| r.clone())
            .ok_or_else(|| AppendError::Storage("the event log is closed".into()))?;
        sender
            .send(Request { appends, reply })
            .map_err(|_| writer_stopped())
    }

    /// Opens (or creates) the log in a data folder and starts its writer.
    ///
    /// # Errors
    /// The folder or key file cannot be used, or the store is damaged beyond recovery.
    pub fn open(options: &LogOptions) -> Result<Self, OpenError> {
        let folder = options.folder.join(STORE_FOLDER);
        let store_error = |detail: String| OpenError::Store {
            folder: folder.display().to_string(),
            detail,
        };
        let marker_path = options.folder.join("log.head");
        if !folder.exists() && !options.folder.join(upgrade::SLED_FOLDER).exists() {
            // A new folder: the marker is made before the store's files, so that a marker
            // missing beside them always means a lost one.
            opening::create_private_folder(&options.folder)
                .and_then(|()| HeadMarker::replace(&marker_path, 0))
                .map_err(|e| store_error(format!("{}: {e}", marker_path.display())))?;
        }
        let key = key_file::load_or_create(&options.key_file)?;
        upgrade::from_sled(&options.folder).map_err(store_error)?;
        opening::make_store_whole(&folder).map_err(store_error)?;
        let db = opening::open_store(&folder).map_err(|refusal| {
            if refusal.in_use {
                OpenError::InUse {
                    folder: folder.display().to_string(),
                }
            } else {
                store_error(refusal.detail)
            }
        })?;
        let trees = Trees::open(&db).map_err(|e| store_error(opening::describe(&e)))?;
        format::check_or_stamp(&db, &trees.meta).map_err(store_error)?;
        let next = next_position_on_disk(&trees).map_err(|e| store_error(damage(&e)))?;
        let head_found =
            opening::check_head(&marker_path, next, options.repair_head).map_err(store_error)?;
        if options.verify_at_open {
            opening::verify_chunks(&trees, next).map_err(|e| store_error(damage(&e)))?;
        }
        let mut index = opening::open_index(&trees, next).map_err(|e| store_error(damage(&e)))?;
        let owners_noted = super::retention::mark_owners_if_empty(&trees.retention)
            .map_err(|e| store_error(damage(&e)))?;
        if options.index_at_open {
            index
                .refresh(&trees.log, next)
                .map_err(|e| store_error(damage(&e)))?;
        }
        let marker = HeadMarker::open(&marker_path)
            .map_err(|e| store_error(format!("{}: {e}", marker_path.display())))?;
        let head = Arc::new(Head {
            next: Mutex::new(next),
            ..Head::default()
        });
        let index = Arc::new(RwLock::new(index));
        let failure = Arc::new(watch::Sender::new(None));
        let chunks = Arc::new(ChunkCache::default());
        let (sender, receiver) = sync_channel(4096);
        let writer = Writer {
            trees: trees.clone(),
            index: Arc::clone(&index),
            db: db.clone(),
            head: Arc::clone(&head),
            next_position: next,
            settings: options.group_commit,
            code_version: env!("CARGO_PKG_VERSION").to_owned(),
            durable: options.durable,
            marker: Some(marker),
            chunks: Arc::clone(&chunks),
            failure: Arc::clone(&failure),
        };
        let handle = std::thread::Builder::new()
            .name("event-log-writer".into())
            .spawn(move || writer.run(receiver))
            .map_err(|e| store_error(e.to_string()))?;
        let payloads = DiskPayloadStore::new(trees.payloads.clone(), key, Arc::clone(&failure));
        let keys = MessageKeys::new(trees.message_keys.clone(), key);
        Ok(Self {
            trees,
            db,
            head,
            index,
            chunks,
            projecting: Mutex::new(()),
            requests: Mutex::new(Some(sender)),
            writer: Mutex::new(Some(handle)),
            payloads,
            keys,
            owners_noted,
            failure,
            damage_found: Arc::default(),
            data_key: key,
            folder,
            opened_at: next,
            head_found,
        })
    }

    /// Which mailbox messages the log records as received.
    pub fn received(&self) -> Received {
        Received::new(self.trees.index.clone())
    }

    /// The IO error that stopped the log from taking appends, if one did. The store takes no
    /// writes after a failed one until the folder is opened again, so the log takes
    /// nothing more: the daemon stops (to be restarted) instead of retrying in vain.
    pub fn failure(&self) -> Option<String> {
        self.failure.borrow().clone()
    }

    /// Changes to [`Self::failure`], to wait for.
    pub fn watch_failure(&self) -> watch::Receiver<Option<String>> {
        self.failure.subscribe()
    }

    /// What the head marker said when the folder was opened (`said N`, `is missing`, ...).
    pub fn head_found(&self) -> &str {
        &self.head_found
    }

    /// The access log's period keys, new periods made for `keep_access_log`.
    pub fn access_keys(&self, keep_access_log: std::time::Duration) -> DiskPeriodKeys {
        DiskPeriodKeys::new(
            self.trees.access_keys.clone(),
            "the access log's",
            self.data_key,
            keep_access_log,
        )
    }

    /// The notes' period keys, new periods made for `keep_notes`.
    pub fn note_keys(&self, keep_notes: std::time::Duration) -> DiskPeriodKeys {
        DiskPeriodKeys::new(
            self.trees.note_keys.clone(),
            "the notes'",
            self.data_key,
            keep_notes,
        )
    }

    /// The payload store of this data folder.
    pub fn payloads(&self) -> &DiskPayloadStore {
        &self.payloads
    }

    /// The key of the search index's hashes, derived from the data key.
    pub(crate) fn search_key(&self) -> super::search_index::SearchKey {
        super::search_index::SearchKey::derive(self.payloads.data_key())
    }

    /// Bytes the store uses on disk.
    pub fn size_on_disk(&self) -> u64 {
        self.db.size_on_disk().unwrap_or(0)
    }

    /// The store's memory and pending work, for the metrics.
    pub fn store_figures(&self) -> super::store::StoreFigures {
        self.db.figures()
    }

    /// Stops the writer after the appends already sent, then has the store write what it
    /// holds in memory to tables (at most `WRITE_OUT_LIMIT`), so that the next open does not
    /// apply its journal again.
    pub fn close(&self) {
        if let Ok(mut requests) = self.requests.lock() {
            requests.take();
        }
        if let Some(handle) = self.writer.lock().ok().and_then(|mut w| w.take()) {
            let _ = handle.join();
            if !self.trees.write_out(WRITE_OUT_LIMIT) {
                tracing::warn!(
                    "the store did not write its buffers to tables before closing: the next start reads them from its journal"
                );
            }
        }
    }
}

impl DiskEventLog {
    /// The positions of `stream`'s events, in version order, from the index brought up to
    /// the log's end.
    ///
    /// # Errors
    /// The index cannot be read or brought up to date.
    pub(crate) fn stream_positions(&self, stream: &StreamId) -> Result<Vec<u64>, ReadError> {
        let mut index = self
            .index
            .write()
            .map_err(|_| ReadError::Storage("the log index is unusable".into()))?;
        index.refresh(&self.trees.log, self.next_position())?;
        index.positions(stream.as_str())
    }

    /// `stream`'s events with their personal data still sealed: for the work that needs
    /// none of it (the retention sweep), which then opens no message key.
    ///
    /// # Errors
    /// A damaged or missing record, or a storage failure.
    pub(crate) fn read_sealed(&self, stream: &StreamId) -> Result<Vec<RecordedEvent>, ReadError> {
        let positions = self.stream_positions(stream)?;
        let mut events = Vec::with_capacity(positions.len());
        for position in positions {
            let event = match self.chunks.holding(position) {
                Some(chunk) => chunk.decode_at(position)?,
                None => {
                    let seen = self.chunks.seen();
                    let (key, value) =
                        chunk_at(&self.trees.log, position)?.ok_or_else(|| ReadError::Damaged {
                            position,
                            detail: format!("indexed for {stream} but absent"),
                        })?;
                    self.chunks
                        .get_or_parse(key, &value, seen)?
                        .decode_at(position)?
                }
            };
            if event.stream != *stream {
                return Err(ReadError::Damaged {
                    position,
                    detail: format!("indexed for {stream} but holds {}", event.stream),
                });
            }
            events.push(event);
        }
        Ok(events)
    }
}

impl Drop for DiskEventLog {
    fn drop(&mut self) {
        self.close();
    }
}

impl EventLog for DiskEventLog {
    fn append(&self, appends: Vec<StreamAppend>) -> Result<Appended, AppendError> {
        let (reply, answer) = sync_channel(1);
        self.request(appends, Reply::Blocking(reply))?;
        answer.recv().map_err(|_| writer_stopped())?
    }

    fn read_all(&self, from: u64, max: usize) -> Result<Vec<RecordedEvent>, ReadError> {
        // Only what was acknowledged: a commit being synced is not there yet.
        let next = self.next_position();
        let window = u64::try_from(max).unwrap_or(u64::MAX);
        let mut events = Vec::with_capacity(max.min(4096));
        let mut from = from;
        // Window by window, until one holds an event: a window of forgotten history
        // (`history.rs`) holds none, and an empty answer would say the log ends there.
        while events.is_empty() && from < next {
            let to = next.min(from.saturating_add(window));
            self.scan(from, to, |event| {
                events.push(event);
                Ok(())
            })?;
            from = to;
        }
        self.keys.open(&mut events)?;
        Ok(events)
    }

    fn read_stream(&self, stream: &StreamId) -> Result<Vec<RecordedEvent>, ReadError> {
        let mut events = self.read_sealed(stream)?;
        self.keys.open(&mut events)?;
        Ok(events)
    }

    fn next_position(&self) -> u64 {
        self.head.next.lock().map_or(0, |n| *n)
    }

    fn wait_for(&self, position: u64, timeout: Duration) -> bool {
        let Ok(guard) = self.head.next.lock() else {
            return false;
        };
        match self
            .head
            .changed
            .wait_timeout_while(guard, timeout, |next| *next <= position)
        {
            Ok((next, _)) => *next > position,
            Err(_) => false,
        }
    }
}

fn writer_stopped() -> AppendError {
    AppendError::Storage("the event log writer stopped".into())
}
