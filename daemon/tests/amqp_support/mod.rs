//! The scale-out tests' set-up: a real RabbitMQ (started once by `scripts/test.sh`, its URL in
//! `KETENPOST_TEST_AMQP_URL`), the harness's configuration with an `[amqp]` section of the
//! test's own queue names, and the owner and workers as separate processes, killed when the
//! test ends however it ends.

#![allow(dead_code, clippy::panic, clippy::unwrap_used, clippy::expect_used)]

use std::collections::{BTreeMap, BTreeSet};
use std::process::{Child, Command, Stdio};
use std::time::Duration;

use crate::harness::process::{signal, wait_exit};
use crate::harness::{counts, wait_until, Harness};

mod preflight;
mod queues;

pub use queues::TestQueues;

/// Runs what `work` makes on a runtime and thread of their own (so from a test's runtime as
/// well as outside one), within `limit`.
fn on_own_runtime<F, Fut>(limit: Duration, work: F) -> Result<(), String>
where
    F: FnOnce() -> Fut + Send + 'static,
    Fut: std::future::Future<Output = Result<(), String>>,
{
    std::thread::spawn(move || {
        let runtime = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .map_err(|e| format!("no runtime: {e}"))?;
        runtime.block_on(async {
            tokio::time::timeout(limit, work())
                .await
                .map_err(|_| format!("no answer within {limit:?}"))?
        })
    })
    .join()
    .unwrap_or_else(|_| Err("its thread panicked".to_owned()))
}

/// The broker's URL for the tests.
pub fn broker_url() -> String {
    std::env::var("KETENPOST_TEST_AMQP_URL")
        .unwrap_or_else(|_| "amqp://guest:guest@127.0.0.1:5672/%2f".to_owned())
}

/// Fails the test with a clear message when no broker listens, or when it listens and does not
/// pass a message through.
pub fn require_broker() {
    let url = broker_url();
    let host = url
        .split('@')
        .nth(1)
        .and_then(|rest| rest.split('/').next())
        .unwrap_or("127.0.0.1:5672")
        .to_owned();
    if std::net::TcpStream::connect_timeout(
        &host
            .parse()
            .unwrap_or_else(|_| "127.0.0.1:5672".parse().unwrap()),
        Duration::from_secs(2),
    )
    .is_err()
    {
        panic!(
            "these tests need RabbitMQ at {host} (KETENPOST_TEST_AMQP_URL): install \
             rabbitmq-server and start it (`rabbitmq-server -detached`), as scripts/test.sh does"
        );
    }
    preflight::require_round_trip(&url);
}

/// Adds an `[amqp]` section with queue names of `name`'s own to the harness's configuration;
/// the queues go from the broker when what this gives is dropped (after the test's processes,
/// when it is bound before them).
pub fn configure(h: &Harness, name: &str, extra: &str) -> TestQueues {
    let queues = TestQueues::new(name);
    let url = broker_url();
    let keys = queues.config_keys();
    h.edit_config(|text| format!("{text}\n[amqp]\nurl = \"{url}\"\n{keys}{extra}\n"));
    queues
}

/// The owner and workers of one test, killed when dropped.
pub struct Cluster {
    pub owner: Option<Child>,
    pub workers: Vec<Child>,
}

impl Drop for Cluster {
    fn drop(&mut self) {
        for child in self.owner.iter_mut().chain(self.workers.iter_mut()) {
            let _ = child.kill();
            let _ = child.wait();
        }
    }
}

/// A `ketenpost` process with `args`, its stderr to `log` in the harness folder (at the level
/// `KP_LOG` names, default `warn`).
pub fn spawn(h: &Harness, args: &[&str], log: &str) -> Child {
    spawn_with(h, args, &h.config, log)
}

/// As [`spawn`], with the configuration file `config`.
pub fn spawn_with(h: &Harness, args: &[&str], config: &std::path::Path, log: &str) -> Child {
    Command::new(env!("CARGO_BIN_EXE_ketenpost"))
        .args(args)
        .arg("--config")
        .arg(config)
        .env(
            "RUST_LOG",
            std::env::var("KP_LOG").unwrap_or_else(|_| "warn".into()),
        )
        .env("KETENPOST_LOG_FORMAT", "json")
        .stdout(Stdio::null())
        .stderr(std::fs::File::create(h.dir.join(log)).unwrap())
        .spawn()
        .unwrap()
}

impl Cluster {
    /// The owner and `workers` worker processes.
    pub fn start(h: &Harness, workers: usize) -> Self {
        let owner = Some(spawn(h, &["run"], "owner.log"));
        let workers = (0..workers)
            .map(|n| spawn(h, &["worker"], &format!("worker-{n}.log")))
            .collect();
        Self { owner, workers }
    }

    /// Stops every process with SIGTERM; each must exit 0.
    pub fn stop(mut self) {
        for child in self.workers.iter_mut().chain(self.owner.iter_mut()) {
            signal(child, "-TERM");
            let status = wait_exit(child, Duration::from_secs(60), "after SIGTERM");
            assert!(status.success(), "{status:?}");
        }
    }
}

/// Waits until every one of `total` messages is decided: `processed` + `unknown_bsn` together.
pub async fn wait_all_decided(address: &str, total: i64, limit: Duration) {
    api_up(address).await;
    wait_until("every message decided", limit, || async {
        let c = counts(address).await;
        c["in_flight"] == 0
            && c["awaiting_delivery"] == 0
            && c["processed"].as_i64().unwrap_or(0) + c["unknown_bsn"].as_i64().unwrap_or(0)
                == total
    })
    .await;
}

/// `ketenpost events --data` as parsed JSON lines.
pub fn events(h: &Harness) -> Vec<serde_json::Value> {
    let output = Command::new(env!("CARGO_BIN_EXE_ketenpost"))
        .args(["events", "--data"])
        .arg(h.data())
        .output()
        .unwrap();
    assert!(
        output.status.success(),
        "{}",
        String::from_utf8_lossy(&output.stderr)
    );
    String::from_utf8_lossy(&output.stdout)
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect()
}

/// Every message in exactly one category (its last classification), and no document placed
/// twice (the Ons stand-in's documents, by file name): the number of placed documents.
pub fn assert_each_once(h: &Harness, total: usize) -> usize {
    let events = events(h);
    let mut last: BTreeMap<String, String> = BTreeMap::new();
    for e in events.iter().filter(|e| e["type"] == "MessageClassified") {
        last.insert(
            e["stream"].as_str().unwrap().to_owned(),
            e["summary"].as_str().unwrap().to_owned(),
        );
    }
    assert_eq!(last.len(), total, "every message classified");
    let documents = h.ons.documents();
    let names: BTreeSet<_> = documents
        .iter()
        .map(|d| d.file_name.clone().unwrap())
        .collect();
    assert_eq!(names.len(), documents.len(), "no document placed twice");
    documents.len()
}

/// Waits until the owner's API answers.
pub async fn api_up(address: &str) {
    wait_until("the API answers", Duration::from_secs(30), || async {
        reqwest::Client::new()
            .get(format!("http://{address}/healthz"))
            .send()
            .await
            .is_ok()
    })
    .await;
}

/// Runs `rabbitmqctl` with `args` (stopping or starting the broker's application); it must succeed.
pub fn rabbitmqctl(args: &[&str]) {
    let status = Command::new("rabbitmqctl").args(args).status().unwrap();
    assert!(status.success(), "rabbitmqctl {args:?}: {status:?}");
}
