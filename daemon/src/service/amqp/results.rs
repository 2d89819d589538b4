//! The owner's handling of what comes back from the broker: reading a work item's message
//! from the log, and appending a worker's result with the version it names, durably, before
//! the result is acknowledged and the worker is told.

use std::sync::Arc;

use anyhow::Context;
use base64::Engine;
use ketenpost_domain::category::{Category, Reason};
use ketenpost_domain::delivery::classified;
use ketenpost_domain::events::{Event, NewEvent, StreamId};
use ketenpost_domain::ports::{AppendError, EventLog, ExpectedVersion, PayloadStore, StreamAppend};
use lapin::message::Delivery;
use lapin::options::{BasicAckOptions, BasicNackOptions};
use lapin::{BasicProperties, Channel};

use super::broker;
use super::wire::{HistoryEntry, Next, Reply, StepResult, WorkOrder};
use crate::intake::new_id;
use crate::service::record_health::NotesAnswers;
use crate::service::state::now_ms;
use crate::service::state::Shared;
use crate::telemetry::{MessageClassified, MessagePlaced, StepAttemptFailed};

/// Reads `message` as a work item with the id `item`: `None` when it is not a parsed message
/// (nothing to do).
///
/// # Errors
/// The log or the payload cannot be read.
pub fn read_order(
    shared: &Shared,
    message: &StreamId,
    item: String,
    config_version: &str,
) -> anyhow::Result<Option<WorkOrder>> {
    let history = shared.log.read_stream(message)?;
    let Some(last) = history.last() else {
        return Ok(None);
    };
    let version = last.version;
    let Some(parsed) = history.iter().find_map(|e| match &e.event {
        Event::MessageParsed(p) => Some(p.clone()),
        _ => None,
    }) else {
        return Ok(None);
    };
    let (mailbox, envelope, received_at_ms) = shared
        .log
        .read_stream(&parsed.receipt)?
        .into_iter()
        .find_map(|e| match e.event {
            Event::MessageReceived(r) => Some((r.mailbox, r.envelope, e.recorded_at_ms)),
            _ => None,
        })
        .with_context(|| format!("The receipt {} has no MessageReceived", parsed.receipt))?;
    let payload = shared
        .log
        .payloads()
        .get(&parsed.payload_digest)?
        .with_context(|| format!("The payload of {} is not stored", parsed.receipt))?;
    Ok(Some(WorkOrder {
        item,
        message: message.clone(),
        config_version: config_version.to_owned(),
        routing: None,
        version,
        history: history
            .into_iter()
            .map(|e| HistoryEntry {
                version: e.version,
                recorded_at_ms: e.recorded_at_ms,
                event: e.event,
            })
            .collect(),
        mailbox,
        envelope,
        received_at_ms,
        payload: base64::engine::general_purpose::STANDARD.encode(payload),
    }))
}

/// A result the owner handled: recorded (or found moved on), acknowledged, and answered.
#[derive(Debug)]
pub struct Handled {
    /// The work item's id.
    pub item: String,
    /// The message.
    pub message: StreamId,
    /// Whether the events are in the log (or there were none).
    pub appended: bool,
    /// What follows.
    pub next: Next,
}

/// Appends the result in `delivery` at its expected version, replies to its worker, and only
/// then acknowledges it. `None` when it could not be recorded (it is requeued) or could not
/// be read (it is dropped, named in the log).
pub async fn handle(shared: Arc<Shared>, channel: Channel, delivery: Delivery) -> Option<Handled> {
    let result: StepResult = match serde_json::from_slice(&delivery.data) {
        Ok(result) => result,
        Err(error) => {
            tracing::error!(%error, "a result that is not a result was dropped");
            settle(&delivery, true).await;
            return None;
        }
    };
    let appended = if result.events.is_empty() {
        true
    } else {
        match append(&shared, &result).await {
            Ok(appended) => appended,
            Err(error) => {
                tracing::error!(message_id = %result.message, error = %format!("{error:#}"),
                    "a result could not be recorded; it is delivered again");
                settle(&delivery, false).await;
                return None;
            }
        }
    };
    // What the worker met at the record system is the daemon's health of it, as if the owner
    // had made the calls (noted once: a result delivered again was requeued above).
    for answer in &result.answers {
        shared.answered(answer.clone());
    }
    tracing::debug!(message_id = %result.message, appended, "a result is recorded");
    if let (Some(reply_to), Some(correlation)) = (
        delivery.properties.reply_to(),
        delivery.properties.correlation_id(),
    ) {
        let body = serde_json::to_vec(&Reply { appended }).unwrap_or_default();
        let properties = BasicProperties::default().with_correlation_id(correlation.clone());
        // A reply that does not arrive is not lost work: the worker's item is delivered
        // again, and its events, already recorded, find the message moved on.
        if let Err(error) =
            broker::publish(&channel, "", reply_to.as_str(), &body, properties).await
        {
            tracing::warn!(message_id = %result.message, error = %format!("{error:#}"),
                "a worker could not be told its result is recorded");
        }
    }
    settle(&delivery, true).await;
    Some(Handled {
        item: result.item,
        message: result.message,
        appended,
        next: result.next,
    })
}

/// Records a dead-lettered work item: its message becomes a technical error naming the
/// deliveries and the last worker's error, at the version the item was read at. `false`: the
/// message moved on meanwhile (the item was stale).
///
/// # Errors
/// The log cannot be written.
pub async fn record_dead(
    shared: &Shared,
    order: &WorkOrder,
    deliveries: u32,
    last_error: String,
) -> anyhow::Result<bool> {
    let event = classified(
        Category::TechnicalError,
        Reason::WorkNotFinished {
            deliveries,
            last_error,
        },
    );
    let result = StepResult {
        item: order.item.clone(),
        message: order.message.clone(),
        expected: order.version,
        events: vec![event],
        next: Next::Finished,
        placed: None,
        answers: Vec::new(),
        attempt_failed: None,
    };
    append(shared, &result).await
}

/// Acknowledges (`ack`) or requeues the delivery, checking the answer: `false` means its
/// channel is gone, and the broker delivers it again. Waits at most
/// [`broker::ANSWER_TIMEOUT`]: the owner waits for every result being handled before it ends a
/// session, and a broker that stopped answering must not hold it there.
pub async fn settle(delivery: &Delivery, ack: bool) {
    let settling = async {
        if ack {
            delivery.ack(BasicAckOptions::default()).await
        } else {
            delivery
                .nack(BasicNackOptions {
                    requeue: true,
                    ..BasicNackOptions::default()
                })
                .await
        }
    };
    match tokio::time::timeout(broker::ANSWER_TIMEOUT, settling).await {
        Ok(Ok(true)) => {}
        Ok(Ok(false)) => {
            tracing::warn!("a result's channel was gone before its ack; it comes again");
        }
        Ok(Err(error)) => tracing::warn!(%error, "a result's ack failed; it comes again"),
        Err(_) => tracing::warn!(
            "the broker did not answer a result's ack within {:?}; it comes again",
            broker::ANSWER_TIMEOUT
        ),
    }
}

/// Appends the result's events at its expected version: `false` when the message moved on.
async fn append(shared: &Shared, result: &StepResult) -> anyhow::Result<bool> {
    let append = StreamAppend {
        stream: result.message.clone(),
        expected: ExpectedVersion::Exactly(result.expected),
        events: result
            .events
            .iter()
            .map(|event| NewEvent {
                id: new_id(),
                event: event.clone(),
            })
            .collect(),
    };
    match shared.log.append_async(vec![append]).await {
        Ok(_) => {
            if let Some(failed) = result.attempt_failed {
                StepAttemptFailed {
                    message_id: &result.message,
                    attempt: failed.attempt,
                    failed_call: Some((failed.stage, failed.error_type)),
                    events: &result.events,
                    retry_at_ms: match result.next {
                        Next::RetryAt(at) => Some(at),
                        _ => None,
                    },
                    now_ms: now_ms(),
                }
                .report(&shared.metrics);
            }
            for event in &result.events {
                if let Event::MessageClassified(c) = event {
                    MessageClassified {
                        message_id: &result.message,
                        category: c.category,
                    }
                    .report(&shared.metrics);
                }
            }
            if let Some(placed) = result.placed {
                let ms = now_ms().saturating_sub(placed.received_at_ms).max(0);
                #[allow(clippy::cast_precision_loss)]
                let latency_seconds = ms as f64 / 1000.0;
                MessagePlaced {
                    message_id: &result.message,
                    found_by_readback: placed.found_by_readback,
                    latency_seconds,
                }
                .report(&shared.metrics);
            }
            Ok(true)
        }
        Err(AppendError::WrongExpectedVersion { .. }) => Ok(false),
        Err(error) => Err(anyhow::Error::new(error).context("Failed to record a worker's result")),
    }
}
