//! The access-log keys port: what the access log says about a client (the BSN, a search's
//! terms) is sealed with the key of the period the entry was made in, and that key is destroyed
//! when the period's retention (`keep_access_log`) ends. The entries stay, their hash chain
//! intact (it covers the sealed text, which does not change); what they said about clients can
//! no longer be read, nor linked to a BSN.

/// A period's key.
#[derive(Clone, PartialEq, Eq)]
pub struct PeriodKey {
    /// The period: when it begins, milliseconds since 1970-01-01 UTC.
    pub period: u64,
    /// The 32-byte key.
    pub key: [u8; 32],
}

impl std::fmt::Debug for PeriodKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("PeriodKey")
            .field("period", &self.period)
            .finish_non_exhaustive()
    }
}

/// A key could not be made, kept or read.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("the access log's key store failed: {0}")]
pub struct AccessKeyError(pub String);

/// The keys of the access log's periods.
pub trait AccessKeys: Send + Sync {
    /// The key of the period holding `at_ms`, made when there is none yet.
    ///
    /// # Errors
    /// The key store failed.
    fn key_for(&self, at_ms: i64) -> Result<PeriodKey, AccessKeyError>;

    /// The key of `period`; `None` once its retention ended and it was destroyed.
    ///
    /// # Errors
    /// The key store failed, or the stored key is damaged.
    fn key_of(&self, period: u64) -> Result<Option<[u8; 32]>, AccessKeyError>;
}
