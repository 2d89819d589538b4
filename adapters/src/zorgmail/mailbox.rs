//! The ZorgMail client as the domain's mailbox port: List, Retrieve (holding the memory
//! reserved for the message) and Delete. Errors are translated here, keeping their text.

use ketenpost_domain::ports::mailbox::{self, Mailbox, TakenMessage};

use super::{MailboxError, Reservation, ZorgMailClient};

impl From<MailboxError> for mailbox::MailboxError {
    fn from(error: MailboxError) -> Self {
        if error.is_about_the_message() {
            Self::Message(error.to_string())
        } else {
            Self::Mailbox(error.to_string())
        }
    }
}

impl Mailbox for ZorgMailClient {
    type Hold = Reservation;

    async fn waiting(&self) -> Result<Vec<String>, mailbox::MailboxError> {
        Ok(self.list().await?)
    }

    async fn take(&self, id: &str) -> Result<(TakenMessage, Reservation), mailbox::MailboxError> {
        let (message, reservation) = self.retrieve(id).await?;
        let taken = TakenMessage {
            content: message.content,
            envelope: Some(message.envelope),
        };
        Ok((taken, reservation))
    }

    async fn acknowledge(&self, id: &str) -> Result<(), mailbox::MailboxError> {
        Ok(self.delete(id).await?)
    }

    fn max_requests(&self) -> usize {
        ZorgMailClient::max_requests(self)
    }
}
