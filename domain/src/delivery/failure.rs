//! How a failed call to the record system is judged: retried, a technical error after the
//! budget (also when the record system refuses ketenpost itself), or fallout when it refuses
//! the message; and which document statuses count as placed.

use super::classified;
use crate::category::{Category, Reason, RecordSystemCall};
use crate::events::{DeliveryFailed, Event};
use crate::routing::RetryPolicy;

/// How a failed call to the record system is judged.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Failure {
    /// Worth retrying: the connection failed or timed out, a 5xx, a 415 (an upload that
    /// arrived incomplete), an answer not as described, or a document stored in error.
    Transient(String),
    /// The record system refused ketenpost itself (401, 403: a certificate or account it does
    /// not accept). Not the message's fault: retried, and after the budget a technical error
    /// the operator resends once access is restored.
    Refused {
        /// The call refused.
        call: RecordSystemCall,
        /// The HTTP status.
        status: u16,
    },
    /// Refused for good: another 4xx. Only the status is kept: the body of an error answer
    /// may echo personal data and is never recorded.
    Rejected {
        /// The call refused.
        call: RecordSystemCall,
        /// The HTTP status.
        status: u16,
    },
}

impl Failure {
    /// Judges an HTTP answer to `call` that was not a success.
    pub fn from_status(call: RecordSystemCall, status: u16) -> Self {
        match status {
            401 | 403 => Self::Refused { call, status },
            408 | 415 | 429 => Self::Transient(format!("HTTP {status} to the {call}")),
            s if s >= 500 => Self::Transient(format!("HTTP {status} to the {call}")),
            _ => Self::Rejected { call, status },
        }
    }
}

/// Whether a document in the record system with this `status` (0 New .. 6 Archived) counts as
/// placed: everything but 3 Deleted, 4 Purged and 5 Error. A document without a status counts.
pub fn document_status_counts(status: Option<i64>) -> bool {
    !matches!(status, Some(3..=5))
}

/// What a failed attempt leads to: a retry at a later time, or (with the budget spent, or
/// refused for good) a category.
pub fn after_failure(
    policy: &RetryPolicy,
    attempt: u32,
    failure: Failure,
    now_ms: i64,
    jitter: f64,
) -> Event {
    let (error, spent) = match failure {
        Failure::Rejected { call, status } => {
            return classified(
                Category::Fallout,
                Reason::Rejected {
                    status,
                    call: Some(call),
                },
            )
        }
        Failure::Refused { call, status } => (
            format!("HTTP {status} to the {call}: ketenpost itself was refused"),
            Reason::RecordSystemRefused {
                call,
                status,
                attempts: attempt,
            },
        ),
        Failure::Transient(error) => (
            error.clone(),
            Reason::RecordSystemUnavailable {
                attempts: attempt,
                last_error: error,
            },
        ),
    };
    match policy.delay_before(attempt + 1, jitter) {
        Some(delay) => Event::DeliveryFailed(DeliveryFailed {
            attempt,
            error,
            retry_at_ms: now_ms
                .saturating_add(i64::try_from(delay.as_millis()).unwrap_or(i64::MAX)),
        }),
        None => classified(Category::TechnicalError, spent),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::time::Duration;

    fn policy() -> RetryPolicy {
        RetryPolicy {
            attempts: 3,
            first_delay: Duration::from_secs(1),
            max_delay: Duration::from_secs(10),
        }
    }

    #[test]
    fn the_spent_budget_is_a_technical_error_and_a_refusal_is_fallout() {
        let spent = after_failure(&policy(), 3, Failure::Transient("timeout".into()), 0, 0.5);
        assert!(
            matches!(&spent, Event::MessageClassified(c) if c.category == Category::TechnicalError)
        );
        let upload = RecordSystemCall::Upload;
        let refused = after_failure(&policy(), 1, Failure::from_status(upload, 400), 0, 0.5);
        assert!(matches!(&refused, Event::MessageClassified(c)
            if c.category == Category::Fallout
            && c.reason == Reason::Rejected { status: 400, call: Some(upload) }));
        assert!(matches!(
            Failure::from_status(upload, 415),
            Failure::Transient(_)
        ));
        assert!(matches!(
            Failure::from_status(upload, 503),
            Failure::Transient(_)
        ));
    }

    #[test]
    fn a_refusal_of_ketenpost_itself_is_retried_and_then_a_technical_error_naming_the_call() {
        let lookup = RecordSystemCall::Lookup;
        for status in [401, 403] {
            let failure = Failure::from_status(lookup, status);
            assert_eq!(
                failure,
                Failure::Refused {
                    call: lookup,
                    status
                }
            );
            let first = after_failure(&policy(), 1, failure.clone(), 0, 0.5);
            assert!(
                matches!(&first, Event::DeliveryFailed(f) if f.error.contains("client lookup"))
            );
            let spent = after_failure(&policy(), 3, failure, 0, 0.5);
            let Event::MessageClassified(c) = spent else {
                panic!("not classified: {spent:?}")
            };
            assert_eq!(c.category, Category::TechnicalError);
            assert!(c.reason.describe().contains("het opzoeken van de cliënt"));
        }
    }

    #[test]
    fn documents_deleted_purged_or_in_error_do_not_count_as_placed() {
        for status in [None, Some(0), Some(1), Some(2), Some(6)] {
            assert!(document_status_counts(status), "{status:?}");
        }
        for status in [3, 4, 5] {
            assert!(!document_status_counts(Some(status)), "{status}");
        }
    }
}
