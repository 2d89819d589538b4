//! The projections on sled: each message's summary, the receipts, the lists per state (newest
//! first) and the counts, brought up to date from the log in batches. Each batch writes its
//! state and the checkpoint in one transaction, so a crash leaves them consistent.

use std::collections::HashMap;

use ketenpost_domain::events::{Event, RecordedEvent, StreamId, StreamKind};
use ketenpost_domain::ports::{EventLog, ReadError};
use ketenpost_domain::projections::{
    apply_to_message, apply_to_receipt, count_changes, MessageSummary, ReceiptSummary, State,
};
use sled::transaction::{
    ConflictableTransactionError, TransactionError, Transactional, TransactionalTree,
};

use super::sled_log::SledEventLog;
use super::trees::state_key;

const CHECKPOINT: &[u8] = b"messages";
const BATCH: usize = 8192;

/// A page of a list.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Page {
    /// The messages, newest first.
    pub messages: Vec<MessageSummary>,
    /// Pass this as the cursor for the next page; `None` on the last page.
    pub next_cursor: Option<String>,
}

impl SledEventLog {
    /// The position up to which the projections are built.
    ///
    /// # Errors
    /// A storage failure.
    pub fn checkpoint(&self) -> Result<u64, ReadError> {
        let value = self.trees.checkpoints.get(CHECKPOINT).map_err(storage)?;
        Ok(value
            .and_then(|v| <[u8; 8]>::try_from(v.as_ref()).ok())
            .map_or(0, u64::from_be_bytes))
    }

    /// Brings the projections up to the end of the log; returns how many events were applied.
    ///
    /// # Errors
    /// A damaged entry or a storage failure.
    pub fn catch_up(&self) -> Result<u64, ReadError> {
        let mut applied = 0;
        loop {
            let from = self.checkpoint()?;
            let events = self.read_all(from, BATCH)?;
            if events.is_empty() {
                return Ok(applied);
            }
            self.apply_batch(&events)?;
            applied += events.len() as u64;
        }
    }

    /// Throws the projections away and rebuilds them from position 0.
    ///
    /// # Errors
    /// A damaged entry or a storage failure.
    pub fn replay(&self) -> Result<u64, ReadError> {
        let t = &self.trees;
        for tree in [
            &t.messages,
            &t.receipts,
            &t.by_state,
            &t.counts,
            &t.checkpoints,
        ] {
            tree.clear().map_err(storage)?;
        }
        self.catch_up()
    }

    fn apply_batch(&self, events: &[RecordedEvent]) -> Result<(), ReadError> {
        let t = &self.trees;
        let next = events.last().map_or(0, |e| e.position + 1);
        let result: Result<(), TransactionError<String>> = (
            &t.messages,
            &t.receipts,
            &t.by_state,
            &t.counts,
            &t.checkpoints,
        )
            .transaction(|(messages, receipts, by_state, counts, checkpoints)| {
                let mut batch = BatchState::default();
                for event in events {
                    batch.apply(event, messages, receipts)?;
                }
                batch.write(messages, receipts, by_state, counts)?;
                checkpoints.insert(CHECKPOINT, &next.to_be_bytes())?;
                Ok(())
            });
        result.map_err(|e| match e {
            TransactionError::Abort(detail) => ReadError::Storage(detail),
            TransactionError::Storage(e) => storage(e),
        })
    }

    /// Counts per state (every state, zeros included).
    ///
    /// # Errors
    /// A storage failure.
    pub fn counts(&self) -> Result<Vec<(State, i64)>, ReadError> {
        State::ALL
            .iter()
            .map(|state| {
                let value = self.trees.counts.get([state.code()]).map_err(storage)?;
                Ok((
                    *state,
                    value
                        .and_then(|v| <[u8; 8]>::try_from(v.as_ref()).ok())
                        .map_or(0, i64::from_be_bytes),
                ))
            })
            .collect()
    }

    /// One page of the messages in `state`, newest first, from `cursor` on.
    ///
    /// # Errors
    /// A malformed cursor, or a storage failure.
    pub fn list(
        &self,
        state: State,
        cursor: Option<&str>,
        limit: usize,
    ) -> Result<Page, ReadError> {
        let prefix = [state.code()];
        let start = match cursor {
            Some(cursor) => hex::decode(cursor)
                .map_err(|_| ReadError::Storage(format!("cursor {cursor:?} is not valid")))?,
            None => prefix.to_vec(),
        };
        let mut messages = Vec::new();
        let mut next_cursor = None;
        for entry in self.trees.by_state.range(start..) {
            let (key, _) = entry.map_err(storage)?;
            if !key.starts_with(&prefix) {
                break;
            }
            if messages.len() == limit {
                next_cursor = Some(hex::encode(&key));
                break;
            }
            let stream = String::from_utf8_lossy(&key[9..]).into_owned();
            let Some(stream) = StreamId::parse(&stream) else {
                continue;
            };
            if let Some(summary) = self.message(&stream)? {
                messages.push(summary);
            }
        }
        Ok(Page {
            messages,
            next_cursor,
        })
    }

    /// One message's summary.
    ///
    /// # Errors
    /// A storage failure, or a summary that cannot be read.
    pub fn message(&self, stream: &StreamId) -> Result<Option<MessageSummary>, ReadError> {
        read_json(
            self.trees
                .messages
                .get(stream.as_str().as_bytes())
                .map_err(storage)?,
        )
    }

    /// One receipt's summary.
    ///
    /// # Errors
    /// A storage failure, or a summary that cannot be read.
    pub fn receipt(&self, stream: &StreamId) -> Result<Option<ReceiptSummary>, ReadError> {
        read_json(
            self.trees
                .receipts
                .get(stream.as_str().as_bytes())
                .map_err(storage)?,
        )
    }

    /// Receipts whose payload was not processed yet (no message stream made from it).
    ///
    /// # Errors
    /// A storage failure.
    pub fn unprocessed_receipts(&self) -> Result<Vec<ReceiptSummary>, ReadError> {
        let mut open = Vec::new();
        for entry in self.trees.receipts.iter() {
            let (_, value) = entry.map_err(storage)?;
            let receipt: Option<ReceiptSummary> = read_json(Some(value))?;
            open.extend(receipt.filter(|r| r.messages == 0));
        }
        Ok(open)
    }

    /// Every projection entry as text, for comparing a rebuilt state with an incremental one.
    ///
    /// # Errors
    /// A storage failure.
    pub fn projection_dump(&self) -> Result<Vec<String>, ReadError> {
        let t = &self.trees;
        let mut lines = Vec::new();
        for (name, tree) in [
            ("message", &t.messages),
            ("receipt", &t.receipts),
            ("by_state", &t.by_state),
            ("count", &t.counts),
            ("checkpoint", &t.checkpoints),
        ] {
            for entry in tree.iter() {
                let (key, value) = entry.map_err(storage)?;
                lines.push(format!(
                    "{name} {} {}",
                    hex::encode(&key),
                    hex::encode(&value)
                ));
            }
        }
        Ok(lines)
    }
}

type Abortable<T> = Result<T, ConflictableTransactionError<String>>;

/// Where a message's list entry was before the batch (state and position), and its summary now.
type MessageChange = (Option<(State, u64)>, Option<MessageSummary>);

/// The projection changes of one batch, kept in memory so that every key is read and written
/// once per batch, however many events touch it.
#[derive(Default)]
struct BatchState {
    /// Message summaries: as stored before the batch (state and position) and as now.
    messages: HashMap<StreamId, MessageChange>,
    receipts: HashMap<StreamId, Option<ReceiptSummary>>,
}

impl BatchState {
    fn receipt(
        &mut self,
        stream: &StreamId,
        tree: &TransactionalTree,
    ) -> Abortable<Option<ReceiptSummary>> {
        if let Some(known) = self.receipts.get(stream) {
            return Ok(known.clone());
        }
        let stored: Option<ReceiptSummary> = tx_json(tree.get(stream.as_str().as_bytes())?)?;
        self.receipts.insert(stream.clone(), stored.clone());
        Ok(stored)
    }

    fn apply(
        &mut self,
        event: &RecordedEvent,
        messages: &TransactionalTree,
        receipts: &TransactionalTree,
    ) -> Abortable<()> {
        match event.stream.kind() {
            Some(StreamKind::Receipt) => {
                let current = self.receipt(&event.stream, receipts)?;
                let next = apply_to_receipt(current, event);
                self.receipts.insert(event.stream.clone(), next);
            }
            Some(StreamKind::Message) => {
                let receipt = match &event.event {
                    Event::MessageParsed(parsed) => {
                        let receipt = self.receipt(&parsed.receipt, receipts)?;
                        if let Some(updated) = receipt
                            .clone()
                            .and_then(|r| apply_to_receipt(Some(r), event))
                        {
                            self.receipts.insert(parsed.receipt.clone(), Some(updated));
                        }
                        receipt
                    }
                    _ => None,
                };
                if !self.messages.contains_key(&event.stream) {
                    let stored: Option<MessageSummary> =
                        tx_json(messages.get(event.stream.as_str().as_bytes())?)?;
                    let before = stored.as_ref().map(|s| (s.state, s.state_position));
                    self.messages.insert(event.stream.clone(), (before, stored));
                }
                if let Some((_, current)) = self.messages.get_mut(&event.stream) {
                    *current = apply_to_message(current.take(), event, receipt.as_ref());
                }
            }
            None => {}
        }
        Ok(())
    }

    fn write(
        self,
        messages: &TransactionalTree,
        receipts: &TransactionalTree,
        by_state: &TransactionalTree,
        counts: &TransactionalTree,
    ) -> Abortable<()> {
        let mut deltas: HashMap<State, i64> = HashMap::new();
        for (stream, (before, after)) in self.messages {
            let now = after.as_ref().map(|s| (s.state, s.state_position));
            if before != now {
                if let Some((state, position)) = before {
                    by_state.remove(state_key(state.code(), position, &stream))?;
                }
                if let Some((state, position)) = now {
                    by_state.insert(state_key(state.code(), position, &stream), &[])?;
                }
                for (state, delta) in count_changes(before.map(|b| b.0), now.map(|n| n.0)) {
                    *deltas.entry(state).or_default() += delta;
                }
            }
            if let Some(summary) = after {
                messages.insert(stream.as_str().as_bytes(), to_json(&summary)?)?;
            }
        }
        for (stream, receipt) in self.receipts {
            if let Some(receipt) = receipt {
                receipts.insert(stream.as_str().as_bytes(), to_json(&receipt)?)?;
            }
        }
        for (state, delta) in deltas.into_iter().filter(|(_, d)| *d != 0) {
            let old = counts
                .get([state.code()])?
                .and_then(|v| <[u8; 8]>::try_from(v.as_ref()).ok())
                .map_or(0, i64::from_be_bytes);
            counts.insert(&[state.code()], &(old + delta).to_be_bytes())?;
        }
        Ok(())
    }
}

fn to_json<T: serde::Serialize>(value: &T) -> Abortable<Vec<u8>> {
    serde_json::to_vec(value).map_err(|e| ConflictableTransactionError::Abort(e.to_string()))
}

fn tx_json<T: serde::de::DeserializeOwned>(value: Option<sled::IVec>) -> Abortable<Option<T>> {
    value
        .map(|v| serde_json::from_slice(&v))
        .transpose()
        .map_err(|e| ConflictableTransactionError::Abort(format!("projection entry: {e}")))
}

fn read_json<T: serde::de::DeserializeOwned>(
    value: Option<sled::IVec>,
) -> Result<Option<T>, ReadError> {
    value
        .map(|v| serde_json::from_slice(&v))
        .transpose()
        .map_err(|e| ReadError::Storage(format!("projection entry: {e}")))
}

fn storage(e: sled::Error) -> ReadError {
    ReadError::Storage(e.to_string())
}
