//! The work item against in-memory fakes of the record system and the renderer: every way a
//! delivery can go, without a socket.

use std::collections::BTreeMap;
use std::future::Future;
use std::sync::Mutex;
use std::time::Duration;

use super::*;
use crate::bsn::Bsn;
use crate::category::RecordSystemCall;
use crate::document::Document;
use crate::events::test_support::{message_event, parsed};
use crate::events::{DeliveryAttempted, EventId, StreamKind};
use crate::ports::{
    ClientLookup, DocumentMetadata, DocumentRenderer, PlacedDocument, RecordSystemError,
    StoredDocument,
};
use crate::routing::{RetryPolicy, RightSelection, TypeSettings};

const NOW: i64 = 1_000_000;

fn now() -> i64 {
    NOW
}

/// Runs a future whose awaits are all ready (the fakes never wait).
fn run<F: Future>(future: F) -> F::Output {
    let mut future = std::pin::pin!(future);
    let mut context = std::task::Context::from_waker(std::task::Waker::noop());
    loop {
        if let std::task::Poll::Ready(output) = future.as_mut().poll(&mut context) {
            return output;
        }
    }
}

/// A record system that answers as told and notes every call.
#[derive(Default)]
struct FakeOns {
    lookup: Option<Result<ClientLookup, RecordSystemError>>,
    listed: Vec<StoredDocument>,
    upload: Option<Result<PlacedDocument, RecordSystemError>>,
    calls: Mutex<Vec<String>>,
}

impl FakeOns {
    fn with_client() -> Self {
        Self {
            lookup: Some(Ok(ClientLookup::Found("1001".into()))),
            upload: Some(Ok(PlacedDocument {
                id: "doc-1".into(),
                status: Some(0),
            })),
            ..Self::default()
        }
    }

    fn calls(&self) -> Vec<String> {
        self.calls.lock().unwrap().clone()
    }

    fn note(&self, call: &str) {
        self.calls.lock().unwrap().push(call.to_owned());
    }
}

impl RecordSystem for FakeOns {
    async fn client_by_bsn(&self, bsn: &Bsn) -> Result<ClientLookup, RecordSystemError> {
        self.note(&format!("lookup {}", bsn.expose()));
        self.lookup.clone().unwrap()
    }

    async fn documents(&self, client_id: &str) -> Result<Vec<StoredDocument>, RecordSystemError> {
        self.note(&format!("list {client_id}"));
        Ok(self.listed.clone())
    }

    async fn place_document(
        &self,
        client_id: &str,
        metadata: &DocumentMetadata,
        _document: Vec<u8>,
    ) -> Result<PlacedDocument, RecordSystemError> {
        self.note(&format!("upload {client_id} {}", metadata.file_name));
        self.upload.clone().unwrap()
    }
}

struct FakeRenderer;

impl DocumentRenderer for FakeRenderer {
    fn render(&self, _document: &Document) -> Result<Vec<u8>, String> {
        Ok(b"%PDF-fake".to_vec())
    }
}

fn route(attempts: u32) -> Route {
    let settings = TypeSettings {
        labels: vec!["brief".into()],
        actions: Vec::new(),
        right_selection: Some(RightSelection::Group),
        expertise_groups: vec!["12".into()],
        expertise_profiles: Vec::new(),
    };
    Route {
        name: "ons".into(),
        record_system: "ons".into(),
        medvri_pdf_senders: vec!["500012345".into()],
        place_incoming_pdf: false,
        retry: RetryPolicy {
            attempts,
            first_delay: Duration::from_secs(1),
            max_delay: Duration::from_secs(10),
        },
        types: BTreeMap::from([("MEDVRI".to_owned(), settings)]),
    }
}

const LETTER: &str =
    "UNB+UNOA:1+1+2+240101:1200+IC'UNH+1+MEDVRI:1'PID+1980:10:25+V+A++BSN999990019'\
                      TXT+Geachte collega'UNT+4+1'UNZ+1+IC'";

fn message() -> StreamId {
    StreamId::new(StreamKind::Message, EventId(7))
}

/// The history of a message awaiting delivery, then `more`.
fn history(identifier: &str, more: &[Event]) -> MessageFacts {
    let mut first = parsed(identifier);
    if let Event::MessageParsed(p) = &mut first {
        p.sender_id = Some("500012345".into());
    }
    let mut events = vec![first, Event::AwaitingDelivery];
    events.extend(more.iter().cloned());
    let recorded: Vec<_> = (0u64..)
        .zip(events)
        .map(|(v, e)| message_event(v, e))
        .collect();
    MessageFacts::from_history(&recorded)
}

/// Prepares and decides `payload` with `history` on a route of `attempts` against `ons`.
fn decide_with(payload: &str, facts: &MessageFacts, attempts: u32, ons: &FakeOns) -> Decision {
    let route = route(attempts);
    let message = message();
    let item = WorkItem {
        message: &message,
        facts,
        payload: payload.as_bytes(),
        route: Some(&route),
        clock: now,
        jitter: 0.0,
    };
    let parsed = facts.parsed.as_ref().unwrap();
    let prepared = prepare(
        &FakeRenderer,
        item.payload,
        parsed,
        None,
        "zm",
        Some(&route),
    );
    run(decide(&item, Some(prepared), Some(ons))).unwrap()
}

fn recorded(decision: Decision) -> Outcome {
    match decision {
        Decision::Record(outcome) => outcome,
        other => panic!("expected events, got {other:?}"),
    }
}

fn category(event: &Event) -> Option<Category> {
    match event {
        Event::MessageClassified(c) => Some(c.category),
        _ => None,
    }
}

#[test]
fn a_letter_is_placed_after_its_attempt_is_recorded() {
    let ons = FakeOns::with_client();
    let Decision::Upload(upload) = decide_with(LETTER, &history("MEDVRI:1", &[]), 3, &ons) else {
        panic!("expected an upload");
    };
    assert!(matches!(upload.attempted(), Event::DeliveryAttempted(a) if a.attempt == 1));
    assert_eq!(ons.calls(), ["lookup 999990019"], "nothing uploaded yet");
    let outcome = run(upload.place(&ons));
    assert!(matches!(&outcome.events[0], Event::DocumentPlaced(p)
        if p.document_id == "doc-1" && p.client_id == "1001" && !p.found_by_readback));
    assert_eq!(category(&outcome.events[1]), Some(Category::Processed));
    assert_eq!(outcome.after, After::Done(Done::Finished));
    assert_eq!(ons.calls()[1], format!("upload 1001 {}.pdf", message()));
}

#[test]
fn an_unknown_bsn_is_decided_without_an_upload() {
    let ons = FakeOns {
        lookup: Some(Ok(ClientLookup::NotFound)),
        ..FakeOns::default()
    };
    let outcome = recorded(decide_with(LETTER, &history("MEDVRI:1", &[]), 3, &ons));
    assert_eq!(category(&outcome.events[0]), Some(Category::UnknownBsn));
    assert_eq!(ons.calls().len(), 1);
}

#[test]
fn a_lookup_answered_for_another_bsn_is_retried_never_placed() {
    let ons = FakeOns {
        lookup: Some(Err(RecordSystemError::Failed(
            "the client answered is for another BSN than the one asked for".into(),
        ))),
        ..FakeOns::default()
    };
    let outcome = recorded(decide_with(LETTER, &history("MEDVRI:1", &[]), 3, &ons));
    assert!(
        matches!(&outcome.events[0], Event::DeliveryFailed(f) if f.error.contains("another BSN"))
    );
    assert_eq!(outcome.note, Note::AttemptFailed { attempt: 1 });
    assert_eq!(ons.calls(), ["lookup 999990019"]);
}

#[test]
fn a_refusal_is_retried_then_a_technical_error() {
    for status in [401, 403] {
        let refused = || RecordSystemError::Status {
            call: RecordSystemCall::Lookup,
            status,
        };
        let ons = FakeOns {
            lookup: Some(Err(refused())),
            ..FakeOns::default()
        };
        let first = recorded(decide_with(LETTER, &history("MEDVRI:1", &[]), 2, &ons));
        assert!(
            matches!(&first.events[0], Event::DeliveryFailed(f) if f.error.contains("itself was refused"))
        );
        let mut due = first.events.clone();
        if let Event::DeliveryFailed(f) = &mut due[0] {
            f.retry_at_ms = NOW;
        }
        let last = recorded(decide_with(LETTER, &history("MEDVRI:1", &due), 2, &ons));
        assert!(matches!(&last.events[0], Event::MessageClassified(c)
            if c.category == Category::TechnicalError
                && matches!(c.reason, Reason::RecordSystemRefused { status: s, attempts: 2, .. } if s == status)));
    }
}

#[test]
fn an_upload_answered_then_lost_is_read_back_not_placed_again() {
    let attempted = Event::DeliveryAttempted(DeliveryAttempted {
        attempt: 1,
        record_system: "ons".into(),
        idempotency_key: message().as_str().to_owned(),
        client_id: "1001".into(),
        file_name: format!("{}.pdf", message()),
    });
    let ons = FakeOns {
        listed: vec![StoredDocument {
            id: "doc-9".into(),
            file_name: format!("{}.pdf", message()),
            status: Some(1),
        }],
        ..FakeOns::with_client()
    };
    let outcome = recorded(decide_with(
        LETTER,
        &history("MEDVRI:1", &[attempted]),
        3,
        &ons,
    ));
    assert!(matches!(&outcome.events[0], Event::DocumentPlaced(p)
        if p.document_id == "doc-9" && p.found_by_readback));
    assert_eq!(
        outcome.note,
        Note::Placed {
            found_by_readback: true
        }
    );
    assert_eq!(
        ons.calls(),
        ["lookup 999990019", "list 1001"],
        "no second upload"
    );
}

#[test]
fn a_document_stored_in_error_is_not_a_placement() {
    let ons = FakeOns {
        upload: Some(Ok(PlacedDocument {
            id: "doc-1".into(),
            status: Some(5),
        })),
        ..FakeOns::with_client()
    };
    let Decision::Upload(upload) = decide_with(LETTER, &history("MEDVRI:1", &[]), 3, &ons) else {
        panic!("expected an upload");
    };
    let outcome = run(upload.place(&ons));
    assert!(matches!(&outcome.events[0], Event::DeliveryFailed(f) if f.error.contains("status 5")));
}

#[test]
fn an_unreachable_record_system_schedules_a_retry() {
    let ons = FakeOns {
        lookup: Some(Err(RecordSystemError::Failed(
            "Ons could not be reached".into(),
        ))),
        ..FakeOns::default()
    };
    let outcome = recorded(decide_with(LETTER, &history("MEDVRI:1", &[]), 3, &ons));
    let Event::DeliveryFailed(failed) = &outcome.events[0] else {
        panic!("expected a retry: {outcome:?}");
    };
    let retry_at = failed.retry_at_ms;
    assert!(retry_at > NOW && retry_at <= NOW + 1_000, "{retry_at}");
    assert_eq!(outcome.after, After::Done(Done::RetryAt(retry_at)));
    let facts = history("MEDVRI:1", &outcome.events);
    let waiting = decide_with(LETTER, &facts, 3, &ons);
    assert!(matches!(waiting, Decision::Nothing(Done::RetryAt(at)) if at == retry_at));
}

#[test]
fn an_unsupported_type_never_reaches_the_record_system() {
    let payload = "UNB+UNOA:1+1+2+240101:1200+IC'UNH+1+MEDRAD:1'UNT+2+1'UNZ+1+IC'";
    let ons = FakeOns::default();
    let outcome = recorded(decide_with(payload, &history("MEDRAD:1", &[]), 3, &ons));
    assert_eq!(category(&outcome.events[0]), Some(Category::Unsupported));
    assert!(ons.calls().is_empty());
}

#[test]
fn a_route_without_its_record_system_is_a_typed_error() {
    let route = route(3);
    let message = message();
    let facts = history("MEDVRI:1", &[]);
    let item = WorkItem {
        message: &message,
        facts: &facts,
        payload: LETTER.as_bytes(),
        route: Some(&route),
        clock: now,
        jitter: 0.0,
    };
    let prepared = prepare(
        &FakeRenderer,
        item.payload,
        facts.parsed.as_ref().unwrap(),
        None,
        "zm",
        Some(&route),
    );
    let error = run(decide::<FakeOns>(&item, Some(prepared), None)).unwrap_err();
    assert_eq!(
        error,
        WorkError::RecordSystemNotConfigured {
            route: "ons".into()
        }
    );
}
