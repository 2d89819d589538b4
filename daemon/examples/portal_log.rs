//! Builds a data folder with many messages for `scripts/bench-portal.sh`, written straight
//! through the event-log adapter as the daemon records them (a receipt, then the message read
//! and classified), not through the mailboxes: `portal_log DATA_DIR N`. The messages are
//! spread over the six categories as a year of a care organisation's post might be (most
//! placed), from 300 senders, about 20,000 clients with valid BSNs and Dutch names (one
//! letter per client as payload, stored once), then the projections and the search index are
//! brought up to date. Prints `bsn`, `name` and `sender` lines the bench searches for.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic, missing_docs)]

use std::path::Path;
use std::time::Instant;

use ketenpost_adapters::event_log::{DiskEventLog, LogOptions};
use ketenpost_domain::category::{Category, Reason};
use ketenpost_domain::events::{
    Event, EventId, MessageClassified, MessageParsed, MessageReceived, NewEvent, StreamId,
    StreamKind,
};
use ketenpost_domain::payload::Format;
use ketenpost_domain::ports::{EventLog, ExpectedVersion, PayloadStore, StreamAppend};

const LETTER: &str = include_str!("../../fixtures/messages/medvri_lf.edi");

const SURNAMES: [&str; 40] = [
    "Jansen",
    "Bakker",
    "Visser",
    "Smit",
    "Meijer",
    "Mulder",
    "Bos",
    "Vos",
    "Peters",
    "Hendriks",
    "Dekker",
    "Brouwer",
    "Dijkstra",
    "Jacobs",
    "Vermeulen",
    "Kok",
    "Willems",
    "Hoekstra",
    "Koster",
    "Prins",
    "Huisman",
    "Kuipers",
    "Postma",
    "Schouten",
    "Verhoeven",
    "Wouters",
    "Bosman",
    "Kramer",
    "Maas",
    "Veenstra",
    "Blom",
    "Kuiper",
    "Boer",
    "Wolters",
    "Groen",
    "Timmermans",
    "Schipper",
    "Zwart",
    "Evers",
    "Stam",
];
const SECOND: [&str; 25] = [
    "Berg", "Dijk", "Wal", "Heuvel", "Leeuwen", "Vries", "Linden", "Beek", "Veen", "Broek",
    "Graaf", "Haan", "Bruijn", "Wit", "Boom", "Laan", "Vliet", "Meer", "Wijk", "Kamp", "Ven",
    "Molen", "Loo", "Horst", "Hoek",
];
const INITIALS: [&str; 12] = [
    "J", "A", "M", "P", "W", "H", "C", "E", "JH", "AM", "GJ", "PW",
];

/// A small deterministic generator: the same folder every run.
struct Random(u64);

impl Random {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        self.0
    }

    fn below(&mut self, n: usize) -> usize {
        (self.next() % n as u64) as usize
    }
}

/// The `n`-th valid BSN from 100,000,000 on (elfproef).
fn bsn(n: u64) -> String {
    let mut base = 10_000_000 + n * 7;
    loop {
        let digits: Vec<u64> = format!("{base:08}")
            .bytes()
            .map(|b| u64::from(b - b'0'))
            .collect();
        let sum: u64 = digits
            .iter()
            .zip([9, 8, 7, 6, 5, 4, 3, 2])
            .map(|(d, w)| d * w)
            .sum();
        let check = sum % 11;
        if check < 10 {
            return format!("{base:08}{check}");
        }
        base += 1;
    }
}

fn id() -> EventId {
    EventId(uuid::Uuid::now_v7().as_u128())
}

fn category(random: &mut Random) -> Category {
    match random.below(100) {
        0..=79 => Category::Processed,
        80..=85 => Category::UnknownBsn,
        86..=89 => Category::MissingBsn,
        90..=93 => Category::Fallout,
        94..=96 => Category::Unsupported,
        _ => Category::TechnicalError,
    }
}

fn reason(category: Category) -> Reason {
    match category {
        Category::Processed => Reason::Placed,
        Category::UnknownBsn => Reason::UnknownBsn,
        Category::MissingBsn => Reason::NoBsn,
        _ => Reason::Malformed {
            detail: "bench".into(),
            error: None,
        },
    }
}

fn main() {
    let args: Vec<String> = std::env::args().collect();
    let (Some(folder), Some(total)) =
        (args.get(1), args.get(2).and_then(|n| n.parse::<u64>().ok()))
    else {
        panic!("usage: portal_log DATA_DIR MESSAGES");
    };
    let log = DiskEventLog::open(&LogOptions::new(Path::new(folder))).unwrap();
    let clients = (total / 50).clamp(1, 20_000);
    let mut random = Random(0x9e37_79b9_7f4a_7c15);
    let started = Instant::now();
    let mut digests = Vec::new();
    for n in 0..clients {
        let name = (
            SURNAMES[random.below(SURNAMES.len())],
            SECOND[random.below(SECOND.len())],
            INITIALS[random.below(INITIALS.len())],
        );
        let letter = LETTER
            .replace("BSN999990019", &format!("BSN{}", bsn(n)))
            .replace(":Bruin:", &format!(":{}:", name.0))
            .replace("Wolf:", &format!("{}:", name.1))
            .replace("::JH+", &format!("::{}+", name.2));
        digests.push(log.payloads().put(letter.as_bytes()).unwrap());
        if n % 997 == 1 {
            println!("bsn {}", bsn(n));
            println!("name {}", name.0);
        }
    }
    let senders: Vec<String> = (0..300)
        .map(|i| format!("500{:05}", 10_007 + i * 13))
        .collect();
    for sender in senders.iter().step_by(37) {
        println!("sender {sender}");
    }
    let mut written = 0u64;
    while written < total {
        let mut appends = Vec::new();
        for _ in 0..500.min(total - written) {
            let client = random.below(digests.len());
            let category = category(&mut random);
            let receipt = StreamId::new(StreamKind::Receipt, id());
            let message = StreamId::new(StreamKind::Message, id());
            appends.push(StreamAppend {
                stream: receipt.clone(),
                expected: ExpectedVersion::NoStream,
                events: vec![NewEvent {
                    id: id(),
                    event: Event::MessageReceived(MessageReceived {
                        mailbox: "zorgmail".into(),
                        remote_id: format!("{receipt}.edi"),
                        payload_digest: digests[client].clone(),
                        size: LETTER.len() as u64,
                        format: Format::Edifact,
                        envelope: None,
                    }),
                }],
            });
            let lab = random.below(5) == 0;
            appends.push(StreamAppend {
                stream: message,
                expected: ExpectedVersion::NoStream,
                events: vec![
                    NewEvent {
                        id: id(),
                        event: Event::MessageParsed(MessageParsed {
                            receipt,
                            payload_digest: digests[client].clone(),
                            number: 1,
                            format: Format::Edifact,
                            identifier: Some(if lab { "MEDLAB:1" } else { "MEDVRI:1" }.into()),
                            interchange_ref: Some(format!("IC{written}")),
                            message_ref: Some("1".into()),
                            sender_id: Some(senders[random.below(senders.len())].clone()),
                            warnings: 0,
                            error: None,
                        }),
                    },
                    NewEvent {
                        id: id(),
                        event: Event::MessageClassified(MessageClassified {
                            category,
                            reason: reason(category),
                            config_version: Some(1),
                        }),
                    },
                ],
            });
            written += 1;
        }
        log.append(appends).unwrap();
        if written.is_multiple_of(100_000) {
            eprintln!("{written} messages written after {:.0?}", started.elapsed());
        }
    }
    eprintln!("{written} messages written after {:.0?}", started.elapsed());
    let applied = log.catch_up().unwrap();
    eprintln!(
        "projections and search index: {applied} events after {:.0?}",
        started.elapsed()
    );
}
