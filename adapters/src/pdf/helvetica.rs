//! Metrics of the built-in Helvetica fonts and the WinAnsi encoding they are written in.
//!
//! The standard 14 fonts are not embedded, so printpdf has no metrics for them (it only
//! ships look-alike TrueType files for SVG previews, whose advances need not match). The
//! widths below are the advance widths from Adobe's Helvetica and Helvetica-Bold AFM files
//! (1/1000 em), indexed by WinAnsi code minus 0x20. A fixed table is the fastest way to
//! measure text on the no-embedding fast path and is exactly what every PDF viewer uses.

/// The WinAnsi (`/WinAnsiEncoding`, PDF 32000-1 Annex D) byte for `c`, if it has one.
///
/// This is the same mapping printpdf uses to write text in a built-in font: characters
/// without a byte here cannot be shown in Helvetica and force the embedded font.
pub(crate) fn win_ansi_byte(c: char) -> Option<u8> {
    match u32::from(c) {
        cp @ 0x20..=0x7E | cp @ 0xA0..=0xFF => return u8::try_from(cp).ok(),
        _ => {}
    }
    Some(match c {
        '\u{20AC}' => 0x80,
        '\u{201A}' => 0x82,
        '\u{0192}' => 0x83,
        '\u{201E}' => 0x84,
        '\u{2026}' => 0x85,
        '\u{2020}' => 0x86,
        '\u{2021}' => 0x87,
        '\u{02C6}' => 0x88,
        '\u{2030}' => 0x89,
        '\u{0160}' => 0x8A,
        '\u{2039}' => 0x8B,
        '\u{0152}' => 0x8C,
        '\u{017D}' => 0x8E,
        '\u{2018}' => 0x91,
        '\u{2019}' => 0x92,
        '\u{201C}' => 0x93,
        '\u{201D}' => 0x94,
        '\u{2022}' => 0x95,
        '\u{2013}' => 0x96,
        '\u{2014}' => 0x97,
        '\u{02DC}' => 0x98,
        '\u{2122}' => 0x99,
        '\u{0161}' => 0x9A,
        '\u{203A}' => 0x9B,
        '\u{0153}' => 0x9C,
        '\u{017E}' => 0x9E,
        '\u{0178}' => 0x9F,
        _ => return None,
    })
}

/// Advance width of `c` in Helvetica (or Helvetica-Bold), in 1/1000 em.
///
/// A character without a WinAnsi byte is measured as `?`, which is what printpdf writes
/// for it; the renderer never sends such characters to a built-in font.
pub(crate) fn width(c: char, bold: bool) -> u16 {
    let table = if bold { &HELVETICA_BOLD } else { &HELVETICA };
    let byte = win_ansi_byte(c).unwrap_or(b'?');
    table
        .get(usize::from(byte.saturating_sub(0x20)))
        .copied()
        .unwrap_or(0)
}

/// Sum of the advance widths of the characters of `text`, in 1/1000 em, added up in order
/// as `f32` (so it equals summing [`width`] character by character). ASCII text, the
/// common case, is measured byte by byte without decoding.
pub(crate) fn text_width(text: &str, bold: bool) -> f32 {
    if !text.is_ascii() {
        return text.chars().map(|c| f32::from(width(c, bold))).sum();
    }
    let table = if bold { &HELVETICA_BOLD } else { &HELVETICA };
    text.bytes()
        .map(|b| {
            // Control characters have no WinAnsi byte and are measured as `?`, as in `width`.
            let byte = if (0x20..0x7F).contains(&b) { b } else { b'?' };
            f32::from(table.get(usize::from(byte - 0x20)).copied().unwrap_or(0))
        })
        .sum()
}

/// Helvetica advance widths for WinAnsi codes 0x20..=0xFF (0 where the code is unassigned).
const HELVETICA: [u16; 224] = [
    278, 278, 355, 556, 556, 889, 667, 191, 333, 333, 389, 584, 278, 333, 278, 278, 556, 556, 556,
    556, 556, 556, 556, 556, 556, 556, 278, 278, 584, 584, 584, 556, 1015, 667, 667, 722, 722, 667,
    611, 778, 722, 278, 500, 667, 556, 833, 722, 778, 667, 778, 722, 667, 611, 722, 667, 944, 667,
    667, 611, 278, 278, 278, 469, 556, 333, 556, 556, 500, 556, 556, 278, 556, 556, 222, 222, 500,
    222, 833, 556, 556, 556, 556, 333, 500, 278, 556, 500, 722, 500, 500, 500, 334, 260, 334, 584,
    0, 556, 0, 222, 556, 333, 1000, 556, 556, 333, 1000, 667, 333, 1000, 0, 611, 0, 0, 222, 222,
    333, 333, 350, 556, 1000, 333, 1000, 500, 333, 944, 0, 500, 667, 278, 333, 556, 556, 556, 556,
    260, 556, 333, 737, 370, 556, 584, 333, 737, 333, 400, 584, 333, 333, 333, 578, 537, 278, 333,
    333, 365, 556, 834, 834, 834, 611, 667, 667, 667, 667, 667, 667, 1000, 722, 667, 667, 667, 667,
    278, 278, 278, 278, 722, 722, 778, 778, 778, 778, 778, 584, 778, 722, 722, 722, 722, 667, 667,
    611, 556, 556, 556, 556, 556, 556, 889, 500, 556, 556, 556, 556, 278, 278, 278, 278, 556, 556,
    556, 556, 556, 556, 556, 584, 611, 556, 556, 556, 556, 500, 556, 500,
];

/// Helvetica-Bold advance widths for WinAnsi codes 0x20..=0xFF (0 where the code is unassigned).
const HELVETICA_BOLD: [u16; 224] = [
    278, 333, 474, 556, 556, 889, 722, 238, 333, 333, 389, 584, 278, 333, 278, 278, 556, 556, 556,
    556, 556, 556, 556, 556, 556, 556, 333, 333, 584, 584, 584, 611, 975, 722, 722, 722, 722, 667,
    611, 778, 722, 278, 556, 722, 611, 833, 722, 778, 667, 778, 722, 667, 611, 722, 667, 944, 667,
    667, 611, 333, 278, 333, 584, 556, 333, 556, 611, 556, 611, 556, 333, 611, 611, 278, 278, 556,
    278, 889, 611, 611, 611, 611, 389, 556, 333, 611, 556, 778, 556, 556, 500, 389, 280, 389, 584,
    0, 556, 0, 278, 556, 500, 1000, 556, 556, 333, 1000, 667, 333, 1000, 0, 611, 0, 0, 278, 278,
    500, 500, 350, 556, 1000, 333, 1000, 556, 333, 944, 0, 500, 667, 278, 333, 556, 556, 556, 556,
    280, 556, 333, 737, 370, 556, 584, 333, 737, 333, 400, 584, 333, 333, 333, 611, 556, 278, 333,
    333, 365, 556, 834, 834, 834, 611, 722, 722, 722, 722, 722, 722, 1000, 722, 667, 667, 667, 667,
    278, 278, 278, 278, 722, 722, 778, 778, 778, 778, 778, 584, 778, 722, 722, 722, 722, 667, 667,
    611, 556, 556, 556, 556, 556, 556, 889, 556, 556, 556, 556, 556, 278, 278, 278, 278, 611, 611,
    611, 611, 611, 611, 611, 584, 611, 611, 611, 611, 611, 556, 611, 556,
];

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn widths_match_the_adobe_afm() {
        assert_eq!(width(' ', false), 278);
        assert_eq!(width('A', false), 667);
        assert_eq!(width('W', false), 944);
        assert_eq!(width('i', false), 222);
        assert_eq!(width('i', true), 278);
        assert_eq!(width('€', false), 556);
        assert_eq!(width('é', true), 556);
        assert_eq!(width('²', false), 333);
    }

    #[test]
    fn text_width_is_the_sum_of_the_character_widths() {
        for text in ["", "Beste collega,", "a\tb\u{7F}", "patiënt € 12,50", "Łx"] {
            for bold in [false, true] {
                let sum: f32 = text.chars().map(|c| f32::from(width(c, bold))).sum();
                assert_eq!(text_width(text, bold), sum, "{text:?}");
            }
        }
    }

    #[test]
    fn win_ansi_covers_latin1_and_cp1252_extras_only() {
        assert_eq!(win_ansi_byte('ë'), Some(0xEB));
        assert_eq!(win_ansi_byte('€'), Some(0x80));
        assert_eq!(win_ansi_byte('ł'), None);
        assert_eq!(win_ansi_byte('Ω'), None);
        assert_eq!(win_ansi_byte('\t'), None);
    }
}
