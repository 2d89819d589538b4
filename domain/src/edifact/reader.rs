//! Reads a payload into an [`Interchange`]: service characters, charset, envelope and the
//! `UNH..UNT` structure, with warnings for what is odd but readable.

use super::charset::Charset;
use super::error::{Expected, ParseError, ParseErrorKind, Position};
use super::lexer::lex;
use super::service_chars::read_una;
use super::{Interchange, InterchangeHeader, MessageIdentifier, MessageSpan, Warning};

const UTF8_BOM: &[u8] = b"\xEF\xBB\xBF";

/// Reads an EDIFACT payload.
///
/// # Errors
/// An empty payload, an unreadable `UNA`, a segment without a valid tag, or segments outside
/// the `UNB [UNH..UNT]+ UNZ` or bare `UNH..UNT` structure. The error says where.
pub fn read(input: &[u8]) -> Result<Interchange<'_>, ParseError> {
    if u32::try_from(input.len()).is_err() {
        return Err(ParseError {
            kind: ParseErrorKind::TooLarge(input.len()),
            position: Position {
                message: None,
                segment: None,
                offset: 0,
            },
        });
    }
    let mut start = input.strip_prefix(UTF8_BOM).map_or(0, |_| UTF8_BOM.len());
    start += input[start..]
        .iter()
        .take_while(|b| b.is_ascii_whitespace())
        .count();
    if start >= input.len() {
        return Err(ParseError {
            kind: ParseErrorKind::Empty,
            position: Position {
                message: None,
                segment: None,
                offset: input.len(),
            },
        });
    }
    let (service_chars, body_start) = read_una(input, start)?;
    let lexed = lex(input, body_start, service_chars, 1)?;
    let mut interchange = Interchange {
        input,
        text: None,
        lexed,
        first_segment_number: 1,
        service_chars,
        declared_charset: None,
        decoding: Charset::Latin1,
        header: None,
        messages: Vec::new(),
        warnings: Vec::new(),
    };
    if input.is_ascii() {
        // Pure ASCII reads the same under every repertoire: slice it directly from the start.
        interchange.text = std::str::from_utf8(input).ok();
    }
    interchange.read_structure()?;
    interchange.choose_decoding();
    interchange.note_lexical_oddities();
    Ok(interchange)
}

impl<'a> Interchange<'a> {
    fn error(&self, index: usize, message: Option<usize>, kind: ParseErrorKind) -> ParseError {
        let offset = self
            .lexed
            .segments
            .get(index)
            .map_or(self.input.len(), |s| s.offset as usize);
        ParseError {
            kind,
            position: Position {
                message,
                segment: Some(self.first_segment_number + index),
                offset,
            },
        }
    }

    fn warn(&mut self, index: usize, message: Option<usize>, text: String) {
        let position = self.segment(index, message).position();
        self.warnings.push(Warning { position, text });
    }

    fn tag(&self, index: usize) -> [u8; 3] {
        self.lexed.segments[index].tag
    }

    fn read_structure(&mut self) -> Result<(), ParseError> {
        let count = self.lexed.segments.len();
        let mut index = 0;
        if self.tag(0) == *b"UNB" {
            self.header = Some(self.read_header());
            index = 1;
        }
        let enveloped = self.header.is_some();
        let mut unz_seen = false;
        while index < count {
            let tag = self.tag(index);
            match &tag {
                b"UNH" => {
                    if unz_seen {
                        return Err(self.unexpected(index, None, Expected::PayloadEnd));
                    }
                    index = self.read_message(index)?;
                }
                b"UNZ" if enveloped && !unz_seen => {
                    self.check_trailer(index);
                    unz_seen = true;
                    index += 1;
                }
                _ if unz_seen => {
                    return Err(self.unexpected(index, None, Expected::PayloadEnd));
                }
                _ if enveloped => {
                    return Err(self.unexpected(
                        index,
                        None,
                        Expected::MessageStartOrInterchangeEnd,
                    ));
                }
                _ => return Err(self.unexpected(index, None, Expected::InterchangeStart)),
            }
        }
        if self.messages.is_empty() {
            return Err(ParseError {
                kind: ParseErrorKind::Unexpected {
                    expected: Expected::MessageStart,
                    found: String::new(),
                },
                position: Position {
                    message: None,
                    segment: Some(self.first_segment_number + count),
                    offset: self.input.len(),
                },
            });
        }
        if enveloped && !unz_seen {
            self.warn(
                count - 1,
                None,
                "the interchange is not closed with UNZ".into(),
            );
        }
        Ok(())
    }

    fn unexpected(&self, index: usize, message: Option<usize>, expected: Expected) -> ParseError {
        let found = String::from_utf8_lossy(&self.tag(index)).into_owned();
        self.error(
            index,
            message,
            ParseErrorKind::Unexpected { expected, found },
        )
    }

    fn read_header(&self) -> InterchangeHeader {
        let unb = self.segment(0, None);
        InterchangeHeader {
            syntax_id: unb.field(1, 1).into_owned(),
            syntax_version: unb.field(1, 2).into_owned(),
            sender_id: unb.field(2, 1).into_owned(),
            recipient_id: unb.field(3, 1).into_owned(),
            prepared_date: unb.field(4, 1).into_owned(),
            prepared_time: unb.field(4, 2).into_owned(),
            control_ref: unb.field(5, 1).into_owned(),
        }
    }

    /// Reads the message whose UNH is at `first`; returns the index after its UNT.
    fn read_message(&mut self, first: usize) -> Result<usize, ParseError> {
        let number = self.messages.len() + 1;
        let unh = self.segment(first, Some(number));
        let reference = unh.field(1, 1).into_owned();
        let identifier = MessageIdentifier {
            message_type: unh.field(2, 1).to_ascii_uppercase(),
            version: unh.field(2, 2).into_owned(),
            release: unh.field(2, 3).into_owned(),
            agency: unh.field(2, 4).into_owned(),
            association: unh.field(2, 5).into_owned(),
        };
        let offset = unh.position().offset;
        if identifier.message_type.is_empty() {
            return Err(self.error(first, Some(number), ParseErrorKind::MissingIdentifier));
        }
        let mut index = first + 1;
        loop {
            let Some(span) = self.lexed.segments.get(index) else {
                return Err(self.error(
                    index,
                    Some(number),
                    ParseErrorKind::Unexpected {
                        expected: Expected::MessageEnd,
                        found: String::new(),
                    },
                ));
            };
            match &span.tag {
                b"UNT" => break,
                b"UNH" | b"UNB" | b"UNZ" => {
                    return Err(self.unexpected(index, Some(number), Expected::MessageEnd));
                }
                _ => index += 1,
            }
        }
        let unt = self.segment(index, Some(number));
        let (declared_count, trailer_ref) =
            (unt.field(1, 1).into_owned(), unt.field(2, 1).into_owned());
        let actual_count = index - first + 1;
        if declared_count.parse::<usize>().ok() != Some(actual_count) {
            self.warn(
                index,
                Some(number),
                format!("UNT counts {declared_count:?} segments, the message has {actual_count}"),
            );
        }
        if trailer_ref != reference {
            self.warn(
                index,
                Some(number),
                format!("UNT reference {trailer_ref:?} differs from UNH reference {reference:?}"),
            );
        }
        self.messages.push(MessageSpan {
            number,
            reference,
            identifier,
            first_segment: first,
            last_segment: index,
            offset,
        });
        Ok(index + 1)
    }

    fn check_trailer(&mut self, index: usize) {
        let unz = self.segment(index, None);
        let (declared_count, trailer_ref) =
            (unz.field(1, 1).into_owned(), unz.field(2, 1).into_owned());
        let actual_count = self.messages.len();
        if declared_count.parse::<usize>().ok() != Some(actual_count) {
            self.warn(
                index,
                None,
                format!(
                    "UNZ counts {declared_count:?} messages, the interchange has {actual_count}"
                ),
            );
        }
        let control_ref = self
            .header
            .as_ref()
            .map(|h| h.control_ref.clone())
            .unwrap_or_default();
        if trailer_ref != control_ref {
            self.warn(
                index,
                None,
                format!("UNZ reference {trailer_ref:?} differs from UNB reference {control_ref:?}"),
            );
        }
    }

    /// Chooses how values are decoded: the declared repertoire, except that bytes which are
    /// valid UTF-8 with non-ASCII characters are read as UTF-8 whatever is declared (a common
    /// mislabel), with a warning.
    fn choose_decoding(&mut self) {
        let declared = self.header.as_ref().map(|h| h.syntax_id.clone());
        self.declared_charset = declared.as_deref().and_then(Charset::from_syntax_id);
        if let (Some(id), None) = (&declared, self.declared_charset) {
            self.warn(
                0,
                None,
                format!("unknown syntax identifier {id:?}: read as ISO-8859-1"),
            );
        }
        let declared = self.declared_charset.unwrap_or(Charset::Latin1);
        let input: &'a [u8] = self.input;
        if input.is_ascii() {
            self.decoding = declared;
            self.text = std::str::from_utf8(input).ok();
            return;
        }
        let utf8 = std::str::from_utf8(input).ok();
        match (declared, utf8) {
            (Charset::Utf8, Some(text)) => {
                self.decoding = Charset::Utf8;
                self.text = Some(text);
            }
            (Charset::Utf8, None) => {
                self.decoding = Charset::Utf8;
                self.warn(
                    0,
                    None,
                    "declared UTF-8 (UNOY) but holds invalid UTF-8 bytes: shown as \u{fffd}".into(),
                );
            }
            (_, Some(text)) => {
                self.decoding = Charset::Utf8;
                self.text = Some(text);
                self.warn(
                    0,
                    None,
                    "declared a single-byte repertoire but the bytes are UTF-8: read as UTF-8"
                        .into(),
                );
            }
            (Charset::Ascii, None) => {
                self.decoding = Charset::Latin1;
                self.warn(
                    0,
                    None,
                    "declared ASCII (UNOA/UNOB) but holds other bytes: read as ISO-8859-1".into(),
                );
            }
            (Charset::Latin1, None) => self.decoding = Charset::Latin1,
        }
    }

    fn note_lexical_oddities(&mut self) {
        let last = self.lexed.segments.len() - 1;
        if self.lexed.unterminated_tail {
            self.warn(
                last,
                None,
                "the last segment has no segment terminator".into(),
            );
        }
        if self.lexed.dangling_release {
            self.warn(last, None, "the payload ends in a release character".into());
        }
    }
}
