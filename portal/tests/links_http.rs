//! Links to set a password: usable once, not after they expire, and a new password does not
//! bypass the second factor.

#![allow(clippy::panic, clippy::unwrap_used, clippy::expect_used)]

mod support;

use ketenpost_domain::events::{LinkPurpose, Role};
use ketenpost_portal::users;
use support::{enrolled, Browser, TestPortal, KEY, PASSWORD};

#[tokio::test]
async fn an_invitation_link_works_once() {
    let portal = TestPortal::start("once", false).await;
    let link = portal.invite("anna@zorggroep.example", Role::Beheerder);
    let mut browser = Browser::new(&portal);
    browser.get(&link).await;
    let set = browser
        .post(&link, &[("wachtwoord", PASSWORD), ("herhaal", PASSWORD)])
        .await;
    assert_eq!(set.location, "/profiel/twee-factor");
    let mut other = Browser::new(&portal);
    assert_eq!(other.get(&link).await.status, 410);
    other.get("/inloggen").await;
    let reused = other
        .post(
            &link,
            &[
                ("wachtwoord", "een ander wachtwoord"),
                ("herhaal", "een ander wachtwoord"),
            ],
        )
        .await;
    assert_eq!(reused.status, 410, "{}", reused.body);
    assert!(reused.body.contains("verlopen of al gebruikt"));
}

#[tokio::test]
async fn an_expired_link_is_refused() {
    let portal = TestPortal::start("expired", false).await;
    let link = portal.invite("bert@zorggroep.example", Role::Secretariaat);
    portal.advance(users::INVITATION_VALID_MS + 1);
    let mut browser = Browser::new(&portal);
    assert_eq!(browser.get(&link).await.status, 410);
}

#[tokio::test]
async fn a_weak_or_mismatched_password_is_refused_and_the_link_stays_usable() {
    let portal = TestPortal::start("weak", false).await;
    let link = portal.invite("cor@zorggroep.example", Role::Secretariaat);
    let mut browser = Browser::new(&portal);
    browser.get(&link).await;
    let short = browser
        .post(&link, &[("wachtwoord", "kort"), ("herhaal", "kort")])
        .await;
    assert!(short.body.contains("minstens 12 tekens"), "{}", short.body);
    let common = browser
        .post(
            &link,
            &[("wachtwoord", "1qaz2wsx3edc"), ("herhaal", "1qaz2wsx3edc")],
        )
        .await;
    assert!(common.body.contains("veelgebruikte wachtwoorden"));
    let differ = browser
        .post(
            &link,
            &[("wachtwoord", PASSWORD), ("herhaal", "iets anders dan dat")],
        )
        .await;
    assert!(differ.body.contains("niet gelijk"));
    assert_eq!(browser.get(&link).await.status, 200);
}

#[tokio::test]
async fn a_reset_link_sets_a_password_but_the_second_factor_is_still_asked() {
    let portal = TestPortal::start("reset", false).await;
    let mut user = enrolled(&portal, "dirk@zorggroep.example").await;
    let state = users::find(&*portal.log, &KEY, &user.email)
        .unwrap()
        .unwrap();
    let link =
        users::issue_link(&*portal.log, &state, LinkPurpose::Reset, portal.now_ms()).unwrap();
    let path = link.url("");
    let mut browser = Browser::new(&portal);
    browser.get(&path).await;
    let new_password = "een nieuw lang wachtwoord";
    let set = browser
        .post(
            &path,
            &[("wachtwoord", new_password), ("herhaal", new_password)],
        )
        .await;
    assert_eq!(set.status, 200);
    assert!(
        set.body
            .contains("Log in met uw nieuwe wachtwoord en de code"),
        "{}",
        set.body
    );
    assert!(
        set.set_cookies
            .iter()
            .all(|c| !c.starts_with("__Host-ketenpost=")),
        "no session"
    );
    // The session from before the reset has ended.
    assert_eq!(user.browser.get("/profiel").await.location, "/inloggen");
    // Password alone leads to the code step, not in.
    let mut login = Browser::new(&portal);
    login.get("/inloggen").await;
    let step = login
        .post(
            "/inloggen",
            &[("email", &user.email), ("wachtwoord", new_password)],
        )
        .await;
    assert_eq!(step.location, "/inloggen/code");
    assert_eq!(login.get("/profiel").await.location, "/inloggen");
}
