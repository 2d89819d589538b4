//! The events of one message's life, as far as the log and the classification reach.

use serde::{Deserialize, Serialize};

use super::access_events::AccessLogged;
use super::config_events::{
    ConfigurationActivated, ConfigurationApproved, ConfigurationProposed, ConfigurationRejected,
};
use super::notification_events::{
    NotificationDecided, NotificationFailed, NotificationSent, WaitingCleared,
};
use super::portal_events::{ConsentSet, NoteAdded};
use super::user_events::{
    PasswordLinkIssued, PasswordSet, RecoveryCodesIssued, SecondFactorUsed, SecurityLogged,
    TwoFactorEnrolled, UserAdded, UserChanged,
};
use super::StreamId;
use crate::category::{Category, Classification, Reason};
use crate::payload::Format;

/// Every kind of event.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "type", content = "data")]
pub enum Event {
    /// A payload arrived from a mailbox and is stored (receipt stream).
    MessageReceived(MessageReceived),
    /// One message of a received payload was read (message stream, first event).
    MessageParsed(MessageParsed),
    /// The message waits for the record system to place it.
    AwaitingDelivery,
    /// The message is in a category, for a reason.
    MessageClassified(MessageClassified),
    /// A person asked to run the message again (herzenden).
    ResendRequested(ResendRequested),
    /// An upload to the record system is about to start (durable before the upload begins).
    DeliveryAttempted(DeliveryAttempted),
    /// An attempt to deliver failed in a way worth retrying; the next attempt is due then.
    DeliveryFailed(DeliveryFailed),
    /// The document is in the client's record (followed by `MessageClassified` processed).
    DocumentPlaced(DocumentPlaced),
    /// A portal user was added (user stream, first event).
    UserAdded(UserAdded),
    /// A one-time link to set a password was issued (invitation or reset).
    PasswordLinkIssued(PasswordLinkIssued),
    /// The user's password was set.
    PasswordSet(PasswordSet),
    /// The user's TOTP secret was set.
    TwoFactorEnrolled(TwoFactorEnrolled),
    /// The user's recovery codes were replaced.
    RecoveryCodesIssued(RecoveryCodesIssued),
    /// A second factor was used and is spent.
    SecondFactorUsed(SecondFactorUsed),
    /// The user was disabled or their second factor removed.
    UserChanged(UserChanged),
    /// An entry of the security log (security stream).
    SecurityLogged(SecurityLogged),
    /// An access to client data (the `access-log` stream).
    AccessLogged(AccessLogged),
    /// The message's retention period ended: the personal data it carried is unreadable for
    /// good (see `personal.rs`); the events stay for the counts and the audit trail.
    RetentionExpired(RetentionExpired),
    /// The histories of messages long past their retention were forgotten (the `history`
    /// stream): their events are gone from the log, this says how many went and up to when.
    HistoryForgotten(HistoryForgotten),
    /// A notification to mail was decided (the `notifications` stream).
    NotificationDecided(NotificationDecided),
    /// A decided notification was mailed.
    NotificationSent(NotificationSent),
    /// Mailing a decided notification failed; it is tried again.
    NotificationFailed(NotificationFailed),
    /// Watched categories became empty.
    WaitingCleared(WaitingCleared),
    /// A consent to the service desk was given or withdrawn (the `consents` stream).
    ConsentSet(ConsentSet),
    /// A note was written (the `notes` stream).
    NoteAdded(NoteAdded),
    /// A version of the routing configuration was proposed (`configuration` stream).
    ConfigurationProposed(ConfigurationProposed),
    /// A proposed configuration version was approved.
    ConfigurationApproved(ConfigurationApproved),
    /// A proposed configuration version was rejected.
    ConfigurationRejected(ConfigurationRejected),
    /// An approved configuration version is in force.
    ConfigurationActivated(ConfigurationActivated),
}

impl Event {
    /// The type name recorded in the envelope, e.g. `MessageReceived`.
    pub fn type_name(&self) -> &'static str {
        match self {
            Self::MessageReceived(_) => "MessageReceived",
            Self::MessageParsed(_) => "MessageParsed",
            Self::AwaitingDelivery => "AwaitingDelivery",
            Self::MessageClassified(_) => "MessageClassified",
            Self::ResendRequested(_) => "ResendRequested",
            Self::DeliveryAttempted(_) => "DeliveryAttempted",
            Self::DeliveryFailed(_) => "DeliveryFailed",
            Self::DocumentPlaced(_) => "DocumentPlaced",
            Self::UserAdded(_) => "UserAdded",
            Self::PasswordLinkIssued(_) => "PasswordLinkIssued",
            Self::PasswordSet(_) => "PasswordSet",
            Self::TwoFactorEnrolled(_) => "TwoFactorEnrolled",
            Self::RecoveryCodesIssued(_) => "RecoveryCodesIssued",
            Self::SecondFactorUsed(_) => "SecondFactorUsed",
            Self::UserChanged(_) => "UserChanged",
            Self::SecurityLogged(_) => "SecurityLogged",
            Self::AccessLogged(_) => "AccessLogged",
            Self::RetentionExpired(_) => "RetentionExpired",
            Self::HistoryForgotten(_) => "HistoryForgotten",
            Self::NotificationDecided(_) => "NotificationDecided",
            Self::NotificationSent(_) => "NotificationSent",
            Self::NotificationFailed(_) => "NotificationFailed",
            Self::WaitingCleared(_) => "WaitingCleared",
            Self::ConsentSet(_) => "ConsentSet",
            Self::NoteAdded(_) => "NoteAdded",
            Self::ConfigurationProposed(_) => "ConfigurationProposed",
            Self::ConfigurationApproved(_) => "ConfigurationApproved",
            Self::ConfigurationRejected(_) => "ConfigurationRejected",
            Self::ConfigurationActivated(_) => "ConfigurationActivated",
        }
    }

    /// A one-line summary without personal data, for `events` and timelines.
    pub fn summary(&self) -> String {
        match self {
            Self::MessageReceived(e) => format!(
                "{} from mailbox {} (remote id {}), {} bytes, digest {}",
                e.format.as_str(),
                e.mailbox,
                e.remote_id,
                e.size,
                short(&e.payload_digest)
            ),
            Self::MessageParsed(e) => match (&e.identifier, &e.error) {
                (_, Some(error)) => format!("message {} unreadable: {error}", e.number),
                (Some(identifier), None) => format!(
                    "message {} {identifier} ref {} of {}",
                    e.number,
                    e.message_ref.as_deref().unwrap_or("-"),
                    e.receipt
                ),
                (None, None) => format!(
                    "message {} format {} of {}",
                    e.number,
                    e.format.as_str(),
                    e.receipt
                ),
            },
            Self::AwaitingDelivery => "awaits the record system".to_owned(),
            Self::MessageClassified(e) => {
                format!("{} ({})", e.category.as_str(), e.reason.describe())
            }
            Self::ResendRequested(e) => format!("resend requested by {}", e.requested_by),
            Self::DeliveryAttempted(e) => format!(
                "delivery attempt {} to {} as {}",
                e.attempt, e.record_system, e.file_name
            ),
            Self::DeliveryFailed(e) => format!(
                "delivery attempt {} failed: {}; next attempt at {} ms",
                e.attempt, e.error, e.retry_at_ms
            ),
            Self::DocumentPlaced(e) => format!(
                "placed as document {} for client {} in {}{}",
                e.document_id,
                e.client_id,
                e.record_system,
                if e.found_by_readback {
                    " (found by reading back)"
                } else {
                    ""
                }
            ),
            Self::UserAdded(e) => format!("user added as {} by {}", e.role.as_str(), e.added_by),
            Self::PasswordLinkIssued(e) => format!(
                "{} link issued, valid until {} ms",
                match e.purpose {
                    crate::events::LinkPurpose::Invitation => "invitation",
                    crate::events::LinkPurpose::Reset => "password reset",
                },
                e.expires_at_ms
            ),
            Self::PasswordSet(_) => "password set".to_owned(),
            Self::TwoFactorEnrolled(_) => "two-factor authentication enrolled".to_owned(),
            Self::RecoveryCodesIssued(e) => format!("{} recovery codes issued", e.hashes.len()),
            Self::SecondFactorUsed(SecondFactorUsed::Totp { .. }) => {
                "authentication code used".to_owned()
            }
            Self::SecondFactorUsed(SecondFactorUsed::RecoveryCode { .. }) => {
                "recovery code used".to_owned()
            }
            Self::UserChanged(e) => format!("user {} by {}", e.change.as_str(), e.by),
            Self::SecurityLogged(e) => format!(
                "{}{} from {}: {}",
                e.action,
                e.factor
                    .as_deref()
                    .map(|f| format!(" ({f})"))
                    .unwrap_or_default(),
                e.address,
                e.outcome
            ),
            Self::AccessLogged(e) => format!(
                "{} by {} ({}) from {}{}: {}",
                e.action,
                e.user,
                e.role,
                e.address,
                e.message
                    .as_deref()
                    .map(|m| format!(" on {m}"))
                    .unwrap_or_default(),
                e.outcome
            ),
            Self::RetentionExpired(e) => format!(
                "personal data removed after the retention period ({})",
                e.rule
            ),
            Self::HistoryForgotten(e) => format!(
                "history of {} messages and {} receipts decided before {} forgotten (keep_history)",
                e.messages, e.receipts, e.decided_before_ms
            ),
            Self::NotificationDecided(e) => format!("decided: {}", e.notice.summary()),
            Self::NotificationSent(e) => e.summary(),
            Self::NotificationFailed(e) => e.summary(),
            Self::WaitingCleared(e) => e.summary(),
            Self::ConsentSet(e) => e.summary(),
            Self::NoteAdded(e) => format!("note written by {}", e.author),
            Self::ConfigurationProposed(e) => format!(
                "configuration version {} proposed by {} (from version {})",
                e.version, e.author, e.base
            ),
            Self::ConfigurationApproved(e) => {
                format!("configuration version {} approved by {}", e.version, e.by)
            }
            Self::ConfigurationRejected(e) => {
                format!("configuration version {} rejected by {}", e.version, e.by)
            }
            Self::ConfigurationActivated(e) => {
                format!("configuration version {} activated by {}", e.version, e.by)
            }
        }
    }
}

fn short(digest: &str) -> &str {
    &digest[..digest.len().min(12)]
}

/// A payload as it arrived.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct MessageReceived {
    /// The configured mailbox it came from (`manual` for `ketenpost import`).
    pub mailbox: String,
    /// The mailbox's own id for it (for `import`, the file name), so a redelivery is recognised.
    pub remote_id: String,
    /// SHA-256 of the payload, hex: where the encrypted payload is stored.
    pub payload_digest: String,
    /// The payload's size in bytes.
    pub size: u64,
    /// The payload's format (added in schema 2; schema 1 events were all EDIFACT).
    pub format: Format,
    /// What the mailbox said about it (ZorgMail's message fields), when it said anything.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub envelope: Option<Box<MailEnvelope>>,
}

/// The fields a ZorgMail mailbox records with a message, as far as they carry no personal data
/// (the subjects are left out: they may name the patient). Their meaning is not publicly
/// documented: recorded, never relied on, except `source_account_id` as the sender of last
/// resort.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct MailEnvelope {
    /// `messageId`.
    pub message_id: Option<String>,
    /// `sourceAccountId`: the sending account.
    pub source_account_id: Option<String>,
    /// `sourceAddress`.
    pub source_address: Option<String>,
    /// `receiveTimestamp`.
    pub receive_timestamp: Option<String>,
    /// `headerMessageId`.
    pub header_message_id: Option<String>,
    /// `headerFrom`.
    pub header_from: Option<String>,
    /// `headerTo`.
    pub header_to: Option<String>,
    /// `documentFormat`.
    pub document_format: Option<String>,
    /// `documentType`.
    pub document_type: Option<String>,
    /// `documentCount`.
    pub document_count: Option<String>,
    /// `documentItemCount`.
    pub document_item_count: Option<String>,
    /// `documentId`.
    pub document_id: Option<String>,
    /// `documentTimestamp`.
    pub document_timestamp: Option<String>,
    /// `documentSender`.
    pub document_sender: Option<String>,
    /// `documentRecipient`.
    pub document_recipient: Option<String>,
    /// `documentTypeVersion`.
    pub document_type_version: Option<String>,
    /// `documentSubType`.
    pub document_sub_type: Option<String>,
    /// `contentType`.
    pub content_type: Option<String>,
}

/// One message of a payload, read.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct MessageParsed {
    /// The receipt stream of the payload it came from.
    pub receipt: StreamId,
    /// The payload's digest.
    pub payload_digest: String,
    /// Its number in the payload, from 1.
    pub number: u32,
    /// The payload's format.
    pub format: Format,
    /// UNH identifier, e.g. `MEDVRI:1`, for EDIFACT.
    pub identifier: Option<String>,
    /// UNB element 5.
    pub interchange_ref: Option<String>,
    /// UNH element 1.
    pub message_ref: Option<String>,
    /// UNB sender id.
    pub sender_id: Option<String>,
    /// How many warnings the reader gave.
    pub warnings: u32,
    /// For a payload that cannot be read: the reader's error with its position.
    pub error: Option<String>,
}

/// The category a message is in now.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct MessageClassified {
    /// The category.
    pub category: Category,
    /// Why.
    pub reason: Reason,
    /// The configuration version that decided it (added in schema 2; `None` for events
    /// written before configuration had versions, and for decisions no route took part in).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub config_version: Option<u64>,
}

impl From<Classification> for MessageClassified {
    fn from(c: Classification) -> Self {
        Self {
            category: c.category,
            reason: c.reason,
            config_version: None,
        }
    }
}

/// A request to run a message again.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ResendRequested {
    /// Who asked (a user name, or `cli`).
    pub requested_by: String,
}

/// An upload about to start. Its `idempotency_key` and `file_name` (which carries the message
/// id) let an interrupted upload be found in the record system before trying again.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct DeliveryAttempted {
    /// The attempt, from 1 (counted since the message last entered delivery).
    pub attempt: u32,
    /// The record system's name in the configuration.
    pub record_system: String,
    /// Unique per message and attempt cycle: `<message id>`.
    pub idempotency_key: String,
    /// The client the document goes to.
    pub client_id: String,
    /// The document's file name in the record system.
    pub file_name: String,
}

/// A failed attempt that will be retried.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct DeliveryFailed {
    /// The attempt that failed.
    pub attempt: u32,
    /// What went wrong (no personal data).
    pub error: String,
    /// When the next attempt is due, milliseconds since 1970-01-01 UTC.
    pub retry_at_ms: i64,
}

/// A document in the client's record.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct DocumentPlaced {
    /// The record system's name in the configuration.
    pub record_system: String,
    /// The client's id there.
    pub client_id: String,
    /// The document's id there.
    pub document_id: String,
    /// The document's file name.
    pub file_name: String,
    /// The labels (tags) it got.
    pub labels: Vec<String>,
    /// The document actions: expertise groups that must act on it.
    pub actions: Vec<String>,
    /// Its visibility (`rightSelection`).
    pub right_selection: String,
    /// Expertise groups that may see it.
    pub expertise_groups: Vec<String>,
    /// Expertise profiles that may see it.
    pub expertise_profiles: Vec<String>,
    /// True when an earlier, interrupted upload was found in the record system.
    pub found_by_readback: bool,
}

/// The end of a message's retention period.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct RetentionExpired {
    /// The rule whose period ended: `keep_processed` or `keep_other`.
    pub rule: String,
    /// When the message was decided (entered its category), ms since 1970-01-01 UTC.
    pub decided_at_ms: i64,
}

/// The stream of [`HistoryForgotten`]: one event per batch the sweep forgets.
pub const HISTORY_STREAM: &str = "history";

/// Histories forgotten by the retention sweep once `keep_history` was over: every event of
/// these messages (and of receipts whose messages all went) is gone from the log. Counts, not
/// ids: what stays of them is that they were there.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct HistoryForgotten {
    /// How many messages' histories went.
    pub messages: u64,
    /// How many receipts' histories went with them.
    pub receipts: u64,
    /// They were all decided before this moment, ms since 1970-01-01 UTC.
    pub decided_before_ms: i64,
}

/// What reading one message gave: the parsed event and the events that follow from it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ParsedOutcome {
    /// The `MessageParsed` event.
    pub parsed: MessageParsed,
    /// `MessageClassified` when the message alone decides, else `AwaitingDelivery`.
    pub next: Event,
}
