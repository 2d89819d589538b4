//! Informatie over HTTP: the portal's version and build, and the daemon's; the home page's
//! warning while e-mail notices cannot be mailed.

#![allow(clippy::panic, clippy::unwrap_used, clippy::expect_used)]

mod support;

use ketenpost_domain::events::Role;
use ketenpost_portal::notices::MailState;
use support::{enrolled_as, TestPortal};

#[tokio::test]
async fn the_information_page_names_the_portal_version_and_build() {
    let portal = TestPortal::start("info", false).await;
    let mut anna = enrolled_as(&portal, "anna@zorggroep.example", Role::Secretariaat).await;
    let page = anna.browser.get("/informatie").await;
    assert_eq!(page.status, 200);
    assert!(
        page.body.contains(env!("CARGO_PKG_VERSION")),
        "{}",
        page.body
    );
    assert!(page.body.contains("Versie daemon"));
}

#[tokio::test]
async fn the_home_page_says_so_while_notices_cannot_be_mailed() {
    let portal = TestPortal::start("mail-warning", false).await;
    let mut anna = enrolled_as(&portal, "anna@zorggroep.example", Role::Secretariaat).await;
    let page = anna.browser.get("/profiel").await;
    assert!(!page.body.contains("id=\"mail-warning\""), "{}", page.body);
    portal.mail_health.set(MailState {
        pending: 2,
        failing: Some("the SMTP server".into()),
    });
    let page = anna.browser.get("/profiel").await;
    assert!(page.body.contains("id=\"mail-warning\""), "{}", page.body);
    assert!(page.body.contains("2 meldingen wachten"), "{}", page.body);
}
