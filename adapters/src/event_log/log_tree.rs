//! Reading the log tree's keys: the position a key stands for, where the log ends, and the
//! store's errors as read errors (shared by the log, its writer, its index and its projections).

use ketenpost_domain::ports::ReadError;

use super::chunk::Chunk;
use super::trees::Trees;

/// The position after the last chunk of the log tree.
///
/// # Errors
/// The last chunk is damaged, or the store failed.
pub(crate) fn next_position_on_disk(trees: &Trees) -> Result<u64, ReadError> {
    let Some((key, value)) = trees.log.last().map_err(storage)? else {
        return Ok(0);
    };
    Ok(Chunk::parse(position_of_key(&key)?, &value)?.end())
}

/// The key (its first position) and value of the chunk that holds `position`: the last one
/// that starts at or before it. `None` when none does.
///
/// # Errors
/// A key that is not a position, or a store failure.
pub(crate) fn chunk_at(
    log: &crate::event_log::store::Tree,
    position: u64,
) -> Result<Option<(u64, crate::event_log::store::Value)>, ReadError> {
    log.range(..=position.to_be_bytes())
        .next_back()
        .transpose()
        .map_err(storage)?
        .map(|(key, value)| Ok((position_of_key(&key)?, value)))
        .transpose()
}

/// The position a `log` key stands for.
///
/// # Errors
/// [`ReadError::Damaged`] when the key is not 8 bytes.
pub(crate) fn position_of_key(key: &[u8]) -> Result<u64, ReadError> {
    <[u8; 8]>::try_from(key)
        .map(u64::from_be_bytes)
        .map_err(|_| ReadError::Damaged {
            position: 0,
            detail: format!("a log key of {} bytes", key.len()),
        })
}

/// A store failure as a read error; one that found damaged files says to restore a backup.
pub(crate) fn storage(e: crate::event_log::store::StoreError) -> ReadError {
    if crate::event_log::opening::is_damage(&e) {
        ReadError::Storage(crate::event_log::opening::describe(&e))
    } else {
        ReadError::Storage(e.to_string())
    }
}
