//! What travels through the broker, as JSON: a work item (owner to worker), a result (worker
//! to owner) and the owner's reply to a result.

use ketenpost_domain::events::{Event, EventId, MailEnvelope, RecordedEvent, StreamId};
use ketenpost_domain::work::Done;
use serde::{Deserialize, Serialize};

use crate::service::record_health::Answer;
use crate::telemetry::{ErrorType, Stage, NO_FAILED_CALL};

/// One event of a message's history, as a work item carries it.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct HistoryEntry {
    /// Its version within the stream.
    pub version: u64,
    /// When it was recorded (milliseconds since 1970-01-01 UTC).
    pub recorded_at_ms: i64,
    /// The event.
    pub event: Event,
}

/// A work item: a message as the owner read it, with everything a worker needs to act.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct WorkOrder {
    /// This publication's id (a new one each time the message is published).
    pub item: String,
    /// The message's stream.
    pub message: StreamId,
    /// The configuration version that decides it: the number of the version in force when
    /// the owner read it (a file's hash from owners before configuration had versions).
    pub config_version: String,
    /// That version's routing configuration (secrets sealed with the data key): the worker
    /// decides with it, whatever its own file says.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub routing: Option<ketenpost_domain::configuration::RoutingConfig>,
    /// The version of the stream's last event when it was read: results are appended
    /// expecting it.
    pub version: u64,
    /// The message's history.
    pub history: Vec<HistoryEntry>,
    /// The mailbox it came from (which names its route).
    pub mailbox: String,
    /// What the mailbox said about it.
    pub envelope: Option<Box<MailEnvelope>>,
    /// When its payload was received.
    pub received_at_ms: i64,
    /// The payload, base64.
    pub payload: String,
}

impl WorkOrder {
    /// The history as recorded events, for the domain's folds.
    pub fn recorded(&self) -> Vec<RecordedEvent> {
        self.history
            .iter()
            .map(|entry| RecordedEvent {
                position: 0,
                id: EventId(0),
                stream: self.message.clone(),
                version: entry.version,
                recorded_at_ms: entry.recorded_at_ms,
                code_version: String::new(),
                schema_version: 0,
                event: entry.event.clone(),
            })
            .collect()
    }
}

/// What follows a result.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub enum Next {
    /// More results of this item follow (the `DeliveryAttempted` before an upload).
    Continues,
    /// The message is to be read again and its next step taken.
    Again,
    /// Nothing more to do now.
    Finished,
    /// Try again at this time (milliseconds since 1970-01-01 UTC).
    RetryAt(i64),
    /// The worker gave the item back (it is delivered again, or dead-lettered): why.
    Failed {
        /// The worker's error, naming no content of the message.
        reason: String,
    },
}

impl From<Done> for Next {
    fn from(done: Done) -> Self {
        match done {
            Done::Finished => Self::Finished,
            Done::RetryAt(at) => Self::RetryAt(at),
        }
    }
}

/// A worker's result: events to append at `expected`, and what then.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct StepResult {
    /// The work item's id.
    pub item: String,
    /// The message's stream.
    pub message: StreamId,
    /// The stream version the events are appended at.
    pub expected: u64,
    /// The events (none when the step decided nothing to record).
    pub events: Vec<Event>,
    /// What follows.
    pub next: Next,
    /// When the events place the document: for the owner's placement metrics.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub placed: Option<Placed>,
    /// The record system's answers the worker met since its last result: for the owner's
    /// health of it (a refusal of ketenpost, a success that ends one).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub answers: Vec<Answer>,
    /// When the events record a failed attempt: for the owner's metrics of it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub attempt_failed: Option<AttemptFailed>,
}

/// A failed attempt at the record system, as the owner's metrics count it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct AttemptFailed {
    /// Which attempt.
    pub attempt: u32,
    /// The stage of the call that failed.
    pub stage: Stage,
    /// What kind of failure.
    pub error_type: ErrorType,
}

impl AttemptFailed {
    /// Attempt `attempt`, whose failed call (if one failed) was `failed_call`.
    pub fn new(attempt: u32, failed_call: Option<(Stage, ErrorType)>) -> Self {
        let (stage, error_type) = failed_call.unwrap_or(NO_FAILED_CALL);
        Self {
            attempt,
            stage,
            error_type,
        }
    }
}

/// A placement, as the owner's metrics count it.
#[derive(Debug, Clone, Copy, Serialize, Deserialize)]
pub struct Placed {
    /// Found by reading an earlier upload back, not by uploading now.
    pub found_by_readback: bool,
    /// When the payload was received (milliseconds since 1970-01-01 UTC).
    pub received_at_ms: i64,
}

/// The owner's reply to a result, sent to the result's `reply_to` with its `correlation_id`.
#[derive(Debug, Clone, Copy, Serialize, Deserialize)]
pub struct Reply {
    /// The events are durable in the log (or there were none); `false`: the message moved on
    /// meanwhile and the events were not appended.
    pub appended: bool,
}
