//! The fonts every document is written in: DejaVu Sans and DejaVu Sans Bold, and for the
//! characters they lack (Chinese, Japanese, Korean) Droid Sans Fallback; all vendored, parsed
//! once per process (the fallback only when a document needs it). Text measurement for the
//! layout, the face of each character for the writer, and what is drawn for a character no
//! face has: U+FFFD, with the real text kept in the text layer.
//!
//! There is no built-in (non-embedded) font: PDF/A requires every font to be embedded, and a
//! viewer that substitutes a built-in font breaks the spacing. The writer embeds a subset of
//! each face holding the glyphs the document uses (see [`super::subset`]).

use std::borrow::Cow;
use std::collections::HashMap;
use std::sync::OnceLock;

use printpdf::ParsedFont;

use super::RenderError;

/// DejaVu Sans, the free font every document is written in.
const DEJAVU_SANS: &[u8] = include_bytes!("../../fonts/DejaVuSans.ttf");
/// DejaVu Sans Bold, its bold face.
const DEJAVU_SANS_BOLD: &[u8] = include_bytes!("../../fonts/DejaVuSans-Bold.ttf");
/// Droid Sans Fallback: CJK glyphs, for regular and bold text alike (it has no bold face).
const DROID_SANS_FALLBACK: &[u8] = include_bytes!("../../fonts/DroidSansFallbackFull.ttf");

/// Shown in place of a character the font has no glyph for.
const REPLACEMENT: char = '\u{FFFD}';
/// Characters below this (Basic Latin to Latin Extended-B) are looked up in arrays, not in
/// the cmap: they are nearly all the text of Dutch letters.
pub(crate) const DIRECT: usize = 0x250;

/// Values of a face's PDF font descriptor, in 1/1000 em.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Metrics {
    /// Ascender.
    pub ascent: i64,
    /// Descender (negative).
    pub descent: i64,
    /// Height of capitals (the ascender where the font does not say).
    pub cap_height: i64,
    /// Bounding box of all glyphs: x min, y min, x max, y max.
    pub bbox: [i64; 4],
    /// Estimated vertical stem width, from the weight class.
    pub stem_v: i64,
}

/// One face of the font, parsed once per process.
pub(crate) struct Face {
    /// PostScript name, used for `/BaseFont` (with a subset tag in front).
    pub name: &'static str,
    /// The complete font program.
    pub bytes: &'static [u8],
    /// Unicode code point to glyph id.
    cmap: HashMap<char, u16>,
    /// Glyph id of each character below [`DIRECT`] (0: none).
    direct_glyphs: Vec<u16>,
    /// Advance width of each character below [`DIRECT`], in 1/1000 em.
    direct_advances: Vec<f32>,
    /// Advance width per glyph id, in 1/1000 em.
    advances: Vec<f32>,
    /// For the font descriptor.
    pub metrics: Metrics,
}

impl Face {
    fn parse(name: &'static str, bytes: &'static [u8]) -> Option<Self> {
        let mut warnings = Vec::new();
        let parsed = ParsedFont::from_bytes(bytes, 0, &mut warnings)?;
        let units_per_em = f32::from(parsed.units_per_em.max(1));
        let scale = |v: f32| (v * 1000.0 / units_per_em).round() as i64;
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
        let cmap = parsed
            .codepoint_to_glyph
            .iter()
            .filter_map(|(cp, gid)| Some((char::from_u32(*cp)?, *gid)))
            .collect();
        let m = &parsed.pdf_font_metrics;
        let ascent = scale(f32::from(parsed.font_metrics.ascent));
        let weight = f32::from(m.us_weight_class);
        let metrics = Metrics {
            ascent,
            descent: scale(f32::from(parsed.font_metrics.descent)),
            cap_height: ascent,
            bbox: [m.x_min, m.y_min, m.x_max, m.y_max].map(|v| scale(f32::from(v))),
            stem_v: if m.us_weight_class == 0 {
                80
            } else {
                50 + (weight / 65.0).powi(2).round() as i64
            },
        };
        let mut face = Self {
            name,
            bytes,
            cmap,
            direct_glyphs: Vec::new(),
            direct_advances: Vec::new(),
            advances,
            metrics,
        };
        let direct: Vec<u16> = (0..DIRECT)
            .map(|i| {
                u32::try_from(i)
                    .ok()
                    .and_then(char::from_u32)
                    .and_then(|c| face.cmap.get(&c).copied())
                    .unwrap_or(0)
            })
            .collect();
        face.direct_advances = direct.iter().map(|g| face.glyph_advance(*g)).collect();
        face.direct_glyphs = direct;
        Some(face)
    }

    /// The glyph id of `c`, if the face has one.
    pub(crate) fn glyph(&self, c: char) -> Option<u16> {
        match self.direct_glyphs.get(c as usize) {
            Some(0) => None,
            Some(gid) => Some(*gid),
            None => self.cmap.get(&c).copied(),
        }
    }

    /// Advance width of glyph `gid`, in 1/1000 em.
    pub(crate) fn glyph_advance(&self, gid: u16) -> f32 {
        self.advances.get(usize::from(gid)).copied().unwrap_or(0.0)
    }

    fn advance(&self, c: char) -> f32 {
        match self.direct_advances.get(c as usize) {
            Some(width) => *width,
            None => self.glyph_advance(self.glyph(c).unwrap_or(0)),
        }
    }
}

/// Which face draws a character.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum FaceKind {
    /// DejaVu Sans, or DejaVu Sans Bold for bold text.
    Primary,
    /// Droid Sans Fallback.
    Fallback,
}

/// The faces of the font.
pub(crate) struct FontSet {
    regular: &'static Face,
    bold: &'static Face,
}

/// Droid Sans Fallback, parsed on first use; `None` if the vendored file cannot be parsed
/// (its characters are then drawn as U+FFFD).
fn fallback_face() -> Option<&'static Face> {
    static FACE: OnceLock<Option<Face>> = OnceLock::new();
    FACE.get_or_init(|| Face::parse("DroidSansFallback", DROID_SANS_FALLBACK))
        .as_ref()
}

impl FontSet {
    /// The font, parsed on first use and kept for the life of the process.
    ///
    /// # Errors
    ///
    /// [`RenderError::Font`] when a vendored font file cannot be parsed.
    pub(crate) fn get() -> Result<Self, RenderError> {
        static FACES: OnceLock<Option<(Face, Face)>> = OnceLock::new();
        let faces = FACES.get_or_init(|| {
            let regular = Face::parse("DejaVuSans", DEJAVU_SANS)?;
            let bold = Face::parse("DejaVuSans-Bold", DEJAVU_SANS_BOLD)?;
            Some((regular, bold))
        });
        match faces {
            Some((regular, bold)) => Ok(Self { regular, bold }),
            None => Err(RenderError::Font {
                font: "DejaVuSans",
                reason: "the vendored font file could not be parsed".to_owned(),
            }),
        }
    }

    /// The regular or the bold face.
    pub(crate) fn face(&self, bold: bool) -> &'static Face {
        if bold {
            self.bold
        } else {
            self.regular
        }
    }

    /// The fallback face, when a document needs it.
    pub(crate) fn fallback(&self) -> Option<&'static Face> {
        fallback_face()
    }

    /// Whether both primary faces have a glyph for `c`. Everything up to U+024F (Latin
    /// Extended-B) is in both, so most text needs no lookups.
    fn primary_has(&self, c: char) -> bool {
        c <= '\u{24F}' || (self.regular.glyph(c).is_some() && self.bold.glyph(c).is_some())
    }

    /// The face that draws `c` (after [`Self::shown`]), and the glyph id in it.
    pub(crate) fn glyph(&self, c: char, bold: bool) -> (FaceKind, u16) {
        if self.primary_has(c) {
            return (FaceKind::Primary, self.face(bold).glyph(c).unwrap_or(0));
        }
        match fallback_face().and_then(|f| f.glyph(c)) {
            Some(gid) => (FaceKind::Fallback, gid),
            None => (FaceKind::Primary, self.face(bold).glyph(c).unwrap_or(0)),
        }
    }

    /// Advance width of `c` as it is drawn, in 1/1000 em.
    pub(crate) fn char_width(&self, c: char, bold: bool) -> f32 {
        if self.primary_has(c) {
            return self.face(bold).advance(c);
        }
        match fallback_face().and_then(|f| f.glyph(c).map(|g| f.glyph_advance(g))) {
            Some(width) => width,
            None => self.face(bold).advance(REPLACEMENT),
        }
    }

    /// Advance width of `text`, in 1/1000 em: the sum of [`Self::char_width`] over its
    /// characters (no kerning).
    pub(crate) fn text_width(&self, text: &str, bold: bool) -> f32 {
        let face = self.face(bold);
        text.chars()
            .map(|c| {
                if c <= '\u{24F}' {
                    face.advance(c)
                } else {
                    self.char_width(c, bold)
                }
            })
            .sum()
    }

    /// `text` as it is laid out: a tab becomes a space and other control characters are
    /// dropped. Characters the font has no glyph for are kept here; see [`Self::shown`].
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

    /// `text` as its glyphs are drawn: a character no face can show becomes U+FFFD. When
    /// this differs from `text`, the writer keeps the real text in the text layer as
    /// `/ActualText`.
    pub(crate) fn shown<'a>(&self, text: &'a str) -> Cow<'a, str> {
        let can_show =
            |c: char| self.primary_has(c) || fallback_face().is_some_and(|f| f.glyph(c).is_some());
        if text.chars().all(can_show) {
            return Cow::Borrowed(text);
        }
        Cow::Owned(
            text.chars()
                .map(|c| if can_show(c) { c } else { REPLACEMENT })
                .collect(),
        )
    }
}

/// Whether `text` holds a control character (U+0000–U+001F, U+007F, U+0080–U+009F).
fn has_control(text: &str) -> bool {
    // The C1 controls are encoded as 0xC2 0x80–0x9F: only text with one of these bytes
    // needs decoding.
    text.bytes().any(|b| b < 0x20 || b == 0x7F || b == 0xC2) && text.chars().any(char::is_control)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn both_faces_measure_text() {
        let fonts = FontSet::get().unwrap();
        assert!(fonts.char_width('Ł', false) > 0.0);
        assert!(fonts.char_width('Ł', true) > fonts.char_width('l', true));
        assert!(fonts.text_width("ab", false) > fonts.char_width('a', false));
    }

    #[test]
    fn everything_up_to_latin_extended_b_is_in_both_faces() {
        let fonts = FontSet::get().unwrap();
        for c in (' '..='\u{24F}').filter(|c| !c.is_control()) {
            assert!(fonts.regular.glyph(c).is_some(), "{c:?}");
            assert!(fonts.bold.glyph(c).is_some(), "{c:?}");
        }
    }

    #[test]
    fn the_quick_control_check_agrees_with_the_character_check() {
        for text in [
            "plain",
            "patiënt ÿ\u{A0}",
            "a\tb",
            "del\u{7F}",
            "c1\u{85}",
            "Łódź",
        ] {
            assert_eq!(
                has_control(text),
                text.chars().any(char::is_control),
                "{text:?}"
            );
        }
    }

    #[test]
    fn normalize_drops_controls_and_shown_replaces_missing_glyphs() {
        let fonts = FontSet::get().unwrap();
        assert!(matches!(fonts.normalize("plain"), Cow::Borrowed(_)));
        assert_eq!(fonts.normalize("a\tb\r"), "a b");
        assert_eq!(fonts.normalize("Ω\u{4E2D}"), "Ω\u{4E2D}");
        // U+4E2D (CJK) is drawn by the fallback; U+E000 (private use) by no face.
        assert!(matches!(fonts.shown("Ω plain \u{4E2D}"), Cow::Borrowed(_)));
        assert_eq!(fonts.shown("Ω\u{E000}"), "Ω\u{FFFD}");
    }

    #[test]
    fn cjk_is_drawn_and_measured_with_the_fallback_face() {
        let fonts = FontSet::get().unwrap();
        assert_eq!(fonts.glyph('a', true).0, FaceKind::Primary);
        let (kind, gid) = fonts.glyph('\u{4E2D}', true);
        assert_eq!(kind, FaceKind::Fallback);
        assert!(gid > 0);
        for c in ['\u{4E2D}', 'あ', 'カ'] {
            assert_eq!(fonts.glyph(c, false).0, FaceKind::Fallback, "{c}");
            assert!(fonts.char_width(c, false) > 500.0, "{c}");
        }
        // Hangul is in neither font.
        assert_eq!(fonts.shown("한"), "\u{FFFD}");
        assert_eq!(
            fonts.char_width('\u{E000}', false),
            fonts.char_width('\u{FFFD}', false)
        );
    }
}
