//! Configuration as events: the file's routing sections become version 1 at the first start,
//! with their secrets sealed; from then on the log's version is in force (a file that differs
//! does not change what the daemon does); `ketenpost config export` writes the version in
//! force as TOML, secrets sealed; every classification names the version that decided it.

#![allow(clippy::panic, clippy::unwrap_used, clippy::expect_used)]

mod harness;

use std::process::Command;
use std::time::Duration;

use harness::process::{free_port, signal, wait_exit};
use harness::{letter, wait_for_processed, wait_until, Harness, ACCOUNT, GP, KNOWN};
use ketenpost_adapters::event_log::{DiskEventLog, LogOptions};
use ketenpost_domain::events::{Event, StreamId};
use ketenpost_domain::ports::EventLog;

/// The daemon process, killed when the test ends however it ends.
struct Daemon(std::process::Child);

impl Drop for Daemon {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

fn export(h: &Harness) -> String {
    let output = Command::new(env!("CARGO_BIN_EXE_ketenpost"))
        .args(["config", "export", "--data"])
        .arg(h.data())
        .output()
        .unwrap();
    assert!(
        output.status.success(),
        "{}",
        String::from_utf8_lossy(&output.stderr)
    );
    String::from_utf8(output.stdout).unwrap()
}

/// Every `MessageClassified` in the log with the configuration version it names.
fn classified_versions(h: &Harness) -> Vec<Option<u64>> {
    let log = DiskEventLog::open(&LogOptions::new(&h.data())).unwrap();
    let mut versions = Vec::new();
    for event in log.read_all(0, 100_000).unwrap() {
        if let Event::MessageClassified(c) = event.event {
            versions.push(c.config_version);
        }
    }
    let configuration = log
        .read_stream(&StreamId::parse("configuration").unwrap())
        .unwrap();
    assert_eq!(
        configuration.len(),
        3,
        "version 1 proposed, approved, activated"
    );
    log.close();
    versions
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_file_is_version_1_then_the_logs_version_is_in_force_and_exported_sealed() {
    ketenpost_adapters::tls::install_crypto_provider();
    let port = free_port();
    let h = Harness::start("config-versions", port, 2).await;
    h.ons.add_client(KNOWN, "Jan", "Wolf", "1988-06-21");
    h.zorgmail
        .add_message(ACCOUNT, GP, letter(GP, KNOWN, "IC1"));
    let (running, address) = h.start_daemon().await;
    wait_for_processed(&address, 1, Duration::from_secs(30)).await;
    running.stop().await.unwrap();
    assert_eq!(classified_versions(&h), [Some(1)]);

    let exported = export(&h);
    assert!(exported.contains("Configuration version 1"), "{exported}");
    assert!(exported.contains("[routes.ons.types.MEDVRI]"), "{exported}");
    assert!(exported.contains("\"brief\""), "{exported}");
    assert!(
        !exported.contains("secret-pw"),
        "the mailbox password is never written plain: {exported}"
    );
    assert!(exported.contains("password = \""), "{exported}");

    // A file whose routing sections differ: the log's version stays in force, and the daemon
    // (the real process, its log kept) warns at start naming the key that differs.
    h.edit_config(|text| text.replace("labels = [\"brief\"]", "labels = [\"anders\"]"));
    h.zorgmail
        .add_message(ACCOUNT, GP, letter(GP, KNOWN, "IC2"));
    let log_file = h.dir.join("daemon.log");
    let mut daemon = Daemon(
        Command::new(env!("CARGO_BIN_EXE_ketenpost"))
            .args(["run", "--config"])
            .arg(&h.config)
            .env("RUST_LOG", "info")
            .env("KETENPOST_LOG_FORMAT", "json")
            .stdout(std::process::Stdio::null())
            .stderr(std::fs::File::create(&log_file).unwrap())
            .spawn()
            .unwrap(),
    );
    let address = format!("127.0.0.1:{port}");
    wait_until("the API answers", Duration::from_secs(30), || async {
        reqwest::Client::new()
            .get(format!("http://{address}/healthz"))
            .send()
            .await
            .is_ok()
    })
    .await;
    wait_for_processed(&address, 2, Duration::from_secs(30)).await;
    signal(&daemon.0, "-TERM");
    assert!(wait_exit(&mut daemon.0, Duration::from_secs(30), "after SIGTERM").success());
    let log = std::fs::read_to_string(&log_file).unwrap();
    let warning = log
        .lines()
        .find(|l| l.contains("the file's routing sections differ"))
        .unwrap_or_else(|| panic!("no warning in {log}"));
    assert!(
        warning.contains("routes.ons.types.MEDVRI.labels"),
        "{warning}"
    );
    assert!(!log.contains("secret-pw"), "a secret in the log: {log}");
    let documents = h.ons.documents();
    assert_eq!(documents.len(), 2);
    assert!(
        documents.iter().all(|d| d.tags == ["brief"]),
        "the version in force places, not the changed file: {:?}",
        documents.iter().map(|d| &d.tags).collect::<Vec<_>>()
    );
    assert_eq!(classified_versions(&h), [Some(1), Some(1)]);
    assert!(export(&h).contains("\"brief\""));
}
