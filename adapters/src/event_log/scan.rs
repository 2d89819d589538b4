//! Reading the log in order: the events from one position up to another, chunk by chunk,
//! checking that positions follow without a gap. A forgotten record (`history.rs`) keeps its
//! position and is passed over.

use ketenpost_domain::events::RecordedEvent;
use ketenpost_domain::ports::ReadError;

use super::disk_log::DiskEventLog;
use super::log_tree::{position_of_key, storage};

impl DiskEventLog {
    /// Decodes the events from position `from` up to `to` (exclusive) in order, giving each
    /// to `each`; stops early at the end of the log. Returns the position it reached.
    ///
    /// # Errors
    /// A gap, a damaged entry, a storage failure, or what `each` returns.
    pub(crate) fn scan(
        &self,
        from: u64,
        to: u64,
        mut each: impl FnMut(RecordedEvent) -> Result<(), ReadError>,
    ) -> Result<u64, ReadError> {
        if to <= from {
            return Ok(from);
        }
        // The chunk holding `from` starts at or before it.
        let start = self
            .trees
            .log
            .range(..=from.to_be_bytes())
            .next_back()
            .transpose()
            .map_err(storage)?
            .map_or(Ok(from), |(key, _)| position_of_key(&key))?;
        let mut expected = from;
        let seen = self.chunks.seen();
        for entry in self.trees.log.range(start.to_be_bytes()..) {
            let (key, value) = entry.map_err(storage)?;
            let chunk = self
                .chunks
                .get_or_parse(position_of_key(&key)?, &value, seen)?;
            if chunk.end() <= expected {
                continue;
            }
            if chunk.first > expected {
                return Err(ReadError::Damaged {
                    position: expected,
                    detail: format!("missing; the next entry is at {}", chunk.first),
                });
            }
            for record in chunk.records_from(expected) {
                let (position, bytes) = record?;
                if position >= to {
                    return Ok(to);
                }
                each(super::codec::decode(
                    position,
                    bytes,
                    chunk.recorded_at_ms,
                    &chunk.code_version,
                )?)?;
            }
            // Past its last record, also when the last ones were forgotten (`history.rs`).
            expected = chunk.end();
            if expected >= to {
                return Ok(to);
            }
        }
        Ok(expected)
    }
}
