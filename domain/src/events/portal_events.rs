//! The organisation's own decisions in the portal that are not configuration: the consents it
//! gives the service desk (the `consents` stream) and the notes people keep (the `notes`
//! stream, each note's text sealed with the key of the period it was written in).

use serde::{Deserialize, Serialize};

/// The stream of the consents.
pub const CONSENTS_STREAM: &str = "consents";

/// The stream of the notes.
pub const NOTES_STREAM: &str = "notes";

/// What the organisation consents to.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case", tag = "kind")]
pub enum Consent {
    /// The service desk may contact the account's supplier (Enovation for a mailbox, Nedap
    /// for a record system) about the account, for support, configuration and implementation.
    ContactSupplier {
        /// The account's name in the configuration.
        account: String,
    },
    /// The service desk may see the message stream (lists, messages, attachments) for support.
    ViewStream,
}

/// A consent was given or withdrawn; it takes effect at once.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ConsentSet {
    /// Which consent.
    pub consent: Consent,
    /// Given (`true`) or withdrawn.
    pub granted: bool,
    /// Who decided (a user stream id).
    pub by: String,
}

impl ConsentSet {
    /// A one-line summary for `events`.
    pub fn summary(&self) -> String {
        let what = match &self.consent {
            Consent::ContactSupplier { account } => format!("contact about account {account}"),
            Consent::ViewStream => "seeing the message stream".to_owned(),
        };
        let how = if self.granted { "given" } else { "withdrawn" };
        format!("consent to {what} {how} by {}", self.by)
    }
}

/// A note was written.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct NoteAdded {
    /// The text, sealed (`sealed:v1:...`): it may hold client data.
    pub text: String,
    /// Who wrote it (a user stream id).
    pub author: String,
    /// The period whose key sealed the text (`ports::period_keys`): once `keep_notes` is
    /// over that key is destroyed and the text can no longer be read. None: sealed with the
    /// data key (a note written before notes had a retention period).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub period: Option<u64>,
}
