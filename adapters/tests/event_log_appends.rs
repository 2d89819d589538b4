//! The sled event log as its writers rely on it: gapless positions that survive a reopen,
//! optimistic concurrency, retried appends written once, atomic multi-stream appends, and live
//! subscriptions.

#![allow(clippy::panic, clippy::unwrap_used, clippy::expect_used)]

mod log_support;

use std::time::Duration;

use ketenpost_domain::events::StreamId;
use ketenpost_domain::ports::{AppendError, EventLog, ExpectedVersion};

use log_support::{append, folder, message_stream, open, resend};

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
