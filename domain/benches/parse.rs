//! Read speed of one interchange of 10,000 MEDVRI:1 letters, ketenpost against the bare
//! tokenizer of the `edifact-parser` crate (0.38.0).
//!
//! Run: `cargo bench -p ketenpost-domain --bench parse`.
//!
//! The interchange is built in code, deterministically. It comes in two variants of the same
//! length: `latin1` (UNOC with é, ë, ï, ö and µ as ISO-8859-1 bytes) and `ascii` (the same bytes
//! with those letters replaced by plain ASCII ones). The headline comparison is on `ascii`:
//! `edifact-parser`'s `tokenize_segments` turns a segment that is not valid UTF-8 into an empty
//! string and skips it, so on `latin1` it would skip most of the letters' text and do less work.
//!
//! - `ketenpost_full`: `edifact::read` + `Message::read_all` (unescaping, charset decoding and
//!   the typed MEDVRI views);
//! - `ketenpost_tokenize_only`: `edifact::read` alone (lexing, envelope and message structure);
//! - `edifact_parser_tokenizer`: `tokenize_segments`, then `tokenize_elements` per segment and
//!   `tokenize_components` per element, counting the components (no unescaping).
//!
//! Two groups hold the same benchmarks: `parse_bytes` (throughput in bytes, MB/s) and
//! `parse_messages` (throughput in messages, messages/s).

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic, missing_docs)]

use std::hint::black_box;
use std::time::Duration;

use criterion::measurement::WallTime;
use criterion::{
    criterion_group, criterion_main, BenchmarkGroup, Criterion, SamplingMode, Throughput,
};
use edifact_parser::EdifactTokenizer;
use ketenpost_domain::edifact;
use ketenpost_domain::message::{Content, Message};
use ketenpost_domain::people::BsnReading;

/// Messages in the interchange.
const MESSAGES: usize = 10_000;

/// The letter text, one TXT line each (at most 70 characters once read), written with the
/// release character where EDIFACT needs it (`?+`, `?:`, `??`, `?'`). Non-ASCII letters are
/// ISO-8859-1 characters and become one byte each.
const LINES: [&str; 20] = [
    "Geachte collega,",
    "", // the reference line, filled in per message
    "Hierbij bericht ik u over uw pati\u{eb}nte, die ik zag op het spreekuur",
    "in verband met pijn op de borst bij inspanning sinds ongeveer 3 weken.",
    "Voorgeschiedenis?: hypertensie, appendectomie (1998).",
    "Medicatie?: metoprolol 50 mg 1dd1?+ acetylsalicylzuur 80 mg 1dd1.",
    "Intoxicaties?: niet roken, alcohol 2?+3 eenheden per week.",
    "Lichamelijk onderzoek?: RR 135/85 mmHg, pols 72/min regulair.",
    "Over hart en longen geen bijzonderheden, geen oedeem aan de enkels.",
    "ECG?: sinusritme, normale as, geen ST-afwijkingen. Fietstest negatief.",
    "Lab?: Hb 8,4 mmol/l, kreatinine 71 \u{b5}mol/l, glucose 5,6 mmol/l.",
    "Vraagstelling?: angina pectoris?? Of toch reflux?? Graag uw advies.",
    "Conclusie?: waarschijnlijk geen cardiale oorzaak van de klachten.",
    "Zij gaf aan dat de klachten vooral ?'s ochtends optreden.",
    "Beleid?: uitleg gegeven, \u{e9}\u{e9}n keer per week sporten is gewenst.",
    "Controle van de bloeddruk door de praktijkondersteuner over 6 weken.",
    "Bij toename van de klachten graag opnieuw verwijzen via Zorgdomein.",
    "Ik vertrouw erop u hiermee voldoende te hebben ge\u{ef}nformeerd.",
    "Met vriendelijke groet,",
    "Dr. M. de Vries-Sch\u{f6}ller, cardioloog",
];

/// Appends `text` as ISO-8859-1 bytes.
fn push_latin1(out: &mut Vec<u8>, text: &str) {
    out.extend(
        text.chars()
            .map(|c| u8::try_from(u32::from(c)).expect("Latin-1 character")),
    );
}

/// The interchange with Latin-1 bytes (UNOC), segments separated by `\n`.
fn latin1_interchange() -> Vec<u8> {
    let mut out = Vec::with_capacity(MESSAGES * 1800);
    let segment = |out: &mut Vec<u8>, text: &str| {
        push_latin1(out, text);
        out.extend_from_slice(b"'\n");
    };
    segment(
        &mut out,
        "UNB+UNOC:1+500012345+500098765+240212:1105+IC0001",
    );
    for n in 1..=MESSAGES {
        let mut count = 0;
        let mut body = |out: &mut Vec<u8>, text: &str| {
            segment(out, text);
            count += 1;
        };
        body(&mut out, &format!("UNH+{n}+MEDVRI:1"));
        body(
            &mut out,
            "GGA+Dr. S. Bakker+Huisartsen+Huisartsenpraktijk De Linde\
             +Lindelaan:12::Utrecht:3512AB+0301234567",
        );
        body(&mut out, "DET+24:02:12+11:05");
        body(
            &mut out,
            "PID+1988:06:21+V+Wolf:van ?'t:Bruin:de::JH++BSN999990019",
        );
        body(&mut out, "PAD+Kerkstraat:7a::Amersfoort:3811CV+0331234567");
        for (k, line) in LINES.iter().enumerate() {
            let line = if k == 1 {
                format!("Betreft?: uw verwijzing van 5 februari 2024, kenmerk VR{n:06}.")
            } else {
                (*line).to_owned()
            };
            body(&mut out, &format!("TXT:{}+{line}", k + 1));
        }
        body(
            &mut out,
            "GGO+Dr. M. de Vries+Cardiologie+Ziekenhuis Rijnstate+Wagnerlaan:55::Arnhem:6815AD",
        );
        let count = count + 1;
        segment(&mut out, &format!("UNT+{count}+{n}"));
    }
    segment(&mut out, &format!("UNZ+{MESSAGES}+IC0001"));
    out
}

/// The same interchange with every non-ASCII byte replaced by an ASCII letter (same length).
fn ascii_variant(latin1: &[u8]) -> Vec<u8> {
    latin1
        .iter()
        .map(|&b| match b {
            0xE8..=0xEB => b'e',
            0xEF => b'i',
            0xF6 => b'o',
            0xB5 => b'u',
            b if b.is_ascii() => b,
            other => panic!("unexpected byte {other:#04x}"),
        })
        .collect()
}

/// `edifact::read` + `Message::read_all`; returns the number of messages.
fn ketenpost_full(bytes: &[u8]) -> usize {
    let interchange = edifact::read(bytes).unwrap();
    let messages = Message::read_all(&interchange);
    let count = messages.len();
    black_box(messages);
    count
}

/// `edifact::read` alone; returns the number of messages.
fn ketenpost_tokenize_only(bytes: &[u8]) -> usize {
    let interchange = edifact::read(bytes).unwrap();
    let count = interchange.messages.len();
    black_box(interchange);
    count
}

/// The bare tokenizer of `edifact-parser`; returns the number of components.
fn edifact_parser_tokenizer(tokenizer: &EdifactTokenizer, bytes: &[u8]) -> usize {
    let mut components = 0usize;
    for segment in tokenizer.tokenize_segments(bytes) {
        for element in tokenizer.tokenize_elements(segment) {
            for component in tokenizer.tokenize_components(element) {
                black_box(component);
                components += 1;
            }
        }
    }
    components
}

/// Segments and components as ketenpost reads them, to check both sides do the same work.
fn ketenpost_counts(bytes: &[u8]) -> (usize, usize) {
    let interchange = edifact::read(bytes).unwrap();
    let mut segments = 0;
    let mut components = 0;
    for segment in interchange.segments() {
        segments += 1;
        components += (0..=segment.element_count())
            .map(|e| segment.components(e).len())
            .sum::<usize>();
    }
    (segments, components)
}

/// Checks that the interchange reads cleanly into 10,000 complete letters.
fn check(bytes: &[u8], tokenizer: &EdifactTokenizer) {
    let interchange = edifact::read(bytes).unwrap();
    assert!(
        interchange.warnings.is_empty(),
        "warnings: {:?}",
        interchange.warnings
    );
    let messages = Message::read_all(&interchange);
    assert_eq!(messages.len(), MESSAGES);
    for message in &messages {
        assert!(message.warnings.is_empty(), "{:?}", message.warnings);
        let Content::Medvri(letter) = &message.content else {
            panic!("message {} is not a MEDVRI", message.number)
        };
        assert_eq!(letter.lines.len(), LINES.len());
        assert!(letter.lines.iter().all(|l| l.chars().count() <= 70));
        assert!(matches!(letter.patient.bsn, BsnReading::Valid(_)));
        assert_eq!(letter.patient.name.married_prefix, "van 't");
    }
    let (segments, components) = ketenpost_counts(bytes);
    if bytes.is_ascii() {
        let theirs = tokenizer.tokenize_segments(bytes).count();
        assert_eq!(theirs, segments, "segments");
        assert_eq!(
            edifact_parser_tokenizer(tokenizer, bytes),
            components,
            "components"
        );
    }
}

fn benches_on(
    group: &mut BenchmarkGroup<'_, WallTime>,
    variant: &str,
    bytes: &[u8],
    tokenizer: Option<&EdifactTokenizer>,
) {
    group.bench_function(format!("{variant}/ketenpost_full"), |b| {
        b.iter(|| ketenpost_full(black_box(bytes)));
    });
    if let Some(tokenizer) = tokenizer {
        group.bench_function(format!("{variant}/edifact_parser_tokenizer"), |b| {
            b.iter(|| edifact_parser_tokenizer(tokenizer, black_box(bytes)));
        });
    }
    group.bench_function(format!("{variant}/ketenpost_tokenize_only"), |b| {
        b.iter(|| ketenpost_tokenize_only(black_box(bytes)));
    });
}

fn parse(c: &mut Criterion) {
    let latin1 = latin1_interchange();
    let ascii = ascii_variant(&latin1);
    assert!(!latin1.is_ascii() && ascii.is_ascii() && latin1.len() == ascii.len());
    // `EdifactDelimiters::default()` of `edifact-primitives`: `:+.? '` (the crate does not
    // re-export the type, so it is named by inference rather than by a third dependency).
    let tokenizer = EdifactTokenizer::new(Default::default());
    check(&latin1, &tokenizer);
    check(&ascii, &tokenizer);
    eprintln!(
        "interchange: {MESSAGES} MEDVRI:1 messages, {} bytes ({:.1} MB), {} segments",
        ascii.len(),
        ascii.len() as f64 / 1e6,
        ketenpost_counts(&ascii).0
    );

    let groups: [(&str, Throughput); 2] = [
        ("parse_bytes", Throughput::Bytes(ascii.len() as u64)),
        ("parse_messages", Throughput::Elements(MESSAGES as u64)),
    ];
    for (name, throughput) in groups {
        let mut group = c.benchmark_group(name);
        group
            .sampling_mode(SamplingMode::Flat)
            .sample_size(20)
            .warm_up_time(Duration::from_secs(1))
            .measurement_time(Duration::from_secs(5))
            .throughput(throughput);
        benches_on(&mut group, "ascii", &ascii, Some(&tokenizer));
        benches_on(&mut group, "latin1", &latin1, None);
        group.finish();
    }
}

criterion_group!(benches, parse);
criterion_main!(benches);
