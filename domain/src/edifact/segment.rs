//! Reading the values of one segment: elements and components, decoded on demand.

use std::borrow::Cow;

use super::charset::{decode_latin1, Charset};
use super::error::Position;
use super::lexer::{ComponentSpan, SegmentSpan};
use super::Interchange;

/// One segment of an interchange, borrowed from it.
#[derive(Clone, Copy)]
pub struct Segment<'i, 'a> {
    pub(crate) interchange: &'i Interchange<'a>,
    pub(crate) span: &'i SegmentSpan,
    /// Index into the interchange's segment list.
    pub(crate) index: usize,
    /// The message this segment belongs to (1-based), if any.
    pub(crate) message: Option<usize>,
}

impl<'i, 'a> Segment<'i, 'a> {
    /// The tag, upper case, e.g. `TXT`.
    pub fn tag(&self) -> &'i str {
        std::str::from_utf8(&self.span.tag).unwrap_or_default()
    }

    /// Where this segment starts.
    pub fn position(&self) -> Position {
        Position {
            message: self.message,
            segment: Some(self.interchange.first_segment_number + self.index),
            offset: self.span.offset as usize,
        }
    }

    /// The number of data elements after the tag.
    pub fn element_count(&self) -> usize {
        (self.span.element_count as usize).saturating_sub(1)
    }

    /// Component `component` of data element `element`, both counted from 1 as in the
    /// specifications (element 0 is the tag and its counters); empty when absent.
    pub fn field(&self, element: usize, component: usize) -> Cow<'a, str> {
        self.component_span(element, component)
            .map_or(Cow::Borrowed(""), |span| self.interchange.decode(span))
    }

    /// The first component of data element `element` (counted from 1); empty when absent.
    pub fn text(&self, element: usize) -> Cow<'a, str> {
        self.field(element, 1)
    }

    /// All components of data element `element` (counted from 1); empty when absent.
    pub fn components(&self, element: usize) -> Vec<Cow<'a, str>> {
        let Some(e) = self.element_span(element) else {
            return Vec::new();
        };
        let comps = &self.interchange.lexed.components;
        comps[e.components()]
            .iter()
            .map(|span| self.interchange.decode(*span))
            .collect()
    }

    /// Everything from data element `from` (counted from 1) to the end of the segment as one
    /// text, with unreleased separators put back as they were written.
    ///
    /// Free text (a `TXT` line) is read this way, so a writer that forgot to release a `:` or
    /// `+` loses nothing.
    pub fn text_from(&self, from: usize) -> Cow<'a, str> {
        let count = self.element_count();
        if from > count {
            return Cow::Borrowed("");
        }
        if from == count {
            if let Some(e) = self.element_span(from) {
                if e.component_count == 1 {
                    return self.text(from);
                }
            }
        }
        let chars = self.interchange.service_chars;
        let mut out = String::new();
        for element in from..=count {
            if element > from {
                out.push(char::from(chars.element));
            }
            for (i, part) in self.components(element).iter().enumerate() {
                if i > 0 {
                    out.push(char::from(chars.component));
                }
                out.push_str(part);
            }
        }
        Cow::Owned(out)
    }

    fn element_span(&self, element: usize) -> Option<&'i super::lexer::ElementSpan> {
        if element >= self.span.element_count as usize {
            return None;
        }
        self.interchange
            .lexed
            .elements
            .get(self.span.first_element as usize + element)
    }

    fn component_span(&self, element: usize, component: usize) -> Option<ComponentSpan> {
        let e = self.element_span(element)?;
        if component == 0 || component > e.component_count as usize {
            return None;
        }
        self.interchange
            .lexed
            .components
            .get(e.first_component as usize + component - 1)
            .copied()
    }
}

impl<'a> Interchange<'a> {
    /// Decodes one component: removes release characters and applies the charset.
    pub(crate) fn decode(&self, span: ComponentSpan) -> Cow<'a, str> {
        let input: &'a [u8] = self.input;
        let range = span.range();
        if !span.escaped {
            if let Some(text) = self.text.and_then(|t| t.get(range.clone())) {
                return Cow::Borrowed(text);
            }
            return self.decode_bytes(input.get(range).unwrap_or_default());
        }
        let bytes = input.get(range).unwrap_or_default();
        let raw = unescape(bytes, self.service_chars.release);
        if self.text.is_some() || self.decoding == Charset::Utf8 {
            // Removing ASCII release characters from valid UTF-8 leaves valid UTF-8.
            return Cow::Owned(
                String::from_utf8(raw)
                    .unwrap_or_else(|e| String::from_utf8_lossy(e.as_bytes()).into_owned()),
            );
        }
        Cow::Owned(decode_latin1(&raw).into_owned())
    }

    fn decode_bytes<'b>(&self, bytes: &'b [u8]) -> Cow<'b, str> {
        match self.decoding {
            Charset::Utf8 => String::from_utf8_lossy(bytes),
            Charset::Ascii | Charset::Latin1 => decode_latin1(bytes),
        }
    }
}

/// Removes release characters: each makes the byte after it literal.
fn unescape(bytes: &[u8], release: u8) -> Vec<u8> {
    let mut raw = Vec::with_capacity(bytes.len());
    let mut rest = bytes;
    while let Some(at) = memchr::memchr(release, rest) {
        raw.extend_from_slice(&rest[..at]);
        if let Some(&next) = rest.get(at + 1) {
            raw.push(next);
        }
        rest = rest.get(at + 2..).unwrap_or_default();
    }
    raw.extend_from_slice(rest);
    raw
}

#[cfg(test)]
mod tests {
    use super::unescape;

    #[test]
    fn release_characters_make_the_next_byte_literal() {
        assert_eq!(unescape(b"a?+b??c?'d?", b'?'), b"a+b?c'd");
        assert_eq!(unescape(b"plain", b'?'), b"plain");
        assert_eq!(unescape(b"?", b'?'), b"");
    }
}
