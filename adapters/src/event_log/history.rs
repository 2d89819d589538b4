//! Forgetting history: once `keep_history` is over after a message's retention ended, its
//! events go too, so that a data folder at a steady rate of messages stops growing. Retention
//! (`retention.rs`) makes a message's personal data unreadable and keeps its events for the
//! counts, timelines and the audit trail; this is the end of those.
//!
//! A forgotten message is taken out of everything at once, in one batch over the trees (a
//! crash leaves it whole or gone): its records in their chunks are emptied (`chunk.rs`: their
//! positions stay taken and every reader passes over them; a chunk left with none is a span
//! of a few bytes, joined to a span right before it), its entry of the index goes (`index.rs`), and the projections
//! lose it as if it had never been: its state's list and count, every search list it is in,
//! its entry of tokens. Its receipt goes with the last of the receipt's messages: its records,
//! its index entry, its summary and its received id (a redelivery of it, years later, is taken
//! for a new message); until then its summary counts the messages left, as a replay of the
//! log would. The walk is retention's (`walk_due`), over the same lists, noting where it
//! stopped under `f` and the state code in the `retention` tree.
//!
//! The first batch also stamps the store's format 4 (`format.rs`): a version that does not
//! know forgotten records refuses the folder instead of taking them for damage.
//!
//! Each batch appends one `HistoryForgotten` to the `history` stream: how many went and the
//! moment they were all decided before, the record a privacy officer asks for.

use std::collections::{BTreeMap, HashSet};
use std::sync::Arc;

use ketenpost_domain::events::{
    Event, EventId, HistoryForgotten, MessageParsed, NewEvent, RecordedEvent, StreamId,
    HISTORY_STREAM,
};
use ketenpost_domain::ports::{EventLog, ExpectedVersion, ReadError, StreamAppend};
use ketenpost_domain::projections::{apply_to_state, State};
use sha2::{Digest, Sha256};

use super::chunk::Chunk;
use super::disk_log::DiskEventLog;
use super::fold::{Fold, Place, ReceiptLeft};
use super::log_tree::{chunk_at, storage};
use super::pages;
use super::retention::{self, DueWork, SWEEP_BATCH};
use super::store::{apply_together, Batch};
use super::{format, index, projector, received};

/// Where a state's walk stopped.
fn progress_key(code: u8) -> [u8; 2] {
    [b'f', code]
}

/// A message whose history is due to be forgotten: what that needs of its events.
struct Gone {
    stream: StreamId,
    /// Where the projections hold it.
    place: Place,
    /// Its events' positions.
    positions: Vec<u64>,
    /// Its `MessageParsed` and that event's position.
    parsed: Option<(u64, MessageParsed)>,
    /// Whether its retention has ended.
    expired: bool,
}

impl Gone {
    fn new(stream: StreamId, history: &[RecordedEvent]) -> Self {
        Self {
            stream,
            place: history.iter().fold(None, apply_to_state),
            positions: history.iter().map(|e| e.position).collect(),
            parsed: history.iter().find_map(|e| match &e.event {
                Event::MessageParsed(p) => Some((e.position, p.clone())),
                _ => None,
            }),
            expired: history
                .iter()
                .any(|e| matches!(e.event, Event::RetentionExpired(_))),
        }
    }
}

/// What a history sweep did.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Forgotten {
    /// Messages whose history went.
    pub messages: u64,
    /// Receipts whose history went with their last message.
    pub receipts: u64,
}

/// Forgetting the histories of due messages, in batches.
struct Forgetting<'r> {
    due: Vec<Gone>,
    decided_before_ms: i64,
    done: &'r mut Forgotten,
}

impl DueWork for Forgetting<'_> {
    fn take(
        &mut self,
        _log: &DiskEventLog,
        entry: pages::Entry,
        history: Vec<RecordedEvent>,
        _decided_at_ms: i64,
    ) -> Result<(), ReadError> {
        self.due.push(Gone::new(entry.stream, &history));
        Ok(())
    }

    fn full(&self) -> bool {
        self.due.len() >= SWEEP_BATCH
    }

    fn finish(&mut self, log: &DiskEventLog) -> Result<(), ReadError> {
        if self.due.is_empty() {
            return Ok(());
        }
        let batch = log.forget_histories(&self.due)?;
        self.due.clear();
        if batch.messages > 0 {
            log.record_forgotten(batch, self.decided_before_ms)?;
        }
        self.done.messages += batch.messages;
        self.done.receipts += batch.receipts;
        Ok(())
    }
}

impl DiskEventLog {
    /// Forgets the history of every message of `state` decided before `decided_before_ms`
    /// (its retention ended `keep_history` ago), adding what went to `done`.
    pub(crate) fn forget_state(
        &self,
        state: State,
        decided_before_ms: i64,
        done: &mut Forgotten,
    ) -> Result<(), ReadError> {
        let mut work = Forgetting {
            due: Vec::new(),
            decided_before_ms,
            done,
        };
        self.walk_due(
            state.code(),
            progress_key(state.code()),
            decided_before_ms,
            true,
            &mut work,
        )
    }

    /// Forgets `due` in one batch over the trees; gives how many messages and receipts went.
    /// Only messages the projections have passed are forgotten (the others at a later sweep).
    fn forget_histories(&self, due: &[Gone]) -> Result<Forgotten, ReadError> {
        self.catch_up()?;
        let _one_at_a_time = self
            .projecting
            .lock()
            .map_err(|_| ReadError::Storage("a projection update failed before".into()))?;
        let checkpoint = self.checkpoint()?;
        let mut fold = Fold::new(self, checkpoint);
        let mut index_batch = Batch::default();
        let mut retention_batch = Batch::default();
        let mut emptied: Vec<u64> = Vec::new();
        let mut seen = HashSet::new();
        let mut done = Forgotten::default();
        for gone in due {
            // Not yet projected, or its retention has not ended (asked to resend meanwhile):
            // not now.
            if !gone.expired
                || !seen.insert(&gone.stream)
                || gone.positions.iter().any(|p| *p >= checkpoint)
            {
                continue;
            }
            let indexed = match &gone.parsed {
                Some((at, parsed)) => Some(fold.indexed_tokens(&gone.stream, parsed, *at)?),
                None => None,
            };
            fold.drop_message(
                &gone.stream,
                gone.place,
                indexed
                    .as_ref()
                    .map(|(at, tokens)| (*at, tokens.as_slice())),
            );
            index::forget_stream(gone.stream.as_str(), &mut index_batch);
            emptied.extend_from_slice(&gone.positions);
            done.messages += 1;
            let Some((_, parsed)) = &gone.parsed else {
                continue;
            };
            let receipt = &parsed.receipt;
            // The sweep's note that it expired goes: what retention counts of the receipt's
            // messages (`receipt_done`) is then of those that are left, as its summary is.
            retention_batch.remove(retention::expired_key(
                receipt.as_str(),
                gone.stream.as_str(),
            ));
            let ReceiptLeft::Gone(summary) = fold.leave_receipt(receipt)? else {
                continue;
            };
            let receipt_positions = self.stream_positions(receipt)?;
            if receipt_positions.iter().any(|p| *p >= checkpoint) {
                continue;
            }
            index::forget_stream(receipt.as_str(), &mut index_batch);
            if let Some(summary) = summary {
                received::forget(
                    &self.trees.index,
                    &mut index_batch,
                    &summary.mailbox,
                    &summary.remote_id,
                    &summary.payload_digest,
                )?;
                retention::forget_holder(&mut retention_batch, &summary.payload_digest, receipt);
            }
            emptied.extend_from_slice(&receipt_positions);
            done.receipts += 1;
        }
        if done.messages == 0 {
            return Ok(done);
        }
        let (log_batch, rewritten, gone_keys) = self.empty_records(&emptied)?;
        let projections_batch = fold.into_batch(checkpoint, projector::CHECKPOINT)?;
        // With the first forgotten records, the store's format says the log may hold them.
        let mut meta_batch = Batch::default();
        if format::stamped(&self.trees.meta).map_err(ReadError::Storage)?
            != Some(format::FORGETTING_FORMAT)
        {
            format::stamp_forgetting(&mut meta_batch);
        }
        // No reader keeps a chunk it read before this until the cache holds them as written.
        let _rewriting = self.chunks.rewriting();
        apply_together(vec![
            (&self.trees.log, log_batch),
            (&self.trees.index, index_batch),
            (&self.trees.projections, projections_batch),
            (&self.trees.retention, retention_batch),
            (&self.trees.meta, meta_batch),
        ])
        .map_err(storage)?;
        for key in gone_keys {
            self.chunks.forget(key);
        }
        for chunk in rewritten {
            self.chunks.keep(Arc::new(chunk));
        }
        Ok(done)
    }

    /// The chunks holding `positions`, with those records emptied: the batch that stores
    /// them, the chunks as they then read (for the readers' cache), and the keys that went
    /// (spans joined to the one before).
    fn empty_records(&self, positions: &[u64]) -> Result<(Batch, Vec<Chunk>, Vec<u64>), ReadError> {
        // Each chunk read and inflated once: by first position, with the positions it empties.
        let mut by_chunk: BTreeMap<u64, (Arc<Chunk>, Vec<u64>)> = BTreeMap::new();
        let mut sorted = positions.to_vec();
        sorted.sort_unstable();
        let mut current: Option<(u64, u64)> = None;
        for position in sorted {
            let holding = match current {
                Some((first, end)) if position >= first && position < end => first,
                _ => {
                    let chunk = self
                        .stored_chunk(position)?
                        .ok_or_else(|| ReadError::Damaged {
                            position,
                            detail: "indexed but in no chunk".into(),
                        })?;
                    current = Some((chunk.first, chunk.end()));
                    let first = chunk.first;
                    by_chunk.entry(first).or_insert_with(|| (chunk, Vec::new()));
                    first
                }
            };
            if let Some((_, emptied)) = by_chunk.get_mut(&holding) {
                emptied.push(position);
            }
        }
        let mut batch = Batch::default();
        // In key order, each with its value; a forgotten span is joined to the one before it.
        let mut rewritten: Vec<(Vec<u8>, Chunk)> = Vec::with_capacity(by_chunk.len());
        let mut gone_keys = Vec::new();
        for (first, (stored, emptied)) in by_chunk {
            let (value, chunk) = stored.blanked(&emptied)?;
            let joined = match rewritten.last() {
                Some((_, before)) if before.end() == first => before.joined(&chunk),
                _ => self
                    .chunk_before(first)?
                    .and_then(|before| before.joined(&chunk)),
            };
            match joined {
                Some(joined) => {
                    if rewritten
                        .last()
                        .is_some_and(|(_, before)| before.first == joined.1.first)
                    {
                        rewritten.pop();
                    }
                    gone_keys.push(first);
                    rewritten.push(joined);
                }
                None => rewritten.push((value, chunk)),
            }
        }
        for (value, chunk) in &rewritten {
            batch.insert(chunk.first.to_be_bytes(), value);
        }
        for key in &gone_keys {
            batch.remove(key.to_be_bytes());
        }
        Ok((
            batch,
            rewritten.into_iter().map(|(_, chunk)| chunk).collect(),
            gone_keys,
        ))
    }

    /// The stored chunk holding `position`, if any: the cache's (it holds chunks as stored,
    /// and the sweep has just read most of these), else read and inflated.
    fn stored_chunk(&self, position: u64) -> Result<Option<Arc<Chunk>>, ReadError> {
        if let Some(cached) = self.chunks.holding(position) {
            return Ok(Some(cached));
        }
        chunk_at(&self.trees.log, position)?
            .map(|(key, value)| Chunk::parse(key, &value).map(Arc::new))
            .transpose()
    }

    /// The chunk stored right before position `first`, if any.
    fn chunk_before(&self, first: u64) -> Result<Option<Arc<Chunk>>, ReadError> {
        match first.checked_sub(1) {
            Some(last) => self.stored_chunk(last),
            None => Ok(None),
        }
    }

    /// Appends the record of a batch of forgotten histories to the `history` stream.
    fn record_forgotten(&self, done: Forgotten, decided_before_ms: i64) -> Result<(), ReadError> {
        let digest = Sha256::digest(format!(
            "history {decided_before_ms} {} {}",
            done.messages,
            self.next_position()
        ));
        let mut id = [0u8; 16];
        id.copy_from_slice(&digest[..16]);
        self.append(vec![StreamAppend {
            stream: StreamId::fixed(HISTORY_STREAM),
            expected: ExpectedVersion::Any,
            events: vec![NewEvent {
                id: EventId(u128::from_be_bytes(id)),
                event: Event::HistoryForgotten(HistoryForgotten {
                    messages: done.messages,
                    receipts: done.receipts,
                    decided_before_ms,
                }),
            }],
        }])
        .map(|_| ())
        .map_err(|e| ReadError::Storage(format!("recording forgotten histories: {e}")))
    }
}
