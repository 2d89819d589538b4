//! Delivering a prepared message: look the client up, read an earlier upload back, and
//! place the document, judging each answer of the record system by the delivery rules.

use super::{After, Decision, Done, Note, Outcome, Prepared, Ready, WorkError, WorkItem};
use crate::category::{Category, Classification, Reason, RecordSystemCall};
use crate::delivery::{
    after_failure, after_lookup, classified, document_status_counts, file_name, is_document_of,
    Failure,
};
use crate::events::{DeliveryAttempted, DocumentPlaced, Event};
use crate::ports::{ClientLookup, DocumentMetadata, RecordSystem, RecordSystemError};
use crate::routing::{RetryPolicy, RightSelection};

/// One delivery attempt of a work item.
pub(super) struct Delivery<'i, 'a> {
    pub(super) item: &'i WorkItem<'a>,
    pub(super) attempt: u32,
    pub(super) earlier_upload: bool,
}

impl Delivery<'_, '_> {
    pub(super) async fn run<R: RecordSystem>(
        self,
        prepared: Prepared,
        record_system: Option<&R>,
    ) -> Result<Decision, WorkError> {
        let item = self.item;
        let (ready, route) = match (prepared, item.route) {
            (Prepared::Decided(c), _) => return Ok(decided(c)),
            (Prepared::Ready(ready), Some(route)) => (ready, route),
            (Prepared::Ready(_), None) => return Ok(Decision::Nothing(Done::Finished)),
        };
        let Some(record_system) = record_system else {
            return Err(WorkError::RecordSystemNotConfigured {
                route: route.name.clone(),
            });
        };
        let failed = |failure| failed(item, &route.retry, self.attempt, failure);
        let client_id = match record_system.client_by_bsn(&ready.bsn).await {
            Ok(ClientLookup::Found(id)) => id,
            Ok(ClientLookup::NotFound) => return Ok(decided_by_lookup(404)),
            Ok(ClientLookup::Several) => return Ok(decided_by_lookup(409)),
            Err(error) => return Ok(failed(failure_of(&error))),
        };
        let placement = Placement {
            record_system: route.record_system.clone(),
            client_id,
            file: file_name(item.message),
            ready,
        };
        if self.earlier_upload {
            match record_system.documents(&placement.client_id).await {
                Ok(documents) => {
                    // A document of this message stored in error (or deleted) did not land.
                    if let Some(found) = documents.iter().find(|d| {
                        is_document_of(&d.file_name, item.message)
                            && document_status_counts(d.status)
                    }) {
                        return Ok(Decision::Record(placement.placed(found.id.clone(), true)));
                    }
                }
                Err(error) => return Ok(failed(failure_of(&error))),
            }
        }
        Ok(Decision::Upload(Box::new(PendingUpload {
            attempted: Event::DeliveryAttempted(DeliveryAttempted {
                attempt: self.attempt,
                record_system: route.record_system.clone(),
                idempotency_key: item.message.as_str().to_owned(),
                client_id: placement.client_id.clone(),
                file_name: placement.file.clone(),
            }),
            attempt: self.attempt,
            retry: route.retry,
            clock: item.clock,
            jitter: item.jitter,
            placement,
        })))
    }
}

/// An upload decided but not yet made: append [`Self::attempted`] first, then [`Self::place`].
pub struct PendingUpload {
    attempted: Event,
    attempt: u32,
    retry: RetryPolicy,
    clock: fn() -> i64,
    jitter: f64,
    placement: Placement,
}

impl std::fmt::Debug for PendingUpload {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("PendingUpload")
            .field("attempt", &self.attempt)
            .finish_non_exhaustive()
    }
}

impl PendingUpload {
    /// The `DeliveryAttempted` event to append before [`Self::place`].
    pub fn attempted(&self) -> Event {
        self.attempted.clone()
    }

    /// Places the document and decides what its answer records. Call only after
    /// [`Self::attempted`] is appended; append the outcome at the version after it.
    pub async fn place<R: RecordSystem>(self, record_system: &R) -> Outcome {
        let metadata = self.placement.metadata();
        let upload = record_system
            .place_document(
                &self.placement.client_id,
                &metadata,
                self.placement.ready.pdf.clone(),
            )
            .await;
        let failure = match upload {
            Ok(document) if !document_status_counts(document.status) => {
                // Stored in error (5), or deleted: not placed. The next attempt reads back.
                Failure::Transient(format!(
                    "Ons answered the {} with a document in status {}",
                    RecordSystemCall::Upload,
                    document.status.unwrap_or_default()
                ))
            }
            Ok(document) => return self.placement.placed(document.id, false),
            Err(error) => failure_of(&error),
        };
        let event = after_failure(
            &self.retry,
            self.attempt,
            failure,
            (self.clock)(),
            self.jitter,
        );
        failure_outcome(event, self.attempt)
    }
}

/// Where and how the document goes.
struct Placement {
    record_system: String,
    client_id: String,
    file: String,
    ready: Box<Ready>,
}

impl Placement {
    fn metadata(&self) -> DocumentMetadata {
        let settings = &self.ready.settings;
        DocumentMetadata {
            description: self.ready.description.clone(),
            file_name: self.file.clone(),
            tags: settings.labels.clone(),
            right_selection: right_selection_name(settings.right_selection),
            expertise_groups: settings.expertise_groups.clone(),
            expertise_profiles: settings.expertise_profiles.clone(),
            actions: settings.actions.clone(),
        }
    }

    /// The events of a placed document: its placement and the category processed.
    fn placed(&self, document_id: String, found_by_readback: bool) -> Outcome {
        let settings = &self.ready.settings;
        Outcome {
            events: vec![
                Event::DocumentPlaced(DocumentPlaced {
                    record_system: self.record_system.clone(),
                    client_id: self.client_id.clone(),
                    document_id,
                    file_name: self.file.clone(),
                    labels: settings.labels.clone(),
                    actions: settings.actions.clone(),
                    right_selection: right_selection_name(settings.right_selection),
                    expertise_groups: settings.expertise_groups.clone(),
                    expertise_profiles: settings.expertise_profiles.clone(),
                    found_by_readback,
                }),
                classified(Category::Processed, Reason::Placed),
            ],
            after: After::Done(Done::Finished),
            note: Note::Placed { found_by_readback },
        }
    }
}

/// A category the message ends in without a placement.
fn decided(classification: Classification) -> Decision {
    Decision::Record(Outcome {
        events: vec![classified(classification.category, classification.reason)],
        after: After::Done(Done::Finished),
        note: Note::Nothing,
    })
}

/// The category of a lookup that did not give one client (404, 409).
fn decided_by_lookup(status: u16) -> Decision {
    decided(after_lookup(status).unwrap_or(Classification {
        category: Category::Fallout,
        reason: Reason::Rejected {
            status,
            call: Some(RecordSystemCall::Lookup),
        },
    }))
}

/// A failed attempt: a retry, or the category the spent budget or refusal leads to.
fn failed(item: &WorkItem<'_>, retry: &RetryPolicy, attempt: u32, failure: Failure) -> Decision {
    let event = after_failure(retry, attempt, failure, (item.clock)(), item.jitter);
    Decision::Record(failure_outcome(event, attempt))
}

fn failure_outcome(event: Event, attempt: u32) -> Outcome {
    let after = match &event {
        Event::DeliveryFailed(f) => After::Done(Done::RetryAt(f.retry_at_ms)),
        _ => After::Done(Done::Finished),
    };
    Outcome {
        events: vec![event],
        after,
        note: Note::AttemptFailed { attempt },
    }
}

fn failure_of(error: &RecordSystemError) -> Failure {
    match error {
        RecordSystemError::Status { call, status } => Failure::from_status(*call, *status),
        RecordSystemError::Failed(text) => Failure::Transient(text.clone()),
    }
}

fn right_selection_name(selection: Option<RightSelection>) -> String {
    // Validation at start guarantees a visibility; `Nobody` is the safe fallback.
    match selection.unwrap_or(RightSelection::Nobody) {
        RightSelection::Me => "Me",
        RightSelection::Group => "Group",
        RightSelection::Education => "Education",
        RightSelection::All => "All",
        RightSelection::Nobody => "Nobody",
    }
    .to_owned()
}
