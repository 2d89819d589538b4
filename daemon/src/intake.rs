//! Taking a payload in: store it, record it as received (durably), then process it into one
//! message stream per message. Receipts that were recorded but not processed (the process
//! stopped in between) are processed on the next start.

use anyhow::Context;
use ketenpost_adapters::event_log::DiskEventLog;
use ketenpost_domain::category::Category;
use ketenpost_domain::events::{
    Event, EventId, MailEnvelope, MessageReceived, NewEvent, StreamId, StreamKind,
};
use ketenpost_domain::payload::detect_format;
use ketenpost_domain::payload::Format;
use ketenpost_domain::ports::{EventLog, ExpectedVersion, PayloadStore, StreamAppend};
use ketenpost_domain::processing::process_payload;

/// A new id, time-ordered (UUID v7).
pub fn new_id() -> EventId {
    EventId(uuid::Uuid::now_v7().as_u128())
}

/// Stores a payload and records it as received; returns the receipt stream once durable.
///
/// # Errors
/// The payload or the event could not be written.
pub fn receive(
    log: &DiskEventLog,
    mailbox: &str,
    remote_id: &str,
    bytes: &[u8],
) -> anyhow::Result<StreamId> {
    let digest = log
        .payloads()
        .put(bytes)
        .context("Failed to store the payload")?;
    let receipt = StreamId::new(StreamKind::Receipt, new_id());
    let event = Event::MessageReceived(MessageReceived {
        mailbox: mailbox.to_owned(),
        remote_id: remote_id.to_owned(),
        payload_digest: digest,
        size: bytes.len() as u64,
        format: detect_format(bytes).unwrap_or(Format::Edifact),
        envelope: None,
    });
    log.append(vec![StreamAppend {
        stream: receipt.clone(),
        expected: ExpectedVersion::NoStream,
        events: vec![NewEvent {
            id: new_id(),
            event,
        }],
    }])
    .context("Failed to record the payload as received")?;
    Ok(receipt)
}

/// What one receipt became: the receipt stream and its message streams, with whether each
/// waits for the record system.
#[derive(Debug, Clone)]
pub struct Received {
    /// The receipt stream.
    pub receipt: StreamId,
    /// The payload's digest.
    pub digest: String,
    /// The message streams, and whether each awaits delivery.
    pub messages: Vec<(StreamId, bool)>,
    /// The message streams decided at once (unsupported, no BSN), with their category.
    pub classified: Vec<(StreamId, Category)>,
}

/// A payload as it arrived from a mailbox, before it is recorded.
#[derive(Debug, Clone)]
pub struct Arrival {
    /// The mailbox's name.
    pub mailbox: String,
    /// The mailbox's id for it.
    pub remote_id: String,
    /// The payload.
    pub bytes: Vec<u8>,
    /// What the mailbox recorded with it.
    pub envelope: Option<MailEnvelope>,
    /// Whether the mailbox's route places incoming PDF payloads.
    pub place_incoming_pdf: bool,
}

/// Stores payloads, records them as received and processes them, all in one durable append:
/// when this returns, the mailbox may delete them.
///
/// # Errors
/// A payload or the events could not be written; then none of them is recorded.
pub fn receive_and_process(
    log: &DiskEventLog,
    arrivals: Vec<Arrival>,
) -> anyhow::Result<Vec<Received>> {
    let mut appends = Vec::new();
    let mut received = Vec::new();
    for arrival in arrivals {
        let digest = log
            .payloads()
            .put(&arrival.bytes)
            .context("Failed to store the payload")?;
        let receipt = StreamId::new(StreamKind::Receipt, new_id());
        let event = Event::MessageReceived(MessageReceived {
            mailbox: arrival.mailbox,
            remote_id: arrival.remote_id,
            payload_digest: digest.clone(),
            size: arrival.bytes.len() as u64,
            format: detect_format(&arrival.bytes).unwrap_or(Format::Edifact),
            envelope: arrival.envelope.map(Box::new),
        });
        appends.push(StreamAppend {
            stream: receipt.clone(),
            expected: ExpectedVersion::NoStream,
            events: vec![NewEvent {
                id: new_id(),
                event,
            }],
        });
        let (message_appends, messages) = message_streams(
            &receipt,
            &digest,
            &arrival.bytes,
            arrival.place_incoming_pdf,
        );
        let classified = message_appends
            .iter()
            .flat_map(|append| {
                append.events.iter().filter_map(|e| match &e.event {
                    Event::MessageClassified(c) => Some((append.stream.clone(), c.category)),
                    _ => None,
                })
            })
            .collect();
        appends.extend(message_appends);
        received.push(Received {
            receipt,
            digest,
            messages,
            classified,
        });
    }
    if appends.is_empty() {
        return Ok(received);
    }
    log.append(appends)
        .context("Failed to record the payloads as received")?;
    Ok(received)
}

/// The appends that make one message stream per message of a payload.
fn message_streams(
    receipt: &StreamId,
    digest: &str,
    bytes: &[u8],
    place_pdf: bool,
) -> (Vec<StreamAppend>, Vec<(StreamId, bool)>) {
    let mut streams = Vec::new();
    let appends = process_payload(receipt, digest, bytes, place_pdf)
        .into_iter()
        .map(|outcome| {
            let stream = StreamId::new(StreamKind::Message, new_id());
            streams.push((stream.clone(), outcome.next == Event::AwaitingDelivery));
            StreamAppend {
                stream,
                expected: ExpectedVersion::NoStream,
                events: vec![
                    NewEvent {
                        id: new_id(),
                        event: Event::MessageParsed(outcome.parsed),
                    },
                    NewEvent {
                        id: new_id(),
                        event: outcome.next,
                    },
                ],
            }
        })
        .collect();
    (appends, streams)
}

/// Processes a received payload: one message stream per message, all appended at once.
/// Returns the message streams once durable.
///
/// # Errors
/// The payload is missing or the events could not be written.
pub fn process(
    log: &DiskEventLog,
    receipt: &StreamId,
    digest: &str,
) -> anyhow::Result<Vec<StreamId>> {
    let bytes = log
        .payloads()
        .get(digest)
        .context("Failed to read the payload")?
        .with_context(|| format!("The payload {digest} of {receipt} is not stored"))?;
    let (appends, streams) = message_streams(receipt, digest, &bytes, false);
    log.append(appends)
        .with_context(|| format!("Failed to record the messages of {receipt}"))?;
    Ok(streams.into_iter().map(|(stream, _)| stream).collect())
}

/// Processes every receipt that was recorded but not processed; returns how many.
///
/// # Errors
/// The projections or a payload cannot be read, or events cannot be written.
pub fn resume(log: &DiskEventLog) -> anyhow::Result<usize> {
    log.catch_up()
        .context("Failed to bring the projections up to date")?;
    let open = log
        .unprocessed_receipts()
        .context("Failed to find unprocessed receipts")?;
    for receipt in &open {
        process(log, &receipt.stream, &receipt.payload_digest)?;
    }
    Ok(open.len())
}

#[cfg(test)]
mod tests {
    use super::*;
    use ketenpost_adapters::event_log::{digest_of, LogOptions};

    const LETTER: &[u8] = include_bytes!("../../fixtures/messages/medvri_lf.edi");

    #[test]
    fn a_receipt_the_process_left_unprocessed_is_processed_at_the_next_start() {
        let folder =
            std::env::temp_dir().join(format!("ketenpost-intake-resume-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&folder);
        let (left, done) = {
            let log = DiskEventLog::open(&LogOptions::new(&folder)).unwrap();
            let done = receive(&log, "lab", "1.edi", LETTER).unwrap();
            process(&log, &done, &digest_of(LETTER)).unwrap();
            // Recorded as received, then the process stopped before it processed it.
            let left = receive(&log, "lab", "2.edi", LETTER).unwrap();
            log.close();
            (left, done)
        };
        let log = DiskEventLog::open(&LogOptions::new(&folder)).unwrap();
        assert_eq!(resume(&log).unwrap(), 1, "only the receipt left open");
        log.catch_up().unwrap();
        assert_eq!(log.receipt(&left).unwrap().unwrap().messages, 1);
        assert_eq!(log.receipt(&done).unwrap().unwrap().messages, 1);
        assert_eq!(resume(&log).unwrap(), 0, "nothing is processed twice");
        drop(log);
        let _ = std::fs::remove_dir_all(&folder);
    }
}
