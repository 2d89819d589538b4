//! A work item no worker can finish (here: no worker can use the configuration version it
//! carries)
//! is handed back until the broker's delivery limit dead-letters it; the owner then records
//! the message as a technical error with the reason, and a resend, with a matching worker,
//! places it.
#![allow(clippy::panic, clippy::unwrap_used, clippy::expect_used)]

mod amqp_support;
mod harness;

use std::time::Duration;

use amqp_support::{
    api_up, assert_each_once, configure, require_broker, spawn, spawn_with, Cluster,
};
use harness::process::{free_port, signal, wait_exit};
use harness::{
    call, ids_in, letter, message, wait_for_processed, wait_until, Harness, ACCOUNT, GP, KNOWN,
    TOKEN,
};

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_work_item_no_worker_finishes_becomes_a_technical_error_and_is_resendable() {
    require_broker();
    ketenpost_adapters::tls::install_crypto_provider();
    let port = free_port();
    let h = Harness::start("amqp-failing", port, 3).await;
    let _queues = configure(&h, "failing", "delivery_limit = 3");
    let address = format!("127.0.0.1:{port}");
    h.ons.add_client(KNOWN, "Jan", "Wolf", "1988-06-21");
    let total = 5;
    for n in 0..total {
        h.zorgmail
            .add_message(ACCOUNT, GP, letter(GP, KNOWN, &format!("F{n}")));
    }
    // The worker cannot use the configuration version the items carry: its data key is
    // another, so the version's sealed mailbox password does not open.
    let other = h.dir.join("other.toml");
    let text = std::fs::read_to_string(&h.config).unwrap();
    let other_key = h.dir.join("other.key");
    std::fs::write(
        &other,
        format!("key_file = {:?}\n{text}", other_key.display().to_string()),
    )
    .unwrap();
    let mut cluster = Cluster {
        owner: Some(spawn(&h, &["run"], "owner.log")),
        workers: vec![spawn_with(&h, &["worker"], &other, "worker-other.log")],
    };
    api_up(&address).await;
    wait_until(
        "every message a technical error",
        Duration::from_secs(120),
        || async { ids_in(&address, "technical_error").await.len() == total },
    )
    .await;
    let ids = ids_in(&address, "technical_error").await;
    let detail = message(&address, &ids[0]).await;
    let shown = detail.to_string();
    assert!(shown.contains("work_not_finished"), "{shown}");
    assert!(shown.contains("verwerker"), "the Dutch reason: {shown}");
    assert!(h.ons.documents().is_empty());

    // With a worker of the right version, a resend places each once.
    signal(&cluster.workers[0], "-TERM");
    wait_exit(
        &mut cluster.workers[0],
        Duration::from_secs(60),
        "after SIGTERM",
    );
    cluster.workers[0] = spawn(&h, &["worker"], "worker.log");
    for id in &ids {
        let path = format!("/api/v1/messages/{id}/resend");
        let (status, body) = call(&address, reqwest::Method::POST, &path, Some(TOKEN)).await;
        assert!(status < 300, "{status} {body}");
    }
    wait_for_processed(&address, total as i64, Duration::from_secs(120)).await;
    cluster.stop();
    assert_eq!(assert_each_once(&h, total), total);
}
