//! Four eyes over HTTP against the real daemon: a `beheerder` proposes a change, cannot
//! approve it; a `servicedesk` user approves it and it applies to the next message without a
//! restart; an invalid proposal cannot be approved; a proposal made stale by another
//! activation is refused; no page, API answer, mail or event-log text carries a secret.

#![allow(clippy::panic, clippy::unwrap_used, clippy::expect_used)]

mod harness;
mod portal_http;
mod smtp;

use std::process::Command;
use std::time::Duration;

use harness::process::free_port;
use harness::{fixture, get, wait_for_mailbox_problem, wait_for_processed, Harness, ACCOUNT, LAB};
use portal_http::{enrolled, Browser};
use smtp::SmtpSink;

const NEW_KEY: &str = "NIEUWE-ACCESS-KEY-7f3a9c";

fn add_user(h: &Harness, email: &str, role: &str) -> String {
    let output = Command::new(env!("CARGO_BIN_EXE_ketenpost"))
        .args([
            "user",
            "add",
            email,
            "--name",
            "Test Persoon",
            "--role",
            role,
        ])
        .args(["--print-link", "--config"])
        .arg(&h.config)
        .output()
        .unwrap();
    let out = String::from_utf8_lossy(&output.stdout).into_owned();
    assert!(
        output.status.success(),
        "{out}{}",
        String::from_utf8_lossy(&output.stderr)
    );
    let start = out.find("http://").expect("a link");
    out[start..].split_whitespace().next().unwrap().to_owned()
}

/// Waits (bounded) for a mail containing `text`.
fn wait_for_mail(sink: &SmtpSink, text: &str) {
    let until = std::time::Instant::now() + Duration::from_secs(30);
    while !sink.mails().iter().any(|m| m.contains(text)) {
        assert!(
            std::time::Instant::now() < until,
            "no mail with {text}: {:?}",
            sink.mails()
        );
        std::thread::sleep(Duration::from_millis(100));
    }
}

/// The Extra instellingen form of route `ons` with MEDLAB's labels and visibility set.
fn extra(
    medlab_labels: &str,
    medlab_visibility: &str,
    medlab_groups: &str,
) -> Vec<(&'static str, String)> {
    vec![
        ("afzenders", "500012345".into()),
        ("pdf", "ja".into()),
        ("medewerker", "4711".into()),
        ("MEDVRI_labels", "brief".into()),
        ("MEDVRI_acties", "SOG, Secretariaat".into()),
        ("MEDVRI_zichtbaarheid", "Group".into()),
        ("MEDVRI_groepen", "12".into()),
        ("MEDLAB_labels", medlab_labels.into()),
        ("MEDLAB_acties", "SOG".into()),
        ("MEDLAB_zichtbaarheid", medlab_visibility.into()),
        ("MEDLAB_groepen", medlab_groups.into()),
    ]
}

async fn post(
    browser: &mut Browser,
    path: &str,
    fields: &[(&'static str, String)],
) -> portal_http::Page {
    let fields: Vec<(&str, &str)> = fields.iter().map(|(k, v)| (*k, v.as_str())).collect();
    browser.post(path, &fields).await
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_change_is_reviewed_by_the_service_desk_and_applies_without_a_restart() {
    let h = Harness::start("config-review", 0, 2).await;
    let sink = SmtpSink::start(&h.dir.join("mails"));
    let port = free_port();
    let base = format!("http://localhost:{port}");
    h.edit_config(|text| {
        text.replacen(
            "[[mailboxes]]",
            &format!(
                "[portal]\nlisten = \"127.0.0.1:{port}\"\npublic_url = \"{base}\"\n\
                 [smtp]\nhost = \"127.0.0.1\"\nport = {}\nsecurity = \"none\"\n\
                 from = \"ketenpost <noreply@zorggroep.example>\"\n[[mailboxes]]",
                sink.port
            ),
            1,
        )
    });
    h.ons.add_client("999990019", "Jan", "Wolf", "1988-06-21");
    let (running, address) = h.start_daemon().await;
    let mut anna = enrolled(&base, &add_user(&h, "anna@zorggroep.example", "beheerder")).await;
    let mut sam = enrolled(
        &base,
        &add_user(&h, "sam@leverancier.example", "servicedesk"),
    )
    .await;

    // The beheerder proposes a label for MEDLAB: it waits for review.
    let page = post(
        &mut anna,
        "/configuratie/extra/ons",
        &extra("labuitslag, nieuw-label", "Group", "12"),
    )
    .await;
    assert_eq!(page.status, 200, "{}", page.body);
    assert!(page.body.contains("Wacht op beoordeling"), "{}", page.body);
    assert!(
        page.body.contains("routes.ons.types.MEDLAB.labels"),
        "{}",
        page.body
    );
    // The service desk is told.
    wait_for_mail(
        &sink,
        "Configuratievoorstel (versie 2) wacht op beoordeling",
    );

    // The author cannot approve it, nor can anyone but the service desk.
    let own = anna
        .post("/configuratie/beoordelen/2/goedkeuren", &[])
        .await;
    assert_eq!(own.status, 409, "{}", own.body);
    assert!(own.body.contains("alleen de servicedesk"), "{}", own.body);

    // The service desk approves; the next MEDLAB is placed with the new label, no restart.
    let queue = sam.get("/configuratie/beoordelen").await;
    assert!(queue.body.contains("nieuw-label"), "{}", queue.body);
    let approved = sam.post("/configuratie/beoordelen/2/goedkeuren", &[]).await;
    assert_eq!(approved.status, 200, "{}", approved.body);
    assert!(
        approved.body.contains("Versie 2 is goedgekeurd en actief"),
        "{}",
        approved.body
    );
    h.zorgmail
        .add_message(ACCOUNT, LAB, fixture("medlab_full.edi"));
    wait_for_processed(&address, 1, Duration::from_secs(30)).await;
    let documents = h.ons.documents();
    assert_eq!(documents.len(), 1);
    assert_eq!(documents[0].tags, ["labuitslag", "nieuw-label"]);
    // The author is told of the decision.
    wait_for_mail(
        &sink,
        "Uw configuratievoorstel (versie 2) is goedgekeurd en actief",
    );

    // An invalid proposal (Group visibility without any group) cannot be approved.
    let invalid = post(
        &mut anna,
        "/configuratie/extra/ons",
        &extra("labuitslag", "Group", ""),
    )
    .await;
    assert_eq!(invalid.status, 200, "{}", invalid.body);
    let refused = sam.post("/configuratie/beoordelen/3/goedkeuren", &[]).await;
    assert_eq!(refused.status, 409, "{}", refused.body);
    assert!(
        refused.body.contains("needs expertise_groups"),
        "{}",
        refused.body
    );
    // A type without visibility cannot even be proposed, and the page says why.
    let no_visibility = post(
        &mut anna,
        "/configuratie/extra/ons",
        &extra("labuitslag", "", "12"),
    )
    .await;
    assert_eq!(no_visibility.status, 422, "{}", no_visibility.body);
    assert!(
        no_visibility
            .body
            .contains("ziet iedere medewerker het document"),
        "{}",
        no_visibility.body
    );

    // The Kamer van Koophandel number is required, as 8 digits.
    let kvk = anna
        .post(
            "/configuratie/organisatie",
            &[("naam", "Zorggroep Noordwest"), ("kvk", "1234567")],
        )
        .await;
    assert_eq!(kvk.status, 422, "{}", kvk.body);
    assert!(kvk.body.contains("8 cijfers"), "{}", kvk.body);

    // Stale: two proposals from version 2; once one is activated the other is refused.
    let first = post(
        &mut anna,
        "/configuratie/extra/ons",
        &extra("labuitslag, a", "Group", "12"),
    )
    .await;
    assert_eq!(first.status, 200, "{}", first.body);
    let second = post(
        &mut anna,
        "/configuratie/extra/ons",
        &extra("labuitslag, b", "Group", "12"),
    )
    .await;
    assert_eq!(second.status, 200, "{}", second.body);
    assert_eq!(
        sam.post("/configuratie/beoordelen/5/goedkeuren", &[])
            .await
            .status,
        200
    );
    let stale = sam.post("/configuratie/beoordelen/4/goedkeuren", &[]).await;
    assert_eq!(stale.status, 409, "{}", stale.body);
    assert!(stale.body.contains("verouderd"), "{}", stale.body);

    // A rejection needs a reason, is shown with it, and the author is told.
    let sixth = post(
        &mut anna,
        "/configuratie/extra/ons",
        &extra("labuitslag, c", "Group", "12"),
    )
    .await;
    assert_eq!(sixth.status, 200, "{}", sixth.body);
    let rejected = sam
        .post(
            "/configuratie/beoordelen/6/afwijzen",
            &[("reden", "label c bestaat niet in Ons")],
        )
        .await;
    assert_eq!(rejected.status, 200, "{}", rejected.body);
    assert!(
        rejected.body.contains("Versie 6 is afgewezen"),
        "{}",
        rejected.body
    );
    assert!(
        rejected.body.contains("label c bestaat niet in Ons"),
        "{}",
        rejected.body
    );
    wait_for_mail(&sink, "Uw configuratievoorstel (versie 6) is afgewezen");

    // A secret is write-only: replaced through the form, never shown anywhere.
    let page = anna.get("/configuratie").await;
    assert!(
        page.body.contains("Er is al een waarde ingevuld"),
        "{}",
        page.body
    );
    let changed = anna
        .post(
            "/configuratie/accounts",
            &[
                ("oud", "lab-noordwest"),
                ("naam", "lab-noordwest"),
                ("postbus", ACCOUNT),
                ("access_key", NEW_KEY),
            ],
        )
        .await;
    assert_eq!(changed.status, 200, "{}", changed.body);
    let review = sam.get("/configuratie/beoordelen").await;
    assert!(
        review.body.contains("mailboxes.lab-noordwest.password"),
        "{}",
        review.body
    );
    assert!(review.body.contains("gewijzigd"), "{}", review.body);
    // Approved, the mailbox is changed in the running daemon: the new key is refused by the
    // mail web service (it knows the old one), which the mailbox's health shows.
    let version = review
        .body
        .split("<h2 id=\"voorstel-")
        .nth(1)
        .and_then(|rest| rest.split('"').next())
        .unwrap()
        .to_owned();
    let applied = sam
        .post(
            &format!("/configuratie/beoordelen/{version}/goedkeuren"),
            &[],
        )
        .await;
    assert_eq!(applied.status, 200, "{}", applied.body);
    wait_for_mailbox_problem(
        &address,
        "lab-noordwest",
        "refused the user name or password",
        Duration::from_secs(30),
    )
    .await;
    let mut seen = vec![
        changed.body,
        review.body,
        anna.get("/configuratie").await.body,
        sam.get("/configuratie").await.body,
    ];
    for path in [
        "/api/v1/counts",
        "/api/v1/messages?category=processed",
        "/metrics",
        "/readyz",
    ] {
        seen.push(get(&address, path).await.1.to_string());
    }
    running.stop().await.unwrap();
    seen.extend(sink.mails());
    let events = Command::new(env!("CARGO_BIN_EXE_ketenpost"))
        .args(["events", "--data"])
        .arg(h.data())
        .output()
        .unwrap();
    seen.push(String::from_utf8_lossy(&events.stdout).into_owned());
    let exported = Command::new(env!("CARGO_BIN_EXE_ketenpost"))
        .args(["config", "export", "--data"])
        .arg(h.data())
        .output()
        .unwrap();
    seen.push(String::from_utf8_lossy(&exported.stdout).into_owned());
    for text in &seen {
        for secret in [NEW_KEY, "secret-pw"] {
            assert!(!text.contains(secret), "{secret} shown: {text}");
        }
    }
}
