//! The single writer: it assigns gapless positions, checks expected versions, drops events
//! whose id is already in the log, writes a group of appends as chunks in one atomic
//! batch, syncs once, and only then answers every waiter (group commit).

use std::collections::{HashMap, HashSet};
use std::sync::mpsc::{Receiver, RecvTimeoutError};
use std::sync::{Arc, RwLock};
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use super::chunk::{self, Chunk};
use super::chunk_cache::ChunkCache;
use super::handoff::{Head, Reply, Request};
use super::head_marker::HeadMarker;
use super::index::LogIndex;
use super::log_tree::next_position_on_disk;
use super::store::Db;
use super::trees::Trees;
use ketenpost_domain::events::{EventId, RecordedEvent, StreamId};
use ketenpost_domain::ports::{AppendError, Appended, ExpectedVersion, ReadError, StreamAppend};

/// How the writer groups commits.
#[derive(Debug, Clone, Copy)]
pub struct GroupCommit {
    /// At most this many appends per commit.
    pub max_appends: usize,
    /// Wait at most this long for more appends after the first of a group.
    pub max_wait: Duration,
}

impl Default for GroupCommit {
    /// Up to 1024 appends, and no waiting: a group is what arrived while the previous commit
    /// was syncing. Waiting 1 ms for more only added that millisecond to every append under
    /// load (the end-to-end benchmark placed about 6 % more with no wait).
    fn default() -> Self {
        Self {
            max_appends: 1024,
            max_wait: Duration::ZERO,
        }
    }
}

pub(crate) struct Writer {
    pub trees: Trees,
    /// Event ids and stream versions of the acknowledged log.
    pub index: Arc<RwLock<LogIndex>>,
    pub db: Db,
    pub head: Arc<Head>,
    pub next_position: u64,
    pub settings: GroupCommit,
    pub code_version: String,
    /// Whether to sync at all (off only for benchmarks that say so).
    pub durable: bool,
    /// Where the acknowledged position is recorded after each durable commit.
    pub marker: Option<HeadMarker>,
    /// The readers' cache of inflated chunks, given each chunk once it is acknowledged.
    pub chunks: Arc<ChunkCache>,
    /// The first error that left the log unable to write; set once, then every append is
    /// refused with it (the store takes no writes after a failed one until it is opened again).
    pub failure: Arc<tokio::sync::watch::Sender<Option<String>>>,
}

/// The events a group writes, and each request's answer once they are durable.
type Prepared = (Vec<RecordedEvent>, Vec<(Reply, Result<usize, AppendError>)>);

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
        if let Some(failed) = self.failure.borrow().clone() {
            for request in group {
                request.reply.send(Err(AppendError::Storage(format!(
                    "the event log failed and takes nothing more until it is opened again: {failed}"
                ))));
            }
            return;
        }
        let now_ms = SystemTime::now()
            .duration_since(UNIX_EPOCH)
            .map_or(0, |d| i64::try_from(d.as_millis()).unwrap_or(i64::MAX));
        let (entries, answers) = match self.prepare(group, now_ms) {
            Ok(prepared) => prepared,
            Err((error, replies)) => {
                self.fail(&error);
                for reply in replies {
                    reply.send(Err(AppendError::Storage(error.clone())));
                }
                return;
            }
        };
        let next = self.next_position + entries.len() as u64;
        let outcome = self.write(&entries, now_ms).and_then(|written| {
            self.make_durable()?;
            self.record_head(next)?;
            self.index_committed(&entries)?;
            Ok(written)
        });
        match outcome {
            Ok(written) => {
                for chunk in written {
                    self.chunks.keep(Arc::new(chunk));
                }
                self.next_position = next;
                if let Ok(mut head) = self.head.next.lock() {
                    *head = next;
                }
                self.head.changed.notify_all();
                for (reply, result) in answers {
                    reply.send(result.map(|written| Appended {
                        next_position: next,
                        written,
                    }));
                }
            }
            Err(error) => {
                self.fail(&error);
                // Nothing of this group is acknowledged; reload what is really on disk (the
                // index catches up with it before the next check).
                self.next_position =
                    next_position_on_disk(&self.trees).unwrap_or(self.next_position);
                for (reply, _) in answers {
                    reply.send(Err(AppendError::Storage(error.clone())));
                }
            }
        }
    }

    /// Keeps the first error that left the log unable to write.
    fn fail(&self, error: &str) {
        self.failure.send_if_modified(|failure| {
            let first = failure.is_none();
            if first {
                *failure = Some(error.to_owned());
            }
            first
        });
    }

    /// Checks every request of a group against the index and the requests before it, and
    /// gives the events to write (with positions and versions) and each request's answer.
    fn prepare(&self, group: Vec<Request>, now_ms: i64) -> Result<Prepared, (String, Vec<Reply>)> {
        let fail = |error: String, group: Vec<Request>| {
            (error, group.into_iter().map(|r| r.reply).collect())
        };
        let Ok(mut index) = self.index.write() else {
            return Err(fail("the log index is unusable".into(), group));
        };
        if let Err(e) = index.refresh(&self.trees.log, self.next_position) {
            return Err(fail(format!("indexing the log failed: {e}"), group));
        }
        let mut versions: HashMap<StreamId, Option<u64>> = HashMap::new();
        let mut seen_ids = HashSet::new();
        let mut entries: Vec<RecordedEvent> = Vec::new();
        let mut answers: Vec<(Reply, Result<usize, AppendError>)> = Vec::new();
        let mut next = self.next_position;
        for request in group {
            let checked = check(&index, &request.appends, &mut versions, &seen_ids);
            // The events move into the entries: nothing of a request is read after this.
            let appends = request.appends;
            let result = checked.map(|fresh| {
                let mut written = 0;
                for append in appends.into_iter().filter(|_| fresh) {
                    let mut version = versions.get(&append.stream).copied().flatten();
                    for new in append.events {
                        let v = version.map_or(0, |v| v + 1);
                        entries.push(RecordedEvent {
                            position: next,
                            id: new.id,
                            stream: append.stream.clone(),
                            version: v,
                            recorded_at_ms: now_ms,
                            code_version: self.code_version.clone(),
                            schema_version: 0,
                            event: new.event,
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
        Ok((entries, answers))
    }

    /// Writes the group's chunks; gives them back as they read once inflated.
    fn write(&self, entries: &[RecordedEvent], now_ms: i64) -> Result<Vec<Chunk>, String> {
        if entries.is_empty() {
            return Ok(Vec::new());
        }
        let mut batch = crate::event_log::store::Batch::default();
        let mut written = Vec::new();
        for (first, value, chunk) in chunk::encode(entries, now_ms, &self.code_version) {
            batch.insert(first.to_be_bytes(), value);
            written.push(chunk);
        }
        self.trees
            .log
            .apply_batch(batch)
            .map_err(|e| format!("writing the log failed: {e}"))?;
        Ok(written)
    }

    fn index_committed(&self, entries: &[RecordedEvent]) -> Result<(), String> {
        self.index
            .write()
            .map_err(|_| "the log index is unusable".to_owned())?
            .add(entries)
            .map_err(|e| format!("indexing the commit failed: {e}"))
    }

    fn make_durable(&mut self) -> Result<(), String> {
        if !self.durable {
            return Ok(());
        }
        self.db.flush().map_err(|e| format!("flush failed: {e}"))
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

/// Checks one request against the versions so far; `Ok(false)` when every event is a
/// duplicate already in the log (the retried append succeeds without writing).
fn check(
    index: &LogIndex,
    appends: &[StreamAppend],
    versions: &mut HashMap<StreamId, Option<u64>>,
    seen: &HashSet<EventId>,
) -> Result<bool, AppendError> {
    let storage = |e: ReadError| AppendError::Storage(format!("reading the log index: {e}"));
    // A retried append: every one of its events is already in its stream (or earlier in this
    // group).
    let mut any = false;
    let mut all_there = true;
    'appends: for append in appends {
        for event in &append.events {
            any = true;
            if !seen.contains(&event.id)
                && !index
                    .contains(append.stream.as_str(), event.id)
                    .map_err(storage)?
            {
                all_there = false;
                break 'appends;
            }
        }
    }
    if any && all_there {
        return Ok(false);
    }
    for append in appends {
        let actual = match versions.get(&append.stream) {
            Some(actual) => *actual,
            None => {
                let actual = index
                    .last_version(append.stream.as_str())
                    .map_err(storage)?;
                versions.insert(append.stream.clone(), actual);
                actual
            }
        };
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
