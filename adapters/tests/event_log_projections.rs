//! The sled event log's projections: counts, lists newest first and pages that rebuild to the
//! same state.

#![allow(clippy::panic, clippy::unwrap_used, clippy::expect_used)]

mod log_support;

use ketenpost_domain::category::{Category, Reason};
use ketenpost_domain::events::{
    Event, MessageClassified, MessageParsed, MessageReceived, NewEvent, StreamId, StreamKind,
};
use ketenpost_domain::payload::Format;
use ketenpost_domain::ports::{EventLog, ExpectedVersion, StreamAppend};
use ketenpost_domain::projections::State;

use log_support::{append, folder, id, message_stream, open, resend};

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
    Event::MessageClassified(MessageClassified {
        category,
        reason,
        config_version: None,
    })
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
            _ => classified(
                Category::Fallout,
                Reason::Malformed {
                    detail: "x".into(),
                    error: None,
                },
            ),
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
fn a_receipt_leaves_the_unprocessed_once_its_messages_are_recorded() {
    let dir = folder("unprocessed-then-processed");
    let log = open(&dir);
    let (early, late, at_once) = (
        StreamId::new(StreamKind::Receipt, id()),
        StreamId::new(StreamKind::Receipt, id()),
        StreamId::new(StreamKind::Receipt, id()),
    );
    log.append(vec![received(&early), received(&late)]).unwrap();
    log.catch_up().unwrap();
    let streams = |log: &ketenpost_adapters::event_log::DiskEventLog| {
        let mut open: Vec<StreamId> = log
            .unprocessed_receipts()
            .unwrap()
            .into_iter()
            .map(|r| r.stream)
            .collect();
        open.sort_by(|a, b| a.as_str().cmp(b.as_str()));
        open
    };
    let mut both = vec![early.clone(), late.clone()];
    both.sort_by(|a, b| a.as_str().cmp(b.as_str()));
    assert_eq!(streams(&log), both);

    // One processed in a later window, one received and processed within the same window.
    log.append(vec![parsed(
        &early,
        &message_stream(),
        Event::AwaitingDelivery,
    )])
    .unwrap();
    log.append(vec![received(&at_once)]).unwrap();
    log.append(vec![parsed(
        &at_once,
        &message_stream(),
        Event::AwaitingDelivery,
    )])
    .unwrap();
    log.catch_up().unwrap();
    assert_eq!(streams(&log), vec![late.clone()]);

    // Reopened, and rebuilt from the log: the same.
    drop(log);
    let log = open(&dir);
    assert_eq!(streams(&log), vec![late.clone()]);
    let incremental = log.projection_dump().unwrap();
    log.replay().unwrap();
    assert_eq!(log.projection_dump().unwrap(), incremental);
    assert_eq!(streams(&log), vec![late]);
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
