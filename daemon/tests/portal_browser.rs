//! The portal in a real browser against the real daemon and a real SMTP server: a new
//! operator adds the first user from the command line; that person gets the invitation mail,
//! sets a password, enrols a phone, logs out, logs in with a code, logs in with a recovery
//! code, and resets the password by e-mail. Screenshots of the login, enrolment and profile
//! pages go to `target/portal-screenshots/`, or, with `KETENPOST_SCREENSHOTS=docs/portal`, to
//! docs/portal/ (shown in docs/portal.md), so a run leaves the checkout as it was.

#![allow(clippy::panic, clippy::unwrap_used, clippy::expect_used)]

mod harness;
#[path = "../../portal/tests/support/page_text.rs"]
mod page_text;
mod smtp;
mod webdriver;

use std::path::PathBuf;
use std::process::Command;
use std::time::{Duration, Instant};

use harness::process::{free_port, RunningDaemon};
use ketenpost_portal::rules::totp;
use page_text::unbase32;
use smtp::SmtpSink;
use webdriver::Browser;

const EMAIL: &str = "anna@zorggroep.example";
const PASSWORD: &str = "een lange zin als wachtwoord";

fn ketenpost(args: &[&str]) -> std::process::Output {
    Command::new(env!("CARGO_BIN_EXE_ketenpost"))
        .args(args)
        .output()
        .unwrap()
}

fn code(secret: &[u8], steps_ahead: u64) -> String {
    let now = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_secs();
    format!(
        "{:06}",
        totp::code_at_step(secret, totp::step_at(now) + steps_ahead)
    )
}

/// The mails with `subject`, waiting (bounded) for `count`.
fn mails_with(sink: &SmtpSink, subject: &str, count: usize) -> Vec<String> {
    let until = Instant::now() + Duration::from_secs(30);
    loop {
        let found: Vec<String> = sink
            .mails()
            .into_iter()
            .filter(|m| m.contains(&format!("Subject: {subject}")))
            .collect();
        if found.len() >= count || Instant::now() > until {
            return found;
        }
        std::thread::sleep(Duration::from_millis(100));
    }
}

fn http_link(mail: &str) -> String {
    let start = mail.find("http://").expect("a link");
    mail[start..].split_whitespace().next().unwrap().to_owned()
}

async fn login(browser: &Browser, base: &str, password: &str) {
    browser.open(&format!("{base}/inloggen")).await;
    browser.type_into("#email", EMAIL).await;
    browser.type_into("#wachtwoord", password).await;
    browser
        .click("form[action='/inloggen'] button[type=submit]")
        .await;
    browser.wait_for_url("/inloggen/code").await;
}

async fn logout(browser: &Browser) {
    browser.click("form[action='/uitloggen'] button").await;
    browser.wait_for_url("/inloggen").await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_first_user_is_invited_enrols_logs_in_and_resets_the_password_in_a_browser() {
    let dir = std::env::temp_dir().join(format!("ketenpost-browser-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    let sink = SmtpSink::start(&dir.join("mails"));
    let port = free_port();
    let base = format!("http://localhost:{port}");
    let config = dir.join("ketenpost.toml");
    std::fs::write(
        &config,
        format!(
            "data_dir = {:?}\n[api]\nlisten = \"127.0.0.1:{}\"\ntoken = \"0123456789abcdef0123\"\n\
             [portal]\nlisten = \"127.0.0.1:{port}\"\npublic_url = \"{base}\"\n\
             [smtp]\nhost = \"127.0.0.1\"\nport = {}\nsecurity = \"none\"\n\
             from = \"ketenpost <noreply@zorggroep.example>\"\n",
            dir.join("data"),
            free_port(),
            sink.port
        ),
    )
    .unwrap();
    let config = config.to_str().unwrap().to_owned();

    // The operator adds the first user; the invitation arrives by mail.
    let added = ketenpost(&[
        "user",
        "add",
        EMAIL,
        "--name",
        "Anna de Vries",
        "--role",
        "beheerder",
        "--config",
        &config,
    ]);
    assert!(
        added.status.success(),
        "{}",
        String::from_utf8_lossy(&added.stderr)
    );
    let invitation = mails_with(&sink, "Uitnodiging voor het ketenpost-portaal", 1).remove(0);
    let link = http_link(&invitation);
    assert!(
        link.starts_with(&format!("{base}/wachtwoord/user-")),
        "{link}"
    );

    let _daemon = RunningDaemon::start(&config);
    let until = Instant::now() + Duration::from_secs(30);
    while std::net::TcpStream::connect(("127.0.0.1", port)).is_err() {
        assert!(Instant::now() < until, "the portal did not start");
        std::thread::sleep(Duration::from_millis(100));
    }

    let shots = webdriver::screenshot_folder();
    std::fs::create_dir_all(&shots).unwrap();
    let browser = Browser::start(free_port(), &dir.join("chromium")).await;

    // Set a password through the link.
    browser.open(&link).await;
    browser.type_into("#wachtwoord", PASSWORD).await;
    browser.type_into("#herhaal", PASSWORD).await;
    browser.click("button[type=submit]").await;
    browser.wait_for_url("/profiel/twee-factor").await;

    // Enrol: the QR code and the secret; the first code confirms it.
    let source = browser.wait_for_text("code class=\"secret\"").await;
    assert!(source.contains("<svg"), "a QR code drawn as SVG");
    let secret = unbase32(&browser.text("code.secret").await);
    browser.screenshot(&shots.join("enrolment.png")).await;
    browser.type_into("#code", &code(&secret, 0)).await;
    browser
        .click("form[action='/profiel/twee-factor'] button")
        .await;
    let recovery = browser
        .wait_for_text("Bewaar deze herstelcodes in een beveiligde wachtwoordbeheerder")
        .await;
    let codes: Vec<String> = recovery
        .split("<li><code>")
        .skip(1)
        .map(|s| s.split("</code>").next().unwrap().to_owned())
        .collect();
    assert_eq!(codes.len(), 10);

    browser.open(&format!("{base}/profiel")).await;
    browser.wait_for_text("Anna de Vries").await;
    browser.screenshot(&shots.join("profile.png")).await;
    logout(&browser).await;

    // Log in with a code (the next step: the current one was used to enrol).
    browser.screenshot(&shots.join("login.png")).await;
    login(&browser, &base, PASSWORD).await;
    browser.type_into("#code", &code(&secret, 1)).await;
    browser.click("button[type=submit]").await;
    browser.wait_for_url("/profiel").await;
    logout(&browser).await;

    // Log in with a recovery code.
    login(&browser, &base, PASSWORD).await;
    browser.type_into("#code", &codes[0]).await;
    browser.click("button[type=submit]").await;
    browser.wait_for_url("/profiel").await;
    browser.wait_for_text("<dd>9</dd>").await;
    logout(&browser).await;

    // Reset the password by e-mail, then log in with it (and a second recovery code).
    browser.click("a[href='/wachtwoord-vergeten']").await;
    browser.wait_for_url("/wachtwoord-vergeten").await;
    browser.type_into("#email", EMAIL).await;
    browser.click("button[type=submit]").await;
    browser
        .wait_for_text("Als dit e-mailadres bij ons bekend is")
        .await;
    let reset = mails_with(&sink, "Nieuw wachtwoord voor het ketenpost-portaal", 1).remove(0);
    browser.open(&http_link(&reset)).await;
    browser.wait_for_text("Nieuw wachtwoord").await;
    let fresh = "een nieuwe lange zin na het vergeten";
    browser.type_into("#wachtwoord", fresh).await;
    browser.type_into("#herhaal", fresh).await;
    browser.click("button[type=submit]").await;
    browser.wait_for_text("Wachtwoord ingesteld").await;
    login(&browser, &base, fresh).await;
    browser.type_into("#code", &codes[1]).await;
    browser.click("button[type=submit]").await;
    browser.wait_for_url("/profiel").await;

    browser.quit().await;
    drop(sink);
    let _ = std::fs::remove_dir_all(&dir);
    let _: PathBuf = shots;
}
