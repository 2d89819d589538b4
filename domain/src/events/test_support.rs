//! Events as the log would hand them back, for the tests of the folds and rules over them.

use super::{Event, EventId, MessageParsed, RecordedEvent, StreamId, StreamKind};
use crate::payload::Format;

/// `event` at `position` (also its version) of one message stream, recorded at 1000 + position.
pub(crate) fn message_event(position: u64, event: Event) -> RecordedEvent {
    RecordedEvent {
        position,
        id: EventId(u128::from(position)),
        stream: StreamId::new(StreamKind::Message, EventId(7)),
        version: position,
        recorded_at_ms: 1_000 + i64::try_from(position).unwrap_or(0),
        code_version: "test".into(),
        schema_version: 1,
        event,
    }
}

/// A `MessageParsed` of an EDIFACT message of type `identifier`.
pub(crate) fn parsed(identifier: &str) -> Event {
    Event::MessageParsed(MessageParsed {
        receipt: StreamId::new(StreamKind::Receipt, EventId(1)),
        payload_digest: "d".into(),
        number: 1,
        format: Format::Edifact,
        identifier: Some(identifier.into()),
        interchange_ref: None,
        message_ref: Some("1".into()),
        sender_id: None,
        warnings: 0,
        error: None,
    })
}
