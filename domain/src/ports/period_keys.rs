//! The period keys port: data about clients that is kept for a fixed time after it was written
//! is sealed with the key of the period it was written in, and that key is destroyed when the
//! period's retention ends. Two records use it: the access log (what an entry says about a
//! client, the BSN or a search's terms; `keep_access_log`) and the portal's notes (their text;
//! `keep_notes`). The events stay, the access log's hash chain intact (it covers the sealed
//! text, which does not change); what they said can no longer be read.

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
#[error("the period key store failed: {0}")]
pub struct PeriodKeyError(pub String);

/// The keys of one record's periods (the access log's, or the notes').
pub trait PeriodKeys: Send + Sync {
    /// The key of the period holding `at_ms`, made when there is none yet.
    ///
    /// # Errors
    /// The key store failed.
    fn key_for(&self, at_ms: i64) -> Result<PeriodKey, PeriodKeyError>;

    /// The key of `period`; `None` once its retention ended and it was destroyed.
    ///
    /// # Errors
    /// The key store failed, or the stored key is damaged.
    fn key_of(&self, period: u64) -> Result<Option<[u8; 32]>, PeriodKeyError>;
}
