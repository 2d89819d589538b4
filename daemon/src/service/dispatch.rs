//! The work queue: message ids in, at most `workers` worked on at once, each message by one
//! worker at a time; retries come back at their time. On shutdown no new work starts and the
//! work in hand finishes within the drain timeout; what is still in hand then is left, recorded
//! as far as it got, for the next start.

use std::collections::{HashMap, HashSet};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;
use std::time::Duration;

use ketenpost_domain::events::StreamId;
use ketenpost_domain::ports::RecordSystem;
use tokio::sync::{mpsc, Notify};
use tokio::task::JoinSet;
use tokio_util::sync::CancellationToken;

use super::shutdown::Shutdown;
use super::state::{now_ms, Shared};
use super::wiring::RecordSystems;
use super::worker::{work, Done};
use crate::config::defaults;
use crate::telemetry::WorkFailed;

/// [`defaults::RETRY_AFTER_WORK_FAILED`] in milliseconds.
fn retry_after_failure_ms() -> i64 {
    i64::try_from(defaults::RETRY_AFTER_WORK_FAILED.as_millis()).unwrap_or(i64::MAX)
}

/// Where work is handed in.
#[derive(Clone)]
pub struct WorkQueue {
    sender: mpsc::UnboundedSender<StreamId>,
    /// Messages handed in and not finished (approximate: waiting plus running).
    load: Arc<AtomicUsize>,
    /// Told whenever the load goes down.
    freed: Arc<Notify>,
}

impl WorkQueue {
    /// Asks for a message to be worked on.
    pub fn push(&self, message: StreamId) {
        self.load.fetch_add(1, Ordering::Relaxed);
        let _ = self.sender.send(message);
    }

    /// Waits until fewer than `limit` messages are waiting or being worked on, and says how
    /// many more there is room for: a mailbox takes in no more than the workers can place, and
    /// the rest waits in the mailbox, where nothing is at risk, instead of in memory.
    pub async fn room_below(&self, limit: usize, stop: &CancellationToken) -> usize {
        loop {
            // Registered before the load is read, so a message finished in between is not missed.
            let freed = self.freed.notified();
            tokio::pin!(freed);
            freed.as_mut().enable();
            let load = self.load.load(Ordering::Relaxed);
            if load < limit || stop.is_cancelled() {
                return limit.saturating_sub(load).max(1);
            }
            tokio::select! {
                () = freed => {}
                () = stop.cancelled() => {}
            }
        }
    }

    /// The room below `limit` now, without waiting: 0 when there is none.
    pub fn room_now(&self, limit: usize) -> usize {
        limit.saturating_sub(self.load.load(Ordering::Relaxed))
    }

    /// One message fewer is waiting or being worked on.
    pub(crate) fn finished_one(&self) {
        self.load.fetch_sub(1, Ordering::Relaxed);
        self.freed.notify_waiters();
    }
}

/// A new queue and the receiving end for [`run`].
pub fn queue() -> (WorkQueue, mpsc::UnboundedReceiver<StreamId>) {
    let (sender, rx) = mpsc::unbounded_channel();
    (
        WorkQueue {
            sender,
            load: Arc::new(AtomicUsize::new(0)),
            freed: Arc::new(Notify::new()),
        },
        rx,
    )
}

/// Runs the queue until the stop, then lets the work in hand finish until the drain is over.
/// Each message is worked on with the record system its route names, from `record_systems`.
///
/// # Errors
/// None yet: a work item that fails or panics is retried later.
pub async fn run<R: RecordSystem + 'static>(
    shared: Arc<Shared>,
    record_systems: Arc<RecordSystems<R>>,
    queue: WorkQueue,
    mut incoming: mpsc::UnboundedReceiver<StreamId>,
    shutdown: Shutdown,
) -> anyhow::Result<()> {
    let stop = shutdown.token();
    let workers = shared.settings.workers;
    let mut active: HashSet<StreamId> = HashSet::new();
    let mut again: HashSet<StreamId> = HashSet::new();
    let mut waiting: std::collections::VecDeque<StreamId> = std::collections::VecDeque::new();
    let mut running: JoinSet<(StreamId, Done)> = JoinSet::new();
    let mut working: HashMap<tokio::task::Id, StreamId> = HashMap::new();
    loop {
        while running.len() < workers {
            let Some(message) = waiting.pop_front() else {
                break;
            };
            if !active.insert(message.clone()) {
                queue.finished_one();
                again.insert(message);
                continue;
            }
            let shared = Arc::clone(&shared);
            let record_systems = Arc::clone(&record_systems);
            let worked_on = message.clone();
            let task = running.spawn(async move {
                let done = match work(&shared, &record_systems, &message).await {
                    Ok(done) => done,
                    Err(error) => {
                        WorkFailed {
                            message_id: &message,
                            error: &format!("{error:#}"),
                            retry_in_ms: retry_after_failure_ms(),
                        }
                        .report(&shared.metrics);
                        Done::RetryAt(now_ms().saturating_add(retry_after_failure_ms()))
                    }
                };
                (message, done)
            });
            working.insert(task.id(), worked_on);
        }
        tokio::select! {
            biased;
            () = stop.cancelled() => break,
            Some(finished) = running.join_next_with_id(), if !running.is_empty() => {
                let (task, outcome) = match finished {
                    Ok((task, (_, done))) => (task, done),
                    // A work item that panicked (a bug) is tried again later, like one that
                    // failed, instead of holding its place and its message forever. The panic's
                    // text is not logged: it could carry what the message says.
                    Err(error) => {
                        let message = working.get(&error.id()).map(ToString::to_string);
                        WorkFailed {
                            message_id: &message.as_deref().unwrap_or("?"),
                            error: &format!("the work ended abnormally (panicked: {})", error.is_panic()),
                            retry_in_ms: retry_after_failure_ms(),
                        }
                        .report(&shared.metrics);
                        (error.id(), Done::RetryAt(now_ms().saturating_add(retry_after_failure_ms())))
                    }
                };
                let Some(message) = working.remove(&task) else {
                    continue;
                };
                queue.finished_one();
                active.remove(&message);
                if again.remove(&message) {
                    queue.load.fetch_add(1, Ordering::Relaxed);
                    waiting.push_back(message);
                } else if let Done::RetryAt(at) = outcome {
                    later(&shutdown, queue.clone(), message, at);
                }
            }
            Some(message) = incoming.recv() => {
                if active.contains(&message) {
                    // Folded into the run under way: it runs once more after it.
                    queue.finished_one();
                    again.insert(message);
                } else {
                    waiting.push_back(message);
                }
            }
        }
    }
    drain(&shutdown, running, &working, waiting.len()).await;
    Ok(())
}

/// Lets the work in hand finish until the drain is over; then leaves what is still in hand
/// (cut at its next step: each step's events are appended whole or not at all) to the next
/// start, which takes up every message in flight or awaiting delivery.
async fn drain(
    shutdown: &Shutdown,
    mut running: JoinSet<(StreamId, Done)>,
    working: &HashMap<tokio::task::Id, StreamId>,
    waiting: usize,
) {
    tracing::info!(in_hand = running.len(), "finishing the work in hand");
    let finished = async {
        while let Some(joined) = running.join_next_with_id().await {
            if let Err(error) = joined {
                let message = working.get(&error.id()).map(ToString::to_string);
                tracing::error!(
                    message_id = message.as_deref().unwrap_or("?"),
                    panicked = error.is_panic(),
                    "work ended abnormally; taken up at the next start"
                );
            }
        }
    };
    tokio::select! {
        () = finished => {}
        () = shutdown.drain_over() => {}
    }
    let abandoned = running.len();
    running.shutdown().await;
    tracing::info!(
        left = abandoned + waiting,
        abandoned,
        "messages left for the next start"
    );
}

/// Hands `message` in again at `at_ms` (unless the daemon stops first).
pub(crate) fn later(shutdown: &Shutdown, queue: WorkQueue, message: StreamId, at_ms: i64) {
    let wait = u64::try_from(at_ms.saturating_sub(now_ms())).unwrap_or(0);
    let stop = shutdown.token();
    shutdown.spawn_small("retry timer", async move {
        tokio::select! {
            () = tokio::time::sleep(Duration::from_millis(wait)) => queue.push(message),
            () = stop.cancelled() => {}
        }
    });
}
