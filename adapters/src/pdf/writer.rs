//! Turns laid-out pages into a PDF/A-2u file, written straight as bytes ([`super::emit`]):
//!
//! - Catalog with `/Metadata` (XMP, see [`super::pdfa`]), `/OutputIntents` (sRGB) and `/Lang`;
//! - Pages, and one Page per laid-out page (A4 `/MediaBox`) sharing one `/Resources` with
//!   `/F1` and `/F2`: subsets of DejaVu Sans and DejaVu Sans Bold as Type0 fonts
//!   (CIDFontType2, `/Identity-H`, `/CIDToGIDMap /Identity`, `/W`, `/ToUnicode`, the font
//!   program as `/FontFile2`);
//! - per page one content stream ([`super::content`]), deflated;
//! - the Info dictionary agreeing with the XMP packet, and the trailer `/ID` derived from the
//!   content, so the same document always gives the same bytes.
//!
//! The font programs, CMaps and the ICC profile are compressed once and copied into each file
//! as they are.

use std::collections::BTreeSet;

use ketenpost_domain::document::Document;

use super::content::{integer, number, page_content, Faces, BOLD, FALLBACK, REGULAR};
use super::emit::{reference, ObjectId, PdfFile};
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

    let font_bytes: usize = [regular.as_ref(), bold.as_ref()]
        .into_iter()
        .chain(fallback.as_ref().map(|(_, s)| Some(s)))
        .flatten()
        .map(|s| s.program.len() + s.to_unicode.len() + s.widths.len() * 8)
        .sum();
    let mut pdf =
        PdfFile::with_capacity(8192 + font_bytes + pdfa::icc_profile().len() + pages.len() * 3072);

    let pages_id = pdf.reserve();
    let mut fonts_used: Vec<(&[u8], ObjectId)> = Vec::with_capacity(3);
    let primary = [
        (REGULAR, fonts.face(false), regular.as_ref()),
        (BOLD, fonts.face(true), bold.as_ref()),
    ];
    let secondary = fallback
        .as_ref()
        .map(|(face, s)| (FALLBACK, *face, Some(s)));
    for (name, face, subset) in primary.into_iter().chain(secondary) {
        if let Some(subset) = subset {
            fonts_used.push((name, add_font(&mut pdf, face, subset)));
        }
    }
    let resources = pdf.add(|out| {
        out.extend_from_slice(b"<</Font<<");
        for (name, id) in &fonts_used {
            out.push(b'/');
            out.extend_from_slice(name);
            out.push(b' ');
            reference(out, *id);
        }
        out.extend_from_slice(b">>>>");
    });

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
        let contents = pdf.add_stream(
            b"/Filter/FlateDecode",
            &deflate(&content, Wrapper::Zlib, CONTENT_LEVEL),
        );
        let page_id = pdf.add(|out| {
            out.extend_from_slice(b"<</Type/Page/Parent ");
            reference(out, pages_id);
            out.extend_from_slice(b"/MediaBox[0 0 ");
            number(out, PAGE_WIDTH);
            out.push(b' ');
            number(out, PAGE_HEIGHT);
            out.extend_from_slice(b"]/Resources ");
            reference(out, resources);
            out.extend_from_slice(b"/Contents ");
            reference(out, contents);
            out.extend_from_slice(b">>");
        });
        kids.push(page_id);
    }
    pdf.object(pages_id, |out| {
        out.extend_from_slice(b"<</Type/Pages/Count ");
        integer(out, kids.len() as u64);
        out.extend_from_slice(b"/Kids[");
        for (i, kid) in kids.iter().enumerate() {
            if i > 0 {
                out.push(b' ');
            }
            reference(out, *kid);
        }
        out.extend_from_slice(b"]>>");
    });

    let id = content_id(document);
    let mut hex_id = Vec::with_capacity(32);
    super::content::hex(&mut hex_id, &id);
    let hex_id = String::from_utf8_lossy(&hex_id).to_ascii_lowercase();
    let metadata = pdf.add_stream(
        pdfa::METADATA_ENTRIES,
        pdfa::metadata(document, &hex_id).as_bytes(),
    );
    let icc = pdf.add_stream(pdfa::ICC_ENTRIES, pdfa::icc_profile());
    let catalog = pdf.add(|out| {
        out.extend_from_slice(b"<</Type/Catalog/Pages ");
        reference(out, pages_id);
        out.extend_from_slice(b"/Metadata ");
        reference(out, metadata);
        out.extend_from_slice(b"/OutputIntents ");
        pdfa::output_intents(out, icc);
        out.extend_from_slice(b"/Lang(nl-NL)>>");
    });
    let info = pdf.add(|out| pdfa::info(out, document));
    pdf.finish(catalog, info, &id)
        .ok_or_else(|| RenderError::Write("an object was left unwritten".to_owned()))
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

/// Adds the Type0 font for `subset` of `face` with its descendant, descriptor, program and
/// CMap, and returns the Type0 font's id.
fn add_font(pdf: &mut PdfFile, face: &Face, subset: &Subset) -> ObjectId {
    let name = |out: &mut Vec<u8>| {
        out.push(b'/');
        out.extend_from_slice(subset.base_font.as_bytes());
    };
    let mut entries = Vec::with_capacity(48);
    entries.extend_from_slice(b"/Length1 ");
    integer(&mut entries, subset.program_len as u64);
    entries.extend_from_slice(b"/Filter/FlateDecode");
    let program = pdf.add_stream(&entries, &subset.program);
    let m = face.metrics;
    let descriptor = pdf.add(|out| {
        out.extend_from_slice(b"<</Type/FontDescriptor/FontName");
        name(out);
        out.extend_from_slice(b"/Flags 32/FontBBox[");
        for (i, v) in m.bbox.iter().enumerate() {
            if i > 0 {
                out.push(b' ');
            }
            signed(out, *v);
        }
        out.extend_from_slice(b"]/ItalicAngle 0/Ascent ");
        signed(out, m.ascent);
        out.extend_from_slice(b"/Descent ");
        signed(out, m.descent);
        out.extend_from_slice(b"/CapHeight ");
        signed(out, m.cap_height);
        out.extend_from_slice(b"/StemV ");
        signed(out, m.stem_v);
        out.extend_from_slice(b"/FontFile2 ");
        reference(out, program);
        out.extend_from_slice(b">>");
    });
    let descendant = pdf.add(|out| {
        out.extend_from_slice(b"<</Type/Font/Subtype/CIDFontType2/BaseFont");
        name(out);
        out.extend_from_slice(
            b"/CIDSystemInfo<</Registry(Adobe)/Ordering(Identity)/Supplement 0>>/FontDescriptor ",
        );
        reference(out, descriptor);
        out.extend_from_slice(b"/W[0[");
        for (i, w) in subset.widths.iter().enumerate() {
            if i > 0 {
                out.push(b' ');
            }
            number(out, *w);
        }
        out.extend_from_slice(b"]]/CIDToGIDMap/Identity>>");
    });
    let to_unicode = pdf.add_stream(b"/Filter/FlateDecode", &subset.to_unicode);
    pdf.add(|out| {
        out.extend_from_slice(b"<</Type/Font/Subtype/Type0/BaseFont");
        name(out);
        out.extend_from_slice(b"/Encoding/Identity-H/DescendantFonts[");
        reference(out, descendant);
        out.extend_from_slice(b"]/ToUnicode ");
        reference(out, to_unicode);
        out.extend_from_slice(b">>");
    })
}

/// Appends an integer that may be negative.
fn signed(out: &mut Vec<u8>, value: i64) {
    if value < 0 {
        out.push(b'-');
    }
    integer(out, value.unsigned_abs());
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
fn content_id(document: &Document) -> [u8; 16] {
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
    let mut id = [0; 16];
    id[..8].copy_from_slice(&first.to_be_bytes());
    id[8..].copy_from_slice(&second.to_be_bytes());
    id
}
