//! Subsets of a face holding only the glyphs a document uses, ready to embed: the compressed
//! font program, the widths and the `/ToUnicode` CMap, cached per character set.
//!
//! Subsetting is done with allsorts (the version printpdf uses internally). The subset's
//! glyph `i` is the `i`-th of the glyph ids asked for (`.notdef` first, then ascending), and
//! the writer uses that index as the CID (`/CIDToGIDMap /Identity`, `/Encoding /Identity-H`).
//!
//! Cutting and compressing the font program is most of the cost of a render, and letters
//! repeat their character sets (the same sender, the same language), so finished subsets are
//! kept in a small process-wide cache keyed by face and character set. A miss costs one
//! subset; the cache is emptied when it is full, so memory stays bounded.

use std::collections::{BTreeSet, HashMap};
use std::fmt::Write as _;
use std::sync::{Arc, Mutex, OnceLock};

use allsorts::binary::read::ReadScope;
use allsorts::font_data::FontData;
use allsorts::subset::{subset, CmapTarget, SubsetProfile};
use allsorts::tag;

use super::fonts::{Face, DIRECT};
use super::RenderError;
use crate::deflate::{deflate, Wrapper};

/// How many subsets the cache keeps before it is emptied.
const CACHE_ENTRIES: usize = 64;
/// Deflate level of the font program and CMap: done once per cached subset.
const FONT_LEVEL: u8 = 6;
/// The tables of an embedded font program (`glyf` and `loca` are always written): what
/// ISO 32000-1 9.9 asks of a TrueType program in a PDF (with the hinting tables the glyphs'
/// instructions use), plus a `cmap` and a version 3 `post`. Not the `name` table: 15 KB of
/// names and licence text that no PDF reader uses (`/BaseFont` names the font).
const TABLES: [u32; 9] = [
    tag::CMAP,
    tag::HEAD,
    tag::HHEA,
    tag::HMTX,
    tag::MAXP,
    tag::POST,
    tag::CVT,
    tag::FPGM,
    tag::PREP,
];

/// A subset of one face, ready to embed.
pub(crate) struct Subset {
    /// `/BaseFont`: a six-letter tag derived from the glyph set, `+`, the face's name.
    pub base_font: String,
    /// The original glyph ids; the index of one is its CID in this subset.
    glyphs: Vec<u16>,
    /// The CID of each character below [`DIRECT`] in the subset's character set (0: none).
    direct_cids: Vec<u16>,
    /// Advance width per CID, in 1/1000 em, rounded to a thousandth.
    pub widths: Vec<f32>,
    /// The font program, zlib-compressed.
    pub program: Vec<u8>,
    /// The length of the font program before compression (`/Length1`).
    pub program_len: usize,
    /// The `/ToUnicode` CMap, zlib-compressed.
    pub to_unicode: Vec<u8>,
}

impl Subset {
    /// The CID of character `c` (drawn with glyph `gid` of the face), if the subset holds it.
    pub(crate) fn char_cid(&self, c: char, gid: u16) -> Option<u16> {
        match self.direct_cids.get(c as usize) {
            Some(0) => None,
            Some(cid) => Some(*cid),
            None => self.cid(gid),
        }
    }

    /// The CID of glyph `gid` of the face, if the subset holds it.
    pub(crate) fn cid(&self, gid: u16) -> Option<u16> {
        let index = self.glyphs.binary_search(&gid).ok()?;
        u16::try_from(index).ok()
    }
}

type Cache = Mutex<HashMap<(&'static str, Vec<char>), Arc<Subset>>>;

/// The subset of `face` for `chars` (characters the face has no glyph for are left out), from
/// the cache when it was made before.
///
/// # Errors
///
/// [`RenderError::Font`] when allsorts cannot read or cut the font.
pub(crate) fn subset_for(face: &Face, chars: &BTreeSet<char>) -> Result<Arc<Subset>, RenderError> {
    static CACHE: OnceLock<Cache> = OnceLock::new();
    let cache = CACHE.get_or_init(Cache::default);
    let key = (face.name, chars.iter().copied().collect::<Vec<_>>());
    if let Some(found) = cache.lock().ok().and_then(|c| c.get(&key).cloned()) {
        return Ok(found);
    }
    let made = Arc::new(make(face, chars)?);
    if let Ok(mut cache) = cache.lock() {
        if cache.len() >= CACHE_ENTRIES {
            cache.clear();
        }
        cache.insert(key, Arc::clone(&made));
    }
    Ok(made)
}

fn make(face: &Face, chars: &BTreeSet<char>) -> Result<Subset, RenderError> {
    let fail = |reason: String| RenderError::Font {
        font: face.name,
        reason,
    };
    // allsorts requires .notdef first and no duplicates; the rest ascending, so the subset
    // (and so the output) depends only on the character set.
    let used: BTreeSet<u16> = chars.iter().filter_map(|c| face.glyph(*c)).collect();
    let glyphs: Vec<u16> = std::iter::once(0)
        .chain(used.into_iter().filter(|g| *g != 0))
        .collect();

    let font_data = ReadScope::new(face.bytes)
        .read::<FontData<'_>>()
        .map_err(|e| fail(e.to_string()))?;
    let provider = font_data
        .table_provider(0)
        .map_err(|e| fail(e.to_string()))?;
    let profile = SubsetProfile::Custom(TABLES.to_vec());
    let program = subset(&provider, &glyphs, &profile, CmapTarget::Unicode)
        .map_err(|e| fail(e.to_string()))?;

    let widths = glyphs
        .iter()
        .map(|g| (face.glyph_advance(*g) * 1000.0).round() / 1000.0)
        .collect();
    let mut unicode: Vec<(u16, char)> = Vec::with_capacity(chars.len());
    for c in chars {
        if let Some(cid) = face
            .glyph(*c)
            .and_then(|g| glyphs.binary_search(&g).ok())
            .and_then(|i| u16::try_from(i).ok())
        {
            // Two characters drawn with one glyph: the first (lowest) one names it.
            if !unicode.iter().any(|(seen, _)| *seen == cid) {
                unicode.push((cid, *c));
            }
        }
    }
    let mut direct_cids = vec![0; DIRECT];
    for c in chars.iter().filter(|c| (**c as usize) < DIRECT) {
        if let Some(cid) = face
            .glyph(*c)
            .and_then(|g| glyphs.binary_search(&g).ok())
            .and_then(|i| u16::try_from(i).ok())
        {
            if let Some(slot) = direct_cids.get_mut(*c as usize) {
                *slot = cid;
            }
        }
    }
    unicode.sort_unstable();
    let cmap = to_unicode_cmap(&unicode);
    Ok(Subset {
        base_font: format!("{}+{}", subset_tag(&glyphs), face.name),
        glyphs,
        direct_cids,
        widths,
        program_len: program.len(),
        program: deflate(&program, Wrapper::Zlib, FONT_LEVEL),
        to_unicode: deflate(cmap.as_bytes(), Wrapper::Zlib, FONT_LEVEL),
    })
}

/// A `/ToUnicode` CMap (Adobe technical note 5411) mapping each 2-byte CID to its character.
fn to_unicode_cmap(pairs: &[(u16, char)]) -> String {
    let mut out = String::with_capacity(400 + pairs.len() * 20);
    out.push_str(
        "/CIDInit /ProcSet findresource begin\n12 dict begin\nbegincmap\n\
         /CIDSystemInfo << /Registry (Adobe) /Ordering (UCS) /Supplement 0 >> def\n\
         /CMapName /Adobe-Identity-UCS def\n/CMapType 2 def\n\
         1 begincodespacerange\n<0000> <FFFF>\nendcodespacerange\n",
    );
    // At most 100 entries per block.
    for block in pairs.chunks(100) {
        let _ = writeln!(out, "{} beginbfchar", block.len());
        for (cid, c) in block {
            let _ = write!(out, "<{cid:04X}> <");
            let mut units = [0u16; 2];
            for unit in c.encode_utf16(&mut units) {
                let _ = write!(out, "{unit:04X}");
            }
            out.push_str(">\n");
        }
        out.push_str("endbfchar\n");
    }
    out.push_str("endcmap\nCMapName currentdict /CMap defineresource pop\nend\nend\n");
    out
}

/// Six upper-case letters derived from the glyph ids of a subset (ISO 32000-1 9.6.4).
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

#[cfg(test)]
mod tests {
    use super::*;
    use crate::pdf::fonts::FontSet;

    #[test]
    fn a_subset_holds_only_the_used_glyphs_and_maps_them_back_to_text() {
        let fonts = FontSet::get().unwrap();
        let face = fonts.face(false);
        let chars: BTreeSet<char> = "Zażółć Ω".chars().collect();
        let made = subset_for(face, &chars).unwrap();
        assert!(made.program_len < 20_000, "{}", made.program_len);
        assert_eq!(made.glyphs.len(), chars.len() + 1);
        assert_eq!(made.widths.len(), made.glyphs.len());
        for c in &chars {
            assert!(made.cid(face.glyph(*c).unwrap()).is_some(), "{c}");
        }
        assert!(made.base_font.ends_with("+DejaVuSans") && made.base_font.len() == 6 + 1 + 10);
        let again = subset_for(face, &chars).unwrap();
        assert!(
            Arc::ptr_eq(&made, &again),
            "the second request is served from the cache"
        );
    }

    #[test]
    fn the_cmap_maps_cids_to_utf16() {
        let cmap = to_unicode_cmap(&[(1, 'A'), (2, 'Ω'), (3, '😀')]);
        assert!(cmap.contains("3 beginbfchar\n<0001> <0041>\n<0002> <03A9>\n<0003> <D83DDE00>\n"));
    }
}
