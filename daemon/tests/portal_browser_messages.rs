//! The Berichtenstroom in a real browser against the daemon and both stand-ins: a medical
//! secretary logs in, opens each tab and sees the counts the API gives, finds the unknown-BSN
//! letter by its BSN with the search form, opens it and sees name, BSN and sender, downloads
//! its PDF (checked with `pdftotext`), the client is registered at the Ons stand-in,
//! HERZENDEN is pressed and confirmed, and the letter shows under Verwerkt. The access log
//! (`ketenpost audit --user`) then holds exactly the search, the view, the download, the
//! resend and the view after it: the list pages show no client data and are not in it.
//! Screenshots of the stream (with the search) and the message go where
//! `webdriver::screenshot_folder` says (docs/portal/ with `KETENPOST_SCREENSHOTS=docs/portal`).

#![allow(clippy::panic, clippy::unwrap_used, clippy::expect_used)]

mod harness;
mod portal_support;
mod webdriver;

use std::process::Command;
use std::time::Duration;

use harness::{counts, get, letter, message_in, wait_until, Harness, ACCOUNT, GP};
use portal_support::{add_user, signed_in, with_portal};

const EMAIL: &str = "secretariaat@zorggroep.example";
const UNKNOWN: &str = "123456782";

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_secretary_finds_an_unknown_bsn_letter_resends_it_and_sees_it_placed() {
    let h = Harness::start("browser-messages", 0, 2).await;
    let base = with_portal(&h, "");
    let link = add_user(&h, &base, EMAIL, "Sanne Secretariaat", "secretariaat");

    h.zorgmail
        .add_message(ACCOUNT, GP, letter(GP, UNKNOWN, "IC1"));
    let (running, address) = h.start_daemon().await;
    wait_until("the unknown-BSN letter", Duration::from_secs(20), || {
        let address = address.clone();
        async move { !message_in(&address, "unknown_bsn").await.is_empty() }
    })
    .await;
    let id = message_in(&address, "unknown_bsn").await[0]["stream"]
        .as_str()
        .unwrap()
        .to_owned();

    let dir = h.data().parent().unwrap().to_owned();
    let browser = signed_in(&dir, "chromium", &link).await;

    // Each tab, in order, with the count the API gives.
    let api = counts(&address).await;
    for tab in [
        "fallout",
        "unsupported",
        "missing_bsn",
        "unknown_bsn",
        "technical_error",
        "processed",
    ] {
        browser.open(&format!("{base}/berichten?tab={tab}")).await;
        browser.wait_for_text("Berichtenstroom").await;
        let shown = browser.text(&format!("#tab-{tab} .count")).await;
        assert_eq!(shown, api[tab].to_string(), "{tab}");
    }
    let shots = webdriver::screenshot_folder();
    std::fs::create_dir_all(&shots).unwrap();
    browser
        .open(&format!("{base}/berichten?tab=unknown_bsn"))
        .await;
    browser.wait_for_text(&id).await;
    // Found by its BSN with the search form.
    browser.type_into("#search-bsn", UNKNOWN).await;
    browser.click("#search").await;
    browser
        .wait_for_text("Zoekresultaten in Onbekende BSN")
        .await;
    browser.wait_for_text(&id).await;
    browser.screenshot(&shots.join("stream.png")).await;

    // The letter: name, BSN and sender; the PDF.
    browser.click(&format!("a[href='/berichten/{id}']")).await;
    browser.wait_for_text("Bericht met onbekend BSN van").await;
    assert_eq!(browser.text("#bsn").await, UNKNOWN);
    assert!(!browser.text("#client-name").await.is_empty());
    assert!(browser.text("#sender").await.contains("Bakker"));
    browser.screenshot(&shots.join("message.png")).await;
    let pdf = browser
        .fetch_bytes(&format!("{base}/berichten/{id}/pdf"))
        .await;
    let pdf_file = dir.join("bericht.pdf");
    std::fs::write(&pdf_file, &pdf).unwrap();
    let text = Command::new("pdftotext")
        .arg(&pdf_file)
        .arg("-")
        .output()
        .unwrap();
    let text = String::from_utf8_lossy(&text.stdout);
    assert!(text.contains("Geachte collega"), "{text}");

    // The client is registered in the ECD; HERZENDEN.
    h.ons.add_client(UNKNOWN, "Jan", "Wolf", "1988-06-21");
    browser.click("#resend").await;
    browser
        .wait_for_text("Dit bericht opnieuw verzenden?")
        .await;
    browser.click("#confirm").await;
    browser.wait_for_url(&format!("/berichten/{id}")).await;
    wait_until("the letter placed", Duration::from_secs(20), || {
        let address = address.clone();
        let id = id.clone();
        async move {
            get(&address, &format!("/api/v1/messages/{id}")).await.1["category"] == "processed"
        }
    })
    .await;
    browser
        .open(&format!("{base}/berichten?tab=processed"))
        .await;
    browser.wait_for_text(&id).await;
    browser.quit().await;
    running.stop().await.unwrap();

    // Everything the secretary did with client data, no more and no less: the search, the
    // view, the download, the resend and the page after HERZENDEN (a second view). The six
    // tab pages and the Verwerkt list show no client data and are not in it.
    let audit = Command::new(env!("CARGO_BIN_EXE_ketenpost"))
        .args(["audit", "--user", EMAIL, "--config"])
        .arg(&h.config)
        .output()
        .unwrap();
    assert!(
        audit.status.success(),
        "{}",
        String::from_utf8_lossy(&audit.stderr)
    );
    let lines = String::from_utf8_lossy(&audit.stdout).into_owned();
    let accesses: Vec<String> = lines
        .lines()
        .filter(|l| l.contains(&format!(" by {EMAIL} (")))
        .map(|l| l.split_once("  ").unwrap().1.to_owned())
        .collect();
    let who = format!("by {EMAIL} (secretariaat, portal) from 127.0.0.1");
    let on = format!("message {id} client {UNKNOWN}");
    assert_eq!(
        accesses,
        [
            format!("search {who} client {UNKNOWN}: success"),
            format!("view {who} {on}: success"),
            format!("download_pdf {who} {on}: success"),
            format!("resend {who} {on}: success"),
            format!("view {who} {on}: success"),
        ],
        "{lines}"
    );
    let by_client = Command::new(env!("CARGO_BIN_EXE_ketenpost"))
        .args(["audit", "--client", UNKNOWN, "--config"])
        .arg(&h.config)
        .output()
        .unwrap();
    let by_client = String::from_utf8_lossy(&by_client.stdout).into_owned();
    assert!(
        by_client
            .lines()
            .filter(|l| !l.contains(&who))
            .all(|l| l.contains("view by api:api (api, api)")),
        "only this test's own API polling besides: {by_client}"
    );
}
