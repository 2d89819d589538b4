//! The daemon in-process against both stand-ins over real sockets: every category is reached,
//! placements carry labels, actions and visibility, a mailbox problem is visible and does not
//! lose messages, and an unknown-BSN message resent after its client was added is processed.
#![allow(clippy::panic, clippy::unwrap_used, clippy::expect_used)]

mod harness;

use std::time::Duration;

use harness::{
    call, counts, fixture, get, letter, mailbox_problem, message, timeline_types,
    wait_for_category, wait_for_mailbox_problem, wait_for_processed, wait_until, Harness, ACCOUNT,
    GP, LAB, TOKEN,
};
use ketenpost::config;
use ketenpost_fixtures::zorgmail::Operation;
use serde_json::Value;

const KNOWN: &str = "999990019";
const UNKNOWN: &str = "123456782";
const TWICE: &str = "111222333";

async fn message_in(address: &str, category: &str) -> Vec<Value> {
    let (status, page) = get(address, &format!("/api/v1/messages?category={category}")).await;
    assert_eq!(status, 200, "{page}");
    page["messages"].as_array().cloned().unwrap_or_default()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_category_is_reached_and_a_resend_after_registering_the_client_lands() {
    let h = Harness::start("categories", 0, 2).await;
    h.ons.add_client(KNOWN, "Jan", "Wolf", "1988-06-21");
    h.ons.add_client(TWICE, "Piet", "Een", "1950-01-01");
    h.ons.add_client(TWICE, "Piet", "Twee", "1950-01-01");
    // Processed: a letter from a listed sender and a lab report.
    h.zorgmail
        .add_message(ACCOUNT, GP, letter(GP, KNOWN, "IC1"));
    h.zorgmail
        .add_message(ACCOUNT, LAB, fixture("medlab_full.edi"));
    // Unsupported: a type not read, and a letter from a sender not listed.
    h.zorgmail.add_message(ACCOUNT, LAB, fixture("medrad.edi"));
    h.zorgmail
        .add_message(ACCOUNT, "500099999", letter("500099999", KNOWN, "IC2"));
    // Missing BSN.
    h.zorgmail
        .add_message(ACCOUNT, GP, fixture("medvri_bsn_missing.edi"));
    // Unknown BSN.
    h.zorgmail
        .add_message(ACCOUNT, GP, letter(GP, UNKNOWN, "IC3"));
    // Fallout: several clients with one BSN, and a malformed payload via the drop folder.
    h.zorgmail
        .add_message(ACCOUNT, GP, letter(GP, TWICE, "IC4"));
    std::fs::write(
        h.drop_folder.join("broken.edi"),
        fixture("malformed_truncated.edi"),
    )
    .unwrap();
    // A PDF on a route that places incoming PDFs names no client: missing BSN, for a person.
    std::fs::copy(
        std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../fixtures/messages/letter.pdf"),
        h.drop_folder.join("letter.pdf"),
    )
    .unwrap();

    let (running, address) = h.start_daemon().await;

    wait_until(
        "seven decided messages and the two dropped files",
        Duration::from_secs(30),
        || async {
            let c = counts(&address).await;
            let decided: i64 = [
                "processed",
                "unsupported",
                "missing_bsn",
                "unknown_bsn",
                "fallout",
            ]
            .iter()
            .map(|k| c[*k].as_i64().unwrap_or(0))
            .sum();
            decided == 9
        },
    )
    .await;
    let c = counts(&address).await;
    assert_eq!(
        (
            c["processed"].as_i64(),
            c["unsupported"].as_i64(),
            c["missing_bsn"].as_i64(),
            c["unknown_bsn"].as_i64(),
            c["fallout"].as_i64()
        ),
        (Some(2), Some(2), Some(2), Some(1), Some(2)),
        "{c}"
    );
    assert!(
        h.zorgmail.remaining().is_empty(),
        "every recorded message is deleted at the mailbox"
    );
    for name in ["broken.edi", "letter.pdf"] {
        assert!(
            h.drop_folder.join("done").join(name).exists(),
            "the recorded file {name} moves to done/"
        );
        assert!(!h.drop_folder.join(name).exists(), "{name} left the folder");
    }

    // What was placed carries the route's labels, actions and visibility, and the headers.
    let documents = h.ons.documents();
    assert_eq!(documents.len(), 2);
    for document in &documents {
        assert_eq!(document.right_selection.as_deref(), Some("Group"));
        assert_eq!(document.expertise_groups, [12]);
        assert_eq!(
            (
                document.user_name.as_str(),
                document.active_identity.as_str()
            ),
            ("Ketenverkeer", "ketenpost")
        );
        assert!(document.attachment.starts_with(b"%PDF"));
        assert!(document
            .file_name
            .as_deref()
            .unwrap()
            .starts_with("message-"));
    }
    assert!(documents
        .iter()
        .any(|d| d.tags == ["labuitslag"] && d.actions == ["SOG"]));
    assert!(documents
        .iter()
        .any(|d| d.tags == ["brief"] && d.actions == ["SOG", "Secretariaat"]));

    // The detail names mailbox, sender, type, category and reason, with the whole timeline.
    let unknown = message_in(&address, "unknown_bsn").await;
    let id = unknown[0]["stream"].as_str().unwrap().to_owned();
    let (status, detail) = get(&address, &format!("/api/v1/messages/{id}")).await;
    assert_eq!(status, 200);
    assert_eq!(detail["mailbox"], "lab-noordwest");
    assert_eq!(detail["sender"], GP);
    assert_eq!(detail["type"], "MEDVRI:1");
    assert_eq!(detail["category"], "unknown_bsn");
    assert!(
        detail["reason"].as_str().unwrap().contains("BSN"),
        "{detail}"
    );
    let types = timeline_types(&detail);
    assert_eq!(
        types,
        [
            "MessageReceived",
            "MessageParsed",
            "AwaitingDelivery",
            "MessageClassified"
        ]
    );
    let text = detail.to_string();
    assert!(
        !text.contains(UNKNOWN) && !text.contains("Wolf"),
        "no BSN or name in the detail: {text}"
    );

    // Processed messages are not resent; without the token nothing is shown.
    let processed = message_in(&address, "processed").await;
    let done_id = processed[0]["stream"].as_str().unwrap();
    let (status, _) = call(
        &address,
        reqwest::Method::POST,
        &format!("/api/v1/messages/{done_id}/resend"),
        Some(TOKEN),
    )
    .await;
    assert_eq!(status, 409);
    let (status, _) = call(&address, reqwest::Method::GET, "/api/v1/counts", None).await;
    assert_eq!(status, 401);
    let (status, _) = call(
        &address,
        reqwest::Method::GET,
        "/api/v1/counts",
        Some("wrong-token-0123456789"),
    )
    .await;
    assert_eq!(status, 401);

    // The client is registered; the secretary presses resend; the letter lands.
    h.ons.add_client(UNKNOWN, "Kees", "Nieuw", "1970-02-02");
    let (status, body) = call(
        &address,
        reqwest::Method::POST,
        &format!("/api/v1/messages/{id}/resend"),
        Some(TOKEN),
    )
    .await;
    assert_eq!(status, 202, "{body}");
    wait_for_category(
        &address,
        &id,
        "processed",
        "the resent message is processed",
    )
    .await;
    let detail = message(&address, &id).await;
    let types = timeline_types(&detail);
    assert!(
        types.iter().any(|t| t == "ResendRequested")
            && types.ends_with(&["DocumentPlaced".to_owned(), "MessageClassified".to_owned()]),
        "{types:?}"
    );
    assert_eq!(counts(&address).await["unknown_bsn"], 0);
    assert_eq!(h.ons.documents().len(), 3);

    // The record system fails beyond the budget: technical error, and nothing blocks others.
    h.ons.faults().unavailable_next_uploads(2);
    h.zorgmail
        .add_message(ACCOUNT, GP, letter(GP, KNOWN, "IC5"));
    wait_until("a technical error", Duration::from_secs(20), || async {
        counts(&address).await["technical_error"] == 1
    })
    .await;
    let failed = message_in(&address, "technical_error").await;
    assert!(
        failed[0]["reason"].as_str().unwrap().contains("2 pogingen"),
        "{}",
        failed[0]
    );

    // The mailbox refuses the password: a mailbox problem, visible, and no message lost.
    h.zorgmail.faults().reject_auth(true);
    h.zorgmail
        .add_message(ACCOUNT, GP, letter(GP, KNOWN, "IC6"));
    wait_for_mailbox_problem(&address, "lab-noordwest", "401", Duration::from_secs(10)).await;
    let (_, metrics) = call(&address, reqwest::Method::GET, "/metrics", None).await;
    let metrics = metrics.as_str().unwrap().to_owned();
    assert!(
        metrics.contains("ketenpost_mailbox_errors_total{mailbox=\"lab-noordwest\"}"),
        "{metrics}"
    );
    assert!(
        metrics.contains("ketenpost_messages{category=\"processed\"} 3"),
        "{metrics}"
    );
    assert!(
        metrics.contains("ketenpost_delivery_latency_seconds_count"),
        "{metrics}"
    );
    h.zorgmail.faults().reject_auth(false);
    wait_for_processed(&address, 4, Duration::from_secs(20)).await;

    running.stop().await.unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_upload_whose_answer_was_lost_is_found_by_reading_back_and_not_placed_twice() {
    let h = Harness::start("readback", 0, 5).await;
    h.ons.add_client(KNOWN, "Jan", "Wolf", "1988-06-21");
    h.ons.faults().drop_connection_after_next_uploads(3);
    for n in 0..3 {
        h.zorgmail
            .add_message(ACCOUNT, GP, letter(GP, KNOWN, &format!("IC{n}")));
    }
    let (running, address) = h.start_daemon().await;
    wait_for_processed(&address, 3, Duration::from_secs(30)).await;
    let documents = h.ons.documents();
    let mut names: Vec<_> = documents
        .iter()
        .map(|d| d.file_name.clone().unwrap())
        .collect();
    names.sort();
    names.dedup();
    assert_eq!(
        (documents.len(), names.len()),
        (3, 3),
        "no document placed twice"
    );
    let processed = message_in(&address, "processed").await;
    let id = processed[0]["stream"].as_str().unwrap();
    let detail = message(&address, id).await;
    assert_eq!(detail["placement"]["found_by_readback"], true, "{detail}");
    running.stop().await.unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_redelivered_id_is_only_deleted_and_soap_faults_are_mailbox_problems() {
    let h = Harness::start("redeliver", 0, 2).await;
    h.ons.add_client(KNOWN, "Jan", "Wolf", "1988-06-21");
    // The first Delete "succeeds" but the message stays: the next List shows it again.
    h.zorgmail.faults().redeliver_next_deletes(1);
    let id = h
        .zorgmail
        .add_message(ACCOUNT, GP, letter(GP, KNOWN, "IC1"));
    let (running, address) = h.start_daemon().await;
    wait_until("deleted twice", Duration::from_secs(20), || async {
        h.zorgmail.deleted_ids().len() >= 2 && h.zorgmail.remaining().is_empty()
    })
    .await;
    wait_for_processed(&address, 1, Duration::from_secs(20)).await;
    assert_eq!(
        h.zorgmail.retrieve_count(),
        1,
        "a recorded id is not retrieved again"
    );
    assert_eq!(h.zorgmail.deleted_ids(), [id.clone(), id]);
    assert_eq!(h.ons.documents().len(), 1);
    let (_, body) = get(&address, "/api/v1/counts").await;
    assert_eq!(body["mailboxes"]["lab-noordwest"]["received"], 1, "{body}");

    // A SOAP fault is the mailbox's problem, shown until a poll succeeds again.
    h.zorgmail.faults().soap_fault_next(3);
    wait_for_mailbox_problem(&address, "lab-noordwest", "fault", Duration::from_secs(10)).await;
    wait_until("the mailbox recovers", Duration::from_secs(10), || async {
        mailbox_problem(&address, "lab-noordwest").await.is_none()
    })
    .await;
    running.stop().await.unwrap();
}

/// The `/Count` of the page tree of a PDF ketenpost wrote (its fonts and colour profile make
/// even a one-page file some 20 KB, so sizes say little about length).
fn page_count(pdf: &[u8]) -> usize {
    let text = String::from_utf8_lossy(pdf);
    let after = text
        .split("/Type/Pages/Count ")
        .nth(1)
        .expect("a page tree with a count");
    after
        .split(|c: char| !c.is_ascii_digit())
        .next()
        .and_then(|n| n.parse().ok())
        .expect("a page count")
}

/// A letter of `lines` extra text lines (about 64 bytes each) after those of the fixture.
fn long_letter(lines: usize) -> String {
    let base = letter(GP, KNOWN, "IC7");
    let extra: String = (0..lines)
        .map(|n| {
            format!(
                "TXT:{}+Regel {n} van een lange brief met uitslagen en beleid, ter informatie.'\n",
                n + 8
            )
        })
        .collect();
    base.replacen("GGO+", &format!("{extra}GGO+"), 1)
        .replace("UNT+14+", &format!("UNT+{}+", 14 + lines))
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_letter_too_large_to_prepare_in_place_is_placed_like_a_short_one() {
    let h = Harness::start("long-letter", 0, 2).await;
    h.ons.add_client(KNOWN, "Jan", "Wolf", "1988-06-21");
    let long = long_letter(2_000);
    assert!(long.len() > 100 * 1024, "{} bytes", long.len());
    h.zorgmail.add_message(ACCOUNT, GP, long);
    h.zorgmail
        .add_message(ACCOUNT, GP, letter(GP, KNOWN, "IC8"));
    let (running, address) = h.start_daemon().await;
    wait_for_processed(&address, 2, Duration::from_secs(30)).await;
    let mut pages: Vec<usize> = h
        .ons
        .documents()
        .iter()
        .map(|d| {
            assert!(d.attachment.starts_with(b"%PDF"));
            page_count(&d.attachment)
        })
        .collect();
    pages.sort_unstable();
    assert_eq!(pages.len(), 2, "both letters placed once");
    assert!(
        pages[0] == 1 && pages[1] > 20,
        "the long letter runs to many pages: {pages:?}"
    );
    running.stop().await.unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_failed_delete_is_a_mailbox_problem_and_the_next_poll_only_deletes() {
    let h = Harness::start("failed-delete", 0, 2).await;
    h.ons.add_client(KNOWN, "Jan", "Wolf", "1988-06-21");
    // The first Delete answers a SOAP fault: the message is recorded but stays in the mailbox.
    h.zorgmail
        .faults()
        .soap_fault_next_for(Operation::Delete, 1);
    let first = h
        .zorgmail
        .add_message(ACCOUNT, GP, letter(GP, KNOWN, "IC1"));
    let second = h
        .zorgmail
        .add_message(ACCOUNT, GP, letter(GP, KNOWN, "IC2"));
    let (running, address) = h.start_daemon().await;
    // The problem shows until the next poll deletes the message: the counter keeps it.
    wait_until(
        "a mailbox error counted",
        Duration::from_secs(10),
        || async {
            let (_, metrics) = call(&address, reqwest::Method::GET, "/metrics", None).await;
            let errors = "ketenpost_mailbox_errors_total{mailbox=\"lab-noordwest\"} ";
            metrics.as_str().is_some_and(|m| {
                m.lines()
                    .find_map(|line| line.strip_prefix(errors)?.trim().parse::<f64>().ok())
                    .is_some_and(|n| n >= 1.0)
            })
        },
    )
    .await;
    wait_until("the mailbox is empty", Duration::from_secs(20), || async {
        h.zorgmail.remaining().is_empty()
    })
    .await;
    wait_for_processed(&address, 2, Duration::from_secs(20)).await;
    assert_eq!(
        h.zorgmail.retrieve_count(),
        2,
        "a recorded id is not retrieved again"
    );
    let mut deleted = h.zorgmail.deleted_ids();
    deleted.sort();
    let mut expected = vec![first, second];
    expected.sort();
    assert_eq!(
        deleted, expected,
        "each message deleted once it was recorded"
    );
    assert_eq!(h.ons.documents().len(), 2, "each letter placed once");
    wait_until(
        "the mailbox problem clears",
        Duration::from_secs(10),
        || async { mailbox_problem(&address, "lab-noordwest").await.is_none() },
    )
    .await;
    running.stop().await.unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_https_mailbox_is_verified_against_its_ca_and_an_untrusted_one_is_a_mailbox_problem() {
    let h = Harness::start_https("https").await;
    assert!(h.zorgmail.endpoint_url().starts_with("https://"));
    h.ons.add_client(KNOWN, "Jan", "Wolf", "1988-06-21");
    let id = h
        .zorgmail
        .add_message(ACCOUNT, GP, letter(GP, KNOWN, "IC1"));

    // With the system's trust roots the test CA is unknown: nothing is taken or deleted.
    let mut settings = ketenpost::config::load(Some(&h.config)).unwrap();
    for mailbox in &mut settings.mailboxes {
        if let ketenpost::config::MailboxKind::ZorgMail(config) = &mut mailbox.kind {
            config.ca_cert = None;
        }
    }
    let running = ketenpost::service::start(settings).await.unwrap();
    let address = running.api_address.to_string();
    wait_for_mailbox_problem(
        &address,
        "lab-noordwest",
        "certificate",
        Duration::from_secs(20),
    )
    .await;
    running.stop().await.unwrap();
    assert_eq!(h.zorgmail.retrieve_count(), 0);
    assert_eq!(h.zorgmail.remaining(), std::slice::from_ref(&id));

    // With the mailbox's ca_cert the same endpoint is trusted, and the letter is placed.
    let (running, address) = h.start_daemon().await;
    wait_for_processed(&address, 1, Duration::from_secs(20)).await;
    running.stop().await.unwrap();
    assert_eq!(h.zorgmail.deleted_ids(), [id]);
    assert_eq!(h.ons.documents().len(), 1);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sealed_secrets_open_with_the_data_key_and_another_key_is_a_config_error() {
    use ketenpost_adapters::event_log::load_or_create_key;
    use ketenpost_adapters::sealed::seal;
    let h = Harness::start("sealed", 0, 2).await;
    h.ons.add_client(KNOWN, "Jan", "Wolf", "1988-06-21");
    let key = load_or_create_key(&h.data().join("data.key")).unwrap();
    let certs = h.dir.join("certs");
    let pem = std::fs::read(certs.join("client.key")).unwrap();
    std::fs::write(certs.join("client.key.sealed"), seal(&key, &pem).unwrap()).unwrap();
    let text = h.edit_config(|text| {
        text.replace(
            "password = \"secret-pw\"",
            &format!("password = \"{}\"", seal(&key, b"secret-pw").unwrap()),
        )
        .replace("client.key\"", "client.key.sealed\"")
    });
    assert!(!text.contains("secret-pw"));

    h.zorgmail
        .add_message(ACCOUNT, GP, letter(GP, KNOWN, "IC1"));
    let (running, address) = h.start_daemon().await;
    wait_for_processed(&address, 1, Duration::from_secs(20)).await;
    running.stop().await.unwrap();

    // Another data key does not open them: a problem naming the key, not a start.
    let other = h.dir.join("other.key");
    load_or_create_key(&other).unwrap();
    std::fs::write(
        &h.config,
        format!("key_file = \"{}\"\n{text}", other.display()),
    )
    .unwrap();
    let error = config::load(Some(&h.config)).unwrap_err().to_string();
    assert!(error.contains("mailboxes[0].password"), "{error}");
    assert!(error.contains("does not open"), "{error}");
}

/// The message awaiting delivery whose timeline has a failed attempt, if there is one.
async fn failed_once(address: &str) -> Option<String> {
    let waiting = message_in(address, "awaiting_delivery").await;
    let id = waiting.first()?["stream"].as_str()?.to_owned();
    let detail = message(address, &id).await;
    detail["timeline"]
        .as_array()?
        .iter()
        .any(|e| e["type"] == "DeliveryFailed")
        .then_some(id)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_pending_retry_survives_a_restart() {
    let h = Harness::start("retry-restart", 0, 5).await;
    h.edit_config(|text| {
        text.replace("first_delay = \"50ms\"", "first_delay = \"2s\"")
            .replace("max_delay = \"200ms\"", "max_delay = \"2s\"")
    });
    h.ons.add_client(KNOWN, "Jan", "Wolf", "1988-06-21");
    h.ons.faults().unavailable_next_uploads(1);
    h.zorgmail
        .add_message(ACCOUNT, GP, letter(GP, KNOWN, "IC1"));

    let (running, address) = h.start_daemon().await;
    let started = std::time::Instant::now();
    let id = loop {
        if let Some(id) = failed_once(&address).await {
            break id;
        }
        assert!(
            started.elapsed() < Duration::from_secs(20),
            "no failed attempt recorded"
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
    };
    // Stopped while the retry waits for its time; nothing is placed yet.
    running.stop().await.unwrap();
    assert!(h.ons.documents().is_empty());

    let (running, address) = h.start_daemon().await;
    wait_for_category(
        &address,
        &id,
        "processed",
        "the retry after the restart places it",
    )
    .await;
    assert_eq!(h.ons.documents().len(), 1);
    running.stop().await.unwrap();
}

#[tokio::test]
async fn a_type_without_visibility_is_a_configuration_error_naming_the_key() {
    let h = Harness::start("novisibility", 0, 2).await;
    let text = std::fs::read_to_string(&h.config).unwrap();
    let broken = text.replacen("right_selection = \"Group\"\n", "", 1);
    std::fs::write(&h.config, broken).unwrap();
    let error = config::load(Some(&h.config)).unwrap_err().to_string();
    assert!(
        error.contains("routes.ons.types.MEDVRI.right_selection is missing"),
        "{error}"
    );
    let text = text.replace("token = \"test-token-0123456789abcdef\"\n", "");
    std::fs::write(&h.config, text).unwrap();
    let error = config::load(Some(&h.config)).unwrap_err().to_string();
    assert!(error.contains("api.token is missing"), "{error}");
    assert!(!error.contains("secret-pw"));

    let https = Harness::start_https("missingca").await;
    let text = std::fs::read_to_string(&https.config).unwrap();
    let broken = text.replacen(
        "certs/ca.crt\"\n[[mailboxes]]",
        "certs/gone.crt\"\n[[mailboxes]]",
        1,
    );
    assert_ne!(
        broken, text,
        "the mailbox's ca_cert line is where the test expects it"
    );
    std::fs::write(&https.config, broken).unwrap();
    let error = config::load(Some(&https.config)).unwrap_err().to_string();
    assert!(
        error.contains("mailboxes[0].ca_cert") && error.contains("gone.crt: no such file"),
        "{error}"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_message_over_the_size_limit_stays_where_it_is_and_the_others_go_on() {
    let h = Harness::start("too-large", 0, 2).await;
    h.ons.add_client(KNOWN, "Jan", "Wolf", "1988-06-21");
    let first = h
        .zorgmail
        .add_message(ACCOUNT, GP, letter(GP, KNOWN, "IC1"));
    let huge = h
        .zorgmail
        .add_message(ACCOUNT, GP, vec![b'x'; 2 * 1024 * 1024]);
    let last = h
        .zorgmail
        .add_message(ACCOUNT, GP, letter(GP, KNOWN, "IC2"));
    std::fs::write(h.drop_folder.join("huge.edi"), vec![b'x'; 2 * 1024 * 1024]).unwrap();
    std::fs::write(h.drop_folder.join("letter.edi"), letter(GP, KNOWN, "IC3")).unwrap();
    h.edit_config(|text| {
        text.replace(
            "route = \"ons\"\n",
            "route = \"ons\"\nmax_message_mib = 1\n",
        )
    });

    let (running, address) = h.start_daemon().await;
    wait_for_processed(&address, 3, Duration::from_secs(30)).await;
    wait_for_mailbox_problem(
        &address,
        "lab-noordwest",
        &format!("message {huge:?}"),
        Duration::from_secs(20),
    )
    .await;
    wait_for_mailbox_problem(&address, "drop", "larger than", Duration::from_secs(20)).await;
    let problem = mailbox_problem(&address, "lab-noordwest").await.unwrap();
    assert!(problem.contains("1 MiB"), "{problem}");
    running.stop().await.unwrap();

    assert_eq!(
        h.zorgmail.remaining(),
        [huge],
        "the large message stays in the mailbox"
    );
    let mut deleted = h.zorgmail.deleted_ids();
    deleted.sort();
    let mut expected = vec![first, last];
    expected.sort();
    assert_eq!(deleted, expected);
    assert!(
        h.drop_folder.join("huge.edi").exists(),
        "the large file stays"
    );
    assert!(h.drop_folder.join("done/letter.edi").exists());
    assert_eq!(h.ons.documents().len(), 3);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_size_limit_out_of_range_is_a_config_error_naming_the_key() {
    let h = Harness::start("size-limit-config", 0, 2).await;
    h.edit_config(|text| {
        text.replacen(
            "route = \"ons\"\n",
            "route = \"ons\"\nmax_message_mib = 0\n",
            1,
        )
    });
    let error = config::load(Some(&h.config)).unwrap_err().to_string();
    assert!(
        error.contains("mailboxes[0].max_message_mib = 0"),
        "{error}"
    );
}
