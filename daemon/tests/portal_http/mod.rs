//! The portal's test browser (`portal/tests/support/browser.rs`) for the daemon's portal, and a
//! user taken from the invitation link to a session (password, second factor).

#![allow(dead_code, clippy::panic, clippy::unwrap_used, clippy::expect_used)]

use ketenpost_portal::rules::totp;

pub const PASSWORD: &str = "een lange zin als wachtwoord";

#[path = "../../../portal/tests/support/browser.rs"]
mod browser;
#[path = "../../../portal/tests/support/page_text.rs"]
mod page_text;
// Each test binary uses some of these.
#[allow(unused_imports)]
pub use browser::{Browser, Page};
#[allow(unused_imports)]
pub use page_text::{between, unbase32};

/// From the invitation `link` (a full URL under `base`) to a signed-in session.
pub async fn enrolled(base: &str, link: &str) -> Browser {
    let path = link.strip_prefix(base).unwrap().to_owned();
    let mut browser = Browser::at(base);
    let form = browser.get(&path).await;
    assert_eq!(form.status, 200, "{}", form.body);
    let set = browser
        .post(&path, &[("wachtwoord", PASSWORD), ("herhaal", PASSWORD)])
        .await;
    assert_eq!(set.location, "/profiel/twee-factor", "{}", set.body);
    let enrol = browser.get("/profiel/twee-factor").await;
    let secret = unbase32(between(&enrol.body, "<code class=\"secret\">", "</code>"));
    let now = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_secs();
    let code = format!("{:06}", totp::code_at_step(&secret, totp::step_at(now)));
    let done = browser
        .post("/profiel/twee-factor", &[("code", &code)])
        .await;
    assert_eq!(done.status, 200, "{}", done.body);
    browser
}
