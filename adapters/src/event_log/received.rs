//! Which mailbox messages are recorded, so a redelivery is recognised and only deleted:
//! ZorgMail messages by mailbox and unique id, folder files by mailbox, name and content. Kept
//! in the log's index on disk (`index.rs`), written with each commit once it is durable, so
//! nothing of it grows in memory.
//!
//! One entry per received id: `i` and the hash of mailbox and id, its value the hashes of the
//! contents received with that id (16 bytes each; a folder file's name comes back with new
//! content). Both questions are then one read of one key, which the store answers from its
//! filters for an id it never saw: a new message costs no walk through the store's tables,
//! however many messages it holds. Each hash is the first half of the SHA-256 of its
//! length-prefixed parts: two different messages would have to share 128 bits of a SHA-256 to
//! be taken for one another.
//!
//! Folders written before keep other entries, read as well until the index is built anew:
//! `e`, the id's hash and the content's hash (an id is known when an entry starts with its
//! hash), and before those two per message, `m` and the id's hash, `c` and the content's hash.
//! The key `ids` says an index holds `i` entries only: it is written when an index starts
//! empty (a new folder, or an index built again from the log).

use std::collections::HashMap;

use ketenpost_domain::events::Event;
use ketenpost_domain::ports::ReadError;
use sha2::{Digest, Sha256};

use super::log_tree::storage;

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

/// The key of a received id's entry.
fn id_key(mailbox: &str, remote_id: &str) -> [u8; 17] {
    key(b'i', &[mailbox, remote_id])
}

/// The hash of a content received with an id, as its entry holds it.
fn content_hash(mailbox: &str, remote_id: &str, digest: &str) -> [u8; 16] {
    let mut hash = [0u8; 16];
    hash.copy_from_slice(&key(b'c', &[mailbox, remote_id, digest])[1..]);
    hash
}

/// The key that says an index holds `i` entries only.
pub(crate) const IDS_ONLY: &[u8] = b"ids";

/// The prefix of the entries of folders written before `i` (see the module documentation).
const ENTRY: u8 = b'e';

/// The key of an entry of a folder written before `i`, or (`digest` `None`) the prefix every
/// such entry of that mailbox and id starts with.
fn entry_key(mailbox: &str, remote_id: &str, digest: Option<&str>) -> Vec<u8> {
    let mut entry = Vec::with_capacity(33);
    entry.push(ENTRY);
    entry.extend_from_slice(&key(b'm', &[mailbox, remote_id])[1..]);
    if let Some(digest) = digest {
        entry.extend_from_slice(&content_hash(mailbox, remote_id, digest));
    }
    entry
}

/// The received messages of one index batch: each id's entry as read from the store and
/// extended with what the batch adds.
#[derive(Default)]
pub(crate) struct Notes {
    entries: HashMap<[u8; 17], Vec<u8>>,
}

impl Notes {
    /// Adds the content of a `MessageReceived` to its id's entry.
    ///
    /// # Errors
    /// The entry cannot be read.
    pub(crate) fn note(
        &mut self,
        tree: &crate::event_log::store::Tree,
        event: &Event,
    ) -> Result<(), ReadError> {
        let Event::MessageReceived(r) = event else {
            return Ok(());
        };
        let key = id_key(&r.mailbox, &r.remote_id);
        let contents = match self.entries.entry(key) {
            std::collections::hash_map::Entry::Occupied(known) => known.into_mut(),
            std::collections::hash_map::Entry::Vacant(new) => {
                let stored = tree.get(key).map_err(storage)?;
                new.insert(stored.map(|v| v.to_vec()).unwrap_or_default())
            }
        };
        let hash = content_hash(&r.mailbox, &r.remote_id, &r.payload_digest);
        if !contents.chunks_exact(16).any(|c| c == hash) {
            contents.extend_from_slice(&hash);
        }
        Ok(())
    }

    /// Writes the entries into the index batch.
    pub(crate) fn write(self, batch: &mut crate::event_log::store::Batch) {
        for (key, contents) in self.entries {
            batch.insert(key, contents);
        }
    }
}

/// Takes the content `digest` of a receipt whose history was forgotten (`history.rs`) out of
/// its id's entry in `batch`, and the entry itself when nothing else was received with that
/// id: a redelivery of it is then taken for a new message.
///
/// # Errors
/// The entry cannot be read.
pub(crate) fn forget(
    tree: &crate::event_log::store::Tree,
    batch: &mut crate::event_log::store::Batch,
    mailbox: &str,
    remote_id: &str,
    digest: &str,
) -> Result<(), ReadError> {
    let key = id_key(mailbox, remote_id);
    let Some(stored) = tree.get(key).map_err(storage)? else {
        return Ok(());
    };
    let hash = content_hash(mailbox, remote_id, digest);
    let rest: Vec<u8> = stored
        .chunks_exact(16)
        .filter(|c| *c != hash)
        .flatten()
        .copied()
        .collect();
    if rest.is_empty() {
        batch.remove(key);
    } else {
        batch.insert(key, rest);
    }
    Ok(())
}

/// Marks an empty index as one that holds `i` entries only.
///
/// # Errors
/// The index cannot be read or written.
pub(crate) fn mark_if_empty(tree: &crate::event_log::store::Tree) -> Result<(), ReadError> {
    if tree.iter().next().is_none() {
        tree.insert(IDS_ONLY, []).map_err(storage)?;
    }
    Ok(())
}

/// The mailbox messages a log records as received (a handle on its index).
#[derive(Clone)]
pub struct Received {
    pub(crate) tree: crate::event_log::store::Tree,
    /// Whether the index holds `i` entries only (nothing of a folder written before).
    pub(crate) ids_only: bool,
}

impl Received {
    /// A handle on the index in `tree`.
    pub(crate) fn new(tree: crate::event_log::store::Tree) -> Self {
        let ids_only = tree.contains_key(IDS_ONLY).unwrap_or(false);
        Self { tree, ids_only }
    }

    /// Whether a message with this id came from this mailbox before. A storage failure
    /// answers `false`: the message is then recorded again rather than deleted unrecorded.
    pub fn has_id(&self, mailbox: &str, remote_id: &str) -> bool {
        if self
            .tree
            .contains_key(id_key(mailbox, remote_id))
            .unwrap_or(false)
        {
            return true;
        }
        if self.ids_only {
            return false;
        }
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
        let hash = content_hash(mailbox, remote_id, digest);
        let known = self
            .tree
            .get(id_key(mailbox, remote_id))
            .ok()
            .flatten()
            .is_some_and(|contents| contents.chunks_exact(16).any(|c| c == hash));
        if known || self.ids_only {
            return known;
        }
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
        mark_if_empty(&tree).unwrap();
        add(&tree, events);
        Received::new(tree)
    }

    fn add(tree: &crate::event_log::store::Tree, events: &[Event]) {
        let mut notes = Notes::default();
        for event in events {
            notes.note(tree, event).unwrap();
        }
        let mut batch = crate::event_log::store::Batch::default();
        notes.write(&mut batch);
        tree.apply_batch(batch).unwrap();
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
    fn one_entry_per_id_holds_every_content_received_with_it() {
        let seen = index_of(&[
            received("drop", "letter.edi", "d1"),
            received("drop", "letter.edi", "d2"),
        ]);
        add(&seen.tree, &[received("drop", "letter.edi", "d3")]);
        add(&seen.tree, &[received("drop", "letter.edi", "d1")]);
        let entries = seen.tree.iter().count();
        assert_eq!(entries, 2, "the marker and one entry");
        for digest in ["d1", "d2", "d3"] {
            assert!(seen.has_content("drop", "letter.edi", digest), "{digest}");
        }
        assert!(!seen.has_content("drop", "letter.edi", "d4"));
    }

    #[test]
    fn the_entries_of_folders_written_before_are_read() {
        let db = crate::event_log::store::Db::temporary();
        let tree = db.open_tree("index").unwrap();
        tree.insert(entry_key("lab", "4711", Some("d1")), [])
            .unwrap();
        tree.insert(key(b'm', &["lab", "4712"]), []).unwrap();
        tree.insert(key(b'c', &["drop", "a.edi", "d2"]), [])
            .unwrap();
        mark_if_empty(&tree).unwrap();
        let seen = Received::new(tree);
        assert!(!seen.ids_only, "a folder with entries is not marked");
        assert!(seen.has_id("lab", "4711"));
        assert!(seen.has_content("lab", "4711", "d1"));
        assert!(seen.has_id("lab", "4712"));
        assert!(!seen.has_id("lab", "4713"));
        assert!(seen.has_content("drop", "a.edi", "d2"));
        assert!(!seen.has_content("drop", "a.edi", "d3"));
        add(&seen.tree, &[received("lab", "4713", "d9")]);
        assert!(
            seen.has_id("lab", "4713"),
            "new messages as in a new folder"
        );
    }

    #[test]
    fn a_file_is_known_only_with_the_same_name_and_content() {
        let seen = index_of(&[received("drop", "letter.edi", "d1")]);
        assert!(seen.ids_only);
        assert!(seen.has_content("drop", "letter.edi", "d1"));
        assert!(!seen.has_content("drop", "letter.edi", "d2"), "new content");
        assert!(!seen.has_content("drop", "other.edi", "d1"), "another name");
        assert!(
            !seen.has_content("lab", "letter.edi", "d1"),
            "another mailbox"
        );
    }
}
