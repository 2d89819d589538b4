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
            offset: self.span.offset,
        }
    }

    /// The number of data elements after the tag.
    pub fn element_count(&self) -> usize {
        self.span.element_count.saturating_sub(1)
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
        comps[e.first_component..e.first_component + e.component_count]
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
        if element >= self.span.element_count {
            return None;
        }
        self.interchange
            .lexed
            .elements
            .get(self.span.first_element + element)
    }

    fn component_span(&self, element: usize, component: usize) -> Option<ComponentSpan> {
        let e = self.element_span(element)?;
        if component == 0 || component > e.component_count {
            return None;
        }
        self.interchange
            .lexed
            .components
            .get(e.first_component + component - 1)
            .copied()
    }
}

impl<'a> Interchange<'a> {
    /// Decodes one component: removes release characters and applies the charset.
    pub(crate) fn decode(&self, span: ComponentSpan) -> Cow<'a, str> {
        let input: &'a [u8] = self.input;
        let bytes = &input[span.start..span.end.min(input.len())];
        if !span.escaped {
            if let Some(text) = self.text.and_then(|t| t.get(span.start..span.end)) {
                return Cow::Borrowed(text);
            }
            return self.decode_bytes(bytes);
        }
        let release = self.service_chars.release;
        let mut raw = Vec::with_capacity(bytes.len());
        let mut iter = bytes.iter();
        while let Some(&b) = iter.next() {
            if b == release {
                if let Some(&next) = iter.next() {
                    raw.push(next);
                }
            } else {
                raw.push(b);
            }
        }
        Cow::Owned(self.decode_bytes(&raw).into_owned())
    }

    fn decode_bytes<'b>(&self, bytes: &'b [u8]) -> Cow<'b, str> {
        match self.decoding {
            Charset::Utf8 => String::from_utf8_lossy(bytes),
            Charset::Ascii | Charset::Latin1 => decode_latin1(bytes),
        }
    }
}
