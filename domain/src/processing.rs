//! What the processor decides for a received payload: one outcome per message, as events.

use crate::classify::{classify_format, classify_message, classify_unreadable};
use crate::events::{Event, MessageClassified, MessageParsed, ParsedOutcome, StreamId};
use crate::message::Message;
use crate::payload::{read_payload, Format, Payload};

/// Reads a payload and decides, per message, what can be decided without the record system.
///
/// An interchange with n messages gives n outcomes; a payload in another format or one that
/// cannot be read gives one. `place_incoming_pdf` is the route's setting (see
/// [`classify_format`]).
pub fn process_payload(
    receipt: &StreamId,
    digest: &str,
    bytes: &[u8],
    place_incoming_pdf: bool,
) -> Vec<ParsedOutcome> {
    let parsed = |number: u32, format: Format| MessageParsed {
        receipt: receipt.clone(),
        payload_digest: digest.to_owned(),
        number,
        format,
        identifier: None,
        interchange_ref: None,
        message_ref: None,
        sender_id: None,
        warnings: 0,
        error: None,
    };
    let decided = |classification: Option<crate::category::Classification>| {
        classification.map_or(Event::AwaitingDelivery, |c| {
            Event::MessageClassified(MessageClassified::from(c))
        })
    };
    match read_payload(bytes) {
        Err(error) => vec![ParsedOutcome {
            parsed: MessageParsed {
                error: Some(error.to_string()),
                ..parsed(1, Format::Edifact)
            },
            next: decided(Some(classify_unreadable(&error))),
        }],
        Ok(Payload::Other(format)) => {
            vec![ParsedOutcome {
                parsed: parsed(1, format),
                next: decided(classify_format(format, place_incoming_pdf)),
            }]
        }
        Ok(Payload::Edifact(interchange)) => Message::read_all(&interchange)
            .iter()
            .map(|message| ParsedOutcome {
                parsed: MessageParsed {
                    identifier: Some(message.identifier.to_string()),
                    interchange_ref: message.interchange_ref.clone(),
                    message_ref: Some(message.message_ref.clone()),
                    sender_id: message.sender_id.clone(),
                    warnings: u32::try_from(message.warnings.len()).unwrap_or(u32::MAX),
                    ..parsed(
                        u32::try_from(message.number).unwrap_or(u32::MAX),
                        Format::Edifact,
                    )
                },
                next: decided(classify_message(message)),
            })
            .collect(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::category::Category;
    use crate::events::{EventId, StreamKind};

    fn receipt() -> StreamId {
        StreamId::new(StreamKind::Receipt, EventId(1))
    }

    #[test]
    fn an_interchange_of_two_messages_gives_two_outcomes() {
        let payload = "UNB+UNOA:1+1+2+240101:1200+IC'UNH+1+MEDVRI:1'PID+1980:10:25+V+A++BSN999990019'UNT+3+1'\
                       UNH+2+MEDRAD:1'UNT+2+2'UNZ+2+IC'";
        let outcomes = process_payload(&receipt(), "d", payload.as_bytes(), false);
        assert_eq!(outcomes.len(), 2);
        assert_eq!(outcomes[0].next, Event::AwaitingDelivery);
        assert!(
            matches!(&outcomes[1].next, Event::MessageClassified(c) if c.category == Category::Unsupported)
        );
        assert_eq!(outcomes[1].parsed.message_ref.as_deref(), Some("2"));
    }

    #[test]
    fn an_unreadable_payload_is_one_fallout_with_the_position() {
        let outcomes = process_payload(&receipt(), "d", b"UNH+1+MEDVRI:1'TXT+x'", false);
        assert_eq!(outcomes.len(), 1);
        assert!(outcomes[0]
            .parsed
            .error
            .as_deref()
            .unwrap()
            .contains("segment 3"));
        assert!(
            matches!(&outcomes[0].next, Event::MessageClassified(c) if c.category == Category::Fallout)
        );
    }

    #[test]
    fn a_pdf_on_a_route_that_places_pdfs_waits_for_a_person() {
        let outcome = process_payload(&receipt(), "d", b"%PDF-1.4 ...", false).remove(0);
        assert!(
            matches!(&outcome.next, Event::MessageClassified(c) if c.category == Category::Unsupported)
        );
        let placed = process_payload(&receipt(), "d", b"%PDF-1.4 ...", true).remove(0);
        assert!(
            matches!(&placed.next, Event::MessageClassified(c) if c.category == Category::MissingBsn)
        );
        let xml = process_payload(&receipt(), "d", b"<xml/>", true).remove(0);
        assert!(
            matches!(&xml.next, Event::MessageClassified(c) if c.category == Category::Unsupported)
        );
    }

    #[test]
    fn another_format_is_one_unsupported() {
        let outcomes = process_payload(&receipt(), "d", b"<xml/>", false);
        assert_eq!(outcomes[0].parsed.format, Format::Xml);
        assert!(
            matches!(&outcomes[0].next, Event::MessageClassified(c) if c.category == Category::Unsupported)
        );
    }
}
