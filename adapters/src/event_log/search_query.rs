//! Answering a search from the search index (`search_index.rs`): one list is walked newest
//! first (the BSN's when asked, else the longest name word's, else a sender word's, else every
//! message by date); every other part of the query is checked per message: its date, its
//! other words' lists (the page that would hold it), and its state (folded from its stream
//! without the rest of its summary). A page stops after [`MAX_EXAMINED`] messages looked at, with a cursor
//! to go on from, so a rare match in a long list costs pages, not one long request.

use ketenpost_domain::events::StreamId;
use ketenpost_domain::ports::{EventLog, ReadError};
use ketenpost_domain::projections::{apply_to_state, State};
use ketenpost_domain::search::SearchQuery;

use super::disk_log::DiskEventLog;
use super::log_tree::storage;
use super::projector::Page;
use super::search_index::{self as index, SearchKey};

/// The most index entries one page looks at.
pub const MAX_EXAMINED: usize = 2_000;

/// The lists a query needs: the one walked and the ones looked up.
struct Plan {
    walked: Vec<u8>,
    looked_up: Vec<Vec<u8>>,
}

fn plan(key: &SearchKey, query: &SearchQuery) -> Plan {
    let mut lists: Vec<Vec<u8>> = Vec::new();
    if let Some(bsn) = &query.bsn {
        lists.push(index::list_prefix(
            index::BSN,
            Some(key.token(index::BSN, bsn)),
        ));
    }
    let mut names = query.name_words();
    // The longest word has the shortest list.
    names.sort_by_key(|w| std::cmp::Reverse(w.chars().count()));
    for word in names {
        lists.push(index::list_prefix(
            index::NAME,
            Some(key.token(index::NAME, &word)),
        ));
    }
    for word in query.sender_words() {
        lists.push(index::list_prefix(
            index::SENDER,
            Some(key.token(index::SENDER, &word)),
        ));
    }
    let mut lists = lists.into_iter();
    match lists.next() {
        Some(walked) => Plan {
            walked,
            looked_up: lists.collect(),
        },
        None => Plan {
            walked: index::list_prefix(index::DAY, None),
            looked_up: Vec::new(),
        },
    }
}

/// A cursor: the position of the entry to start at (hex).
fn cursor_position(cursor: &str) -> Result<u64, ReadError> {
    hex::decode(cursor)
        .ok()
        .and_then(|b| <[u8; 8]>::try_from(b.as_slice()).ok())
        .map(u64::from_be_bytes)
        .ok_or_else(|| ReadError::Storage(format!("cursor {cursor:?} is not valid")))
}

/// Whether list `prefix` holds the message at `position`.
fn holds(
    tree: &crate::event_log::store::Tree,
    prefix: &[u8],
    position: u64,
    uuid: &[u8; 16],
) -> Result<bool, ReadError> {
    let Some(key) = index::page_holding(tree, prefix, position)? else {
        return Ok(false);
    };
    let Some(value) = tree.get(key).map_err(storage)? else {
        return Ok(false);
    };
    Ok(index::decode(&value)?
        .iter()
        .any(|p| p.position == position && p.uuid == *uuid))
}

impl DiskEventLog {
    /// A message's state as of `checkpoint`, without the rest of its summary (a search within a
    /// tab asks it of every candidate; only those shown need the summary).
    fn state_of(&self, stream: &StreamId, checkpoint: u64) -> Result<Option<State>, ReadError> {
        Ok(self
            .read_stream(stream)?
            .iter()
            .take_while(|e| e.position < checkpoint)
            .fold(None, apply_to_state)
            .map(|(state, _)| state))
    }

    /// One page of the messages `query` finds, newest first, from `cursor` on.
    ///
    /// # Errors
    /// A malformed cursor, or a storage failure.
    pub fn search(
        &self,
        query: &SearchQuery,
        cursor: Option<&str>,
        limit: usize,
    ) -> Result<Page, ReadError> {
        let tree = &self.trees.projections;
        let plan = plan(&self.search_key(), query);
        let up_to = cursor.map(cursor_position).transpose()?.unwrap_or(u64::MAX);
        let start = index::page_key(&plan.walked, up_to);
        let checkpoint = self.checkpoint()?;
        let mut messages = Vec::new();
        let mut examined = 0usize;
        for page in tree.range(start..) {
            let (key, value) = page.map_err(storage)?;
            if key.len() != plan.walked.len() + 8 || !key.starts_with(&plan.walked) {
                break;
            }
            for entry in index::decode(&value)?
                .into_iter()
                .filter(|e| e.position <= up_to)
            {
                if messages.len() == limit || examined == MAX_EXAMINED {
                    return Ok(Page {
                        messages,
                        next_cursor: Some(hex::encode(entry.position.to_be_bytes())),
                    });
                }
                examined += 1;
                if query
                    .until_ms
                    .is_some_and(|until| entry.received_ms >= until)
                {
                    continue;
                }
                if query.from_ms.is_some_and(|from| entry.received_ms < from) {
                    continue;
                }
                let mut all = true;
                for list in &plan.looked_up {
                    if !holds(tree, list, entry.position, &entry.uuid)? {
                        all = false;
                        break;
                    }
                }
                if !all {
                    continue;
                }
                let stream = index::message_stream(entry.uuid);
                if let Some(wanted) = query.state {
                    if self.state_of(&stream, checkpoint)? != Some(wanted) {
                        continue;
                    }
                }
                if let Some(summary) = self.message(&stream)? {
                    messages.push(summary);
                }
            }
        }
        Ok(Page {
            messages,
            next_cursor: None,
        })
    }
}
