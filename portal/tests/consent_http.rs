//! Toestemmingen over HTTP: the stream, a message and its attachments are refused to the
//! service desk until a beheerder gives the consent to see the stream, shown at once when it
//! is given (a look only: resending stays refused), and refused again when it is withdrawn.
//! Only a beheerder sets consents; each change is an event naming who.

#![allow(clippy::panic, clippy::unwrap_used, clippy::expect_used)]

mod support;

use ketenpost_domain::category::Category;
use ketenpost_domain::events::{Consent, Event, Role, StreamId, CONSENTS_STREAM};
use ketenpost_domain::ports::EventLog;
use support::messages::add;
use support::{enrolled, enrolled_as, TestPortal};

#[tokio::test]
async fn the_stream_is_refused_to_the_service_desk_without_consent_and_shown_with_it() {
    let portal = TestPortal::start("consent-stream", false).await;
    let message = add(&portal.log, Category::UnknownBsn, "MEDVRI:1", "500012345");
    let mut desk = enrolled_as(&portal, "desk@leverancier.example", Role::Servicedesk).await;
    let mut admin = enrolled(&portal, "beheer@zorggroep.example").await;
    let paths = [
        "/berichten?tab=unknown_bsn".to_owned(),
        "/berichten/aantallen".to_owned(),
        format!("/berichten/{message}"),
        format!("/berichten/{message}/pdf"),
        format!("/berichten/{message}/origineel"),
    ];

    for path in &paths {
        let page = desk.browser.get(path).await;
        assert_eq!(page.status, 403, "{path}");
    }
    let refused = desk.browser.get("/berichten").await;
    assert!(
        refused.body.contains("geen toestemming"),
        "{}",
        refused.body
    );

    // The service desk cannot give itself the consent.
    let page = desk.browser.get("/toestemmingen").await;
    assert_eq!(page.status, 200);
    assert!(page.body.contains("de berichtenstroom in te zien"));
    assert!(page.body.contains("disabled"));
    let own = desk
        .browser
        .post("/toestemmingen", &[("stroom", "ja")])
        .await;
    assert_eq!(own.status, 403);

    admin.browser.get("/toestemmingen").await;
    let given = admin
        .browser
        .post("/toestemmingen", &[("stroom", "ja")])
        .await;
    assert_eq!(given.status, 200, "{}", given.body);
    assert!(given.body.contains("gelden direct"), "{}", given.body);

    for path in &paths {
        let page = desk.browser.get(path).await;
        assert_eq!(page.status, 200, "{path}: {}", page.body);
    }
    let list = desk.browser.get("/berichten?tab=unknown_bsn").await;
    assert!(list.body.contains(message.as_str()), "{}", list.body);
    let resend = desk
        .browser
        .post(&format!("/berichten/{message}/herzenden"), &[])
        .await;
    assert_eq!(resend.status, 403, "looking is not resending");

    let recorded: Vec<_> = portal
        .log
        .read_stream(&StreamId::fixed(CONSENTS_STREAM))
        .unwrap()
        .into_iter()
        .filter_map(|e| match e.event {
            Event::ConsentSet(set) => Some(set),
            _ => None,
        })
        .collect();
    assert_eq!(recorded.len(), 1);
    assert_eq!(recorded[0].consent, Consent::ViewStream);
    assert!(recorded[0].granted);
    assert!(recorded[0].by.starts_with("user-"), "{}", recorded[0].by);

    // Withdrawn: refused again at once.
    let withdrawn = admin.browser.post("/toestemmingen", &[]).await;
    assert_eq!(withdrawn.status, 200);
    let page = desk.browser.get("/berichten?tab=unknown_bsn").await;
    assert_eq!(page.status, 403);
}
