//! The network between the workers and the broker cut (silently: no bytes pass, no connection
//! is closed) and restored, through a small TCP proxy in the test: the broker and the workers
//! notice by their heartbeats, the broker hands the items in hand to the queue again, the
//! workers reconnect by themselves once the network is back; every message ends in exactly
//! one category and nothing is placed twice.
#![allow(clippy::panic, clippy::unwrap_used, clippy::expect_used)]

mod amqp_support;
mod harness;

use std::process::{Child, Command, Stdio};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::time::Duration;

use amqp_support::{
    api_up, assert_each_once, broker_url, configure, require_broker, spawn, wait_all_decided,
    Cluster,
};
use harness::process::free_port;
use harness::{counts, letter, wait_until, Harness, ACCOUNT, GP, KNOWN};
use tokio::net::{TcpListener, TcpStream};
use tokio::sync::watch;

/// A TCP proxy to the broker that can be cut: while cut, no byte passes either way and new
/// connections are held unanswered; restoring drops the connections held, as a network that
/// comes back after the peers gave up on them.
struct Proxy {
    port: u16,
    cut: Arc<AtomicBool>,
    generation: watch::Sender<u64>,
}

impl Proxy {
    async fn start(target: String) -> Self {
        let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
        let port = listener.local_addr().unwrap().port();
        let cut = Arc::new(AtomicBool::new(false));
        let (generation, _) = watch::channel(0u64);
        let proxy = Self {
            port,
            cut: Arc::clone(&cut),
            generation: generation.clone(),
        };
        tokio::spawn(async move {
            while let Ok((client, _)) = listener.accept().await {
                let target = target.clone();
                let cut = Arc::clone(&cut);
                let mut changed = generation.subscribe();
                tokio::spawn(async move {
                    let Ok(server) = TcpStream::connect(&target).await else {
                        return;
                    };
                    let (mut client_read, mut client_write) = client.into_split();
                    let (mut server_read, mut server_write) = server.into_split();
                    let pipe = async {
                        let up = pump(&mut client_read, &mut server_write, &cut);
                        let down = pump(&mut server_read, &mut client_write, &cut);
                        tokio::join!(up, down);
                    };
                    tokio::select! {
                        () = pipe => {}
                        _ = changed.changed() => {}
                    }
                });
            }
        });
        proxy
    }

    fn cut(&self) {
        self.cut.store(true, Ordering::SeqCst);
    }

    fn restore(&self) {
        self.generation.send_modify(|g| *g += 1);
        self.cut.store(false, Ordering::SeqCst);
    }
}

/// Copies bytes while the network is up; while cut, holds them (nothing passes).
async fn pump(
    from: &mut tokio::net::tcp::OwnedReadHalf,
    to: &mut tokio::net::tcp::OwnedWriteHalf,
    cut: &AtomicBool,
) {
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    let mut buffer = vec![0u8; 16 * 1024];
    loop {
        let Ok(n) = from.read(&mut buffer).await else {
            return;
        };
        if n == 0 {
            return;
        }
        while cut.load(Ordering::SeqCst) {
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
        if to.write_all(&buffer[..n]).await.is_err() {
            return;
        }
    }
}

fn worker_via(h: &Harness, url: &str, n: usize) -> Child {
    Command::new(env!("CARGO_BIN_EXE_ketenpost"))
        .args(["worker", "--config"])
        .arg(&h.config)
        .env("KETENPOST_AMQP__URL", url)
        .env("RUST_LOG", "warn")
        .env("KETENPOST_LOG_FORMAT", "json")
        .stdout(Stdio::null())
        .stderr(std::fs::File::create(h.dir.join(format!("worker-{n}.log"))).unwrap())
        .spawn()
        .unwrap()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_network_between_workers_and_broker_cut_and_restored_loses_nothing() {
    require_broker();
    ketenpost_adapters::tls::install_crypto_provider();
    let port = free_port();
    let h = Harness::start("amqp-cut", port, 3).await;
    let _queues = configure(&h, "cut", "prefetch = 8");
    let address = format!("127.0.0.1:{port}");
    h.ons.add_client(KNOWN, "Jan", "Wolf", "1988-06-21");
    let total: i64 = 600;
    for n in 0..total {
        h.zorgmail
            .add_message(ACCOUNT, GP, letter(GP, KNOWN, &format!("C{n}")));
    }
    let url = broker_url();
    let (before, after) = url.split_once('@').unwrap();
    let (host, vhost) = after.split_once('/').unwrap();
    let proxy = Proxy::start(host.to_owned()).await;
    // Heartbeats every 2 s: a silent network is noticed within seconds.
    let via_proxy = format!("{before}@127.0.0.1:{}/{vhost}?heartbeat=2", proxy.port);
    h.ons.faults().delay(Duration::from_millis(10));
    let cluster = Cluster {
        owner: Some(spawn(&h, &["run"], "owner.log")),
        workers: (0..3).map(|n| worker_via(&h, &via_proxy, n)).collect(),
    };
    api_up(&address).await;
    wait_until(
        "some documents placed",
        Duration::from_secs(120),
        || async { h.ons.documents().len() >= 60 },
    )
    .await;
    proxy.cut();
    let during = h.ons.documents().len();
    // Long enough for both sides' heartbeats to time out.
    tokio::time::sleep(Duration::from_secs(8)).await;
    let c = counts(&address).await;
    assert!(
        c["processed"].as_i64().unwrap() < total,
        "work went on without workers: {c}"
    );
    proxy.restore();
    wait_all_decided(&address, total, Duration::from_secs(300)).await;
    assert!(h.ons.documents().len() > during);
    cluster.stop();
    assert_eq!(assert_each_once(&h, total as usize) as i64, total);
}
