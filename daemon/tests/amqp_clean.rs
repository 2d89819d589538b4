//! Scale-out over a real RabbitMQ: the owner (`ketenpost run` with `[amqp]`) and three
//! `ketenpost worker` processes place 3,000 messages, each in exactly one category and none
//! placed twice.
#![allow(clippy::panic, clippy::unwrap_used, clippy::expect_used)]

mod amqp_support;
mod harness;

use std::time::Duration;

use amqp_support::{assert_each_once, configure, require_broker, wait_all_decided, Cluster};
use harness::process::free_port;
use harness::{counts, letter, Harness, ACCOUNT, GP, KNOWN};

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_owner_and_three_workers_place_3000_messages_each_once() {
    require_broker();
    ketenpost_adapters::tls::install_crypto_provider();
    let port = free_port();
    let h = Harness::start("amqp-clean", port, 3).await;
    let _queues = configure(&h, "clean", "prefetch = 8");
    let address = format!("127.0.0.1:{port}");
    h.ons.add_client(KNOWN, "Jan", "Wolf", "1988-06-21");
    let total: i64 = 3000;
    for n in 0..total {
        // One in ten has a BSN the record system does not know.
        let bsn = if n % 10 == 0 { "123456782" } else { KNOWN };
        h.zorgmail
            .add_message(ACCOUNT, GP, letter(GP, bsn, &format!("S{n}")));
    }
    let cluster = Cluster::start(&h, 3);
    wait_all_decided(&address, total, Duration::from_secs(400)).await;
    let c = counts(&address).await;
    assert_eq!(c["processed"], total * 9 / 10, "{c}");
    assert_eq!(c["unknown_bsn"], total / 10, "{c}");
    // The owner's metrics count the workers' placements and show the broker up.
    let metrics = reqwest::get(format!("http://{address}/metrics"))
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(
        metrics.contains("ketenpost_messages_placed_total 2700"),
        "{metrics}"
    );
    assert!(
        metrics.contains("ketenpost_broker_connected 1"),
        "{metrics}"
    );
    cluster.stop();
    assert_eq!(assert_each_once(&h, total as usize) as i64, total * 9 / 10);
    // No BSN in the workers' log lines.
    for n in 0..3 {
        let log = std::fs::read_to_string(h.dir.join(format!("worker-{n}.log"))).unwrap();
        assert!(!log.contains(KNOWN), "a BSN in worker {n}'s log");
    }
}
