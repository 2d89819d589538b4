//! Render time of letters of 2 and 10 pages, every one PDF/A-2u with embedded subset fonts:
//! Latin-1 text (`latin1`), text with Polish and Greek added (`embedded_font`, the names the
//! embedded-font cases had before the built-in Helvetica path was removed, so criterion can
//! compare against a baseline saved on an older commit), and `2_pages_uncached`, where every
//! render has a character set of its own, so the subset cache never helps.
//! Run: `cargo bench -p ketenpost-adapters --bench render`.

#![allow(clippy::unwrap_used, clippy::expect_used, missing_docs)]

use criterion::{criterion_group, criterion_main, Criterion};
use ketenpost_domain::document::{Block, Document, Field};

/// A letter of `lines` lines of about 70 characters; `extra` adds characters outside Latin-1.
fn letter(lines: usize, extra: bool) -> Document {
    let words = [
        "patiënte",
        "is",
        "gezien",
        "op",
        "het",
        "spreekuur",
        "en",
        "het",
        "beleid",
        "werd",
        "besproken",
        "met",
        "de",
        "familie",
    ];
    let body = (0..lines)
        .map(|i| {
            let mut line = (0..11)
                .map(|k| words[(i + k) % words.len()])
                .collect::<Vec<_>>()
                .join(" ");
            if extra && i % 5 == 0 {
                line.push_str(" Łódź Ελληνικά");
            }
            line
        })
        .collect();
    let field = |label: &str, value: &str| Field {
        label: label.into(),
        value: value.into(),
    };
    Document {
        title: "Brief".into(),
        header: vec![
            field("Afzender", "Dr. S. Bakker, Huisartsenpraktijk De Linde"),
            field("Datum", "12-02-2024 11:05"),
            field("Patiënt", "JH de Bruin - van 't Wolf"),
            field("Geboortedatum", "21-06-1988"),
            field("BSN", "999990019"),
        ],
        blocks: vec![Block::Paragraph { lines: body }],
        info: Default::default(),
    }
}

/// Lines that fill 2 and 10 pages (checked with pdfinfo when the bench was written).
const TWO_PAGES: usize = 80;
const TEN_PAGES: usize = 500;

fn render(c: &mut Criterion) {
    let cases = [
        ("2_pages_latin1", letter(TWO_PAGES, false)),
        ("2_pages_embedded_font", letter(TWO_PAGES, true)),
        ("10_pages_latin1", letter(TEN_PAGES, false)),
        ("10_pages_embedded_font", letter(TEN_PAGES, true)),
    ];
    let mut group = c.benchmark_group("render_letter");
    group.sample_size(30);
    for (name, document) in &cases {
        let bytes = ketenpost_adapters::pdf::render(document).unwrap();
        if let Ok(dir) = std::env::var("KETENPOST_BENCH_PDF_DIR") {
            std::fs::write(format!("{dir}/{name}.pdf"), &bytes).unwrap();
        }
        eprintln!("{name}: {} bytes", bytes.len());
        group.bench_function(*name, |b| {
            b.iter(|| ketenpost_adapters::pdf::render(std::hint::black_box(document)).unwrap())
        });
    }
    // 200 letters, each with one character of Latin Extended-A/B in the title (bold) and the
    // body (regular) that no other has: more than the subset cache holds, so every render
    // cuts both subsets anew.
    let uncached: Vec<Document> = (0..200u32)
        .map(|i| {
            let mut document = letter(TWO_PAGES, true);
            let c = char::from_u32(0x100 + i).unwrap();
            document.title.push(c);
            if let Some(Block::Paragraph { lines }) = document.blocks.first_mut() {
                lines[0].push(c);
            }
            document
        })
        .collect();
    let mut next = 0;
    group.bench_function("2_pages_uncached", |b| {
        b.iter(|| {
            next = (next + 1) % uncached.len();
            ketenpost_adapters::pdf::render(std::hint::black_box(&uncached[next])).unwrap()
        })
    });
    group.finish();
}

criterion_group!(benches, render);
criterion_main!(benches);
