//! Shared by the event log tests: fresh folders, an opened log, unique event ids and appends.

#![allow(dead_code, clippy::panic, clippy::unwrap_used, clippy::expect_used)]

use std::path::PathBuf;

use ketenpost_adapters::event_log::{DiskEventLog, LogOptions};
use ketenpost_domain::events::{Event, EventId, NewEvent, ResendRequested, StreamId, StreamKind};
use ketenpost_domain::ports::{ExpectedVersion, StreamAppend};

pub fn folder(name: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("ketenpost-log-{name}-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    dir
}

pub fn open(dir: &std::path::Path) -> DiskEventLog {
    DiskEventLog::open(&LogOptions::new(dir)).unwrap()
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

/// The store of a closed data folder, opened directly (to look into it or damage it).
pub fn store_of(dir: &std::path::Path) -> fjall::Database {
    fjall::Database::builder(dir.join("store")).open().unwrap()
}

/// The tree `name` of a store opened with [`store_of`].
pub fn tree(store: &fjall::Database, name: &str) -> fjall::Keyspace {
    store
        .keyspace(name, fjall::KeyspaceCreateOptions::default)
        .unwrap()
}

/// Flips a byte near the end of the value at `key` of `tree` and makes it durable.
pub fn flip_near_the_end(
    store: &fjall::Database,
    tree: &fjall::Keyspace,
    key: &[u8],
    value: &[u8],
) {
    let mut value = value.to_vec();
    let at = value.len() - 3;
    value[at] ^= 0x5A;
    tree.insert(key, value).unwrap();
    store.persist(fjall::PersistMode::SyncAll).unwrap();
}
