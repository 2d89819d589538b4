//! Applying an activated version in the running daemon: the routes of the new version decide
//! the next message (work in hand finishes under the version it started with: a worker takes
//! the routing in force once, when it starts on a message), and the mailbox pullers are
//! started, stopped or restarted where the version changes them.

use std::collections::BTreeMap;
use std::sync::Arc;
use std::time::Duration;

use tokio::task::JoinHandle;
use tokio_util::sync::CancellationToken;

use crate::config::routing::{self, ActiveRouting};
use crate::service::dispatch::WorkQueue;
use crate::service::mailboxes;
use crate::service::seen::Seen;
use crate::service::state::Shared;

/// How often the stream is looked at for a version activated by another process (the
/// daemon's own activations are applied at once).
const LOOK_EVERY: Duration = Duration::from_secs(2);

/// A running puller and what it was started with.
struct Puller {
    /// The mailbox's entry as recorded, to tell whether a version changed it.
    entry: String,
    stop: CancellationToken,
    task: JoinHandle<anyhow::Result<()>>,
}

/// The mailbox pullers of the version in force.
struct Pullers {
    shared: Arc<Shared>,
    seen: Arc<Seen>,
    queue: WorkQueue,
    stop: CancellationToken,
    running: BTreeMap<String, Puller>,
}

impl Pullers {
    /// Starts, stops or restarts pullers so that exactly the mailboxes of `routing` run, each
    /// with its settings.
    async fn reconcile(&mut self, routing: &ActiveRouting) {
        let wanted: BTreeMap<String, (String, crate::config::Mailbox)> = routing
            .mailboxes
            .iter()
            .map(|mailbox| {
                let entry = routing
                    .source
                    .mailboxes
                    .iter()
                    .find(|e| e.name == mailbox.name)
                    .and_then(|e| serde_json::to_string(e).ok())
                    .unwrap_or_default();
                (mailbox.name.clone(), (entry, mailbox.clone()))
            })
            .collect();
        let gone: Vec<String> = self
            .running
            .iter()
            .filter(|(name, puller)| wanted.get(*name).is_none_or(|(e, _)| *e != puller.entry))
            .map(|(name, _)| name.clone())
            .collect();
        for name in gone {
            if let Some(puller) = self.running.remove(&name) {
                puller.stop.cancel();
                let _ = puller.task.await;
                tracing::info!(mailbox = %name, "configuration: mailbox puller stopped");
                if !wanted.contains_key(&name) {
                    // Removed: its health no longer shows in the API and the metrics.
                    if let Ok(mut health) = self.shared.mailboxes.lock() {
                        health.remove(&name);
                    }
                }
            }
        }
        for (name, (entry, mailbox)) in wanted {
            if self.running.contains_key(&name) {
                continue;
            }
            let stop = self.stop.child_token();
            let task = tokio::spawn(mailboxes::run(
                Arc::clone(&self.shared),
                Arc::clone(&self.seen),
                self.queue.clone(),
                mailbox,
                stop.clone(),
            ));
            tracing::info!(mailbox = %name, version = routing.version, "configuration: mailbox puller started");
            self.running.insert(name, Puller { entry, stop, task });
        }
    }

    /// Stops every puller and waits for them.
    async fn stop_all(&mut self) {
        for (_, puller) in std::mem::take(&mut self.running) {
            puller.stop.cancel();
            if let Ok(Err(error)) = puller.task.await {
                tracing::error!(error = %format!("{error:#}"), "a mailbox puller failed");
            }
        }
    }
}

/// Runs the mailbox pullers of the version in force and applies each newly activated
/// version, until `stop`.
///
/// # Errors
/// None: a version that cannot be applied is logged and the one in force stays.
pub async fn keep_current(
    shared: Arc<Shared>,
    seen: Arc<Seen>,
    queue: WorkQueue,
    stop: CancellationToken,
) -> anyhow::Result<()> {
    let mut pullers = Pullers {
        shared: Arc::clone(&shared),
        seen,
        queue,
        stop: stop.clone(),
        running: BTreeMap::new(),
    };
    pullers.reconcile(&shared.routing()).await;
    let key = routing::data_key(&shared.settings.key_file).ok();
    let mut refused = None;
    // The version the pullers run (the portal may have put a newer one in force already).
    let mut applied = shared.routing();
    loop {
        tokio::select! {
            () = shared.config_changed.notified() => {}
            () = tokio::time::sleep(LOOK_EVERY) => {}
            () = stop.cancelled() => break,
        }
        let history = shared.on_log(super::history).await;
        let (history, _) = match history {
            Ok(found) => found,
            Err(error) => {
                tracing::warn!(error = %format!("{error:#}"), "configuration: the stream could not be read");
                continue;
            }
        };
        let Some((version, in_force)) = history.in_force() else {
            continue;
        };
        if version == applied.version || refused == Some(version) {
            continue;
        }
        let before = Arc::clone(&applied);
        match routing::check(in_force, key.as_ref()) {
            Ok(mut active) => {
                active.version = version;
                if active.source.record_systems != before.source.record_systems {
                    tracing::warn!(
                        version,
                        "configuration: the record systems' connection settings changed; the \
                         running connections keep theirs until the next start"
                    );
                }
                let active = Arc::new(active);
                shared.set_routing(Arc::clone(&active));
                pullers.reconcile(&active).await;
                applied = active;
                tracing::info!(version, "configuration: version activated and in force");
            }
            Err(error) => {
                refused = Some(version);
                tracing::error!(
                    version,
                    error = %error,
                    "configuration: the activated version cannot be applied; the one before stays in force"
                );
            }
        }
    }
    pullers.stop_all().await;
    Ok(())
}
