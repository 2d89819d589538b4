//! The consents the organisation gives the service desk (the `consents` stream): per account,
//! contact with its supplier (Enovation for a mailbox, Nedap for a record system), and seeing
//! the message stream. Set by a `beheerder`, in force at once; each change is an event with
//! who and when. Without [`Consent::ViewStream`] a `servicedesk` user cannot open the stream,
//! a message or an attachment.

use std::collections::BTreeMap;

use ketenpost_domain::events::{
    Consent, ConsentSet, Event, EventId, NewEvent, StreamId, CONSENTS_STREAM,
};
use ketenpost_domain::ports::{EventLog, ExpectedVersion, ReadError, StreamAppend};

use crate::users::UserError;

/// Who supplies an account.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Supplier {
    /// Enovation (ZorgMail EDI mailboxes).
    Enovation,
    /// Nedap (Ons record systems).
    Nedap,
}

impl Supplier {
    /// The supplier's name as people read it.
    pub fn name(self) -> &'static str {
        match self {
            Self::Enovation => "Enovation",
            Self::Nedap => "Nedap",
        }
    }
}

/// An account consents are given for: a mailbox or a record system.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ConsentAccount {
    /// Its name in the configuration.
    pub name: String,
    /// Its supplier.
    pub supplier: Supplier,
}

/// A consent as it stands: given or not, by whom and when (ms since 1970-01-01 UTC).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Standing {
    /// Given.
    pub granted: bool,
    /// Who set it last (a user stream id).
    pub by: String,
    /// When.
    pub at_ms: i64,
}

/// Every consent that was ever set, as it stands now.
///
/// # Errors
/// The log could not be read.
pub fn current(log: &(impl EventLog + ?Sized)) -> Result<BTreeMap<Consent, Standing>, ReadError> {
    let mut all = BTreeMap::new();
    for recorded in log.read_stream(&stream())? {
        if let Event::ConsentSet(set) = recorded.event {
            all.insert(
                set.consent,
                Standing {
                    granted: set.granted,
                    by: set.by,
                    at_ms: recorded.recorded_at_ms,
                },
            );
        }
    }
    Ok(all)
}

/// Whether `consent` is given now.
///
/// # Errors
/// The log could not be read.
pub fn given(log: &(impl EventLog + ?Sized), consent: &Consent) -> Result<bool, ReadError> {
    Ok(current(log)?.get(consent).is_some_and(|s| s.granted))
}

/// Records that `by` gave (`granted`) or withdrew `consent`.
///
/// # Errors
/// The log could not write.
pub fn set(
    log: &(impl EventLog + ?Sized),
    consent: Consent,
    granted: bool,
    by: &StreamId,
) -> Result<(), UserError> {
    log.append(vec![StreamAppend {
        stream: stream(),
        expected: ExpectedVersion::Any,
        events: vec![NewEvent {
            id: EventId(uuid::Uuid::now_v7().as_u128()),
            event: Event::ConsentSet(ConsentSet {
                consent,
                granted,
                by: by.as_str().to_owned(),
            }),
        }],
    }])
    .map_err(|e| UserError::Write(e.to_string()))?;
    Ok(())
}

fn stream() -> StreamId {
    StreamId::fixed(CONSENTS_STREAM)
}
