//! Notities: notes people keep in the portal (the `notes` stream), with author and time. They
//! may hold client data, so the text is sealed with the data key before it is recorded, like
//! payloads; reading them is recorded in the access log by the page that shows them.

use ketenpost_adapters::sealed::{open, seal};
use ketenpost_domain::events::{Event, EventId, NewEvent, NoteAdded, StreamId, NOTES_STREAM};
use ketenpost_domain::ports::{EventLog, ExpectedVersion, StreamAppend};

use crate::users::UserError;

/// The longest note, in characters.
pub const MAX_NOTE_CHARS: usize = 4000;

/// One note, opened.
#[derive(Clone, PartialEq, Eq)]
pub struct Note {
    /// When it was written, ms since 1970-01-01 UTC.
    pub at_ms: i64,
    /// Who wrote it (a user stream id).
    pub author: String,
    /// The text.
    pub text: String,
}

impl std::fmt::Debug for Note {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Note")
            .field("at_ms", &self.at_ms)
            .field("author", &self.author)
            .finish_non_exhaustive()
    }
}

fn stream() -> StreamId {
    StreamId::fixed(NOTES_STREAM)
}

/// Records a note by `author`, its text sealed with `key`.
///
/// # Errors
/// Sealing failed, or the log could not write. (The page checks the length first.)
pub fn add(
    log: &(impl EventLog + ?Sized),
    key: &[u8; 32],
    author: &StreamId,
    text: &str,
) -> Result<(), UserError> {
    let sealed = seal(key, text.as_bytes()).map_err(|e| UserError::Seal(e.to_string()))?;
    log.append(vec![StreamAppend {
        stream: stream(),
        expected: ExpectedVersion::Any,
        events: vec![NewEvent {
            id: EventId(uuid::Uuid::now_v7().as_u128()),
            event: Event::NoteAdded(NoteAdded {
                text: sealed,
                author: author.as_str().to_owned(),
            }),
        }],
    }])
    .map_err(|e| UserError::Write(e.to_string()))?;
    Ok(())
}

/// Every note, newest first, opened with `key` (a note that does not open shows that).
///
/// # Errors
/// The log could not be read.
pub fn all(log: &(impl EventLog + ?Sized), key: &[u8; 32]) -> Result<Vec<Note>, UserError> {
    let mut notes: Vec<Note> = log
        .read_stream(&stream())?
        .into_iter()
        .filter_map(|recorded| match recorded.event {
            Event::NoteAdded(note) => Some(Note {
                at_ms: recorded.recorded_at_ms,
                author: note.author,
                text: open(key, &note.text).map_or_else(
                    |_| "(deze notitie kan met deze sleutel niet worden geopend)".to_owned(),
                    |bytes| String::from_utf8_lossy(&bytes).into_owned(),
                ),
            }),
            _ => None,
        })
        .collect();
    notes.reverse();
    Ok(notes)
}
