//! The access log's period keys (see `ketenpost_domain::ports::access_keys`), in the tree
//! `access_keys`: the period's start (u64 big-endian milliseconds) -> its length (u64
//! big-endian milliseconds) and its random 32-byte key sealed with the data key, so that the
//! data folder alone does not give the keys away.
//!
//! A period lasts a tenth of `keep_access_log`, at least a second and at most a day: an entry's
//! client data is unreadable between `keep_access_log` and 1.1 times that after it was made,
//! and five years of entries need about 1,830 keys. Each period keeps the length it was made
//! with, so a changed `keep_access_log` never moves an entry to another key.

use std::time::Duration;

use ketenpost_domain::ports::{AccessKeyError, AccessKeys, PeriodKey};

use crate::sealed;

/// The shortest period (so that a test can use seconds) and the longest (one day).
const SHORTEST_MS: u64 = 1_000;
const LONGEST_MS: u64 = 86_400_000;

/// The access log's keys of a data folder.
#[derive(Clone)]
pub struct DiskAccessKeys {
    tree: crate::event_log::store::Tree,
    data_key: [u8; 32],
    period_ms: u64,
}

fn failed(what: &str) -> impl Fn(crate::event_log::store::StoreError) -> AccessKeyError + '_ {
    move |e| AccessKeyError(format!("{what}: {e}"))
}

/// A stored period: its length and the sealed key.
fn decode(value: &[u8]) -> Result<(u64, &str), AccessKeyError> {
    let damaged = || AccessKeyError("a stored period key is damaged".into());
    let (length, sealed_key) = value.split_at_checked(8).ok_or_else(damaged)?;
    let length = u64::from_be_bytes(length.try_into().map_err(|_| damaged())?);
    let sealed_key = std::str::from_utf8(sealed_key).map_err(|_| damaged())?;
    Ok((length, sealed_key))
}

fn period_start(key: &[u8]) -> Result<u64, AccessKeyError> {
    <[u8; 8]>::try_from(key)
        .map(u64::from_be_bytes)
        .map_err(|_| AccessKeyError("a period key's name is damaged".into()))
}

impl DiskAccessKeys {
    /// The keys in `tree`, new periods made for `keep_access_log`.
    pub(crate) fn new(
        tree: crate::event_log::store::Tree,
        data_key: [u8; 32],
        keep_access_log: Duration,
    ) -> Self {
        let tenth = u64::try_from(keep_access_log.as_millis() / 10).unwrap_or(u64::MAX);
        Self {
            tree,
            data_key,
            period_ms: tenth.clamp(SHORTEST_MS, LONGEST_MS),
        }
    }

    fn open_key(&self, sealed_key: &str) -> Result<[u8; 32], AccessKeyError> {
        sealed::open(&self.data_key, sealed_key)
            .ok()
            .and_then(|key| key.try_into().ok())
            .ok_or_else(|| {
                AccessKeyError("a period key is damaged or sealed with another data key".into())
            })
    }

    /// The period holding `at_ms`, if it has a key.
    fn holding(&self, at_ms: u64) -> Result<Option<(u64, u64, [u8; 32])>, AccessKeyError> {
        let Some((key, value)) = self
            .tree
            .range(..=at_ms.to_be_bytes())
            .next_back()
            .transpose()
            .map_err(failed("reading the access log's keys"))?
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
    pub fn forget_before(&self, cutoff_ms: i64) -> Result<u64, AccessKeyError> {
        let cutoff = u64::try_from(cutoff_ms).unwrap_or(0);
        let mut forgotten = 0;
        for entry in self.tree.iter() {
            let (key, value) = entry.map_err(failed("reading the access log's keys"))?;
            let (length, _) = decode(&value)?;
            if period_start(&key)?.saturating_add(length) > cutoff {
                break;
            }
            self.tree
                .remove(&key)
                .map_err(failed("destroying an access log key"))?;
            forgotten += 1;
        }
        Ok(forgotten)
    }
}

impl AccessKeys for DiskAccessKeys {
    fn key_for(&self, at_ms: i64) -> Result<PeriodKey, AccessKeyError> {
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
                .map_err(|e| AccessKeyError(format!("no randomness for a key: {e}")))?;
            let sealed_key = sealed::seal(&self.data_key, &key)
                .map_err(|e| AccessKeyError(format!("sealing a period key: {e}")))?;
            let mut value = self.period_ms.to_be_bytes().to_vec();
            value.extend_from_slice(sealed_key.as_bytes());
            let made = self
                .tree
                .insert_if_absent(start.to_be_bytes(), value)
                .map_err(failed("storing an access log key"))?;
            if made.is_none() {
                return Ok(PeriodKey { period: start, key });
            }
            // Another writer made this period's key first: use that one.
        }
    }

    fn key_of(&self, period: u64) -> Result<Option<[u8; 32]>, AccessKeyError> {
        let Some(value) = self
            .tree
            .get(period.to_be_bytes())
            .map_err(failed("reading an access log key"))?
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

    fn keys(keep: Duration) -> DiskAccessKeys {
        let db = crate::event_log::store::Db::temporary();
        DiskAccessKeys::new(db.open_tree("access_keys").unwrap(), [7; 32], keep)
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
        let long = DiskAccessKeys::new(tree.clone(), [7; 32], Duration::from_secs(100));
        let made = long.key_for(10_000).unwrap();
        let short = DiskAccessKeys::new(tree, [7; 32], Duration::from_secs(10));
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
        let other = DiskAccessKeys::new(keys.tree.clone(), [8; 32], Duration::from_secs(10));
        assert!(other.key_of(made.period).is_err());
    }
}
