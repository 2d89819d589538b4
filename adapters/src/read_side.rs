//! The event log's projections as the domain's read-side port.

use ketenpost_domain::events::{Event, StreamId};
use ketenpost_domain::ports::{CategoryPage, EventLog, MessageDetail, ReadError, ReadSide};
use ketenpost_domain::projections::State;
use ketenpost_domain::search::SearchQuery;

use crate::event_log::DiskEventLog;

impl ReadSide for DiskEventLog {
    fn category_counts(&self) -> Result<Vec<(State, i64)>, ReadError> {
        self.counts()
    }

    fn category_page(
        &self,
        state: State,
        cursor: Option<&str>,
        limit: usize,
    ) -> Result<CategoryPage, ReadError> {
        let page = self.list(state, cursor, limit)?;
        Ok(CategoryPage {
            messages: page.messages,
            next_cursor: page.next_cursor,
        })
    }

    fn search(
        &self,
        query: &SearchQuery,
        cursor: Option<&str>,
        limit: usize,
    ) -> Result<CategoryPage, ReadError> {
        let page = DiskEventLog::search(self, query, cursor, limit)?;
        Ok(CategoryPage {
            messages: page.messages,
            next_cursor: page.next_cursor,
        })
    }

    fn message_detail(&self, message: &StreamId) -> Result<Option<MessageDetail>, ReadError> {
        let history = self.read_stream(message)?;
        if history.is_empty() {
            return Ok(None);
        }
        let summary = self.message(message)?;
        let receipt = history.iter().find_map(|e| match &e.event {
            Event::MessageParsed(p) => Some(p.receipt.clone()),
            _ => None,
        });
        let mut timeline = match &receipt {
            Some(receipt) => self.read_stream(receipt)?,
            None => Vec::new(),
        };
        let received = timeline.iter().find_map(|e| match &e.event {
            Event::MessageReceived(r) => Some(r.clone()),
            _ => None,
        });
        timeline.extend(history);
        Ok(Some(MessageDetail {
            summary,
            received,
            timeline,
        }))
    }
}
