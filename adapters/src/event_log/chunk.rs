//! A chunk: one value of the `log` tree holding consecutive events of one group commit, under
//! the key of its first position (u64 big-endian). The store's cost (time and
//! space) grows with its entries and their bytes, so the log keeps up to [`CHUNK_BYTES`] of
//! events per entry, deflated, instead of one entry per event.
//!
//! Layout (integers big-endian):
//!
//! | bytes | field |
//! |---|---|
//! | 1 | chunk format (2) |
//! | 8 | first position |
//! | 4 | number of records |
//! | 8 | recorded at, ms since the epoch (the group's commit time) |
//! | 4 | length of the records before deflating |
//! | 1 + n | the ketenpost version that wrote it: length (u8), UTF-8 |
//! | 4 | CRC-32 of the header bytes above |
//! | rest | the records, deflated (raw DEFLATE, RFC 1951) |
//!
//! Each record, once inflated: length (u32), the record (`codec.rs`), CRC-32 of the record.
//! A record of length 0 whose checksum is [`FORGOTTEN`] is one whose history was forgotten
//! (`history.rs`): its position stays taken, and every reader passes over it. (An empty
//! record with the CRC of nothing, 0, would be taken for damage: a flipped length can make
//! that, but hardly these four bytes as well.) A chunk whose records were all forgotten holds
//! no records at all (a length of 0 in its header, which the writer never makes): a span of
//! positions that reads as nothing, and neighbouring spans are joined into one.

use ketenpost_domain::events::RecordedEvent;
use ketenpost_domain::ports::ReadError;

use super::codec;

/// What stands in place of the checksum of a forgotten record.
pub(crate) const FORGOTTEN: [u8; 4] = *b"FORG";

/// The format byte every chunk starts with.
pub(crate) const CHUNK_FORMAT: u8 = 2;

/// A chunk is closed once its records reach this many bytes before deflating (deflated, a
/// chunk stays a few KiB: one read of a stream's event inflates no more than that).
pub(crate) const CHUNK_BYTES: usize = 16 * 1024;

/// More bytes of records than any chunk holds (a chunk closes at [`CHUNK_BYTES`], after one
/// record at most, and an event is far smaller): a header saying more is damaged.
const MAX_RECORDS_BYTES: usize = 64 * 1024 * 1024;

/// The deflate level: the fastest, as the writer deflates every commit.
const LEVEL: u8 = 1;

/// Packs the events of one commit (consecutive positions, one time, one writing version)
/// into chunks: `(first position, value, the chunk as it reads back once inflated)`. The
/// writer hands the last to the readers' cache, so that no one inflates a chunk just written.
pub(crate) fn encode(
    events: &[RecordedEvent],
    recorded_at_ms: i64,
    code_version: &str,
) -> Vec<(u64, Vec<u8>, Chunk)> {
    let mut chunks = Vec::new();
    let mut records = Vec::with_capacity(CHUNK_BYTES + 512);
    let mut first = None;
    let mut count = 0u32;
    let mut record = Vec::with_capacity(512);
    for event in events {
        record.clear();
        codec::encode_into(event, &mut record);
        let len = u32::try_from(record.len()).unwrap_or(u32::MAX);
        records.extend_from_slice(&len.to_be_bytes());
        records.extend_from_slice(&record);
        records.extend_from_slice(&crc32fast::hash(&record).to_be_bytes());
        let start = *first.get_or_insert(event.position);
        count += 1;
        if records.len() >= CHUNK_BYTES {
            chunks.push(finish(start, count, recorded_at_ms, code_version, &records));
            records.clear();
            first = None;
            count = 0;
        }
    }
    if let Some(start) = first {
        chunks.push(finish(start, count, recorded_at_ms, code_version, &records));
    }
    chunks
}

fn finish(
    first: u64,
    count: u32,
    recorded_at_ms: i64,
    code_version: &str,
    records: &[u8],
) -> (u64, Vec<u8>, Chunk) {
    let version = code_version.as_bytes();
    let version = &version[..version.len().min(usize::from(u8::MAX))];
    let deflated = crate::deflate::deflate(records, crate::deflate::Wrapper::Raw, LEVEL);
    let mut value = Vec::with_capacity(34 + version.len() + deflated.len());
    value.push(CHUNK_FORMAT);
    value.extend_from_slice(&first.to_be_bytes());
    value.extend_from_slice(&count.to_be_bytes());
    value.extend_from_slice(&recorded_at_ms.to_be_bytes());
    value.extend_from_slice(
        &u32::try_from(records.len())
            .unwrap_or(u32::MAX)
            .to_be_bytes(),
    );
    value.push(u8::try_from(version.len()).unwrap_or(u8::MAX));
    value.extend_from_slice(version);
    let checksum = crc32fast::hash(&value);
    value.extend_from_slice(&checksum.to_be_bytes());
    value.extend_from_slice(&deflated);
    let chunk = Chunk {
        first,
        count: u64::from(count),
        recorded_at_ms,
        code_version: String::from_utf8_lossy(version).into_owned(),
        records: records.to_vec(),
    };
    (first, value, chunk)
}

/// A chunk read from the `log` tree, header checked.
pub(crate) struct Chunk {
    /// The position of its first record.
    pub first: u64,
    /// How many records it holds.
    pub count: u64,
    /// When its group was committed.
    pub recorded_at_ms: i64,
    /// The ketenpost version that wrote it.
    pub code_version: String,
    records: Vec<u8>,
}

impl Chunk {
    /// Reads the header of the chunk stored under the key `key` (its first position).
    ///
    /// # Errors
    /// [`ReadError::Damaged`] when the header is short, of another format, fails its checksum,
    /// or names another first position than its key.
    pub(crate) fn parse(key: u64, value: &[u8]) -> Result<Self, ReadError> {
        let damaged = |detail: String| ReadError::Damaged {
            position: key,
            detail,
        };
        let short = || damaged(format!("chunk of {} bytes is too short", value.len()));
        let format = *value.first().ok_or_else(short)?;
        if format != CHUNK_FORMAT {
            return Err(damaged(format!(
                "chunk format {format}, this version reads {CHUNK_FORMAT}"
            )));
        }
        let fixed = value.get(1..26).ok_or_else(short)?;
        let version_len = usize::from(fixed[24]);
        let header_len = 26 + version_len;
        let header = value.get(..header_len).ok_or_else(short)?;
        let checksum = value.get(header_len..header_len + 4).ok_or_else(short)?;
        if crc32fast::hash(header).to_be_bytes() != checksum {
            return Err(damaged("chunk header checksum mismatch".into()));
        }
        let first = u64::from_be_bytes(array(&fixed[..8]));
        if first != key {
            return Err(damaged(format!("chunk says it starts at {first}")));
        }
        let count = u64::from(u32::from_be_bytes(array(&fixed[8..12])));
        let recorded_at_ms = i64::from_be_bytes(array(&fixed[12..20]));
        let records_len = usize::try_from(u32::from_be_bytes(array(&fixed[20..24])))
            .map_err(|e| damaged(e.to_string()))?;
        let code_version = std::str::from_utf8(&header[26..])
            .map_err(|e| damaged(format!("writing version is not UTF-8: {e}")))?
            .to_owned();
        if records_len > MAX_RECORDS_BYTES {
            return Err(damaged(format!(
                "chunk says it holds {records_len} bytes of records, more than a chunk can"
            )));
        }
        let records = crate::deflate::inflate_exact(&value[header_len + 4..], records_len)
            .map_err(|e| damaged(format!("chunk does not inflate as its header says: {e}")))?;
        Ok(Self {
            first,
            count,
            recorded_at_ms,
            code_version,
            records,
        })
    }

    /// The position after its last record.
    pub(crate) fn end(&self) -> u64 {
        self.first + self.count
    }

    /// How many bytes its inflated records take.
    pub(crate) fn records_bytes(&self) -> usize {
        self.records.len()
    }

    /// Its records from position `from` on (earlier ones are skipped unread), each with its
    /// position and checksum verified.
    pub(crate) fn records_from(&self, from: u64) -> Records<'_> {
        Records {
            next: self.first,
            end: if self.is_forgotten() {
                self.first
            } else {
                self.end()
            },
            from,
            rest: &self.records,
        }
    }

    /// Decodes its events from position `from` on into `out`, at most `max` in all.
    ///
    /// # Errors
    /// A damaged record.
    pub(crate) fn decode_into(
        &self,
        from: u64,
        max: usize,
        out: &mut Vec<RecordedEvent>,
    ) -> Result<(), ReadError> {
        for record in self.records_from(from) {
            if out.len() >= max {
                break;
            }
            let (position, bytes) = record?;
            out.push(codec::decode(
                position,
                bytes,
                self.recorded_at_ms,
                &self.code_version,
            )?);
        }
        Ok(())
    }

    /// Decodes the one event at `position`.
    ///
    /// # Errors
    /// A damaged record, or a position the chunk does not hold.
    pub(crate) fn decode_at(&self, position: u64) -> Result<RecordedEvent, ReadError> {
        let mut one = Vec::with_capacity(1);
        self.decode_into(position, 1, &mut one)?;
        one.pop().ok_or_else(|| ReadError::Damaged {
            position,
            detail: format!("not in the chunk from {} to {}", self.first, self.end()),
        })
    }
}

impl Chunk {
    /// This chunk with the records at `forgotten` emptied (positions it does not hold are
    /// ignored): the value to store under its key, and the chunk as it then reads. Its header
    /// stays: the same first position, count, time and writing version.
    ///
    /// # Errors
    /// A damaged record.
    pub(crate) fn blanked(&self, forgotten: &[u64]) -> Result<(Vec<u8>, Self), ReadError> {
        let mut records = Vec::with_capacity(self.records.len());
        let mut rest = self.records.as_slice();
        for position in self.first..self.end() {
            let damaged = |detail: &str| ReadError::Damaged {
                position,
                detail: detail.to_owned(),
            };
            let len = rest
                .get(..4)
                .map(|len| usize::try_from(u32::from_be_bytes(array(len))).unwrap_or(usize::MAX))
                .ok_or_else(|| damaged("chunk ends before this record"))?;
            let whole = rest
                .get(..8usize.saturating_add(len))
                .ok_or_else(|| damaged("chunk ends inside this record"))?;
            if forgotten.contains(&position) {
                records.extend_from_slice(&0u32.to_be_bytes());
                records.extend_from_slice(&FORGOTTEN);
            } else {
                records.extend_from_slice(whole);
            }
            rest = &rest[whole.len()..];
        }
        if records.len() == usize::try_from(self.count).unwrap_or(usize::MAX) * 8 {
            // Every record forgotten: a span, with no records at all.
            records.clear();
        }
        let count = u32::try_from(self.count).unwrap_or(u32::MAX);
        let (_, value, chunk) = finish(
            self.first,
            count,
            self.recorded_at_ms,
            &self.code_version,
            &records,
        );
        Ok((value, chunk))
    }

    /// Whether every record of it was forgotten: a span of positions that holds nothing
    /// (a chunk the writer makes holds at least one record).
    pub(crate) fn is_forgotten(&self) -> bool {
        self.records.is_empty() && self.count > 0
    }

    /// This forgotten span and `next`, the forgotten span right after it, as one (the key of
    /// `next` then goes): the log keeps a few bytes per run of forgotten positions instead of
    /// per chunk it once had. `None` when they are not both spans that meet, or the count
    /// would not fit.
    pub(crate) fn joined(&self, next: &Self) -> Option<(Vec<u8>, Self)> {
        if !self.is_forgotten() || !next.is_forgotten() || self.end() != next.first {
            return None;
        }
        let count = u32::try_from(self.count + next.count).ok()?;
        let (_, value, chunk) = finish(
            self.first,
            count,
            self.recorded_at_ms,
            &self.code_version,
            &[],
        );
        Some((value, chunk))
    }
}

/// The records of a chunk: `(position, record bytes)`.
pub(crate) struct Records<'a> {
    next: u64,
    end: u64,
    from: u64,
    rest: &'a [u8],
}

impl<'a> Iterator for Records<'a> {
    type Item = Result<(u64, &'a [u8]), ReadError>;

    fn next(&mut self) -> Option<Self::Item> {
        while self.next < self.end {
            let position = self.next;
            self.next += 1;
            let damaged = |detail: &str| {
                Some(Err(ReadError::Damaged {
                    position,
                    detail: detail.to_owned(),
                }))
            };
            let Some(len) = self.rest.get(..4) else {
                self.next = self.end;
                return damaged("chunk ends before this record");
            };
            let len = usize::try_from(u32::from_be_bytes(array(len))).unwrap_or(usize::MAX);
            let (Some(record), Some(checksum)) = (
                self.rest.get(4..4usize.saturating_add(len)),
                self.rest
                    .get(4usize.saturating_add(len)..8usize.saturating_add(len)),
            ) else {
                self.next = self.end;
                return damaged("chunk ends inside this record");
            };
            self.rest = &self.rest[8 + len..];
            if position < self.from {
                continue;
            }
            if record.is_empty() && checksum == FORGOTTEN {
                continue;
            }
            if crc32fast::hash(record).to_be_bytes() != checksum {
                return damaged("checksum mismatch");
            }
            return Some(Ok((position, record)));
        }
        None
    }
}

fn array<const N: usize>(bytes: &[u8]) -> [u8; N] {
    let mut out = [0u8; N];
    out.copy_from_slice(&bytes[..N]);
    out
}

/// `n` events from position `first` on, for tests of the chunks and their cache.
#[cfg(test)]
pub(crate) fn test_events(first: u64, n: u64) -> Vec<RecordedEvent> {
    use ketenpost_domain::events::{Event, EventId, ResendRequested, StreamId, StreamKind};
    (first..first + n)
        .map(|position| RecordedEvent {
            position,
            id: EventId(u128::from(position) + 100),
            stream: StreamId::new(StreamKind::Message, EventId(9)),
            version: position,
            recorded_at_ms: 1_700_000_000_000,
            code_version: "0.1.0".into(),
            schema_version: 1,
            event: Event::ResendRequested(ResendRequested {
                requested_by: "cli".into(),
            }),
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn events_round_trip_through_chunks() {
        let written = test_events(10, 200);
        let chunks = encode(&written, 1_700_000_000_000, "0.1.0");
        assert!(chunks.len() > 1, "200 events fill more than one chunk");
        let mut read = Vec::new();
        let mut kept = Vec::new();
        for (key, value, chunk) in &chunks {
            Chunk::parse(*key, value)
                .unwrap()
                .decode_into(0, usize::MAX, &mut read)
                .unwrap();
            chunk.decode_into(0, usize::MAX, &mut kept).unwrap();
        }
        assert_eq!(read, written);
        assert_eq!(kept, written, "the chunks kept for the cache read the same");
        let (key, value, _) = &chunks[0];
        let chunk = Chunk::parse(*key, value).unwrap();
        assert_eq!(chunk.decode_at(12).unwrap(), written[2]);
    }

    #[test]
    fn forgotten_records_read_as_nothing_and_keep_their_positions() {
        let written = test_events(10, 5);
        let (key, value, _) = encode(&written, 1_700_000_000_000, "0.1.0").remove(0);
        let chunk = Chunk::parse(key, &value).unwrap();
        let (blanked, kept) = chunk.blanked(&[11, 14, 99]).unwrap();
        let reread = Chunk::parse(key, &blanked).unwrap();
        for read in [&reread, &kept] {
            let mut events = Vec::new();
            read.decode_into(0, usize::MAX, &mut events).unwrap();
            let positions: Vec<u64> = events.iter().map(|e| e.position).collect();
            assert_eq!(positions, [10, 12, 13]);
            assert_eq!(events[1], written[2]);
            assert_eq!((read.first, read.end()), (10, 15), "positions stay taken");
        }
        assert!(blanked.len() < value.len());
        let (_, all) = reread.blanked(&[10, 12, 13]).unwrap();
        assert!(all.is_forgotten() && !reread.is_forgotten());
        let (next_value, next) = encode(&test_events(15, 2), 0, "0.1.0")
            .remove(0)
            .2
            .blanked(&[15, 16])
            .unwrap();
        assert!(Chunk::parse(15, &next_value).unwrap().is_forgotten());
        let (joined_value, joined) = all.joined(&next).unwrap();
        assert_eq!((joined.first, joined.end()), (10, 17));
        let reread = Chunk::parse(10, &joined_value).unwrap();
        assert!(
            reread.records_from(0).next().is_none(),
            "a span reads as nothing"
        );
        assert!(
            next.joined(&all).is_none(),
            "only a span and the one right after it"
        );
        assert!(
            all.decode_at(12).is_err(),
            "a forgotten position holds no event"
        );
    }

    #[test]
    fn a_flipped_byte_is_found() {
        let (key, value, _) = encode(&test_events(10, 3), 1_700_000_000_000, "0.1.0").remove(0);
        for at in 0..value.len() {
            let mut damaged = value.clone();
            damaged[at] ^= 0x20;
            let mut read = Vec::new();
            let result = Chunk::parse(key, &damaged).and_then(|c| c.decode_into(0, 10, &mut read));
            match result {
                // Deflate may decode a changed stream to the same bytes; never to others.
                Ok(()) => assert_eq!(read, test_events(10, 3), "byte {at}"),
                Err(err) => assert!(err.to_string().contains("is damaged"), "byte {at}: {err}"),
            }
        }
    }

    #[test]
    fn a_damaged_header_or_misplaced_chunk_is_found() {
        let (key, mut value, _) = encode(&test_events(10, 3), 0, "v").remove(0);
        assert!(Chunk::parse(11, &value)
            .err()
            .unwrap()
            .to_string()
            .contains("starts at 10"));
        value[3] ^= 1;
        assert!(Chunk::parse(key, &value)
            .err()
            .unwrap()
            .to_string()
            .contains("header checksum"));
        assert!(Chunk::parse(key, &[CHUNK_FORMAT, 1]).is_err());
        assert!(Chunk::parse(key, &[1]).is_err());
    }
}
