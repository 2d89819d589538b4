//! Layout: places a document's text on A4 pages (wrapping, tables, pagination, footers).
//!
//! Coordinates are in points, measured from the top-left corner of the page; the writer
//! flips them into PDF space. Text is measured with [`FontSet::text_width`], which is
//! additive (no kerning), so wrapping is a single pass over each string.

use ketenpost_domain::document::{Block, Document, Field};

use super::fonts::FontSet;
use super::wrap::{baseline_offset, text_width, wrap, Style};

/// A4 width in points.
pub(crate) const PAGE_WIDTH: f32 = 595.276;
/// A4 height in points.
pub(crate) const PAGE_HEIGHT: f32 = 841.89;
/// 20 mm, on every side.
const MARGIN: f32 = 56.693;
pub(super) const LEFT: f32 = MARGIN;
pub(super) const RIGHT: f32 = PAGE_WIDTH - MARGIN;
pub(super) const TOP: f32 = MARGIN;
pub(super) const BOTTOM: f32 = PAGE_HEIGHT - MARGIN;
pub(super) const TEXT_WIDTH: f32 = RIGHT - LEFT;

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
pub(super) const BODY: Style = Style {
    size: 10.0,
    leading: 13.0,
    bold: false,
};
pub(super) const BODY_BOLD: Style = Style {
    size: 10.0,
    leading: 13.0,
    bold: true,
};
pub(super) const NOTE: Style = Style {
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
pub(super) const CELL_PAD: f32 = 3.0;
/// Extra indent of a table note.
pub(super) const NOTE_INDENT: f32 = 12.0;
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
        // With the block gap, a blank line sets the letter apart from its header.
        l.gap(BODY.leading - BLOCK_GAP);
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

pub(super) struct Layouter<'a> {
    pub(super) fonts: &'a FontSet,
    pages: Vec<Page>,
    pub(super) page: Page,
    /// Top of the next line, from the top of the page.
    pub(super) y: f32,
}

impl Layouter<'_> {
    fn finish(mut self) -> Vec<Page> {
        self.pages.push(self.page);
        self.pages
    }

    pub(super) fn new_page(&mut self) {
        self.pages.push(std::mem::take(&mut self.page));
        self.y = TOP;
    }

    /// Starts a new page unless `height` still fits on this one (or this one is empty).
    pub(super) fn ensure(&mut self, height: f32) {
        if self.y + height > BOTTOM + 0.01 && self.y > TOP {
            self.new_page();
        }
    }

    /// Vertical space; none at the top of a page.
    pub(super) fn gap(&mut self, height: f32) {
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
    pub(super) fn row(&mut self, columns: Vec<(f32, Vec<String>, Style)>, leading: f32) {
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
}

#[cfg(test)]
mod tests {
    use super::*;

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
