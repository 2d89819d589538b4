//! The sled event log as its users rely on it: gapless positions that survive a reopen,
//! optimistic concurrency, retried appends written once, atomic multi-stream appends, live
//! subscriptions, encrypted payloads, and projections that rebuild to the same state.

#![allow(clippy::panic, clippy::unwrap_used, clippy::expect_used)]

use std::path::PathBuf;
use std::time::Duration;

use ketenpost_adapters::event_log::{LogOptions, SledEventLog};
use ketenpost_domain::category::{Category, Reason};
use ketenpost_domain::events::{
    Event, EventId, MessageClassified, MessageParsed, MessageReceived, NewEvent, ResendRequested,
    StreamId, StreamKind,
};
use ketenpost_domain::payload::Format;
use ketenpost_domain::ports::{AppendError, EventLog, ExpectedVersion, PayloadStore, StreamAppend};
use ketenpost_domain::projections::State;

fn folder(name: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("ketenpost-log-{name}-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    dir
}

fn open(dir: &std::path::Path) -> SledEventLog {
    SledEventLog::open(&LogOptions::new(dir)).unwrap()
}

static NEXT_ID: std::sync::atomic::AtomicU64 = std::sync::atomic::AtomicU64::new(1);

fn id() -> EventId {
    EventId(
        u128::from(NEXT_ID.fetch_add(1, std::sync::atomic::Ordering::Relaxed))
            + (u128::from(std::process::id()) << 64),
    )
}

fn resend() -> NewEvent {
    NewEvent {
        id: id(),
        event: Event::ResendRequested(ResendRequested {
            requested_by: "test".into(),
        }),
    }
}

fn append(stream: &StreamId, expected: ExpectedVersion, events: Vec<NewEvent>) -> StreamAppend {
    StreamAppend {
        stream: stream.clone(),
        expected,
        events,
    }
}

fn message_stream() -> StreamId {
    StreamId::new(StreamKind::Message, id())
}

#[test]
fn positions_are_gapless_and_survive_a_reopen() {
    let dir = folder("gapless");
    let stream = message_stream();
    {
        let log = open(&dir);
        log.append(vec![append(
            &stream,
            ExpectedVersion::NoStream,
            vec![resend(), resend()],
        )])
        .unwrap();
        log.append(vec![append(
            &stream,
            ExpectedVersion::Exactly(1),
            vec![resend()],
        )])
        .unwrap();
    }
    let log = open(&dir);
    assert_eq!(log.next_position(), 3);
    log.append(vec![append(
        &message_stream(),
        ExpectedVersion::Any,
        vec![resend()],
    )])
    .unwrap();
    let positions: Vec<u64> = log
        .read_all(0, 100)
        .unwrap()
        .iter()
        .map(|e| e.position)
        .collect();
    assert_eq!(positions, [0, 1, 2, 3]);
    let versions: Vec<u64> = log
        .read_stream(&stream)
        .unwrap()
        .iter()
        .map(|e| e.version)
        .collect();
    assert_eq!(versions, [0, 1, 2]);
}

#[test]
fn a_wrong_expected_version_writes_nothing() {
    let dir = folder("version");
    let log = open(&dir);
    let stream = message_stream();
    log.append(vec![append(
        &stream,
        ExpectedVersion::NoStream,
        vec![resend()],
    )])
    .unwrap();
    let error = log
        .append(vec![append(
            &stream,
            ExpectedVersion::NoStream,
            vec![resend()],
        )])
        .unwrap_err();
    assert!(
        matches!(
            error,
            AppendError::WrongExpectedVersion {
                actual: Some(0),
                ..
            }
        ),
        "{error}"
    );
    let error = log
        .append(vec![append(
            &stream,
            ExpectedVersion::Exactly(5),
            vec![resend()],
        )])
        .unwrap_err();
    assert!(error.to_string().contains("at version Some(0)"), "{error}");
    assert_eq!(log.next_position(), 1);
}

#[test]
fn a_multi_stream_append_is_all_or_nothing() {
    let dir = folder("atomic");
    let log = open(&dir);
    let (a, b) = (message_stream(), message_stream());
    log.append(vec![append(&b, ExpectedVersion::NoStream, vec![resend()])])
        .unwrap();
    let result = log.append(vec![
        append(&a, ExpectedVersion::NoStream, vec![resend()]),
        append(&b, ExpectedVersion::NoStream, vec![resend()]),
    ]);
    assert!(result.is_err());
    assert!(log.read_stream(&a).unwrap().is_empty());
    assert_eq!(log.next_position(), 1);
}

#[test]
fn a_retried_append_with_the_same_ids_is_written_once() {
    let dir = folder("dupes");
    let log = open(&dir);
    let stream = message_stream();
    let events = vec![resend(), resend()];
    let first = log
        .append(vec![append(
            &stream,
            ExpectedVersion::NoStream,
            events.clone(),
        )])
        .unwrap();
    let again = log
        .append(vec![append(&stream, ExpectedVersion::NoStream, events)])
        .unwrap();
    assert_eq!((first.written, again.written), (2, 0));
    assert_eq!(log.read_all(0, 10).unwrap().len(), 2);
}

#[test]
fn concurrent_writers_get_distinct_gapless_positions() {
    let dir = folder("concurrent");
    let log = std::sync::Arc::new(open(&dir));
    let threads: Vec<_> = (0..8)
        .map(|_| {
            let log = std::sync::Arc::clone(&log);
            std::thread::spawn(move || {
                let stream = message_stream();
                for version in 0..25u64 {
                    let expected = if version == 0 {
                        ExpectedVersion::NoStream
                    } else {
                        ExpectedVersion::Exactly(version - 1)
                    };
                    log.append(vec![append(&stream, expected, vec![resend()])])
                        .unwrap();
                }
            })
        })
        .collect();
    for thread in threads {
        thread.join().unwrap();
    }
    let positions: Vec<u64> = log
        .read_all(0, 1000)
        .unwrap()
        .iter()
        .map(|e| e.position)
        .collect();
    assert_eq!(positions, (0..200).collect::<Vec<_>>());
}

#[test]
fn async_appends_from_many_tasks_are_gapless_and_checked_like_blocking_ones() {
    let dir = folder("async");
    let log = std::sync::Arc::new(open(&dir));
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .build()
        .unwrap();
    let streams: Vec<StreamId> = (0..16).map(|_| message_stream()).collect();
    runtime.block_on(async {
        let tasks: Vec<_> = streams
            .iter()
            .cloned()
            .map(|stream| {
                let log = std::sync::Arc::clone(&log);
                tokio::spawn(async move {
                    for version in 0..10u64 {
                        let expected = if version == 0 {
                            ExpectedVersion::NoStream
                        } else {
                            ExpectedVersion::Exactly(version - 1)
                        };
                        let appended = log
                            .append_async(vec![append(&stream, expected, vec![resend()])])
                            .await
                            .unwrap();
                        assert_eq!(appended.written, 1);
                    }
                    // A stale expected version is refused here too, and writes nothing.
                    let stale = log
                        .append_async(vec![append(
                            &stream,
                            ExpectedVersion::Exactly(3),
                            vec![resend()],
                        )])
                        .await
                        .unwrap_err();
                    assert!(
                        matches!(
                            stale,
                            AppendError::WrongExpectedVersion {
                                actual: Some(9),
                                ..
                            }
                        ),
                        "{stale}"
                    );
                })
            })
            .collect();
        // A blocking writer alongside, as the command line and the mailboxes use it.
        let blocking = std::sync::Arc::clone(&log);
        let other = message_stream();
        let thread = std::thread::spawn(move || {
            blocking
                .append(vec![append(
                    &other,
                    ExpectedVersion::NoStream,
                    vec![resend()],
                )])
                .unwrap();
        });
        for task in tasks {
            task.await.unwrap();
        }
        thread.join().unwrap();
    });
    let events = log.read_all(0, 1000).unwrap();
    let positions: Vec<u64> = events.iter().map(|e| e.position).collect();
    assert_eq!(positions, (0..161).collect::<Vec<_>>());
    for stream in &streams {
        let versions: Vec<u64> = log
            .read_stream(stream)
            .unwrap()
            .iter()
            .map(|e| e.version)
            .collect();
        assert_eq!(versions, (0..10).collect::<Vec<_>>());
    }
}

#[test]
fn a_subscription_catches_up_then_follows_live() {
    let dir = folder("subscribe");
    let log = std::sync::Arc::new(open(&dir));
    let stream = message_stream();
    log.append(vec![append(
        &stream,
        ExpectedVersion::Any,
        vec![resend(), resend()],
    )])
    .unwrap();
    let mut subscription = log.subscribe(0);
    assert_eq!(
        subscription
            .next_batch(100, Duration::from_millis(10))
            .unwrap()
            .len(),
        2
    );
    assert!(subscription
        .next_batch(100, Duration::from_millis(10))
        .unwrap()
        .is_empty());
    let writer = {
        let log = std::sync::Arc::clone(&log);
        std::thread::spawn(move || {
            std::thread::sleep(Duration::from_millis(50));
            log.append(vec![append(&stream, ExpectedVersion::Any, vec![resend()])])
                .unwrap();
        })
    };
    let live = subscription
        .next_batch(100, Duration::from_secs(10))
        .unwrap();
    writer.join().unwrap();
    assert_eq!(live.iter().map(|e| e.position).collect::<Vec<_>>(), [2]);
}

#[test]
fn payloads_are_stored_once_encrypted_and_need_their_key() {
    let dir = folder("payloads");
    let secret = b"UNH+1+MEDVRI:1'PID+1980:10:25+V+Geheimenaam++BSN999990019'TXT+vertrouwelijke tekst'UNT+4+1'";
    let digest = {
        let log = open(&dir);
        let digest = log.payloads().put(secret).unwrap();
        assert_eq!(log.payloads().put(secret).unwrap(), digest);
        assert_eq!(
            log.payloads().get(&digest).unwrap().as_deref(),
            Some(&secret[..])
        );
        log.append(vec![append(
            &message_stream(),
            ExpectedVersion::Any,
            vec![resend()],
        )])
        .unwrap();
        digest
    };
    let mut on_disk = Vec::new();
    for entry in walk(&dir.join("log")) {
        on_disk.extend(std::fs::read(entry).unwrap());
    }
    for needle in [&b"Geheimenaam"[..], b"999990019", b"vertrouwelijke"] {
        assert!(
            !on_disk.windows(needle.len()).any(|w| w == needle),
            "{} is readable at rest",
            String::from_utf8_lossy(needle)
        );
    }
    let other_key = dir.join("other.key");
    let log = SledEventLog::open(&LogOptions {
        key_file: other_key,
        ..LogOptions::new(&dir)
    })
    .unwrap();
    let error = log.payloads().get(&digest).unwrap_err();
    assert!(
        error.to_string().contains("does not decrypt with this key"),
        "{error}"
    );
}

fn walk(dir: &std::path::Path) -> Vec<PathBuf> {
    let mut files = Vec::new();
    for entry in std::fs::read_dir(dir).unwrap() {
        let path = entry.unwrap().path();
        if path.is_dir() {
            files.extend(walk(&path));
        } else {
            files.push(path);
        }
    }
    files
}

fn received(receipt: &StreamId) -> StreamAppend {
    let event = Event::MessageReceived(MessageReceived {
        mailbox: "manual".into(),
        remote_id: format!("{receipt}.edi"),
        payload_digest: "00".repeat(32),
        size: 10,
        format: Format::Edifact,
        envelope: None,
    });
    append(
        receipt,
        ExpectedVersion::NoStream,
        vec![NewEvent { id: id(), event }],
    )
}

fn parsed(receipt: &StreamId, stream: &StreamId, next: Event) -> StreamAppend {
    let event = Event::MessageParsed(MessageParsed {
        receipt: receipt.clone(),
        payload_digest: "00".repeat(32),
        number: 1,
        format: Format::Edifact,
        identifier: Some("MEDVRI:1".into()),
        interchange_ref: Some("IC".into()),
        message_ref: Some("1".into()),
        sender_id: Some("500012345".into()),
        warnings: 0,
        error: None,
    });
    append(
        stream,
        ExpectedVersion::NoStream,
        vec![
            NewEvent { id: id(), event },
            NewEvent {
                id: id(),
                event: next,
            },
        ],
    )
}

fn classified(category: Category, reason: Reason) -> Event {
    Event::MessageClassified(MessageClassified { category, reason })
}

#[test]
fn projections_count_list_newest_first_page_and_rebuild_to_the_same_state() {
    let dir = folder("projections");
    let log = open(&dir);
    let mut missing = Vec::new();
    for i in 0..7 {
        let receipt = StreamId::new(StreamKind::Receipt, id());
        let stream = message_stream();
        let next = match i % 3 {
            0 => classified(Category::MissingBsn, Reason::NoBsn),
            1 => Event::AwaitingDelivery,
            _ => classified(Category::Fallout, Reason::Malformed { detail: "x".into() }),
        };
        if i % 3 == 0 {
            missing.push(stream.clone());
        }
        log.append(vec![received(&receipt)]).unwrap();
        log.append(vec![parsed(&receipt, &stream, next)]).unwrap();
        log.catch_up().unwrap();
    }
    let resent = missing[0].clone();
    log.append(vec![append(
        &resent,
        ExpectedVersion::Exactly(1),
        vec![resend()],
    )])
    .unwrap();
    log.catch_up().unwrap();

    let counts: std::collections::HashMap<State, i64> = log.counts().unwrap().into_iter().collect();
    assert_eq!(counts[&State::Category(Category::MissingBsn)], 2);
    assert_eq!(counts[&State::InFlight], 1);
    assert_eq!(counts[&State::AwaitingDelivery], 2);
    assert_eq!(counts[&State::Category(Category::Fallout)], 2);

    let first = log
        .list(State::Category(Category::MissingBsn), None, 1)
        .unwrap();
    assert_eq!(first.messages[0].stream, missing[2], "newest first");
    let second = log
        .list(
            State::Category(Category::MissingBsn),
            first.next_cursor.as_deref(),
            1,
        )
        .unwrap();
    assert_eq!(second.messages[0].stream, missing[1]);
    assert_eq!(second.next_cursor, None);
    let summary = log.message(&resent).unwrap().unwrap();
    assert_eq!(
        (summary.state, summary.resends, summary.mailbox.as_str()),
        (State::InFlight, 1, "manual")
    );

    let incremental = log.projection_dump().unwrap();
    assert_eq!(log.replay().unwrap(), 22);
    assert_eq!(log.projection_dump().unwrap(), incremental);
    assert!(log.unprocessed_receipts().unwrap().is_empty());
}

#[test]
fn a_receipt_without_messages_is_reported_as_unprocessed() {
    let dir = folder("unprocessed");
    let log = open(&dir);
    let receipt = StreamId::new(StreamKind::Receipt, id());
    log.append(vec![received(&receipt)]).unwrap();
    log.catch_up().unwrap();
    let open_receipts = log.unprocessed_receipts().unwrap();
    assert_eq!(open_receipts.len(), 1);
    assert_eq!(open_receipts[0].stream, receipt);
}

#[test]
fn a_store_in_the_old_format_is_refused_clearly() {
    let dir = folder("old-format");
    {
        let db = sled::open(dir.join("log")).unwrap();
        db.open_tree("event_ids").unwrap();
        db.open_tree("log")
            .unwrap()
            .insert(0u64.to_be_bytes(), &b"{}"[..])
            .unwrap();
        db.flush().unwrap();
    }
    let error = SledEventLog::open(&LogOptions::new(&dir))
        .err()
        .expect("an old store must be refused")
        .to_string();
    assert!(
        error.contains("log format 1, this version reads format 2"),
        "{error}"
    );
}

#[test]
fn long_lists_page_across_pages_and_rebuild_to_the_same_state() {
    let dir = folder("long-lists");
    let log = open(&dir);
    let receipt = StreamId::new(StreamKind::Receipt, id());
    log.append(vec![received(&receipt)]).unwrap();
    let mut streams = Vec::new();
    for round in 0..7 {
        let mut appends = Vec::new();
        for _ in 0..(10 + round * 13) {
            let stream = message_stream();
            appends.push(parsed(&receipt, &stream, Event::AwaitingDelivery));
            streams.push(stream);
        }
        log.append(appends).unwrap();
        // Some older messages move on: out of the middle of a list, into another.
        let movers: Vec<StreamAppend> = streams
            .iter()
            .skip(round * 3)
            .step_by(5)
            .take(6)
            .map(|s| {
                append(
                    s,
                    ExpectedVersion::Any,
                    vec![NewEvent {
                        id: id(),
                        event: classified(Category::MissingBsn, Reason::NoBsn),
                    }],
                )
            })
            .collect();
        log.append(movers).unwrap();
        log.catch_up().unwrap();
    }
    let counts: std::collections::HashMap<State, i64> = log.counts().unwrap().into_iter().collect();
    let total: i64 = counts.values().sum();
    assert_eq!(total, streams.len() as i64);
    let mut seen = Vec::new();
    let mut cursor = None;
    loop {
        let page = log
            .list(State::AwaitingDelivery, cursor.as_deref(), 7)
            .unwrap();
        seen.extend(page.messages.iter().map(|m| m.state_position));
        match page.next_cursor {
            Some(next) => cursor = Some(next),
            None => break,
        }
    }
    assert_eq!(seen.len() as i64, counts[&State::AwaitingDelivery]);
    assert!(
        seen.windows(2).all(|w| w[0] > w[1]),
        "newest first: {seen:?}"
    );
    assert_eq!(
        log.receipt(&receipt).unwrap().unwrap().messages as usize,
        streams.len()
    );
    let incremental = log.projection_dump().unwrap();
    log.replay().unwrap();
    assert_eq!(log.projection_dump().unwrap(), incremental);
}
