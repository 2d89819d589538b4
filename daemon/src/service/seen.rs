//! Which mailbox messages are already recorded, so a redelivery is recognised and only deleted:
//! ZorgMail messages by mailbox and unique id, folder files by mailbox, name and content.

use std::collections::HashSet;
use std::sync::Mutex;

use ketenpost_domain::events::Event;
use ketenpost_domain::ports::{EventLog, ReadError};

/// The index, built from the log at start and kept up to date by the pullers.
#[derive(Debug, Default)]
pub struct Seen {
    by_id: Mutex<HashSet<(String, String)>>,
    by_content: Mutex<HashSet<(String, String, String)>>,
}

impl Seen {
    /// Reads every `MessageReceived` in the log.
    ///
    /// # Errors
    /// The log cannot be read.
    pub fn load(log: &impl EventLog) -> Result<Self, ReadError> {
        let seen = Self::default();
        let mut from = 0;
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
            ids.insert((mailbox.to_owned(), remote_id.to_owned()));
        }
        if let Ok(mut contents) = self.by_content.lock() {
            contents.insert((mailbox.to_owned(), remote_id.to_owned(), digest.to_owned()));
        }
    }

    /// Whether a message with this id came from this mailbox before.
    pub fn has_id(&self, mailbox: &str, remote_id: &str) -> bool {
        self.by_id
            .lock()
            .is_ok_and(|ids| ids.contains(&(mailbox.to_owned(), remote_id.to_owned())))
    }

    /// Whether this name with this content came from this mailbox before.
    pub fn has_content(&self, mailbox: &str, remote_id: &str, digest: &str) -> bool {
        self.by_content.lock().is_ok_and(|c| {
            c.contains(&(mailbox.to_owned(), remote_id.to_owned(), digest.to_owned()))
        })
    }
}
