//! Every field as the letter meant it: the names, addresses and identifications of every
//! fixture and sample reach the page as readable text, never with EDIFACT separators or
//! qualifier codes (`Kopie aan: J+Verpleeghuis De Es`). Checked on the page text `pdftotext`
//! extracts from the rendered PDF.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic, missing_docs)]

mod common;

use ketenpost_adapters::pdf::render;
use ketenpost_domain::labels::document as label;

/// Header labels whose values are names, addresses or identifications.
const NAME_AND_ADDRESS_LABELS: [&str; 12] = [
    label::SENDER,
    label::SENDER_ADDRESS,
    label::PATIENT,
    label::PATIENT_ADDRESS,
    label::RECIPIENT,
    label::RECIPIENT_ADDRESS,
    label::LAB,
    label::REQUESTER,
    label::DEPARTMENT,
    label::DEPARTMENT_DOCTOR,
    label::COPY,
    label::ATTACHMENT,
];

/// What in `value` is raw EDIFACT: a separator (`+`, `:`, a release `?`), or a one-letter
/// qualifier code standing alone (`J Verpleeghuis`, `(S)`).
fn raw_edifact(value: &str) -> Option<String> {
    if let Some(c) = value.chars().find(|c| matches!(c, '+' | ':' | '?')) {
        return Some(format!("separator {c:?}"));
    }
    let words: Vec<&str> = value.split_whitespace().collect();
    if let Some(first) = words.first() {
        if first.len() == 1 && first.chars().all(|c| c.is_ascii_uppercase()) && words.len() > 1 {
            return Some(format!("leading qualifier {first:?}"));
        }
    }
    words
        .iter()
        .find(|w| {
            w.len() == 3
                && w.starts_with('(')
                && w.ends_with(')')
                && w.chars().nth(1).is_some_and(|c| c.is_ascii_uppercase())
        })
        .map(|w| format!("qualifier code {w}"))
}

#[test]
fn raw_edifact_is_recognised() {
    assert!(raw_edifact("J+Verpleeghuis De Es").is_some());
    assert!(raw_edifact("J Verpleeghuis De Es").is_some());
    assert!(raw_edifact("Huisartsenpraktijk De Linde, 01012345 (S)").is_some());
    assert!(raw_edifact("Kerkstraat:14").is_some());
    assert!(raw_edifact("JH de Bruin - van 't Wolf").is_none());
    assert!(raw_edifact("Verpleeghuis De Es").is_none());
    assert!(raw_edifact("Karin de Groot (KM)").is_none());
}

#[test]
fn no_fixture_or_sample_shows_raw_edifact_where_names_and_addresses_are() {
    let dir = common::fresh_dir("pdf_fields");
    let mut checked = 0;
    let mut problems = Vec::new();
    for (name, document) in common::corpus() {
        let path = dir.join(format!("{name}.pdf"));
        std::fs::write(&path, render(&document).unwrap()).unwrap();
        let text = common::page_text(&path);
        for line in text.lines() {
            let line = line.trim();
            // The specimen headings of a lab report carry no qualifier codes either.
            if let Some(rest) = line.strip_prefix(label::SPECIMEN) {
                checked += 1;
                if let Some(what) = raw_edifact(rest.replace(':', "").as_str()) {
                    problems.push(format!("{name}: {line:?}: {what}"));
                }
                continue;
            }
            for label in NAME_AND_ADDRESS_LABELS {
                let Some(value) = line.strip_prefix(&format!("{label}:")) else {
                    continue;
                };
                checked += 1;
                if let Some(what) = raw_edifact(value) {
                    problems.push(format!("{name}: {line:?}: {what}"));
                }
            }
        }
    }
    assert!(checked > 100, "only {checked} fields found on the pages");
    assert!(problems.is_empty(), "{}", problems.join("\n"));
}
