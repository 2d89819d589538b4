//! Retention: a message past its retention period has no readable personal data left (not
//! through the API, `ketenpost events`, `show`, nor in any file of the data folder once its
//! deflated chunks are inflated), a message not yet due is untouched, and a resend of an expired
//! message is refused with the reason in Dutch; `/metrics` counts what the sweeps ended. Past
//! `keep_history`, the messages are forgotten.

#![allow(clippy::panic, clippy::unwrap_used, clippy::expect_used)]

mod binary;
mod harness;

use std::path::Path;
use std::time::Duration;

use harness::{letter, message, message_in, wait_until, Harness, ACCOUNT, GP, KNOWN};

const REMOVED: &str = "verwijderd na de bewaartermijn";
/// The start of a segment that is no segment: the reader's error quotes it (20 characters).
const QUOTED: &str = "Mw. Wolf werd op 12 ";

/// What must not be readable anywhere once both messages expired: the BSN, the client's
/// name, phrases of the letters, and the letter text the reader's error quoted.
const PERSONAL: &[&str] = &[
    KNOWN,
    "Wolf",
    "spreekuur",
    "controle over 3 maanden",
    QUOTED,
];

/// The daemon's `/metrics` text.
async fn metrics(address: &str) -> String {
    let (_, text) = harness::call(address, reqwest::Method::GET, "/metrics", None).await;
    text.as_str().unwrap_or_default().to_owned()
}

/// A letter that cannot be read: a line of letter text where a segment should be.
fn unreadable_letter() -> String {
    letter(GP, KNOWN, "IC2").replace(
        "TXT:3+Mevrouw werd op 12 februari gezien op het spreekuur.'",
        "Mw. Wolf werd op 12 februari gezien op het spreekuur.'",
    )
}

/// Every file of `dir`, and every deflated chunk of the event log in it, inflated.
fn everything_in(dir: &Path) -> Vec<(String, Vec<u8>)> {
    let mut out = Vec::new();
    let mut folders = vec![dir.to_path_buf()];
    while let Some(folder) = folders.pop() {
        for entry in std::fs::read_dir(&folder).unwrap() {
            let path = entry.unwrap().path();
            if path.is_dir() {
                folders.push(path);
                continue;
            }
            let bytes = std::fs::read(&path).unwrap();
            for (n, inflated) in chunks_in(&bytes).into_iter().enumerate() {
                out.push((format!("{} (chunk {n})", path.display()), inflated));
            }
            out.push((path.display().to_string(), bytes));
        }
    }
    out
}

/// The records of every chunk found in `bytes` (see docs/event-log.md): a header whose CRC-32
/// matches, then raw DEFLATE.
fn chunks_in(bytes: &[u8]) -> Vec<Vec<u8>> {
    let mut found = Vec::new();
    for at in 0..bytes.len().saturating_sub(30) {
        if bytes[at] != 2 {
            continue;
        }
        let version_len = usize::from(bytes[at + 25]);
        let header_end = at + 26 + version_len;
        if header_end + 4 > bytes.len() {
            continue;
        }
        let crc = u32::from_be_bytes(bytes[header_end..header_end + 4].try_into().unwrap());
        if crc32fast::hash(&bytes[at..header_end]) != crc {
            continue;
        }
        let length = u32::from_be_bytes(bytes[at + 21..at + 25].try_into().unwrap()) as usize;
        if let Ok(inflated) =
            miniz_oxide::inflate::decompress_to_vec_with_limit(&bytes[header_end + 4..], length)
        {
            found.push(inflated);
        }
    }
    found
}

fn contains(haystack: &[u8], needle: &str) -> bool {
    haystack
        .windows(needle.len())
        .any(|w| w == needle.as_bytes())
}

/// The payloads stored in a data folder (the daemon stopped).
fn payloads(data: &Path) -> usize {
    let db = fjall::Database::builder(data.join("store")).open().unwrap();
    db.keyspace("payloads", fjall::KeyspaceCreateOptions::default)
        .unwrap()
        .len()
        .unwrap()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_message_past_its_retention_period_has_no_readable_personal_data_left() {
    let h = Harness::start("retention", 0, 2).await;
    h.edit_config(|text| {
        format!("{text}\n[retention]\nkeep_processed = \"1s\"\nkeep_other = \"1h\"\n")
    });
    h.ons.add_client(KNOWN, "Jan", "Wolf", "1988-06-21");
    h.zorgmail
        .add_message(ACCOUNT, GP, letter(GP, KNOWN, "IC1"));
    h.zorgmail.add_message(ACCOUNT, GP, unreadable_letter());
    let (running, address) = h.start_daemon().await;

    // The processed letter's period (1 s) ends; the daemon's sweep removes its personal data.
    let mut processed = String::new();
    wait_until("the processed letter", Duration::from_secs(30), || async {
        !message_in(&address, "processed").await.is_empty()
    })
    .await;
    if let Some(id) = message_in(&address, "processed").await[0]["stream"].as_str() {
        processed = id.to_owned();
    }
    wait_until(
        "the processed letter expires",
        Duration::from_secs(30),
        || async { message(&address, &processed).await["retention"] == REMOVED },
    )
    .await;
    let detail = message(&address, &processed).await;
    assert_eq!(detail["category"], "processed", "the events stay: {detail}");
    assert_eq!(detail["placement"]["client_id"], REMOVED, "{detail}");
    assert!(
        harness::timeline_types(&detail).contains(&"RetentionExpired".to_owned()),
        "{detail}"
    );
    let (status, refused) = harness::call(
        &address,
        reqwest::Method::POST,
        &format!("/api/v1/messages/{processed}/resend"),
        Some(harness::TOKEN),
    )
    .await;
    assert_eq!(status, 410, "{refused}");
    assert!(
        refused["error"].as_str().unwrap().contains(REMOVED),
        "{refused}"
    );

    // The operator sees the sweep's work in /metrics, and when a sweep last finished well.
    wait_until("the sweep counted", Duration::from_secs(30), || async {
        metrics(&address)
            .await
            .contains("ketenpost_retention_payloads_deleted_total 1")
    })
    .await;
    let counted = metrics(&address).await;
    assert!(
        counted.contains("ketenpost_retention_messages_expired_total 1"),
        "{counted}"
    );
    assert!(
        counted.contains("ketenpost_retention_sweeps_failed_total 0"),
        "{counted}"
    );
    let last_sweep: i64 = counted
        .lines()
        .find_map(|line| line.strip_prefix("ketenpost_retention_last_sweep_seconds "))
        .and_then(|value| value.parse().ok())
        .unwrap_or_default();
    let now = i64::try_from(
        std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .unwrap()
            .as_secs(),
    )
    .unwrap();
    assert!(
        (now - 60..=now).contains(&last_sweep),
        "a sweep finished within the last minute: {counted}"
    );

    // The unreadable letter is not due (1 h): untouched, its error still quotes the letter.
    let mut unreadable = None;
    for category in [
        "unsupported",
        "fallout",
        "missing_bsn",
        "unknown_bsn",
        "technical_error",
    ] {
        if let Some(m) = message_in(&address, category).await.first() {
            unreadable = m["stream"].as_str().map(str::to_owned);
        }
    }
    let unreadable = unreadable.expect("the unreadable letter is in a category");
    let detail = message(&address, &unreadable).await;
    assert!(detail["retention"].is_null(), "{detail}");
    assert!(detail.to_string().contains(QUOTED), "{detail}");
    running.stop().await.unwrap();
    assert_eq!(
        payloads(&h.data()),
        1,
        "the processed letter's payload is deleted"
    );

    // By hand, with the daemon stopped, a shorter period for the rest.
    let data = h.data();
    let dry = binary::run_ok(&data, &["retention", "--dry-run", "--keep-other", "1ms"]);
    assert!(dry.contains(&format!("due {unreadable}")), "{dry}");
    assert!(dry.contains("1 messages are past"), "{dry}");
    let swept = binary::run_ok(&data, &["retention", "--keep-other", "1ms"]);
    assert!(swept.contains("of 1 messages and 1 payloads"), "{swept}");
    assert_eq!(payloads(&data), 0);
    for (file, bytes) in everything_in(&data) {
        for text in PERSONAL {
            assert!(!contains(&bytes, text), "{file} holds {text:?}");
        }
    }

    let events = binary::run_ok(&data, &["events"]);
    let shown = binary::run_ok(&data, &["show", &unreadable, "--json"]);
    assert!(shown.contains(REMOVED), "{shown}");
    for text in PERSONAL {
        assert!(!events.contains(text), "ketenpost events shows {text:?}");
        assert!(!shown.contains(text), "ketenpost show shows {text:?}");
    }
    let resend = binary::run(&data, &["resend", &unreadable]);
    assert_eq!(resend.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&resend.stderr).contains(REMOVED));

    // Once keep_history is over as well, the messages are forgotten: no longer shown, listed,
    // counted or in the log, and that they went is recorded.
    let forgotten = binary::run_ok(&data, &binary::FORGET_NOW);
    assert!(
        forgotten.contains("forgot the history of 2 messages and 2 receipts"),
        "{forgotten}"
    );
    let shown = binary::run(&data, &["show", &unreadable]);
    assert_ne!(shown.status.code(), Some(0), "{shown:?}");
    let events = binary::run_ok(&data, &["events"]);
    // (The access log still says the message was looked at: it is kept for keep_access_log.)
    let on_it = format!("\"stream\":\"{unreadable}\"");
    assert!(!events.contains(&on_it), "{events}");
    assert!(events.contains("HistoryForgotten"), "{events}");
    let status = binary::run_ok(&data, &["status"]);
    assert!(
        !status.contains(" 1"),
        "nothing is counted any more: {status}"
    );
}
