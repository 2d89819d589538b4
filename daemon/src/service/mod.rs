//! `ketenpost run`: the always-on daemon. It opens the event log, takes up the work an earlier
//! run left (receipts not processed, messages awaiting delivery or a retry, resends), pulls the
//! mailboxes, works on messages, keeps the projections current and serves the API, until
//! SIGTERM or ctrl-c; then it stops pulling, lets the work in hand finish and exits.

pub mod api;
mod background;
mod backup;
mod dispatch;
pub mod logging;
mod mailboxes;
pub mod metrics;
mod observed;
mod reading;
pub mod record_health;
mod retention;
pub use retention::now_ms as retention_now_ms;
mod seen;
pub mod serve;
pub mod state;
mod worker;

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::time::Duration;

use anyhow::Context;
use ketenpost_adapters::event_log::{LogOptions, SledEventLog};
use ketenpost_domain::ports::EventLog;
use ketenpost_domain::projections::State;
use tokio::sync::watch;

use crate::config::Settings;
use crate::intake;
use state::Shared;

/// A running daemon, for tests and `run`: its API address and a way to stop it.
pub struct Running {
    /// Where the API listens (the configured address, or the port the OS chose for `:0`).
    pub api_address: std::net::SocketAddr,
    stop: Arc<watch::Sender<bool>>,
    done: tokio::task::JoinHandle<anyhow::Result<()>>,
}

impl Running {
    /// Resolves once the daemon stops of its own accord (the event log failed, or taking up
    /// earlier work failed); [`Self::stop`] then gives the reason.
    pub async fn stopping(&self) {
        let mut stopped = self.stop.subscribe();
        let _ = stopped.wait_for(|stop| *stop).await;
    }

    /// Stops pulling, lets the work in hand finish, closes the log.
    ///
    /// # Errors
    /// A task failed.
    pub async fn stop(self) -> anyhow::Result<()> {
        let _ = self.stop.send(true);
        self.done.await.context("The daemon's task failed")?
    }
}

/// Starts the daemon in the current tokio runtime.
///
/// # Errors
/// The data folder, the record systems' certificates or the API address cannot be used.
pub async fn start(settings: Settings) -> anyhow::Result<Running> {
    for warning in &settings.warnings {
        tracing::warn!(%warning, "configuration");
    }
    let mut options = LogOptions::new(&settings.data_dir);
    options.key_file.clone_from(&settings.key_file);
    // Verifying the log at open reads every chunk; the daemon keeps the index it builds.
    options.index_at_open = true;
    let log = tokio::task::spawn_blocking(move || SledEventLog::open(&options))
        .await
        .context("Opening the data folder failed")?
        .with_context(|| {
            format!(
                "Failed to open the data folder {}",
                settings.data_dir.display()
            )
        })?;
    let log = Arc::new(log);
    let log_of_daemon = Arc::clone(&log);
    let shared = Arc::new(Shared::new(Arc::clone(&log), settings)?);
    let listener = serve::listen(shared.settings.api.listen).with_context(|| {
        format!(
            "api.listen: cannot listen on {}",
            shared.settings.api.listen
        )
    })?;
    let api_address = listener.local_addr().context("api.listen")?;
    let (stop_tx, stop_rx) = watch::channel(false);
    let stop_tx = Arc::new(stop_tx);
    tokio::spawn(stop_when_the_log_fails(
        Arc::clone(&log),
        Arc::clone(&stop_tx),
        stop_rx.clone(),
    ));
    let (queue, incoming) = dispatch::queue();
    let ready = Arc::new(AtomicBool::new(false));
    let router = api::router(api::Api {
        shared: Arc::clone(&shared),
        queue: queue.clone(),
        ready: Arc::clone(&ready),
    });
    let server = tokio::spawn(serve::serve_with_limits(
        "API",
        listener,
        router,
        shared.settings.api.limits,
        stop_rx.clone(),
    ));
    tracing::info!(address = %api_address, "API listening");

    let stop_all = Arc::clone(&stop_tx);
    let body = async move {
        let projector = tokio::spawn(keep_projections_current(Arc::clone(&log), stop_rx.clone()));
        let sweeper = tokio::spawn(retention::keep_sweeping(
            Arc::clone(&log),
            shared.settings.retention,
            stop_rx.clone(),
        ));
        let seen = Arc::new(
            shared
                .on_log(|log| {
                    intake::resume(log)?;
                    Ok(seen::Seen::load(log)?)
                })
                .await
                .context("Failed to take up earlier work")?,
        );
        let dispatcher = tokio::spawn(dispatch::run(
            Arc::clone(&shared),
            queue.clone(),
            incoming,
            stop_rx.clone(),
        ));
        let pending = shared
            .on_log(|log| {
                let mut pending = Vec::new();
                for state in [State::InFlight, State::AwaitingDelivery] {
                    let mut cursor = None;
                    loop {
                        let page = log.list(state, cursor.as_deref(), 1000)?;
                        pending.extend(page.messages.into_iter().map(|m| m.stream));
                        match page.next_cursor {
                            Some(next) => cursor = Some(next),
                            None => break,
                        }
                    }
                }
                Ok(pending)
            })
            .await?;
        tracing::info!(
            messages = pending.len(),
            "taking up messages left in flight"
        );
        for message in pending {
            queue.push(message);
        }
        let pullers: Vec<_> = shared
            .settings
            .mailboxes
            .iter()
            .map(|mailbox| {
                tokio::spawn(mailboxes::run(
                    Arc::clone(&shared),
                    Arc::clone(&seen),
                    queue.clone(),
                    mailbox.clone(),
                    stop_rx.clone(),
                ))
            })
            .collect();
        ready.store(true, Ordering::Release);
        tracing::info!("ready");
        for puller in pullers {
            let _ = puller.await;
        }
        let _ = dispatcher.await;
        let _ = projector.await;
        let _ = sweeper.await;
        let _ = server.await;
        shared
            .on_log(|log| {
                log.catch_up()?;
                log.close();
                Ok(())
            })
            .await?;
        tracing::info!("stopped");
        Ok(())
    };
    let done = tokio::spawn(async move {
        let outcome = body.await;
        // Whatever ended it ends the rest (the API, the pullers) too.
        let _ = stop_all.send(true);
        match failure_of(&log_of_daemon) {
            Some(failure) => Err(failure),
            None => outcome,
        }
    });
    Ok(Running {
        api_address,
        stop: stop_tx,
        done,
    })
}

/// Stops the daemon when the event log fails (a full disk, a failing device): sled keeps
/// returning its first IO error until the folder is opened again, so the daemon exits
/// non-zero for its supervisor to restart it, instead of retrieving what it cannot record.
async fn stop_when_the_log_fails(
    log: Arc<SledEventLog>,
    stop: Arc<watch::Sender<bool>>,
    mut stopped: watch::Receiver<bool>,
) {
    let mut failures = log.watch_failure();
    drop(log);
    tokio::select! {
        failed = failures.wait_for(Option::is_some) => {
            if let Ok(failure) = failed {
                tracing::error!(
                    failure = failure.as_deref().unwrap_or_default(),
                    "the event log failed: stopping, to be restarted"
                );
                let _ = stop.send(true);
            }
        }
        _ = stopped.wait_for(|stop| *stop) => {}
    }
}

/// The daemon's exit error when its event log failed.
fn failure_of(log: &SledEventLog) -> Option<anyhow::Error> {
    log.failure().map(|failure| {
        anyhow::anyhow!(
            "the event log failed: {failure}; ketenpost stopped (the messages it could not \
             record stay in their mailboxes) and takes them in once restarted with the cause fixed"
        )
    })
}

/// How long the projector lets new events gather before it applies them.
const PROJECTION_GATHER: Duration = Duration::from_millis(25);

/// Applies new events to the projections as they arrive.
async fn keep_projections_current(log: Arc<SledEventLog>, stop: watch::Receiver<bool>) {
    loop {
        if *stop.borrow() {
            return;
        }
        let log = Arc::clone(&log);
        let result = tokio::task::spawn_blocking(move || {
            let at = log.checkpoint()?;
            if log.wait_for(at, Duration::from_millis(200)) {
                // Let a few commits gather: one projection batch for many is much cheaper.
                std::thread::sleep(PROJECTION_GATHER);
            }
            log.catch_up()
        })
        .await;
        if let Ok(Err(error)) = result {
            tracing::error!(%error, "the projections could not be brought up to date");
            tokio::time::sleep(Duration::from_secs(1)).await;
        }
    }
}

/// `ketenpost run`: starts the daemon and runs it until SIGTERM or ctrl-c.
///
/// # Errors
/// It could not start, or a task failed.
pub fn run(settings: Settings) -> anyhow::Result<()> {
    logging::init(settings.log_format);
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .context("Failed to start the async runtime")?;
    runtime.block_on(async move {
        let running = start(settings).await?;
        eprintln!("ketenpost: API at http://{}", running.api_address);
        tokio::select! {
            () = wait_for_signal() => tracing::info!("stopping: finishing the work in hand"),
            () = running.stopping() => {}
        }
        running.stop().await
    })
}

async fn wait_for_signal() {
    let ctrl_c = tokio::signal::ctrl_c();
    #[cfg(unix)]
    {
        let mut term =
            match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
                Ok(term) => term,
                Err(_) => {
                    let _ = ctrl_c.await;
                    return;
                }
            };
        tokio::select! {
            _ = ctrl_c => {}
            _ = term.recv() => {}
        }
    }
    #[cfg(not(unix))]
    {
        let _ = ctrl_c.await;
    }
}
