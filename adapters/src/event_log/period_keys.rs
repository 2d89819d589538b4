//! Period keys (see `ketenpost_domain::ports::period_keys`), one tree per record that uses
//! them (`access_keys` for the access log, `note_keys` for the notes): the period's start (u64
//! big-endian milliseconds) -> its length (u64 big-endian milliseconds) and its random 32-byte
//! key sealed with the data key, so that the data folder alone does not give the keys away.
//!
//! A period lasts a tenth of the record's retention, at least a second and at most a day:
//! what was sealed is unreadable between the retention and 1.1 times that after it was
//! written, and five years of the access log need about 1,830 keys. Each period keeps the
//! length it was made with, so a changed retention never moves an entry to another key.

use std::time::Duration;

use ketenpost_domain::ports::{PeriodKey, PeriodKeyError, PeriodKeys};

use crate::sealed;

/// The shortest period (so that a test can use seconds) and the longest (one day).
const SHORTEST_MS: u64 = 1_000;
const LONGEST_MS: u64 = 86_400_000;

/// One record's period keys in a data folder.
#[derive(Clone)]
pub struct DiskPeriodKeys {
    tree: crate::event_log::store::Tree,
    /// Whose keys: "the access log's", "the notes'" (for errors).
    whose: &'static str,
    data_key: [u8; 32],
    period_ms: u64,
}

fn failed<'a>(
    what: &'a str,
    whose: &'a str,
) -> impl Fn(crate::event_log::store::StoreError) -> PeriodKeyError + 'a {
    move |e| PeriodKeyError(format!("{what} {whose} keys: {e}"))
}

/// A stored period: its length and the sealed key.
fn decode(value: &[u8]) -> Result<(u64, &str), PeriodKeyError> {
    let damaged = || PeriodKeyError("a stored period key is damaged".into());
    let (length, sealed_key) = value.split_at_checked(8).ok_or_else(damaged)?;
    let length = u64::from_be_bytes(length.try_into().map_err(|_| damaged())?);
    let sealed_key = std::str::from_utf8(sealed_key).map_err(|_| damaged())?;
    Ok((length, sealed_key))
}

fn period_start(key: &[u8]) -> Result<u64, PeriodKeyError> {
    <[u8; 8]>::try_from(key)
        .map(u64::from_be_bytes)
        .map_err(|_| PeriodKeyError("a period key's name is damaged".into()))
}

impl DiskPeriodKeys {
    /// The keys in `tree` (`whose`: "the access log's"), new periods made for `keep`.
    pub(crate) fn new(
        tree: crate::event_log::store::Tree,
        whose: &'static str,
        data_key: [u8; 32],
        keep: Duration,
    ) -> Self {
        let tenth = u64::try_from(keep.as_millis() / 10).unwrap_or(u64::MAX);
        Self {
            tree,
            whose,
            data_key,
            period_ms: tenth.clamp(SHORTEST_MS, LONGEST_MS),
        }
    }

    fn open_key(&self, sealed_key: &str) -> Result<[u8; 32], PeriodKeyError> {
        sealed::open(&self.data_key, sealed_key)
            .ok()
            .and_then(|key| key.try_into().ok())
            .ok_or_else(|| {
                PeriodKeyError("a period key is damaged or sealed with another data key".into())
            })
    }

    /// The period holding `at_ms`, if it has a key.
    fn holding(&self, at_ms: u64) -> Result<Option<(u64, u64, [u8; 32])>, PeriodKeyError> {
        let Some((key, value)) = self
            .tree
            .range(..=at_ms.to_be_bytes())
            .next_back()
            .transpose()
            .map_err(failed("reading", self.whose))?
        else {
            return Ok(None);
        };
        let start = period_start(&key)?;
        let (length, sealed_key) = decode(&value)?;
        Ok(Some((start, length, self.open_key(sealed_key)?)))
    }

    /// Destroys the key of every period that ended at or before `cutoff_ms`; how many.
    ///
    /// # Errors
    /// The key store failed.
    pub fn forget_before(&self, cutoff_ms: i64) -> Result<u64, PeriodKeyError> {
        let cutoff = u64::try_from(cutoff_ms).unwrap_or(0);
        let mut forgotten = 0;
        for entry in self.tree.iter() {
            let (key, value) = entry.map_err(failed("reading", self.whose))?;
            let (length, _) = decode(&value)?;
            if period_start(&key)?.saturating_add(length) > cutoff {
                break;
            }
            self.tree
                .remove(&key)
                .map_err(failed("destroying one of", self.whose))?;
            forgotten += 1;
        }
        Ok(forgotten)
    }
}

impl PeriodKeys for DiskPeriodKeys {
    fn key_for(&self, at_ms: i64) -> Result<PeriodKey, PeriodKeyError> {
        let at = u64::try_from(at_ms).unwrap_or(0);
        loop {
            let previous_end = match self.holding(at)? {
                Some((start, length, key)) if start.saturating_add(length) > at => {
                    return Ok(PeriodKey { period: start, key });
                }
                Some((start, length, _)) => start.saturating_add(length),
                None => 0,
            };
            let start = (at - at % self.period_ms).max(previous_end);
            let mut key = [0u8; 32];
            getrandom::getrandom(&mut key)
                .map_err(|e| PeriodKeyError(format!("no randomness for a key: {e}")))?;
            let sealed_key = sealed::seal(&self.data_key, &key)
                .map_err(|e| PeriodKeyError(format!("sealing a period key: {e}")))?;
            let mut value = self.period_ms.to_be_bytes().to_vec();
            value.extend_from_slice(sealed_key.as_bytes());
            let made = self
                .tree
                .insert_if_absent(start.to_be_bytes(), value)
                .map_err(failed("storing one of", self.whose))?;
            if made.is_none() {
                return Ok(PeriodKey { period: start, key });
            }
            // Another writer made this period's key first: use that one.
        }
    }

    fn key_of(&self, period: u64) -> Result<Option<[u8; 32]>, PeriodKeyError> {
        let Some(value) = self
            .tree
            .get(period.to_be_bytes())
            .map_err(failed("reading one of", self.whose))?
        else {
            return Ok(None);
        };
        let (_, sealed_key) = decode(&value)?;
        self.open_key(sealed_key).map(Some)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn keys(keep: Duration) -> DiskPeriodKeys {
        let db = crate::event_log::store::Db::temporary();
        DiskPeriodKeys::new(
            db.open_tree("access_keys").unwrap(),
            "the access log's",
            [7; 32],
            keep,
        )
    }

    #[test]
    fn entries_of_one_period_share_its_key() {
        let keys = keys(Duration::from_secs(100));
        let first = keys.key_for(10_000).unwrap();
        assert_eq!(first.period, 10_000);
        assert_eq!(keys.key_for(19_999).unwrap(), first);
        assert_ne!(keys.key_for(20_000).unwrap(), first);
    }

    #[test]
    fn a_period_lasts_a_tenth_of_the_retention_from_a_second_to_a_day() {
        assert_eq!(keys(Duration::from_millis(50)).period_ms, 1_000);
        assert_eq!(keys(Duration::from_secs(600)).period_ms, 60_000);
        let five_years = Duration::from_secs(5 * 365 * 86_400);
        assert_eq!(keys(five_years).period_ms, 86_400_000);
    }

    #[test]
    fn a_key_is_found_by_its_period_until_it_is_forgotten() {
        let keys = keys(Duration::from_secs(10));
        let made = keys.key_for(5_500).unwrap();
        assert_eq!(keys.key_of(made.period).unwrap(), Some(made.key));
        assert_eq!(
            keys.forget_before(5_999).unwrap(),
            0,
            "the period is not over"
        );
        assert_eq!(keys.forget_before(6_000).unwrap(), 1);
        assert_eq!(keys.key_of(made.period).unwrap(), None);
    }

    #[test]
    fn forgetting_stops_at_the_first_period_still_kept() {
        let keys = keys(Duration::from_secs(10));
        let old = keys.key_for(1_000).unwrap();
        let recent = keys.key_for(9_000).unwrap();
        assert_eq!(keys.forget_before(5_000).unwrap(), 1);
        assert_eq!(keys.key_of(old.period).unwrap(), None);
        assert_eq!(keys.key_of(recent.period).unwrap(), Some(recent.key));
    }

    #[test]
    fn a_period_keeps_its_length_when_the_retention_changes() {
        let db = crate::event_log::store::Db::temporary();
        let tree = db.open_tree("access_keys").unwrap();
        let long = DiskPeriodKeys::new(
            tree.clone(),
            "the access log's",
            [7; 32],
            Duration::from_secs(100),
        );
        let made = long.key_for(10_000).unwrap();
        let short = DiskPeriodKeys::new(tree, "the access log's", [7; 32], Duration::from_secs(10));
        assert_eq!(
            short.key_for(19_000).unwrap(),
            made,
            "still the 10 s period"
        );
        let next = short.key_for(20_500).unwrap();
        assert_eq!(next.period, 20_000);
    }

    #[test]
    fn the_stored_keys_are_sealed_with_the_data_key() {
        let keys = keys(Duration::from_secs(10));
        let made = keys.key_for(1_000).unwrap();
        let stored = keys.tree.get(made.period.to_be_bytes()).unwrap().unwrap();
        assert!(!stored.windows(32).any(|w| w == made.key));
        let other = DiskPeriodKeys::new(
            keys.tree.clone(),
            "the access log's",
            [8; 32],
            Duration::from_secs(10),
        );
        assert!(other.key_of(made.period).is_err());
    }
}
