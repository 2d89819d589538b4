//! The projections: the receipts, the lists per state (newest first) and the counts,
//! brought up to date from the log in windows folded in memory (`fold.rs`). Each window
//! writes its state and the checkpoint in one atomic batch, so a crash leaves them
//! consistent. A message's summary is folded from its stream when asked for.

use ketenpost_domain::events::{Event, StreamId, StreamKind};
use ketenpost_domain::ports::{EventLog, ReadError};
use ketenpost_domain::projections::{apply_to_message, MessageSummary, ReceiptSummary, State};

use super::disk_log::DiskEventLog;
use super::fold::Fold;
use super::log_tree::storage;
use super::open_receipts;
use super::pages;
use super::search_index;

pub(crate) const CHECKPOINT: &str = "messages";

/// The most events folded in memory before their changes are written.
const WINDOW: u64 = 1 << 20;

/// A page of a list.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Page {
    /// The messages, newest first.
    pub messages: Vec<MessageSummary>,
    /// Pass this as the cursor for the next page; `None` on the last page.
    pub next_cursor: Option<String>,
}

impl DiskEventLog {
    /// The position up to which the projections are built.
    ///
    /// # Errors
    /// A storage failure.
    pub fn checkpoint(&self) -> Result<u64, ReadError> {
        let value = self
            .trees
            .projections
            .get(pages::checkpoint_key(CHECKPOINT))
            .map_err(storage)?;
        Ok(value
            .and_then(|v| <[u8; 8]>::try_from(v.as_ref()).ok())
            .map_or(0, u64::from_be_bytes))
    }

    /// Brings the projections up to the end of the log; returns how many events were applied.
    ///
    /// # Errors
    /// A damaged entry or a storage failure.
    pub fn catch_up(&self) -> Result<u64, ReadError> {
        let _one_at_a_time = self
            .projecting
            .lock()
            .map_err(|_| ReadError::Storage("a projection update failed before".into()))?;
        let mut applied = 0;
        if self.checkpoint()? > 0
            && self
                .trees
                .projections
                .get(search_index::VERSION_KEY)
                .map_err(storage)?
                .as_deref()
                != Some(&[search_index::VERSION][..])
        {
            // Projections from before the search index (or of another version of it): built
            // again from the start, once.
            tracing::info!("the projections are rebuilt for the search index");
            self.trees.projections.clear().map_err(storage)?;
        }
        self.note_open_receipts_once()?;
        loop {
            let from = self.checkpoint()?;
            let to = self.next_position().min(from.saturating_add(WINDOW));
            if to <= from {
                return Ok(applied);
            }
            let mut fold = Fold::new(self, from);
            let reached = self.scan(from, to, |event| fold.apply(event))?;
            if reached != to {
                return Err(ReadError::Damaged {
                    position: reached,
                    detail: format!("missing; the log was acknowledged up to {to}"),
                });
            }
            let batch = fold.into_batch(to, CHECKPOINT)?;
            self.trees.projections.apply_batch(batch).map_err(storage)?;
            applied += to - from;
        }
    }

    /// Throws the projections away and rebuilds them from position 0.
    ///
    /// # Errors
    /// A damaged entry or a storage failure.
    pub fn replay(&self) -> Result<u64, ReadError> {
        {
            let _one_at_a_time = self
                .projecting
                .lock()
                .map_err(|_| ReadError::Storage("a projection update failed before".into()))?;
            self.trees.projections.clear().map_err(storage)?;
        }
        self.catch_up()
    }

    /// A receipt's summary as the projections hold it.
    pub(crate) fn stored_receipt(
        &self,
        stream: &StreamId,
    ) -> Result<Option<ReceiptSummary>, ReadError> {
        read_json(
            self.trees
                .projections
                .get(pages::receipt_key(stream))
                .map_err(storage)?,
        )
    }

    /// Counts per state (every state, zeros included).
    ///
    /// # Errors
    /// A storage failure.
    pub fn counts(&self) -> Result<Vec<(State, i64)>, ReadError> {
        State::ALL
            .iter()
            .map(|state| {
                let value = self
                    .trees
                    .projections
                    .get(pages::count_key(state.code()))
                    .map_err(storage)?;
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
        let code = state.code();
        let prefix = pages::list_prefix(code);
        let (start, up_to) = match cursor {
            Some(cursor) => {
                let position = pages::parse_cursor(code, cursor)?;
                (pages::page_key(code, position), position)
            }
            None => (prefix.to_vec(), u64::MAX),
        };
        let mut messages = Vec::new();
        for page in self.trees.projections.range(start..) {
            let (key, value) = page.map_err(storage)?;
            if !key.starts_with(&prefix) {
                break;
            }
            for entry in pages::decode(&value)?
                .into_iter()
                .filter(|e| e.position <= up_to)
            {
                if messages.len() == limit {
                    return Ok(Page {
                        messages,
                        next_cursor: Some(pages::cursor(code, &entry)),
                    });
                }
                if let Some(summary) = self.message(&entry.stream)? {
                    messages.push(summary);
                }
            }
        }
        Ok(Page {
            messages,
            next_cursor: None,
        })
    }

    /// One message's summary, as of the checkpoint: folded from its stream when asked for.
    ///
    /// # Errors
    /// A damaged entry or a storage failure.
    pub fn message(&self, stream: &StreamId) -> Result<Option<MessageSummary>, ReadError> {
        if stream.kind() != Some(StreamKind::Message) {
            return Ok(None);
        }
        let checkpoint = self.checkpoint()?;
        let mut summary = None;
        for event in self.read_stream(stream)? {
            if event.position >= checkpoint {
                break;
            }
            let receipt = match &event.event {
                Event::MessageParsed(parsed) => self.stored_receipt(&parsed.receipt)?,
                _ => None,
            };
            summary = apply_to_message(summary, &event, receipt.as_ref());
        }
        Ok(summary)
    }

    /// One receipt's summary.
    ///
    /// # Errors
    /// A storage failure, or a summary that cannot be read.
    pub fn receipt(&self, stream: &StreamId) -> Result<Option<ReceiptSummary>, ReadError> {
        self.stored_receipt(stream)
    }

    /// Calls `each` with every receipt the projections hold; returns the checkpoint read before
    /// they were read: every receipt recorded before that position was among them (receipts
    /// are only ever added or updated), later ones may or may not have been.
    ///
    /// # Errors
    /// A storage failure, or a summary that cannot be read.
    pub fn each_receipt(&self, mut each: impl FnMut(ReceiptSummary)) -> Result<u64, ReadError> {
        let checkpoint = self.checkpoint()?;
        for entry in self.trees.projections.scan_prefix([pages::RECEIPT_PREFIX]) {
            let (_, value) = entry.map_err(storage)?;
            let receipt: Option<ReceiptSummary> = read_json(Some(value))?;
            receipt.into_iter().for_each(&mut each);
        }
        Ok(checkpoint)
    }

    /// Every projection entry as text, for comparing a rebuilt state with an incremental one:
    /// the counts that are not zero, the receipts, the checkpoint, and each list entry with
    /// the message's summary (how the lists are cut into pages is left out).
    ///
    /// # Errors
    /// A storage failure.
    pub fn projection_dump(&self) -> Result<Vec<String>, ReadError> {
        let mut lines = Vec::new();
        for (state, count) in self.counts()? {
            if count != 0 {
                lines.push(format!("count {} {count}", state.as_str()));
            }
        }
        for entry in self.trees.projections.scan_prefix([pages::RECEIPT_PREFIX]) {
            let (key, value) = entry.map_err(storage)?;
            lines.push(format!(
                "receipt {} {}",
                String::from_utf8_lossy(&key[1..]),
                String::from_utf8_lossy(&value)
            ));
        }
        for entry in self
            .trees
            .projections
            .scan_prefix([open_receipts::OPEN_PREFIX])
        {
            let (key, _) = entry.map_err(storage)?;
            lines.push(format!("open {}", String::from_utf8_lossy(&key[1..])));
        }
        lines.push(format!("checkpoint {}", self.checkpoint()?));
        for state in State::ALL {
            let mut cursor = None;
            loop {
                let page = self.list(state, cursor.as_deref(), 256)?;
                for message in &page.messages {
                    lines.push(format!(
                        "{} {} {}",
                        state.as_str(),
                        message.state_position,
                        serde_json::to_string(message)
                            .map_err(|e| ReadError::Storage(e.to_string()))?
                    ));
                }
                match page.next_cursor {
                    Some(next) => cursor = Some(next),
                    None => break,
                }
            }
        }
        Ok(lines)
    }
}

fn read_json<T: serde::de::DeserializeOwned>(
    value: Option<crate::event_log::store::Value>,
) -> Result<Option<T>, ReadError> {
    value
        .map(|v| serde_json::from_slice(&v))
        .transpose()
        .map_err(|e| ReadError::Storage(format!("projection entry: {e}")))
}
