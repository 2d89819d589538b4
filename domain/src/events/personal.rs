//! The text in events that may carry personal data: a reader's error quoting the payload
//! (letter text), an error body of the record system, a rendering failure, the client's id in
//! the record system. These are the only strings the event log seals with the message's own key
//! (`adapters/src/event_log/message_keys.rs`), so that destroying that key when the retention
//! period ends leaves them unreadable for good while the rest of the event stays.

use super::Event;
use crate::category::Reason;
use crate::edifact::ParseErrorKind;

/// What people see where personal data was made unreadable when its retention period ended.
pub const REMOVED_AFTER_RETENTION: &str = "verwijderd na de bewaartermijn";

impl Event {
    /// Every string of this event that may carry personal data, to seal or open in place.
    pub fn personal_text_mut(&mut self) -> Vec<&mut String> {
        let mut out = Vec::new();
        match self {
            Self::MessageParsed(e) => out.extend(e.error.as_mut()),
            Self::MessageClassified(e) => reason_text(&mut e.reason, &mut out),
            Self::DeliveryAttempted(e) => out.push(&mut e.client_id),
            Self::DeliveryFailed(e) => out.push(&mut e.error),
            Self::DocumentPlaced(e) => out.push(&mut e.client_id),
            Self::MessageReceived(_)
            | Self::AwaitingDelivery
            | Self::ResendRequested(_)
            | Self::RetentionExpired(_) => {}
            // Not a message's: portal users, the security log and the access log seal their
            // personal data (addresses, names, the BSN) with the data key when they are made.
            Self::UserAdded(_)
            | Self::PasswordLinkIssued(_)
            | Self::PasswordSet(_)
            | Self::TwoFactorEnrolled(_)
            | Self::RecoveryCodesIssued(_)
            | Self::SecondFactorUsed(_)
            | Self::UserChanged(_)
            | Self::SecurityLogged(_)
            | Self::AccessLogged(_) => {}
            // Notifications carry counts and names of mailboxes only; a note's text is sealed
            // by whoever writes it, with the key of the period it is written in.
            Self::NotificationDecided(_)
            | Self::NotificationSent(_)
            | Self::NotificationFailed(_)
            | Self::WaitingCleared(_)
            | Self::HistoryForgotten(_)
            | Self::ConsentSet(_)
            | Self::NoteAdded(_)
            // The configuration holds no client data; its secrets are sealed when proposed.
            | Self::ConfigurationProposed(_)
            | Self::ConfigurationApproved(_)
            | Self::ConfigurationRejected(_)
            | Self::ConfigurationActivated(_) => {}
        }
        out
    }
}

fn reason_text<'a>(reason: &'a mut Reason, out: &mut Vec<&'a mut String>) {
    match reason {
        Reason::Malformed { detail, error } => {
            out.push(detail);
            if let Some(error) = error {
                match &mut error.kind {
                    ParseErrorKind::BadUna { expected: text }
                    | ParseErrorKind::BadTag { found: text }
                    | ParseErrorKind::Unexpected { found: text, .. } => out.push(text),
                    _ => {}
                }
            }
        }
        Reason::NotRenderable { detail } => out.push(detail),
        Reason::RecordSystemUnavailable { last_error, .. } => out.push(last_error),
        _ => {}
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::category::Category;
    use crate::events::{DeliveryFailed, MessageClassified};

    #[test]
    fn the_personal_text_of_an_event_is_found() {
        let mut failed = Event::DeliveryFailed(DeliveryFailed {
            attempt: 1,
            error: "HTTP 500: client Jansen".into(),
            retry_at_ms: 0,
        });
        assert_eq!(failed.personal_text_mut().len(), 1);
        let mut classified = Event::MessageClassified(MessageClassified {
            category: Category::Fallout,
            reason: Reason::NotRenderable {
                detail: "letter text".into(),
            },
            config_version: None,
        });
        for text in classified.personal_text_mut() {
            *text = REMOVED_AFTER_RETENTION.into();
        }
        assert!(format!("{classified:?}").contains(REMOVED_AFTER_RETENTION));
    }
}
