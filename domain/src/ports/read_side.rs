//! The read-side port: what support staff and monitoring read (the counts per category, a
//! category's page, one message's detail, a search), answered from the projections.
//!
//! Blocking calls: a caller on an async runtime runs them off its async threads.

use super::ReadError;
use crate::events::{MessageReceived, RecordedEvent, StreamId};
use crate::projections::{MessageSummary, State};
use crate::search::SearchQuery;

/// A page of a category's list.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CategoryPage {
    /// The messages, newest first.
    pub messages: Vec<MessageSummary>,
    /// Pass this as the cursor for the next page; `None` on the last page.
    pub next_cursor: Option<String>,
}

/// One message in full.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MessageDetail {
    /// Its summary as of the projections' checkpoint.
    pub summary: Option<MessageSummary>,
    /// How it arrived (its receipt's `MessageReceived`), if recorded.
    pub received: Option<MessageReceived>,
    /// Its receipt's events, then its own.
    pub timeline: Vec<RecordedEvent>,
}

/// What the projections answer.
pub trait ReadSide: Send + Sync {
    /// Counts per category (every category, zeros included).
    ///
    /// # Errors
    /// A storage failure.
    fn category_counts(&self) -> Result<Vec<(State, i64)>, ReadError>;

    /// One page of the messages in `state`, newest first, from `cursor` on.
    ///
    /// # Errors
    /// A malformed cursor, or a storage failure.
    fn category_page(
        &self,
        state: State,
        cursor: Option<&str>,
        limit: usize,
    ) -> Result<CategoryPage, ReadError>;

    /// One message's detail; `None` when the log has no such message.
    ///
    /// # Errors
    /// A damaged entry or a storage failure.
    fn message_detail(&self, message: &StreamId) -> Result<Option<MessageDetail>, ReadError>;

    /// One page of the messages `query` finds, newest received first, from `cursor` on;
    /// answered from the search index (keyed hashes of BSN, name and sender words), not by
    /// reading payloads.
    ///
    /// # Errors
    /// A malformed cursor, or a storage failure.
    fn search(
        &self,
        query: &SearchQuery,
        cursor: Option<&str>,
        limit: usize,
    ) -> Result<CategoryPage, ReadError>;
}
