//! The `ketenpost render` command as a person runs it: the real binary, real files, and the
//! PDFs checked with poppler's `pdftotext` and `pdfinfo`.

#![allow(clippy::panic, clippy::unwrap_used, clippy::expect_used)]

mod binary;

use std::path::{Path, PathBuf};
use std::process::Command;

use binary::{fixture, ketenpost, parse_json};

/// Runs a poppler tool; fails with a clear message when poppler-utils is not installed.
fn poppler(tool: &str, args: &[&str]) -> String {
    let output = Command::new(tool).args(args).output().unwrap_or_else(|e| {
        panic!("{tool} is needed for the PDF tests (Debian: apt-get install poppler-utils): {e}")
    });
    assert!(
        output.status.success(),
        "{tool} {args:?}: {}",
        String::from_utf8_lossy(&output.stderr)
    );
    String::from_utf8(output.stdout).unwrap()
}

fn pdf_text(pdf: &Path) -> String {
    poppler(
        "pdftotext",
        &["-layout", "-enc", "UTF-8", pdf.to_str().unwrap(), "-"],
    )
}

fn pdf_pages(pdf: &Path) -> usize {
    let info = poppler("pdfinfo", &[pdf.to_str().unwrap()]);
    let line = info
        .lines()
        .find(|l| l.starts_with("Pages:"))
        .expect("a Pages line");
    line["Pages:".len()..].trim().parse().unwrap()
}

/// Collapses all whitespace, so wrapped lines compare with the text they came from.
fn squash(text: &str) -> String {
    text.split_whitespace().collect::<Vec<_>>().join(" ")
}

/// Checks that every piece of the plain text (each header label and value, each body line,
/// each table cell) is in the PDF's text, whatever the layout put next to it.
fn assert_pdf_holds(pdf: &Path, plain_text: &str) {
    let text = squash(&pdf_text(pdf));
    for line in plain_text.lines().filter(|l| !l.trim().is_empty()) {
        let pieces: Vec<&str> = match line.split_once(": ") {
            Some((label, value)) if !line.contains(" | ") && label.len() < 30 => vec![label, value],
            _ => line.split(" | ").collect(),
        };
        for piece in pieces.into_iter().filter(|p| !p.trim().is_empty()) {
            assert!(
                text.contains(&squash(piece)),
                "{piece:?} of {line:?} missing from {}:\n{text}",
                pdf.display()
            );
        }
    }
}

/// Renders a fixture into a fresh folder named after `name`, asserting success; returns the
/// folder and the paths `render` printed.
fn render_fixture_printing(fixture_name: &str, name: &str) -> (PathBuf, Vec<String>) {
    let out = temp_dir(name);
    let output = ketenpost(&[
        "render",
        fixture(fixture_name).to_str().unwrap(),
        "--out",
        out.to_str().unwrap(),
    ]);
    assert!(
        output.status.success(),
        "{}",
        String::from_utf8_lossy(&output.stderr)
    );
    let printed = String::from_utf8(output.stdout)
        .unwrap()
        .lines()
        .map(str::to_owned)
        .collect();
    (out, printed)
}

/// Renders a fixture into a fresh folder named after `name`, asserting success; returns the folder.
fn render_fixture(fixture_name: &str, name: &str) -> PathBuf {
    render_fixture_printing(fixture_name, name).0
}

fn temp_dir(name: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("ketenpost-cli-{name}-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    dir
}

#[test]
fn render_writes_one_pdf_per_message_whose_text_is_the_letter() {
    let (out, printed) = render_fixture_printing("medvri_two_messages.edi", "two");
    let expected = [out.join("IC2000-2001.pdf"), out.join("IC2000-2002.pdf")];
    assert_eq!(
        printed,
        expected
            .iter()
            .map(|p| p.display().to_string())
            .collect::<Vec<_>>()
    );
    let json = parse_json(&fixture("medvri_two_messages.edi"));
    for (pdf, message) in expected.iter().zip(json["messages"].as_array().unwrap()) {
        assert_eq!(pdf_pages(pdf), 1);
        assert_pdf_holds(pdf, message["text"].as_str().unwrap());
        assert!(pdf_text(pdf).contains("pagina 1 van 1"));
    }
}

#[test]
fn render_keeps_characters_outside_latin1_in_the_text_layer() {
    let out = render_fixture("medvri_unoy_utf8.edi", "utf8");
    let pdf = out.join("IC1012-1012.pdf");
    let text = pdf_text(&pdf);
    for needle in [
        "Zażółć gęślą jaźń uit Łódź",
        "Ελληνικά",
        "Привет",
        "12 € per consult, 3 µg, ≥ 5 mmol/l",
        "Patiënt",
    ] {
        assert!(text.contains(needle), "{needle:?} missing from:\n{text}");
    }
    let size = std::fs::metadata(&pdf).unwrap().len();
    assert!(
        size <= 60_000,
        "a letter with an embedded font is {size} bytes"
    );
}

#[test]
fn characters_the_font_lacks_stay_in_the_text_layer() {
    let out = render_fixture("medvri_unoy_cjk.edi", "cjk");
    let text = pdf_text(&out.join("ICJK-1.pdf"));
    assert!(
        text.contains("Patiënt 王丽 (Wang Li), 中文 toelichting."),
        "{text}"
    );
    assert!(!text.contains('\u{FFFD}'), "{text}");
}

#[test]
fn a_long_letter_is_paginated_with_page_n_of_m() {
    let out = render_fixture("medvri_long_letter.edi", "long");
    let pdf = out.join("IC6001-6001.pdf");
    let pages = pdf_pages(&pdf);
    assert!(pages >= 3, "150 lines fit on {pages} pages");
    for page in 1..=pages {
        let n = page.to_string();
        let text = poppler(
            "pdftotext",
            &["-f", &n, "-l", &n, pdf.to_str().unwrap(), "-"],
        );
        assert!(
            text.contains(&format!("pagina {page} van {pages}")),
            "page {page}:\n{text}"
        );
    }
    let json = parse_json(&fixture("medvri_long_letter.edi"));
    let all = squash(&pdf_text(&pdf));
    for line in json["messages"][0]["content"]["medvri"]["lines"]
        .as_array()
        .unwrap()
    {
        assert!(
            all.contains(&squash(line.as_str().unwrap())),
            "{line} missing"
        );
    }
}

#[test]
fn a_lab_report_renders_its_table() {
    let out = render_fixture("medlab_full.edi", "lab");
    let text = squash(&pdf_text(&out.join("IC7001-7001.pdf")));
    for needle in [
        "Laboratoriumuitslag",
        "Streeklab Noordwest",
        "HEMATOLOGIE",
        "Hemoglobine (HB)",
        "8.6",
        "mmol/l",
        "8.5 - 11.0",
        "12.4",
        "4.0 - 10.0",
        "Controle over 2 weken geadviseerd",
        "MEDICIJNEN",
        "Vitamine D",
        "Uitslag volgt binnen 5 werkdagen",
        "Monster ontvangen om 10:15",
        "urine",
    ] {
        assert!(text.contains(needle), "{needle:?} missing from:\n{text}");
    }
}

#[test]
fn rendering_twice_gives_the_same_bytes() {
    let (a, b) = (temp_dir("same-a"), temp_dir("same-b"));
    for out in [&a, &b] {
        let output = ketenpost(&[
            "render",
            fixture("medlab_full.edi").to_str().unwrap(),
            "--out",
            out.to_str().unwrap(),
        ]);
        assert!(output.status.success());
    }
    assert_eq!(
        std::fs::read(a.join("IC7001-7001.pdf")).unwrap(),
        std::fs::read(b.join("IC7001-7001.pdf")).unwrap()
    );
}

#[test]
fn unsupported_messages_are_skipped_with_a_note_and_malformed_files_exit_2() {
    let out = temp_dir("skip");
    let output = ketenpost(&[
        "render",
        fixture("interchange_medvri_and_medrpt.edi")
            .to_str()
            .unwrap(),
        "--out",
        out.to_str().unwrap(),
    ]);
    assert!(output.status.success());
    assert_eq!(String::from_utf8(output.stdout).unwrap().lines().count(), 1);
    assert!(String::from_utf8(output.stderr)
        .unwrap()
        .contains("MEDRPT:D:93A:UN:MRPN32"));
    let output = ketenpost(&[
        "render",
        fixture("malformed_truncated.edi").to_str().unwrap(),
        "--out",
        out.to_str().unwrap(),
    ]);
    assert_eq!(output.status.code(), Some(2));
}

#[test]
fn every_shared_sample_renders_with_its_text() {
    let dir = std::env::var_os("KETENPOST_SAMPLES").map_or_else(
        || Path::new(env!("CARGO_MANIFEST_DIR")).join("../../shared/samples"),
        PathBuf::from,
    );
    if !dir.is_dir() {
        assert!(
            std::env::var("CI").as_deref() != Ok("true"),
            "the conformance corpus {} is absent",
            dir.display()
        );
        eprintln!(
            "skipping: the conformance corpus {} is absent",
            dir.display()
        );
        return;
    }
    let out = temp_dir("samples");
    for entry in std::fs::read_dir(&dir).unwrap() {
        let path = entry.unwrap().path();
        if path.extension().and_then(|e| e.to_str()) != Some("edi") {
            continue;
        }
        let output = ketenpost(&[
            "render",
            path.to_str().unwrap(),
            "--out",
            out.to_str().unwrap(),
        ]);
        assert!(
            output.status.success(),
            "{}: {}",
            path.display(),
            String::from_utf8_lossy(&output.stderr)
        );
        let pdf = PathBuf::from(String::from_utf8(output.stdout).unwrap().trim());
        let json = parse_json(&path);
        assert_pdf_holds(&pdf, json["messages"][0]["text"].as_str().unwrap());
    }
}
