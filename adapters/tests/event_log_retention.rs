//! Retention in the event log: the personal text of a message's events is sealed with its own
//! key and reads back whole until its period ends; then it reads "verwijderd na de
//! bewaartermijn", while an interchange keeps its payload until the last of its messages is due,
//! and the sweep's notes about a deleted payload go with it. A message whose period ended is
//! no longer found by its client, whatever became of its payload.

#![allow(clippy::panic, clippy::unwrap_used, clippy::expect_used)]

mod log_support;

use std::time::Duration;

use ketenpost_adapters::event_log::{DiskEventLog, Retention};
use ketenpost_domain::category::{Category, Reason};
use ketenpost_domain::events::RetentionExpired;
use ketenpost_domain::events::{
    Event, MessageClassified, MessageParsed, MessageReceived, NewEvent, StreamId, StreamKind,
    REMOVED_AFTER_RETENTION,
};
use ketenpost_domain::payload::Format;
use ketenpost_domain::ports::{EventLog, ExpectedVersion, PayloadStore};
use ketenpost_domain::search::SearchQuery;
use log_support::{append, folder, id, open};

const LETTER: &str = "Mw. Wolf werd gezien";

fn received(mailbox: &str, remote_id: &str, digest: &str, size: u64) -> NewEvent {
    NewEvent {
        id: id(),
        event: Event::MessageReceived(MessageReceived {
            mailbox: mailbox.to_owned(),
            remote_id: remote_id.to_owned(),
            payload_digest: digest.to_owned(),
            size,
            format: Format::Edifact,
            envelope: None,
        }),
    }
}

fn parsed(receipt: &StreamId, digest: &str, number: u32) -> NewEvent {
    NewEvent {
        id: id(),
        event: Event::MessageParsed(MessageParsed {
            receipt: receipt.clone(),
            payload_digest: digest.to_owned(),
            number,
            format: Format::Edifact,
            identifier: None,
            interchange_ref: None,
            message_ref: None,
            sender_id: None,
            warnings: 0,
            error: Some(format!("at segment 3: {LETTER}")),
        }),
    }
}

fn classified(category: Category) -> NewEvent {
    NewEvent {
        id: id(),
        event: Event::MessageClassified(MessageClassified {
            category,
            reason: Reason::NotRenderable {
                detail: LETTER.to_owned(),
            },
            config_version: None,
        }),
    }
}

fn now_ms() -> i64 {
    i64::try_from(
        std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .unwrap()
            .as_millis(),
    )
    .unwrap()
}

/// Appends the receipt of the file `name` (20 bytes) whose payload is `digest`.
fn append_receipt(log: &DiskEventLog, receipt: &StreamId, name: &str, digest: &str) {
    log.append(vec![append(
        receipt,
        ExpectedVersion::NoStream,
        vec![received("manual", name, digest, 20)],
    )])
    .unwrap();
}

/// A letter to append: its stream, the receipt it was read from, its number in the
/// interchange, and where it was decided.
type Letter<'a> = (&'a StreamId, &'a StreamId, u32, Category);

/// Appends `letters` of the payload `digest`, each read and decided, in one append.
fn append_letters(log: &DiskEventLog, digest: &str, letters: &[Letter<'_>]) {
    log.append(
        letters
            .iter()
            .map(|&(message, receipt, number, category)| {
                append(
                    message,
                    ExpectedVersion::NoStream,
                    vec![parsed(receipt, digest, number), classified(category)],
                )
            })
            .collect(),
    )
    .unwrap();
}

/// A sweep now, with these periods (the access log's an hour).
fn sweep(log: &DiskEventLog, keep_processed: Duration, keep_other: Duration) -> (u64, u64) {
    let report = log
        .sweep_retention(
            Retention {
                keep_processed,
                keep_other,
                keep_access_log: Duration::from_secs(3600),
            },
            now_ms() + 1,
            false,
        )
        .unwrap();
    (report.expired, report.payloads_deleted)
}

/// The kinds of the sweep's notes left in the closed folder `dir` (`c`: its progress per
/// state; anything else would be a note kept about a payload already gone).
fn notes_left(dir: &std::path::Path) -> Vec<u8> {
    let db = log_support::store_of(dir);
    let notes = log_support::tree(&db, "retention")
        .iter()
        .map(|entry| entry.key().unwrap()[0])
        .collect();
    drop(db);
    notes
}

#[test]
fn an_interchange_keeps_its_payload_until_its_last_message_is_due() {
    let dir = folder("retention-interchange");
    let log = open(&dir);
    let digest = log.payloads().put(LETTER.as_bytes()).unwrap();
    let receipt = StreamId::new(StreamKind::Receipt, id());
    let (first, second) = (
        StreamId::new(StreamKind::Message, id()),
        StreamId::new(StreamKind::Message, id()),
    );
    append_receipt(&log, &receipt, "a.edi", &digest);
    append_letters(
        &log,
        &digest,
        &[
            (&first, &receipt, 1, Category::Processed),
            (&second, &receipt, 2, Category::Fallout),
        ],
    );
    let text = format!("{:?}", log.read_stream(&first).unwrap());
    assert!(text.contains(LETTER), "read whole while kept: {text}");

    let hour = Duration::from_secs(3600);
    assert_eq!(sweep(&log, Duration::ZERO, hour), (1, 0));
    let text = format!("{:?}", log.read_stream(&first).unwrap());
    assert!(
        !text.contains(LETTER) && text.contains(REMOVED_AFTER_RETENTION),
        "{text}"
    );
    assert!(format!("{:?}", log.read_stream(&second).unwrap()).contains(LETTER));
    assert!(
        log.payloads().get(&digest).unwrap().is_some(),
        "the other message is kept"
    );

    assert_eq!(sweep(&log, Duration::ZERO, Duration::ZERO), (1, 1));
    assert!(log.payloads().get(&digest).unwrap().is_none());
    let all = format!("{:?}", log.read_all(0, 100).unwrap());
    assert!(!all.contains(LETTER), "{all}");
    assert_eq!(
        all.matches("RetentionExpired {").count(),
        2,
        "the events stay: {all}"
    );
    assert_eq!(
        sweep(&log, Duration::ZERO, Duration::ZERO),
        (0, 0),
        "nothing twice"
    );
    log.close();
    drop(log);
    // Once the payload is gone, nothing about its receipts stays behind in the sweep's notes
    // (only its progress per state, `c`): the folder does not grow with what was forgotten.
    let notes = notes_left(&dir);
    assert!(notes.iter().all(|&kind| kind == b'c'), "{notes:?}");
    let _ = std::fs::remove_dir_all(&dir);
}

/// A MEDVRI letter for the client with BSN 999990019, named Bruin, sent by 500012345.
const MEDVRI: &[u8] = include_bytes!("../../fixtures/messages/medvri_lf.edi");

#[test]
fn a_message_whose_period_ended_is_not_found_by_its_client_even_when_its_payload_is_gone() {
    let dir = folder("retention-forgotten");
    let log = open(&dir);
    let digest = log.payloads().put(MEDVRI).unwrap();
    let receipt = StreamId::new(StreamKind::Receipt, id());
    let message = StreamId::new(StreamKind::Message, id());
    let received = received("zorgmail", "1001", &digest, MEDVRI.len() as u64);
    let mut parsed = parsed(&receipt, &digest, 1);
    if let Event::MessageParsed(p) = &mut parsed.event {
        p.error = None;
        p.sender_id = Some("500012345".into());
    }
    log.append(vec![append(
        &receipt,
        ExpectedVersion::NoStream,
        vec![received],
    )])
    .unwrap();
    log.append(vec![append(
        &message,
        ExpectedVersion::NoStream,
        vec![parsed, classified(Category::Fallout)],
    )])
    .unwrap();
    log.catch_up().unwrap();
    let by_bsn = SearchQuery {
        bsn: Some("999990019".into()),
        ..SearchQuery::default()
    };
    let by_name = SearchQuery {
        name: Some("bruin".into()),
        ..SearchQuery::default()
    };
    let by_sender = SearchQuery {
        sender: Some("500012345".into()),
        ..SearchQuery::default()
    };
    let found = |log: &DiskEventLog, query: &SearchQuery| {
        log.search(query, None, 10).unwrap().messages.len()
    };
    assert_eq!(found(&log, &by_bsn), 1, "found by its client while kept");
    assert_eq!(found(&log, &by_name), 1);
    log.close();
    drop(log);

    // The payload no longer reads (lost, or removed by hand) before the end of the period is
    // folded into the projections.
    let db = log_support::store_of(&dir);
    log_support::tree(&db, "payloads").clear().unwrap();
    db.persist(fjall::PersistMode::SyncAll).unwrap();
    drop(db);
    let log = open(&dir);
    assert!(log.payloads().get(&digest).unwrap().is_none());
    log.append(vec![append(
        &message,
        ExpectedVersion::Exactly(1),
        vec![NewEvent {
            id: id(),
            event: Event::RetentionExpired(RetentionExpired {
                rule: "keep_other".into(),
                decided_at_ms: now_ms(),
            }),
        }],
    )])
    .unwrap();
    log.catch_up().unwrap();
    assert_eq!(found(&log, &by_bsn), 0, "not found by its BSN any more");
    assert_eq!(found(&log, &by_name), 0, "nor by its name");
    assert_eq!(found(&log, &by_sender), 1, "still by its sender");
    log.close();
    drop(log);

    // What the index kept of the message's client until then is gone with it.
    let db = log_support::store_of(&dir);
    let kept: Vec<Vec<u8>> = log_support::tree(&db, "projections")
        .prefix(b"qt")
        .map(|entry| entry.key().unwrap().to_vec())
        .collect();
    assert!(kept.is_empty(), "{kept:?}");
    drop(db);
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn a_payload_delivered_twice_stays_until_the_letters_of_both_deliveries_are_due() {
    let dir = folder("retention-delivered-twice");
    let log = open(&dir);
    let digest = log.payloads().put(LETTER.as_bytes()).unwrap();
    // The same file under two names: two receipts, one letter each, one payload.
    let (first_receipt, second_receipt) = (
        StreamId::new(StreamKind::Receipt, id()),
        StreamId::new(StreamKind::Receipt, id()),
    );
    let (first, second) = (
        StreamId::new(StreamKind::Message, id()),
        StreamId::new(StreamKind::Message, id()),
    );
    append_receipt(&log, &first_receipt, "a.edi", &digest);
    append_receipt(&log, &second_receipt, "b.edi", &digest);
    append_letters(
        &log,
        &digest,
        &[
            (&first, &first_receipt, 1, Category::Processed),
            (&second, &second_receipt, 1, Category::Fallout),
        ],
    );
    let hour = Duration::from_secs(3600);
    assert_eq!(sweep(&log, Duration::ZERO, hour), (1, 0));
    assert!(
        log.payloads().get(&digest).unwrap().is_some(),
        "the second delivery's letter still needs it"
    );
    assert!(format!("{:?}", log.read_stream(&second).unwrap()).contains(LETTER));

    assert_eq!(sweep(&log, Duration::ZERO, Duration::ZERO), (1, 1));
    assert!(log.payloads().get(&digest).unwrap().is_none());
    log.close();
    drop(log);
    let notes = notes_left(&dir);
    assert!(notes.iter().all(|&kind| kind == b'c'), "{notes:?}");
    let _ = std::fs::remove_dir_all(&dir);
}
