//! The event log on sled 0.34: opening a data folder, appending through the single writer,
//! and reading the log, one stream, and the payloads.

use std::path::{Path, PathBuf};
use std::sync::mpsc::{sync_channel, SyncSender};
use std::sync::{Arc, Mutex};
use std::thread::JoinHandle;
use std::time::Duration;

use ketenpost_domain::events::{RecordedEvent, StreamId};
use ketenpost_domain::ports::{AppendError, Appended, EventLog, ReadError, StreamAppend};

use super::codec;
use super::durability::FolderSync;
use super::head_marker::HeadMarker;
use super::key_file;
use super::payloads::SledPayloadStore;
use super::trees::{stream_prefix, Trees};
use super::writer::{GroupCommit, Head, Request, Writer};

/// Bytes of sled's page cache.
const CACHE_CAPACITY: u64 = 64 * 1024 * 1024;

/// Why a data folder could not be opened.
#[derive(Debug, thiserror::Error)]
pub enum OpenError {
    /// sled refused the folder.
    #[error("cannot open the event log in {folder}: {detail}")]
    Store {
        /// The folder.
        folder: String,
        /// What sled said.
        detail: String,
    },
    /// The key file.
    #[error(transparent)]
    Key(#[from] key_file::KeyFileError),
}

/// How to open a data folder.
#[derive(Debug, Clone)]
pub struct LogOptions {
    /// The data folder (sled lives in `<folder>/log`).
    pub folder: PathBuf,
    /// The key file; created with mode 0600 when absent.
    pub key_file: PathBuf,
    /// Group commit settings.
    pub group_commit: GroupCommit,
    /// Sync to disk before acknowledging (always on in the daemon and CLI).
    pub durable: bool,
}

impl LogOptions {
    /// Durable defaults for a data folder, with the key file inside it.
    pub fn new(folder: &Path) -> Self {
        Self {
            folder: folder.to_path_buf(),
            key_file: folder.join("data.key"),
            group_commit: GroupCommit::default(),
            durable: true,
        }
    }
}

/// The sled event log with its payload store and projection trees.
pub struct SledEventLog {
    pub(crate) trees: Trees,
    db: sled::Db,
    head: Arc<Head>,
    requests: Mutex<Option<SyncSender<Request>>>,
    writer: Mutex<Option<JoinHandle<()>>>,
    payloads: SledPayloadStore,
}

impl SledEventLog {
    /// Opens (or creates) the log in a data folder and starts its writer.
    ///
    /// # Errors
    /// The folder or key file cannot be used, or sled finds the store damaged beyond recovery.
    pub fn open(options: &LogOptions) -> Result<Self, OpenError> {
        let key = key_file::load_or_create(&options.key_file)?;
        let folder = options.folder.join("log");
        let store_error = |detail: String| OpenError::Store {
            folder: folder.display().to_string(),
            detail,
        };
        std::fs::create_dir_all(&folder).map_err(|e| store_error(e.to_string()))?;
        // sled may panic on some kinds of damage; that must become an error, not a crash.
        // sled's default page cache is 1 GiB, which a replay of a large log fills; 32 MiB keeps
        // the process small (measured by `cargo bench -p ketenpost-adapters --bench event_log`).
        let opened = std::panic::catch_unwind(|| {
            sled::Config::new()
                .path(&folder)
                .cache_capacity(CACHE_CAPACITY)
                .open()
        });
        let db = match opened {
            Ok(Ok(db)) => db,
            Ok(Err(e)) => return Err(store_error(e.to_string())),
            Err(_) => {
                return Err(store_error(
                    "the store is damaged and sled could not recover it".into(),
                ))
            }
        };
        let trees = Trees::open(&db).map_err(|e| store_error(e.to_string()))?;
        let next = next_position_on_disk(&trees).map_err(|e| store_error(e.to_string()))?;
        let marker_path = options.folder.join("log.head");
        if let Some(acknowledged) =
            HeadMarker::read(&marker_path).filter(|acknowledged| *acknowledged > next)
        {
            return Err(store_error(format!(
                "the log ends at position {next} but {acknowledged} events were acknowledged: the store is damaged; \
                 restore the data folder from a backup"
            )));
        }
        let marker = HeadMarker::open(&marker_path)
            .map_err(|e| store_error(format!("{}: {e}", marker_path.display())))?;
        let head = Arc::new(Head {
            next: Mutex::new(next),
            ..Head::default()
        });
        let (sender, receiver) = sync_channel(4096);
        let writer = Writer {
            trees: trees.clone(),
            db: db.clone(),
            folder: folder.clone(),
            head: Arc::clone(&head),
            next_position: next,
            settings: options.group_commit,
            code_version: env!("CARGO_PKG_VERSION").to_owned(),
            sync: FolderSync::default(),
            durable: options.durable,
            marker: Some(marker),
        };
        let handle = std::thread::Builder::new()
            .name("event-log-writer".into())
            .spawn(move || writer.run(receiver))
            .map_err(|e| store_error(e.to_string()))?;
        let payloads = SledPayloadStore::new(trees.payloads.clone(), key);
        Ok(Self {
            trees,
            db,
            head,
            requests: Mutex::new(Some(sender)),
            writer: Mutex::new(Some(handle)),
            payloads,
        })
    }

    /// The payload store of this data folder.
    pub fn payloads(&self) -> &SledPayloadStore {
        &self.payloads
    }

    /// Bytes sled uses on disk.
    pub fn size_on_disk(&self) -> u64 {
        self.db.size_on_disk().unwrap_or(0)
    }

    /// Stops the writer after the appends already sent.
    pub fn close(&self) {
        if let Ok(mut requests) = self.requests.lock() {
            requests.take();
        }
        if let Some(handle) = self.writer.lock().ok().and_then(|mut w| w.take()) {
            let _ = handle.join();
        }
    }
}

impl Drop for SledEventLog {
    fn drop(&mut self) {
        self.close();
    }
}

/// The position after the last entry of the log tree.
pub(crate) fn next_position_on_disk(trees: &Trees) -> sled::Result<u64> {
    Ok(trees
        .log
        .last()?
        .and_then(|(key, _)| <[u8; 8]>::try_from(key.as_ref()).ok())
        .map_or(0, |key| u64::from_be_bytes(key) + 1))
}

impl EventLog for SledEventLog {
    fn append(&self, appends: Vec<StreamAppend>) -> Result<Appended, AppendError> {
        let (reply, answer) = sync_channel(1);
        let sender = self
            .requests
            .lock()
            .ok()
            .and_then(|r| r.clone())
            .ok_or_else(|| AppendError::Storage("the event log is closed".into()))?;
        sender
            .send(Request { appends, reply })
            .map_err(|_| AppendError::Storage("the event log writer stopped".into()))?;
        answer
            .recv()
            .map_err(|_| AppendError::Storage("the event log writer stopped".into()))?
    }

    fn read_all(&self, from: u64, max: usize) -> Result<Vec<RecordedEvent>, ReadError> {
        let mut events = Vec::with_capacity(max.min(4096));
        for entry in self.trees.log.range(from.to_be_bytes()..).take(max) {
            let (key, value) = entry.map_err(|e| ReadError::Storage(e.to_string()))?;
            let position = <[u8; 8]>::try_from(key.as_ref())
                .map(u64::from_be_bytes)
                .unwrap_or(u64::MAX);
            let expected = from + events.len() as u64;
            if position != expected {
                return Err(ReadError::Damaged {
                    position: expected,
                    detail: format!("missing; the next entry is at {position}"),
                });
            }
            events.push(codec::decode(position, &value)?);
        }
        Ok(events)
    }

    fn read_stream(&self, stream: &StreamId) -> Result<Vec<RecordedEvent>, ReadError> {
        let mut events = Vec::new();
        for entry in self.trees.stream_index.scan_prefix(stream_prefix(stream)) {
            let (_, position) = entry.map_err(|e| ReadError::Storage(e.to_string()))?;
            let position = <[u8; 8]>::try_from(position.as_ref())
                .map(u64::from_be_bytes)
                .unwrap_or(u64::MAX);
            let value = self
                .trees
                .log
                .get(position.to_be_bytes())
                .map_err(|e| ReadError::Storage(e.to_string()))?
                .ok_or_else(|| ReadError::Damaged {
                    position,
                    detail: format!("indexed for {stream} but absent"),
                })?;
            events.push(codec::decode(position, &value)?);
        }
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
