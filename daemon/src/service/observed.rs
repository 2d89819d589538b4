//! A record system whose every answer is noted (in the daemon's health, where a refusal of
//! ketenpost itself becomes its problem and any success clears it; in a worker, gathered for
//! its result), wrapped around any implementation of the port (the Ons client); each call runs
//! in a span of its step with the message's id, and the last failure's stage and error type
//! are kept for the delivery attempt's telemetry.

use std::sync::Mutex;

use ketenpost_domain::bsn::Bsn;
use ketenpost_domain::category::RecordSystemCall;
use ketenpost_domain::events::StreamId;
use ketenpost_domain::ports::{
    ClientLookup, DocumentMetadata, PlacedDocument, RecordSystem, RecordSystemError, StoredDocument,
};
use tracing::Instrument;

use super::record_health::{Answer, NotesAnswers};
use crate::telemetry::{spans, ErrorType, Stage};

/// The record system `name`, noting its answers in `notes`, for the work on one message.
pub struct Observed<'s, R> {
    notes: &'s dyn NotesAnswers,
    name: &'s str,
    client: &'s R,
    message: &'s StreamId,
    last_failure: Mutex<Option<(Stage, ErrorType)>>,
}

impl<'s, R> Observed<'s, R> {
    /// The record system `name` (its client `client`) for the work on `message`.
    pub fn new(
        notes: &'s dyn NotesAnswers,
        name: &'s str,
        client: &'s R,
        message: &'s StreamId,
    ) -> Self {
        Self {
            notes,
            name,
            client,
            message,
            last_failure: Mutex::new(None),
        }
    }

    /// The stage and kind of the last call that failed, if any.
    pub fn last_failure(&self) -> Option<(Stage, ErrorType)> {
        self.last_failure.lock().ok().and_then(|last| *last)
    }

    fn noted<T>(
        &self,
        call: RecordSystemCall,
        outcome: Result<T, RecordSystemError>,
    ) -> Result<T, RecordSystemError> {
        if let Err(error) = &outcome {
            if let Ok(mut last) = self.last_failure.lock() {
                *last = Some((Stage::of_call(call), ErrorType::of_record_system(error)));
            }
        }
        if let Some(answer) = Answer::of(self.name, call, &outcome) {
            self.notes.answered(answer);
        }
        outcome
    }
}

impl<R: RecordSystem> RecordSystem for Observed<'_, R> {
    async fn client_by_bsn(&self, bsn: &Bsn) -> Result<ClientLookup, RecordSystemError> {
        async {
            let outcome = RecordSystem::client_by_bsn(self.client, bsn).await;
            self.noted(RecordSystemCall::Lookup, outcome)
        }
        .instrument(spans::step(Stage::Lookup, self.message))
        .await
    }

    async fn documents(&self, client_id: &str) -> Result<Vec<StoredDocument>, RecordSystemError> {
        async {
            let outcome = RecordSystem::documents(self.client, client_id).await;
            self.noted(RecordSystemCall::List, outcome)
        }
        .instrument(spans::step(Stage::List, self.message))
        .await
    }

    async fn place_document(
        &self,
        client_id: &str,
        metadata: &DocumentMetadata,
        document: Vec<u8>,
    ) -> Result<PlacedDocument, RecordSystemError> {
        async {
            let outcome =
                RecordSystem::place_document(self.client, client_id, metadata, document).await;
            self.noted(RecordSystemCall::Upload, outcome)
        }
        .instrument(spans::step(Stage::Upload, self.message))
        .await
    }
}
