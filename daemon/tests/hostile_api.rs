//! The `ketenpost run` process against API clients without a token that try to take it down:
//! a slowloris client and an idle connection are closed after the header timeout; more idle
//! connections than the process has file descriptors leave the mailboxes working, `/healthz`
//! answering once they are gone and SIGTERM prompt; and the JSON log lines of a run carry
//! each key once.
#![allow(clippy::panic, clippy::unwrap_used, clippy::expect_used)]

mod harness;

use std::io::{ErrorKind, Read, Write};
use std::net::TcpStream;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use harness::process::{free_port, signal, wait_exit};
use harness::{letter, wait_until, Harness, ACCOUNT, GP};
use serde::de::{Deserialize, Deserializer, Error as _, IgnoredAny, MapAccess, Visitor};

/// Starts `ketenpost run`, with at most `nofile` file descriptors when given (via `prlimit`).
fn start_daemon(h: &Harness, nofile: Option<u32>, stderr: Stdio, format: &str) -> Child {
    let binary = env!("CARGO_BIN_EXE_ketenpost");
    let mut command = match nofile {
        Some(n) => {
            let mut c = Command::new("prlimit");
            c.arg(format!("--nofile={n}:{n}")).arg(binary);
            c
        }
        None => Command::new(binary),
    };
    command
        .args(["run", "--config"])
        .arg(&h.config)
        .env("RUST_LOG", "info")
        .env("KETENPOST_LOG_FORMAT", format)
        .stdout(Stdio::null())
        .stderr(stderr)
        .spawn()
        .unwrap()
}

/// Kills the daemon if a test fails before it stopped it.
struct Daemon(Child);

impl Drop for Daemon {
    fn drop(&mut self) {
        if self.0.try_wait().ok().flatten().is_none() {
            let _ = self.0.kill();
            let _ = self.0.wait();
        }
    }
}

async fn api_up(address: &str) {
    wait_until(
        "the API answers /healthz",
        Duration::from_secs(60),
        || async {
            let answer = reqwest::Client::new()
                .get(format!("http://{address}/healthz"))
                .timeout(Duration::from_secs(5))
                .send()
                .await;
            answer.is_ok_and(|a| a.status().is_success())
        },
    )
    .await;
}

fn add_limits(h: &Harness, limits: &str) {
    h.edit_config(|text| format!("{text}\n[api.limits]\n{limits}\n"));
}

/// Whether the daemon closed `stream` within `limit`: EOF or a reset on read.
fn closed_within(stream: &mut TcpStream, limit: Duration) -> bool {
    stream.set_read_timeout(Some(limit)).unwrap();
    let mut buffer = [0u8; 1024];
    loop {
        match stream.read(&mut buffer) {
            Ok(0) => return true,
            // A 408 or 400 answer before the close is fine too; keep reading to the end.
            Ok(_) => {}
            Err(e) if matches!(e.kind(), ErrorKind::WouldBlock | ErrorKind::TimedOut) => {
                return false
            }
            Err(_) => return true,
        }
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn slowloris_and_idle_connections_are_closed_after_the_header_timeout() {
    ketenpost_adapters::tls::install_crypto_provider();
    let port = free_port();
    let h = Harness::start("slowloris", port, 2).await;
    add_limits(&h, "header_timeout = \"1s\"");
    let address = format!("127.0.0.1:{port}");
    let mut daemon = Daemon(start_daemon(&h, None, Stdio::null(), "text"));
    api_up(&address).await;

    // Headers that never finish, and a connection that never says anything.
    let mut partial = TcpStream::connect(&address).unwrap();
    partial
        .write_all(b"GET /healthz HTTP/1.1\r\nHost: ketenpost\r\nX-Slow: a")
        .unwrap();
    let mut idle = TcpStream::connect(&address).unwrap();
    // A slowloris client: one header byte at a time, never a whole head.
    let mut dribbling = TcpStream::connect(&address).unwrap();
    dribbling
        .write_all(b"GET /healthz HTTP/1.1\r\nX-Slow: ")
        .unwrap();
    let started = Instant::now();
    let dribbled_out = loop {
        if dribbling.write_all(b"a").is_err() {
            break true;
        }
        if started.elapsed() > Duration::from_secs(20) {
            break false;
        }
        std::thread::sleep(Duration::from_millis(100));
    };

    assert!(
        closed_within(&mut partial, Duration::from_secs(20)),
        "a request head that never finishes keeps its connection open"
    );
    assert!(
        closed_within(&mut idle, Duration::from_secs(20)),
        "an idle connection stays open"
    );
    assert!(dribbled_out, "a slowloris client keeps its connection open");
    api_up(&address).await;
    signal(&daemon.0, "-TERM");
    assert!(wait_exit(&mut daemon.0, Duration::from_secs(60), "SIGTERM").success());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn more_connections_than_file_descriptors_leave_the_daemon_working() {
    ketenpost_adapters::tls::install_crypto_provider();
    let port = free_port();
    let h = Harness::start("fdlimit", port, 2).await;
    // The limits protect, not the header timeout: that is long here.
    add_limits(&h, "max_connections = 32\nheader_timeout = \"10m\"");
    h.ons.add_client("999990019", "Jan", "Wolf", "1988-06-21");
    let address = format!("127.0.0.1:{port}");
    let mut daemon = Daemon(start_daemon(&h, Some(256), Stdio::null(), "text"));
    api_up(&address).await;

    // More idle connections than the process has file descriptors.
    // A connection the kernel no longer queues is given up after a while: without limits
    // the daemon's descriptors and its backlog fill up and later connections hang.
    let target: std::net::SocketAddr = address.parse().unwrap();
    let flood = |n: usize, head: &[u8]| -> Vec<TcpStream> {
        (0..n)
            .filter_map(|_| {
                let mut s = TcpStream::connect_timeout(&target, Duration::from_secs(2)).ok()?;
                s.write_all(head).ok()?;
                Some(s)
            })
            .collect()
    };
    let connections = flood(400, b"");
    assert!(connections.len() > 256, "{} connected", connections.len());
    // Give the daemon time to take up every connection it is going to.
    tokio::time::sleep(Duration::from_secs(1)).await;

    // The drop folder still takes a letter in and it reaches the record system.
    let staged = h.dir.join("letter.edi.part");
    std::fs::write(&staged, letter(GP, "999990019", "FD0001")).unwrap();
    std::fs::rename(&staged, h.drop_folder.join("letter.edi")).unwrap();
    wait_until(
        "the dropped letter placed while the API is flooded",
        Duration::from_secs(60),
        || async { h.ons.documents().len() == 1 },
    )
    .await;
    assert!(
        daemon.0.try_wait().unwrap().is_none(),
        "the daemon is still running"
    );

    // Once the connections are gone, the API answers again.
    drop(connections);
    api_up(&address).await;

    // SIGTERM is prompt with slow requests open and more waiting.
    let slow = flood(300, b"GET /healthz HTTP/1.1\r\nX-Slow: a");
    assert!(slow.len() > 256, "{} connected", slow.len());
    tokio::time::sleep(Duration::from_millis(500)).await;
    signal(&daemon.0, "-TERM");
    let status = wait_exit(
        &mut daemon.0,
        Duration::from_secs(30),
        "SIGTERM with slow connections open",
    );
    assert!(status.success(), "{status:?}");
    assert_eq!(h.ons.documents().len(), 1);
}

/// A JSON object's keys, refusing one that occurs twice (serde_json keeps the last silently).
struct UniqueKeys(Vec<String>);

impl<'de> Deserialize<'de> for UniqueKeys {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        struct Keys;
        impl<'de> Visitor<'de> for Keys {
            type Value = UniqueKeys;
            fn expecting(&self, f: &mut std::fmt::Formatter) -> std::fmt::Result {
                f.write_str("a JSON object")
            }
            fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<UniqueKeys, A::Error> {
                let mut keys: Vec<String> = Vec::new();
                while let Some((key, IgnoredAny)) = map.next_entry::<String, IgnoredAny>()? {
                    if keys.contains(&key) {
                        return Err(A::Error::custom(format!("the key {key:?} occurs twice")));
                    }
                    keys.push(key);
                }
                Ok(UniqueKeys(keys))
            }
        }
        deserializer.deserialize_map(Keys)
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn json_log_lines_carry_each_key_once() {
    ketenpost_adapters::tls::install_crypto_provider();
    let port = free_port();
    let h = Harness::start("jsonkeys", port, 3).await;
    let address = format!("127.0.0.1:{port}");
    h.ons.add_client("999990019", "Jan", "Wolf", "1988-06-21");
    // A refused upload first, so that a failed attempt is logged as well as the placement.
    h.ons.faults().unavailable_next_uploads(1);
    h.zorgmail
        .add_message(ACCOUNT, GP, letter(GP, "999990019", "JK0001"));
    let log_file = h.dir.join("daemon.log");
    let mut daemon = Daemon(start_daemon(
        &h,
        None,
        std::fs::File::create(&log_file).unwrap().into(),
        "json",
    ));
    api_up(&address).await;
    wait_until("the letter placed", Duration::from_secs(60), || async {
        h.ons.documents().len() == 1
    })
    .await;
    signal(&daemon.0, "-TERM");
    assert!(wait_exit(&mut daemon.0, Duration::from_secs(60), "SIGTERM").success());

    let log = std::fs::read_to_string(&log_file).unwrap();
    let mut placed = 0;
    for line in log.lines().filter(|l| l.starts_with('{')) {
        let keys = serde_json::from_str::<UniqueKeys>(line)
            .unwrap_or_else(|e| panic!("{e}: {line}"))
            .0;
        let value: serde_json::Value = serde_json::from_str(line).unwrap();
        if value["message"] == "placed" {
            placed += 1;
            assert!(keys.contains(&"message_id".to_owned()), "{line}");
        }
    }
    assert_eq!(placed, 1, "{log}");
    assert!(log.contains("delivery attempt failed"), "{log}");
}
