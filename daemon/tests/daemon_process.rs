//! The `ketenpost run` process against both stand-ins: 2,000 messages with the daemon killed
//! (-9) and restarted several times end with every message the mailbox deleted in the log,
//! every message in exactly one category and no document placed twice; SIGTERM lets the work
//! in hand finish and exits 0.
#![allow(clippy::panic, clippy::unwrap_used, clippy::expect_used)]

mod harness;

use std::collections::{BTreeMap, BTreeSet};
use std::process::{Child, Command, Stdio};
use std::time::Duration;

use harness::process::{free_port, signal, wait_exit};
use harness::{counts, letter, wait_until, Harness, ACCOUNT, GP};

fn start_daemon(h: &Harness) -> Child {
    start_daemon_logging(h, Stdio::null(), "warn")
}

fn start_daemon_logging(h: &Harness, stderr: Stdio, level: &str) -> Child {
    Command::new(env!("CARGO_BIN_EXE_ketenpost"))
        .args(["run", "--config"])
        .arg(&h.config)
        .env("RUST_LOG", level)
        .env("KETENPOST_LOG_FORMAT", "json")
        .stdout(Stdio::null())
        .stderr(stderr)
        .spawn()
        .unwrap()
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

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn two_thousand_messages_survive_kill_9_restarts_without_loss_or_double_placement() {
    ketenpost_adapters::tls::install_crypto_provider();
    let port = free_port();
    let h = Harness::start("kill9", port, 20).await;
    let address = format!("127.0.0.1:{port}");
    h.ons.add_client("999990019", "Jan", "Wolf", "1988-06-21");
    let total = 2000;
    for n in 0..total {
        // One in ten has a BSN the record system does not know.
        let bsn = if n % 10 == 0 {
            "123456782"
        } else {
            "999990019"
        };
        h.zorgmail
            .add_message(ACCOUNT, GP, letter(GP, bsn, &format!("K{n}")));
    }
    // Some uploads land but their answer is lost, some are refused with 503.
    h.ons.faults().drop_connection_after_next_uploads(20);
    h.ons.faults().unavailable_next_uploads(20);

    let mut seed = 0x2545_f491_u64;
    for cycle in 0..5 {
        let mut child = start_daemon(&h);
        api_up(&address).await;
        seed ^= seed << 13;
        seed ^= seed >> 7;
        seed ^= seed << 17;
        tokio::time::sleep(Duration::from_millis(300 + seed % 1200)).await;
        signal(&child, "-KILL");
        wait_exit(&mut child, Duration::from_secs(10), "after kill -9");
        eprintln!(
            "cycle {cycle}: killed with {} messages left in the mailbox",
            h.zorgmail.remaining().len()
        );
    }
    let mut child = start_daemon(&h);
    api_up(&address).await;
    wait_until(
        "every message decided",
        Duration::from_secs(300),
        || async {
            let c = counts(&address).await;
            h.zorgmail.remaining().is_empty()
                && c["in_flight"] == 0
                && c["awaiting_delivery"] == 0
                && c["processed"].as_i64().unwrap_or(0) + c["unknown_bsn"].as_i64().unwrap_or(0)
                    == total
        },
    )
    .await;
    let c = counts(&address).await;
    signal(&child, "-TERM");
    assert!(wait_exit(&mut child, Duration::from_secs(60), "after SIGTERM").success());

    // Every id the mailbox deleted is in the log.
    let events = h.events();
    let received: BTreeSet<String> = events
        .iter()
        .filter(|e| e["type"] == "MessageReceived")
        .map(|e| {
            e["summary"]
                .as_str()
                .unwrap()
                .split("remote id ")
                .nth(1)
                .unwrap()
                .split(')')
                .next()
                .unwrap()
                .to_owned()
        })
        .collect();
    let deleted: BTreeSet<String> = h.zorgmail.deleted_ids().into_iter().collect();
    assert_eq!(deleted.len(), total as usize);
    assert!(deleted.is_subset(&received), "every deleted id is recorded");
    assert_eq!(received.len(), total as usize, "each message recorded once");

    // Every message in exactly one category: the last classification of each stream.
    let mut last: BTreeMap<String, String> = BTreeMap::new();
    for e in events.iter().filter(|e| e["type"] == "MessageClassified") {
        last.insert(
            e["stream"].as_str().unwrap().to_owned(),
            e["summary"].as_str().unwrap().to_owned(),
        );
    }
    assert_eq!(last.len(), total as usize);
    assert_eq!(c["processed"], 1800, "{c}");
    assert_eq!(c["unknown_bsn"], 200, "{c}");

    // No document placed twice.
    let documents = h.ons.documents();
    let names: BTreeSet<_> = documents
        .iter()
        .map(|d| d.file_name.clone().unwrap())
        .collect();
    assert_eq!(names.len(), documents.len(), "no document placed twice");
    assert_eq!(documents.len(), 1800);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sigterm_finishes_the_work_in_hand_and_exits_0() {
    ketenpost_adapters::tls::install_crypto_provider();
    let port = free_port();
    let h = Harness::start("sigterm", port, 3).await;
    let address = format!("127.0.0.1:{port}");
    h.ons.add_client("999990019", "Jan", "Wolf", "1988-06-21");
    // Slow answers keep uploads in hand when the signal comes.
    h.ons.faults().delay(Duration::from_millis(400));
    for n in 0..20 {
        h.zorgmail
            .add_message(ACCOUNT, GP, letter(GP, "999990019", &format!("T{n}")));
    }
    let log_file = h.dir.join("daemon.log");
    let mut child = start_daemon_logging(
        &h,
        std::fs::File::create(&log_file).unwrap().into(),
        "debug",
    );
    api_up(&address).await;
    wait_until("uploads under way", Duration::from_secs(30), || async {
        h.ons.request_count() > 0
    })
    .await;
    signal(&child, "-TERM");
    let status = wait_exit(&mut child, Duration::from_secs(60), "after SIGTERM");
    assert!(status.success(), "{status:?}");
    // Nothing was left half-done: every upload that started was answered and recorded.
    let events = h.events();
    let attempted = events
        .iter()
        .filter(|e| e["type"] == "DeliveryAttempted")
        .count();
    let placed = events
        .iter()
        .filter(|e| e["type"] == "DocumentPlaced")
        .count();
    assert!(attempted > 0);
    assert_eq!(
        attempted, placed,
        "every upload in hand finished before the exit"
    );
    assert_eq!(h.ons.documents().len(), placed);

    // Log lines are JSON lines on request, and never carry a BSN, a name or letter text.
    let log = std::fs::read_to_string(&log_file).unwrap();
    let lines: Vec<&str> = log.lines().filter(|l| l.starts_with('{')).collect();
    assert!(lines.len() > 5, "{log}");
    for line in &lines {
        serde_json::from_str::<serde_json::Value>(line).unwrap();
    }
    for private in ["999990019", "Wolf", "Bruin", "secret-pw", harness::TOKEN] {
        assert!(!log.contains(private), "{private:?} appears in the log");
    }
    assert!(log.contains("placed"), "{log}");
}
