//! Work a mailbox poll starts and does not wait for at once (the Deletes of a chunk, the moves
//! of a chunk's files to `done/`): it runs while the next chunk is taken in, the first problem
//! is kept, and the poll waits for all of it before it ends.

use std::fmt::Display;
use std::future::Future;

use tokio::task::{JoinError, JoinSet};

/// Background work of one poll.
pub struct Background<E> {
    tasks: JoinSet<Result<(), E>>,
    problem: Option<String>,
}

impl<E: Display + Send + 'static> Background<E> {
    /// Nothing started yet.
    pub fn new() -> Self {
        Self {
            tasks: JoinSet::new(),
            problem: None,
        }
    }

    /// Starts async work.
    pub fn spawn(&mut self, work: impl Future<Output = Result<(), E>> + Send + 'static) {
        self.tasks.spawn(work);
    }

    /// Takes note of the work that has finished; `false` once any of it failed.
    pub fn all_well_so_far(&mut self) -> bool {
        while let Some(joined) = self.tasks.try_join_next() {
            self.note(joined);
        }
        self.problem.is_none()
    }

    /// Waits for all of it; the first problem, if any.
    pub async fn finish(mut self) -> Option<String> {
        while let Some(joined) = self.tasks.join_next().await {
            self.note(joined);
        }
        self.problem
    }

    fn note(&mut self, joined: Result<Result<(), E>, JoinError>) {
        let failed = match joined {
            Ok(Ok(())) => return,
            Ok(Err(error)) => format!("{error:#}"),
            Err(error) => error.to_string(),
        };
        self.problem.get_or_insert(failed);
    }
}
