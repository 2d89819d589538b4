//! One work item: a message id in, the events of its next steps out. A worker reads the
//! message's history, decides what it needs, does the IO with the record system and appends
//! the outcome. Every append names the version it expects, so two workers never both act.

use std::sync::Arc;
use std::time::Instant;

use anyhow::Context;
use ketenpost_adapters::ons::{ClientLookup, DocumentMetadata, OnsError};
use ketenpost_domain::category::{Category, Classification, Reason, RecordSystemCall};
use ketenpost_domain::delivery::{
    after_failure, after_lookup, classified, document_status_counts, file_name, is_document_of,
    Failure, NextStep,
};
use ketenpost_domain::events::{DeliveryAttempted, DocumentPlaced, Event, NewEvent, StreamId};
use ketenpost_domain::ports::{AppendError, ExpectedVersion, StreamAppend};
use ketenpost_domain::processing::{place_incoming_pdf, process_payload};
use ketenpost_domain::routing::{RetryPolicy, RightSelection};

use super::prepare::{Prepared, Ready};
use super::reading::{read_and_prepare, Origin};
use super::state::{now_ms, Shared};
use crate::intake::new_id;

/// What became of a work item.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Done {
    /// Nothing more to do now.
    Finished,
    /// Try again at this time (milliseconds since 1970-01-01 UTC).
    RetryAt(i64),
}

/// Appending failed because another writer moved the stream on: read it again.
#[derive(Debug, thiserror::Error)]
#[error("the message changed while it was worked on")]
struct Moved;

/// Works on one message until it is decided, waiting for a retry, or moved on by someone else.
///
/// # Errors
/// The log or the payload cannot be read or written.
pub async fn work(shared: &Arc<Shared>, message: &StreamId) -> anyhow::Result<Done> {
    for _ in 0..8 {
        match step(shared, message).await {
            Ok(Some(done)) => return Ok(done),
            Ok(None) => {}
            Err(error) if error.downcast_ref::<Moved>().is_some() => {}
            Err(error) => return Err(error),
        }
    }
    Ok(Done::Finished)
}

/// One step; `None` when there is a next step to take at once.
async fn step(shared: &Arc<Shared>, message: &StreamId) -> anyhow::Result<Option<Done>> {
    let Some((facts, context, prepared)) = read_and_prepare(shared, message).await? else {
        return Ok(Some(Done::Finished));
    };
    let (Some(parsed), Some(version)) = (facts.parsed.clone(), facts.version) else {
        return Ok(Some(Done::Finished));
    };
    match facts.next_step() {
        NextStep::Nothing => Ok(Some(Done::Finished)),
        NextStep::Reprocess => {
            let places_pdf = shared
                .settings
                .route_for_mailbox(&context.mailbox)
                .is_some_and(|route| route.place_incoming_pdf);
            let next = process_payload(&parsed.receipt, &parsed.payload_digest, &context.bytes)
                .into_iter()
                .find(|o| o.parsed.number == parsed.number)
                .map(|o| if places_pdf { place_incoming_pdf(o) } else { o })
                .map_or_else(
                    || {
                        classified(
                            Category::Fallout,
                            Reason::Malformed {
                                detail: format!(
                                    "message {} is no longer in the payload",
                                    parsed.number
                                ),
                            },
                        )
                    },
                    |o| o.next,
                );
            append(shared, message, version, vec![next]).await?;
            Ok(None)
        }
        NextStep::Deliver {
            attempt,
            not_before_ms,
            earlier_upload,
        } => {
            if not_before_ms > now_ms() {
                return Ok(Some(Done::RetryAt(not_before_ms)));
            }
            let Some(prepared) = prepared else {
                // Read at a moment the delivery was not yet due: read and prepare again.
                return Ok(None);
            };
            deliver(
                shared,
                message,
                version,
                &context,
                prepared,
                attempt,
                earlier_upload,
            )
            .await
        }
    }
}

async fn append(
    shared: &Shared,
    message: &StreamId,
    version: u64,
    events: Vec<Event>,
) -> anyhow::Result<u64> {
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
        Err(AppendError::WrongExpectedVersion { .. }) => Err(Moved.into()),
        Err(error) => Err(error).context("Failed to record the message's next step"),
    }
}

fn jitter() -> f64 {
    let mut byte = [0u8; 2];
    if getrandom::getrandom(&mut byte).is_err() {
        return 0.5;
    }
    f64::from(u16::from_le_bytes(byte)) / f64::from(u16::MAX)
}

fn failure_of(error: &OnsError) -> Failure {
    match error {
        OnsError::Status { call, status } => Failure::from_status(*call, *status),
        other => Failure::Transient(other.to_string()),
    }
}

/// Records the category a message ends in without a placement; its work is done.
async fn decided(
    shared: &Shared,
    message: &StreamId,
    version: u64,
    classification: Classification,
) -> anyhow::Result<Option<Done>> {
    let event = classified(classification.category, classification.reason);
    append(shared, message, version, vec![event]).await?;
    Ok(Some(Done::Finished))
}

/// Records a failed attempt: a retry, or the category the spent budget or refusal leads to.
async fn failed(
    shared: &Shared,
    message: &StreamId,
    version: u64,
    retry: &RetryPolicy,
    attempt: u32,
    failure: Failure,
) -> anyhow::Result<Option<Done>> {
    let event = after_failure(retry, attempt, failure, now_ms(), jitter());
    let retry_at = match &event {
        Event::DeliveryFailed(f) => Some(f.retry_at_ms),
        _ => None,
    };
    let error = match &event {
        Event::DeliveryFailed(f) => f.error.as_str(),
        _ => "the attempt decided the message",
    };
    tracing::warn!(message_id = %message, attempt, error, "delivery attempt failed");
    append(shared, message, version, vec![event]).await?;
    Ok(Some(retry_at.map_or(Done::Finished, Done::RetryAt)))
}

#[allow(clippy::too_many_arguments)]
async fn deliver(
    shared: &Shared,
    message: &StreamId,
    version: u64,
    context: &Origin,
    prepared: Prepared,
    attempt: u32,
    earlier_upload: bool,
) -> anyhow::Result<Option<Done>> {
    let route = shared.settings.route_for_mailbox(&context.mailbox).cloned();
    let (ready, route) = match (prepared, route) {
        (Prepared::Decided(c), _) => return decided(shared, message, version, c).await,
        (Prepared::Ready(ready), Some(route)) => (ready, route),
        (Prepared::Ready(_), None) => return Ok(Some(Done::Finished)),
    };
    let Some(ons) = shared.record_systems.get(&route.record_system) else {
        anyhow::bail!("routes.{}.record_system is not configured", route.name);
    };
    let record_system = route.record_system.as_str();
    let lookup = ons.client_by_bsn(&ready.bsn).await;
    shared.record_system_answered(record_system, RecordSystemCall::Lookup, &lookup);
    let client_id = match lookup {
        Ok(ClientLookup::Found(id)) => id,
        Ok(ClientLookup::NotFound) => {
            let c = after_lookup(404).context("404 is decided")?;
            return decided(shared, message, version, c).await;
        }
        Ok(ClientLookup::Several) => {
            let c = after_lookup(409).context("409 is decided")?;
            return decided(shared, message, version, c).await;
        }
        Err(error) => {
            let failure = failure_of(&error);
            return failed(shared, message, version, &route.retry, attempt, failure).await;
        }
    };
    let file = file_name(message);
    let placed = |document_id: String, found_by_readback: bool| {
        placed_events(
            &route.record_system,
            &client_id,
            document_id,
            &file,
            &ready,
            found_by_readback,
        )
    };
    if earlier_upload {
        let listed = ons.documents(&client_id).await;
        shared.record_system_answered(record_system, RecordSystemCall::List, &listed);
        match listed {
            Ok(documents) => {
                // A document of this message stored in error (or deleted) did not land.
                if let Some(found) = documents.iter().find(|d| {
                    is_document_of(&d.file_name, message) && document_status_counts(d.status)
                }) {
                    tracing::info!(message_id = %message, "an earlier upload had landed");
                    append(shared, message, version, placed(found.id.clone(), true)).await?;
                    observe_latency(shared, context);
                    return Ok(Some(Done::Finished));
                }
            }
            Err(error) => {
                let failure = failure_of(&error);
                return failed(shared, message, version, &route.retry, attempt, failure).await;
            }
        }
    }
    let attempted = Event::DeliveryAttempted(DeliveryAttempted {
        attempt,
        record_system: route.record_system.clone(),
        idempotency_key: message.as_str().to_owned(),
        client_id: client_id.clone(),
        file_name: file.clone(),
    });
    let version = append(shared, message, version, vec![attempted]).await?;
    let metadata = DocumentMetadata {
        description: ready.description.clone(),
        file_name: file.clone(),
        tags: ready.settings.labels.clone(),
        right_selection: right_selection_name(ready.settings.right_selection),
        expertise_groups: ready.settings.expertise_groups.clone(),
        expertise_profiles: ready.settings.expertise_profiles.clone(),
        actions: ready.settings.actions.clone(),
    };
    let upload = ons
        .place_document(&client_id, &metadata, ready.pdf.clone())
        .await;
    shared.record_system_answered(record_system, RecordSystemCall::Upload, &upload);
    match upload {
        Ok(document) if !document_status_counts(document.status) => {
            // Stored in error (5), or deleted: not placed. The next attempt reads back first.
            let failure = Failure::Transient(format!(
                "Ons answered the {} with a document in status {}",
                RecordSystemCall::Upload,
                document.status.unwrap_or_default()
            ));
            failed(shared, message, version, &route.retry, attempt, failure).await
        }
        Ok(document) => {
            append(shared, message, version, placed(document.id, false)).await?;
            observe_latency(shared, context);
            tracing::info!(message_id = %message, "placed");
            Ok(Some(Done::Finished))
        }
        Err(error) => {
            let failure = failure_of(&error);
            failed(shared, message, version, &route.retry, attempt, failure).await
        }
    }
}

fn observe_latency(shared: &Shared, context: &Origin) {
    let ms = now_ms().saturating_sub(context.received_at_ms).max(0);
    #[allow(clippy::cast_precision_loss)]
    shared.metrics.delivered(ms as f64 / 1000.0);
}

fn right_selection_name(selection: Option<RightSelection>) -> String {
    // Validation at start guarantees a visibility; `Nobody` is the safe fallback.
    match selection.unwrap_or(RightSelection::Nobody) {
        RightSelection::Me => "Me",
        RightSelection::Group => "Group",
        RightSelection::Education => "Education",
        RightSelection::All => "All",
        RightSelection::Nobody => "Nobody",
    }
    .to_owned()
}

fn placed_events(
    record_system: &str,
    client_id: &str,
    document_id: String,
    file: &str,
    ready: &Ready,
    found_by_readback: bool,
) -> Vec<Event> {
    vec![
        Event::DocumentPlaced(DocumentPlaced {
            record_system: record_system.to_owned(),
            client_id: client_id.to_owned(),
            document_id,
            file_name: file.to_owned(),
            labels: ready.settings.labels.clone(),
            actions: ready.settings.actions.clone(),
            right_selection: right_selection_name(ready.settings.right_selection),
            expertise_groups: ready.settings.expertise_groups.clone(),
            expertise_profiles: ready.settings.expertise_profiles.clone(),
            found_by_readback,
        }),
        classified(Category::Processed, Reason::Placed),
    ]
}
