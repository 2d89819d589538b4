//! The stored form of one event inside a chunk (see `chunk.rs`): a compact binary envelope
//! around the event's self-describing JSON data. Its fields, in order:
//!
//! | bytes | field |
//! |---|---|
//! | 16 | event id, u128 big-endian |
//! | 8 | version in its stream, u64 big-endian |
//! | 2 + n | stream id: length (u16 big-endian), UTF-8 |
//! | 1 + n | event type name: length (u8), UTF-8 |
//! | 4 | schema version of the data, u32 big-endian |
//! | rest | the event's data as JSON (upcast on read when its schema is older) |
//!
//! The position, the time and the writing version live in the chunk; the checksum of each
//! record is kept by the chunk framing.

use ketenpost_domain::events::{decode_event_json, encode_event, EventId, RecordedEvent, StreamId};
use ketenpost_domain::ports::ReadError;

/// The fields of a record that the index needs, read without decoding the data.
pub(crate) struct Head<'a> {
    /// The event id.
    pub id: EventId,
    /// The version in its stream.
    pub version: u64,
    /// The stream id as stored.
    pub stream: &'a str,
}

/// Appends the record of `event` to `out`.
pub(crate) fn encode_into(event: &RecordedEvent, out: &mut Vec<u8>) {
    let (event_type, schema, data) = encode_event(&event.event);
    let stream = event.stream.as_str().as_bytes();
    // Stream ids are at most a few dozen bytes and type names are short constants; longer
    // ones are cut at the limit of their length field and then fail to read as damaged.
    let stream_len = u16::try_from(stream.len()).unwrap_or(u16::MAX);
    let type_len = u8::try_from(event_type.len()).unwrap_or(u8::MAX);
    out.extend_from_slice(&event.id.0.to_be_bytes());
    out.extend_from_slice(&event.version.to_be_bytes());
    out.extend_from_slice(&stream_len.to_be_bytes());
    out.extend_from_slice(&stream[..usize::from(stream_len)]);
    out.push(type_len);
    out.extend_from_slice(&event_type.as_bytes()[..usize::from(type_len)]);
    out.extend_from_slice(&schema.to_be_bytes());
    out.extend_from_slice(data.as_bytes());
}

/// A reader over a record's bytes that reports short records as damage at `position`.
struct Fields<'a> {
    position: u64,
    rest: &'a [u8],
}

impl<'a> Fields<'a> {
    fn take(&mut self, n: usize, what: &str) -> Result<&'a [u8], ReadError> {
        if self.rest.len() < n {
            return Err(ReadError::Damaged {
                position: self.position,
                detail: format!("record too short for its {what}"),
            });
        }
        let (taken, rest) = self.rest.split_at(n);
        self.rest = rest;
        Ok(taken)
    }

    fn array<const N: usize>(&mut self, what: &str) -> Result<[u8; N], ReadError> {
        let bytes = self.take(N, what)?;
        let mut out = [0u8; N];
        out.copy_from_slice(bytes);
        Ok(out)
    }

    fn text(&mut self, len: usize, what: &str) -> Result<&'a str, ReadError> {
        let bytes = self.take(len, what)?;
        std::str::from_utf8(bytes).map_err(|e| ReadError::Damaged {
            position: self.position,
            detail: format!("{what} is not UTF-8: {e}"),
        })
    }
}

/// Reads the id, version and stream of a record (already checksummed) at `position`.
///
/// # Errors
/// [`ReadError::Damaged`] when the record is too short or its stream id is not UTF-8.
pub(crate) fn decode_head(position: u64, record: &[u8]) -> Result<Head<'_>, ReadError> {
    let mut fields = Fields {
        position,
        rest: record,
    };
    head(&mut fields)
}

fn head<'a>(fields: &mut Fields<'a>) -> Result<Head<'a>, ReadError> {
    let id = EventId(u128::from_be_bytes(fields.array("event id")?));
    let version = u64::from_be_bytes(fields.array("version")?);
    let stream_len = usize::from(u16::from_be_bytes(fields.array("stream length")?));
    let stream = fields.text(stream_len, "stream id")?;
    Ok(Head {
        id,
        version,
        stream,
    })
}

/// Decodes a record (already checksummed) found at `position` of a chunk written at
/// `recorded_at_ms` by `code_version`.
///
/// # Errors
/// [`ReadError::Damaged`] when the record cannot be read or its data does not fit its type.
pub(crate) fn decode(
    position: u64,
    record: &[u8],
    recorded_at_ms: i64,
    code_version: &str,
) -> Result<RecordedEvent, ReadError> {
    let damaged = |detail: String| ReadError::Damaged { position, detail };
    let mut fields = Fields {
        position,
        rest: record,
    };
    let head = head(&mut fields)?;
    let stream =
        StreamId::parse(head.stream).ok_or_else(|| damaged("empty stream id".to_owned()))?;
    let type_len = usize::from(fields.array::<1>("type length")?[0]);
    let event_type = fields.text(type_len, "event type")?;
    let schema = u32::from_be_bytes(fields.array("schema")?);
    let data = fields.text(fields.rest.len(), "data")?;
    let event = decode_event_json(event_type, schema, data).map_err(|e| damaged(e.to_string()))?;
    Ok(RecordedEvent {
        position,
        id: head.id,
        stream,
        version: head.version,
        recorded_at_ms,
        code_version: code_version.to_owned(),
        schema_version: schema,
        event,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use ketenpost_domain::events::{Event, ResendRequested, StreamKind};

    fn event() -> RecordedEvent {
        RecordedEvent {
            position: 42,
            id: EventId(7),
            stream: StreamId::new(StreamKind::Message, EventId(9)),
            version: 3,
            recorded_at_ms: 1_700_000_000_000,
            code_version: "0.1.0".into(),
            schema_version: 1,
            event: Event::ResendRequested(ResendRequested {
                requested_by: "cli".into(),
            }),
        }
    }

    #[test]
    fn a_record_round_trips() {
        let mut bytes = Vec::new();
        encode_into(&event(), &mut bytes);
        assert_eq!(
            decode(42, &bytes, 1_700_000_000_000, "0.1.0").unwrap(),
            event()
        );
        let head = decode_head(42, &bytes).unwrap();
        assert_eq!(
            (head.id, head.version, head.stream),
            (EventId(7), 3, event().stream.as_str())
        );
    }

    #[test]
    fn a_truncated_record_is_damage_at_its_position() {
        let mut bytes = Vec::new();
        encode_into(&event(), &mut bytes);
        let err = decode(42, &bytes[..20], 0, "").unwrap_err();
        assert!(err.to_string().contains("position 42 is damaged"), "{err}");
    }

    #[test]
    fn an_old_schema_is_upcast_on_read() {
        let mut bytes = Vec::new();
        bytes.extend_from_slice(&5u128.to_be_bytes());
        bytes.extend_from_slice(&0u64.to_be_bytes());
        let stream = "receipt-1";
        bytes.extend_from_slice(&(stream.len() as u16).to_be_bytes());
        bytes.extend_from_slice(stream.as_bytes());
        bytes.push(15);
        bytes.extend_from_slice(b"MessageReceived");
        bytes.extend_from_slice(&1u32.to_be_bytes());
        bytes.extend_from_slice(
            br#"{"mailbox":"m","remote_id":"77","payload_digest":"00","size":3}"#,
        );
        let event = decode(0, &bytes, 0, "0.0.1").unwrap();
        assert_eq!(event.schema_version, 1);
        let Event::MessageReceived(received) = event.event else {
            panic!("wrong type")
        };
        assert_eq!(received.format, ketenpost_domain::payload::Format::Edifact);
    }
}
