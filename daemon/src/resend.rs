//! Resend (herzenden): a person asks for a message that is not processed to run again with
//! today's configuration. The request is an event; the whole history stays.

use ketenpost_domain::category::Category;
use ketenpost_domain::delivery::MessageFacts;
use ketenpost_domain::events::{Event, NewEvent, ResendRequested, StreamId, StreamKind};
use ketenpost_domain::ports::{AppendError, EventLog, ExpectedVersion, StreamAppend};

use crate::intake::new_id;

/// Why a resend was not recorded.
#[derive(Debug, thiserror::Error)]
pub enum ResendRefused {
    /// No message with this id.
    #[error("no message {0}")]
    NotFound(String),
    /// Processed messages are in the record already.
    #[error("message {0} is processed: it is in the record already and is not sent again")]
    Processed(String),
    /// The message is still being worked on.
    #[error("message {0} is still being worked on; resend it once it is in a category")]
    InProgress(String),
    /// Its retention period is over: nothing of it is left to send.
    #[error("message {0}: verwijderd na de bewaartermijn (its retention period is over; it cannot be sent again)")]
    Expired(String),
    /// The log failed.
    #[error("the event log failed: {0}")]
    Log(String),
}

/// Records a resend request for `id`, asked by `requested_by`.
///
/// # Errors
/// Unknown, processed or in-progress messages, or a log failure.
pub fn request(
    log: &impl EventLog,
    id: &str,
    requested_by: &str,
) -> Result<StreamId, ResendRefused> {
    let stream = StreamId::parse(id)
        .filter(|s| s.kind() == Some(StreamKind::Message))
        .ok_or_else(|| ResendRefused::NotFound(id.to_owned()))?;
    let history = log
        .read_stream(&stream)
        .map_err(|e| ResendRefused::Log(e.to_string()))?;
    let facts = MessageFacts::from_history(&history);
    let version = facts
        .version
        .filter(|_| facts.parsed.is_some())
        .ok_or_else(|| ResendRefused::NotFound(id.to_owned()))?;
    if facts.expired {
        return Err(ResendRefused::Expired(id.to_owned()));
    }
    match facts.category {
        Some(Category::Processed) => return Err(ResendRefused::Processed(id.to_owned())),
        None => return Err(ResendRefused::InProgress(id.to_owned())),
        Some(_) => {}
    }
    let append = StreamAppend {
        stream: stream.clone(),
        expected: ExpectedVersion::Exactly(version),
        events: vec![NewEvent {
            id: new_id(),
            event: Event::ResendRequested(ResendRequested {
                requested_by: requested_by.to_owned(),
            }),
        }],
    };
    match log.append(vec![append]) {
        Ok(_) => Ok(stream),
        Err(AppendError::WrongExpectedVersion { .. }) => {
            Err(ResendRefused::InProgress(id.to_owned()))
        }
        Err(e) => Err(ResendRefused::Log(e.to_string())),
    }
}
