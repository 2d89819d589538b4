//! The stored form of events: a type name, a schema version and JSON data. Old schemas are
//! brought up to date here, in one place, so events written by earlier versions still read.

use serde_json::Value;

use super::Event;

/// The current schema version of each event type.
pub const SCHEMA_VERSIONS: [(&str, u32); 29] = [
    ("MessageReceived", 2),
    ("MessageParsed", 1),
    ("AwaitingDelivery", 1),
    ("MessageClassified", 2),
    ("ResendRequested", 1),
    ("DeliveryAttempted", 1),
    ("DeliveryFailed", 1),
    ("DocumentPlaced", 1),
    ("UserAdded", 1),
    ("PasswordLinkIssued", 1),
    ("PasswordSet", 1),
    ("TwoFactorEnrolled", 1),
    ("RecoveryCodesIssued", 1),
    ("SecondFactorUsed", 1),
    ("UserChanged", 1),
    ("SecurityLogged", 1),
    ("AccessLogged", 1),
    ("RetentionExpired", 1),
    ("HistoryForgotten", 1),
    ("NotificationDecided", 1),
    ("NotificationSent", 1),
    ("NotificationFailed", 1),
    ("WaitingCleared", 1),
    ("ConsentSet", 1),
    ("NoteAdded", 1),
    ("ConfigurationProposed", 1),
    ("ConfigurationApproved", 1),
    ("ConfigurationRejected", 1),
    ("ConfigurationActivated", 1),
];

/// An event that cannot be read back.
#[derive(Debug, thiserror::Error)]
pub enum EventDecodeError {
    /// A type this version does not know (written by a newer version).
    #[error("unknown event type {0:?}")]
    UnknownType(String),
    /// A schema version newer than this version knows.
    #[error("event type {event_type} has schema {found}, this version reads up to {known}")]
    NewerSchema {
        /// The type.
        event_type: String,
        /// The schema found.
        found: u32,
        /// The newest schema known.
        known: u32,
    },
    /// Data that does not fit the type.
    #[error("event data does not fit {event_type}: {source}")]
    Data {
        /// The type.
        event_type: String,
        /// What did not fit.
        source: serde_json::Error,
    },
}

fn current_schema(event_type: &str) -> Option<u32> {
    SCHEMA_VERSIONS
        .iter()
        .find(|(name, _)| *name == event_type)
        .map(|(_, v)| *v)
}

/// The stored form of an event: its type name, current schema version and data as JSON text.
pub fn encode_event(event: &Event) -> (&'static str, u32, String) {
    let name = event.type_name();
    let data = match event {
        Event::MessageReceived(e) => serde_json::to_string(e),
        Event::MessageParsed(e) => serde_json::to_string(e),
        Event::AwaitingDelivery => Ok("null".to_owned()),
        Event::MessageClassified(e) => serde_json::to_string(e),
        Event::ResendRequested(e) => serde_json::to_string(e),
        Event::DeliveryAttempted(e) => serde_json::to_string(e),
        Event::DeliveryFailed(e) => serde_json::to_string(e),
        Event::DocumentPlaced(e) => serde_json::to_string(e),
        Event::UserAdded(e) => serde_json::to_string(e),
        Event::PasswordLinkIssued(e) => serde_json::to_string(e),
        Event::PasswordSet(e) => serde_json::to_string(e),
        Event::TwoFactorEnrolled(e) => serde_json::to_string(e),
        Event::RecoveryCodesIssued(e) => serde_json::to_string(e),
        Event::SecondFactorUsed(e) => serde_json::to_string(e),
        Event::UserChanged(e) => serde_json::to_string(e),
        Event::SecurityLogged(e) => serde_json::to_string(e),
        Event::AccessLogged(e) => serde_json::to_string(e),
        Event::RetentionExpired(e) => serde_json::to_string(e),
        Event::HistoryForgotten(e) => serde_json::to_string(e),
        Event::NotificationDecided(e) => serde_json::to_string(e),
        Event::NotificationSent(e) => serde_json::to_string(e),
        Event::NotificationFailed(e) => serde_json::to_string(e),
        Event::WaitingCleared(e) => serde_json::to_string(e),
        Event::ConsentSet(e) => serde_json::to_string(e),
        Event::NoteAdded(e) => serde_json::to_string(e),
        Event::ConfigurationProposed(e) => serde_json::to_string(e),
        Event::ConfigurationApproved(e) => serde_json::to_string(e),
        Event::ConfigurationRejected(e) => serde_json::to_string(e),
        Event::ConfigurationActivated(e) => serde_json::to_string(e),
    };
    (
        name,
        current_schema(name).unwrap_or(1),
        data.unwrap_or_else(|_| "null".to_owned()),
    )
}

/// Reads a stored event from its JSON data: directly when it is at the current schema, through
/// [`decode_event`] (upcasting) when it is older.
///
/// # Errors
/// An unknown type, a newer schema, or data that does not fit.
pub fn decode_event_json(
    event_type: &str,
    schema: u32,
    data: &str,
) -> Result<Event, EventDecodeError> {
    let known = current_schema(event_type)
        .ok_or_else(|| EventDecodeError::UnknownType(event_type.to_owned()))?;
    if schema != known {
        let value = serde_json::from_str(data).map_err(|source| EventDecodeError::Data {
            event_type: event_type.to_owned(),
            source,
        })?;
        return decode_event(event_type, schema, value);
    }
    let fit = |source| EventDecodeError::Data {
        event_type: event_type.to_owned(),
        source,
    };
    Ok(match event_type {
        "MessageReceived" => Event::MessageReceived(serde_json::from_str(data).map_err(fit)?),
        "MessageParsed" => Event::MessageParsed(serde_json::from_str(data).map_err(fit)?),
        "AwaitingDelivery" => Event::AwaitingDelivery,
        "MessageClassified" => Event::MessageClassified(serde_json::from_str(data).map_err(fit)?),
        "ResendRequested" => Event::ResendRequested(serde_json::from_str(data).map_err(fit)?),
        "DeliveryAttempted" => Event::DeliveryAttempted(serde_json::from_str(data).map_err(fit)?),
        "DeliveryFailed" => Event::DeliveryFailed(serde_json::from_str(data).map_err(fit)?),
        "DocumentPlaced" => Event::DocumentPlaced(serde_json::from_str(data).map_err(fit)?),
        "UserAdded" => Event::UserAdded(serde_json::from_str(data).map_err(fit)?),
        "PasswordLinkIssued" => Event::PasswordLinkIssued(serde_json::from_str(data).map_err(fit)?),
        "PasswordSet" => Event::PasswordSet(serde_json::from_str(data).map_err(fit)?),
        "TwoFactorEnrolled" => Event::TwoFactorEnrolled(serde_json::from_str(data).map_err(fit)?),
        "RecoveryCodesIssued" => {
            Event::RecoveryCodesIssued(serde_json::from_str(data).map_err(fit)?)
        }
        "SecondFactorUsed" => Event::SecondFactorUsed(serde_json::from_str(data).map_err(fit)?),
        "UserChanged" => Event::UserChanged(serde_json::from_str(data).map_err(fit)?),
        "SecurityLogged" => Event::SecurityLogged(serde_json::from_str(data).map_err(fit)?),
        "AccessLogged" => Event::AccessLogged(serde_json::from_str(data).map_err(fit)?),
        "RetentionExpired" => Event::RetentionExpired(serde_json::from_str(data).map_err(fit)?),
        "HistoryForgotten" => Event::HistoryForgotten(serde_json::from_str(data).map_err(fit)?),
        "NotificationDecided" => {
            Event::NotificationDecided(serde_json::from_str(data).map_err(fit)?)
        }
        "NotificationSent" => Event::NotificationSent(serde_json::from_str(data).map_err(fit)?),
        "NotificationFailed" => Event::NotificationFailed(serde_json::from_str(data).map_err(fit)?),
        "WaitingCleared" => Event::WaitingCleared(serde_json::from_str(data).map_err(fit)?),
        "ConsentSet" => Event::ConsentSet(serde_json::from_str(data).map_err(fit)?),
        "NoteAdded" => Event::NoteAdded(serde_json::from_str(data).map_err(fit)?),
        "ConfigurationProposed" => {
            Event::ConfigurationProposed(serde_json::from_str(data).map_err(fit)?)
        }
        "ConfigurationApproved" => {
            Event::ConfigurationApproved(serde_json::from_str(data).map_err(fit)?)
        }
        "ConfigurationRejected" => {
            Event::ConfigurationRejected(serde_json::from_str(data).map_err(fit)?)
        }
        "ConfigurationActivated" => {
            Event::ConfigurationActivated(serde_json::from_str(data).map_err(fit)?)
        }
        other => return Err(EventDecodeError::UnknownType(other.to_owned())),
    })
}

/// Reads a stored event of any schema version this version knows, upcasting old data.
///
/// # Errors
/// An unknown type, a newer schema, or data that does not fit.
pub fn decode_event(
    event_type: &str,
    schema: u32,
    mut data: Value,
) -> Result<Event, EventDecodeError> {
    let known = current_schema(event_type)
        .ok_or_else(|| EventDecodeError::UnknownType(event_type.to_owned()))?;
    if schema > known {
        return Err(EventDecodeError::NewerSchema {
            event_type: event_type.to_owned(),
            found: schema,
            known,
        });
    }
    if event_type == "MessageReceived" && schema < 2 {
        // Schema 1 had no format: every payload then was EDIFACT.
        if let Value::Object(map) = &mut data {
            map.entry("format")
                .or_insert_with(|| Value::String("edifact".into()));
        }
    }
    if event_type == "MessageClassified" && schema < 2 {
        // Schema 1 had no configuration version: those messages were decided before
        // configuration had versions.
        if let Value::Object(map) = &mut data {
            map.entry("config_version").or_insert(Value::Null);
        }
    }
    let mut envelope = serde_json::Map::new();
    envelope.insert("type".into(), Value::String(event_type.to_owned()));
    if !data.is_null() {
        envelope.insert("data".into(), data);
    }
    serde_json::from_value(Value::Object(envelope)).map_err(|source| EventDecodeError::Data {
        event_type: event_type.to_owned(),
        source,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::events::{MessageReceived, ResendRequested};
    use crate::payload::Format;

    #[test]
    fn events_round_trip_through_their_stored_form() {
        let events = [
            Event::MessageReceived(MessageReceived {
                mailbox: "manual".into(),
                remote_id: "a.edi".into(),
                payload_digest: "ab".repeat(32),
                size: 12,
                format: Format::Xml,
                envelope: None,
            }),
            Event::AwaitingDelivery,
            Event::ResendRequested(ResendRequested {
                requested_by: "cli".into(),
            }),
            Event::UserChanged(crate::events::UserChanged {
                change: crate::events::UserChange::TwoFactorReset,
                by: "cli".into(),
            }),
            Event::SecondFactorUsed(crate::events::SecondFactorUsed::Totp { step: 3 }),
            Event::NotificationDecided(crate::events::NotificationDecided {
                notice: crate::events::Notice::Waiting {
                    counts: vec![(crate::category::Category::UnknownBsn, 50)],
                    new: vec![crate::category::Category::UnknownBsn],
                },
            }),
            Event::NotificationDecided(crate::events::NotificationDecided {
                notice: crate::events::Notice::ProblemStarted {
                    source: crate::events::ProblemSource::Mailbox,
                    name: "lab".into(),
                    problem: "HTTP 500".into(),
                },
            }),
            Event::ConsentSet(crate::events::ConsentSet {
                consent: crate::events::Consent::ContactSupplier {
                    account: "ons".into(),
                },
                granted: true,
                by: "user-1".into(),
            }),
        ];
        for event in events {
            let (name, schema, data) = encode_event(&event);
            assert_eq!(decode_event_json(name, schema, &data).unwrap(), event);
            let value = serde_json::from_str(&data).unwrap();
            assert_eq!(decode_event(name, schema, value).unwrap(), event);
        }
    }

    #[test]
    fn a_message_received_written_before_format_existed_still_reads() {
        let v1 = serde_json::json!({
            "mailbox": "lab-noordwest", "remote_id": "77", "payload_digest": "00", "size": 3
        });
        let Event::MessageReceived(event) = decode_event("MessageReceived", 1, v1).unwrap() else {
            panic!("wrong type")
        };
        assert_eq!(event.format, Format::Edifact);
        assert_eq!(event.remote_id, "77");
        let Event::MessageReceived(again) =
            decode_event_json("MessageReceived", 1, &v1_text()).unwrap()
        else {
            panic!("wrong type")
        };
        assert_eq!(again.format, Format::Edifact);
    }

    #[test]
    fn a_classification_written_before_configuration_versions_reads_without_one() {
        let v1 = serde_json::json!({ "category": "processed", "reason": { "reason": "placed" } });
        let Event::MessageClassified(event) = decode_event("MessageClassified", 1, v1).unwrap()
        else {
            panic!("wrong type")
        };
        assert_eq!(event.config_version, None);
        let v1_text = r#"{"category":"processed","reason":{"reason":"placed"}}"#;
        let Event::MessageClassified(again) =
            decode_event_json("MessageClassified", 1, v1_text).unwrap()
        else {
            panic!("wrong type")
        };
        assert_eq!(again.config_version, None);
        let mut current = event.clone();
        current.config_version = Some(4);
        let (name, schema, data) = encode_event(&Event::MessageClassified(current.clone()));
        assert_eq!(schema, 2);
        assert_eq!(
            decode_event_json(name, schema, &data).unwrap(),
            Event::MessageClassified(current)
        );
    }

    fn v1_text() -> String {
        r#"{"mailbox":"m","remote_id":"77","payload_digest":"00","size":3}"#.to_owned()
    }

    #[test]
    fn unknown_types_and_newer_schemas_are_clear_errors() {
        assert!(decode_event("Teleported", 1, Value::Null)
            .unwrap_err()
            .to_string()
            .contains("Teleported"));
        let err = decode_event("MessageParsed", 9, Value::Null).unwrap_err();
        assert!(err.to_string().contains("schema 9"), "{err}");
    }
}
