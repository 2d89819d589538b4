//! The rules for a message that needs the record system: what its history says to do next,
//! how the record system's answers are judged, and what a retry or a placement records.
//!
//! The daemon turns a message's history into a [`NextStep`], does the IO, and appends the events
//! these functions return. Nothing here talks to the record system.

mod failure;

pub use failure::{after_failure, document_status_counts, Failure};

use crate::category::{Category, Classification, Reason};
use crate::events::{
    Event, MailEnvelope, MessageClassified, MessageParsed, RecordedEvent, StreamId,
};

/// What a message stream needs next.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum NextStep {
    /// Nothing: the message is in a category (or the stream is not a message).
    Nothing,
    /// Read its payload again and decide with today's configuration (after a resend).
    Reprocess,
    /// Deliver it to the record system.
    Deliver {
        /// The attempt this will be, from 1.
        attempt: u32,
        /// Not before this time (milliseconds since 1970-01-01 UTC; 0: at once).
        not_before_ms: i64,
        /// An upload of this message was started before and its outcome is not known: read
        /// the client's documents back before uploading again.
        earlier_upload: bool,
    },
}

/// What a message's history says about it.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct MessageFacts {
    /// The `MessageParsed` event, if the stream has one.
    pub parsed: Option<MessageParsed>,
    /// The stream's last version.
    pub version: Option<u64>,
    /// The current category, if it is in one.
    pub category: Option<Category>,
    /// When the stream began.
    pub created_at_ms: i64,
    /// Its retention period ended: the personal data it carried is unreadable.
    pub expired: bool,
    next: Option<NextStep>,
}

impl MessageFacts {
    /// Folds a message stream's events, oldest first.
    pub fn from_history(history: &[RecordedEvent]) -> Self {
        let mut facts = Self::default();
        let mut any_upload = false;
        for recorded in history {
            facts.version = Some(recorded.version);
            match &recorded.event {
                Event::MessageParsed(parsed) => {
                    facts.parsed = Some(parsed.clone());
                    facts.created_at_ms = recorded.recorded_at_ms;
                    facts.next = None;
                }
                Event::AwaitingDelivery => {
                    facts.category = None;
                    facts.next = Some(deliver(1, 0, any_upload));
                }
                Event::DeliveryAttempted(attempted) => {
                    any_upload = true;
                    // Interrupted unless a failure or placement follows.
                    facts.next = Some(deliver(attempted.attempt + 1, 0, true));
                }
                Event::DeliveryFailed(failed) => {
                    facts.next = Some(deliver(failed.attempt + 1, failed.retry_at_ms, any_upload));
                }
                Event::DocumentPlaced(_) => facts.next = Some(NextStep::Nothing),
                Event::MessageClassified(classified) => {
                    facts.category = Some(classified.category);
                    facts.next = Some(NextStep::Nothing);
                }
                Event::ResendRequested(_) => {
                    facts.category = None;
                    facts.next = Some(NextStep::Reprocess);
                }
                // Receipts and portal users are other streams.
                Event::MessageReceived(_)
                | Event::UserAdded(_)
                | Event::PasswordLinkIssued(_)
                | Event::PasswordSet(_)
                | Event::TwoFactorEnrolled(_)
                | Event::RecoveryCodesIssued(_)
                | Event::SecondFactorUsed(_)
                | Event::UserChanged(_)
                | Event::SecurityLogged(_)
                | Event::AccessLogged(_)
                | Event::NotificationDecided(_)
                | Event::NotificationSent(_)
                | Event::NotificationFailed(_)
                | Event::WaitingCleared(_)
                | Event::HistoryForgotten(_)
                | Event::ConsentSet(_)
                | Event::NoteAdded(_)
                | Event::ConfigurationProposed(_)
                | Event::ConfigurationApproved(_)
                | Event::ConfigurationRejected(_)
                | Event::ConfigurationActivated(_) => {}
                Event::RetentionExpired(_) => facts.expired = true,
            }
        }
        facts
    }

    /// What to do next.
    pub fn next_step(&self) -> NextStep {
        match (&self.parsed, &self.next) {
            (Some(_), Some(next)) => next.clone(),
            // Parsed but nothing decided: the step that decides was interrupted.
            (Some(_), None) => NextStep::Reprocess,
            (None, _) => NextStep::Nothing,
        }
    }
}

fn deliver(attempt: u32, not_before_ms: i64, earlier_upload: bool) -> NextStep {
    NextStep::Deliver {
        attempt,
        not_before_ms,
        earlier_upload,
    }
}

/// The message's sender: the UNB sender id, else the sending account the mailbox recorded.
pub fn sender<'a>(
    parsed: &'a MessageParsed,
    envelope: Option<&'a MailEnvelope>,
) -> Option<&'a str> {
    parsed
        .sender_id
        .as_deref()
        .filter(|s| !s.is_empty())
        .or_else(|| envelope.and_then(|e| e.source_account_id.as_deref()))
}

/// The file name a message's document gets in the record system: it carries the message id,
/// so an interrupted upload can be recognised when reading the client's documents back.
pub fn file_name(message: &StreamId) -> String {
    format!("{message}.pdf")
}

/// Whether a document file name in the record system is this message's.
pub fn is_document_of(file_name_found: &str, message: &StreamId) -> bool {
    file_name_found == file_name(message)
}

/// The outcome of looking a client up by BSN when it did not give one client.
pub fn after_lookup(status: u16) -> Option<Classification> {
    match status {
        404 => Some(Classification {
            category: Category::UnknownBsn,
            reason: Reason::UnknownBsn,
        }),
        409 => Some(Classification {
            category: Category::Fallout,
            reason: Reason::SeveralClients,
        }),
        _ => None,
    }
}

/// A `MessageClassified` event (the worker adds the configuration version that decided it).
pub fn classified(category: Category, reason: Reason) -> Event {
    Event::MessageClassified(MessageClassified {
        category,
        reason,
        config_version: None,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::events::test_support::{self, message_event};
    use crate::events::{DeliveryAttempted, EventId, ResendRequested, StreamKind};
    use crate::routing::RetryPolicy;
    use std::time::Duration;

    fn at(version: u64, event: Event) -> RecordedEvent {
        message_event(version, event)
    }

    fn parsed() -> Event {
        test_support::parsed("MEDLAB:1")
    }

    fn attempted(attempt: u32) -> Event {
        Event::DeliveryAttempted(DeliveryAttempted {
            attempt,
            record_system: "ons".into(),
            idempotency_key: "k".into(),
            client_id: "1".into(),
            file_name: "f.pdf".into(),
        })
    }

    fn policy() -> RetryPolicy {
        RetryPolicy {
            attempts: 3,
            first_delay: Duration::from_secs(1),
            max_delay: Duration::from_secs(10),
        }
    }

    #[test]
    fn a_message_awaiting_delivery_is_delivered_at_once() {
        let facts = MessageFacts::from_history(&[at(0, parsed()), at(1, Event::AwaitingDelivery)]);
        assert_eq!(facts.next_step(), deliver(1, 0, false));
        assert_eq!(facts.version, Some(1));
    }

    #[test]
    fn an_interrupted_upload_is_read_back_before_the_next_attempt() {
        let facts = MessageFacts::from_history(&[
            at(0, parsed()),
            at(1, Event::AwaitingDelivery),
            at(2, attempted(1)),
        ]);
        assert_eq!(facts.next_step(), deliver(2, 0, true));
    }

    #[test]
    fn a_pending_retry_waits_for_its_time() {
        let failed = after_failure(
            &policy(),
            1,
            Failure::Transient("HTTP 503".into()),
            5_000,
            1.0,
        );
        let facts = MessageFacts::from_history(&[
            at(0, parsed()),
            at(1, Event::AwaitingDelivery),
            at(2, attempted(1)),
            at(3, failed),
        ]);
        assert_eq!(facts.next_step(), deliver(2, 6_000, true));
    }

    #[test]
    fn a_resend_reprocesses_and_a_category_ends_the_work() {
        let done = classified(Category::UnknownBsn, Reason::UnknownBsn);
        let mut history = vec![at(0, parsed()), at(1, Event::AwaitingDelivery), at(2, done)];
        let facts = MessageFacts::from_history(&history);
        assert_eq!(facts.next_step(), NextStep::Nothing);
        assert_eq!(facts.category, Some(Category::UnknownBsn));
        history.push(at(
            3,
            Event::ResendRequested(ResendRequested {
                requested_by: "cli".into(),
            }),
        ));
        let facts = MessageFacts::from_history(&history);
        assert_eq!(
            (facts.next_step(), facts.category),
            (NextStep::Reprocess, None)
        );
    }

    #[test]
    fn lookups_map_404_to_unknown_bsn_and_409_to_fallout() {
        assert_eq!(
            after_lookup(404).map(|c| c.category),
            Some(Category::UnknownBsn)
        );
        assert_eq!(
            after_lookup(409).map(|c| c.reason),
            Some(Reason::SeveralClients)
        );
        assert_eq!(after_lookup(503), None);
    }

    #[test]
    fn the_sender_is_the_unb_sender_else_the_sending_account() {
        let Event::MessageParsed(mut p) = parsed() else {
            unreachable!()
        };
        let envelope = MailEnvelope {
            source_account_id: Some("500012345".into()),
            ..MailEnvelope::default()
        };
        assert_eq!(sender(&p, Some(&envelope)), Some("500012345"));
        p.sender_id = Some("500011111".into());
        assert_eq!(sender(&p, Some(&envelope)), Some("500011111"));
        assert_eq!(sender(&p, None), Some("500011111"));
    }

    #[test]
    fn the_file_name_carries_the_message_id() {
        let id = StreamId::new(StreamKind::Message, EventId(42));
        assert!(file_name(&id).contains(id.as_str()));
        assert!(is_document_of(&file_name(&id), &id));
        assert!(!is_document_of("other.pdf", &id));
    }
}
