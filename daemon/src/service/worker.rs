//! One work item: a message id in, the events of its next steps out. A worker reads the
//! message's history and payload, lets the domain decide (see [`ketenpost_domain::work`]),
//! and appends what it decided. Every append names the version it expects, so two workers
//! never both act.

use std::sync::Arc;
use std::time::Instant;

use tracing::Instrument;

use ketenpost_domain::events::{Event, NewEvent, StreamId};
use ketenpost_domain::ports::{AppendError, ExpectedVersion, RecordSystem, StreamAppend};
use ketenpost_domain::work::{decide, After, Decision, Note, Outcome, WorkError, WorkItem};

pub use ketenpost_domain::work::Done;

use super::observed::Observed;
use super::reading::{read_and_prepare, Origin};
use super::state::{now_ms, Shared};
use super::wiring::RecordSystems;
use crate::config::ActiveRouting;
use crate::intake::new_id;
use crate::telemetry::{
    spans, ErrorType, LogAppended, MessageClassified, MessagePlaced, Stage, StepAttemptFailed,
};

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
    // The version in force when the work starts decides it to its end.
    let routing = shared.routing();
    async {
        for _ in 0..8 {
            match step(shared, &routing, record_systems, message).await {
                Ok(Some(done)) => return Ok(done),
                Ok(None) | Err(StepError::Moved) => {}
                Err(StepError::Failed(error)) => return Err(error),
            }
        }
        Ok(Done::Finished)
    }
    .instrument(spans::work(message))
    .await
}

/// One step; `None` when there is a next step to take at once.
///
/// The record system is passed to the domain as a generic (the one wired in, wrapped in
/// [`Observed`]), not a trait object: the port's methods are async functions in a trait,
/// which a trait object could only hold by boxing every call's future.
async fn step<R: RecordSystem>(
    shared: &Arc<Shared>,
    routing: &Arc<ActiveRouting>,
    record_systems: &RecordSystems<R>,
    message: &StreamId,
) -> Result<Option<Done>, StepError> {
    let Some((facts, origin, prepared)) = read_and_prepare(shared, routing, message).await? else {
        return Ok(Some(Done::Finished));
    };
    let Some(version) = facts.version else {
        return Ok(Some(Done::Finished));
    };
    let route = routing.route_for_mailbox(&origin.mailbox);
    let config_version = routing.version;
    let record_system = route.and_then(|route| {
        let client = record_systems.get(&route.record_system)?;
        Some(Observed::new(
            shared.as_ref(),
            &route.record_system,
            client,
            message,
        ))
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
    let failure = || record_system.as_ref().and_then(Observed::last_failure);
    match decision {
        Decision::Nothing(done) => Ok(Some(done)),
        Decision::ReadAgain => Ok(None),
        Decision::Record(outcome) => {
            let outcome = decided_by(outcome, config_version);
            record(shared, message, version, &origin, outcome, failure()).await
        }
        Decision::Upload(upload) => {
            let Some(record_system) = &record_system else {
                return Err(
                    anyhow::anyhow!("an upload was decided without a record system").into(),
                );
            };
            let version = append(shared, message, version, vec![upload.attempted()]).await?;
            let outcome = decided_by(upload.place(record_system).await, config_version);
            record(shared, message, version, &origin, outcome, failure()).await
        }
    }
}

/// `outcome` with every classification naming the configuration version that decided it.
fn decided_by(mut outcome: Outcome, config_version: u64) -> Outcome {
    for event in &mut outcome.events {
        if let Event::MessageClassified(classified) = event {
            classified.config_version = Some(config_version);
        }
    }
    outcome
}

/// Appends an outcome's events, and logs and counts what it says. `failure` is the stage and
/// kind of the record system's last failed call, if any.
async fn record(
    shared: &Shared,
    message: &StreamId,
    version: u64,
    origin: &Origin,
    outcome: Outcome,
    failure: Option<(Stage, ErrorType)>,
) -> Result<Option<Done>, StepError> {
    let attempt_failed = match outcome.note {
        Note::AttemptFailed { attempt } => Some(attempt),
        _ => None,
    };
    let classified: Vec<_> = outcome
        .events
        .iter()
        .filter_map(|event| match event {
            Event::MessageClassified(c) => Some(c.category),
            _ => None,
        })
        .collect();
    if let Some(attempt) = attempt_failed {
        StepAttemptFailed {
            message_id: message,
            attempt,
            failed_call: failure,
            events: &outcome.events,
            retry_at_ms: match outcome.after {
                After::Done(Done::RetryAt(at)) => Some(at),
                _ => None,
            },
            now_ms: now_ms(),
        }
        .report(&shared.metrics);
    }
    append(shared, message, version, outcome.events).await?;
    for category in classified {
        MessageClassified {
            message_id: message,
            category,
        }
        .report(&shared.metrics);
    }
    if let Note::Placed { found_by_readback } = outcome.note {
        MessagePlaced {
            message_id: message,
            found_by_readback,
            latency_seconds: latency_seconds(origin),
        }
        .report(&shared.metrics);
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
    let result = shared
        .log
        .append_async(vec![append])
        .instrument(spans::step(Stage::Append, message))
        .await;
    LogAppended {
        stage: Stage::Append,
        took: started.elapsed(),
    }
    .report(&shared.metrics);
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

/// From the payload's receipt until now, in seconds.
fn latency_seconds(origin: &Origin) -> f64 {
    let ms = now_ms().saturating_sub(origin.received_at_ms).max(0);
    #[allow(clippy::cast_precision_loss)]
    let seconds = ms as f64 / 1000.0;
    seconds
}

#[cfg(test)]
#[path = "worker_tests.rs"]
mod tests;
