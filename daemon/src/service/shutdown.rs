//! The daemon's one shutdown: a stop every loop watches (pullers, dispatcher, projector, API
//! server, the log-failure watcher), a second, harder stop that leaves the work in hand at
//! once, the drain timeout between the two, and a task tracker the daemon waits on. Every
//! task is started here and its end is read: a task that panicked or failed is logged and
//! stops the daemon, which then exits non-zero.

use std::future::Future;
use std::time::Duration;

use tokio::task::{JoinError, JoinHandle};
use tokio_util::sync::CancellationToken;
use tokio_util::task::TaskTracker;

/// The daemon's stop, cloned into every task.
#[derive(Debug, Clone)]
pub struct Shutdown {
    /// Stop pulling and start no new work; the work in hand may finish.
    stop: CancellationToken,
    /// Leave the work in hand now (the drain timeout passed, or a second signal came).
    abandon: CancellationToken,
    /// How long the work in hand may take to finish after the stop.
    drain_timeout: Duration,
    /// Every task the daemon started.
    tracker: TaskTracker,
}

impl Shutdown {
    /// A shutdown not yet asked for; the work in hand gets `drain_timeout` once it is.
    pub fn new(drain_timeout: Duration) -> Self {
        Self {
            stop: CancellationToken::new(),
            abandon: CancellationToken::new(),
            drain_timeout,
            tracker: TaskTracker::new(),
        }
    }

    /// The stop token, for a loop to watch.
    pub fn token(&self) -> CancellationToken {
        self.stop.clone()
    }

    /// Asks every loop to stop; the work in hand may finish within the drain timeout.
    pub fn stop(&self) {
        self.stop.cancel();
    }

    /// Leaves the work in hand at once (it is taken up at the next start); stops too.
    pub fn abandon(&self) {
        self.stop.cancel();
        self.abandon.cancel();
    }

    /// Whether a stop was asked for.
    pub fn is_stopping(&self) -> bool {
        self.stop.is_cancelled()
    }

    /// Resolves once a stop is asked for.
    pub async fn stopping(&self) {
        self.stop.cancelled().await;
    }

    /// Resolves when the work in hand is to be left: the drain timeout after the stop, or
    /// at once on [`Self::abandon`].
    pub async fn drain_over(&self) {
        self.stop.cancelled().await;
        tokio::select! {
            () = tokio::time::sleep(self.drain_timeout) => {}
            () = self.abandon.cancelled() => {}
        }
    }

    /// Starts a task of the daemon named `name` (for the log). Its end is read: a panic or an
    /// error is logged and stops the daemon. The handle says whether it ended well.
    pub fn spawn<F>(&self, name: &'static str, task: F) -> JoinHandle<bool>
    where
        F: Future<Output = anyhow::Result<()>> + Send + 'static,
    {
        let inner = self.tracker.spawn(task);
        let stop = self.stop.clone();
        self.tracker.spawn(async move {
            let well = ended_well(name, inner.await);
            if !well {
                stop.cancel();
            }
            well
        })
    }

    /// Starts a small task named `name` (a retry's timer) whose handle is not kept: its end
    /// is read all the same (a panic is logged and stops the daemon), and [`Self::wait`] waits
    /// for it, so it must end soon after the stop.
    pub fn spawn_small<F>(&self, name: &'static str, task: F)
    where
        F: Future<Output = ()> + Send + 'static,
    {
        // The handle only says how it ended, which the wrapper has logged already.
        drop(self.spawn(name, async move {
            task.await;
            Ok(())
        }));
    }

    /// Waits until every task started here has ended.
    pub async fn wait(&self) {
        self.tracker.close();
        self.tracker.wait().await;
    }
}

/// Reads how a task ended; logs (error) a panic or a failure. The panic's text is not logged:
/// it could carry what a message says.
pub fn ended_well(name: &str, joined: Result<anyhow::Result<()>, JoinError>) -> bool {
    match joined {
        Ok(Ok(())) => true,
        Ok(Err(error)) => {
            tracing::error!(task = name, error = %format!("{error:#}"), "a task of the daemon failed");
            false
        }
        Err(error) => {
            tracing::error!(
                task = name,
                panicked = error.is_panic(),
                "a task of the daemon ended abnormally"
            );
            false
        }
    }
}

/// Waits for the tasks in `handles`; how many did not end well.
pub async fn join_all(handles: Vec<JoinHandle<bool>>) -> usize {
    let mut failed = 0;
    for handle in handles {
        match handle.await {
            Ok(true) => {}
            Ok(false) => failed += 1,
            Err(error) => {
                tracing::error!(
                    panicked = error.is_panic(),
                    "watching a task of the daemon failed"
                );
                failed += 1;
            }
        }
    }
    failed
}

/// The signals that stop the daemon: SIGTERM and SIGINT (ctrl-c), listened for once for the
/// whole run so that a second one is not missed.
pub struct Signals {
    #[cfg(unix)]
    term: Option<tokio::signal::unix::Signal>,
    #[cfg(unix)]
    interrupt: Option<tokio::signal::unix::Signal>,
}

impl Signals {
    /// Starts listening.
    ///
    /// # Errors
    /// No signal handler could be installed.
    pub fn listen() -> std::io::Result<Self> {
        #[cfg(unix)]
        {
            use tokio::signal::unix::{signal, SignalKind};
            Ok(Self {
                term: Some(signal(SignalKind::terminate())?),
                interrupt: Some(signal(SignalKind::interrupt())?),
            })
        }
        #[cfg(not(unix))]
        {
            Ok(Self {})
        }
    }

    /// Resolves at the next SIGTERM or SIGINT.
    pub async fn next(&mut self) {
        #[cfg(unix)]
        {
            let term = async {
                match self.term.as_mut() {
                    Some(term) => {
                        term.recv().await;
                    }
                    None => std::future::pending().await,
                }
            };
            let interrupt = async {
                match self.interrupt.as_mut() {
                    Some(interrupt) => {
                        interrupt.recv().await;
                    }
                    None => std::future::pending().await,
                }
            };
            tokio::select! {
                () = term => {}
                () = interrupt => {}
            }
        }
        #[cfg(not(unix))]
        {
            let _ = tokio::signal::ctrl_c().await;
        }
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::panic)]

    use super::*;

    #[tokio::test]
    async fn a_task_that_panics_is_read_and_stops_the_daemon() {
        let shutdown = Shutdown::new(Duration::from_secs(30));
        let handle = shutdown.spawn("panicking", async { panic!("a bug") });
        assert_eq!(join_all(vec![handle]).await, 1);
        assert!(shutdown.is_stopping(), "the failed task stopped the daemon");
        shutdown.wait().await;
    }

    #[tokio::test]
    async fn a_task_that_fails_is_read_and_one_that_ends_well_is_not_counted() {
        let shutdown = Shutdown::new(Duration::from_secs(30));
        let failing = shutdown.spawn("failing", async { Err(anyhow::anyhow!("broken")) });
        let well = shutdown.spawn("well", async { Ok(()) });
        assert_eq!(join_all(vec![failing, well]).await, 1);
        assert!(shutdown.is_stopping());
    }

    #[tokio::test]
    async fn a_small_task_that_panics_stops_the_daemon_and_is_waited_for() {
        let shutdown = Shutdown::new(Duration::from_secs(30));
        shutdown.spawn_small("small", async { panic!("a bug") });
        shutdown.wait().await;
        assert!(shutdown.is_stopping());
    }

    #[tokio::test]
    async fn abandoning_ends_the_drain_at_once_and_stops_too() {
        let shutdown = Shutdown::new(Duration::from_secs(3600));
        shutdown.abandon();
        assert!(shutdown.is_stopping());
        tokio::time::timeout(Duration::from_secs(60), shutdown.drain_over())
            .await
            .unwrap_or_else(|_| panic!("the drain did not end on abandon"));
    }
}
