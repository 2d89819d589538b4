//! Tables in a rendered PDF, checked with the real poppler tools: titles, headings, cells and
//! notes come out of `pdftotext` in order, and a long table continues on new pages under its
//! column titles.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic, missing_docs)]

mod common;

use common::{
    assert_words_in_order, field, normalise, page_count, page_text, pdftotext, write_pdf,
};
use ketenpost_adapters::pdf::render;
use ketenpost_domain::document::{Block, Column, Document, Row, Table};

#[test]
fn a_table_renders_titles_headings_cells_and_notes() {
    let cells = |c: &[&str]| Row::Cells {
        cells: c.iter().map(|s| (*s).to_owned()).collect(),
    };
    let table = Table {
        columns: vec![
            Column {
                title: "Bepaling".into(),
                width: 4,
            },
            Column {
                title: "Uitslag".into(),
                width: 2,
            },
            Column {
                title: "Eenheid".into(),
                width: 2,
            },
            Column {
                title: "Referentiewaarde".into(),
                width: 3,
            },
        ],
        rows: vec![
            Row::Heading {
                text: "HEMATOLOGIE".into(),
            },
            cells(&["Hemoglobine", "8.6", "mmol/l", "7.5 - 10.0"]),
            cells(&["Leukocyten", "11.2", "10^9/l", "4.0 - 10.0"]),
            Row::Note {
                text: "Monster licht gehemolyseerd, uitslag onder voorbehoud.".into(),
            },
            Row::Heading {
                text: "KLINISCHE CHEMIE".into(),
            },
            cells(&[
                "Natrium in serum, gemeten met ionselectieve elektrode volgens protocol",
                "139",
                "mmol/l",
                "135 - 145",
            ]),
            Row::Note {
                text: "Een opmerking die zo lang is dat zij over de volle breedte van de tabel \
                       moet doorlopen en daarna nog op een tweede regel verder moet gaan."
                    .into(),
            },
        ],
    };
    let document = Document {
        title: "Laboratoriumuitslag".into(),
        header: vec![field("Laboratorium", "Lab Noord")],
        blocks: vec![Block::Table(table.clone())],
        info: Default::default(),
    };
    let path = write_pdf("table", &render(&document).unwrap());
    let text = pdftotext(&path, None);
    let layout = page_text(&path);
    let flat = normalise(&text);
    for column in &table.columns {
        assert!(
            flat.contains(&column.title),
            "column {:?} missing:\n{text}",
            column.title
        );
    }
    for row in &table.rows {
        match row {
            Row::Heading { text: t } => assert!(flat.contains(t.as_str()), "{t:?}:\n{text}"),
            Row::Note { text: t } => assert_words_in_order(&text, t),
            Row::Cells { cells } => {
                for cell in cells {
                    assert_words_in_order(&text, cell);
                }
            }
        }
    }
    // The layout: a row's cells side by side on one line, in column order; a note indented.
    assert!(
        layout.lines().any(|l| l.starts_with("  Monster licht")),
        "{layout}"
    );
    assert!(
        layout
            .lines()
            .any(|l| normalise(l) == "Hemoglobine 8.6 mmol/l 7.5 - 10.0"),
        "cells of a row must share a line:\n{layout}"
    );
}

#[test]
fn a_long_table_continues_on_new_pages_with_its_column_titles() {
    let mut rows: Vec<Row> = (0..120)
        .map(|i| Row::Cells {
            cells: vec![format!("Bepaling{i:03}"), format!("{i}.5")],
        })
        .collect();
    // A cell taller than a page is split over pages, not lost or looped on.
    let huge = (0..400)
        .map(|i| format!("w{i}"))
        .collect::<Vec<_>>()
        .join(" ");
    rows.push(Row::Cells {
        cells: vec![huge.clone(), "x".into()],
    });
    let document = Document {
        title: "Lab".into(),
        header: vec![],
        blocks: vec![Block::Table(Table {
            columns: vec![
                Column {
                    title: "Bepaling".into(),
                    width: 1,
                },
                Column {
                    title: "Uitslag".into(),
                    width: 0,
                },
            ],
            rows,
        })],
        info: Default::default(),
    };
    let path = write_pdf("long-table", &render(&document).unwrap());
    let pages = page_count(&path);
    assert!(pages >= 3, "{pages} pages");
    let mut all = String::new();
    for n in 1..pages {
        let text = pdftotext(&path, Some((n, n)));
        // Pages that start with table rows repeat the column titles.
        if text.contains("Bepaling0") {
            assert!(
                text.contains("Uitslag"),
                "page {n} lacks the column titles:\n{text}"
            );
        }
        all.push_str(&text);
    }
    all.push_str(&pdftotext(&path, Some((pages, pages))));
    for i in 0..120 {
        assert!(all.contains(&format!("Bepaling{i:03}")), "row {i} missing");
    }
    assert_words_in_order(&all, &huge);
}
