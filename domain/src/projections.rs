//! The folds that turn the event log into what people look at: each message's current state
//! and summary, the receipt it came from, and how the counts per state change.
//!
//! Storage, checkpoints and paging live in the adapters; the rules live here.

use serde::{Deserialize, Serialize};

use crate::category::{Category, Reason};
use crate::events::{Event, RecordedEvent, StreamId};
use crate::payload::Format;

/// Where a message is: in flight, waiting for the record system, or in a category.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum State {
    /// Read, or asked to run again, and not decided yet.
    InFlight,
    /// Waits for the record system to place it.
    AwaitingDelivery,
    /// In one of the six categories.
    #[serde(untagged)]
    Category(Category),
}

impl State {
    /// Every state, in the order people see them.
    pub const ALL: [Self; 8] = [
        Self::InFlight,
        Self::AwaitingDelivery,
        Self::Category(Category::Processed),
        Self::Category(Category::Unsupported),
        Self::Category(Category::MissingBsn),
        Self::Category(Category::UnknownBsn),
        Self::Category(Category::TechnicalError),
        Self::Category(Category::Fallout),
    ];

    /// The machine name: `in_flight`, `awaiting_delivery`, or the category's name.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::InFlight => "in_flight",
            Self::AwaitingDelivery => "awaiting_delivery",
            Self::Category(category) => category.as_str(),
        }
    }

    /// The state named `name`.
    pub fn from_name(name: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|s| s.as_str() == name)
    }

    /// The Dutch label people see.
    pub fn label(self) -> &'static str {
        match self {
            Self::InFlight => crate::labels::IN_FLIGHT,
            Self::AwaitingDelivery => crate::labels::AWAITING_DELIVERY,
            Self::Category(category) => category.label(),
        }
    }

    /// A one-byte code for keys that sort by state.
    pub fn code(self) -> u8 {
        Self::ALL
            .iter()
            .position(|s| *s == self)
            .and_then(|p| u8::try_from(p).ok())
            .unwrap_or(u8::MAX)
    }
}

/// A received payload, as its receipt stream says.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ReceiptSummary {
    /// The receipt stream.
    pub stream: StreamId,
    /// The mailbox it came from.
    pub mailbox: String,
    /// The mailbox's id for it.
    pub remote_id: String,
    /// The payload's digest.
    pub payload_digest: String,
    /// Its size.
    pub size: u64,
    /// Its format.
    pub format: Format,
    /// When it was recorded.
    pub received_at_ms: i64,
    /// How many message streams were made from it (0: not processed yet).
    pub messages: u32,
}

/// One message, as the lists and the detail show it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct MessageSummary {
    /// The message stream (its id).
    pub stream: StreamId,
    /// The receipt it came from.
    pub receipt: StreamId,
    /// The mailbox it came from.
    pub mailbox: String,
    /// The mailbox's id for the payload.
    pub remote_id: String,
    /// Its number in the payload.
    pub number: u32,
    /// The payload's format.
    pub format: Format,
    /// The UNH identifier, for EDIFACT.
    pub identifier: Option<String>,
    /// UNB element 5.
    pub interchange_ref: Option<String>,
    /// UNH element 1.
    pub message_ref: Option<String>,
    /// UNB sender id.
    pub sender_id: Option<String>,
    /// Where it is now.
    pub state: State,
    /// Why, in Dutch, when in a category.
    pub reason: Option<String>,
    /// Why, as the reason's stable code (`Reason::code`), when in a category (absent in
    /// projections written before codes were kept).
    #[serde(default)]
    pub reason_code: Option<String>,
    /// The log position at which it entered its current state (lists sort on this).
    pub state_position: u64,
    /// When it entered its current state.
    pub state_at_ms: i64,
    /// When its stream began.
    pub created_at_ms: i64,
    /// How often a resend was asked.
    pub resends: u32,
}

/// The receipt after `event`, if the event is about a receipt.
pub fn apply_to_receipt(
    current: Option<ReceiptSummary>,
    event: &RecordedEvent,
) -> Option<ReceiptSummary> {
    match &event.event {
        Event::MessageReceived(e) => Some(ReceiptSummary {
            stream: event.stream.clone(),
            mailbox: e.mailbox.clone(),
            remote_id: e.remote_id.clone(),
            payload_digest: e.payload_digest.clone(),
            size: e.size,
            format: e.format,
            received_at_ms: event.recorded_at_ms,
            messages: 0,
        }),
        Event::MessageParsed(_) => current.map(|r| ReceiptSummary {
            messages: r.messages + 1,
            ..r
        }),
        _ => current,
    }
}

/// The message after `event`, given what it was and (for the first event) its receipt.
pub fn apply_to_message(
    current: Option<MessageSummary>,
    event: &RecordedEvent,
    receipt: Option<&ReceiptSummary>,
) -> Option<MessageSummary> {
    let enter = |summary: MessageSummary, state: State, reason: Option<&Reason>| MessageSummary {
        state,
        reason: reason.map(Reason::describe),
        reason_code: reason.map(|r| r.code().to_owned()),
        state_position: event.position,
        state_at_ms: event.recorded_at_ms,
        ..summary
    };
    match (&event.event, current) {
        (Event::MessageParsed(e), _) => Some(MessageSummary {
            stream: event.stream.clone(),
            receipt: e.receipt.clone(),
            mailbox: receipt.map(|r| r.mailbox.clone()).unwrap_or_default(),
            remote_id: receipt.map(|r| r.remote_id.clone()).unwrap_or_default(),
            number: e.number,
            format: e.format,
            identifier: e.identifier.clone(),
            interchange_ref: e.interchange_ref.clone(),
            message_ref: e.message_ref.clone(),
            sender_id: e.sender_id.clone(),
            state: State::InFlight,
            reason: None,
            reason_code: None,
            state_position: event.position,
            state_at_ms: event.recorded_at_ms,
            created_at_ms: event.recorded_at_ms,
            resends: 0,
        }),
        (Event::AwaitingDelivery, Some(summary)) => {
            Some(enter(summary, State::AwaitingDelivery, None))
        }
        (Event::MessageClassified(e), Some(summary)) => {
            Some(enter(summary, State::Category(e.category), Some(&e.reason)))
        }
        (Event::ResendRequested(_), Some(summary)) => {
            let resends = summary.resends + 1;
            Some(MessageSummary {
                resends,
                ..enter(summary, State::InFlight, None)
            })
        }
        (_, current) => current,
    }
}

/// Where a message is after `event`: its state and the position at which it entered it (the
/// same as `state` and `state_position` of [`apply_to_message`], without the rest of the
/// summary, for the lists and counts).
pub fn apply_to_state(
    current: Option<(State, u64)>,
    event: &RecordedEvent,
) -> Option<(State, u64)> {
    match (&event.event, current) {
        (Event::MessageParsed(_), _) => Some((State::InFlight, event.position)),
        (Event::AwaitingDelivery, Some(_)) => Some((State::AwaitingDelivery, event.position)),
        (Event::MessageClassified(e), Some(_)) => {
            Some((State::Category(e.category), event.position))
        }
        (Event::ResendRequested(_), Some(_)) => Some((State::InFlight, event.position)),
        (_, current) => current,
    }
}

/// Whether `event` can move a message to another state: [`apply_to_state`] leaves a message
/// where it is for any other event, so a projection need not know where it was.
pub fn moves_state(event: &Event) -> bool {
    matches!(
        event,
        Event::MessageParsed(_)
            | Event::AwaitingDelivery
            | Event::MessageClassified(_)
            | Event::ResendRequested(_)
    )
}

/// How the counts per state change when a message goes from `before` to `after`.
pub fn count_changes(before: Option<State>, after: Option<State>) -> Vec<(State, i64)> {
    if before == after {
        return Vec::new();
    }
    before
        .map(|s| (s, -1))
        .into_iter()
        .chain(after.map(|s| (s, 1)))
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::category::Reason;
    use crate::events::test_support::{self, message_event};
    use crate::events::{MessageClassified, ResendRequested};

    fn recorded(position: u64, event: Event) -> RecordedEvent {
        message_event(position, event)
    }

    fn parsed() -> Event {
        test_support::parsed("MEDVRI:1")
    }

    fn fallout() -> Event {
        Event::MessageClassified(MessageClassified {
            category: Category::Fallout,
            reason: Reason::NoBsn,
            config_version: None,
        })
    }

    fn resend() -> Event {
        Event::ResendRequested(ResendRequested {
            requested_by: "cli".into(),
        })
    }

    #[test]
    fn a_message_moves_from_in_flight_to_its_category_and_back_on_resend() {
        let s = apply_to_message(None, &recorded(0, parsed()), None).unwrap();
        assert_eq!(s.state, State::InFlight);
        let s = apply_to_message(Some(s), &recorded(1, Event::AwaitingDelivery), None).unwrap();
        assert_eq!(s.state, State::AwaitingDelivery);
        let classified = Event::MessageClassified(MessageClassified {
            category: Category::MissingBsn,
            reason: Reason::NoBsn,
            config_version: None,
        });
        let s = apply_to_message(Some(s), &recorded(2, classified), None).unwrap();
        assert_eq!(
            (s.state, s.state_position),
            (State::Category(Category::MissingBsn), 2)
        );
        assert_eq!(s.reason.as_deref(), Some("Het bericht bevat geen BSN"));
        let s = apply_to_message(Some(s), &recorded(3, resend()), None).unwrap();
        assert_eq!((s.state, s.resends, s.reason), (State::InFlight, 1, None));
        assert_eq!(s.created_at_ms, 1_000);
    }

    #[test]
    fn the_state_alone_moves_as_the_summary_does() {
        let (classified, resend) = (fallout(), resend());
        let events = [
            recorded(0, Event::AwaitingDelivery),
            recorded(1, parsed()),
            recorded(2, Event::AwaitingDelivery),
            recorded(3, classified),
            recorded(4, resend),
        ];
        let (mut summary, mut state) = (None, None);
        for event in &events {
            summary = apply_to_message(summary, event, None);
            state = apply_to_state(state, event);
            assert_eq!(summary.as_ref().map(|s| (s.state, s.state_position)), state);
        }
    }

    #[test]
    fn an_event_that_does_not_move_the_state_leaves_every_state_as_it_is() {
        let (classified, resend) = (fallout(), resend());
        let expired = Event::RetentionExpired(crate::events::RetentionExpired {
            rule: "keep_processed".into(),
            decided_at_ms: 5,
        });
        let places = [
            None,
            Some((State::InFlight, 3)),
            Some((State::Category(Category::Processed), 7)),
        ];
        for event in [
            parsed(),
            Event::AwaitingDelivery,
            classified,
            resend,
            expired,
        ] {
            let recorded = recorded(9, event);
            let moved = places
                .iter()
                .any(|place| apply_to_state(*place, &recorded) != *place);
            assert_eq!(moved, moves_state(&recorded.event), "{:?}", recorded.event);
        }
    }

    #[test]
    fn counts_move_with_the_state() {
        assert_eq!(
            count_changes(None, Some(State::InFlight)),
            [(State::InFlight, 1)]
        );
        assert_eq!(
            count_changes(Some(State::InFlight), Some(State::AwaitingDelivery)),
            [(State::InFlight, -1), (State::AwaitingDelivery, 1)]
        );
        assert!(count_changes(Some(State::InFlight), Some(State::InFlight)).is_empty());
    }

    #[test]
    fn state_names_round_trip() {
        for state in State::ALL {
            assert_eq!(State::from_name(state.as_str()), Some(state));
        }
        assert_eq!(
            serde_json::to_string(&State::Category(Category::Fallout)).unwrap(),
            "\"fallout\""
        );
        assert_eq!(
            serde_json::to_string(&State::AwaitingDelivery).unwrap(),
            "\"awaiting_delivery\""
        );
    }
}
