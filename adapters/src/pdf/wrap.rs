//! Measuring and wrapping text: widths from the font (no kerning, so additive), and lines
//! broken at spaces or, for a word longer than a line, between characters.

use std::ops::Range;

use super::fonts::FontSet;

/// Font size and line height of one kind of text.
#[derive(Clone, Copy)]
pub(crate) struct Style {
    /// Font size in points.
    pub size: f32,
    /// Line height in points.
    pub leading: f32,
    /// Bold face or regular.
    pub bold: bool,
}

/// Distance from the top of a line box to its baseline.
pub(crate) fn baseline_offset(style: Style) -> f32 {
    (style.leading - style.size) / 2.0 + style.size * 0.8
}

/// Width of `c` in points.
pub(crate) fn char_width(fonts: &FontSet, c: char, style: Style) -> f32 {
    fonts.char_width(c, style.bold) * style.size / 1000.0
}

/// Width of `text` in points.
pub(crate) fn text_width(fonts: &FontSet, text: &str, style: Style) -> f32 {
    fonts.text_width(text, style.bold) * style.size / 1000.0
}

/// Wraps `text` to lines no wider than `width`: at spaces where possible, inside a word
/// only when the word alone is wider than a line. Runs of spaces inside a line are kept
/// (they may align something); the spaces at a break are dropped. Always at least one line.
///
/// Every line is a contiguous part of `text`, so the current line is kept as a byte range
/// and copied out once, when it is complete.
pub(crate) fn wrap(fonts: &FontSet, text: &str, width: f32, style: Style) -> Vec<String> {
    let width = width.max(1.0);
    let space_width = char_width(fonts, ' ', style);
    let part = |range: &Range<usize>| text.get(range.clone()).unwrap_or_default().to_owned();
    let mut lines = Vec::new();
    let mut line = 0..0;
    let mut line_width = 0.0;
    let mut rest = text;
    while !rest.is_empty() {
        let at = text.len() - rest.len();
        let spaces_len = rest.bytes().position(|b| b != b' ').unwrap_or(rest.len());
        let (spaces, after) = rest.split_at(spaces_len);
        let word_len = after.find(' ').unwrap_or(after.len());
        let (word, after) = after.split_at(word_len);
        rest = after;
        let word_start = at + spaces.len();
        let word_end = word_start + word.len();

        let spaces_width = space_width * spaces.len() as f32;
        let word_width = text_width(fonts, word, style);
        if line_width + spaces_width + word_width <= width + 0.01 {
            if line.is_empty() {
                line.start = at;
            }
            line.end = word_end;
            line_width += spaces_width + word_width;
            continue;
        }
        // Does not fit: break before the word (dropping the spaces), unless the line is
        // still empty, in which case there is nothing to break before.
        let (piece, piece_width) = if line.is_empty() {
            let piece = at..word_end;
            let piece_width = if spaces.is_empty() {
                word_width
            } else {
                text_width(fonts, text.get(piece.clone()).unwrap_or_default(), style)
            };
            (piece, piece_width)
        } else {
            lines.push(part(&line));
            line_width = 0.0;
            (word_start..word_end, word_width)
        };
        if piece_width <= width + 0.01 {
            line = piece;
            line_width = piece_width;
            continue;
        }
        // A word longer than a line: break it between characters.
        line = piece.start..piece.start;
        for (offset, c) in word_chars(text, &piece) {
            let w = char_width(fonts, c, style);
            if line_width + w > width + 0.01 && !line.is_empty() {
                lines.push(part(&line));
                line = offset..offset;
                line_width = 0.0;
            }
            line.end = offset + c.len_utf8();
            line_width += w;
        }
    }
    if !line.is_empty() || lines.is_empty() {
        lines.push(part(&line));
    }
    lines
}

/// The characters of `text[range]` with their byte offsets in `text`.
fn word_chars<'a>(text: &'a str, range: &Range<usize>) -> impl Iterator<Item = (usize, char)> + 'a {
    let start = range.start;
    text.get(range.clone())
        .unwrap_or_default()
        .char_indices()
        .map(move |(i, c)| (start + i, c))
}

#[cfg(test)]
mod tests {
    use super::*;

    const BODY: Style = Style {
        size: 10.0,
        leading: 13.0,
        bold: false,
    };

    fn wrap10(text: &str, width: f32) -> Vec<String> {
        wrap(&FontSet::get().unwrap(), text, width, BODY)
    }

    #[test]
    fn short_lines_are_not_wrapped() {
        assert_eq!(wrap10("Beste collega,", 400.0), vec!["Beste collega,"]);
        assert_eq!(wrap10("", 400.0), vec![""]);
        assert_eq!(
            wrap10("  ingesprongen  tekst", 400.0),
            vec!["  ingesprongen  tekst"]
        );
    }

    #[test]
    fn long_lines_break_at_spaces_and_fit() {
        let text = "de patiënt werd gisteren gezien op het spreekuur en had geen klachten meer";
        let lines = wrap10(text, 120.0);
        assert!(lines.len() > 2, "{lines:?}");
        for line in &lines {
            assert!(
                text_width(&FontSet::get().unwrap(), line, BODY) <= 120.01,
                "{line}"
            );
            assert!(!line.starts_with(' ') && !line.ends_with(' '), "{line:?}");
        }
        assert_eq!(lines.join(" "), text);
    }

    #[test]
    fn a_word_longer_than_the_line_is_broken_by_characters() {
        let word = "x".repeat(100);
        let lines = wrap10(&format!("kort {word} eind"), 100.0);
        assert_eq!(lines.first().map(String::as_str), Some("kort"));
        assert!(lines.len() > 2, "{lines:?}");
        assert_eq!(lines.concat().replace(' ', ""), format!("kort{word}eind"));
        for line in &lines {
            assert!(text_width(&FontSet::get().unwrap(), line, BODY) <= 100.01);
        }
    }
}
