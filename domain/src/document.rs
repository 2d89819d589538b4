//! The printable form of a message: what goes into the client's record as a document.
//!
//! A [`Document`] is built from a typed message view in the domain and laid out on paper by a
//! renderer in the adapters. Its [`Document::plain_text`] is the same content as plain text,
//! so what a renderer must show can be checked against it.

use serde::Serialize;

use crate::date::{CalendarDate, TimeOfDay};

/// A document ready to be laid out: a title, a block of labelled header fields, then the body.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Document {
    /// Shown large at the top of the first page, e.g. "Brief" or "Laboratoriumuitslag".
    pub title: String,
    /// Label/value pairs shown as a header block (sender, date, patient, BSN...).
    pub header: Vec<Field>,
    /// The body, in reading order.
    pub blocks: Vec<Block>,
    /// What the file's metadata says about it (not shown on the pages).
    #[serde(skip)]
    pub info: DocumentInfo,
}

/// What a record system keeps about a document besides its pages: the PDF's author and
/// creation date.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct DocumentInfo {
    /// Who wrote it: the sender of a letter, the lab of a report; empty when unknown.
    pub author: String,
    /// The message's date: the letter's (DET), else when the interchange was prepared (UNB).
    pub date: Option<CalendarDate>,
    /// The time of day on that date, when known.
    pub time: Option<TimeOfDay>,
}

/// One labelled value of a document's header block.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Field {
    /// The label, in Dutch, e.g. "Afzender".
    pub label: String,
    /// The value as it should be shown.
    pub value: String,
}

/// A part of a document's body.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum Block {
    /// A section title.
    Heading {
        /// The title text.
        text: String,
    },
    /// Lines of running text; an empty string is an empty line. A renderer wraps long lines.
    Paragraph {
        /// The lines, in order.
        lines: Vec<String>,
    },
    /// A table, e.g. the determinations of a lab report.
    Table(Table),
}

/// A table with named columns.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Table {
    /// Column titles with their relative widths.
    pub columns: Vec<Column>,
    /// The rows, in order.
    pub rows: Vec<Row>,
}

/// A column of a [`Table`].
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Column {
    /// The title shown above the column.
    pub title: String,
    /// Relative width: a renderer gives each column `width / sum(widths)` of the text width.
    pub width: u16,
}

/// A row of a [`Table`].
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum Row {
    /// A heading spanning the whole table (e.g. `MEDICIJNEN`).
    Heading {
        /// The heading text.
        text: String,
    },
    /// One cell per column; a renderer wraps a cell that does not fit its column.
    Cells {
        /// The cell texts, one per column.
        cells: Vec<String>,
    },
    /// A remark spanning the whole table, under the row it belongs to.
    Note {
        /// The remark text.
        text: String,
    },
}

impl Document {
    /// The document's whole content as plain text, one header field or body line per line.
    ///
    /// Every character a renderer must show is in here, in reading order.
    pub fn plain_text(&self) -> String {
        let mut out = String::new();
        out.push_str(&self.title);
        out.push('\n');
        for field in &self.header {
            out.push_str(&field.label);
            out.push_str(": ");
            out.push_str(&field.value);
            out.push('\n');
        }
        for block in &self.blocks {
            out.push('\n');
            match block {
                Block::Heading { text } => {
                    out.push_str(text);
                    out.push('\n');
                }
                Block::Paragraph { lines } => {
                    for line in lines {
                        out.push_str(line);
                        out.push('\n');
                    }
                }
                Block::Table(table) => push_table(&mut out, table),
            }
        }
        out
    }
}

fn push_table(out: &mut String, table: &Table) {
    let titles: Vec<&str> = table.columns.iter().map(|c| c.title.as_str()).collect();
    out.push_str(&titles.join(" | "));
    out.push('\n');
    for row in &table.rows {
        match row {
            Row::Heading { text } | Row::Note { text } => out.push_str(text),
            Row::Cells { cells } => out.push_str(&cells.join(" | ")),
        }
        out.push('\n');
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn plain_text_holds_every_part_in_reading_order() {
        let doc = Document {
            title: "Brief".into(),
            header: vec![Field {
                label: "Afzender".into(),
                value: "Lab Noord".into(),
            }],
            blocks: vec![
                Block::Paragraph {
                    lines: vec!["Beste collega".into(), String::new(), "Groet".into()],
                },
                Block::Table(Table {
                    columns: vec![
                        Column {
                            title: "Bepaling".into(),
                            width: 3,
                        },
                        Column {
                            title: "Uitslag".into(),
                            width: 1,
                        },
                    ],
                    rows: vec![
                        Row::Heading {
                            text: "HEMATOLOGIE".into(),
                        },
                        Row::Cells {
                            cells: vec!["Hb".into(), "8.6".into()],
                        },
                        Row::Note {
                            text: "gehemolyseerd".into(),
                        },
                    ],
                }),
            ],
            info: DocumentInfo::default(),
        };
        assert_eq!(
            doc.plain_text(),
            "Brief\nAfzender: Lab Noord\n\nBeste collega\n\nGroet\n\nBepaling | Uitslag\nHEMATOLOGIE\nHb | 8.6\ngehemolyseerd\n"
        );
    }
}
