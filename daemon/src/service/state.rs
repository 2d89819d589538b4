//! What the daemon's tasks share: the event log, the settings, the metrics and each mailbox's
//! and record system's health. The record systems themselves are wired in `wiring.rs` and
//! handed to the workers only, through the `RecordSystem` port.

use std::collections::BTreeMap;
use std::sync::{Arc, Mutex};

use anyhow::Context;
use ketenpost_adapters::event_log::DiskEventLog;
use serde::Serialize;

use crate::config::Settings;
use crate::telemetry::Metrics;

/// How a mailbox is doing, as `status`, the API and the metrics show it.
#[derive(Debug, Clone, Default, Serialize)]
pub struct MailboxHealth {
    /// When it was last polled successfully (RFC 3339).
    pub last_success: Option<String>,
    /// The last problem, while it lasts.
    pub problem: Option<String>,
    /// Polls in a row that failed.
    pub failures_in_a_row: u64,
    /// Messages taken in since the start, whether or not their polls also had a problem.
    pub received: u64,
    /// Every message the mailbox holds but cannot take in (the first [`NOT_TAKEN_SHOWN`]),
    /// each by its id, until it is gone.
    pub not_taken: Vec<NotTaken>,
    /// How many messages the mailbox cannot take in, shown or not.
    pub not_taken_count: usize,
}

/// How many messages that cannot be taken in a mailbox's health lists.
pub const NOT_TAKEN_SHOWN: usize = 1000;

/// A message a mailbox holds but cannot take in: it stays there, named by id.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct NotTaken {
    /// The mailbox's id for it, exactly (a ZorgMail unique id; for a folder, the file's
    /// inode number, never its name).
    pub id: String,
    /// Why, naming the id escaped (`message "4711": ...`).
    pub problem: String,
}

/// What one poll of a mailbox came to.
#[derive(Debug, Default)]
pub struct PollOutcome {
    /// Messages taken in.
    pub received: u64,
    /// A problem of the mailbox as a whole (unreachable, refused, the log failed).
    pub problem: Option<String>,
    /// The messages it holds but cannot take in; `None` when the poll did not get to look
    /// (its listing failed), so those shown before stay shown.
    pub not_taken: Option<Vec<NotTaken>>,
}

impl PollOutcome {
    /// A poll that failed before it looked at any message.
    pub fn failed(problem: impl Into<String>) -> Self {
        Self {
            problem: Some(problem.into()),
            ..Self::default()
        }
    }
}

/// Shared by every task.
pub struct Shared {
    /// The event log.
    pub log: Arc<DiskEventLog>,
    /// The settings.
    pub settings: Settings,
    /// The metrics.
    pub metrics: Metrics,
    /// Each mailbox's health.
    pub mailboxes: Mutex<BTreeMap<String, MailboxHealth>>,
    /// Each record system's health.
    pub record_systems_health: Mutex<BTreeMap<String, super::record_health::RecordSystemHealth>>,
    /// One permit per core for CPU-bound work (parsing and rendering): more at once only
    /// adds threads that take turns on the same cores.
    pub cpu: tokio::sync::Semaphore,
    /// The broker's connection as the owner sees it (used with `[amqp]` only).
    pub broker: Arc<super::amqp::broker::BrokerState>,
    /// How mailing the notices is doing (the notifier writes, the portal shows it).
    pub mail_health: Arc<ketenpost_portal::notices::MailHealth>,
    /// The routing configuration in force (see `configuration`): a worker takes it once per
    /// message, so work in hand finishes under the version it started with.
    routing: std::sync::RwLock<Arc<crate::config::ActiveRouting>>,
    /// Told when a configuration version was activated in this process.
    pub config_changed: tokio::sync::Notify,
}

impl Shared {
    /// Builds the shared state, with a health entry per mailbox and record system.
    pub fn new(log: Arc<DiskEventLog>, settings: Settings) -> Self {
        let record_systems_health = Mutex::new(
            settings
                .record_systems
                .keys()
                .map(|name| (name.clone(), Default::default()))
                .collect(),
        );
        let mailboxes = settings
            .mailboxes
            .iter()
            .map(|m| (m.name.clone(), MailboxHealth::default()))
            .collect();
        let routing = std::sync::RwLock::new(Arc::new(super::configuration::active_from_settings(
            &settings, 0,
        )));
        Self {
            log,
            routing,
            config_changed: tokio::sync::Notify::new(),
            metrics: Metrics::new(&settings),
            settings,
            mailboxes: Mutex::new(mailboxes),
            record_systems_health,
            broker: Arc::default(),
            mail_health: Arc::default(),
            cpu: tokio::sync::Semaphore::new(
                std::thread::available_parallelism().map_or(2, std::num::NonZeroUsize::get),
            ),
        }
    }

    /// The routing configuration in force now.
    pub fn routing(&self) -> Arc<crate::config::ActiveRouting> {
        match self.routing.read() {
            Ok(routing) => Arc::clone(&routing),
            Err(poisoned) => Arc::clone(&poisoned.into_inner()),
        }
    }

    /// Puts `routing` in force for the next message.
    pub fn set_routing(&self, routing: Arc<crate::config::ActiveRouting>) {
        match self.routing.write() {
            Ok(mut current) => *current = routing,
            Err(poisoned) => *poisoned.into_inner() = routing,
        }
    }

    /// Runs a blocking call on the event log off the async threads.
    ///
    /// # Errors
    /// The call's own error, or the task failed.
    pub async fn on_log<T, F>(&self, call: F) -> anyhow::Result<T>
    where
        T: Send + 'static,
        F: FnOnce(&DiskEventLog) -> anyhow::Result<T> + Send + 'static,
    {
        let log = Arc::clone(&self.log);
        tokio::task::spawn_blocking(move || call(&log))
            .await
            .context("An event-log task failed")?
    }

    /// Runs CPU-bound `work` off the async threads, at most one per core at a time.
    ///
    /// # Errors
    /// The task failed.
    pub async fn on_cpu<T, F>(&self, work: F) -> anyhow::Result<T>
    where
        T: Send + 'static,
        F: FnOnce() -> T + Send + 'static,
    {
        let _permit = self
            .cpu
            .acquire()
            .await
            .context("The CPU permits were closed")?;
        tokio::task::spawn_blocking(work)
            .await
            .context("A CPU-bound task failed")
    }

    /// Records a mailbox poll's outcome. Its problem is the mailbox's own, else the first
    /// message it cannot take in (and how many more there are).
    pub fn mailbox_polled(&self, mailbox: &str, outcome: PollOutcome) {
        let Ok(mut all) = self.mailboxes.lock() else {
            return;
        };
        let health = all.entry(mailbox.to_owned()).or_default();
        health.received += outcome.received;
        if let Some(mut not_taken) = outcome.not_taken {
            if outcome.problem.is_some() {
                // A poll cut short did not look at every message: those named before stay.
                let before = std::mem::take(&mut health.not_taken);
                let new: Vec<NotTaken> = not_taken
                    .iter()
                    .filter(|n| !before.iter().any(|b| b.id == n.id))
                    .cloned()
                    .collect();
                not_taken = before;
                not_taken.extend(new);
                health.not_taken_count = health.not_taken_count.max(not_taken.len());
            } else {
                health.not_taken_count = not_taken.len();
            }
            not_taken.truncate(NOT_TAKEN_SHOWN);
            health.not_taken = not_taken;
        }
        let problem = outcome.problem.or_else(|| {
            let first = health.not_taken.first()?;
            Some(match health.not_taken_count {
                1 => first.problem.clone(),
                n => format!(
                    "{}; and {} more messages it cannot take in (see not_taken)",
                    first.problem,
                    n - 1
                ),
            })
        });
        match problem {
            None => {
                health.last_success = Some(crate::store::rfc3339(now_ms()));
                health.problem = None;
                health.failures_in_a_row = 0;
            }
            Some(problem) => {
                health.problem = Some(problem);
                health.failures_in_a_row += 1;
                self.metrics.mailbox_error(mailbox);
            }
        }
    }

    /// A copy of every mailbox's health.
    pub fn mailbox_health(&self) -> BTreeMap<String, MailboxHealth> {
        self.mailboxes.lock().map(|m| m.clone()).unwrap_or_default()
    }
}

/// Milliseconds since 1970-01-01 UTC.
pub fn now_ms() -> i64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| i64::try_from(d.as_millis()).unwrap_or(i64::MAX))
}
