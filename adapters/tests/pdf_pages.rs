//! How tables break over pages, as a reader sees the rendered file (`pdftotext` per page): a
//! determination's remarks are not cut off from it, and a heading is not left alone at the foot
//! of a page.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic, missing_docs)]

mod common;

use ketenpost_adapters::pdf::render;
use ketenpost_domain::document::{Block, Column, Document, Row, Table};

/// `filler` plain rows, then a determination with three remarks, a heading and one row under it.
fn report(filler: usize) -> Document {
    let cells = |name: &str, result: &str| Row::Cells {
        cells: vec![name.into(), result.into()],
    };
    let mut rows: Vec<Row> = (0..filler)
        .map(|i| cells(&format!("Bepaling{i:03}"), "1.0"))
        .collect();
    rows.push(cells("Kalium", "2.9"));
    for n in 1..=3 {
        rows.push(Row::Note {
            text: format!("Opmerking{n} bij kalium"),
        });
    }
    rows.push(Row::Heading {
        text: "MEDICIJNEN".into(),
    });
    rows.push(cells("Valproinezuur", "75"));
    let column = |title: &str, width| Column {
        title: title.into(),
        width,
    };
    Document {
        title: "Laboratoriumuitslag".into(),
        header: vec![],
        blocks: vec![Block::Table(Table {
            columns: vec![column("Bepaling", 3), column("Uitslag", 1)],
            rows,
        })],
        info: Default::default(),
    }
}

#[test]
fn remarks_stay_with_their_determination_and_headings_with_their_rows() {
    let dir = common::fresh_dir("pdf_pages");
    let mut broken_near_the_end = 0;
    // Enough fillers that the page break falls at every point of the last rows in turn.
    for filler in 40..56 {
        let path = dir.join(format!("report-{filler}.pdf"));
        std::fs::write(&path, render(&report(filler)).unwrap()).unwrap();
        let text = common::page_text(&path);
        let pages: Vec<&str> = text
            .split('\u{c}')
            .filter(|p| !p.trim().is_empty())
            .collect();
        if pages.len() > 1
            && pages
                .last()
                .unwrap()
                .lines()
                .filter(|l| !l.trim().is_empty())
                .count()
                < 10
        {
            broken_near_the_end += 1;
        }
        for (n, page) in pages.iter().enumerate() {
            if page.contains("Opmerking") {
                assert!(
                    page.contains("Kalium"),
                    "{filler} fillers: page {} starts with remarks cut off from their row:\n{page}",
                    n + 1
                );
            }
            if page.contains("MEDICIJNEN") {
                assert!(
                    page.contains("Valproinezuur"),
                    "{filler} fillers: heading alone at the foot of page {}:\n{page}",
                    n + 1
                );
            }
        }
    }
    assert!(
        broken_near_the_end > 3,
        "the break never fell near the last rows"
    );
}
