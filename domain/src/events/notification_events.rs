//! The events of the notifications ketenpost mails (the `notifications` stream): a notice is
//! decided (durable before any mail goes out), then sent, or failed and tried again later. A
//! restart folds the stream (see `crate::notifications`), so a decided notice that was not sent
//! is sent then, and a sent one is never sent again. A notice carries counts and the names of
//! mailboxes and record systems only: never a name, BSN or letter text.

use serde::{Deserialize, Serialize};

use crate::category::Category;

/// The stream of the notifications.
pub const NOTIFICATIONS_STREAM: &str = "notifications";

/// What a notice is about: the mail is written from it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case", tag = "kind")]
pub enum Notice {
    /// To the medical secretariat: messages wait in the categories someone must act on.
    Waiting {
        /// The count of every watched category at the decision, zeros included.
        counts: Vec<(Category, i64)>,
        /// The categories that went from none to some (empty: a digest while some remain).
        new: Vec<Category>,
    },
    /// To the service desk: a mailbox or record system has a problem.
    ProblemStarted {
        /// Mailbox or record system.
        source: ProblemSource,
        /// Its name in the configuration.
        name: String,
        /// The problem as the daemon's health shows it.
        problem: String,
    },
    /// To the service desk: the problem announced before has ended.
    ProblemEnded {
        /// Mailbox or record system.
        source: ProblemSource,
        /// Its name in the configuration.
        name: String,
    },
}

impl Notice {
    /// A one-line summary for `events` and the log.
    pub fn summary(&self) -> String {
        match self {
            Self::Waiting { counts, new } => format!(
                "{} about waiting messages ({})",
                if new.is_empty() { "digest" } else { "notice" },
                counts
                    .iter()
                    .map(|(c, n)| format!("{} {n}", c.as_str()))
                    .collect::<Vec<_>>()
                    .join(", ")
            ),
            Self::ProblemStarted { source, name, .. } => {
                format!("problem of {} {name} started", source.as_str())
            }
            Self::ProblemEnded { source, name } => {
                format!("problem of {} {name} ended", source.as_str())
            }
        }
    }
}

/// Where a problem is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ProblemSource {
    /// A mailbox (ZorgMail or a drop folder).
    Mailbox,
    /// A record system (Nedap Ons).
    RecordSystem,
}

impl ProblemSource {
    /// `mailbox` or `record_system`.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Mailbox => "mailbox",
            Self::RecordSystem => "record_system",
        }
    }
}

/// A notice was decided; its id is this event's id. Sent by the daemon's notifier.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct NotificationDecided {
    /// What it says.
    pub notice: Notice,
}

/// A decided notice was handed to the SMTP server.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct NotificationSent {
    /// The id of its `NotificationDecided` event.
    pub decided: String,
    /// To how many addresses (0: nobody to tell was configured).
    pub recipients: u32,
}

impl NotificationSent {
    /// A one-line summary for `events`.
    pub fn summary(&self) -> String {
        format!(
            "notification {} sent to {} recipients",
            self.decided, self.recipients
        )
    }
}

/// Sending a decided notice failed; it is tried again at `retry_at_ms`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct NotificationFailed {
    /// The id of its `NotificationDecided` event.
    pub decided: String,
    /// The attempt that failed, from 1.
    pub attempt: u32,
    /// Why (the SMTP server's answer; no address).
    pub error: String,
    /// When the next attempt is due, milliseconds since 1970-01-01 UTC.
    pub retry_at_ms: i64,
}

impl NotificationFailed {
    /// A one-line summary for `events`.
    pub fn summary(&self) -> String {
        format!(
            "notification {} attempt {} failed: {}; next attempt at {} ms",
            self.decided, self.attempt, self.error, self.retry_at_ms
        )
    }
}

/// Watched categories became empty: the next message in one of them is news again.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct WaitingCleared {
    /// The categories that are empty now.
    pub categories: Vec<Category>,
}

impl WaitingCleared {
    /// A one-line summary for `events`.
    pub fn summary(&self) -> String {
        let names: Vec<&str> = self.categories.iter().map(|c| c.as_str()).collect();
        format!("no more messages waiting in {}", names.join(", "))
    }
}
