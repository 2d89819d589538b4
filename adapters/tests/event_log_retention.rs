//! Retention in the event log: the personal text of a message's events is sealed with its own
//! key and reads back whole until its period ends; then it reads "verwijderd na de
//! bewaartermijn", while an interchange keeps its payload until the last of its messages is due,
//! and the sweep's notes about a deleted payload go with it. A message whose period ended is
//! no longer found by its client, whatever became of its payload. Once `keep_history` is over
//! too, the message is gone: from the log, its lists, counts and search, with its receipt
//! when it was the receipt's last.

#![allow(clippy::panic, clippy::unwrap_used, clippy::expect_used)]

mod log_support;

use std::time::Duration;

use ketenpost_adapters::event_log::{DiskEventLog, Retention, SweepReport};
use ketenpost_domain::category::{Category, Reason};
use ketenpost_domain::events::RetentionExpired;
use ketenpost_domain::events::{
    Event, MessageClassified, MessageParsed, MessageReceived, NewEvent, StreamId, StreamKind,
    REMOVED_AFTER_RETENTION,
};
use ketenpost_domain::payload::Format;
use ketenpost_domain::ports::{EventLog, ExpectedVersion, PayloadStore};
use ketenpost_domain::projections::State;
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

/// `N` new streams of `kind`.
fn new_streams<const N: usize>(kind: StreamKind) -> [StreamId; N] {
    [(); N].map(|()| StreamId::new(kind, id()))
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

/// Sweeps the processed letter of two deliveries of one payload (the other letter keeps an
/// hour), then both: the payload stays, and `kept` still reads the letter, while `kept` needs
/// it; it goes with `kept`.
fn assert_payload_goes_with_the_last_letter(log: &DiskEventLog, digest: &str, kept: &StreamId) {
    assert_eq!(
        sweep(log, Duration::ZERO, Duration::from_secs(3600)),
        (1, 0)
    );
    assert!(
        log.payloads().get(digest).unwrap().is_some(),
        "the other delivery's letter still needs it"
    );
    assert!(format!("{:?}", log.read_stream(kept).unwrap()).contains(LETTER));
    assert_eq!(sweep(log, Duration::ZERO, Duration::ZERO), (1, 1));
    assert!(log.payloads().get(digest).unwrap().is_none());
}

/// A sweep now, with these periods (the access log's and the history's an hour).
fn sweep(log: &DiskEventLog, keep_processed: Duration, keep_other: Duration) -> (u64, u64) {
    let report = sweep_all(log, keep_processed, keep_other, Duration::from_secs(3600));
    (report.expired, report.payloads_deleted)
}

/// A sweep now, with these periods (the access log's an hour).
fn sweep_all(
    log: &DiskEventLog,
    keep_processed: Duration,
    keep_other: Duration,
    keep_history: Duration,
) -> SweepReport {
    log.sweep_retention(
        Retention {
            keep_processed,
            keep_other,
            keep_access_log: Duration::from_secs(3600),
            keep_notes: Duration::from_secs(3600),
            keep_history,
        },
        now_ms() + 1,
        false,
    )
    .unwrap()
}

/// The kinds of the sweep's notes left in the closed folder `dir` (`c` and `f`: its progress
/// per state, of retention and of history; anything else would be a note kept about a payload
/// or a receipt already gone), but the mark that the folder notes each payload's first holder.
fn notes_left(dir: &std::path::Path) -> Vec<u8> {
    let db = log_support::store_of(dir);
    let notes = log_support::tree(&db, "retention")
        .iter()
        .map(|entry| entry.key().unwrap())
        .filter(|key| key.as_ref() != b"owners")
        .map(|key| key[0])
        .collect();
    drop(db);
    notes
}

/// Asserts the sweep kept no notes in the closed folder `dir` but its progress.
fn assert_only_progress_left(dir: &std::path::Path) {
    let notes = notes_left(dir);
    assert!(
        notes.iter().all(|&kind| kind == b'c' || kind == b'f'),
        "{notes:?}"
    );
}

#[test]
fn an_interchange_keeps_its_payload_until_its_last_message_is_due() {
    let dir = folder("retention-interchange");
    let log = open(&dir);
    let digest = log.payloads().put(LETTER.as_bytes()).unwrap();
    let receipt = StreamId::new(StreamKind::Receipt, id());
    let [first, second] = new_streams(StreamKind::Message);
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
    // (only its progress per state): the folder does not grow with what was forgotten.
    assert_only_progress_left(&dir);
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

    // What the index kept of the message's client until then is gone with it: its entry of
    // tokens holds its sender's only (kind `s`), for when its history goes.
    let db = log_support::store_of(&dir);
    let kept: Vec<Vec<u8>> = log_support::tree(&db, "projections")
        .prefix(b"qt")
        .map(|entry| entry.value().unwrap().to_vec())
        .collect();
    assert_eq!(kept.len(), 1);
    let kinds: Vec<u8> = kept[0][8..].chunks(9).map(|token| token[0]).collect();
    assert!(
        !kinds.is_empty() && kinds.iter().all(|&kind| kind == b's'),
        "{kinds:?}"
    );
    drop(db);
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn in_a_folder_made_before_first_holders_were_noted_a_second_delivery_does_not_take_the_payload() {
    let dir = folder("retention-before-owners");
    let log = open(&dir);
    let digest = log.payloads().put(LETTER.as_bytes()).unwrap();
    let [earlier_receipt, later_receipt] = new_streams(StreamKind::Receipt);
    let [earlier, later] = new_streams(StreamKind::Message);
    append_receipt(&log, &earlier_receipt, "a.edi", &digest);
    log.close();
    drop(log);
    // As a version that noted no first holders left it: the earlier receipt's `h` note only.
    let db = log_support::store_of(&dir);
    let notes = log_support::tree(&db, "retention");
    let added: Vec<_> = notes
        .iter()
        .map(|entry| entry.key().unwrap())
        .filter(|key| key.as_ref() == b"owners" || key.first() == Some(&b'o'))
        .collect();
    assert_eq!(added.len(), 2, "the mark and the first holder");
    for key in added {
        notes.remove(key).unwrap();
    }
    drop(notes);
    drop(db);

    let log = open(&dir);
    append_receipt(&log, &later_receipt, "b.edi", &digest);
    append_letters(
        &log,
        &digest,
        &[
            (&earlier, &earlier_receipt, 1, Category::Fallout),
            (&later, &later_receipt, 1, Category::Processed),
        ],
    );
    assert_payload_goes_with_the_last_letter(&log, &digest, &earlier);
    log.close();
    drop(log);
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn a_payload_delivered_twice_stays_until_the_letters_of_both_deliveries_are_due() {
    let dir = folder("retention-delivered-twice");
    let log = open(&dir);
    let digest = log.payloads().put(LETTER.as_bytes()).unwrap();
    // The same file under two names: two receipts, one letter each, one payload.
    let [first_receipt, second_receipt] = new_streams(StreamKind::Receipt);
    let [first, second] = new_streams(StreamKind::Message);
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
    assert_payload_goes_with_the_last_letter(&log, &digest, &second);
    log.close();
    drop(log);
    assert_only_progress_left(&dir);
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn a_message_past_keep_history_is_gone_from_the_log_the_lists_the_counts_and_the_search() {
    let dir = folder("retention-history");
    let log = open(&dir);
    let digest = log.payloads().put(LETTER.as_bytes()).unwrap();
    let [alone_receipt, shared_receipt, later_receipt] = new_streams(StreamKind::Receipt);
    let [alone, placed, waiting, later, unread] = new_streams(StreamKind::Message);
    append_receipt(&log, &alone_receipt, "a.edi", &digest);
    append_receipt(&log, &shared_receipt, "b.edi", &digest);
    append_receipt(&log, &later_receipt, "c.edi", &digest);
    append_letters(
        &log,
        &digest,
        &[
            (&alone, &alone_receipt, 1, Category::Processed),
            (&placed, &shared_receipt, 1, Category::Processed),
            (&waiting, &shared_receipt, 2, Category::Fallout),
            (&later, &later_receipt, 1, Category::Fallout),
        ],
    );
    // A letter still being worked on: in no category, never due.
    log.append(vec![append(
        &unread,
        ExpectedVersion::NoStream,
        vec![parsed(&later_receipt, &digest, 2)],
    )])
    .unwrap();
    let count = |log: &DiskEventLog, state: State| {
        log.counts()
            .unwrap()
            .into_iter()
            .find(|(s, _)| *s == state)
            .unwrap()
            .1
    };
    let by_sender = SearchQuery {
        sender: Some("manual".into()),
        ..SearchQuery::default()
    };
    let found = |log: &DiskEventLog| log.search(&by_sender, None, 10).unwrap().messages.len();
    log.catch_up().unwrap();
    assert_eq!(found(&log), 5);

    // The processed letters' retention and history end; the others' are kept.
    let hour = Duration::from_secs(3600);
    let report = sweep_all(&log, Duration::ZERO, hour, Duration::ZERO);
    assert_eq!(report.expired, 2);
    assert_eq!(
        (report.forgotten.messages, report.forgotten.receipts),
        (2, 1)
    );
    for gone in [&alone, &placed, &alone_receipt] {
        assert!(log.read_stream(gone).unwrap().is_empty(), "{gone}");
    }
    assert!(log.message(&alone).unwrap().is_none());
    assert!(log.receipt(&alone_receipt).unwrap().is_none());
    assert!(
        log.receipt(&shared_receipt).unwrap().is_some(),
        "its other letter is kept, and so is the receipt"
    );
    assert_eq!(log.read_stream(&waiting).unwrap().len(), 2);
    assert_eq!(count(&log, State::Category(Category::Processed)), 0);
    assert_eq!(count(&log, State::Category(Category::Fallout)), 2);
    let processed = log
        .list(State::Category(Category::Processed), None, 10)
        .unwrap();
    assert!(processed.messages.is_empty());
    assert_eq!(found(&log), 3);
    let all = log.read_all(0, 1000).unwrap();
    for gone in [&alone, &placed, &alone_receipt] {
        assert!(all.iter().all(|e| e.stream != *gone), "{gone} in the log");
    }
    let record: Vec<_> = all
        .iter()
        .filter_map(|e| match &e.event {
            Event::HistoryForgotten(h) => Some((h.messages, h.receipts)),
            _ => None,
        })
        .collect();
    assert_eq!(record, [(2, 1)], "the forgetting is recorded");

    // The rest but the unread letter: every receipt goes with its last letter.
    let report = sweep_all(&log, Duration::ZERO, Duration::ZERO, Duration::ZERO);
    assert_eq!(
        (report.forgotten.messages, report.forgotten.receipts),
        (2, 1)
    );
    assert!(log.read_stream(&shared_receipt).unwrap().is_empty());
    assert!(
        !log.read_stream(&later_receipt).unwrap().is_empty(),
        "the unread letter keeps its receipt"
    );
    assert_eq!(found(&log), 1);
    assert_eq!(count(&log, State::InFlight), 1);
    // The first two positions (the forgotten receipts) hold nothing: a read from the start,
    // one position at a time, goes on to the first that holds an event instead of ending.
    let first = log.read_all(0, 1).unwrap();
    assert_eq!(first.len(), 1);
    assert_eq!(first[0].stream, later_receipt);
    log.catch_up().unwrap();
    let projected = log.projection_dump().unwrap();
    log.close();
    drop(log);
    // The search index holds the unread letter alone: one posting in the list by date, one
    // in the sender's, one entry of tokens.
    let db = log_support::store_of(&dir);
    let projections = log_support::tree(&db, "projections");
    let postings = |prefix: &[u8]| -> usize {
        projections
            .prefix(prefix)
            .map(|page| page.value().unwrap().len() / 32)
            .sum()
    };
    assert_eq!((postings(b"qd"), postings(b"qs")), (1, 1));
    assert_eq!(projections.prefix(b"qt").count(), 1);
    drop(projections);
    // The two forgotten receipts, each once a chunk of its own, are one span now.
    let chunk_keys: Vec<u64> = log_support::tree(&db, "log")
        .iter()
        .take(2)
        .map(|entry| u64::from_be_bytes(entry.key().unwrap().as_ref().try_into().unwrap()))
        .collect();
    assert_eq!(chunk_keys, [0, 2], "positions 0 and 1 in one span");
    drop(db);
    let log = open(&dir);
    log.replay().unwrap();
    assert_eq!(
        log.projection_dump().unwrap(),
        projected,
        "the projections are what a replay of the log now makes of it"
    );
    log.close();
    drop(log);
    // Of the sweep's notes, only its progress and that the kept receipt holds the payload
    // (`h`), which receipt was noted first (`o`) and that a second one was (`s`).
    let mut notes = notes_left(&dir);
    notes.retain(|&kind| kind != b'c' && kind != b'f');
    assert_eq!(notes, [b'h', b'o', b's'], "{notes:?}");

    // An index built again from the log passes over the emptied records.
    let db = log_support::store_of(&dir);
    log_support::tree(&db, "index").clear().unwrap();
    db.persist(fjall::PersistMode::SyncAll).unwrap();
    drop(db);
    let log = open(&dir);
    assert!(log.read_stream(&waiting).unwrap().is_empty());
    assert_eq!(log.read_stream(&unread).unwrap().len(), 1);
    assert_eq!(log.read_stream(&later_receipt).unwrap().len(), 1);
    log.close();
    drop(log);
    let _ = std::fs::remove_dir_all(&dir);
}

/// The format the closed folder `dir`'s store is stamped with.
fn store_format(dir: &std::path::Path) -> u32 {
    let db = log_support::store_of(dir);
    let value = log_support::tree(&db, "meta")
        .get(b"format")
        .unwrap()
        .unwrap();
    drop(db);
    u32::from_be_bytes(value.as_ref().try_into().unwrap())
}

#[test]
fn a_folder_is_marked_as_one_an_earlier_version_cannot_read_only_once_it_forgot_history() {
    let dir = folder("retention-format");
    let log = open(&dir);
    let digest = log.payloads().put(LETTER.as_bytes()).unwrap();
    let [receipt] = new_streams(StreamKind::Receipt);
    let [letter] = new_streams(StreamKind::Message);
    append_receipt(&log, &receipt, "a.edi", &digest);
    append_letters(
        &log,
        &digest,
        &[(&letter, &receipt, 1, Category::Processed)],
    );
    log.catch_up().unwrap();
    // Retention ends, the history stays: an earlier version still reads every record.
    let hour = Duration::from_secs(3600);
    assert_eq!(sweep_all(&log, Duration::ZERO, hour, hour).expired, 1);
    log.close();
    drop(log);
    assert_eq!(store_format(&dir), 3);

    let log = open(&dir);
    let report = sweep_all(&log, Duration::ZERO, hour, Duration::ZERO);
    assert_eq!(report.forgotten.messages, 1);
    let backup = folder("retention-format-backup");
    log.backup_to(&backup).unwrap();
    log.close();
    drop(log);
    assert_eq!(store_format(&dir), 4, "its log holds forgotten records now");
    assert_eq!(store_format(&backup), 4, "and so does its backup's");
    // This version opens it again, and what is left reads as before.
    let log = open(&dir);
    assert!(log.read_stream(&letter).unwrap().is_empty());
    log.close();
}
