//! Render time of letters: 2 and 10 pages, with the built-in font (Latin-1 text) and with an
//! embedded, subset font (text outside Latin-1). Run: `cargo bench -p ketenpost-adapters --bench render`.

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
        ("2_pages_builtin_font", letter(TWO_PAGES, false)),
        ("2_pages_embedded_font", letter(TWO_PAGES, true)),
        ("10_pages_builtin_font", letter(TEN_PAGES, false)),
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
    group.finish();
}

criterion_group!(benches, render);
criterion_main!(benches);
