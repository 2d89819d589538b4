//! One window of a catch-up: the projection changes of up to a million events folded in
//! memory (each message's state, each receipt), then written as one atomic batch with
//! the checkpoint. Only where each message is (state and position) is kept; its summary is
//! derived from its stream when asked for (`projector.rs`). The search index is kept here
//! too (`search_index.rs`): a message's entries when it is read, its client's removed when
//! its retention ends; and which receipts are still open (`open_receipts.rs`).

use std::collections::HashMap;
use std::hash::BuildHasherDefault;

use ketenpost_domain::events::{Event, MessageParsed, RecordedEvent, StreamId, StreamKind};
use ketenpost_domain::ports::{EventLog, PayloadStore, ReadError};
use ketenpost_domain::projections::{
    apply_to_receipt, apply_to_state, count_changes, moves_state, ReceiptSummary, State,
};
use ketenpost_domain::search::client_facts;

use super::client_tokens;
use super::disk_log::DiskEventLog;
use super::hashing::WordHasher;
use super::log_tree::storage;
use super::open_receipts;
use super::pages::{self, Entry, PAGE_ENTRIES};
use super::search_index::{self, ListChanges, Posting, SearchKey, Token};

/// A message's state and the position it entered it at.
pub(crate) type Place = Option<(State, u64)>;

/// Maps keyed by stream id, hashed quickly: the keys come from the log, not from outside.
type StreamMap<V> = HashMap<StreamId, V, BuildHasherDefault<WordHasher>>;

/// The changes of one window, in memory.
pub(crate) struct Fold<'l> {
    log: &'l DiskEventLog,
    /// The position the window starts at: what is before it is in the projections.
    start: u64,
    /// Each message touched: where it was before the window, and where it is now.
    messages: StreamMap<(Place, Place)>,
    /// Each receipt touched, as it is now.
    receipts: StreamMap<Option<ReceiptSummary>>,
    /// The receipts touched that were open (not processed) before the window.
    open_before: StreamMap<()>,
    /// The key of the search index's hashes.
    search_key: SearchKey,
    /// The search index's changes.
    search: ListChanges,
    /// Messages read in this window: the position of their `MessageParsed` and their tokens.
    indexed: StreamMap<(u64, Vec<Token>)>,
    /// The payload read last (digest and bytes): a payload's messages follow each other.
    last_payload: Option<(String, Option<Vec<u8>>)>,
    /// Each message's entry of client tokens (`client_tokens.rs`) to write (`Some`) or to
    /// remove (`None`), by uuid.
    client_entries: HashMap<[u8; 16], Option<Vec<u8>>>,
    /// Receipts whose history is forgotten (`history.rs`).
    dropped_receipts: Vec<StreamId>,
}

/// What a message whose history is forgotten leaves of its receipt.
pub(crate) enum ReceiptLeft {
    /// Other messages read from it remain.
    Kept,
    /// It was the last: the receipt goes too, with the summary it had (none when the
    /// projections never held one).
    Gone(Option<ReceiptSummary>),
}

impl<'l> Fold<'l> {
    /// A window from `start` (the checkpoint).
    pub(crate) fn new(log: &'l DiskEventLog, start: u64) -> Self {
        Self {
            log,
            start,
            messages: StreamMap::default(),
            receipts: StreamMap::default(),
            open_before: StreamMap::default(),
            search_key: log.search_key(),
            search: ListChanges::default(),
            indexed: StreamMap::default(),
            last_payload: None,
            client_entries: HashMap::new(),
            dropped_receipts: Vec::new(),
        }
    }

    /// Folds one event in.
    ///
    /// # Errors
    /// A projection entry or a stream that cannot be read.
    pub(crate) fn apply(&mut self, owned: RecordedEvent) -> Result<(), ReadError> {
        let event = &owned;
        match event.stream.kind() {
            Some(StreamKind::Receipt) => {
                let current = self.receipt(&event.stream)?;
                self.receipts
                    .insert(event.stream.clone(), apply_to_receipt(current, event));
            }
            Some(StreamKind::Message) => {
                if let Event::MessageParsed(parsed) = &event.event {
                    let receipt = self.receipt(&parsed.receipt)?;
                    let mailbox = receipt.as_ref().map(|r| r.mailbox.clone());
                    if let Some(updated) = receipt.and_then(|r| apply_to_receipt(Some(r), event)) {
                        self.receipts.insert(parsed.receipt.clone(), Some(updated));
                    }
                    let tokens = self.tokens(parsed, mailbox.as_deref());
                    if let Some(uuid) = search_index::message_uuid(&event.stream) {
                        let posting = Posting {
                            position: event.position,
                            received_ms: event.recorded_at_ms,
                            uuid,
                        };
                        self.search.add(posting, &tokens);
                        self.client_entries
                            .insert(uuid, Some(client_tokens::encode(event.position, &tokens)));
                    }
                    self.indexed
                        .insert(event.stream.clone(), (event.position, tokens));
                }
                if let Event::RetentionExpired(_) = &event.event {
                    self.forget(&event.stream)?;
                }
                if let Some((_, now)) = self.messages.get_mut(&event.stream) {
                    *now = apply_to_state(*now, event);
                } else if moves_state(&event.event) {
                    // Only then is where it was worth a read of its stream.
                    let before = self.place_before(event)?;
                    let now = apply_to_state(before, event);
                    self.messages.insert(owned.stream, (before, now));
                }
            }
            // Users have no message projection: their streams are read by id (portal).
            Some(StreamKind::User | StreamKind::Security) | None => {}
        }
        Ok(())
    }

    /// The search tokens of a message just read: its sender, and its client as the payload
    /// names them (nothing of the client when the payload is gone or does not read).
    fn tokens(&mut self, parsed: &MessageParsed, mailbox: Option<&str>) -> Vec<Token> {
        let cached =
            matches!(&self.last_payload, Some((digest, _)) if *digest == parsed.payload_digest);
        if !cached {
            let bytes = self
                .log
                .payloads()
                .get(&parsed.payload_digest)
                .ok()
                .flatten();
            self.last_payload = Some((parsed.payload_digest.clone(), bytes));
        }
        let facts = self
            .last_payload
            .as_ref()
            .and_then(|(_, bytes)| bytes.as_deref())
            .and_then(|bytes| client_facts(bytes, parsed.number));
        search_index::tokens(
            &self.search_key,
            &[sender_of(parsed, mailbox)],
            facts.as_ref(),
        )
    }

    /// Takes a message whose retention ended out of its client's lists: its tokens as read in
    /// this window, else as its entry of client tokens keeps them, else (a message indexed
    /// before those entries were kept) read again from its payload (the sweep deletes the
    /// payload only once the projections have seen the end of its retention).
    fn forget(&mut self, stream: &StreamId) -> Result<(), ReadError> {
        let Some(uuid) = search_index::message_uuid(stream) else {
            return Ok(());
        };
        let known = match self.indexed.get(stream) {
            Some(known) => Some(known.clone()),
            None => self.stored_client_tokens(uuid)?,
        };
        let (position, tokens) = match known {
            Some(known) => known,
            None => {
                let history = self.log.read_stream(stream)?;
                let Some((position, parsed)) = history.iter().find_map(|e| match &e.event {
                    Event::MessageParsed(p) => Some((e.position, p.clone())),
                    _ => None,
                }) else {
                    return Ok(());
                };
                let mailbox = self.receipt(&parsed.receipt)?.map(|r| r.mailbox);
                (position, self.tokens(&parsed, mailbox.as_deref()))
            }
        };
        self.search.forget(position, uuid, &tokens);
        let kept = client_tokens::after_retention(&tokens);
        self.client_entries
            .insert(uuid, Some(client_tokens::encode(position, &kept)));
        Ok(())
    }

    /// Takes a message whose history is forgotten (`history.rs`) out of every projection:
    /// its state's list and count (`place`, where it is), and every search list it is in
    /// (`indexed`: the position of its `MessageParsed` and the tokens it was indexed under).
    pub(crate) fn drop_message(
        &mut self,
        stream: &StreamId,
        place: Place,
        indexed: Option<(u64, &[Token])>,
    ) {
        self.messages.insert(stream.clone(), (place, None));
        let Some(uuid) = search_index::message_uuid(stream) else {
            return;
        };
        if let Some((position, tokens)) = indexed {
            self.search.forget_all(position, uuid, tokens);
        }
        self.client_entries.insert(uuid, None);
    }

    /// Takes a message whose history is forgotten out of its receipt's summary, as if it had
    /// never been read from it. When it was the receipt's last, the receipt is taken out of
    /// the projections too.
    pub(crate) fn leave_receipt(&mut self, receipt: &StreamId) -> Result<ReceiptLeft, ReadError> {
        match self.receipt(receipt)? {
            Some(summary) if summary.messages > 1 => {
                let messages = summary.messages - 1;
                self.receipts.insert(
                    receipt.clone(),
                    Some(ReceiptSummary {
                        messages,
                        ..summary
                    }),
                );
                Ok(ReceiptLeft::Kept)
            }
            last => {
                self.receipts.remove(receipt);
                self.dropped_receipts.push(receipt.clone());
                Ok(ReceiptLeft::Gone(last))
            }
        }
    }

    /// The tokens message `stream` was indexed under, as its entry keeps them, and the sender
    /// tokens its `MessageParsed` names (an entry written before it kept those has its
    /// client's only).
    pub(crate) fn indexed_tokens(
        &mut self,
        stream: &StreamId,
        parsed: &MessageParsed,
        at: u64,
    ) -> Result<(u64, Vec<Token>), ReadError> {
        let stored = match search_index::message_uuid(stream) {
            Some(uuid) => self.stored_client_tokens(uuid)?,
            None => None,
        };
        let (position, mut tokens) = stored.unwrap_or((at, Vec::new()));
        let mailbox = self.receipt(&parsed.receipt)?.map(|r| r.mailbox);
        let sender = sender_of(parsed, mailbox.as_deref());
        for token in search_index::tokens(&self.search_key, &[sender], None) {
            if !tokens.contains(&token) {
                tokens.push(token);
            }
        }
        Ok((position, tokens))
    }

    /// The position and client tokens message `uuid` was indexed under, as its entry keeps
    /// them (none written in this window: those are in `indexed`).
    fn stored_client_tokens(&self, uuid: [u8; 16]) -> Result<Option<(u64, Vec<Token>)>, ReadError> {
        self.log
            .trees
            .projections
            .get(client_tokens::key(uuid))
            .map_err(storage)?
            .map(|value| client_tokens::decode(&value))
            .transpose()
    }

    fn receipt(&mut self, stream: &StreamId) -> Result<Option<ReceiptSummary>, ReadError> {
        if let Some(known) = self.receipts.get(stream) {
            return Ok(known.clone());
        }
        let stored = self.log.stored_receipt(stream)?;
        if open_receipts::is_open(stored.as_ref()) {
            self.open_before.insert(stream.clone(), ());
        }
        self.receipts.insert(stream.clone(), stored.clone());
        Ok(stored)
    }

    /// Where a message first seen in this window was before it: nowhere for a new stream,
    /// else what its events before the window made of it.
    fn place_before(&self, event: &RecordedEvent) -> Result<Place, ReadError> {
        if event.version == 0 || self.start == 0 {
            return Ok(None);
        }
        Ok(self
            .log
            .read_stream(&event.stream)?
            .iter()
            .take_while(|e| e.position < self.start)
            .fold(None, apply_to_state))
    }

    /// The window's changes and the checkpoint `next`, as one batch for the `projections`
    /// tree.
    ///
    /// # Errors
    /// A projection entry that cannot be read, or a list that lacks a message it should hold
    /// (the projections are then damaged; `replay` rebuilds them).
    pub(crate) fn into_batch(
        self,
        next: u64,
        name: &str,
    ) -> Result<crate::event_log::store::Batch, ReadError> {
        let tree = &self.log.trees.projections;
        let mut batch = crate::event_log::store::Batch::default();
        let mut dirty: HashMap<Vec<u8>, Vec<Entry>> = HashMap::new();
        let mut added: HashMap<u8, Vec<Entry>> = HashMap::new();
        let mut deltas: HashMap<State, i64> = HashMap::new();
        self.search.write(tree, &mut batch)?;
        batch.insert(search_index::VERSION_KEY, [search_index::VERSION]);
        for (uuid, entry) in self.client_entries {
            match entry {
                Some(value) => batch.insert(client_tokens::key(uuid), value),
                None => batch.remove(client_tokens::key(uuid)),
            }
        }
        let mut leaving = Vec::new();
        for (stream, (before, now)) in self.messages {
            if before == now {
                continue;
            }
            for (state, delta) in count_changes(before.map(|b| b.0), now.map(|n| n.0)) {
                *deltas.entry(state).or_default() += delta;
            }
            if let Some((state, position)) = now {
                added.entry(state.code()).or_default().push(Entry {
                    position,
                    stream: stream.clone(),
                });
            }
            if let Some((state, position)) = before {
                leaving.push((state, position, stream));
            }
        }
        // In list order, so that the messages of one page are taken out of it as loaded once.
        leaving.sort_by_key(|(state, position, _)| (state.code(), *position));
        let mut last_page: Option<Vec<u8>> = None;
        for (state, position, stream) in leaving {
            let is_entry = |e: &Entry| e.position == position && e.stream == stream;
            if let Some(page) = last_page.as_ref().and_then(|key| dirty.get_mut(key)) {
                if pages::take_out(page, is_entry) {
                    continue;
                }
            }
            let key = page_holding(tree, state.code(), position)?;
            let page = load(tree, &mut dirty, key.clone())?;
            if !pages::take_out(page, is_entry) {
                return Err(ReadError::Storage(format!(
                    "the {} list lacks {stream}; run replay to rebuild the projections",
                    state.as_str()
                )));
            }
            last_page = Some(key);
        }
        for (code, mut entries) in added {
            // Everything added is newer than what the list holds: the oldest of it tops up
            // the newest page, the rest fills new pages.
            entries.sort_by_key(|e| e.position);
            let mut rest = entries.as_slice();
            if let Some(head) = first_page(tree, code)? {
                let page = load(tree, &mut dirty, head)?;
                let room = PAGE_ENTRIES.saturating_sub(page.len()).min(rest.len());
                let (top_up, left) = rest.split_at(room);
                page.splice(0..0, top_up.iter().rev().cloned());
                rest = left;
            }
            for chunk in rest.chunks(PAGE_ENTRIES) {
                let newest_first: Vec<Entry> = chunk.iter().rev().cloned().collect();
                batch.insert(
                    pages::page_key(code, chunk[0].position),
                    pages::encode(&newest_first),
                );
            }
        }
        for (key, page) in dirty {
            if page.is_empty() {
                batch.remove(key);
            } else {
                batch.insert(key, pages::encode(&page));
            }
        }
        for (state, delta) in deltas.into_iter().filter(|(_, d)| *d != 0) {
            let key = pages::count_key(state.code());
            let old = tree
                .get(key)
                .map_err(storage)?
                .and_then(|v| <[u8; 8]>::try_from(v.as_ref()).ok())
                .map_or(0, i64::from_be_bytes);
            batch.insert(key, (old + delta).to_be_bytes());
        }
        for (stream, receipt) in self.receipts {
            match (
                self.open_before.contains_key(&stream),
                open_receipts::is_open(receipt.as_ref()),
            ) {
                (false, true) => batch.insert(open_receipts::open_key(&stream), []),
                (true, false) => batch.remove(open_receipts::open_key(&stream)),
                _ => {}
            }
            if let Some(receipt) = receipt {
                let json = serde_json::to_vec(&receipt)
                    .map_err(|e| ReadError::Storage(format!("receipt {stream}: {e}")))?;
                batch.insert(pages::receipt_key(&stream), json);
            }
        }
        for stream in &self.dropped_receipts {
            batch.remove(pages::receipt_key(stream));
            batch.remove(open_receipts::open_key(stream));
        }
        open_receipts::mark(&mut batch);
        batch.insert(pages::checkpoint_key(name), next.to_be_bytes());
        Ok(batch)
    }
}

/// Who sent a message, for its search tokens: the interchange's sender id, else the mailbox
/// it came in.
fn sender_of<'a>(parsed: &'a MessageParsed, mailbox: Option<&'a str>) -> &'a str {
    parsed
        .sender_id
        .as_deref()
        .filter(|s| !s.trim().is_empty())
        .or(mailbox)
        .unwrap_or_default()
}

/// The key of the page of state `code` that holds `position`.
fn page_holding(
    tree: &crate::event_log::store::Tree,
    code: u8,
    position: u64,
) -> Result<Vec<u8>, ReadError> {
    let prefix = pages::list_prefix(code);
    tree.range(pages::page_key(code, position)..)
        .next()
        .transpose()
        .map_err(storage)?
        .map(|(key, _)| key.to_vec())
        .filter(|key| key.starts_with(&prefix))
        .ok_or_else(|| {
            ReadError::Storage(format!(
                "no list page holds position {position}; run replay to rebuild the projections"
            ))
        })
}

/// The key of the newest page of state `code`, if the list has any.
fn first_page(
    tree: &crate::event_log::store::Tree,
    code: u8,
) -> Result<Option<Vec<u8>>, ReadError> {
    tree.scan_prefix(pages::list_prefix(code))
        .next()
        .transpose()
        .map_err(storage)
        .map(|first| first.map(|(key, _)| key.to_vec()))
}

/// A page as changed so far in this window.
fn load<'d>(
    tree: &crate::event_log::store::Tree,
    dirty: &'d mut HashMap<Vec<u8>, Vec<Entry>>,
    key: Vec<u8>,
) -> Result<&'d mut Vec<Entry>, ReadError> {
    if !dirty.contains_key(&key) {
        let stored = match tree.get(&key).map_err(storage)? {
            Some(value) => pages::decode(&value)?,
            None => Vec::new(),
        };
        dirty.insert(key.clone(), stored);
    }
    dirty
        .get_mut(&key)
        .ok_or_else(|| ReadError::Storage("a projection page went missing".into()))
}
