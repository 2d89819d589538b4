//! E-mail notices from the `ketenpost run` process to a real SMTP server (aiosmtpd): a burst of
//! 50 unknown-BSN messages gives the medical secretariat one mail, without a BSN or name, and a
//! restart does not send it again; a mailbox problem gives the service desk one mail when it
//! starts and one when it ends; a notice decided while the SMTP server is down arrives once
//! when it is up, also when the daemon restarts in between.
#![allow(clippy::panic, clippy::unwrap_used, clippy::expect_used)]

mod harness;
mod smtp;

use std::process::{Child, Command, Stdio};
use std::time::Duration;

use harness::process::{free_port, signal, wait_exit};
use harness::{counts, letter, wait_until, Harness, ACCOUNT, GP};
use smtp::SmtpSink;

/// A BSN that passes the elfproef and that the stand-in record system does not know.
const UNKNOWN: &str = "123456782";
const SECRETARIAT: &str = "secretariaat@zorggroep.example";

/// The daemon's process; killed when a failing test leaves it running.
struct Daemon(Option<Child>);

impl Drop for Daemon {
    fn drop(&mut self) {
        if let Some(mut child) = self.0.take() {
            let _ = child.kill();
            let _ = child.wait();
        }
    }
}

fn start_daemon(h: &Harness) -> Daemon {
    Daemon(Some(
        Command::new(env!("CARGO_BIN_EXE_ketenpost"))
            .args(["run", "--config"])
            .arg(&h.config)
            .env("RUST_LOG", "warn")
            .stdout(Stdio::null())
            .stderr(Stdio::inherit())
            .spawn()
            .unwrap(),
    ))
}

fn stop_daemon(mut daemon: Daemon) {
    let mut child = daemon.0.take().unwrap();
    signal(&child, "-TERM");
    let status = wait_exit(&mut child, Duration::from_secs(30), "after SIGTERM");
    assert!(status.success(), "{status}");
}

async fn api_up(address: &str) {
    wait_until("the API answers", Duration::from_secs(30), || async {
        reqwest::Client::new()
            .get(format!("http://{address}/healthz"))
            .send()
            .await
            .is_ok()
    })
    .await;
}

async fn metrics(address: &str) -> String {
    reqwest::get(format!("http://{address}/metrics"))
        .await
        .unwrap()
        .text()
        .await
        .unwrap()
}

/// Adds `[portal]`, `[organisation]` with the medical secretariat and, when given, `[smtp]`
/// at `smtp_port`.
fn configure(h: &Harness, smtp_port: Option<u16>) {
    h.edit_config(|text| {
        let mut text = text
            + "[portal]\nlisten = \"127.0.0.1:0\"\npublic_url = \"https://portaal.zorggroep.example\"\n\
               [organisation]\nname = \"Zorggroep De Es\"\nkvk = \"12345678\"\n\
               [organisation.contacts.medisch_secretariaat]\nname = \"Medisch secretariaat\"\n\
               email = \"secretariaat@zorggroep.example\"\n";
        if let Some(port) = smtp_port {
            text += &format!(
                "[smtp]\nhost = \"127.0.0.1\"\nport = {port}\nsecurity = \"none\"\n\
                 from = \"ketenpost <noreply@zorggroep.example>\"\ntimeout = \"2s\"\n"
            );
        }
        text
    });
}

/// Adds a portal user with role `servicedesk` (before `[smtp]` is configured: no invitation).
fn add_servicedesk_user(h: &Harness) {
    let added = Command::new(env!("CARGO_BIN_EXE_ketenpost"))
        .args([
            "user",
            "add",
            "desk@leverancier.example",
            "--name",
            "Servicedesk",
            "--role",
            "servicedesk",
            "--print-link",
            "--config",
        ])
        .arg(&h.config)
        .output()
        .unwrap();
    assert!(
        added.status.success(),
        "{}",
        String::from_utf8_lossy(&added.stderr)
    );
}

fn to_secretariat(mails: &[String]) -> Vec<&String> {
    mails
        .iter()
        .filter(|m| m.contains(&format!("To: {SECRETARIAT}")))
        .collect()
}

/// Lets the notifier (which looks once a second) take several more looks.
async fn a_few_rounds() {
    tokio::time::sleep(Duration::from_secs(4)).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_burst_of_fifty_unknown_bsn_messages_gives_the_secretariat_one_mail() {
    ketenpost_adapters::tls::install_crypto_provider();
    let port = free_port();
    let h = Harness::start("notify-burst", port, 2).await;
    let sink = SmtpSink::start(&h.dir.join("mails"));
    configure(&h, Some(sink.port));
    let address = format!("127.0.0.1:{port}");
    for n in 0..50 {
        h.zorgmail
            .add_message(ACCOUNT, GP, letter(GP, UNKNOWN, &format!("U{n}")));
    }
    let child = start_daemon(&h);
    api_up(&address).await;
    wait_until("50 unknown BSN", Duration::from_secs(60), || async {
        counts(&address).await["unknown_bsn"] == 50
    })
    .await;
    wait_until("a mail", Duration::from_secs(20), || async {
        !sink.mails().is_empty()
    })
    .await;
    a_few_rounds().await;
    let mails = sink.mails();
    assert_eq!(to_secretariat(&mails).len(), 1, "{mails:#?}");
    assert_eq!(mails.len(), 1, "{mails:#?}");
    let mail = &mails[0];
    assert!(mail.contains("Onbekende BSN"), "{mail}");
    assert!(
        mail.contains("https://portaal.zorggroep.example/berichten?tab=unknown_bsn"),
        "{mail}"
    );
    for private in [
        UNKNOWN,
        "Wolf",
        "Bruin",
        "Mevrouw",
        "spreekuur",
        "Lindelaan",
    ] {
        assert!(!mail.contains(private), "{private} in the mail: {mail}");
    }

    // A restart neither repeats the notice nor decides it anew.
    stop_daemon(child);
    let child = start_daemon(&h);
    api_up(&address).await;
    a_few_rounds().await;
    stop_daemon(child);
    assert_eq!(sink.mails().len(), 1, "{:#?}", sink.mails());
    let events = h.events();
    let of = |kind: &str| events.iter().filter(|e| e["type"] == kind).count();
    assert_eq!(of("NotificationDecided"), 1);
    assert_eq!(of("NotificationSent"), 1);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_mailbox_problem_gives_the_service_desk_one_mail_when_it_starts_and_one_when_it_ends() {
    ketenpost_adapters::tls::install_crypto_provider();
    let port = free_port();
    let h = Harness::start("notify-mailbox", port, 2).await;
    configure(&h, None);
    add_servicedesk_user(&h);
    let sink = SmtpSink::start(&h.dir.join("mails"));
    h.edit_config(|text| {
        text + &format!(
            "[smtp]\nhost = \"127.0.0.1\"\nport = {}\nsecurity = \"none\"\n\
             from = \"ketenpost <noreply@zorggroep.example>\"\n",
            sink.port
        )
    });
    let address = format!("127.0.0.1:{port}");
    let child = start_daemon(&h);
    api_up(&address).await;
    // Many polls in a row answered with HTTP 500, then the mailbox answers again.
    h.zorgmail.faults().soap_fault_next(30);
    harness::wait_for_mailbox_problem(
        &address,
        "lab-noordwest",
        "injected fault",
        Duration::from_secs(20),
    )
    .await;
    wait_until("the problem is over", Duration::from_secs(30), || async {
        harness::mailbox_problem(&address, "lab-noordwest")
            .await
            .is_none()
    })
    .await;
    // The end is told once the mailbox has answered for a minute.
    wait_until("two mails", Duration::from_secs(120), || async {
        sink.mails().len() >= 2
    })
    .await;
    a_few_rounds().await;
    stop_daemon(child);
    let mails = sink.mails();
    assert_eq!(mails.len(), 2, "{mails:#?}");
    assert!(mails
        .iter()
        .all(|m| m.contains("To: desk@leverancier.example")));
    assert!(
        mails[0].contains("Subject: ketenpost: probleem met postbus lab-noordwest"),
        "{}",
        mails[0]
    );
    assert!(
        mails[1].contains("Subject: ketenpost: postbus lab-noordwest werkt weer"),
        "{}",
        mails[1]
    );
}

/// Waits until `/metrics` shows a notice that could not be mailed.
async fn wait_for_a_failed_notice(address: &str) {
    wait_until(
        "a notice that could not be mailed",
        Duration::from_secs(30),
        || async {
            let text = metrics(address).await;
            text.contains("ketenpost_notifications_failing 1")
                && text.contains("ketenpost_notifications_pending 1")
        },
    )
    .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_notice_decided_while_the_smtp_server_is_down_arrives_once_when_it_is_up() {
    ketenpost_adapters::tls::install_crypto_provider();
    let port = free_port();
    let smtp_port = free_port();
    let h = Harness::start("notify-down", port, 2).await;
    configure(&h, Some(smtp_port));
    let address = format!("127.0.0.1:{port}");
    h.zorgmail
        .add_message(ACCOUNT, GP, letter(GP, UNKNOWN, "D1"));
    let child = start_daemon(&h);
    api_up(&address).await;
    wait_for_a_failed_notice(&address).await;

    let sink = SmtpSink::start_on(&h.dir.join("mails"), smtp_port);
    wait_until("the mail", Duration::from_secs(60), || async {
        !sink.mails().is_empty()
    })
    .await;
    wait_until("nothing pending", Duration::from_secs(20), || async {
        let text = metrics(&address).await;
        text.contains("ketenpost_notifications_pending 0")
            && text.contains("ketenpost_notifications_failing 0")
    })
    .await;
    a_few_rounds().await;
    stop_daemon(child);
    assert_eq!(sink.mails().len(), 1, "{:#?}", sink.mails());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_notice_decided_before_a_restart_and_not_sent_is_sent_once_after_it() {
    ketenpost_adapters::tls::install_crypto_provider();
    let port = free_port();
    let smtp_port = free_port();
    let h = Harness::start("notify-restart", port, 2).await;
    configure(&h, Some(smtp_port));
    let address = format!("127.0.0.1:{port}");
    h.zorgmail
        .add_message(ACCOUNT, GP, letter(GP, UNKNOWN, "R1"));
    let child = start_daemon(&h);
    api_up(&address).await;
    wait_for_a_failed_notice(&address).await;
    stop_daemon(child);
    let events = h.events();
    assert!(events.iter().any(|e| e["type"] == "NotificationDecided"));
    assert!(!events.iter().any(|e| e["type"] == "NotificationSent"));

    let sink = SmtpSink::start_on(&h.dir.join("mails"), smtp_port);
    let child = start_daemon(&h);
    api_up(&address).await;
    wait_until("the mail", Duration::from_secs(30), || async {
        !sink.mails().is_empty()
    })
    .await;
    a_few_rounds().await;
    stop_daemon(child);
    let mails = sink.mails();
    assert_eq!(mails.len(), 1, "{mails:#?}");
    assert!(mails[0].contains(&format!("To: {SECRETARIAT}")));
    let events = h.events();
    let of = |kind: &str| events.iter().filter(|e| e["type"] == kind).count();
    assert_eq!((of("NotificationDecided"), of("NotificationSent")), (1, 1));
}
