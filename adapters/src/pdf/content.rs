//! The content stream of a laid-out page, written as bytes: the rules (`w m l S`), then all
//! text in one `BT ... ET`: `Tm` per line, and per run of characters in one face a `Tf` where
//! the face or size changes and a hex string of 2-byte CIDs (`Tj` moves on by the run's
//! width, so the runs of a line follow each other). A line with a character no face can show
//! draws U+FFFD for it and keeps its real text as `/ActualText`, so search and copy still
//! find it.

use super::drawing::{self, RuleAt, TextAt};
use super::fonts::{FaceKind, FontSet};
use super::layout::Page;
use super::pdfa::utf16be_with_bom;
use super::subset::Subset;

/// Resource name of the regular face.
pub(crate) const REGULAR: &[u8] = b"F1";
/// Resource name of the bold face.
pub(crate) const BOLD: &[u8] = b"F2";
/// Resource name of the fallback face.
pub(crate) const FALLBACK: &[u8] = b"F3";
/// Thickness of rules, in points.
const RULE_WIDTH: f32 = 0.5;

/// The subsets the text of a document is drawn with; `None` for a face no text uses.
pub(crate) struct Faces<'a> {
    /// The font set the page was laid out with.
    pub fonts: &'a FontSet,
    /// The regular face's subset.
    pub regular: Option<&'a Subset>,
    /// The bold face's subset.
    pub bold: Option<&'a Subset>,
    /// The fallback face's subset.
    pub fallback: Option<&'a Subset>,
}

impl Faces<'_> {
    /// The resource name and the CID that draw `c`.
    fn cid(&self, c: char, bold: bool) -> (&'static [u8], u16) {
        let (kind, gid) = self.fonts.glyph(c, bold);
        let (name, subset) = match (kind, bold) {
            (FaceKind::Fallback, _) => (FALLBACK, self.fallback),
            (FaceKind::Primary, true) => (BOLD, self.bold),
            (FaceKind::Primary, false) => (REGULAR, self.regular),
        };
        let cid = match kind {
            FaceKind::Primary => subset.and_then(|s| s.char_cid(c, gid)),
            FaceKind::Fallback => subset.and_then(|s| s.cid(gid)),
        };
        (name, cid.unwrap_or(0))
    }
}

/// Appends the content stream of `page` to `out`.
pub(crate) fn page_content(page: &Page, faces: &Faces<'_>, out: &mut Vec<u8>) {
    for (index, RuleAt { x1, x2, y }) in drawing::rules(page).enumerate() {
        if index == 0 {
            number(out, RULE_WIDTH);
            out.extend_from_slice(b" w\n");
        }
        number(out, x1);
        out.push(b' ');
        number(out, y);
        out.extend_from_slice(b" m\n");
        number(out, x2);
        out.push(b' ');
        number(out, y);
        out.extend_from_slice(b" l\nS\n");
    }

    out.extend_from_slice(b"BT\n");
    let mut style = (false, 0.0);
    let mut current: Option<(&[u8], f32)> = None;
    for TextAt { x, y, font, text } in drawing::texts(page) {
        if let Some(changed) = font {
            style = changed;
        }
        let (bold, size) = style;
        out.extend_from_slice(b"1 0 0 1 ");
        number(out, x);
        out.push(b' ');
        number(out, y);
        out.extend_from_slice(b" Tm\n");

        let shown = faces.fonts.shown(text);
        let replaced = shown != text;
        if replaced {
            out.extend_from_slice(b"/Span <</ActualText <");
            hex(out, &utf16be_with_bom(text));
            out.extend_from_slice(b">>> BDC\n");
        }
        let mut open = false;
        for c in shown.chars() {
            let (name, cid) = faces.cid(c, bold);
            if current != Some((name, size)) {
                if open {
                    out.extend_from_slice(b") Tj\n");
                }
                out.push(b'/');
                out.extend_from_slice(name);
                out.push(b' ');
                number(out, size);
                out.extend_from_slice(b" Tf\n(");
                current = Some((name, size));
                open = true;
            } else if !open {
                out.push(b'(');
                open = true;
            }
            literal_bytes(out, &cid.to_be_bytes());
        }
        if open {
            out.extend_from_slice(b") Tj\n");
        }
        if replaced {
            out.extend_from_slice(b"EMC\n");
        }
    }
    out.extend_from_slice(b"ET\n");
}

/// Appends `bytes` inside a literal string: two bytes per CID where hex would take four.
/// The delimiters and the backslash are escaped, and CR and LF too, as a reader turns an
/// end of line inside a literal string into a single LF.
pub(super) fn literal_bytes(out: &mut Vec<u8>, bytes: &[u8]) {
    for byte in bytes {
        match byte {
            b'(' | b')' | b'\\' => out.extend_from_slice(&[b'\\', *byte]),
            b'\r' => out.extend_from_slice(b"\\r"),
            b'\n' => out.extend_from_slice(b"\\n"),
            _ => out.push(*byte),
        }
    }
}

/// Appends `bytes` as upper-case hexadecimal digits.
pub(super) fn hex(out: &mut Vec<u8>, bytes: &[u8]) {
    const DIGITS: &[u8; 16] = b"0123456789ABCDEF";
    for byte in bytes {
        out.push(DIGITS[usize::from(byte >> 4)]);
        out.push(DIGITS[usize::from(byte & 0x0F)]);
    }
}

/// Appends `value` rounded to 1/1000 point, without trailing zeros (`12`, `0.5`, `-3.125`).
pub(super) fn number(out: &mut Vec<u8>, value: f32) {
    // A float-to-int cast saturates (and maps NaN to 0), so this cannot fail.
    let thousandths = (f64::from(value) * 1000.0).round() as i64;
    if thousandths < 0 {
        out.push(b'-');
    }
    let magnitude = thousandths.unsigned_abs();
    integer(out, magnitude / 1000);
    let mut fraction = magnitude % 1000;
    if fraction != 0 {
        out.push(b'.');
        let mut divisor = 100;
        while fraction != 0 {
            let digit = u8::try_from(fraction / divisor).unwrap_or(0);
            out.push(b'0' + digit);
            fraction %= divisor;
            divisor /= 10;
        }
    }
}

/// Appends the decimal digits of `value`.
pub(super) fn integer(out: &mut Vec<u8>, value: u64) {
    let mut digits = [0u8; 20];
    let mut at = digits.len();
    let mut rest = value;
    loop {
        at -= 1;
        digits[at] = b'0' + u8::try_from(rest % 10).unwrap_or(0);
        rest /= 10;
        if rest == 0 {
            break;
        }
    }
    out.extend_from_slice(&digits[at..]);
}

#[cfg(test)]
mod tests {
    use std::collections::BTreeSet;

    use super::*;
    use crate::pdf::layout::Item;
    use crate::pdf::subset::subset_for;

    fn number_string(value: f32) -> String {
        let mut out = Vec::new();
        number(&mut out, value);
        String::from_utf8(out).unwrap()
    }

    #[test]
    fn numbers_are_short_and_exact_to_a_thousandth() {
        assert_eq!(number_string(0.0), "0");
        assert_eq!(number_string(12.0), "12");
        assert_eq!(number_string(0.5), "0.5");
        assert_eq!(number_string(-3.125), "-3.125");
        assert_eq!(number_string(56.693), "56.693");
        assert_eq!(number_string(0.05), "0.05");
        assert_eq!(number_string(1.0004), "1");
        assert_eq!(number_string(f32::NAN), "0");
    }

    #[test]
    fn cids_in_literal_strings_escape_delimiters_and_line_ends() {
        let mut out = Vec::new();
        literal_bytes(&mut out, &[0x28, 0x29, 0x5C, 0x0D, 0x0A, 0x00, 0x41]);
        assert_eq!(out, b"\\(\\)\\\\\\r\\n\x00A");
    }

    #[test]
    fn text_is_written_as_cids_and_missing_glyphs_keep_their_actual_text() {
        let fonts = FontSet::get().unwrap();
        let chars: BTreeSet<char> = "a\u{FFFD}".chars().collect();
        let regular = subset_for(fonts.face(false), &chars).unwrap();
        let fallback_chars: BTreeSet<char> = "\u{4E2D}".chars().collect();
        let fallback = subset_for(fonts.fallback().unwrap(), &fallback_chars).unwrap();
        let faces = Faces {
            fonts: &fonts,
            regular: Some(&regular),
            bold: None,
            fallback: Some(&fallback),
        };
        let page = vec![Item::Text {
            x: 10.0,
            baseline: 20.0,
            size: 10.0,
            bold: false,
            text: "a\u{E000}\u{4E2D}a".into(),
        }];
        let mut out = Vec::new();
        page_content(&page, &faces, &mut out);
        let literal = |cids: &[u16]| {
            let mut bytes = b"(".to_vec();
            for cid in cids {
                literal_bytes(&mut bytes, &cid.to_be_bytes());
            }
            bytes.extend_from_slice(b") Tj\n");
            bytes
        };
        let a = regular.cid(fonts.face(false).glyph('a').unwrap()).unwrap();
        let fffd = regular
            .cid(fonts.face(false).glyph('\u{FFFD}').unwrap())
            .unwrap();
        let zhong = fallback
            .cid(fonts.fallback().unwrap().glyph('\u{4E2D}').unwrap())
            .unwrap();
        let mut expected =
            b"/Span <</ActualText <FEFF0061E0004E2D0061>>> BDC\n/F1 10 Tf\n".to_vec();
        expected.extend(&literal(&[a, fffd])[..]);
        expected.extend_from_slice(b"/F3 10 Tf\n");
        expected.extend(&literal(&[zhong])[..]);
        expected.extend_from_slice(b"/F1 10 Tf\n");
        expected.extend(&literal(&[a])[..]);
        expected.extend_from_slice(b"EMC\n");
        let content = out;
        assert!(
            content.windows(expected.len()).any(|w| w == expected),
            "{}",
            String::from_utf8_lossy(&content)
        );
    }
}
