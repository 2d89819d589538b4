//! The events of a message's life and the envelope they are recorded in.
//!
//! Every state transition of every message is an event in the append log; everything people
//! look at is a projection of it. Events carry no BSN, name or letter text: those stay in the
//! encrypted payload, found by its digest. Portal users are streams too; their address and
//! name are sealed inside the event (`UserAdded::profile`).

mod access_events;
mod config_events;
mod envelope;
mod message_events;
mod notification_events;
mod personal;
mod portal_events;
#[cfg(test)]
pub(crate) mod test_support;
mod upcast;
mod user_events;

pub use access_events::{verify_chain, AccessLogged, ChainBreak, ACCESS_STREAM, GENESIS};
pub use config_events::{
    ConfigurationActivated, ConfigurationApproved, ConfigurationProposed, ConfigurationRejected,
};
pub use envelope::{EventId, NewEvent, RecordedEvent, StreamId, StreamKind};
pub use message_events::{
    DeliveryAttempted, DeliveryFailed, DocumentPlaced, Event, HistoryForgotten, MailEnvelope,
    MessageClassified, MessageParsed, MessageReceived, ParsedOutcome, ResendRequested,
    RetentionExpired, HISTORY_STREAM,
};
pub use notification_events::{
    Notice, NotificationDecided, NotificationFailed, NotificationSent, ProblemSource,
    WaitingCleared, NOTIFICATIONS_STREAM,
};
pub use personal::REMOVED_AFTER_RETENTION;
pub use portal_events::{Consent, ConsentSet, NoteAdded, CONSENTS_STREAM, NOTES_STREAM};
pub use upcast::{
    decode_event, decode_event_json, encode_event, EventDecodeError, SCHEMA_VERSIONS,
};
pub use user_events::{
    LinkPurpose, PasswordLinkIssued, PasswordSet, RecoveryCodesIssued, Role, SecondFactorUsed,
    SecurityLogged, TwoFactorEnrolled, UserAdded, UserChange, UserChanged,
};
