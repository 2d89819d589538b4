//! The beheerder manages the organisation's portal users on `/beheer`: invites (with a real
//! SMTP server), disables and removes a second factor, each confirmed, recorded in the
//! security log, refused to a secretariaat, and checked for its CSRF token and Origin; a
//! disabled user's sessions end at once and a beheerder cannot disable themselves.

#![allow(clippy::panic, clippy::unwrap_used, clippy::expect_used)]

#[path = "../../daemon/tests/smtp/mod.rs"]
mod smtp;
mod support;

use ketenpost_domain::events::Role;
use smtp::SmtpSink;
use support::{enrolled, enrolled_as, TestPortal};

fn security_log(portal: &TestPortal, email: &str) -> String {
    ketenpost_portal::audit::entries(&*portal.log, &support::KEY, email, i64::MIN, i64::MAX)
        .unwrap()
        .into_iter()
        .map(|e| e.what)
        .collect::<Vec<_>>()
        .join("\n")
}

/// The invitation mails received, waiting (bounded) for `count` of them.
fn invitations(sink: &SmtpSink, count: usize) -> Vec<String> {
    let until = std::time::Instant::now() + std::time::Duration::from_secs(20);
    loop {
        let mails: Vec<String> = sink
            .mails()
            .into_iter()
            .filter(|m| m.contains("Subject: Uitnodiging voor het ketenpost-portaal"))
            .collect();
        if mails.len() >= count || std::time::Instant::now() > until {
            return mails;
        }
        std::thread::sleep(std::time::Duration::from_millis(50));
    }
}

fn user(portal: &TestPortal, email: &str) -> ketenpost_domain::users::UserState {
    ketenpost_portal::users::find(&*portal.log, &support::KEY, email)
        .unwrap()
        .unwrap()
}

#[tokio::test]
async fn a_beheerder_invites_a_user_who_gets_the_mail() {
    let folder = std::env::temp_dir().join(format!("ketenpost-admin-mail-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&folder);
    let sink = SmtpSink::start(&folder);
    let portal = TestPortal::start_with("admin-invite", false, Some(sink.port)).await;
    let mut admin = enrolled(&portal, "anna@zorggroep.example").await.browser;
    let page = admin.get("/beheer").await;
    assert!(
        page.body.contains("action=\"/beheer/uitnodigen\""),
        "{}",
        page.body
    );

    let page = admin
        .post(
            "/beheer/uitnodigen",
            &[
                ("email", "Bert@Zorggroep.example"),
                ("naam", "Bert Jansen"),
                ("rol", "secretariaat"),
            ],
        )
        .await;
    assert_eq!(page.status, 200, "{}", page.body);
    assert!(
        page.body
            .contains("Uitnodiging verstuurd naar bert@zorggroep.example"),
        "{}",
        page.body
    );
    assert!(page.body.contains("Bert Jansen"), "listed: {}", page.body);
    let mails = invitations(&sink, 1);
    assert_eq!(mails.len(), 1);
    assert!(
        mails[0].contains("To: bert@zorggroep.example"),
        "{}",
        mails[0]
    );
    assert!(mails[0].contains("Beste Bert Jansen"), "{}", mails[0]);
    let mail = smtp::decode_quoted_printable(&mails[0]);
    assert!(
        mail.contains(&format!("{}/wachtwoord/user-", portal.base)),
        "a link under public_url: {mail}"
    );
    assert_eq!(
        user(&portal, "bert@zorggroep.example").role,
        Role::Secretariaat
    );
    let log = security_log(&portal, "bert@zorggroep.example");
    assert!(
        log.contains("user added as secretariaat by portal user-"),
        "{log}"
    );
    assert!(
        log.contains("user_invited from 127.0.0.1: success"),
        "{log}"
    );

    // Not servicedesk; not an address twice.
    let page = admin
        .post(
            "/beheer/uitnodigen",
            &[
                ("email", "c@zorggroep.example"),
                ("naam", "C"),
                ("rol", "servicedesk"),
            ],
        )
        .await;
    assert_eq!(page.status, 400);
    assert!(page.body.contains("Kies als rol secretariaat of beheerder"));
    assert!(
        ketenpost_portal::users::find(&*portal.log, &support::KEY, "c@zorggroep.example")
            .unwrap()
            .is_none()
    );
    let page = admin
        .post(
            "/beheer/uitnodigen",
            &[
                ("email", "bert@zorggroep.example"),
                ("naam", "B"),
                ("rol", "beheerder"),
            ],
        )
        .await;
    assert_eq!(page.status, 409);
    assert_eq!(invitations(&sink, 1).len(), 1, "no second invitation");
    let _ = std::fs::remove_dir_all(&folder);
}

#[tokio::test]
async fn a_disabled_users_sessions_end_at_once_and_a_beheerder_cannot_disable_themselves() {
    let portal = TestPortal::start("admin-disable", false).await;
    let mut admin = enrolled(&portal, "anna@zorggroep.example").await.browser;
    let mut bert = enrolled_as(&portal, "bert@zorggroep.example", Role::Secretariaat)
        .await
        .browser;
    assert_eq!(bert.get("/profiel").await.status, 200);
    admin.get("/beheer").await;

    // Without the confirmation nothing happens.
    let page = admin
        .post(
            "/beheer/uitschakelen",
            &[("email", "bert@zorggroep.example")],
        )
        .await;
    assert_eq!(page.status, 400);
    assert!(page.body.contains("Bevestig de wijziging"));
    assert!(!user(&portal, "bert@zorggroep.example").disabled);
    assert_eq!(bert.get("/profiel").await.status, 200);

    let page = admin
        .post(
            "/beheer/uitschakelen",
            &[("email", "bert@zorggroep.example"), ("bevestig", "ja")],
        )
        .await;
    assert_eq!(page.status, 200, "{}", page.body);
    assert!(page
        .body
        .contains("bert@zorggroep.example is uitgeschakeld"));
    assert!(user(&portal, "bert@zorggroep.example").disabled);
    let after = bert.get("/profiel").await;
    assert_ne!(after.status, 200, "the disabled user's session still works");
    assert_eq!(after.location, "/inloggen");
    let log = security_log(&portal, "bert@zorggroep.example");
    assert!(
        log.contains("user_disabled from 127.0.0.1: success"),
        "{log}"
    );
    assert!(log.contains("user disabled by portal user-"), "{log}");

    let page = admin
        .post(
            "/beheer/uitschakelen",
            &[("email", "Anna@zorggroep.example"), ("bevestig", "ja")],
        )
        .await;
    assert_eq!(page.status, 400);
    assert!(page
        .body
        .contains("U kunt uw eigen account hier niet uitschakelen"));
    assert!(!user(&portal, "anna@zorggroep.example").disabled);
    assert_eq!(admin.get("/beheer").await.status, 200);
}

#[tokio::test]
async fn a_beheerder_removes_a_users_second_factor() {
    let portal = TestPortal::start("admin-reset", false).await;
    let mut admin = enrolled(&portal, "anna@zorggroep.example").await.browser;
    enrolled_as(&portal, "bert@zorggroep.example", Role::Secretariaat).await;
    assert!(user(&portal, "bert@zorggroep.example").enrolled());
    admin.get("/beheer").await;
    let page = admin
        .post(
            "/beheer/tweede-factor-resetten",
            &[("email", "bert@zorggroep.example"), ("bevestig", "ja")],
        )
        .await;
    assert_eq!(page.status, 200, "{}", page.body);
    assert!(page.body.contains("opnieuw een tweede factor instellen"));
    let bert = user(&portal, "bert@zorggroep.example");
    assert!(!bert.enrolled() && bert.recovery_codes.is_empty());
    let log = security_log(&portal, "bert@zorggroep.example");
    assert!(
        log.contains("two_factor_reset from 127.0.0.1: success"),
        "{log}"
    );
}

#[tokio::test]
async fn a_secretariaat_may_not_manage_users() {
    let portal = TestPortal::start("admin-forbidden", false).await;
    enrolled(&portal, "anna@zorggroep.example").await;
    let mut bert = enrolled_as(&portal, "bert@zorggroep.example", Role::Secretariaat)
        .await
        .browser;
    for (path, fields) in [
        (
            "/beheer/uitnodigen",
            vec![
                ("email", "c@zorggroep.example"),
                ("naam", "C"),
                ("rol", "beheerder"),
            ],
        ),
        (
            "/beheer/uitschakelen",
            vec![("email", "anna@zorggroep.example"), ("bevestig", "ja")],
        ),
        (
            "/beheer/tweede-factor-resetten",
            vec![("email", "anna@zorggroep.example"), ("bevestig", "ja")],
        ),
    ] {
        let page = bert.post(path, &fields).await;
        assert_eq!(page.status, 403, "{path}: {}", page.body);
    }
    let anna = user(&portal, "anna@zorggroep.example");
    assert!(!anna.disabled && anna.enrolled());
    assert!(
        ketenpost_portal::users::find(&*portal.log, &support::KEY, "c@zorggroep.example")
            .unwrap()
            .is_none()
    );
}

#[tokio::test]
async fn user_changes_need_the_csrf_token_and_the_portals_origin() {
    let portal = TestPortal::start("admin-csrf", false).await;
    let mut admin = enrolled(&portal, "anna@zorggroep.example").await.browser;
    enrolled_as(&portal, "bert@zorggroep.example", Role::Secretariaat).await;
    admin.get("/beheer").await;
    let fields = [("email", "bert@zorggroep.example"), ("bevestig", "ja")];
    let page = admin
        .post_with("/beheer/uitschakelen", &fields, Some(&"0".repeat(43)))
        .await;
    assert_eq!(page.status, 403);
    admin.origin = Some("https://evil.example".into());
    let page = admin.post("/beheer/tweede-factor-resetten", &fields).await;
    assert_eq!(page.status, 403);
    let bert = user(&portal, "bert@zorggroep.example");
    assert!(!bert.disabled && bert.enrolled());
}
