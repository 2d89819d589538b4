//! The Ons client as the domain's record system port. Its errors are translated here: a
//! status stays a status (the delivery rules judge it), anything else keeps its text.

use ketenpost_domain::bsn::Bsn;
use ketenpost_domain::ports::{
    ClientLookup, DocumentMetadata, PlacedDocument, RecordSystem, RecordSystemError, StoredDocument,
};

use super::{OnsClient, OnsError};

impl From<OnsError> for RecordSystemError {
    fn from(error: OnsError) -> Self {
        match error {
            OnsError::Status { call, status } => Self::Status { call, status },
            other => Self::Failed(other.to_string()),
        }
    }
}

impl RecordSystem for OnsClient {
    async fn client_by_bsn(&self, bsn: &Bsn) -> Result<ClientLookup, RecordSystemError> {
        Ok(Self::client_by_bsn(self, bsn).await?)
    }

    async fn documents(&self, client_id: &str) -> Result<Vec<StoredDocument>, RecordSystemError> {
        Ok(Self::documents(self, client_id).await?)
    }

    async fn place_document(
        &self,
        client_id: &str,
        metadata: &DocumentMetadata,
        document: Vec<u8>,
    ) -> Result<PlacedDocument, RecordSystemError> {
        Ok(Self::place_document(self, client_id, metadata, document).await?)
    }
}
