//! The mailbox port (a ZorgMail mailbox, a drop folder): which messages wait, taking one, and
//! acknowledging one once it is durably recorded, so that it may go from the mailbox.

use std::future::Future;

use crate::events::MailEnvelope;

/// A message taken from a mailbox.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TakenMessage {
    /// The payload.
    pub content: Vec<u8>,
    /// What the mailbox recorded with it; `None` for a mailbox that records nothing beside
    /// the content (a drop folder).
    pub envelope: Option<MailEnvelope>,
}

/// Why a mailbox call failed. The text names the mailbox service and the problem; it never
/// quotes a message's content.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum MailboxError {
    /// About this one message (too large, unreadable, cut off, a fault): it stays in the
    /// mailbox, named, and the other messages go on.
    #[error("{0}")]
    Message(String),
    /// About the mailbox as a whole (unreachable, refused): the poll stops here.
    #[error("{0}")]
    Mailbox(String),
}

impl MailboxError {
    /// Whether the failure is about the one message rather than the mailbox.
    pub fn is_about_the_message(&self) -> bool {
        matches!(self, Self::Message(_))
    }
}

/// A mailbox messages are taken from. Nothing is acknowledged before it is recorded.
pub trait Mailbox: Send + Sync {
    /// What must be held while a taken message is not yet recorded (e.g. the memory
    /// reserved for it); dropping it releases that.
    type Hold: Send + 'static;

    /// The ids of the messages waiting, each once, in the mailbox's order.
    ///
    /// # Errors
    /// A mailbox problem.
    fn waiting(&self) -> impl Future<Output = Result<Vec<String>, MailboxError>> + Send;

    /// Takes message `id` (it stays in the mailbox until acknowledged).
    ///
    /// # Errors
    /// A problem of the message (it stays, named) or of the mailbox.
    fn take(
        &self,
        id: &str,
    ) -> impl Future<Output = Result<(TakenMessage, Self::Hold), MailboxError>> + Send;

    /// Acknowledges message `id` as durably recorded: the mailbox may let it go.
    ///
    /// # Errors
    /// A mailbox problem; the message is then acknowledged again on a later poll.
    fn acknowledge(&self, id: &str) -> impl Future<Output = Result<(), MailboxError>> + Send;

    /// How many calls may be under way at once.
    fn max_requests(&self) -> usize;
}
