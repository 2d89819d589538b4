//! Which mailbox messages are already recorded, so a redelivery is recognised and only deleted:
//! ZorgMail messages by mailbox and unique id, folder files by mailbox, name and content.
//!
//! The daemon keeps this for every message it ever recorded, for as long as it runs, so each
//! entry is kept as 16 bytes: the first half of the SHA-256 of its length-prefixed parts. As
//! strings (the mailbox, the id, the digest in hex, each its own allocation) the two entries of
//! a message took some 300 bytes. Two different messages would have to share 128 bits of a
//! SHA-256 to be taken for one another.

use std::collections::HashSet;
use std::sync::Mutex;

use ketenpost_adapters::event_log::SledEventLog;
use ketenpost_domain::events::Event;
use ketenpost_domain::ports::{EventLog, ReadError};
use sha2::{Digest, Sha256};

/// The index, built from the log at start and kept up to date by the pullers.
#[derive(Debug, Default)]
pub struct Seen {
    by_id: Mutex<HashSet<u128>>,
    by_content: Mutex<HashSet<u128>>,
}

/// The key of `parts`: each part length-prefixed, so ("ab", "c") and ("a", "bc") differ.
fn key(parts: &[&str]) -> u128 {
    let mut hash = Sha256::new();
    for part in parts {
        hash.update((part.len() as u64).to_be_bytes());
        hash.update(part.as_bytes());
    }
    let digest = hash.finalize();
    let mut first = [0u8; 16];
    first.copy_from_slice(&digest[..16]);
    u128::from_be_bytes(first)
}

impl Seen {
    /// Every message the log records as received: the receipts the projections hold, then
    /// the `MessageReceived` events after their checkpoint (none, once they are caught up).
    /// Reading the receipts instead of every event of the log makes a start on a long log
    /// several times faster.
    ///
    /// # Errors
    /// The log or the projections cannot be read.
    pub fn load(log: &SledEventLog) -> Result<Self, ReadError> {
        let seen = Self::default();
        let mut from =
            log.each_receipt(|r| seen.add(&r.mailbox, &r.remote_id, &r.payload_digest))?;
        loop {
            let events = log.read_all(from, 8192)?;
            let Some(last) = events.last() else {
                break;
            };
            from = last.position + 1;
            for event in &events {
                if let Event::MessageReceived(r) = &event.event {
                    seen.add(&r.mailbox, &r.remote_id, &r.payload_digest);
                }
            }
        }
        Ok(seen)
    }

    /// Notes a recorded message.
    pub fn add(&self, mailbox: &str, remote_id: &str, digest: &str) {
        if let Ok(mut ids) = self.by_id.lock() {
            ids.insert(key(&[mailbox, remote_id]));
        }
        if let Ok(mut contents) = self.by_content.lock() {
            contents.insert(key(&[mailbox, remote_id, digest]));
        }
    }

    /// Whether a message with this id came from this mailbox before.
    pub fn has_id(&self, mailbox: &str, remote_id: &str) -> bool {
        let key = key(&[mailbox, remote_id]);
        self.by_id.lock().is_ok_and(|ids| ids.contains(&key))
    }

    /// Whether this name with this content came from this mailbox before.
    pub fn has_content(&self, mailbox: &str, remote_id: &str, digest: &str) -> bool {
        let key = key(&[mailbox, remote_id, digest]);
        self.by_content.lock().is_ok_and(|c| c.contains(&key))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::intake::{receive_and_process, Arrival};
    use ketenpost_adapters::event_log::LogOptions;

    fn arrival(remote_id: &str) -> Arrival {
        Arrival {
            mailbox: "lab".into(),
            remote_id: remote_id.into(),
            bytes: format!("not EDIFACT {remote_id}").into_bytes(),
            envelope: None,
            place_incoming_pdf: false,
        }
    }

    #[test]
    fn load_finds_receipts_in_the_projections_and_after_their_checkpoint() {
        let folder = std::env::temp_dir().join(format!("ketenpost-seen-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&folder);
        let log = SledEventLog::open(&LogOptions::new(&folder)).unwrap();
        receive_and_process(&log, vec![arrival("1"), arrival("2")]).unwrap();
        log.catch_up().unwrap();
        receive_and_process(&log, vec![arrival("3")]).unwrap();
        assert!(
            log.checkpoint().unwrap() < log.next_position(),
            "3 is not projected yet"
        );

        let seen = Seen::load(&log).unwrap();
        for id in ["1", "2", "3"] {
            assert!(seen.has_id("lab", id), "message {id} is known");
        }
        assert!(!seen.has_id("lab", "4"));
        let digest = ketenpost_adapters::event_log::digest_of(b"not EDIFACT 2");
        assert!(seen.has_content("lab", "2", &digest));
        drop(log);
        let _ = std::fs::remove_dir_all(&folder);
    }

    #[test]
    fn an_id_is_known_only_for_its_own_mailbox() {
        let seen = Seen::default();
        seen.add("lab", "4711", "d1");
        assert!(seen.has_id("lab", "4711"));
        assert!(!seen.has_id("drop", "4711"));
        assert!(!seen.has_id("lab", "4712"));
        assert!(!seen.has_id("la", "b4711"), "parts are not run together");
    }

    #[test]
    fn a_file_is_known_only_with_the_same_name_and_content() {
        let seen = Seen::default();
        seen.add("drop", "letter.edi", "d1");
        assert!(seen.has_content("drop", "letter.edi", "d1"));
        assert!(!seen.has_content("drop", "letter.edi", "d2"), "new content");
        assert!(!seen.has_content("drop", "other.edi", "d1"), "another name");
        assert!(
            !seen.has_content("lab", "letter.edi", "d1"),
            "another mailbox"
        );
    }
}
