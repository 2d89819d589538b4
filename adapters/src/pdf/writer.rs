//! Turns laid-out pages into a PDF/A-2u file, straight into lopdf objects:
//!
//! - Catalog with `/Metadata` (XMP, see [`super::pdfa`]), `/OutputIntents` (sRGB) and `/Lang`;
//! - Pages, and one Page per laid-out page (A4 `/MediaBox`) sharing one `/Resources` with
//!   `/F1` and `/F2`: subsets of DejaVu Sans and DejaVu Sans Bold as Type0 fonts
//!   (CIDFontType2, `/Identity-H`, `/CIDToGIDMap /Identity`, `/W`, `/ToUnicode`, the font
//!   program as `/FontFile2`);
//! - per page one content stream ([`super::content`]), deflated;
//! - the Info dictionary agreeing with the XMP packet, and the trailer `/ID` derived from the
//!   content, so the same document always gives the same bytes.

use std::collections::BTreeSet;

use ketenpost_domain::document::Document;
use lopdf::{Dictionary, Object, ObjectId, Stream, StringFormat};

use super::content::{page_content, Faces, BOLD, FALLBACK, REGULAR};
use super::fonts::{Face, FaceKind, FontSet, DIRECT};
use super::layout::{Item, Page, PAGE_HEIGHT, PAGE_WIDTH};
use super::pdfa;
use super::subset::{subset_for, Subset};
use super::RenderError;
use crate::deflate::{deflate, Wrapper};

/// The deflate level of the content streams: the fastest. Page text is small and repetitive,
/// so level 1 costs little in size against level 6 and halves the time.
const CONTENT_LEVEL: u8 = 1;

/// Writes `pages` (laid out with `fonts`) as a PDF/A-2u file.
pub(crate) fn write(
    document: &Document,
    pages: &[Page],
    fonts: &FontSet,
) -> Result<Vec<u8>, RenderError> {
    let [regular_chars, bold_chars, fallback_chars] = used_chars(pages, fonts);
    let regular = subset_if_used(fonts.face(false), &regular_chars)?;
    let bold = subset_if_used(fonts.face(true), &bold_chars)?;
    let fallback = match fonts.fallback() {
        Some(face) => subset_if_used(face, &fallback_chars)?.map(|s| (face, s)),
        None => None,
    };

    let mut pdf = lopdf::Document::with_version("1.7");
    pdf.reference_table.cross_reference_type = lopdf::xref::XrefType::CrossReferenceTable;

    let pages_id = pdf.new_object_id();
    let mut font_resources = Dictionary::new();
    let primary = [
        (REGULAR, fonts.face(false), regular.as_ref()),
        (BOLD, fonts.face(true), bold.as_ref()),
    ];
    let secondary = fallback
        .as_ref()
        .map(|(face, s)| (FALLBACK, *face, Some(s)));
    for (name, face, subset) in primary.into_iter().chain(secondary) {
        if let Some(subset) = subset {
            let id = add_font(&mut pdf, face, subset);
            font_resources.set(name, Object::Reference(id));
        }
    }
    let resources = pdf.add_object(Dictionary::from_iter([(
        "Font",
        Object::Dictionary(font_resources),
    )]));
    let media_box = Object::Array(vec![
        Object::Integer(0),
        Object::Integer(0),
        Object::Real(PAGE_WIDTH),
        Object::Real(PAGE_HEIGHT),
    ]);

    let faces = Faces {
        fonts,
        regular: regular.as_deref(),
        bold: bold.as_deref(),
        fallback: fallback.as_ref().map(|(_, s)| s.as_ref()),
    };
    let mut content = Vec::new();
    let mut kids = Vec::with_capacity(pages.len());
    for page in pages {
        content.clear();
        page_content(page, &faces, &mut content);
        let contents = pdf.add_object(compressed_stream(
            Dictionary::new(),
            deflate(&content, Wrapper::Zlib, CONTENT_LEVEL),
        ));
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

    let id = content_id(document);
    let hex_id: String = id.iter().map(|b| format!("{b:02x}")).collect();
    let metadata = pdf.add_object(pdfa::metadata_stream(document, &hex_id));
    let icc = pdf.add_object(pdfa::icc_stream());
    let catalog = pdf.add_object(Dictionary::from_iter([
        ("Type", Object::Name(b"Catalog".to_vec())),
        ("Pages", Object::Reference(pages_id)),
        ("Metadata", Object::Reference(metadata)),
        ("OutputIntents", pdfa::output_intent(Object::Reference(icc))),
        (
            "Lang",
            Object::String(b"nl-NL".to_vec(), StringFormat::Literal),
        ),
    ]));
    let info = pdf.add_object(pdfa::info(document));
    pdf.trailer.set("Root", Object::Reference(catalog));
    pdf.trailer.set("Info", Object::Reference(info));
    pdf.trailer.set(
        "ID",
        Object::Array(vec![
            Object::String(id.clone(), StringFormat::Hexadecimal),
            Object::String(id, StringFormat::Hexadecimal),
        ]),
    );

    let font_bytes: usize = [regular.as_ref(), bold.as_ref()]
        .into_iter()
        .chain(fallback.as_ref().map(|(_, s)| Some(s)))
        .flatten()
        .map(|s| s.program.len() + s.to_unicode.len())
        .sum();
    let mut bytes = Vec::with_capacity(8192 + font_bytes + pages.len() * 3072);
    pdf.save_to(&mut bytes)
        .map_err(|e| RenderError::Write(e.to_string()))?;
    Ok(bytes)
}

fn subset_if_used(
    face: &Face,
    chars: &BTreeSet<char>,
) -> Result<Option<std::sync::Arc<Subset>>, RenderError> {
    if chars.is_empty() {
        return Ok(None);
    }
    subset_for(face, chars).map(Some)
}

/// A stream whose `data` is already zlib-compressed.
fn compressed_stream(mut dict: Dictionary, data: Vec<u8>) -> Stream {
    dict.set("Filter", Object::Name(b"FlateDecode".to_vec()));
    Stream::new(dict, data).with_compression(false)
}

/// Adds the Type0 font for `subset` of `face` with its descendant, descriptor, program and
/// CMap, and returns the Type0 font's id.
fn add_font(pdf: &mut lopdf::Document, face: &Face, subset: &Subset) -> ObjectId {
    let name = || Object::Name(subset.base_font.as_bytes().to_vec());
    let program_len = i64::try_from(subset.program_len).unwrap_or(i64::MAX);
    let program = pdf.add_object(compressed_stream(
        Dictionary::from_iter([("Length1", Object::Integer(program_len))]),
        subset.program.clone(),
    ));
    let m = face.metrics;
    let descriptor = pdf.add_object(Dictionary::from_iter([
        ("Type", Object::Name(b"FontDescriptor".to_vec())),
        ("FontName", name()),
        ("Flags", Object::Integer(32)),
        (
            "FontBBox",
            Object::Array(m.bbox.iter().map(|v| Object::Integer(*v)).collect()),
        ),
        ("ItalicAngle", Object::Integer(0)),
        ("Ascent", Object::Integer(m.ascent)),
        ("Descent", Object::Integer(m.descent)),
        ("CapHeight", Object::Integer(m.cap_height)),
        ("StemV", Object::Integer(m.stem_v)),
        ("FontFile2", Object::Reference(program)),
    ]));
    let widths = subset.widths.iter().map(|w| Object::Real(*w)).collect();
    let descendant = pdf.add_object(Dictionary::from_iter([
        ("Type", Object::Name(b"Font".to_vec())),
        ("Subtype", Object::Name(b"CIDFontType2".to_vec())),
        ("BaseFont", name()),
        (
            "CIDSystemInfo",
            Object::Dictionary(Dictionary::from_iter([
                ("Registry", Object::string_literal("Adobe")),
                ("Ordering", Object::string_literal("Identity")),
                ("Supplement", Object::Integer(0)),
            ])),
        ),
        ("FontDescriptor", Object::Reference(descriptor)),
        (
            "W",
            Object::Array(vec![Object::Integer(0), Object::Array(widths)]),
        ),
        ("CIDToGIDMap", Object::Name(b"Identity".to_vec())),
    ]));
    let to_unicode = pdf.add_object(compressed_stream(
        Dictionary::new(),
        subset.to_unicode.clone(),
    ));
    pdf.add_object(Dictionary::from_iter([
        ("Type", Object::Name(b"Font".to_vec())),
        ("Subtype", Object::Name(b"Type0".to_vec())),
        ("BaseFont", name()),
        ("Encoding", Object::Name(b"Identity-H".to_vec())),
        (
            "DescendantFonts",
            Object::Array(vec![Object::Reference(descendant)]),
        ),
        ("ToUnicode", Object::Reference(to_unicode)),
    ]))
}

/// The characters drawn in the regular, the bold and the fallback face.
fn used_chars(pages: &[Page], fonts: &FontSet) -> [BTreeSet<char>; 3] {
    let mut sets: [CharSet; 3] = Default::default();
    for item in pages.iter().flatten() {
        if let Item::Text { bold, text, .. } = item {
            for c in fonts.shown(text).chars() {
                let index = if (c as usize) < DIRECT {
                    usize::from(*bold)
                } else {
                    match fonts.glyph(c, *bold).0 {
                        FaceKind::Fallback => 2,
                        FaceKind::Primary => usize::from(*bold),
                    }
                };
                if let Some(set) = sets.get_mut(index) {
                    set.insert(c);
                }
            }
        }
    }
    sets.map(CharSet::into_set)
}

/// A set of characters that takes those below [`DIRECT`] in a bitmap: inserting the thousands
/// of characters of a letter then costs a few instructions each.
#[derive(Default)]
struct CharSet {
    direct: [u64; DIRECT.div_ceil(64)],
    other: BTreeSet<char>,
}

impl CharSet {
    fn insert(&mut self, c: char) {
        let index = c as usize;
        match self.direct.get_mut(index / 64) {
            Some(word) => *word |= 1 << (index % 64),
            None => {
                self.other.insert(c);
            }
        }
    }

    fn into_set(self) -> BTreeSet<char> {
        let mut set = self.other;
        for (w, word) in self.direct.iter().enumerate() {
            for bit in 0..64 {
                if word & (1 << bit) != 0 {
                    let code = u32::try_from(w * 64 + bit).unwrap_or(0);
                    if let Some(c) = char::from_u32(code) {
                        set.insert(c);
                    }
                }
            }
        }
        set
    }
}

/// A 16-byte id derived from the document's content (two FNV-1a hashes), so the same
/// document always gets the same `/ID` and different documents practically never share one.
fn content_id(document: &Document) -> Vec<u8> {
    const PRIME: u64 = 0x0000_0100_0000_01b3;
    let text = document.plain_text();
    // Both hashes in one pass: two independent multiply chains run side by side.
    let mut first = 0xcbf2_9ce4_8422_2325_u64;
    let mut second = 0x6c62_272e_07bb_0142_u64;
    for byte in text.bytes().chain(document.info.author.bytes()).chain(
        document
            .info
            .date
            .map(|d| d.to_string())
            .unwrap_or_default()
            .into_bytes(),
    ) {
        first = (first ^ u64::from(byte)).wrapping_mul(PRIME);
        second = (second ^ u64::from(byte)).wrapping_mul(PRIME);
    }
    let mut id = Vec::with_capacity(16);
    id.extend_from_slice(&first.to_be_bytes());
    id.extend_from_slice(&second.to_be_bytes());
    id
}
