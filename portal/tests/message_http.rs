//! One message over HTTP: the client's name, BSN and sender from the sealed payload, the reason
//! in Dutch, the PDF and the original as downloads, HERZENDEN behind a confirmation and the
//! CSRF check, a role without access to client data refused, and every look recorded in the
//! hash-chained access log with the BSN sealed.

#![allow(clippy::panic, clippy::unwrap_used, clippy::expect_used)]

mod support;

use ketenpost_domain::category::Category;
use ketenpost_domain::events::{verify_chain, Role};
use ketenpost_domain::ports::EventLog;
use ketenpost_portal::access;
use support::messages::{add, LETTER, LETTER_BSN};
use support::{between, enrolled, enrolled_as, TestPortal, KEY};

#[tokio::test]
async fn a_message_shows_the_client_and_the_reason_offers_its_attachments_and_is_resent() {
    let portal = TestPortal::start("message-detail", false).await;
    let mut user = enrolled_as(&portal, "anna@zorggroep.example", Role::Secretariaat).await;
    let message = add(&portal.log, Category::UnknownBsn, "MEDVRI:1", "500012345");
    let path = format!("/berichten/{message}");

    let page = user.browser.get(&path).await;
    assert_eq!(page.status, 200, "{}", page.body);
    assert!(
        page.body.contains("Bericht met onbekend BSN van"),
        "{}",
        page.body
    );
    assert_eq!(between(&page.body, "id=\"bsn\">", "<"), LETTER_BSN);
    let name = between(&page.body, "id=\"client-name\">", "<");
    assert!(name.contains("Bruin"), "{name}");
    assert!(between(&page.body, "id=\"sender\">", "<").contains("Bakker"));
    assert_eq!(
        between(&page.body, "id=\"reason\">", "<"),
        "Het bijgevoegde bericht kon niet worden verwerkt aangezien het BSN onbekend is."
    );
    assert!(page.body.contains("Bijlage(n)"));
    assert!(page.body.contains("id=\"resend\""), "HERZENDEN offered");

    let pdf = user.browser.get(&format!("{path}/pdf")).await;
    assert_eq!(pdf.status, 200, "{}", pdf.body);
    assert_eq!(pdf.headers["content-type"], "application/pdf");
    assert!(pdf.body.starts_with("%PDF-"));
    let original = user.browser.get(&format!("{path}/origineel")).await;
    assert_eq!(original.status, 200);
    assert_eq!(original.body.as_bytes(), LETTER);
    assert!(original.headers["content-disposition"]
        .to_str()
        .unwrap()
        .starts_with("attachment"));

    let confirm = user.browser.get(&format!("{path}/herzenden")).await;
    assert!(confirm.body.contains("Dit bericht opnieuw verzenden?"));
    let forged = user
        .browser
        .post_with(&format!("{path}/herzenden"), &[], Some("niet-het-token"))
        .await;
    assert_eq!(
        forged.status, 403,
        "a post without the page's token is refused"
    );
    let resent = user.browser.post(&format!("{path}/herzenden"), &[]).await;
    assert_eq!(resent.status, 303, "{}", resent.body);
    assert_eq!(resent.location, path);
    let after = user.browser.get(&path).await;
    assert!(
        after.body.contains("Opnieuw verzenden gevraagd"),
        "{}",
        after.body
    );
    assert!(
        !after.body.contains("id=\"resend\""),
        "not offered while in progress"
    );

    let entries = access::entries(&*portal.log).unwrap();
    let actions: Vec<&str> = entries.iter().map(|e| e.action.as_str()).collect();
    assert_eq!(
        actions,
        [
            "view",
            "download_pdf",
            "download_original",
            "resend",
            "view"
        ],
        "every view, download and resend, and nothing else"
    );
    assert_eq!(verify_chain(&entries), Ok(5));
    assert!(entries
        .iter()
        .all(|e| e.role == "secretariaat" && e.outcome == "success"));
    assert!(entries
        .iter()
        .all(|e| e.message.as_deref() == Some(message.as_str())));
    let stored = serde_json::to_string(&entries).unwrap();
    assert!(
        !stored.contains(LETTER_BSN),
        "the BSN is sealed in the access log"
    );
    let keys = portal.log.access_keys(std::time::Duration::from_secs(3600));
    let by_client = access::select(
        &entries,
        &keys,
        &KEY,
        Some(LETTER_BSN),
        None,
        i64::MIN,
        i64::MAX,
    );
    assert_eq!(by_client.len(), 5);
    assert_eq!(by_client[0].bsn.as_deref(), Some(LETTER_BSN));
    let other = access::select(
        &entries,
        &keys,
        &KEY,
        Some("111222333"),
        None,
        i64::MIN,
        i64::MAX,
    );
    assert!(other.is_empty());
}

#[tokio::test]
async fn the_service_desk_without_consent_sees_neither_the_stream_nor_a_clients_data() {
    let portal = TestPortal::start("message-rights", false).await;
    let message = add(&portal.log, Category::UnknownBsn, "MEDVRI:1", "500012345");
    let mut desk = enrolled_as(&portal, "desk@leverancier.example", Role::Servicedesk).await;
    let list = desk.browser.get("/berichten?tab=unknown_bsn").await;
    assert_eq!(list.status, 403);
    assert!(!list.body.contains(LETTER_BSN));
    for path in ["", "/pdf", "/origineel", "/herzenden"] {
        let page = desk
            .browser
            .get(&format!("/berichten/{message}{path}"))
            .await;
        assert_eq!(page.status, 403, "{path}");
        assert!(!page.body.contains(LETTER_BSN), "{path}");
    }
    let resend = desk
        .browser
        .post(&format!("/berichten/{message}/herzenden"), &[])
        .await;
    assert_eq!(resend.status, 403);
    let history = portal.log.read_stream(&message).unwrap();
    assert_eq!(history.len(), 2, "nothing was resent");

    let mut admin = enrolled(&portal, "beheer@zorggroep.example").await;
    let missing = admin.browser.get("/berichten/message-bestaat-niet").await;
    assert_eq!(missing.status, 404);
}

#[tokio::test]
async fn the_beheerder_sees_who_looked_at_a_client_and_that_lookup_is_recorded_too() {
    let portal = TestPortal::start("message-accesslog", false).await;
    let message = add(&portal.log, Category::UnknownBsn, "MEDVRI:1", "500012345");
    let mut secretary = enrolled_as(&portal, "anna@zorggroep.example", Role::Secretariaat).await;
    secretary
        .browser
        .get(&format!("/berichten/{message}"))
        .await;
    let refused = secretary
        .browser
        .get(&format!("/toegangslog?bsn={LETTER_BSN}"))
        .await;
    assert_eq!(refused.status, 403, "the access log is for the beheerder");

    let mut admin = enrolled(&portal, "beheer@zorggroep.example").await;
    let page = admin
        .browser
        .get(&format!("/toegangslog?bsn={LETTER_BSN}"))
        .await;
    assert_eq!(page.status, 200, "{}", page.body);
    let table = between(&page.body, "<tbody>", "</tbody>");
    assert_eq!(table.matches("<tr>").count(), 1, "{table}");
    assert!(table.contains("anna@zorggroep.example"), "{table}");
    assert!(
        table.contains("secretariaat") && table.contains("view"),
        "{table}"
    );
    assert!(table.contains(message.as_str()));

    let by_user = admin
        .browser
        .get("/toegangslog?email=Anna@zorggroep.example")
        .await;
    assert_eq!(
        between(&by_user.body, "<tbody>", "</tbody>")
            .matches("<tr>")
            .count(),
        1
    );
    let wrong = admin.browser.get("/toegangslog?bsn=12345").await;
    assert!(wrong.body.contains("geen geldig BSN"));

    let entries = access::entries(&*portal.log).unwrap();
    let searches: Vec<_> = entries.iter().filter(|e| e.action == "search").collect();
    assert_eq!(searches.len(), 2, "both lookups are recorded");
    assert_eq!(searches[0].role, "beheerder");
    assert_eq!(verify_chain(&entries), Ok(3));
}

#[tokio::test]
async fn a_message_whose_retention_ended_shows_its_client_data_removed_and_offers_no_resend() {
    use ketenpost_domain::events::{Event, EventId, NewEvent, RetentionExpired};
    use ketenpost_domain::ports::{ExpectedVersion, StreamAppend};

    let portal = TestPortal::start("message-expired", false).await;
    let mut user = enrolled_as(&portal, "anna@zorggroep.example", Role::Secretariaat).await;
    let id = add(&portal.log, Category::UnknownBsn, "MEDVRI:1", "500022222");
    let last = portal.log.read_stream(&id).unwrap().last().unwrap().version;
    portal
        .log
        .append(vec![StreamAppend {
            stream: id.clone(),
            expected: ExpectedVersion::Exactly(last),
            events: vec![NewEvent {
                id: EventId(uuid::Uuid::now_v7().as_u128()),
                event: Event::RetentionExpired(RetentionExpired {
                    rule: "keep_other".into(),
                    decided_at_ms: 0,
                }),
            }],
        }])
        .unwrap();
    portal.log.catch_up().unwrap();

    let page = user.browser.get(&format!("/berichten/{id}")).await;
    assert_eq!(page.status, 200, "{}", page.body);
    for field in ["client-name", "bsn"] {
        assert_eq!(
            between(&page.body, &format!("id=\"{field}\">"), "<"),
            "verwijderd na de bewaartermijn",
            "{field}"
        );
    }
    assert!(!page.body.contains(LETTER_BSN), "{}", page.body);
    assert!(page.body.contains("id=\"attachments-removed\""));
    assert!(!page.body.contains("id=\"download-pdf\""));
    assert!(!page.body.contains("id=\"resend\""), "no HERZENDEN");
    assert!(
        page.body.contains("verwijderd na de bewaartermijn</td>"),
        "in the timeline"
    );
    for path in ["pdf", "origineel"] {
        let download = user.browser.get(&format!("/berichten/{id}/{path}")).await;
        assert_eq!(download.status, 410, "{path}: {}", download.body);
        assert!(download.body.contains("verwijderd na de bewaartermijn"));
    }
    let outcomes: Vec<String> = access::entries(&*portal.log)
        .unwrap()
        .into_iter()
        .map(|e| format!("{} {}", e.action, e.outcome))
        .collect();
    assert_eq!(
        outcomes,
        [
            "view success",
            "download_pdf expired",
            "download_original expired"
        ]
    );
}
