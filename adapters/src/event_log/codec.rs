//! The stored form of an envelope: self-describing JSON followed by a CRC-32 of it, so a
//! damaged entry is found on read instead of being believed.

use ketenpost_domain::events::{decode_event_json, encode_event, EventId, RecordedEvent, StreamId};
use ketenpost_domain::ports::ReadError;
use serde::{Deserialize, Serialize};
use serde_json::value::RawValue;

/// The format version of the envelope itself (not of the events in it).
const ENVELOPE_FORMAT: u32 = 1;

#[derive(Serialize, Deserialize)]
struct StoredEnvelope<'a> {
    format: u32,
    position: u64,
    #[serde(borrow)]
    id: std::borrow::Cow<'a, str>,
    stream: StreamId,
    version: u64,
    #[serde(rename = "type", borrow)]
    event_type: std::borrow::Cow<'a, str>,
    schema: u32,
    recorded_at_ms: i64,
    code_version: String,
    #[serde(borrow)]
    data: &'a RawValue,
}

/// Encodes an event for the log tree.
pub(crate) fn encode(event: &RecordedEvent) -> Vec<u8> {
    let (event_type, schema, data) = encode_event(&event.event);
    let data = RawValue::from_string(data).unwrap_or_else(|_| RawValue::NULL.to_owned());
    let stored = StoredEnvelope {
        format: ENVELOPE_FORMAT,
        position: event.position,
        id: format!("{:032x}", event.id.0).into(),
        stream: event.stream.clone(),
        version: event.version,
        event_type: event_type.into(),
        schema,
        recorded_at_ms: event.recorded_at_ms,
        code_version: event.code_version.clone(),
        data: &data,
    };
    let mut bytes = serde_json::to_vec(&stored).unwrap_or_default();
    let checksum = crc32fast::hash(&bytes);
    bytes.extend_from_slice(&checksum.to_be_bytes());
    bytes
}

/// Decodes an entry of the log tree found at `position`, checking its checksum.
///
/// # Errors
/// [`ReadError::Damaged`] when the checksum does not match or the envelope cannot be read.
pub(crate) fn decode(position: u64, bytes: &[u8]) -> Result<RecordedEvent, ReadError> {
    let damaged = |detail: String| ReadError::Damaged { position, detail };
    let Some(split) = bytes.len().checked_sub(4) else {
        return Err(damaged(format!(
            "entry of {} bytes is too short",
            bytes.len()
        )));
    };
    let (json, checksum) = bytes.split_at(split);
    let expected = u32::from_be_bytes([checksum[0], checksum[1], checksum[2], checksum[3]]);
    if crc32fast::hash(json) != expected {
        return Err(damaged("checksum mismatch".into()));
    }
    let stored: StoredEnvelope =
        serde_json::from_slice(json).map_err(|e| damaged(e.to_string()))?;
    if stored.position != position {
        return Err(damaged(format!("entry says position {}", stored.position)));
    }
    let id = u128::from_str_radix(&stored.id, 16).map_err(|e| damaged(format!("event id: {e}")))?;
    let event = decode_event_json(&stored.event_type, stored.schema, stored.data.get())
        .map_err(|e| damaged(e.to_string()))?;
    Ok(RecordedEvent {
        position,
        id: EventId(id),
        stream: stored.stream,
        version: stored.version,
        recorded_at_ms: stored.recorded_at_ms,
        code_version: stored.code_version,
        schema_version: stored.schema,
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
    fn an_envelope_round_trips() {
        assert_eq!(decode(42, &encode(&event())).unwrap(), event());
    }

    #[test]
    fn a_flipped_byte_is_found() {
        let mut bytes = encode(&event());
        bytes[10] ^= 0x20;
        let err = decode(42, &bytes).unwrap_err();
        assert!(
            err.to_string()
                .contains("position 42 is damaged: checksum mismatch"),
            "{err}"
        );
    }

    #[test]
    fn a_truncated_or_misplaced_entry_is_found() {
        assert!(decode(42, &[1, 2]).is_err());
        assert!(decode(43, &encode(&event()))
            .unwrap_err()
            .to_string()
            .contains("entry says position 42"));
    }
}
