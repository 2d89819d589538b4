//! The broker stopped and started again mid-run (`rabbitmqctl stop_app` / `start_app`): the
//! owner and the workers reconnect by themselves, declare again and resume; every message ends
//! in exactly one category and nothing is placed twice. Alone in its test binary, since it
//! stops the broker every other test uses.
#![allow(clippy::panic, clippy::unwrap_used, clippy::expect_used)]

mod amqp_support;
mod harness;

use std::time::Duration;

use amqp_support::{
    api_up, assert_each_once, configure, rabbitmqctl, require_broker, wait_all_decided, Cluster,
};
use harness::process::free_port;
use harness::{counts, get, letter, wait_until, Harness, ACCOUNT, GP, KNOWN};

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_broker_stopped_and_started_mid_run_loses_nothing() {
    require_broker();
    ketenpost_adapters::tls::install_crypto_provider();
    let port = free_port();
    let h = Harness::start("amqp-restart", port, 3).await;
    let _queues = configure(&h, "restart", "prefetch = 8");
    let address = format!("127.0.0.1:{port}");
    h.ons.add_client(KNOWN, "Jan", "Wolf", "1988-06-21");
    let total: i64 = 600;
    for n in 0..total {
        let bsn = if n % 10 == 0 { "123456782" } else { KNOWN };
        h.zorgmail
            .add_message(ACCOUNT, GP, letter(GP, bsn, &format!("R{n}")));
    }
    h.ons.faults().delay(Duration::from_millis(10));
    let cluster = Cluster::start(&h, 3);
    api_up(&address).await;
    wait_until(
        "some documents placed",
        Duration::from_secs(120),
        || async { h.ons.documents().len() >= 60 },
    )
    .await;
    rabbitmqctl(&["stop_app"]);
    // The owner shows the broker down while it is.
    wait_until("the broker shown down", Duration::from_secs(30), || async {
        get(&address, "/api/v1/counts").await.1["broker"]["connected"] == false
    })
    .await;
    let (status, _) = get(&address, "/readyz").await;
    assert_eq!(status, 503, "not ready without the broker");
    tokio::time::sleep(Duration::from_secs(2)).await;
    rabbitmqctl(&["start_app"]);
    wait_all_decided(&address, total, Duration::from_secs(300)).await;
    let c = counts(&address).await;
    assert_eq!(c["processed"], total * 9 / 10, "{c}");
    assert_eq!(c["unknown_bsn"], total / 10, "{c}");
    let (_, body) = get(&address, "/api/v1/counts").await;
    assert_eq!(body["broker"]["connected"], true, "{body}");
    assert!(
        body["broker"]["reconnects"].as_u64().unwrap() >= 1,
        "{body}"
    );
    cluster.stop();
    assert_eq!(assert_each_once(&h, total as usize) as i64, total * 9 / 10);
}
