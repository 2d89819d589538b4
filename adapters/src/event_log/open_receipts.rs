//! The receipts not processed yet (no message stream made from their payload), kept as keys
//! of the `projections` tree (`o` and the receipt stream id, no value) as the projections are
//! brought up to date (`fold.rs`). A start takes them up (`intake::resume`) by reading these
//! keys, not every receipt: its cost is what a crash left open, not what the log holds.
//!
//! Projections made before these keys existed get them once: the first catch-up after the
//! upgrade reads every receipt and notes the open ones, in one batch with the marker
//! (`k` `open-receipts`) that says it is done.

use ketenpost_domain::events::StreamId;
use ketenpost_domain::ports::ReadError;
use ketenpost_domain::projections::ReceiptSummary;

use super::disk_log::DiskEventLog;
use super::log_tree::storage;
use super::pages;

/// The prefix of the open receipts' keys, followed by the receipt stream id.
pub(crate) const OPEN_PREFIX: u8 = b'o';

/// The marker: the open receipts are noted (value: empty).
const MARKER: &str = "open-receipts";

/// The key that says `stream` is open.
pub(crate) fn open_key(stream: &StreamId) -> Vec<u8> {
    let mut key = vec![OPEN_PREFIX];
    key.extend_from_slice(stream.as_str().as_bytes());
    key
}

/// Whether a receipt, as the projections hold it, still waits to be processed.
pub(crate) fn is_open(receipt: Option<&ReceiptSummary>) -> bool {
    receipt.is_some_and(|r| r.messages == 0)
}

/// Notes in `batch` that the open receipts are kept (every batch of a catch-up says so).
pub(crate) fn mark(batch: &mut crate::event_log::store::Batch) {
    batch.insert(pages::checkpoint_key(MARKER), []);
}

impl DiskEventLog {
    /// Receipts whose payload was not processed yet (no message stream made from it), as of
    /// the projections' checkpoint.
    ///
    /// # Errors
    /// A storage failure, or a key or summary that cannot be read.
    pub fn unprocessed_receipts(&self) -> Result<Vec<ReceiptSummary>, ReadError> {
        let mut open = Vec::new();
        for entry in self.trees.projections.scan_prefix([OPEN_PREFIX]) {
            let (key, _) = entry.map_err(storage)?;
            let stream = std::str::from_utf8(&key[1..])
                .ok()
                .and_then(StreamId::parse)
                .ok_or_else(|| {
                    ReadError::Storage(format!(
                        "an open receipt's key does not read: {}",
                        String::from_utf8_lossy(&key)
                    ))
                })?;
            if let Some(receipt) = self.stored_receipt(&stream)?.filter(|r| r.messages == 0) {
                open.push(receipt);
            }
        }
        Ok(open)
    }

    /// Notes the open receipts of projections made before they were kept: once, by reading
    /// every receipt. The caller holds the projections' lock.
    ///
    /// # Errors
    /// A storage failure, or a summary that cannot be read.
    pub(crate) fn note_open_receipts_once(&self) -> Result<(), ReadError> {
        let tree = &self.trees.projections;
        if tree
            .contains_key(pages::checkpoint_key(MARKER))
            .map_err(storage)?
        {
            return Ok(());
        }
        let mut batch = crate::event_log::store::Batch::default();
        let mut noted = 0_u64;
        self.each_receipt(|receipt| {
            if is_open(Some(&receipt)) {
                batch.insert(open_key(&receipt.stream), []);
                noted += 1;
            }
        })?;
        mark(&mut batch);
        tree.apply_batch(batch).map_err(storage)?;
        if self.checkpoint()? > 0 {
            tracing::info!(
                open = noted,
                "the projections now note the receipts not processed yet (once)"
            );
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::event_log::LogOptions;
    use ketenpost_domain::events::{Event, EventId, MessageReceived, NewEvent, StreamKind};
    use ketenpost_domain::payload::Format;
    use ketenpost_domain::ports::{EventLog, ExpectedVersion, StreamAppend};

    fn received(receipt: &StreamId, n: u128) -> StreamAppend {
        StreamAppend {
            stream: receipt.clone(),
            expected: ExpectedVersion::NoStream,
            events: vec![NewEvent {
                id: EventId(n),
                event: Event::MessageReceived(MessageReceived {
                    mailbox: "manual".into(),
                    remote_id: format!("{n}.edi"),
                    payload_digest: "00".repeat(32),
                    size: 10,
                    format: Format::Edifact,
                    envelope: None,
                }),
            }],
        }
    }

    #[test]
    fn projections_from_before_the_open_keys_get_them_at_the_first_catch_up() {
        let folder =
            std::env::temp_dir().join(format!("ketenpost-open-receipts-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&folder);
        let receipt = StreamId::new(StreamKind::Receipt, EventId(7));
        {
            let log = DiskEventLog::open(&LogOptions::new(&folder)).unwrap();
            log.append(vec![received(&receipt, 7)]).unwrap();
            log.catch_up().unwrap();
            // What projections of an earlier version hold: the receipt, no open key, no marker.
            let tree = &log.trees.projections;
            tree.remove(open_key(&receipt)).unwrap();
            tree.remove(pages::checkpoint_key(MARKER)).unwrap();
            assert!(log.unprocessed_receipts().unwrap().is_empty());
        }
        let log = DiskEventLog::open(&LogOptions::new(&folder)).unwrap();
        assert_eq!(log.catch_up().unwrap(), 0, "nothing new to fold");
        let open = log.unprocessed_receipts().unwrap();
        assert_eq!(open.len(), 1);
        assert_eq!(open[0].stream, receipt);
        drop(log);
        let _ = std::fs::remove_dir_all(&folder);
    }
}
