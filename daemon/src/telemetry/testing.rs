//! For the telemetry's unit tests: what an occurrence logged (as JSON lines, the way the daemon
//! writes them with `log_format = "json"`) and what the metrics then say.

#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::sync::{Arc, Mutex};

use tracing_subscriber::EnvFilter;

use super::metrics::Metrics;

/// A log sink for tests: every byte a subscriber writes, kept.
#[derive(Clone, Default)]
pub struct Lines(pub Arc<Mutex<Vec<u8>>>);

impl std::io::Write for Lines {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        self.0.lock().unwrap().extend_from_slice(buf);
        Ok(buf.len())
    }
    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

/// Runs `emit` with fresh metrics and a JSON subscriber at `debug`; the lines it logged and
/// the metrics' text exposition.
pub fn observe(emit: impl FnOnce(&Metrics)) -> (Vec<serde_json::Value>, String) {
    let metrics = Metrics::registered(&[], &[]);
    let lines = Lines::default();
    let sink = lines.clone();
    let subscriber = tracing_subscriber::fmt()
        .with_env_filter(EnvFilter::new("debug"))
        .with_writer(move || sink.clone())
        .with_ansi(false)
        .json()
        .flatten_event(true)
        .finish();
    tracing::subscriber::with_default(subscriber, || emit(&metrics));
    let bytes = lines.0.lock().unwrap().clone();
    let parsed = String::from_utf8(bytes)
        .unwrap()
        .lines()
        .map(|line| serde_json::from_str(line).unwrap())
        .collect();
    (parsed, metrics.render(&[]))
}
