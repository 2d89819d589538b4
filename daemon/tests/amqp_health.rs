//! With `[amqp]` the workers make the calls to the record system, and the owner's health and
//! metrics show what they met, as the in-process daemon's show its own calls: a refusal of
//! ketenpost (403) is the record system's problem in `/api/v1/counts` and counted in
//! `/metrics` with the failed attempts and their retries; after access is fixed and the
//! message is resent, it is placed and the problem is gone.
#![allow(clippy::panic, clippy::unwrap_used, clippy::expect_used)]

mod amqp_support;
mod harness;

use std::time::Duration;

use amqp_support::{api_up, configure, require_broker, Cluster};
use harness::process::free_port;
use harness::{
    call, get, ids_in, letter, wait_for_category, wait_until, Harness, ACCOUNT, GP, KNOWN, TOKEN,
};

async fn metrics(address: &str) -> String {
    let (_, metrics) = call(address, reqwest::Method::GET, "/metrics", None).await;
    metrics.as_str().unwrap().to_owned()
}

/// The value of the metric line that starts with `series`; 0 when there is none.
fn value(metrics: &str, series: &str) -> u64 {
    metrics
        .lines()
        .find_map(|line| line.strip_prefix(series))
        .and_then(|rest| rest.trim().parse().ok())
        .unwrap_or(0)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn what_the_workers_meet_at_the_record_system_is_the_owner_s_health_and_metrics() {
    require_broker();
    ketenpost_adapters::tls::install_crypto_provider();
    let port = free_port();
    let h = Harness::start("amqp-health", port, 3).await;
    let _queues = configure(&h, "health", "");
    let address = format!("127.0.0.1:{port}");
    h.ons.add_client(KNOWN, "Jan", "Wolf", "1988-06-21");
    // The certificate is no longer accepted: every call 403.
    h.ons.faults().refuse_all(true);
    h.zorgmail.add_message(ACCOUNT, GP, letter(GP, KNOWN, "H1"));
    let cluster = Cluster::start(&h, 1);
    api_up(&address).await;

    wait_until(
        "the refused message is a technical error",
        Duration::from_secs(60),
        || async { !ids_in(&address, "technical_error").await.is_empty() },
    )
    .await;
    let mut failed = ids_in(&address, "technical_error").await;
    // The worker's outcome and the refusal it met reach the owner's health in steps of their
    // own: the health is asked until it shows it (or the wait ends and the assert says why).
    wait_until(
        "the owner's health shows the refusal",
        Duration::from_secs(30),
        || async {
            let (_, counts) = get(&address, "/api/v1/counts").await;
            counts["record_systems"]["ons"]["problem"]
                .as_str()
                .is_some_and(|p| p.contains("403"))
        },
    )
    .await;
    let (_, counts) = get(&address, "/api/v1/counts").await;
    let problem = counts["record_systems"]["ons"]["problem"]
        .as_str()
        .unwrap_or_default();
    assert!(
        problem.contains("403") && problem.contains("lookup"),
        "the owner's health shows the worker's refusal: {counts}"
    );
    // Each attempt made one lookup, refused; every attempt but the last was given a retry.
    let seen = metrics(&address).await;
    assert!(
        seen.contains("ketenpost_record_system_refused{record_system=\"ons\"} 1"),
        "{seen}"
    );
    let refusals = value(
        &seen,
        "ketenpost_record_system_refusals_total{record_system=\"ons\",call=\"lookup\"}",
    );
    let attempts = value(
        &seen,
        "ketenpost_delivery_attempts_failed_total{stage=\"lookup\",error_type=\"refused\"}",
    );
    let retries = value(&seen, "ketenpost_retries_scheduled_total{stage=\"lookup\"}");
    assert!(attempts >= 2, "{seen}");
    assert_eq!(refusals, attempts, "{seen}");
    assert_eq!(retries, attempts - 1, "{seen}");

    // Access fixed, the message resent: placed, and the problem is gone.
    h.ons.faults().refuse_all(false);
    let id = failed.remove(0);
    let path = format!("/api/v1/messages/{id}/resend");
    let (status, _) = call(&address, reqwest::Method::POST, &path, Some(TOKEN)).await;
    assert_eq!(status, 202);
    wait_for_category(&address, &id, "processed", "placed after the resend").await;
    let (_, counts) = get(&address, "/api/v1/counts").await;
    assert!(
        counts["record_systems"]["ons"]["problem"].is_null(),
        "{counts}"
    );
    assert!(
        counts["record_systems"]["ons"]["last_success"].is_string(),
        "{counts}"
    );
    assert!(
        metrics(&address)
            .await
            .contains("ketenpost_record_system_refused{record_system=\"ons\"} 0"),
        "the refusal is over"
    );
    assert_eq!(h.ons.documents().len(), 1);
    cluster.stop();
}
