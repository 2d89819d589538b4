//! Notities over HTTP: a note is shown with its author and time, its text is sealed in the
//! event log (never readable there), every reading of the notes is an access-log entry, and
//! once `keep_notes` is over its text cannot be read any more.

#![allow(clippy::panic, clippy::unwrap_used, clippy::expect_used)]

mod support;

use std::time::Duration;

use ketenpost_adapters::event_log::Retention;
use ketenpost_adapters::sealed::open;
use ketenpost_domain::events::{Event, Role, StreamId, NOTES_STREAM};
use ketenpost_domain::ports::EventLog;
use ketenpost_portal::access;
use support::{enrolled_as, TestPortal};

const NOTE: &str = "Mevrouw Jansen (BSN 999990019) belt terug over de labuitslag";

#[tokio::test]
async fn a_note_is_shown_with_its_author_sealed_at_rest_and_its_reading_logged() {
    let portal = TestPortal::start("notes", false).await;
    let mut anna = enrolled_as(&portal, "anna@zorggroep.example", Role::Secretariaat).await;
    anna.browser.get("/notities").await;
    let saved = anna.browser.post("/notities", &[("tekst", NOTE)]).await;
    assert_eq!(saved.status, 200, "{}", saved.body);
    assert!(saved.body.contains("De notitie is opgeslagen."));

    let mut desk = enrolled_as(&portal, "desk@leverancier.example", Role::Servicedesk).await;
    let page = desk.browser.get("/notities").await;
    assert_eq!(page.status, 200);
    assert!(page.body.contains(NOTE), "{}", page.body);

    let stored = format!(
        "{:?}",
        portal
            .log
            .read_stream(&StreamId::fixed(NOTES_STREAM))
            .unwrap()
    );
    assert!(stored.contains("NoteAdded"), "{stored}");
    for private in ["Jansen", "999990019", "labuitslag"] {
        assert!(!stored.contains(private), "{private} readable in the log");
    }

    let reads = access::entries(&*portal.log)
        .unwrap()
        .into_iter()
        .filter(|e| e.action == "read_notes")
        .count();
    assert_eq!(reads, 3, "every reading of the notes is in the access log");

    let empty = anna.browser.post("/notities", &[("tekst", "  ")]).await;
    assert_eq!(empty.status, 400);
}

#[tokio::test]
async fn a_note_past_keep_notes_cannot_be_read_any_more_but_stays_listed() {
    let portal = TestPortal::start("notes-kept", false).await;
    let mut anna = enrolled_as(&portal, "anna@zorggroep.example", Role::Secretariaat).await;
    let page = anna.browser.get("/notities").await;
    assert!(
        page.body.contains("blijft 1 uur leesbaar"),
        "the page says how long: {}",
        page.body
    );
    anna.browser.post("/notities", &[("tekst", NOTE)]).await;
    let written_ms = portal.now_ms();

    // The text is sealed with its period's key, not with the data key alone.
    let stored = portal
        .log
        .read_stream(&StreamId::fixed(NOTES_STREAM))
        .unwrap();
    let Event::NoteAdded(note) = &stored.last().unwrap().event else {
        panic!("a note: {stored:?}");
    };
    assert!(note.period.is_some());
    assert!(open(&support::KEY, &note.text).is_err());

    let rules = |keep_notes| Retention {
        keep_processed: Duration::from_secs(3600),
        keep_other: Duration::from_secs(3600),
        keep_access_log: Duration::from_secs(3600),
        keep_notes,
        keep_history: Duration::from_secs(3600),
    };
    let early = portal
        .log
        .sweep_retention(rules(support::NOTES_KEPT), written_ms + 1_000, false)
        .unwrap();
    assert_eq!(early.note_periods_forgotten, 0, "within keep_notes");
    assert!(anna.browser.get("/notities").await.body.contains(NOTE));

    // A period lasts a tenth of keep_notes: 1.1 times keep_notes on, its key goes.
    let kept_ms = i64::try_from(support::NOTES_KEPT.as_millis()).unwrap();
    let late = portal
        .log
        .sweep_retention(
            rules(support::NOTES_KEPT),
            written_ms + kept_ms + kept_ms / 10 + 1_000,
            false,
        )
        .unwrap();
    assert_eq!(late.note_periods_forgotten, 1);
    let page = anna.browser.get("/notities").await;
    assert_eq!(page.status, 200);
    assert!(!page.body.contains(NOTE), "{}", page.body);
    assert!(
        page.body.contains("verwijderd na de bewaartermijn"),
        "{}",
        page.body
    );
    assert!(
        page.body.contains("Anna de Vries"),
        "the author stays: {}",
        page.body
    );

    // A note written after that is read as before.
    anna.browser
        .post("/notities", &[("tekst", "Nieuwe afspraak")])
        .await;
    assert!(anna
        .browser
        .get("/notities")
        .await
        .body
        .contains("Nieuwe afspraak"));
}

#[tokio::test]
async fn a_note_written_before_notes_had_periods_is_read_with_the_data_key() {
    let portal = TestPortal::start("notes-older", false).await;
    let mut anna = enrolled_as(&portal, "anna@zorggroep.example", Role::Secretariaat).await;
    portal
        .log
        .append(vec![ketenpost_domain::ports::StreamAppend {
            stream: StreamId::fixed(NOTES_STREAM),
            expected: ketenpost_domain::ports::ExpectedVersion::Any,
            events: vec![ketenpost_domain::events::NewEvent {
                id: ketenpost_domain::events::EventId(7),
                event: Event::NoteAdded(ketenpost_domain::events::NoteAdded {
                    text: ketenpost_adapters::sealed::seal(&support::KEY, b"Oude afspraak")
                        .unwrap(),
                    author: "user-1".into(),
                    period: None,
                }),
            }],
        }])
        .unwrap();
    let page = anna.browser.get("/notities").await;
    assert!(page.body.contains("Oude afspraak"), "{}", page.body);
}
