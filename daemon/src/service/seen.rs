//! Which mailbox messages are already recorded, so a redelivery is recognised and only deleted:
//! ZorgMail messages by mailbox and unique id, folder files by mailbox, name and content.
//!
//! The log keeps this in its index on disk (`adapters/src/event_log/received.rs`), written
//! with each commit once it is durable: nothing of it grows in memory with the messages
//! recorded, and a start does not read the log or the receipts to build it.

use ketenpost_adapters::event_log::{DiskEventLog, Received};
use ketenpost_domain::ports::ReadError;

/// The messages the log records as received.
pub struct Seen {
    received: Received,
}

impl std::fmt::Debug for Seen {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Seen")
    }
}

impl Seen {
    /// The received messages of `log`.
    ///
    /// # Errors
    /// None now (the index is on disk); kept for callers that load it at start.
    pub fn load(log: &DiskEventLog) -> Result<Self, ReadError> {
        Ok(Self {
            received: log.received(),
        })
    }

    /// Notes a recorded message: nothing to do, the log indexed it with its commit before the
    /// append returned.
    pub fn add(&self, _mailbox: &str, _remote_id: &str, _digest: &str) {}

    /// Whether a message with this id came from this mailbox before.
    pub fn has_id(&self, mailbox: &str, remote_id: &str) -> bool {
        self.received.has_id(mailbox, remote_id)
    }

    /// Whether this name with this content came from this mailbox before.
    pub fn has_content(&self, mailbox: &str, remote_id: &str, digest: &str) -> bool {
        self.received.has_content(mailbox, remote_id, digest)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::intake::{receive_and_process, Arrival};
    use ketenpost_adapters::event_log::LogOptions;
    use ketenpost_domain::ports::EventLog;

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
        let log = DiskEventLog::open(&LogOptions::new(&folder)).unwrap();
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
}
