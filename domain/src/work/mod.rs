//! One work item in, the events it decided out: a message's history, payload and route with
//! the record system, deciding what the message's next step records.
//!
//! The caller reads, prepares (see [`prepare`]), calls [`decide`] and appends what it returns
//! with the version the item was read at. An upload is two-phase ([`PendingUpload`]): its
//! `DeliveryAttempted` must be on disk before the document leaves, so that a crash in
//! between is read back instead of placed twice.
//!
//! The record system is a type parameter, not a trait object: its methods are async
//! functions in a trait, which are not object-safe without boxing every future (an allocation
//! per call, or a macro dependency); the daemon has one implementation (Ons) and the tests a
//! fake, so static dispatch costs nothing and keeps the domain free of dependencies.

mod deliver;
mod prepare;
#[cfg(test)]
mod tests;

pub use deliver::PendingUpload;
pub use prepare::{prepare, Prepared, Ready};

use crate::category::{Category, Reason};
use crate::delivery::{classified, MessageFacts, NextStep};
use crate::events::{Event, StreamId};
use crate::ports::RecordSystem;
use crate::processing::process_payload;
use crate::routing::Route;

/// One message to work on, as read from the log.
pub struct WorkItem<'a> {
    /// The message's stream.
    pub message: &'a StreamId,
    /// Its history, folded.
    pub facts: &'a MessageFacts,
    /// Its payload.
    pub payload: &'a [u8],
    /// The route in force for its mailbox, if any.
    pub route: Option<&'a Route>,
    /// The time now (milliseconds since 1970-01-01 UTC); asked again after each call.
    pub clock: fn() -> i64,
    /// Where in the retry window a retry falls (0.0..=1.0).
    pub jitter: f64,
}

/// What became of a work item once its events are appended.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Done {
    /// Nothing more to do now.
    Finished,
    /// Try again at this time (milliseconds since 1970-01-01 UTC).
    RetryAt(i64),
}

/// What the caller does after appending.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum After {
    /// Read the message again and take its next step at once.
    Again,
    /// Stop here.
    Done(Done),
}

/// Something worth a log line about the decided events.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Note {
    /// Nothing in particular.
    Nothing,
    /// An attempt at the record system failed (a retry, or the category it led to).
    AttemptFailed {
        /// Which attempt.
        attempt: u32,
    },
    /// The document is placed.
    Placed {
        /// Found by reading an earlier upload back, not by uploading now.
        found_by_readback: bool,
    },
}

/// Events to append, and what then.
#[derive(Debug, Clone, PartialEq)]
pub struct Outcome {
    /// The events, in order, to append at the version the item was read at.
    pub events: Vec<Event>,
    /// What the caller does after appending them.
    pub after: After,
    /// What happened, for the log.
    pub note: Note,
}

/// What [`decide`] decided.
#[derive(Debug)]
pub enum Decision {
    /// Nothing to record: the message is done, or waits for its retry.
    Nothing(Done),
    /// The item was read before its delivery was due and so is not prepared: read it again.
    ReadAgain,
    /// Append these events.
    Record(Outcome),
    /// Append [`PendingUpload::attempted`], then call [`PendingUpload::place`].
    Upload(Box<PendingUpload>),
}

/// Why a work item could not be decided.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum WorkError {
    /// The stream has no `MessageParsed` event (it is not a message).
    #[error("{message} is not a parsed message")]
    NotAMessage {
        /// The stream.
        message: StreamId,
    },
    /// The route names a record system that is not configured.
    #[error("routes.{route}.record_system is not configured")]
    RecordSystemNotConfigured {
        /// The route's name.
        route: String,
    },
}

/// Decides the next step of `item`. `prepared` is the item's [`prepare`]d document, given
/// when a delivery is due; `record_system` is the one the route names (`None`: not
/// configured).
///
/// # Errors
/// The item is not a message, or its route's record system is not configured.
pub async fn decide<R: RecordSystem>(
    item: &WorkItem<'_>,
    prepared: Option<Prepared>,
    record_system: Option<&R>,
) -> Result<Decision, WorkError> {
    let Some(parsed) = &item.facts.parsed else {
        return Err(WorkError::NotAMessage {
            message: item.message.clone(),
        });
    };
    match item.facts.next_step() {
        NextStep::Nothing => Ok(Decision::Nothing(Done::Finished)),
        NextStep::Reprocess => {
            let places_pdf = item.route.is_some_and(|route| route.place_incoming_pdf);
            let next = process_payload(
                &parsed.receipt,
                &parsed.payload_digest,
                item.payload,
                places_pdf,
            )
            .into_iter()
            .find(|o| o.parsed.number == parsed.number)
            .map_or_else(
                || {
                    classified(
                        Category::Fallout,
                        Reason::NoLongerInPayload {
                            number: parsed.number,
                        },
                    )
                },
                |o| o.next,
            );
            Ok(Decision::Record(Outcome {
                events: vec![next],
                after: After::Again,
                note: Note::Nothing,
            }))
        }
        NextStep::Deliver {
            attempt,
            not_before_ms,
            earlier_upload,
        } => {
            if not_before_ms > (item.clock)() {
                return Ok(Decision::Nothing(Done::RetryAt(not_before_ms)));
            }
            let Some(prepared) = prepared else {
                return Ok(Decision::ReadAgain);
            };
            let delivery = deliver::Delivery {
                item,
                attempt,
                earlier_upload,
            };
            delivery.run(prepared, record_system).await
        }
    }
}
