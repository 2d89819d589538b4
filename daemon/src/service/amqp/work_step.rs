//! The work function on one work item in a worker: the same decisions as in-process
//! ([`decide`]), with every append made by the owner at the version the item was read at, and
//! what the worker met at the record system (its answers, a failed attempt) sent with the
//! results for the owner's health and metrics.

use anyhow::Context;
use base64::Engine;
use ketenpost_adapters::render::PdfRenderer;
use ketenpost_domain::delivery::{MessageFacts, NextStep};
use ketenpost_domain::work::{decide, prepare, After, Decision, Note, WorkError, WorkItem};

use super::replies::Sender;
use super::wire::{AttemptFailed, Next, Placed, StepResult, WorkOrder};
use super::worker::Worker;
use crate::config::ActiveRouting;
use crate::service::observed::Observed;
use crate::service::record_health::Gathered;
use crate::service::state::now_ms;

/// The work function on one item: the same decisions as in-process, with every append made
/// by the owner at the version the item was read at.
pub(super) async fn work(
    worker: &Worker,
    sender: &Sender,
    order: &WorkOrder,
    routing: &ActiveRouting,
) -> anyhow::Result<()> {
    let payload = base64::engine::general_purpose::STANDARD
        .decode(&order.payload)
        .context("The work item's payload is not base64")?;
    let facts = MessageFacts::from_history(&order.recorded());
    // The record system's answers, sent with the results for the owner's health of it.
    let gathered = Gathered::default();
    let result = |expected: u64, events, next| StepResult {
        item: order.item.clone(),
        message: order.message.clone(),
        expected,
        events,
        next,
        placed: None,
        answers: gathered.take(),
        attempt_failed: None,
    };
    let placed = |note: Note| match note {
        Note::Placed { found_by_readback } => Some(Placed {
            found_by_readback,
            received_at_ms: order.received_at_ms,
        }),
        _ => None,
    };
    let Some(parsed) = facts.parsed.clone() else {
        sender
            .send(&result(order.version, Vec::new(), Next::Finished))
            .await?;
        return Ok(());
    };
    let route = routing.route_for_mailbox(&order.mailbox);
    let due = matches!(
        facts.next_step(),
        NextStep::Deliver { not_before_ms, .. } if not_before_ms <= now_ms()
    );
    let prepared = if due {
        let bytes = payload.clone();
        let envelope = order.envelope.clone();
        let mailbox = order.mailbox.clone();
        let route = route.cloned();
        Some(
            tokio::task::spawn_blocking(move || {
                prepare(
                    &PdfRenderer,
                    &bytes,
                    &parsed,
                    envelope.as_deref(),
                    &mailbox,
                    route.as_ref(),
                )
            })
            .await
            .context("Rendering failed")?,
        )
    } else {
        None
    };
    let record_system = route.and_then(|r| {
        let client = worker.record_systems.get(&r.record_system)?;
        Some(Observed::new(
            &gathered,
            &r.record_system,
            client,
            &order.message,
        ))
    });
    let attempt_failed = |note: Note| match note {
        Note::AttemptFailed { attempt } => Some(AttemptFailed::new(
            attempt,
            record_system.as_ref().and_then(Observed::last_failure),
        )),
        _ => None,
    };
    let item = WorkItem {
        message: &order.message,
        facts: &facts,
        payload: &payload,
        route,
        clock: now_ms,
        jitter: jitter(),
    };
    let after = |after: After| match after {
        After::Again => Next::Again,
        After::Done(done) => done.into(),
    };
    let step = match decide(&item, prepared, record_system.as_ref()).await {
        Ok(Decision::Nothing(done)) => result(order.version, Vec::new(), done.into()),
        Ok(Decision::ReadAgain) => result(order.version, Vec::new(), Next::Again),
        Ok(Decision::Record(outcome)) => StepResult {
            placed: placed(outcome.note),
            attempt_failed: attempt_failed(outcome.note),
            ..result(
                order.version,
                decided_by(outcome.events, routing.version),
                after(outcome.after),
            )
        },
        Ok(Decision::Upload(upload)) => {
            let record_system = record_system
                .as_ref()
                .context("an upload was decided without a record system")?;
            let attempted = result(order.version, vec![upload.attempted()], Next::Continues);
            if !sender.send(&attempted).await? {
                // Moved on meanwhile: the owner reads it again.
                return Ok(());
            }
            let outcome = upload.place(record_system).await;
            StepResult {
                placed: placed(outcome.note),
                attempt_failed: attempt_failed(outcome.note),
                ..result(
                    order.version + 1,
                    decided_by(outcome.events, routing.version),
                    after(outcome.after),
                )
            }
        }
        Err(WorkError::NotAMessage { .. }) => result(order.version, Vec::new(), Next::Finished),
        Err(error) => return Err(error.into()),
    };
    sender.send(&step).await?;
    Ok(())
}

fn jitter() -> f64 {
    let mut byte = [0u8; 2];
    if getrandom::getrandom(&mut byte).is_err() {
        return 0.5;
    }
    f64::from(u16::from_le_bytes(byte)) / f64::from(u16::MAX)
}

/// `events` with every classification naming the configuration version that decided it.
fn decided_by(
    mut events: Vec<ketenpost_domain::events::Event>,
    version: u64,
) -> Vec<ketenpost_domain::events::Event> {
    for event in &mut events {
        if let ketenpost_domain::events::Event::MessageClassified(c) = event {
            c.config_version = Some(version);
        }
    }
    events
}
