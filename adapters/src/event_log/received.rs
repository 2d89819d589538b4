//! Which mailbox messages are recorded, so a redelivery is recognised and only deleted:
//! ZorgMail messages by mailbox and unique id, folder files by mailbox, name and content. Kept
//! in the log's index on disk (`index.rs`), written with each commit once it is durable, so
//! nothing of it grows in memory.
//!
//! One entry per received message (fewer entries are less for the store to write and
//! compact): `e`, the hash of mailbox and id, the hash of mailbox, id and content. An id
//! is known when an entry starts with its hash, a content when the whole key is there. Folders
//! written before keep two entries per message, `m` and the id's hash, `c` and the content's
//! hash, and are read as well. Each hash is the first half of the SHA-256 of its
//! length-prefixed parts: two different messages would have to share 128 bits of a SHA-256 to
//! be taken for one another.

use ketenpost_domain::events::Event;
use sha2::{Digest, Sha256};

/// The key of `parts`: each part length-prefixed, so ("ab", "c") and ("a", "bc") differ.
fn key(kind: u8, parts: &[&str]) -> [u8; 17] {
    let mut hash = Sha256::new();
    for part in parts {
        hash.update((part.len() as u64).to_be_bytes());
        hash.update(part.as_bytes());
    }
    let digest = hash.finalize();
    let mut key = [0u8; 17];
    key[0] = kind;
    key[1..].copy_from_slice(&digest[..16]);
    key
}

/// The prefix of the entry of a received message.
const ENTRY: u8 = b'e';

/// The key of a message's entry, or (`digest` `None`) the prefix every entry of that mailbox
/// and id starts with.
fn entry_key(mailbox: &str, remote_id: &str, digest: Option<&str>) -> Vec<u8> {
    let mut entry = Vec::with_capacity(33);
    entry.push(ENTRY);
    entry.extend_from_slice(&key(b'm', &[mailbox, remote_id])[1..]);
    if let Some(digest) = digest {
        entry.extend_from_slice(&key(b'c', &[mailbox, remote_id, digest])[1..]);
    }
    entry
}

/// Adds the entry of a `MessageReceived` to an index batch.
pub(crate) fn note(batch: &mut crate::event_log::store::Batch, event: &Event) {
    if let Event::MessageReceived(r) = event {
        batch.insert(
            entry_key(&r.mailbox, &r.remote_id, Some(&r.payload_digest)),
            [],
        );
    }
}

/// The mailbox messages a log records as received (a handle on its index).
#[derive(Clone)]
pub struct Received {
    pub(crate) tree: crate::event_log::store::Tree,
}

impl Received {
    /// Whether a message with this id came from this mailbox before. A storage failure
    /// answers `false`: the message is then recorded again rather than deleted unrecorded.
    pub fn has_id(&self, mailbox: &str, remote_id: &str) -> bool {
        let entry = self
            .tree
            .scan_prefix(entry_key(mailbox, remote_id, None))
            .next();
        matches!(entry, Some(Ok(_)))
            || self
                .tree
                .contains_key(key(b'm', &[mailbox, remote_id]))
                .unwrap_or(false)
    }

    /// Whether this name with this content came from this mailbox before.
    pub fn has_content(&self, mailbox: &str, remote_id: &str, digest: &str) -> bool {
        self.tree
            .contains_key(entry_key(mailbox, remote_id, Some(digest)))
            .unwrap_or(false)
            || self
                .tree
                .contains_key(key(b'c', &[mailbox, remote_id, digest]))
                .unwrap_or(false)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use ketenpost_domain::events::MessageReceived;
    use ketenpost_domain::payload::Format;

    fn received(mailbox: &str, remote_id: &str, digest: &str) -> Event {
        Event::MessageReceived(MessageReceived {
            mailbox: mailbox.into(),
            remote_id: remote_id.into(),
            payload_digest: digest.into(),
            size: 1,
            format: Format::Edifact,
            envelope: None,
        })
    }

    fn index_of(events: &[Event]) -> Received {
        let db = crate::event_log::store::Db::temporary();
        let tree = db.open_tree("index").unwrap();
        let mut batch = crate::event_log::store::Batch::default();
        for event in events {
            note(&mut batch, event);
        }
        tree.apply_batch(batch).unwrap();
        Received { tree }
    }

    #[test]
    fn an_id_is_known_only_for_its_own_mailbox() {
        let seen = index_of(&[received("lab", "4711", "d1")]);
        assert!(seen.has_id("lab", "4711"));
        assert!(!seen.has_id("drop", "4711"));
        assert!(!seen.has_id("lab", "4712"));
        assert!(!seen.has_id("la", "b4711"), "parts are not run together");
    }

    #[test]
    fn one_entry_per_message_and_the_two_of_folders_written_before_are_read() {
        let seen = index_of(&[received("lab", "4711", "d1")]);
        assert_eq!(seen.tree.iter().count(), 1, "one entry");
        seen.tree.clear().unwrap();
        seen.tree.insert(key(b'm', &["lab", "4711"]), []).unwrap();
        seen.tree
            .insert(key(b'c', &["drop", "a.edi", "d2"]), [])
            .unwrap();
        assert!(seen.has_id("lab", "4711"));
        assert!(!seen.has_id("lab", "4712"));
        assert!(seen.has_content("drop", "a.edi", "d2"));
        assert!(!seen.has_content("drop", "a.edi", "d3"));
    }

    #[test]
    fn a_file_is_known_only_with_the_same_name_and_content() {
        let seen = index_of(&[received("drop", "letter.edi", "d1")]);
        assert!(seen.has_content("drop", "letter.edi", "d1"));
        assert!(!seen.has_content("drop", "letter.edi", "d2"), "new content");
        assert!(!seen.has_content("drop", "other.edi", "d1"), "another name");
        assert!(
            !seen.has_content("lab", "letter.edi", "d1"),
            "another mailbox"
        );
    }
}
