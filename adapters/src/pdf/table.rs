//! Tables on the page: column titles repeated on every page a table continues on, wrapped
//! cells, heading and remark rows, and rows kept with what belongs to them.

use ketenpost_domain::document::{Row, Table};

use super::layout::{
    Item, Layouter, BODY, BODY_BOLD, BOTTOM, CELL_PAD, LEFT, NOTE, NOTE_INDENT, RIGHT, TEXT_WIDTH,
    TOP,
};
use super::wrap::{wrap, Style};

impl Layouter<'_> {
    /// Places `table` at the cursor.
    pub(super) fn table(&mut self, table: &Table) {
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
        for (index, row) in table.rows.iter().enumerate() {
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
            // A determination stays on one page with its remarks, a heading with the first
            // line of the row under it, when that fits on a page at all.
            let page_room = BOTTOM - TOP - (title_height + 1.0) * BODY.leading;
            let kept = height + self.kept_with(row, table.rows.get(index + 1..).unwrap_or(&[]));
            let height = if kept <= page_room { kept } else { height };
            if !fits(self, height) && height <= page_room {
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

    /// The height that must follow `row` on its page: the remarks under a determination, or
    /// one line under a heading.
    fn kept_with(&self, row: &Row, after: &[Row]) -> f32 {
        match row {
            Row::Heading { .. } => {
                if after.is_empty() {
                    0.0
                } else {
                    BODY.leading
                }
            }
            Row::Note { .. } => 0.0,
            Row::Cells { .. } => after
                .iter()
                .map_while(|next| match next {
                    Row::Note { text } => Some(
                        wrap(
                            self.fonts,
                            &self.fonts.normalize(text),
                            TEXT_WIDTH - 2.0 * CELL_PAD - NOTE_INDENT,
                            NOTE,
                        )
                        .len() as f32
                            * NOTE.leading,
                    ),
                    _ => None,
                })
                .sum(),
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

#[cfg(test)]
mod tests {
    use super::*;
    use ketenpost_domain::document::Column;

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
}
