//! The retention sweep in the daemon: every so often, the decided messages whose retention
//! period is over lose their personal data for good (see `adapters/src/event_log/retention.rs`).

use std::sync::Arc;
use std::time::Duration;

use ketenpost_adapters::event_log::DiskEventLog;
use tokio_util::sync::CancellationToken;

use crate::config::RetentionSettings;

/// How often the sweep runs: a quarter of the shortest period, between 1 s and 15 minutes.
pub fn interval(settings: &RetentionSettings) -> Duration {
    (settings.keep_processed.min(settings.keep_other) / 4)
        .clamp(Duration::from_secs(1), Duration::from_secs(15 * 60))
}

/// Sweeps until stopped.
pub async fn keep_sweeping(
    log: Arc<DiskEventLog>,
    settings: RetentionSettings,
    stop: CancellationToken,
) -> anyhow::Result<()> {
    let every = interval(&settings);
    loop {
        let swept = Arc::clone(&log);
        let result = tokio::task::spawn_blocking(move || {
            swept.sweep_retention(settings.rules(), now_ms(), false)
        })
        .await;
        match result {
            Ok(Ok(report)) => {
                if report.expired > 0 || report.payloads_deleted > 0 {
                    tracing::info!(
                        messages = report.expired,
                        payloads = report.payloads_deleted,
                        "retention: personal data of messages past their retention period removed"
                    );
                }
                if report.forgotten.messages > 0 {
                    tracing::info!(
                        messages = report.forgotten.messages,
                        receipts = report.forgotten.receipts,
                        "retention: history of messages past keep_history forgotten"
                    );
                }
                report_access_log(&report);
            }
            Ok(Err(error)) => tracing::error!(%error, "retention: the sweep failed"),
            Err(error) => tracing::error!(%error, "retention: the sweep stopped"),
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

/// The access-log periods whose keys a sweep destroyed, when there were any.
fn report_access_log(report: &ketenpost_adapters::event_log::SweepReport) {
    if report.access_periods_forgotten > 0 {
        tracing::info!(
            periods = report.access_periods_forgotten,
            "retention: client data of access log entries past keep_access_log made unreadable"
        );
    }
}
