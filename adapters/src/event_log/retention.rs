//! Retention: once a decided message's period is over, its personal data is made unreadable
//! for good. The sweep appends `RetentionExpired` to the message's stream, destroys the
//! message's key (`message_keys.rs`), and deletes the payload once every message of every
//! receipt holding it has expired. The events stay: counts, timelines and the audit trail.
//!
//! The sweep walks each category's list (`pages.rs`) in the order messages entered it, from
//! where the previous sweep stopped (kept in the `retention` tree under `c` and the state
//! code), and stops at the first message not yet due: a sweep costs what expires, not what
//! the log holds. Other keys of the `retention` tree: `h`, payload digest, receipt stream id
//! (a receipt holding that payload, noted when it is appended); `x`, receipt stream id,
//! message stream id (an expired message of that receipt). Both go once the payload is
//! deleted.
//!
//! Most payloads are held by one receipt, and finding the holders is a walk over the `h`
//! notes of a digest (a prefix read that no filter of the store can skip, so it looks into
//! every table). So beside them: `o`, digest: the first receipt noted as holding it, and `s`,
//! digest: a second one was noted. A letter alone in its interchange, whose receipt is the
//! first and only holder, then releases its payload with two point reads and one batch over
//! the payloads and these notes. Only a tree that started empty holds `o` for every payload
//! (the key `owners` says so): in a folder made before, the walk stays.

use std::ops::Bound;
use std::time::Duration;

use ketenpost_domain::category::Category;
use ketenpost_domain::events::{
    Event, EventId, NewEvent, RecordedEvent, RetentionExpired, StreamId,
};
use ketenpost_domain::ports::{AppendError, EventLog, ExpectedVersion, ReadError, StreamAppend};
use ketenpost_domain::projections::State;
use sha2::{Digest, Sha256};

use super::disk_log::DiskEventLog;
use super::log_tree::storage;
use super::pages;

/// How long personal data is kept once a message is decided.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Retention {
    /// After it is processed (placed in the record).
    pub keep_processed: Duration,
    /// After it is decided otherwise (any other category), so people can still act.
    pub keep_other: Duration,
    /// What the access log says about clients (its period keys, `period_keys.rs`).
    pub keep_access_log: Duration,
    /// The text of the portal's notes (their period keys, `period_keys.rs`).
    pub keep_notes: Duration,
    /// A message's events, after its retention ended (`history.rs`).
    pub keep_history: Duration,
}

impl Retention {
    /// How long a message decided in `category` keeps its personal data (ms), and the rule.
    fn of(&self, category: Category) -> (i64, &'static str) {
        let (keep, rule) = if category == Category::Processed {
            (self.keep_processed, "keep_processed")
        } else {
            (self.keep_other, "keep_other")
        };
        (i64::try_from(keep.as_millis()).unwrap_or(i64::MAX), rule)
    }
}

/// What a sweep did (or, dry, would do).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct SweepReport {
    /// Messages whose retention period ended in this sweep.
    pub expired: u64,
    /// Payloads deleted (every message of every receipt holding them expired).
    pub payloads_deleted: u64,
    /// The messages, for a dry run (at most 1000 listed).
    pub listed: Vec<StreamId>,
    /// Access-log periods whose key was destroyed (their client data now unreadable).
    pub access_periods_forgotten: u64,
    /// Note periods whose key was destroyed (the text of their notes now unreadable).
    pub note_periods_forgotten: u64,
    /// Messages and receipts whose history went (`keep_history` over).
    pub forgotten: super::history::Forgotten,
}

/// Where a category's sweep stopped: the next position to look at.
fn progress_key(code: u8) -> [u8; 2] {
    [b'c', code]
}

fn holder_key(digest: &[u8], receipt: &str) -> Vec<u8> {
    let mut key = vec![b'h'];
    key.extend_from_slice(digest);
    key.extend_from_slice(receipt.as_bytes());
    key
}

/// The key of the first receipt noted as holding a payload.
fn owner_key(digest: &[u8]) -> Vec<u8> {
    let mut key = vec![b'o'];
    key.extend_from_slice(digest);
    key
}

/// The key that says a second receipt was noted as holding a payload.
fn shared_key(digest: &[u8]) -> Vec<u8> {
    let mut key = vec![b's'];
    key.extend_from_slice(digest);
    key
}

/// The key that says every holder of this tree was noted with `o` and `s` keys.
const OWNERS_NOTED: &[u8] = b"owners";

/// Marks an empty retention tree as one whose payloads all have their first holder noted;
/// gives whether the tree is so marked.
///
/// # Errors
/// The tree cannot be read or written.
pub(crate) fn mark_owners_if_empty(
    tree: &crate::event_log::store::Tree,
) -> Result<bool, ReadError> {
    if tree.iter().next().is_none() {
        tree.insert(OWNERS_NOTED, []).map_err(storage)?;
        return Ok(true);
    }
    tree.contains_key(OWNERS_NOTED).map_err(storage)
}

/// Removes the note that `receipt` holds the payload `digest` (its history is forgotten).
pub(crate) fn forget_holder(
    batch: &mut crate::event_log::store::Batch,
    digest: &str,
    receipt: &StreamId,
) {
    if let Ok(raw) = hex::decode(digest) {
        batch.remove(holder_key(&raw, receipt.as_str()));
    }
}

pub(crate) fn expired_key(receipt: &str, message: &str) -> Vec<u8> {
    let mut key = vec![b'x'];
    key.extend_from_slice(receipt.as_bytes());
    key.push(0);
    key.extend_from_slice(message.as_bytes());
    key
}

fn expired_prefix(receipt: &str) -> Vec<u8> {
    let mut key = vec![b'x'];
    key.extend_from_slice(receipt.as_bytes());
    key.push(0);
    key
}

/// How many due messages a sweep ends in one append.
pub(crate) const SWEEP_BATCH: usize = 256;

/// What a walk over a state's list (`walk_due`) does with the messages that are due.
pub(crate) trait DueWork {
    /// Takes a due message: its entry in the list, its history, when it was decided.
    ///
    /// # Errors
    /// A storage failure.
    fn take(
        &mut self,
        log: &DiskEventLog,
        entry: pages::Entry,
        history: Vec<RecordedEvent>,
        decided_at_ms: i64,
    ) -> Result<(), ReadError>;

    /// Whether enough is taken to finish it now (the walk then goes on after).
    fn full(&self) -> bool;

    /// Finishes what was taken (and empties it).
    ///
    /// # Errors
    /// A storage failure.
    fn finish(&mut self, log: &DiskEventLog) -> Result<(), ReadError>;
}

/// Ending the retention of due messages, in batches (or, dry, counting them).
struct Expiring<'r> {
    due: Vec<Due>,
    rule: &'r str,
    dry_run: bool,
    report: &'r mut SweepReport,
}

impl DueWork for Expiring<'_> {
    fn take(
        &mut self,
        _log: &DiskEventLog,
        entry: pages::Entry,
        history: Vec<RecordedEvent>,
        decided_at_ms: i64,
    ) -> Result<(), ReadError> {
        let ended = history
            .iter()
            .any(|e| matches!(e.event, Event::RetentionExpired(_)));
        if !self.dry_run {
            self.due
                .push(Due::new(entry.stream, &history, decided_at_ms));
        } else if !ended {
            self.report.expired += 1;
            if self.report.listed.len() < 1000 {
                self.report.listed.push(entry.stream);
            }
        }
        Ok(())
    }

    fn full(&self) -> bool {
        self.due.len() >= SWEEP_BATCH
    }

    fn finish(&mut self, log: &DiskEventLog) -> Result<(), ReadError> {
        log.expire_all(&mut self.due, self.rule, self.report)
    }
}

/// A message whose retention period is over: what ending it needs of its events (a sweep
/// holds a batch of these, not their histories).
struct Due {
    stream: StreamId,
    /// Its last event's position and version; none for a stream without events.
    last: Option<(u64, u64)>,
    /// Whether its retention has ended already (a sweep repeated after a stop).
    ended: bool,
    /// The receipt it was read from and the payload's digest.
    read_from: Option<(StreamId, String)>,
    decided_at_ms: i64,
}

impl Due {
    fn new(stream: StreamId, history: &[RecordedEvent], decided_at_ms: i64) -> Self {
        Self {
            stream,
            last: history.last().map(|e| (e.position, e.version)),
            ended: history
                .iter()
                .any(|e| matches!(e.event, Event::RetentionExpired(_))),
            read_from: history.iter().find_map(|e| match &e.event {
                Event::MessageParsed(p) => Some((p.receipt.clone(), p.payload_digest.clone())),
                _ => None,
            }),
            decided_at_ms,
        }
    }
}

/// The append that ends a message's retention; none when it has ended already. Its event id
/// is derived from the stream and its last position, so a repeated sweep is recognised.
fn expiry(message: &Due, rule: &str) -> Option<StreamAppend> {
    let (position, version) = message.last?;
    if message.ended {
        return None;
    }
    let id = Sha256::digest(format!("retention {} {}", message.stream, position));
    let mut id_bytes = [0u8; 16];
    id_bytes.copy_from_slice(&id[..16]);
    Some(StreamAppend {
        stream: message.stream.clone(),
        expected: ExpectedVersion::Exactly(version),
        events: vec![NewEvent {
            id: EventId(u128::from_be_bytes(id_bytes)),
            event: Event::RetentionExpired(RetentionExpired {
                rule: rule.to_owned(),
                decided_at_ms: message.decided_at_ms,
            }),
        }],
    })
}

impl DiskEventLog {
    /// Notes the receipts that hold a payload, as their `MessageReceived` is appended.
    pub(crate) fn note_holder(&self, stream: &StreamId, event: &Event) -> Result<(), AppendError> {
        let Event::MessageReceived(received) = event else {
            return Ok(());
        };
        let Ok(digest) = hex::decode(&received.payload_digest) else {
            return Ok(());
        };
        let noting = |e| AppendError::Storage(format!("noting the payload's receipt: {e}"));
        let tree = &self.trees.retention;
        tree.insert(holder_key(&digest, stream.as_str()), [])
            .map_err(noting)?;
        if let Some(first) = tree
            .insert_if_absent(owner_key(&digest), stream.as_str())
            .map_err(noting)?
        {
            if first.as_ref() != stream.as_str().as_bytes() {
                tree.insert(shared_key(&digest), []).map_err(noting)?;
            }
        }
        Ok(())
    }

    /// Ends the retention period of every decided message that is due at `now_ms`; with
    /// `dry_run`, only counts and lists them.
    ///
    /// # Errors
    /// A damaged entry, a storage failure, or an append that failed.
    pub fn sweep_retention(
        &self,
        rules: Retention,
        now_ms: i64,
        dry_run: bool,
    ) -> Result<SweepReport, ReadError> {
        self.catch_up()?;
        let mut report = SweepReport::default();
        for category in Category::ALL {
            let (keep_ms, rule) = rules.of(category);
            self.sweep_state(
                State::Category(category),
                now_ms.saturating_sub(keep_ms),
                rule,
                dry_run,
                &mut report,
            )?;
        }
        if !dry_run {
            let history_ms = i64::try_from(rules.keep_history.as_millis()).unwrap_or(i64::MAX);
            for category in Category::ALL {
                let (keep_ms, _) = rules.of(category);
                self.forget_state(
                    State::Category(category),
                    now_ms.saturating_sub(keep_ms).saturating_sub(history_ms),
                    &mut report.forgotten,
                )?;
            }
            let keep_ms = i64::try_from(rules.keep_access_log.as_millis()).unwrap_or(i64::MAX);
            report.access_periods_forgotten = self
                .access_keys(rules.keep_access_log)
                .forget_before(now_ms.saturating_sub(keep_ms))
                .map_err(|e| ReadError::Storage(e.to_string()))?;
            let keep_ms = i64::try_from(rules.keep_notes.as_millis()).unwrap_or(i64::MAX);
            report.note_periods_forgotten = self
                .note_keys(rules.keep_notes)
                .forget_before(now_ms.saturating_sub(keep_ms))
                .map_err(|e| ReadError::Storage(e.to_string()))?;
        }
        Ok(report)
    }

    fn sweep_state(
        &self,
        state: State,
        decided_before_ms: i64,
        rule: &str,
        dry_run: bool,
        report: &mut SweepReport,
    ) -> Result<(), ReadError> {
        let mut work = Expiring {
            due: Vec::new(),
            rule,
            dry_run,
            report,
        };
        self.walk_due(
            state.code(),
            progress_key(state.code()),
            decided_before_ms,
            !dry_run,
            &mut work,
        )
    }

    /// Walks the list of state `code` from where the walk noted under `progress` stopped,
    /// handing each message decided before `decided_before_ms` to `work`, and stops at the
    /// first one that is not; with `save`, notes where it stopped.
    pub(crate) fn walk_due(
        &self,
        code: u8,
        progress: [u8; 2],
        decided_before_ms: i64,
        save: bool,
        work: &mut dyn DueWork,
    ) -> Result<(), ReadError> {
        let from = self
            .trees
            .retention
            .get(progress)
            .map_err(storage)?
            .and_then(|v| <[u8; 8]>::try_from(v.as_ref()).ok())
            .map_or(0, u64::from_be_bytes);
        let save_progress = |reached: u64| -> Result<(), ReadError> {
            if save {
                self.trees
                    .retention
                    .insert(progress, reached.to_be_bytes())
                    .map_err(storage)?;
            }
            Ok(())
        };
        let prefix = pages::list_prefix(code);
        // The page holding `from`, then the pages after it in position order.
        let holding = self
            .trees
            .projections
            .range(pages::page_key(code, from)..)
            .next()
            .transpose()
            .map_err(storage)?
            .map(|(key, _)| key.to_vec())
            .filter(|key| key.starts_with(&prefix));
        let mut upper = Bound::Included(holding.unwrap_or_else(|| pages::page_key(code, 0)));
        let mut reached = from;
        // One page at a time, each read anew: an iterator kept open across the sweep's writes
        // would hold every write buffer written meanwhile in memory until it ends.
        while let Some(page) = self
            .trees
            .projections
            .range((Bound::Included(prefix.to_vec()), upper.clone()))
            .next_back()
        {
            let (key, value) = page.map_err(storage)?;
            upper = Bound::Excluded(key.to_vec());
            let mut entries = pages::decode(&value)?;
            entries.sort_by_key(|e| e.position);
            for entry in entries.into_iter().filter(|e| e.position >= from) {
                // Neither ending retention nor forgetting needs personal data: no key opened.
                let history = self.read_sealed(&entry.stream)?;
                let Some(decided) = history.iter().find(|e| e.position == entry.position) else {
                    reached = entry.position + 1;
                    continue;
                };
                if decided.recorded_at_ms > decided_before_ms {
                    work.finish(self)?;
                    return save_progress(reached);
                }
                let next = entry.position + 1;
                let decided_at_ms = decided.recorded_at_ms;
                work.take(self, entry, history, decided_at_ms)?;
                if work.full() {
                    work.finish(self)?;
                    save_progress(next)?;
                }
                reached = next;
            }
        }
        work.finish(self)?;
        save_progress(reached)
    }

    /// Ends the retention of the messages in `due` (and empties it): their events in one
    /// append (one commit, a few chunks, one catch-up of the projections, instead of one of
    /// each per message: each of those rewrites the pages it touches), then
    /// each key, then each payload that was the last of its receipts'. A message asked to be
    /// resent meanwhile makes the append fail; then each is tried on its own.
    fn expire_all(
        &self,
        due: &mut Vec<Due>,
        rule: &str,
        report: &mut SweepReport,
    ) -> Result<(), ReadError> {
        if due.is_empty() {
            return Ok(());
        }
        // A message that entered the state twice is listed twice: one event ends it.
        let mut seen = std::collections::HashSet::new();
        let appends: Vec<StreamAppend> = due
            .iter()
            .filter(|message| seen.insert(message.stream.clone()))
            .filter_map(|message| expiry(message, rule))
            .collect();
        let appended = u64::try_from(appends.len()).unwrap_or(u64::MAX);
        let ended = if appends.is_empty() {
            Ok(())
        } else {
            self.append(appends).map(|_| ())
        };
        match ended {
            Ok(()) => {
                report.expired += appended;
                // The projections see the end of its retention before the payload can go:
                // the search index reads the client's tokens from it once more to remove them.
                self.catch_up()?;
                for message in due.iter() {
                    self.forget(message, report)?;
                }
            }
            Err(AppendError::WrongExpectedVersion { .. }) => {
                for message in due.iter() {
                    self.expire(message, rule, report)?;
                }
            }
            Err(e) => return Err(ReadError::Storage(e.to_string())),
        }
        due.clear();
        Ok(())
    }

    /// Ends one message's retention: the event, the key, then the payload if it was the last.
    fn expire(&self, message: &Due, rule: &str, report: &mut SweepReport) -> Result<(), ReadError> {
        if let Some(append) = expiry(message, rule) {
            match self.append(vec![append]) {
                Ok(_) => report.expired += 1,
                // Asked to resend meanwhile: it leaves this category; not due now.
                Err(AppendError::WrongExpectedVersion { .. }) => return Ok(()),
                Err(e) => return Err(ReadError::Storage(e.to_string())),
            }
        }
        self.catch_up()?;
        self.forget(message, report)
    }

    /// Destroys the key of a message whose retention ended and releases its payload.
    fn forget(&self, message: &Due, report: &mut SweepReport) -> Result<(), ReadError> {
        self.keys
            .destroy(&message.stream)
            .map_err(ReadError::Storage)?;
        if let Some((receipt, digest)) = &message.read_from {
            self.release_payload(&message.stream, receipt, digest, report)?;
        }
        Ok(())
    }

    /// Notes `message` of `receipt` as expired; deletes the payload when every message of
    /// every receipt holding it has.
    fn release_payload(
        &self,
        message: &StreamId,
        receipt: &StreamId,
        digest: &str,
        report: &mut SweepReport,
    ) -> Result<(), ReadError> {
        let tree = &self.trees.retention;
        let Ok(raw) = hex::decode(digest) else {
            return Ok(());
        };
        if self.sole_holder(&raw, receipt)? {
            return self.release_sole(&raw, receipt, message, report);
        }
        // Gone already (a sweep stopped after deleting it is repeated): nothing to note.
        if !self.trees.payloads.contains_key(&raw).map_err(storage)? {
            return Ok(());
        }
        tree.insert(expired_key(receipt.as_str(), message.as_str()), [])
            .map_err(storage)?;
        let Some(summary) = self.receipt(receipt)? else {
            return Ok(());
        };
        // Most interchanges hold one message: this one, so no walk over its expired ones.
        let alone = summary.messages == 1;
        if !alone && !self.receipt_done(receipt)? {
            return Ok(());
        }
        let mut holders = Vec::new();
        for holder in tree.scan_prefix(holder_key(&raw, "")) {
            let (key, _) = holder.map_err(storage)?;
            holders.push(String::from_utf8_lossy(&key[1 + raw.len()..]).into_owned());
        }
        for name in holders
            .iter()
            .filter(|name| name.as_str() != receipt.as_str())
        {
            // A receipt the log does not hold (its append failed after it was noted) keeps
            // nothing.
            match StreamId::parse(name) {
                Some(other) if self.receipt(&other)?.is_some() && !self.receipt_done(&other)? => {
                    return Ok(());
                }
                _ => {}
            }
        }
        let known = alone.then_some((receipt, message));
        let notes = self.holders_notes(&raw, &holders, known)?;
        // It was there (checked above), and only the sweep deletes payloads.
        self.delete_payload(&raw, notes, report)
    }

    /// Deletes the payload `raw_digest` and the `notes` about it in one batch over the two
    /// trees (a crash leaves both or neither), and counts it.
    fn delete_payload(
        &self,
        raw_digest: &[u8],
        notes: crate::event_log::store::Batch,
        report: &mut SweepReport,
    ) -> Result<(), ReadError> {
        let mut payload = crate::event_log::store::Batch::default();
        payload.remove(raw_digest);
        crate::event_log::store::apply_together(vec![
            (&self.trees.payloads, payload),
            (&self.trees.retention, notes),
        ])
        .map_err(storage)?;
        report.payloads_deleted += 1;
        Ok(())
    }

    /// The removal of what the sweep noted about a payload that goes: its holders (`h`) and
    /// their expired messages (`x`). They served only to decide when it could go; kept, they
    /// would make the data folder grow with every message ever received. `known`: a holder
    /// whose one expired message is known, so its notes are removed without a walk.
    fn holders_notes(
        &self,
        raw_digest: &[u8],
        holders: &[String],
        known: Option<(&StreamId, &StreamId)>,
    ) -> Result<crate::event_log::store::Batch, ReadError> {
        let tree = &self.trees.retention;
        let mut batch = crate::event_log::store::Batch::default();
        for name in holders {
            match known {
                Some((receipt, message)) if receipt.as_str() == name.as_str() => {
                    batch.remove(expired_key(name, message.as_str()));
                }
                _ => {
                    for expired in tree.scan_prefix(expired_prefix(name)) {
                        let (expired, _) = expired.map_err(storage)?;
                        batch.remove(expired);
                    }
                }
            }
            batch.remove(holder_key(raw_digest, name));
        }
        batch.remove(owner_key(raw_digest));
        batch.remove(shared_key(raw_digest));
        Ok(batch)
    }

    /// Whether `receipt`, holding one message, is the only receipt noted as holding the
    /// payload `raw_digest` (as far as the `o` and `s` notes tell: `false` when they cannot).
    fn sole_holder(&self, raw_digest: &[u8], receipt: &StreamId) -> Result<bool, ReadError> {
        if !self.owners_noted {
            return Ok(false);
        }
        let tree = &self.trees.retention;
        let first = tree.get(owner_key(raw_digest)).map_err(storage)?;
        if first.is_none_or(|first| first.as_ref() != receipt.as_str().as_bytes())
            || tree.contains_key(shared_key(raw_digest)).map_err(storage)?
        {
            return Ok(false);
        }
        Ok(self
            .receipt(receipt)?
            .is_some_and(|summary| summary.messages == 1))
    }

    /// Deletes the payload of `receipt`, its only holder, with its notes, in one batch.
    fn release_sole(
        &self,
        raw_digest: &[u8],
        receipt: &StreamId,
        message: &StreamId,
        report: &mut SweepReport,
    ) -> Result<(), ReadError> {
        let mut notes = crate::event_log::store::Batch::default();
        notes.remove(holder_key(raw_digest, receipt.as_str()));
        notes.remove(expired_key(receipt.as_str(), message.as_str()));
        notes.remove(owner_key(raw_digest));
        // The `o` note goes in the same batch as the payload (on either way), so it was there.
        self.delete_payload(raw_digest, notes, report)
    }

    /// Whether every message of `receipt` has expired.
    fn receipt_done(&self, receipt: &StreamId) -> Result<bool, ReadError> {
        let Some(summary) = self.receipt(receipt)? else {
            return Ok(false);
        };
        if summary.messages == 0 {
            return Ok(false);
        }
        let expired = self
            .trees
            .retention
            .scan_prefix(expired_prefix(receipt.as_str()))
            .count();
        Ok(expired >= usize::try_from(summary.messages).unwrap_or(usize::MAX))
    }
}
