//! Getting one message ready for the record system, with today's configuration: the route's
//! settings for its type and sender, its BSN, and its rendered document. CPU only, no IO.

use crate::bsn::Bsn;
use crate::category::{Category, Classification, Reason};
use crate::classify::{classify_message, classify_unreadable};
use crate::delivery::sender;
use crate::events::{MailEnvelope, MessageParsed};
use crate::labels;
use crate::message::{Message, MessageKind};
use crate::payload::{read_payload, Payload};
use crate::people::BsnReading;
use crate::ports::DocumentRenderer;
use crate::routing::{Route, TypeSettings};

/// A message ready to place.
#[derive(Debug)]
pub struct Ready {
    /// The client's BSN.
    pub bsn: Bsn,
    /// The PDF document.
    pub pdf: Vec<u8>,
    /// How its type is placed.
    pub settings: TypeSettings,
    /// The document's description.
    pub description: String,
}

/// What preparing a message gave.
#[derive(Debug)]
pub enum Prepared {
    /// Ready to place.
    Ready(Box<Ready>),
    /// Decided without the record system (unsupported, missing BSN, not renderable).
    Decided(Classification),
}

/// Prepares message `parsed.number` of `bytes` for `route`, rendering with `renderer`.
pub fn prepare(
    renderer: &dyn DocumentRenderer,
    bytes: &[u8],
    parsed: &MessageParsed,
    envelope: Option<&MailEnvelope>,
    mailbox: &str,
    route: Option<&Route>,
) -> Prepared {
    let decided = |category, reason| Prepared::Decided(Classification { category, reason });
    let Some(route) = route else {
        return decided(
            Category::Unsupported,
            Reason::MailboxNotRouted {
                mailbox: mailbox.to_owned(),
            },
        );
    };
    let interchange = match read_payload(bytes) {
        Ok(Payload::Edifact(interchange)) => interchange,
        Ok(Payload::Other(format)) => {
            return decided(Category::Unsupported, Reason::UnsupportedFormat { format })
        }
        Err(error) => return Prepared::Decided(classify_unreadable(&error)),
    };
    let messages = Message::read_all(&interchange);
    let Some(message) = messages
        .iter()
        .find(|m| u32::try_from(m.number).ok() == Some(parsed.number))
    else {
        return decided(
            Category::Fallout,
            Reason::NoLongerInPayload {
                number: parsed.number,
            },
        );
    };
    let identifier = message.identifier.to_string();
    let settings = match route.settings_for(message.kind, &identifier, sender(parsed, envelope)) {
        Ok(settings) => settings.clone(),
        Err(classification) => return Prepared::Decided(classification),
    };
    if let Some(classification) = classify_message(message) {
        return Prepared::Decided(classification);
    }
    let Some(BsnReading::Valid(bsn)) = message.patient().map(|p| p.bsn.clone()) else {
        return decided(Category::MissingBsn, Reason::NoBsn);
    };
    let Some(document) = message.document() else {
        return decided(
            Category::Fallout,
            Reason::NotRenderable {
                detail: "the message has no printable content".into(),
            },
        );
    };
    let pdf = match renderer.render(&document) {
        Ok(pdf) => pdf,
        Err(detail) => return decided(Category::Fallout, Reason::NotRenderable { detail }),
    };
    let description = match message.kind {
        MessageKind::Medlab => labels::document::LAB_REPORT_TITLE,
        _ => labels::document::LETTER_TITLE,
    };
    Prepared::Ready(Box::new(Ready {
        bsn,
        pdf,
        settings,
        description: description.to_owned(),
    }))
}
