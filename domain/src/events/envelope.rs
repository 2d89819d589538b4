//! Stream ids, event ids and the recorded envelope around an event.

use std::fmt;

use serde::{Deserialize, Serialize};

use super::Event;

/// An event's unique id (a UUID v7 made by whoever creates the event), used to drop an append
/// that is retried with the same ids.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
pub struct EventId(pub u128);

impl fmt::Display for EventId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let hex = format!("{:032x}", self.0);
        write!(
            f,
            "{}-{}-{}-{}-{}",
            &hex[..8],
            &hex[8..12],
            &hex[12..16],
            &hex[16..20],
            &hex[20..]
        )
    }
}

/// What a stream is about.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum StreamKind {
    /// One payload as received from a mailbox (`receipt-<id>`).
    Receipt,
    /// One message (`message-<id>`): one per UNH..UNT, or one for a payload that is not read.
    Message,
    /// One portal user (`user-<id>`), the id a keyed hash of the e-mail address.
    User,
    /// The security log of one address (`security-<id>`, the id as the user stream's).
    Security,
}

/// The stream an event belongs to, e.g. `message-0190a5b2-...`.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
pub struct StreamId(String);

impl StreamId {
    /// The stream of kind `kind` for the entity with id `id`.
    pub fn new(kind: StreamKind, id: EventId) -> Self {
        let prefix = match kind {
            StreamKind::Receipt => "receipt",
            StreamKind::Message => "message",
            StreamKind::User => "user",
            StreamKind::Security => "security",
        };
        Self(format!("{prefix}-{id}"))
    }

    /// One of the log's fixed streams (`notifications`, `consents`, `notes`), named by a
    /// constant of this crate.
    pub fn fixed(name: &'static str) -> Self {
        Self(name.to_owned())
    }

    /// Reads a stream id as written; `None` when it is empty or too long to be one.
    pub fn parse(text: &str) -> Option<Self> {
        let text = text.trim();
        (!text.is_empty() && text.len() <= 200 && !text.contains(char::is_whitespace))
            .then(|| Self(text.to_owned()))
    }

    /// The kind, from the prefix.
    pub fn kind(&self) -> Option<StreamKind> {
        if self.0.starts_with("receipt-") {
            Some(StreamKind::Receipt)
        } else if self.0.starts_with("message-") {
            Some(StreamKind::Message)
        } else if self.0.starts_with("user-") {
            Some(StreamKind::User)
        } else if self.0.starts_with("security-") {
            Some(StreamKind::Security)
        } else {
            None
        }
    }

    /// The id as text.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl fmt::Display for StreamId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

/// An event to append, with the id that makes a retried append harmless.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NewEvent {
    /// The event's id.
    pub id: EventId,
    /// The event.
    pub event: Event,
}

/// An event as the log holds it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RecordedEvent {
    /// The global position: gapless from 0 as written (a forgotten history, `keep_history`,
    /// leaves its positions taken and unread).
    pub position: u64,
    /// The event's id.
    pub id: EventId,
    /// Its stream.
    pub stream: StreamId,
    /// Its version within the stream, from 0.
    pub version: u64,
    /// When it was recorded, milliseconds since 1970-01-01 UTC.
    pub recorded_at_ms: i64,
    /// The version of ketenpost that wrote it.
    pub code_version: String,
    /// The schema version its payload was written in (before upcasting).
    pub schema_version: u32,
    /// The event, upcast to the current schema.
    pub event: Event,
}
