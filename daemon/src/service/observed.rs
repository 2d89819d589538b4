//! A record system whose every answer is noted in its health (a refusal of ketenpost itself
//! becomes its problem; any success clears it), wrapped around any implementation of the
//! port (the Ons client in the daemon).

use ketenpost_domain::bsn::Bsn;
use ketenpost_domain::category::RecordSystemCall;
use ketenpost_domain::ports::{
    ClientLookup, DocumentMetadata, PlacedDocument, RecordSystem, RecordSystemError, StoredDocument,
};

use super::state::Shared;

/// The record system `name`, noting its answers in `shared`'s health.
pub struct Observed<'s, R> {
    /// Where the answers are noted.
    pub shared: &'s Shared,
    /// The record system's configured name.
    pub name: &'s str,
    /// Its client.
    pub client: &'s R,
}

impl<R> Observed<'_, R> {
    fn noted<T>(
        &self,
        call: RecordSystemCall,
        outcome: Result<T, RecordSystemError>,
    ) -> Result<T, RecordSystemError> {
        self.shared
            .record_system_answered(self.name, call, &outcome);
        outcome
    }
}

impl<R: RecordSystem> RecordSystem for Observed<'_, R> {
    async fn client_by_bsn(&self, bsn: &Bsn) -> Result<ClientLookup, RecordSystemError> {
        let outcome = RecordSystem::client_by_bsn(self.client, bsn).await;
        self.noted(RecordSystemCall::Lookup, outcome)
    }

    async fn documents(&self, client_id: &str) -> Result<Vec<StoredDocument>, RecordSystemError> {
        let outcome = RecordSystem::documents(self.client, client_id).await;
        self.noted(RecordSystemCall::List, outcome)
    }

    async fn place_document(
        &self,
        client_id: &str,
        metadata: &DocumentMetadata,
        document: Vec<u8>,
    ) -> Result<PlacedDocument, RecordSystemError> {
        let outcome =
            RecordSystem::place_document(self.client, client_id, metadata, document).await;
        self.noted(RecordSystemCall::Upload, outcome)
    }
}
