//! The daemon against a hostile Ons (the stand-in's hostile switches): a lookup answered for
//! another BSN is never placed, a document stored in error is not a placement, a refusal of
//! ketenpost itself (403) is a technical error shown in health and placed after a resend,
//! odd and long client ids stay exact and inside their URL, and what Ons' error bodies echo
//! (a BSN, a name) appears in no log line, no event and no API answer.
#![allow(clippy::panic, clippy::unwrap_used, clippy::expect_used)]

mod harness;

use std::process::{Command, Stdio};
use std::time::Duration;

use harness::process::free_port;
use harness::{
    call, counts, get, ids_in, letter, message, wait_for_category, wait_until, Harness, ACCOUNT,
    GP, TOKEN,
};
use serde_json::Value;

const KNOWN: &str = "999990019";
const OTHER: &str = "123456782";
/// What a hostile Ons echoes in its error bodies: the letter's own BSN and patient name.
const ECHO: &str = "bsn=999990019 (Wolf, JH)";

/// Waits for `n` messages in `category` and returns their ids.
async fn wait_for_n(address: &str, category: &str, n: usize) -> Vec<String> {
    let what = format!("{n} messages in {category}");
    wait_until(&what, Duration::from_secs(30), || async {
        ids_in(address, category).await.len() == n
    })
    .await;
    ids_in(address, category).await
}

async fn resend(address: &str, id: &str) -> u16 {
    let path = format!("/api/v1/messages/{id}/resend");
    call(address, reqwest::Method::POST, &path, Some(TOKEN))
        .await
        .0
}

async fn reason(address: &str, id: &str) -> String {
    message(address, id).await["reason"]
        .as_str()
        .unwrap_or_default()
        .to_owned()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_lookup_answered_for_another_bsn_is_never_placed_and_one_without_a_bsn_is() {
    let h = Harness::start("hostile-bsn", 0, 2).await;
    let right = h.ons.add_client(KNOWN, "Jan", "Wolf", "1988-06-21");
    let wrong = h.ons.add_client(OTHER, "Kees", "Ander", "1970-02-02");
    h.ons.faults().lookup_answer(Some(&format!(
        r#"{{"id": {wrong}, "bsn": "{OTHER}", "firstName": "Kees", "dateOfBirth": "1970-02-02"}}"#
    )));
    h.zorgmail
        .add_message(ACCOUNT, GP, letter(GP, KNOWN, "IC1"));
    let (running, address) = h.start_daemon().await;

    let id = wait_for_n(&address, "technical_error", 1).await.remove(0);
    assert!(
        h.ons.documents().is_empty(),
        "nothing placed in the other client's record"
    );
    assert!(reason(&address, &id).await.contains("2 pogingen"));

    // Ons answers without a BSN (the spec promises only id, names and date of birth): the
    // answer to the question asked, and the letter is placed in that client's record.
    h.ons.faults().lookup_answer(Some(&format!(
        r#"{{"id": {right}, "firstName": "Jan", "dateOfBirth": "1988-06-21"}}"#
    )));
    assert_eq!(resend(&address, &id).await, 202);
    wait_for_category(&address, &id, "processed", "placed after the resend").await;
    let documents = h.ons.documents();
    assert_eq!(documents.len(), 1);
    assert_eq!(documents[0].client_id, right);
    running.stop().await.unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_document_stored_in_error_is_not_a_placement_and_the_message_can_be_resent() {
    let h = Harness::start("hostile-status5", 0, 2).await;
    h.ons.add_client(KNOWN, "Jan", "Wolf", "1988-06-21");
    // Both attempts are stored with status 5 (Error); the read-back before the second upload
    // lists the first with status 5.
    h.ons.faults().error_status_next_uploads(2);
    h.zorgmail
        .add_message(ACCOUNT, GP, letter(GP, KNOWN, "IC1"));
    let (running, address) = h.start_daemon().await;

    let id = wait_for_n(&address, "technical_error", 1).await.remove(0);
    let statuses: Vec<u8> = h.ons.documents().iter().map(|d| d.status).collect();
    assert_eq!(statuses, [5, 5], "two uploads, both in error");
    assert_eq!(
        resend(&address, &id).await,
        202,
        "a message not placed can be resent"
    );
    wait_for_category(&address, &id, "processed", "placed after the resend").await;
    let documents = h.ons.documents();
    let stored: Vec<_> = documents.iter().filter(|d| d.status == 2).collect();
    assert_eq!(stored.len(), 1, "one document stored");
    let detail = message(&address, &id).await;
    assert_eq!(
        detail["placement"]["document_id"],
        stored[0].id.to_string(),
        "the placement names the stored document: {detail}"
    );
    running.stop().await.unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_refusal_of_ketenpost_is_a_technical_error_in_health_and_placed_after_a_resend() {
    let h = Harness::start("hostile-403", 0, 2).await;
    h.ons.add_client(KNOWN, "Jan", "Wolf", "1988-06-21");
    let (running, address) = h.start_daemon().await;

    // The certificate is no longer accepted: every call 403.
    h.ons.faults().refuse_all(true);
    h.zorgmail
        .add_message(ACCOUNT, GP, letter(GP, KNOWN, "IC1"));
    let lookup = wait_for_n(&address, "technical_error", 1).await.remove(0);
    let text = reason(&address, &lookup).await;
    assert!(
        text.contains("het opzoeken van de cliënt") && text.contains("HTTP-statuscode 403"),
        "{text}"
    );
    let (_, body) = get(&address, "/api/v1/counts").await;
    let problem = body["record_systems"]["ons"]["problem"]
        .as_str()
        .unwrap_or_default();
    assert!(
        problem.contains("403") && problem.contains("lookup"),
        "{body}"
    );
    let (_, metrics) = call(&address, reqwest::Method::GET, "/metrics", None).await;
    let metrics = metrics.as_str().unwrap().to_owned();
    assert!(
        metrics.contains("ketenpost_record_system_refused{record_system=\"ons\"} 1"),
        "{metrics}"
    );
    assert!(
        metrics.contains(
            "ketenpost_record_system_refusals_total{record_system=\"ons\",call=\"lookup\"} 2"
        ),
        "{metrics}"
    );

    // Only the uploads are refused.
    h.ons.faults().refuse_all(false);
    h.ons.faults().refuse_next_uploads(2);
    h.zorgmail
        .add_message(ACCOUNT, GP, letter(GP, KNOWN, "IC2"));
    let both = wait_for_n(&address, "technical_error", 2).await;
    let upload = both.iter().find(|id| **id != lookup).unwrap().clone();
    let text = reason(&address, &upload).await;
    assert!(text.contains("het plaatsen van het document"), "{text}");

    // The upload lands but its answer is lost; the read-back is refused.
    h.ons.faults().drop_connection_after_next_uploads(1);
    h.ons.faults().refuse_next_lists(1);
    h.zorgmail
        .add_message(ACCOUNT, GP, letter(GP, KNOWN, "IC3"));
    let all = wait_for_n(&address, "technical_error", 3).await;
    let list = all
        .iter()
        .find(|id| **id != lookup && **id != upload)
        .unwrap()
        .clone();
    let text = reason(&address, &list).await;
    assert!(text.contains("het opvragen van de documenten"), "{text}");
    assert_eq!(counts(&address).await["fallout"], 0, "nothing to fallout");
    assert_eq!(
        h.ons.documents().len(),
        1,
        "only the upload whose answer was lost"
    );

    // The operator fixes access and resends: each placed once.
    for id in [&lookup, &upload, &list] {
        assert_eq!(resend(&address, id).await, 202);
    }
    for id in [&lookup, &upload, &list] {
        wait_for_category(&address, id, "processed", "placed after the resend").await;
    }
    assert_eq!(h.ons.documents().len(), 3, "no document placed twice");
    assert_eq!(
        message(&address, &list).await["placement"]["found_by_readback"],
        true
    );
    let (_, body) = get(&address, "/api/v1/counts").await;
    assert!(body["record_systems"]["ons"]["problem"].is_null(), "{body}");
    running.stop().await.unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn client_ids_stay_inside_their_url_and_exact_beyond_64_bits() {
    let h = Harness::start("hostile-ids", 0, 2).await;
    h.ons.add_client(KNOWN, "Jan", "Wolf", "1988-06-21");
    h.ons
        .faults()
        .lookup_answer(Some(&format!(r#"{{"id": "..", "bsn": "{KNOWN}"}}"#)));
    h.zorgmail
        .add_message(ACCOUNT, GP, letter(GP, KNOWN, "IC1"));
    let (running, address) = h.start_daemon().await;
    let id = wait_for_n(&address, "technical_error", 1).await.remove(0);
    let paths = h.ons.request_paths();
    assert!(
        paths
            .iter()
            .all(|p| p.starts_with("GET /v0/administration/clients/by_bsn")),
        "only lookups: an id of .. names no path: {paths:?}"
    );

    let big = "123456789012345678901234567890";
    h.ons
        .faults()
        .lookup_answer(Some(&format!(r#"{{"id": {big}, "bsn": "{KNOWN}"}}"#)));
    assert_eq!(resend(&address, &id).await, 202);
    let wanted = format!("POST /v0/administration/clients/{big}/documents");
    wait_until(
        "an upload to the exact client id",
        Duration::from_secs(20),
        || async { h.ons.request_paths().contains(&wanted) },
    )
    .await;
    assert!(
        h.ons
            .request_paths()
            .iter()
            .filter(|p| p.starts_with("POST"))
            .all(|p| *p == wanted),
        "{:?}",
        h.ons.request_paths()
    );
    running.stop().await.unwrap();
}

/// Every file under `dir`, read whole.
fn files(dir: &std::path::Path) -> Vec<(std::path::PathBuf, Vec<u8>)> {
    let mut found = Vec::new();
    for entry in std::fs::read_dir(dir).unwrap() {
        let path = entry.unwrap().path();
        if path.is_dir() {
            found.extend(files(&path));
        } else {
            found.push((path.clone(), std::fs::read(&path).unwrap()));
        }
    }
    found
}

fn leaks(text: &str) -> bool {
    text.contains("999990019") || text.contains("Wolf")
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn what_ons_error_bodies_echo_is_in_no_log_event_or_api_answer() {
    ketenpost_adapters::tls::install_crypto_provider();
    let port = free_port();
    let h = Harness::start("hostile-echo", port, 2).await;
    let address = format!("127.0.0.1:{port}");
    h.ons.add_client(KNOWN, "Jan", "Wolf", "1988-06-21");
    let faults = h.ons.faults();
    faults.error_body(Some(ECHO));
    faults.unavailable_next_uploads(1);
    faults.reject_next_uploads(1);
    faults.refuse_next_lookups(2);
    for n in 0..3 {
        h.zorgmail
            .add_message(ACCOUNT, GP, letter(GP, KNOWN, &format!("IC{n}")));
    }
    let stderr = h.dir.join("stderr.log");
    let mut child = Command::new(env!("CARGO_BIN_EXE_ketenpost"))
        .args(["run", "--config"])
        .arg(&h.config)
        .env("RUST_LOG", "info,ketenpost=debug")
        .stdout(Stdio::null())
        .stderr(std::fs::File::create(&stderr).unwrap())
        .spawn()
        .unwrap();
    wait_until(
        "every message decided after echoing errors",
        Duration::from_secs(60),
        || async {
            let answer = reqwest::Client::new()
                .get(format!("http://{address}/api/v1/counts"))
                .bearer_auth(TOKEN)
                .send()
                .await;
            let Ok(answer) = answer else { return false };
            let Ok(text) = answer.text().await else {
                return false;
            };
            let Ok(body) = serde_json::from_str::<Value>(&text) else {
                return false;
            };
            let c = &body["counts"];
            ["processed", "fallout", "technical_error"]
                .iter()
                .map(|k| c[*k].as_i64().unwrap_or(0))
                .sum::<i64>()
                == 3
        },
    )
    .await;
    let c = counts(&address).await;
    let mut details = Vec::new();
    for category in ["processed", "fallout", "technical_error"] {
        for id in ids_in(&address, category).await {
            details.push(message(&address, &id).await.to_string());
        }
    }
    let (_, all_counts) = get(&address, "/api/v1/counts").await;
    let status = Command::new("sh")
        .args(["-c", &format!("kill -TERM {}", child.id())])
        .status()
        .unwrap();
    assert!(status.success());
    assert!(child.wait().unwrap().success());
    assert!(
        h.ons.request_count() > 3,
        "the daemon met the errors it was meant to meet"
    );

    for detail in &details {
        assert!(!leaks(detail), "the API's message detail leaks: {detail}");
    }
    assert!(!leaks(&all_counts.to_string()), "{all_counts}");
    let log = std::fs::read_to_string(&stderr).unwrap();
    assert!(log.contains("delivery attempt failed"), "{log}");
    assert!(!leaks(&log), "the log leaks:\n{log}");
    let events = Command::new(env!("CARGO_BIN_EXE_ketenpost"))
        .args(["events", "--data"])
        .arg(h.data())
        .output()
        .unwrap();
    assert!(events.status.success());
    let events = String::from_utf8_lossy(&events.stdout);
    assert!(events.contains("DeliveryFailed"), "{events}");
    assert!(!leaks(&events), "the event log leaks:\n{events}");
    for (path, bytes) in files(&h.data()) {
        let text = String::from_utf8_lossy(&bytes);
        assert!(!leaks(&text), "{} leaks", path.display());
    }
    assert_eq!(c["fallout"], 1, "the upload answered 400 is fallout: {c}");
}
