//! One message of a payload as the rest of ketenpost sees it: its envelope, what kind it is,
//! and the typed view of its content.

use crate::date::{read_time, CalendarDate, TimeOfDay};
use crate::document::Document;
use crate::edifact::{Interchange, MessageIdentifier, MessageSpan, Warning};
use crate::lab_report::lab_report_document;
use crate::letter::letter_document;
use crate::medlab::Medlab;
use crate::medvri::Medvri;
use crate::people::Patient;

/// The message types ketenpost knows by their UNH identifier.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum MessageKind {
    /// `MEDVRI:1`, a free-text letter: read.
    Medvri,
    /// `MEDLAB:1`, laboratory results: read.
    Medlab,
    /// `MEDRAD:1`, radiology: recognised, not read.
    Medrad,
    /// `MEDSPE:1`, specialist letter: recognised, not read.
    Medspe,
    /// `MEDRPT:D:93A:UN:MRPN32`, Edifact 3.2 lab report: recognised, not read.
    Medrpt,
    /// Anything else.
    Unknown,
}

impl MessageKind {
    /// The kind an UNH identifier names.
    pub fn of(identifier: &MessageIdentifier) -> Self {
        match identifier.message_type.as_str() {
            "MEDVRI" => Self::Medvri,
            "MEDLAB" => Self::Medlab,
            "MEDRAD" => Self::Medrad,
            "MEDSPE" => Self::Medspe,
            "MEDRPT" => Self::Medrpt,
            _ => Self::Unknown,
        }
    }
}

/// The typed content of a message.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Content<'a> {
    /// A letter.
    Medvri(Medvri<'a>),
    /// A lab report.
    Medlab(Medlab<'a>),
    /// A type that is recognised (or not) but not read.
    NotRead,
}

/// One message (`UNH..UNT`) of an interchange.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Message<'a> {
    /// Counted from 1 in file order.
    pub number: usize,
    /// UNB element 5, when there is a UNB.
    pub interchange_ref: Option<String>,
    /// UNH element 1.
    pub message_ref: String,
    /// UNB element 2, when there is a UNB.
    pub sender_id: Option<String>,
    /// UNB element 3, when there is a UNB.
    pub recipient_id: Option<String>,
    /// UNH element 2.
    pub identifier: MessageIdentifier,
    /// The kind the identifier names.
    pub kind: MessageKind,
    /// The typed view.
    pub content: Content<'a>,
    /// What the reader noticed in this message, and in the interchange around it.
    pub warnings: Vec<Warning>,
    /// UNB element 4: when the interchange was prepared, when it is a real date.
    pub prepared: Option<(CalendarDate, Option<TimeOfDay>)>,
}

impl<'a> Message<'a> {
    /// Reads every message of an interchange into its typed view.
    pub fn read_all(interchange: &Interchange<'a>) -> Vec<Self> {
        let mut per_message: Vec<Vec<Warning>> = vec![Vec::new(); interchange.messages.len()];
        let mut general = Vec::new();
        for warning in &interchange.warnings {
            match warning
                .position
                .message
                .and_then(|n| per_message.get_mut(n.wrapping_sub(1)))
            {
                Some(own) => own.push(warning.clone()),
                None => general.push(warning.clone()),
            }
        }
        interchange
            .messages
            .iter()
            .zip(per_message)
            .map(|(span, own)| {
                let mut warnings = general.clone();
                warnings.extend(own);
                warnings.sort_by_key(|w| w.position.offset);
                Self::read_with(interchange, span, warnings)
            })
            .collect()
    }

    /// Reads one message.
    pub fn read(interchange: &Interchange<'a>, span: &MessageSpan) -> Self {
        let warnings = interchange
            .warnings
            .iter()
            .filter(|w| w.position.message.is_none_or(|n| n == span.number))
            .cloned()
            .collect();
        Self::read_with(interchange, span, warnings)
    }

    /// Reads one message, starting from the interchange's warnings about it.
    fn read_with(
        interchange: &Interchange<'a>,
        span: &MessageSpan,
        mut warnings: Vec<Warning>,
    ) -> Self {
        let header = interchange.header.as_ref();
        let kind = MessageKind::of(&span.identifier);
        let content = match kind {
            MessageKind::Medvri => {
                Content::Medvri(Medvri::read(interchange.body(span), &mut warnings))
            }
            MessageKind::Medlab => {
                Content::Medlab(Medlab::read(interchange.body(span), &mut warnings))
            }
            _ => Content::NotRead,
        };
        Self {
            number: span.number,
            interchange_ref: header.map(|h| h.control_ref.clone()),
            message_ref: span.reference.clone(),
            sender_id: header.map(|h| h.sender_id.clone()),
            recipient_id: header.map(|h| h.recipient_id.clone()),
            identifier: span.identifier.clone(),
            kind,
            content,
            warnings,
            prepared: header.and_then(|h| prepared_at(&h.prepared_date, &h.prepared_time)),
        }
    }

    /// The patient, for the kinds that are read.
    pub fn patient(&self) -> Option<&Patient<'a>> {
        match &self.content {
            Content::Medvri(letter) => Some(&letter.patient),
            Content::Medlab(report) => Some(&report.patient),
            Content::NotRead => None,
        }
    }

    /// The printable document, for the kinds that are read. Its date is the letter's own
    /// (DET), else when the interchange was prepared (UNB), else a lab report's first
    /// specimen's.
    pub fn document(&self) -> Option<Document> {
        let mut document = match &self.content {
            Content::Medvri(letter) => letter_document(letter),
            Content::Medlab(report) => lab_report_document(report),
            Content::NotRead => return None,
        };
        if document.info.date.is_none() {
            let first_specimen = match &self.content {
                Content::Medlab(report) => report
                    .specimens
                    .iter()
                    .find_map(|s| s.date.map(|date| (date, s.time))),
                _ => None,
            };
            if let Some((date, time)) = self.prepared.or(first_specimen) {
                document.info.date = Some(date);
                document.info.time = time;
            }
        }
        Some(document)
    }
}

/// Reads UNB element 4, `yymmdd` and `hhmm`.
fn prepared_at(date: &str, time: &str) -> Option<(CalendarDate, Option<TimeOfDay>)> {
    let date = match (date.get(0..2), date.get(2..4), date.get(4..)) {
        (Some(y), Some(m), Some(d)) if date.len() == 6 => CalendarDate::from_short_parts(y, m, d)?,
        _ => return None,
    };
    let time = match (time.get(0..2), time.get(2..)) {
        (Some(h), Some(m)) if time.len() == 4 => read_time(h, m),
        _ => None,
    };
    Some((date, time))
}
