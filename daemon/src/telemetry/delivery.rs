//! What happens to one message on its way to the record system: an attempt failed, a retry
//! scheduled, the work failed as a whole, a category given, the document placed. Each
//! occurrence writes its log line (by message id only: never a BSN, a name or letter text)
//! and counts its metric.

use std::fmt::Display;

use ketenpost_domain::category::Category;
use ketenpost_domain::events::Event;

use super::labels::{ErrorType, Stage};
use super::metrics::Metrics;

/// An attempt at the record system failed (it is retried, or the message got a category).
#[derive(Debug)]
pub struct DeliveryAttemptFailed<'a, M> {
    /// The message.
    pub message_id: &'a M,
    /// Which attempt.
    pub attempt: u32,
    /// The call that failed.
    pub stage: Stage,
    /// What kind of failure.
    pub error_type: ErrorType,
    /// What went wrong, in fixed words (the status, never an answer's body).
    pub error: &'a str,
}

impl<M: Display> DeliveryAttemptFailed<'_, M> {
    /// Logs (warn) and counts `delivery_attempts_failed{stage, error_type}`.
    pub fn report(&self, metrics: &Metrics) {
        tracing::warn!(
            message_id = %self.message_id,
            attempt = self.attempt,
            stage = self.stage.as_str(),
            error_type = self.error_type.as_str(),
            error = %self.error,
            "delivery attempt failed"
        );
        metrics
            .occurrences
            .attempt_failed(self.stage, self.error_type);
    }
}

/// A message is given a later try.
#[derive(Debug)]
pub struct RetryScheduled<'a, M> {
    /// The message.
    pub message_id: &'a M,
    /// The stage that failed.
    pub stage: Stage,
    /// In how many milliseconds.
    pub retry_in_ms: i64,
}

impl<M: Display> RetryScheduled<'_, M> {
    /// Logs (info) and counts `retries_scheduled{stage}`.
    pub fn report(&self, metrics: &Metrics) {
        tracing::info!(
            message_id = %self.message_id,
            stage = self.stage.as_str(),
            retry_in_ms = self.retry_in_ms,
            "retry scheduled"
        );
        metrics.occurrences.retry(self.stage);
    }
}

/// A step's failed attempt: the attempt and, when a later try follows, its retry. The
/// in-process worker and the owner (for a worker's result) report it alike.
#[derive(Debug)]
pub struct StepAttemptFailed<'a, M> {
    /// The message.
    pub message_id: &'a M,
    /// Which attempt.
    pub attempt: u32,
    /// The stage and kind of the call that failed; `None`: none failed (the document was
    /// stored, but in error).
    pub failed_call: Option<(Stage, ErrorType)>,
    /// The events that record the attempt (a `DeliveryFailed` first says what went wrong, in
    /// fixed words).
    pub events: &'a [Event],
    /// When the next try is (milliseconds since 1970-01-01 UTC), if one follows.
    pub retry_at_ms: Option<i64>,
    /// Now (milliseconds since 1970-01-01 UTC).
    pub now_ms: i64,
}

/// The stage and kind of an attempt that failed without a failed call: the record system
/// stored the document, but in error.
pub const NO_FAILED_CALL: (Stage, ErrorType) = (Stage::Upload, ErrorType::DocumentInError);

impl<M: Display> StepAttemptFailed<'_, M> {
    /// Reports [`DeliveryAttemptFailed`] and, when a try follows, [`RetryScheduled`].
    pub fn report(&self, metrics: &Metrics) {
        let (stage, error_type) = self.failed_call.unwrap_or(NO_FAILED_CALL);
        let error = match self.events.first() {
            Some(Event::DeliveryFailed(failed)) => failed.error.as_str(),
            _ => "the attempt decided the message",
        };
        DeliveryAttemptFailed {
            message_id: self.message_id,
            attempt: self.attempt,
            stage,
            error_type,
            error,
        }
        .report(metrics);
        if let Some(at) = self.retry_at_ms {
            RetryScheduled {
                message_id: self.message_id,
                stage,
                retry_in_ms: at.saturating_sub(self.now_ms).max(0),
            }
            .report(metrics);
        }
    }
}

/// The work on a message failed as a whole (the log could not be read or written, a bug); it
/// is tried again after `retry_in_ms`.
#[derive(Debug)]
pub struct WorkFailed<'a, M, E> {
    /// The message (`?` when a task that ended abnormally cannot be named).
    pub message_id: &'a M,
    /// What failed (never a message's content: the log's and the payload store's errors).
    pub error: &'a E,
    /// In how many milliseconds it is tried again.
    pub retry_in_ms: i64,
}

impl<M: Display, E: Display> WorkFailed<'_, M, E> {
    /// Logs (error) and counts `retries_scheduled{stage="work"}`.
    pub fn report(&self, metrics: &Metrics) {
        tracing::error!(
            message_id = %self.message_id,
            stage = Stage::Work.as_str(),
            error = %self.error,
            retry_in_ms = self.retry_in_ms,
            "work failed; retried in 30 s"
        );
        metrics.occurrences.retry(Stage::Work);
    }
}

/// A message got a category.
#[derive(Debug)]
pub struct MessageClassified<'a, M> {
    /// The message.
    pub message_id: &'a M,
    /// The category.
    pub category: Category,
}

impl<M: Display> MessageClassified<'_, M> {
    /// Logs (debug) and counts `messages_classified{category}`.
    pub fn report(&self, metrics: &Metrics) {
        tracing::debug!(
            message_id = %self.message_id,
            category = self.category.as_str(),
            "message classified"
        );
        metrics.occurrences.classified(self.category);
    }
}

/// A message's document is in the record system.
#[derive(Debug)]
pub struct MessagePlaced<'a, M> {
    /// The message.
    pub message_id: &'a M,
    /// Found by reading an earlier upload back, not by uploading now.
    pub found_by_readback: bool,
    /// From the payload's receipt until now.
    pub latency_seconds: f64,
}

impl<M: Display> MessagePlaced<'_, M> {
    /// Logs (info), observes `delivery_latency_seconds` and counts `messages_placed`.
    pub fn report(&self, metrics: &Metrics) {
        if self.found_by_readback {
            tracing::info!(message_id = %self.message_id, "an earlier upload had landed");
        } else {
            tracing::info!(message_id = %self.message_id, "placed");
        }
        metrics.delivered(self.latency_seconds);
        metrics.occurrences.placed();
    }
}

#[cfg(test)]
mod tests {
    use super::super::testing::observe;
    use super::*;

    #[test]
    fn a_failed_attempt_is_logged_and_counted_by_stage_and_error_type() {
        let (lines, metrics) = observe(|metrics| {
            DeliveryAttemptFailed {
                message_id: &"msg-1",
                attempt: 2,
                stage: Stage::Upload,
                error_type: ErrorType::Unavailable,
                error: "HTTP 503 to the upload",
            }
            .report(metrics);
        });
        assert_eq!(lines.len(), 1);
        let line = &lines[0];
        assert_eq!(line["message"], "delivery attempt failed");
        assert_eq!(line["level"], "WARN");
        assert_eq!(line["message_id"], "msg-1");
        assert_eq!(line["attempt"], 2);
        assert_eq!(line["stage"], "upload");
        assert_eq!(line["error_type"], "unavailable");
        assert!(metrics.contains(
            "ketenpost_delivery_attempts_failed_total{stage=\"upload\",error_type=\"unavailable\"} 1"
        ));
    }

    #[test]
    fn a_retry_and_a_failed_work_item_count_as_retries_of_their_stage() {
        let (lines, metrics) = observe(|metrics| {
            RetryScheduled {
                message_id: &"msg-1",
                stage: Stage::Lookup,
                retry_in_ms: 1000,
            }
            .report(metrics);
            WorkFailed {
                message_id: &"msg-2",
                error: &"the event log is closed",
                retry_in_ms: 30_000,
            }
            .report(metrics);
        });
        assert_eq!(lines[0]["message"], "retry scheduled");
        assert_eq!(lines[0]["stage"], "lookup");
        assert_eq!(lines[1]["message"], "work failed; retried in 30 s");
        assert_eq!(lines[1]["level"], "ERROR");
        assert!(metrics.contains("ketenpost_retries_scheduled_total{stage=\"lookup\"} 1"));
        assert!(metrics.contains("ketenpost_retries_scheduled_total{stage=\"work\"} 1"));
    }

    #[test]
    fn a_category_and_a_placement_are_logged_and_counted() {
        let (lines, metrics) = observe(|metrics| {
            MessageClassified {
                message_id: &"msg-1",
                category: Category::UnknownBsn,
            }
            .report(metrics);
            MessagePlaced {
                message_id: &"msg-2",
                found_by_readback: false,
                latency_seconds: 0.5,
            }
            .report(metrics);
            MessagePlaced {
                message_id: &"msg-3",
                found_by_readback: true,
                latency_seconds: 0.5,
            }
            .report(metrics);
        });
        assert_eq!(lines[0]["message"], "message classified");
        assert_eq!(lines[0]["category"], "unknown_bsn");
        assert_eq!(lines[1]["message"], "placed");
        assert_eq!(lines[2]["message"], "an earlier upload had landed");
        assert!(metrics.contains("ketenpost_messages_classified_total{category=\"unknown_bsn\"} 1"));
        assert!(metrics.contains("ketenpost_messages_placed_total 2"));
        assert!(metrics.contains("ketenpost_delivery_latency_seconds_count 2"));
    }
}
