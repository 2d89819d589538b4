//! The PDF renderer checked with the real poppler tools: `pdftotext` must recover every
//! character of a letter, `pdfinfo` must see the pages, and output must be byte-for-byte
//! deterministic. Tables are checked in `pdf_tables.rs`.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic, missing_docs)]

mod common;

use common::{assert_words_in_order, field, normalise, page_count, pdftotext, write_pdf};
use ketenpost_adapters::pdf::render;
use ketenpost_domain::document::{Block, Document};

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
