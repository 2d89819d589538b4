//! The retention sweep in the daemon: every so often, the decided messages whose retention
//! period is over lose their personal data for good (see `adapters/src/event_log/retention.rs`).

use std::sync::Arc;
use std::time::Duration;

use tokio_util::sync::CancellationToken;

use super::state::Shared;
use crate::config::RetentionSettings;
use crate::telemetry::{RetentionSweepFailed, RetentionSwept};

/// How often the sweep runs: a quarter of the shortest period, between 1 s and 15 minutes.
pub fn interval(settings: &RetentionSettings) -> Duration {
    (settings.keep_processed.min(settings.keep_other) / 4)
        .clamp(Duration::from_secs(1), Duration::from_secs(15 * 60))
}

/// Sweeps until stopped; each sweep is reported ([`RetentionSwept`], [`RetentionSweepFailed`]).
pub async fn keep_sweeping(shared: Arc<Shared>, stop: CancellationToken) -> anyhow::Result<()> {
    let settings = shared.settings.retention;
    let every = interval(&settings);
    loop {
        let swept = Arc::clone(&shared.log);
        let result = tokio::task::spawn_blocking(move || {
            swept.sweep_retention(settings.rules(), now_ms(), false)
        })
        .await;
        match result {
            Ok(Ok(report)) => RetentionSwept {
                report: &report,
                at_seconds: now_ms() / 1000,
            }
            .report(&shared.metrics),
            Ok(Err(error)) => RetentionSweepFailed {
                error: &error.to_string(),
            }
            .report(&shared.metrics),
            Err(error) => RetentionSweepFailed {
                error: &format!("the sweep stopped: {error}"),
            }
            .report(&shared.metrics),
        }
        tokio::select! {
            () = tokio::time::sleep(every) => {}
            () = stop.cancelled() => return Ok(()),
        }
    }
}

/// Now, in milliseconds since 1970-01-01 UTC.
pub fn now_ms() -> i64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| i64::try_from(d.as_millis()).unwrap_or(i64::MAX))
}
