//! Notities over HTTP: a note is shown with its author and time, its text is sealed in the
//! event log (never readable there), and every reading of the notes is an access-log entry.

#![allow(clippy::panic, clippy::unwrap_used, clippy::expect_used)]

mod support;

use ketenpost_domain::events::{Role, StreamId, NOTES_STREAM};
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
