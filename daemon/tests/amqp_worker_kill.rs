//! Workers killed with `kill -9` mid-message, also between the Ons upload and recording it:
//! the broker delivers their items again, and the delivery ledger's read-back finds the
//! earlier upload, so every message ends in exactly one category and nothing is placed twice.
#![allow(clippy::panic, clippy::unwrap_used, clippy::expect_used)]

mod amqp_support;
mod harness;

use std::time::Duration;

use amqp_support::{
    api_up, assert_each_once, configure, require_broker, spawn, wait_all_decided, Cluster,
};
use harness::process::{free_port, signal, wait_exit};
use harness::{counts, letter, wait_until, Harness, ACCOUNT, GP, KNOWN};

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn workers_killed_mid_message_and_after_the_upload_place_nothing_twice() {
    require_broker();
    ketenpost_adapters::tls::install_crypto_provider();
    let port = free_port();
    let h = Harness::start("amqp-kill", port, 3).await;
    let _queues = configure(&h, "kill", "prefetch = 4");
    let address = format!("127.0.0.1:{port}");
    h.ons.add_client(KNOWN, "Jan", "Wolf", "1988-06-21");
    let total: i64 = 600;
    for n in 0..total {
        h.zorgmail
            .add_message(ACCOUNT, GP, letter(GP, KNOWN, &format!("K{n}")));
    }
    // Slow answers keep uploads in hand when a worker is killed.
    h.ons.faults().delay(Duration::from_millis(20));
    let mut cluster = Cluster::start(&h, 3);
    api_up(&address).await;
    wait_until(
        "some documents placed",
        Duration::from_secs(120),
        || async { h.ons.documents().len() >= 50 },
    )
    .await;

    // One worker killed mid-message; a new one takes its place.
    signal(&cluster.workers[0], "-KILL");
    wait_exit(
        &mut cluster.workers[0],
        Duration::from_secs(10),
        "after kill -9",
    );
    cluster.workers[0] = spawn(&h, &["worker"], "worker-0b.log");
    wait_until(
        "more documents placed",
        Duration::from_secs(120),
        || async { h.ons.documents().len() >= 150 },
    )
    .await;

    // Every worker killed while Ons has stored its documents but not answered: each is
    // killed between the upload and recording it.
    h.ons.faults().hold_answers_after_storing(true);
    wait_until(
        "uploads stored and unanswered",
        Duration::from_secs(60),
        || async { h.ons.faults().held_after_storing() >= 6 },
    )
    .await;
    for worker in &mut cluster.workers {
        signal(worker, "-KILL");
        wait_exit(worker, Duration::from_secs(10), "after kill -9");
    }
    let held = h.ons.faults().held_after_storing();
    h.ons.faults().hold_answers_after_storing(false);
    cluster.workers = (0..3)
        .map(|n| spawn(&h, &["worker"], &format!("worker-{n}c.log")))
        .collect();

    wait_all_decided(&address, total, Duration::from_secs(300)).await;
    let c = counts(&address).await;
    assert_eq!(c["processed"], total, "{c}");
    cluster.stop();
    // Every document Ons stored, the held ones too, is placed once and only once.
    assert!(held >= 6);
    assert_eq!(assert_each_once(&h, total as usize) as i64, total);
}
