//! Every document ketenpost writes is PDF/A-2u, as an independent reader sees it: the rules
//! are checked by `scripts/pdfa_check.py` (pikepdf, `qpdf --check`, `pdffonts`), not by the
//! library that wrote the file. Over every fixture, every sample, and letters in Latin-1,
//! Central-European, Greek and CJK text.
//!
//! The checker needs Python with pikepdf: `scripts/test.sh` makes a venv at
//! `target/pdfa-venv`; `KETENPOST_PDFA_PYTHON` names another interpreter.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic, missing_docs)]

mod common;

use std::path::PathBuf;
use std::process::Command;

use ketenpost_adapters::pdf::render;
use ketenpost_domain::date::{read_time, CalendarDate};
use ketenpost_domain::document::{Block, Document, DocumentInfo, Field};

fn python() -> PathBuf {
    std::env::var_os("KETENPOST_PDFA_PYTHON").map_or_else(
        || common::repo_root().join("target/pdfa-venv/bin/python"),
        PathBuf::from,
    )
}

/// A letter with `lines` of text, from a sender named in the same script.
fn letter(title: &str, sender: &str, lines: &[&str]) -> Document {
    let field = |label: &str, value: &str| Field {
        label: label.into(),
        value: value.into(),
    };
    Document {
        title: title.into(),
        header: vec![
            field("Afzender", sender),
            field("Datum", "12-07-2024 11:05"),
            field("Patiënt", lines[0]),
        ],
        blocks: vec![Block::Paragraph {
            lines: lines.iter().map(|l| (*l).to_owned()).collect(),
        }],
        info: DocumentInfo {
            author: sender.into(),
            date: CalendarDate::new(2024, 7, 12),
            time: read_time("11", "05"),
        },
    }
}

fn generated_letters() -> Vec<(String, Document)> {
    vec![
        (
            "latin1".into(),
            letter(
                "Brief",
                "Dr. S. Bakker, Huisartsenpraktijk De Linde",
                &[
                    "Mevrouw J. de Bruin - van 't Wolf",
                    "Geachte collega, de patiënte heeft géén klachten meer; € 12,50 (± 4 kg).",
                    "Ærø, Øresund, Ångström, façade, naïve, Straße, ¿Qué?, «citaat», µg/l, ½",
                ],
            ),
        ),
        (
            "central_european".into(),
            letter(
                "Brief",
                "Łukasz Wróblewski, Szpital Łódź",
                &[
                    "Zażółć gęślą jaźń",
                    "Příliš žluťoučký kůň úpěl ďábelské ódy; Győr, Cluj-Napoca (Ș, ț)",
                ],
            ),
        ),
        (
            "greek".into(),
            letter(
                "Επιστολή",
                "Δρ. Ελένη Παπαδοπούλου",
                &[
                    "Γεώργιος Νικολάου",
                    "Καλημέρα κόσμε· η εξέταση ήταν φυσιολογική.",
                ],
            ),
        ),
        (
            "cjk".into(),
            letter(
                "Brief 信",
                "王医生, 北京协和医院",
                &[
                    "李小龍 (Li Xiaolong)",
                    "患者情况稳定。 日本語のテキスト、한국어 텍스트",
                ],
            ),
        ),
        (
            "no_date_no_author".into(),
            Document {
                title: "Brief".into(),
                header: vec![],
                blocks: vec![Block::Paragraph {
                    lines: vec!["Alleen tekst.".into()],
                }],
                info: DocumentInfo::default(),
            },
        ),
    ]
}

#[test]
fn every_document_passes_the_independent_pdfa_check() {
    let dir = common::fresh_dir("pdfa");
    let mut documents = common::corpus();
    documents.extend(generated_letters());
    let mut paths = Vec::new();
    for (name, document) in &documents {
        let path = dir.join(format!("{name}.pdf"));
        std::fs::write(&path, render(document).unwrap()).unwrap();
        paths.push(path);
    }
    let script = common::repo_root().join("scripts/pdfa_check.py");
    let python = python();
    let output = Command::new(&python)
        .arg(&script)
        .args(&paths)
        .output()
        .unwrap_or_else(|e| {
            panic!(
                "cannot run {} ({e}): the PDF/A check needs Python with pikepdf, qpdf and \
                 poppler-utils; scripts/test.sh installs them",
                python.display()
            )
        });
    let report = String::from_utf8_lossy(&output.stdout);
    assert!(
        output.status.success(),
        "the PDF/A check failed:\n{report}{}",
        String::from_utf8_lossy(&output.stderr)
    );
    assert!(
        report.contains(&format!("{} files checked, 0 problems", paths.len())),
        "{report}"
    );
}

#[test]
fn cjk_text_is_drawn_with_the_fallback_font_and_kept_in_the_text_layer() {
    let (_, document) = generated_letters().swap_remove(3);
    let path = common::fresh_dir("pdfa_cjk").join("cjk.pdf");
    std::fs::write(&path, render(&document).unwrap()).unwrap();
    let text = common::page_text(&path);
    assert!(text.contains("李小龍 (Li Xiaolong)"), "{text}");
    assert!(text.contains("王医生, 北京协和医院"), "{text}");
    // Hangul has no glyph in either font: drawn as U+FFFD, the text layer keeps it.
    assert!(text.contains("日本語のテキスト、한국어 텍스트"), "{text}");
    let fonts = common::run_tool("pdffonts", &[path.to_str().unwrap()]);
    assert!(fonts.contains("+DroidSansFallback"), "{fonts}");
}
