//! Layout: places a document's text on A4 pages (wrapping, tables, pagination, footers).
//!
//! Coordinates are in points, measured from the top-left corner of the page; the writer
//! flips them into PDF space. Text is measured with [`FontSet::text_width`], which is
//! additive (no kerning), so wrapping is a single pass over each string.

use std::ops::Range;

use ketenpost_domain::document::{Block, Document, Field, Row, Table};

use super::fonts::FontSet;

/// A4 width in points.
pub(crate) const PAGE_WIDTH: f32 = 595.276;
/// A4 height in points.
pub(crate) const PAGE_HEIGHT: f32 = 841.89;
/// 20 mm, on every side.
const MARGIN: f32 = 56.693;
const LEFT: f32 = MARGIN;
const RIGHT: f32 = PAGE_WIDTH - MARGIN;
const TOP: f32 = MARGIN;
const BOTTOM: f32 = PAGE_HEIGHT - MARGIN;
const TEXT_WIDTH: f32 = RIGHT - LEFT;

/// Font size and line height of one kind of text.
#[derive(Clone, Copy)]
struct Style {
    size: f32,
    leading: f32,
    bold: bool,
}

const TITLE: Style = Style {
    size: 18.0,
    leading: 22.0,
    bold: true,
};
const HEADING: Style = Style {
    size: 12.0,
    leading: 15.0,
    bold: true,
};
const BODY: Style = Style {
    size: 10.0,
    leading: 13.0,
    bold: false,
};
const BODY_BOLD: Style = Style {
    size: 10.0,
    leading: 13.0,
    bold: true,
};
const NOTE: Style = Style {
    size: 9.0,
    leading: 12.0,
    bold: false,
};
const FOOTER: Style = Style {
    size: 8.0,
    leading: 10.0,
    bold: false,
};

/// Baseline of the footer, inside the bottom margin.
const FOOTER_BASELINE: f32 = PAGE_HEIGHT - 28.0;
/// Space between the label and value columns of the header block.
const LABEL_GAP: f32 = 8.0;
/// The label column takes at most this share of the text width.
const MAX_LABEL_SHARE: f32 = 0.4;
/// Horizontal padding inside a table cell.
const CELL_PAD: f32 = 3.0;
/// Extra indent of a table note.
const NOTE_INDENT: f32 = 12.0;
/// Space before a block.
const BLOCK_GAP: f32 = 7.0;

/// Something drawn on a page.
#[derive(Debug, Clone, PartialEq)]
pub(crate) enum Item {
    /// A line of text; `baseline` is measured from the top of the page.
    Text {
        /// Left edge.
        x: f32,
        /// Baseline, from the top of the page.
        baseline: f32,
        /// Font size in points.
        size: f32,
        /// Bold face or regular.
        bold: bool,
        /// The text, already normalized for the font.
        text: String,
    },
    /// A thin horizontal line, e.g. under a table's column titles.
    Rule {
        /// Left end.
        x1: f32,
        /// Right end.
        x2: f32,
        /// Height, from the top of the page.
        y: f32,
    },
}

/// One laid-out page.
pub(crate) type Page = Vec<Item>;

/// Lays `document` out on pages, each with a "pagina N van M" footer.
pub(crate) fn layout(document: &Document, fonts: &FontSet) -> Vec<Page> {
    let mut l = Layouter {
        fonts,
        pages: Vec::new(),
        page: Vec::new(),
        y: TOP,
    };
    l.paragraph_line(&document.title, LEFT, TEXT_WIDTH, TITLE);
    if !document.header.is_empty() {
        l.gap(BLOCK_GAP);
        l.header(&document.header);
    }
    for block in &document.blocks {
        l.gap(BLOCK_GAP);
        match block {
            Block::Heading { text } => {
                l.gap(3.0);
                l.paragraph_line(text, LEFT, TEXT_WIDTH, HEADING);
            }
            Block::Paragraph { lines } => {
                for line in lines {
                    l.paragraph_line(line, LEFT, TEXT_WIDTH, BODY);
                }
            }
            Block::Table(table) => l.table(table),
        }
    }
    let mut pages = l.finish();
    add_footers(&mut pages, fonts);
    pages
}

fn add_footers(pages: &mut [Page], fonts: &FontSet) {
    let total = pages.len();
    for (index, page) in pages.iter_mut().enumerate() {
        let text = format!("pagina {} van {}", index + 1, total);
        let width = text_width(fonts, &text, FOOTER);
        page.push(Item::Text {
            x: RIGHT - width,
            baseline: FOOTER_BASELINE,
            size: FOOTER.size,
            bold: FOOTER.bold,
            text,
        });
    }
}

struct Layouter<'a> {
    fonts: &'a FontSet,
    pages: Vec<Page>,
    page: Page,
    /// Top of the next line, from the top of the page.
    y: f32,
}

impl Layouter<'_> {
    fn finish(mut self) -> Vec<Page> {
        self.pages.push(self.page);
        self.pages
    }

    fn new_page(&mut self) {
        self.pages.push(std::mem::take(&mut self.page));
        self.y = TOP;
    }

    /// Starts a new page unless `height` still fits on this one (or this one is empty).
    fn ensure(&mut self, height: f32) {
        if self.y + height > BOTTOM + 0.01 && self.y > TOP {
            self.new_page();
        }
    }

    /// Vertical space; none at the top of a page.
    fn gap(&mut self, height: f32) {
        if self.y > TOP {
            self.y += height;
        }
    }

    /// Places one line of text with its top at the cursor, and moves the cursor down.
    fn line(&mut self, x: f32, text: String, style: Style) {
        self.ensure(style.leading);
        if !text.is_empty() {
            self.page.push(Item::Text {
                x,
                baseline: self.y + baseline_offset(style),
                size: style.size,
                bold: style.bold,
                text,
            });
        }
        self.y += style.leading;
    }

    /// One source line, wrapped to `width`; an empty line still takes its height.
    fn paragraph_line(&mut self, text: &str, x: f32, width: f32, style: Style) {
        let text = self.fonts.normalize(text);
        for line in wrap(self.fonts, &text, width, style) {
            self.line(x, line, style);
        }
    }

    /// The "label: value" block: labels bold in a column of their own.
    fn header(&mut self, fields: &[Field]) {
        let labels: Vec<String> = fields
            .iter()
            .map(|f| format!("{}:", self.fonts.normalize(&f.label)))
            .collect();
        let widest = labels
            .iter()
            .map(|l| text_width(self.fonts, l, BODY_BOLD))
            .fold(0.0, f32::max);
        let label_width = widest.min(TEXT_WIDTH * MAX_LABEL_SHARE);
        let value_x = LEFT + label_width + LABEL_GAP;
        let value_width = RIGHT - value_x;
        for (label, field) in labels.iter().zip(fields) {
            let value = self.fonts.normalize(&field.value);
            let columns = vec![
                (
                    LEFT,
                    wrap(self.fonts, label, label_width, BODY_BOLD),
                    BODY_BOLD,
                ),
                (value_x, wrap(self.fonts, &value, value_width, BODY), BODY),
            ];
            self.row(columns, BODY.leading);
        }
    }

    /// Places side-by-side wrapped columns line by line, keeping them on one page when they
    /// fit on one.
    fn row(&mut self, columns: Vec<(f32, Vec<String>, Style)>, leading: f32) {
        let height = columns
            .iter()
            .map(|(_, lines, _)| lines.len())
            .max()
            .unwrap_or(0);
        if height as f32 * leading <= BOTTOM - TOP {
            self.ensure(height as f32 * leading);
        }
        let mut columns: Vec<_> = columns
            .into_iter()
            .map(|(x, lines, style)| (x, lines.into_iter(), style))
            .collect();
        for _ in 0..height {
            self.ensure(leading);
            for (x, lines, style) in &mut columns {
                if let Some(text) = lines.next().filter(|t| !t.is_empty()) {
                    self.page.push(Item::Text {
                        x: *x,
                        baseline: self.y + baseline_offset(*style),
                        size: style.size,
                        bold: style.bold,
                        text,
                    });
                }
            }
            self.y += leading;
        }
    }

    fn table(&mut self, table: &Table) {
        let columns = column_bounds(table);
        let titles: Vec<String> = table
            .columns
            .iter()
            .map(|c| self.fonts.normalize(&c.title).into_owned())
            .collect();
        let title_row = |l: &Self| -> Vec<(f32, Vec<String>, Style)> {
            columns
                .iter()
                .zip(&titles)
                .map(|((x, w), t)| {
                    (
                        *x + CELL_PAD,
                        wrap(l.fonts, t, *w - 2.0 * CELL_PAD, BODY_BOLD),
                        BODY_BOLD,
                    )
                })
                .collect()
        };
        let title_height = title_row(self).iter().map(|c| c.1.len()).max().unwrap_or(0) as f32;
        let has_titles = titles.iter().any(|t| !t.is_empty());

        // Column titles, then a rule; repeated at the top of every page the table continues on.
        let place_titles = |l: &mut Self| {
            if has_titles {
                let row = title_row(l);
                l.row(row, BODY.leading);
                let y = l.y + 1.5;
                l.page.push(Item::Rule {
                    x1: LEFT,
                    x2: RIGHT,
                    y,
                });
                l.y += 4.0;
            }
        };
        // Rows that would start a page get the titles again.
        let fits = |l: &Self, height: f32| l.y + height <= BOTTOM + 0.01;
        self.ensure((title_height + 1.0) * BODY.leading + 4.0);
        place_titles(self);

        let span_x = LEFT + CELL_PAD;
        let span_width = TEXT_WIDTH - 2.0 * CELL_PAD;
        for row in &table.rows {
            let (cells, leading, gap_before) = match row {
                Row::Heading { text } => {
                    let text = self.fonts.normalize(text);
                    (
                        vec![(
                            span_x,
                            wrap(self.fonts, &text, span_width, BODY_BOLD),
                            BODY_BOLD,
                        )],
                        BODY.leading,
                        4.0,
                    )
                }
                Row::Note { text } => {
                    let text = self.fonts.normalize(text);
                    let x = span_x + NOTE_INDENT;
                    (
                        vec![(
                            x,
                            wrap(self.fonts, &text, span_width - NOTE_INDENT, NOTE),
                            NOTE,
                        )],
                        NOTE.leading,
                        0.0,
                    )
                }
                Row::Cells { cells } => (self.cells(&columns, cells), BODY.leading, 0.0),
            };
            let lines = cells.iter().map(|c| c.1.len()).max().unwrap_or(0).max(1);
            let height = gap_before + lines as f32 * leading;
            if !fits(self, height) && height <= BOTTOM - TOP - (title_height + 1.0) * BODY.leading {
                self.new_page();
                place_titles(self);
            }
            self.gap(gap_before);
            if cells.iter().all(|c| c.1.iter().all(String::is_empty)) {
                self.ensure(leading);
                self.y += leading;
            } else {
                self.row(cells, leading);
            }
        }
    }

    /// The wrapped cells of a row, one column each. Cells beyond the last column are
    /// joined into the last column so that no text is lost.
    fn cells(&self, columns: &[(f32, f32)], cells: &[String]) -> Vec<(f32, Vec<String>, Style)> {
        if columns.is_empty() {
            let text = self.fonts.normalize(&cells.join(" | ")).into_owned();
            let lines = wrap(self.fonts, &text, TEXT_WIDTH - 2.0 * CELL_PAD, BODY);
            return vec![(LEFT + CELL_PAD, lines, BODY)];
        }
        let last = columns.len() - 1;
        columns
            .iter()
            .enumerate()
            .map(|(i, (x, w))| {
                let text = if i == last && cells.len() > columns.len() {
                    cells
                        .get(last..)
                        .map(|rest| rest.join(" "))
                        .unwrap_or_default()
                } else {
                    cells.get(i).cloned().unwrap_or_default()
                };
                let text = self.fonts.normalize(&text);
                (
                    *x + CELL_PAD,
                    wrap(self.fonts, &text, *w - 2.0 * CELL_PAD, BODY),
                    BODY,
                )
            })
            .collect()
    }
}

/// Left edge and width of each column: `width / sum(widths)` of the text width. A column
/// of width 0 counts as width 1: a column too narrow for a single character would stack
/// its text one character per line.
fn column_bounds(table: &Table) -> Vec<(f32, f32)> {
    let weight = |width: u16| f32::from(width.max(1));
    let total: f32 = table.columns.iter().map(|c| weight(c.width)).sum();
    let mut x = LEFT;
    table
        .columns
        .iter()
        .map(|c| {
            let width = TEXT_WIDTH * weight(c.width) / total;
            let column = (x, width);
            x += width;
            column
        })
        .collect()
}

/// Distance from the top of a line box to its baseline.
fn baseline_offset(style: Style) -> f32 {
    (style.leading - style.size) / 2.0 + style.size * 0.8
}

fn char_width(fonts: &FontSet, c: char, style: Style) -> f32 {
    fonts.char_width(c, style.bold) * style.size / 1000.0
}

/// Width of `text` in points.
fn text_width(fonts: &FontSet, text: &str, style: Style) -> f32 {
    fonts.text_width(text, style.bold) * style.size / 1000.0
}

/// Wraps `text` to lines no wider than `width`: at spaces where possible, inside a word
/// only when the word alone is wider than a line. Runs of spaces inside a line are kept
/// (they may align something); the spaces at a break are dropped. Always at least one line.
///
/// Every line is a contiguous part of `text`, so the current line is kept as a byte range
/// and copied out once, when it is complete.
fn wrap(fonts: &FontSet, text: &str, width: f32, style: Style) -> Vec<String> {
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
    use ketenpost_domain::document::Column;

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

    #[test]
    fn columns_share_the_text_width_by_relative_width() {
        let table = Table {
            columns: vec![
                Column {
                    title: "a".into(),
                    width: 3,
                },
                Column {
                    title: "b".into(),
                    width: 1,
                },
            ],
            rows: vec![],
        };
        let bounds = column_bounds(&table);
        assert!((bounds[0].1 - TEXT_WIDTH * 0.75).abs() < 0.01);
        assert!((bounds[1].0 - (LEFT + TEXT_WIDTH * 0.75)).abs() < 0.01);
    }

    #[test]
    fn long_documents_get_pages_with_footers() {
        let document = Document {
            title: "Brief".into(),
            header: vec![],
            blocks: vec![Block::Paragraph {
                lines: vec!["regel".into(); 200],
            }],
            info: Default::default(),
        };
        let pages = layout(&document, &FontSet::get().unwrap());
        assert!(pages.len() >= 3);
        for (i, page) in pages.iter().enumerate() {
            let footer = format!("pagina {} van {}", i + 1, pages.len());
            assert!(page
                .iter()
                .any(|item| matches!(item, Item::Text { text, .. } if *text == footer)));
            for item in page {
                if let Item::Text { baseline, .. } = item {
                    assert!(*baseline > TOP && *baseline <= PAGE_HEIGHT - 20.0);
                }
            }
        }
    }
}
