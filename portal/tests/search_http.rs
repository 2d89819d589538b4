//! Finding a message on the Berichtenstroom over HTTP on a real socket and event log: by BSN
//! (exactly: a near miss finds nothing), by part of the client's name, by sender, by the day
//! received, within a tab and across all; each search in the access log with what it
//! searched by and the BSN sealed; a message whose retention ended no longer found by its
//! client; and no search for a role without access to client data.

#![allow(clippy::panic, clippy::unwrap_used, clippy::expect_used)]

mod support;

use std::collections::BTreeSet;

use ketenpost_adapters::event_log::Retention;
use ketenpost_adapters::sealed::open;
use ketenpost_domain::category::Category;
use ketenpost_domain::events::{
    Event, EventId, NewEvent, RetentionExpired, Role, StreamId, ACCESS_STREAM,
};
use ketenpost_domain::ports::{EventLog, ExpectedVersion, PeriodKeys, StreamAppend};
use ketenpost_portal::{access, clock};
use support::messages::add_client;
use support::{enrolled, enrolled_as, TestPortal, KEY};

/// The message ids of a list page.
fn ids(body: &str) -> BTreeSet<String> {
    body.split("<tr data-id=\"")
        .skip(1)
        .map(|s| s.split('"').next().unwrap().to_owned())
        .collect()
}

fn set(streams: &[&StreamId]) -> BTreeSet<String> {
    streams.iter().map(|s| s.as_str().to_owned()).collect()
}

/// Today in the Netherlands, as a date field sends it (`jjjj-mm-dd`).
fn today() -> String {
    let now = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_millis() as i64;
    let shown = clock::dutch_time(now);
    format!("{}-{}-{}", &shown[6..10], &shown[3..5], &shown[..2])
}

#[tokio::test]
async fn each_kind_of_search_finds_its_messages_within_a_tab_and_across_all() {
    let portal = TestPortal::start("search-kinds", false).await;
    let mut user = enrolled(&portal, "anna@zorggroep.example").await;
    let log = &portal.log;
    let jansen_unknown = add_client(
        log,
        Category::UnknownBsn,
        "500011111",
        "999990020",
        "Jansen",
    );
    let jansen_placed = add_client(log, Category::Processed, "500022222", "999990020", "Jansen");
    let janssen = add_client(
        log,
        Category::UnknownBsn,
        "500011111",
        "999990032",
        "Janssen",
    );
    let visser = add_client(
        log,
        Category::UnknownBsn,
        "500033333",
        "999990044",
        "Visser",
    );

    let search = |query: &str| format!("/berichten?tab=unknown_bsn&{query}");
    // By BSN, within the tab and across all.
    let page = user.browser.get(&search("bsn=999990020")).await;
    assert_eq!(page.status, 200, "{}", page.body);
    assert_eq!(ids(&page.body), set(&[&jansen_unknown]));
    assert!(
        page.body.contains("Zoekresultaten in Onbekende BSN"),
        "{}",
        page.body
    );
    assert!(
        page.body.contains("value=\"999990020\""),
        "the form shows the search"
    );
    let page = user.browser.get(&search("bsn=999990020&waar=alle")).await;
    assert_eq!(ids(&page.body), set(&[&jansen_unknown, &jansen_placed]));
    // A near miss (a valid BSN one digit off) finds nothing; an invalid one is explained.
    let page = user.browser.get(&search("bsn=999990032&waar=alle")).await;
    assert_eq!(ids(&page.body), set(&[&janssen]));
    let page = user.browser.get(&search("bsn=999990056&waar=alle")).await;
    assert!(ids(&page.body).is_empty(), "{}", page.body);
    assert!(page.body.contains("Geen berichten."));
    let page = user.browser.get(&search("bsn=99999002&waar=alle")).await;
    assert!(ids(&page.body).is_empty());
    assert!(page.body.contains("geen geldig BSN"), "{}", page.body);

    // By part of the name, case-insensitive.
    let page = user.browser.get(&search("naam=JANS&waar=alle")).await;
    assert_eq!(
        ids(&page.body),
        set(&[&jansen_unknown, &jansen_placed, &janssen])
    );
    let page = user.browser.get(&search("naam=jansse")).await;
    assert_eq!(ids(&page.body), set(&[&janssen]));
    let page = user.browser.get(&search("naam=de+Visser")).await;
    assert_eq!(ids(&page.body), set(&[&visser]), "every word must match");
    let page = user.browser.get(&search("naam=Vissers")).await;
    assert!(ids(&page.body).is_empty());

    // By sender: the interchange's sender id or the letter's author.
    let page = user.browser.get(&search("afzender=500011111")).await;
    assert_eq!(ids(&page.body), set(&[&jansen_unknown, &janssen]));
    let page = user.browser.get(&search("afzender=bakker&waar=alle")).await;
    assert_eq!(
        ids(&page.body).len(),
        4,
        "the letter's author, Dr. S. Bakker"
    );

    // By the day received (Europe/Amsterdam): today finds all, a day long past none.
    let day = today();
    let page = user
        .browser
        .get(&search(&format!("van={day}&tot={day}&waar=alle")))
        .await;
    assert_eq!(ids(&page.body).len(), 4, "{}", page.body);
    let page = user.browser.get(&search("tot=2001-01-01&waar=alle")).await;
    assert!(ids(&page.body).is_empty());
    let page = user
        .browser
        .get(&search(&format!("van={day}&naam=jansen&waar=alle")))
        .await;
    assert_eq!(ids(&page.body), set(&[&jansen_unknown, &jansen_placed]));

    // Every search is in the access log: what it searched by, the BSN sealed.
    let entries = access::entries(&*portal.log).unwrap();
    let searches: Vec<_> = entries.iter().filter(|e| e.action == "search").collect();
    assert_eq!(searches.len(), 13, "one entry per search that ran");
    let first = searches[0];
    let keys = portal.log.access_keys(std::time::Duration::from_secs(3600));
    let by_client = access::select(
        &entries,
        &keys,
        &KEY,
        Some("999990020"),
        None,
        i64::MIN,
        i64::MAX,
    );
    assert!(
        by_client.iter().any(|e| e.entry == *first),
        "the search is found by the BSN it searched for"
    );
    let sealed = first.client.as_deref().unwrap();
    assert!(
        !sealed.contains("999990020"),
        "the BSN is not in plain text"
    );
    // Sealed with the key of its period: `k<period>:<sealed>`.
    let open_sealed = |text: &str| {
        let (period, sealed) = text.strip_prefix('k').unwrap().split_once(':').unwrap();
        let key = keys.key_of(period.parse().unwrap()).unwrap().unwrap();
        String::from_utf8(open(&key, sealed).unwrap()).unwrap()
    };
    assert_eq!(open_sealed(sealed), "999990020");
    let detail = open_sealed(first.detail.as_deref().unwrap());
    assert_eq!(detail, "search by bsn in unknown_bsn");
    let raw = format!(
        "{:?}",
        portal
            .log
            .read_stream(&StreamId::parse(ACCESS_STREAM).unwrap())
    );
    assert!(
        !raw.contains("999990020") && !raw.contains("Jansen"),
        "{raw}"
    );
    assert_eq!(access::verify(&*portal.log).unwrap(), Ok(entries.len()));
}

#[tokio::test]
async fn a_message_whose_retention_ended_is_not_found_by_its_client_any_more() {
    let portal = TestPortal::start("search-retention", false).await;
    let mut user = enrolled(&portal, "anna@zorggroep.example").await;
    let log = &portal.log;
    let expired = add_client(
        log,
        Category::UnknownBsn,
        "500011111",
        "999990020",
        "Jansen",
    );
    let kept = add_client(
        log,
        Category::UnknownBsn,
        "500011111",
        "999990020",
        "Jansen",
    );
    let last = log.read_stream(&expired).unwrap().last().unwrap().version;
    log.append(vec![StreamAppend {
        stream: expired.clone(),
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
    log.catch_up().unwrap();

    for query in ["bsn=999990020", "naam=jansen"] {
        let page = user
            .browser
            .get(&format!("/berichten?tab=unknown_bsn&{query}"))
            .await;
        assert_eq!(ids(&page.body), set(&[&kept]), "{query}");
    }
    let page = user
        .browser
        .get("/berichten?tab=unknown_bsn&afzender=500011111")
        .await;
    assert_eq!(
        ids(&page.body),
        set(&[&expired, &kept]),
        "still found by what is not client data"
    );
    // The same after the projections are rebuilt from the log.
    log.replay().unwrap();
    let page = user
        .browser
        .get("/berichten?tab=unknown_bsn&bsn=999990020")
        .await;
    assert_eq!(ids(&page.body), set(&[&kept]));

    // The retention sweep itself, which deletes the payload as well: the client's entries go.
    let swept = add_client(log, Category::Fallout, "500099999", "999990044", "Visser");
    let now = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_millis() as i64;
    let rules = Retention {
        keep_processed: std::time::Duration::from_secs(3600),
        keep_other: std::time::Duration::ZERO,
        keep_access_log: std::time::Duration::from_secs(3600),
        keep_notes: std::time::Duration::from_secs(3600),
        keep_history: std::time::Duration::from_secs(3600),
    };
    let report = log.sweep_retention(rules, now + 1000, false).unwrap();
    assert!(report.payloads_deleted >= 1, "{report:?}");
    log.catch_up().unwrap();
    let page = user
        .browser
        .get("/berichten?tab=fallout&bsn=999990044&waar=alle")
        .await;
    assert!(ids(&page.body).is_empty(), "{}", page.body);
    let page = user.browser.get("/berichten?tab=fallout&naam=visser").await;
    assert!(ids(&page.body).is_empty(), "{}", page.body);
    let page = user
        .browser
        .get("/berichten?tab=fallout&afzender=500099999")
        .await;
    assert_eq!(ids(&page.body), set(&[&swept]));
}

#[tokio::test]
async fn a_role_without_access_to_client_data_cannot_search() {
    let portal = TestPortal::start("search-role", false).await;
    add_client(
        &portal.log,
        Category::UnknownBsn,
        "500011111",
        "999990020",
        "Jansen",
    );
    let mut desk = enrolled_as(&portal, "desk@zorggroep.example", Role::Servicedesk).await;
    // The organisation lets the service desk see the stream; searching stays its own.
    let mut admin = enrolled(&portal, "beheer@zorggroep.example").await;
    admin.browser.get("/toestemmingen").await;
    let given = admin
        .browser
        .post("/toestemmingen", &[("stroom", "ja")])
        .await;
    assert_eq!(given.status, 200, "{}", given.body);
    let page = desk
        .browser
        .get("/berichten?tab=unknown_bsn&bsn=999990020")
        .await;
    assert_eq!(page.status, 403, "{}", page.body);
    let list = desk.browser.get("/berichten?tab=unknown_bsn").await;
    assert_eq!(
        list.status, 200,
        "the list itself is shown with the consent"
    );
}

#[tokio::test]
async fn search_results_page_on_with_the_search_kept() {
    let portal = TestPortal::start("search-paging", false).await;
    let mut user = enrolled(&portal, "anna@zorggroep.example").await;
    let mut wanted = BTreeSet::new();
    for i in 0..60 {
        let s = add_client(
            &portal.log,
            Category::MissingBsn,
            "500011111",
            "999990020",
            "Jansen",
        );
        wanted.insert(s.as_str().to_owned());
        add_client(
            &portal.log,
            Category::MissingBsn,
            &format!("5000{i}"),
            "999990032",
            "Visser",
        );
    }
    let mut seen = Vec::new();
    let mut path = Some("/berichten?tab=missing_bsn&naam=jansen".to_owned());
    let mut pages = 0;
    while let Some(next) = path {
        let page = user.browser.get(&next).await;
        assert_eq!(page.status, 200, "{}", page.body);
        seen.extend(
            page.body
                .split("<tr data-id=\"")
                .skip(1)
                .map(|s| s.split('"').next().unwrap().to_owned()),
        );
        pages += 1;
        path = page.body.contains("id=\"next-page\"").then(|| {
            let before = page.body.split("\" id=\"next-page\"").next().unwrap();
            before
                .rsplit("<a href=\"")
                .next()
                .unwrap()
                .replace("&amp;", "&")
        });
        assert!(pages < 5, "the pages do not end");
    }
    assert_eq!(pages, 2);
    assert_eq!(seen.len(), 60, "no message twice");
    assert_eq!(seen.into_iter().collect::<BTreeSet<_>>(), wanted);
}
