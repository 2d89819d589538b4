//! "Wachtwoord vergeten?" over HTTP with a real SMTP server: the same answer for known and
//! unknown addresses, a mailed link that works once and not after an hour.

#![allow(clippy::panic, clippy::unwrap_used, clippy::expect_used)]

#[path = "../../daemon/tests/smtp/mod.rs"]
mod smtp;
mod support;

use smtp::{link_in, SmtpSink};
use support::{enrolled, Browser, TestPortal, PASSWORD};

fn scratch(name: &str) -> std::path::PathBuf {
    let dir = std::env::temp_dir().join(format!("ketenpost-reset-{name}-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    dir
}

/// The reset mails received, waiting (bounded) for `count` of them.
fn reset_mails(sink: &SmtpSink, count: usize) -> Vec<String> {
    let until = std::time::Instant::now() + std::time::Duration::from_secs(20);
    loop {
        let mails: Vec<String> = sink
            .mails()
            .into_iter()
            .filter(|m| m.contains("Subject: Nieuw wachtwoord voor het ketenpost-portaal"))
            .collect();
        if mails.len() >= count || std::time::Instant::now() > until {
            return mails;
        }
        std::thread::sleep(std::time::Duration::from_millis(50));
    }
}

async fn ask(browser: &mut Browser, email: &str) -> support::Page {
    browser.get("/wachtwoord-vergeten").await;
    browser
        .post("/wachtwoord-vergeten", &[("email", email)])
        .await
}

#[tokio::test]
async fn known_and_unknown_addresses_get_the_same_answer_and_only_the_known_a_mail() {
    let folder = scratch("same");
    let sink = SmtpSink::start(&folder);
    let portal = TestPortal::start_with("reset-same", false, Some(sink.port)).await;
    let user = enrolled(&portal, "anna@zorggroep.example").await;
    let mut browser = Browser::new(&portal);
    let unknown = ask(&mut browser, "niemand@zorggroep.example").await;
    let known = ask(&mut browser, &user.email).await;
    assert_eq!(unknown.status, 200);
    assert_eq!(unknown.body, known.body, "the same page");
    assert!(known.body.contains("Als dit e-mailadres bij ons bekend is"));
    let mails = reset_mails(&sink, 1);
    std::thread::sleep(std::time::Duration::from_millis(300));
    assert_eq!(
        reset_mails(&sink, 1).len(),
        1,
        "one mail, to the known address"
    );
    assert!(mails[0].contains("To: anna@zorggroep.example"));
    drop(sink);
    let _ = std::fs::remove_dir_all(folder);
}

#[tokio::test]
async fn the_mailed_link_works_once_and_the_second_factor_is_still_asked() {
    let folder = scratch("once");
    let sink = SmtpSink::start(&folder);
    let portal = TestPortal::start_with("reset-once", false, Some(sink.port)).await;
    let user = enrolled(&portal, "bert@zorggroep.example").await;
    let mut browser = Browser::new(&portal);
    ask(&mut browser, &user.email).await;
    let mail = reset_mails(&sink, 1).pop().expect("the reset mail");
    let link = link_in(&mail.replace("http://", "https://"));
    let path = &link[link.find("/wachtwoord/").expect("path")..];
    let fresh = "mijn nieuwe lange wachtzin";
    assert_eq!(browser.get(path).await.status, 200);
    let set = browser
        .post(path, &[("wachtwoord", fresh), ("herhaal", fresh)])
        .await;
    assert!(set.body.contains("Wachtwoord ingesteld"), "{}", set.body);
    assert_eq!(browser.get(path).await.status, 410, "used once");
    let step = browser
        .post(
            "/inloggen",
            &[("email", &user.email), ("wachtwoord", fresh)],
        )
        .await;
    assert_eq!(
        step.location, "/inloggen/code",
        "the new password alone is not enough"
    );
    let old = browser
        .post(
            "/inloggen",
            &[("email", &user.email), ("wachtwoord", PASSWORD)],
        )
        .await;
    assert!(old.body.contains("Inloggen is niet gelukt."));
    drop(sink);
    let _ = std::fs::remove_dir_all(folder);
}

#[tokio::test]
async fn a_reset_link_expires_after_an_hour() {
    let folder = scratch("hour");
    let sink = SmtpSink::start(&folder);
    let portal = TestPortal::start_with("reset-hour", false, Some(sink.port)).await;
    let user = enrolled(&portal, "cor@zorggroep.example").await;
    let mut browser = Browser::new(&portal);
    ask(&mut browser, &user.email).await;
    let mail = reset_mails(&sink, 1).pop().expect("the reset mail");
    let link = link_in(&mail.replace("http://", "https://"));
    let path = link[link.find("/wachtwoord/").expect("path")..].to_owned();
    portal.advance(60 * 60 * 1000 + 1);
    assert_eq!(browser.get(&path).await.status, 410);
    drop(sink);
    let _ = std::fs::remove_dir_all(folder);
}
