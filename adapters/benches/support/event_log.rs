//! What the event log benchmark builds on: unique event ids, fresh folders, batches of small
//! events, their logical size, disk usage, peak memory and the table it prints.

use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;

use ketenpost_adapters::event_log::{DiskEventLog, LogOptions};
use ketenpost_domain::events::{
    encode_event, Event, EventId, MessageParsed, NewEvent, StreamId, StreamKind,
};
use ketenpost_domain::payload::Format;
use ketenpost_domain::ports::{ExpectedVersion, StreamAppend};

/// Ids unique in the process: (process id, counter).
static NEXT_ID: AtomicU64 = AtomicU64::new(1);

fn new_id() -> EventId {
    let n = NEXT_ID.fetch_add(1, Ordering::Relaxed);
    EventId((u128::from(std::process::id()) << 64) | u128::from(n))
}

/// A fresh folder for one measurement.
pub fn folder(name: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("ketenpost-bench-{}-{name}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    dir
}

pub fn open(dir: &Path) -> DiskEventLog {
    DiskEventLog::open(&LogOptions::new(dir)).unwrap()
}

fn parsed(receipt: &StreamId, number: u32) -> Event {
    Event::MessageParsed(MessageParsed {
        receipt: receipt.clone(),
        payload_digest: "9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08".into(),
        number,
        format: Format::Edifact,
        identifier: Some("MEDVRI".into()),
        interchange_ref: Some("IC1001".into()),
        message_ref: Some(format!("{number}")),
        sender_id: Some("500012345".into()),
        warnings: 0,
        error: None,
    })
}

/// One append of `events` small events: a new message stream gets `MessageParsed`, then
/// `AwaitingDelivery` (two events per message, as `import` writes them).
pub fn batch(events: usize) -> Vec<StreamAppend> {
    let receipt = StreamId::new(StreamKind::Receipt, EventId(1));
    let mut appends = Vec::with_capacity(events.div_ceil(2));
    let mut left = events;
    let mut number = 0;
    while left > 0 {
        number += 1;
        let mut new = vec![NewEvent {
            id: new_id(),
            event: parsed(&receipt, number),
        }];
        if left >= 2 {
            new.push(NewEvent {
                id: new_id(),
                event: Event::AwaitingDelivery,
            });
        }
        left -= new.len();
        appends.push(StreamAppend {
            stream: StreamId::new(StreamKind::Message, new_id()),
            expected: ExpectedVersion::Any,
            events: new,
        });
    }
    appends
}

pub fn percentile(sorted: &[Duration], p: f64) -> Duration {
    let index = ((sorted.len() as f64 - 1.0) * p).round() as usize;
    sorted[index]
}

/// The envelope as the codec stores it (JSON of the same fields, then a CRC-32): the logical
/// size of one event.
pub fn envelope_bytes(
    position: u64,
    id: EventId,
    stream: &StreamId,
    version: u64,
    event: &Event,
) -> usize {
    let (event_type, schema, data) = encode_event(event);
    let envelope = serde_json::json!({
        "format": 1,
        "position": position,
        "id": format!("{:032x}", id.0),
        "stream": stream.as_str(),
        "version": version,
        "type": event_type,
        "schema": schema,
        "recorded_at_ms": 1_700_000_000_000_i64,
        "code_version": env!("CARGO_PKG_VERSION"),
        "data": data,
    });
    serde_json::to_vec(&envelope).unwrap().len() + 4
}

/// Bytes of the files under `dir`: (apparent length, allocated blocks).
pub fn disk_usage(dir: &Path) -> (u64, u64) {
    use std::os::unix::fs::MetadataExt;
    let mut total = (0, 0);
    for entry in std::fs::read_dir(dir).unwrap() {
        let entry = entry.unwrap();
        let meta = entry.metadata().unwrap();
        if meta.is_dir() {
            let (len, blocks) = disk_usage(&entry.path());
            total = (total.0 + len, total.1 + blocks);
        } else {
            total = (total.0 + meta.len(), total.1 + meta.blocks() * 512);
        }
    }
    total
}

pub fn vm_hwm_kib() -> u64 {
    std::fs::read_to_string("/proc/self/status")
        .unwrap_or_default()
        .lines()
        .find_map(|l| l.strip_prefix("VmHWM:"))
        .and_then(|v| v.trim().trim_end_matches("kB").trim().parse().ok())
        .unwrap_or(0)
}

pub fn row(what: &str, value: String, target: &str) {
    println!("| {what:<52} | {value:>16} | {target:<14} |");
}
