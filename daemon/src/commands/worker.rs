//! `ketenpost worker --config FILE`: a worker process for a daemon configured with `[amqp]`.

use std::path::Path;

use anyhow::Context;

use super::Outcome;
use crate::config;
use crate::service::shutdown::Signals;

/// Loads the configuration and works on the broker's work items until SIGTERM or ctrl-c; the
/// items in hand then finish within the drain timeout.
///
/// # Errors
/// The configuration has problems or no `[amqp]`, or the runtime cannot start.
pub fn run(config_file: &Path) -> anyhow::Result<Outcome> {
    let settings = config::load(Some(config_file))?;
    crate::telemetry::logging::init(settings.log_format);
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .context("Failed to start the async runtime")?;
    runtime.block_on(async move {
        let mut signals = Signals::listen().context("Failed to listen for SIGTERM and SIGINT")?;
        let stop = tokio_util::sync::CancellationToken::new();
        let on_signal = stop.clone();
        tokio::spawn(async move {
            signals.next().await;
            tracing::info!("stopping: finishing the work in hand");
            on_signal.cancel();
        });
        crate::service::amqp::worker::run(settings, stop).await
    })?;
    Ok(Outcome::Understood)
}
