//! The Berichtenstroom in a real browser against the daemon and both stand-ins: a medical
//! secretary logs in, opens each tab and sees the counts the API gives, opens an unknown-BSN
//! letter and sees name, BSN and sender, downloads its PDF (checked with `pdftotext`), the
//! client is registered at the Ons stand-in, HERZENDEN is pressed and confirmed, and the
//! letter shows under Verwerkt. The access log then holds exactly the view, the download and
//! the resend. Screenshots of the stream and the message go where `webdriver::screenshot_folder`
//! says (docs/portal/ with `KETENPOST_SCREENSHOTS=docs/portal`).

#![allow(clippy::panic, clippy::unwrap_used, clippy::expect_used)]

mod harness;
mod webdriver;

use std::process::Command;
use std::time::Duration;

use harness::process::free_port;
use harness::{counts, get, letter, message_in, wait_until, Harness, ACCOUNT, GP};
use ketenpost_portal::rules::totp;
use webdriver::Browser;

const EMAIL: &str = "secretariaat@zorggroep.example";
const PASSWORD: &str = "een lange zin als wachtwoord";
const UNKNOWN: &str = "123456782";

fn unbase32(text: &str) -> Vec<u8> {
    const ALPHABET: &str = "ABCDEFGHIJKLMNOPQRSTUVWXYZ234567";
    let (mut bits, mut buffer, mut out) = (0u32, 0u64, Vec::new());
    for c in text.chars().filter(|c| !c.is_whitespace()) {
        buffer = (buffer << 5) | ALPHABET.find(c).unwrap() as u64;
        bits += 5;
        if bits >= 8 {
            bits -= 8;
            out.push((buffer >> bits) as u8);
        }
    }
    out
}

fn code(secret: &[u8]) -> String {
    let now = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_secs();
    format!("{:06}", totp::code_at_step(secret, now / 30))
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_secretary_finds_an_unknown_bsn_letter_resends_it_and_sees_it_placed() {
    let h = Harness::start("browser-messages", 0, 2).await;
    let port = free_port();
    let base = format!("http://localhost:{port}");
    h.edit_config(|text| {
        text.replacen(
            "[[mailboxes]]",
            &format!(
                "[portal]\nlisten = \"127.0.0.1:{port}\"\npublic_url = \"{base}\"\n[[mailboxes]]"
            ),
            1,
        )
    });
    let added = Command::new(env!("CARGO_BIN_EXE_ketenpost"))
        .args([
            "user",
            "add",
            EMAIL,
            "--name",
            "Sanne Secretariaat",
            "--role",
            "secretariaat",
            "--print-link",
            "--config",
        ])
        .arg(&h.config)
        .output()
        .unwrap();
    assert!(
        added.status.success(),
        "{}",
        String::from_utf8_lossy(&added.stderr)
    );
    let stdout = String::from_utf8_lossy(&added.stdout).into_owned();
    let link = stdout
        .split_whitespace()
        .find(|w| w.starts_with(&base))
        .unwrap_or_else(|| panic!("no link in {stdout}"))
        .to_owned();

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
    let browser = Browser::start(free_port(), &dir.join("chromium")).await;
    browser.open(&link).await;
    browser.type_into("#wachtwoord", PASSWORD).await;
    browser.type_into("#herhaal", PASSWORD).await;
    browser.click("button[type=submit]").await;
    browser.wait_for_url("/profiel/twee-factor").await;
    browser.wait_for_text("code class=\"secret\"").await;
    let secret = unbase32(&browser.text("code.secret").await);
    browser.type_into("#code", &code(&secret)).await;
    browser
        .click("form[action='/profiel/twee-factor'] button")
        .await;
    browser.wait_for_text("herstelcodes").await;

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

    let audit = Command::new(env!("CARGO_BIN_EXE_ketenpost"))
        .args(["audit", "--client", UNKNOWN, "--config"])
        .arg(&h.config)
        .output()
        .unwrap();
    let lines = String::from_utf8_lossy(&audit.stdout).into_owned();
    let (secretary, others): (Vec<&str>, Vec<&str>) = lines
        .lines()
        .partition(|l| l.contains(&format!("by {EMAIL} (secretariaat, portal)")));
    let actions: Vec<&str> = secretary
        .iter()
        .map(|l| l.split_whitespace().nth(1).unwrap())
        .collect();
    // The page after HERZENDEN shows the message again: a second view.
    assert_eq!(
        actions,
        ["view", "download_pdf", "resend", "view"],
        "{lines}"
    );
    assert!(
        others
            .iter()
            .all(|l| l.contains("view by api:api (api, api)")),
        "only this test's own API polling besides: {lines}"
    );
}
