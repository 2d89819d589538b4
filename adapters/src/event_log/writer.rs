//! The single writer: it assigns gapless positions, checks expected versions, drops events
//! whose id is already in the log, writes a group of appends in one multi-tree transaction,
//! syncs once, and only then answers every waiter (group commit).

use std::collections::HashMap;
use std::path::PathBuf;
use std::sync::mpsc::{Receiver, RecvTimeoutError, SyncSender};
use std::sync::{Arc, Condvar, Mutex};
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use ketenpost_domain::events::{RecordedEvent, StreamId};
use ketenpost_domain::ports::{AppendError, Appended, ExpectedVersion, StreamAppend};
use sled::transaction::{ConflictableTransactionError, TransactionError, Transactional};

use super::codec;
use super::durability::FolderSync;
use super::head_marker::HeadMarker;
use super::trees::Trees;

/// One append waiting for the writer.
pub(crate) struct Request {
    pub appends: Vec<StreamAppend>,
    pub reply: SyncSender<Result<Appended, AppendError>>,
}

/// How the writer groups commits.
#[derive(Debug, Clone, Copy)]
pub struct GroupCommit {
    /// At most this many appends per commit.
    pub max_appends: usize,
    /// Wait at most this long for more appends after the first of a group.
    pub max_wait: Duration,
}

impl Default for GroupCommit {
    fn default() -> Self {
        Self {
            max_appends: 1024,
            max_wait: Duration::from_millis(1),
        }
    }
}

/// The position the log has reached, with a condition to wait on.
#[derive(Default)]
pub(crate) struct Head {
    pub next: Mutex<u64>,
    pub changed: Condvar,
}

pub(crate) struct Writer {
    pub trees: Trees,
    pub db: sled::Db,
    pub folder: PathBuf,
    pub head: Arc<Head>,
    pub next_position: u64,
    pub settings: GroupCommit,
    pub code_version: String,
    pub sync: FolderSync,
    /// Whether to sync at all (off only for benchmarks that say so).
    pub durable: bool,
    /// Where the acknowledged position is recorded after each durable commit.
    pub marker: Option<HeadMarker>,
}

type Reply = SyncSender<Result<Appended, AppendError>>;

impl Writer {
    /// Serves requests until every sender is gone.
    pub(crate) fn run(mut self, requests: Receiver<Request>) {
        while let Ok(first) = requests.recv() {
            let mut group = vec![first];
            let deadline = Instant::now() + self.settings.max_wait;
            while group.len() < self.settings.max_appends {
                match requests.try_recv() {
                    Ok(request) => group.push(request),
                    Err(_) => {
                        let now = Instant::now();
                        if now >= deadline {
                            break;
                        }
                        match requests.recv_timeout(deadline - now) {
                            Ok(request) => group.push(request),
                            Err(RecvTimeoutError::Timeout | RecvTimeoutError::Disconnected) => {
                                break
                            }
                        }
                    }
                }
            }
            self.commit(group);
        }
    }

    fn commit(&mut self, group: Vec<Request>) {
        let now_ms = SystemTime::now()
            .duration_since(UNIX_EPOCH)
            .map_or(0, |d| i64::try_from(d.as_millis()).unwrap_or(i64::MAX));
        let mut versions: HashMap<StreamId, Option<u64>> = HashMap::new();
        let mut seen_ids = std::collections::HashSet::new();
        let mut entries: Vec<RecordedEvent> = Vec::new();
        let mut answers: Vec<(Reply, Result<usize, AppendError>)> = Vec::new();
        let mut next = self.next_position;
        for request in group {
            let checked = self.check(&request.appends, &mut versions, &seen_ids);
            let result = checked.map(|fresh| {
                let mut written = 0;
                for append in request.appends.iter().filter(|_| fresh) {
                    let mut version = versions.get(&append.stream).copied().flatten();
                    for new in &append.events {
                        let v = version.map_or(0, |v| v + 1);
                        entries.push(RecordedEvent {
                            position: next,
                            id: new.id,
                            stream: append.stream.clone(),
                            version: v,
                            recorded_at_ms: now_ms,
                            code_version: self.code_version.clone(),
                            schema_version: 0,
                            event: new.event.clone(),
                        });
                        seen_ids.insert(new.id);
                        next += 1;
                        version = Some(v);
                        written += 1;
                    }
                    versions.insert(append.stream.clone(), version);
                }
                written
            });
            answers.push((request.reply, result));
        }
        let outcome = self
            .write(&entries)
            .and_then(|()| self.make_durable())
            .and_then(|()| self.record_head(next));
        match outcome {
            Ok(()) => {
                self.next_position = next;
                if let Ok(mut head) = self.head.next.lock() {
                    *head = next;
                }
                self.head.changed.notify_all();
                for (reply, result) in answers {
                    let _ = reply.send(result.map(|written| Appended {
                        next_position: next,
                        written,
                    }));
                }
            }
            Err(error) => {
                // Nothing of this group is acknowledged; reload what is really on disk.
                self.next_position = super::sled_log::next_position_on_disk(&self.trees)
                    .unwrap_or(self.next_position);
                for (reply, _) in answers {
                    let _ = reply.send(Err(AppendError::Storage(error.clone())));
                }
            }
        }
    }

    /// Checks one request against the versions so far; `Ok(false)` when every event is a
    /// duplicate already in the log (the retried append succeeds without writing).
    fn check(
        &self,
        appends: &[StreamAppend],
        versions: &mut HashMap<StreamId, Option<u64>>,
        seen: &std::collections::HashSet<ketenpost_domain::events::EventId>,
    ) -> Result<bool, AppendError> {
        let ids: Vec<_> = appends
            .iter()
            .flat_map(|a| a.events.iter().map(|e| e.id))
            .collect();
        if !ids.is_empty() {
            let mut known = 0;
            for id in &ids {
                let in_log = self
                    .trees
                    .event_ids
                    .contains_key(id.0.to_be_bytes())
                    .map_err(storage)?;
                if in_log || seen.contains(id) {
                    known += 1;
                }
            }
            if known == ids.len() {
                return Ok(false);
            }
        }
        for append in appends {
            if !versions.contains_key(&append.stream) {
                let stored = self
                    .trees
                    .streams
                    .get(append.stream.as_str().as_bytes())
                    .map_err(storage)?;
                let version = stored
                    .and_then(|v| <[u8; 8]>::try_from(v.as_ref()).ok())
                    .map(u64::from_be_bytes);
                versions.insert(append.stream.clone(), version);
            }
            let actual = versions.get(&append.stream).copied().flatten();
            let fits = match append.expected {
                ExpectedVersion::Any => true,
                ExpectedVersion::NoStream => actual.is_none(),
                ExpectedVersion::Exactly(v) => actual == Some(v),
            };
            if !fits {
                return Err(AppendError::WrongExpectedVersion {
                    stream: append.stream.clone(),
                    expected: append.expected,
                    actual,
                });
            }
        }
        Ok(true)
    }

    fn write(&self, entries: &[RecordedEvent]) -> Result<(), String> {
        if entries.is_empty() {
            return Ok(());
        }
        let encoded: Vec<(u64, Vec<u8>)> = entries
            .iter()
            .map(|e| (e.position, codec::encode(e)))
            .collect();
        let t = &self.trees;
        let result: Result<(), TransactionError<()>> =
            (&t.log, &t.event_ids, &t.streams, &t.stream_index).transaction(
                |(log, ids, streams, index)| {
                    for (entry, (position, bytes)) in entries.iter().zip(&encoded) {
                        let key = position.to_be_bytes();
                        log.insert(&key, bytes.as_slice())?;
                        ids.insert(&entry.id.0.to_be_bytes(), &key)?;
                        streams.insert(
                            entry.stream.as_str().as_bytes(),
                            &entry.version.to_be_bytes(),
                        )?;
                        index
                            .insert(super::trees::stream_key(&entry.stream, entry.version), &key)?;
                    }
                    Ok::<(), ConflictableTransactionError<()>>(())
                },
            );
        result.map_err(|e| format!("transaction failed: {e:?}"))
    }

    fn make_durable(&mut self) -> Result<(), String> {
        if !self.durable {
            return Ok(());
        }
        self.db.flush().map_err(|e| format!("flush failed: {e}"))?;
        self.sync
            .sync_all(&self.folder)
            .map_err(|e| format!("fsync of {} failed: {e}", self.folder.display()))
    }

    fn record_head(&self, next: u64) -> Result<(), String> {
        match &self.marker {
            Some(marker) if self.durable => marker
                .record(next)
                .map_err(|e| format!("recording the head failed: {e}")),
            _ => Ok(()),
        }
    }
}

fn storage(e: sled::Error) -> AppendError {
    AppendError::Storage(e.to_string())
}
