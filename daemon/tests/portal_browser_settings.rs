//! Toestemmingen, Notities and Informatie in a real browser against the daemon and both
//! stand-ins: a beheerder gives the service desk the consent to see the stream and sees who
//! gave it, writes a note and sees it with author and time, and reads the versions.
//! Screenshots go where `webdriver::screenshot_folder` says (docs/portal/ with
//! `KETENPOST_SCREENSHOTS=docs/portal`).

#![allow(clippy::panic, clippy::unwrap_used, clippy::expect_used)]

mod harness;
mod portal_support;
mod webdriver;

use harness::Harness;
use portal_support::{add_user, signed_in, with_portal};

const EMAIL: &str = "beheer@zorggroep.example";

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_beheerder_gives_a_consent_writes_a_note_and_reads_the_versions() {
    let h = Harness::start("browser-settings", 0, 2).await;
    let base = with_portal(&h, "");
    let link = add_user(&h, &base, EMAIL, "Bram Beheerder", "beheerder");
    let (running, _) = h.start_daemon().await;

    let dir = h.data().parent().unwrap().to_owned();
    let browser = signed_in(&dir, "chromium", &link).await;
    let shots = webdriver::screenshot_folder();
    std::fs::create_dir_all(&shots).unwrap();

    browser.click("a[href='/toestemmingen']").await;
    browser.wait_for_url("/toestemmingen").await;
    let page = browser
        .wait_for_text("contact op te nemen met Enovation voor het account lab-noordwest")
        .await;
    assert!(page.contains("contact op te nemen met Nedap voor het account ons"));
    browser.click("#contact\\:ons").await;
    browser.click("#stroom").await;
    browser.click("#consents button").await;
    let saved = browser.wait_for_text("gelden direct").await;
    assert!(saved.contains("Gegeven door Bram Beheerder"), "{saved}");
    browser.screenshot(&shots.join("consents.png")).await;

    browser.click("a[href='/notities']").await;
    browser.wait_for_url("/notities").await;
    browser
        .type_into(
            "#tekst",
            "Servicedesk belde over postbus lab-noordwest: wachtwoord vernieuwd.",
        )
        .await;
    browser.click("form[action='/notities'] button").await;
    let notes = browser.wait_for_text("De notitie is opgeslagen.").await;
    assert!(notes.contains("Bram Beheerder"), "{notes}");
    browser.screenshot(&shots.join("notes.png")).await;

    browser.click("a[href='/informatie']").await;
    let info = browser.wait_for_text("Versie daemon").await;
    assert!(info.contains(env!("CARGO_PKG_VERSION")), "{info}");
    browser.screenshot(&shots.join("info.png")).await;

    browser.quit().await;
    running.stop().await.unwrap();
}
