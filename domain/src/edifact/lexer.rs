//! Splits the bytes of an interchange into segments, elements and components in one pass.
//!
//! The result is three flat lists of byte ranges, so reading a payload allocates a few vectors,
//! not one per value. Values are decoded (release characters removed, charset applied) only
//! when they are read.

use super::error::{ParseError, ParseErrorKind, Position};
use super::service_chars::ServiceChars;

/// A component's bytes, before release characters are removed.
#[derive(Debug, Clone, Copy)]
pub(crate) struct ComponentSpan {
    pub start: u32,
    pub end: u32,
    /// Whether a release character occurs inside (the value must be unescaped).
    pub escaped: bool,
}

/// An element: a run of components.
#[derive(Debug, Clone, Copy)]
pub(crate) struct ElementSpan {
    pub first_component: u32,
    pub component_count: u32,
}

/// A segment: a run of elements, the first holding the tag and its counters.
#[derive(Debug, Clone, Copy)]
pub(crate) struct SegmentSpan {
    /// Byte offset of the tag.
    pub offset: u32,
    pub first_element: u32,
    pub element_count: u32,
    /// The tag, checked to be 3 ASCII letters or digits (upper-cased).
    pub tag: [u8; 3],
}

impl ComponentSpan {
    /// The byte range in the input.
    pub fn range(&self) -> std::ops::Range<usize> {
        self.start as usize..self.end as usize
    }
}

impl ElementSpan {
    /// The indices of its components.
    pub fn components(&self) -> std::ops::Range<usize> {
        self.first_component as usize..(self.first_component + self.component_count) as usize
    }
}

/// The lexed form of a payload.
#[derive(Debug, Default)]
pub(crate) struct Lexed {
    pub segments: Vec<SegmentSpan>,
    pub elements: Vec<ElementSpan>,
    pub components: Vec<ComponentSpan>,
    /// The last segment ended at the end of the payload without a terminator.
    pub unterminated_tail: bool,
    /// A release character was the last byte of the payload.
    pub dangling_release: bool,
}

const ORDINARY: u8 = 0;
const COMPONENT: u8 = 1;
const ELEMENT: u8 = 2;
const TERMINATOR: u8 = 3;
const RELEASE: u8 = 4;

/// Lexes `input[start..]`; `first_segment` is the number given to the first segment found.
/// Offsets are kept as `u32` (half the memory traffic of `usize`): the reader refuses payloads
/// of 4 GiB or more before lexing, so every offset and count fits.
///
/// # Errors
/// A segment whose tag is not 3 letters or digits.
pub(crate) fn lex(
    input: &[u8],
    start: usize,
    chars: ServiceChars,
    first_segment: usize,
) -> Result<Lexed, ParseError> {
    let mut class = [ORDINARY; 256];
    class[usize::from(chars.component)] = COMPONENT;
    class[usize::from(chars.element)] = ELEMENT;
    class[usize::from(chars.terminator)] = TERMINATOR;
    class[usize::from(chars.release)] = RELEASE;
    let is_gap =
        |b: u8| matches!(b, b'\r' | b'\n' | b'\t' | b' ') && class[usize::from(b)] == ORDINARY;

    // A first guess from typical segments (about 40 bytes, 3 elements, 4 components); the lists
    // grow when a payload is denser.
    let estimate = (input.len() - start) / 40 + 1;
    let mut lexed = Lexed {
        segments: Vec::with_capacity(estimate),
        elements: Vec::with_capacity(estimate * 3),
        components: Vec::with_capacity(estimate * 4),
        ..Lexed::default()
    };
    let len = input.len();
    let mut i = start;
    loop {
        while i < len && is_gap(input[i]) {
            i += 1;
        }
        if i >= len {
            break;
        }
        let segment_offset = i;
        let first_element = lexed.elements.len();
        let mut element_first_component = lexed.components.len();
        let mut component_start = i;
        let mut escaped = false;
        let mut terminated = false;
        while i < len {
            match class[usize::from(input[i])] {
                ORDINARY => i += 1,
                RELEASE => {
                    escaped = true;
                    if i + 1 >= len {
                        lexed.dangling_release = true;
                    }
                    i += 2;
                }
                kind => {
                    lexed.components.push(ComponentSpan {
                        start: component_start as u32,
                        end: i as u32,
                        escaped,
                    });
                    escaped = false;
                    component_start = i + 1;
                    if kind != COMPONENT {
                        lexed.elements.push(ElementSpan {
                            first_component: element_first_component as u32,
                            component_count: (lexed.components.len() - element_first_component)
                                as u32,
                        });
                        element_first_component = lexed.components.len();
                    }
                    i += 1;
                    if kind == TERMINATOR {
                        terminated = true;
                        break;
                    }
                }
            }
        }
        if !terminated {
            let end = len.min(i);
            lexed.components.push(ComponentSpan {
                start: component_start.min(end) as u32,
                end: end as u32,
                escaped,
            });
            lexed.elements.push(ElementSpan {
                first_component: element_first_component as u32,
                component_count: (lexed.components.len() - element_first_component) as u32,
            });
            lexed.unterminated_tail = true;
        }
        let tag_span = lexed.components[lexed.elements[first_element].first_component as usize];
        let tag = read_tag(&input[tag_span.range()]).ok_or_else(|| ParseError {
            kind: ParseErrorKind::BadTag {
                found: preview(&input[segment_offset..]),
            },
            position: Position {
                message: None,
                segment: Some(first_segment + lexed.segments.len()),
                offset: segment_offset,
            },
        })?;
        lexed.segments.push(SegmentSpan {
            offset: segment_offset as u32,
            first_element: first_element as u32,
            element_count: (lexed.elements.len() - first_element) as u32,
            tag,
        });
    }
    Ok(lexed)
}

fn read_tag(bytes: &[u8]) -> Option<[u8; 3]> {
    let [a, b, c] = *bytes else { return None };
    let tag = [a, b, c].map(|x| x.to_ascii_uppercase());
    tag.iter().all(u8::is_ascii_alphanumeric).then_some(tag)
}

/// The first characters of `bytes`, printable, for an error message.
fn preview(bytes: &[u8]) -> String {
    String::from_utf8_lossy(&bytes[..bytes.len().min(20)])
        .chars()
        .map(|c| if c.is_control() { '\u{fffd}' } else { c })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn lex_default(input: &[u8]) -> Lexed {
        lex(input, 0, ServiceChars::default(), 1).unwrap()
    }

    #[test]
    fn counts_segments_elements_and_components() {
        let lexed = lex_default(b"UNH+1+MEDVRI:1'TXT:3+Hallo'");
        assert_eq!(lexed.segments.len(), 2);
        assert_eq!(&lexed.segments[1].tag, b"TXT");
        assert_eq!(lexed.elements.len(), 5);
        assert_eq!(lexed.components.len(), 7);
        assert!(!lexed.unterminated_tail);
    }

    #[test]
    fn whitespace_between_segments_is_skipped_in_every_form() {
        for gap in [&b""[..], b"\n", b"\r\n", b"\r", b"\r\n\r\n  \t"] {
            let input = [&b"UNH+1+MEDVRI:1'"[..], gap, b"UNT+2+1'", gap].concat();
            let lexed = lex_default(&input);
            assert_eq!(lexed.segments.len(), 2, "gap {gap:?}");
            assert_eq!(lexed.segments[1].offset as usize, 15 + gap.len());
        }
    }

    #[test]
    fn release_character_hides_service_characters() {
        let lexed = lex_default(b"TXT+van ?'t?+?:?Amsterdam'");
        assert_eq!(lexed.segments.len(), 1);
        assert_eq!(lexed.elements.len(), 2);
        let value = lexed.components[1];
        assert!(value.escaped);
        assert_eq!(value.end - value.start, 21);
    }

    #[test]
    fn a_tag_that_is_not_three_letters_is_an_error_with_position() {
        let err = lex(
            b"UNH+1+MEDVRI:1'\nHello world'",
            0,
            ServiceChars::default(),
            1,
        )
        .unwrap_err();
        assert_eq!(err.position.segment, Some(2));
        assert_eq!(err.position.offset, 16);
    }

    #[test]
    fn an_unterminated_last_segment_is_kept_and_flagged() {
        let lexed = lex_default(b"UNH+1+MEDVRI:1'UNT+2+1");
        assert_eq!(lexed.segments.len(), 2);
        assert!(lexed.unterminated_tail);
    }

    #[test]
    fn a_release_at_the_very_end_is_flagged() {
        let lexed = lex_default(b"TXT+a?");
        assert!(lexed.dangling_release);
    }
}
