//! The search index, in the `projections` tree beside the lists (so it is written in the same
//! batch as their checkpoint and rebuilt with them by `replay`). A message is indexed when its
//! `MessageParsed` is folded: its client's BSN and name and its author are read from the
//! payload once, and only keyed hashes of them are stored (HMAC-SHA-256 with a key derived
//! from the data key, cut to 8 bytes): no plain BSN or name is on disk for it. When its
//! retention period ends (`RetentionExpired`), its BSN and name entries are removed (the
//! retention sweep brings the projections up to date before it deletes the payload, so the
//! tokens can still be read from it); it can still be found by sender and date.
//!
//! Each list (a token's messages, or every message by date) is cut into pages as the lists
//! per state are (`pages.rs`): an entry per message and token would be several entries more per message
//! to write and to compact. A page's key is `q`, the
//! kind, the token hash (8; none for the date list) and `u64::MAX - m`, `m` the lowest
//! position in it; its entries are newest first: the position of the message's
//! `MessageParsed` (8), when it was received (ms, 8) and the message uuid (16).
//!
//! Kinds: `b` the BSN, `n` a start of a word of the client's name, `s` a word of the sender
//! (the interchange's sender id or mailbox, and the document's author), `d` every message.
//! `qv` holds the index's version (1 byte): without it, the projections are rebuilt.

use std::collections::HashMap;

use hmac::{Hmac, Mac};
use ketenpost_domain::events::{EventId, StreamId, StreamKind};
use ketenpost_domain::ports::ReadError;
use ketenpost_domain::search::{name_tokens, words, ClientFacts};
use sha2::Sha256;

use super::log_tree::storage;

/// The first byte of every key of the search index.
pub(crate) const PREFIX: u8 = b'q';
/// A BSN's entries.
pub(crate) const BSN: u8 = b'b';
/// A name word start's entries.
pub(crate) const NAME: u8 = b'n';
/// A sender word's entries.
pub(crate) const SENDER: u8 = b's';
/// Every message by the time it was received.
pub(crate) const DAY: u8 = b'd';
/// The key of the index's version.
pub(crate) const VERSION_KEY: [u8; 2] = [PREFIX, b'v'];
/// The index's version: a store whose projections lack it is rebuilt at catch-up.
pub(crate) const VERSION: u8 = 2;

/// A token of the search index: its kind and keyed hash.
pub(crate) type Token = (u8, [u8; 8]);

/// The key for the keyed hashes, derived from the data key.
#[derive(Clone)]
pub(crate) struct SearchKey([u8; 32]);

impl SearchKey {
    /// The search key belonging to `data_key`.
    pub(crate) fn derive(data_key: &[u8; 32]) -> Self {
        let mut derived = [0u8; 32];
        if let Ok(mut mac) = Hmac::<Sha256>::new_from_slice(data_key) {
            mac.update(b"ketenpost search index v1");
            derived.copy_from_slice(&mac.finalize().into_bytes());
        }
        Self(derived)
    }

    /// The hash of `word` of `kind`.
    pub(crate) fn token(&self, kind: u8, word: &str) -> [u8; 8] {
        let mut out = [0u8; 8];
        if let Ok(mut mac) = Hmac::<Sha256>::new_from_slice(&self.0) {
            mac.update(&[kind, 0]);
            mac.update(word.as_bytes());
            out.copy_from_slice(&mac.finalize().into_bytes()[..8]);
        }
        out
    }
}

/// The 16 bytes of a message stream's uuid; `None` for another stream.
pub(crate) fn message_uuid(stream: &StreamId) -> Option<[u8; 16]> {
    let hex_id = stream.as_str().strip_prefix("message-")?.replace('-', "");
    let bytes = hex::decode(hex_id).ok()?;
    <[u8; 16]>::try_from(bytes.as_slice()).ok()
}

/// The message stream of a uuid.
pub(crate) fn message_stream(uuid: [u8; 16]) -> StreamId {
    StreamId::new(StreamKind::Message, EventId(u128::from_be_bytes(uuid)))
}

/// The prefix of one list's pages (`qd` with `hash` absent).
pub(crate) fn list_prefix(kind: u8, hash: Option<[u8; 8]>) -> Vec<u8> {
    let mut key = vec![PREFIX, kind];
    if let Some(hash) = hash {
        key.extend_from_slice(&hash);
    }
    key
}

/// The key of the page of list `prefix` whose lowest position is `position`; also where to
/// start looking for the page that holds `position`.
pub(crate) fn page_key(prefix: &[u8], position: u64) -> Vec<u8> {
    let mut key = prefix.to_vec();
    key.extend_from_slice(&(u64::MAX - position).to_be_bytes());
    key
}

/// The most entries a page gets when it is filled.
pub(crate) const PAGE_ENTRIES: usize = 128;

/// The bytes of one entry.
const ENTRY: usize = 32;

/// One message in a list.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Posting {
    /// The position of its `MessageParsed`.
    pub position: u64,
    /// When it was received.
    pub received_ms: i64,
    /// Its uuid.
    pub uuid: [u8; 16],
}

/// Encodes a page (newest first).
pub(crate) fn encode(entries: &[Posting]) -> Vec<u8> {
    let mut value = Vec::with_capacity(entries.len() * ENTRY);
    for entry in entries {
        value.extend_from_slice(&entry.position.to_be_bytes());
        value.extend_from_slice(&entry.received_ms.to_be_bytes());
        value.extend_from_slice(&entry.uuid);
    }
    value
}

/// Decodes a page.
///
/// # Errors
/// A page whose length is not a whole number of entries.
pub(crate) fn decode(value: &[u8]) -> Result<Vec<Posting>, ReadError> {
    if !value.len().is_multiple_of(ENTRY) {
        return Err(ReadError::Storage(
            "a search index page does not read; run replay to rebuild the projections".into(),
        ));
    }
    Ok(value
        .chunks_exact(ENTRY)
        .map(|e| {
            let mut position = [0u8; 8];
            position.copy_from_slice(&e[..8]);
            let mut received = [0u8; 8];
            received.copy_from_slice(&e[8..16]);
            let mut uuid = [0u8; 16];
            uuid.copy_from_slice(&e[16..]);
            Posting {
                position: u64::from_be_bytes(position),
                received_ms: i64::from_be_bytes(received),
                uuid,
            }
        })
        .collect())
}

/// The key of the page of list `prefix` that holds `position`, if any.
///
/// # Errors
/// A storage failure.
pub(crate) fn page_holding(
    tree: &crate::event_log::store::Tree,
    prefix: &[u8],
    position: u64,
) -> Result<Option<Vec<u8>>, ReadError> {
    Ok(tree
        .range(page_key(prefix, position)..)
        .next()
        .transpose()
        .map_err(storage)?
        .map(|(key, _)| key.to_vec())
        .filter(|key| key.len() == prefix.len() + 8 && key.starts_with(prefix)))
}

/// The tokens of a message: its sender, and its client as the payload names them.
pub(crate) fn tokens(key: &SearchKey, senders: &[&str], facts: Option<&ClientFacts>) -> Vec<Token> {
    let mut tokens = Vec::new();
    let mut push = |kind: u8, word: &str| {
        let token = (kind, key.token(kind, word));
        if !tokens.contains(&token) {
            tokens.push(token);
        }
    };
    if let Some(facts) = facts {
        if let Some(bsn) = &facts.bsn {
            push(BSN, bsn);
        }
        for token in name_tokens(&facts.name) {
            push(NAME, &token);
        }
        for word in words(&facts.author) {
            push(SENDER, &word);
        }
    }
    for sender in senders {
        for word in words(sender) {
            push(SENDER, &word);
        }
    }
    tokens
}

/// Whether a token is client data (removed when retention ends).
pub(crate) fn is_client(kind: u8) -> bool {
    kind == BSN || kind == NAME
}

/// The changes of one window to the lists, written with the projections' batch.
#[derive(Default)]
pub(crate) struct ListChanges {
    /// Entries to add, per list prefix.
    pub added: HashMap<Vec<u8>, Vec<Posting>>,
    /// Entries to remove (position and uuid), per list prefix.
    pub removed: HashMap<Vec<u8>, Vec<(u64, [u8; 16])>>,
}

impl ListChanges {
    /// Adds message `posting` to the date list and the lists of `tokens`.
    pub(crate) fn add(&mut self, posting: Posting, tokens: &[Token]) {
        self.added
            .entry(list_prefix(DAY, None))
            .or_default()
            .push(posting);
        for (kind, hash) in tokens {
            self.added
                .entry(list_prefix(*kind, Some(*hash)))
                .or_default()
                .push(posting);
        }
    }

    /// Takes the message at `position` out of the lists of its client tokens.
    pub(crate) fn forget(&mut self, position: u64, uuid: [u8; 16], tokens: &[Token]) {
        for (kind, hash) in tokens.iter().filter(|(kind, _)| is_client(*kind)) {
            self.take_out(list_prefix(*kind, Some(*hash)), position, uuid);
        }
    }

    /// Takes the message at `position` out of every list: the date list and those of
    /// `tokens` (its history is forgotten, `history.rs`).
    pub(crate) fn forget_all(&mut self, position: u64, uuid: [u8; 16], tokens: &[Token]) {
        self.take_out(list_prefix(DAY, None), position, uuid);
        for (kind, hash) in tokens {
            self.take_out(list_prefix(*kind, Some(*hash)), position, uuid);
        }
    }

    fn take_out(&mut self, prefix: Vec<u8>, position: u64, uuid: [u8; 16]) {
        if let Some(added) = self.added.get_mut(&prefix) {
            let before = added.len();
            added.retain(|p| !(p.position == position && p.uuid == uuid));
            if added.len() < before {
                return;
            }
        }
        self.removed
            .entry(prefix)
            .or_default()
            .push((position, uuid));
    }

    /// Writes the changes into `batch`: removals from the pages holding them, additions
    /// topping up each list's newest page and filling new ones.
    ///
    /// # Errors
    /// A storage failure or a page that does not read.
    pub(crate) fn write(
        self,
        tree: &crate::event_log::store::Tree,
        batch: &mut crate::event_log::store::Batch,
    ) -> Result<(), ReadError> {
        let mut dirty: HashMap<Vec<u8>, Vec<Posting>> = HashMap::new();
        for (prefix, mut gone) in self.removed {
            // In list order, so that the messages of one page are taken out of it as loaded
            // once (a client's list holds all of its messages).
            gone.sort_unstable();
            let mut last_page: Option<Vec<u8>> = None;
            for (position, uuid) in gone {
                let is_posting = |p: &Posting| p.position == position && p.uuid == uuid;
                if let Some(page) = last_page.as_ref().and_then(|key| dirty.get_mut(key)) {
                    if crate::event_log::pages::take_out(page, is_posting) {
                        continue;
                    }
                }
                if let Some(key) = page_holding(tree, &prefix, position)? {
                    let page = load(tree, &mut dirty, key.clone())?;
                    crate::event_log::pages::take_out(page, is_posting);
                    last_page = Some(key);
                }
            }
        }
        for (prefix, mut entries) in self.added {
            entries.sort_by_key(|e| e.position);
            let mut rest = entries.as_slice();
            let newest = tree
                .scan_prefix(&prefix)
                .map(|entry| entry.map(|(key, _)| key))
                .find(|k| k.as_ref().map_or(true, |k| k.len() == prefix.len() + 8))
                .transpose()
                .map_err(storage)?;
            if let Some(head) = newest {
                let page = load(tree, &mut dirty, head.to_vec())?;
                let room = PAGE_ENTRIES.saturating_sub(page.len()).min(rest.len());
                let (top_up, left) = rest.split_at(room);
                page.splice(0..0, top_up.iter().rev().copied());
                rest = left;
            }
            for chunk in rest.chunks(PAGE_ENTRIES) {
                let newest_first: Vec<Posting> = chunk.iter().rev().copied().collect();
                batch.insert(page_key(&prefix, chunk[0].position), encode(&newest_first));
            }
        }
        for (key, page) in dirty {
            if page.is_empty() {
                batch.remove(key);
            } else {
                batch.insert(key, encode(&page));
            }
        }
        Ok(())
    }
}

/// A page as changed so far in this window.
fn load<'d>(
    tree: &crate::event_log::store::Tree,
    dirty: &'d mut HashMap<Vec<u8>, Vec<Posting>>,
    key: Vec<u8>,
) -> Result<&'d mut Vec<Posting>, ReadError> {
    if !dirty.contains_key(&key) {
        let stored = match tree.get(&key).map_err(storage)? {
            Some(value) => decode(&value)?,
            None => Vec::new(),
        };
        dirty.insert(key.clone(), stored);
    }
    dirty
        .get_mut(&key)
        .ok_or_else(|| ReadError::Storage("a search index page went missing".into()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keyed_hashes_depend_on_the_key_and_the_kind() {
        let one = SearchKey::derive(&[1; 32]);
        let two = SearchKey::derive(&[2; 32]);
        assert_ne!(one.token(BSN, "999999990"), two.token(BSN, "999999990"));
        assert_ne!(one.token(BSN, "jansen"), one.token(NAME, "jansen"));
        assert_eq!(one.token(NAME, "jansen"), one.token(NAME, "jansen"));
    }

    #[test]
    fn a_message_uuid_maps_back_to_its_stream() {
        let stream = StreamId::new(StreamKind::Message, EventId(0x0190_a5b2_dead_beef));
        let uuid = message_uuid(&stream).unwrap();
        assert_eq!(message_stream(uuid), stream);
        assert!(message_uuid(&StreamId::parse("receipt-1").unwrap()).is_none());
    }

    #[test]
    fn the_client_s_tokens_are_told_apart_from_the_sender_s() {
        let key = SearchKey::derive(&[3; 32]);
        let facts = ClientFacts {
            name: "Jan Jansen".into(),
            bsn: Some("999999990".into()),
            author: "Huisarts De Linde".into(),
        };
        let all = tokens(&key, &["500001"], Some(&facts));
        assert!(all.iter().any(|t| t.0 == BSN));
        let senders: Vec<_> = all.iter().filter(|t| !is_client(t.0)).collect();
        assert_eq!(senders.len(), 4, "huisarts, de, linde, 500001");
    }

    #[test]
    fn pages_round_trip_and_a_page_holds_its_positions() {
        let entries: Vec<Posting> = (0..3)
            .map(|i| Posting {
                position: 100 - i,
                received_ms: 5,
                uuid: [i as u8; 16],
            })
            .collect();
        assert_eq!(decode(&encode(&entries)).unwrap(), entries);
        assert!(decode(&encode(&entries)[..20]).is_err());
        let db = crate::event_log::store::Db::temporary();
        let tree = db.open_tree("p").unwrap();
        let prefix = list_prefix(BSN, Some([1; 8]));
        let mut changes = ListChanges::default();
        for (i, entry) in entries.iter().enumerate() {
            changes.add(*entry, &[(BSN, [1; 8])]);
            let _ = i;
        }
        let mut batch = crate::event_log::store::Batch::default();
        changes.write(&tree, &mut batch).unwrap();
        tree.apply_batch(batch).unwrap();
        let page = page_holding(&tree, &prefix, 99).unwrap().unwrap();
        assert_eq!(decode(&tree.get(page).unwrap().unwrap()).unwrap(), entries);
        let mut changes = ListChanges::default();
        changes.forget(99, [1; 16], &[(BSN, [1; 8]), (SENDER, [2; 8])]);
        let mut batch = crate::event_log::store::Batch::default();
        changes.write(&tree, &mut batch).unwrap();
        tree.apply_batch(batch).unwrap();
        let left = decode(&tree.get(page_key(&prefix, 98)).unwrap().unwrap()).unwrap();
        assert_eq!(left.len(), 2);
    }
}
