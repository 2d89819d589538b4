//! What a payload is before it is read: EDIFACT, or one of the formats ketenpost recognises
//! but does not process (XML, PDF, HL7 v2, plain text).

use serde::{Deserialize, Serialize};

use crate::edifact::{self, Interchange, ParseError, ParseErrorKind, Position};

/// The format of a payload.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Format {
    /// An EDIFACT interchange or bare message.
    Edifact,
    /// An XML document (e.g. a CDA or FHIR message).
    Xml,
    /// A PDF document.
    Pdf,
    /// An HL7 version 2 message (`MSH|`).
    Hl7v2,
    /// Plain text.
    Text,
}

impl Format {
    /// The name used in JSON and by the classification: `edifact`, `xml`, `pdf`, `hl7v2`, `text`.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Edifact => "edifact",
            Self::Xml => "xml",
            Self::Pdf => "pdf",
            Self::Hl7v2 => "hl7v2",
            Self::Text => "text",
        }
    }
}

/// A payload whose format is known; EDIFACT is read.
#[derive(Debug)]
pub enum Payload<'a> {
    /// A read EDIFACT interchange.
    Edifact(Box<Interchange<'a>>),
    /// Another format: recognised, not read.
    Other(Format),
}

/// Recognises the format of `bytes` and reads it when it is EDIFACT.
///
/// # Errors
/// An empty payload, EDIFACT that cannot be read, or bytes that are none of the formats (binary
/// content); the error says where.
pub fn read_payload(bytes: &[u8]) -> Result<Payload<'_>, ParseError> {
    match detect_format(bytes)? {
        Format::Edifact => {
            edifact::read(bytes).map(|interchange| Payload::Edifact(Box::new(interchange)))
        }
        other => Ok(Payload::Other(other)),
    }
}

/// Recognises the format of `bytes` from how it starts.
///
/// EDIFACT starts with `UNA`, `UNB` or `UNH`, or with a segment tag followed by a separator
/// (a message without its envelope is malformed EDIFACT, not text).
///
/// # Errors
/// An empty payload, or binary content that is none of the formats.
pub fn detect_format(bytes: &[u8]) -> Result<Format, ParseError> {
    let start = bytes.strip_prefix(b"\xEF\xBB\xBF").map_or(0, |_| 3);
    let skip = bytes[start..]
        .iter()
        .take_while(|b| b.is_ascii_whitespace())
        .count();
    let head = &bytes[start + skip..];
    if head.is_empty() {
        return Err(edifact::read(bytes).err().unwrap_or(ParseError {
            kind: ParseErrorKind::Empty,
            position: Position {
                message: None,
                segment: None,
                offset: bytes.len(),
            },
        }));
    }
    if head.starts_with(b"%PDF-") {
        return Ok(Format::Pdf);
    }
    if head.starts_with(b"<") {
        return Ok(Format::Xml);
    }
    if head.starts_with(b"MSH|") || head.starts_with(b"FHS|") || head.starts_with(b"BHS|") {
        return Ok(Format::Hl7v2);
    }
    if looks_like_segment(head) {
        return Ok(Format::Edifact);
    }
    if let Some(offset) = binary_offset(head) {
        return Err(ParseError {
            kind: ParseErrorKind::Unrecognised,
            position: Position {
                message: None,
                segment: None,
                offset: start + skip + offset,
            },
        });
    }
    Ok(Format::Text)
}

fn looks_like_segment(head: &[u8]) -> bool {
    if head.starts_with(b"UNA") || head.starts_with(b"UNB") || head.starts_with(b"UNH") {
        return true;
    }
    matches!(head, [a, b, c, sep, ..]
        if [a, b, c].iter().all(|x| x.is_ascii_uppercase() || x.is_ascii_digit()) && matches!(sep, b'+' | b':' | b'\''))
}

/// The offset of the first byte that text does not hold (a control character other than
/// tab, line feed, form feed and carriage return), looking at the first 8 KiB.
fn binary_offset(head: &[u8]) -> Option<usize> {
    head.iter()
        .take(8192)
        .position(|&b| b < 0x20 && !matches!(b, b'\t' | b'\n' | b'\r' | 0x0c) || b == 0x7f)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn formats_are_recognised_by_how_they_start() {
        assert_eq!(
            detect_format(b"UNB+UNOA:1+1+2+200101:0101+1'").unwrap(),
            Format::Edifact
        );
        assert_eq!(
            detect_format(b"\xEF\xBB\xBF\r\nUNA:+.? 'UNB").unwrap(),
            Format::Edifact
        );
        assert_eq!(
            detect_format(b"  <?xml version=\"1.0\"?><a/>").unwrap(),
            Format::Xml
        );
        assert_eq!(detect_format(b"%PDF-1.7\n...").unwrap(), Format::Pdf);
        assert_eq!(detect_format(b"MSH|^~\\&|LAB|...").unwrap(), Format::Hl7v2);
        assert_eq!(
            detect_format(b"Beste collega,\nhierbij de uitslag.").unwrap(),
            Format::Text
        );
        assert_eq!(detect_format(b"TXT+Hello'").unwrap(), Format::Edifact);
    }

    #[test]
    fn empty_and_binary_payloads_are_errors() {
        assert_eq!(detect_format(b"").unwrap_err().kind, ParseErrorKind::Empty);
        assert_eq!(
            detect_format(b" \r\n ").unwrap_err().kind,
            ParseErrorKind::Empty
        );
        let err = detect_format(b"ab\x00\x01").unwrap_err();
        assert_eq!(
            (err.kind, err.position.offset),
            (ParseErrorKind::Unrecognised, 2)
        );
    }
}
