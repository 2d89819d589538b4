//! Messages put straight into the event log the way the daemon records them (a receipt, then
//! the message parsed and classified, its payload a real letter), with the projections brought
//! up to date; and the ports the daemon gives the portal (payloads, resend).

use std::sync::Arc;

use ketenpost_adapters::event_log::DiskEventLog;
use ketenpost_domain::category::{Category, Reason};
use ketenpost_domain::events::{
    Event, EventId, MessageClassified, MessageParsed, MessageReceived, NewEvent, ResendRequested,
    StreamId, StreamKind,
};
use ketenpost_domain::payload::Format;
use ketenpost_domain::ports::{
    AppendError, EventLog, ExpectedVersion, PayloadStore, ReadError, StreamAppend,
};
use ketenpost_portal::detail::{ResendRefusal, Resender};

/// The letter every test message carries: client "J.H. de Bruin - van 't Wolf", BSN 999990019,
/// from Dr. S. Bakker.
pub const LETTER: &[u8] = include_bytes!("../../../fixtures/messages/medvri_lf.edi");

/// The BSN in [`LETTER`].
pub const LETTER_BSN: &str = "999990019";

/// The log's payloads as the portal's port.
pub struct Payloads(pub Arc<DiskEventLog>);

impl PayloadStore for Payloads {
    fn put(&self, bytes: &[u8]) -> Result<String, AppendError> {
        self.0.payloads().put(bytes)
    }

    fn get(&self, digest: &str) -> Result<Option<Vec<u8>>, ReadError> {
        self.0.payloads().get(digest)
    }
}

/// Resends as the daemon records it (without workers: the message stays in progress).
pub struct Resending(pub Arc<DiskEventLog>);

impl Resender for Resending {
    fn resend(&self, id: &str, requested_by: &str) -> Result<(), ResendRefusal> {
        let stream = StreamId::parse(id).ok_or(ResendRefusal::NotFound)?;
        let history = self.0.read_stream(&stream).unwrap();
        let last = history.last().ok_or(ResendRefusal::NotFound)?;
        match history.iter().rev().find_map(|e| match &e.event {
            Event::MessageClassified(c) => Some(Some(c.category)),
            Event::ResendRequested(_) | Event::AwaitingDelivery => Some(None),
            _ => None,
        }) {
            Some(Some(Category::Processed)) => return Err(ResendRefusal::Processed),
            Some(Some(_)) => {}
            _ => return Err(ResendRefusal::InProgress),
        }
        self.0
            .append(vec![StreamAppend {
                stream,
                expected: ExpectedVersion::Exactly(last.version),
                events: vec![NewEvent {
                    id: id_(),
                    event: Event::ResendRequested(ResendRequested {
                        requested_by: requested_by.into(),
                    }),
                }],
            }])
            .unwrap();
        self.0.catch_up().unwrap();
        Ok(())
    }
}

fn id_() -> EventId {
    id()
}

fn id() -> EventId {
    EventId(uuid::Uuid::now_v7().as_u128())
}

/// The reason a test message of `category` gets.
fn reason(category: Category) -> Reason {
    match category {
        Category::MissingBsn => Reason::NoBsn,
        Category::Processed => Reason::Placed,
        Category::UnknownBsn => Reason::UnknownBsn,
        _ => Reason::Malformed {
            detail: "test".into(),
            error: None,
        },
    }
}

/// Records one message of `identifier` from `sender` in `category`; its stream.
pub fn add(log: &DiskEventLog, category: Category, identifier: &str, sender: &str) -> StreamId {
    add_payload(log, category, identifier, sender, LETTER)
}

/// Records a letter about another client: [`LETTER`] with `bsn` and the surname `surname`
/// (the client is then "JH de <surname> - van 't Wolf").
pub fn add_client(
    log: &DiskEventLog,
    category: Category,
    sender: &str,
    bsn: &str,
    surname: &str,
) -> StreamId {
    let letter = String::from_utf8_lossy(LETTER)
        .replace(LETTER_BSN, bsn)
        .replace(":Bruin:", &format!(":{surname}:"));
    add_payload(log, category, "MEDVRI:1", sender, letter.as_bytes())
}

/// Records one message with `payload`.
pub fn add_payload(
    log: &DiskEventLog,
    category: Category,
    identifier: &str,
    sender: &str,
    payload: &[u8],
) -> StreamId {
    let digest = log.payloads().put(payload).unwrap();
    let receipt = StreamId::new(StreamKind::Receipt, id());
    let stream = StreamId::new(StreamKind::Message, id());
    let received = Event::MessageReceived(MessageReceived {
        mailbox: "zorgmail".into(),
        remote_id: format!("{receipt}.edi"),
        payload_digest: digest.clone(),
        size: payload.len() as u64,
        format: Format::Edifact,
        envelope: None,
    });
    let parsed = Event::MessageParsed(MessageParsed {
        receipt: receipt.clone(),
        payload_digest: digest,
        number: 1,
        format: Format::Edifact,
        identifier: Some(identifier.into()),
        interchange_ref: Some("IC".into()),
        message_ref: Some("1".into()),
        sender_id: Some(sender.into()),
        warnings: 0,
        error: None,
    });
    let classified = Event::MessageClassified(MessageClassified {
        category,
        reason: reason(category),
        config_version: None,
    });
    log.append(vec![StreamAppend {
        stream: receipt,
        expected: ExpectedVersion::NoStream,
        events: vec![NewEvent {
            id: id(),
            event: received,
        }],
    }])
    .unwrap();
    log.append(vec![StreamAppend {
        stream: stream.clone(),
        expected: ExpectedVersion::NoStream,
        events: vec![
            NewEvent {
                id: id(),
                event: parsed,
            },
            NewEvent {
                id: id(),
                event: classified,
            },
        ],
    }])
    .unwrap();
    log.catch_up().unwrap();
    stream
}
