//! Behind a TLS proxy (`[portal] trusted_proxies`): the last hop of `X-Forwarded-For` is the
//! client for the per-address limit and the security log, but only when the connection comes
//! from a trusted proxy; from anyone else the header changes nothing.

#![allow(clippy::unwrap_used, clippy::panic)]

mod support;

use support::{Browser, TestPortal};

/// Fails logins for unknown addresses until the address limit answers 429: how many passed.
async fn attempts_until_limited(browser: &mut Browser) -> usize {
    browser.get("/inloggen").await;
    for n in 0..30 {
        let email = format!("gast{n}@zorggroep.example");
        let page = browser
            .post(
                "/inloggen",
                &[("email", &email), ("wachtwoord", "wat dan ook hier")],
            )
            .await;
        if page.status == 429 {
            return n;
        }
    }
    30
}

fn logged_address(portal: &TestPortal, email: &str) -> String {
    let entries =
        ketenpost_portal::audit::entries(&*portal.log, &support::KEY, email, i64::MIN, i64::MAX)
            .unwrap();
    assert_eq!(entries.len(), 1, "{entries:?}");
    entries[0].what.clone()
}

#[tokio::test]
async fn behind_a_trusted_proxy_each_forwarded_client_has_its_own_limit_and_log_address() {
    let portal = TestPortal::start_behind_proxy("proxy-trusted", &["127.0.0.1/32"]).await;
    let mut first = Browser::new(&portal);
    first.forwarded_for = Some("192.0.2.50, 198.51.100.7".into());
    assert!(attempts_until_limited(&mut first).await < 30);
    let mut second = Browser::new(&portal);
    second.forwarded_for = Some("198.51.100.8".into());
    second.get("/inloggen").await;
    let page = second
        .post(
            "/inloggen",
            &[
                ("email", "gast@zorggroep.example"),
                ("wachtwoord", "wat dan ook hier"),
            ],
        )
        .await;
    assert_eq!(
        page.status, 200,
        "another client behind the proxy was limited"
    );
    assert!(logged_address(&portal, "gast@zorggroep.example")
        .contains("login (password) from 198.51.100.8: unknown_user"));
    assert!(logged_address(&portal, "gast0@zorggroep.example").contains("from 198.51.100.7:"));
}

#[tokio::test]
async fn without_trusted_proxies_a_forwarded_header_is_ignored() {
    let portal = TestPortal::start("proxy-untrusted", false).await;
    let mut first = Browser::new(&portal);
    first.forwarded_for = Some("198.51.100.7".into());
    assert!(attempts_until_limited(&mut first).await < 30);
    let mut second = Browser::new(&portal);
    second.forwarded_for = Some("198.51.100.8".into());
    second.get("/inloggen").await;
    let page = second
        .post(
            "/inloggen",
            &[
                ("email", "gast@zorggroep.example"),
                ("wachtwoord", "wat dan ook hier"),
            ],
        )
        .await;
    assert_eq!(page.status, 429, "a sent header escaped the address limit");
    assert!(logged_address(&portal, "gast0@zorggroep.example").contains("from 127.0.0.1:"));
}
