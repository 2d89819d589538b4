//! The Berichtenstroom over HTTP on a real socket and event log: the six tabs in order with
//! their counts and the number in progress, the columns, paging that neither repeats nor
//! skips a message while new ones arrive, the counts as JSON for the refreshing script, and
//! no list for someone not logged in.

#![allow(clippy::panic, clippy::unwrap_used, clippy::expect_used)]

mod support;

use std::collections::BTreeSet;

use ketenpost_domain::category::Category;
use support::messages::add;
use support::{between, enrolled, Browser, TestPortal};

/// The message ids of a list page, in order.
fn ids(body: &str) -> Vec<String> {
    body.split("<tr data-id=\"")
        .skip(1)
        .map(|s| s.split('"').next().unwrap().to_owned())
        .collect()
}

/// The href of the "Volgende pagina" link, if any.
fn next_link(body: &str) -> Option<String> {
    body.contains("id=\"next-page\"")
        .then(|| between(body, "<a href=\"", "\" id=\"next-page\"").replace("&amp;", "&"))
        .map(|href| {
            // The link is the last <a href before id="next-page".
            href.rsplit("<a href=\"").next().unwrap().to_owned()
        })
}

#[tokio::test]
async fn the_tabs_come_in_order_with_their_counts_and_the_newest_message_first() {
    let portal = TestPortal::start("stream-tabs", false).await;
    let mut user = enrolled(&portal, "anna@zorggroep.example").await;
    for _ in 0..2 {
        add(&portal.log, Category::Fallout, "MEDVRI:1", "500011111");
    }
    add(&portal.log, Category::UnknownBsn, "MEDVRI:1", "500022222");
    let newest = add(&portal.log, Category::UnknownBsn, "MEDLAB:1", "LAB-ZUID");
    add(&portal.log, Category::Processed, "MEDVRI:1", "500033333");

    let page = user.browser.get("/berichten?tab=unknown_bsn").await;
    assert_eq!(page.status, 200, "{}", page.body);
    let tabs = between(&page.body, "<nav class=\"tabs\"", "</nav>");
    let order: Vec<usize> = [
        "Uitval",
        "Niet ondersteund",
        "Ontbrekende BSN",
        "Onbekende BSN",
        "Technische fout",
        "Verwerkt",
    ]
    .iter()
    .map(|name| {
        tabs.find(name)
            .unwrap_or_else(|| panic!("{name} in {tabs}"))
    })
    .collect();
    assert!(order.windows(2).all(|w| w[0] < w[1]), "{tabs}");
    for (slug, count) in [
        ("fallout", 2),
        ("unsupported", 0),
        ("unknown_bsn", 2),
        ("processed", 1),
    ] {
        let shown = between(tabs, &format!("data-count=\"{slug}\">"), "<");
        assert_eq!(shown, count.to_string(), "{slug}");
    }
    assert_eq!(between(&page.body, "id=\"in-progress\">", "<"), "0");
    assert!(
        page.body.contains("registreer de cliënt in het ECD"),
        "{}",
        page.body
    );

    let listed = ids(&page.body);
    assert_eq!(listed.len(), 2);
    assert_eq!(listed[0], newest.as_str(), "newest first");
    let first_row = between(&page.body, "<tr data-id=", "</tr>");
    assert!(first_row.contains("Laboratoriumuitslag"), "{first_row}");
    assert!(first_row.contains("LAB-ZUID"), "{first_row}");
    let received = first_row
        .trim_end_matches("</td>")
        .rsplit("<td>")
        .next()
        .unwrap();
    let shape: String = received
        .chars()
        .map(|c| if c.is_ascii_digit() { '9' } else { c })
        .collect();
    assert_eq!(shape, "99-99-9999 99:99", "Ontvangen as dd-mm-jjjj hh:mm");

    let counts = user.browser.get("/berichten/aantallen").await;
    assert_eq!(counts.status, 200);
    let counts: serde_json::Value = serde_json::from_str(&counts.body).unwrap();
    assert_eq!(counts["unknown_bsn"], 2);
    assert_eq!(counts["fallout"], 2);
    assert_eq!(counts["in_progress"], 0);

    add(&portal.log, Category::UnknownBsn, "MEDVRI:1", "500044444");
    let counts = user.browser.get("/berichten/aantallen").await;
    let counts: serde_json::Value = serde_json::from_str(&counts.body).unwrap();
    assert_eq!(counts["unknown_bsn"], 3, "the counts follow new messages");
}

#[tokio::test]
async fn paging_shows_every_message_once_while_new_ones_arrive() {
    let portal = TestPortal::start("stream-paging", false).await;
    let mut user = enrolled(&portal, "anna@zorggroep.example").await;
    let mut before: BTreeSet<String> = BTreeSet::new();
    for i in 0..120 {
        let s = add(
            &portal.log,
            Category::MissingBsn,
            "MEDVRI:1",
            &format!("S{i}"),
        );
        before.insert(s.as_str().to_owned());
    }
    let mut seen: Vec<String> = Vec::new();
    let mut path = Some("/berichten?tab=missing_bsn".to_owned());
    let mut pages = 0;
    while let Some(next) = path {
        let page = user.browser.get(&next).await;
        assert_eq!(page.status, 200, "{}", page.body);
        seen.extend(ids(&page.body));
        pages += 1;
        // Messages keep arriving between pages.
        for i in 0..7 {
            add(
                &portal.log,
                Category::MissingBsn,
                "MEDVRI:1",
                &format!("N{pages}-{i}"),
            );
        }
        path = next_link(&page.body);
        assert!(pages < 10, "the pages do not end");
    }
    assert_eq!(pages, 3, "120 messages in pages of 50");
    let unique: BTreeSet<String> = seen.iter().cloned().collect();
    assert_eq!(unique.len(), seen.len(), "no message shown twice");
    assert_eq!(
        unique, before,
        "every message present at the start shown, none skipped"
    );

    let first = user.browser.get("/berichten?tab=missing_bsn").await;
    let top = ids(&first.body);
    assert!(!before.contains(&top[0]), "new arrivals are at the top");
}

#[tokio::test]
async fn the_list_and_the_counts_need_a_login_and_the_script_is_allowed_by_the_policy() {
    let portal = TestPortal::start("stream-login", false).await;
    add(&portal.log, Category::UnknownBsn, "MEDVRI:1", "500022222");
    let mut stranger = Browser::new(&portal);
    for path in ["/berichten", "/berichten/aantallen"] {
        let page = stranger.get(path).await;
        assert_eq!(page.status, 303, "{path}: {}", page.body);
        assert_eq!(page.location, "/inloggen", "{path}");
    }
    let broken = {
        let mut user = enrolled(&portal, "anna@zorggroep.example").await;
        let page = user.browser.get("/berichten?tab=unknown_bsn").await;
        assert!(page.body.contains("<script src=\"/static/berichten.js\""));
        let csp = page.headers["content-security-policy"]
            .to_str()
            .unwrap()
            .to_owned();
        assert!(csp.contains("connect-src 'self'"), "{csp}");
        assert!(!page.body.contains("<script>"), "no inline script");
        user.browser.get("/berichten?tab=unknown_bsn&na=zz").await
    };
    assert_eq!(
        broken.status, 400,
        "a cursor that does not read: {}",
        broken.body
    );
    let script = stranger.get("/static/berichten.js").await;
    assert_eq!(script.status, 200);
    assert!(script.body.contains("/berichten/aantallen"));
}
