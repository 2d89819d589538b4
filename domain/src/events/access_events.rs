//! The access log (NEN 7513): one `AccessLogged` event for every look at a client's data, in
//! the one `access-log` stream, each entry's hash chained to the one before so that a changed,
//! removed or reordered entry is found (`ketenpost audit --verify`). The BSN is sealed with
//! the data key like payloads; a keyed hash of it finds a client's entries without opening
//! every one.

use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};

/// The stream of the access log.
pub const ACCESS_STREAM: &str = "access-log";

/// The hash before the first entry.
pub const GENESIS: &str = "0000000000000000000000000000000000000000000000000000000000000000";

/// One access to client data.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct AccessLogged {
    /// When, milliseconds since 1970-01-01 UTC (part of the hash).
    pub at_ms: i64,
    /// Who: the portal user's stream (`user-<id>`) or `api:<token name>`.
    pub user: String,
    /// Their role (`secretariaat`, `beheerder`, `servicedesk`, `api`).
    pub role: String,
    /// On whose behalf: the organisation's portal or the API client.
    pub on_behalf_of: String,
    /// What: `view`, `download_pdf`, `download_original`, `search`, `resend`, `list`.
    pub action: String,
    /// Which message, when one.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub message: Option<String>,
    /// Which client: the BSN sealed with the data key.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub client: Option<String>,
    /// A keyed hash of the BSN, to find a client's entries.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub client_key: Option<String>,
    /// What was searched for, sealed (a search's terms can name a client).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub detail: Option<String>,
    /// From which address.
    pub address: String,
    /// `success`, or why not (`forbidden`, `not_found`, `processed`, ...).
    pub outcome: String,
    /// The hash of the entry before (hex SHA-256; [`GENESIS`] for the first).
    pub previous: String,
    /// The hash of this entry: SHA-256 over `previous` and every field above.
    pub hash: String,
}

impl AccessLogged {
    /// The hash this entry should carry, from its fields and `previous`.
    pub fn expected_hash(&self) -> String {
        let mut hasher = Sha256::new();
        let opt = |o: &Option<String>| o.clone().unwrap_or_default();
        for part in [
            self.previous.clone(),
            self.at_ms.to_string(),
            self.user.clone(),
            self.role.clone(),
            self.on_behalf_of.clone(),
            self.action.clone(),
            opt(&self.message),
            opt(&self.client),
            opt(&self.client_key),
            opt(&self.detail),
            self.address.clone(),
            self.outcome.clone(),
        ] {
            hasher.update((part.len() as u64).to_be_bytes());
            hasher.update(part.as_bytes());
        }
        hex::encode(hasher.finalize())
    }

    /// Sets `previous` and `hash`: the entry chained after the one whose hash is `previous`.
    pub fn chained_after(mut self, previous: &str) -> Self {
        previous.clone_into(&mut self.previous);
        self.hash = self.expected_hash();
        self
    }
}

/// Where a chain of entries breaks.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ChainBreak {
    /// The entry's own hash does not match its fields: it was changed.
    #[error("entry {index} was changed: its hash does not match its content")]
    Changed {
        /// Counted from 0 in log order.
        index: usize,
    },
    /// The entry does not follow the one before it: one was removed, inserted or moved.
    #[error("entry {index} does not follow the entry before it: an entry was removed or the order changed")]
    NotLinked {
        /// Counted from 0 in log order.
        index: usize,
    },
}

/// Checks a chain of entries in log order.
///
/// # Errors
/// The first entry that was changed or does not follow the one before it.
pub fn verify_chain<'a>(
    entries: impl IntoIterator<Item = &'a AccessLogged>,
) -> Result<usize, ChainBreak> {
    let mut previous = GENESIS.to_owned();
    let mut count = 0;
    for (index, entry) in entries.into_iter().enumerate() {
        if entry.hash != entry.expected_hash() {
            return Err(ChainBreak::Changed { index });
        }
        if entry.previous != previous {
            return Err(ChainBreak::NotLinked { index });
        }
        previous.clone_from(&entry.hash);
        count += 1;
    }
    Ok(count)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn chain(n: usize) -> Vec<AccessLogged> {
        let mut previous = GENESIS.to_owned();
        (0..n)
            .map(|i| {
                let entry = AccessLogged {
                    at_ms: i as i64,
                    user: "user-1".into(),
                    role: "secretariaat".into(),
                    on_behalf_of: "portal".into(),
                    action: "view".into(),
                    message: Some(format!("message-{i}")),
                    client: None,
                    client_key: None,
                    detail: None,
                    address: "127.0.0.1".into(),
                    outcome: "success".into(),
                    previous: String::new(),
                    hash: String::new(),
                }
                .chained_after(&previous);
                previous.clone_from(&entry.hash);
                entry
            })
            .collect()
    }

    #[test]
    fn a_changed_removed_or_reordered_entry_breaks_the_chain() {
        let entries = chain(4);
        assert_eq!(verify_chain(&entries), Ok(4));
        let mut changed = entries.clone();
        changed[2].action = "search".into();
        assert_eq!(
            verify_chain(&changed),
            Err(ChainBreak::Changed { index: 2 })
        );
        let mut removed = entries.clone();
        removed.remove(1);
        assert_eq!(
            verify_chain(&removed),
            Err(ChainBreak::NotLinked { index: 1 })
        );
        let mut reordered = entries;
        reordered.swap(1, 2);
        assert_eq!(
            verify_chain(&reordered),
            Err(ChainBreak::NotLinked { index: 1 })
        );
    }
}
