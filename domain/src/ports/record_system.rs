//! The record system port (Nedap Ons today): looking a client up by BSN, listing the
//! documents ketenpost placed for a client, and placing a document.
//!
//! The methods return futures that are `Send`, declared with `impl Future` (async functions
//! in traits). That keeps the domain free of any async runtime and of a boxing dependency;
//! the price is that the trait is not object-safe, so users are generic over it (see
//! [`crate::work`] for why that is the better fit here).

use std::future::Future;

use crate::bsn::Bsn;
use crate::category::RecordSystemCall;

/// What a lookup by BSN gave.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ClientLookup {
    /// One client, with this id.
    Found(String),
    /// No client (404).
    NotFound,
    /// Several clients share the BSN (409).
    Several,
}

/// What a document is placed with.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DocumentMetadata {
    /// `description`.
    pub description: String,
    /// `fileName`: carries the message id.
    pub file_name: String,
    /// `tags`: the labels.
    pub tags: Vec<String>,
    /// `rightSelection`: `Me`, `Group`, `Education`, `All` or `Nobody`.
    pub right_selection: String,
    /// `expertiseGroups`.
    pub expertise_groups: Vec<String>,
    /// `expertiseProfiles`.
    pub expertise_profiles: Vec<String>,
    /// Document actions: the expertise groups that must act on it. Not in Ons' public API
    /// text; passed on as `documentActions`.
    pub actions: Vec<String>,
}

/// A placed document.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PlacedDocument {
    /// Its id.
    pub id: String,
    /// Its status (0 New .. 6 Archived), if given.
    pub status: Option<i64>,
}

/// A document read back from a client's record.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StoredDocument {
    /// Its id.
    pub id: String,
    /// Its file name.
    pub file_name: String,
    /// Its status (0 New .. 6 Archived), if given.
    pub status: Option<i64>,
}

/// A call to the record system that did not give an answer to use.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum RecordSystemError {
    /// An answer that was not a success; only its status is kept (an error body may echo
    /// personal data).
    #[error("HTTP {status} to the {call}")]
    Status {
        /// The call answered.
        call: RecordSystemCall,
        /// The HTTP status.
        status: u16,
    },
    /// No answer (unreachable, dropped, timed out), or one not as described (including an
    /// answer for another BSN than asked). The text names the system and the problem in
    /// fixed words, never a quote of the answer.
    #[error("{0}")]
    Failed(String),
}

impl RecordSystemError {
    /// Whether the record system refused ketenpost itself (HTTP 401 or 403).
    pub fn is_refusal(&self) -> bool {
        matches!(
            self,
            Self::Status {
                status: 401 | 403,
                ..
            }
        )
    }
}

/// The record system documents are placed in.
pub trait RecordSystem: Send + Sync {
    /// Looks a client up by BSN. An answer for another BSN than asked is an error, never a
    /// client.
    ///
    /// # Errors
    /// No answer, an answer that is not a success, 404 or 409, or one not as described.
    fn client_by_bsn(
        &self,
        bsn: &Bsn,
    ) -> impl Future<Output = Result<ClientLookup, RecordSystemError>> + Send;

    /// The documents ketenpost placed in the client's record.
    ///
    /// # Errors
    /// No answer, or not a success.
    fn documents(
        &self,
        client_id: &str,
    ) -> impl Future<Output = Result<Vec<StoredDocument>, RecordSystemError>> + Send;

    /// Places a document in the client's record.
    ///
    /// # Errors
    /// No answer (the document may or may not have landed), or not a success.
    fn place_document(
        &self,
        client_id: &str,
        metadata: &DocumentMetadata,
        document: Vec<u8>,
    ) -> impl Future<Output = Result<PlacedDocument, RecordSystemError>> + Send;
}
