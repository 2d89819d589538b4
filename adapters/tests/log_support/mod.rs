//! Shared by the event log tests: fresh folders, an opened log, unique event ids and appends.

#![allow(dead_code, clippy::panic, clippy::unwrap_used, clippy::expect_used)]

use std::path::PathBuf;

use ketenpost_adapters::event_log::{LogOptions, SledEventLog};
use ketenpost_domain::events::{Event, EventId, NewEvent, ResendRequested, StreamId, StreamKind};
use ketenpost_domain::ports::{ExpectedVersion, StreamAppend};

pub fn folder(name: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("ketenpost-log-{name}-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    dir
}

pub fn open(dir: &std::path::Path) -> SledEventLog {
    SledEventLog::open(&LogOptions::new(dir)).unwrap()
}

static NEXT_ID: std::sync::atomic::AtomicU64 = std::sync::atomic::AtomicU64::new(1);

pub fn id() -> EventId {
    EventId(
        u128::from(NEXT_ID.fetch_add(1, std::sync::atomic::Ordering::Relaxed))
            + (u128::from(std::process::id()) << 64),
    )
}

pub fn resend() -> NewEvent {
    NewEvent {
        id: id(),
        event: Event::ResendRequested(ResendRequested {
            requested_by: "test".into(),
        }),
    }
}

pub fn append(stream: &StreamId, expected: ExpectedVersion, events: Vec<NewEvent>) -> StreamAppend {
    StreamAppend {
        stream: stream.clone(),
        expected,
        events,
    }
}

pub fn message_stream() -> StreamId {
    StreamId::new(StreamKind::Message, id())
}
