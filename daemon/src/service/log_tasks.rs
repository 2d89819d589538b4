//! The daemon's tasks that keep watch over the event log: the projector that applies new
//! events to the projections as they arrive, and the watcher that stops the daemon when the log
//! fails (with the exit error it then gives).

use std::sync::Arc;
use std::time::Duration;

use anyhow::Context;
use ketenpost_adapters::event_log::DiskEventLog;
use ketenpost_domain::ports::EventLog;
use tokio_util::sync::CancellationToken;

use super::shutdown::Shutdown;

/// Stops the daemon when the event log fails (a full disk, a failing device): the store takes
/// no writes after a failed one until the folder is opened again, so the daemon exits
/// non-zero for its supervisor to restart it, instead of retrieving what it cannot record.
pub(super) async fn stop_when_the_log_fails(
    log: Arc<DiskEventLog>,
    shutdown: Shutdown,
) -> anyhow::Result<()> {
    let mut failures = log.watch_failure();
    drop(log);
    tokio::select! {
        failed = failures.wait_for(Option::is_some) => {
            if let Ok(failure) = failed {
                tracing::error!(
                    failure = failure.as_deref().unwrap_or_default(),
                    "the event log failed: stopping, to be restarted"
                );
                shutdown.stop();
            }
        }
        () = shutdown.stopping() => {}
    }
    Ok(())
}

/// The daemon's exit error when its event log failed; for damage its verification found, the
/// refusal an open of the folder gives (as every command gives it).
pub(super) fn failure_of(log: &DiskEventLog, data_dir: &std::path::Path) -> Option<anyhow::Error> {
    if let Some(refusal) = log.damage_found() {
        return Some(anyhow::anyhow!(refusal.to_owned()).context(format!(
            "Failed to open the data folder {}",
            data_dir.display()
        )));
    }
    log.failure().map(|failure| {
        anyhow::anyhow!(
            "the event log failed: {failure}; ketenpost stopped (the messages it could not \
             record stay in their mailboxes) and takes them in once restarted with the cause fixed"
        )
    })
}

/// How long the projector lets new events gather before it applies them.
const PROJECTION_GATHER: Duration = Duration::from_millis(25);

/// Applies new events to the projections as they arrive, until `stop`.
///
/// # Errors
/// Bringing the projections up to date panicked (a bug).
pub(super) async fn keep_projections_current(
    log: Arc<DiskEventLog>,
    stop: CancellationToken,
) -> anyhow::Result<()> {
    while !stop.is_cancelled() {
        let log = Arc::clone(&log);
        let result = tokio::task::spawn_blocking(move || {
            let at = log.checkpoint()?;
            if log.wait_for(at, Duration::from_millis(200)) {
                // Let a few commits gather: one projection batch for many is much cheaper.
                std::thread::sleep(PROJECTION_GATHER);
            }
            log.catch_up()
        })
        .await
        .context("bringing the projections up to date ended abnormally")?;
        if let Err(error) = result {
            tracing::error!(%error, "the projections could not be brought up to date");
            tokio::select! {
                () = tokio::time::sleep(Duration::from_secs(1)) => {}
                () = stop.cancelled() => {}
            }
        }
    }
    Ok(())
}
