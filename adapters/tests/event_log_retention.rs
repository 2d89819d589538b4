//! Retention in the event log: the personal text of a message's events is sealed with its own
//! key and reads back whole until its period ends; then it reads "verwijderd na de
//! bewaartermijn", while an interchange keeps its payload until the last of its messages is due,
//! and the sweep's notes about a deleted payload go with it. A message whose period ended is
//! no longer found by its client, whatever became of its payload.

#![allow(clippy::panic, clippy::unwrap_used, clippy::expect_used)]

mod log_support;

use std::time::Duration;

use ketenpost_adapters::event_log::Retention;
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
    let received = received("manual", "a.edi", &digest, 20);
    log.append(vec![append(
        &receipt,
        ExpectedVersion::NoStream,
        vec![received],
    )])
    .unwrap();
    log.append(vec![
        append(
            &first,
            ExpectedVersion::NoStream,
            vec![
                parsed(&receipt, &digest, 1),
                classified(Category::Processed),
            ],
        ),
        append(
            &second,
            ExpectedVersion::NoStream,
            vec![parsed(&receipt, &digest, 2), classified(Category::Fallout)],
        ),
    ])
    .unwrap();
    let text = format!("{:?}", log.read_stream(&first).unwrap());
    assert!(text.contains(LETTER), "read whole while kept: {text}");

    let hour = Duration::from_secs(3600);
    let report = log
        .sweep_retention(
            Retention {
                keep_processed: Duration::ZERO,
                keep_other: hour,
                keep_access_log: hour,
            },
            now_ms() + 1,
            false,
        )
        .unwrap();
    assert_eq!((report.expired, report.payloads_deleted), (1, 0));
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

    let report = log
        .sweep_retention(
            Retention {
                keep_processed: Duration::ZERO,
                keep_other: Duration::ZERO,
                keep_access_log: Duration::from_secs(3600),
            },
            now_ms() + 1,
            false,
        )
        .unwrap();
    assert_eq!((report.expired, report.payloads_deleted), (1, 1));
    assert!(log.payloads().get(&digest).unwrap().is_none());
    let all = format!("{:?}", log.read_all(0, 100).unwrap());
    assert!(!all.contains(LETTER), "{all}");
    assert_eq!(
        all.matches("RetentionExpired {").count(),
        2,
        "the events stay: {all}"
    );
    let again = log
        .sweep_retention(
            Retention {
                keep_processed: Duration::ZERO,
                keep_other: Duration::ZERO,
                keep_access_log: Duration::from_secs(3600),
            },
            now_ms() + 1,
            false,
        )
        .unwrap();
    assert_eq!(
        (again.expired, again.payloads_deleted),
        (0, 0),
        "nothing twice"
    );
    log.close();
    drop(log);
    // Once the payload is gone, nothing about its receipts stays behind in the sweep's notes
    // (only its progress per state, `c`): the folder does not grow with what was forgotten.
    let db = log_support::store_of(&dir);
    let notes: Vec<u8> = log_support::tree(&db, "retention")
        .iter()
        .map(|entry| entry.key().unwrap()[0])
        .collect();
    assert!(notes.iter().all(|&kind| kind == b'c'), "{notes:?}");
    drop(db);
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
    let found = |log: &ketenpost_adapters::event_log::DiskEventLog, query: &SearchQuery| {
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
    for (receipt, name) in [(&first_receipt, "a.edi"), (&second_receipt, "b.edi")] {
        log.append(vec![append(
            receipt,
            ExpectedVersion::NoStream,
            vec![received("manual", name, &digest, 20)],
        )])
        .unwrap();
    }
    log.append(vec![
        append(
            &first,
            ExpectedVersion::NoStream,
            vec![
                parsed(&first_receipt, &digest, 1),
                classified(Category::Processed),
            ],
        ),
        append(
            &second,
            ExpectedVersion::NoStream,
            vec![
                parsed(&second_receipt, &digest, 1),
                classified(Category::Fallout),
            ],
        ),
    ])
    .unwrap();
    let sweep = |keep_other: Duration| {
        log.sweep_retention(
            Retention {
                keep_processed: Duration::ZERO,
                keep_other,
                keep_access_log: Duration::from_secs(3600),
            },
            now_ms() + 1,
            false,
        )
        .unwrap()
    };

    let report = sweep(Duration::from_secs(3600));
    assert_eq!((report.expired, report.payloads_deleted), (1, 0));
    assert!(
        log.payloads().get(&digest).unwrap().is_some(),
        "the second delivery's letter still needs it"
    );
    assert!(format!("{:?}", log.read_stream(&second).unwrap()).contains(LETTER));

    let report = sweep(Duration::ZERO);
    assert_eq!((report.expired, report.payloads_deleted), (1, 1));
    assert!(log.payloads().get(&digest).unwrap().is_none());
    log.close();
    drop(log);
    let db = log_support::store_of(&dir);
    let notes: Vec<u8> = log_support::tree(&db, "retention")
        .iter()
        .map(|entry| entry.key().unwrap()[0])
        .collect();
    assert!(notes.iter().all(|&kind| kind == b'c'), "{notes:?}");
    drop(db);
    let _ = std::fs::remove_dir_all(&dir);
}
