//! The event log port: appending to streams with an expected version, reading them back,
//! and the payload store beside it.

use std::time::Duration;

use crate::events::{NewEvent, RecordedEvent, StreamId};

/// What the writer expects a stream's version to be before appending.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ExpectedVersion {
    /// Whatever it is.
    Any,
    /// The stream must not exist yet.
    NoStream,
    /// The stream's last event must have this version.
    Exactly(u64),
}

/// Events to append to one stream.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StreamAppend {
    /// The stream.
    pub stream: StreamId,
    /// The version the stream must be at.
    pub expected: ExpectedVersion,
    /// The events, in order.
    pub events: Vec<NewEvent>,
}

/// What an append wrote.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Appended {
    /// The position after the last event of the log once the append is done.
    pub next_position: u64,
    /// How many events were written (events whose id was already in the log are not).
    pub written: usize,
}

/// Why an append was refused or failed.
#[derive(Debug, thiserror::Error)]
pub enum AppendError {
    /// Another writer got there first.
    #[error("stream {stream} is at version {actual:?}, the append expected {expected:?}")]
    WrongExpectedVersion {
        /// The stream.
        stream: StreamId,
        /// What the append expected.
        expected: ExpectedVersion,
        /// The stream's last version (`None`: no stream).
        actual: Option<u64>,
    },
    /// The log could not write or sync; nothing of the append is acknowledged.
    #[error("the event log could not write: {0}")]
    Storage(String),
}

/// Why the log could not be read.
#[derive(Debug, thiserror::Error)]
pub enum ReadError {
    /// An entry whose checksum does not match, or that cannot be decoded.
    #[error("event log entry at position {position} is damaged: {detail}")]
    Damaged {
        /// Where.
        position: u64,
        /// What.
        detail: String,
    },
    /// The store failed.
    #[error("the event log could not be read: {0}")]
    Storage(String),
}

/// The append log every state transition is written to.
pub trait EventLog: Send + Sync {
    /// Appends to one or more streams atomically. When it returns `Ok`, the events are on disk.
    ///
    /// # Errors
    /// A stream not at the expected version (nothing is written), or a storage failure.
    fn append(&self, appends: Vec<StreamAppend>) -> Result<Appended, AppendError>;

    /// Events from global position `from` on, at most `max` positions' worth: none only at
    /// the end of the log (positions whose history was forgotten are passed over, however many).
    ///
    /// # Errors
    /// A damaged entry or a storage failure.
    fn read_all(&self, from: u64, max: usize) -> Result<Vec<RecordedEvent>, ReadError>;

    /// Every event of one stream, in version order.
    ///
    /// # Errors
    /// A damaged entry or a storage failure.
    fn read_stream(&self, stream: &StreamId) -> Result<Vec<RecordedEvent>, ReadError>;

    /// The position the next event will get (the number of events in the log).
    fn next_position(&self) -> u64;

    /// Blocks until the log holds an event at `position` or `timeout` passes; true when it does.
    fn wait_for(&self, position: u64, timeout: Duration) -> bool;

    /// Subscribes from `from`: catch-up over what is there, then live.
    fn subscribe(&self, from: u64) -> Subscription<'_, Self>
    where
        Self: Sized,
    {
        Subscription {
            log: self,
            next: from,
        }
    }
}

/// A reader that catches up from a position and then follows the log live.
pub struct Subscription<'l, L: EventLog> {
    log: &'l L,
    next: u64,
}

impl<L: EventLog> Subscription<'_, L> {
    /// The next events: at once when there are any, else waits up to `timeout` for new ones.
    ///
    /// # Errors
    /// A damaged entry or a storage failure.
    pub fn next_batch(
        &mut self,
        max: usize,
        timeout: Duration,
    ) -> Result<Vec<RecordedEvent>, ReadError> {
        if self.log.next_position() <= self.next && !self.log.wait_for(self.next, timeout) {
            return Ok(Vec::new());
        }
        let events = self.log.read_all(self.next, max)?;
        if let Some(last) = events.last() {
            self.next = last.position + 1;
        }
        Ok(events)
    }

    /// The position the next batch starts at.
    pub fn position(&self) -> u64 {
        self.next
    }
}

/// Where payloads are kept, once per content, encrypted.
pub trait PayloadStore: Send + Sync {
    /// Stores a payload; returns its SHA-256 digest (hex). Durable with the next log append.
    ///
    /// # Errors
    /// A storage failure.
    fn put(&self, bytes: &[u8]) -> Result<String, AppendError>;

    /// The payload with this digest, if stored.
    ///
    /// # Errors
    /// A damaged payload (it does not decrypt) or a storage failure.
    fn get(&self, digest: &str) -> Result<Option<Vec<u8>>, ReadError>;
}
