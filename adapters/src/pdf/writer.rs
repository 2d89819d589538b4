//! Turns laid-out pages into PDF bytes with printpdf, deterministically: the path for
//! documents in the embedded font (the built-in fonts are written by
//! [`super::builtin_writer`]).
//!
//! printpdf puts three things into a file that are not a function of its input: random
//! resource ids from `PdfDocument::add_font` (avoided in [`super::fonts`] by inserting
//! fonts under fixed ids), an XMP packet with a random instance id (only written when the
//! conformance level asks for XMP, which the default custom level does not), and a random
//! trailer `/ID`. The writer therefore stops at `PdfDocument::to_lopdf_document`, replaces
//! `/ID` with a hash of the document's content, drops the 1970 placeholder dates from the
//! info dictionary, and compresses and saves the lopdf document itself.

use std::borrow::Cow;
use std::collections::BTreeSet;

use ketenpost_domain::document::Document;
use lopdf::{Object, StringFormat};
use printpdf::{
    DictItem, Line, LinePoint, Mm, Op, PdfDocument, PdfPage, PdfParseErrorSeverity, PdfSaveOptions,
    Point, Pt, TextItem, TextMatrix,
};

use super::drawing::{self, RuleAt, TextAt};
use super::fonts::EmbeddedFonts;
use super::layout::{Item, Page, PAGE_HEIGHT, PAGE_WIDTH};
use super::RenderError;
use crate::deflate::{deflate, Wrapper};

/// Written as `/Producer` and `/Creator`.
pub(super) const PRODUCER: &str = "ketenpost";
/// The deflate level of the PDF's streams: zlib's default, a good size for little time.
const STREAM_LEVEL: u8 = 6;
/// Thickness of rules, in points.
pub(super) const RULE_WIDTH: f32 = 0.5;

/// Writes `pages` (laid out for the embedded `fonts`) as a PDF.
pub(crate) fn write(
    document: &Document,
    pages: &[Page],
    fonts: &EmbeddedFonts,
) -> Result<Vec<u8>, RenderError> {
    let mut pdf = PdfDocument::new(&document.title);
    pdf.metadata.info.producer = PRODUCER.to_owned();
    pdf.metadata.info.creator = PRODUCER.to_owned();

    let (regular_chars, bold_chars) = used_chars(pages, fonts);
    fonts.embed(&mut pdf, &regular_chars, &bold_chars)?;
    pdf.pages = pages.iter().map(|page| pdf_page(page, fonts)).collect();

    let options = PdfSaveOptions {
        optimize: true,
        subset_fonts: false,
        secure: true,
        image_optimization: None,
    };
    let mut warnings = Vec::new();
    let mut lo = pdf.to_lopdf_document(&options, &mut warnings);
    let errors: Vec<String> = warnings
        .into_iter()
        .filter(|w| w.severity == PdfParseErrorSeverity::Error)
        .map(|w| w.msg)
        .collect();
    if !errors.is_empty() {
        return Err(RenderError::Pdf(errors.join("; ")));
    }

    lo.trailer.set("ID", trailer_id(document));
    if let Ok(info_id) = lo.trailer.get(b"Info").and_then(Object::as_reference) {
        if let Ok(info) = lo.get_object_mut(info_id).and_then(Object::as_dict_mut) {
            for key in [
                "CreationDate",
                "ModDate",
                "GTS_PDFXVersion",
                "Identifier",
                "Trapped",
            ] {
                info.remove(key.as_bytes());
            }
        }
    }
    compress_streams(&mut lo);
    let mut bytes = Vec::new();
    lo.save_to(&mut bytes)
        .map_err(|e| RenderError::Write(e.to_string()))?;
    Ok(bytes)
}

/// Deflates every stream that has no filter yet, as `lopdf::Document::compress` does, but with
/// this thread's reused compressor (see [`crate::deflate`]) and the default level.
fn compress_streams(lo: &mut lopdf::Document) {
    for object in lo.objects.values_mut() {
        let Object::Stream(stream) = object else {
            continue;
        };
        if !stream.allows_compression || stream.dict.has(b"Filter") {
            continue;
        }
        let compressed = deflate(&stream.content, Wrapper::Zlib, STREAM_LEVEL);
        if compressed.len() + 19 < stream.content.len() {
            stream.dict.set("Filter", "FlateDecode");
            stream.set_content(compressed);
        }
    }
}

/// The characters drawn in the regular and in the bold face.
fn used_chars(pages: &[Page], fonts: &EmbeddedFonts) -> (BTreeSet<char>, BTreeSet<char>) {
    let mut regular = BTreeSet::new();
    let mut bold = BTreeSet::new();
    for item in pages.iter().flatten() {
        if let Item::Text {
            bold: is_bold,
            text,
            ..
        } = item
        {
            let set = if *is_bold { &mut bold } else { &mut regular };
            set.extend(fonts.shown(text).chars());
        }
    }
    (regular, bold)
}

fn pdf_page(page: &Page, fonts: &EmbeddedFonts) -> PdfPage {
    let mut ops = Vec::with_capacity(page.len() * 2 + 8);
    for (index, RuleAt { x1, x2, y }) in drawing::rules(page).enumerate() {
        if index == 0 {
            ops.push(Op::SetOutlineThickness { pt: Pt(RULE_WIDTH) });
        }
        let point = |x| LinePoint {
            p: Point { x: Pt(x), y: Pt(y) },
            bezier: false,
        };
        ops.push(Op::DrawLine {
            line: Line {
                points: vec![point(x1), point(x2)],
                is_closed: false,
            },
        });
    }

    ops.push(Op::StartTextSection);
    for TextAt { x, y, font, text } in drawing::texts(page) {
        if let Some((bold, size)) = font {
            ops.push(Op::SetFont {
                font: EmbeddedFonts::handle(bold),
                size: Pt(size),
            });
        }
        ops.push(Op::SetTextMatrix {
            matrix: TextMatrix::Translate(Pt(x), Pt(y)),
        });
        match fonts.shown(text) {
            Cow::Borrowed(_) => ops.push(Op::ShowText {
                items: vec![TextItem::Text(text.to_owned())],
            }),
            Cow::Owned(shown) => {
                // The font has no glyph for some characters: draw U+FFFD for them, and keep
                // the real text in the text layer so search and copy still find it.
                ops.push(Op::BeginMarkedContentWithProperties {
                    tag: "Span".to_owned(),
                    properties: actual_text(text),
                });
                ops.push(Op::ShowText {
                    items: vec![TextItem::Text(shown)],
                });
                ops.push(Op::EndMarkedContent);
            }
        }
    }
    ops.push(Op::EndTextSection);

    PdfPage::new(Mm::from(Pt(PAGE_WIDTH)), Mm::from(Pt(PAGE_HEIGHT)), ops)
}

/// The property list `<< /ActualText <FEFF...> >>`: the text as UTF-16BE with a byte-order mark.
fn actual_text(text: &str) -> DictItem {
    let mut data = vec![0xFE, 0xFF];
    data.extend(text.encode_utf16().flat_map(u16::to_be_bytes));
    let mut map = std::collections::BTreeMap::new();
    map.insert(
        "ActualText".to_owned(),
        DictItem::String {
            data,
            literal: false,
        },
    );
    DictItem::Dict { map }
}

/// The trailer's `/ID`: the document's [`content_id`] twice (first and current version).
pub(super) fn trailer_id(document: &Document) -> Object {
    let id = content_id(document);
    Object::Array(vec![
        Object::String(id.clone(), StringFormat::Hexadecimal),
        Object::String(id, StringFormat::Hexadecimal),
    ])
}

/// A 16-byte id derived from the document's content (two FNV-1a hashes), so the same
/// document always gets the same `/ID` and different documents practically never share one.
fn content_id(document: &Document) -> Vec<u8> {
    const PRIME: u64 = 0x0000_0100_0000_01b3;
    let text = document.plain_text();
    // Both hashes in one pass: two independent multiply chains run side by side.
    let mut first = 0xcbf2_9ce4_8422_2325_u64;
    let mut second = 0x6c62_272e_07bb_0142_u64;
    for byte in text.bytes() {
        first = (first ^ u64::from(byte)).wrapping_mul(PRIME);
        second = (second ^ u64::from(byte)).wrapping_mul(PRIME);
    }
    let mut id = Vec::with_capacity(16);
    id.extend_from_slice(&first.to_be_bytes());
    id.extend_from_slice(&second.to_be_bytes());
    id
}
