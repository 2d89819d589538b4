//! Which lists of the search index hold a message, kept beside them: `qt` and the message's
//! uuid, with the position of its `MessageParsed` and its tokens (the keyed hashes of its BSN,
//! name words and sender words, `search_index.rs`). The end of its retention takes it out of
//! its client's lists with one read of this entry, instead of reading its stream, its receipt
//! and its payload again (and parsing the payload) for each message the sweep forgets; the
//! entry then keeps the sender's tokens only, until the message's history is forgotten
//! (`history.rs`), which takes it out of the rest of its lists and removes the entry: what
//! is kept does not grow with history.
//!
//! The entry holds nothing the lists themselves do not: hashes, no BSN or name. A message
//! indexed before these entries were kept has none, and is forgotten the way it was before;
//! one indexed before they held the sender's tokens holds its client's only.

use ketenpost_domain::ports::ReadError;

use super::search_index::{is_client, Token, PREFIX};

/// The kind byte after `q` of these entries.
const KIND: u8 = b't';

/// Bytes of the position, and of one token (kind and hash).
const POSITION: usize = 8;
const TOKEN: usize = 9;

/// The key of message `uuid`'s entry.
pub(crate) fn key(uuid: [u8; 16]) -> Vec<u8> {
    let mut key = Vec::with_capacity(18);
    key.push(PREFIX);
    key.push(KIND);
    key.extend_from_slice(&uuid);
    key
}

/// The entry of a message indexed at `position` under `tokens`.
pub(crate) fn encode(position: u64, tokens: &[Token]) -> Vec<u8> {
    let mut value = Vec::with_capacity(POSITION + TOKEN * tokens.len());
    value.extend_from_slice(&position.to_be_bytes());
    for (kind, hash) in tokens {
        value.push(*kind);
        value.extend_from_slice(hash);
    }
    value
}

/// The position and tokens an entry holds.
///
/// # Errors
/// An entry of the wrong length (the projections are then damaged; `replay` rebuilds them).
pub(crate) fn decode(value: &[u8]) -> Result<(u64, Vec<Token>), ReadError> {
    let damaged = || {
        ReadError::Storage(
            "a message's search index entry does not read; run replay to rebuild the projections"
                .into(),
        )
    };
    let (position, tokens) = value.split_at_checked(POSITION).ok_or_else(damaged)?;
    if !tokens.len().is_multiple_of(TOKEN) {
        return Err(damaged());
    }
    let position = u64::from_be_bytes(position.try_into().map_err(|_| damaged())?);
    let tokens = tokens
        .chunks_exact(TOKEN)
        .map(|t| {
            let mut hash = [0u8; 8];
            hash.copy_from_slice(&t[1..]);
            (t[0], hash)
        })
        .collect();
    Ok((position, tokens))
}

/// The tokens an entry keeps once the message's retention ended: none of its client.
pub(crate) fn after_retention(tokens: &[Token]) -> Vec<Token> {
    tokens
        .iter()
        .filter(|(kind, _)| !is_client(*kind))
        .copied()
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::event_log::search_index::{BSN, NAME, SENDER};

    #[test]
    fn an_entry_holds_the_position_and_the_tokens() {
        let tokens = [(BSN, [1; 8]), (SENDER, [2; 8]), (NAME, [3; 8])];
        let (position, kept) = decode(&encode(42, &tokens)).unwrap();
        assert_eq!(position, 42);
        assert_eq!(kept, tokens.to_vec());
        let senders = after_retention(&kept);
        assert_eq!(senders, vec![(SENDER, [2; 8])], "no client token stays");
    }

    #[test]
    fn an_entry_of_the_wrong_length_is_an_error() {
        assert!(decode(&[0; 7]).is_err());
        assert!(decode(&encode(1, &[(BSN, [1; 8])])[..12]).is_err());
        assert_eq!(decode(&encode(1, &[])).unwrap(), (1, vec![]));
    }

    #[test]
    fn entries_are_apart_from_every_list_of_the_index() {
        let key = key([7; 16]);
        for kind in [BSN, NAME, SENDER, b'd', b'v'] {
            assert_ne!(key[1], kind);
        }
    }
}
