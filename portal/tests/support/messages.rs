//! Messages put straight into the event log the way the daemon records them (a receipt, then
//! the message parsed and classified), with the projections brought up to date.

use ketenpost_adapters::event_log::SledEventLog;
use ketenpost_domain::category::{Category, Reason};
use ketenpost_domain::events::{
    Event, EventId, MessageClassified, MessageParsed, MessageReceived, NewEvent, StreamId,
    StreamKind,
};
use ketenpost_domain::payload::Format;
use ketenpost_domain::ports::{EventLog, ExpectedVersion, StreamAppend};

fn id() -> EventId {
    EventId(uuid::Uuid::now_v7().as_u128())
}

/// The reason a test message of `category` gets.
fn reason(category: Category) -> Reason {
    match category {
        Category::MissingBsn => Reason::NoBsn,
        Category::Processed => Reason::Placed,
        _ => Reason::Malformed {
            detail: "test".into(),
            error: None,
        },
    }
}

/// Records one message of `identifier` from `sender` in `category`; its stream.
pub fn add(log: &SledEventLog, category: Category, identifier: &str, sender: &str) -> StreamId {
    let receipt = StreamId::new(StreamKind::Receipt, id());
    let stream = StreamId::new(StreamKind::Message, id());
    let received = Event::MessageReceived(MessageReceived {
        mailbox: "zorgmail".into(),
        remote_id: format!("{receipt}.edi"),
        payload_digest: "00".repeat(32),
        size: 10,
        format: Format::Edifact,
        envelope: None,
    });
    let parsed = Event::MessageParsed(MessageParsed {
        receipt: receipt.clone(),
        payload_digest: "00".repeat(32),
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
