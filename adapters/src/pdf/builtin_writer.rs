//! Writes pages laid out in the built-in Helvetica fonts as a PDF, straight into lopdf objects.
//!
//! Most letters are all WinAnsi text in Helvetica: nothing to embed, no glyph ids, no
//! `/ToUnicode`. For those, printpdf's document model (ops, then its translation into lopdf
//! objects, then resaving) cost more than the whole rest of rendering (measured with the
//! render bench: `cargo bench -p ketenpost-adapters --bench render`). This writer builds the
//! few objects such a file needs itself and writes the content streams as bytes:
//!
//! - Catalog, Pages, and one Page per laid-out page (A4 `/MediaBox`) sharing one
//!   `/Resources` with `/F1` Helvetica and `/F2` Helvetica-Bold in `/WinAnsiEncoding`;
//! - per page one content stream: the rules (`w m l S`), then the text in one `BT ... ET`
//!   (`Tf` when the face or size changes, `Tm` and `Tj` per line), deflated when that is
//!   smaller;
//! - an Info dictionary with the title, `/Producer` and `/Creator`, and the trailer `/ID`
//!   derived from the content, so the same document always gives the same bytes.
//!
//! Documents in the embedded font still go through printpdf ([`super::writer`]).

use ketenpost_domain::document::Document;
use lopdf::{Dictionary, Object, Stream, StringFormat};

use super::drawing::{self, RuleAt, TextAt};
use super::helvetica;
use super::layout::{Page, PAGE_HEIGHT, PAGE_WIDTH};
use super::writer::{trailer_id, PRODUCER, RULE_WIDTH};
use super::RenderError;
use crate::deflate::{deflate, Wrapper};

/// Resource name of Helvetica.
const REGULAR: &[u8] = b"F1";
/// Resource name of Helvetica-Bold.
const BOLD: &[u8] = b"F2";
/// The deflate level of the content streams: the fastest. Page text is small and repetitive,
/// so level 1 costs about 15 % in size against level 6 and halves the time of a render
/// (measured with `cargo bench -p ketenpost-adapters --bench render`).
const CONTENT_LEVEL: u8 = 1;
/// Written for a character without a WinAnsi byte (the real text goes in `/ActualText`).
const FALLBACK: u8 = b'?';

/// Writes `pages` (laid out for [`super::fonts::FontSet::Builtin`]) as a PDF.
pub(crate) fn write(document: &Document, pages: &[Page]) -> Result<Vec<u8>, RenderError> {
    let mut pdf = lopdf::Document::with_version("1.3");
    pdf.reference_table.cross_reference_type = lopdf::xref::XrefType::CrossReferenceTable;

    let pages_id = pdf.new_object_id();
    let regular = pdf.add_object(builtin_font("Helvetica"));
    let bold = pdf.add_object(builtin_font("Helvetica-Bold"));
    let resources = pdf.add_object(Dictionary::from_iter([(
        "Font",
        Object::Dictionary(Dictionary::from_iter([
            (REGULAR, Object::Reference(regular)),
            (BOLD, Object::Reference(bold)),
        ])),
    )]));
    let media_box = Object::Array(vec![
        Object::Integer(0),
        Object::Integer(0),
        Object::Real(PAGE_WIDTH),
        Object::Real(PAGE_HEIGHT),
    ]);

    let mut content = Vec::new();
    let mut kids = Vec::with_capacity(pages.len());
    for page in pages {
        content.clear();
        page_content(page, &mut content);
        let contents = pdf.add_object(content_stream(&content));
        let page_id = pdf.add_object(Dictionary::from_iter([
            ("Type", Object::Name(b"Page".to_vec())),
            ("Parent", Object::Reference(pages_id)),
            ("MediaBox", media_box.clone()),
            ("Resources", Object::Reference(resources)),
            ("Contents", Object::Reference(contents)),
        ]));
        kids.push(Object::Reference(page_id));
    }
    let count = i64::try_from(kids.len()).map_err(|e| RenderError::Write(e.to_string()))?;
    pdf.objects.insert(
        pages_id,
        Object::Dictionary(Dictionary::from_iter([
            ("Type", Object::Name(b"Pages".to_vec())),
            ("Count", Object::Integer(count)),
            ("Kids", Object::Array(kids)),
        ])),
    );

    let catalog = pdf.add_object(Dictionary::from_iter([
        ("Type", Object::Name(b"Catalog".to_vec())),
        ("Pages", Object::Reference(pages_id)),
    ]));
    let info = pdf.add_object(Dictionary::from_iter([
        ("Title", text_string(&document.title)),
        ("Producer", text_string(PRODUCER)),
        ("Creator", text_string(PRODUCER)),
    ]));
    pdf.trailer.set("Root", Object::Reference(catalog));
    pdf.trailer.set("Info", Object::Reference(info));
    pdf.trailer.set("ID", trailer_id(document));

    let mut bytes = Vec::with_capacity(2048 + pages.len() * 2048);
    pdf.save_to(&mut bytes)
        .map_err(|e| RenderError::Write(e.to_string()))?;
    Ok(bytes)
}

/// A standard 14 font, not embedded, in WinAnsi.
fn builtin_font(base_font: &str) -> Dictionary {
    Dictionary::from_iter([
        ("Type", Object::Name(b"Font".to_vec())),
        ("Subtype", Object::Name(b"Type1".to_vec())),
        ("BaseFont", Object::Name(base_font.as_bytes().to_vec())),
        ("Encoding", Object::Name(b"WinAnsiEncoding".to_vec())),
    ])
}

/// A content stream, deflated if that makes it smaller.
fn content_stream(content: &[u8]) -> Stream {
    let compressed = deflate(content, Wrapper::Zlib, CONTENT_LEVEL);
    // "/Filter /FlateDecode" costs about 19 bytes of dictionary.
    if compressed.len() + 19 < content.len() {
        let dict = Dictionary::from_iter([("Filter", Object::Name(b"FlateDecode".to_vec()))]);
        Stream::new(dict, compressed)
    } else {
        Stream::new(Dictionary::new(), content.to_vec())
    }
}

/// A PDF text string: PDFDocEncoding (here: printable ASCII) when possible, else UTF-16BE
/// with a byte-order mark.
fn text_string(text: &str) -> Object {
    if text.bytes().all(|b| (0x20..0x7F).contains(&b)) {
        return Object::String(text.as_bytes().to_vec(), StringFormat::Literal);
    }
    Object::String(utf16be_with_bom(text), StringFormat::Hexadecimal)
}

fn utf16be_with_bom(text: &str) -> Vec<u8> {
    let mut bytes = Vec::with_capacity(2 + text.len() * 2);
    bytes.extend_from_slice(&[0xFE, 0xFF]);
    bytes.extend(text.encode_utf16().flat_map(u16::to_be_bytes));
    bytes
}

/// Appends the content stream of `page` to `out`: rules first, then all text in one text
/// object (the order of [`drawing`]).
fn page_content(page: &Page, out: &mut Vec<u8>) {
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
    let mut shown = Vec::new();
    for TextAt { x, y, font, text } in drawing::texts(page) {
        if let Some((bold, size)) = font {
            out.push(b'/');
            out.extend_from_slice(if bold { BOLD } else { REGULAR });
            out.push(b' ');
            number(out, size);
            out.extend_from_slice(b" Tf\n");
        }
        out.extend_from_slice(b"1 0 0 1 ");
        number(out, x);
        out.push(b' ');
        number(out, y);
        out.extend_from_slice(b" Tm\n");

        shown.clear();
        let complete = win_ansi_string(text, &mut shown);
        if complete {
            out.extend_from_slice(&shown);
            out.extend_from_slice(b" Tj\n");
        } else {
            // Helvetica has no glyph for some characters: draw `?` for them, and keep the
            // real text in the text layer so search and copy still find it.
            out.extend_from_slice(b"/Span <</ActualText <");
            hex(out, &utf16be_with_bom(text));
            out.extend_from_slice(b">>> BDC\n");
            out.extend_from_slice(&shown);
            out.extend_from_slice(b" Tj\nEMC\n");
        }
    }
    out.extend_from_slice(b"ET\n");
}

/// Appends `text` as a literal string of WinAnsi bytes, `(`, `)` and `\` escaped. Returns
/// whether every character had a WinAnsi byte (the others are written as `?`).
fn win_ansi_string(text: &str, out: &mut Vec<u8>) -> bool {
    let mut complete = true;
    out.push(b'(');
    for c in text.chars() {
        let byte = helvetica::win_ansi_byte(c).unwrap_or_else(|| {
            complete = false;
            FALLBACK
        });
        if matches!(byte, b'(' | b')' | b'\\') {
            out.push(b'\\');
        }
        out.push(byte);
    }
    out.push(b')');
    complete
}

/// Appends `bytes` as upper-case hexadecimal digits.
fn hex(out: &mut Vec<u8>, bytes: &[u8]) {
    const DIGITS: &[u8; 16] = b"0123456789ABCDEF";
    for byte in bytes {
        out.push(DIGITS[usize::from(byte >> 4)]);
        out.push(DIGITS[usize::from(byte & 0x0F)]);
    }
}

/// Appends `value` rounded to 1/1000 point, without trailing zeros (`12`, `0.5`, `-3.125`).
fn number(out: &mut Vec<u8>, value: f32) {
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
fn integer(out: &mut Vec<u8>, value: u64) {
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
    use super::*;
    use crate::pdf::layout::Item;

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
        assert_eq!(number_string(841.89 - 70.0), "771.89");
        assert_eq!(number_string(0.05), "0.05");
        assert_eq!(number_string(1.0004), "1");
        assert_eq!(number_string(f32::NAN), "0");
    }

    #[test]
    fn strings_are_win_ansi_with_delimiters_escaped() {
        let mut out = Vec::new();
        assert!(win_ansi_string("a(b)c\\ € é", &mut out));
        assert_eq!(out, b"(a\\(b\\)c\\\\ \x80 \xE9)");
        out.clear();
        assert!(!win_ansi_string("Łx", &mut out));
        assert_eq!(out, b"(?x)");
    }

    #[test]
    fn text_strings_are_ascii_or_utf16_with_a_bom() {
        assert_eq!(
            text_string("Brief (kopie)"),
            Object::String(b"Brief (kopie)".to_vec(), StringFormat::Literal)
        );
        assert_eq!(
            text_string("Brief é"),
            Object::String(
                vec![0xFE, 0xFF, 0, b'B', 0, b'r', 0, b'i', 0, b'e', 0, b'f', 0, b' ', 0, 0xE9],
                StringFormat::Hexadecimal
            )
        );
    }

    #[test]
    fn text_the_font_cannot_show_keeps_its_actual_text() {
        let page = vec![Item::Text {
            x: 10.0,
            baseline: 20.0,
            size: 10.0,
            bold: false,
            text: "aŁ".into(),
        }];
        let mut out = Vec::new();
        page_content(&page, &mut out);
        let content = String::from_utf8(out).unwrap();
        assert!(
            content.contains("/Span <</ActualText <FEFF00610141>>> BDC\n(a?) Tj\nEMC\n"),
            "{content}"
        );
    }
}
