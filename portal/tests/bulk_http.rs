//! Resending many at once over HTTP: the confirmation says how many, the confirmed post
//! returns at once and the messages leave the tab, each resend is in the access log, a
//! selection resends only what was selected, and the service desk may not.

#![allow(clippy::panic, clippy::unwrap_used, clippy::expect_used)]

mod support;

use std::time::Duration;

use ketenpost_domain::category::Category;
use ketenpost_domain::events::Role;
use ketenpost_portal::access;
use support::messages::add;
use support::{between, enrolled_as, TestPortal};

async fn count(user: &mut support::Browser, tab: &str) -> i64 {
    let counts = user.get("/berichten/aantallen").await;
    let counts: serde_json::Value = serde_json::from_str(&counts.body).unwrap();
    counts[tab].as_i64().unwrap()
}

#[tokio::test]
async fn all_of_a_tab_is_resent_after_a_confirmation_that_says_how_many() {
    let portal = TestPortal::start("bulk-all", false).await;
    let mut user = enrolled_as(&portal, "anna@zorggroep.example", Role::Secretariaat).await;
    for _ in 0..12 {
        add(&portal.log, Category::UnknownBsn, "MEDVRI:1", "500012345");
    }
    let other = add(&portal.log, Category::MissingBsn, "MEDVRI:1", "500012345");
    let page = user.browser.get("/berichten?tab=unknown_bsn").await;
    assert!(page.body.contains("id=\"resend-all\""));

    let ask = user
        .browser
        .post("/berichten/herzenden", &[("tab", "unknown_bsn")])
        .await;
    assert_eq!(ask.status, 200, "{}", ask.body);
    assert_eq!(
        between(&ask.body, "id=\"question\">", "<"),
        "12 berichten opnieuw verzenden?"
    );
    assert_eq!(
        count(&mut user.browser, "unknown_bsn").await,
        12,
        "nothing before the yes"
    );

    let done = user
        .browser
        .post(
            "/berichten/herzenden",
            &[("tab", "unknown_bsn"), ("bevestigd", "ja")],
        )
        .await;
    assert_eq!(done.status, 303, "{}", done.body);
    assert_eq!(done.location, "/berichten?tab=unknown_bsn&herzonden=12");
    // The resends are handed over in the background: on a busy machine that can take a while.
    let deadline = std::time::Instant::now() + Duration::from_secs(30);
    while std::time::Instant::now() < deadline {
        if count(&mut user.browser, "unknown_bsn").await == 0 {
            break;
        }
        tokio::time::sleep(Duration::from_millis(25)).await;
    }
    assert_eq!(count(&mut user.browser, "unknown_bsn").await, 0);
    assert_eq!(count(&mut user.browser, "in_progress").await, 12);
    assert_eq!(
        count(&mut user.browser, "missing_bsn").await,
        1,
        "another tab untouched"
    );
    let notice = user.browser.get(&done.location).await;
    assert!(notice
        .body
        .contains("12 berichten worden opnieuw verzonden"));

    let entries = access::entries(&*portal.log).unwrap();
    let resends = entries.iter().filter(|e| e.action == "resend").count();
    assert_eq!(resends, 12);
    assert!(entries
        .iter()
        .all(|e| e.message.as_deref() != Some(other.as_str())));
}

#[tokio::test]
async fn only_the_selected_messages_are_resent_and_the_service_desk_may_not() {
    let portal = TestPortal::start("bulk-selected", false).await;
    let mut user = enrolled_as(&portal, "anna@zorggroep.example", Role::Secretariaat).await;
    let ids: Vec<String> = (0..4)
        .map(|_| {
            add(&portal.log, Category::Fallout, "MEDVRI:1", "500012345")
                .as_str()
                .to_owned()
        })
        .collect();
    let selection = [
        ("tab", "fallout"),
        ("id", ids[0].as_str()),
        ("id", ids[2].as_str()),
    ];
    let ask = user.browser.post("/berichten/herzenden", &selection).await;
    assert_eq!(
        between(&ask.body, "id=\"question\">", "<"),
        "2 berichten opnieuw verzenden?"
    );

    let mut desk = enrolled_as(&portal, "desk@leverancier.example", Role::Servicedesk).await;
    let mut confirmed = selection.to_vec();
    confirmed.push(("bevestigd", "ja"));
    let refused = desk.browser.post("/berichten/herzenden", &confirmed).await;
    assert_eq!(refused.status, 403);

    let done = user.browser.post("/berichten/herzenden", &confirmed).await;
    assert_eq!(done.status, 303);
    let deadline = std::time::Instant::now() + Duration::from_secs(30);
    while std::time::Instant::now() < deadline {
        if count(&mut user.browser, "fallout").await == 2 {
            break;
        }
        tokio::time::sleep(Duration::from_millis(25)).await;
    }
    let page = user.browser.get("/berichten?tab=fallout").await;
    assert!(!page.body.contains(&ids[0]) && !page.body.contains(&ids[2]));
    assert!(page.body.contains(&ids[1]) && page.body.contains(&ids[3]));
}
