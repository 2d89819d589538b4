//! The events of one message's life, as far as the log and the classification reach.

use serde::{Deserialize, Serialize};

use super::StreamId;
use crate::category::{Category, Classification, Reason};
use crate::payload::Format;

/// Every kind of event.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "type", content = "data")]
pub enum Event {
    /// A payload arrived from a mailbox and is stored (receipt stream).
    MessageReceived(MessageReceived),
    /// One message of a received payload was read (message stream, first event).
    MessageParsed(MessageParsed),
    /// The message waits for the record system to place it.
    AwaitingDelivery,
    /// The message is in a category, for a reason.
    MessageClassified(MessageClassified),
    /// A person asked to run the message again (herzenden).
    ResendRequested(ResendRequested),
}

impl Event {
    /// The type name recorded in the envelope, e.g. `MessageReceived`.
    pub fn type_name(&self) -> &'static str {
        match self {
            Self::MessageReceived(_) => "MessageReceived",
            Self::MessageParsed(_) => "MessageParsed",
            Self::AwaitingDelivery => "AwaitingDelivery",
            Self::MessageClassified(_) => "MessageClassified",
            Self::ResendRequested(_) => "ResendRequested",
        }
    }

    /// A one-line summary without personal data, for `events` and timelines.
    pub fn summary(&self) -> String {
        match self {
            Self::MessageReceived(e) => format!(
                "{} from mailbox {} (remote id {}), {} bytes, digest {}",
                e.format.as_str(),
                e.mailbox,
                e.remote_id,
                e.size,
                short(&e.payload_digest)
            ),
            Self::MessageParsed(e) => match (&e.identifier, &e.error) {
                (_, Some(error)) => format!("message {} unreadable: {error}", e.number),
                (Some(identifier), None) => format!(
                    "message {} {identifier} ref {} of {}",
                    e.number,
                    e.message_ref.as_deref().unwrap_or("-"),
                    e.receipt
                ),
                (None, None) => format!(
                    "message {} format {} of {}",
                    e.number,
                    e.format.as_str(),
                    e.receipt
                ),
            },
            Self::AwaitingDelivery => "awaits the record system".to_owned(),
            Self::MessageClassified(e) => {
                format!("{} ({})", e.category.as_str(), e.reason.describe())
            }
            Self::ResendRequested(e) => format!("resend requested by {}", e.requested_by),
        }
    }
}

fn short(digest: &str) -> &str {
    &digest[..digest.len().min(12)]
}

/// A payload as it arrived.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct MessageReceived {
    /// The configured mailbox it came from (`manual` for `ketenpost import`).
    pub mailbox: String,
    /// The mailbox's own id for it (for `import`, the file name), so a redelivery is recognised.
    pub remote_id: String,
    /// SHA-256 of the payload, hex: where the encrypted payload is stored.
    pub payload_digest: String,
    /// The payload's size in bytes.
    pub size: u64,
    /// The payload's format (added in schema 2; schema 1 events were all EDIFACT).
    pub format: Format,
}

/// One message of a payload, read.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct MessageParsed {
    /// The receipt stream of the payload it came from.
    pub receipt: StreamId,
    /// The payload's digest.
    pub payload_digest: String,
    /// Its number in the payload, from 1.
    pub number: u32,
    /// The payload's format.
    pub format: Format,
    /// UNH identifier, e.g. `MEDVRI:1`, for EDIFACT.
    pub identifier: Option<String>,
    /// UNB element 5.
    pub interchange_ref: Option<String>,
    /// UNH element 1.
    pub message_ref: Option<String>,
    /// UNB sender id.
    pub sender_id: Option<String>,
    /// How many warnings the reader gave.
    pub warnings: u32,
    /// For a payload that cannot be read: the reader's error with its position.
    pub error: Option<String>,
}

/// The category a message is in now.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct MessageClassified {
    /// The category.
    pub category: Category,
    /// Why.
    pub reason: Reason,
}

impl From<Classification> for MessageClassified {
    fn from(c: Classification) -> Self {
        Self {
            category: c.category,
            reason: c.reason,
        }
    }
}

/// A request to run a message again.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ResendRequested {
    /// Who asked (a user name, or `cli`).
    pub requested_by: String,
}

/// What reading one message gave: the parsed event and the events that follow from it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ParsedOutcome {
    /// The `MessageParsed` event.
    pub parsed: MessageParsed,
    /// `MessageClassified` when the message alone decides, else `AwaitingDelivery`.
    pub next: Event,
}
