//! Stopping the `ketenpost run` process while a placement hangs at the record system: SIGTERM
//! and SIGINT stop pulling, wait for the work in hand no longer than `drain_timeout`, leave
//! what is still in hand for the next start (which places it once), close the log and exit 0;
//! a second signal during the drain leaves the work in hand at once.
#![allow(clippy::panic, clippy::unwrap_used, clippy::expect_used)]

mod harness;

use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::time::Duration;

use harness::process::{free_port, signal, wait_exit};
use harness::{counts, letter, wait_until, Harness, ACCOUNT, GP, KNOWN};

/// Far longer than a drain of 2 s takes, far shorter than the stalled upload (for ever) or the
/// record system's timeout (10 minutes): an exit before it means the drain timeout cut in.
const EXIT_DEADLINE: Duration = Duration::from_secs(20);

fn start_daemon(h: &Harness, log_file: &Path) -> Child {
    Command::new(env!("CARGO_BIN_EXE_ketenpost"))
        .args(["run", "--config"])
        .arg(&h.config)
        .env("RUST_LOG", "info")
        .env("KETENPOST_LOG_FORMAT", "json")
        .stdout(Stdio::null())
        .stderr(std::fs::File::create(log_file).unwrap())
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

/// A harness with one letter in the mailbox whose upload will hang, the record system's
/// timeout far beyond the test and the drain timeout `drain`.
async fn stalled_placement(name: &str, drain: &str) -> (Harness, String) {
    ketenpost_adapters::tls::install_crypto_provider();
    let port = free_port();
    let h = Harness::start(name, port, 3).await;
    h.ons.add_client(KNOWN, "Jan", "Wolf", "1988-06-21");
    h.zorgmail
        .add_message(ACCOUNT, GP, letter(GP, KNOWN, "STOP1"));
    h.ons.faults().stall_uploads(true);
    h.edit_config(|text| {
        text.replacen(
            "workers = 16\n",
            &format!("workers = 16\ndrain_timeout = \"{drain}\"\n"),
            1,
        )
        .replacen("timeout = \"5s\"", "timeout = \"10m\"", 1)
    });
    (h, format!("127.0.0.1:{port}"))
}

/// Starts the daemon and waits until its upload hangs at the record system.
async fn start_until_the_upload_hangs(h: &Harness, address: &str, log_file: &Path) -> Child {
    let child = start_daemon(h, log_file);
    api_up(address).await;
    wait_until("an upload hangs", Duration::from_secs(30), || async {
        h.ons.faults().stalled_uploads() > 0
    })
    .await;
    child
}

/// The log line saying how many messages were left for the next start.
fn left_for_the_next_start(log_file: &Path) -> serde_json::Value {
    let log = std::fs::read_to_string(log_file).unwrap();
    log.lines()
        .filter(|l| l.starts_with('{'))
        .map(|l| serde_json::from_str::<serde_json::Value>(l).unwrap())
        .find(|l| l["message"] == "messages left for the next start")
        .unwrap_or_else(|| panic!("no line saying what was left: {log}"))
}

/// After a stop that left the placement in hand: the next start places the message once.
async fn the_next_start_places_it_once(h: &Harness, address: &str) {
    h.ons.faults().stall_uploads(false);
    let log_file = h.dir.join("second-run.log");
    let mut child = start_daemon(h, &log_file);
    api_up(address).await;
    wait_until("the message is placed", Duration::from_secs(60), || async {
        counts(address).await["processed"] == 1
    })
    .await;
    signal(&child, "-TERM");
    assert!(wait_exit(&mut child, Duration::from_secs(60), "the second run").success());
    assert_eq!(h.ons.documents().len(), 1, "placed once");
    let placed = h
        .events()
        .iter()
        .filter(|e| e["type"] == "DocumentPlaced")
        .count();
    assert_eq!(placed, 1);
    assert!(h.zorgmail.remaining().is_empty());
}

/// Stops the daemon with `signal_name` while its upload hangs; the drain timeout (2 s) cuts
/// the wait, the exit is clean and the next start places the message.
async fn a_signal_during_a_hanging_placement(name: &str, signal_name: &str) {
    let (h, address) = stalled_placement(name, "2s").await;
    let log_file = h.dir.join("first-run.log");
    let mut child = start_until_the_upload_hangs(&h, &address, &log_file).await;

    signal(&child, signal_name);
    let status = wait_exit(&mut child, EXIT_DEADLINE, "the drain timeout is 2 s");
    assert!(status.success(), "{status:?}");
    let left = left_for_the_next_start(&log_file);
    assert_eq!(left["left"], 1, "{left}");
    assert!(h.ons.documents().is_empty());

    the_next_start_places_it_once(&h, &address).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sigterm_leaves_a_hanging_placement_after_the_drain_timeout_and_the_next_start_places_it() {
    a_signal_during_a_hanging_placement("stop-term", "-TERM").await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sigint_stops_like_sigterm() {
    a_signal_during_a_hanging_placement("stop-int", "-INT").await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_second_signal_during_the_drain_leaves_the_work_in_hand_at_once() {
    // A drain timeout longer than the test: only the second signal can end the drain.
    let (h, address) = stalled_placement("stop-twice", "1h").await;
    let log_file = h.dir.join("first-run.log");
    let mut child = start_until_the_upload_hangs(&h, &address, &log_file).await;

    signal(&child, "-TERM");
    wait_until("the drain begins", Duration::from_secs(30), || async {
        std::fs::read_to_string(&log_file)
            .unwrap()
            .contains("finishing the work in hand")
    })
    .await;
    signal(&child, "-INT");
    let status = wait_exit(&mut child, EXIT_DEADLINE, "a second signal ends the drain");
    assert!(status.success(), "{status:?}");
    assert_eq!(left_for_the_next_start(&log_file)["left"], 1);

    the_next_start_places_it_once(&h, &address).await;
}
