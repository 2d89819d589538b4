//! Logging in over HTTP: invitation to profile, a code that is replayed, recovery codes used
//! once, the same answer for known and unknown addresses, the slow-down and lock of an
//! account, and the per-address limit.

#![allow(clippy::panic, clippy::unwrap_used, clippy::expect_used)]

mod support;

use support::{enrolled, Browser, TestPortal, PASSWORD};

const STEP_MS: i64 = 30_000;

#[tokio::test]
async fn an_invited_user_sets_a_password_enrols_and_logs_in_with_a_code() {
    let portal = TestPortal::start("walk", false).await;
    let mut user = enrolled(&portal, "anna@zorggroep.example").await;
    let profile = user.browser.get("/profiel").await;
    assert_eq!(profile.status, 200);
    assert!(profile.body.contains("Anna de Vries") && profile.body.contains("beheerder"));
    assert!(profile.body.contains("HERSTELCODES OPNIEUW GENEREREN"));

    let out = user.browser.post("/uitloggen", &[]).await;
    assert_eq!(out.location, "/inloggen");
    portal.advance(STEP_MS);
    let mut again = Browser::new(&portal);
    let code = portal.code(&user.secret, 0);
    let done = again.login(&user.email, PASSWORD, &code).await;
    assert_eq!(done.location, "/profiel", "{}", done.body);
    assert_eq!(again.get("/profiel").await.status, 200);
}

#[tokio::test]
async fn a_code_already_used_is_refused_and_so_is_an_older_one() {
    let portal = TestPortal::start("replay", false).await;
    let user = enrolled(&portal, "bert@zorggroep.example").await;
    portal.advance(STEP_MS);
    let code = portal.code(&user.secret, 0);
    let mut first = Browser::new(&portal);
    assert_eq!(
        first.login(&user.email, PASSWORD, &code).await.location,
        "/profiel"
    );

    let mut second = Browser::new(&portal);
    let replayed = second.login(&user.email, PASSWORD, &code).await;
    assert_eq!(replayed.status, 200);
    assert!(replayed
        .body
        .contains("De code is onjuist, verlopen of al gebruikt."));
    assert_eq!(second.get("/profiel").await.location, "/inloggen");
    // The step before (within the drift) is older than the one used: refused too.
    let older = portal.code(&user.secret, -1);
    let mut third = Browser::new(&portal);
    assert!(third
        .login(&user.email, PASSWORD, &older)
        .await
        .body
        .contains("al gebruikt"));
    // The next step is accepted.
    let next = portal.code(&user.secret, 1);
    let mut fourth = Browser::new(&portal);
    assert_eq!(
        fourth.login(&user.email, PASSWORD, &next).await.location,
        "/profiel"
    );
}

#[tokio::test]
async fn a_recovery_code_logs_in_once() {
    let portal = TestPortal::start("recovery", false).await;
    let user = enrolled(&portal, "cor@zorggroep.example").await;
    let code = user.codes[3].to_uppercase();
    let mut first = Browser::new(&portal);
    assert_eq!(
        first.login(&user.email, PASSWORD, &code).await.location,
        "/profiel"
    );
    let profile = first.get("/profiel").await;
    assert!(
        profile.body.contains("<dd>9</dd>"),
        "nine left: {}",
        profile.body
    );
    let mut second = Browser::new(&portal);
    let again = second.login(&user.email, PASSWORD, &code).await;
    assert!(again.body.contains("al gebruikt"), "{}", again.body);
}

#[tokio::test]
async fn a_failed_login_reads_the_same_for_known_and_unknown_addresses() {
    let portal = TestPortal::start("equal", false).await;
    let user = enrolled(&portal, "dirk@zorggroep.example").await;
    let mut browser = Browser::new(&portal);
    browser.get("/inloggen").await;
    let known = browser
        .post(
            "/inloggen",
            &[
                ("email", &user.email),
                ("wachtwoord", "niet het wachtwoord"),
            ],
        )
        .await;
    let unknown = browser
        .post(
            "/inloggen",
            &[
                ("email", "niemand@zorggroep.example"),
                ("wachtwoord", "niet het wachtwoord"),
            ],
        )
        .await;
    let disabled_like = browser
        .post("/inloggen", &[("email", &user.email), ("wachtwoord", "")])
        .await;
    assert_eq!(known.status, unknown.status);
    let strip = |body: &str, email: &str| body.replace(email, "EMAIL");
    assert_eq!(
        strip(&known.body, &user.email),
        strip(&unknown.body, "niemand@zorggroep.example")
    );
    assert_eq!(
        strip(&disabled_like.body, &user.email),
        strip(&known.body, &user.email)
    );
    assert!(known.body.contains("Inloggen is niet gelukt."));
    assert!(known
        .set_cookies
        .iter()
        .all(|c| !c.starts_with("__Host-ketenpost=")));
}

#[tokio::test]
async fn repeated_failures_lock_the_account_for_a_while_only() {
    let portal = TestPortal::start("lockout", false).await;
    let user = enrolled(&portal, "eva@zorggroep.example").await;
    let mut browser = Browser::new(&portal);
    browser.get("/inloggen").await;
    for _ in 0..10 {
        browser
            .post(
                "/inloggen",
                &[("email", &user.email), ("wachtwoord", "fout fout fout")],
            )
            .await;
    }
    // The right password now fails the same way: the account is locked.
    let locked = browser
        .post(
            "/inloggen",
            &[("email", &user.email), ("wachtwoord", PASSWORD)],
        )
        .await;
    let log = ketenpost_portal::audit::entries(
        &*portal.log,
        &support::KEY,
        &user.email,
        i64::MIN,
        i64::MAX,
    )
    .unwrap();
    assert!(
        log.iter()
            .any(|e| e.what == "lockout from 127.0.0.1: locked"),
        "{log:?}"
    );
    assert!(log
        .iter()
        .any(|e| e.what.ends_with("login (password) from 127.0.0.1: locked")));
    assert!(
        locked.body.contains("Inloggen is niet gelukt."),
        "{}",
        locked.body
    );
    assert_ne!(locked.location, "/inloggen/code");
    // Another account from the same address is not affected.
    let other = enrolled(&portal, "frits@zorggroep.example").await;
    drop(other);
    // After the lock (15 minutes) the owner gets in.
    portal.advance(16 * 60 * 1000);
    let code = portal.code(&user.secret, 0);
    let mut later = Browser::new(&portal);
    assert_eq!(
        later.login(&user.email, PASSWORD, &code).await.location,
        "/profiel"
    );
}

#[tokio::test]
async fn one_address_is_slowed_down_whatever_accounts_it_tries() {
    let portal = TestPortal::start("address", false).await;
    let mut browser = Browser::new(&portal);
    browser.get("/inloggen").await;
    let mut limited = false;
    for n in 0..25 {
        let email = format!("gast{n}@zorggroep.example");
        let page = browser
            .post(
                "/inloggen",
                &[("email", &email), ("wachtwoord", "wat dan ook hier")],
            )
            .await;
        if page.status == 429 {
            assert!(page.body.contains("Te veel pogingen vanaf dit adres"));
            limited = true;
            break;
        }
    }
    assert!(limited, "25 attempts from one address were never limited");
}

#[tokio::test]
async fn every_login_and_logout_is_in_the_security_log_without_secrets() {
    let portal = TestPortal::start("audit", false).await;
    let mut user = enrolled(&portal, "gerda@zorggroep.example").await;
    user.browser.post("/uitloggen", &[]).await;
    let mut browser = Browser::new(&portal);
    browser.get("/inloggen").await;
    browser
        .post(
            "/inloggen",
            &[
                ("email", &user.email),
                ("wachtwoord", "een fout wachtwoord"),
            ],
        )
        .await;
    browser
        .post(
            "/inloggen",
            &[("email", "onbekend@zorggroep.example"), ("wachtwoord", "x")],
        )
        .await;
    portal.advance(STEP_MS);
    let code = portal.code(&user.secret, 0);
    assert_eq!(
        browser.login(&user.email, PASSWORD, &code).await.location,
        "/profiel"
    );

    let lines: Vec<String> = ketenpost_portal::audit::entries(
        &*portal.log,
        &support::KEY,
        &user.email,
        i64::MIN,
        i64::MAX,
    )
    .unwrap()
    .into_iter()
    .map(|e| e.what)
    .collect();
    let text = lines.join("\n");
    for expected in [
        "user added as beheerder by test",
        "invitation link issued",
        "password_set (invitation_link) from 127.0.0.1: success",
        "two_factor_enrolled (totp) from 127.0.0.1: success",
        "logout from 127.0.0.1: success",
        "login (password) from 127.0.0.1: wrong_password",
        "login (password) from 127.0.0.1: success",
        "login (totp) from 127.0.0.1: success",
    ] {
        assert!(text.contains(expected), "{expected} missing:\n{text}");
    }
    for secret in [PASSWORD, "een fout wachtwoord", code.as_str(), "gerda"] {
        assert!(
            !text.contains(secret),
            "{secret} in the security log:\n{text}"
        );
    }
    let unknown = ketenpost_portal::audit::entries(
        &*portal.log,
        &support::KEY,
        "onbekend@zorggroep.example",
        i64::MIN,
        i64::MAX,
    )
    .unwrap();
    assert_eq!(unknown.len(), 1);
    assert!(unknown[0]
        .what
        .contains("login (password) from 127.0.0.1: unknown_user"));
}
