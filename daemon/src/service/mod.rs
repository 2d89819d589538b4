//! `ketenpost run`: the always-on daemon. It opens the event log, takes up the work an earlier
//! run left (receipts not processed, messages awaiting delivery or a retry, resends), pulls the
//! mailboxes, works on messages, keeps the projections current and serves the API, until
//! SIGTERM or ctrl-c; then it stops pulling, lets the work in hand finish within the drain
//! timeout (see [`shutdown`]), closes the log and exits.

pub mod amqp;
pub mod api;
mod api_access;
mod api_downloads;
mod background;
mod backup;
pub mod configuration;
mod dispatch;
mod log_tasks;
mod mailboxes;
mod notify;
mod observed;
mod portal;
mod reading;
pub mod record_health;
mod retention;
pub use retention::now_ms as retention_now_ms;
mod seen;
pub mod serve;
pub mod shutdown;
pub mod state;
mod user_socket;
pub mod wiring;
mod worker;

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;

use anyhow::Context;
use ketenpost_adapters::event_log::{DiskEventLog, LogOptions};
use ketenpost_domain::ports::PeriodKeys;
use ketenpost_domain::projections::State;

use crate::config::Settings;
use crate::intake;
use shutdown::{Shutdown, Signals};
use state::Shared;

/// A running daemon, for tests and `run`: its API address and a way to stop it.
pub struct Running {
    /// Where the API listens (the configured address, or the port the OS chose for `:0`).
    pub api_address: std::net::SocketAddr,
    /// Where the portal listens, when `[portal]` is configured.
    pub portal_address: Option<std::net::SocketAddr>,
    shutdown: Shutdown,
    done: tokio::task::JoinHandle<anyhow::Result<()>>,
}

impl Running {
    /// Resolves once the daemon stops of its own accord (the event log failed, a task
    /// failed, or taking up earlier work failed); [`Self::stop`] then gives the reason.
    pub async fn stopping(&self) {
        self.shutdown.stopping().await;
    }

    /// Leaves the work in hand at once, without waiting for the drain timeout (a second
    /// signal): it is recorded as far as it got and taken up at the next start.
    pub fn abandon_the_work_in_hand(&self) {
        self.shutdown.abandon();
    }

    /// A handle to the daemon's shutdown, to abandon the work in hand while [`Self::stop`]
    /// runs.
    pub fn shutdown(&self) -> Shutdown {
        self.shutdown.clone()
    }

    /// Stops pulling, lets the work in hand finish within the drain timeout (what is still
    /// in hand then is left for the next start), closes the log and waits for every task.
    ///
    /// # Errors
    /// The event log failed, or a task of the daemon panicked or failed.
    pub async fn stop(self) -> anyhow::Result<()> {
        self.shutdown.stop();
        let outcome = match self.done.await {
            Ok(outcome) => outcome,
            Err(error) => Err(anyhow::anyhow!(
                "the daemon's task ended abnormally (panicked: {})",
                error.is_panic()
            )),
        };
        self.shutdown.wait().await;
        outcome
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
    // The index is brought to the log's end at open (only the commits a crash left
    // unindexed); the chunks are verified in the background, so that the start does not grow
    // with the log: damage found stops the daemon with the line an open would give.
    options.index_at_open = true;
    options.verify_at_open = false;
    let log = tokio::task::spawn_blocking(move || DiskEventLog::open(&options))
        .await
        .context("Opening the data folder failed")?
        .with_context(|| {
            format!(
                "Failed to open the data folder {}",
                settings.data_dir.display()
            )
        })?;
    tracing::debug!("start: the event log is open");
    let verification = log
        .verify_in_background()
        .context("Starting the event log's verification failed")?;
    let log = Arc::new(log);
    let data_dir = settings.data_dir.clone();
    match start_on(Arc::clone(&log), settings).await {
        Ok(running) => Ok(running),
        Err(error) => {
            // A start that failed on a damaged log (an append refused once the verification
            // found the damage, a read of a damaged chunk) says what an open would say.
            let _ = tokio::task::spawn_blocking(move || verification.join()).await;
            match log.damage_found() {
                Some(_) => Err(log_tasks::failure_of(&log, &data_dir).unwrap_or(error)),
                None => Err(error),
            }
        }
    }
}

/// Starts the daemon on its opened log.
async fn start_on(log: Arc<DiskEventLog>, mut settings: Settings) -> anyhow::Result<Running> {
    let log_of_daemon = Arc::clone(&log);
    let data_dir = settings.data_dir.clone();
    let shutdown = Shutdown::new(settings.drain_timeout);
    // The routing in force is the log's; a fresh log records the file's as version 1.
    let (routing, settings) = tokio::task::spawn_blocking({
        let log = Arc::clone(&log);
        move || configuration::take_up(&log, &mut settings).map(|routing| (routing, settings))
    })
    .await
    .context("Taking up the configuration failed")??;
    tracing::debug!("start: the configuration is taken up");
    let record_systems = Arc::new(wiring::record_systems(&settings)?);
    let shared = Arc::new(Shared::new(Arc::clone(&log), settings));
    shared.set_routing(Arc::new(routing));
    let listener = serve::listen(shared.settings.api.listen).with_context(|| {
        format!(
            "api.listen: cannot listen on {}",
            shared.settings.api.listen
        )
    })?;
    let api_address = listener.local_addr().context("api.listen")?;
    let mut tasks = vec![shutdown.spawn(
        "event log watcher",
        log_tasks::stop_when_the_log_fails(Arc::clone(&log), shutdown.clone()),
    )];
    let (queue, incoming) = dispatch::queue();
    let ready = Arc::new(AtomicBool::new(false));
    let access_keys: Arc<dyn PeriodKeys> =
        Arc::new(log.access_keys(shared.settings.retention.keep_access_log));
    let api_access = Arc::new(api_access::ApiAccess::new(Arc::clone(&access_keys)));
    let router = api::router(api::Api {
        shared: Arc::clone(&shared),
        queue: queue.clone(),
        ready: Arc::clone(&ready),
        access: api_access,
    });
    tasks.push(shutdown.spawn(
        "API server",
        serve::serve_with_limits(
            "API",
            listener,
            router,
            shared.settings.api.limits,
            shutdown.token(),
        ),
    ));
    tracing::info!(address = %api_address, "API listening");
    // The portal: its own listener beside the API, stopping with the daemon.
    let rules = Arc::new(configuration::Rules::new(&shared)?);
    let portal_address = match portal::start(
        &log,
        &shared,
        Arc::clone(&access_keys),
        &shutdown,
        queue.clone(),
        rules,
    )? {
        Some((address, server)) => {
            tasks.push(server);
            Some(address)
        }
        None => None,
    };

    // The admin socket for `ketenpost user ...` while the daemon holds the data folder.
    if let Some(task) = user_socket::start(&log, &shared.settings, &shutdown)? {
        tasks.push(task);
    }

    // The notifier: the medical secretariat and the service desk told by e-mail.
    match &shared.settings.smtp {
        Some(smtp) => {
            let key = ketenpost_adapters::event_log::load_or_create_key(&shared.settings.key_file)
                .context("notifications: the key file")?;
            tasks.push(shutdown.spawn(
                "notifier",
                notify::run(
                    Arc::clone(&shared),
                    notify::Notifier {
                        smtp: smtp.clone(),
                        key,
                        health: Arc::clone(&shared.mail_health),
                    },
                    shutdown.token(),
                ),
            ));
        }
        None => tracing::info!("no [smtp]: no e-mail notices are sent"),
    }

    // The retention sweep: personal data past its time made unreadable, payloads deleted.
    tasks.push(shutdown.spawn(
        "retention sweep",
        retention::keep_sweeping(Arc::clone(&shared), shutdown.token()),
    ));

    let of_daemon = shutdown.clone();
    let done = tokio::spawn(async move {
        let shutdown = of_daemon;
        let started = take_up_and_start(
            &shared,
            record_systems,
            &shutdown,
            queue,
            incoming,
            &mut tasks,
        )
        .await;
        if started.is_ok() {
            ready.store(true, Ordering::Release);
            tracing::info!("ready");
        } else {
            // Whatever ended it ends the rest (the API, the pullers) too.
            shutdown.stop();
        }
        let failed = shutdown::join_all(tasks).await;
        let closed = shared
            .on_log(|log| {
                log.catch_up()?;
                log.close();
                Ok(())
            })
            .await;
        tracing::info!("stopped");
        if let Some(failure) = log_tasks::failure_of(&log_of_daemon, &data_dir) {
            return Err(failure);
        }
        started?;
        closed?;
        if failed > 0 {
            anyhow::bail!(
                "{failed} of the daemon's tasks failed (see the log above); the messages they \
                 had in hand are taken up at the next start"
            );
        }
        Ok(())
    });
    Ok(Running {
        api_address,
        portal_address,
        shutdown,
        done,
    })
}

/// Takes up the work an earlier run left and starts the projector, the dispatcher and the
/// pullers (their handles go to `tasks`).
async fn take_up_and_start<R: ketenpost_domain::ports::RecordSystem + 'static>(
    shared: &Arc<Shared>,
    record_systems: Arc<wiring::RecordSystems<R>>,
    shutdown: &Shutdown,
    queue: dispatch::WorkQueue,
    incoming: tokio::sync::mpsc::UnboundedReceiver<ketenpost_domain::events::StreamId>,
    tasks: &mut Vec<tokio::task::JoinHandle<bool>>,
) -> anyhow::Result<()> {
    tasks.push(shutdown.spawn(
        "projector",
        log_tasks::keep_projections_current(Arc::clone(&shared.log), shutdown.token()),
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
    tracing::debug!("start: the receipts left unprocessed are processed");
    if let Some(amqp) = shared.settings.amqp.clone() {
        // `[amqp]`: the work goes to `ketenpost worker` processes through the broker, and
        // every appended event to the events exchange.
        tasks.push(shutdown.spawn(
            "events publisher",
            amqp::events::run(Arc::clone(shared), amqp.clone(), shutdown.clone()),
        ));
        tasks.push(shutdown.spawn(
            "broker dispatcher",
            amqp::owner::run(
                Arc::clone(shared),
                amqp,
                queue.clone(),
                incoming,
                shutdown.clone(),
                Arc::clone(&shared.broker),
            ),
        ));
    } else {
        tasks.push(shutdown.spawn(
            "dispatcher",
            dispatch::run(
                Arc::clone(shared),
                record_systems,
                queue.clone(),
                incoming,
                shutdown.clone(),
            ),
        ));
    }
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
    // The mailbox pullers of the version in force, started, stopped and changed as versions
    // are activated.
    tasks.push(shutdown.spawn(
        "configuration follower",
        configuration::follow::keep_current(
            Arc::clone(shared),
            Arc::clone(&seen),
            queue.clone(),
            shutdown.token(),
        ),
    ));
    Ok(())
}

/// `ketenpost run`: starts the daemon and runs it until SIGTERM or ctrl-c (SIGINT); a second
/// signal during the drain leaves the work in hand at once.
///
/// # Errors
/// It could not start, or a task failed.
pub fn run(settings: Settings) -> anyhow::Result<()> {
    crate::telemetry::logging::init(settings.log_format);
    tracing::debug!("start: logging is set up");
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .context("Failed to start the async runtime")?;
    runtime.block_on(async move {
        let mut signals = Signals::listen().context("Failed to listen for SIGTERM and SIGINT")?;
        let running = start(settings).await?;
        eprintln!("ketenpost: API at http://{}", running.api_address);
        tokio::select! {
            () = signals.next() => tracing::info!("stopping: finishing the work in hand"),
            () = running.stopping() => {}
        }
        let shutdown = running.shutdown();
        let stop = running.stop();
        tokio::pin!(stop);
        tokio::select! {
            outcome = &mut stop => return outcome,
            () = signals.next() => {
                tracing::warn!("second signal: leaving the work in hand for the next start");
                shutdown.abandon();
            }
        }
        stop.await
    })
}
