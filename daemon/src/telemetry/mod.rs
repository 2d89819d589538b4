//! The daemon's telemetry, in one place: log lines (`logging`), Prometheus metrics
//! (`metrics`, `counters`) and one type per operational occurrence (a mailbox problem,
//! messages received, a delivery attempt failed, a retry scheduled, a message classified or
//! placed, a record system's refusal, an event-log append, a retention sweep) whose `report`
//! both writes its log line (fixed text, fixed fields) and counts its metric, with the fixed
//! `stage` and `error_type` values of `labels`. `spans` gives the spans of one message's work.
//!
//! Log lines name messages by id only: never a BSN, a name or letter text; secrets never.

mod counters;
mod delivery;
pub mod labels;
mod log_append;
pub mod logging;
mod mailbox;
pub mod metrics;
mod notification;
mod record_system;
mod retention;
pub mod spans;
#[cfg(test)]
mod testing;

pub use delivery::{
    DeliveryAttemptFailed, MessageClassified, MessagePlaced, RetryScheduled, StepAttemptFailed,
    WorkFailed, NO_FAILED_CALL,
};
pub use labels::{ErrorType, Stage};
pub use log_append::LogAppended;
pub use mailbox::{MailboxProblem, MessagesNotTaken, MessagesReceived};
pub use metrics::Metrics;
pub use notification::{NotificationMailed, NotificationNotMailed};
pub use record_system::RecordSystemAnswered;
pub use retention::{RetentionSweepFailed, RetentionSwept};
