//! What the log and its single writer share: an append handed to the writer, where its answer
//! goes, and the position the log has reached.

use std::sync::mpsc::SyncSender;
use std::sync::{Condvar, Mutex};

use ketenpost_domain::ports::{AppendError, Appended, StreamAppend};

/// One append waiting for the writer.
pub(crate) struct Request {
    pub appends: Vec<StreamAppend>,
    pub reply: Reply,
}

/// Where the writer sends an append's answer once its group is durable.
pub(crate) enum Reply {
    /// A thread blocked in [`ketenpost_domain::ports::EventLog::append`].
    Blocking(SyncSender<Result<Appended, AppendError>>),
    /// A task awaiting [`super::DiskEventLog::append_async`].
    Async(tokio::sync::oneshot::Sender<Result<Appended, AppendError>>),
}

impl Reply {
    /// Answers; a waiter that has gone away no longer needs the answer.
    pub(crate) fn send(self, answer: Result<Appended, AppendError>) {
        match self {
            Self::Blocking(sender) => {
                let _ = sender.send(answer);
            }
            Self::Async(sender) => {
                let _ = sender.send(answer);
            }
        }
    }
}

/// The position the log has reached, with a condition to wait on.
#[derive(Default)]
pub(crate) struct Head {
    pub next: Mutex<u64>,
    pub changed: Condvar,
}
