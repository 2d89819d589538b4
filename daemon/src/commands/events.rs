//! `ketenpost events`: the log as JSON lines.

use std::io::Write;

use anyhow::Context;
use ketenpost_domain::events::{RecordedEvent, StreamId};
use ketenpost_domain::ports::EventLog;
use serde_json::json;

use super::Outcome;
use crate::cli::DataArgs;
use crate::store;

/// Prints every event from `from` (of one stream when given) as one JSON object per line.
///
/// # Errors
/// The data folder cannot be used or the log is damaged.
pub fn run(stream: Option<&str>, from: u64, data: &DataArgs) -> anyhow::Result<Outcome> {
    let log = store::open(data)?;
    let stdout = std::io::stdout();
    let mut out = std::io::BufWriter::new(stdout.lock());
    if let Some(stream) = stream {
        let id =
            StreamId::parse(stream).with_context(|| format!("{stream:?} is not a stream id"))?;
        for event in log.read_stream(&id)?.iter().filter(|e| e.position >= from) {
            writeln!(out, "{}", line(event))?;
        }
    } else {
        let mut position = from;
        loop {
            let events = log.read_all(position, 4096)?;
            let Some(last) = events.last() else { break };
            position = last.position + 1;
            for event in &events {
                writeln!(out, "{}", line(event))?;
            }
        }
    }
    out.flush()?;
    Ok(Outcome::Understood)
}

/// One event as JSON: position, ids, version, type, time and a summary without personal data.
pub fn line(event: &RecordedEvent) -> serde_json::Value {
    json!({
        "position": event.position,
        "event_id": event.id.to_string(),
        "stream": event.stream.as_str(),
        "version": event.version,
        "type": event.event.type_name(),
        "schema": event.schema_version,
        "recorded_at": store::rfc3339(event.recorded_at_ms),
        "code_version": event.code_version,
        "summary": event.event.summary(),
    })
}
