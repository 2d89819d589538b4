//! Notities: notes people keep in the portal (the `notes` stream), with author and time. They
//! may hold client data, so the text is sealed before it is recorded, with the key of the
//! period it is written in (`ketenpost_domain::ports::period_keys`); once `keep_notes` is over
//! that key is destroyed by the retention sweep and the text cannot be read any more, while
//! the note's author and time stay. Reading them is recorded in the access log by the page
//! that shows them.

use std::sync::Arc;
use std::time::Duration;

use ketenpost_adapters::sealed::{open, seal};
use ketenpost_domain::events::{
    Event, EventId, NewEvent, NoteAdded, StreamId, NOTES_STREAM, REMOVED_AFTER_RETENTION,
};
use ketenpost_domain::ports::{EventLog, ExpectedVersion, PeriodKeys, StreamAppend};

use crate::users::UserError;

/// The longest note, in characters.
pub const MAX_NOTE_CHARS: usize = 4000;

/// The notes' period keys and how long a note's text is kept (`keep_notes`).
#[derive(Clone)]
pub struct NoteKeys {
    /// The keys, one per period.
    pub keys: Arc<dyn PeriodKeys>,
    /// How long a note's text can be read after it was written.
    pub keep: Duration,
}

/// One note, opened.
#[derive(Clone, PartialEq, Eq)]
pub struct Note {
    /// When it was written, ms since 1970-01-01 UTC.
    pub at_ms: i64,
    /// Who wrote it (a user stream id).
    pub author: String,
    /// The text, or what people see instead when it cannot be read.
    pub text: String,
    /// Whether its retention period ended (the text is then unreadable for good).
    pub removed: bool,
}

impl std::fmt::Debug for Note {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Note")
            .field("at_ms", &self.at_ms)
            .field("author", &self.author)
            .field("removed", &self.removed)
            .finish_non_exhaustive()
    }
}

fn stream() -> StreamId {
    StreamId::fixed(NOTES_STREAM)
}

/// Records a note by `author` written at `now_ms`, its text sealed with that period's key.
///
/// # Errors
/// The key could not be had, sealing failed, or the log could not write. (The page checks
/// the length first.)
pub fn add(
    log: &(impl EventLog + ?Sized),
    keys: &NoteKeys,
    author: &StreamId,
    text: &str,
    now_ms: i64,
) -> Result<(), UserError> {
    let period = keys
        .keys
        .key_for(now_ms)
        .map_err(|e| UserError::Seal(e.to_string()))?;
    let sealed = seal(&period.key, text.as_bytes()).map_err(|e| UserError::Seal(e.to_string()))?;
    log.append(vec![StreamAppend {
        stream: stream(),
        expected: ExpectedVersion::Any,
        events: vec![NewEvent {
            id: EventId(uuid::Uuid::now_v7().as_u128()),
            event: Event::NoteAdded(NoteAdded {
                text: sealed,
                author: author.as_str().to_owned(),
                period: Some(period.period),
            }),
        }],
    }])
    .map_err(|e| UserError::Write(e.to_string()))?;
    Ok(())
}

/// Every note, newest first, opened with its period's key (or, written before notes had
/// periods, with the data key `data_key`); a note past `keep_notes` says so instead.
///
/// # Errors
/// The log or the key store could not be read.
pub fn all(
    log: &(impl EventLog + ?Sized),
    data_key: &[u8; 32],
    keys: &NoteKeys,
) -> Result<Vec<Note>, UserError> {
    let mut notes = Vec::new();
    for recorded in log.read_stream(&stream())? {
        let Event::NoteAdded(note) = recorded.event else {
            continue;
        };
        let key = match note.period {
            Some(period) => keys
                .keys
                .key_of(period)
                .map_err(|e| UserError::Seal(e.to_string()))?,
            None => Some(*data_key),
        };
        let text = key.map(|key| {
            open(&key, &note.text).map_or_else(
                |_| "(deze notitie kan met deze sleutel niet worden geopend)".to_owned(),
                |bytes| String::from_utf8_lossy(&bytes).into_owned(),
            )
        });
        notes.push(Note {
            at_ms: recorded.recorded_at_ms,
            author: note.author,
            removed: text.is_none(),
            text: text.unwrap_or_else(|| REMOVED_AFTER_RETENTION.to_owned()),
        });
    }
    notes.reverse();
    Ok(notes)
}
