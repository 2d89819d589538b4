//! What `/metrics` says after a day's events: the counters of the operational occurrences
//! (messages received, a delivery attempt that failed with its stage and error type, the retry
//! it scheduled, categories given, documents placed) beside the metrics that existed before,
//! whose names operators scrape and which must not change.
#![allow(clippy::panic, clippy::unwrap_used, clippy::expect_used)]

mod harness;

use std::time::Duration;

use harness::{call, counts, letter, wait_until, Harness, ACCOUNT, GP, KNOWN};

/// A BSN that passes the check but that the record system does not know.
const UNKNOWN: &str = "123456782";

async fn metrics(address: &str) -> String {
    let (status, body) = call(address, reqwest::Method::GET, "/metrics", None).await;
    assert_eq!(status, 200);
    body.as_str().unwrap().to_owned()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_occurrences_are_counted_with_fixed_labels_beside_the_existing_metrics() {
    let h = Harness::start("telemetry", 0, 3).await;
    h.ons.add_client(KNOWN, "Jan", "Wolf", "1988-06-21");
    h.ons.faults().unavailable_next_uploads(1);
    h.zorgmail
        .add_message(ACCOUNT, GP, letter(GP, KNOWN, "TEL1"));
    h.zorgmail
        .add_message(ACCOUNT, GP, letter(GP, UNKNOWN, "TEL2"));
    let (running, address) = h.start_daemon().await;
    wait_until("both decided", Duration::from_secs(30), || async {
        let c = counts(&address).await;
        c["processed"] == 1 && c["unknown_bsn"] == 1
    })
    .await;
    let text = metrics(&address).await;
    running.stop().await.unwrap();

    for expected in [
        // The occurrences.
        "ketenpost_messages_received_total{mailbox=\"lab-noordwest\"} 2",
        "ketenpost_delivery_attempts_failed_total{stage=\"upload\",error_type=\"unavailable\"} 1",
        "ketenpost_retries_scheduled_total{stage=\"upload\"} 1",
        "ketenpost_messages_classified_total{category=\"processed\"} 1",
        "ketenpost_messages_classified_total{category=\"unknown_bsn\"} 1",
        "ketenpost_messages_placed_total 1",
        // The names that existed before.
        "ketenpost_mailbox_errors_total{mailbox=\"lab-noordwest\"} 0",
        "ketenpost_delivery_latency_seconds_count 1",
        "ketenpost_log_append_seconds_count",
        "ketenpost_record_system_refused{record_system=\"ons\"} 0",
        "ketenpost_messages{category=\"processed\"} 1",
    ] {
        assert!(text.contains(expected), "{expected:?} not in:\n{text}");
    }
    for private in [KNOWN, UNKNOWN, "Wolf"] {
        assert!(!text.contains(private), "{private:?} in the metrics");
    }
}

/// The value of the unlabelled gauge `name` in `text`.
fn gauge(text: &str, name: &str) -> u64 {
    let line = text
        .lines()
        .find(|line| line.starts_with(&format!("{name} ")))
        .unwrap_or_else(|| panic!("{name} not in:\n{text}"));
    line[name.len() + 1..].trim().parse().unwrap()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_store_shows_its_memory_and_its_files_once_messages_are_written() {
    let h = Harness::start("telemetry-store", 0, 3).await;
    h.ons.add_client(KNOWN, "Jan", "Wolf", "1988-06-21");
    h.zorgmail
        .add_message(ACCOUNT, GP, letter(GP, KNOWN, "STO1"));
    let (running, address) = h.start_daemon().await;
    wait_until("placed", Duration::from_secs(30), || async {
        counts(&address).await["processed"] == 1
    })
    .await;
    let text = metrics(&address).await;
    running.stop().await.unwrap();

    // What was written waits in the write buffers and the journal, and the files hold it.
    assert!(
        gauge(&text, "ketenpost_store_write_buffer_bytes") > 0,
        "{text}"
    );
    assert!(gauge(&text, "ketenpost_store_journal_bytes") > 0, "{text}");
    assert!(
        gauge(&text, "ketenpost_store_disk_bytes") >= gauge(&text, "ketenpost_store_journal_bytes"),
        "{text}"
    );
    for name in [
        "ketenpost_store_cache_bytes",
        "ketenpost_store_flushes_pending",
        "ketenpost_store_compactions_running",
    ] {
        gauge(&text, name);
    }
}
