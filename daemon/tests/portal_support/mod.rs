//! Shared set-up for the portal's browser tests: the `[portal]` section added to a harness's
//! configuration, a user invited from the command line, and a browser session of that user
//! with the password set and the phone enrolled (the TOTP code computed as a phone would).

#![allow(dead_code, clippy::panic, clippy::unwrap_used, clippy::expect_used)]

use std::path::Path;
use std::process::Command;

use ketenpost_portal::rules::totp;

use super::harness::process::free_port;

#[path = "../../../portal/tests/support/page_text.rs"]
mod page_text;
use super::harness::Harness;
use super::webdriver::Browser;
pub use page_text::unbase32;

/// Every invited user's password.
pub const PASSWORD: &str = "een lange zin als wachtwoord";

/// Adds `[portal]` on a free port (and `extra`, TOML put before the mailboxes) to the
/// configuration; the portal's base address.
pub fn with_portal(h: &Harness, extra: &str) -> String {
    let port = free_port();
    let base = format!("http://localhost:{port}");
    h.edit_config(|text| {
        text.replacen(
            "[[mailboxes]]",
            &format!(
                "[portal]\nlisten = \"127.0.0.1:{port}\"\npublic_url = \"{base}\"\n{extra}\
                 [[mailboxes]]"
            ),
            1,
        )
    });
    base
}

/// Adds a user from the command line; their invitation link.
pub fn add_user(h: &Harness, base: &str, email: &str, name: &str, role: &str) -> String {
    let added = Command::new(env!("CARGO_BIN_EXE_ketenpost"))
        .args(["user", "add", email, "--name", name, "--role", role])
        .args(["--print-link", "--config"])
        .arg(&h.config)
        .output()
        .unwrap();
    let stdout = String::from_utf8_lossy(&added.stdout).into_owned();
    assert!(
        added.status.success(),
        "{stdout}{}",
        String::from_utf8_lossy(&added.stderr)
    );
    stdout
        .split_whitespace()
        .find(|w| w.starts_with(base))
        .unwrap_or_else(|| panic!("no link in {stdout}"))
        .to_owned()
}

/// A browser session (profile folder `profile` under `dir`) of the user invited with `link`:
/// password set, phone enrolled.
pub async fn signed_in(dir: &Path, profile: &str, link: &str) -> Browser {
    let browser = Browser::start(free_port(), &dir.join(profile)).await;
    browser.open(link).await;
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
    browser
}

/// The TOTP code of `secret` now.
pub fn code(secret: &[u8]) -> String {
    let now = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_secs();
    format!("{:06}", totp::code_at_step(secret, now / 30))
}
