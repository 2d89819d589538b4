//! Font choice, text measurement and font embedding (with subsetting) for the PDF renderer.
//!
//! A document whose every character is in WinAnsi is written in the built-in Helvetica and
//! Helvetica-Bold: nothing is embedded and nothing is parsed. Any other character switches
//! the whole document to the vendored DejaVu Sans (regular and bold), embedded as a subset
//! that holds only the glyphs the document uses.
//!
//! Subsetting is done here rather than by printpdf: printpdf 0.12 only subsets with its
//! `text_layout` feature (a large dependency tree); without it `PdfSaveOptions::subset_fonts`
//! is a no-op and the full 700 KB font would be embedded. So [`EmbeddedFonts::embed`] cuts the
//! font down with allsorts (the same version printpdf uses internally), parses the small
//! result with `ParsedFont::from_bytes` and registers that with the document. printpdf then
//! writes it as a Type0/CIDFontType2 font with Identity-H encoding, a `/W` width array and
//! a `/ToUnicode` CMap built from the characters actually shown, which is what lets
//! `pdftotext` recover the text.

use std::borrow::Cow;
use std::collections::{BTreeMap, BTreeSet};
use std::sync::OnceLock;

use allsorts::binary::read::ReadScope;
use allsorts::font_data::FontData;
use allsorts::subset::{subset, CmapTarget, SubsetProfile};
use ketenpost_domain::document::{Block, Document, Row};
use printpdf::{FontId, ParsedFont, PdfDocument, PdfFont, PdfFontHandle};

use super::helvetica;
use super::RenderError;

/// DejaVu Sans, the free font embedded for text Helvetica cannot show.
const DEJAVU_SANS: &[u8] = include_bytes!("../../fonts/DejaVuSans.ttf");
/// DejaVu Sans Bold, its bold face.
const DEJAVU_SANS_BOLD: &[u8] = include_bytes!("../../fonts/DejaVuSans-Bold.ttf");

/// Shown in place of a character the embedded font has no glyph for.
const REPLACEMENT: char = '\u{FFFD}';

/// One face of the embedded font, parsed once per process.
pub(crate) struct EmbeddedFace {
    /// PostScript-style name, used for `/BaseFont` (with a subset tag in front).
    name: &'static str,
    /// The complete font program.
    bytes: &'static [u8],
    /// Unicode code point to glyph id.
    cmap: BTreeMap<u32, u16>,
    /// Advance width per glyph id, already scaled to 1/1000 em.
    advances: Vec<f32>,
}

impl EmbeddedFace {
    fn parse(name: &'static str, bytes: &'static [u8]) -> Option<Self> {
        let mut warnings = Vec::new();
        let parsed = ParsedFont::from_bytes(bytes, 0, &mut warnings)?;
        let units_per_em = f32::from(parsed.units_per_em.max(1));
        let glyphs = parsed
            .glyph_widths
            .keys()
            .next_back()
            .map_or(0, |g| usize::from(*g) + 1);
        let mut advances = vec![0.0; glyphs];
        for (gid, width) in &parsed.glyph_widths {
            if let Some(slot) = advances.get_mut(usize::from(*gid)) {
                *slot = f32::from(*width) * 1000.0 / units_per_em;
            }
        }
        Some(Self {
            name,
            bytes,
            cmap: parsed.codepoint_to_glyph,
            advances,
        })
    }

    fn glyph(&self, c: char) -> Option<u16> {
        self.cmap.get(&u32::from(c)).copied()
    }

    fn advance(&self, c: char) -> f32 {
        let gid = self.glyph(c).unwrap_or(0);
        self.advances.get(usize::from(gid)).copied().unwrap_or(0.0)
    }

    /// A copy of this face holding only the glyphs for `chars` (plus `.notdef`), parsed
    /// and named as a subset.
    fn subset(&self, chars: &BTreeSet<char>) -> Result<ParsedFont, RenderError> {
        let fail = |reason: String| RenderError::Font {
            font: self.name,
            reason,
        };
        // allsorts requires .notdef first and no duplicates; the set keeps the rest sorted,
        // so the subset's glyph order (and thus the output) depends only on `chars`.
        let used: BTreeSet<u16> = chars.iter().filter_map(|c| self.glyph(*c)).collect();
        let ids: Vec<u16> = std::iter::once(0)
            .chain(used.into_iter().filter(|g| *g != 0))
            .collect();

        let font_data = ReadScope::new(self.bytes)
            .read::<FontData<'_>>()
            .map_err(|e| fail(e.to_string()))?;
        let provider = font_data
            .table_provider(0)
            .map_err(|e| fail(e.to_string()))?;
        let program = subset(&provider, &ids, &SubsetProfile::Pdf, CmapTarget::Unicode)
            .map_err(|e| fail(e.to_string()))?;

        let mut warnings = Vec::new();
        let mut parsed = ParsedFont::from_bytes(&program, 0, &mut warnings)
            .ok_or_else(|| fail("the subset font could not be parsed".to_owned()))?;
        // ISO 32000-1 9.6.4: a subset font's name carries a six-letter tag. Derive it from
        // the glyph set so it is deterministic and differs between different subsets.
        parsed.font_name = Some(format!("{}+{}", subset_tag(&ids), self.name));
        Ok(parsed)
    }
}

/// Six upper-case letters derived from the glyph ids of a subset.
fn subset_tag(ids: &[u16]) -> String {
    let mut hash: u64 = 0xcbf2_9ce4_8422_2325;
    for id in ids {
        for byte in id.to_be_bytes() {
            hash ^= u64::from(byte);
            hash = hash.wrapping_mul(0x0000_0100_0000_01b3);
        }
    }
    (0..6)
        .map(|i| {
            let letter = (hash >> (i * 5)) % 26;
            char::from(b'A' + u8::try_from(letter).unwrap_or(0))
        })
        .collect()
}

/// The two embedded faces, parsed on first use and kept for the life of the process.
fn embedded_faces() -> Result<(&'static EmbeddedFace, &'static EmbeddedFace), RenderError> {
    static FACES: OnceLock<Option<(EmbeddedFace, EmbeddedFace)>> = OnceLock::new();
    let faces = FACES.get_or_init(|| {
        let regular = EmbeddedFace::parse("DejaVuSans", DEJAVU_SANS)?;
        let bold = EmbeddedFace::parse("DejaVuSans-Bold", DEJAVU_SANS_BOLD)?;
        Some((regular, bold))
    });
    match faces {
        Some((regular, bold)) => Ok((regular, bold)),
        None => Err(RenderError::Font {
            font: "DejaVuSans",
            reason: "the vendored font file could not be parsed".to_owned(),
        }),
    }
}

/// The fonts a document is written in.
pub(crate) enum FontSet {
    /// Helvetica and Helvetica-Bold, not embedded: every character is in WinAnsi.
    Builtin,
    /// DejaVu Sans and DejaVu Sans Bold, embedded as subsets.
    Embedded(EmbeddedFonts),
}

/// The two faces of the embedded font.
pub(crate) struct EmbeddedFonts {
    regular: &'static EmbeddedFace,
    bold: &'static EmbeddedFace,
}

impl FontSet {
    /// The built-in fonts if they can show every character of `document`, else the
    /// embedded font.
    pub(crate) fn for_document(document: &Document) -> Result<Self, RenderError> {
        if all_texts(document).all(builtin_can_show) {
            return Ok(Self::Builtin);
        }
        let (regular, bold) = embedded_faces()?;
        Ok(Self::Embedded(EmbeddedFonts { regular, bold }))
    }

    /// Advance width of `c`, in 1/1000 em.
    pub(crate) fn char_width(&self, c: char, bold: bool) -> f32 {
        match self {
            Self::Builtin => f32::from(helvetica::width(c, bold)),
            Self::Embedded(fonts) => fonts.face(bold).advance(c),
        }
    }

    /// Advance width of `text`, in 1/1000 em: the sum of [`Self::char_width`] over its
    /// characters.
    pub(crate) fn text_width(&self, text: &str, bold: bool) -> f32 {
        match self {
            Self::Builtin => helvetica::text_width(text, bold),
            Self::Embedded(fonts) => {
                let face = fonts.face(bold);
                text.chars().map(|c| face.advance(c)).sum()
            }
        }
    }

    /// `text` as it is laid out: a tab becomes a space and other control characters are
    /// dropped. Characters the font has no glyph for are kept here; see
    /// [`EmbeddedFonts::shown`].
    pub(crate) fn normalize<'a>(&self, text: &'a str) -> Cow<'a, str> {
        if !has_control(text) {
            return Cow::Borrowed(text);
        }
        Cow::Owned(
            text.chars()
                .filter_map(|c| match c {
                    '\t' => Some(' '),
                    c if c.is_control() => None,
                    c => Some(c),
                })
                .collect(),
        )
    }
}

impl EmbeddedFonts {
    fn face(&self, bold: bool) -> &'static EmbeddedFace {
        if bold {
            self.bold
        } else {
            self.regular
        }
    }

    /// `text` as its glyphs are drawn: a character the font cannot show becomes U+FFFD. When
    /// this differs from `text`, the writer keeps the real text in the text layer as
    /// `/ActualText`. (The built-in fonts are only chosen when they can show every character.)
    pub(crate) fn shown<'a>(&self, text: &'a str) -> Cow<'a, str> {
        let can_show = |c: char| self.regular.glyph(c).is_some() && self.bold.glyph(c).is_some();
        if text.chars().all(can_show) {
            return Cow::Borrowed(text);
        }
        Cow::Owned(
            text.chars()
                .map(|c| if can_show(c) { c } else { REPLACEMENT })
                .collect(),
        )
    }

    /// The handle text ops use to select the regular or bold face.
    pub(crate) fn handle(bold: bool) -> PdfFontHandle {
        PdfFontHandle::External(if bold { bold_id() } else { regular_id() })
    }

    /// Adds to `pdf` a subset of each face holding the characters it shows.
    pub(crate) fn embed(
        &self,
        pdf: &mut PdfDocument,
        regular_chars: &BTreeSet<char>,
        bold_chars: &BTreeSet<char>,
    ) -> Result<(), RenderError> {
        // Fixed resource ids instead of `PdfDocument::add_font`, whose ids are random.
        for (id, face, chars) in [
            (regular_id(), self.regular, regular_chars),
            (bold_id(), self.bold, bold_chars),
        ] {
            if chars.is_empty() {
                continue;
            }
            let font = PdfFont::new(face.subset(chars)?);
            pdf.resources.fonts.map.insert(id, font);
        }
        Ok(())
    }
}

fn regular_id() -> FontId {
    FontId("FR".to_owned())
}

fn bold_id() -> FontId {
    FontId("FB".to_owned())
}

/// Whether every character of `text` is one Helvetica can show (control characters are
/// dropped anyway, so they do not count).
fn builtin_can_show(text: &str) -> bool {
    // Every character below U+0100 is either a control character or in WinAnsi. In UTF-8
    // those are exactly the ones whose bytes are all below 0xC4, so most text needs no
    // decoding at all.
    text.bytes().all(|b| b < 0xC4)
        || text
            .chars()
            .all(|c| c < '\u{100}' || helvetica::win_ansi_byte(c).is_some())
}

/// Whether `text` holds a control character (U+0000–U+001F, U+007F, U+0080–U+009F).
fn has_control(text: &str) -> bool {
    // The C1 controls are encoded as 0xC2 0x80–0x9F: only text with one of these bytes
    // needs decoding.
    text.bytes().any(|b| b < 0x20 || b == 0x7F || b == 0xC2) && text.chars().any(char::is_control)
}

/// Every piece of text in `document`.
fn all_texts(document: &Document) -> impl Iterator<Item = &str> {
    let header = document
        .header
        .iter()
        .flat_map(|f| [f.label.as_str(), f.value.as_str()]);
    let blocks = document
        .blocks
        .iter()
        .flat_map(|block| -> Box<dyn Iterator<Item = &str> + '_> {
            match block {
                Block::Heading { text } => Box::new(std::iter::once(text.as_str())),
                Block::Paragraph { lines } => Box::new(lines.iter().map(String::as_str)),
                Block::Table(table) => Box::new(
                    table.columns.iter().map(|c| c.title.as_str()).chain(
                        table
                            .rows
                            .iter()
                            .flat_map(|row| -> Box<dyn Iterator<Item = &str> + '_> {
                                match row {
                                    Row::Heading { text } | Row::Note { text } => {
                                        Box::new(std::iter::once(text.as_str()))
                                    }
                                    Row::Cells { cells } => {
                                        Box::new(cells.iter().map(String::as_str))
                                    }
                                }
                            }),
                    ),
                ),
            }
        });
    std::iter::once(document.title.as_str())
        .chain(header)
        .chain(blocks)
}

#[cfg(test)]
mod tests {
    use super::*;
    use ketenpost_domain::document::Field;

    fn doc(value: &str) -> Document {
        Document {
            title: "Brief".into(),
            header: vec![Field {
                label: "Patiënt".into(),
                value: value.into(),
            }],
            blocks: vec![],
        }
    }

    #[test]
    fn winansi_text_uses_the_builtin_font() {
        let fonts = FontSet::for_document(&doc("Jansen – € 12,50\t“ok”")).unwrap();
        assert!(matches!(fonts, FontSet::Builtin));
    }

    #[test]
    fn other_text_uses_the_embedded_font() {
        let fonts = FontSet::for_document(&doc("Łukasz")).unwrap();
        assert!(matches!(fonts, FontSet::Embedded(_)));
        assert!(fonts.char_width('Ł', false) > 0.0);
        assert!(fonts.char_width('Ł', true) > fonts.char_width('l', true));
    }

    #[test]
    fn the_quick_checks_agree_with_the_character_checks() {
        for text in [
            "plain",
            "patiënt ÿ\u{A0}",
            "a\tb",
            "del\u{7F}",
            "c1\u{85}",
            "© 2024",
            "€ “ok”",
            "Łódź",
            "Ω",
            "\u{FFFD}",
        ] {
            assert_eq!(
                has_control(text),
                text.chars().any(char::is_control),
                "{text:?}"
            );
            assert_eq!(
                builtin_can_show(text),
                text.chars()
                    .all(|c| c.is_control() || helvetica::win_ansi_byte(c).is_some()),
                "{text:?}"
            );
        }
    }

    #[test]
    fn normalize_drops_controls_and_shown_replaces_missing_glyphs() {
        assert!(matches!(
            FontSet::Builtin.normalize("plain"),
            Cow::Borrowed(_)
        ));
        assert_eq!(FontSet::Builtin.normalize("a\tb\r"), "a b");
        let embedded = FontSet::for_document(&doc("Ω")).unwrap();
        // U+4E2D (CJK) is not in DejaVu Sans.
        assert_eq!(embedded.normalize("Ω\u{4E2D}"), "Ω\u{4E2D}");
        let FontSet::Embedded(faces) = embedded else {
            panic!("Ω needs the embedded font");
        };
        assert_eq!(faces.shown("Ω\u{4E2D}"), "Ω\u{FFFD}");
        assert!(matches!(faces.shown("Ω plain"), Cow::Borrowed(_)));
    }

    #[test]
    fn subset_keeps_only_the_used_glyphs() {
        let (regular, _) = embedded_faces().unwrap();
        let chars: BTreeSet<char> = "Zażółć".chars().collect();
        let font = regular.subset(&chars).unwrap();
        assert!(
            font.original_bytes.len() < 20_000,
            "{}",
            font.original_bytes.len()
        );
        for c in chars {
            assert!(font.lookup_glyph_index(u32::from(c)).is_some(), "{c}");
        }
        let name = font.font_name.unwrap();
        assert!(
            name.ends_with("+DejaVuSans") && name.len() == 6 + 1 + 10,
            "{name}"
        );
    }
}
