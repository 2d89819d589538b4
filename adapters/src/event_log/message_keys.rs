//! A key per message, for crypto-shredding: the personal text of a message's events
//! (`Event::personal_text_mut`) is sealed with the message's own random key when appended, and
//! opened with it when read. When the message's retention period ends the key is destroyed:
//! its events stay (counts, timelines, the audit trail) but that text reads as
//! "verwijderd na de bewaartermijn" for good.
//!
//! The keys are kept in the tree `message_keys` (message stream id -> the 32-byte key,
//! sealed with the data key, so the data folder alone does not give them away).

use ketenpost_domain::events::{
    Event, RecordedEvent, StreamId, StreamKind, REMOVED_AFTER_RETENTION,
};
use ketenpost_domain::ports::{AppendError, ReadError};

use crate::sealed;

/// What the personal text of an event whose key is present but does not open reads as.
const UNREADABLE: &str = "(onleesbaar: beschadigd of een ander sleutelbestand)";

/// The message keys of a data folder.
#[derive(Clone)]
pub(crate) struct MessageKeys {
    tree: crate::event_log::store::Tree,
    data_key: [u8; 32],
}

impl MessageKeys {
    pub(crate) fn new(tree: crate::event_log::store::Tree, data_key: [u8; 32]) -> Self {
        Self { tree, data_key }
    }

    /// The stored (sealed) key of `stream`, if it has one.
    fn stored(&self, stream: &StreamId) -> Result<Option<crate::event_log::store::Value>, String> {
        self.tree
            .get(stream.as_str())
            .map_err(|e| format!("reading the key of {stream}: {e}"))
    }

    /// Opens a stored key with the data key; `None` when it is damaged or sealed with another.
    fn unwrap_key(&self, stored: &[u8]) -> Option<[u8; 32]> {
        let text = std::str::from_utf8(stored).ok()?;
        sealed::open(&self.data_key, text).ok()?.try_into().ok()
    }

    /// The key of `stream`, if it has one.
    fn key(&self, stream: &StreamId) -> Result<Option<[u8; 32]>, String> {
        match self.stored(stream)? {
            None => Ok(None),
            Some(stored) => self.unwrap_key(&stored).map(Some).ok_or_else(|| {
                format!("the key of {stream} is damaged or sealed with another data key")
            }),
        }
    }

    /// The key of `stream`, made when it has none yet.
    fn key_or_new(&self, stream: &StreamId) -> Result<[u8; 32], String> {
        if let Some(key) = self.key(stream)? {
            return Ok(key);
        }
        let mut key = [0u8; 32];
        getrandom::getrandom(&mut key).map_err(|e| format!("no randomness for a key: {e}"))?;
        let stored = sealed::seal(&self.data_key, &key).map_err(|e| e.to_string())?;
        match self
            .tree
            .insert_if_absent(stream.as_str(), stored.as_bytes())
            .map_err(|e| format!("storing the key of {stream}: {e}"))?
        {
            None => Ok(key),
            // Another append made it first: use that one.
            Some(_) => self
                .key(stream)?
                .ok_or_else(|| format!("the key of {stream} vanished")),
        }
    }

    /// Seals the personal text of `event`, appended to `stream`, with the message's key.
    ///
    /// # Errors
    /// The key cannot be read, made or stored.
    pub(crate) fn seal(&self, stream: &StreamId, event: &mut Event) -> Result<(), AppendError> {
        if stream.kind() != Some(StreamKind::Message) {
            return Ok(());
        }
        let mut texts = event.personal_text_mut();
        texts.retain(|t| !t.is_empty() && !sealed::is_sealed(t));
        if texts.is_empty() {
            return Ok(());
        }
        let key = self.key_or_new(stream).map_err(AppendError::Storage)?;
        for text in texts {
            *text = sealed::seal(&key, text.as_bytes())
                .map_err(|e| AppendError::Storage(e.to_string()))?;
        }
        Ok(())
    }

    /// Opens the personal text of `events` in place; text whose key was destroyed reads as
    /// [`REMOVED_AFTER_RETENTION`].
    ///
    /// # Errors
    /// The key tree cannot be read.
    pub(crate) fn open(&self, events: &mut [RecordedEvent]) -> Result<(), ReadError> {
        let mut last: Option<(StreamId, Option<Option<[u8; 32]>>)> = None;
        for recorded in events {
            let mut texts = recorded.event.personal_text_mut();
            texts.retain(|t| sealed::is_sealed(t));
            if texts.is_empty() {
                continue;
            }
            // `None`: destroyed; `Some(None)`: present but it does not open.
            let key = match &last {
                Some((stream, key)) if *stream == recorded.stream => *key,
                _ => {
                    let key = self
                        .stored(&recorded.stream)
                        .map_err(ReadError::Storage)?
                        .map(|stored| self.unwrap_key(&stored));
                    last = Some((recorded.stream.clone(), key));
                    key
                }
            };
            for text in texts {
                *text = match &key {
                    None => REMOVED_AFTER_RETENTION.to_owned(),
                    Some(key) => key
                        .and_then(|key| sealed::open(&key, text).ok())
                        .and_then(|plain| String::from_utf8(plain).ok())
                        .unwrap_or_else(|| UNREADABLE.to_owned()),
                };
            }
        }
        Ok(())
    }

    /// Destroys the key of `stream`; true when it had one.
    ///
    /// # Errors
    /// The key tree cannot be written.
    pub(crate) fn destroy(&self, stream: &StreamId) -> Result<bool, String> {
        self.tree
            .take(stream.as_str())
            .map(|old| old.is_some())
            .map_err(|e| format!("destroying the key of {stream}: {e}"))
    }
}
