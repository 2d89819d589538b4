//! Sessions and forms over HTTP: the cookie's flags, the headers of every page, a new session
//! id at login (fixation), logout and disabling end the session on the server, the idle
//! timeout, a wrong CSRF token and a foreign Origin, and the markup for password managers.

#![allow(clippy::panic, clippy::unwrap_used, clippy::expect_used)]

mod support;

use ketenpost_domain::events::UserChange;
use ketenpost_portal::users;
use support::{enrolled, Browser, TestPortal, KEY, PASSWORD};

#[tokio::test]
async fn the_session_cookie_is_host_only_secure_httponly_and_lax() {
    let portal = TestPortal::start("cookie", false).await;
    let link = portal.invite(
        "anna@zorggroep.example",
        ketenpost_domain::events::Role::Secretariaat,
    );
    let mut browser = Browser::new(&portal);
    browser.get(&link).await;
    let set = browser
        .post(&link, &[("wachtwoord", PASSWORD), ("herhaal", PASSWORD)])
        .await;
    let cookie = set
        .set_cookies
        .iter()
        .find(|c| c.starts_with("__Host-ketenpost="))
        .expect("a session cookie");
    for flag in ["Path=/", "Secure", "HttpOnly", "SameSite=Lax"] {
        assert!(
            cookie.split("; ").any(|p| p == flag),
            "{flag} missing: {cookie}"
        );
    }
    assert!(!cookie.contains("Domain="), "{cookie}");
    let id = cookie.split(';').next().unwrap().split('=').nth(1).unwrap();
    assert!(id.len() >= 43, "256-bit id: {id}");
}

#[tokio::test]
async fn every_page_carries_the_security_headers_and_hsts_over_https() {
    let plain = TestPortal::start("headers", false).await;
    let mut browser = Browser::new(&plain);
    for path in ["/inloggen", "/bestaat-niet", "/static/portal.css"] {
        let page = browser.get(path).await;
        let h = |name: &str| {
            page.headers
                .get(name)
                .map(|v| v.to_str().unwrap().to_owned())
        };
        let csp = h("content-security-policy").unwrap_or_default();
        assert!(
            csp.contains("frame-ancestors 'none'") && csp.contains("script-src 'self'"),
            "{path}: {csp}"
        );
        assert!(!csp.contains("unsafe-inline"), "{csp}");
        assert_eq!(
            h("referrer-policy").as_deref(),
            Some("no-referrer"),
            "{path}"
        );
        assert_eq!(h("cache-control").as_deref(), Some("no-store"), "{path}");
        assert_eq!(
            h("server-timing"),
            None,
            "{path}: how long the daemon worked is not told unless configured"
        );
        assert_eq!(
            h("strict-transport-security"),
            None,
            "no HSTS over plain http"
        );
    }
    let login = browser.get("/inloggen").await;
    assert!(
        !login.body.contains("<script"),
        "no script needed: {}",
        login.body
    );
    let tls = TestPortal::start("headers-tls", true).await;
    let page = Browser::new(&tls).get("/inloggen").await;
    assert!(page
        .headers
        .get("strict-transport-security")
        .is_some_and(|v| v.to_str().unwrap().contains("max-age=")));
}

#[tokio::test]
async fn a_session_id_planted_before_login_is_replaced_and_worthless() {
    let portal = TestPortal::start("fixation", false).await;
    let user = enrolled(&portal, "bert@zorggroep.example").await;
    let mut victim = Browser::new(&portal);
    victim.cookies.insert(
        "__Host-ketenpost".into(),
        "planted-by-an-attacker-0123456789abcdef0123".into(),
    );
    victim.get("/inloggen").await;
    let step = victim
        .post(
            "/inloggen",
            &[("email", &user.email), ("wachtwoord", PASSWORD)],
        )
        .await;
    let halfway = victim.cookies["__Host-ketenpost"].clone();
    assert_ne!(halfway, "planted-by-an-attacker-0123456789abcdef0123");
    assert_eq!(step.location, "/inloggen/code");
    portal.advance(30_000);
    let code = portal.code(&user.secret, 0);
    let done = victim.post("/inloggen/code", &[("code", &code)]).await;
    assert_eq!(done.location, "/profiel");
    let full = victim.cookies["__Host-ketenpost"].clone();
    assert_ne!(full, halfway, "a new id once the second factor is in");
    let mut attacker = Browser::new(&portal);
    attacker.cookies.insert("__Host-ketenpost".into(), halfway);
    assert_eq!(attacker.get("/profiel").await.location, "/inloggen");
}

#[tokio::test]
async fn logout_and_disabling_end_the_session_on_the_server() {
    let portal = TestPortal::start("end", false).await;
    let mut user = enrolled(&portal, "cor@zorggroep.example").await;
    let stolen = user.browser.cookies.clone();
    user.browser.post("/uitloggen", &[]).await;
    let mut thief = Browser::new(&portal);
    thief.cookies = stolen;
    assert_eq!(
        thief.get("/profiel").await.location,
        "/inloggen",
        "logout ended it"
    );

    let mut other = enrolled(&portal, "dirk@zorggroep.example").await;
    assert_eq!(other.browser.get("/profiel").await.status, 200);
    users::change(
        &*portal.log,
        &KEY,
        &other.email,
        UserChange::Disabled,
        "test",
    )
    .unwrap();
    assert_eq!(
        other.browser.get("/profiel").await.location,
        "/inloggen",
        "disabled: ended"
    );
}

#[tokio::test]
async fn thirty_idle_minutes_end_a_session() {
    let portal = TestPortal::start("idle", false).await;
    let mut user = enrolled(&portal, "eva@zorggroep.example").await;
    portal.advance(29 * 60 * 1000);
    assert_eq!(user.browser.get("/profiel").await.status, 200);
    portal.advance(29 * 60 * 1000);
    assert_eq!(
        user.browser.get("/profiel").await.status,
        200,
        "use keeps it alive"
    );
    portal.advance(31 * 60 * 1000);
    assert_eq!(user.browser.get("/profiel").await.location, "/inloggen");
}

#[tokio::test]
async fn a_form_with_a_wrong_csrf_token_or_from_another_origin_is_refused() {
    let portal = TestPortal::start("csrf", false).await;
    let mut user = enrolled(&portal, "frits@zorggroep.example").await;
    let wrong = user
        .browser
        .post_with(
            "/profiel/herstelcodes",
            &[("wachtwoord", PASSWORD)],
            Some("0123456789abcdef0123456789abcdef0123456789a"),
        )
        .await;
    assert_eq!(wrong.status, 403);
    user.browser.origin = Some("https://aanvaller.example".into());
    let foreign = user
        .browser
        .post("/profiel/herstelcodes", &[("wachtwoord", PASSWORD)])
        .await;
    assert_eq!(foreign.status, 403);
    user.browser.origin = None;
    let none = user
        .browser
        .post("/profiel/herstelcodes", &[("wachtwoord", PASSWORD)])
        .await;
    assert_eq!(none.status, 403, "a POST without Origin is refused");
    // Nothing changed: the codes from enrolment still work.
    user.browser.origin = Some(portal.base.clone());
    let profile = user.browser.get("/profiel").await;
    assert!(profile.body.contains("<dd>10</dd>"), "{}", profile.body);
    let ok = user
        .browser
        .post("/profiel/herstelcodes", &[("wachtwoord", PASSWORD)])
        .await;
    assert!(
        ok.body.contains("Nieuwe herstelcodes zijn aangemaakt."),
        "{}",
        ok.body
    );
}

#[tokio::test]
async fn the_login_page_speaks_to_password_managers_and_screen_readers() {
    let portal = TestPortal::start("markup", false).await;
    let page = Browser::new(&portal).get("/inloggen").await;
    let body = page.body;
    assert!(body.contains("<html lang=\"nl\">"));
    assert!(body.contains("autocomplete=\"username\""));
    assert!(body.contains("autocomplete=\"current-password\""));
    for (id, label) in [
        ("email", "Email"),
        ("wachtwoord", "Wachtwoord"),
        ("onthouden", "Onthouden"),
    ] {
        assert!(
            body.contains(&format!("<label for=\"{id}\">{label}</label>")),
            "{id}"
        );
        assert!(body.contains(&format!("id=\"{id}\"")), "{id}");
    }
    assert!(body.contains("INLOGGEN") && body.contains("Wachtwoord vergeten?"));
}

#[tokio::test]
async fn only_a_beheerder_sees_the_users_and_their_security_log() {
    let portal = TestPortal::start("admin", false).await;
    let mut admin = enrolled(&portal, "hans@zorggroep.example").await;
    let page = admin
        .browser
        .get("/beheer?email=hans%40zorggroep.example")
        .await;
    assert_eq!(page.status, 200, "{}", page.body);
    assert!(page.body.contains("hans@zorggroep.example") && page.body.contains("actief"));
    assert!(
        page.body
            .contains("two_factor_enrolled (totp) from 127.0.0.1: success"),
        "{}",
        page.body
    );

    let link = portal.invite(
        "ingrid@zorggroep.example",
        ketenpost_domain::events::Role::Secretariaat,
    );
    let mut staff = Browser::new(&portal);
    staff.get(&link).await;
    staff
        .post(&link, &[("wachtwoord", PASSWORD), ("herhaal", PASSWORD)])
        .await;
    let enrol = staff.get("/profiel/twee-factor").await;
    let secret = support::unbase32(support::between(
        &enrol.body,
        "<code class=\"secret\">",
        "</code>",
    ));
    staff
        .post(
            "/profiel/twee-factor",
            &[("code", &portal.code(&secret, 0))],
        )
        .await;
    assert_eq!(staff.get("/profiel").await.status, 200);
    let refused = staff.get("/beheer").await;
    assert_eq!(refused.status, 403);
    assert!(!refused.body.contains("hans@zorggroep.example"));
    assert_eq!(
        Browser::new(&portal).get("/beheer").await.location,
        "/inloggen"
    );
}

#[tokio::test]
async fn changing_the_password_asks_for_the_old_one_and_ends_other_sessions() {
    let portal = TestPortal::start("change", false).await;
    let mut user = enrolled(&portal, "jan@zorggroep.example").await;
    portal.advance(30_000);
    let mut elsewhere = Browser::new(&portal);
    let code = portal.code(&user.secret, 0);
    assert_eq!(
        elsewhere.login(&user.email, PASSWORD, &code).await.location,
        "/profiel"
    );

    let fresh = "een heel ander lang wachtwoord";
    let wrong = user
        .browser
        .post(
            "/profiel/wachtwoord",
            &[
                ("huidig", "niet het oude"),
                ("wachtwoord", fresh),
                ("herhaal", fresh),
            ],
        )
        .await;
    assert!(wrong.body.contains("Het huidige wachtwoord is onjuist."));
    let changed = user
        .browser
        .post(
            "/profiel/wachtwoord",
            &[
                ("huidig", PASSWORD),
                ("wachtwoord", fresh),
                ("herhaal", fresh),
            ],
        )
        .await;
    assert!(
        changed.body.contains("Uw wachtwoord is gewijzigd."),
        "{}",
        changed.body
    );
    assert_eq!(
        user.browser.get("/profiel").await.status,
        200,
        "this browser goes on"
    );
    assert_eq!(
        elsewhere.get("/profiel").await.location,
        "/inloggen",
        "the other session ended"
    );
    let mut again = Browser::new(&portal);
    again.get("/inloggen").await;
    let old = again
        .post(
            "/inloggen",
            &[("email", &user.email), ("wachtwoord", PASSWORD)],
        )
        .await;
    assert!(old.body.contains("Inloggen is niet gelukt."));
    let new = again
        .post(
            "/inloggen",
            &[("email", &user.email), ("wachtwoord", fresh)],
        )
        .await;
    assert_eq!(new.location, "/inloggen/code");
}

#[tokio::test]
async fn onthouden_makes_the_cookie_outlive_the_browser_for_fourteen_days_only() {
    let portal = TestPortal::start("remember", false).await;
    let user = enrolled(&portal, "kees@zorggroep.example").await;
    for (remember, steps) in [(true, 1), (false, 2)] {
        portal.advance(30_000);
        let mut browser = Browser::new(&portal);
        browser.get("/inloggen").await;
        let mut fields = vec![("email", user.email.as_str()), ("wachtwoord", PASSWORD)];
        if remember {
            fields.push(("onthouden", "ja"));
        }
        browser.post("/inloggen", &fields).await;
        let code = portal.code(&user.secret, 0);
        let done = browser.post("/inloggen/code", &[("code", &code)]).await;
        assert_eq!(done.location, "/profiel", "{steps}");
        let cookie = done
            .set_cookies
            .iter()
            .find(|c| c.starts_with("__Host-ketenpost="))
            .unwrap();
        assert_eq!(cookie.contains("Max-Age=1209600"), remember, "{cookie}");
        if remember {
            // Past the idle limit it still counts, up to 14 days.
            portal.advance(2 * 60 * 60 * 1000);
            assert_eq!(browser.get("/profiel").await.status, 200);
            portal.advance(14 * 24 * 60 * 60 * 1000);
            assert_eq!(browser.get("/profiel").await.location, "/inloggen");
        }
    }
}
