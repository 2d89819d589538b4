//! The PDF renderer checked with the real poppler tools: `pdftotext` must recover every
//! character, `pdfinfo` must see the pages, and output must be byte-for-byte deterministic.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic, missing_docs)]

use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::atomic::{AtomicUsize, Ordering};

use ketenpost_adapters::pdf::render;
use ketenpost_domain::document::{Block, Column, Document, Field, Row, Table};

/// Runs a poppler tool, failing loudly (not skipping) when it is not installed.
fn poppler(tool: &str, args: &[&str]) -> String {
    let output = Command::new(tool).args(args).output().unwrap_or_else(|e| {
        panic!(
            "cannot run `{tool}` ({e}): these tests need the poppler tools pdftotext and \
             pdfinfo; install them with `apt-get install -y poppler-utils`"
        )
    });
    assert!(
        output.status.success(),
        "`{tool} {}` failed: {}",
        args.join(" "),
        String::from_utf8_lossy(&output.stderr)
    );
    String::from_utf8(output.stdout).expect("poppler output is UTF-8")
}

/// Writes `bytes` to a fresh file under the target directory and returns its path.
fn write_pdf(name: &str, bytes: &[u8]) -> PathBuf {
    static COUNTER: AtomicUsize = AtomicUsize::new(0);
    let dir = Path::new(env!("CARGO_TARGET_TMPDIR")).join("pdf_render");
    std::fs::create_dir_all(&dir).unwrap();
    let n = COUNTER.fetch_add(1, Ordering::SeqCst);
    let path = dir.join(format!("{name}-{}-{n}.pdf", std::process::id()));
    std::fs::write(&path, bytes).unwrap();
    path
}

/// The text of the whole file (or of pages `first..=last`), as `pdftotext` extracts it.
fn pdftotext(path: &Path, pages: Option<(usize, usize)>) -> String {
    pdftotext_with(path, pages, &[])
}

/// `pdftotext -layout`: keeps text that sits on one line of the page on one line.
fn pdftotext_layout(path: &Path) -> String {
    pdftotext_with(path, None, &["-layout"])
}

fn pdftotext_with(path: &Path, pages: Option<(usize, usize)>, extra: &[&str]) -> String {
    let (first, last) = pages.map(|(f, l)| (f.to_string(), l.to_string())).unzip();
    let mut args = vec!["-enc", "UTF-8"];
    args.extend_from_slice(extra);
    if let (Some(first), Some(last)) = (&first, &last) {
        args.extend(["-f", first.as_str(), "-l", last.as_str()]);
    }
    args.extend([path.to_str().unwrap(), "-"]);
    poppler("pdftotext", &args)
}

fn page_count(path: &Path) -> usize {
    let info = poppler("pdfinfo", &[path.to_str().unwrap()]);
    let line = info
        .lines()
        .find(|l| l.starts_with("Pages:"))
        .expect("pdfinfo prints Pages:");
    line["Pages:".len()..].trim().parse().unwrap()
}

/// Collapses every run of whitespace to one space.
fn normalise(text: &str) -> String {
    text.split_whitespace().collect::<Vec<_>>().join(" ")
}

/// Asserts that the words of `needle` occur in `haystack` in order (line wrapping may put
/// any whitespace, or other text such as a footer, between them).
fn assert_words_in_order(haystack: &str, needle: &str) {
    let words: Vec<&str> = haystack.split_whitespace().collect();
    let mut at = 0;
    for word in needle.split_whitespace() {
        match words[at..].iter().position(|w| *w == word) {
            Some(offset) => at += offset + 1,
            None => panic!("word {word:?} of {needle:?} missing (or out of order) in:\n{haystack}"),
        }
    }
}

fn field(label: &str, value: &str) -> Field {
    Field {
        label: label.into(),
        value: value.into(),
    }
}

fn latin1_letter() -> Document {
    Document {
        title: "Brief".into(),
        header: vec![
            field("Afzender", "Dr. S. Bakker, Huisartsenpraktijk De Linde"),
            field("Datum", "12-02-2024 11:05"),
            field("Patiënt", "JH de Bruin - van 't Wolf"),
            field("Geboortedatum", "21-06-1988"),
            field("BSN", "999990019"),
        ],
        blocks: vec![
            Block::Heading {
                text: "Voorgeschiedenis".into(),
            },
            Block::Paragraph {
                lines: vec![
                    "Geachte collega,".into(),
                    String::new(),
                    "Hierbij verwijs ik mevrouw De Bruin, een 35-jarige vrouw met sinds drie \
                     maanden toenemende klachten van moeheid, gewichtsverlies (± 4 kg) en \
                     nachtzweten; zij gebruikt géén medicatie en heeft geen allergieën."
                        .into(),
                    "Kosten: € 12,50 — “akkoord” volgens de patiënte.".into(),
                    format!(
                        "Referentie: {}",
                        "ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789".repeat(4)
                    ),
                    String::new(),
                    "Met vriendelijke groet,".into(),
                    "S. Bakker".into(),
                ],
            },
        ],
        info: Default::default(),
    }
}

#[test]
fn a_latin1_letter_comes_out_of_pdftotext_complete() {
    let document = latin1_letter();
    let bytes = render(&document).unwrap();
    assert!(bytes.starts_with(b"%PDF-"));
    // PDF/A: the font is embedded, also for plain Latin-1 text; no built-in font is named.
    assert!(
        contains(&bytes, b"FontFile2"),
        "a Latin-1 letter must embed its font"
    );
    assert!(!contains(&bytes, b"/Helvetica"));

    let path = write_pdf("latin1", &bytes);
    assert_eq!(page_count(&path), 1);
    let text = pdftotext(&path, None);
    let flat = normalise(&text);
    assert!(flat.contains("Brief"), "{text}");
    for f in &document.header {
        assert!(
            flat.contains(&normalise(&f.value)),
            "header value {:?} missing:\n{text}",
            f.value
        );
        assert!(
            flat.contains(&format!("{}:", f.label)),
            "label {:?} missing:\n{text}",
            f.label
        );
    }
    for block in &document.blocks {
        match block {
            Block::Heading { text: heading } => assert!(flat.contains(heading.as_str())),
            Block::Paragraph { lines } => {
                // (The reference line is checked below: its long word is split.)
                let plain = lines
                    .iter()
                    .filter(|l| !l.is_empty() && !l.starts_with("Referentie"));
                for line in plain {
                    assert_words_in_order(&text, line);
                }
            }
            Block::Table(_) => unreachable!(),
        }
    }
    // The long reference (one 144-character "word") is broken by characters, not lost.
    let reference: String = text.split_whitespace().collect();
    assert!(reference.contains(&"ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789".repeat(4)));
    // Short lines stay whole lines.
    assert!(
        text.lines().any(|l| l.trim() == "Geachte collega,"),
        "{text}"
    );
    assert!(text.contains("pagina 1 van 1"), "{text}");
}

#[test]
fn greek_cyrillic_and_polish_come_out_intact_from_a_small_file() {
    let lines = [
        "Zażółć gęślą jaźń — Łódź, Kraków",
        "Ελληνικά: Καλημέρα κόσμε",
        "Привет, мир! Съешь же ещё этих мягких французских булок",
        "Gewoon Nederlands: één, twee, drie; € 10,00",
    ];
    let document = Document {
        title: "Brief — Ελληνικά".into(),
        header: vec![
            field("Patiënt", "Łukasz Wróblewski"),
            field("Arts", "Дмитрий Иванов"),
        ],
        blocks: vec![Block::Paragraph {
            lines: lines.iter().map(|l| (*l).to_owned()).collect(),
        }],
        info: Default::default(),
    };
    let bytes = render(&document).unwrap();
    assert!(bytes.len() < 60_000, "{} bytes", bytes.len());
    assert!(contains(&bytes, b"FontFile2"), "the font must be embedded");
    assert!(contains(&bytes, b"ToUnicode"));
    assert!(
        contains(&bytes, b"+DejaVuSans"),
        "the embedded font must be a tagged subset"
    );

    let path = write_pdf("unicode", &bytes);
    let text = pdftotext(&path, None);
    let flat = normalise(&text);
    for expected in lines
        .iter()
        .chain(&["Brief — Ελληνικά", "Łukasz Wróblewski", "Дмитрий Иванов"])
    {
        assert!(
            flat.contains(&normalise(expected)),
            "{expected:?} missing:\n{text}"
        );
    }
}

#[test]
fn a_two_page_letter_with_an_embedded_font_stays_small() {
    let mut document = long_letter(80);
    if let Some(Block::Paragraph { lines }) = document.blocks.first_mut() {
        for line in lines.iter_mut().step_by(5) {
            line.push_str(" Łódź Ελληνικά Привет");
        }
    }
    let bytes = render(&document).unwrap();
    let path = write_pdf("two-pages-embedded", &bytes);
    assert_eq!(page_count(&path), 2);
    assert!(bytes.len() <= 60_000, "{} bytes", bytes.len());
}

fn long_letter(lines: usize) -> Document {
    let line = |i: usize| {
        format!("{i:03} Regel tekst van ongeveer zeventig tekens om een lange brief te vullen.")
    };
    Document {
        title: "Lange brief".into(),
        header: vec![
            field("Afzender", "Ziekenhuis Noord"),
            field("Datum", "01-03-2024"),
        ],
        blocks: vec![Block::Paragraph {
            lines: (0..lines).map(line).collect(),
        }],
        info: Default::default(),
    }
}

#[test]
fn a_long_letter_has_several_pages_each_numbered() {
    let document = long_letter(150);
    let path = write_pdf("long", &render(&document).unwrap());
    let pages = page_count(&path);
    assert!(pages > 1, "150 lines must not fit on one page");
    let mut all = String::new();
    for n in 1..=pages {
        let text = pdftotext(&path, Some((n, n)));
        let footer = format!("pagina {n} van {pages}");
        assert!(text.contains(&footer), "page {n} lacks {footer:?}:\n{text}");
        for other in (1..=pages).filter(|m| *m != n) {
            assert!(
                !text.contains(&format!("pagina {other} van")),
                "page {n}:\n{text}"
            );
        }
        all.push_str(&text);
    }
    // Every line is somewhere, in order, and none is lost at a page break.
    let Block::Paragraph { lines } = &document.blocks[0] else {
        unreachable!()
    };
    let mut at = 0;
    for line in lines {
        let found = all[at..]
            .find(line.as_str())
            .unwrap_or_else(|| panic!("{line:?} missing"));
        at += found + line.len();
    }
}

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
    let layout = pdftotext_layout(&path);
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

#[test]
fn the_same_document_gives_the_same_bytes() {
    for document in [latin1_letter(), long_letter(150)] {
        let first = render(&document).unwrap();
        let second = render(&document).unwrap();
        assert!(first == second, "two renders of the same document differ");
    }
    let mut unicode = latin1_letter();
    unicode.title = "Brief — Привет".into();
    let first = render(&unicode).unwrap();
    // Something else in between must not change the next result (printpdf's id counter).
    render(&long_letter(10)).unwrap();
    assert!(
        first == render(&unicode).unwrap(),
        "two renders with an embedded font differ"
    );
    // No wall-clock date sneaks in.
    assert!(!contains(&first, b"CreationDate") && !contains(&first, b"ModDate"));
    // Different documents get different /IDs.
    assert!(render(&long_letter(10)).unwrap() != render(&long_letter(11)).unwrap());
}

fn contains(haystack: &[u8], needle: &[u8]) -> bool {
    haystack.windows(needle.len()).any(|w| w == needle)
}
