//! The keys of the `projections` tree, and the pages that hold the lists per state.
//!
//! A list (the messages in one state, newest first) is cut into pages of up to
//! [`PAGE_ENTRIES`] entries, so that a replay writes a few thousand values instead of one
//! per message. A page's key is `l`, the state code and `u64::MAX - m` (big-endian), where `m`
//! is the lowest position in it: pages sort newest first, and the page holding position `p`
//! is the first one at or after the key made with `p`. Entries in a page are newest first:
//! the position at which the message entered the state (u64 big-endian), then the stream id
//! (length u16 big-endian, UTF-8). The page starts with its format byte.

use ketenpost_domain::events::StreamId;
use ketenpost_domain::ports::ReadError;

/// The most entries a page gets when it is filled.
pub(crate) const PAGE_ENTRIES: usize = 64;

const PAGE_FORMAT: u8 = 1;

/// The key of a state's count (i64 big-endian).
pub(crate) fn count_key(code: u8) -> [u8; 2] {
    [b'c', code]
}

/// The key of a projection's checkpoint (the next position, u64 big-endian).
pub(crate) fn checkpoint_key(name: &str) -> Vec<u8> {
    let mut key = vec![b'k'];
    key.extend_from_slice(name.as_bytes());
    key
}

/// The prefix of the receipts' summaries (JSON), followed by the receipt stream id.
pub(crate) const RECEIPT_PREFIX: u8 = b'r';

/// The key of a receipt's summary.
pub(crate) fn receipt_key(stream: &StreamId) -> Vec<u8> {
    let mut key = vec![RECEIPT_PREFIX];
    key.extend_from_slice(stream.as_str().as_bytes());
    key
}

/// The prefix of the pages of one state's list.
pub(crate) fn list_prefix(code: u8) -> [u8; 2] {
    [b'l', code]
}

/// The key of the page of state `code` whose lowest position is `position`; also where to
/// start looking for the page that holds `position`.
pub(crate) fn page_key(code: u8, position: u64) -> Vec<u8> {
    let mut key = list_prefix(code).to_vec();
    key.extend_from_slice(&(u64::MAX - position).to_be_bytes());
    key
}

/// One message in a list.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Entry {
    /// The position at which the message entered the state.
    pub position: u64,
    /// The message stream.
    pub stream: StreamId,
}

/// Encodes a page's entries (newest first).
pub(crate) fn encode(entries: &[Entry]) -> Vec<u8> {
    let mut value = Vec::with_capacity(1 + entries.len() * 56);
    value.push(PAGE_FORMAT);
    for entry in entries {
        let stream = entry.stream.as_str().as_bytes();
        let len = u16::try_from(stream.len()).unwrap_or(u16::MAX);
        value.extend_from_slice(&entry.position.to_be_bytes());
        value.extend_from_slice(&len.to_be_bytes());
        value.extend_from_slice(&stream[..usize::from(len)]);
    }
    value
}

/// Decodes a page.
///
/// # Errors
/// A page of another format, or one that ends inside an entry.
pub(crate) fn decode(value: &[u8]) -> Result<Vec<Entry>, ReadError> {
    let damaged = |detail: &str| ReadError::Storage(format!("projection page: {detail}"));
    let Some((&PAGE_FORMAT, mut rest)) = value.split_first() else {
        return Err(damaged("unknown format"));
    };
    let mut entries = Vec::with_capacity(rest.len() / 56);
    while !rest.is_empty() {
        let (Some(position), Some(len)) = (rest.get(..8), rest.get(8..10)) else {
            return Err(damaged("ends inside an entry"));
        };
        let mut position_bytes = [0u8; 8];
        position_bytes.copy_from_slice(position);
        let len = usize::from(u16::from_be_bytes([len[0], len[1]]));
        let stream = rest
            .get(10..10 + len)
            .ok_or_else(|| damaged("ends inside a stream id"))?;
        let stream = std::str::from_utf8(stream)
            .ok()
            .and_then(StreamId::parse)
            .ok_or_else(|| damaged("a stream id that does not read"))?;
        entries.push(Entry {
            position: u64::from_be_bytes(position_bytes),
            stream,
        });
        rest = &rest[10 + len..];
    }
    Ok(entries)
}

/// The cursor of an entry: hex of state code, `u64::MAX - position` and stream id (the form
/// cursors always had).
pub(crate) fn cursor(code: u8, entry: &Entry) -> String {
    let mut key = vec![code];
    key.extend_from_slice(&(u64::MAX - entry.position).to_be_bytes());
    key.extend_from_slice(entry.stream.as_str().as_bytes());
    hex::encode(key)
}

/// The state code and position a cursor of state `code` points at.
///
/// # Errors
/// A cursor that is not one of this state's.
pub(crate) fn parse_cursor(code: u8, cursor: &str) -> Result<u64, ReadError> {
    let invalid = || ReadError::Storage(format!("cursor {cursor:?} is not valid"));
    let bytes = hex::decode(cursor).map_err(|_| invalid())?;
    match bytes.get(..9) {
        Some([found, position @ ..]) if *found == code => {
            let mut position_bytes = [0u8; 8];
            position_bytes.copy_from_slice(position);
            Ok(u64::MAX - u64::from_be_bytes(position_bytes))
        }
        _ => Err(invalid()),
    }
}

/// Takes the entries `is` picks out of `page`; whether there were any.
pub(crate) fn take_out<T>(page: &mut Vec<T>, is: impl Fn(&T) -> bool) -> bool {
    let len = page.len();
    page.retain(|e| !is(e));
    page.len() < len
}

#[cfg(test)]
mod tests {
    use super::*;
    use ketenpost_domain::events::{EventId, StreamKind};

    #[test]
    fn pages_and_cursors_round_trip() {
        let entries: Vec<Entry> = (0..3)
            .map(|i| Entry {
                position: 100 - i,
                stream: StreamId::new(StreamKind::Message, EventId(u128::from(i))),
            })
            .collect();
        assert_eq!(decode(&encode(&entries)).unwrap(), entries);
        assert!(decode(&encode(&entries)[..20]).is_err());
        assert_eq!(parse_cursor(3, &cursor(3, &entries[1])).unwrap(), 99);
        assert!(parse_cursor(4, &cursor(3, &entries[1])).is_err());
        assert!(page_key(1, 5) > page_key(1, 6), "newer pages sort first");
    }
}
