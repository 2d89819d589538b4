//! A real network cut between a worker and the broker: the worker runs in a network namespace
//! of its own (`ip netns`), joined to the host by a veth pair; the broker is reached over the
//! veth. Mid-run the link goes down (`ip link set ... down`): nothing passes, the work stops;
//! the worker and the broker notice by their heartbeats, the broker takes back the items it
//! held. The link comes back: the worker reconnects by itself, and every message ends in
//! exactly one category with no document placed twice. Needs root (CI runs as root); elsewhere it says it is skipped.
#![allow(clippy::panic, clippy::unwrap_used, clippy::expect_used)]

mod amqp_support;
mod harness;

use std::process::{Child, Command, Stdio};
use std::time::Duration;

use amqp_support::{
    api_up, assert_each_once, configure, require_broker, spawn, wait_all_decided, Cluster,
};
use harness::process::free_port;
use harness::{counts, letter, wait_until, Harness, ACCOUNT, GP, KNOWN};
use tokio::net::{TcpListener, TcpStream};

/// The namespace, its veth pair and the broker user of this test; all removed when dropped.
struct Netns {
    name: String,
    host_link: String,
    host_address: String,
    user: String,
    password: String,
}

impl Drop for Netns {
    fn drop(&mut self) {
        let _ = Command::new("ip")
            .args(["netns", "del", &self.name])
            .status();
        let _ = Command::new("ip")
            .args(["link", "del", &self.host_link])
            .stderr(Stdio::null())
            .status();
        let _ = std::fs::remove_dir_all(format!("/etc/netns/{}", self.name));
        // Only when empty: another namespace's files stay.
        let _ = std::fs::remove_dir("/etc/netns");
        let _ = Command::new("rabbitmqctl")
            .args(["-q", "delete_user", &self.user])
            .status();
        // The test's queues (see `configure`): the broker's next restart need not recover them.
        for queue in ["work", "work.dead", "results"] {
            let _ = Command::new("rabbitmqctl")
                .args([
                    "-q",
                    "delete_queue",
                    &format!("ketenpost-test.netns.{}.{queue}", std::process::id()),
                ])
                .status();
        }
    }
}

fn run(program: &str, args: &[&str]) -> bool {
    Command::new(program)
        .args(args)
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .status()
        .is_ok_and(|s| s.success())
}

fn must(program: &str, args: &[&str]) {
    assert!(run(program, args), "{program} {args:?} failed");
}

/// A namespace with a veth pair to the host (10.213.N.1 here, 10.213.N.2 there), `localhost`
/// in it naming the host's side, and a broker user for it (the `guest` user may only come
/// from the loopback). `None` when namespaces cannot be made here (not root).
fn netns() -> Option<Netns> {
    let id = std::process::id();
    let name = format!("kp-cut-{id}");
    if !run("ip", &["netns", "add", &name]) {
        assert!(
            std::env::var("CI").as_deref() != Ok("true"),
            "`ip netns add` is needed for this test on CI (run it as root)"
        );
        eprintln!(
            "SKIPPED: `ip netns add` is not permitted here (run as root for a real network cut)"
        );
        return None;
    }
    let n = id % 250 + 1;
    let netns = Netns {
        name: name.clone(),
        host_link: format!("kpc{}h", id % 100_000),
        host_address: format!("10.213.{n}.1"),
        user: format!("ketenpost-netns-{id}"),
        password: format!("pw-{}", uuid::Uuid::now_v7().simple()),
    };
    let peer = format!("kpc{}n", id % 100_000);
    must(
        "ip",
        &[
            "link",
            "add",
            &netns.host_link,
            "type",
            "veth",
            "peer",
            "name",
            &peer,
        ],
    );
    must("ip", &["link", "set", &peer, "netns", &name]);
    must(
        "ip",
        &[
            "addr",
            "add",
            &format!("{}/30", netns.host_address),
            "dev",
            &netns.host_link,
        ],
    );
    must("ip", &["link", "set", &netns.host_link, "up"]);
    let inside = |args: &[&str]| {
        let mut all = vec!["netns", "exec", name.as_str()];
        all.extend_from_slice(args);
        must("ip", &all);
    };
    inside(&[
        "ip",
        "addr",
        "add",
        &format!("10.213.{n}.2/30"),
        "dev",
        &peer,
    ]);
    inside(&["ip", "link", "set", &peer, "up"]);
    inside(&["ip", "link", "set", "lo", "up"]);
    // `ip netns exec` puts /etc/netns/NAME/hosts over /etc/hosts: the Ons stand-in's
    // certificate names localhost, which there is the host's side of the veth.
    std::fs::create_dir_all(format!("/etc/netns/{name}")).unwrap();
    std::fs::write(
        format!("/etc/netns/{name}/hosts"),
        format!("{} localhost\n", netns.host_address),
    )
    .unwrap();
    must(
        "rabbitmqctl",
        &["-q", "add_user", &netns.user, &netns.password],
    );
    must(
        "rabbitmqctl",
        &[
            "-q",
            "set_permissions",
            "-p",
            "/",
            &netns.user,
            ".*",
            ".*",
            ".*",
        ],
    );
    Some(netns)
}

/// Passes connections to `listen` on to `target` (the Ons stand-in listens on the loopback).
async fn forward(listen: String, target: String) {
    let listener = TcpListener::bind(&listen).await.unwrap();
    tokio::spawn(async move {
        while let Ok((mut client, _)) = listener.accept().await {
            let target = target.clone();
            tokio::spawn(async move {
                if let Ok(mut server) = TcpStream::connect(&target).await {
                    let _ = tokio::io::copy_bidirectional(&mut client, &mut server).await;
                }
            });
        }
    });
}

/// A worker inside the namespace, reaching the broker and Ons over the veth. The overrides
/// come from the environment, so its configuration file (and version) is the owner's.
fn worker_inside(h: &Harness, netns: &Netns, ons_port: u16) -> Child {
    let url = format!(
        "amqp://{}:{}@{}:5672/%2f?heartbeat=2",
        netns.user, netns.password, netns.host_address
    );
    Command::new("ip")
        .args([
            "netns",
            "exec",
            &netns.name,
            env!("CARGO_BIN_EXE_ketenpost"),
        ])
        .args(["worker", "--config"])
        .arg(&h.config)
        .env("KETENPOST_AMQP__URL", url)
        .env(
            "KETENPOST_RECORD_SYSTEMS__ONS__BASE_URL",
            format!("https://localhost:{ons_port}"),
        )
        .env("RUST_LOG", "info")
        .env("KETENPOST_LOG_FORMAT", "json")
        .stdout(Stdio::null())
        .stderr(std::fs::File::create(h.dir.join("worker-netns.log")).unwrap())
        .spawn()
        .unwrap()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_worker_cut_off_by_a_real_link_down_and_back_loses_nothing() {
    require_broker();
    let Some(netns) = netns() else {
        return;
    };
    ketenpost_adapters::tls::install_crypto_provider();
    let port = free_port();
    let h = Harness::start("amqp-netns", port, 3).await;
    let _queues = configure(&h, "netns", "prefetch = 8");
    let ons_port: u16 = h
        .ons
        .base_url()
        .rsplit(':')
        .next()
        .unwrap()
        .parse()
        .unwrap();
    forward(
        format!("{}:{ons_port}", netns.host_address),
        format!("127.0.0.1:{ons_port}"),
    )
    .await;
    let address = format!("127.0.0.1:{port}");
    h.ons.add_client(KNOWN, "Jan", "Wolf", "1988-06-21");
    let total: i64 = 600;
    for n in 0..total {
        h.zorgmail
            .add_message(ACCOUNT, GP, letter(GP, KNOWN, &format!("N{n}")));
    }
    h.ons.faults().delay(Duration::from_millis(10));
    let cluster = Cluster {
        owner: Some(spawn(&h, &["run"], "owner.log")),
        workers: vec![worker_inside(&h, &netns, ons_port)],
    };
    api_up(&address).await;
    let log = h.dir.join("worker-netns.log");
    wait_until(
        "the inside worker connected",
        Duration::from_secs(60),
        || async {
            std::fs::read_to_string(&log)
                .unwrap_or_default()
                .contains("connected to the broker")
        },
    )
    .await;
    wait_until(
        "some documents placed",
        Duration::from_secs(120),
        || async { h.ons.documents().len() >= 60 },
    )
    .await;
    must("ip", &["link", "set", &netns.host_link, "down"]);
    // Long enough for both sides' heartbeats to time out.
    tokio::time::sleep(Duration::from_secs(8)).await;
    let c = counts(&address).await;
    assert!(
        c["processed"].as_i64().unwrap() < total,
        "work went on without the worker: {c}"
    );
    must("ip", &["link", "set", &netns.host_link, "up"]);
    wait_all_decided(&address, total, Duration::from_secs(300)).await;
    let text = std::fs::read_to_string(&log).unwrap();
    assert!(
        text.contains("the broker connection failed"),
        "the inside worker noticed the cut: {text}"
    );
    assert!(
        text.matches("connected to the broker").count() >= 2,
        "the inside worker connected again after the cut: {text}"
    );
    // `ip netns exec` becomes the worker: SIGTERM reaches it, and it stops cleanly.
    cluster.stop();
    assert_eq!(assert_each_once(&h, total as usize) as i64, total);
    drop(netns);
}
