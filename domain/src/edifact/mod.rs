//! Reading EDIFACT interchanges as Dutch care senders write them (ISO 9735 with real-world
//! quirks): optional `UNA`, release characters, tag counters, any whitespace between segments,
//! the UNOA/UNOB/UNOC/UNOY repertoires, several messages per interchange or a bare `UNH..UNT`.
//!
//! [`read`] gives an [`Interchange`]: its envelope, its messages and the warnings a reader
//! should see (mismatched references, counts). Values borrow from the input where they can.

mod charset;
mod error;
mod lexer;
mod reader;
mod segment;
mod service_chars;

pub use charset::Charset;
pub use error::{Expected, ParseError, ParseErrorKind, Position};
pub use reader::read;
pub use segment::Segment;
pub use service_chars::ServiceChars;

use serde::Serialize;

/// A read interchange: the envelope, the messages in it and what a reader noticed.
#[derive(Debug)]
pub struct Interchange<'a> {
    input: &'a [u8],
    /// The whole input as text when it can be sliced directly (ASCII, or valid UTF-8 read as UTF-8).
    text: Option<&'a str>,
    lexed: lexer::Lexed,
    first_segment_number: usize,
    /// The service characters in force (from `UNA` or the defaults).
    pub service_chars: ServiceChars,
    /// The repertoire UNB declares, if there is a UNB and it names a known one.
    pub declared_charset: Option<Charset>,
    /// The decoding actually used for values.
    pub decoding: Charset,
    /// The UNB envelope; `None` for a bare `UNH..UNT`.
    pub header: Option<InterchangeHeader>,
    /// The messages, in file order.
    pub messages: Vec<MessageSpan>,
    /// Things that do not stop reading but that a person should know.
    pub warnings: Vec<Warning>,
}

/// The fields of a UNB segment.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct InterchangeHeader {
    /// UNB 1.1, e.g. `UNOA`.
    pub syntax_id: String,
    /// UNB 1.2, e.g. `1`.
    pub syntax_version: String,
    /// UNB 2.1: the sender's mailbox number or AGB code (opaque).
    pub sender_id: String,
    /// UNB 3.1: the recipient's mailbox number or AGB code (opaque).
    pub recipient_id: String,
    /// UNB 4.1, `yymmdd`.
    pub prepared_date: String,
    /// UNB 4.2, `hhmm`.
    pub prepared_time: String,
    /// UNB 5: the interchange control reference.
    pub control_ref: String,
}

/// Where one message (`UNH..UNT`) lies in its interchange.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MessageSpan {
    /// Counted from 1 in file order.
    pub number: usize,
    /// UNH element 1.
    pub reference: String,
    /// UNH element 2.
    pub identifier: MessageIdentifier,
    /// Index of the UNH segment in the interchange.
    first_segment: usize,
    /// Index of the UNT segment.
    last_segment: usize,
    /// Byte offset of the UNH.
    pub offset: usize,
}

/// UNH element 2: which message type and version this is.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct MessageIdentifier {
    /// e.g. `MEDVRI`, `MEDLAB`, `MEDRPT`.
    pub message_type: String,
    /// e.g. `1`, or `D` for UN directories.
    pub version: String,
    /// e.g. `93A`; empty for the Medeur types.
    pub release: String,
    /// e.g. `UN`; empty for the Medeur types.
    pub agency: String,
    /// e.g. `MRPN32`; empty for the Medeur types.
    pub association: String,
}

impl std::fmt::Display for MessageIdentifier {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}:{}", self.message_type, self.version)?;
        for part in [&self.release, &self.agency, &self.association] {
            if !part.is_empty() {
                write!(f, ":{part}")?;
            }
        }
        Ok(())
    }
}

/// Something a reader noticed that does not stop reading.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Warning {
    /// Where it was noticed.
    pub position: Position,
    /// What was noticed, in words.
    pub text: String,
}

impl std::fmt::Display for Warning {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}: {}", self.position, self.text)
    }
}

impl<'a> Interchange<'a> {
    /// The segments of a message between its UNH and UNT, in file order.
    pub fn body<'i>(
        &'i self,
        message: &'i MessageSpan,
    ) -> impl Iterator<Item = Segment<'i, 'a>> + 'i {
        (message.first_segment + 1..message.last_segment)
            .map(move |index| self.segment(index, Some(message.number)))
    }

    /// Every segment of the payload in file order (without `UNA`).
    pub fn segments<'i>(&'i self) -> impl Iterator<Item = Segment<'i, 'a>> + 'i {
        (0..self.lexed.segments.len()).map(move |index| self.segment(index, None))
    }

    fn segment<'i>(&'i self, index: usize, message: Option<usize>) -> Segment<'i, 'a> {
        Segment {
            interchange: self,
            span: &self.lexed.segments[index],
            index,
            message,
        }
    }
}
