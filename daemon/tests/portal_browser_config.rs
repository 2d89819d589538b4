//! A configuration change reviewed by a second person, in real browsers against the daemon and
//! both stand-ins: a `beheerder` adds a label for MEDLAB under Extra instellingen and sees
//! "Wacht op beoordeling"; they cannot approve it themselves; a `servicedesk` user in a second
//! browser session approves it; the next MEDLAB the daemon places carries the new label,
//! without a restart. Screenshots of the Configuratie page and the review queue go where
//! `webdriver::screenshot_folder` says (docs/portal/ with `KETENPOST_SCREENSHOTS=docs/portal`).

#![allow(clippy::panic, clippy::unwrap_used, clippy::expect_used)]

mod harness;
mod portal_support;
mod webdriver;

use std::time::Duration;

use harness::{fixture, wait_for_processed, Harness, ACCOUNT, LAB};
use portal_support::{add_user, signed_in, with_portal};

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_beheerder_proposes_a_label_the_service_desk_approves_and_the_next_medlab_carries_it() {
    let h = Harness::start("browser-config", 0, 2).await;
    let base = with_portal(
        &h,
        "[organisation]\nname = \"Zorggroep Noordwest\"\nkvk = \"12345678\"\n\
         vat = \"NL001234567B01\"\n\
         [organisation.contacts.medisch_secretariaat]\nname = \"Mieke Jansen\"\n\
         email = \"secretariaat@zorggroep.example\"\nphone = \"020 123 4567\"\n",
    );
    let anna = add_user(
        &h,
        &base,
        "beheer@zorggroep.example",
        "Anna Beheer",
        "beheerder",
    );
    let sam = add_user(
        &h,
        &base,
        "sam@leverancier.example",
        "Sam Servicedesk",
        "servicedesk",
    );
    h.ons.add_client("999990019", "Jan", "Wolf", "1988-06-21");
    let (running, address) = h.start_daemon().await;
    let dir = h.data().parent().unwrap().to_owned();
    let shots = webdriver::screenshot_folder();

    // The beheerder adds a label for MEDLAB: the page says it waits for review.
    let beheerder = signed_in(&dir, "chromium-beheerder", &anna).await;
    beheerder
        .open(&format!("{base}/configuratie#organisatie"))
        .await;
    beheerder.wait_for_text("Mieke Jansen").await;
    beheerder
        .screenshot(&shots.join("configuration-organisation.png"))
        .await;
    beheerder
        .open(&format!("{base}/configuratie#accounts"))
        .await;
    beheerder.wait_for_text("Enovation EDI").await;
    beheerder
        .screenshot(&shots.join("configuration-accounts.png"))
        .await;
    beheerder
        .type_into("#ons-MEDLAB-labels", ", nieuw-label")
        .await;
    beheerder
        .click("form[action='/configuratie/extra/ons'] button[type=submit]")
        .await;
    beheerder.wait_for_text("Wacht op beoordeling").await;
    beheerder.wait_for_text("nieuw-label").await;
    beheerder.open(&format!("{base}/configuratie#extra")).await;
    beheerder.wait_for_text("Wacht op beoordeling").await;
    beheerder
        .screenshot(&shots.join("configuration-extra.png"))
        .await;

    // They cannot approve it themselves.
    beheerder
        .open(&format!("{base}/configuratie/beoordelen"))
        .await;
    beheerder.wait_for_text("Versie 2").await;
    beheerder
        .click("form[action='/configuratie/beoordelen/2/goedkeuren'] button")
        .await;
    beheerder
        .wait_for_text("alleen de servicedesk beoordeelt voorstellen")
        .await;

    // The service desk, in a second session, approves it.
    let desk = signed_in(&dir, "chromium-servicedesk", &sam).await;
    desk.open(&format!("{base}/configuratie/beoordelen")).await;
    desk.wait_for_text("routes.ons.types.MEDLAB.labels").await;
    desk.screenshot(&shots.join("configuration-review.png"))
        .await;
    desk.click("form[action='/configuratie/beoordelen/2/goedkeuren'] button")
        .await;
    desk.wait_for_text("Versie 2 is goedgekeurd en actief")
        .await;

    // The next MEDLAB is placed with the new label, by the same running daemon.
    h.zorgmail
        .add_message(ACCOUNT, LAB, fixture("medlab_full.edi"));
    wait_for_processed(&address, 1, Duration::from_secs(30)).await;
    let documents = h.ons.documents();
    assert_eq!(documents.len(), 1);
    assert_eq!(documents[0].tags, ["labuitslag", "nieuw-label"]);
    beheerder.open(&format!("{base}/configuratie")).await;
    beheerder.wait_for_text("Versie 2 is actief").await;
    beheerder.quit().await;
    desk.quit().await;
    running.stop().await.unwrap();
}
