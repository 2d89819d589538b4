//! One message as the secretariat reads it: the client's name and BSN and the sender read
//! from the sealed payload (client data: only shown on the detail page, every view recorded),
//! the reason as a whole Dutch sentence, the timeline in plain Dutch, and the attachments (the
//! PDF that was or would be placed, rendered on demand, and the original message). Resending
//! goes through [`Resender`], which the daemon implements with its own resend path.

use ketenpost_adapters::render::PdfRenderer;
use ketenpost_domain::category::{Category, Reason};
use ketenpost_domain::events::{Event, MessageParsed, RecordedEvent, StreamId, StreamKind};
use ketenpost_domain::message::Message;
use ketenpost_domain::payload::{read_payload, Payload};
use ketenpost_domain::people::BsnReading;
use ketenpost_domain::ports::{DocumentRenderer, MessageDetail, PayloadStore, ReadError};

use crate::clock;

/// Why a resend was not recorded.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ResendRefusal {
    /// No such message.
    #[error("no such message")]
    NotFound,
    /// It is placed already.
    #[error("the message is processed")]
    Processed,
    /// It is being worked on.
    #[error("the message is in progress")]
    InProgress,
    /// Its personal data was removed when its retention period ended.
    #[error("the message's retention period has ended")]
    Expired,
    /// The log failed.
    #[error("the event log failed: {0}")]
    Failed(String),
}

impl ResendRefusal {
    /// What the person is told, in Dutch.
    pub fn dutch(&self) -> &'static str {
        match self {
            Self::NotFound => "Dit bericht bestaat niet.",
            Self::Processed => "Dit bericht is al verwerkt en wordt niet opnieuw verzonden.",
            Self::InProgress => {
                "Dit bericht is nog in behandeling; verzend het opnieuw als het in een \
                 categorie staat."
            }
            Self::Expired => {
                "Dit bericht is verwijderd na de bewaartermijn en kan niet opnieuw worden \
                 verzonden."
            }
            Self::Failed(_) => {
                "Het opnieuw verzenden kon nu niet worden vastgelegd. Probeer het over een paar \
                 minuten opnieuw."
            }
        }
    }
}

/// Runs a message again (herzenden): records the request and hands it to the workers.
pub trait Resender: Send + Sync {
    /// Resends message `id`, asked by `requested_by` (a name without personal data).
    ///
    /// # Errors
    /// Unknown, processed or in-progress messages, or a log failure.
    fn resend(&self, id: &str, requested_by: &str) -> Result<(), ResendRefusal>;
}

/// The client data of a message, read from its payload.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ClientData {
    /// The client's name as the message writes it; empty when absent.
    pub name: String,
    /// The BSN when valid; `None` when missing or not valid.
    pub bsn: Option<String>,
    /// Who sent it: the letter's sender or the lab, else the interchange's sender id.
    pub sender: String,
}

/// The message's own parse event.
pub fn parsed(detail: &MessageDetail) -> Option<&MessageParsed> {
    detail.timeline.iter().find_map(|e| match &e.event {
        Event::MessageParsed(p) if e.stream.kind() == Some(StreamKind::Message) => Some(p),
        _ => None,
    })
}

/// When the payload was recorded, from the receipt's first event.
pub fn arrived_ms(detail: &MessageDetail) -> Option<i64> {
    detail.timeline.iter().find_map(|e| match &e.event {
        Event::MessageReceived(_) => Some(e.recorded_at_ms),
        _ => None,
    })
}

/// The payload bytes of `parsed`.
///
/// # Errors
/// The payload store failed.
pub fn payload(
    payloads: &dyn PayloadStore,
    parsed: &MessageParsed,
) -> Result<Option<Vec<u8>>, ReadError> {
    payloads.get(&parsed.payload_digest)
}

/// Reads the client data of message `parsed.number` in `bytes`; default (empty) values for a
/// payload that cannot be read or a kind without a patient.
pub fn client_data(bytes: &[u8], parsed: &MessageParsed) -> ClientData {
    let fallback = ClientData {
        sender: parsed.sender_id.clone().unwrap_or_default(),
        ..ClientData::default()
    };
    let Ok(Payload::Edifact(interchange)) = read_payload(bytes) else {
        return fallback;
    };
    let messages = Message::read_all(&interchange);
    let Some(message) = messages
        .iter()
        .find(|m| u32::try_from(m.number).ok() == Some(parsed.number))
    else {
        return fallback;
    };
    let (name, bsn) = match message.patient() {
        Some(patient) => (
            patient.name.display(),
            match &patient.bsn {
                BsnReading::Valid(bsn) => Some(bsn.expose().to_owned()),
                BsnReading::Problem(_) => None,
            },
        ),
        None => (String::new(), None),
    };
    let author = message
        .document()
        .map(|d| d.info.author)
        .filter(|a| !a.trim().is_empty());
    ClientData {
        name,
        bsn,
        sender: author.unwrap_or(fallback.sender),
    }
}

/// The PDF of message `parsed.number` in `bytes`, as it was or would be placed.
///
/// # Errors
/// The payload cannot be read or has no printable content, in Dutch.
pub fn pdf(bytes: &[u8], parsed: &MessageParsed) -> Result<Vec<u8>, String> {
    let Ok(Payload::Edifact(interchange)) = read_payload(bytes) else {
        return Err("Van dit bericht kan geen PDF-document gemaakt worden.".into());
    };
    let messages = Message::read_all(&interchange);
    let document = messages
        .iter()
        .find(|m| u32::try_from(m.number).ok() == Some(parsed.number))
        .and_then(Message::document)
        .ok_or_else(|| "Van dit bericht kan geen PDF-document gemaakt worden.".to_owned())?;
    PdfRenderer
        .render(&document)
        .map_err(|_| "Van dit bericht kon geen PDF-document gemaakt worden.".to_owned())
}

/// Whether the message's retention period ended: its client data and payload are removed.
pub fn expired(detail: &MessageDetail) -> bool {
    detail
        .timeline
        .iter()
        .any(|e| matches!(e.event, Event::RetentionExpired(_)))
}

/// The reason a message is in `category`, as a whole Dutch sentence.
pub fn reason_sentence(category: Category, reason: &Reason) -> String {
    let described = reason.describe();
    match (category, reason) {
        (Category::Processed, _) => "Het bericht is geplaatst in het dossier van de cliënt.".into(),
        (_, Reason::UnknownBsn) => {
            "Het bijgevoegde bericht kon niet worden verwerkt aangezien het BSN onbekend is.".into()
        }
        _ => format!(
            "Het bijgevoegde bericht kon niet worden verwerkt. {}{}",
            described,
            if described.ends_with('.') { "" } else { "." }
        ),
    }
}

/// The last classification in the timeline, unless a resend or delivery came after it.
pub fn current_reason(detail: &MessageDetail) -> Option<(Category, &Reason)> {
    detail
        .timeline
        .iter()
        .rev()
        .find_map(|e| match &e.event {
            Event::MessageClassified(c) => Some(Some((c.category, &c.reason))),
            Event::ResendRequested(_) | Event::AwaitingDelivery => Some(None),
            _ => None,
        })
        .flatten()
}

/// One line of the timeline: when, and what happened in plain Dutch (no personal data).
pub fn timeline(events: &[RecordedEvent]) -> Vec<(String, String)> {
    events
        .iter()
        .filter_map(|e| {
            let what = match &e.event {
                Event::MessageReceived(r) => format!("Ontvangen in postbus {}", r.mailbox),
                Event::MessageParsed(p) if p.error.is_some() => {
                    "Gelezen, maar niet leesbaar".to_owned()
                }
                Event::MessageParsed(_) => "Gelezen".to_owned(),
                Event::AwaitingDelivery => "Klaar om in het dossier te plaatsen".to_owned(),
                Event::MessageClassified(c) => format!(
                    "In de categorie {}: {}",
                    c.category.label(),
                    c.reason.describe()
                ),
                Event::ResendRequested(_) => "Opnieuw verzenden gevraagd".to_owned(),
                Event::DeliveryAttempted(d) => {
                    format!(
                        "Poging {} om het document in het dossier te plaatsen",
                        d.attempt
                    )
                }
                Event::DeliveryFailed(d) => {
                    format!("Poging {} mislukt; er volgt een nieuwe poging", d.attempt)
                }
                Event::DocumentPlaced(_) => "Geplaatst in het dossier van de cliënt".to_owned(),
                Event::RetentionExpired(_) => {
                    "Gegevens van de cliënt en bijlagen verwijderd na de bewaartermijn".to_owned()
                }
                _ => return None,
            };
            Some((clock::dutch_time(e.recorded_at_ms), what))
        })
        .collect()
}

/// The message stream an id in a URL names.
pub fn message_id(id: &str) -> Option<StreamId> {
    StreamId::parse(id).filter(|s| s.kind() == Some(StreamKind::Message))
}

/// The file name of the original message: its name at the mailbox when it is a plain file
/// name, else `bericht.edi`.
pub fn original_name(remote_id: &str) -> String {
    let plain = !remote_id.is_empty()
        && remote_id.len() <= 100
        && remote_id
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, '.' | '-' | '_'));
    if plain {
        remote_id.to_owned()
    } else {
        "bericht.edi".to_owned()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_reason_is_a_whole_dutch_sentence() {
        assert_eq!(
            reason_sentence(Category::UnknownBsn, &Reason::UnknownBsn),
            "Het bijgevoegde bericht kon niet worden verwerkt aangezien het BSN onbekend is."
        );
        let missing = reason_sentence(Category::MissingBsn, &Reason::NoBsn);
        assert!(missing.ends_with("geen BSN."), "{missing}");
    }

    #[test]
    fn only_plain_file_names_are_offered_as_download_names() {
        assert_eq!(original_name("a1.edi"), "a1.edi");
        assert_eq!(original_name("../x\"y"), "bericht.edi");
    }
}
