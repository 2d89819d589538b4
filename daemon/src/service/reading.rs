//! What a worker reads before it acts on a message: its history, its receipt and payload and,
//! when a delivery is due, its prepared document (the PDF and how the route places it).

use std::sync::Arc;

use anyhow::Context;
use ketenpost_adapters::event_log::DiskEventLog;
use ketenpost_adapters::render::PdfRenderer;
use ketenpost_domain::delivery::{MessageFacts, NextStep};
use ketenpost_domain::events::{Event, MailEnvelope, MessageParsed, StreamId};
use ketenpost_domain::ports::{EventLog, PayloadStore};
use ketenpost_domain::work::{prepare, Prepared};

use super::state::{now_ms, Shared};
use crate::config::ActiveRouting;
use crate::telemetry::{spans, Stage};

/// Payloads up to this size are read and prepared on the async thread that works on the
/// message: for a letter or lab report of a few KiB that is a tenth of a millisecond or two,
/// less than handing it to the blocking pool and back (measured with the end-to-end
/// benchmark: a tenth less CPU per message). At this size (a letter of five to eight pages)
/// it takes under ten milliseconds even with an embedded font (ten such pages: 10.9 ms, see
/// `docs/performance.md`). Larger payloads are read and prepared on the CPU pool, so that no
/// async thread is held up for long.
const PREPARE_IN_PLACE_BYTES: u64 = 16 * 1024;

/// Reads a message's history and receipt, then its payload and, when a delivery is due,
/// prepares the document: `None` when the message is not parsed (nothing to do). Reading and
/// rendering each run in a span of their step.
pub async fn read_and_prepare(
    shared: &Arc<Shared>,
    routing: &Arc<ActiveRouting>,
    message: &StreamId,
) -> anyhow::Result<Option<(MessageFacts, Origin, Option<Prepared>)>> {
    let read = spans::step(Stage::ReadPayload, message);
    let facts = read.in_scope(|| {
        shared
            .log
            .read_stream(message)
            .map(|h| MessageFacts::from_history(&h))
    })?;
    let Some(parsed) = facts.parsed.clone() else {
        return Ok(None);
    };
    let receipt = read.in_scope(|| Receipt::read(&shared.log, &parsed))?;
    let due = matches!(
        facts.next_step(),
        NextStep::Deliver { not_before_ms, .. } if not_before_ms <= now_ms()
    );
    let (origin, prepared) = if receipt.size <= PREPARE_IN_PLACE_BYTES {
        load_and_prepare(shared, routing, message, &parsed, receipt, due)?
    } else {
        let on_cpu = Arc::clone(shared);
        let routing = Arc::clone(routing);
        let message = message.clone();
        shared
            .on_cpu(move || load_and_prepare(&on_cpu, &routing, &message, &parsed, receipt, due))
            .await??
    };
    Ok(Some((facts, origin, prepared)))
}

/// Reads the payload of `parsed` and, when `due`, prepares its document.
fn load_and_prepare(
    shared: &Shared,
    routing: &ActiveRouting,
    message: &StreamId,
    parsed: &MessageParsed,
    receipt: Receipt,
    due: bool,
) -> anyhow::Result<(Origin, Option<Prepared>)> {
    let bytes = spans::step(Stage::ReadPayload, message).in_scope(|| {
        shared
            .log
            .payloads()
            .get(&parsed.payload_digest)?
            .with_context(|| format!("The payload of {} is not stored", parsed.receipt))
    })?;
    let origin = Origin {
        bytes,
        mailbox: receipt.mailbox,
        envelope: receipt.envelope,
        received_at_ms: receipt.received_at_ms,
    };
    let prepared = due.then(|| {
        let _render = spans::step(Stage::Render, message).entered();
        prepare(
            &PdfRenderer,
            &origin.bytes,
            parsed,
            origin.envelope.as_deref(),
            &origin.mailbox,
            routing.route_for_mailbox(&origin.mailbox),
        )
    });
    Ok((origin, prepared))
}

/// What a message's receipt says.
struct Receipt {
    mailbox: String,
    envelope: Option<Box<MailEnvelope>>,
    received_at_ms: i64,
    size: u64,
}

impl Receipt {
    /// Reads the receipt of `parsed`.
    fn read(log: &DiskEventLog, parsed: &MessageParsed) -> anyhow::Result<Self> {
        let receipt = &parsed.receipt;
        log.read_stream(receipt)?
            .into_iter()
            .find_map(|e| match e.event {
                Event::MessageReceived(r) => Some(Self {
                    mailbox: r.mailbox,
                    envelope: r.envelope,
                    received_at_ms: e.recorded_at_ms,
                    size: r.size,
                }),
                _ => None,
            })
            .with_context(|| format!("The receipt {receipt} has no MessageReceived"))
    }
}

/// What a message's receipt says, and the payload.
pub struct Origin {
    /// The payload.
    pub bytes: Vec<u8>,
    /// The mailbox it came from.
    pub mailbox: String,
    /// What the mailbox said about it.
    pub envelope: Option<Box<MailEnvelope>>,
    /// When it was recorded (milliseconds since 1970-01-01 UTC).
    pub received_at_ms: i64,
}
