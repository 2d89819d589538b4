//! One work item: a message id in, the events of its next steps out. A worker reads the
//! message's history and payload, lets the domain decide (see [`ketenpost_domain::work`]),
//! and appends what it decided. Every append names the version it expects, so two workers
//! never both act.

use std::sync::Arc;
use std::time::Instant;

use ketenpost_domain::events::{Event, NewEvent, StreamId};
use ketenpost_domain::ports::{AppendError, ExpectedVersion, RecordSystem, StreamAppend};
use ketenpost_domain::work::{decide, After, Decision, Note, Outcome, WorkError, WorkItem};

pub use ketenpost_domain::work::Done;

use super::observed::Observed;
use super::reading::{read_and_prepare, Origin};
use super::state::{now_ms, Shared};
use super::wiring::RecordSystems;
use crate::intake::new_id;

/// Why a step did not get to its end.
#[derive(Debug, thiserror::Error)]
enum StepError {
    /// Another writer moved the stream on: read it again.
    #[error("the message changed while it was worked on")]
    Moved,
    /// The log, the payload or the configuration failed.
    #[error(transparent)]
    Failed(#[from] anyhow::Error),
}

/// Works on one message until it is decided, waiting for a retry, or moved on by someone else.
///
/// # Errors
/// The log or the payload cannot be read or written.
pub async fn work<R: RecordSystem>(
    shared: &Arc<Shared>,
    record_systems: &RecordSystems<R>,
    message: &StreamId,
) -> anyhow::Result<Done> {
    for _ in 0..8 {
        match step(shared, record_systems, message).await {
            Ok(Some(done)) => return Ok(done),
            Ok(None) | Err(StepError::Moved) => {}
            Err(StepError::Failed(error)) => return Err(error),
        }
    }
    Ok(Done::Finished)
}

/// One step; `None` when there is a next step to take at once.
///
/// The record system is passed to the domain as a generic (the one wired in, wrapped in
/// [`Observed`]), not a trait object: the port's methods are async functions in a trait,
/// which a trait object could only hold by boxing every call's future.
async fn step<R: RecordSystem>(
    shared: &Arc<Shared>,
    record_systems: &RecordSystems<R>,
    message: &StreamId,
) -> Result<Option<Done>, StepError> {
    let Some((facts, origin, prepared)) = read_and_prepare(shared, message).await? else {
        return Ok(Some(Done::Finished));
    };
    let Some(version) = facts.version else {
        return Ok(Some(Done::Finished));
    };
    let route = shared.settings.route_for_mailbox(&origin.mailbox);
    let record_system = route.and_then(|route| {
        let client = record_systems.get(&route.record_system)?;
        Some(Observed {
            shared,
            name: &route.record_system,
            client,
        })
    });
    let item = WorkItem {
        message,
        facts: &facts,
        payload: &origin.bytes,
        route,
        clock: now_ms,
        jitter: jitter(),
    };
    let decision = match decide(&item, prepared, record_system.as_ref()).await {
        Ok(decision) => decision,
        Err(WorkError::NotAMessage { .. }) => return Ok(Some(Done::Finished)),
        Err(error) => return Err(anyhow::Error::new(error).into()),
    };
    match decision {
        Decision::Nothing(done) => Ok(Some(done)),
        Decision::ReadAgain => Ok(None),
        Decision::Record(outcome) => record(shared, message, version, &origin, outcome).await,
        Decision::Upload(upload) => {
            let Some(record_system) = &record_system else {
                return Err(
                    anyhow::anyhow!("an upload was decided without a record system").into(),
                );
            };
            let version = append(shared, message, version, vec![upload.attempted()]).await?;
            let outcome = upload.place(record_system).await;
            record(shared, message, version, &origin, outcome).await
        }
    }
}

/// Appends an outcome's events, and logs and counts what it says.
async fn record(
    shared: &Shared,
    message: &StreamId,
    version: u64,
    origin: &Origin,
    outcome: Outcome,
) -> Result<Option<Done>, StepError> {
    if let Note::AttemptFailed { attempt } = outcome.note {
        let error = match outcome.events.first() {
            Some(Event::DeliveryFailed(f)) => f.error.as_str(),
            _ => "the attempt decided the message",
        };
        tracing::warn!(message_id = %message, attempt, error, "delivery attempt failed");
    }
    append(shared, message, version, outcome.events).await?;
    if let Note::Placed { found_by_readback } = outcome.note {
        if found_by_readback {
            tracing::info!(message_id = %message, "an earlier upload had landed");
        }
        observe_latency(shared, origin);
        if !found_by_readback {
            tracing::info!(message_id = %message, "placed");
        }
    }
    Ok(match outcome.after {
        After::Again => None,
        After::Done(done) => Some(done),
    })
}

/// Appends `events` at `version`; the version after them.
async fn append(
    shared: &Shared,
    message: &StreamId,
    version: u64,
    events: Vec<Event>,
) -> Result<u64, StepError> {
    let count = events.len() as u64;
    let append = StreamAppend {
        stream: message.clone(),
        expected: ExpectedVersion::Exactly(version),
        events: events
            .into_iter()
            .map(|event| NewEvent {
                id: new_id(),
                event,
            })
            .collect(),
    };
    let started = Instant::now();
    let result = shared.log.append_async(vec![append]).await;
    shared.metrics.appended(started.elapsed().as_secs_f64());
    match result {
        Ok(_) => Ok(version + count),
        Err(AppendError::WrongExpectedVersion { .. }) => Err(StepError::Moved),
        Err(error) => Err(anyhow::Error::new(error)
            .context("Failed to record the message's next step")
            .into()),
    }
}

fn jitter() -> f64 {
    let mut byte = [0u8; 2];
    if getrandom::getrandom(&mut byte).is_err() {
        return 0.5;
    }
    f64::from(u16::from_le_bytes(byte)) / f64::from(u16::MAX)
}

fn observe_latency(shared: &Shared, context: &Origin) {
    let ms = now_ms().saturating_sub(context.received_at_ms).max(0);
    #[allow(clippy::cast_precision_loss)]
    shared.metrics.delivered(ms as f64 / 1000.0);
}

#[cfg(test)]
#[path = "worker_tests.rs"]
mod tests;
